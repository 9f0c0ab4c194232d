"""The printout of the PyTorch examples' training scripts (``pytorch/examples``' ``mnist/main.py`` and
the many scripts written from it), saved as a text log.

The file shape: a line per ``log_interval`` batches,
``Train Epoch: 3 [12800/60000 (21%)]\\tLoss: 0.041234``, then after each epoch
``Test set: Average loss: 0.0321, Accuracy: 9897/10000 (99%)``. Each epoch becomes a row: ``loss``
the mean of the batch losses printed in that epoch (a sample of its batches, every
``log_interval``-th, not the whole epoch's mean: a note says so), ``val_loss`` the test set's
average loss printed after it, ``val_accuracy`` its correct / total. Epochs as printed (from 1).
A test line with no training line before it (an evaluation before training) is epoch 0.

Example:
    >>> text = ("Train Epoch: 1 [0/600 (0%)]\\tLoss: 0.90\\nTrain Epoch: 1 [300/600 (50%)]\\tLoss: 0.70\\n"
    ...         "\\nTest set: Average loss: 0.6500, Accuracy: 80/100 (80%)\\n\\n"
    ...         "Train Epoch: 2 [0/600 (0%)]\\tLoss: 0.50\\nTrain Epoch: 2 [300/600 (50%)]\\tLoss: 0.40\\n"
    ...         "\\nTest set: Average loss: 0.4800, Accuracy: 88/100 (88%)\\n")
    >>> is_pytorch_example(text)
    True
    >>> [(key, c)] = parse_pytorch_example(text, "mnist.log", "mnist.log")
    >>> c.epochs.tolist(), c.loss.tolist(), c.val_loss.tolist(), c.series["val_accuracy"].tolist()
    ([1, 2], [0.8, 0.45], [0.65, 0.48], [0.8, 0.88])
"""

from __future__ import annotations

import re

from fitwatch.diagnosis.readers.columns import ReadError
from fitwatch.diagnosis.readers.runs import rows_table

_NUM = r"[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|nan|inf)"
_TRAIN = re.compile(rf"^[ \t]*Train Epoch: (\d+) \[[^\]\n]*\][ \t]*Loss: ({_NUM})", re.M | re.I)
_TEST = re.compile(rf"^[ \t]*(?:Test|Validation|Val) set: Average loss: ({_NUM}),? Accuracy: (\d+)/(\d+)",
                   re.M | re.I)


def is_pytorch_example(text: str) -> bool:
    """Two or more ``Train Epoch: E [i/N (p%)] Loss: x`` lines, or one beside a ``Test set: Average
    loss: ...`` line."""
    head = text[:200_000]
    trains = len(_TRAIN.findall(head, 0, len(head)))
    return trains >= 2 or (trains >= 1 and _TEST.search(head) is not None)


def parse_pytorch_example(text: str, label: str, source: str) -> list[tuple]:
    """The rows of the printout: one per epoch, in the order printed (see the module's docstring)."""
    events = sorted([(m.start(), "train", m) for m in _TRAIN.finditer(text)]
                    + [(m.start(), "test", m) for m in _TEST.finditer(text)], key=lambda e: e[0])
    rows: dict[int, dict] = {}
    losses: dict[int, list[float]] = {}
    lines: dict[int, int] = {}
    epoch = 0
    for at, kind, m in events:
        if kind == "train":
            epoch = int(m.group(1))
            losses.setdefault(epoch, []).append(float(m.group(2)))
        else:
            total = int(m.group(3))
            rows.setdefault(epoch, {}).update(val_loss=float(m.group(1)),
                                              val_accuracy=int(m.group(2)) / total if total else float("nan"))
        lines.setdefault(epoch, text.count("\n", 0, at) + 1)
    for e, xs in losses.items():
        rows.setdefault(e, {})["loss"] = sum(xs) / len(xs)
    if not rows:
        raise ReadError(f"{label}: no 'Train Epoch: ... Loss:' or 'Test set: Average loss:' lines")
    order = sorted(rows)
    notes = ["read from the PyTorch examples' printout (Train Epoch ... Loss, Test set: Average loss ...): loss is "
             "the mean of the batch losses printed in each epoch (every log_interval-th batch), val_loss and "
             "val_accuracy the test set's after it"]
    return rows_table([{"epoch": e, **rows[e]} for e in order], [lines[e] for e in order], label, source, notes)
