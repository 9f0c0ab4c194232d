"""The stop record the layers share (``info["early_stopping"]``): fitwatch's rule writes it
(:meth:`fitwatch.stopping.BestKeeper.info`), a framework's own early stopping too
(:func:`fitwatch.stopping.keeper.framework_stop`); ``fitwatch show`` and the diagnosis read it through
:func:`as_stopped`.
"""

from __future__ import annotations

__all__ = ["as_stopped", "beside_rule"]


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


def beside_rule(record: dict, other: dict, restores_last: bool = False) -> None:
    """fitwatch's rule's stop record ``record`` told, in place, what a framework's own early stopping
    ``other`` beside it did (see :meth:`Run.end_fit`): a stop of its where the rule did not fire is kept
    as ``"stopped_by"``; its restore is the model's where the rule restored nothing, or where it came
    last (``restores_last``: Keras's callbacks restore in their list's order), with ``"restored_by"`` and
    ``"restored_monitor"``.

    Example:
        >>> record = {"stopped": False, "restored": False, "restored_epoch": None, "criterion": "fitwatch"}
        >>> keras = {"stopped": True, "stopped_epoch": 6, "restored": True, "restored_epoch": 3,
        ...          "criterion": "keras.callbacks.EarlyStopping(patience=3)", "reason": "...", "monitor": "val_loss"}
        >>> beside_rule(record, keras)
        >>> record["stopped_by"]["stopped_epoch"], record["restored_epoch"], record["restored_by"]
        (6, 3, 'keras.callbacks.EarlyStopping(patience=3)')
    """
    if other.get("stopped") and not record.get("stopped"):
        record["stopped_by"] = {k: other.get(k) for k in ("criterion", "reason", "stopped_epoch", "monitor")}
    if other.get("restored") and other.get("restored_epoch") is not None \
            and (restores_last or not record.get("restored")):
        record.update(restored=True, restored_epoch=other["restored_epoch"],
                      restored_by=other.get("restorer") or other.get("restored_by") or other.get("criterion"),
                      restored_monitor=other.get("restored_monitor") or other.get("monitor"))
        if other.get("best_step") is not None:  # a Trainer's mid-epoch evaluation: its step's weights
            record["restored_step"] = other["best_step"]
        if record.pop("restored_best_of", None) == "session":  # fitwatch's restore after a resume, overwritten
            record.pop("note", None)
