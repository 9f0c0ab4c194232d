"""Judging the trials of a hyperparameter sweep with fitwatch's rules, for any sweep engine
(``fitwatch.ray``, ``fitwatch.optuna``): each trial's curve goes to its own
:class:`fitwatch.EarlyStopping` (the default criterion, or the rule given), and to the diagnosis,
which ends a trial at once when its curve has ``diverged`` (NaN, or blown far above its start) or is
``not_learning`` (flat, or at the no-skill level, after ``min_epochs``; not while its last values
still fall steadily, a slow learner): an engine's median rule would let such a trial run until it
compares it with the others.

Example:
    >>> rule = TrialRule(metric="val_loss", mode="min", min_epochs=4)
    >>> [rule.update("t1", e, v) for e, v in enumerate([1.0, 0.6, 0.5, float("nan")])]
    [None, None, None, 'diverged: val_loss became NaN at epoch 3']
"""

from __future__ import annotations

import copy
import math

import numpy as np

from fitwatch.diagnosis.analyze import diagnose
from fitwatch.diagnosis.checks.progress import slope
from fitwatch.stopping import EarlyStopping


class TrialRule:
    """Per-trial early stopping and the diagnosis.

    Args:
        metric: the reported value judged (lower is better with ``mode="min"``).
        mode: ``"min"`` or ``"max"``.
        stop: an :class:`fitwatch.EarlyStopping` copied for each trial (its parameters: patience,
            criterion...). Defaults to `None`: ``EarlyStopping()``, fitwatch's default rule.
        min_epochs: the diagnosis judges a trial from this many values on (a verdict on two points
            means nothing). Defaults to `5`.
        diagnose: end a trial whose curve is ``diverged`` or ``not_learning``. Defaults to `True`.
    """

    def __init__(self, metric: str = "val_loss", mode: str = "min", stop: EarlyStopping | None = None,
                 min_epochs: int = 5, diagnose: bool = True):
        if mode not in ("min", "max"):
            raise ValueError(f"fitwatch: mode must be 'min' or 'max', got {mode!r}")
        if not isinstance(metric, str) or not metric:
            raise TypeError(f"fitwatch: metric must be the name of a reported value, e.g. 'val_loss', got {metric!r}")
        if stop is not None and not isinstance(stop, EarlyStopping):
            raise TypeError(f"fitwatch: stop must be a fitwatch.EarlyStopping, got {type(stop).__name__}")
        self.metric, self.mode, self.min_epochs, self.diagnose = metric, mode, int(min_epochs), bool(diagnose)
        self._template = stop if stop is not None else EarlyStopping()
        self._stops: dict = {}
        self._curves: dict = {}
        self.reasons: dict = {}  # trial -> why it was ended

    def update(self, trial, epoch: int, value: float) -> str | None:
        """One reported value of ``trial``; the reason to end the trial now, else None."""
        if trial in self.reasons:
            return self.reasons[trial]
        stop = self._stops.get(trial)
        if stop is None:
            stop = self._stops[trial] = copy.deepcopy(self._template)
            stop.reset()
            stop.monitor, stop.mode = "value", self.mode
        value = float(value)
        curve = self._curves.setdefault(trial, [])
        curve.append(value)
        if not math.isfinite(value):
            return self._end(trial, f"diverged: {self.metric} became {'NaN' if value != value else 'infinite'} "
                                    f"at epoch {epoch}")
        if stop.update(epoch, {"value": value}):
            return self._end(trial, f"early stopping: {stop.reason.replace('value', self.metric)}"
                             if stop.reason else "early stopping")
        if self.diagnose and len(curve) >= self.min_epochs:
            y = np.asarray(curve)
            if self.mode == "max":  # judged as an error: 1 - accuracy, or the negated score
                y = 1.0 - y if float(y.max()) <= 1.0 else -y
            d = diagnose({"val_loss": y.tolist()})
            if d.verdict == "diverged" or d.verdict == "not_learning" and not _still_falling(y):
                return self._end(trial, f"{d.verdict}: {d.findings[0].message}")
        return None

    def seen(self, trial) -> int:
        """How many values of ``trial`` the rule has judged."""
        return len(self._curves.get(trial, ()))

    def best(self, trial) -> tuple[int | None, float | None]:
        """The trial's best epoch and value so far (by its early-stopping rule)."""
        stop = self._stops.get(trial)
        return (None, None) if stop is None else (stop.best_epoch, stop.best_value)

    def _end(self, trial, reason: str) -> str:
        self.reasons[trial] = reason
        return reason


def _still_falling(y: np.ndarray) -> bool:
    """The curve's last values fall by a least-squares line, 2 standard errors beyond flat: a trial
    learning slowly (a small learning rate), which the end-of-run diagnosis calls not_learning after
    a few epochs but a sweep must let go on."""
    b, se = slope(y[-min(len(y), 10):])
    return b < 0 and -b > 2.0 * se
