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
  ``metrics.csv`` (step and epoch rows: one row per epoch), JSON lines (one object per epoch, its
  list values left out as DETR's ``log.txt`` holds them, or one run per line as in the
  shared-curves format ``{"id": .., "loss": [..], "val_loss": [..]}``), a JSON Keras history, a
  Hugging Face ``trainer_state.json`` and LLaMA-Factory's ``trainer_log.jsonl`` (one point per
  evaluation, training loss the mean of the rows logged since the one before), what Keras printed
  (``Epoch 1/10`` or ``# Epoch 1/10`` ... ``- loss: 0.41 - val_loss: 0.52``), a line per epoch of
  a hand-written loop (``Epoch 3/10 | Train Loss: 0.41``, ``epoch 3 | lr 0.005 | train_loss 0.41``,
  a tqdm bar's last drawing), what the PyTorch
  examples' scripts print (``Train Epoch: 1 [640/60000 (1%)]  Loss: 0.72`` per logged batch,
  ``Test set: Average loss: 0.16, Accuracy: 9600/10000 (96%)`` per epoch), what a scikit-learn MLP
  printed with ``verbose=True`` (``Iteration 3, loss = 1.98``, ``Validation score: 0.61``); any of them
  gzip-compressed;
* OpenMMLab's text logs (``Epoch(train) [1][50/1563]  loss: ..``, ``Epoch(val) [1][313/313]  accuracy: ..``;
  MMCV's ``Epoch [1][50/7330]``; iteration-based ``Iter(train)``/``Iter(val)``:
  :mod:`~fitwatch.diagnosis.readers.openmmlab_text`);
* OpenMMLab's JSON logs: MMCV's ``*.log.json`` (``mode`` train/val lines, ``iter`` counting each
  epoch's iterations, a header line with ``seed``) and MMEngine's ``scalars.json`` (a validation
  line per epoch numbered by ``step``) as one run;
* CatBoost's ``catboost_info`` folder (``catboost_training.json``, or ``learn_error.tsv`` and
  ``test_error.tsv``), or one of its files: one run (``boosting_results``);
* an MLflow run's ``metrics`` folder (``mlruns/<experiment>/<run>/metrics/<name>``, lines of
  ``<timestamp> <value> <step>``), or one of its files;
* TensorBoard's CSV download (``Wall time,Step,Value``, the scalar and run in the file's name,
  ``run-validation-tag-epoch_loss.csv``): one curve, or with a folder's other downloads one run;
* a folder: every readable log inside, TensorBoard event files and MLflow runs too (needs ``tensorboard``; a
  Hugging Face ``Trainer``'s run read as its ``trainer_state.json``); one warning names the files
  left out, grouped by why (a log that did not read, a ``.txt`` or ``.log`` that is no log, a file
  without a suffix or a rotated copy such as ``train.log.1``: not read in a folder, read when named
  alone).

Column names are mapped to Keras-style keys by :func:`fitwatch.curves.canonical_name`
(``Train Loss`` -> ``loss``, ``valid_loss`` -> ``val_loss``, ``val_acc`` -> ``val_accuracy``;
Portuguese and Spanish names too: ``treino_loss`` -> ``loss``, ``validação_perda`` -> ``val_loss``,
an ``epoca``/``época`` column is the epoch).
What the reader had to guess (percent accuracy divided by 100, rows dropped, columns ignored) is
listed in ``Curves.notes``. The rules:

* no value vs a NaN value (``Curves.missing``, see ``docs/diagnosis.md``): an empty cell (or
  ``NA``, ``null``, ``-``) in a CSV is missing, the text ``nan``/``inf`` a value; in JSON lines
  (one object per epoch) an absent key or ``null`` is missing, ``NaN``/``Infinity`` a value; in
  a JSON object of lists (the shared-curves format, a saved history) ``null`` is a NaN value, as
  that format defines it; TensorBoard: a step without the tag is missing; in Python lists and
  dicts ``None`` is missing, ``float("nan")`` a value; in a DataFrame a NaN followed by a value is
  missing, NaN to the end a value (see :func:`~fitwatch.diagnosis.readers.python_objects.nan_gaps`); a run in the store knows which epochs
  hold a row;
* a validation list shorter than the training one (a Keras ``History`` of ``fit(validation_freq=3)``)
  is placed at the epochs Keras validated (2, 5, 8...) when its length fits, else padded at the end
  as missing, with a note (:func:`fitwatch.curves.spread_validation`); an empty list
  (``"val_loss": []``) is no curve, left out with a note;
* epochs are the source's epoch column (or epoch index) as written; without one, 0, 1, 2...; an
  epoch column with one value in every row while every row holds a validation value
  (``fit(epochs=1)`` in a loop, an appending CSVLogger) says nothing: the rows are the
  evaluations in order (a ``step``/``iteration`` column their x axis), a new run where the loss
  starts over;
* several runs in one file (the epoch counter starts again, a header line repeats) are named
  ``<file>#1``, ``<file>#2``...; a ``run`` column names them ``<file>#<value>`` (so do ``seed``,
  ``model``, ``fold`` and ``trial`` columns, each combination of theirs a run);
* several rows per epoch (Lightning's step and epoch rows, a ``phase`` column of train/val rows)
  become one: the last value of each column in the epoch; Lightning's ``*_epoch`` columns win
  over ``*_step`` ones (a ``*_step`` column alone: the mean of the epoch's values; so is a training
  column with several values in an epoch of a table with a ``step`` column: logged per step); a
  last epoch of Lightning's with validation or test values only, logged by ``trainer.validate()``
  or ``trainer.test()`` after ``fit``, is left out with a note;
* a last line cut short (the file ends without a line break, in a line of fewer fields than the
  header, a number stopping at its point or inside its exponent, a last value far shorter than the
  rest of its column that a float32 does not hold; in JSON lines, a last line that is not whole
  JSON) is left out, with a note naming the file and the line; a last ``nan``, ``inf`` or ``-`` is
  a whole value, kept;
* JSON lines of one step or epoch with no other key in common (a training line, then a validation
  line) are one row, with a note;
* an accuracy column with values above 1.5 (or a ``%`` sign) is in percent: divided by 100;
* text columns (a phase, ``"[0.1, 0.2]"``, a comment) and empty columns are left out; numeric
  ones (a learning rate, a batch size) are kept as series;
* TensorBoard: ``epoch_loss`` in ``train/`` and ``validation/`` (Keras) -> ``loss``/``val_loss``,
  ``Loss/train``, ``Loss/val`` (``SummaryWriter.add_scalar``) too, and ``add_scalars("loss",
  {"train": .., "val": ..})``'s subfolders ``loss_train/``, ``loss_val/``: one run with the
  parent's own tags (a note says so; keys that name no split, ``{"adam": .., "sgd": ..}``, stay
  runs of their own); steps are epochs unless an ``epoch`` scalar (Lightning) says otherwise; a
  Hugging Face ``Trainer``'s scalars (``train/loss``, ``eval/loss``, ``train/epoch``) make one
  point per evaluation, its summary scalars (``train/train_runtime``, ``train/total_flos``) left out;
* a Trainer's log (``trainer_state.json``, its TensorBoard scalars) with one or two evaluations
  beside training rows over 3 or more epochs is its training curve by epoch, each evaluation at
  its epoch; a JSON history kept per split (``{"train": {"l2": [..]}, "valid": {"l2": [..]}}``) is
  one run; ``losses`` and ``*_loss_history`` lists are the loss, ``l1``/``l2``/``huber`` losses
  judged when no ``loss`` is logged.

A source that cannot be read raises :class:`ReadError`, one line that names the file, what was
found and the fix; a text file with no sign of a log (words, a command's output) is "not a training
log fitwatch can read", with the formats it reads. A file raises nothing else, whatever its bytes, and is read in bounded time
and memory (``docs/reliability.md``, "Readers"): refused past :data:`MAX_LOG_BYTES` (128 MiB; a
``.gz`` once uncompressed, read by chunks so that a gzip bomb stops there), :data:`MAX_LOG_LINES`
lines of a table, :data:`MAX_COLUMNS` columns, :data:`MAX_RUNS` runs in one table,
:data:`MAX_FILE_RUNS` in a file of runs, JSON nested deeper than Python's parser goes, a CSV field
over 131,072 characters; any other exception from a reader becomes a :class:`ReadError` naming the
file and the exception (its ``unforeseen``: the exception's type).

One module per format, none importing another: ``csv_log`` (CSV logs, Lightning's ``metrics.csv``),
``json_log`` (JSON lines, JSON histories, the shared-curves format), ``hf_trainer_state``
(Hugging Face ``trainer_state.json``, LLaMA-Factory's ``trainer_log.jsonl``), ``keras_console``
(what Keras printed), ``pytorch_example`` (the PyTorch examples' ``Train Epoch: ... Loss:`` /
``Test set: Average loss:`` printout), ``mlflow_metrics`` (an MLflow run's ``metrics/`` files), ``sklearn_verbose`` (an MLP's ``verbose=True`` printout),
``openmmlab_text`` (an OpenMMLab runner's ``*.log``), ``text_tables`` (tables in a text report),
``boosting_results`` (XGBoost's and LightGBM's results, CatBoost's ``catboost_info``),
``tensorboard_events`` (event files, TensorBoard's CSV download), ``store_runs`` (runs of a fitwatch
store) and ``python_objects`` (a ``History``, dicts, DataFrames, lists); ``columns`` (cells and
column names), ``runs`` (columns into runs), ``resumed`` (where the epoch counter starts again) and
``log_history`` (the rows a Hugging Face ``Trainer`` logs, into points) and ``decode`` (a file's bytes as
text) are what they share. This
module picks the reader.

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

import functools
import json
import os
import re
from pathlib import Path

import numpy as np

from fitwatch.diagnosis.curves import Curves
from fitwatch.diagnosis.readers.boosting_results import (
    CATBOOST_DIRS, CATBOOST_FILES, is_catboost_dir, is_catboost_training, is_results, parse_catboost_training,
    read_catboost_dir, read_results, results_doc,
)
from fitwatch.diagnosis.readers.columns import (
    MAX_COLUMNS,
    MAX_LOG_LINES,
    ReadError,
    check_lines,
    is_tensor,
    one_line,
    warn,
)
from fitwatch.diagnosis.readers.csv_log import parse_csv
from fitwatch.diagnosis.readers.decode import MAX_LOG_BYTES, read_text
from fitwatch.diagnosis.readers.hf_trainer_state import (
    is_trainer_state,
    parse_trainer_log,
    parse_trainer_state,
    trainer_log_rows,
)
from fitwatch.diagnosis.readers.json_log import embedded_history, json_int, parse_json
from fitwatch.diagnosis.readers.keras_console import is_keras_console, parse_keras_console
from fitwatch.diagnosis.readers.mlflow_metrics import is_mlflow_file, is_mlflow_metrics, read_mlflow_metrics
from fitwatch.diagnosis.readers.python_objects import (
    from_dataframe,
    from_dict,
    from_history,
    from_sequence,
    is_dataframe,
)
from fitwatch.diagnosis.readers.openmmlab_text import is_openmmlab_text, parse_openmmlab_text
from fitwatch.diagnosis.readers.pytorch_example import is_pytorch_example, parse_pytorch_example
from fitwatch.diagnosis.readers.resumed import MAX_RUNS
from fitwatch.diagnosis.readers.runs import MAX_FILE_RUNS, name_runs
from fitwatch.diagnosis.readers.sklearn_estimator import from_estimator, is_estimator
from fitwatch.diagnosis.readers.sklearn_verbose import is_sklearn_verbose, parse_sklearn_verbose
from fitwatch.diagnosis.readers.store_runs import DB_NAME, from_rundata, from_run_object, from_store, is_run, read_store_file
from fitwatch.diagnosis.readers.tensorboard_events import (is_event_file, is_tensorboard_csv, read_tensorboard,
                                                           read_tensorboard_csvs)
from fitwatch.diagnosis.readers.text_tables import parse_text_tables
from fitwatch.store.rundata import RunData

__all__ = ["MAX_COLUMNS", "MAX_FILE_RUNS", "MAX_LOG_BYTES", "MAX_LOG_LINES", "MAX_RUNS", "ReadError", "read_curves",
           "read_path"]



# -- entry point --------------------------------------------------------------------------------
def read_curves(source, *, dir=None) -> list[Curves]:
    """Every run in ``source``, as :class:`Curves` (one per run).

    Args:
        source: a :class:`Curves`; a :class:`~fitwatch.rundata.RunData`; a Keras ``History`` or a
            ``{name: values}`` mapping; a pandas DataFrame; a list of losses, ``(train, val)``
            lists, or a list of per-epoch dicts; the path (``str`` or ``PathLike``) of a log file
            or folder; a run name (or id) in the store at ``dir``; a :class:`fitwatch.Run`, finished or still
            training (its ended epochs); or a list of such sources.
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
        return [from_rundata(source)]
    if isinstance(source, os.PathLike):
        return read_path(source)
    if isinstance(source, str):
        if not source.strip():
            raise ReadError("an empty string is not a source; pass a log file, a folder or a run name")
        name = source.strip().rstrip("/\\")
        if os.path.isdir(source) and "/" not in name and "\\" not in source.strip():
            # a bare name that is also a folder (Lightning's checkpoints, a Trainer's output_dir are named
            # after the run): the run of that name in the store, when there is one
            try:
                curves = from_store(name, dir)
            except ReadError as missing:
                try:
                    return read_path(source)
                except ReadError as e:  # neither: say both, and where the store was looked for
                    why = missing.args[0].split("no such file or folder, and ", 1)[-1]
                    raise ReadError(f"{e.args[0]}; and as a run's name: {why}") from None
            curves.notes.append(f"the run {source!r} of the store was read; a folder of that name is here too "
                                f"(pass ./{name} to read the logs in it)")
            return [curves]
        if os.path.exists(source):
            return read_path(source)
        return [from_store(source, dir)]
    if isinstance(source, (bytes, bytearray)):
        raise ReadError("bytes are not a source; pass the path of the log file (or its text decoded)")
    if isinstance(source, (int, np.integer)) and not isinstance(source, bool):
        return [from_store(int(source), dir)]
    if is_estimator(source):  # a fitted scikit-learn estimator (MLPClassifier's loss_curve_...)
        return from_estimator(source)
    if is_run(source):  # a fitwatch.Run, still training or not (an eighth trial's was read as a Keras History)
        return [from_run_object(source)]
    history = getattr(source, "history", None)
    if isinstance(history, dict) and not is_dataframe(source):  # a Keras History
        return from_history(history, epochs=getattr(source, "epoch", None))
    if is_dataframe(source):
        return from_dataframe(source)
    read = functools.partial(read_curves, dir=dir)  # for the sources inside a dict or a list
    if is_results(source):  # XGBoost's evals_result(), LightGBM's evals_result_
        return [read_results(source, "dict", "dict")]
    if isinstance(source, dict):
        return from_dict(source, read)
    if isinstance(source, (list, tuple, np.ndarray)) or is_tensor(source):
        return from_sequence(source, read)
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
    if is_event_file(p):
        return _guarded(read_tensorboard, p, [p], base=p.parent, label=p.name)
    if p.suffix in (".db", ".sqlite", ".sqlite3") or p.name == DB_NAME:
        return _guarded(read_store_file, p, p)
    return _guarded(_read_file, p, p, p.name)


def _guarded(read, path: Path, *args, **kwargs) -> list[Curves]:
    """``read(*args, **kwargs)``, the reading of one file, raising nothing but a one-line
    :class:`ReadError` that names it: a reader's own message (put on one line, the file's name
    added where it lacks it), or, for any other exception (a reader's bug, bytes no reader
    foresaw), the exception's type and message."""
    try:
        return read(*args, **kwargs)
    except ReadError as e:
        msg = str(e)
        if "\n" in msg or path.name not in msg:
            msg = " ".join(msg.split())
            raise ReadError(msg if path.name in msg else f"{path.name}: {msg}") from None
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - the last resort: never a traceback for a file's bytes
        err = ReadError(f"{path.name}: cannot read this file ({type(e).__name__}: {one_line(e, 120)}); if it is a "
                        f"training log (CSV, JSON, a Keras printout, TensorBoard events), report it to fitwatch "
                        f"with the file")
        err.unforeseen = type(e).__name__
        raise err from None


# -- files --------------------------------------------------------------------------------------
_LOG_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json")
_MAYBE_SUFFIXES = (".txt", ".log", ".out", ".dat", ".md")  # read when they parse, skipped quietly otherwise
_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", ".git", ".venv", "venv"}


def _log_suffix(p: Path) -> str:
    name = p.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return os.path.splitext(name)[1]


def _read_file(path: Path, base: str) -> list[Curves]:
    """The runs of one log file; ``base`` names them (``base``, or ``base#1``, ``base#2``...)."""
    label = path.name
    if path.name in CATBOOST_FILES and is_catboost_dir(os.listdir(path.parent)):  # one file of CatBoost's folder:
        return name_runs(read_catboost_dir(path.parent), base)  # the run of them all (test_error is validation)
    text = read_text(path)
    first = _NOT_SPACE.search(text)
    if first is None:
        raise ReadError(f"{label}: empty file; expected a CSV with a header line (epoch,loss,val_loss) "
                        f"or JSON lines ({{\"loss\": ..., \"val_loss\": ...}} per epoch)")
    if first.group() in "{[":
        try:
            runs = _parse_any_json(text, label, str(path))
        except ReadError:
            if first.group() != "[" or not is_keras_console(text):  # "[ep 01/40] loss=0.9 ...": a printout
                raise
            runs = parse_keras_console(text, label, str(path))
    elif is_mlflow_file(text):  # one metric file of an MLflow run, named alone
        runs = read_mlflow_metrics(path, label)
    elif is_pytorch_example(text):
        runs = parse_pytorch_example(text, label, str(path))
    elif is_sklearn_verbose(text):
        runs = parse_sklearn_verbose(text, label, str(path))
    elif is_openmmlab_text(text):
        runs = parse_openmmlab_text(text, label, str(path))
    elif is_keras_console(text):
        runs = parse_keras_console(text, label, str(path))
    elif is_tensorboard_csv(text):  # TensorBoard's CSV download: one scalar, named by the file
        return read_tensorboard_csvs([(path, text)], folder=None, label=base)
    else:
        check_lines(text, label)
        try:
            runs = parse_csv(text, label, str(path))
        except ReadError:
            runs = embedded_history(text, label, str(path))
            if runs is None:
                runs = parse_text_tables(text, label, str(path))
            if runs is None:
                raise
    return name_runs(runs, base)


_NOT_SPACE = re.compile(r"\S")


def _mlflow_run(metrics: Path, name: str) -> list[Curves]:
    """An MLflow run's ``metrics`` folder as one run named ``name`` (its run folder)."""
    return name_runs(read_mlflow_metrics(metrics, name), name)


def _parse_any_json(text: str, label: str, source: str) -> list[tuple]:
    """A Hugging Face ``trainer_state.json``, LLaMA-Factory's ``trainer_log.jsonl``, else any
    other JSON log."""
    if '"log_history"' in text:
        try:
            doc = json.loads(text, parse_int=json_int)
        except (ValueError, RecursionError):
            doc = None
        if is_trainer_state(doc):
            return parse_trainer_state(doc, label, source)
    if '"current_steps"' in text:
        found = trainer_log_rows(text, label)
        if found is not None:
            return parse_trainer_log(*found, label, source)
    if is_catboost_training(text):
        return [(None, parse_catboost_training(text, label, source))]
    results = results_doc(text)  # XGBoost's or LightGBM's evaluation results, saved as JSON
    if results is not None:
        return [(None, read_results(results, label, source))]
    return parse_json(text, label, source)


def _read_folder(folder: Path) -> list[Curves]:
    """Every log in ``folder`` and below; what was left out is said, files grouped by why (a log that
    did not read, a ``.txt`` or ``.log`` that is no log, a file without a suffix or a log's rotated
    or backup copy such as ``train.log.1``: not read in a folder, read when named alone)."""
    out, left, event_files = [], [], []  # left: (file, why)
    if is_mlflow_metrics(folder):  # an MLflow run's metrics folder, named alone
        return _guarded(_mlflow_run, folder, folder, folder.parent.name or folder.name)
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS
                         and not d.endswith(".pending"))  # a store's journal: read through the store
        if "metrics" in dirs and is_mlflow_metrics(Path(root, "metrics")):  # mlruns/<exp>/<run>/metrics/<name>
            dirs[:] = [d for d in dirs if d not in ("metrics", "params", "tags", "artifacts")]  # not curves
            run = Path(root).relative_to(folder).as_posix()
            try:
                out += _guarded(_mlflow_run, Path(root, "metrics"), Path(root, "metrics"), run if run != "." else folder.name)
            except ReadError as e:
                left.append((f"{run}/metrics", one_line(str(e))))
        if is_catboost_dir(files):  # CatBoost's train_dir: one run (its TSVs and TensorBoard copies repeat it)
            dirs[:], files = [d for d in dirs if d not in CATBOOST_DIRS], [f for f in files if f not in CATBOOST_FILES]
            rel = Path(root).relative_to(folder).as_posix()
            try:
                out += _guarded(lambda d, n: name_runs(read_catboost_dir(d), n), Path(root), Path(root),
                                rel if rel != "." else folder.name)
            except ReadError as e:
                left.append((rel, one_line(str(e))))
        tb_csvs = []  # TensorBoard's CSV downloads here: one run's scalars, read together
        for f in sorted(files):
            p = Path(root, f)
            rel = p.relative_to(folder).as_posix()
            if is_event_file(p):
                event_files.append(p)
                continue
            if _log_suffix(p) == ".csv" and _tb_csv_head(p):
                tb_csvs.append(p)
                continue
            try:
                if f == DB_NAME:
                    out += _guarded(read_store_file, p, p)
                elif _log_suffix(p) in _LOG_SUFFIXES or _log_suffix(p) in _MAYBE_SUFFIXES:
                    out += _guarded(_read_file, p, p, rel)
                elif not f.startswith(".") and (not _log_suffix(p) or _ROTATED.search(f)):
                    left.append((rel, "not read in a folder: no log suffix (a rotated or backup copy?); "
                                      "name the file alone to read it"))
            except ReadError as e:
                left.append((rel, one_line(str(e)).removeprefix(p.name + ": ").split("; it reads ")[0]))
        if tb_csvs:
            rel = Path(root).relative_to(folder).as_posix()
            try:
                out += _guarded(lambda ps, n: read_tensorboard_csvs([(q, read_text(q)) for q in ps], folder=Path(root),
                                                                    label=n), tb_csvs[0], tb_csvs,
                                rel if rel != "." else folder.name)
            except ReadError as e:
                left.append((f"{rel}/ TensorBoard CSV downloads", one_line(str(e))))
    if event_files:
        try:
            out += _guarded(read_tensorboard, folder, event_files, base=folder, label=folder.name or str(folder))
        except ReadError as e:
            if not out and not left:  # only event files here: their own message
                raise
            left.append(("TensorBoard event files", one_line(str(e))))
    skipped = _grouped(left)
    if not out:
        why = f"; skipped {'; '.join(skipped[:3])}{' ...' if len(skipped) > 3 else ''}" if skipped else ""
        raise ReadError(f"{folder}: no readable training log in this folder (looked for *.csv, *.tsv, *.jsonl, "
                        f"*.json, metrics.csv, TensorBoard event files, {DB_NAME}){why}")
    if skipped:
        warn(f"fitwatch: in {folder}, skipped {'; '.join(skipped)}")
    return out


def _tb_csv_head(p: Path) -> bool:
    """The file starts with TensorBoard's CSV header (``Wall time,Step,Value``)."""
    try:
        with open(p, "rb") as f:
            head = f.read(64).decode("utf-8", "replace")
    except OSError:
        return False
    return is_tensorboard_csv(head + "\n")


#: a log's rotated or backup copy: train.log.1, metrics.csv.bak, history.json.old
_ROTATED = re.compile(r"\.(csv|tsv|json|jsonl|txt|log)\.(\d+|bak|old|orig|prev)$", re.I)


def _grouped(left: list[tuple[str, str]], files: int = 3, groups: int = 5) -> list[str]:
    """What a folder left out, one entry per reason (its text without the quoted line and numbers that
    differ from file to file): ``a.txt, b.txt, c.txt and 497 more (not a training log ...)``; at most
    ``groups`` reasons, then how many files more. A folder of 500 label files is one short entry, and a
    log among them with another reason is named, not hidden in their count."""
    by: dict[str, list[tuple[str, str]]] = {}
    for rel, why in left:
        by.setdefault(re.sub(r"'[^']*'|\d+", "", why), []).append((rel, why))
    out = []
    for items in list(by.values())[:groups]:
        names = ", ".join(rel for rel, _ in items[:files])
        more = f" and {len(items) - files} more" if len(items) > files else ""
        out.append(f"{names}{more} ({items[0][1]})")
    rest = sum(len(v) for v in list(by.values())[groups:])
    return out + ([f"{rest} more files for other reasons"] if rest else [])
