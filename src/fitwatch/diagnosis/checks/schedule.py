"""What a logged learning rate says about the curves: a rise of the learning rate at the epoch the
training loss jumped (``lr_raised``), one of the finer signs, read whatever the verdict.

Thresholds (:mod:`fitwatch.diagnosis.thresholds`): ``lr_raised_factor`` (the rise) and
``end_above_start`` (the loss's jump, as for a spike).

Example:
    >>> import numpy as np
    >>> from fitwatch.diagnosis.curves import Curves
    >>> c = Curves(np.arange(6), {"loss": [0.9, 0.7, 0.6, 2.4, 0.8, 0.6], "lr": [0.02] * 3 + [0.5] * 3})
    >>> lr_raised(c, [0, 5], 3.0, 0.5).message.split(":")[0]
    'The learning rate rose 25x at epoch 3 (0.02 -> 0.5), the epoch the training loss jumped from 0.6 to 2.4'
"""

from __future__ import annotations

import numpy as np

from fitwatch.diagnosis.curves import Curves
from fitwatch.diagnosis.evidence import LR_KEY
from fitwatch.diagnosis.findings import Finding
from fitwatch.diagnosis.remedies import remedies_for


def lr_raised(curves: Curves, span, factor: float, jump: float, key: str = "loss") -> Finding | None:
    """The first epoch where a logged learning rate rose ``factor`` times or more and the training
    loss rose by ``jump`` (a share of its previous value) or more at the same epoch: the cause of the
    jump, named (a new user's trial: lr 0.02 -> 0.5 at epoch 10, then a run read as overfitting with
    nothing said of it). ``key`` names the training curve read (the monitored one, lower is better).
    None when no logged learning rate or training curve shows it."""
    loss = curves.get(key)
    if loss is None:
        return None
    for name, lr in curves.series.items():
        if not LR_KEY.match(name):
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            up = (lr[1:] >= factor * lr[:-1]) & (lr[:-1] > 0) & (loss[1:] >= (1 + jump) * loss[:-1]) & (loss[:-1] > 0)
        hit = np.flatnonzero(np.nan_to_num(up, nan=0.0).astype(bool))
        if not hit.size:
            continue
        i = int(hit[0]) + 1
        e = int(curves.epochs[i])
        ev = {"epoch": e, "lr_before": float(lr[i - 1]), "lr_after": float(lr[i]),
              "loss_before": float(loss[i - 1]), "loss_after": float(loss[i])}
        return Finding("lr_raised", "warning", [e, span[1]], ev,
                       f"The learning rate rose {lr[i] / lr[i - 1]:.3g}x at epoch {e} ({lr[i - 1]:.4g} -> {lr[i]:.4g}), "
                       f"the epoch the training {key} jumped from {loss[i - 1]:.4g} to {loss[i]:.4g}: unless it was a "
                       f"planned warm restart, that learning rate is too high for this model.",
                       remedies_for("lr_raised"))
    return None
