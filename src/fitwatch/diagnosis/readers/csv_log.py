"""CSV logs: a Keras ``CSVLogger`` file, PyTorch Lightning's ``metrics.csv``, any table of one row per epoch.

The file shape: a header line naming the columns (``epoch,loss,val_loss,...``) then one row of
numbers per epoch (Lightning: step rows and epoch rows, aggregated to one per epoch), and the
variants found on disk: ``;``, tab, ``|`` or space separated, decimal commas, a title line or
``#`` comments above the header, a pandas index column (R's row names), a markdown table's
``|---|`` rule, rows with too many or too few fields, several runs appended (the header repeats,
or the epoch counter restarts).

Example:
    >>> [(key, c)] = parse_csv("epoch;loss;val_loss\\n1;0,9;1,0\\n2;0,7;0,8\\n", "log.csv", "log.csv")
    >>> key, c.epochs.tolist(), c.loss.tolist(), c.notes
    (None, [1, 2], [0.9, 0.7], ['read decimal commas (0,5) as decimal points'])
"""

from __future__ import annotations

import csv
import dataclasses
import math
import re
import struct
from collections import Counter

import numpy as np

from fitwatch.diagnosis.curves import ERROR_METRICS
from fitwatch.diagnosis.readers.columns import (
    DEC_COMMA,
    ReadError,
    cell,
    check_columns,
    is_accuracy,
    not_a_log,
    one_line,
    parse_cells,
    role,
)
from fitwatch.diagnosis.readers.log_history import from_log_history
from fitwatch.diagnosis.readers.resumed import MAX_RUNS
from fitwatch.diagnosis.readers.runs import runs_from_columns

_DELIMITERS = (",", ";", "\t", "|")
_RULE_CHARS = re.compile(r"[\s|:+=-]*")  # a markdown table's |---|---| holds only these, and "--"


def _is_rule(line: str) -> bool:
    return "--" in line and _RULE_CHARS.fullmatch(line) is not None


def parse_csv(text: str, label: str, source: str) -> list[tuple]:
    """The runs of a CSV log's ``text`` (``label`` names the file in messages): ``[(key, Curves)]``."""
    numbered, is_comment, rows, kinds, decimal_comma = _rows(text, label)
    segments, titles, ignored, header = _segments(numbered, is_comment, rows, kinds, label)
    if not segments:
        _no_rows(numbered, rows, kinds, header, label)
    file_notes = []
    cut = _cut_short(text, segments, numbered[-1][0], label)
    if cut:
        file_notes.append(cut)
        header, seg_rows, seg_lines = segments[-1]
        segments[-1] = (header, seg_rows[:-1], seg_lines[:-1])
    if titles:
        file_notes.append(f"skipped {_lines_text(titles)} above the header")
    if ignored:
        file_notes.append(f"ignored {_lines_text(ignored)} (text between rows)")
    if decimal_comma:
        file_notes.append("read decimal commas (0,5) as decimal points")
    out = []
    if len(segments) > MAX_RUNS:
        raise ReadError(f"{label}: {len(segments):,} tables in one file (the header line repeats), more than the "
                        f"{MAX_RUNS:,} runs fitwatch reads from one: write one file per run")
    for header, seg_rows, seg_lines in segments:
        notes = list(file_notes)
        width = len(header)
        check_columns(width, label, what="column")
        bad = [ln for r, ln in zip(seg_rows, seg_lines) if len(r) != width]
        if bad:
            notes.append(f"{_lines_text(bad)} with a number of fields other than the header's {width}: "
                         f"padded with blanks or cut")
        seg_rows = [r[:width] + [""] * (width - len(r)) for r in seg_rows]
        cols = [parse_cells(h, [r[j] for r in seg_rows], decimal_comma) for j, h in enumerate(header)]
        cols, seg_lines = _join_same_step(cols, seg_lines, notes)
        if _is_log_history(cols):
            runs = from_log_history(_as_rows(cols), label, source, what="a Trainer's log_history saved as CSV",
                                    fix="log the training loss and evaluate (eval_strategy)")
            for _, c in runs:
                c.notes[:0] = notes + ["read as a Hugging Face Trainer's log_history (saved as CSV): one point per "
                                       "evaluation, the training rows since the one before averaged"]
            out += runs
            continue
        out += runs_from_columns(cols, label=label, source=source, lines=seg_lines, notes=notes, what="column")
    if len(segments) > 1:
        out = [(k if isinstance(k, str) else i + 1, c) for i, (k, c) in enumerate(out)]
        for _, c in out:
            c.notes.append(f"{len(out)} runs in one file (a header line repeats)")
    return out


#: columns that differ from row to row of one step without being metrics: a clock (pandas' index is
#: told by its role)
_ROW_COLUMNS = {"timestamp", "time", "wall_time", "_timestamp", "_runtime", "_step"}


def _join_same_step(cols: list, lines: list, notes: list) -> tuple[list, list]:
    """A table with a ``step`` column and no epoch column whose rows come in runs of one step that
    never give one metric two different values (a training row, then an evaluation row:
    ``step,val_f1,eval_loss,train_loss`` with ``14,,,1.271`` and ``14,0.707,1.011,``) as one row per
    step; else the table as it is. Read as rows, no row held both losses and the run had no epoch to
    judge. A row's own columns (a timestamp) keep the step's first value; pandas' index is dropped
    (the rows it numbered are joined)."""
    roles = [role(c.name, i == 0) for i, c in enumerate(cols)]
    step = next((c for c in cols if c.name.strip().lower() == "step"), None)
    if step is None or ("epoch",) in roles or step.vals.size < 2 or not step.present.all() \
            or any(c.n_text for c in cols):
        return cols, lines
    same = step.vals[1:] == step.vals[:-1]
    if not same.any():
        return cols, lines
    starts = np.flatnonzero(np.r_[True, ~same])
    joined = []
    for c, r in zip(cols, roles):
        if r == ("index",):
            continue
        if c is step or c.name.strip().lower() in _ROW_COLUMNS:
            joined.append(dataclasses.replace(c, vals=c.vals[starts], present=c.present[starts]))
            continue
        # a metric: one value per step, logged once or repeated as it was
        count = np.add.reduceat(c.present.astype(np.int64), starts)
        value = np.maximum.reduceat(np.where(c.present, c.vals, -np.inf), starts)  # a NaN logged stays NaN
        if ((count > 1) & ~(value == np.minimum.reduceat(np.where(c.present, c.vals, np.inf), starts))).any():
            return cols, lines  # two values at one step: rows of their own
        joined.append(dataclasses.replace(c, vals=np.where(count > 0, value, np.nan), present=count > 0))
    notes.append(f"joined the rows logged at one step into one ({step.vals.size} rows, {starts.size} steps)")
    return joined, [lines[i] for i in starts]


def _is_log_history(cols: list) -> bool:
    """A Trainer's ``log_history`` saved as a table (``pd.DataFrame(trainer.state.log_history).to_csv()``):
    columns ``loss``, ``epoch``, ``step`` and ``eval_*``, training rows without an evaluation value and
    evaluation rows without a training loss (read as one table, no row held both, and no epoch had
    both: 1,643 'epochs' of a 10-epoch run, its diagnosis on none)."""
    by = {c.name.strip(): c for c in cols}
    evals = [c for name, c in by.items() if name.startswith("eval_") and c.present.any()]
    if not evals or not {"loss", "epoch", "step"} <= set(by) or not by["loss"].present.any():
        return False
    evaluated = np.logical_or.reduce([c.present for c in evals])
    return not (evaluated & by["loss"].present).any()


def _as_rows(cols: list) -> list[dict]:
    """The table's rows as the Trainer logged them: ``{name: value}`` of the cells present."""
    n = cols[0].vals.size if cols else 0
    rows = [{c.name.strip(): float(c.vals[i]) for c in cols if c.present[i]} for i in range(n)]
    for r in rows:  # a step is a whole number, as the Trainer logs it
        if isinstance(r.get("step"), float) and r["step"].is_integer():
            r["step"] = int(r["step"])
    return rows


def _rows(text: str, label: str) -> tuple:
    """The non-blank lines as ``(numbered, is_comment, rows, kinds, decimal_comma)``: ``(line number,
    line)``, which are comments, their fields, each row's kind (:func:`_row_kind`), decimal commas."""
    numbered = [(i + 1, ln.strip()) for i, ln in enumerate(text.splitlines()) if ln.strip()]
    numbered = [(i, ln) for i, ln in numbered if not _is_rule(ln)]  # a markdown table's |---|---|
    if not numbered:
        raise ReadError(f"{label}: no header line followed by rows of numbers; expected a CSV like "
                        f"epoch,loss,val_loss then one row per epoch")
    is_comment = [ln.startswith(("#", "//")) for _, ln in numbered]
    body = [ln for (_, ln), c in zip(numbered, is_comment) if not c]
    delim = _pick_delimiter(body[:200] + body[-50:])
    opts = dict(delimiter=delim, skipinitialspace=delim == " ")
    texts = [ln.lstrip("#/ \t") if c else ln for (_, ln), c in zip(numbered, is_comment)]
    try:
        rows = list(csv.reader(texts, **opts))
    except csv.Error:  # a quote opened and never closed: a field past the csv module's limit
        rows = []
    if len(rows) != len(texts):  # a quoted field spanning lines: parse line by line instead
        rows = [_one_row(t, opts, label, lineno) for t, (lineno, _) in zip(texts, numbered)]
    decimal_comma = delim != "," and _decimal_comma(rows)
    kinds = [_row_kind(r, decimal_comma) for r in rows]
    return numbered, is_comment, rows, kinds, decimal_comma


def _one_row(text: str, opts: dict, label: str, lineno: int) -> list[str]:
    try:
        return next(csv.reader([text], **opts), [])
    except csv.Error:  # a field longer than csv.field_size_limit() (131,072 characters)
        raise ReadError(f"{label}: line {lineno}: a field of over {csv.field_size_limit():,} characters; not a "
                        f"training log's cell (a log holds numbers and names): cut that line out") from None


def _segments(numbered, is_comment, rows, kinds, label: str) -> tuple:
    """The tables of the file: ``(segments, titles, ignored, header)``, a segment ``(header, [rows],
    [line numbers])`` for each header line followed by data; the line numbers of text above the
    first header and between rows; the last header seen."""
    segments = []  # (header, [rows], [line numbers])
    header, cur, cur_lines, titles, ignored = None, [], [], [], []

    def next_data(i):
        for j in range(i + 1, len(rows)):
            if is_comment[j] and not is_comment[i]:
                continue
            if kinds[j] == "data" and not is_comment[j]:
                return rows[j]
            if kinds[j] != "blank":
                return None
        return None

    for i, (row, kind) in enumerate(zip(rows, kinds)):
        lineno = numbered[i][0]
        if kind == "blank":
            continue
        if kind == "text":
            nxt = next_data(i)
            fits = nxt is not None and len(row) in (len(nxt), len(nxt) - 1) and (len(row) > 1 or len(nxt) == 1)
            if is_comment[i] and header is not None and [f.strip() for f in row] != header:
                fits = False  # a comment after the header: only a repeated header counts
            if fits:
                if header is not None and cur:
                    segments.append((header, cur, cur_lines))
                header = [f.strip() for f in row]
                if len(row) == len(nxt) - 1:  # R's write.table: no name for the row-name column
                    header = [""] + header
                cur, cur_lines = [], []
            elif not is_comment[i]:
                (titles if header is None else ignored).append(lineno)
            continue
        if is_comment[i]:
            continue
        if header is None:
            raise ReadError(f"{label}: line {lineno}: numbers before any header line; the first line should name "
                            f"the columns, e.g. epoch,loss,val_loss")
        cur.append(row)
        cur_lines.append(lineno)
    if header is not None and cur:
        segments.append((header, cur, cur_lines))
    return segments, titles, ignored, header


def _no_rows(numbered, rows, kinds, header, label: str) -> None:
    """Raise the :class:`ReadError` for a file without a header followed by data: a header alone (no
    epoch yet), or no header at all (a text that is no log, or a printout fitwatch does not read:
    ``epoch 1, loss 0.72`` holds numbers, not column names)."""
    if header is not None and not _log_header(header):
        header = None
    if header is None and "data" not in kinds:  # a header the first epoch has not followed yet
        texts = [r for r, k in zip(rows, kinds) if k == "text" and r and not r[0].lstrip().startswith("#")]
        header = next(([f.strip() for f in r] for r in texts[:5] if _log_header(r)), None)
    if header is not None:
        raise ReadError(f"{label}: a header line and no rows (found: {', '.join(header)}); the log has no "
                        f"epochs yet")
    lineno, first = numbered[0] if numbered else (1, "")
    raise ReadError(not_a_log(label, lineno, first))  # text, and no sign of a log: a README, a command's output


_NUMBER = re.compile(r"\d[.,]\d|^\s*[-+]?\d+\s*$")  # 0.72, 0,72 or a bare 12: a value, not a column's name


def _log_header(fields: list[str]) -> bool:
    """A line of column names a log's header holds: names (no number such as 0.72 among them, none a
    sentence of more than 6 words), an epoch, a step or a metric among them (``epoch,loss``,
    ``Train Loss;Val Loss``, ``loss``, ``epoch,train:loss,lr*1e4``); not a sentence split at its
    commas, nor words (``hello world``), nor a printout (``epoch 1, loss 0.72``)."""
    names = [f.strip() for f in fields]
    if not any(names) or any(_NUMBER.search(n) or len(n) > 60 or len(n.split()) > 6 for n in names):
        return False
    for n in names:
        r = role(re.sub(r"[:*]", "_", n), False)
        if r[0] in ("epoch", "step"):
            return True
        if r[0] == "metric" and r[1] is not None:
            base = re.sub(r"^(val|valid|test|train)_", "", r[1])
            if base != r[1] or "loss" in base or is_accuracy(base) or base in ERROR_METRICS:
                return True
    return False


# a number cut off: "0.", "1e-", "2.3456e-0" (every writer gives an exponent two digits or more)
_UNFINISHED = re.compile(r"(?:^[-+]?\d*\.|\d[eE][-+]?\d?)$")
_FULL_REPR = 12  # a float32 written in full (0.7343078255653381) has 16 characters or more


def _cut_short(text: str, segments: list, last_line: int, label: str) -> str | None:
    """The note for a last line cut short, or None: a file that ends without a line break (a log
    copied while it was written, a disk that filled up), its last line a row of the last table with
    fewer fields than the header (where every other row has them all), a number that stops at its
    point or inside its exponent (``0.``, ``1e-``, ``2.3456e-0``), or a last value far shorter than the
    rest of its column written in full (``0.718`` under ``0.7343078255653381``) that no float32 writes
    so (1.0 and 0.25 are whole values: a float32 holds them exactly). That row is left out (the caller
    drops it); ``last_line`` is the file's last line with text. Words (``nan``, ``inf``, ``-``) are
    whole values: a log that ends on NaN diverged."""
    if not segments or text.rstrip(" \t\x00").endswith(("\n", "\r")):
        return None
    header, seg_rows, seg_lines = segments[-1]
    last, width = seg_rows[-1], len(header)
    if len(seg_rows) < 2 or seg_lines[-1] != last_line or not last or len(last) > width:
        return None
    value = last[-1].strip()
    col = len(last) - 1
    others = [r[col].strip() for r in seg_rows[:-1] if len(r) > col and r[col].strip()]
    if len(last) < width:
        if any(len(r) < width for r in seg_rows[:-1]):  # rows of fewer fields are this table's habit
            return None
        why = f"{len(last)} of the header's {width} fields"
    elif value and _UNFINISHED.search(value):
        why = f"its last value stops at {value!r}"
    elif value and len(others) >= 2 and min(map(len, others)) >= _FULL_REPR and len(value) <= min(map(len, others)) - 3 \
            and _float32_inexact(value):
        why = f"its last value, {value!r}, is shorter than every other in {header[col] or 'its column'}"
    else:
        return None
    return f"{label}: line {seg_lines[-1]}, the last, was cut short ({why}; no line break after it): left out"


def _float32_inexact(value: str) -> bool:
    """A number a float32 does not hold exactly (0.718; not 1.0, 0.25, 0.5): written short, it was
    not written by the float32 writer of the rest of its column. False for a word or anything else."""
    try:
        x = float(value)
    except ValueError:
        return False
    return math.isfinite(x) and float(struct.unpack("f", struct.pack("f", x))[0]) != x


def _pick_delimiter(lines: list[str]) -> str:
    best, best_score = ",", 0
    for d in _DELIMITERS:
        widths = Counter(len(r) for r in _lenient_rows(lines, delimiter=d) if len(r) >= 2)
        if widths:
            score = widths.most_common(1)[0][1]
            if score > best_score:
                best, best_score = d, score
    if best_score == 0 and any(" " in ln for ln in lines):  # columns aligned with spaces
        widths = Counter(len(r) for r in _lenient_rows(lines, delimiter=" ", skipinitialspace=True) if len(r) >= 2)
        if widths:
            best = " "
    return best


def _lenient_rows(lines: list[str], **opts) -> list[list[str]]:
    """The rows of ``lines``; where the csv module gives up (a field past its size limit, from a quote
    never closed), line by line, leaving out the lines it cannot split."""
    try:
        return list(csv.reader(lines, **opts))
    except csv.Error:
        rows = []
        for ln in lines:
            try:
                rows += csv.reader([ln], **opts)
            except csv.Error:
                pass
        return rows


def _decimal_comma(rows) -> bool:
    cells = [c.strip() for r in rows[:200] for c in r]
    return any(DEC_COMMA.match(c) for c in cells) and not any(re.match(r"^[-+]?\d*\.\d+$", c) for c in cells)


def _row_kind(row: list[str], decimal_comma: bool) -> str:
    """``data`` (at least one number), ``text`` (names only) or ``blank``."""
    kind = "blank"
    for c in row:
        v, k = cell(c, decimal_comma)
        if k in (1, 3, 4):
            return "data"
        if k == 2:
            kind = "text"
    return kind


def _lines_text(lines: list[int]) -> str:
    if len(lines) == 1:
        return f"line {lines[0]}"
    shown = ", ".join(str(n) for n in lines[:3])
    return f"{len(lines)} lines ({shown}{', ...' if len(lines) > 3 else ''})"
