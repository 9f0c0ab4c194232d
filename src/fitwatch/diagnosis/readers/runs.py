"""Columns into runs, shared by every reader: no format of its own, what a table of columns holds.

Every reader ends here: the :class:`~fitwatch.diagnosis.readers.columns.Col` list of one table (a
CSV's columns, the keys of JSON objects or of a dict of lists, TensorBoard tags) becomes
``[(key, Curves)]`` by :func:`runs_from_columns`: the epoch column (or the index, or 0, 1, 2...),
one row per epoch (Lightning's step and epoch rows, a phase column's train/val rows aggregated),
several runs where the epoch counter restarts or a run column says so, accuracy in percent divided
by 100, and a note for each guess. :func:`name_runs` names them; :func:`from_mapping` and
:func:`from_lists` read a ``{name: list}`` history and ``(train, val)`` lists (Python objects and
JSON both hold them), :func:`rows_table` a list of per-epoch objects.

Example:
    >>> [(key, c)] = from_mapping({"loss": [1.0, 0.5, 0.4], "val_loss": [1.1]}, label="dict", source="dict")
    >>> key, c.epochs.tolist(), c.val_loss.tolist()[2], c.missing["val_loss"].tolist()
    (None, [0, 1, 2], 1.1, [True, True, False])
    >>> c.notes
    ['val_loss has 1 values for 3 epochs: read as validation every 3rd epoch (Keras validation_freq=3: epochs 2)']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fitwatch.diagnosis.curves import Curves, loss_candidates, merge_notes, spread_validation
from fitwatch.diagnosis.readers.resumed import constant_epoch, join_resumed, repeats_forward, run_key, table_parts
from fitwatch.diagnosis.readers.columns import (
    Col,
    ReadError,
    check_columns,
    fast_column,
    is_accuracy,
    ndim,
    one_line,
    parse_cells,
    role,
    separate_test,
    snake,
    text_as_missing,
)

_TRAIN_PHASES = {"train", "training", "tr", "fit"}
_VAL_PHASES = {"val", "valid", "validation", "eval", "evaluation", "dev"}
_TEST_PHASES = {"test", "testing"}


# -- naming -------------------------------------------------------------------------------------
def name_runs(runs: list[tuple], base: str | None, multi_base: str | None = None) -> list[Curves]:
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


# -- lists, histories and rows --------------------------------------------------------------------
def from_lists(lists, label, source=None, null_is_value: bool = False) -> Curves:
    """``[train]`` or ``(train, val)``: None is a missing value (``null_is_value``: a NaN value, as
    in JSON); a shorter validation list is laid out by :func:`fitwatch.curves.spread_validation`."""
    cols = [fast_column(nm, v, null_is_value) for nm, v in zip(("loss", "val_loss"), lists)]
    notes: list[str] = []
    cols = _stretch(cols, max(c.vals.size for c in cols), notes)
    [(_, c)] = runs_from_columns(cols, label=label, source=source or label, notes=notes, what="sequence")
    return c


def _stretch(cols: list, n: int, notes: list) -> list:
    """Columns shorter than ``n`` made ``n`` long: a validation column where Keras' ``validation_freq``
    puts its values, any other padded at the end; the added epochs are missing (a note says which)."""
    out, said = [], []
    for i, c in enumerate(cols):
        if c.vals.size == n:
            out.append(c)
            continue
        r = role(c.name, i == 0)
        key = r[1] if r[0] == "metric" else c.name
        vals, missing, note = spread_validation(key, c.vals, n, ~c.present)
        said.append(note)
        out.append(Col(c.name, vals, ~missing, c.n_text, c.example, c.n_pct, c.n_wrapped))
    notes += merge_notes(said)
    return out


def from_mapping(mapping, *, label: str, source: str, epochs=None, null_is_value: bool = False) -> list[tuple]:
    """A Keras history (``{name: list}``); scalars instead of lists make one epoch. None is a missing
    value (``null_is_value``: a NaN value, JSON's spelling of it in the shared-curves format); a
    validation list shorter than the others is Keras' ``validation_freq`` (see :func:`_stretch`);
    an empty list (``"val_loss": []``) is no curve: left out, with a note."""
    check_columns(len(mapping), label, what="key")
    items = [(str(k), v) for k, v in mapping.items()]
    seqs = [(k, v) for k, v in items if not isinstance(v, (str, bytes, dict)) and ndim(v) == 1]
    notes = []
    if not seqs:
        if not items:
            raise ReadError(f"{label}: empty; expected {{'loss': [...], 'val_loss': [...]}}")
        seqs = [(k, [v]) for k, v in items if isinstance(v, (int, float, np.number, type(None)))]
    elif len(seqs) < len(items):
        kept = {k for k, _ in seqs}
        notes.append(f"ignored entries that are not lists: {', '.join(k for k, _ in items if k not in kept)}")
    empty = [k for k, v in seqs if len(v) == 0]
    if empty and len(empty) < len(seqs):  # "val_loss": [] (fit without validation data): no curve
        seqs = [(k, v) for k, v in seqs if len(v)]
        notes.append(f"left out empty lists (no values, no curve): {', '.join(empty)}")
    cols = [fast_column(k, v, null_is_value) for k, v in seqs]
    n = max((c.vals.size for c in cols), default=0)
    cols = _stretch(cols, n, notes)
    if epochs is not None and len(epochs) == n and not any(role(c.name, i == 0)[0] == "epoch"
                                                            for i, c in enumerate(cols)):
        cols.insert(0, Col("epoch", np.asarray(epochs, dtype=np.float64), np.ones(n, dtype=bool)))
    return runs_from_columns(cols, label=label, source=source, notes=notes, what="key")


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


def rows_table(objs, linenos, label, source, notes=()) -> list[tuple]:
    """Per-epoch objects (``{"epoch": 0, "loss": ..}``, one nesting level flattened) as a table's runs."""
    objs = [_flatten(o) for o in objs]
    names = list(dict.fromkeys(k for o in objs for k in o))
    check_columns(len(names), label, what="key")
    cols = [parse_cells(str(k), [o.get(k) for o in objs]) for k in names]
    return runs_from_columns(cols, label=label, source=source, lines=linenos, notes=notes, what="key")


# -- columns to runs ----------------------------------------------------------------------------
@dataclass
class _Table:
    """The columns of one table sorted by what they are: the counters, and the metric ``entries``
    (``[key, vals, present, percent, per_step, col]``)."""

    epoch: Col | None = None
    step: Col | None = None
    run: Col | None = None
    phase: Col | None = None
    index: Col | None = None
    entries: list = field(default_factory=list)
    text_cols: list = field(default_factory=list)
    empty_cols: list = field(default_factory=list)


def runs_from_columns(cols: list[Col], *, label: str, source: str, lines: list[int] | None = None,
                      notes=(), what: str = "column") -> list[tuple]:
    """Columns of one table as runs: ``[(key, Curves)]``, ``key`` None for a single run, else the run
    number in the table (epoch counter restarts) or the value of its run column."""
    notes = list(notes)
    n = cols[0].vals.size if cols else 0
    found = ", ".join(c.name or "(unnamed)" for c in cols)
    t = _classify(cols, notes)
    pivot = _pivot_phases(t, notes)  # a phase column (train/val rows): one series per phase
    if t.text_cols:
        notes.append(f"ignored text columns: {', '.join(t.text_cols)}")
    if t.empty_cols:
        notes.append(f"ignored empty columns: {', '.join(t.empty_cols)}")
    entries, left_out = _settle_keys(t.entries, notes, what)
    # and the rows only the per-step columns left out hold (157 "epochs" of a 30-epoch TensorBoard run)
    stray = np.logical_or.reduce(left_out) & ~np.logical_or.reduce([e[2] for e in entries]) if left_out and entries else None

    keys = {e[0] for e in entries}
    if not keys & {"loss", "val_loss"} and not loss_candidates(keys) and not _metrics_only(keys):
        raise ReadError(f"{label}: no training or validation loss {what} (found: {found or 'nothing'}); name the "
                        f"loss {what} 'loss' and the validation loss 'val_loss'")
    if n == 0:
        raise ReadError(f"{label}: no values yet (found: {found}); nothing to read before the first epoch")
    _percent(entries, notes)

    t.epoch, t.step = constant_epoch(t.epoch, t.step, entries, n, notes)
    epochs_src = t.epoch if t.epoch is not None else t.index
    if t.epoch is None and t.index is not None and not np.array_equal(t.index.vals, np.arange(n)):
        notes.append("epochs read from the unnamed first column (the index)")
    # several rows per epoch: Lightning's step rows, a phase column, or an epoch column that repeats
    # without ever going back (Lightning's CSVLogger without a step column: batch rows, then a val row)
    repeats = repeats_forward(epochs_src)
    aggregate = t.step is not None or pivot or repeats
    whole = "file" if what == "column" else "source"
    split = table_parts(n, t.run, epochs_src, t.step, aggregate, label, whole)

    out, empty = [], []
    for gkey, run_parts in split:
        built = []
        for part in run_parts:
            c = _build_run(np.asarray(part, dtype=np.intp), entries, epochs_src, t.step, lines, list(notes), source,
                           stepped=repeats, stray=stray)
            if c is None:  # no row with an epoch number
                continue
            at = lines[part[0]] if lines else part[0] + 1
            (empty if _no_values(c) else built).append((c, at))
        unit = "line" if lines else "row"
        out += _keyed(join_resumed(built, unit), gkey, t.run is not None, whole, unit)
    judged = " or ".join(sorted(keys & {"loss", "val_loss"})) or "any column"
    if not out and empty:
        raise ReadError(f"{label}: no value in {judged} in any row (found: {found}); the log holds no losses yet, "
                        f"nothing to judge: write them in the {what}s named loss and val_loss")
    if not out:
        raise ReadError(f"{label}: no row has an epoch number in {epochs_src.name} (found: {found}); write whole "
                        f"numbers there, or leave the {what} out to number the rows 0, 1, 2...")
    if empty:
        said = (f"left out {len(empty)} run{'s' if len(empty) > 1 else ''} with no value in {judged} "
                f"({'line' if lines else 'row'} {empty[0][1]}{', ...' if len(empty) > 1 else ''})")
        for _, c in out:
            c.notes.append(said)
    if t.run is not None and len(split) == 1 and len(out) == 1:
        out = [(None, out[0][1])]
    return out


def _keyed(parts: list[tuple], gkey, by_column: bool, whole: str, unit: str) -> list[tuple]:
    """The runs of one group (``parts``: ``[(Curves, the line or row where it starts)]``) keyed: None
    for a single run, else its number (with a run column: ``gkey``, ``gkey.2``...); where there are
    several, a note says where the epoch counter restarts (the first hundred places)."""
    if len(parts) > 1:
        starts = [str(at) for _, at in parts[1:]]
        shown = ", ".join(starts[:_LISTED]) + (f", ... ({len(starts):,} in all)" if len(starts) > _LISTED else "")
        said = f"{len(parts)} runs in one {whole} (the epoch counter restarts at {unit}{'s' if len(starts) > 1 else ''} {shown})"
    out = []
    for j, (c, _) in enumerate(parts):
        if len(parts) > 1:
            c.notes.append(said)
        if by_column:
            key = gkey if len(parts) == 1 else f"{gkey}.{j + 1}"
        else:
            key = None if len(parts) == 1 else j + 1
        out.append((key, c))
    return out


#: runs a file of runs may hold (JSON lines of one run each, a JSON object or list of runs)
MAX_FILE_RUNS = 20_000
_LISTED = 100  # restarts listed in a note


def _no_values(c: Curves) -> bool:
    """A run with nothing to judge: its loss and val_loss (without them, every series) hold no value
    in any row (an empty cell is no value; ``nan`` is one)."""
    keys = [k for k in ("loss", "val_loss") if k in c.series] or list(c.series)
    return all(k in c.missing and c.missing[k].all() for k in keys)


def _metrics_only(keys) -> bool:
    """A log without a loss that holds a validation curve to judge instead (``val_acc``,
    ``validation_epoch_average``): read, and the diagnosis asks for ``--monitor`` (mean_loss, G_loss,
    mse: there the diagnosis picks)."""
    return any(k.startswith("val_") for k in keys)


def _joined(a: Col, b: Col) -> Col:
    """Two run columns as one: ``seed`` and ``model`` -> ``seed model`` holding ``1 mlp``."""
    texts = [f"{run_key(a, i)} {run_key(b, i)}".strip() for i in range(a.vals.size)]
    return Col(f"{a.name} {b.name}", np.full(a.vals.size, np.nan), np.ones(a.vals.size, dtype=bool), texts=texts)


def _classify(cols: list[Col], notes: list) -> _Table:
    """Each column by its :func:`role`: the first epoch, step, run, phase and index columns, the
    metrics as entries, text and empty columns set aside (a note for each guess)."""
    t = _Table()
    for i, c in enumerate(cols):
        r = role(c.name, i == 0)
        kind, nv = r[0], c.n_values
        if kind == "metric" and c.n_text > nv and r[1] not in ("loss", "val_loss"):
            t.text_cols.append(c.name)
            continue
        if kind == "epoch" and t.epoch is None and nv > 0:
            finite = c.vals[np.isfinite(c.vals)]
            if np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 2.0 ** 53):
                t.epoch = c
                continue
            notes.append(f"{c.name} holds fractions, not epoch numbers: ignored")
            continue
        if kind == "step" and t.step is None and nv > 0:
            t.step = c
            continue
        if kind == "index" and nv > 0 and c.n_text == 0:
            finite = c.vals[np.isfinite(c.vals)]
            if finite.size == c.vals.size and np.all(finite == np.round(finite)):
                t.index = c
            continue
        if kind == "run":  # several (seed, model): each combination is a run
            if 2 * (nv + c.n_text) < c.vals.size:  # a seed said once, in a header line (OpenMMLab's first line)
                notes.append(f"{c.name} is given in {nv + c.n_text} of {c.vals.size} rows: not a run column, ignored")
                continue
            t.run = c if t.run is None else _joined(t.run, c)
            continue
        if kind == "phase" and t.phase is None and c.texts is not None:
            t.phase = c
            continue
        if kind != "metric":
            if c.texts is not None and c.n_text > nv:
                t.text_cols.append(c.name or "(unnamed)")
            continue
        if nv == 0 and r[1] not in ("loss", "val_loss"):
            (t.text_cols if c.n_text else t.empty_cols).append(c.name)
            continue
        if c.n_text:
            c = text_as_missing(c, notes)
        if c.n_wrapped:
            notes.append(f"{c.name}: values like tensor(0.5) read as numbers")
        t.entries.append([r[1], c.vals, c.present, r[2] or c.n_pct > 0, r[3], c])
    return t


def _pivot_phases(t: _Table, notes: list) -> bool:
    """A phase column of train/val/test rows: each metric split into one series per phase
    (``loss`` -> ``loss``, ``val_loss``...); True when it did. Any other phase column is text."""
    if t.phase is None:
        return False
    phases = [None if x is None else x.lower() for x in t.phase.texts]
    kinds = {p for p in phases if p}
    if not (kinds <= _TRAIN_PHASES | _VAL_PHASES | _TEST_PHASES and kinds - _TRAIN_PHASES):
        t.text_cols.append(t.phase.name)
        return False
    has_val = bool(kinds & _VAL_PHASES)
    phase_arr = np.array([p or "" for p in phases], dtype=object)
    new = []
    for key, vals, present, pct, per_step, c in t.entries:
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
            if (present & mask).any():  # a metric no row of this phase holds (mAP in training rows) is no series
                new.append([k, np.where(mask, vals, np.nan), present & mask, pct, per_step, c])
    t.entries = new
    notes.append(f"{t.phase.name} column: rows of {', '.join(sorted(kinds))} read as separate series")
    return True


def _settle_keys(entries: list, notes: list, what: str) -> tuple[list, list]:
    """One entry per key: per-step columns (Lightning's ``train_loss_step``) only where no epoch value
    exists; of two columns with one name (``val_loss`` and ``test_loss``), the one spelled exactly so
    keeps it (else a validation spelling before a test one), the other its own snake_case name.
    ``(entries, the present masks of the per-step columns left out)``."""
    epoch_keys = {e[0] for e in entries if not e[4]}
    dropped = [e for e in entries if e[4] and e[0] in epoch_keys]
    if dropped:
        notes.append(f"used the per-epoch columns, ignored {', '.join(e[5].name for e in dropped)}")
    entries = [e for e in entries if not (e[4] and e[0] in epoch_keys)]
    separate_test(entries, notes)
    by_key: dict[str, list] = {}
    for e in entries:
        by_key.setdefault(e[0], []).append(e)
    for key, group in by_key.items():
        if len(group) > 1:
            # spelled exactly so first, then a validation word before a test one (valid_loss
            # over test_loss: a Lightning log with both has the test value once, at the end)
            group.sort(key=lambda e: (snake(e[5].name) != key, "test" in snake(e[5].name).split("_")))
            for e in group[1:]:
                e[0] = snake(e[5].name) if snake(e[5].name) not in by_key else f"{snake(e[5].name)}_2"
                notes.append(f"{e[5].name} kept as {e[0]!r} ({key} is also in the {what}s)")
    return entries, [e[2] for e in dropped]


def _percent(entries: list, notes: list) -> None:
    """Accuracy in percent (a ``%`` sign, or values above 1.5) divided by 100, in place."""
    for e in (e for e in entries if e[3] or is_accuracy(e[0])):
        vals, pct, c = e[1], e[3], e[5]
        top = float(vals[np.isfinite(vals)].max(initial=0.0))  # (0 when none: only > 1.5 counts)
        if pct or top > 1.5:
            e[1] = vals / 100.0
            why = "has a % sign" if pct else f"looks like percent (max {top:g})"
            notes.append(f"{c.name} {why}: divided by 100")


def _build_run(R: np.ndarray, entries, epochs_src: Col | None, step_col: Col | None, lines, notes,
               source: str, stepped: bool = False, stray: np.ndarray | None = None) -> Curves | None:
    """One run's rows ``R`` as Curves: one row per epoch (the last value of each column in an epoch,
    the mean for per-step columns); None when no row has an epoch number."""
    if stray is not None and (R := R[~stray[R]]).size == 0:  # rows only a left-out per-step column held
        return None
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
    if uniq.size == R.size:
        series = {ent[0]: ent[1][R] for ent in entries}
        missing = {ent[0]: ~ent[2][R] for ent in entries}
    else:
        series, missing = _per_epoch(R, g, uniq.size, entries, notes, stepped=stepped or step_col is not None)
    if step_col is not None:
        s = step_col.vals[R]
        last_step = np.full(uniq.size, -np.inf)  # each epoch's last step
        np.fmax.at(last_step, g, np.where(np.isnan(s), -np.inf, s))
        uniq = _after_fit(uniq, series, missing, notes, last_step)
    return Curves(epochs=uniq.astype(np.int64), series=series, source=source, notes=list(dict.fromkeys(notes)),
                  missing=_gaps(missing))


def _after_fit(epochs: np.ndarray, series: dict, missing: dict, notes: list, last_step: np.ndarray) -> np.ndarray:
    """Lightning's ``trainer.validate()`` or ``trainer.test()`` after ``fit`` logs at the epoch after
    the last one trained: a last epoch with validation or test values only is that evaluation, not
    an epoch of training, where every earlier epoch has a training value, or where the epoch before
    has one (the last trained) and the last epoch follows it at once without a training step (its
    step at most one past that epoch's last, ``last_step``: each epoch's last step; a training value
    logged every few epochs, ``log_every_n_steps``, leaves earlier epochs without one). It is left
    out (a note says so; ``series`` and ``missing`` are cut in place) and the epochs kept are returned."""
    train = [k for k in series if not k.startswith(("val_", "test_", "lr"))]
    if epochs.size < 3 or not train:
        return epochs
    trained = np.isfinite(np.array([series[k] for k in train])).any(axis=0)
    right_after = (trained[-2] and epochs[-1] == epochs[-2] + 1 and np.isfinite(last_step[-2])
                   and last_step[-1] <= last_step[-2] + 1)
    if trained[-1] or not (trained[:-1].all() or right_after):
        return epochs
    held = [k for k in series if np.isfinite(series[k][-1])]
    if not held:
        return epochs
    for k in list(series):
        series[k] = series[k][:-1]
        if k in missing:
            missing[k] = missing[k][:-1]
    notes.append(f"epoch {int(epochs[-1])} holds only {', '.join(held)}, no training value: an evaluation "
                 "after training (trainer.validate or test), left out of the curves")
    return epochs[:-1]


def _per_epoch(R: np.ndarray, g: np.ndarray, k: int, entries, notes: list, stepped: bool = False) -> tuple[dict, dict]:
    """Several rows per epoch (``g``: each row's epoch, of ``k``) as one: the last value of each column
    in an epoch, the mean for per-step columns. In a table with a step column (Lightning's
    ``metrics.csv``), a training column with several values in an epoch was logged per step
    (``self.log("train_loss", loss)`` in ``training_step``): the mean of the epoch's values, not its
    last batch. Returns the series and their missing masks."""
    series, missing = {}, {}
    multi = []
    for key, vals, present, _pct, per_step, c in entries:
        mask = present[R]
        gm, v = g[mask], vals[R][mask]
        counts = np.bincount(gm, minlength=k)
        missing[key] = counts == 0  # no row of the epoch holds a value
        out = np.full(k, np.nan)
        if not per_step and stepped and not key.startswith("val_") and (counts > 1).any():
            per_step = True  # a training value logged at every step, under its own name
        if per_step:
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
    return series, missing


def _gaps(missing: dict) -> dict:
    """The masks with at least one missing epoch (a key without a mask: a value at every epoch)."""
    return {k: m for k, m in missing.items() if m.any()}
