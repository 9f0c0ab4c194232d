"""Early stopping: the rule that says when to stop and which epoch was best (:class:`EarlyStopping`),
the keeper that drives it over a loop and keeps the best weights, and a model's weights (torch or
Keras, told apart by class name); it imports :mod:`fitwatch.core` only, and frameworks inside
functions."""

from fitwatch.stopping.criteria import (  # the default criterion's constants (docs/early_stopping.md)
    DIVERGE_FACTOR,
    LEARNED,
    MIN_GAIN,
    NOISE_NOISY,
    NOISE_SMOOTH,
    NOISE_WINDOW,
    PATIENCE_NOISY,
    PATIENCE_SMOOTH,
    PATIENCE_UNMOVED,
    PLAN_MIN,
    PLAN_SHARE,
    TREND_MIN,
    TREND_T,
    TREND_WINDOW,
    UNMOVED_SHARE,
)
from fitwatch.stopping.keeper import BestKeeper
from fitwatch.stopping.legacy import FitwatchState as _FitwatchState  # noqa: F401 (0.1.0's pickles name it)
from fitwatch.stopping.rule import EarlyStopping

__all__ = ["BestKeeper", "EarlyStopping", "DIVERGE_FACTOR", "LEARNED", "MIN_GAIN", "NOISE_NOISY", "NOISE_SMOOTH",
           "NOISE_WINDOW", "PATIENCE_NOISY", "PATIENCE_SMOOTH", "PATIENCE_UNMOVED", "PLAN_MIN", "PLAN_SHARE",
           "TREND_MIN", "TREND_T", "TREND_WINDOW", "UNMOVED_SHARE"]
