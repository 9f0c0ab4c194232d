"""TensorBoard event files (``events.out.tfevents.*``): the scalars a run logged, one run per folder.

The file shape: protobuf event records (read with the ``tensorboard`` package, imported only here
and only when such a file is read), scalars as ``simple_value`` or as scalar tensors (TF2). Keras'
``TensorBoard`` callback writes ``epoch_loss`` into ``train/`` and ``validation/`` of one run (->
``loss``/``val_loss``); ``SummaryWriter.add_scalar`` writes ``Loss/train``, ``Loss/val``;
``add_scalars("loss", {"train": .., "val": ..})`` writes subfolders ``loss_train/``, ``loss_val/``
read as one run with the parent's own tags (keys that name no split, ``{"adam": .., "sgd": ..}``,
stay runs of their own). Steps are epochs unless an ``epoch`` scalar (Lightning) says otherwise, or
a training tag logged at every step sits beside validation tags logged once per epoch at the same
global step (PyTorch's tutorial): then one point per validation, each tag the mean since the one
before (:func:`_by_validation`); a step without the tag is missing; per-batch scalars (``batch_loss``) are left out. A Hugging Face
``Trainer``'s run (``train/loss``, ``eval/loss``, ``train/epoch``, ``train/learning_rate``...) is read
as its ``trainer_state.json`` is (:mod:`~fitwatch.diagnosis.readers.log_history`): one point per
evaluation, the training loss the mean of the rows logged since the one before, epochs from
``train/epoch``; its summary scalars (``train/train_runtime``, ``train/total_flos``...) left out.

TensorBoard's CSV download (the dashboard's "download CSV": ``Wall time,Step,Value``, one scalar of one
run per file) is read here too: the scalar and the run are only in the file's name, which TensorBoard
writes ``run-<run>-tag-<tag>.csv`` (``run-validation-tag-epoch_loss.csv``; a ``/`` in either written
``_``). The run's last word names the split as a Keras run's folder does (``train``, ``validation``),
and the tag is read as an event file's tag (``epoch_loss`` in ``validation`` -> ``val_loss``,
``Loss_train`` -> ``loss``); a file named otherwise is its own tag (``val_loss.csv``). A folder's files
of one run are read together, one column each; a file named alone is one curve.

Example:
    >>> from pathlib import Path
    >>> is_event_file(Path("logs/train/events.out.tfevents.1700000000.host.1.v2"))
    True
    >>> tag_of("run-validation-tag-epoch_loss.csv"), tag_of("run-fit_20240101-train-tag-epoch_accuracy.csv")
    (('', 'val', 'epoch_loss'), ('fit_20240101', 'train', 'epoch_accuracy'))
    >>> csv_points("Wall time,Step,Value\\n1700000000.5,0,0.9\\n1700000060.1,1,0.7\\n", "x.csv")
    [(0, 0.9), (1, 0.7)]
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from fitwatch.core.names import keras_key
from fitwatch.diagnosis.curves import Curves
from fitwatch.diagnosis.readers.columns import Col, ReadError, one_line, role, warn
from fitwatch.diagnosis.readers.log_history import from_log_history
from fitwatch.diagnosis.readers.runs import name_runs, runs_from_columns

_TB_SPLIT_DIRS = {"train": "train", "training": "train", "validation": "val", "val": "val", "valid": "val",
                  "eval": "val", "evaluation": "val", "test": "test"}


def is_event_file(p: Path) -> bool:
    return "tfevents" in p.name


def read_tensorboard(files: list[Path], *, base: Path, label: str) -> list[Curves]:
    """The runs in TensorBoard event ``files``, named by their folder relative to ``base`` (``label``
    when it is ``base`` itself)."""
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
        scalars = _scalars(f, ea, tensor_util)
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
        said = label if run_dir == base else name  # in messages: a file read alone by its own name
        if not series:  # no scalar at all (a graph, hparams, add_scalars' parent): not a run
            empty.append((said, "none"))
            continue
        try:
            runs_here = _runs_of(series, run_dir, paired.get(run_dir), name)
        except ReadError:
            missing.append((said, ", ".join(dict.fromkeys(found.get(run_dir, []))) or "none"))
            continue
        out += name_runs(runs_here, name)
    if not out:
        name, tags = (missing + empty)[0]
        raise ReadError(f"{name}: no loss or val_loss among the TensorBoard scalars (found: {tags}); log them as "
                        f"'loss' and 'val_loss' (or epoch_loss in train/ and validation/)")
    if missing:
        warn(f"fitwatch: skipped TensorBoard runs without a loss: {', '.join(n for n, _ in missing)}")
    return out


def _scalars(f: Path, ea, tensor_util) -> list[tuple]:
    """The scalars of one event file: ``[(tag, [(step, value)])]``, ``simple_value`` ones and scalar
    tensors (TF2's ``tf.summary.scalar``)."""
    acc = ea.EventAccumulator(str(f), size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
    try:
        acc.Reload()
    except Exception as e:  # a damaged event file: tensorboard raises its own errors
        raise ReadError(f"{f.name}: cannot read this TensorBoard event file ({one_line(str(e), 80)})") from None
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
    return scalars


def _by_order(series: dict, notes: list) -> dict:
    """Tags logged once per epoch each, on grids of the same spacing but offset from each other
    (a training loss logged at the start of each epoch's steps, the validation loss at its end:
    steps 0, 115, 230... and 115, 230, 345...): paired by their order, epoch i the i-th point of
    each, with a note. Anything else is kept as it is."""
    grids = {k: sorted(p) for k, p in series.items() if p}
    counts = {len(g) for g in grids.values()}
    if len(grids) < 2 or len(counts) != 1 or counts.pop() < 3:
        return series
    spacings = set()
    for g in grids.values():
        d = np.diff(g)
        if not (d > 0).all() or d.min() != d.max():
            return series
        spacings.add(int(d[0]))
    starts = {g[0] for g in grids.values()}
    if len(spacings) != 1 or len(starts) == 1:
        return series
    d = spacings.pop()
    if max(starts) - min(starts) > d:
        return series
    notes.append(f"tags logged at steps {d} apart but offset from each other ({', '.join(f'{k} from {g[0]}' for k, g in grids.items())}): "
                 f"paired by their order, one epoch per point")
    return {k: {i: series[k][s] for i, s in enumerate(g)} for k, g in grids.items()}


def _is_validation(tag: str) -> bool:
    """The tag names a validation curve, as the readers name columns (``Loss/val`` -> ``val_loss``)."""
    r = role(tag, False)
    return r[0] == "metric" and r[1].startswith("val_")


def _by_validation(series: dict, notes: list) -> dict:
    """A training tag logged at every step (or every few) beside validation tags logged once per
    epoch at the same global step (PyTorch's TensorBoard tutorial: ``add_scalar("Loss/train", loss,
    global_step)`` per batch, ``Loss/val`` after each epoch): one point per validation, each tag the
    mean of its values since the validation before (a training loss of one batch beside an epoch's
    validation loss compares nothing), with a note; steps after the last validation (an epoch not
    yet validated) are left out. Anything else is kept as it is.

    Applies when the validation tags share their steps (2 or more), and every other tag has 3 or
    more values per validation on average and at least one in each window (prev, step], and no more
    than a window's worth after the last validation (else it counts on another step axis)."""
    val = {k: sorted(p) for k, p in series.items() if p and _is_validation(k)}
    if not val or len({tuple(g) for g in val.values()}) != 1:
        return series
    marks = next(iter(val.values()))
    dense = [k for k in series if k not in val and len(series[k]) >= 3 * len(marks)]
    if len(marks) < 2 or not dense:
        return series
    edges = np.asarray(marks, dtype=np.float64)
    side = _window_side(edges, np.asarray(sorted(series[dense[0]]), dtype=np.float64))
    windows = {}
    for k in series:
        steps = sorted(series[k])
        at = np.searchsorted(edges, np.asarray(steps, dtype=np.float64),  # (edges[i-1], edges[i]], or [..)
                             side=side if k in dense else "left")  # an epoch's own scalars (a validation, an
        # accuracy logged at the validation's step) are their window's: only the batches' side moves (an attack)
        inside = int((at < len(marks)).sum())
        if k in dense and (len(np.unique(at[at < len(marks)])) < len(marks) or inside < 3 * len(marks)
                           or len(steps) - inside > inside / len(marks)):
            # a window without a value, fewer than 3 a window, or more than a window's worth after the last
            # validation: another step axis (batch/loss at global steps 0-319 beside epoch scalars at 0-39)
            return series
        windows[k] = steps, at
    out, left = {}, 0
    for k, (steps, at) in windows.items():
        values = np.asarray([series[k][st] for st in steps], dtype=np.float64)
        keep = at < len(marks)
        left = max(left, int((~keep).sum()))
        sums = np.bincount(at[keep], weights=values[keep], minlength=len(marks))
        counts = np.bincount(at[keep], minlength=len(marks))
        out[k] = {i: float(sums[i] / counts[i]) for i in range(len(marks)) if counts[i]}
    every = np.diff(edges)
    notes.append(f"{', '.join(dense)} logged at {sum(len(series[k]) for k in dense[:1])} steps beside {len(marks)} "
                 f"validations (every {int(np.median(every))} steps): one point per validation, each the mean "
                 f"since the one before" + (f"; {left} steps after the last validation left out" if left else ""))
    return out


def _window_side(edges: np.ndarray, steps: np.ndarray) -> str:
    """Whether a validation at global step ``s`` closes the window of training steps up to ``s``
    (``"left"``: a loop that counts the step before logging it, ``step += 1; add_scalar(.., step)``)
    or before it (``"right"``: one that logs, then counts, so that the validation's step is the next
    epoch's first batch's): the side under which the first window holds as many training values as
    the others, where the other side puts one more in it (the sixth trial's epoch boundaries were one
    batch off). Example:
        >>> _window_side(np.array([3., 6., 9.]), np.arange(9.)), _window_side(np.array([3., 6., 9.]), np.arange(1., 10.))
        ('right', 'left')
    """
    def sizes(side):
        at = np.searchsorted(edges, steps, side=side)
        return np.bincount(at[at < len(edges)], minlength=len(edges))
    left, right = sizes("left"), sizes("right")  # the last window may be cut short: the middle ones are the yardstick
    if len(edges) >= 3 and left[0] == np.median(left[1:-1]) + 1 and right[0] == np.median(right[1:-1]):
        return "right"
    return "left"


def _runs_of(series: dict, run_dir: Path, paired: list | None, name: str) -> list[tuple]:
    """One run folder's ``series`` (column -> {step: value}) as a table's runs; ``paired``: the
    ``add_scalars`` subfolders read into it."""
    if "train/epoch" in series and ("train/loss" in series or "eval/loss" in series):
        return _trainer_run(series, run_dir, name)
    notes = []
    if "epoch" not in series:
        series = _by_order(series, notes)
        series = _by_validation(series, notes) if not notes else series
    steps = sorted({s for points in series.values() for s in points})
    n = len(steps)
    step_vals = np.asarray(steps, dtype=np.float64)
    if "epoch" in series:  # PyTorch Lightning logs the epoch beside global steps
        cols = [Col("step", step_vals, np.ones(n, dtype=bool))]
    else:
        cols = [Col("epoch", step_vals, np.ones(n, dtype=bool))]
        if not notes:  # (points put in order by _by_order or _by_validation are no steps)
            notes.append("TensorBoard steps read as epochs")
    if paired:
        notes.append(f"add_scalars subfolders read as one run: {', '.join(dict.fromkeys(paired))}")
    for key, points in series.items():
        cols.append(Col(key, np.array([points.get(s, np.nan) for s in steps]),
                        np.array([s in points for s in steps], dtype=bool)))
    return runs_from_columns(cols, label=name, source=str(run_dir), notes=notes, what="tag")


#: the Trainer's training tags that make a point (the mean of the loss and grad_norm since the
#: evaluation before, the last learning rate); its other train/ tags are its summary or bookkeeping
_TRAINER_TRAINING = ("train/loss", "train/grad_norm", "train/learning_rate", "train/epoch")


def _trainer_run(series: dict, run_dir: Path, name: str) -> list[tuple]:
    """A Hugging Face ``Trainer``'s scalars (``train/loss``, ``eval/loss``, ``train/epoch``...) as its
    ``trainer_state.json`` is read: the rows it logged at each step rebuilt (``train/x`` -> ``x``,
    ``eval/x`` -> ``eval_x``, the epoch from ``train/epoch``), one point per evaluation."""
    steps = sorted({s for points in series.values() for s in points})
    epoch = series["train/epoch"]
    rows = []
    for s in steps:
        train = {tag[len("train/"):]: p[s] for tag, p in series.items() if tag.startswith("train/") and s in p}
        evals = {"eval_" + tag[len("eval/"):]: p[s] for tag, p in series.items() if tag.startswith("eval/") and s in p}
        train.pop("epoch", None)
        for row in (train, evals):
            if row:
                rows.append({"step": s, "epoch": epoch.get(s), **row})
    left = [t for t in series if t.startswith("train/") and t not in _TRAINER_TRAINING]
    notes = ["read as a Hugging Face Trainer's scalars, as its trainer_state.json, epochs from train/epoch"]
    if left:
        notes.append(f"left out the train/ scalars other than loss, grad_norm and learning_rate (the Trainer's "
                     f"summary, counters), as in a trainer_state.json: {', '.join(left)}")
    runs = from_log_history(rows, name, str(run_dir), what="a Hugging Face Trainer's TensorBoard run",
                            fix="set logging_steps and eval_strategy in TrainingArguments")
    for _, c in runs:
        c.notes[:0] = notes
    return runs


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
    if low.startswith(("batch_", "batch/", "batch.")) or "vs_iterations" in low:  # per-batch scalars (Keras', a
        # loop's add_scalar("batch/loss", loss, global_step)): not epochs
        return None
    key = "epoch" if low == "epoch" else re.sub(r"^epoch[_/]", "", tag)
    r = role(key, False)
    if split in ("val", "test") and r[0] == "metric" and not r[1].startswith(("val_", "test_")):
        key = keras_key(split, key)
    target = series.setdefault(key, {})
    for step, value in points:
        target[int(step)] = float(value)
    return key


# -- TensorBoard's CSV download ------------------------------------------------------------------
_HEADER = ["wall time", "step", "value"]
_NAME = re.compile(r"^run[-_](?P<run>.*)[-_]tag[-_](?P<tag>.+)$", re.I)
_FIX = "it reads TensorBoard's CSV download (Wall time,Step,Value), one row per logged point"


def is_tensorboard_csv(text: str) -> bool:
    """The text's first line is TensorBoard's CSV header, ``Wall time,Step,Value``."""
    first = text.lstrip("\ufeff \t\r\n").split("\n", 1)[0]
    return [c.strip().strip('"').lower() for c in first.split(",")] == _HEADER


def tag_of(name: str) -> tuple[str, str | None, str]:
    """``(run, split, tag)`` of a file TensorBoard named ``run-<run>-tag-<tag>.csv``: the run without
    its split word (``""`` when the split was all of it), the split (``train``, ``val``, ``test``,
    None) and the tag; a file named otherwise: ``("", None, its stem)``."""
    stem = Path(name).name
    stem = stem[:-4] if stem.lower().endswith(".csv") else stem
    m = _NAME.match(stem)
    if not m:
        return "", None, stem
    run, tag = m.group("run"), m.group("tag")
    words = re.split(r"([/\\_.-])", run)
    split = _TB_SPLIT_DIRS.get(words[-1].lower()) if words else None
    if split is None:
        return run, None, tag
    return "".join(words[:-2]) if len(words) > 1 else "", split, tag


def csv_points(text: str, label: str) -> list[tuple[int, float]]:
    """The ``(step, value)`` rows of a TensorBoard CSV download (``label`` names it in errors)."""
    out = []
    for i, line in enumerate(text.lstrip("\ufeff").splitlines()[1:], start=2):
        if not line.strip():
            continue
        cells = [c.strip().strip('"') for c in line.split(",")]
        try:
            if len(cells) != 3:
                raise ValueError
            step = float(cells[1])
            if step != int(step):
                raise ValueError
            out.append((int(step), float(cells[2])))
        except (ValueError, OverflowError):
            raise ReadError(f"{label}: line {i}: expected three numbers (Wall time, Step, Value), found "
                            f"{line.strip()[:60]!r}; {_FIX}") from None
    if not out:
        raise ReadError(f"{label}: TensorBoard's CSV header and no row; {_FIX}")
    return out


def read_tensorboard_csvs(files: list[tuple[Path, str]], *, folder: Path | None, label: str) -> list[Curves]:
    """The runs of TensorBoard CSV downloads ``files`` (``(path, text)``): one run per TensorBoard run
    (its split files together), named by ``label`` and the run."""
    runs: dict[str, dict] = {}
    read: dict[str, list[str]] = {}
    for path, text in files:
        run, split, tag = tag_of(path.name)
        key = _tb_add(runs.setdefault(run, {}), tag, split, csv_points(text, path.name))
        if key is not None:
            read.setdefault(run, []).append(f"{path.name} as {key}")
    out = []
    for run, series in runs.items():
        name = f"{label}/{run}" if run else label
        found = _runs_of(series, folder or Path(label), None, name)
        for _, c in found:
            c.notes.insert(0, f"TensorBoard CSV download{'s' if len(read.get(run, [])) > 1 else ''}: "
                              f"{', '.join(read.get(run, [])) or 'none'}")
        out += name_runs(found, name)
    return out
