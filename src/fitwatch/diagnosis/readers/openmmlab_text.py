"""OpenMMLab's text logs (mmdetection, mmsegmentation, mmpretrain, mmpose...): the ``*.log`` a run
writes beside its JSON log, often the only one kept.

The file shape, MMEngine (OpenMMLab 3.x)::

    08/22 15:51:57 - mmengine - INFO - Epoch(train) [1][50/1563]  lr: 1.0000e-03  eta: 0:07:17  time: 0.0347  loss: 2.7382
    08/22 15:52:54 - mmengine - INFO - Epoch(val) [1][313/313]  accuracy: 35.7000  data_time: 0.0047  time: 0.0122

and MMCV (2.x)::

    2021-06-02 10:00:00,000 - mmdet - INFO - Epoch [1][50/7330]	lr: 1.000e-02, eta: 1 day, 0:00:00, time: 0.5, loss_cls: 0.8, loss: 1.7
    2021-06-02 11:00:00,000 - mmdet - INFO - Epoch(val) [1][7330]	bbox_mAP: 0.2000, bbox_mAP_50: 0.4000

Training lines are logged every few iterations: each epoch's training values are the mean of its
lines (as the JSON logs are read); a validation line's metrics get ``val_`` names, its progress
lines (``eta``, ``time`` and ``memory`` only) are left out, and so are ``eta``, ``time``,
``data_time`` and ``memory`` everywhere. An iteration-based run (``Iter(train) [ 50/80000]``,
``Iter(val) [500/500]``) has one point per validation, the training lines since the one before
averaged into it; lines after the last validation are left out, with a note.

Example:
    >>> text = ("x - mmengine - INFO - Epoch(train) [1][5/5]  lr: 1.0000e-03  time: 0.45  loss: 6.7576\\n"
    ...         "x - mmengine - INFO - Epoch(val) [1][5/5]    accuracy: 7.5000  time: 0.0146\\n"
    ...         "x - mmengine - INFO - Epoch(train) [2][5/5]  lr: 1.0000e-03  time: 0.25  loss: 5.3044\\n"
    ...         "x - mmengine - INFO - Epoch(val) [2][5/5]    accuracy: 12.5000  time: 0.0175\\n")
    >>> is_openmmlab_text(text)
    True
    >>> [(key, c)] = parse_openmmlab_text(text, "run.log", "run.log")
    >>> c.epochs.tolist(), c.loss.tolist(), c.series["val_accuracy"].tolist()
    ([1, 2], [6.7576, 5.3044], [0.075, 0.125])
"""

from __future__ import annotations

import re

from fitwatch.diagnosis.readers.columns import ReadError
from fitwatch.diagnosis.readers.runs import rows_table

#: the marker of a line: MMEngine's "Epoch(train) [1][50/1563]", "Iter(val) [500/500]", MMCV's
#: "Epoch [1][50/7330]" and "Epoch(val) [1][7330]"; then the line's name: value pairs
_MARK = re.compile(r"\b(Epoch|Iter)(?:\((train|val|test)\))?\s*\[\s*(\d+)\s*(?:/\s*\d+\s*)?\]"
                   r"(?:\[\s*(\d+)\s*(?:/\s*\d+\s*)?\])?([^\n]*)")
_NAME = re.compile(r"[A-Za-z_][\w/@=.\-]*:")
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|nan|inf)", re.IGNORECASE)
_SPLIT = re.compile(r"[\s,]+")
#: bookkeeping, not curves
_SKIP = {"eta", "time", "data_time", "memory", "base_lr", "iter", "epoch"}
_HEAD = re.compile(r" - (?:mm\w+|\w+) - (?:INFO|WARNING) - (?:Epoch|Iter)(?:\((?:train|val)\))?\s*\[")


def is_openmmlab_text(text: str) -> bool:
    """Whether ``text`` holds two or more lines of an OpenMMLab runner's log (``- mmengine - INFO -
    Epoch(train) [1][50/1563]``, ``- mmdet - INFO - Epoch [1][50/7330]``)."""
    head = text[:200_000]
    first = _HEAD.search(head)
    return first is not None and _HEAD.search(head, first.end()) is not None


def _pairs(rest: str) -> dict:
    """The ``name: value`` pairs of a line's rest (split at spaces and commas: linear in its length,
    whatever the bytes), bookkeeping left out."""
    words = _SPLIT.split(rest)
    out = {}
    for name, value in zip(words, words[1:]):
        if _NAME.fullmatch(name) and _NUMBER.fullmatch(value) and name[:-1].lower() not in _SKIP:
            out[name[:-1]] = value
    return out


def parse_openmmlab_text(text: str, label: str, source: str) -> list[tuple]:
    """An OpenMMLab text log's training and validation lines as one run (see the module's docstring)."""
    rows, linenos, notes = [], [], []
    by_iter = False
    vals = 0  # validations seen (an iteration-based run's epochs)
    pending: list[tuple[dict, int]] = []  # an iteration-based run's training rows since the last validation
    for i, line in enumerate(text.splitlines()):
        if " - INFO - " not in line and " - WARNING - " not in line:
            continue
        m = _MARK.search(line)
        if m is None:
            continue
        unit, phase, first, second, rest = m.groups()
        pairs = _pairs(rest)
        val = phase in ("val", "test")
        if not pairs:
            continue  # a validation's progress line: eta, time, memory
        if unit == "Iter":
            by_iter = True
            if val:
                vals += 1
                for row, ln in pending:
                    row["epoch"] = vals
                    rows.append(row)
                    linenos.append(ln)
                pending = []
                rows.append({"mode": "val", "epoch": vals, **pairs})
                linenos.append(i + 1)
            else:
                pending.append(({"mode": "train", "iter": int(first), **pairs}, i + 1))
            continue
        epoch = int(first)
        if val:
            rows.append({"mode": "val", "epoch": epoch, **pairs})
        else:
            rows.append({"mode": "train", "epoch": epoch, "iter": int(second) if second else 0, **pairs})
        linenos.append(i + 1)
    if not rows:
        raise ReadError(f"{label}: an OpenMMLab log without a training or validation line holding values "
                        f"(Epoch(train) [1][50/1563]  loss: 0.5); nothing to read yet")
    if by_iter:
        notes.append(f"an iteration-based run: one point per validation ({vals}), the training lines since the "
                     f"one before averaged" + (f"; {len(pending)} training lines after the last validation left out"
                                              if pending else ""))
    return rows_table(rows, linenos, label, source, notes)
