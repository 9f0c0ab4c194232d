"""Python objects: a Keras ``History``, a dict of lists, a pandas (or polars) DataFrame, plain lists.

The shapes: a Keras ``History`` (its ``.history`` dict of per-epoch lists and its ``.epoch`` list)
or any ``{name: list}`` mapping (scalars make one epoch); ``{"run a": source, ...}``, each source
read and named after its key; a DataFrame with an ``epoch`` column or index (by duck typing: pandas
is never imported); ``[train]`` or ``(train, val)`` lists, arrays or tensors; a list of per-epoch
dicts; a list of sources. ``None`` is missing, ``float("nan")`` a value; in a DataFrame a NaN
followed by a value is missing, NaN to the end a value (see :func:`nan_gaps`).

Containers of sources (a dict of runs, a list of files) are read by the ``read`` function the
caller passes (:func:`fitwatch.diagnosis.readers.read_curves`), so that this module reads no
other format itself.

Example:
    >>> [c] = from_sequence(([1.0, 0.6, 0.5], [1.1, 0.8, None]), read=None)
    >>> c.epochs.tolist(), c.val_loss.tolist()[:2], c.missing["val_loss"].tolist()
    ([0, 1, 2], [1.1, 0.8], [False, False, True])
"""

from __future__ import annotations

import os

import numpy as np

from fitwatch.diagnosis.curves import Curves
from fitwatch.diagnosis.readers.columns import Col, ReadError, is_numbers, is_tensor, parse_cells, role
from fitwatch.diagnosis.readers.runs import from_lists, from_mapping, name_runs, runs_from_columns
from fitwatch.store.rundata import RunData


def is_dataframe(x) -> bool:
    return hasattr(x, "columns") and hasattr(x, "to_dict") and not isinstance(x, dict)


def is_source(x) -> bool:
    """Something :func:`~fitwatch.diagnosis.readers.read_curves` reads (not a number)."""
    return isinstance(x, (Curves, RunData, str, os.PathLike, dict, list, tuple, np.ndarray)) or \
        is_dataframe(x) or isinstance(getattr(x, "history", None), dict)


def from_history(history: dict, epochs=None) -> list[Curves]:
    """A Keras ``History``: its ``.history`` dict, its ``.epoch`` list for the epochs."""
    return name_runs(from_mapping(history, label="History", source="History", epochs=epochs), None, "History")


def from_dict(mapping: dict, read) -> list[Curves]:
    """``{name: list}`` (a history), or ``{"run a": source, ...}`` with each source read by ``read``."""
    if mapping and all(is_source(v) and not is_numbers(v) for v in mapping.values()):
        return _named_sources(mapping, read)
    return name_runs(from_mapping(mapping, label="dict", source="dict"), None, "dict")


def _named_sources(mapping: dict, read) -> list[Curves]:
    """``{"run a": source, ...}``: each source read, named after its key when it holds one run."""
    out = []
    for key, value in mapping.items():
        runs = read(value) if not isinstance(value, dict) else \
            name_runs(from_mapping(value, label=f"dict[{key!r}]", source="dict"), None, str(key))
        for c in runs:
            if len(runs) == 1:
                c.name = str(key)
            out.append(c)
    return out


def from_sequence(seq, read) -> list[Curves]:
    """A list, tuple, array or tensor: one curve, ``(train, val)``, per-epoch dicts, or sources
    (each read by ``read``)."""
    if is_tensor(seq):
        seq = seq.detach().cpu().numpy()
    if len(seq) == 0:
        raise ReadError("an empty list holds no curves; pass [train_losses] or (train_losses, val_losses)")
    if is_numbers(seq):  # one curve: training losses
        return [from_lists([seq], "list")]
    if isinstance(seq, np.ndarray) and seq.ndim == 2 or all(is_numbers(s) for s in seq):
        if len(seq) > 2:
            raise ReadError(
                f"a list of {len(seq)} sequences: which is the loss? pass [train_losses], "
                f"(train_losses, val_losses) or a dict {{'loss': [...], 'val_loss': [...], 'accuracy': [...]}}"
            )
        return [from_lists(list(seq), "list")]
    if all(isinstance(r, dict) and not any(is_numbers(v) for v in r.values()) for r in seq):
        names = list(dict.fromkeys(k for r in seq for k in r))
        cols = [parse_cells(str(k), [r.get(k) for r in seq]) for k in names]
        return name_runs(runs_from_columns(cols, label="list of dicts", source="list", what="key"), None, "list")
    out = []
    for s in seq:
        out += read(s)
    return out


def from_dataframe(df) -> list[Curves]:
    """A pandas DataFrame (or a polars one: no index), by duck typing: pandas is never imported."""
    try:
        data = df.to_dict("list")
    except TypeError:  # polars: to_dict(as_series=False) -> {column: list}
        data = df.to_dict(as_series=False)
    names = [str(c) for c in df.columns]
    cols = [nan_gaps(parse_cells(nm, list(data[c]))) for nm, c in zip(names, df.columns)]
    index = getattr(df, "index", None)
    if index is not None and not any(role(c.name, i == 0)[0] == "epoch" for i, c in enumerate(cols)):
        index_name = str(getattr(index, "name", None) or "")
        cells = list(index)
        kind = role(index_name, False)[0] if index_name else "index"
        if kind == "epoch":
            cols.insert(0, parse_cells(index_name, cells))
        elif len(cells) and all(isinstance(v, (int, np.integer)) for v in cells):
            cols.insert(0, parse_cells("", cells))  # an integer index: the epochs (0, 1, 2 by default)
    return name_runs(runs_from_columns(cols, label="DataFrame", source="DataFrame", what="column"),
                     None, "DataFrame")


def nan_gaps(col: Col) -> Col:
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
