"""Keras's own ``keras.callbacks.EarlyStopping`` beside :class:`fitwatch.keras.Callback`: what it did,
stored as the run's stop record (``info["early_stopping"]``), the one ``fitwatch show``, the report,
the dashboard and the diagnosis read for fitwatch's own rule.

Without it a run that Keras's callback ended was only ``stopped`` at an epoch: its best epoch, whether
its weights came back (``restore_best_weights``) and why it stopped were not recorded, and the
diagnosis told a run that already stopped early to "stop early and keep the best weights".

The callback finds its sibling callbacks in the ``CallbackList`` that calls it (``model.fit`` keeps it
in a local variable): nothing for the user to pass.

Example:
    >>> import os; os.environ.setdefault("KERAS_BACKEND", "torch")
    'torch'
    >>> import keras
    >>> es = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    >>> es.on_train_begin()
    >>> es.best, es.best_epoch, es.stopped_epoch = 0.25, 3, 5   # as fit() leaves them
    >>> es.best_weights = []                                   # weights were kept
    >>> record = keras_stop_record(es, {e: e for e in range(6)}, planned=20, last=5)
    >>> record["stopped"], record["best_epoch"], record["restored"], record["reason"]
    (True, 3, True, 'val_loss did not improve for 2 epochs (keras.callbacks.EarlyStopping(patience=2))')
"""

from __future__ import annotations

import math
import sys

import keras

from fitwatch.stopping.keeper import framework_stop

__all__ = ["holding_list", "sibling_stops", "keras_stop_record", "sibling_stop_record"]


def holding_list(callback, frame=None):
    """The ``keras.callbacks.CallbackList`` of a ``fit()`` in progress that holds ``callback``; ``False``
    when CallbackLists are on the stack but none holds it, None when there is none (a trainer that
    keeps its callbacks elsewhere). Walks the local variables of the frames from ``frame`` (default:
    the caller's) up."""
    found = False
    frame = frame or sys._getframe(1)
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if isinstance(value, keras.callbacks.CallbackList):
                found = True
                if any(cb is callback for cb in value.callbacks):
                    return value
        frame = frame.f_back
    return False if found else None


def sibling_stops(callback) -> list:
    """The ``keras.callbacks.EarlyStopping`` instances in the same ``fit()`` as ``callback`` (none when
    its CallbackList cannot be found), each as ``(es, after)``: ``after`` when it comes after
    ``callback`` in the list (its ``on_train_end``, and a restore there, comes later)."""
    found = holding_list(callback, sys._getframe(1))
    if not found:
        return []
    mine = next(i for i, cb in enumerate(found.callbacks) if cb is callback)
    return [(cb, i > mine) for i, cb in enumerate(found.callbacks) if isinstance(cb, keras.callbacks.EarlyStopping)]


def _mode(es) -> str | None:
    """``"min"`` or ``"max"``: the direction Keras's callback settled on (None when it never set it up)."""
    op = getattr(es, "monitor_op", None)
    if op is None:
        return None
    try:
        return "min" if bool(op(0.0, 1.0)) else "max"
    except Exception:  # noqa: BLE001 - another Keras's operator: the direction stays unsaid
        return None


def keras_stop_record(es, stored: dict[int, int], planned: int | None, last: int | None,
                      restorer=None) -> dict | None:
    """The stop record of Keras's ``EarlyStopping`` ``es`` after ``fit()``: its stop, best epoch and
    restore, in the run's epoch numbers (``stored``: Keras's epoch -> the run's), as fitwatch's own rule
    records them; None when it never saw its monitor (no best). ``planned``: the epochs ``fit`` was
    asked for (a rule that fires on the last of them stopped nothing); ``last``: the run's last epoch of
    this fit; ``restorer``: the ``EarlyStopping`` whose weights the model ends with, when another one
    (default: ``es``'s own restore)."""
    best = getattr(es, "best", None)
    try:
        best = float(best)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(best) or getattr(es, "best_epoch", None) not in stored:
        return None
    at = int(getattr(es, "stopped_epoch", 0) or 0)
    stopped = at > 0 and (not planned or at < planned - 1)  # Keras's own test (never at epoch 0); the last epoch ends anyway
    restorer = es if restorer is None else restorer
    restored = _restores(restorer) and restorer.best_epoch in stored
    best_epoch = stored[es.best_epoch]
    criterion = f"keras.callbacks.EarlyStopping(patience={es.patience})"
    first = min(stored)  # this fit's first epoch (initial_epoch): Keras's callback starts counting there
    record = framework_stop(
        criterion=criterion, monitor=es.monitor, mode=_mode(es), best_epoch=best_epoch, best_value=best,
        stopped=stopped, stopped_epoch=stored.get(at), reason=f"{_reason(es, best, first)} ({criterion})",
        restored=restored, last_epoch=last, planned=planned, epochs=stored, source="keras",
        patience=int(es.patience),
        min_delta=float(abs(es.min_delta)), baseline=es.baseline, start_from_epoch=int(es.start_from_epoch))
    if restored:
        record["restored_epoch"] = stored[restorer.best_epoch]
        if restorer is not es:  # another EarlyStopping's best, maybe on another monitor
            record.update(restored_by=f"keras.callbacks.EarlyStopping(monitor={restorer.monitor!r}, "
                                      f"patience={restorer.patience})", restored_monitor=restorer.monitor)
    return record


def _restores(es) -> bool:
    """Whether Keras's ``EarlyStopping`` ``es`` set the best weights back in its ``on_train_end``."""
    return bool(getattr(es, "restore_best_weights", False) and getattr(es, "best_weights", None) is not None)


def _reason(es, best: float, first: int = 0) -> str:
    """Why Keras's ``EarlyStopping`` ``es`` stopped, in its own terms: the patience it waited (one epoch
    with ``patience=0``, as Keras counts), or a ``baseline`` its best never beat in the epochs it
    counted (from ``start_from_epoch`` or this fit's ``first`` epoch, ``initial_epoch``, to its stop)."""
    n = max(1, int(es.patience))
    if es.baseline is not None:
        try:
            beat = bool(es._is_improvement(best, es.baseline))
        except Exception:  # noqa: BLE001 - another Keras: say it as patience
            beat = True
        if not beat:  # every epoch it counted, from start_from_epoch to its stop, fell short of the baseline
            at = int(getattr(es, "stopped_epoch", 0) or 0)
            n = max(n, at + 1 - max(first, int(getattr(es, "start_from_epoch", 0) or 0))) if at > 0 else n
            return f"{es.monitor} did not beat the baseline {es.baseline:g} in {n} epoch{'s' if n > 1 else ''}"
    return f"{es.monitor} did not improve for {n} epoch{'s' if n > 1 else ''}"


def sibling_stop_record(callback, stored: dict[int, int]) -> tuple[dict | None, bool]:
    """The record of the Keras ``EarlyStopping`` that ended ``callback``'s fit (else the first one, which
    may still have restored the best weights), for ``Run.end_fit(framework_stop=...)``, and whether its
    restore comes after fitwatch's: the weights the model ends with are those of the last restoring stop
    in the list (each sets them back in turn in ``on_train_end``), and fitwatch's callback restores in
    its own (``(None, False)`` without a Keras stop)."""
    pairs = getattr(callback, "_keras_stops", None) or []
    if not pairs:
        return None, False
    planned = (callback.params or {}).get("epochs")
    restorer, after = next(((es, a) for es, a in reversed(pairs) if _restores(es)), (None, False))
    stops = sorted((es for es, _ in pairs), key=lambda es: int(getattr(es, "stopped_epoch", 0) or 0) <= 0)  # fired first
    last = stored.get(callback._last_epoch) if callback._last_epoch is not None else None
    return keras_stop_record(stops[0], stored, planned, last, restorer=restorer), after
