"""PyTorch Lightning, part two: :class:`EarlyStopping`, a callback that stops ``trainer.fit`` with
:class:`fitwatch.EarlyStopping` and keeps the best weights, and how Lightning's metric names map
onto fitwatch's Keras-style keys (:func:`fitwatch_key`), which the logger shares.

``fitwatch.lightning`` (:mod:`fitwatch.integrations.lightning`) re-exports the callback; these two
modules are the only ones in fitwatch that import Lightning.
"""

from __future__ import annotations

import functools
import inspect
import math
import re
from collections.abc import Callable

try:
    import lightning.pytorch as pl
except ModuleNotFoundError as e:  # pragma: no cover - lightning is installed in tests
    if (e.name or "").split(".")[0] == "lightning":
        raise ImportError("fitwatch.lightning needs PyTorch Lightning 2: pip install 'lightning>=2.0'") from e
    raise

if int(pl.__version__.split(".")[0]) < 2:  # pragma: no cover - lightning 1.x is not installed in tests
    raise ImportError(f"fitwatch.lightning needs Lightning 2, found {pl.__version__}: pip install -U 'lightning>=2.0'")

from fitwatch.core.names import split_key
from fitwatch.diagnosis.curves import canonical_name
from fitwatch.stopping.keeper import BestKeeper, framework_stop
from fitwatch.stopping.rule import EarlyStopping as _Rule

__all__ = ["EarlyStopping", "fitwatch_key", "split_suffix", "epoch_logs", "RESERVED", "lightning_stop_record"]

#: keys that Lightning adds to what it hands a logger, not metrics: the epoch and the step
RESERVED = frozenset({"epoch", "step"})
#: ``train_loss_step``, ``val_acc_epoch/dataloader_idx_1``: a metric logged with on_step and on_epoch
_SUFFIX = re.compile(r"(.+?)_(step|epoch)((?:/dataloader_idx_\d+)?)")
#: the arguments of fitwatch.EarlyStopping, which this callback also takes as keywords
_RULE_ARGS = tuple(p for p in inspect.signature(_Rule).parameters)


def split_suffix(name: str) -> tuple[str, str | None]:
    """Lightning's name without the ``_step``/``_epoch`` ending it adds when a metric is logged with
    both ``on_step`` and ``on_epoch``, and that ending (None when there is none).

    Example:
        >>> split_suffix("train_loss_step"), split_suffix("val_acc_epoch/dataloader_idx_1"), split_suffix("val_loss")
        (('train_loss', 'step'), ('val_acc/dataloader_idx_1', 'epoch'), ('val_loss', None))
    """
    m = _SUFFIX.fullmatch(name)
    return (m.group(1) + m.group(3), m.group(2)) if m else (name, None)


@functools.lru_cache(maxsize=4096)  # called for every value Lightning logs
def fitwatch_key(name: str) -> str:
    """A Lightning metric name (its ``_step``/``_epoch`` ending removed) as fitwatch's Keras-style key:
    :func:`fitwatch.diagnosis.curves.canonical_name` (``train_loss`` -> ``loss``, ``val_acc`` ->
    ``val_accuracy``, ``valid/loss`` -> ``val_loss``), except that ``test_`` names stay the ``test`` split.

    Example:
        >>> [fitwatch_key(n) for n in ("train_loss", "loss", "val_loss", "val_acc", "train/acc", "test_acc", "lr-Adam")]
        ['loss', 'loss', 'val_loss', 'val_accuracy', 'accuracy', 'test_accuracy', 'lr_adam']
    """
    key = canonical_name(name) or name
    head = re.split(r"[\s_/.\-]", name.strip(), maxsplit=1)[0].lower()
    if head == "test" and key.startswith("val_"):
        key = "test_" + key[4:]
    return key


def epoch_logs(callback_metrics: dict, validated: bool, recorded: dict | None = None) -> dict[str, float]:
    """The values of the epoch that just ended, as the stop rule gets them (Keras-style keys).

    From ``trainer.callback_metrics``: ``*_epoch`` values (exact epoch means) win; plain names come
    next, under what a logger recorded this epoch (``recorded``: a per-step metric's mean of the
    epoch's steps, where ``callback_metrics`` holds its last step); ``*_step`` values are left out.
    Validation values count only when validation ran this epoch (``validated``): ``callback_metrics``
    keeps the last ones it had.

    Example:
        >>> epoch_logs({"train_loss_step": 0.9, "train_loss_epoch": 0.6, "val_loss": 0.7, "epoch": 3}, True)
        {'val_loss': 0.7, 'loss': 0.6}
        >>> epoch_logs({"train_loss": 0.9, "val_loss": 0.7}, validated=False, recorded={"loss": 0.65})
        {'loss': 0.65}
    """
    exact: dict[str, float] = {}
    plain: dict[str, float] = {}
    for name, value in callback_metrics.items():
        base, ending = split_suffix(str(name))
        if ending == "step" or base in RESERVED:
            continue
        key = fitwatch_key(base)
        if not validated and split_key(key)[0] == "val":
            continue
        try:
            (exact if ending == "epoch" else plain)[key] = float(value)
        except (TypeError, ValueError, RuntimeError):  # not a scalar: not for a stop rule
            continue
    return {**plain, **(recorded or {}), **exact}


def _rule_attribute(name: str) -> property:
    """A read-only attribute of the callback that is its rule's (``stopper.<name>``)."""
    return property(lambda self: getattr(self.stopper, name), doc=f"The rule's ``{name}``.")


class EarlyStopping(pl.callbacks.EarlyStopping):
    """Stop ``trainer.fit`` with :class:`fitwatch.EarlyStopping` and keep the best weights.

    At the end of every training epoch, that epoch's training and validation values go to the
    rule together; when it says stop, ``trainer.should_stop`` is set, and Lightning ends the fit
    after this epoch. The model's weights are copied at every new best epoch (a CPU copy of its
    ``state_dict``) and put back when training ends, stopped or not (not when it raised).

    The decision is made in ``on_train_epoch_end``, which Lightning 2 calls after the epoch's
    validation (``on_validation_epoch_end`` is too early: the training epoch values there are still
    the previous epoch's). The class derives from Lightning's own ``EarlyStopping`` only because
    Lightning calls a "monitoring" callback's ``on_train_epoch_end`` *after*
    ``LightningModule.on_train_epoch_end``, so values logged there count too; none of Lightning's
    rule is used. In a fit that validates every few epochs (``check_val_every_n_epoch``), an epoch
    without validation is not judged (Lightning's patience counts validation checks too).

    With :class:`fitwatch.lightning.Logger` recording the same fit, the stop, its reason and the
    best epoch are stored with the run (``info["early_stopping"]``, shown by ``fitwatch show`` and
    read by the diagnosis), and the rule sees the values the run stores. Alone, it works the same
    and records nothing. In distributed training every process judges rank 0's values (log with
    ``sync_dist=True`` for averages over all ranks), so all ranks stop at, and restore, the same epoch.

    Args:
        stop: the rule, a :class:`fitwatch.EarlyStopping`; or leave it out and give the rule's
            arguments as keywords (``monitor=``, ``patience=``, ``criterion=``...). Defaults to
            `None`: ``fitwatch.EarlyStopping()`` on ``val_loss`` (the fitwatch criterion).
        restore: copy the weights at every new best epoch and put them back at the end of the fit.
            Defaults to `True`.
        checkpoint: also write the best weights to this file at every new best (``torch.save`` of
            the ``state_dict``, atomically). Defaults to `None`.
        **rule: the arguments of :class:`fitwatch.EarlyStopping`, when ``stop`` is not given.

    The parameters are only stored here; they are checked when ``trainer.fit`` begins. The rule is
    reset at every fit, unless Lightning restores this callback's state from a checkpoint
    (``trainer.fit(ckpt_path=...)``): then it goes on with its patience where it was.

    Attributes:
        stopper: the :class:`fitwatch.EarlyStopping` deciding.
        best_epoch, best_value, stopped_epoch, reason: the stopper's (``stopped_epoch`` is None
            when training was not stopped; Lightning epochs, 0-based).
        restored: whether the best weights were put back at the end of the last fit.
        recorder: the :class:`fitwatch.lightning.Logger` storing the stop with its run in the
            current fit (set by it), or None.

    Example:

    >>> import torch, lightning.pytorch as pl, fitwatch
    >>> class Net(pl.LightningModule):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.layer = torch.nn.Linear(4, 1)
    ...     def training_step(self, batch, batch_idx):
    ...         return torch.nn.functional.mse_loss(self.layer(batch[0]), batch[1])
    ...     def validation_step(self, batch, batch_idx):
    ...         self.log("val_loss", [0.5, 0.4, 0.45, 0.5, 0.6, 0.7][self.current_epoch])
    ...     def configure_optimizers(self):
    ...         return torch.optim.SGD(self.parameters(), lr=0.1)
    >>> data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.rand(8, 4), torch.rand(8, 1)))
    >>> stop = fitwatch.lightning.EarlyStopping(patience=2)
    >>> trainer = pl.Trainer(max_epochs=6, callbacks=[stop], logger=False, enable_checkpointing=False,
    ...                      enable_progress_bar=False, enable_model_summary=False)
    >>> trainer.fit(Net(), data, data)
    >>> stop.best_epoch, stop.stopped_epoch, stop.restored, trainer.current_epoch
    (1, 3, True, 4)
    """

    def __init__(self, stop=None, *, restore=True, checkpoint=None, **rule):
        # Lightning's __init__ is not called: its rule's state is no part of this callback
        self.stop = stop
        self.rule = rule
        self.restore = restore
        self.checkpoint = checkpoint
        self.recorder = None
        self.loaded_state = False  # Lightning restored the rule's state from a checkpoint (this fit)
        self._stopper = None
        self._keeper: BestKeeper | None = None
        self._validated_epoch = None  # the last epoch that ran validation (not the sanity check)

    # -- parameters: checked when the fit begins ------------------------------------------------
    @property
    def stopper(self):
        """The :class:`fitwatch.EarlyStopping` deciding (``stop``, or made from the keywords)."""
        if self._stopper is None:
            self._stopper = self.stop if self.stop is not None else _Rule(**self._rule_args())
        return self._stopper

    def _rule_args(self) -> dict:
        unknown = sorted(set(self.rule) - set(_RULE_ARGS))
        if unknown:
            raise TypeError(f"fitwatch.lightning.EarlyStopping: unknown argument {unknown[0]!r}; the rule takes "
                            f"{', '.join(_RULE_ARGS)}")
        return self.rule

    def _validate(self) -> None:
        if self.stop is not None and self.rule:
            raise TypeError(f"fitwatch.lightning.EarlyStopping: give stop=fitwatch.EarlyStopping(...) or the rule's "
                            f"arguments ({', '.join(sorted(self.rule))}=...), not both")
        if not isinstance(self.restore, bool):
            raise TypeError(f"fitwatch.lightning.EarlyStopping: restore must be True or False, got {self.restore!r}")
        if self.stop is not None and isinstance(self.stop, pl.Callback):
            raise TypeError(f"fitwatch.lightning.EarlyStopping: stop takes a fitwatch.EarlyStopping, got Lightning's "
                            f"{type(self.stop).__name__}; e.g. stop=fitwatch.EarlyStopping(patience=5)")
        stopper = self.stopper
        monitor = getattr(stopper, "monitor", None)
        if isinstance(monitor, str) and fitwatch_key(monitor) != monitor:  # a Lightning name: val_acc -> val_accuracy
            stopper.monitor = fitwatch_key(monitor)
        if callable(getattr(stopper, "state_dict", None)) and callable(getattr(stopper, "reset", None)):
            stopper.reset()
            stopper.state_dict()  # checks the rule's own arguments now, not at the end of the first epoch
            stopper.reset()

    # -- Lightning's hooks --------------------------------------------------------------------------
    def setup(self, trainer, pl_module, stage) -> None:
        if stage != "fit":
            return
        self._validate()
        self.recorder = None
        self.loaded_state = False
        self._validated_epoch = None
        self._keeper = BestKeeper(self.stopper, pl_module, self.checkpoint, restore=self.restore,
                                  where="fitwatch.lightning.EarlyStopping", max_epochs=trainer.max_epochs)

    def on_validation_end(self, trainer, pl_module) -> None:
        if not trainer.sanity_checking:
            self._validated_epoch = trainer.current_epoch

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if self._keeper is None or trainer.sanity_checking or trainer.state.fn != "fit":
            return
        epoch = trainer.current_epoch
        recorder = self.recorder
        recorded = recorder.epoch_so_far() if recorder is not None else None
        logs = epoch_logs(trainer.callback_metrics, self._validated_epoch == epoch, recorded)
        logs = trainer.strategy.broadcast(logs, src=0)  # every rank judges the same numbers
        monitor = str(getattr(self.stopper, "monitor", ""))
        if monitor.startswith("val_") and not any(k.startswith("val_") for k in logs):
            return  # no validation this epoch: nothing to judge
        run = recorder.run if recorder is not None else None
        if run is not None and run.fitting:
            stop = run.check_stop(logs)  # the run feeds the keeper, and stores the stop at once
        else:
            stop = self._keeper.epoch_end(epoch, logs)
        if trainer.strategy.reduce_boolean_decision(bool(stop), all=False):
            trainer.should_stop = True

    def on_train_start(self, trainer, pl_module) -> None:
        if self.loaded_state and self._keeper is not None:
            self._keeper.resumed_at = trainer.current_epoch  # for the record: the first epoch after the restart
        if self._keeper is not None and not (trainer.max_epochs or 0) > 0 and (trainer.max_steps or 0) > 0:
            # max_steps alone: the epochs it makes are the rule's plan (the batches are known from now on)
            per_epoch = trainer.num_training_batches / max(1, trainer.accumulate_grad_batches)
            if math.isfinite(per_epoch) and per_epoch > 0:
                self.stopper.plan(math.ceil(trainer.max_steps / per_epoch))

    def on_train_end(self, trainer, pl_module) -> None:
        if self._keeper is not None:
            self._keeper.finish()  # the best weights back (a recording run stores that they were)

    @property
    def state_key(self) -> str:
        monitor = getattr(self.stop, "monitor", None) or self.rule.get("monitor", "val_loss")
        return self._generate_state_key(monitor=monitor, rule="fitwatch")

    def state_dict(self) -> dict:
        """The rule's state, saved in Lightning's checkpoints (JSON-able)."""
        return (self._keeper.state_dict() or {}) if self._keeper is not None else {}

    def load_state_dict(self, state_dict: dict) -> None:
        """Go on from a checkpoint's state (``trainer.fit(ckpt_path=...)``): the rule keeps its best
        and its patience; the best weights come back only from ``checkpoint=``."""
        if state_dict and self._keeper is not None:
            self._keeper.resume(state_dict)
            self.loaded_state = True

    # -- the outcome -----------------------------------------------------------------------------------
    @property
    def keeper(self) -> BestKeeper | None:
        """The :class:`fitwatch.stopping.BestKeeper` of the current (or last) fit."""
        return self._keeper

    best_epoch = _rule_attribute("best_epoch")
    best_value = _rule_attribute("best_value")
    stopped_epoch = _rule_attribute("stopped_epoch")
    reason = _rule_attribute("reason")
    monitor = _rule_attribute("monitor")
    patience = _rule_attribute("patience")
    wait_count = _rule_attribute("wait")  # Lightning's name for it

    @property
    def mode(self) -> str:
        return self.stopper.to_dict()["mode"]

    @property
    def restored(self) -> bool:
        return self._keeper is not None and self._keeper.restored

    def to_dict(self) -> dict:
        """The rule's outcome with ``stopped``, ``restored``, ``restored_epoch``, ``checkpoint``."""
        return self._keeper.info() if self._keeper is not None else self.stopper.to_dict()

    def __repr__(self) -> str:
        stop = repr(self.stop) if self.stop is not None else ", ".join(f"{k}={v!r}" for k, v in self.rule.items())
        return f"fitwatch.lightning.EarlyStopping({stop}, restore={self.restore})"


def lightning_stop_record(trainer, values: dict[int, dict], trainer_epochs: dict[int, int],
                          planned: int | None, last: int | None,
                          earlier: Callable[[], dict[int, dict]] | None = None) -> dict | None:
    """The stop record of Lightning's own ``EarlyStopping`` in ``trainer`` (not fitwatch's, which records
    itself) after ``trainer.fit``: where it stopped and why, its best epoch and, when a ``ModelCheckpoint``
    watched the same metric, its file and the epoch whose weights it holds. Lightning's callback restores
    nothing: the model ends with the last epoch's weights (``restored`` False). None when there is no
    such callback, or it never saw its monitor and did not stop the fit (one that stopped it on a metric
    the run did not record, ``logger=False``, is recorded with no best: ``"unrecorded"``).

    The best is this fit's best value, not ``best_score`` (which is left behind on the epoch a
    ``stopping_threshold`` fires and lags ``min_delta``), unless ``best_score`` is better than every
    value of this fit: then its state came from ``earlier`` epochs (a fit resumed with ``ckpt_path``, a
    callback reused in another fit), and the best is the latest of them with that value.

    Args:
        values: the run's epoch -> the values stored for it in this fit.
        trainer_epochs: Lightning's epoch -> the run's, this fit's.
        planned: Lightning's ``max_epochs`` (None: no limit); recorded in the run's numbers.
        last: the run's last epoch.
        earlier: gives the run's epoch -> its values, for the run's epochs before this fit: called only
            when the callbacks' state may come from them (it reads the store).
    """
    stops = [cb for cb in trainer.callbacks
             if isinstance(cb, pl.callbacks.EarlyStopping) and not isinstance(cb, EarlyStopping)]
    last_trainer_epoch = max(trainer_epochs, default=None)
    # a callback reused from an earlier fit keeps that fit's stopping_reason and stopped_epoch: fired in this
    # one, it stopped the trainer at this fit's last epoch
    fired = [cb for cb in stops if _fired(cb) and bool(trainer.should_stop)
             and int(getattr(cb, "stopped_epoch", -1) or 0) == last_trainer_epoch]
    if not stops:
        return None
    cb = (fired or stops)[0]
    key = fitwatch_key(split_suffix(cb.monitor)[0])
    seen = _values_of(values, key)
    before = functools.cache(lambda: _values_of(earlier() if earlier else {}, key))  # read when needed
    if not seen and not fired:
        return None
    stopped = bool(fired) and not (planned and int(cb.stopped_epoch) >= planned - 1)  # the last epoch ends anyway
    more = {}
    if seen:
        best_epoch, best = _best(seen, before, cb.mode, getattr(cb, "best_score", None))
        keep = next((c for c in trainer.callbacks if isinstance(c, pl.callbacks.ModelCheckpoint)
                     and c.monitor == cb.monitor and c.best_model_path), None)
        if keep is not None:  # the epoch whose value its file was kept for (None: not found)
            at = _epoch_of(keep.best_model_score, seen)
            more.update(checkpoint=keep.best_model_path, checkpoint_epoch=at if at is not None else
                        _epoch_of(keep.best_model_score, before(), latest=True))
    else:  # it stopped the fit on a metric the run did not record
        best_epoch = best = None
        more["unrecorded"] = True
    said = getattr(cb, "stopping_reason_message", None)  # "Monitored metric ... Best score: 0.5. Signaling Trainer to stop."
    reason = (re.split(r"\s+(?:Best score:|Previous best value|Signaling Trainer)", said)[0].rstrip(". ") if said
              else f"{cb.monitor} did not improve for {cb.patience} checks")
    return framework_stop(
        criterion=f"lightning EarlyStopping(patience={cb.patience})", monitor=key, mode=cb.mode,
        best_epoch=best_epoch, best_value=best, stopped=stopped,
        stopped_epoch=trainer_epochs.get(int(cb.stopped_epoch), last), reason=reason, restored=False,
        last_epoch=last, planned=planned, epochs=trainer_epochs,
        source="lightning", patience=int(cb.patience), min_delta=float(abs(cb.min_delta)), **more)


def _values_of(values: dict[int, dict], key: str) -> list[tuple[int, float]]:
    """``(epoch, value)`` of ``key``, in epoch order, where it is a finite number."""
    return [(epoch, float(v[key])) for epoch, v in sorted(values.items())
            if isinstance(v.get(key), (int, float)) and math.isfinite(v[key])]


def _best(seen: list, before: Callable[[], list], mode: str, score) -> tuple[int, float]:
    """The best ``(epoch, value)``: this fit's (``seen``), or the latest of the epochs ``before()`` gives
    whose value is the callback's ``score`` when that is better than all of this fit's (its state came
    from them)."""
    best_epoch, best = (min if mode == "min" else max)(seen, key=lambda ev: ev[1])
    try:
        score = float(score)
    except (TypeError, ValueError, RuntimeError):
        return best_epoch, best
    better = score < best if mode == "min" else score > best
    if math.isfinite(score) and better and not math.isclose(score, best, rel_tol=1e-5, abs_tol=1e-12):
        at = _epoch_of(score, before(), latest=True)
        if at is not None:
            return at, dict(before())[at]
    return best_epoch, best


def _epoch_of(score, seen: list[tuple[int, float]], latest: bool = False) -> int | None:
    """The epoch in ``seen`` ((epoch, value) pairs) whose value is ``score`` (a tensor, stored as float32
    or not): the first (ModelCheckpoint keeps the first of tied values, a strict improvement), or the
    ``latest``; None when none is."""
    try:
        score = float(score)
    except (TypeError, ValueError, RuntimeError):
        return None
    near = [epoch for epoch, v in seen if math.isclose(v, score, rel_tol=1e-5, abs_tol=1e-12)]
    return (near[-1] if latest else near[0]) if near else None


def _fired(cb) -> bool:
    """Whether Lightning's ``EarlyStopping`` ``cb`` stopped the fit (its ``stopping_reason``, Lightning
    2.5 and later; else a ``stopped_epoch`` past 0)."""
    reason = getattr(cb, "stopping_reason", None)
    if reason is not None:
        return str(getattr(reason, "name", reason)) != "NOT_STOPPED"
    return int(getattr(cb, "stopped_epoch", 0) or 0) > 0
