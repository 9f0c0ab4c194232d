"""Keras 3 integration: a callback that records ``model.fit`` into a fitwatch run, and one that
stops it early with :class:`fitwatch.EarlyStopping`, restoring the best weights.

This is the only fitwatch module that imports Keras; ``fitwatch.keras`` re-exports its
:class:`Callback` and :class:`EarlyStopping`.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

try:
    import keras
except ModuleNotFoundError as e:  # keras missing, or keras without any usable backend
    if e.name == "keras":
        raise ImportError("fitwatch.keras needs Keras 3: pip install 'keras>=3'") from e
    raise ImportError(
        f"fitwatch.keras: importing keras failed ({e}). Keras 3 needs a backend: install one of "
        f"tensorflow, jax or torch and name it in KERAS_BACKEND (e.g. KERAS_BACKEND=torch)"
    ) from e

if int(keras.__version__.split(".")[0]) < 3:  # pragma: no cover - keras 2 is not installed in tests
    raise ImportError(f"fitwatch.keras needs Keras 3, found keras {keras.__version__}: pip install -U 'keras>=3'")

from fitwatch.core.names import TRAIN, VAL, keras_key
from fitwatch.integrations.keras_before import lr_find, preflight  # noqa: F401 (fitwatch.keras's names)
from fitwatch.integrations.keras_describe import MAX_MODEL_CONFIG_BYTES, describe as _describe  # noqa: F401
from fitwatch.integrations.keras_stop import holding_list, sibling_stop_record, sibling_stops
from fitwatch.record.lifecycle import end_interrupted_fits
from fitwatch.record.run import Run
from fitwatch.stopping.keeper import BestKeeper
from fitwatch.stopping.rule import EarlyStopping as _Rule

#: metric names that ``Run.log`` takes as its own arguments: not recorded per batch
_RESERVED = frozenset({"n", "split"})


__all__ = ["Callback", "EarlyStopping", "preflight", "lr_find"]  # fitwatch.keras's names (``import *``)


class Callback(keras.callbacks.Callback):
    """Record a Keras ``model.fit`` into a fitwatch run: every batch, every epoch, its outcome.

    Every epoch, the values Keras puts in ``logs`` (the values ``History.history`` holds:
    ``loss``, ``accuracy``, ``val_loss``..., and ``learning_rate`` when a callback such as
    ``ReduceLROnPlateau`` adds it) are committed to the store as they are, under the epoch number
    Keras uses (0-based, ``initial_epoch`` respected), once every callback has seen them: when the
    next epoch begins, or when training ends. With ``record_batches``, every training batch (split
    ``train``) and every validation batch (split ``val``) is recorded too. Keras 3 reports batch
    values as running means over the epoch so far; they are stored as given, and the run's info
    says so (``{"batch_values": "keras running mean"}``). Only ``fit`` is recorded: passed to
    ``evaluate`` or ``predict`` on its own, the callback does nothing.

    When ``fit`` returns, the run is ``finished``, or ``stopped`` (with ``stopped_epoch`` in its
    info) when ``model.stop_training`` ended it before its last epoch, e.g. by
    ``keras.callbacks.EarlyStopping``. NaN and infinite losses are stored as they are, with one
    ``fitwatch.NonFiniteValue`` warning.

    When ``fit`` raises, Keras calls no callback; the run is still marked ``failed``, its epoch in
    progress kept with the latest running means: by the interpreter's exception hook when the
    exception ends the script, else when a fitwatch callback starts the next ``fit``, else at
    interpreter exit. A ``with`` block is not needed; in a notebook, where an exception neither
    ends the process nor reaches the hook, ``with Callback(...) as callback:`` around ``fit`` marks
    the run failed with the exception's traceback at once.

    The same instance used for several ``fit`` calls keeps recording into the same run: pass
    ``initial_epoch`` to the later calls, as Keras expects. When a later call starts at an epoch
    the run already holds (e.g. ``initial_epoch`` left at 0), its epochs are shifted to follow the
    stored ones, so nothing recorded is overwritten.

    The run's config is ``{"epochs", "optimizer", "learning_rate"}`` of the fit, updated with the
    ``config`` given here (whose values win). Its info holds the fit's parameters (``epochs``,
    ``steps``, ``verbose``), the model's name, parameter and layer counts, and the model's config
    when it is small (up to 64 KB of JSON).

    Args:
        name: the run's name (``fitwatch show NAME`` opens it). Defaults to
            ``run-YYYYmmdd-HHMMSS``, chosen when training begins.
        config: hyperparameters to store with the run (a dict of JSON-serialisable values).
        dir: the store's folder. Defaults to `$FITWATCH_DIR`, else `./fitwatch`.
        resume: whether the first ``fit`` continues the latest run of this name (start it with
            ``initial_epoch`` set to the number of epochs stored) instead of starting a new run;
            ``stop`` then goes on from the state stored with the run, at every ``fit``, as in
            ``Run.epochs`` (a run killed and resumed stops where it would have; the best weights of
            the epochs before the restart come back only from ``checkpoint``, else the best epoch
            since the resume is restored, and the run's info says so). Defaults to `False`.
        progress: whether to show fitwatch's epoch progress bar (useful with ``verbose=0``).
            Defaults to `False`.
        record_batches: whether to record every batch's values. When `False`, only epochs are
            recorded and Keras may dispatch batch callbacks asynchronously. Defaults to `True`.
        diagnose: at the end of training, diagnose the curves, store the diagnosis with the run
            and print it (``"quiet"``: store only; `False`: neither). Defaults to `True`.
        stop: a :class:`fitwatch.EarlyStopping`: fed every epoch's ``logs``, it ends training
            (``model.stop_training``) when it says so; the run is then ``stopped``, and the stop,
            its reason and the best epoch are stored in the run's info under ``"early_stopping"``
            (shown by ``fitwatch show``, read by the diagnosis). It is reset when each ``fit``
            begins, unless ``resume``. Defaults to `None`.
        restore: with ``stop`` (or ``checkpoint``), copy the weights (``get_weights()``) at every
            new best epoch and put them back when training ends, even when it ran to its last
            epoch. Defaults to `True`.
        checkpoint: with ``stop``, also write the best weights to this file at every new best
            (``model.save_weights``, atomically; the name must end in ``.weights.h5``). Given
            without ``stop``, the best ``val_loss`` epoch is kept and training is not stopped.
            Defaults to `None`.
        watch: probe the model while it trains (``Run.watch``, docs/probes.md: gradients, updates,
            dead and saturated units per layer), so that the diagnosis names causes; `True` for the
            default interval, or a number of steps between samples. Needs Keras's torch backend.
            Defaults to `False`.

    The parameters are only stored here; they are checked, and the run is created, when training
    begins.

    Attributes:
        run: the :class:`fitwatch.Run` being recorded into (`None` before the first ``fit``).

    Example:

    >>> import tempfile
    >>> import numpy as np
    >>> import keras
    >>> import fitwatch
    >>> x, y = np.random.rand(64, 4), np.random.rand(64, 1)
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> store = tempfile.mkdtemp()
    >>> callback = fitwatch.keras.Callback("doc-keras", config={"units": 1}, dir=store)
    >>> history = model.fit(x, y, validation_split=0.25, epochs=3, batch_size=16,
    ...                     verbose=0, callbacks=[callback])
    >>> run = fitwatch.load("doc-keras", dir=store)
    >>> run.status, run.epochs.tolist()
    ('finished', [0, 1, 2])
    >>> run.history["val_loss"] == history.history["val_loss"]
    True
    >>> run.config["units"], run.config["optimizer"]
    (1, 'Adam')
    """

    def __init__(self, name=None, config=None, *, dir=None, resume=False, progress=False,
                 record_batches=True, diagnose=True, stop=None, restore=True, checkpoint=None, watch=False):
        super().__init__()
        self.watch = watch
        self.stop = stop
        self.restore = restore
        self.checkpoint = checkpoint
        self.name = name
        self.config = config
        self.dir = dir
        self.resume = resume
        self.progress = progress
        self.record_batches = record_batches
        self.diagnose = diagnose
        self.run: Run | None = None
        self._epoch: int | None = None  # the stored number of the epoch in progress
        self._last_epoch: int | None = None  # the last Keras epoch that ended in this fit
        self._last_batch: dict[str, dict] = {}  # the latest batch logs of each split, this epoch
        self._pending: tuple | None = None  # (stored epoch, logs, last batch logs) of an ended epoch
        self._warned_dropped = False
        self._keeper = None  # the BestKeeper of the latest fit

    @property
    def async_safe(self):
        # Keras dispatches batch callbacks to a thread pool only when every callback allows it:
        # without batch recording, the batch hooks merely keep a reference to the latest logs.
        return not self.record_batches

    @property
    def _fitting(self) -> bool:
        return self.run is not None and self.run.fitting

    # -- training begins ----------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        end_interrupted_fits(self)  # the runs of fits that raised before this one, ours included
        self._validate()
        keeper = None
        going_on = self.resume and self._keeper is not None and self._keeper.model is self.model
        if going_on:  # a later fit of a resumed run, same model: its keeper still holds the best weights
            keeper = self._keeper
        elif self.stop is not None or self.checkpoint is not None:  # checked before a run is created
            if self.stop is not None and callable(getattr(self.stop, "reset", None)):
                self.stop.reset()  # each fit() starts afresh, as with Keras's EarlyStopping (unless resume)
            keeper = BestKeeper(self.stop, self.model, self.checkpoint, restore=self.restore,
                                where="fitwatch.keras.Callback")  # (planned by the run at its first epoch)
        self._keeper = keeper
        auto_config, info = _describe(self.model, self.params or {})
        config = {**auto_config, **(self.config or {})}
        if self.run is None:
            self.run = Run(self.name, config, dir=self.dir, resume=bool(self.resume), progress=False, info=info,
                           diagnose=self.diagnose)
        else:  # a later fit() with the same callback: the same run goes on
            self.run = self.run.resume(config, info)
        self._epoch = self._last_epoch = self._pending = None
        self._last_batch, self._stored = {}, {}  # (Keras's epoch -> the run's, for a Keras EarlyStopping's record)
        self._keras_stops = sibling_stops(self)
        if self.watch is not False and getattr(self, "_watched", None) is not self.model:
            self.run.watch(self.model, every=None if self.watch is True else self.watch)  # once a model
            self._watched = self.model
        self.run.begin_fit((self.params or {}).get("epochs"), keeper=keeper, resume_stop=bool(self.resume),
                           owner=self, still_running=self._on_stack, on_abort=self._flush, progress=self.progress,
                           call="fit()")

    def _validate(self) -> None:
        if self.name is not None and not isinstance(self.name, str):
            raise TypeError(f"fitwatch.keras.Callback: name must be a string or None, got {self.name!r}")
        if self.config is not None and not isinstance(self.config, dict):
            raise TypeError(
                f"fitwatch.keras.Callback: config must be a dict, got {type(self.config).__name__}; "
                f"e.g. config={{'batch_size': 32}}"
            )
        for flag in ("resume", "progress", "record_batches", "restore"):
            if not isinstance(getattr(self, flag), (bool, np.bool_)):
                raise TypeError(f"fitwatch.keras.Callback: {flag} must be True or False, got {getattr(self, flag)!r}")
        if not isinstance(self.watch, (bool, np.bool_, int)):
            raise TypeError(f"fitwatch.keras.Callback: watch must be True, False or a number of steps >= 1, "
                            f"got {self.watch!r}")
        if not isinstance(self.watch, (bool, np.bool_)) and self.watch < 1:
            raise ValueError(f"fitwatch.keras.Callback: watch must be True, False or a number of steps >= 1, "
                             f"got {self.watch!r}")

    # -- epochs -------------------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        if not self._fitting:
            return
        self._commit_epoch()
        self._epoch = self._stored[int(epoch)] = self.run.begin_epoch(epoch)  # batch rows go to this epoch
        self._last_batch = {}

    def on_epoch_end(self, epoch, logs=None):
        if not self._fitting:
            return
        # Callbacks after this one may still add to this very dict (ReduceLROnPlateau and
        # LearningRateScheduler add "learning_rate", which History then records): the epoch is
        # committed when the next one begins, or when training ends.
        self._pending = (self._epoch, logs, self._last_batch)
        if self.run.check_stop(logs or {}, self._epoch):  # stored now: a process killed later still has it
            self.model.stop_training = True
        self._last_batch = {}
        self._epoch = None
        self._last_epoch = int(epoch)

    def _commit_epoch(self) -> None:
        if self._pending is None:
            return
        stored, logs, last_batch = self._pending
        self._pending = None
        values = self._scalars(logs)
        # a batch metric Keras left out of the epoch's logs: its last running mean is the epoch's
        # value (the mean of running means, what Run would compute, is not)
        for split, last in last_batch.items():
            for key, v in self._scalars(last).items():
                values.setdefault(keras_key(split, key), v)
        if values:
            self.run.log_epoch(values, epoch=stored)  # outside Run.epochs(): commits the epoch
        else:
            self.run.epoch = stored + 1

    # -- batches ------------------------------------------------------------------------------
    def on_train_batch_end(self, batch, logs=None):
        self._batch(TRAIN, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._batch(VAL, logs)  # during fit(), the test batches are the validation batches

    def _batch(self, split: str, logs) -> None:
        if not self._fitting or not logs:
            return
        self._last_batch[split] = logs
        if not self.record_batches:
            return
        values = self._scalars(logs)
        for key in _RESERVED.intersection(values):
            del values[key]
        if values:
            self.run.log(split, **values)

    def _scalars(self, logs) -> dict[str, float]:
        """The numeric values of ``logs`` (others are left out, with one warning)."""
        out: dict[str, float] = {}
        dropped = []
        for key, v in (logs or {}).items():
            if type(v) is float or type(v) is int:
                out[key] = v
                continue
            try:
                a = np.asarray(v)
                if a.size != 1 or a.dtype.kind not in "fiu" or not isinstance(key, str):
                    raise TypeError
                out[key] = float(a.reshape(()))
            except (TypeError, ValueError):
                dropped.append(key)
        if dropped and not self._warned_dropped:
            self._warned_dropped = True
            warnings.warn(
                f"fitwatch: Keras logs {', '.join(map(repr, dropped))} are not numbers; not recorded",
                stacklevel=3,
            )
        return out

    # -- training ends --------------------------------------------------------------------------
    def on_train_end(self, logs=None):
        if not self._fitting:
            return
        self._commit_epoch()
        planned_last = int((self.params or {}).get("epochs") or 0) - 1
        last = self._last_epoch
        stopped = getattr(self.model, "stop_training", False) and last is not None and last < planned_last
        other, after = sibling_stop_record(self, self._stored)  # keras.callbacks.EarlyStopping's stop, best, restore
        self.run.end_fit(stopped_at=last if stopped else None, framework_stop=other, restores_last=after)

    def _flush(self) -> dict | None:
        """``fit()`` raised (``Run.abort_fit``): commit the epoch that ended; the epoch in progress,
        if any, keeps the latest running means."""
        try:
            self._commit_epoch()  # an epoch that ended before the exception
        except Exception:  # never hide the original error
            self._pending = None
        partial = {
            keras_key(split, key): v
            for split, last in self._last_batch.items()
            for key, v in self._scalars(last).items()
        }
        self._last_batch = {}
        return None if self._epoch is None else partial

    def _on_stack(self) -> bool | None:
        """Whether a ``fit()`` this callback is part of is still running: the ``fit()`` calls in
        progress hold their CallbackList in a local variable. None: no CallbackList found (a trainer
        that keeps its callbacks elsewhere): cannot tell."""
        found = holding_list(self, sys._getframe(1))
        return None if found is None else bool(found)

    # -- optional: a with block marks the run failed as soon as fit() raises -------------------------
    def __enter__(self) -> "Callback":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is not None and self._fitting:
            self.run.abort_fit(exc.with_traceback(tb))
        elif self._fitting:  # pragma: no cover - a with block around a fit that has not returned
            self.run.abort_fit(error="fit() was interrupted before it ended")

    def __repr__(self) -> str:
        return f"fitwatch.keras.Callback(name={self.name!r}, run={self.run!r})"


class EarlyStopping(keras.callbacks.Callback):
    """Stop ``model.fit`` with :class:`fitwatch.EarlyStopping` and keep the best weights.

    A Keras callback for fits that are not recorded (to record the stop with the run, pass
    ``stop=fitwatch.EarlyStopping(...)`` to :class:`fitwatch.keras.Callback` instead). Every
    epoch's ``logs`` go to the rule; when it says stop, ``model.stop_training`` is set. Unlike
    Keras's own callback, the best epoch's weights are put back at the end of training even when
    no early stop happened.

    Args:
        monitor, mode, min_delta, patience, baseline, start_from_epoch, criterion, strip, verbose, max_epochs:
            those of :class:`fitwatch.EarlyStopping` (default: ``val_loss`` with fitwatch's own
            criterion, told ``fit(epochs=)`` as its plan; ``patience=`` behaves exactly as Keras's).
        restore_best_weights: copy the weights at every new best epoch and put them back when
            training ends. Defaults to `True`.
        checkpoint: also write the best weights to this file at every new best
            (``model.save_weights``, atomically; the name must end in ``.weights.h5``).

    Attributes:
        stopper: the :class:`fitwatch.EarlyStopping` deciding.
        best_epoch, best_value, stopped_epoch, reason: the stopper's (``stopped_epoch`` is None
            when training was not stopped).
        restored: whether the best weights were put back at the end of the last ``fit``.

    Example:

    >>> import numpy as np, keras, fitwatch
    >>> x, y = np.random.rand(64, 4), np.random.rand(64, 1)
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> stop = fitwatch.keras.EarlyStopping(patience=3)
    >>> history = model.fit(x, y, validation_split=0.25, epochs=5, verbose=0, callbacks=[stop])
    >>> stop.restored, stop.best_epoch == int(np.argmin(history.history["val_loss"]))
    (True, True)
    """

    def __init__(self, monitor="val_loss", mode="auto", min_delta=0.0, patience=None, baseline=None,
                 start_from_epoch=0, criterion=None, strip=5, verbose=False, *, restore_best_weights=True,
                 checkpoint=None, max_epochs=None):
        super().__init__()
        self.stopper = _Rule(monitor=monitor, mode=mode, min_delta=min_delta, patience=patience, baseline=baseline,
                             start_from_epoch=start_from_epoch, criterion=criterion, strip=strip, verbose=verbose,
                             max_epochs=max_epochs)
        self.restore_best_weights = restore_best_weights
        self.checkpoint = checkpoint
        self._keeper: BestKeeper | None = None

    def on_train_begin(self, logs=None):
        self.stopper.reset()
        self._keeper = BestKeeper(self.stopper, self.model, self.checkpoint, restore=self.restore_best_weights,
                                  where="fitwatch.keras.EarlyStopping", max_epochs=(self.params or {}).get("epochs"))

    def on_epoch_end(self, epoch, logs=None):
        if self._keeper is not None and self._keeper.epoch_end(int(epoch), logs or {}):
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self._keeper is not None:
            self._keeper.finish()

    @property
    def best_epoch(self):
        return self.stopper.best_epoch

    @property
    def best_value(self):
        return self.stopper.best_value

    @property
    def stopped_epoch(self):
        return self.stopper.stopped_epoch

    @property
    def reason(self):
        return self.stopper.reason

    @property
    def restored(self) -> bool:
        return self._keeper is not None and self._keeper.restored

    def to_dict(self) -> dict:
        """The rule's outcome with ``stopped``, ``restored``, ``restored_epoch``, ``checkpoint``
        (what ``fitwatch.diagnose(history, stop=callback)`` reads)."""
        if self._keeper is None:
            return self.stopper.to_dict()
        return self._keeper.info((self.params or {}).get("epochs"))

    def __repr__(self) -> str:
        return f"fitwatch.keras.EarlyStopping({self.stopper!r}, restore_best_weights={self.restore_best_weights})"
