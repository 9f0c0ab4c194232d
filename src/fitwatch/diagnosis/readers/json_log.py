"""JSON logs: JSON lines of one object per epoch, a saved Keras history, the shared-curves format.

The file shapes: JSON lines, one object per epoch (``{"epoch": 0, "loss": 0.9, "val_loss": 1.0}``,
one level of nesting flattened: ``{"train": {"loss": ..}}`` -> ``train_loss``); a history kept per
split (``{"train": {"l2": [..]}, "valid": {"l2": [..]}}``, one run); one run per line as in the
shared-curves format (``{"id": .., "loss": [..], "val_loss": [..]}``, ``null`` a NaN
value; a line whose losses are single values is an epoch, its lists left out with a note: DETR's
``log.txt``, ``"test_coco_eval_bbox": [..]`` beside ``"train_loss"``, ``"test_loss"``); a JSON
Keras history (``{"loss": [..], "val_loss": [..]}``, or ``{"history": {..}, "params": {..}}``,
or as pandas' ``to_json()`` writes it: ``{"loss": {"0": .., "1": ..}}``), a JSON object of such
runs (``{"run a": {"loss": [..]}, ...}``), a JSON list of per-epoch objects, of runs, or of losses.
A last line cut in the middle (the writer was killed) is dropped.
A Keras history saved as Python text (``str(history.history)``: single quotes, ``nan``,
``np.float64(0.5)``) is read as its dict, never evaluated as code (:func:`ast.literal_eval`).

Example:
    >>> text = '{"epoch": 0, "loss": 0.9, "val_loss": 1.0}\\n{"epoch": 1, "loss": 0.7, "val_loss": NaN}\\n'
    >>> [(key, c)] = parse_json(text, "log.jsonl", "log.jsonl")
    >>> c.epochs.tolist(), c.loss.tolist(), c.val_loss.tolist()
    ([0, 1], [0.9, 0.7], [1.0, nan])
"""

from __future__ import annotations

import ast
import json
import re
import sys

import numpy as np

from fitwatch.diagnosis.curves import Curves
from fitwatch.diagnosis.readers.columns import (
    MAX_LOG_LINES,
    ReadError,
    check_lines,
    is_accuracy,
    is_numbers,
    not_a_log,
    one_line,
    role,
)
from fitwatch.diagnosis.readers.runs import MAX_FILE_RUNS, from_lists, from_mapping, name_runs, rows_table


def json_int(digits: str) -> int | float:
    """A JSON integer: past 300 digits a float (``inf`` past a float's range), never Python's ``int()``
    of over 4,300 digits (a ValueError) nor an int no float holds (an OverflowError further on)."""
    return int(digits) if len(digits) <= 300 else float(digits)


def loads(text: str, label: str, where: str = ""):
    """``json.loads`` of a log (integers by :func:`json_int`); nesting deeper than Python's parser
    goes raises :class:`ReadError`, syntax errors ``json.JSONDecodeError`` as ``json.loads`` does."""
    try:
        return json.loads(text, parse_int=json_int)
    except RecursionError:
        raise ReadError(f"{label}: {where}JSON nested too deeply (over {sys.getrecursionlimit():,} levels of [ or {{); "
                        f"a training log nests two or three: this is not one") from None


def parse_json(text: str, label: str, source: str) -> list[tuple]:
    """The runs of a JSON (or JSON lines) log's ``text``: ``[(key, Curves)]``."""
    try:
        doc = loads(text, label)
    except json.JSONDecodeError as whole:
        doc = _python_dict(text)
        if doc is None:
            try:
                return _parse_json_lines(text, label, source)
            except ReadError:
                _cut_short(text, whole, label)
                raise
    if isinstance(doc, dict) and (inner := _rows_inside(doc)) is not None:
        doc = inner  # {"history": [{"epoch": 1, "train_loss": ..}, ...], "config": ...}: the rows
    if isinstance(doc, dict):
        if isinstance(doc.get("history"), dict):  # {"history": {...}, "params": {...}}
            doc = doc["history"]
        doc = _from_pandas(doc)
        if any(isinstance(v, list) for v in doc.values()):
            return _run_from_json(doc, label, source, 1)
        if _by_split(doc):  # {"train": {"l2": [...]}, "valid": {"l2": [...]}}: one run, its splits apart
            return _run_from_json({f"{split}_{k}": v for split, d in doc.items() for k, v in d.items()},
                                  label, source, 1)
        if doc and all(isinstance(v, dict) for v in doc.values()):  # {"run a": {"loss": [...]}, ...}
            _check_runs(len(doc), label)
            out = []
            for k, v in doc.items():
                for c in name_runs(_run_from_json(v, f"{label}[{k!r}]", source, 1), None, str(k)):
                    c.name = c.name or str(k)
                    out.append((str(k), c))
            return out
        return rows_table([doc], [1], label, source)
    if isinstance(doc, list) and doc and all(isinstance(r, dict) for r in doc):
        if _holds_run(doc[0]):
            _check_runs(len(doc), label)
            return [(i + 1, c) for i, r in enumerate(doc) for _, c in _run_from_json(r, label, source, 1)]
        _check_values(len(doc), label, "objects")
        doc, notes = _without_lists(doc)
        return rows_table(doc, None, label, source, notes)
    if isinstance(doc, list) and doc and is_numbers(doc):
        _check_values(len(doc), label, "values")
        return [(None, from_lists([doc], label, source, null_is_value=True))]
    raise ReadError(f"{label}: JSON {type(doc).__name__} is not a training log; expected one object per epoch "
                    f"({{\"epoch\": 0, \"loss\": ..., \"val_loss\": ...}} per line) or {{\"loss\": [...], "
                    f"\"val_loss\": [...]}}")


def _rows_inside(doc: dict) -> list | None:
    """The one list of per-epoch objects a document keeps under a key (``{"history": [{"epoch": 1,
    "train_loss": ..., "val_loss": ...}, ...]}``, beside settings or a best epoch), or None: a
    document with no such list, or several, is read as it is."""
    if any(isinstance(v, dict) and any(isinstance(x, list) for x in v.values()) for v in doc.values()):
        return None  # a history dict of lists beside it ({"history": {...}, "callbacks": [{...}]}): that one
    lists = [v for v in doc.values() if isinstance(v, list) and len(v) >= 2 and all(isinstance(r, dict) for r in v)]
    if len(lists) != 1 or any(isinstance(v, list) and is_numbers(v) for v in doc.values()):
        return None
    first = lists[0][0]  # rows of a training log: a loss among their keys, a number beside it
    return lists[0] if any(_is_loss(k) for k in first) and any(isinstance(x, (int, float)) for x in first.values()) \
        else None


def _from_pandas(doc: dict) -> dict:
    """A history saved by pandas' ``DataFrame.to_json()`` (``{"val_loss": {"0": 2.39, "1": 2.38}}``,
    a column per key, its rows by index) as a Keras history of lists in the index's order; any
    other dict as it is."""
    if not doc or not all(isinstance(v, dict) and v and all(str(k).isdigit() for k in v) for v in doc.values()):
        return doc
    index = sorted({int(k) for v in doc.values() for k in v})
    return {name: [col.get(str(i)) for i in index] for name, col in doc.items()}


_SPLITS = {"train", "training", "val", "valid", "validation", "eval", "dev", "test"}


def _by_split(doc: dict) -> bool:
    """A history kept per split: every key a split's name (``train``, ``valid``...), two or more
    of them, each holding a dict of lists."""
    return (len(doc) >= 2 and all(str(k).lower() in _SPLITS for k in doc)
            and all(isinstance(v, dict) and any(isinstance(x, list) for x in v.values()) for v in doc.values()))


def _check_runs(n: int, label: str, where: str = "") -> None:
    if n > MAX_FILE_RUNS:
        raise ReadError(f"{label}: {where}{n:,} runs, more than the {MAX_FILE_RUNS:,} fitwatch reads from one file; "
                        f"cut it into files")


def _check_values(n: int, label: str, what: str, where: str = "") -> None:
    if n > MAX_LOG_LINES:
        raise ReadError(f"{label}: {where}a list of {n:,} {what}, more than the {MAX_LOG_LINES:,} epochs fitwatch "
                        f"reads from a run; keep one per epoch (or per evaluation)")


_NUMPY_SCALAR = re.compile(r"\b(?:np\.|numpy\.)?(?:float|int)(?:16|32|64)?\(([^()]*)\)")  # its inside, stripped
_BARE = re.compile(r"(?<![\w'\"])(-?)(nan|inf)(?![\w'\"])")


def _python_dict(text: str) -> dict | None:
    """A dict written as Python text (``print(history.history)`` saved to a file), or None. Only
    literals are read (:func:`ast.literal_eval`: nothing is executed); numpy scalars
    (``np.float64(0.5)``) become numbers, ``nan`` None (read as NaN) and ``inf`` a float."""
    s = text.strip()
    if not (s.startswith("{") and s.endswith("}")) or "'" not in s or len(s) > 64_000_000:
        return None
    s = _NUMPY_SCALAR.sub(lambda m: m.group(1).strip(), s)
    s = _BARE.sub(lambda m: "None" if m.group(2) == "nan" else f"{m.group(1)}1e999", s)
    try:
        doc = ast.literal_eval(s)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


def embedded_history(text: str, label: str, source: str) -> list[tuple] | None:
    """A history dict written into a log line (``logger.info(history.history)``: ``2018-09-16 ...
    INFO ...:{'val_loss': [...], 'loss': [...]}``): the last line that holds one, read as a Keras
    history with a note; None when no line does."""
    for i in range(len(lines := text.splitlines()) - 1, -1, -1):
        ln = lines[i]
        a, b = ln.find("{"), ln.rfind("}")
        if a < 0 or b <= a or "loss" not in ln[a:b]:
            continue
        frag = ln[a:b + 1]
        try:
            doc = json.loads(frag, parse_int=json_int)
        except (ValueError, RecursionError):
            doc = _python_dict(frag)
        if isinstance(doc, dict) and any(isinstance(v, list) for v in doc.values()):
            runs = _run_from_json(doc, label, source, i + 1)
            for _, c in runs:
                c.notes.append(f"read from the history dict on line {i + 1} (the rest of the file is other output)")
            return runs
    return None


def _cut_short(text: str, e: json.JSONDecodeError, label: str) -> None:
    """One JSON document (a history dict, a ``trainer_state.json``) that breaks off before its end:
    a :class:`ReadError` that says where and that the file looks cut short, rather than the JSON
    lines reader's advice. Nothing when the text is not one document that ends early."""
    s = text.strip()
    first = s.splitlines()[0].strip() if s else ""
    if not s.startswith(("{", "[")) or (first.endswith("}") and len(s.splitlines()) > 1):
        return  # not one document, or JSON lines whose later line is broken
    if s.count("{") + s.count("[") <= s.count("}") + s.count("]"):
        return  # its brackets close: damaged inside, not cut short
    trainer = "log_history" in s[:4096] or label.endswith("trainer_state.json")
    how = ("Trainer writes it whole at each checkpoint: take trainer_state.json from another checkpoint-*/ "
           "folder" if trainer else "e.g. json.dump(history.history, f)")
    raise ReadError(f"{label}: line {e.lineno} column {e.colno}: the JSON ends before it is complete ({e.msg}): "
                    f"the file looks cut short; write it again whole ({how}), "
                    f"or copy it again from where it was saved") from None


def _parse_json_lines(text: str, label: str, source: str) -> list[tuple]:
    check_lines(text, label)
    objs, linenos, notes = [], [], []
    lines = text.splitlines()
    last = max((i for i, ln in enumerate(lines) if ln.strip()), default=-1)
    for i, ln in enumerate(lines):
        s = ln.strip()
        if not s or s.startswith(("#", "//")):
            continue
        try:
            obj = loads(s, label, f"line {i + 1}: ")
        except json.JSONDecodeError as e:
            if i == last and objs:  # the writer was killed in the middle of its last line
                notes.append(f"{label}: line {i + 1}, the last, was cut short (not whole JSON): left out")
                continue
            if not objs and not s.startswith("{"):  # console output that starts with "[": XGBoost's "[0]\tvalidation_0-..."
                raise ReadError(not_a_log(label, i + 1, s)) from None
            raise ReadError(f"{label}: line {i + 1}: not JSON ({e.msg}: {one_line(s, 50)!r}); write one JSON "
                            f"object per line") from None
        if not isinstance(obj, dict):
            raise ReadError(f"{label}: line {i + 1}: a JSON {type(obj).__name__}, not an object; write one object "
                            f"per line, e.g. {{\"epoch\": 0, \"loss\": 0.9, \"val_loss\": 1.0}}")
        objs.append(obj)
        linenos.append(i + 1)
    if not objs:
        raise ReadError(f"{label}: no JSON objects; expected one per line")
    runs_per_line = [_holds_run(o) for o in objs]
    if all(runs_per_line):  # the shared-curves format: one run per line
        _check_runs(len(objs), label)
        out = _runs_of_lines(objs, linenos, label, source)
        for c in out:
            c.notes += notes
        return [(i + 1, c) for i, c in enumerate(out)] if len(out) > 1 else [(None, out[0])]
    if any(runs_per_line):
        i = runs_per_line.index(not runs_per_line[0])
        raise ReadError(f"{label}: line {linenos[i]}: mixes runs (lists of values) with epochs (single values); "
                        f"write one kind per file")
    objs, more = _without_lists(objs)
    more += _epoch_of_validation_lines(objs)
    objs, linenos, merged = _merge_same_step(objs, linenos)
    return rows_table(objs, linenos, label, source, notes + more + merged)


_COUNTERS = ("epoch", "step", "global_step", "iter", "iteration")


def _merge_same_step(objs: list[dict], linenos: list[int]) -> tuple[list[dict], list[int], list[str]]:
    """Consecutive lines of one step or epoch with no key in common but it (a training line, then a
    validation line: ``{"step": 100, "train_loss": 2.3}`` ``{"step": 100, "val_loss": 2.4}``) as one
    row, with a note; each was read as a point of its own, training and validation never at one
    epoch."""
    out, lines, n = [], [], 0
    for o, ln in zip(objs, linenos):
        if out:
            prev = out[-1]
            key = next((k for k in _COUNTERS if k in o and k in prev), None)
            if key is not None and o[key] == prev[key] and not (set(o) & set(prev)) - {key}:
                prev.update(o)
                n += 1
                continue
        out.append(dict(o))
        lines.append(ln)
    if not n:
        return objs, linenos, []
    return out, lines, [f"{n} lines merged with the line before them, of the same step or epoch (a training line, "
                        f"then a validation line)"]


def _epoch_of_validation_lines(objs: list[dict]) -> list[str]:
    """MMEngine's ``scalars.json`` (OpenMMLab 3.x, epoch-based): training lines carry ``epoch``, ``iter``
    and a global ``step``; the validation line after each epoch carries only ``step``, the epoch's
    number, and metrics no training line has (``coco/bbox_mAP``, ``accuracy/top1``). Those lines get
    their ``epoch`` and ``val_`` names, in place; they were dropped as rows without an epoch."""
    with_epoch = [o for o in objs if "epoch" in o]
    rest = [o for o in objs if "epoch" not in o]
    if not with_epoch or not rest or not all("step" in o for o in rest):
        return []
    epochs = {o["epoch"] for o in with_epoch}
    trained = {k for o in with_epoch for k in o}
    steps = [o["step"] for o in rest]
    own = {k for o in rest for k in o} - trained - {"step"}
    if not own or not all(isinstance(v, int) and v in epochs for v in steps) or steps != sorted(set(steps)):
        return []
    for o in rest:
        step = o.pop("step")
        for k in list(o):
            o[k if k.startswith("val") else f"val_{k}"] = o.pop(k)
        o["epoch"] = step
    return [f"{len(rest)} lines without an epoch read as the validation of the epoch their step names "
            f"(MMEngine's scalars.json): {', '.join(sorted(own)[:4])}{' ...' if len(own) > 4 else ''}"]


def _holds_run(obj: dict) -> bool:
    """Whether an object is a run (lists of values: ``{"loss": [..], "val_loss": [..]}``) rather
    than an epoch's row that also holds a list (DETR's ``log.txt``: ``"train_loss": 0.9`` beside
    ``"test_coco_eval_bbox": [0.31, 0.52, ...]``): it holds a list, and its losses, if any, are lists."""
    lists = [k for k, v in obj.items() if isinstance(v, list)]
    if not lists:
        return False
    losses = [k for k, v in obj.items() if _is_loss(str(k))]
    return not losses or any(isinstance(obj[k], list) for k in losses)


def _is_loss(name: str) -> bool:
    r = role(name, False)
    return r[0] == "metric" and r[1].endswith("loss")


def _without_lists(objs: list[dict]) -> tuple[list[dict], list[str]]:
    """Rows of one epoch each without their list values (a list per epoch is no point of a curve),
    and a note naming the keys left out."""
    listed = list(dict.fromkeys(k for o in objs for k, v in o.items() if isinstance(v, list)))
    if not listed:
        return objs, []
    rows = [{k: v for k, v in o.items() if not isinstance(v, list)} for o in objs]
    return rows, [f"left out keys that hold a list of values in each row, not one: {', '.join(map(str, listed))}"]


_NAMES = ("id", "name", "run", "x")  # the keys of a run's line that say something of it


def _runs_of_lines(objs: list, linenos: list, label: str, source: str) -> list[Curves]:
    """The runs of JSON lines of one run each (the shared-curves format). Once a line of some keys
    reads as plain curves (:func:`_plain`: every list a series of its own name, one value per epoch
    from 0, no note but the x axis's), later lines of the same keys (and x) whose lists are numbers of
    one length are built directly, as the full reading would build them (:func:`_direct`)."""
    plans: dict[tuple, list | None] = {}
    out = []
    for o, ln in zip(objs, linenos):
        plan = (tuple((k, isinstance(v, list)) for k, v in o.items()), o.get("x") if isinstance(o.get("x"), str) else None)
        notes = plans.get(plan)
        if notes is not None and (c := _direct(o, source, notes)) is not None:
            out.append(c)
            continue
        runs = _run_from_json(o, label, source, ln)
        if plan not in plans:
            plans[plan] = _plain(o, runs)
        out += [c for _, c in runs]
    return out


def _x_notes(obj: dict) -> list[str]:
    """The note a run's ``x`` key gives (its numbers read as epochs), or none."""
    x = obj.get("x")
    return [f"x axis is {x!r}: its numbers read as epochs"] if isinstance(x, str) and x.lower() not in ("epoch", "epochs") else []


def _plain(obj: dict, runs: list[tuple]) -> list | None:
    """The notes of a line whose run reads as its lists alone (one run, every list a series of its
    own name, epochs 0..n-1, no gap, no note but the x axis's), else None. Its other keys are read
    as :func:`_run_from_json` reads them: a name, the x axis, and nothing else (``hp``)."""
    lists = {k: v for k, v in obj.items() if isinstance(v, list)}
    if len(runs) != 1 or any(k in _NAMES for k in lists):
        return None
    c = runs[0][1]
    n = len(c.epochs)
    plain = (c.notes == _x_notes(obj) and not c.missing and sorted(c.series) == sorted(lists)
             and all(len(v) == n for v in lists.values()) and np.array_equal(c.epochs, np.arange(n))
             and not any("%" in k for k in lists))
    return list(c.notes) if plain else None


def _direct(obj: dict, source: str, notes: list) -> Curves | None:
    """A line of a plain plan's keys as its run, or None when it does not fit the plan (lists of
    another length, a value that is no number, an accuracy above 1.5 that the full reading would
    divide by 100): the full reading then takes it."""
    series = {}
    n = None
    for k, v in obj.items():
        if not isinstance(v, list):  # a name, the x axis, hyperparameters: no curve
            continue
        if n is None:
            n = len(v)
        if len(v) != n or not 0 < n <= MAX_LOG_LINES:
            return None
        try:
            a = np.asarray(v, dtype=np.float64)  # null -> NaN, as the full reading reads it here
        except (TypeError, ValueError, OverflowError):
            return None
        if a.ndim != 1 or is_accuracy(k) and bool((a > 1.5).any()):
            return None
        series[k] = a
    c = Curves(epochs=np.arange(n), series=series, source=source, notes=list(notes))
    name = obj.get("id", obj.get("name", obj.get("run")))
    if name is not None:
        c.name = str(name)
    return c


def _run_from_json(obj: dict, label: str, source: str, lineno: int) -> list[tuple]:
    """A run written as one object of lists (a Keras history, or a shared-curves line); its ``id``
    (or ``name``) names it."""
    name = obj.get("id", obj.get("name", obj.get("run")))
    _check_values(max((len(v) for v in obj.values() if isinstance(v, list)), default=0), label, "values",
                  f"line {lineno}: " if lineno > 1 else "")
    notes = _x_notes(obj)
    try:  # null in a JSON list is NaN written as strict JSON (the shared-curves format says so)
        runs = from_mapping({k: v for k, v in obj.items() if isinstance(v, list)}, label=label, source=source,
                            null_is_value=True)
    except ReadError as e:
        msg = str(e)
        raise ReadError(msg.replace(f"{label}:", f"{label}: line {lineno}:", 1) if lineno > 1 else msg) from None
    for key, c in runs:
        c.notes += notes
        if name is not None:
            c.name = str(name) if key is None else f"{name}#{key}"
    return runs
