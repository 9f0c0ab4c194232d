"""An MLflow run as its file store keeps it: ``mlruns/<experiment>/<run>/metrics/<name>``, one file
per metric without a suffix, a line per logged value: ``<timestamp ms> <value> <step>``.

A run's ``metrics`` folder becomes one run: each file a curve named by its file (``val_loss``,
``loss``; a name with a ``/`` is a folder below ``metrics``: ``train/loss``), its values by step.
A step logged more than once keeps its last value (a run resumed from a checkpoint logs its steps
again); the steps are the epochs (Keras' and most autologging log one value per epoch at step =
epoch). One file named alone is a run of that one curve.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "metrics"
    >>> d.mkdir()
    >>> _ = (d / "loss").write_text("1700000000000 0.9 0\\n1700000001000 0.7 1\\n1700000002000 0.6 2\\n")
    >>> _ = (d / "val_loss").write_text("1700000000500 1.0 0\\n1700000001500 0.8 1\\n1700000002500 0.75 2\\n")
    >>> is_mlflow_metrics(d)
    True
    >>> [(key, c)] = read_mlflow_metrics(d, "run")
    >>> c.epochs.tolist(), c.loss.tolist(), c.val_loss.tolist()
    ([0, 1, 2], [0.9, 0.7, 0.6], [1.0, 0.8, 0.75])
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from fitwatch.diagnosis.readers.columns import MAX_LOG_LINES, ReadError
from fitwatch.diagnosis.readers.runs import rows_table

#: one logged value: timestamp (ms since 1970: 10 digits or more), value, step
_LINE = re.compile(r"^\s*(\d{10,})\s+([-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|nan|inf|NaN|Infinity|-Infinity))\s+(-?\d+)\s*$")
_MAX_BYTES = 64 << 20


def is_mlflow_file(text: str) -> bool:
    """Every non-blank line (two or more) is ``<timestamp> <value> <step>``."""
    lines = [ln for ln in text[:8192].splitlines()[:-1] if ln.strip()] if len(text) > 8192 else \
        [ln for ln in text.splitlines() if ln.strip()]
    return len(lines) >= 2 and all(_LINE.match(ln) for ln in lines)


def is_mlflow_metrics(folder: Path) -> bool:
    """A folder named ``metrics`` whose files (below it too) have no suffix and read as MLflow's."""
    if folder.name != "metrics" or not folder.is_dir():
        return False
    files = [Path(r, f) for r, _, fs in os.walk(folder) for f in fs if not f.startswith(".")]
    if not files or any(p.suffix for p in files):
        return False
    try:
        with open(files[0], encoding="utf-8", errors="replace") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return bool(head.strip()) and all(_LINE.match(ln) for ln in head.splitlines()[:-1] if ln.strip())


def _values(path: Path, label: str) -> dict[int, float]:
    """Step -> value of one metric file (the last value logged at a step)."""
    if path.stat().st_size > _MAX_BYTES:
        raise ReadError(f"{label}: {path.name} is over 64 MiB; not read")
    out: dict[int, float] = {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        for i, ln in enumerate(fh, 1):
            if i > MAX_LOG_LINES:
                raise ReadError(f"{label}: {path.name} has over {MAX_LOG_LINES:,} lines; not read")
            if not ln.strip():
                continue
            m = _LINE.match(ln)
            if m is None:
                raise ReadError(f"{label}: {path.name} line {i}: not MLflow's '<timestamp> <value> <step>' "
                                f"({ln.strip()[:50]!r})")
            out[int(m.group(3))] = float(m.group(2))
    return out


def read_mlflow_metrics(source: Path, label: str) -> list[tuple]:
    """The run of a ``metrics`` folder (every metric file in it), or of one metric file."""
    files = ([Path(r, f) for r, _, fs in os.walk(source) for f in sorted(fs) if not f.startswith(".")]
             if source.is_dir() else [source])
    curves = {p.relative_to(source).as_posix() if source.is_dir() else p.name: _values(p, label) for p in sorted(files)}
    steps = sorted({s for v in curves.values() for s in v})
    if not steps:
        raise ReadError(f"{label}: MLflow metric files without a value")
    rows = [{"epoch": s, **{k: v[s] for k, v in curves.items() if s in v}} for s in steps]
    notes = [f"read as an MLflow run's metrics ({len(curves)} metric file{'s' if len(curves) > 1 else ''}): the "
             f"steps are the epochs; a step logged twice keeps its last value"]
    return rows_table(rows, list(range(1, len(rows) + 1)), label, str(source), notes)
