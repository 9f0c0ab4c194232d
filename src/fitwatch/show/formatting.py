"""Small formatters shared by the command line, the report, the notebook view and the dashboard:
numbers to 4 significant digits, times, durations, a run's configuration, its error's one line.
Standard library only (a run's status from the store)."""

from __future__ import annotations

import math
import time

from fitwatch.store.status import effective_status


def fmt_number(v, digits: int = 4) -> str:
    """4 significant digits: ``0.1235``, ``1.235e-05``, ``1235``; NaN as ``nan``, None as ``-``.

    Numbers from 10,000 to 10 million are shown whole (``12346``, not ``1.235e+04``).
    """
    if v is None:
        return "-"
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if 1e4 <= abs(v) < 1e7:
        return f"{v:.0f}"
    return f"{v:.{digits}g}"


def fmt_time(t: float | None) -> str:
    """A Unix time as local time, to the minute: ``2026-11-21 14:03``."""
    if t is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


def fmt_duration(seconds: float | None) -> str:
    """``42s``, ``3m 07s``, ``2h 03m``, ``1d 02h``; ``-`` when unknown."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "-"
    s = int(round(seconds))
    if s < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m {s:02d}s"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}h {m:02d}m"
    d, h = divmod(h, 24)
    return f"{d}d {h:02d}h"


def fmt_config(config: dict) -> str:
    """``lr=0.001 batch_size=32 optimizer=Adam``."""
    return "  ".join(f"{k}={fmt_config_value(v)}" for k, v in (config or {}).items())


def fmt_config_value(v) -> str:
    """One configuration value as the runs table shows it: ``-`` for None, 6 digits for a float, a
    string quoted when it holds a space."""
    if v is None:  # a parameter left at None (scikit-learn's batch_size): nothing to show
        return "-"
    if isinstance(v, float):
        return fmt_number(v, 6)
    if isinstance(v, str):
        return v if v and " " not in v else repr(v)
    return str(v)


def duration_of(run, status: str | None = None) -> float | None:
    """Seconds from start to end; for a live run, until now; for a killed run, until its last write."""
    get = run.get if isinstance(run, dict) else lambda k: getattr(run, k, None)
    status = status or effective_status(run)
    start = get("started_at")
    if start is None:
        return None
    end = get("ended_at")
    if end is None:
        end = time.time() if status == "running" else get("updated_at")
    return None if end is None else end - start


def error_line(error: str | None) -> str | None:
    """The line that says what went wrong: a traceback's last line (``ValueError: ...``), else the first."""
    if not error:
        return None
    lines = [ln for ln in error.strip().splitlines() if ln.strip()]
    if not lines:
        return None
    if lines[0].startswith("Traceback"):
        # the exception line is the last one that is not indented (its message may span lines)
        for ln in reversed(lines):
            if not ln[:1].isspace():
                return ln.strip()
    return lines[0].strip()
