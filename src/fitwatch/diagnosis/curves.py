"""Learning curves from any source, in one shape: what the diagnosis reads.

Every reader (a run in the store, a Keras ``History``, a CSV or JSON-lines log, a pandas
DataFrame, plain lists) produces :class:`Curves`: epoch numbers and Keras-style named series
(``loss``, ``val_loss``, ``accuracy``, ``val_accuracy``, ...), all numpy arrays of one length.

A series holds NaN in two cases that mean different things: the source has *no value* at that
epoch (validation ran only every few epochs, a metric logged late), or the value *was* NaN (a
diverged run). ``Curves.missing`` tells them apart: ``{key: mask}``, True where the source holds no
value; a key without a mask has a value at every epoch. The diagnosis and the plot use only the
present points, and call only NaN or infinite *values* a divergence.

Example:
    >>> c = Curves.from_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    >>> c.epochs.tolist(), c.loss.tolist(), c.val_loss.tolist()
    ([0, 1], [1.0, 0.5], [1.1, 0.7])
    >>> c = Curves.from_history({"loss": [1.0, 0.6, 0.5, 0.4], "val_loss": [None, 0.8, None, float("nan")]})
    >>> c.missing["val_loss"].tolist()                 # None: no value; float("nan"): a NaN value
    [True, False, True, False]
    >>> e, v = c.values("val_loss"); e.tolist(), v.tolist()
    ([1, 3], [0.8, nan])
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from fitwatch.diagnosis.run_context import run_context

#: how validation and training are spelled in the wild, as prefixes or suffixes of a metric name
#: (Portuguese and Spanish ones too, accents dropped: validação -> validacao)
_VAL_WORDS = ("val", "valid", "validation", "validate", "eval", "dev", "test", "va", "vld", "validacao", "validacion")
_TRAIN_WORDS = ("train", "training", "tr", "trn", "treino", "treinamento", "entrenamiento")
#: metric spellings and the canonical name
_METRIC_ALIASES = {
    "acc": "accuracy",
    "accuracy": "accuracy",
    "acuracia": "accuracy",
    "categorical_accuracy": "accuracy",
    "sparse_categorical_accuracy": "accuracy",
    "binary_accuracy": "accuracy",
    "acc1": "accuracy",  # top-1 accuracy (timm, torchvision's reference scripts)
    "top1": "accuracy",
    "top1_acc": "accuracy",
    "acc_top1": "accuracy",
    "top1_accuracy": "accuracy",
    "loss": "loss",
    "losses": "loss",
    "perda": "loss",
    "perdida": "loss",
    "mae": "mae",
    "mean_absolute_error": "mae",
    "mse": "mse",
    "mean_squared_error": "mse",
}


#: Chinese words of training logs, longest first, as the English words the names are matched in
#: (``训练/损失`` -> ``train / loss``, ``验证/总损失`` -> ``val / total_loss``)
_CHINESE = (("总损失", "total_loss"), ("损失", "loss"), ("准确率", "accuracy"), ("准确度", "accuracy"),
            ("精确率", "precision"), ("召回率", "recall"), ("分数", "score"), ("学习率", "lr"), ("训练集", "train"),
            ("训练", "train"), ("验证集", "val"), ("验证", "val"), ("测试集", "test"), ("测试", "test"),
            ("轮次", "epoch"), ("步数", "step"), ("一致性", "consistency"))


def plain_name(raw: str) -> str:
    """A name without its accents (``Validação`` -> ``Validacao``, ``época`` -> ``epoca``), and with
    the Chinese words of training logs in English (``验证/损失`` -> ``val / loss``): the spelling
    :func:`canonical_name` and the readers match names in."""
    if raw.isascii():
        return raw
    for word, english in _CHINESE:
        if word in raw:
            raw = raw.replace(word, f" {english} ")
    raw = " ".join(raw.split()) if raw.isascii() else raw
    return "".join(ch for ch in unicodedata.normalize("NFKD", raw) if not unicodedata.combining(ch))


def canonical_name(raw: str) -> str | None:
    """A column header as a Keras-style key, or None when it is not a metric of a split.

    ``Train Loss`` -> ``loss``; ``Val Loss``, ``valid_loss``, ``validation_loss``, ``validate_loss``,
    ``test_loss`` -> ``val_loss``; ``acc`` -> ``accuracy``; ``losses``, ``train_loss_history`` ->
    ``loss``; ``val_acc`` -> ``val_accuracy``; ``train_loss_epoch`` (PyTorch Lightning) -> ``loss``;
    ``ValLoss`` -> ``val_loss``; ``lr`` -> ``lr``; a head's prefix before the split: ``reg_val_loss`` -> ``val_reg_loss``. Portuguese and Spanish
    names, with or without accents: ``treino``, ``treinamento``, ``entrenamiento`` name training,
    ``validacao``/``validação``, ``validacion``/``validación`` validation; ``perda``, ``pérdida``
    are a loss, ``acuracia``/``acurácia`` an accuracy (``treino_loss`` -> ``loss``,
    ``validação_perda`` -> ``val_loss``, ``pérdida_entrenamiento`` -> ``loss``). Chinese names are read
    in English words (:func:`plain_name`): ``训练/损失`` -> ``loss``, ``验证/准确率`` -> ``val_accuracy``.

    Example:
        >>> canonical_name("validacao_loss"), canonical_name("Pérdida validación"), canonical_name("treino_acuracia")
        ('val_loss', 'val_loss', 'accuracy')
    """
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z][a-z])", "_", plain_name(raw.strip()))  # camelCase: ValLoss -> Val_Loss
    s = re.sub(r"[\s\-/.]+", "_", s.lower()).strip("_")
    if not s:
        return None
    s = re.sub(r"_epoch$", "", s)  # Lightning's epoch aggregate
    s = re.sub(r"_(?:history|hist)$", "", s)  # a history's list: train_loss_history -> train_loss
    parts = s.split("_")
    split = "train"
    if parts[0] in _VAL_WORDS and len(parts) > 1:
        split, parts = "val", parts[1:]
    elif parts[0] in _TRAIN_WORDS and len(parts) > 1:
        parts = parts[1:]
    elif parts[-1] in _VAL_WORDS and len(parts) > 1:
        split, parts = "val", parts[:-1]
    elif parts[-1] in _TRAIN_WORDS and len(parts) > 1:
        parts = parts[:-1]
    elif len(parts) > 2 and any(w in _VAL_WORDS + _TRAIN_WORDS for w in parts[1:-1]):
        # a head's prefix first: reg_val_loss -> val_reg_loss, cls_train_acc -> cls_accuracy
        i = next(i for i, w in enumerate(parts[1:-1], 1) if w in _VAL_WORDS + _TRAIN_WORDS)
        split = "val" if parts[i] in _VAL_WORDS else "train"
        parts = parts[:i] + parts[i + 1:]
    metric = "_".join(parts)
    metric = _METRIC_ALIASES.get(metric, metric)
    return metric if split == "train" else f"val_{metric}"


def _framework_context(info: dict) -> dict:
    """What a run recorded by an integration says of its model and data (its ``info``): the framework
    (``transformers``), a scikit-learn estimator's family (``model``: ``sklearn_mlp`` for an MLP,
    ``linear`` for the SGD estimators, Perceptron and PassiveAggressive), the data (``text``), the
    number of classes of a Trainer's classification head (``classes``), the dropout and weight decay of a
    model ``Run.watch`` saw (``dropout``, ``weight_decay``), and what the Keras callback saw: every regulariser
    (``regularisation_recorded``), a penalty in the loss (``loss_penalty``), input noise (``train_noise``)."""
    out = {}
    framework = info.get("framework")
    if isinstance(framework, str):
        out["framework"] = framework
    est = info.get("estimator")
    if framework == "sklearn" and isinstance(est, str):
        if est.startswith("MLP"):
            out["model"] = "sklearn_mlp"
        elif est.startswith(("SGD", "Perceptron", "PassiveAggressive")):
            out["model"] = "linear"
    if info.get("data") in ("text", "image", "tabular"):
        out["data"] = info["data"]
    if isinstance(info.get("loss_metric"), str):  # a booster's (fitwatch.xgboost, .lightgbm): logloss, rmse...
        out["loss_metric"] = info["loss_metric"]
    classes = info.get("classes")
    if isinstance(classes, int) and not isinstance(classes, bool) and classes >= 2:  # a Trainer's classifier head
        out["classes"] = classes
    probes = info.get("probes")  # Run.watch(model)'s view of one model: its dropout, its optimizer's weight decay
    if isinstance(probes, dict):
        out.update(run_context(_watched_regularisation(probes)))
    # what the Keras callback saw: every regulariser (none means none), a penalty in the loss, input noise
    out.update({k: True for k in ("regularisation_recorded", "loss_penalty", "train_noise") if info.get(k) is True})
    return out


def _watched_regularisation(probes: dict) -> dict:
    """The dropout and weight decay ``Run.watch`` saw in one model, or the largest of each among several
    (``{name: meta}``: a GAN's generator and discriminator): the run already uses it; and
    ``regularisation_watched`` once every model's optimizer was seen (neither then means no dropout module and no
    weight decay; ``F.dropout`` and a penalty added to the loss by hand are not seen). Example:
        >>> _watched_regularisation({"g": {"dropout": 0.3}, "d": {"dropout": 0.5, "weight_decay": 0.05}})
        {'dropout': 0.5, 'weight_decay': 0.05}
    """
    metas = [probes] if "layers" in probes else [m for m in probes.values() if isinstance(m, dict)]
    seen = {k: [m[k] for m in metas if type(m.get(k)) in (int, float)] for k in ("dropout", "weight_decay", "label_smoothing")}
    out: dict = {k: max(v) for k, v in seen.items() if v}
    if metas and all(m.get("regularisation_watched") is True for m in metas):
        out["regularisation_watched"] = True
    return out


def _preflight_context(report) -> dict:
    """What ``fitwatch.preflight`` inferred of the task, as evidence for the curves: ``classes`` (a
    classifier's C) and ``baseline`` (the loss of the best constant prediction on the training targets)."""
    task = report.get("task") if isinstance(report, dict) else None
    if not isinstance(task, dict):
        return {}
    out = {}
    c, level = task.get("classes"), task.get("no_skill")
    if task.get("kind") == "classification" and isinstance(c, int) and not isinstance(c, bool) and c >= 2:
        out["classes"] = c
    if task.get("kind") in ("classification", "binary", "regression") and isinstance(level, (int, float)) \
            and not isinstance(level, bool) and math.isfinite(level) and level > 0:
        out["baseline"] = float(level)
    return out


@dataclass
class Curves:
    """One run's curves.

    Attributes:
        epochs: epoch numbers as in the source (its epoch column; else 0, 1, 2...).
        series: ``{"loss": array, "val_loss": array, ...}``, each aligned with ``epochs``.
        name: the run's name, when the source has one.
        source: where the curves came from (a path, ``run:NAME``, ``History``...).
        notes: what the reader had to guess or drop (shown with the diagnosis).
        stop: the early stopping that watched the run, when known: the run's
            ``info["early_stopping"]`` (``EarlyStopping.to_dict()`` with ``stopped``,
            ``restored``, ``restored_epoch``...); the diagnosis reports it.
        missing: ``{key: mask}``, bool arrays aligned with ``epochs``: True where the source holds
            no value of that series at that epoch (its array holds NaN there). A key without a mask
            has a value at every epoch; a NaN there is a NaN *value* (a divergence signal).
        context: what the run says about itself, from a recorded run's ``config`` or
            :func:`fitwatch.diagnose`'s ``baseline=`` and ``context=`` (keys in
            :data:`CONTEXT_KEYS`): ``baseline`` (the no-skill loss: a regression's target
            variance for MSE, ln C for C classes), ``classes``, ``data`` (``"tabular"``,
            ``"image"``, ``"text"``, ``"audio"``), ``scheduler`` and ``grad_clip`` (what the
            run already does). The diagnosis weighs them as evidence.
    """

    epochs: np.ndarray
    series: dict[str, np.ndarray]
    name: str | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)
    stop: dict | None = None
    missing: dict[str, np.ndarray] = field(default_factory=dict)
    context: dict = field(default_factory=dict)
    inside: object = None  # what Run.watch's probes saw (fitwatch.diagnosis.inside.Inside), else None
    before: dict = field(default_factory=dict)  # fitwatch.preflight's report and lr_find's sweep (their to_dict)
    unit: str = "epoch"  # what one point is: "evaluation" where a reader's points are evaluations in mid-epoch
    lone_cut: bool = False  # the only epoch was cut short by an error or Ctrl-C: it is no best epoch

    def __post_init__(self):
        self.epochs = np.asarray(self.epochs, dtype=np.int64)
        self.series = {k: np.asarray(v, dtype=np.float64) for k, v in self.series.items()}
        for k, v in self.series.items():
            if v.shape != self.epochs.shape:
                raise ValueError(f"curve {k!r} has {v.size} values for {self.epochs.size} epochs")
        missing = {}
        for k, m in (self.missing or {}).items():
            if k not in self.series:
                raise ValueError(f"missing mask for {k!r}, which is not a series (series: {', '.join(self.series)}); "
                                 f"give masks only for keys of series")
            m = np.asarray(m)
            if m.dtype != np.bool_:
                raise ValueError(f"missing mask for {k!r} has dtype {m.dtype}; pass a bool array (True: no value)")
            if m.shape != self.epochs.shape:
                raise ValueError(f"missing mask for {k!r} has {m.size} entries for {self.epochs.size} epochs")
            missing[k] = m
        self.missing = missing

    @classmethod
    def from_history(cls, history, name: str | None = None, source: str = "history") -> "Curves":
        """From a Keras ``History``, its ``.history`` dict, or any ``{name: list}`` mapping.

        ``None`` in a list is a missing value, ``float("nan")`` a NaN value. A validation list
        shorter than the training one is laid out as :func:`spread_validation` says (Keras'
        ``validation_freq``), with a note.
        """
        h = getattr(history, "history", history)
        series, missing = {}, {}
        for key, values in h.items():
            canon = canonical_name(str(key))
            if canon is None or canon in series:
                continue
            values = list(values)
            series[canon] = np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
            missing[canon] = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
        n = max((len(v) for v in series.values()), default=0)
        notes: list[str] = []
        for k in list(series):
            if series[k].size < n:
                series[k], missing[k], note = spread_validation(k, series[k], n, missing[k])
                notes.append(note)
        notes = merge_notes(notes)
        epochs = np.arange(n)
        params = getattr(history, "epoch", None)
        if params is not None and len(params) == n:
            epochs = np.asarray(params)
        return cls(epochs=epochs, series=series, name=name, source=source, notes=notes,
                   missing={k: m for k, m in missing.items() if m.any()})

    @classmethod
    def from_run(cls, data) -> "Curves":
        """From a run read back from the store (:class:`fitwatch.RunData`)."""
        from fitwatch.core.names import keras_key
        from fitwatch.diagnosis.inside import Inside

        series = {keras_key(s, m): v for (s, m), v in data.metrics.items()}
        # an epoch without a row for a metric has no value; a logged NaN is stored and is a value
        missing = {keras_key(s, m): ~p for (s, m), p in (data.present or {}).items()
                   if (s, m) in data.metrics and not p.all()}
        info = data.info or {}
        stop = info.get("early_stopping")
        epochs, notes = data.epochs, []
        by = "" if not data.cut_short else (
            f"{info['partial_reason']} ({info.get('partial_batches', 'part')} of its batches trained)"
            if isinstance(info.get("partial_reason"), str) else "Ctrl-C" if data.status == "stopped" else "an error")
        lone_cut = bool(data.cut_short and len(epochs) == 1)  # judged, as nothing else is there, but no best epoch
        if lone_cut:
            notes.append(f"epoch {int(epochs[0])}, the only one, was cut short by {by}: its values are means of part "
                         f"of its batches, and it is no best epoch")
        if data.cut_short and len(epochs) > 1:  # an error or Ctrl-C: its means are of part of its batches
            notes.append(f"epoch {int(epochs[-1])} was cut short by {by}: left out (its values are means of part of "
                         f"its batches)")
            epochs = epochs[:-1]
            series = {k: v[:-1] for k, v in series.items()}
            missing = {k: m[:-1] for k, m in missing.items() if m[:-1].any()}
        status = _status(data)
        notes += _in_progress(status, data)
        try:
            context = run_context(data.config or {})
        except ValueError as e:  # a run's config is the user's: a bad value is said, not raised
            context = {}
            notes.append(f"the run's config was not used as evidence: {e}")
        context = {**_preflight_context(info.get("preflight")), **_framework_context(info), **context}  # the config's win
        context.pop("in_progress", None)  # the run's status says it (a verdict on the epochs so far), not its config
        context.update({"in_progress": True} if status == "running" else {})
        inside = Inside.from_run(data)
        if "classes" not in context and inside is not None and inside.loss in ("CrossEntropyLoss", "NLLLoss"):
            counts = inside.per_class("labels", "count")  # the watched loss's classes: its input's width
            if counts is not None and counts.size >= 2:  # (an eleventh trial's 10 digits were read as ln 11)
                context["classes"] = int(counts.size)
        return cls(epochs=epochs, series=series, name=data.name, source=f"run:{data.name}",
                   stop=stop if isinstance(stop, dict) else None, missing=missing, notes=notes,
                   context=context, inside=inside,
                   before={k: info[k] for k in ("preflight", "lr_find") if isinstance(info.get(k), dict)},
                   lone_cut=lone_cut)

    def get(self, key: str) -> np.ndarray | None:
        return self.series.get(key)

    def present(self, key: str) -> np.ndarray:
        """Where ``key`` has a value (a NaN value counts): a bool mask aligned with ``epochs``.

        Raises:
            KeyError: no such series.
        """
        if key not in self.series:
            raise KeyError(f"no {key!r} curve (found: {', '.join(self.series) or 'none'}); pick one of those")
        m = self.missing.get(key)
        return np.ones(self.epochs.shape, dtype=bool) if m is None else ~m

    def values(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """``(epochs, values)`` of ``key`` where the source has a value, NaN and inf values kept.

        Raises:
            KeyError: no such series.
        """
        m = self.present(key)
        return self.epochs[m], self.series[key][m]

    def first_nonfinite(self, keys=None) -> tuple[int, str] | None:
        """``(epoch, "NaN" | "inf")`` of the first NaN or infinite *value* among ``keys`` (default:
        every curve), ``"NaN"`` when any of them is NaN at that epoch; None when all are finite. An
        epoch where a curve has no value (:attr:`missing`) does not count.

        Example:
            >>> Curves([0, 1, 2], {"loss": [1.0, float("inf"), 0.5], "val_loss": [1.0, 0.9, float("nan")]}).first_nonfinite()
            (1, 'inf')
        """
        found = []
        for key in self.series if keys is None else keys:
            e, v = self.values(key)
            hit = np.flatnonzero(~np.isfinite(v))
            if hit.size:
                found.append((int(e[hit[0]]), "NaN" if np.isnan(v[hit[0]]) else "inf"))
        return min(found) if found else None  # "NaN" sorts before "inf" at the same epoch

    @property
    def loss(self) -> np.ndarray | None:
        return self.series.get("loss")

    @property
    def val_loss(self) -> np.ndarray | None:
        return self.series.get("val_loss")

    def __len__(self) -> int:
        return int(self.epochs.size)


#: metrics that are a loss under another name, when no curve is named ``loss``: tried after the
#: names that hold "loss" (``mean_loss``, ``G_loss``...); see :func:`loss_candidates`
ERROR_METRICS = ("mse", "mae", "rmse", "msle", "mape", "nll", "bce", "ce", "cross_entropy", "error", "err", "l1", "l2",
                 "huber", "smooth_l1")


def loss_candidates(keys) -> list[str]:
    """The metrics (training-side names) that may be the loss of curves whose keys hold no ``loss``
    nor ``val_loss``: those whose name holds "loss", else the error metrics of :data:`ERROR_METRICS`.
    Empty when the keys have a loss, or nothing that could be one.

    Example:
        >>> loss_candidates(["mean_loss", "val_mean_loss", "accuracy"]), loss_candidates(["G_loss", "D_loss"])
        (['mean_loss'], ['G_loss', 'D_loss'])
        >>> loss_candidates(["mse", "val_mse", "val_r2"]), loss_candidates(["loss", "mse"]), loss_candidates(["acc"])
        (['mse'], [], [])
    """
    keys = list(keys)
    if "loss" in keys or "val_loss" in keys:
        return []
    bases = list(dict.fromkeys(k[4:] if k.startswith("val_") else k for k in keys))
    named = [b for b in bases if "loss" in b.lower()]
    return named or [b for b in bases if b.lower() in ERROR_METRICS]


def validated_losses(keys) -> list[str]:
    """The :func:`loss_candidates` that have a validation curve (``val_`` + name among the keys).

    Example:
        >>> validated_losses(["reg_loss", "val_reg_loss", "kl_loss"]), validated_losses(["G_loss", "D_loss"])
        (['reg_loss'], [])
    """
    keys = list(keys)
    return [h for h in loss_candidates(keys) if f"val_{h}" in keys]


def _status(data) -> str:
    """The run's status, ``killed`` resolved for one recorded as running whose process is gone."""
    from fitwatch.store.status import effective_status

    return effective_status(data) if data.status == "running" else data.status


def _in_progress(status: str, data) -> list[str]:
    """A note for a run still recorded as running (``status``: :func:`_status`): training goes on (a
    verdict on the epochs so far), or its process is gone."""
    if status == "running":
        n = len(data.epochs)
        return [f"the run is still training ({n} epoch{'' if n == 1 else 's'} so far): this is a verdict on the epochs "
                f"so far"]
    if status == "killed":
        return ["the run's process ended without finishing it (killed): a verdict on the epochs it recorded"]
    return []


def ordinal(k: int) -> str:
    return f"{k}{'th' if 10 <= k % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th')}"


def spread_validation(key: str, values: np.ndarray, n: int, missing: np.ndarray | None = None
                      ) -> tuple[np.ndarray, np.ndarray, str]:
    """A list of ``key`` shorter than the run's ``n`` epochs, laid out on the run's epochs.

    Keras' ``fit(validation_freq=f)`` validates after epoch ``e`` (0-based) when ``(e + 1) % f == 0``,
    so a history of ``n`` epochs holds ``n // f`` validation values. A validation key (``val_*``,
    ``test_*``) whose length ``m`` fits that pattern (``f = n // m >= 2`` and ``n // f == m``) is
    placed at epochs ``f - 1, 2f - 1, ...`` and marked missing elsewhere; any other short list is
    padded at the end as missing. Either way the returned note says what was done.

    Returns:
        ``(values, missing, note)``: arrays of length ``n`` and one line for ``Curves.notes``.

    Example:
        >>> v, m, note = spread_validation("val_loss", np.array([0.9, 0.7]), 6)
        >>> v.tolist(), m.tolist()
        ([nan, nan, 0.9, nan, nan, 0.7], [True, True, False, True, True, False])
        >>> note
        'val_loss has 2 values for 6 epochs: read as validation every 3rd epoch (Keras validation_freq=3: epochs 2, 5)'
    """
    m = values.size
    gone = np.zeros(m, dtype=bool) if missing is None else np.asarray(missing, dtype=bool)
    out = np.full(n, np.nan)
    miss = np.ones(n, dtype=bool)
    f = n // m if m else 0
    if key.startswith(("val_", "test_")) and f >= 2 and n // f == m:
        at = np.arange(1, m + 1) * f - 1
        out[at], miss[at] = values, gone
        shown = ", ".join(str(int(e)) for e in at[:4]) + (", ..." if m > 4 else "")
        return out, miss, (f"{key} has {m} values for {n} epochs: read as validation every {ordinal(f)} epoch "
                           f"(Keras validation_freq={f}: epochs {shown})")
    out[:m], miss[:m] = values, gone
    return out, miss, (f"{key} has {m} values for {n} epochs: the last {n - m} marked missing (put None at the "
                       f"epochs without a value to place them)")


def merge_notes(notes: list[str]) -> list[str]:
    """Notes of :func:`spread_validation` that say the same of several keys, as one:
    ``val_loss, val_accuracy have 5 values for 15 epochs: ...``."""
    by_rest: dict[str, list[str]] = {}
    for note in notes:
        key, has, rest = note.partition(" has ")
        by_rest.setdefault(rest if has else note, []).append(key if has else "")
    return [f"{', '.join(keys)} {'have' if len(keys) > 1 else 'has'} {rest}" if keys[0] else rest
            for rest, keys in by_rest.items()]
