"""Read training curves from whatever holds them: one :class:`~fitwatch.curves.Curves` per run.

:func:`read_curves` takes a diagnosis source and returns ``list[Curves]``:

* a :class:`Curves` (returned as it is), a run of the store (:class:`~fitwatch.rundata.RunData`),
  or a string naming a run in the store (when no file or folder has that name);
* a Keras ``History``, its ``.history`` dict or any ``{name: list}`` mapping; a pandas DataFrame
  (an ``epoch`` column or index); plain lists (``[train]``, ``(train, val)``), a list of per-epoch
  dicts;
* the path of a log file: a Keras ``CSVLogger`` CSV and the variants found on disk (``;`` or tab
  separated, a title line, a pandas index column, Title Case headers, ``acc``/``val_acc``,
  ``test_loss``/``valid_loss``, accuracy in percent, several runs appended), a PyTorch Lightning
  ``metrics.csv`` (step and epoch rows: one row per epoch), JSON lines (one object per epoch, or
  one run per line as in the shared-curves format ``{"id": .., "loss": [..], "val_loss": [..]}``),
  a JSON Keras history, what Keras printed (``Epoch 1/10`` ... ``- loss: 0.41 - val_loss: 0.52``);
  any of them gzip-compressed;
* a folder: every readable log inside, TensorBoard event files too (needs ``tensorboard``).

Column names are mapped to Keras-style keys by :func:`fitwatch.curves.canonical_name`
(``Train Loss`` -> ``loss``, ``valid_loss`` -> ``val_loss``, ``val_acc`` -> ``val_accuracy``).
What the reader had to guess (percent accuracy divided by 100, rows dropped, columns ignored) is
listed in ``Curves.notes``. The rules:

* no value vs a NaN value (``Curves.missing``, see ``docs/diagnosis.md``): an empty cell (or
  ``NA``, ``null``, ``-``) in a CSV is missing, the text ``nan``/``inf`` a value; in JSON lines
  (one object per epoch) an absent key or ``null`` is missing, ``NaN``/``Infinity`` a value; in
  a JSON object of lists (the shared-curves format, a saved history) ``null`` is a NaN value, as
  that format defines it; TensorBoard: a step without the tag is missing; in Python lists and
  dicts ``None`` is missing, ``float("nan")`` a value; in a DataFrame a NaN followed by a value is
  missing, NaN to the end a value (see :func:`_nan_gaps`); a run in the store knows which epochs
  hold a row;
* a validation list shorter than the training one (a Keras ``History`` of ``fit(validation_freq=3)``)
  is placed at the epochs Keras validated (2, 5, 8...) when its length fits, else padded at the end
  as missing, with a note (:func:`fitwatch.curves.spread_validation`);
* epochs are the source's epoch column (or epoch index) as written; without one, 0, 1, 2...;
* several runs in one file (the epoch counter starts again, a header line repeats) are named
  ``<file>#1``, ``<file>#2``...; a ``run`` column names them ``<file>#<value>``;
* several rows per epoch (Lightning's step and epoch rows, a ``phase`` column of train/val rows)
  become one: the last value of each column in the epoch; Lightning's ``*_epoch`` columns win
  over ``*_step`` ones (a ``*_step`` column alone: the mean of the epoch's values);
* an accuracy column with values above 1.5 (or a ``%`` sign) is in percent: divided by 100;
* text columns (a phase, ``"[0.1, 0.2]"``, a comment) and empty columns are left out; numeric
  ones (a learning rate, a batch size) are kept as series;
* TensorBoard: ``epoch_loss`` in ``train/`` and ``validation/`` (Keras) -> ``loss``/``val_loss``,
  ``Loss/train``, ``Loss/val`` (``SummaryWriter.add_scalar``) too, and ``add_scalars("loss",
  {"train": .., "val": ..})``'s subfolders ``loss_train/``, ``loss_val/``: one run with the
  parent's own tags (a note says so; keys that name no split, ``{"adam": .., "sgd": ..}``, stay
  runs of their own); steps are epochs unless an ``epoch`` scalar (Lightning) says otherwise.

A source that cannot be read raises :class:`ReadError`, one line that names the file, what was
found and the fix.

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "training.log")
    >>> with open(path, "w") as f:
    ...     _ = f.write("epoch;Train Loss;Val Loss;val_acc\\n1;0.9;1.0;61.5\\n2;0.7;0.8;72.0\\n")
    >>> [c] = read_curves(path)
    >>> c.epochs.tolist(), c.loss.tolist(), c.val_loss.tolist(), c.series["val_accuracy"].tolist()
    ([1, 2], [0.9, 0.7], [1.0, 0.8], [0.615, 0.72])
    >>> c.notes
    ['val_acc looks like percent (max 72): divided by 100']
"""

from __future__ import annotations

import csv
import functools
import gzip
import json
import math
import os
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fitwatch.core.caller import user_stacklevel
from fitwatch.diagnosis.curves import Curves, canonical_name, merge_notes, spread_validation
from fitwatch.core.names import keras_key
from fitwatch.store.rundata import RunData

__all__ = ["ReadError", "read_curves", "read_path"]


class ReadError(ValueError):
    """A source that holds no readable training curves; the message is one line: what, where, the fix."""


# -- entry point --------------------------------------------------------------------------------
def read_curves(source, *, dir=None) -> list[Curves]:
    """Every run in ``source``, as :class:`Curves` (one per run).

    Args:
        source: a :class:`Curves`; a :class:`~fitwatch.rundata.RunData`; a Keras ``History`` or a
            ``{name: values}`` mapping; a pandas DataFrame; a list of losses, ``(train, val)``
            lists, or a list of per-epoch dicts; the path (``str`` or ``PathLike``) of a log file
            or folder; a run name (or id) in the store at ``dir``; or a list of such sources.
        dir: the store's folder, for a run name (default ``$FITWATCH_DIR``, else ``./fitwatch``).

    Raises:
        ReadError: nothing readable (no such file or run, an empty or binary file, no loss and no
            val_loss column...), with a one-line message that names the source and the fix.

    Example:
        >>> [c] = read_curves(([1.0, 0.6, 0.5], [1.1, 0.8, 0.9]))
        >>> c.epochs.tolist(), c.val_loss.tolist()
        ([0, 1, 2], [1.1, 0.8, 0.9])
        >>> [c] = read_curves({"epoch": [1, 2], "acc": [55.0, 70.0], "loss": [0.9, 0.7]})
        >>> c.epochs.tolist(), c.series["accuracy"].tolist()
        ([1, 2], [0.55, 0.7])
    """
    if isinstance(source, Curves):
        return [source]
    if isinstance(source, RunData):
        return [_from_rundata(source)]
    if isinstance(source, os.PathLike):
        return read_path(source)
    if isinstance(source, str):
        if not source.strip():
            raise ReadError("an empty string is not a source; pass a log file, a folder or a run name")
        if os.path.exists(source):
            return read_path(source)
        return [_from_store(source, dir)]
    if isinstance(source, (bytes, bytearray)):
        raise ReadError("bytes are not a source; pass the path of the log file (or its text decoded)")
    if isinstance(source, (int, np.integer)) and not isinstance(source, bool):
        return [_from_store(int(source), dir)]
    history = getattr(source, "history", None)
    if isinstance(history, dict) and not _is_dataframe(source):  # a Keras History
        return _name_runs(_from_mapping(history, label="History", source="History",
                                        epochs=getattr(source, "epoch", None)), None, "History")
    if _is_dataframe(source):
        return _from_dataframe(source)
    if isinstance(source, dict):
        if source and all(_is_source(v) and not _is_numbers(v) for v in source.values()):
            return _named_sources(source, dir)
        return _name_runs(_from_mapping(source, label="dict", source="dict"), None, "dict")
    if isinstance(source, (list, tuple, np.ndarray)) or _is_tensor(source):
        return _from_sequence(source, dir)
    raise ReadError(
        f"cannot read training curves from a {type(source).__name__}; pass a log file or folder, a run "
        f"name, a Keras History, a DataFrame, a dict of lists or (train_losses, val_losses)"
    )


def read_path(path) -> list[Curves]:
    """The runs in a log file or folder (see :func:`read_curves` for what is read).

    Example:
        >>> import os, tempfile
        >>> d = tempfile.mkdtemp()
        >>> with open(os.path.join(d, "log.csv"), "w") as f:
        ...     _ = f.write("epoch,loss\\n0,0.9\\n1,0.5\\n0,0.8\\n1,0.4\\n")  # two runs appended
        >>> [(c.name, c.loss.tolist()) for c in read_path(d)]
        [('log.csv#1', [0.9, 0.5]), ('log.csv#2', [0.8, 0.4])]
    """
    p = Path(path)
    if p.is_dir():
        return _read_folder(p)
    if not p.exists():
        raise ReadError(f"{p}: no such file or folder")
    if _is_event_file(p):
        return _read_tensorboard([p], base=p.parent, label=p.name)
    if p.suffix in (".db", ".sqlite", ".sqlite3") or p.name == _DB_NAME:
        return _read_store_file(p)
    return _read_file(p, p.name)


# -- in-memory sources --------------------------------------------------------------------------
def _is_dataframe(x) -> bool:
    return hasattr(x, "columns") and hasattr(x, "to_dict") and not isinstance(x, dict)


def _ndim(x) -> int:
    try:
        return np.ndim(x)
    except (ValueError, TypeError):  # ragged nested lists
        return -1


def _is_tensor(x) -> bool:
    return hasattr(x, "detach") and hasattr(x, "numpy") and hasattr(x, "ndim")


def _is_source(x) -> bool:
    return isinstance(x, (Curves, RunData, str, os.PathLike, dict, list, tuple, np.ndarray)) or \
        _is_dataframe(x) or isinstance(getattr(x, "history", None), dict)


def _is_numbers(x) -> bool:
    """A 1-D sequence of numbers (a curve), not a container of sources."""
    if isinstance(x, (str, bytes, dict, os.PathLike)):
        return False
    if isinstance(x, np.ndarray) or _is_tensor(x):
        return np.ndim(x) == 1
    if isinstance(x, (list, tuple)):
        return all(v is None or isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in x)
    return False


def _named_sources(mapping: dict, dir) -> list[Curves]:
    """``{"run a": source, ...}``: each source read, named after its key when it holds one run."""
    out = []
    for key, value in mapping.items():
        runs = read_curves(value, dir=dir) if not isinstance(value, dict) else \
            _name_runs(_from_mapping(value, label=f"dict[{key!r}]", source="dict"), None, str(key))
        for c in runs:
            if len(runs) == 1:
                c.name = str(key)
            out.append(c)
    return out


def _from_sequence(seq, dir) -> list[Curves]:
    if _is_tensor(seq):
        seq = seq.detach().cpu().numpy()
    if len(seq) == 0:
        raise ReadError("an empty list holds no curves; pass [train_losses] or (train_losses, val_losses)")
    if _is_numbers(seq):  # one curve: training losses
        return [_from_lists([seq], "list")]
    if isinstance(seq, np.ndarray) and seq.ndim == 2 or all(_is_numbers(s) for s in seq):
        if len(seq) > 2:
            raise ReadError(
                f"a list of {len(seq)} sequences: which is the loss? pass [train_losses], "
                f"(train_losses, val_losses) or a dict {{'loss': [...], 'val_loss': [...], 'accuracy': [...]}}"
            )
        return [_from_lists(list(seq), "list")]
    if all(isinstance(r, dict) and not any(_is_numbers(v) for v in r.values()) for r in seq):
        names = list(dict.fromkeys(k for r in seq for k in r))
        cols = [_parse_cells(str(k), [r.get(k) for r in seq]) for k in names]
        return _name_runs(_runs_from_columns(cols, label="list of dicts", source="list", what="key"), None, "list")
    out = []
    for s in seq:
        out += read_curves(s, dir=dir)
    return out


def _from_lists(lists, label, source=None, null_is_value: bool = False) -> Curves:
    """``[train]`` or ``(train, val)``: None is a missing value (``null_is_value``: a NaN value, as
    in JSON); a shorter validation list is laid out by :func:`fitwatch.curves.spread_validation`."""
    cols = [_fast_column(nm, v, null_is_value) for nm, v in zip(("loss", "val_loss"), lists)]
    notes: list[str] = []
    cols = _stretch(cols, max(c.vals.size for c in cols), notes)
    [(_, c)] = _runs_from_columns(cols, label=label, source=source or label, notes=notes, what="sequence")
    return c


def _stretch(cols: list, n: int, notes: list) -> list:
    """Columns shorter than ``n`` made ``n`` long: a validation column where Keras' ``validation_freq``
    puts its values, any other padded at the end; the added epochs are missing (a note says which)."""
    out, said = [], []
    for i, c in enumerate(cols):
        if c.vals.size == n:
            out.append(c)
            continue
        role = _role(c.name, i == 0)
        key = role[1] if role[0] == "metric" else c.name
        vals, missing, note = spread_validation(key, c.vals, n, ~c.present)
        said.append(note)
        out.append(_Col(c.name, vals, ~missing, c.n_text, c.example, c.n_pct, c.n_wrapped))
    notes += merge_notes(said)
    return out


def _from_mapping(mapping, *, label: str, source: str, epochs=None, null_is_value: bool = False) -> list[tuple]:
    """A Keras history (``{name: list}``); scalars instead of lists make one epoch. None is a missing
    value (``null_is_value``: a NaN value, JSON's spelling of it in the shared-curves format); a
    validation list shorter than the others is Keras' ``validation_freq`` (see :func:`_stretch`)."""
    items = [(str(k), v) for k, v in mapping.items()]
    seqs = [(k, v) for k, v in items if not isinstance(v, (str, bytes, dict)) and _ndim(v) == 1]
    notes = []
    if not seqs:
        if not items:
            raise ReadError(f"{label}: empty; expected {{'loss': [...], 'val_loss': [...]}}")
        seqs = [(k, [v]) for k, v in items if isinstance(v, (int, float, np.number, type(None)))]
    elif len(seqs) < len(items):
        kept = {k for k, _ in seqs}
        notes.append(f"ignored entries that are not lists: {', '.join(k for k, _ in items if k not in kept)}")
    cols = [_fast_column(k, v, null_is_value) for k, v in seqs]
    n = max((c.vals.size for c in cols), default=0)
    cols = _stretch(cols, n, notes)
    if epochs is not None and len(epochs) == n and not any(_role(c.name, i == 0)[0] == "epoch"
                                                            for i, c in enumerate(cols)):
        cols.insert(0, _Col("epoch", np.asarray(epochs, dtype=np.float64), np.ones(n, dtype=bool)))
    return _runs_from_columns(cols, label=label, source=source, notes=notes, what="key")


def _from_dataframe(df) -> list[Curves]:
    """A pandas DataFrame (or a polars one: no index), by duck typing: pandas is never imported."""
    try:
        data = df.to_dict("list")
    except TypeError:  # polars: to_dict(as_series=False) -> {column: list}
        data = df.to_dict(as_series=False)
    names = [str(c) for c in df.columns]
    cols = [_nan_gaps(_parse_cells(nm, list(data[c]))) for nm, c in zip(names, df.columns)]
    index = getattr(df, "index", None)
    if index is not None and not any(_role(c.name, i == 0)[0] == "epoch" for i, c in enumerate(cols)):
        index_name = str(getattr(index, "name", None) or "")
        cells = list(index)
        role = _role(index_name, False)[0] if index_name else "index"
        if role == "epoch":
            cols.insert(0, _parse_cells(index_name, cells))
        elif len(cells) and all(isinstance(v, (int, np.integer)) for v in cells):
            cols.insert(0, _parse_cells("", cells))  # an integer index: the epochs (0, 1, 2 by default)
    return _name_runs(_runs_from_columns(cols, label="DataFrame", source="DataFrame", what="column"),
                      None, "DataFrame")


def _nan_gaps(col: _Col) -> _Col:
    """A DataFrame column's NaN cells told apart (pandas has one NaN for "no value" and "was NaN").

    A NaN with a non-NaN value after it is a gap (validation every few epochs, a metric logged late:
    a diverged loss does not come back); NaN to the end of the column is a value (a divergence),
    unless the column has gaps and that trailing run is no longer than its longest one. inf is
    always a value; ``None``, ``pd.NA`` and ``NaT`` are always missing.
    """
    nan = col.present & np.isnan(col.vals)
    if col.texts is not None or not nan.any():
        return col
    has = np.flatnonzero(col.present & ~np.isnan(col.vals))
    if not has.size:
        return col  # NaN from the first epoch: diverged at once
    last = int(has[-1])
    gaps = nan.copy()
    gaps[last + 1:] = False
    trailing = int(nan[last + 1:].sum())
    if gaps.any() and trailing:
        runs = np.diff(np.flatnonzero(np.diff(np.concatenate(([0], gaps.astype(np.int8), [0])))))[::2]
        if trailing <= int(runs.max()):
            gaps[last + 1:] = nan[last + 1:]
    col.present = col.present & ~gaps
    return col


def _from_rundata(data: RunData) -> Curves:
    history = data.history
    if "loss" not in history and "val_loss" not in history:
        found = ", ".join(history) or "no epochs yet"
        raise ReadError(f"run {data.name!r}: no loss or val_loss recorded (found: {found}); "
                        f"log_epoch(loss=..., val_loss=...) records them")
    return Curves.from_run(data)  # with the run's early stopping, if any


def _from_store(ref, dir) -> Curves:
    from fitwatch.store import Store, StoreError

    try:
        with Store.reading(dir) as store:
            data = store.load(ref)
    except StoreError as e:
        raise ReadError(f"{ref}: no such file or folder, and no fitwatch store to find a run of that name "
                        f"({_one_line(e.args[0])})") from None
    except KeyError as e:
        raise ReadError(f"{ref}: no such file or folder, and {_one_line(e.args[0])}") from None
    return _from_rundata(data)


def _read_store_file(path: Path) -> list[Curves]:
    from fitwatch.store import Store, StoreError

    try:
        with Store.reading(path) as store:
            datas = [store.load(r["id"]) for r in store.runs()]
    except StoreError as e:
        raise ReadError(_one_line(e.args[0])) from None
    out, skipped = [], []
    for d in datas:
        try:
            out.append(_from_rundata(d))
        except ReadError as e:
            skipped.append(str(e))
    if not out:
        raise ReadError(f"{path}: a fitwatch store with no run that has a loss or val_loss "
                        f"({len(runs)} runs{': ' + skipped[0] if skipped else ''})")
    return out


# -- files --------------------------------------------------------------------------------------
_DB_NAME = "fitwatch.db"
_LOG_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json")
_MAYBE_SUFFIXES = (".txt", ".log", ".out", ".dat", ".md")  # read when they parse, skipped quietly otherwise
_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", ".git", ".venv", "venv"}


def _is_event_file(p: Path) -> bool:
    return "tfevents" in p.name


def _log_suffix(p: Path) -> str:
    name = p.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return os.path.splitext(name)[1]


def _read_file(path: Path, base: str) -> list[Curves]:
    """The runs of one log file; ``base`` names them (``base``, or ``base#1``, ``base#2``...)."""
    label = path.name
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ReadError(f"{path}: cannot read ({e.strerror})") from None
    text = _decode(raw, label)
    stripped = text.lstrip()
    if not stripped:
        raise ReadError(f"{label}: empty file; expected a CSV with a header line (epoch,loss,val_loss) "
                        f"or JSON lines ({{\"loss\": ..., \"val_loss\": ...}} per epoch)")
    if stripped[0] in "{[":
        runs = _parse_json(text, label, str(path))
    elif _KERAS_EPOCH.search(text):
        runs = _parse_keras_console(text, label, str(path))
    else:
        runs = _parse_csv(text, label, str(path))
    return _name_runs(runs, base)


def _decode(raw: bytes, label: str) -> str:
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise ReadError(f"{label}: a damaged gzip file ({e}); gunzip it or write the log again") from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with a BOM (PowerShell's Out-File)
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in raw[:65536]:
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")  # a Windows-1252 or Latin-1 log
            controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\r\n" or 127 <= ord(ch) < 160)
            if controls <= len(text[:65536]) / 100:
                return text
    at = next((i for i, b in enumerate(raw[:65536]) if b < 9 or 13 < b < 32 and b != 27), 0)
    raise ReadError(f"{label}: binary data, not a text log (byte {at}); expected a CSV, JSON lines, "
                    f"a .gz of one, or a TensorBoard event file (events.out.tfevents.*)")


def _read_folder(folder: Path) -> list[Curves]:
    out, skipped, event_files = [], [], []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS
                         and not d.endswith(".pending"))  # a store's journal: read through the store
        for f in sorted(files):
            p = Path(root, f)
            rel = p.relative_to(folder).as_posix()
            if _is_event_file(p):
                event_files.append(p)
                continue
            try:
                if f == _DB_NAME:
                    out += _read_store_file(p)
                elif _log_suffix(p) in _LOG_SUFFIXES:
                    out += _read_file(p, rel)
                elif _log_suffix(p) in _MAYBE_SUFFIXES:
                    try:
                        out += _read_file(p, rel)
                    except ReadError:
                        pass
            except ReadError as e:
                skipped.append(f"{rel} ({_one_line(str(e)).removeprefix(p.name + ': ')})")
    if event_files:
        try:
            out += _read_tensorboard(event_files, base=folder, label=folder.name or str(folder))
        except ReadError as e:
            if not out and not skipped:  # only event files here: their own message
                raise
            skipped.append(_one_line(str(e)))
    if not out:
        why = f"; skipped {'; '.join(skipped[:3])}{' ...' if len(skipped) > 3 else ''}" if skipped else ""
        raise ReadError(f"{folder}: no readable training log in this folder (looked for *.csv, *.tsv, *.jsonl, "
                        f"*.json, metrics.csv, TensorBoard event files, {_DB_NAME}){why}")
    if skipped:
        _warn(f"fitwatch: in {folder}, skipped {'; '.join(skipped)}")
    return out


def _warn(message: str) -> None:
    """A ``UserWarning`` attributed to the first caller outside fitwatch: the user's line
    (``fitwatch.diagnose("logs")``), not a line of the reader, however deep the reader was called."""
    warnings.warn(message, UserWarning, stacklevel=user_stacklevel())


def _name_runs(runs: list[tuple], base: str | None, multi_base: str | None = None) -> list[Curves]:
    """Name the runs of one source: ``base`` for one run, ``base#1``, ``base#2``... for several,
    ``base#<value>`` for runs told apart by a run column (``multi_base`` when there are several and
    a single run stays unnamed: in-memory sources). Names the source gave (an ``id``) are kept."""
    out = []
    for key, c in runs:
        if c.name is None:
            single = len(runs) == 1 and key is None
            stem = base if base is not None else (None if single else multi_base)
            if stem is not None:
                c.name = stem if single else f"{stem}#{key}"
        out.append(c)
    return out


# -- CSV ----------------------------------------------------------------------------------------
_DELIMITERS = (",", ";", "\t", "|")


def _parse_csv(text: str, label: str, source: str) -> list[tuple]:
    numbered = [(i + 1, ln.strip()) for i, ln in enumerate(text.splitlines()) if ln.strip()]
    numbered = [(i, ln) for i, ln in numbered if not _RULE.match(ln)]  # a markdown table's |---|---|
    if not numbered:
        raise ReadError(f"{label}: no header line followed by rows of numbers; expected a CSV like "
                        f"epoch,loss,val_loss then one row per epoch")
    is_comment = [ln.startswith(("#", "//")) for _, ln in numbered]
    body = [ln for (_, ln), c in zip(numbered, is_comment) if not c]
    delim = _pick_delimiter(body[:200] + body[-50:])
    opts = dict(delimiter=delim, skipinitialspace=delim == " ")
    texts = [ln.lstrip("#/ \t") if c else ln for (_, ln), c in zip(numbered, is_comment)]
    rows = list(csv.reader(texts, **opts))
    if len(rows) != len(texts):  # a quoted field spanning lines: parse line by line instead
        rows = [next(csv.reader([t], **opts), []) for t in texts]
    decimal_comma = delim != "," and _decimal_comma(rows)
    kinds = [_row_kind(r, decimal_comma) for r in rows]

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
    if not segments:
        if header is None and "data" not in kinds:  # a header the first epoch has not followed yet
            first_text = next((r for r, k in zip(rows, kinds) if k == "text"), [])
            if any(_role(f, False)[0] in ("epoch", "metric") and _role(f, False)[1:2] != (None,) for f in first_text) \
                    and len(first_text) > 1:
                header = [f.strip() for f in first_text]
        if header is not None:
            raise ReadError(f"{label}: a header line and no rows (found: {', '.join(header)}); the log has no "
                            f"epochs yet")
        first = _one_line(numbered[0][1], 60) if numbered else ""
        raise ReadError(f"{label}: no header line followed by rows of numbers (line 1: {first!r}); expected a "
                        f"CSV like epoch,loss,val_loss then one row per epoch")

    file_notes = []
    if titles:
        file_notes.append(f"skipped {_lines_text(titles)} above the header")
    if ignored:
        file_notes.append(f"ignored {_lines_text(ignored)} (text between rows)")
    if decimal_comma:
        file_notes.append("read decimal commas (0,5) as decimal points")
    out = []
    for header, seg_rows, seg_lines in segments:
        notes = list(file_notes)
        width = len(header)
        bad = [ln for r, ln in zip(seg_rows, seg_lines) if len(r) != width]
        if bad:
            notes.append(f"{_lines_text(bad)} with a number of fields other than the header's {width}: "
                         f"padded with blanks or cut")
        seg_rows = [r[:width] + [""] * (width - len(r)) for r in seg_rows]
        cols = [_parse_cells(h, [r[j] for r in seg_rows], decimal_comma) for j, h in enumerate(header)]
        out += _runs_from_columns(cols, label=label, source=source, lines=seg_lines, notes=notes, what="column")
    if len(segments) > 1:
        out = [(k if isinstance(k, str) else i + 1, c) for i, (k, c) in enumerate(out)]
        for _, c in out:
            c.notes.append(f"{len(out)} runs in one file (a header line repeats)")
    return out


def _pick_delimiter(lines: list[str]) -> str:
    best, best_score = ",", 0
    for d in _DELIMITERS:
        widths = Counter(len(r) for r in csv.reader(lines, delimiter=d) if len(r) >= 2)
        if widths:
            score = widths.most_common(1)[0][1]
            if score > best_score:
                best, best_score = d, score
    if best_score == 0 and any(" " in ln for ln in lines):  # columns aligned with spaces
        widths = Counter(len(r) for r in csv.reader(lines, delimiter=" ", skipinitialspace=True) if len(r) >= 2)
        if widths:
            best = " "
    return best


_DEC_COMMA = re.compile(r"^[-+]?\d+,\d+(?:[eE][-+]?\d+)?$")
_RULE = re.compile(r"^[\s|:+=-]*-{2,}[\s|:+=-]*$")


def _decimal_comma(rows) -> bool:
    cells = [c.strip() for r in rows[:200] for c in r]
    return any(_DEC_COMMA.match(c) for c in cells) and not any(re.match(r"^[-+]?\d*\.\d+$", c) for c in cells)


def _row_kind(row: list[str], decimal_comma: bool) -> str:
    """``data`` (at least one number), ``text`` (names only) or ``blank``."""
    kind = "blank"
    for c in row:
        v, k = _cell(c, decimal_comma)
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


# -- Keras console output -------------------------------------------------------------------------
_KERAS_EPOCH = re.compile(r"^\s*Epoch (\d+)/(\d+)\s*$", re.M)
_KERAS_METRIC = re.compile(r" - ([A-Za-z_]\w*): ([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|nan|inf))(?![\w.])")


def _parse_keras_console(text: str, label: str, source: str) -> list[tuple]:
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
    return _rows_table(rows, linenos, label, source, notes)


# -- JSON ---------------------------------------------------------------------------------------
def _parse_json(text: str, label: str, source: str) -> list[tuple]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return _parse_json_lines(text, label, source)
    if isinstance(doc, dict):
        if isinstance(doc.get("history"), dict):  # {"history": {...}, "params": {...}}
            doc = doc["history"]
        if any(isinstance(v, list) for v in doc.values()):
            return _run_from_json(doc, label, source, 1)
        if doc and all(isinstance(v, dict) for v in doc.values()):  # {"run a": {"loss": [...]}, ...}
            out = []
            for k, v in doc.items():
                for c in _name_runs(_run_from_json(v, f"{label}[{k!r}]", source, 1), None, str(k)):
                    c.name = c.name or str(k)
                    out.append((str(k), c))
            return out
        return _rows_table([doc], [1], label, source)
    if isinstance(doc, list) and doc and all(isinstance(r, dict) for r in doc):
        if any(isinstance(v, list) for v in doc[0].values()):
            return [(i + 1, c) for i, r in enumerate(doc) for _, c in _run_from_json(r, label, source, 1)]
        return _rows_table(doc, None, label, source)
    if isinstance(doc, list) and doc and _is_numbers(doc):
        return [(None, _from_lists([doc], label, source, null_is_value=True))]
    raise ReadError(f"{label}: JSON {type(doc).__name__} is not a training log; expected one object per epoch "
                    f"({{\"epoch\": 0, \"loss\": ..., \"val_loss\": ...}} per line) or {{\"loss\": [...], "
                    f"\"val_loss\": [...]}}")


def _parse_json_lines(text: str, label: str, source: str) -> list[tuple]:
    objs, linenos, notes = [], [], []
    lines = text.splitlines()
    last = max((i for i, ln in enumerate(lines) if ln.strip()), default=-1)
    for i, ln in enumerate(lines):
        s = ln.strip()
        if not s or s.startswith(("#", "//")):
            continue
        try:
            obj = json.loads(s)
        except json.JSONDecodeError as e:
            if i == last and objs:  # the writer was killed in the middle of its last line
                notes.append(f"dropped the incomplete last line {i + 1}")
                continue
            raise ReadError(f"{label}: line {i + 1}: not JSON ({e.msg}: {_one_line(s, 50)!r}); write one JSON "
                            f"object per line") from None
        if not isinstance(obj, dict):
            raise ReadError(f"{label}: line {i + 1}: a JSON {type(obj).__name__}, not an object; write one object "
                            f"per line, e.g. {{\"epoch\": 0, \"loss\": 0.9, \"val_loss\": 1.0}}")
        objs.append(obj)
        linenos.append(i + 1)
    if not objs:
        raise ReadError(f"{label}: no JSON objects; expected one per line")
    runs_per_line = [any(isinstance(v, list) for v in o.values()) for o in objs]
    if all(runs_per_line):  # the shared-curves format: one run per line
        out = [c for o, ln in zip(objs, linenos) for _, c in _run_from_json(o, label, source, ln)]
        for c in out:
            c.notes += notes
        return [(i + 1, c) for i, c in enumerate(out)] if len(out) > 1 else [(None, out[0])]
    if any(runs_per_line):
        i = runs_per_line.index(not runs_per_line[0])
        raise ReadError(f"{label}: line {linenos[i]}: mixes runs (lists of values) with epochs (single values); "
                        f"write one kind per file")
    return _rows_table(objs, linenos, label, source, notes)


def _flatten(obj: dict) -> dict:
    """One level of nesting: ``{"train": {"loss": 1}}`` -> ``{"train_loss": 1}``;
    ``{"metrics": {"loss": 1}}`` -> ``{"loss": 1}``."""
    if not any(isinstance(v, dict) for v in obj.values()):
        return obj
    out = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            for k2, v2 in v.items():
                out[str(k2) if str(k).lower() in ("metrics", "logs", "scalars", "values") else f"{k}_{k2}"] = v2
        else:
            out[k] = v
    return out


def _rows_table(objs, linenos, label, source, notes=()) -> list[tuple]:
    objs = [_flatten(o) for o in objs]
    names = list(dict.fromkeys(k for o in objs for k in o))
    cols = [_parse_cells(str(k), [o.get(k) for o in objs]) for k in names]
    return _runs_from_columns(cols, label=label, source=source, lines=linenos, notes=notes, what="key")


def _run_from_json(obj: dict, label: str, source: str, lineno: int) -> list[tuple]:
    """A run written as one object of lists (a Keras history, or a shared-curves line); its ``id``
    (or ``name``) names it."""
    name = obj.get("id", obj.get("name", obj.get("run")))
    notes = []
    x = obj.get("x")
    if isinstance(x, str) and x.lower() not in ("epoch", "epochs"):
        notes.append(f"x axis is {x!r}: its numbers read as epochs")
    try:  # null in a JSON list is NaN written as strict JSON (the shared-curves format says so)
        runs = _from_mapping({k: v for k, v in obj.items() if isinstance(v, list)}, label=label, source=source,
                             null_is_value=True)
    except ReadError as e:
        msg = str(e)
        raise ReadError(msg.replace(f"{label}:", f"{label}: line {lineno}:", 1) if lineno > 1 else msg) from None
    for key, c in runs:
        c.notes += notes
        if name is not None:
            c.name = str(name) if key is None else f"{name}#{key}"
    return runs


# -- TensorBoard --------------------------------------------------------------------------------
_TB_SPLIT_DIRS = {"train": "train", "training": "train", "validation": "val", "val": "val", "valid": "val",
                  "eval": "val", "evaluation": "val", "test": "test"}


def _read_tensorboard(files: list[Path], *, base: Path, label: str) -> list[Curves]:
    try:
        from tensorboard.backend.event_processing import event_accumulator as ea
        from tensorboard.util import tensor_util
    except ImportError:
        raise ReadError(f"{label}: TensorBoard event files; reading them needs the tensorboard package: "
                        f"pip install tensorboard") from None
    runs: dict[Path, dict[str, dict[int, float]]] = {}  # run folder -> column -> {step: value}
    found: dict[Path, list[str]] = {}
    paired: dict[Path, list[str]] = {}  # run folder -> its add_scalars subfolders (loss_train, loss_val)
    for f in sorted(files):
        acc = ea.EventAccumulator(str(f), size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
        try:
            acc.Reload()
        except Exception as e:  # a damaged event file: tensorboard raises its own errors
            raise ReadError(f"{f.name}: cannot read this TensorBoard event file ({_one_line(str(e), 80)})") from None
        tags = acc.Tags()
        # simple_value is a float32: its shortest decimal is the number that was logged
        scalars = [(tag, [(e.step, float(str(np.float32(e.value)))) for e in acc.Scalars(tag)])
                   for tag in tags.get("scalars", [])]
        for tag in tags.get("tensors", []):
            try:
                if acc.SummaryMetadata(tag).plugin_data.plugin_name != "scalars":
                    continue
            except (KeyError, AttributeError):
                pass
            points = []
            for e in acc.Tensors(tag):
                a = tensor_util.make_ndarray(e.tensor_proto)
                if a.size == 1 and a.dtype.kind in "fiu":
                    v = a.reshape(-1)[0]
                    points.append((e.step, float(str(v)) if a.dtype == np.float32 else float(v)))
            scalars.append((tag, points))
        folder = f.parent
        split = _TB_SPLIT_DIRS.get(folder.name.lower())  # Keras: train/ and validation/ of one run
        # SummaryWriter.add_scalars: <tag>_train/, <tag>_val/ of one run, the subfolder names the split
        column, by_key = (None, None) if split else _add_scalars_column(folder.name, [t for t, _ in scalars])
        if by_key:
            split = by_key
        run_dir = folder.parent if split or column else folder
        series = runs.setdefault(run_dir, {})
        for tag, points in scalars:
            if column:
                found.setdefault(run_dir, []).append(f"{folder.name}/{tag}")
                if _tb_add(series, column, split, points) is not None:
                    paired.setdefault(run_dir, []).append(folder.name)
            else:
                found.setdefault(run_dir, []).append(tag if split is None else f"{split}/{tag}")
                _tb_add(series, tag, split, points)
    out, missing, empty = [], [], []
    for run_dir, series in runs.items():
        name = run_dir.relative_to(base).as_posix() if run_dir != base and base in run_dir.parents else run_dir.name
        name = name or label
        if not series:  # no scalar at all (a graph, hparams, add_scalars' parent): not a run
            empty.append((name, "none"))
            continue
        steps = sorted({s for points in series.values() for s in points})
        n = len(steps)
        step_vals = np.asarray(steps, dtype=np.float64)
        notes = []
        if "epoch" in series:  # PyTorch Lightning logs the epoch beside global steps
            cols = [_Col("step", step_vals, np.ones(n, dtype=bool))]
        else:
            cols = [_Col("epoch", step_vals, np.ones(n, dtype=bool))]
            notes.append("TensorBoard steps read as epochs")
        if run_dir in paired:
            notes.append(f"add_scalars subfolders read as one run: {', '.join(dict.fromkeys(paired[run_dir]))}")
        for key, points in series.items():
            cols.append(_Col(key, np.array([points.get(s, np.nan) for s in steps]),
                             np.array([s in points for s in steps], dtype=bool)))
        try:
            runs_here = _runs_from_columns(cols, label=name, source=str(run_dir), notes=notes, what="tag")
        except ReadError:
            missing.append((name, ", ".join(dict.fromkeys(found.get(run_dir, []))) or "none"))
            continue
        out += _name_runs(runs_here, name)
    if not out:
        name, tags = (missing + empty)[0]
        raise ReadError(f"{name}: no loss or val_loss among the TensorBoard scalars (found: {tags}); log them as "
                        f"'loss' and 'val_loss' (or epoch_loss in train/ and validation/)")
    if missing:
        _warn(f"fitwatch: skipped TensorBoard runs without a loss: {', '.join(n for n, _ in missing)}")
    return out


def _add_scalars_column(folder: str, tags: list[str]) -> tuple[str | None, str | None]:
    """``SummaryWriter.add_scalars(tag, {key: value})`` writes ``tag`` into a subfolder ``<tag>_<key>``
    (``/`` in the tag written ``_``). When ``folder`` is one and its key names a split (``train``,
    ``val``... as a Keras split folder does): ``(tag, split)``; a key that names a split and a
    metric (``train_loss``, ``val_acc``): ``(key, None)``; else ``(None, None)``
    (``{"adam": .., "sgd": ..}``: runs side by side, each subfolder its own run).

    Example:
        >>> _add_scalars_column("loss_val", ["loss"]), _add_scalars_column("Loss_train_loss", ["Loss"])
        (('loss', 'val'), ('train_loss', None))
        >>> _add_scalars_column("loss_adam", ["loss"]), _add_scalars_column("exp1", ["loss", "lr"])
        ((None, None), (None, None))
    """
    if len(set(tags)) != 1:
        return None, None
    tag = tags[0]
    prefix = tag.replace("/", "_") + "_"
    key = folder[len(prefix):] if folder.startswith(prefix) else ""
    if not key:
        return None, None
    split = _TB_SPLIT_DIRS.get(key.lower())
    if split:
        return tag, split
    words = re.split(r"[\s\-/._]+", key.lower())
    if len(words) > 1 and (words[0] in _TB_SPLIT_DIRS or words[-1] in _TB_SPLIT_DIRS):
        return key, None
    return None, None


def _tb_add(series, tag, split, points) -> str | None:
    """Scalars of one tag into ``series[column name] = {step: value}``; the column name carries the
    split of a Keras ``train/`` or ``validation/`` folder (``epoch_loss`` there -> ``val_loss``).
    Returns the column name (None for per-batch scalars, left out)."""
    low = tag.lower()
    if low.startswith("batch_") or "vs_iterations" in low:  # Keras' per-batch scalars: not epochs
        return None
    key = "epoch" if low == "epoch" else re.sub(r"^epoch[_/]", "", tag)
    role = _role(key, False)
    if split in ("val", "test") and role[0] == "metric" and not role[1].startswith(("val_", "test_")):
        key = keras_key(split, key)
    target = series.setdefault(key, {})
    for step, value in points:
        target[int(step)] = float(value)
    return key


# -- cells and columns --------------------------------------------------------------------------
_MISSING = {"", "none", "null", "na", "n/a", "nat", "-", "--", "?", "<na>"}
_WRAPPED = re.compile(r"^(?:tensor|array|np\.float\d*|numpy\.float\d*|float\d*|torch\.tensor)\(\s*\[?\s*"
                      r"([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|inf))")


def _cell(c, decimal_comma: bool = False) -> tuple[float, int]:
    """A cell as ``(value, kind)``: kind 0 blank, 1 number, 2 text, 3 a number in ``tensor(...)``,
    4 a number with a ``%`` sign."""
    if c is None:
        return np.nan, 0
    if isinstance(c, str):
        s = c.strip()
        if s.lower() in _MISSING:
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
        if decimal_comma and _DEC_COMMA.match(s):
            return float(s.replace(",", ".")), 1
        m = _WRAPPED.match(s)
        if m:
            return float(m.group(1)), 3
        return np.nan, 2
    if isinstance(c, (bool, np.bool_)):
        return float(c), 1
    if type(c).__name__ in ("NAType", "NaTType"):  # pandas' missing values
        return np.nan, 0
    try:
        return float(c), 1
    except (TypeError, ValueError):
        return np.nan, 2


@dataclass
class _Col:
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


def _parse_cells(name: str, cells: list, decimal_comma: bool = False) -> _Col:
    n = len(cells)
    vals = np.empty(n)
    present = np.ones(n, dtype=bool)
    counts = [0, 0, 0, 0, 0]
    example = None
    for i, c in enumerate(cells):
        v, k = _cell(c, decimal_comma)
        vals[i] = v
        counts[k] += 1
        if k == 0:
            present[i] = False
        elif k == 2 and example is None:
            example = str(c)
    texts = [None if c is None else str(c).strip() for c in cells] if counts[2] else None
    return _Col(name, vals, present, counts[2], example, counts[4], counts[3], texts)


def _fast_column(name: str, values, null_is_value: bool = False) -> _Col:
    """A column from a list of numbers, without a Python loop when it can. None is a missing value,
    or with ``null_is_value`` a NaN value (JSON's null); ``float("nan")`` is a NaN value."""
    try:
        vals = _float_array(values, strict=True)  # numpy reads None as NaN
    except (TypeError, ValueError):
        col = _parse_cells(name, list(values))
        if null_is_value:
            col.present[:] = [True if v is None else p for v, p in zip(values, col.present)]
        return col
    present = np.ones(vals.size, dtype=bool)
    if not null_is_value and isinstance(values, (list, tuple)) and np.isnan(vals).any():
        present = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    return _Col(name, vals, present)


def _float_array(values, strict: bool = False) -> np.ndarray:
    if _is_tensor(values):
        values = values.detach().cpu().numpy()
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        if strict:
            raise
        a = np.array([_cell(v)[0] for v in values], dtype=np.float64)
    if a.ndim != 1:
        raise ReadError(f"a curve must be one-dimensional, got shape {a.shape}")
    return a


# -- column names -------------------------------------------------------------------------------
_EPOCH_NAMES = {"epoch", "epochs", "ep", "epoch_num", "epoch_no", "epoch_number", "epoch_idx", "epoch_index",
                "n_epoch", "num_epoch", "epoch_id"}
_STEP_NAMES = {"step", "steps", "global_step", "trainer_global_step", "iteration", "iterations", "iter"}
_RUN_NAMES = {"run", "run_id", "runid", "run_name", "trial", "trial_id", "experiment", "experiment_id"}
_PHASE_NAMES = {"phase", "split", "mode", "stage", "subset", "set", "partition", "dataset"}
_INDEX_NAMES = {"", "unnamed:_0", "unnamed_0", "unnamed", "index"}
_TRAIN_PHASES = {"train", "training", "tr", "fit"}
_VAL_PHASES = {"val", "valid", "validation", "eval", "evaluation", "dev"}
_TEST_PHASES = {"test", "testing"}


@functools.lru_cache(maxsize=4096)
def _role(raw: str, first: bool) -> tuple:
    """What a column is: ``("epoch",)``, ``("step",)``, ``("index",)``, ``("run",)``, ``("phase",)``,
    ``("metric", key, percent, per_step)`` or ``("none",)``."""
    s = raw.strip().strip("\"'").strip()
    no_pct = re.sub(r"\s*[(\[]\s*%\s*[)\]]|\s*%", "", s)
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


def _snake(raw: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", raw.strip().lower()).strip("_") or "column"


def _is_accuracy(key: str) -> bool:
    metric = re.sub(r"^(val|test)_", "", key)
    return metric in ("accuracy", "acc") or metric.endswith("_accuracy")


# -- columns to runs ----------------------------------------------------------------------------
def _runs_from_columns(cols: list[_Col], *, label: str, source: str, lines: list[int] | None = None,
                       notes=(), what: str = "column") -> list[tuple]:
    """Columns of one table as runs: ``[(key, Curves)]``, ``key`` None for a single run, else the run
    number in the table (epoch counter restarts) or the value of its run column."""
    notes = list(notes)
    n = cols[0].vals.size if cols else 0
    found = ", ".join(c.name or "(unnamed)" for c in cols)
    roles = [_role(c.name, i == 0) for i, c in enumerate(cols)]
    epoch_col = step_col = run_col = phase_col = index_col = None
    entries = []  # [key, vals, present, percent, per_step, col]
    text_cols, empty_cols = [], []
    for c, r in zip(cols, roles):
        kind, nv = r[0], c.n_values
        if kind == "metric" and c.n_text > nv and r[1] not in ("loss", "val_loss"):
            text_cols.append(c.name)
            continue
        if kind == "epoch" and epoch_col is None and nv > 0:
            finite = c.vals[np.isfinite(c.vals)]
            if np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 2.0 ** 53):
                epoch_col = c
                continue
            notes.append(f"{c.name} holds fractions, not epoch numbers: ignored")
            continue
        if kind == "step" and step_col is None and nv > 0:
            step_col = c
            continue
        if kind == "index" and nv > 0 and c.n_text == 0:
            finite = c.vals[np.isfinite(c.vals)]
            if finite.size == c.vals.size and np.all(finite == np.round(finite)):
                index_col = c
            continue
        if kind == "run" and run_col is None:
            run_col = c
            continue
        if kind == "phase" and phase_col is None and c.texts is not None:
            phase_col = c
            continue
        if kind != "metric":
            if c.texts is not None and c.n_text > nv:
                text_cols.append(c.name or "(unnamed)")
            continue
        if nv == 0 and r[1] not in ("loss", "val_loss"):
            (text_cols if c.n_text else empty_cols).append(c.name)
            continue
        if c.n_text:
            notes.append(f"{c.n_text} non-numeric values in {c.name} read as NaN (e.g. {_one_line(c.example, 30)!r})")
        if c.n_wrapped:
            notes.append(f"{c.name}: values like tensor(0.5) read as numbers")
        entries.append([r[1], c.vals, c.present, r[2] or c.n_pct > 0, r[3], c])

    # a phase column (train/val rows): one series per phase
    pivot = False
    if phase_col is not None:
        phases = [None if t is None else t.lower() for t in phase_col.texts]
        kinds = {p for p in phases if p}
        known = _TRAIN_PHASES | _VAL_PHASES | _TEST_PHASES
        if kinds <= known and kinds - _TRAIN_PHASES:
            pivot = True
            has_val = bool(kinds & _VAL_PHASES)
            phase_arr = np.array([p or "" for p in phases], dtype=object)
            new = []
            for key, vals, present, pct, per_step, c in entries:
                if key.startswith(("val_", "test_")):
                    new.append([key, vals, present, pct, per_step, c])
                    continue
                for p in sorted(kinds, key=lambda p: (p not in _TRAIN_PHASES, p)):
                    mask = phase_arr == p
                    if p in _TRAIN_PHASES:
                        k = key
                    elif p in _VAL_PHASES or not has_val:
                        k = f"val_{key}"
                    else:
                        k = f"test_{key}"
                    new.append([k, np.where(mask, vals, np.nan), present & mask, pct, per_step, c])
            entries = new
            notes.append(f"{phase_col.name} column: rows of {', '.join(sorted(kinds))} read as separate series")
        else:
            text_cols.append(phase_col.name)
    if text_cols:
        notes.append(f"ignored text columns: {', '.join(text_cols)}")
    if empty_cols:
        notes.append(f"ignored empty columns: {', '.join(empty_cols)}")

    # per-step columns (Lightning's train_loss_step) only where no epoch value exists
    epoch_keys = {e[0] for e in entries if not e[4]}
    dropped_steps = [e[5].name for e in entries if e[4] and e[0] in epoch_keys]
    if dropped_steps:
        notes.append(f"used the per-epoch columns, ignored {', '.join(dropped_steps)}")
    entries = [e for e in entries if not (e[4] and e[0] in epoch_keys)]
    # two columns with one name (val_loss and test_loss): the one spelled exactly so keeps it
    by_key: dict[str, list] = {}
    for e in entries:
        by_key.setdefault(e[0], []).append(e)
    for key, group in by_key.items():
        if len(group) > 1:
            group.sort(key=lambda e: _snake(e[5].name) != key)
            for e in group[1:]:
                e[0] = _snake(e[5].name) if _snake(e[5].name) not in by_key else f"{_snake(e[5].name)}_2"
                notes.append(f"{e[5].name} kept as {e[0]!r} ({key} is also in the {what}s)")

    keys = {e[0] for e in entries}
    if not keys & {"loss", "val_loss"}:
        raise ReadError(f"{label}: no training or validation loss {what} (found: {found or 'nothing'}); name the "
                        f"loss {what} 'loss' and the validation loss 'val_loss'")
    if n == 0:
        raise ReadError(f"{label}: no values yet (found: {found}); nothing to read before the first epoch")

    # percent accuracy
    for e in entries:
        key, vals, pct, c = e[0], e[1], e[3], e[5]
        finite = vals[np.isfinite(vals)]
        top = float(finite.max()) if finite.size else 0.0
        if pct or _is_accuracy(key) and top > 1.5:
            e[1] = vals / 100.0
            why = "has a % sign" if pct else f"looks like percent (max {top:g})"
            notes.append(f"{c.name} {why}: divided by 100")

    epochs_src = epoch_col if epoch_col is not None else index_col
    if epoch_col is None and index_col is not None and not np.array_equal(index_col.vals, np.arange(n)):
        notes.append("epochs read from the unnamed first column (the index)")
    aggregate = step_col is not None or pivot

    # groups: a run column, else the whole table
    if run_col is not None:
        keys_of_rows = [_run_key(run_col, i) for i in range(n)]
        groups = {}
        for i, k in enumerate(keys_of_rows):
            groups.setdefault(k, []).append(i)
        groups = list(groups.items())
    else:
        groups = [(None, list(range(n)))]

    out = []
    for gkey, rows in groups:
        parts = _split_runs(rows, epochs_src, step_col, aggregate)
        for j, part in enumerate(parts):
            run_notes = list(notes)
            if len(parts) > 1:
                starts = [lines[p[0]] if lines else p[0] + 1 for p in parts[1:]]
                where = ("line" if lines else "row") + ("s" if len(starts) > 1 else "")
                run_notes.append(f"{len(parts)} runs in one {what == 'column' and 'file' or 'source'} (the epoch "
                                 f"counter restarts at {where} {', '.join(map(str, starts))})")
            c = _build_run(np.asarray(part, dtype=np.intp), entries, epochs_src, step_col, lines, run_notes,
                           source)
            if c is None:  # no row with an epoch number
                continue
            if run_col is not None:
                key = gkey if len(parts) == 1 else f"{gkey}.{j + 1}"
            else:
                key = None if len(parts) == 1 else j + 1
            out.append((key, c))
    if not out:
        raise ReadError(f"{label}: no row has an epoch number in {epochs_src.name} (found: {found}); write whole "
                        f"numbers there, or leave the {what} out to number the rows 0, 1, 2...")
    if run_col is not None and len(groups) == 1 and len(out) == 1:
        out = [(None, out[0][1])]
    return out


def _run_key(col: _Col, i: int) -> str:
    if col.texts is not None:
        return col.texts[i] or ""
    v = col.vals[i]
    return "" if np.isnan(v) else (str(int(v)) if v == int(v) else str(v))


def _split_runs(rows: list[int], epochs: _Col | None, steps: _Col | None, aggregate: bool) -> list[list[int]]:
    """Rows into runs where the epoch counter (or the step counter) starts again."""
    if epochs is None and steps is None:
        return [rows]
    ev = epochs.vals if epochs is not None else None
    sv = steps.vals if steps is not None else None
    parts: list[list[int]] = [[]]
    prev_e = prev_s = None
    for r in rows:
        e = ev[r] if ev is not None else np.nan
        s = sv[r] if sv is not None else np.nan
        new = False
        if math.isfinite(e) and prev_e is not None:
            new = e < prev_e or (e == prev_e and not aggregate)
        if s == s and prev_s is not None and s < prev_s:
            new = True
        if new and parts[-1]:
            parts.append([])
            prev_e = prev_s = None
        parts[-1].append(r)
        if math.isfinite(e):
            prev_e = e
        if s == s:
            prev_s = s
    return [p for p in parts if p]


def _build_run(R: np.ndarray, entries, epochs_src: _Col | None, step_col: _Col | None, lines, notes,
               source: str) -> Curves | None:
    """One run's rows ``R`` as Curves: one row per epoch (the last value of each column in an epoch,
    the mean for per-step columns); None when no row has an epoch number."""
    if epochs_src is None:
        epochs = np.arange(R.size)
        series = {e[0]: e[1][R] for e in entries}
        return Curves(epochs=epochs, series=series, source=source, notes=list(dict.fromkeys(notes)),
                      missing=_gaps({e[0]: ~e[2][R] for e in entries}))
    e = epochs_src.vals[R].copy()
    missing = ~np.isfinite(e)
    if missing.any() and step_col is not None and (~missing).any():
        # Lightning: rows without an epoch (lr-Adam) belong to the epoch logged at their step or next
        s = step_col.vals[R]
        known = ~missing & ~np.isnan(s)
        if known.any():
            order = np.argsort(s[known], kind="stable")
            ks, ke = s[known][order], e[known][order]
            fill = missing & ~np.isnan(s)
            idx = np.minimum(np.searchsorted(ks, s[fill], side="left"), ks.size - 1)
            e[fill] = ke[idx]
            missing = ~np.isfinite(e)
    if missing.any():
        where = [lines[r] for r in R[missing]] if lines else [int(r) + 1 for r in R[missing]]
        notes.append(f"dropped {missing.sum()} row{'s' if missing.sum() > 1 else ''} without an epoch "
                     f"({'line' if lines else 'row'} {where[0]}{', ...' if len(where) > 1 else ''})")
        R, e = R[~missing], e[~missing]
        if R.size == 0:
            return None
    order = np.argsort(e, kind="stable")
    R, e = R[order], e[order]
    uniq, g = np.unique(e, return_inverse=True)
    k = uniq.size
    series, missing = {}, {}
    if k == R.size:
        for ent in entries:
            series[ent[0]] = ent[1][R]
            missing[ent[0]] = ~ent[2][R]
    else:
        multi = []
        for key, vals, present, _pct, per_step, c in entries:
            mask = present[R]
            gm, v = g[mask], vals[R][mask]
            missing[key] = np.bincount(gm, minlength=k) == 0  # no row of the epoch holds a value
            out = np.full(k, np.nan)
            if per_step:
                counts = np.bincount(gm, minlength=k)
                sums = np.bincount(gm, weights=v, minlength=k)
                with np.errstate(invalid="ignore", divide="ignore"):
                    out = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
                notes.append(f"{c.name}: the mean of each epoch's step values (no per-epoch column)")
            elif gm.size:
                uq, first_rev = np.unique(gm[::-1], return_index=True)
                out[uq] = v[gm.size - 1 - first_rev]
                if uq.size < gm.size:
                    multi.append(c.name)
            series[key] = out
        notes.append(f"{R.size} rows aggregated to {k} epochs (the last value of each column per epoch)")
        if multi:
            notes.append(f"several values per epoch in {', '.join(dict.fromkeys(multi))}: took the last")
    return Curves(epochs=uniq.astype(np.int64), series=series, source=source, notes=list(dict.fromkeys(notes)),
                  missing=_gaps(missing))


def _gaps(missing: dict) -> dict:
    """The masks with at least one missing epoch (a key without a mask: a value at every epoch)."""
    return {k: m for k, m in missing.items() if m.any()}


def _one_line(s, limit: int = 200) -> str:
    s = " ".join(str(s).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."
