"""Early stopping: the rule that says when to stop and which epoch was best (:class:`EarlyStopping`),
the keeper that drives it over a loop and keeps the best weights, and a model's weights (torch or
Keras, told apart by class name); it imports :mod:`fitwatch.core` only, and frameworks inside
functions."""

from fitwatch.stopping.keeper import BestKeeper
from fitwatch.stopping.rule import EarlyStopping

__all__ = ["BestKeeper", "EarlyStopping"]
