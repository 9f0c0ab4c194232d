"""Recording: the :class:`Run` a training loop logs into, its batch-to-epoch arithmetic, lifecycle
(exit hooks, failure, resume) and progress bar; it imports :mod:`fitwatch.diagnosis`,
:mod:`fitwatch.stopping`, :mod:`fitwatch.store` and :mod:`fitwatch.core`."""

from fitwatch.record.accumulator import NonFiniteValue, SplitAccumulator, check_n
from fitwatch.record.run import Run

__all__ = ["NonFiniteValue", "Run", "SplitAccumulator", "check_n"]
