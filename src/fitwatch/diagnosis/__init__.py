"""The diagnosis: curves from a run or a log file (``readers/``, one module per format), the checks that
give a verdict with evidence, thresholds and remedies; it imports :mod:`fitwatch.store` and
:mod:`fitwatch.core` (``Diagnosis.plot``, a convenience, reaches :mod:`fitwatch.show.plot` when
called: a declared exception)."""

from fitwatch.diagnosis.analyze import diagnose, diagnose_curves
from fitwatch.diagnosis.curves import Curves
from fitwatch.diagnosis.findings import SEVERITIES, VERDICTS, Diagnosis, Finding
from fitwatch.diagnosis.thresholds import Thresholds

__all__ = ["Curves", "Diagnosis", "Finding", "SEVERITIES", "Thresholds", "VERDICTS", "diagnose", "diagnose_curves"]
