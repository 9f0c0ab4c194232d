"""Early stopping inside a training loop: ask the stopper every epoch, keep the best weights, record it.

:class:`BestKeeper` is the glue that ``Run.epochs(n, stop=, restore=, checkpoint=)`` and the Keras
callbacks share: at the end of each epoch it hands the epoch's values to a
:class:`fitwatch.EarlyStopping`; when they set a new best it copies the model's weights (and
writes them to the checkpoint file); at the end of training it puts the best weights back, even
when no early stop happened. Weights are handled by :mod:`fitwatch.integrations.weights`, which
imports no framework until a checkpoint is written.

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

    Raises:
        TypeError: ``stop`` is not an early-stopping rule, or ``model`` is neither a torch module
            nor a Keras model.
        ValueError: ``checkpoint`` without a model, or a Keras checkpoint not named ``*.weights.h5``.
    """

    def __init__(self, stop=None, model=None, checkpoint=None, *, restore: bool = True, where: str = "Run.epochs"):
        from fitwatch.stopping.rule import EarlyStopping

        self.stops = stop is not None  # False: the best is tracked, the loop never ends early
        if stop is None:
            stop = EarlyStopping(patience=sys.maxsize)
        elif not all(callable(getattr(stop, a, None)) for a in ("update", "to_dict")):
            raise TypeError(f"fitwatch: {where}(stop=...) takes a fitwatch.EarlyStopping, got {type(stop).__name__}; "
                            f"e.g. stop=fitwatch.EarlyStopping()")
        self.stop = stop
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

    def epoch_end(self, epoch: int, logs: dict) -> bool:
        """Hand one epoch's Keras-style values to the rule; True when training should stop now.

        On a new best the weights are copied (and written to the checkpoint). An error writing
        the checkpoint propagates: the previous checkpoint is left intact.
        """
        self.last_epoch = epoch
        stop_now = bool(self.stop.update(epoch, logs)) and self.stops
        if getattr(self.stop, "improved", False) and self.model is not None:
            if self.restore or self.framework == "torch":
                self.best = _weights.snapshot(self.model, self.framework)
            self.kept_epoch = epoch
            if self.checkpoint is not None:
                _weights.save_checkpoint(self.model, self.checkpoint,
                                         self.best if self.framework == "torch" else None, self.framework)
            if not self.restore:
                self.best = None
        self.stopped = self.stopped or stop_now
        return stop_now

    def finish(self) -> bool:
        """Training ended (however it ended): put the best weights back. True when they were."""
        if self.restore and not self.restored:
            if self.best is not None:
                _weights.restore(self.model, self.best, self.framework)
                self.restored = True
            elif self.last_epoch is not None:
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
            checkpoint_epoch=self.kept_epoch if self.checkpoint is not None else None,
            last_epoch=self.last_epoch,
            epochs_planned=planned,
        )
        return out
