"""PyTorch Lightning integration: a logger that records ``trainer.fit`` into a fitwatch run, its step
values on the step axis and its epoch values on the epoch axis, and (from
:mod:`fitwatch.integrations.lightning_stop`) a callback that stops it with
:class:`fitwatch.EarlyStopping`, restoring the best weights.

``fitwatch.lightning`` is this module: ``fitwatch.lightning.Logger``, ``fitwatch.lightning.EarlyStopping``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings

from fitwatch.integrations.lightning_stop import (RESERVED, EarlyStopping, fitwatch_key, lightning_stop_record, pl,
                                                  split_suffix)

from lightning.pytorch.loggers.logger import rank_zero_experiment  # noqa: E402 (lightning_stop says what is missing)
from lightning.pytorch.utilities.rank_zero import rank_zero_only  # noqa: E402

from fitwatch.core.names import split_key  # noqa: E402
from fitwatch.probes.regularisation import torch_regularisation  # noqa: E402
from fitwatch.record.run import Run  # noqa: E402
from fitwatch.store.base import encode_json  # noqa: E402

__all__ = ["Logger", "EarlyStopping"]

_QUEUE_EVERY_S = 1.0  # step values reach the store's writer thread at least this often


class Logger(pl.loggers.Logger):
    """Record a Lightning ``trainer.fit`` into a fitwatch run: its steps, its epochs, its outcome.

    What Lightning logs (``self.log`` in a LightningModule) reaches the run on two axes:

    - **step values** (logged with ``on_step=True``, the default in ``training_step``: Lightning
      names them ``train_loss_step``, or ``train_loss`` when logged per step only) are stored as the
      batch values of their split at Lightning's global step (the training steps every
      ``log_every_n_steps``; validation steps at Lightning's count of validation batches);
    - **epoch values** (``on_epoch=True``: ``*_epoch``, or the plain name, e.g. ``val_loss`` logged
      in ``validation_step``) are stored as epoch rows, one row per epoch holding the epoch's
      training and validation values together, under the epoch Lightning numbers (0-based). A metric
      logged per step only gets, as its epoch value, the mean of the epoch's logged steps (each
      counting once: Lightning does not hand loggers batch sizes; log with ``on_epoch=True`` for the
      exact, batch-size-weighted mean).

    Names become fitwatch's Keras-style keys (``train_loss``/``train_loss_epoch`` -> ``loss``,
    ``val_acc`` -> ``val_accuracy``, ``test_loss`` -> ``test_loss``, see
    :func:`fitwatch.integrations.lightning_stop.fitwatch_key`); the run's info keeps the map
    (``info["lightning_names"]``: ``{"loss": ["train_loss_step", "train_loss_epoch"], ...}``). The
    sanity-check validation is not recorded; only ``fit`` is (``trainer.validate``/``test`` leave
    the run alone).

    When the fit returns, the run is ``finished``, or ``stopped`` when ``trainer.should_stop`` ended
    it before ``max_epochs`` (``fitwatch.lightning.EarlyStopping``, whose stop and reason are then
    stored with the run, or Lightning's own); its diagnosis is stored and printed. When the fit
    raises, Lightning calls ``finalize("failed")``: the run is ``failed`` (``stopped`` for Ctrl-C)
    with the exception's traceback, its completed epochs kept and the interrupted one marked. The
    same logger in a later fit records into the same run, its epochs (and steps) following the
    stored ones. Only rank 0 writes (``rank_zero_only``, as Lightning's loggers).

    The run's config is ``{"max_epochs", "optimizer", "learning_rate"}``, the regularisation the fit
    already uses (``dropout``: the largest ``nn.Dropout`` rate; ``weight_decay``: the largest of its optimizers';
    ``grad_clip``: the Trainer's ``gradient_clip_val``), which the diagnosis then does not prescribe
    again, the hyperparameters Lightning hands the logger (``save_hyperparameters()``; made JSON-safe), then ``config`` (whose values win).

    Args:
        name: the run's name (``fitwatch show NAME`` opens it). Defaults to ``run-YYYYmmdd-HHMMSS``.
        config: hyperparameters to store with the run (a dict of JSON-serialisable values).
            Defaults to `None`.
        dir: the store's folder. Defaults to `$FITWATCH_DIR`, else `./fitwatch`.
        diagnose: at the end of the fit, diagnose the curves, store the diagnosis with the run and
            print it (``"quiet"``: store only; `False`: neither). Defaults to `True`.
        resume: the first fit continues the latest run of this name instead of starting a new one.
            Defaults to `False`.
        record_steps: store the step values (`False`: epoch rows only; a per-step metric's epoch
            mean is still kept). Defaults to `True`.

    The parameters are only stored here; they are checked, and the run is created, when Lightning
    sets the fit up (``experiment``). Lightning hands the logger the model when the fit begins
    (``log_graph``), which is how the logger follows the fit's epochs; with
    ``Trainer(enable_autolog_hparams=False)`` call ``self.logger.log_graph(self)`` in
    ``LightningModule.on_fit_start``.

    Attributes:
        run: the :class:`fitwatch.Run` (``experiment`` too), `None` before the first fit.

    Example:

    >>> import tempfile, torch, lightning.pytorch as pl, fitwatch
    >>> class Net(pl.LightningModule):
    ...     def __init__(self, lr=0.1):
    ...         super().__init__()
    ...         self.save_hyperparameters()
    ...         self.layer = torch.nn.Linear(4, 1)
    ...     def training_step(self, batch, batch_idx):
    ...         loss = torch.nn.functional.mse_loss(self.layer(batch[0]), batch[1])
    ...         self.log("train_loss", loss, on_epoch=True)
    ...         return loss
    ...     def validation_step(self, batch, batch_idx):
    ...         self.log("val_loss", torch.nn.functional.mse_loss(self.layer(batch[0]), batch[1]))
    ...     def configure_optimizers(self):
    ...         return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)
    >>> data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.rand(8, 4), torch.rand(8, 1)),
    ...                                    batch_size=4)
    >>> store = tempfile.mkdtemp()
    >>> logger = fitwatch.lightning.Logger("doc-lightning", dir=store, diagnose=False)
    >>> trainer = pl.Trainer(max_epochs=3, logger=logger, log_every_n_steps=1, enable_checkpointing=False,
    ...                      enable_progress_bar=False, enable_model_summary=False)
    >>> trainer.fit(Net(), data, data)
    >>> run = fitwatch.load("doc-lightning", dir=store)
    >>> run.status, run.epochs.tolist(), sorted(run.history), run.config["lr"]
    ('finished', [0, 1, 2], ['loss', 'val_loss'], 0.1)
    >>> run.steps()[("train", "loss")][0].tolist()      # Lightning's global steps, 2 batches an epoch
    [0, 1, 2, 3, 4, 5]
    """

    def __init__(self, name=None, config=None, *, dir=None, diagnose=True, resume=False, record_steps=True):
        super().__init__()
        self._name = name
        self.config = config
        self.dir = dir
        self.diagnose = diagnose
        self.resume = resume
        self.record_steps = record_steps
        self.run: Run | None = None
        self._hparams: dict = {}  # what Lightning handed log_hyperparams, JSON-safe
        self._fresh = False  # the run was created for a fit that has not begun
        self._trainer = None  # the trainer whose fit is being recorded
        self._follower = _Follower(self)
        self._names: dict[str, list] = {}  # fitwatch key -> the Lightning names stored under it
        self._next_step: dict[str, int] = {}  # split -> the first step not yet stored
        self._step_offset: dict[str, int] = {}  # split -> stored step - Lightning's step, in this fit
        self._warned = set()
        self._reset_epoch(None)

    # -- Lightning's Logger interface ------------------------------------------------------------
    @property
    def name(self) -> str | None:
        return self.run.name if self.run is not None else self._name

    @property
    def version(self) -> int | None:
        """The run's id in the store (None before the run exists)."""
        return self.run.id if self.run is not None else None

    @property
    @rank_zero_experiment
    def experiment(self) -> Run:
        """The :class:`fitwatch.Run` recorded into, created when Lightning first asks (when it sets a fit up)."""
        if self.run is None:
            self._validate()
            self.run = Run(self._name, self._config(), dir=self.dir, resume=bool(self.resume), progress=False,
                           info={"framework": "lightning", "lightning_version": pl.__version__},
                           diagnose=self.diagnose)
            self._fresh = True
        return self.run

    @rank_zero_only
    def log_hyperparams(self, params, *args, **kwargs) -> None:
        """Store Lightning's hyperparameters (a dict or ``argparse.Namespace``) in the run's config."""
        if isinstance(params, argparse.Namespace):
            params = vars(params)
        params = {str(k): (getattr(v, "__name__", None) or repr(v)) if callable(v) else v
                  for k, v in dict(params or {}).items()}
        self._hparams.update(json.loads(encode_json(params)))  # JSON-safe, as the store would keep it
        if self.run is not None and self.run.status == "running":
            self.run.config.update(self._config())
            self.run.store.update_run(self.run.id, config=self.run.config)

    @rank_zero_only
    def log_graph(self, model, input_array=None) -> None:
        """Lightning hands every logger the model when a fit begins: the fit this logger records."""
        try:
            trainer = model.trainer
        except (AttributeError, RuntimeError):  # not a LightningModule attached to a Trainer
            return
        if isinstance(trainer, pl.Trainer) and trainer.state.fn == "fit" and trainer is not self._trainer:
            self._begin(trainer, model)

    @rank_zero_only
    def log_metrics(self, metrics, step=None) -> None:
        trainer = self._trainer
        if trainer is None or self.run is None or not self.run.fitting:
            if self.run is None or self._fresh:
                self._warn_once("unfollowed", "fitwatch.lightning.Logger records trainer.fit() only, and no fit was "
                                "handed to it (Lightning calls Logger.log_graph(model) when a fit begins, unless "
                                "Trainer(enable_autolog_hparams=False): then call self.logger.log_graph(self) in "
                                "LightningModule.on_fit_start); these values are not recorded")
            return
        if trainer.sanity_checking or self._stored is None:
            return
        if trainer.validating:
            per_epoch = "epoch" in metrics  # Lightning adds it to epoch values only (steps come with step=)
        elif trainer.training:
            per_epoch = self._ending  # after on_train_epoch_end: the training epoch values
        else:
            return
        for name, value in metrics.items():
            base = split_suffix(name)[0]
            if base in RESERVED:
                continue
            try:
                value = float(value)
            except (TypeError, ValueError):
                self._warn_once(name, f"fitwatch.lightning.Logger: {name!r} is not a number; not recorded")
                continue
            key = fitwatch_key(base)
            names = self._names.setdefault(key, [])
            if name not in names:
                names.append(name)
            if per_epoch:
                self._epoch_values[key] = value
            elif step is not None:
                self._add_step(key, int(step), value)

    @rank_zero_only
    def finalize(self, status: str) -> None:
        """The fit ended: ``"success"`` ends the run (finished, or stopped); ``"failed"`` marks it failed."""
        run = self.run
        if run is None or run.status != "running":
            return
        if not run.fitting:
            if status == "failed" and self._fresh:  # the fit failed before it began (e.g. in setup)
                exc = sys.exc_info()[1]
                if exc is not None:
                    run.fail(exc)
                else:
                    run.finish("failed", error="trainer.fit() failed before it began")
            return
        run.info["lightning_names"] = dict(sorted(self._names.items()))
        trainer, self._trainer = self._trainer, None
        if status != "success":
            exc = sys.exc_info()[1]  # Lightning calls finalize("failed") while it handles the exception
            if exc is not None:
                run.abort_fit(exc)
            else:
                run.abort_fit(error=f"trainer.fit() ended with status {status!r}")
            return
        self._commit()
        last, planned = self._last_epoch, trainer.max_epochs
        stopped = bool(trainer.should_stop) and last is not None and (planned is None or planned < 0
                                                                        or last < planned - 1)
        record = lightning_stop_record(trainer, self._fit_values, self._trainer_epochs,  # Lightning's own
                                       planned if planned and planned > 0 else None, self._trainer_epochs.get(last),
                                       earlier=self._earlier_values)  # read only when needed
        run.end_fit(stopped_at=last if stopped else None, framework_stop=record)

    def _earlier_values(self) -> dict[int, dict]:
        """The values of the run's epochs before this fit, by epoch (from the store): Lightning's
        callbacks may carry their state from them (a fit resumed with ``ckpt_path``, a callback reused)."""
        start = min(self._fit_values, default=None)
        if start is None or start == 0:
            return {}
        data = self.run.store.load(self.run.id)
        return {epoch: {k: float(v[i]) for k, v in data.history.items() if math.isfinite(v[i])}
                for i, epoch in enumerate(data.epochs.tolist()) if epoch < start}

    def save(self) -> None:
        """Nothing to do: epochs are durable when they end, steps are queued to the store's writer."""

    # -- the fit ----------------------------------------------------------------------------------
    def _validate(self) -> None:
        if self._name is not None and not isinstance(self._name, str):
            raise TypeError(f"fitwatch.lightning.Logger: name must be a string or None, got {self._name!r}")
        if self.config is not None and not isinstance(self.config, dict):
            raise TypeError(f"fitwatch.lightning.Logger: config must be a dict, got {type(self.config).__name__}; "
                            f"e.g. config={{'batch_size': 32}}")
        for flag in ("resume", "record_steps"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"fitwatch.lightning.Logger: {flag} must be True or False, got {getattr(self, flag)!r}")
        if self.diagnose not in (True, False, "quiet"):
            raise ValueError(f"fitwatch.lightning.Logger: diagnose must be True, False or 'quiet', "
                             f"got {self.diagnose!r}")

    def _config(self) -> dict:
        return {**self._hparams, **(self.config or {})}

    def _begin(self, trainer, module) -> None:
        """A fit begins: the run (created, or going on), the stop callback's keeper, Run.begin_fit."""
        config, info = _describe(trainer, module)
        config.update(self._config())
        if self.run is None:
            self.experiment  # noqa: B018 - creates the run
        run = self.run
        if self._fresh:  # created when Lightning set this fit up
            run.config.update(config)
            run.info.update(info)
            run.store.update_run(run.id, config=run.config, info=run.info)
        else:  # a later fit with the same logger: the same run goes on
            run = self.run = run.resume(config, info)
        self._fresh = False
        stop = next((cb for cb in trainer.callbacks if isinstance(cb, EarlyStopping) and cb.keeper is not None), None)
        if stop is not None:
            stop.recorder = self
        if not any(cb is self._follower for cb in trainer.callbacks):
            # called from now on, and first: an epoch begins before another callback logs in it (LearningRateMonitor
            # logs the new epoch's rate in on_train_epoch_start: after it, an eighth trial's rates were each stored
            # an epoch early, epoch 0's lost)
            trainer.callbacks.insert(0, self._follower)
        self._trainer = trainer
        self._reset_epoch(None)
        self._step_offset = {}
        self._next_step = {split: last + 1 for split, last in run.store.last_steps(run.id).items()}
        self._last_epoch = None
        self._fit_values, self._trainer_epochs = {}, {}  # this fit's epochs: for Lightning's EarlyStopping's record
        planned = trainer.max_epochs if trainer.max_epochs is not None and trainer.max_epochs > 0 else None
        run.begin_fit(planned, keeper=None if stop is None else stop.keeper,
                      resume_stop=self.resume and not (stop is not None and stop.loaded_state), owner=self,
                      still_running=self._still_running, on_abort=self._flush, call="trainer.fit()")

    def _still_running(self) -> bool:
        """For fitwatch's lifecycle: is the fit this logger records still running (not interrupted)?"""
        return self._trainer is not None and self._trainer.state.status == "running"

    # -- epochs (the follower's hooks) --------------------------------------------------------------
    def _reset_epoch(self, stored: int | None) -> None:
        self._stored = stored  # the stored number of the epoch in progress
        self._ending = False  # its on_train_epoch_end has run: training values now are epoch values
        self._epoch_values: dict[str, float] = {}
        self._step_means: dict[str, list] = {}  # key -> [sum, count] of the epoch's step values
        self._steps: dict[tuple, tuple[list, list]] = {}  # (split, metric, epoch) -> (steps, values) to queue
        self._queued_at = time.monotonic()

    def _epoch_begins(self, trainer) -> None:
        if trainer is not self._trainer or not self.run.fitting:
            return
        self._commit()
        self._reset_epoch(self.run.begin_epoch(trainer.current_epoch))
        self._trainer_epochs[trainer.current_epoch] = self._stored

    def _epoch_ends(self, trainer) -> None:
        if trainer is self._trainer and self._stored is not None:
            self._ending = True
            self._last_epoch = trainer.current_epoch
            done = getattr(getattr(getattr(trainer.fit_loop, "epoch_loop", None), "batch_progress", None), "current", None)
            total = trainer.num_training_batches
            if getattr(done, "completed", None) is not None and isinstance(total, int) and 0 < done.completed < total:
                # max_steps (or max_time) ended this epoch after part of its batches: its means are of those
                self.run.info.update(partial_epoch=self._stored, partial_reason=(
                    f"max_steps={trainer.max_steps}" if 0 < trainer.max_steps <= trainer.global_step + 1
                    else "the trainer's limit"), partial_batches=f"{done.completed} of {total}")

    def epoch_so_far(self) -> dict[str, float]:
        """The values of the epoch in progress recorded so far (Keras-style keys): its epoch values, and
        the mean of the logged steps of each metric logged per step only."""
        means = {k: s / n for k, (s, n) in self._step_means.items() if n}
        return {**means, **self._epoch_values}

    def _commit(self) -> None:
        """Store the epoch in progress (its values, its steps) and leave it."""
        if self._stored is None:
            return
        values = self.epoch_so_far()
        self._queue_steps()
        if values:
            self.run.log_epoch(values, epoch=self._stored)
            self._fit_values[self._stored] = values
        self._reset_epoch(None)

    def _flush(self) -> dict | None:
        """``trainer.fit`` raised (``Run.abort_fit``): an epoch that had ended is stored whole; one in
        progress is returned, its values so far kept as the interrupted epoch's."""
        if self._stored is None:
            return None
        if self._ending:
            self._commit()
            return None
        values = self.epoch_so_far()
        self._queue_steps()
        self._reset_epoch(None)
        return values

    # -- steps ----------------------------------------------------------------------------------------
    def _add_step(self, key: str, step: int, value: float) -> None:
        sums = self._step_means.setdefault(key, [0.0, 0])
        sums[0] += value
        sums[1] += 1
        if not self.record_steps:
            return
        split, metric = split_key(key)
        # a later fit's trainer counts from 0 again: its steps follow the stored ones
        offset = self._step_offset.setdefault(split, max(0, self._next_step.get(split, 0) - step))
        stored = step + offset
        self._next_step[split] = max(self._next_step.get(split, 0), stored + 1)
        steps, values = self._steps.setdefault((split, metric, self._stored), ([], []))
        steps.append(stored)
        values.append(value)
        if time.monotonic() - self._queued_at > _QUEUE_EVERY_S:
            self._queue_steps()

    def _queue_steps(self) -> None:
        chunks = [(split, metric, epoch, steps, values, [1] * len(steps))
                  for (split, metric, epoch), (steps, values) in self._steps.items()]
        self._steps = {}
        self._queued_at = time.monotonic()
        if chunks:
            self.run.store.queue_steps(chunks, self.run.id)

    def _warn_once(self, what: str, message: str) -> None:
        if what not in self._warned:
            self._warned.add(what)
            warnings.warn(message, stacklevel=3)

    def __repr__(self) -> str:
        return f"fitwatch.lightning.Logger(name={self.name!r}, run={self.run!r})"


class _Follower(pl.Callback):
    """The logger's eyes on the fit it records: where each epoch begins and ends (added to the
    trainer's callbacks by :meth:`Logger.log_graph`)."""

    def __init__(self, logger: Logger):
        self.logger = logger

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self.logger._epoch_begins(trainer)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self.logger._epoch_ends(trainer)


def _describe(trainer, module) -> tuple[dict, dict]:
    """The run's automatic config and info: cheap facts about the fit, the optimizer and the model, and
    the regularisation it uses (:func:`fitwatch.probes.regularisation.torch_regularisation`)."""
    config: dict = {}
    if trainer.max_epochs is not None and trainer.max_epochs > 0:
        config["max_epochs"] = trainer.max_epochs
    if isinstance(trainer.max_steps, int) and trainer.max_steps > 0:
        config["max_steps"] = trainer.max_steps
    optimizers = getattr(trainer, "optimizers", None) or []
    if optimizers:
        config["optimizer"] = type(optimizers[0]).__name__
        try:
            group = optimizers[0].param_groups[0]
            # under a scheduler, its peak or base rate, not its first step's (a warm-up's 1/3; OneCycleLR's max_lr,
            # CyclicLR's max_lrs: it starts the group at its base_lr); without one, the rate as set (a stale
            # initial_lr from an earlier fit's scheduler is not it)
            configs = getattr(trainer, "lr_scheduler_configs", None) or []
            peaks = getattr(getattr(configs[0], "scheduler", None), "max_lrs", None) if configs else None
            config["learning_rate"] = float(peaks[0] if peaks else group.get("max_lr") or group.get("initial_lr")
                                            or group["lr"] if configs else group["lr"])
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            pass
    # the regularisation it already uses (dropout modules, weight decay, gradient_clip_val): not prescribed again
    config.update(torch_regularisation(module, optimizers, getattr(trainer, "gradient_clip_val", None)))
    params = list(module.parameters())
    info = {
        "framework": "lightning",
        "lightning_version": pl.__version__,
        "batch_values": "lightning step values (every log_every_n_steps steps)",
        "model_name": type(module).__name__,
        "params": int(sum(p.numel() for p in params)),
        "trainable_params": int(sum(p.numel() for p in params if p.requires_grad)),
        "fit_params": {k: v for k in ("max_epochs", "max_steps", "log_every_n_steps", "check_val_every_n_epoch",
                                      "val_check_interval", "accumulate_grad_batches", "num_sanity_val_steps",
                                      "world_size", "precision")
                       if isinstance(v := getattr(trainer, k, None), (int, float, str, bool, type(None)))},
    }
    return config, info
