"""The stop record the layers share (``info["early_stopping"]``): fitwatch's rule writes it
(:meth:`fitwatch.stopping.BestKeeper.info`), a framework's own early stopping too
(:func:`fitwatch.stopping.keeper.framework_stop`); ``fitwatch show`` and the diagnosis read it through
:func:`as_stopped`.
"""

from __future__ import annotations

__all__ = ["as_stopped"]


def as_stopped(record: dict) -> dict:
    """A stop record as what ended the run: fitwatch's rule's record where it did not fire but a
    framework's own early stopping beside it did (its ``"stopped_by"``, see :meth:`Run.end_fit`) reads
    as stopped, at that stop's epoch and for its reason; any other record as it is.

    Example:
        >>> record = {"stopped": False, "stopped_epoch": None, "criterion": "fitwatch", "reason": None,
        ...           "stopped_by": {"criterion": "keras.callbacks.EarlyStopping(patience=2)", "stopped_epoch": 6,
        ...                          "reason": "val_loss did not improve for 2 epochs (keras...)"}}
        >>> r = as_stopped(record)
        >>> r["stopped"], r["stopped_epoch"], r["reason"]
        (True, 6, 'val_loss did not improve for 2 epochs (keras...), before the fitwatch rule (fitwatch) fired')
    """
    by = record.get("stopped_by")
    if record.get("stopped") or not isinstance(by, dict) or by.get("stopped_epoch") is None:
        return record
    return {**record, "stopped": True, "stopped_epoch": by["stopped_epoch"],
            "reason": f"{by.get('reason') or by.get('criterion')}, before the fitwatch rule ({record.get('criterion')}) fired"}
