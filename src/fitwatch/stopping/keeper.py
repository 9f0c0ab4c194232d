"""Early stopping inside a training loop: ask the stopper every epoch, keep the best weights, record it.

:class:`BestKeeper` is the glue that ``Run.epochs(n, stop=, restore=, checkpoint=)`` and the Keras
callbacks share: at the end of each epoch it hands the epoch's values to a
:class:`fitwatch.EarlyStopping`; when they set a new best it copies the model's weights (and
writes them to the checkpoint file); at the end of training it puts the best weights back, even
when no early stop happened. Weights are handled by :mod:`fitwatch.stopping.weights`, which
imports no framework until a checkpoint is written.

A run that is resumed in a new process goes on with :meth:`BestKeeper.resume`: the rule's state
comes back from :meth:`BestKeeper.state_dict`, but the best weights of the epochs before the
restart were in the killed process's memory. When ``checkpoint=`` names the file that holds them
(the same file, unchanged since it was written), the best is known to be there and is loaded back
at the end if no later epoch beats it. Otherwise, until an epoch after the resume beats the
earlier best, the keeper keeps the best epoch *of this session*, restores that one at the end and
says so in :meth:`BestKeeper.info` (``"restored_best_of": "session"`` and a ``"note"``).

Example:
    >>> import torch
    >>> from fitwatch import EarlyStopping
    >>> from fitwatch.keeper import BestKeeper
    >>> model = torch.nn.Linear(1, 1)
    >>> keeper = BestKeeper(EarlyStopping(patience=1), model)
    >>> for epoch, v in enumerate([0.5, 0.4, 0.6, 0.7]):
    ...     with torch.no_grad():
    ...         _ = model.bias.fill_(epoch)          # "training"
    ...     if keeper.epoch_end(epoch, {"val_loss": v}):
    ...         break
    >>> keeper.finish(), model.bias.item()           # restored: epoch 1's weights
    (True, 1.0)
    >>> keeper.info()["stopped_epoch"], keeper.info()["best_epoch"]
    (2, 1)
"""

from __future__ import annotations

import math
import os
import sys
import warnings

from fitwatch.stopping import weights as _weights


class BestKeeper:
    """Drive an early-stopping rule over a loop's epochs and keep the model's best weights.

    Args:
        stop: a :class:`fitwatch.EarlyStopping` (anything with its ``update``/``improved``/
            ``to_dict``). None: the best epoch of ``val_loss`` is tracked and training never
            stops early (used for ``restore=``/``checkpoint=`` given alone).
        model: the torch module or Keras model whose weights to keep, or None.
        checkpoint: a file to write the best weights to, atomically, at every new best
            (``.weights.h5`` for a Keras model).
        restore: copy the weights at every new best and put them back in :meth:`finish`.
        where: what the user called, for error messages (``"Run.epochs"``).
        max_epochs: the epochs the loop plans, handed to the rule's ``plan`` (the fitwatch default
            caps its patience by them); None: not known.

    Raises:
        TypeError: ``stop`` is not an early-stopping rule, or ``model`` is neither a torch module
            nor a Keras model.
        ValueError: ``checkpoint`` without a model, or a Keras checkpoint not named ``*.weights.h5``.
    """

    def __init__(self, stop=None, model=None, checkpoint=None, *, restore: bool = True, where: str = "Run.epochs",
                 max_epochs=None):
        from fitwatch.stopping.rule import EarlyStopping

        self.stops = stop is not None  # False: the best is tracked, the loop never ends early
        if stop is None:
            stop = EarlyStopping(patience=sys.maxsize)
        elif not all(callable(getattr(stop, a, None)) for a in ("update", "to_dict")):
            raise TypeError(f"fitwatch: {where}(stop=...) takes a fitwatch.EarlyStopping, got {type(stop).__name__}; "
                            f"e.g. stop=fitwatch.EarlyStopping()")
        self.stop = stop
        self.plan(max_epochs)
        self.model = model
        self.framework = None if model is None else _weights.framework_of(model, "restore" if where == "Run.epochs"
                                                                           else "model")
        if checkpoint is not None and model is None:
            raise ValueError(f"fitwatch: {where}(checkpoint=...) needs the model whose weights to write: "
                             f"pass restore=model too")
        self.checkpoint = None if checkpoint is None else _weights.check_checkpoint(checkpoint, self.framework)
        self.restore = bool(restore) and model is not None
        self.best = None  # the best weights (a CPU copy), when restoring
        self.kept_epoch = None  # the epoch they are from
        self.restored = False
        self.stopped = False  # the loop ended because the rule said so
        self.last_epoch = None
        self.written_epoch = None  # the epoch whose weights the checkpoint file holds
        self.resumed_at = None  # the first epoch after resume() (None: not resumed)
        self.best_on_disk = False  # resumed: the best weights are in the checkpoint file only
        self.best_lost = False  # resumed: the best epoch's weights are gone; the session's best is kept
        self._session_best = None  # the oriented monitored value of the session's best epoch
        self._stat = None  # (size, mtime_ns) of the checkpoint as written
        self._seen = False  # epoch_end() was called

    def plan(self, epochs) -> None:
        """Tell the rule how many epochs the loop plans (its ``plan``, when it has one); None: not known."""
        if self.stops and epochs is not None and callable(getattr(self.stop, "plan", None)):
            self.stop.plan(epochs)

    def epoch_end(self, epoch: int, logs: dict) -> bool:
        """Hand one epoch's Keras-style values to the rule; True when training should stop now.

        On a new best the weights are copied (and written to the checkpoint). An error writing
        the checkpoint propagates: the previous checkpoint is left intact.
        """
        self.last_epoch = epoch
        self._seen = True
        stop_now = bool(self.stop.update(epoch, logs)) and self.stops
        if getattr(self.stop, "improved", False) and self.model is not None:
            if self.restore or self.framework == "torch":
                self.best = _weights.snapshot(self.model, self.framework)
            self.kept_epoch = epoch
            self.best_lost = self.best_on_disk = False
            if self.checkpoint is not None:
                _weights.save_checkpoint(self.model, self.checkpoint,
                                         self.best if self.framework == "torch" else None, self.framework)
                self.written_epoch, self._stat = epoch, _file_stat(self.checkpoint)
            if not self.restore:
                self.best = None
        elif self.best_lost and self.restore and self.model is not None:
            self._keep_session_best(epoch, logs)
        self.stopped = self.stopped or stop_now
        return stop_now

    def _keep_session_best(self, epoch: int, logs: dict) -> None:
        """Resumed without the best epoch's weights: keep the best epoch of this session instead."""
        if epoch < getattr(self.stop, "start_from_epoch", 0):
            return
        try:
            value = self._sign * float(logs.get(self.stop.monitor))
        except (TypeError, ValueError):
            return
        if math.isfinite(value) and (self._session_best is None or value < self._session_best):
            self._session_best = value
            self.best = _weights.snapshot(self.model, self.framework)
            self.kept_epoch = epoch

    def finish(self) -> bool:
        """Training ended (however it ended): put the best weights back. True when they were."""
        if self.restore and not self.restored:
            if self.best is not None:
                _weights.restore(self.model, self.best, self.framework)
                self.restored = True
            elif self.best_on_disk and _file_stat(self.checkpoint) == self._stat:
                _weights.load_checkpoint(self.model, self.checkpoint, self.framework)
                self.restored = True
            elif self._seen:
                warnings.warn(f"fitwatch: no epoch had a usable {self.stop.monitor!r}, so there are no best weights "
                              f"to restore; log it, or monitor another value: "
                              f"stop=fitwatch.EarlyStopping(monitor='loss')", stacklevel=3)
        return self.restored

    def info(self, planned: int | None = None) -> dict:
        """What to store in the run's info under ``"early_stopping"`` (JSON-able)."""
        out = dict(self.stop.to_dict())
        if not self.stops:  # restore= or checkpoint= alone: no rule, no stop
            out.update(criterion=None, patience=None, stopped_epoch=None, reason=None)
        out.update(
            stopped=self.stopped,
            restored=self.restored,
            restored_epoch=self.kept_epoch if self.restored else None,
            checkpoint=None if self.checkpoint is None else os.fspath(self.checkpoint.absolute()),
            checkpoint_epoch=self.written_epoch if self.checkpoint is not None else None,
            last_epoch=self.last_epoch,
            epochs_planned=planned,
        )
        if self.resumed_at is not None:
            out["resumed_at"] = self.resumed_at
            best = out.get("best_epoch")
            out["restored_best_of"] = None if not self.restored else "run" if self.kept_epoch == best else "session"
            if out["restored_best_of"] == "session":
                out["note"] = (f"the best epoch, {best}, was trained before the run was resumed at epoch "
                               f"{self.resumed_at} and its weights were not kept (checkpoint= keeps them across a "
                               f"restart): the weights restored are epoch {self.kept_epoch}'s, the best since the resume")
        return out

    # -- a run resumed in a new process ------------------------------------------------------------------
    def state_dict(self) -> dict | None:
        """What a resumed run needs to go on (JSON-able): the rule's :meth:`~fitwatch.EarlyStopping.state_dict`,
        the last epoch seen, and the checkpoint that holds the best weights (its path, epoch, size and
        modification time). None when the rule has no ``state_dict``.

        Example:
            >>> from fitwatch import EarlyStopping
            >>> keeper = BestKeeper(EarlyStopping(patience=2))
            >>> keeper.epoch_end(0, {"val_loss": 0.5})
            False
            >>> state = keeper.state_dict()
            >>> state["last_epoch"], state["rule"]["best_epoch"], state["checkpoint"]
            (0, 0, None)
        """
        rule = getattr(self.stop, "state_dict", None)
        if not callable(rule):
            return None
        ck = None
        if self.checkpoint is not None and self.written_epoch is not None and self._stat is not None:
            ck = {"path": os.fspath(self.checkpoint.absolute()), "epoch": self.written_epoch,
                  "size": self._stat[0], "mtime_ns": self._stat[1]}
        return {"rule": rule(), "last_epoch": self.last_epoch, "checkpoint": ck}

    def resume(self, state: dict, replay=(), first_epoch: int | None = None) -> None:
        """Go on from :meth:`state_dict` as stored before a restart (see the module's docstring for
        the best weights).

        Args:
            state: what :meth:`state_dict` returned.
            replay: ``(epoch, logs)`` of epochs stored after the state was (a process killed between
                writing an epoch and its state): fed to the rule, their weights being lost.
                Defaults to `()`.
            first_epoch: the first epoch of this session, for the record. Defaults to `None`.

        Raises:
            ValueError: the state is not one of this rule (from ``load_state_dict``); nothing changed.

        Example:
            >>> import torch
            >>> from fitwatch import EarlyStopping
            >>> before = BestKeeper(EarlyStopping(patience=3))
            >>> _ = [before.epoch_end(e, {"val_loss": v}) for e, v in enumerate([0.5, 0.4, 0.45])]
            >>> model = torch.nn.Linear(1, 1)                # a new process: epoch 1's weights are gone
            >>> keeper = BestKeeper(EarlyStopping(patience=3), model)
            >>> keeper.resume(before.state_dict(), replay=[(3, {"val_loss": 0.47})], first_epoch=4)
            >>> keeper.stop.wait, keeper.best_lost
            (2, True)
            >>> with torch.no_grad():
            ...     _ = model.bias.fill_(4.0)                # epoch 4: the best since the resume
            >>> keeper.epoch_end(4, {"val_loss": 0.46}), keeper.finish(), model.bias.item()  # waited 3: stop
            (True, True, 4.0)
            >>> keeper.info()["restored_best_of"], keeper.info()["best_epoch"]
            ('session', 1)
        """
        if state.get("rule") is not None:  # None: a run stored without a rule's state, replayed whole
            self.stop.load_state_dict(state["rule"])
        self.last_epoch = state.get("last_epoch")
        self.restored = self.stopped = False  # this keeper may be going on after its own finish()
        for epoch, logs in replay:
            try:
                self.stop.update(epoch, logs)
            except ValueError:  # e.g. its monitor was not logged that epoch, outside patience mode
                break
            self.last_epoch = epoch
        if self.stop.stopped_epoch is not None:
            self.stop.clear_stop()  # a stopped run resumed: it goes on, its patience where it was
        self.resumed_at = first_epoch
        self._sign = -1.0 if self.stop.to_dict().get("mode") == "max" else 1.0
        best, ck = self.stop.best_epoch, state.get("checkpoint") or {}
        if (self.checkpoint is not None and ck.get("path") == os.fspath(self.checkpoint.absolute())
                and ck.get("epoch") == best and _file_stat(self.checkpoint) == (ck.get("size"), ck.get("mtime_ns"))):
            self.kept_epoch = self.written_epoch = best
            self._stat = (ck["size"], ck["mtime_ns"])
            self.best_on_disk = True
        elif best is not None and self.model is not None and not (self.kept_epoch == best and self.best is not None):
            self.best_lost = True  # (a keeper going on in the same process still holds them)


def _file_stat(path) -> tuple[int, int] | None:
    """(size, modification time in ns) of a file, None when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def run_shift(epochs: dict[int, int]) -> int:
    """How far a fit's epochs are in the run's numbers from the framework's own: ``epochs`` maps the
    framework's epoch (Keras's, Lightning's, the Trainer's) to the run's, for one fit; 0 without any.
    A framework's planned epochs and an epoch outside the map (before a resume) shift by it.

    Example:
        >>> run_shift({0: 10, 1: 11}), run_shift({})    # a second fit of a run that has 10 epochs
        (10, 0)
    """
    if not epochs:
        return 0
    first = min(epochs)
    return epochs[first] - first


def framework_stop(*, criterion: str, monitor: str, mode: str | None, best_epoch: int | None,
                   best_value: float | None, stopped: bool, stopped_epoch: int | None, reason: str | None,
                   restored: bool, last_epoch: int | None, planned: int | None,
                   epochs: dict[int, int] | None = None, **more) -> dict:
    """The stop record of a framework's own early stopping (Keras's ``EarlyStopping``, Lightning's,
    the Trainer's ``EarlyStoppingCallback``), with the keys :meth:`BestKeeper.info` gives fitwatch's
    rule, so that ``fitwatch show``, the report, the dashboard and the diagnosis read both alike.
    Epochs are the run's numbers; ``planned`` is the framework's count, shifted into them by ``epochs``
    (the framework's epoch -> the run's, this fit's: :func:`run_shift`; a second fit of a run of 10 epochs
    that plans 10 plans to epoch 20); ``restored``: whether the model ends with the best epoch's weights;
    ``more``: what else the framework says (``patience``, ``checkpoint``...).

    Example:
        >>> record = framework_stop(criterion="keras.callbacks.EarlyStopping(patience=2)", monitor="val_loss",
        ...                         mode="min", best_epoch=3, best_value=0.25, stopped=True, stopped_epoch=5,
        ...                         reason="val_loss did not improve for 2 epochs", restored=True, last_epoch=5,
        ...                         planned=20)
        >>> record["restored_epoch"], record["stopped_epoch"], record["epochs_planned"]
        (3, 5, 20)
    """
    return {"monitor": monitor, "mode": mode, "criterion": criterion, "best_epoch": best_epoch,
            "best_value": best_value, "stopped": bool(stopped), "stopped_epoch": stopped_epoch if stopped else None,
            "reason": reason if stopped else None, "restored": bool(restored),
            "restored_epoch": best_epoch if restored else None, "checkpoint": None, "checkpoint_epoch": None,
            "last_epoch": last_epoch, "epochs_planned": planned + run_shift(epochs or {}) if planned else planned,
            **more}
