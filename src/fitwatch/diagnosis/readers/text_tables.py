"""Tables inside a text report: a header of names set apart by two or more spaces (or tabs), then a
row of numbers per epoch, with prose, configuration and summaries around them::

    Experiment 1: Baseline CNN
    - Learning rate: 0.001

    Epoch    Loss      Validation Accuracy
    1        0.6359    0.7056
    2        0.5212    0.7498

    Best Validation Accuracy: 76.04%

Each table is a run (``file#1``, ``file#2``... in order); names may hold single spaces
(``Validation Accuracy``). Read only when nothing else reads the file (a CSV with a title above its
header is the CSV reader's).

Example:
    >>> text = "Run A\\n\\nEpoch   Loss    Val Loss\\n1       0.9     1.0\\n2       0.7     0.8\\n\\nDone.\\n"
    >>> [(key, c)] = parse_text_tables(text, "report.txt", "report.txt")
    >>> c.epochs.tolist(), c.loss.tolist(), c.val_loss.tolist()
    ([1, 2], [0.9, 0.7], [1.0, 0.8])
"""

from __future__ import annotations

import re

from fitwatch.diagnosis.readers.columns import role
from fitwatch.diagnosis.readers.runs import rows_table

_GAP = re.compile(r"\t|\s{2,}")
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?%?|nan|inf", re.IGNORECASE)
_LETTER = re.compile(r"[A-Za-z]")


def _header(line: str) -> list[str] | None:
    """The names of a table's header line (2 or more, each with a letter, one a metric or the
    epoch), else None."""
    names = [n.strip() for n in _GAP.split(line.strip())]
    if len(names) < 2 or not all(_LETTER.search(n) for n in names):
        return None
    kinds = [role(n, i == 0)[0] for i, n in enumerate(names)]
    return names if "metric" in kinds and ("epoch" in kinds or kinds.count("metric") >= 2) else None


def _tables(lines: list[str]) -> list[tuple[list[str], list[list[str]], list[int]]]:
    """``(names, rows, line numbers)`` of each table: a header, then 2 or more rows of as many numbers."""
    out, i = [], 0
    while i < len(lines):
        names = _header(lines[i])
        if names is None:
            i += 1
            continue
        rows, nums, j = [], [], i + 1
        while j < len(lines):
            cells = lines[j].split()
            if len(cells) != len(names) or not all(_NUMBER.fullmatch(c) for c in cells):
                break
            rows.append(cells)
            nums.append(j + 1)
            j += 1
        if len(rows) >= 2:
            out.append((names, rows, nums))
        i = max(j, i + 1)
    return out


def parse_text_tables(text: str, label: str, source: str) -> list[tuple] | None:
    """The runs of the tables in a text report (see the module's docstring), or None when it holds
    none."""
    found = _tables(text.splitlines())
    if not found:
        return None
    out = []
    for n, (names, rows, nums) in enumerate(found, 1):
        objs = [dict(zip(names, r)) for r in rows]
        notes = [f"read from a table in a text report (lines {nums[0] - 1}-{nums[-1]})"]
        runs = rows_table(objs, nums, label, source, notes)
        out += [(n if len(found) > 1 else key, c) for key, c in runs]
    return out
