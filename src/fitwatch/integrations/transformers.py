"""Hugging Face ``Trainer`` integration: a callback that records ``trainer.train()`` into a fitwatch
run, and stops it early with :class:`fitwatch.EarlyStopping`, restoring the best weights.

This is the only fitwatch module that imports transformers; ``fitwatch.transformers`` is this
module. What the Trainer's rows become is :mod:`fitwatch.integrations.transformers_logs`'s
(framework-free); docs/transformers.md tells the whole story.
"""

from __future__ import annotations

import math
import os
import sys
import time

try:
    import transformers
except ModuleNotFoundError as e:
    if e.name != "transformers":
        raise
    raise ImportError("fitwatch.transformers needs Hugging Face transformers: "
                      "pip install 'transformers>=4.40' 'accelerate>=0.26'") from e

from fitwatch.integrations.transformers_logs import EpochRows, describe, number, step_values, trainer_stop_record
from fitwatch.record.lifecycle import end_interrupted_fits
from fitwatch.record.run import Run
from fitwatch.stopping.keeper import BestKeeper

__all__ = ["Callback"]

_WHERE = "fitwatch.transformers.Callback"
_FLUSH_EVERY_S = 1.0  # step values reach the store at least this often during a long epoch


class Callback(transformers.TrainerCallback):
    """Record a Hugging Face ``trainer.train()`` into a fitwatch run: its logged steps, its epochs,
    its evaluations, its outcome; optionally stop it early and restore the best weights.

    Every row the Trainer logs (``trainer.state.log_history``) is stored as step values at the
    Trainer's global step: the training ``loss`` (the Trainer's mean over the steps since the row
    before), ``grad_norm`` and the learning rate as ``lr`` in split ``train``; every evaluation's
    ``eval_*`` values in split ``val`` (``eval_loss`` is ``val_loss``, ``eval_accuracy``
    ``val_accuracy``), timings left out. Each epoch is one row of the run holding, together, the
    mean of its training rows' ``loss`` and ``grad_norm``, its last ``lr``, and its last
    evaluation's ``val_*`` values: what fitwatch reads from the ``trainer_state.json`` of the same
    training. With ``eval_strategy="epoch"`` that is the evaluation at the epoch's end; with
    ``"steps"``, the last evaluation made during the epoch (all of them are step values); with
    ``"no"``, the epochs hold training values only. The epochs are numbered from 0, as Keras counts
    (the Trainer's ``epoch`` 1.0 ends epoch 0).

    ``stop`` decides when an epoch's values are known, training and evaluation together (after the
    evaluation at the epoch's end), and sets ``control.should_training_stop``; with ``restore``,
    the best epoch's weights are copied when it happens (on the CPU) and put back into the model
    when training ends, stopped or not. Unlike ``load_best_model_at_end``, this needs no checkpoint
    on disk and is judged by the rule's own best epoch. The stop, its reason and the best epoch are
    stored with the run (``info["early_stopping"]``, shown by ``fitwatch show``, read by the
    diagnosis). The rule runs in every process, so that all stop together; only the main process
    (``state.is_world_process_zero``) writes.

    When ``train()`` returns the run is ``finished``, or ``stopped`` (``info["stopped_epoch"]``)
    when something ended it before its last step (``stop``, or ``transformers.EarlyStoppingCallback``).
    When ``train()`` raises the Trainer calls no callback; the run is still marked ``failed``: by
    the exception hook when the exception ends the script, else when this callback trains again,
    else when another fit begins, else at exit. In a notebook, ``with Callback(...) as callback:``
    around ``train()`` marks it failed at once. A later ``train()`` with the same callback goes on
    in the same run, its epochs after the stored ones.

    The run's config holds the hyperparameters (learning rate, batch sizes, scheduler, optimizer,
    seed, epochs, the model's class and type), updated with ``config`` (whose values win); its info
    every TrainingArgument, the Trainer's plan, the versions, the model's parameter counts and its
    config when small (up to 64 KB of JSON), and the summary of ``train()`` (``train_summary``).

    Args:
        name: the run's name (``fitwatch show NAME`` opens it). Defaults to
            ``run-YYYYmmdd-HHMMSS``, chosen when training begins.
        config: hyperparameters to store with the run (a dict of JSON-serialisable values).
            Defaults to `None`.
        dir: the store's folder. Defaults to `$FITWATCH_DIR`, else `./fitwatch`.
        stop: a :class:`fitwatch.EarlyStopping` fed every epoch's values (its ``monitor`` in
            fitwatch's names: ``val_loss``, ``val_accuracy``...). It is reset when each ``train()``
            begins, unless ``resume``. Defaults to `None`.
        restore: with ``stop`` (or ``checkpoint``), keep the best epoch's weights and put them back
            when training ends. Defaults to `True`.
        checkpoint: with ``stop``, also write the best weights to this file at every new best
            (``torch.save`` of the ``state_dict``, atomically). Given without ``stop``, the best
            ``val_loss`` epoch is kept and training is not stopped. Defaults to `None`.
        diagnose: at the end of training, diagnose the curves, store the diagnosis with the run
            and print it (``"quiet"``: store only; `False`: neither). Defaults to `True`.
        resume: continue the latest run of this name instead of starting a new one (with
            ``trainer.train(resume_from_checkpoint=...)``); ``stop`` goes on from its stored state.
            Defaults to `False`.
        progress: show fitwatch's epoch progress bar. Defaults to `False`.

    The parameters are only stored here; they are checked, and the run is created, when training
    begins.

    Attributes:
        run: the :class:`fitwatch.Run` being recorded into (`None` before training, and in any
            process but the main one).

    Example:

    >>> import tempfile, torch, transformers, fitwatch
    >>> class Regressor(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.linear = torch.nn.Linear(4, 1)
    ...     def forward(self, x, labels=None):
    ...         out = self.linear(x).squeeze(-1)
    ...         return {"loss": torch.nn.functional.mse_loss(out, labels), "logits": out}
    >>> _ = torch.manual_seed(0)
    >>> x = torch.randn(64, 4)
    >>> data = [{"x": x[i], "labels": x[i].sum()} for i in range(64)]
    >>> store = tempfile.mkdtemp()
    >>> args = transformers.TrainingArguments(
    ...     output_dir=store, num_train_epochs=3, per_device_train_batch_size=16, logging_steps=2,
    ...     eval_strategy="epoch", learning_rate=0.05, save_strategy="no", report_to=[],
    ...     use_cpu=True, disable_tqdm=True)
    >>> callback = fitwatch.transformers.Callback("doc-hf", dir=store, diagnose=False,
    ...                                           stop=fitwatch.EarlyStopping(patience=2))
    >>> trainer = transformers.Trainer(model=Regressor(), args=args, train_dataset=data[:48],
    ...                                eval_dataset=data[48:], callbacks=[callback])
    >>> _ = trainer.train()                  # the Trainer prints the rows it logs
    {'loss': ...}
    >>> run = fitwatch.load("doc-hf", dir=store)
    >>> run.status, run.epochs.tolist()
    ('finished', [0, 1, 2])
    >>> evaluations = [r["eval_loss"] for r in trainer.state.log_history if "eval_loss" in r]
    >>> run.history["val_loss"] == evaluations
    True
    >>> sorted(run.history)
    ['grad_norm', 'loss', 'lr', 'val_loss']
    """

    def __init__(self, name=None, config=None, *, dir=None, stop=None, restore=True, checkpoint=None,
                 diagnose=True, resume=False, progress=False):
        self.name, self.config, self.dir = name, config, dir
        self.stop, self.restore, self.checkpoint = stop, restore, checkpoint
        self.diagnose, self.resume, self.progress = diagnose, resume, progress
        self.run: Run | None = None
        self._reset()

    def _reset(self, keeper=None, following: bool = False) -> None:
        """A ``train()`` begins: nothing of an earlier one is left."""
        self._keeper = keeper  # the BestKeeper deciding in a process that does not write (else the run's)
        self._training = following  # this process follows a train() without writing
        self._rows: EpochRows | None = None  # the rows of the epoch in progress
        self._epoch: int | None = None  # its stored number (the Trainer's, in a process that does not write)
        self._trainer_epoch: int | None = None  # the Trainer's number of the latest epoch begun
        self._ended = False  # on_epoch_end came: the epoch's values are known after its end's log/evaluation
        self._judged = False  # the rule saw the epoch's values
        self._control = None  # the Trainer's TrainerControl
        self._steps: list[tuple] = []  # step values not yet handed to the store
        self._queued_at = time.monotonic()
        self._summary: dict | None = None  # the closing row of train()
        self._step_shift = 0  # stored step - the Trainer's global step
        self._epochs_of: dict[int, int] = {}  # the Trainer's epoch -> the run's (for the Trainer's own stop's record)

    @property
    def _following(self) -> bool:
        """Whether this process follows a ``train()``: the main one records it, the others decide only."""
        return self._training or (self.run is not None and self.run.fitting)

    # -- training begins ----------------------------------------------------------------------------
    def on_train_begin(self, args, state, control, model=None, optimizer=None, **kwargs):
        end_interrupted_fits(self)  # the runs of trainings that raised before this one, ours included
        self._validate(args)
        keeper = None
        if self.stop is not None or self.checkpoint is not None:  # checked before a run is created
            if self.stop is not None and not self.resume and callable(getattr(self.stop, "reset", None)):
                self.stop.reset()  # each train() starts afresh, as with the Trainer's EarlyStoppingCallback
            main = state.is_world_process_zero
            keeper = BestKeeper(self.stop, model, self.checkpoint if main else None, restore=self.restore, where=_WHERE,
                                max_epochs=math.ceil(state.num_train_epochs or 0))
        if not state.is_world_process_zero:  # decides and restores as the main process does, writes nothing
            self._reset(keeper, following=True)
            return
        self._reset()
        versions = {"transformers_version": transformers.__version__,
                    "torch_version": getattr(sys.modules.get("torch"), "__version__", None)}
        auto, info = describe(args, state, model, optimizer, versions)
        config = {**auto, **(self.config or {})}
        # a later train() with the same callback: the same run goes on
        self.run = (self.run.resume(config, info) if self.run is not None else
                    Run(self.name, config, dir=self.dir, resume=self.resume, info=info, diagnose=self.diagnose))
        # a later train() counts its steps from 0 again (from its checkpoint's step when resumed): they
        # follow the stored ones, as its epochs do
        stored = max(self.run.store.last_steps(self.run.id).values(), default=state.global_step)
        self._step_shift = max(0, stored - state.global_step)
        self.run.begin_fit(state.num_train_epochs or None, keeper=keeper, resume_stop=bool(self.resume), owner=self,
                           still_running=self._in_train, on_abort=self._abort, progress=self.progress,
                           call="trainer.train()")

    def _validate(self, args) -> None:
        if self.name is not None and not isinstance(self.name, str):
            raise TypeError(f"{_WHERE}: name must be a string or None, got {self.name!r}")
        if self.config is not None and not isinstance(self.config, dict):
            raise TypeError(f"{_WHERE}: config must be a dict, got {type(self.config).__name__}; "
                            f"e.g. config={{'dropout': 0.1}}")
        for flag in ("restore", "resume", "progress"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{_WHERE}: {flag} must be True or False, got {getattr(self, flag)!r}")
        if self.checkpoint is not None and not isinstance(self.checkpoint, (str, os.PathLike)):
            raise TypeError(f"{_WHERE}: checkpoint must be a file path or None, got {self.checkpoint!r}; "
                            f"e.g. checkpoint='best.pt'")
        if self.diagnose not in (True, False, "quiet"):
            raise ValueError(f"{_WHERE}: diagnose must be True, False or 'quiet', got {self.diagnose!r}")
        if self.stop is None:
            return
        monitor = getattr(self.stop, "monitor", None)
        if not isinstance(monitor, str):
            raise TypeError(f"{_WHERE}: stop takes a fitwatch.EarlyStopping, got {type(self.stop).__name__}; "
                            f"e.g. stop=fitwatch.EarlyStopping(patience=3)")
        if callable(getattr(self.stop, "state_dict", None)):
            self.stop.state_dict()  # checks the rule's own parameters now, not in the middle of training
        if monitor.startswith("eval_"):
            raise ValueError(f"{_WHERE}: stop monitors {monitor!r}, the Trainer's name; fitwatch names evaluations "
                             f"val_*: stop=fitwatch.EarlyStopping(monitor={'val_' + monitor[5:]!r})")
        strategy = getattr(args, "eval_strategy", getattr(args, "evaluation_strategy", "no"))
        if monitor.startswith("val_") and str(getattr(strategy, "value", strategy)) == "no":
            raise ValueError(f"{_WHERE}: stop monitors {monitor!r}, but TrainingArguments(eval_strategy='no') "
                             f"never evaluates; pass eval_strategy='epoch' and an eval_dataset, or monitor the "
                             f"training loss: stop=fitwatch.EarlyStopping(monitor='loss')")

    # -- epochs -------------------------------------------------------------------------------------
    def on_epoch_begin(self, args, state, control, **kwargs):
        if not self._following:
            return
        self._control = control
        self._end_epoch()
        self._trainer_epoch = int(math.floor((state.epoch or 0) + 1e-6))  # 1.5 when resumed mid-epoch: 1
        self._epoch = self.run.begin_epoch(self._trainer_epoch) if self.run is not None else self._trainer_epoch
        self._epochs_of[self._trainer_epoch] = self._epoch
        self._rows = EpochRows()
        self._ended = self._judged = False

    def on_epoch_end(self, args, state, control, **kwargs):
        if not self._following or self._rows is None:
            return
        self._control = control
        self._ended = True
        # the Trainer logs and evaluates at the end of an epoch after this event (DefaultFlowCallback,
        # called before this one, has set what it will do): the values are known after those
        if not (control.should_evaluate or control.should_log):
            self._judge()

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not self._following or not logs:
            return
        self._control = control
        rows = self._rows if self._rows is not None else EpochRows()  # eval_on_start: before any epoch
        what = rows.add(logs)
        if what == "summary":
            self._summary = {k: v for k, v in logs.items() if number(v) is not None}
            return
        if self.run is not None:
            epoch = self._epoch if self._epoch is not None else self.run.epoch
            step = state.global_step + self._step_shift
            self._steps += [(s, m, epoch, [step], [v], [1]) for (s, m), v in step_values(logs, what).items()]
            self._queue_steps(force=False)
        if self._ended and what == "train" and not control.should_evaluate:  # the epoch's end: logged, no evaluation
            self._judge()

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if self._following and self._ended and not self._judged:  # the evaluation at the epoch's end
            self._control = control
            self._judge()

    def _judge(self) -> None:
        """The epoch's values are known: the rule judges them; a stop sets ``should_training_stop``."""
        self._judged = True
        values = self._rows.values()
        if self.run is not None:
            stop = self.run.check_stop(values, epoch=self._epoch)  # stored now: a process killed later has it
        else:
            stop = self._keeper is not None and self._keeper.epoch_end(self._epoch, values)
        if stop and self._control is not None:
            self._control.should_training_stop = True

    def _end_epoch(self) -> None:
        """Commit the epoch that ended (its values made of every row logged in it)."""
        if self._rows is None:
            return
        if self._ended and not self._judged:  # an evaluation that was to come did not
            self._judge()
        values, self._rows, self._ended = self._rows.values(), None, False
        if self.run is None:
            return
        if values:
            self.run.log_epoch(values, epoch=self._epoch)  # outside Run.epochs(): commits the epoch
        else:
            self.run.epoch = self._epoch + 1
        self._queue_steps(force=True)

    def _queue_steps(self, force: bool) -> None:
        """Hand the step values to the store's writer: every epoch, and at least once a second."""
        if self._steps and (force or time.monotonic() - self._queued_at > _FLUSH_EVERY_S):
            self.run.store.queue_steps(self._steps, self.run.id)
            self._steps, self._queued_at = [], time.monotonic()

    # -- training ends ------------------------------------------------------------------------------
    def on_train_end(self, args, state, control, **kwargs):
        if not self._following:
            return
        self._control = control
        self._end_epoch()
        # the Trainer sets should_training_stop at its last step too: stopped means before it
        ended_early = bool(state.max_steps) and state.global_step < state.max_steps and self._trainer_epoch is not None
        if self.run is None:
            self._training = False
            if self._keeper is not None:
                self._keeper.finish()
            return
        if self._summary:
            self.run.info["train_summary"] = self._summary
        # the Trainer's own EarlyStoppingCallback, load_best_model_at_end: the run's record, or what ended it
        # where fitwatch's rule (stop=) did not
        record = trainer_stop_record(args, state, _sibling_stops(self), self._epochs_of, state.num_train_epochs or None,
                                     self._epochs_of.get(self._trainer_epoch), ended_early)
        self.run.end_fit(stopped_at=self._trainer_epoch if ended_early else None, framework_stop=record)

    def _abort(self) -> dict | None:
        """``train()`` raised (``Run.abort_fit``): commit the epoch that ended; the epoch in progress,
        if any, keeps the values of the rows logged in it."""
        partial = None
        try:
            if self._ended:
                self._end_epoch()
            elif self._rows is not None:
                partial, self._rows = self._rows.values(), None
            self._queue_steps(force=True)
        except Exception:  # never hide the original error
            self._rows = None
        return partial

    def _in_train(self) -> bool:
        """Whether a ``train()`` this callback is part of is still running, in any thread: the Trainer's
        training loop is on a stack with this callback among its callbacks."""
        for frame in list(sys._current_frames().values()):
            while frame is not None:
                if frame.f_code.co_name == "_inner_training_loop":
                    trainer = frame.f_locals.get("self")
                    handler = getattr(trainer, "callback_handler", None)
                    if any(cb is self for cb in getattr(handler, "callbacks", ())):
                        return True
                frame = frame.f_back
        return False

    # -- optional: a with block marks the run failed as soon as train() raises ---------------------------
    def __enter__(self) -> "Callback":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.run is None or not self.run.fitting:
            return
        if exc is not None:
            self.run.abort_fit(exc.with_traceback(tb))
        else:  # pragma: no cover - a with block around a train() that has not returned
            self.run.abort_fit(error="trainer.train() was interrupted before it ended")

    def __repr__(self) -> str:
        return f"{_WHERE}(name={self.name!r}, run={self.run!r})"


def _sibling_stops(callback) -> list:
    """The Trainer's ``EarlyStoppingCallback`` instances beside ``callback``: found in the ``CallbackHandler``
    that calls it (a local of the calling frames); none when it cannot be found."""
    frame = sys._getframe(1)
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if isinstance(value, transformers.trainer_callback.CallbackHandler) and any(
                    cb is callback for cb in value.callbacks):
                return [cb for cb in value.callbacks if isinstance(cb, transformers.EarlyStoppingCallback)]
        frame = frame.f_back
    return []
