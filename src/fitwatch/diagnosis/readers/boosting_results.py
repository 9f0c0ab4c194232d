"""Gradient boosting's evaluation results: XGBoost's ``evals_result`` and LightGBM's ``evals_result_``.

Both libraries keep one dict of metric lists per evaluation set, one value per boosting round:
XGBoost's ``xgboost.train(..., evals_result=d)`` and ``XGBClassifier.evals_result()``
(``{"validation_0": {"logloss": [..]}, "validation_1": {..}}``, or the names given to ``evals=``:
``{"train": {..}, "eval": {..}}``), LightGBM's ``record_evaluation(d)`` and ``LGBMModel.evals_result_``
(``{"training": {"binary_logloss": [..]}, "valid_1": {..}}``). A round is an epoch (0, 1, 2...).
CatBoost's own log, the ``catboost_info`` folder its ``fit`` writes (``train_dir``), is read the
same way (:func:`read_catboost_dir`): ``catboost_training.json`` (its ``meta`` names the sets, the
metrics and the iterations planned; ``iterations`` holds each one's values), else
``learn_error.tsv`` and ``test_error.tsv`` (``iter`` and a column per metric); the first training
metric, CatBoost's objective, is the loss. Its ``learn/``/``test/`` TensorBoard copies and
``time_left.tsv`` repeat it and are not read; a run that ended before ``iteration_count`` was ended
by CatBoost's overfitting detector (``early_stopping_rounds``), watching its first test metric.
No boosting library is imported here: the rules below are also how ``fitwatch.xgboost`` and
``fitwatch.lightgbm`` name what they record, so that a recorded run and its library's own results
read the same.

Which set is which (:func:`round_names`):

* training: the set named ``train``, ``training``, ``dtrain``, ``train_set`` or ``learn`` (any case;
  LightGBM names the training data ``training`` when it is among ``valid_sets``); else, when there
  are two sets or more, the first one (``validation_0`` of ``eval_set=[(X, y), (X_val, y_val)]``);
* validation: the first set after it (a lone set not named as training is the validation set:
  ``eval_set=[(X_val, y_val)]``, LightGBM's ``valid_0``);
* any other set: its values are kept under the set's name, its ``_`` written ``-``
  (``validation-2_loss``, ``validation-2_auc``).

Which metric is the loss: the first of the validation set's metrics (the training set's without
one) that is a loss, in the order the library lists them: :data:`LOSSES` holds the objectives'
default metrics of both libraries (``logloss``, ``mlogloss``, ``rmse``, ``binary_logloss``,
``multi_logloss``, ``l2``...) and the other losses; without one, the first classification error
(:data:`ERRORS`: ``error``, ``merror``, ``binary_error``, ``multi_error``). It is stored as ``loss``
(training) and ``val_loss`` (validation); every other metric is kept under its own name (``auc``,
``val_auc``, ``val_ndcg@5``). With no loss nor error among the metrics (``eval_metric="auc"`` alone),
there is no ``loss``: ``diagnose(..., monitor="val_auc")`` judges one of the others.

Example:
    >>> results = {"validation_0": {"logloss": [0.6, 0.5, 0.45], "auc": [0.8, 0.85, 0.9]},
    ...            "validation_1": {"logloss": [0.62, 0.55, 0.56], "auc": [0.78, 0.8, 0.79]}}
    >>> c = read_results(results, "dict", "dict")
    >>> c.epochs.tolist(), c.series["val_loss"].tolist(), sorted(c.series)
    ([0, 1, 2], [0.62, 0.55, 0.56], ['auc', 'loss', 'val_auc', 'val_loss'])
    >>> c.notes[0]
    "boosting rounds read as epochs: set 'validation_0' is training, 'validation_1' validation; metric 'logloss' is the loss"
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fitwatch.diagnosis.curves import Curves
from fitwatch.diagnosis.readers.columns import MAX_LOG_LINES, ReadError, is_numbers
from fitwatch.diagnosis.readers.decode import read_text

#: metrics that are losses (lower is better), by their name before any ``@``: XGBoost's, then LightGBM's
LOSSES = frozenset({
    "logloss", "mlogloss", "rmse", "rmsle", "mae", "mape", "mphe", "poisson-nloglik", "gamma-nloglik",
    "cox-nloglik", "gamma-deviance", "tweedie-nloglik", "aft-nloglik", "quantile", "expectile",
    "binary_logloss", "multi_logloss", "l1", "l2", "huber", "fair", "poisson", "gamma", "gamma_deviance",
    "tweedie", "cross_entropy", "cross_entropy_lambda", "kullback_leibler", "multi_logloss_ova",
    "crossentropy", "multiclass", "multiclassonevsall", "rmsewithuncertainty", "logcosh", "lq",  # CatBoost's
    "loglinquantile", "multirmse", "survivalaft", "focal",
})
#: classification errors (lower is better): the loss when no metric of :data:`LOSSES` is logged
ERRORS = frozenset({"error", "merror", "binary_error", "multi_error", "zerooneloss"})
#: names of the training set, in any case
TRAIN_SETS = frozenset({"train", "training", "dtrain", "train_set", "learn"})
#: names that say a dict of metric dicts is a set of evaluation results (``valid_1``, ``validation_0``, ``eval``)
_SET_NAME = re.compile(r"^(?:d?train(?:ing)?|learn|d?val(?:id(?:ation)?)?|eval(?:uation)?|d?test|dev|holdout)"
                       r"(?:[_-]?\d+)?$", re.IGNORECASE)
#: names the JSON reader already reads as a history kept per split (``{"train": .., "valid": ..}``)
_SPLIT_WORDS = frozenset({"train", "training", "val", "valid", "validation", "eval", "dev", "test"})
#: the start of a JSON dict of dicts of lists: ``{"validation_0": {"logloss": [``
_JSON_SHAPE = re.compile(r'\s*\{\s*"[^"\\]{1,200}"\s*:\s*\{\s*"[^"\\]{1,200}"\s*:\s*\[')


@dataclass
class RoundNames:
    """Which evaluation set is training, which validation, which metric the loss, and the key of
    every (set, metric) pair (see the module's docstring).

    Attributes:
        train: the training set's name, or None.
        val: the validation set's name, or None.
        others: the other sets' names.
        loss: the metric stored as ``loss``/``val_loss``, or None.
        keys: ``{(set, metric): key}``.
    """

    train: str | None
    val: str | None
    others: list
    loss: str | None
    keys: dict = field(default_factory=dict)

    def logs(self, results: dict) -> dict:
        """One round's values, ``{set: {metric: value}}``, under their keys (sets and metrics that
        were not there at the first round are left out)."""
        return {self.keys[(s, m)]: float(v) for s, d in results.items() for m, v in d.items() if (s, m) in self.keys}

    def note(self) -> str:
        """What was decided, in one line (a diagnosis's note, a run's info)."""
        sets = [f"set {self.train!r} is training"] if self.train is not None else []
        if self.val is not None:
            sets.append(f"{self.val!r} validation" if sets else f"set {self.val!r} is validation")
        if self.others:
            sets.append(f"{', '.join(map(repr, self.others))} kept under their names")
        loss = (f"metric {self.loss!r} is the loss" if self.loss is not None else
                "no metric is a loss (no logloss, rmse, l2...): pass monitor= with the one to judge")
        return f"boosting rounds read as epochs: {', '.join(sets)}; {loss}"

    def to_dict(self) -> dict:
        """What a run stores in its info (JSON-able)."""
        return {"training_set": self.train, "validation_set": self.val, "other_sets": list(self.others),
                "loss_metric": self.loss, "keys": {f"{s}-{m}": k for (s, m), k in self.keys.items()}}


def round_names(metrics: dict, loss: str | None = None, where: str = "fitwatch") -> RoundNames:
    """Name the evaluation results of a booster: ``metrics`` is ``{set: [metric, ...]}`` in the
    library's order; ``loss`` the metric to store as the loss (default: the rule of the module's
    docstring).

    Raises:
        ValueError: ``loss`` is not one of the metrics (the message lists them).

    Example:
        >>> n = round_names({"training": ["l2", "l1"], "valid_1": ["l2", "l1"]})
        >>> n.train, n.val, n.loss, n.keys[("valid_1", "l1")]
        ('training', 'valid_1', 'l2', 'val_l1')
        >>> round_names({"valid_0": ["auc", "binary_error"]}).keys
        {('valid_0', 'auc'): 'val_auc', ('valid_0', 'binary_error'): 'val_loss'}
    """
    sets = list(metrics)
    train = next((s for s in sets if str(s).lower() in TRAIN_SETS), sets[0] if len(sets) >= 2 else None)
    rest = [s for s in sets if s != train]
    val = rest[0] if rest else None
    judged = list(metrics[val if val is not None else train])
    if loss is None:
        base = [re.split(r"[@:]", str(m))[0].lower() for m in judged]  # ndcg@5, CatBoost's Quantile:alpha=0.9
        loss = next((m for m, b in zip(judged, base) if b in LOSSES), None)
        loss = loss if loss is not None else next((m for m, b in zip(judged, base) if b in ERRORS), None)
    elif loss not in judged:
        raise ValueError(f"{where}: metric={loss!r} is not among the evaluation metrics "
                         f"({', '.join(map(repr, judged))}); pass one of those, or None for the first loss")
    names = RoundNames(train, val, rest[1:], loss)
    for s in sets:
        prefix = "" if s == train else "val_" if s == val else f"{str(s).replace('_', '-')}_"
        for m in metrics[s]:
            names.keys[(s, m)] = f"{prefix}{'loss' if m == loss else m}"
    return names


def is_results(obj) -> bool:
    """Whether ``obj`` is a booster's evaluation results: a dict of sets, each a dict of metric
    lists of numbers, one set at least named as a set is (``train``, ``valid_1``, ``validation_0``,
    ``eval``...), and no Keras-style key inside (``{"run a": {"loss": [..]}}`` is a dict of runs).

    Example:
        >>> is_results({"validation_0": {"logloss": [0.6, 0.5]}}), is_results({"run a": {"loss": [1.0]}})
        (True, False)
    """
    if not isinstance(obj, dict) or not obj or not all(isinstance(k, str) for k in obj):
        return False
    for d in obj.values():
        if not isinstance(d, dict) or not d:
            return False
        for m, v in d.items():
            if not isinstance(m, str) or m == "loss" or m.startswith("val_") or not is_numbers(v) or not len(v):
                return False
    return any(_SET_NAME.match(k) for k in obj)


def results_doc(text: str):
    """A JSON file's evaluation results (``json.dump(model.evals_result(), f)``), or None: the
    histories kept per split that the JSON reader reads (``{"train": {"l2": [..]}, "valid": ..}``,
    every key a plain split name) are left to it."""
    if not _JSON_SHAPE.match(text):
        return None
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not is_results(doc) or all(k.lower() in _SPLIT_WORDS for k in doc):
        return None
    return doc


#: what gives a results dict's library away: the names the library gives its sets and metrics (a user's
#: own set names, ``train``/``eval``, say nothing)
_LIBRARY_SETS = (("xgboost", re.compile(r"validation_\d+$")), ("lightgbm", re.compile(r"(valid_\d+|training)$")),
                 ("catboost", re.compile(r"learn$")))
_LIBRARY_METRICS = {"xgboost": {"logloss", "mlogloss", "error", "merror"},
                    "lightgbm": {"binary_logloss", "multi_logloss", "binary_error", "multi_error", "l1", "l2"}}


def library_of(results: dict) -> str | None:
    """The library whose evaluation results ``results`` are, when its own names say so and nothing
    says otherwise: ``xgboost`` (sets ``validation_0``..., metrics ``logloss``, ``merror``...),
    ``lightgbm`` (``training``, ``valid_0``; ``binary_logloss``, ``l2``...), ``catboost`` (set
    ``learn``, capitalised metrics: ``Logloss``, ``RMSE``); else None. The remedies then name that
    library's parameters only.

    Example:
        >>> library_of({"validation_0": {"logloss": [0.6]}, "validation_1": {"logloss": [0.7]}})
        'xgboost'
        >>> library_of({"train": {"rmse": [1.0]}, "eval": {"rmse": [1.2]}}) is None
        True
    """
    votes = {lib for lib, pattern in _LIBRARY_SETS for s in results if pattern.match(str(s))}
    metrics = {str(m) for d in results.values() for m in d}
    votes |= {lib for lib, names in _LIBRARY_METRICS.items() if metrics & names}
    if any(m[:1].isupper() for m in metrics):
        votes.add("catboost")
    return votes.pop() if len(votes) == 1 else None


def read_results(results: dict, label: str, source: str, loss: str | None = None, epochs=None) -> Curves:
    """The curves of a booster's evaluation results (:func:`is_results`), rounds as epochs; a note
    says which set was judged as validation and which metric as the loss. Its context holds
    ``model='boosting'``, the loss metric and, when the names give it away (:func:`library_of`), the
    library as ``framework``.

    Raises:
        ReadError: more rounds than a run may hold.
    """
    names = round_names({s: list(d) for s, d in results.items()}, loss)
    n = max(len(v) for d in results.values() for v in d.values())
    if n > MAX_LOG_LINES:
        raise ReadError(f"{label}: {n:,} rounds, more than the {MAX_LOG_LINES:,} epochs fitwatch reads from a run")
    series, missing, notes = {}, {}, [names.note()]
    for s, d in results.items():
        for m, v in d.items():
            a = np.full(n, np.nan)
            vals = [np.nan if x is None else float(x) for x in v]
            a[:len(vals)] = vals
            key = names.keys[(s, m)]
            series[key] = a
            gaps = np.array([x is None for x in v] + [True] * (n - len(vals)))
            if gaps.any():
                missing[key] = gaps
    short = sorted(k for k, g in missing.items() if g[-1])
    if short:
        notes.append(f"shorter than {n} rounds, missing at the end: {', '.join(short)}")
    lib = library_of(results)
    if lib == "lightgbm" and epochs is None:  # its best_iteration counts from 1 (a sixth trial read round 20 as 20)
        notes.append("rounds numbered from 0: add 1 for LightGBM's best_iteration and num_iteration")
    return Curves(np.arange(n) if epochs is None else np.asarray(epochs), series, source=source, notes=notes, missing=missing,
                  context={"model": "boosting", "loss_metric": names.loss,  # trees: a booster's remedies
                           **({"framework": lib} if lib else {})})


# -- CatBoost's catboost_info ------------------------------------------------------------------------
#: the files of CatBoost's ``train_dir``, read as one run, and its folders of TensorBoard copies
CATBOOST_FILES = frozenset({"catboost_training.json", "learn_error.tsv", "test_error.tsv", "time_left.tsv"})
CATBOOST_DIRS = frozenset({"learn", "test", "tmp"})


def is_catboost_dir(files) -> bool:
    """Whether a folder holding ``files`` (names) is CatBoost's ``train_dir``."""
    names = set(files)
    return "catboost_training.json" in names or {"learn_error.tsv", "time_left.tsv"} <= names \
        or {"learn_error.tsv", "test_error.tsv"} <= names


def is_catboost_training(text: str) -> bool:
    """Whether a JSON file's text is CatBoost's ``catboost_training.json`` (its ``meta`` comes first)."""
    head = text[:4096]
    return '"meta"' in head and '"learn_metrics"' in head and '"iterations"' in text


def read_catboost_dir(folder: Path) -> list[tuple]:
    """The run of a ``catboost_info`` folder: ``[(None, Curves)]`` (see the module's docstring).

    Raises:
        ReadError: a file too big, or one whose numbers cannot be read (the file and the line).
    """
    json_file = folder / "catboost_training.json"
    if json_file.is_file():
        return [(None, parse_catboost_training(read_text(json_file), json_file.name, str(json_file)))]
    results, iters = {}, None
    for kind in ("learn", "test"):
        f = folder / f"{kind}_error.tsv"
        if f.is_file():
            its, results[kind] = _tsv(read_text(f), f.name)
            iters = its if iters is None or len(its) > len(iters) else iters
    if not results:
        raise ReadError(f"{folder.name}: CatBoost's folder without learn_error.tsv or catboost_training.json")
    c = read_results(results, folder.name, str(folder), loss=next(iter(results.get("learn") or {}), None),
                     epochs=iters)
    c.notes.append("CatBoost's learn_error.tsv/test_error.tsv (catboost_training.json, not there, also "
                   "says which iterations were planned)")
    return [(None, c)]


def parse_catboost_training(text: str, label: str, source: str) -> Curves:
    """The curves of CatBoost's ``catboost_training.json``, iterations as epochs, and the stop its
    overfitting detector made when it ended the run before ``iteration_count``."""
    try:
        doc = json.loads(text)
        meta, rows = doc["meta"], doc["iterations"]
        metrics = {kind: [m["name"] for m in meta[f"{kind}_metrics"]] for kind in ("learn", "test")}
        sets = {kind: list(meta.get(f"{kind}_sets") or []) for kind in ("learn", "test")}
        results = {s: {m: [] for m in metrics[kind]} for kind in ("learn", "test") for s in sets[kind]}
        iters = []
        for row in rows:
            iters.append(int(row["iteration"]))
            for kind in ("learn", "test"):
                vals, k = row.get(kind) or [], len(metrics[kind])
                for i, s in enumerate(sets[kind]):
                    for j, m in enumerate(metrics[kind]):
                        v = vals[i * k + j] if i * k + j < len(vals) else None
                        results[s][m].append(None if v is None else float(v))
    except (ValueError, KeyError, TypeError, IndexError, RecursionError) as e:
        raise ReadError(f"{label}: a CatBoost catboost_training.json that does not read ({type(e).__name__}: "
                        f"{str(e)[:80]}); diagnose its folder, whose learn_error.tsv and test_error.tsv hold the same") from None
    results = {s: d for s, d in results.items() if d}
    if not iters or not results:
        raise ReadError(f"{label}: a CatBoost catboost_training.json with no iterations")
    learn = sets["learn"][0] if sets["learn"] else None
    objective = metrics["learn"][0] if learn is not None and metrics["learn"] else None
    loss = objective if objective in metrics["test"] or not sets["test"] else None
    c = read_results(results, label, source, loss=loss, epochs=iters)
    planned = meta.get("iteration_count")
    if sets["test"] and metrics["test"] and isinstance(planned, int) and iters[-1] + 1 < planned:
        first = metrics["test"][0]  # the overfitting detector watches the eval metric: the first test metric
        key = round_names({s: list(d) for s, d in results.items()}, loss).keys.get((sets["test"][0], first))
        y = c.series.get(key)
        if y is not None and np.isfinite(y).any():
            mode = "max" if meta["test_metrics"][0].get("best_value") == "Max" else "min"
            best = int(np.nanargmax(y) if mode == "max" else np.nanargmin(y))
            c.stop = {"monitor": key, "mode": mode, "criterion": "CatBoost's overfitting detector",
                      "stopped": True, "stopped_epoch": iters[-1], "best_epoch": iters[best],
                      "best_value": float(y[best]), "restored": None, "last_epoch": iters[-1],
                      "epochs_planned": planned,
                      "reason": f"{first} on {sets['test'][0]!r} stopped improving at iteration {iters[best]} "
                                f"(of iteration_count={planned})"}
    return c


def _tsv(text: str, label: str) -> tuple[list[int], dict]:
    """``iter`` and a column per metric, tab-separated: the iterations and ``{metric: values}``."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines or not lines[0].startswith("iter\t"):
        raise ReadError(f"{label}: not CatBoost's error log (its first line is 'iter' and the metrics, tab-separated)")
    names = lines[0].split("\t")[1:]
    if len(lines) - 1 > MAX_LOG_LINES:
        raise ReadError(f"{label}: {len(lines) - 1:,} iterations, more than the {MAX_LOG_LINES:,} epochs fitwatch reads")
    iters, cols = [], {m: [] for m in names}
    for i, ln in enumerate(lines[1:], 2):
        cells = ln.split("\t")
        try:
            iters.append(int(cells[0]))
            for m, v in zip(names, cells[1:] + [None] * len(names)):
                cols[m].append(None if v in (None, "") else float(v))
        except ValueError:
            raise ReadError(f"{label}, line {i}: not a number ({ln[:60]!r}); CatBoost writes 'iter' and numbers") from None
    return iters, cols
