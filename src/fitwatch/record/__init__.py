"""Recording: the :class:`Run` a training loop logs into (``run``), its batch-to-epoch arithmetic
(``accumulator``), the methods a framework integration drives it with and the early-stopping
bookkeeping that goes with them (``fit``), how runs end when the script does not end them: exit
hooks, fits in flight, a live writer (``lifecycle``), and the progress bar; it imports
:mod:`fitwatch.diagnosis`, :mod:`fitwatch.stopping`, :mod:`fitwatch.store` and :mod:`fitwatch.core`."""

from fitwatch.record.accumulator import NonFiniteValue, SplitAccumulator, check_n
from fitwatch.record.run import Run

__all__ = ["NonFiniteValue", "Run", "SplitAccumulator", "check_n"]
