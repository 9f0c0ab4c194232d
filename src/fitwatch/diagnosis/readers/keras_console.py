"""Keras console output: what ``model.fit(verbose=1 or 2)`` printed, saved as a text log.

The file shape (``nohup python train.py > train.log``): an ``Epoch 3/10`` line, then progress
lines (``\\r`` or ``\\b`` redraws of one line, or new lines) ending in ``... - loss: 0.41 -
val_loss: 0.52``; the last update of each epoch counts, anything else printed in between is
left out. Epochs are numbered as printed (from 1).

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


def is_keras_console(text: str) -> bool:
    """Whether ``text`` holds an ``Epoch 1/N`` line of Keras' console output."""
    return bool(_KERAS_EPOCH.search(text))


def parse_keras_console(text: str, label: str, source: str) -> list[tuple]:
    """What ``model.fit(verbose=1 or 2)`` printed (``nohup python train.py > train.log``):
    ``Epoch 3/10`` then a progress line ``... - loss: 0.41 - val_loss: 0.52``; the last update of
    each epoch counts. Epochs as printed (from 1)."""
    marks = list(_KERAS_EPOCH.finditer(text))
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
