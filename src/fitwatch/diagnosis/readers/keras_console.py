"""Keras console output: what ``model.fit(verbose=1 or 2)`` printed, saved as a text log.

The file shape (``nohup python train.py > train.log``): an ``Epoch 3/10`` line, then progress
lines (``\\r`` or ``\\b`` redraws of one line, or new lines) ending in ``... - loss: 0.41 -
val_loss: 0.52``; the last update of each epoch counts, anything else printed in between is
left out. Epochs are numbered as printed (from 1).

Also a printout of one line per epoch, from a custom callback or a hand-written loop:
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


def is_keras_console(text: str) -> bool:
    """Whether ``text`` holds an ``Epoch 1/N`` line of Keras' console output, or two or more lines
    of one epoch each with a loss (``Epoch 1 - loss: 0.31, val_loss: 1.36``)."""
    if _KERAS_EPOCH.search(text):
        return True
    return len(_epoch_line_rows(text[:200_000])[0]) >= 2


def parse_keras_console(text: str, label: str, source: str) -> list[tuple]:
    """What ``model.fit(verbose=1 or 2)`` printed (``nohup python train.py > train.log``):
    ``Epoch 3/10`` then a progress line ``... - loss: 0.41 - val_loss: 0.52``; the last update of
    each epoch counts. Epochs as printed (from 1)."""
    marks = list(_KERAS_EPOCH.finditer(text))
    if not marks:  # one line per epoch
        rows, linenos = _epoch_line_rows(text)
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
