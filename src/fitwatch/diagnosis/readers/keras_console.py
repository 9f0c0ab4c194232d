"""Keras console output: what ``model.fit(verbose=1 or 2)`` printed, saved as a text log.

The file shape (``nohup python train.py > train.log``): an ``Epoch 3/10`` line, then progress
lines (``\\r`` or ``\\b`` redraws of one line, or new lines) ending in ``... - loss: 0.41 -
val_loss: 0.52``; the last update of each epoch counts, anything else printed in between is
left out. Epochs are numbered as printed (from 1).

Also a printout of phase sections, one line per epoch, or a line per phase and epoch:
``Training: loss = 0.82, acc = 0.14 | Val: loss = 0.85, acc = 0.0`` (rows numbered from 0), or
``[train] epoch:3 loss:0.41`` then ``[val] epoch:3 loss:0.52 miou:0.61`` (one row per epoch);
a validation phase's names get ``val_``.

And a printout of one line per epoch, from a custom callback or a hand-written loop:
``Epoch 1 - loss: 0.3178, accuracy: 0.8922, val_loss: 1.3629`` or ``Epoch 3/10 | Train Loss:
0.41 | Val Loss: 0.52`` (names as printed, read as the CSV readers read column names).

Example:
    >>> text = "Epoch 1/2\\n10/10 - 1s - loss: 0.9 - val_loss: 1.0\\nEpoch 2/2\\n10/10 - 1s - loss: 0.7 - val_loss: 0.8\\n"
    >>> is_keras_console(text)
    True
    >>> [(key, c)] = parse_keras_console(text, "train.log", "train.log")
    >>> c.epochs.tolist(), c.loss.tolist(), c.val_loss.tolist()
    ([1, 2], [0.9, 0.7], [1.0, 0.8])
"""

from __future__ import annotations

import re

from fitwatch.diagnosis.readers.columns import ReadError
from fitwatch.diagnosis.readers.runs import rows_table

_KERAS_EPOCH = re.compile(r"^\s*Epoch (\d+)/(\d+)\s*$", re.M)
_KERAS_METRIC = re.compile(r" - ([A-Za-z_]\w*): ([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|nan|inf))(?![\w.])")


#: one line per epoch: "Epoch 3", "Epoch 3/10", "Epoch: 3", "Epoch [3/10]", then name: value pairs
_LINE_EPOCH = re.compile(r"^\s*Epoch\s*[:#]?\s*\[?\s*(\d+)\s*(?:/\s*\d+\s*)?\]?\s*[-:,|]?\s*(.*?)\s*$",
                         re.M | re.I)
_PAIR = re.compile(r"([A-Za-z][A-Za-z0-9_./ -]*?)\s*[:=]\s*([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|nan|inf))(?![\w.])",
                   re.I)


def _epoch_line_rows(text: str) -> tuple[list[dict], list[int]]:
    """The rows of a one-line-per-epoch printout: ``{"epoch": 3, "Train Loss": "0.41", ...}``."""
    rows, linenos = [], []
    for m in _LINE_EPOCH.finditer(text):
        pairs = [(k.strip(" -|,"), v) for k, v in _PAIR.findall(m.group(2))]
        pairs = [(k, v) for k, v in pairs if k and k.lower() not in ("eta", "epoch", "time", "lr_time")]
        if any("loss" in k.lower() for k, _ in pairs):
            rows.append({"epoch": int(m.group(1)), **dict(pairs)})
            linenos.append(text.count("\n", 0, m.start()) + 1)
    return rows, linenos


#: a phase section: "Training:", "Val:", "[train]", "[val]" ... then its name/value pairs
_PHASE = re.compile(r"(?:^|\|)\s*\[?\s*(train(?:ing)?|val(?:id(?:ation)?)?|eval(?:uation)?|test)\s*\]?\s*:?\s*"
                    r"(?=[A-Za-z])", re.I)
_VAL_PHASES = ("val", "valid", "validation", "eval", "evaluation", "test")


def _phase_rows(text: str) -> tuple[list[dict], list[int]]:
    """The rows of a printout of phase sections (see the module's docstring); empty unless three or
    more lines hold a phase with a loss."""
    rows: list[dict] = []
    linenos: list[int] = []
    by_epoch: dict[int, dict] = {}
    for i, line in enumerate(text.splitlines()):
        marks = list(_PHASE.finditer(line))
        if not marks:
            continue
        row: dict = {}
        epoch = None
        for m, nxt in zip(marks, marks[1:] + [None]):
            val = m.group(1).lower() in _VAL_PHASES
            for k, v in _PAIR.findall(line[m.end(): nxt.start() if nxt else len(line)]):
                k = k.strip(" -|,")
                if k.lower() == "epoch":
                    epoch = int(float(v))
                elif k:
                    row[f"val_{k}" if val else k] = v
        if not any("loss" in k.lower() for k in row):
            if not (epoch is not None and row and any(k.startswith("val_") for k in row)):
                continue  # a validation line of metrics only joins its epoch's row below
        if epoch is None:
            rows.append({"epoch": len(rows), **row})
            linenos.append(i + 1)
        elif epoch in by_epoch:
            by_epoch[epoch].update(row)
        else:
            by_epoch[epoch] = {"epoch": epoch, **row}
            rows.append(by_epoch[epoch])
            linenos.append(i + 1)
    if sum(1 for r in rows if any("loss" in k.lower() for k in r)) < 3:
        return [], []
    return rows, linenos


def is_keras_console(text: str) -> bool:
    """Whether ``text`` holds an ``Epoch 1/N`` line of Keras' console output, or two or more lines
    of one epoch each with a loss (``Epoch 1 - loss: 0.31, val_loss: 1.36``)."""
    if _KERAS_EPOCH.search(text):
        return True
    head = text[:200_000]
    return len(_epoch_line_rows(head)[0]) >= 2 or bool(_phase_rows(head)[0])


def parse_keras_console(text: str, label: str, source: str) -> list[tuple]:
    """What ``model.fit(verbose=1 or 2)`` printed (``nohup python train.py > train.log``):
    ``Epoch 3/10`` then a progress line ``... - loss: 0.41 - val_loss: 0.52``; the last update of
    each epoch counts. Epochs as printed (from 1)."""
    marks = list(_KERAS_EPOCH.finditer(text))
    if not marks:  # one line per epoch, or phase sections
        rows, linenos = _epoch_line_rows(text)
        if len(rows) < 2:
            rows, linenos = _phase_rows(text)
            return rows_table(rows, linenos, label, source, ["read from a printout of phase sections (Training: "
                                                             "..., Val: ...)"])
        return rows_table(rows, linenos, label, source, ["read from a printout of one line per epoch (epochs numbered "
                                                         "as printed)"])
    rows, linenos = [], []
    for m, nxt in zip(marks, marks[1:] + [None]):
        chunk = text[m.end(): nxt.start() if nxt else len(text)]
        updates = [u for u in re.split(r"[\r\n\x08]+", chunk) if _KERAS_METRIC.search(u)]
        if not updates:
            continue
        row = {"epoch": int(m.group(1))}
        row.update((k, v) for k, v in _KERAS_METRIC.findall(updates[-1]) if k != "ETA")
        rows.append(row)
        linenos.append(text.count("\n", 0, m.start()) + 1)
    if not rows:
        raise ReadError(f"{label}: Keras console output without metrics after 'Epoch 1/N'; "
                        f"pass keras.callbacks.CSVLogger('log.csv') to fit() for a log fitwatch reads")
    notes = ["read from Keras console output (epochs numbered from 1, as printed)"]
    return rows_table(rows, linenos, label, source, notes)
