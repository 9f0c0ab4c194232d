"""Keras console output: what ``model.fit(verbose=1 or 2)`` printed, saved as a text log.

The file shape (``nohup python train.py > train.log``): an ``Epoch 3/10`` line, then progress
lines (``\\r`` or ``\\b`` redraws of one line, or new lines) ending in ``... - loss: 0.41 -
val_loss: 0.52``; the last update of each epoch counts, anything else printed in between is
left out (Keras 1's checkpoint messages, ``Epoch 00003: val_loss improved ...``, printed into the
middle of a progress line too). Epochs are numbered as printed (from 1); a header written as a
comment, ``# Epoch 3/10``, is one.

Also a printout of phase sections, one line per epoch, or a line per phase and epoch:
``Training: loss = 0.82, acc = 0.14 | Val: loss = 0.85, acc = 0.0`` (rows numbered from 0), or
``[train] epoch:3 loss:0.41`` then ``[val] epoch:3 loss:0.52 miou:0.61`` (one row per epoch);
a validation phase's names get ``val_``.

And a printout of one line per epoch, from a custom callback or a hand-written loop:
``Epoch 1 - loss: 0.3178, accuracy: 0.8922, val_loss: 1.3629``, ``Epoch 3/10 | Train Loss:
0.41 | Val Loss: 0.52``, ``epoch 3 | lr 0.005 | train_loss 0.41 | val_loss 0.52``, ``epoch 3
train_loss 0.41 val_loss 0.52``, ``Epoch:0, mask loss is 0.1411`` or ``[ep 03/40] trn_loss=0.41 | vld_loss=0.52`` (names as printed, read as the CSV readers read column names); a
tqdm bar redrawn in place (``Epoch 3/30: 100%|...| 43/43 [..., loss=0.41, val_loss=0.52]``) by its
last drawing.

Example:
    >>> text = "Epoch 1/2\\n10/10 - 1s - loss: 0.9 - val_loss: 1.0\\nEpoch 2/2\\n10/10 - 1s - loss: 0.7 - val_loss: 0.8\\n"
    >>> is_keras_console(text)
    True
    >>> [(key, c)] = parse_keras_console(text, "train.log", "train.log")
    >>> c.epochs.tolist(), c.loss.tolist(), c.val_loss.tolist()
    ([1, 2], [0.9, 0.7], [1.0, 0.8])
"""

from __future__ import annotations

import math
import re

from fitwatch.diagnosis.readers.columns import ReadError
from fitwatch.diagnosis.readers.runs import rows_table

# Every pattern here runs in time linear in its input, whatever the bytes: an optional token between
# two runs of spaces (\s*\[?\s*), a lazy name before \s*, \d+\.?\d* or ^\s* tried at each blank line
# backtrack over every split of a long run (minutes for 10,000 spaces). Where a pattern had them, it
# is written without them, or emulated (_at_line_starts, _pairs), matching exactly what it matched.
_NUMBER = r"[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)"  # .81 too (a leading zero left out)
#: "Epoch 3/10" alone on a line, or "# Epoch 3/10" (a printout that marked its headers as comments);
#: the line's leading spaces are matched by _at_line_starts
_KERAS_EPOCH = re.compile(r"(?:#[ \t]*)?Epoch (\d+)/(\d+)\s*$", re.M)
_KERAS_METRIC = re.compile(rf" - ([A-Za-z_]\w*): ({_NUMBER})(?![\w.])")


#: one line per epoch: "Epoch 3", "Epoch 3/10", "Epoch: 3", "Epoch [3/10]", "ep 03", "[ep 03/40]", then name: value pairs
#: (the line's leading spaces matched by _at_line_starts, its trailing ones stripped)
_LINE_EPOCH = re.compile(r"\[?(?:Epoch|ep)\s*(?:[:#]\s*)?(?:\[\s*)?(\d+)\s*(?:/\s*\d+\s*)?(?:\]\s*)?(?:[-:,|]\s*)?([^\n]*)",
                         re.I)
_WS = re.compile(r"\s*")


class _Match:
    """What is used here of a match: ``start()``, ``end()``, ``group(i)``."""

    __slots__ = ("_span", "_groups")

    def __init__(self, start: int, end: int, groups: tuple):
        self._span, self._groups = (start, end), groups

    def start(self) -> int:
        return self._span[0]

    def end(self) -> int:
        return self._span[1]

    def group(self, i: int):
        return self._groups[i - 1]


def _at_line_starts(tail: re.Pattern, text: str, strip_last: bool = False):
    """The matches of ``^\\s*`` then ``tail`` (multi-line), as ``re.finditer`` finds them, in linear time
    (the pattern itself tries every blank line of a long run of them, each to the run's end). ``tail``
    starts with a character that is not a space (a letter, ``#``). ``strip_last``: its last group
    stands for ``(.*?)\\s*$``: it is stripped of trailing spaces, and the match ends where that
    pattern's would."""
    pos, n = 0, len(text)
    while pos <= n:
        m = tail.search(text, pos)
        if m is None:
            return
        q = r = m.start()
        while r > pos and text[r - 1].isspace():  # \s* before the tail: the spaces back to pos
            r -= 1
        # the first line start in text[r:q] (r itself, when a line starts there)
        p = r if r == 0 or text[r - 1] == "\n" else text.find("\n", r, q) + 1
        if p == 0 and r != 0:  # no line starts between pos and the tail: not at a line's start
            pos = q + 1
            continue
        groups, end = m.groups(), m.end()
        if strip_last:
            groups = (*groups[:-1], groups[-1].rstrip())
            after = _WS.match(text, end).end()  # \s*$ takes the spaces after, back to a line end
            end = n if after == n else text.rfind("\n", end, after)
        yield _Match(p, end, groups)
        pos = end


def _line_number(text: str):
    """A function of a rising offset in ``text``: its line number (from 1), counted incrementally."""
    at, line = 0, 1

    def number(offset: int) -> int:
        nonlocal at, line
        line += text.count("\n", at, offset)
        at = offset
        return line

    return number


#: a name and a value: "loss: 0.41", "Train Loss = 0.41" (see _pairs)
_NAME_RUN = re.compile(r"[A-Za-z0-9_./ -]*", re.I)
_LETTER = re.compile(r"[A-Za-z]", re.I)
_SEP_VALUE = re.compile(rf"[:=]\s*({_NUMBER})(?![\w.])", re.I)


def _pairs(s: str) -> list[tuple[str, str]]:
    """``re.findall(r"([A-Za-z][A-Za-z0-9_./ -]*?)\\s*[:=]\\s*(NUMBER)(?![\\w.])", s, re.I)``, in linear
    time: a name (a letter, then letters, digits, ``_./ -``), spaces, ``:`` or ``=``, a number."""
    out, pos, n = [], 0, len(s)
    while True:
        m = _LETTER.search(s, pos)
        if m is None:
            return out
        start = m.start()
        k = _WS.match(s, _NAME_RUN.match(s, start + 1).end()).end()  # the first place past the name's run
        v = _SEP_VALUE.match(s, k) if k < n else None
        if v is None:  # nothing that starts in s[start:k] is a pair either
            pos = k + 1 if k < n and s[k] in ":=" else k
            continue
        e = k  # the name is the shortest: up to the spaces before the ":"
        while e > start + 1 and s[e - 1].isspace():
            e -= 1
        out.append((s[start:e], v.group(1)))
        pos = v.end()


def _whole(digits: str) -> int | float:
    """A printed epoch number as a number: past 18 digits a float (inf past a float's range)."""
    return int(digits) if len(digits) <= 18 else float(digits)


_NAME = re.compile(r"[A-Za-z][\w./ -]*")
_TOKEN = re.compile(r"[A-Za-z][\w./-]*")
_VALUE = re.compile(_NUMBER, re.I)
_FIELDS = re.compile(r"[|,;]")


def _spaced_pairs(s: str) -> list[tuple[str, str]]:
    """Names and values written without ``:`` or ``=``: ``lr 0.005 | train_loss 0.98 | val_loss 0.97``
    (fields between ``|``, ``,`` or ``;``, each a name then its number) or ``train_loss 0.98 val_loss
    0.97`` (a name of one word, then its number)."""
    out = []
    if _FIELDS.search(s):
        for field in _FIELDS.split(s):
            parts = field.strip().rsplit(None, 1)
            if len(parts) == 2 and _NAME.fullmatch(parts[0]) and _VALUE.fullmatch(parts[1]):
                out.append((parts[0].strip(" -"), parts[1]))
        return out
    words = s.split()
    i = 0
    while i + 1 < len(words):
        if _TOKEN.fullmatch(words[i]) and _VALUE.fullmatch(words[i + 1]):
            out.append((words[i], words[i + 1]))
            i += 2
        else:
            i += 1
    return out


_REDRAW = re.compile(r"[\r\x08]+")


def _last_drawing(rest: str) -> str:
    """The rest of an epoch's line as last drawn: a progress bar redrawn in place (tqdm's
    ``Epoch 3/30: 100%|...| 43/43 [..., loss=0.41, val_loss=0.52]``, one ``\r`` per update) counts
    by its last drawing, its ``Epoch 3/30:`` and bar left out (not a metric named "Epoch 3/30")."""
    if "\r" not in rest and "\x08" not in rest:
        return rest
    drawn = [d for d in _REDRAW.split(rest) if d.strip()]
    last = drawn[-1].lstrip() if drawn else ""
    again = _LINE_EPOCH.match(last)
    return again.group(2) if again else last


#: "loss is 0.41" (``Epoch:0, mask loss is 0.1411``): single spaces, so the pattern stays linear
_IS = re.compile(rf"(?<=\S) is (?={_NUMBER})", re.I)


#: words that end a name read before " is " rather than belong to it ("the val loss is 1.01")
_FILLER = {"the", "and", "a", "an", "of", "is", "was", "with", "then", "now", "so"}


def _is_pairs(rest: str) -> list[tuple[str, str]]:
    """The ``NAME is VALUE`` pairs of a line (``mask loss is 0.1411, val loss is 0.2``), each name its
    last words before ``is`` (up to three, fillers such as "the" and "and" left out)."""
    out = []
    for k, v in _pairs(_IS.sub(": ", rest)):
        words = [w for w in k.strip(" -|,").split() if w.lower() not in _FILLER][-3:]
        if words:
            out.append((" ".join(words), v))
    return out


def _epoch_line_rows(text: str) -> tuple[list[dict], list[int]]:
    """The rows of a one-line-per-epoch printout: ``{"epoch": 3, "Train Loss": "0.41", ...}``."""
    rows, linenos = [], []
    line_of = _line_number(text)
    for m in _at_line_starts(_LINE_EPOCH, text, strip_last=True):
        rest = _last_drawing(m.group(2))
        pairs = [(k.strip(" -|,"), v) for k, v in _pairs(rest)]
        if not any("loss" in k.lower() for k, _ in pairs):
            pairs = _spaced_pairs(rest)
        if not any("loss" in k.lower() for k, _ in pairs) and _IS.search(rest):
            pairs = _is_pairs(rest)  # "mask loss is 0.1411": a name and its value, when nothing else is
        pairs = [(k, v) for k, v in pairs if k and k.lower() not in ("eta", "epoch", "time", "lr_time")]
        if any("loss" in k.lower() for k, _ in pairs):
            rows.append({"epoch": _whole(m.group(1)), **dict(pairs)})
            linenos.append(line_of(m.start()))
    return rows, linenos


#: a phase section: "Training:", "Val:", "[train]", "[val]" ... then its name/value pairs
_PHASE = re.compile(r"(?:^|\|)\s*(?:\[\s*)?(train(?:ing)?|val(?:id(?:ation)?)?|eval(?:uation)?|test)"
                    r"\s*(?:\]\s*)?(?::\s*)?(?=[A-Za-z])", re.I)
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
            for k, v in _pairs(line[m.end(): nxt.start() if nxt else len(line)]):
                k = k.strip(" -|,")
                if k.lower() == "epoch":
                    epoch = float(v)
                    epoch = int(epoch) if math.isfinite(epoch) else None  # "epoch: nan" says none
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
    if next(_at_line_starts(_KERAS_EPOCH, text), None) is not None:
        return True
    head = text[:200_000]
    return len(_epoch_line_rows(head)[0]) >= 2 or bool(_phase_rows(head)[0])


#: a value written with a decimal comma after its name (``loss: 0,91``, ``loss is 0,91``), not a list
#: (``1,234,567``): read with a point, where it read as 0 and the rest was lost
_DECIMAL_COMMA = re.compile(r"((?:[:=]|\bis)[ \t]?[-+]?\d+),(\d+)(?![\d,])")


def parse_keras_console(text: str, label: str, source: str) -> list[tuple]:
    """What ``model.fit(verbose=1 or 2)`` printed (``nohup python train.py > train.log``):
    ``Epoch 3/10`` then a progress line ``... - loss: 0.41 - val_loss: 0.52``; the last update of
    each epoch counts. Epochs as printed (from 1). Values written with a decimal comma
    (``loss: 0,91``) are read with a point, and a note says so."""
    text, n = _DECIMAL_COMMA.subn(r"\1.\2", text)
    said = ["read decimal commas (0,91) as decimal points"] if n else []
    marks = list(_at_line_starts(_KERAS_EPOCH, text))
    if not marks:  # one line per epoch, or phase sections
        rows, linenos = _epoch_line_rows(text)
        if len(rows) < 2:
            rows, linenos = _phase_rows(text)
            return rows_table(rows, linenos, label, source, ["read from a printout of phase sections (Training: "
                                                             "..., Val: ...)", *said])
        return rows_table(rows, linenos, label, source, ["read from a printout of one line per epoch (epochs numbered "
                                                         "as printed)", *said])
    rows, linenos = [], []
    line_of = _line_number(text)
    for m, nxt in zip(marks, marks[1:] + [None]):
        chunk = text[m.end(): nxt.start() if nxt else len(text)]
        updates = [u for u in re.split(r"[\r\n\x08]+", chunk) if _KERAS_METRIC.search(u)]
        if not updates:
            continue
        row = {"epoch": _whole(m.group(1))}
        row.update((k, v) for k, v in _KERAS_METRIC.findall(updates[-1]) if k != "ETA")
        rows.append(row)
        linenos.append(line_of(m.start()))
    if not rows:
        raise ReadError(f"{label}: Keras console output without metrics after 'Epoch 1/N'; "
                        f"pass keras.callbacks.CSVLogger('log.csv') to fit() for a log fitwatch reads")
    notes = ["read from Keras console output (epochs numbered from 1, as printed)", *said]
    return rows_table(rows, linenos, label, source, notes)
