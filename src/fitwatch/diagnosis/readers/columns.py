"""Cells and column names, shared by every reader: no format of its own, the cells of any table.

A table read from any source (a CSV's rows, JSON objects, a dict of lists, a DataFrame, TensorBoard
scalars) becomes a list of :class:`Col`: one per column, its cells parsed by :func:`cell` (an empty
cell, ``NA``, ``null``, ``-`` is missing; ``nan``/``inf`` a value; ``61.5%`` a number in percent;
``tensor(0.5)`` a number), and :func:`role` says what a column name means (the epoch, a step
counter, a run, a phase, a metric under its Keras-style key; ``epoca``/``época`` is the epoch, and
metric names in Portuguese or Spanish are mapped as :func:`~fitwatch.curves.canonical_name` says).
Also here: :class:`ReadError`, and the one-line messages and warnings every reader writes.

Example:
    >>> col = parse_cells("Val Acc", ["61.5%", "", "nan"])
    >>> col.vals.tolist()[0], col.present.tolist(), col.n_pct
    (61.5, [True, False, True], 1)
    >>> role("Val Acc", False), role("epoch", False), role("Unnamed: 0", True)
    (('metric', 'val_accuracy', False, False), ('epoch',), ('index',))
"""

from __future__ import annotations

import functools
import os
import re
import warnings
from dataclasses import dataclass

import numpy as np

from fitwatch.core.caller import user_stacklevel
from fitwatch.diagnosis.curves import canonical_name, plain_name


class ReadError(ValueError):
    """A source that holds no readable training curves; the message is one line: what, where, the fix.

    ``unforeseen``: the name of the exception a reader raised instead (a reader's bug, turned into a
    ReadError naming the file by :func:`~fitwatch.diagnosis.readers.read_path`), else None.
    """

    __module__ = "fitwatch.diagnosis.readers"  # where users import it from (and where it was defined)
    unforeseen: str | None = None


#: the most lines a table (a CSV, JSON lines) may hold: its rows take about a kilobyte of memory each
MAX_LOG_LINES = 1_000_000
_LINE_ENDS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # what str.splitlines() also splits at


def check_lines(text: str, label: str) -> None:
    """Raise :class:`ReadError` for a table of more than :data:`MAX_LOG_LINES` lines (counted as
    ``str.splitlines`` would, a ``\\r\\n`` once), before it is split."""
    n = max(text.count("\n"), text.count("\r"))
    n += sum(text.count(c) for c in (_LINE_ENDS[:5] if text.isascii() else _LINE_ENDS))
    if n > MAX_LOG_LINES:
        raise ReadError(f"{label}: {n:,} lines, more than the {MAX_LOG_LINES:,} rows fitwatch reads from a log; keep "
                        f"one row per epoch (or log every few steps), or cut the log into files")


#: the most columns (or keys) a table may hold
MAX_COLUMNS = 10_000


def check_columns(n: int, label: str, what: str) -> None:
    """Raise :class:`ReadError` for a table of more than :data:`MAX_COLUMNS` columns (``what``: their word)."""
    if n > MAX_COLUMNS:
        raise ReadError(f"{label}: {n:,} {what}s, more than the {MAX_COLUMNS:,} fitwatch reads from a table; a "
                        f"training log names a few metrics: this is not one")


def one_line(s, limit: int = 200) -> str:
    s = " ".join(str(s).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


#: what fitwatch reads from a file, for the message that says a file is none of them
LOG_FORMATS = ("a CSV (a header line such as epoch,loss,val_loss, then a row of numbers per epoch), JSON lines "
               "or a JSON history ({\"loss\": [...], \"val_loss\": [...]}), a Hugging Face trainer_state.json, "
               "what Keras printed (Epoch 1/10 ... - loss: 0.41 - val_loss: 0.52), TensorBoard event files")


def not_a_log(label: str, lineno: int, line: str) -> str:
    """The one-line message for a text file that is no training log fitwatch reads (a README, the
    output of a command, a note): the file, its first line, the formats it reads.

    Args:
        label: the file's name.
        lineno: the number of the line shown.
        line: that line's text.

    Example:
        >>> not_a_log("notes.txt", 1, "hello world").split("; it reads")[0]
        "notes.txt: not a training log fitwatch can read (line 1: 'hello world')"
    """
    return f"{label}: not a training log fitwatch can read (line {lineno}: {one_line(line, 60)!r}); it reads {LOG_FORMATS}"


def warn(message: str) -> None:
    """A ``UserWarning`` attributed to the first caller outside fitwatch: the user's line
    (``fitwatch.diagnose("logs")``), not a line of the reader, however deep the reader was called."""
    warnings.warn(message, UserWarning, stacklevel=user_stacklevel())


# -- values -------------------------------------------------------------------------------------
def ndim(x) -> int:
    try:
        return np.ndim(x)
    except (ValueError, TypeError):  # ragged nested lists
        return -1


def is_tensor(x) -> bool:
    return hasattr(x, "detach") and hasattr(x, "numpy") and hasattr(x, "ndim")


def is_numbers(x) -> bool:
    """A 1-D sequence of numbers (a curve), not a container of sources."""
    if isinstance(x, (str, bytes, dict, os.PathLike)):
        return False
    if isinstance(x, np.ndarray) or is_tensor(x):
        return np.ndim(x) == 1
    if isinstance(x, (list, tuple)):
        return all(v is None or isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in x)
    return False


# -- cells and columns --------------------------------------------------------------------------
MISSING = {"", "none", "null", "na", "n/a", "nat", "-", "--", "?", "<na>"}
# every pattern here runs in time linear in its input, whatever the input (one optional token between
# two runs of spaces, or \d+\.?\d*, backtracks over every split of a long run: minutes for 10,000 spaces)
WRAPPED = re.compile(r"^(?:tensor|array|np\.float\d*|numpy\.float\d*|float\d*|torch\.tensor)\(\s*(?:\[\s*)?"
                     r"([-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|inf))")
DEC_COMMA = re.compile(r"^[-+]?\d+,\d+(?:[eE][-+]?\d+)?$")


def cell(c, decimal_comma: bool = False) -> tuple[float, int]:
    """A cell as ``(value, kind)``: kind 0 blank, 1 number, 2 text, 3 a number in ``tensor(...)``,
    4 a number with a ``%`` sign."""
    if c is None:
        return np.nan, 0
    if isinstance(c, str):
        s = c.strip()
        if s.lower() in MISSING:
            return np.nan, 0
        try:
            return float(s), 1
        except ValueError:
            pass
        if s.endswith("%"):
            try:
                return float(s[:-1]), 4
            except ValueError:
                pass
        if decimal_comma and DEC_COMMA.match(s):
            return float(s.replace(",", ".")), 1
        m = WRAPPED.match(s)
        if m:
            return float(m.group(1)), 3
        return np.nan, 2
    if isinstance(c, (bool, np.bool_)):
        return float(c), 1
    if type(c).__name__ in ("NAType", "NaTType"):  # pandas' missing values
        return np.nan, 0
    try:
        return float(c), 1
    except OverflowError:  # an integer beyond a float's range (10**400)
        return (-np.inf if c < 0 else np.inf), 1
    except (TypeError, ValueError):
        return np.nan, 2


@dataclass
class Col:
    name: str  # as in the source
    vals: np.ndarray  # float64
    present: np.ndarray  # bool: the cell holds a value (a NaN written as nan counts)
    n_text: int = 0  # cells that are not numbers
    example: str | None = None  # the first of them
    n_pct: int = 0  # numbers written with a % sign
    n_wrapped: int = 0  # numbers written as tensor(0.5)
    texts: list | None = None  # the cells, for a text column

    @property
    def n_values(self) -> int:
        return int(self.present.sum()) - self.n_text


def parse_cells(name: str, cells: list, decimal_comma: bool = False) -> Col:
    try:  # every cell a number, the common case: float() each, what cell() would do with it
        return Col(name, np.array([float(c) for c in cells], dtype=np.float64), np.ones(len(cells), dtype=bool))
    except (TypeError, ValueError, OverflowError):
        pass
    n = len(cells)
    vals = np.empty(n)
    present = np.ones(n, dtype=bool)
    counts = [0, 0, 0, 0, 0]
    example = None
    for i, c in enumerate(cells):
        v, k = cell(c, decimal_comma)
        vals[i] = v
        counts[k] += 1
        if k == 0:
            present[i] = False
        elif k == 2 and example is None:
            example = str(c)
    texts = [None if c is None else str(c).strip() for c in cells] if counts[2] else None
    return Col(name, vals, present, counts[2], example, counts[4], counts[3], texts)


# a whole cell that says NaN or infinity (1.#QNAN, -1.#IND, Infinity, NaN%), not a word holding "inf"
_NAN_WORD = re.compile(r"^\s*[-+]?(?:nan|inf(?:inity)?|1\.#(?:qnan|snan|ind|inf)\w*)\s*%?\s*$", re.IGNORECASE)


def text_as_missing(c: Col, notes: list) -> Col:
    """A metric column with a few words among its numbers (a typo, ``error``): those cells are
    missing values, with a note, not NaN (which would read as a loss that diverged); a word that
    says NaN or infinity (``1.#QNAN``, ``-1.#INF``, ``NaN%``) stays a NaN or infinite value."""
    words = [t is not None and np.isnan(v) and p and not _NAN_WORD.search(t)
             for t, v, p in zip(c.texts or [], c.vals, c.present)]
    gone = np.array(words, dtype=bool) if words else np.zeros(c.vals.size, dtype=bool)
    if gone.any():
        notes.append(f"{int(gone.sum())} non-numeric value{'s' if gone.sum() > 1 else ''} in {c.name} read as missing "
                     f"(e.g. {one_line(c.example, 30)!r})")
    if gone.sum() < c.n_text:
        notes.append(f"{c.n_text - int(gone.sum())} values in {c.name} written as NaN or infinity in words "
                     f"read as such")
    return Col(c.name, c.vals, c.present & ~gone, 0, None, c.n_pct, c.n_wrapped, c.texts)


def fast_column(name: str, values, null_is_value: bool = False) -> Col:
    """A column from a list of numbers, without a Python loop when it can. None is a missing value,
    or with ``null_is_value`` a NaN value (JSON's null); ``float("nan")`` is a NaN value."""
    try:
        vals = float_array(values, strict=True)  # numpy reads None as NaN
    except (TypeError, ValueError, OverflowError):  # text, or an int past a float's range
        col = parse_cells(name, list(values))
        if null_is_value:
            col.present[:] = [True if v is None else p for v, p in zip(values, col.present)]
        return col
    present = np.ones(vals.size, dtype=bool)
    if not null_is_value and isinstance(values, (list, tuple)) and np.isnan(vals).any():
        present = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    return Col(name, vals, present)


def float_array(values, strict: bool = False) -> np.ndarray:
    if is_tensor(values):
        values = values.detach().cpu().numpy()
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        if strict:
            raise
        a = np.array([cell(v)[0] for v in values], dtype=np.float64)
    if a.ndim != 1:
        raise ReadError(f"a curve must be one-dimensional, got shape {a.shape}")
    return a


# -- column names -------------------------------------------------------------------------------
_EPOCH_NAMES = {"epoch", "epochs", "ep", "epoch_num", "epoch_no", "epoch_number", "epoch_idx", "epoch_index",
                "n_epoch", "num_epoch", "epoch_id", "epoca", "epocas"}  # época, épocas: Portuguese, Spanish
_STEP_NAMES = {"step", "steps", "global_step", "trainer_global_step", "iteration", "iterations", "iter"}
_RUN_NAMES = {"run", "run_id", "runid", "run_name", "trial", "trial_id", "experiment", "experiment_id",
              "seed", "random_seed", "model", "model_name", "fold"}
_PHASE_NAMES = {"phase", "split", "mode", "stage", "subset", "set", "partition", "dataset"}
_INDEX_NAMES = {"", "unnamed:_0", "unnamed_0", "unnamed", "index"}


#: "(%)", "[%]" or "%" and the spaces before it; a start inside a run of spaces (never the first
#: place this pattern could match) is skipped at once, so a long run is not scanned once per space
_PERCENT = re.compile(r"(?<!\s)\s*(?:[(\[]\s*%\s*[)\]]|%)")


@functools.lru_cache(maxsize=4096)
def role(raw: str, first: bool) -> tuple:
    """What a column is: ``("epoch",)``, ``("step",)``, ``("index",)``, ``("run",)``, ``("phase",)``,
    ``("metric", key, percent, per_step)`` or ``("none",)``."""
    s = plain_name(raw.strip().strip("\"'").strip())  # época -> epoca
    no_pct = _PERCENT.sub("", s)
    percent = no_pct != s
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z][a-z])", "_", no_pct)  # camelCase: trainLoss -> train_Loss
    low = re.sub(r"[\s\-/.]+", "_", s.lower()).strip("_#")
    if first and low in _INDEX_NAMES:
        return ("index",)
    if low in _EPOCH_NAMES:
        return ("epoch",)
    if low in _STEP_NAMES:
        return ("step",)
    if low in _RUN_NAMES:
        return ("run",)
    if low in _PHASE_NAMES:
        return ("phase",)
    if not low:
        return ("none",)
    per_step = low.endswith("_step") and len(low) > 5
    key = canonical_name(low[:-5] if per_step else low)
    if key is None:
        return ("none",)
    return ("metric", key, percent, per_step)


@functools.lru_cache(maxsize=4096)
def snake(raw: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", plain_name(raw.strip()).lower()).strip("_") or "column"


@functools.lru_cache(maxsize=4096)
def is_accuracy(key: str) -> bool:
    metric = re.sub(r"^(val|test)_", "", key)
    return metric in ("accuracy", "acc") or metric.endswith("_accuracy")


def separate_test(entries: list, notes: list) -> None:
    """A file with a validation split of its own (``val_loss``, ``valid_acc``) keeps its test columns
    as test columns (``test_acc`` stays ``test_acc``), so that ``val_accuracy`` is never the test
    value beside validation's loss; a test split alone stands for validation."""
    def is_test(e) -> bool:
        return "test" in snake(e[5].name).split("_")
    if not any(e[0].startswith("val_") and not is_test(e) for e in entries):
        return
    kept, keys = [], {e[0] for e in entries}
    for e in entries:
        if e[0].startswith("val_") and is_test(e):  # test_acc -> test_accuracy, final_test_f1 -> test_final_f1
            e[0] = f"test_{e[0][4:]}" if f"test_{e[0][4:]}" not in keys else snake(e[5].name)
            keys.add(e[0])
            kept.append(e[5].name)
    if kept:
        notes.append(f"{', '.join(kept)} kept as test series "
                     f"(the file has a validation split)")
