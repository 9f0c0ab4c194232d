"""Before training: pre-flight checks (:func:`preflight`) and a learning-rate range test (:func:`lr_find`).

Both work on private copies and leave the caller's model, optimizer, loaders and random state as
they were; both can store their result with a :class:`fitwatch.Run` (``run=``), whose diagnosis and
pages then show it.

Layer: beside ``fitwatch.record`` and ``fitwatch.show`` (never importing them); it may import
``fitwatch.diagnosis`` (the findings' format, the loss/output rule), ``fitwatch.probes`` (names), the
store and core, numpy and the standard library; torch only inside the functions that need it.
"""

from fitwatch.preflight.lr_find import LRSweep, lr_find
from fitwatch.preflight.report import Preflight, preflight

__all__ = ["LRSweep", "Preflight", "lr_find", "preflight"]
