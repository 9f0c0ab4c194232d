"""The monitored metric: which (training, validation) pair of curves the diagnosis judges
(:func:`monitored`: the losses by default; another metric as an error when higher is better), and
how the findings name it (:func:`relabel`: "loss" becomes the metric's name in messages and
evidence keys).

Example:
    >>> monitored_keys("val_loss"), monitored_keys("val_accuracy"), monitored_keys("val_auc_roc")
    (('loss', 'val_loss'), ('accuracy', 'val_accuracy'), ('auc_roc', 'val_auc_roc'))
    >>> higher_is_better("val_accuracy"), higher_is_better("val_mae")
    (True, False)
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np

from fitwatch.diagnosis.curves import Curves, canonical_name, loss_candidates, validated_losses
from fitwatch.diagnosis.findings import Diagnosis, Finding

#: a metric whose name holds one of these is better when higher (judged as an error)
HIGHER_IS_BETTER = ("acc", "auc", "f1", "precision", "recall", "iou", "dice", "r2", "map")


def higher_is_better(monitor: str) -> bool:
    """The monitored metric's name says higher is better (accuracy, AUC, F1...)."""
    return any(w in monitor.lower() for w in HIGHER_IS_BETTER)


def within_unit(a: np.ndarray) -> bool:
    """A higher-is-better curve never above 1 (an accuracy, an R² that may be negative) is judged as
    1 - value; one beyond it (an accuracy in percent) as -value."""
    return bool(np.nanmax(a) <= 1.0)


def resolve_monitor(curves: Curves, monitor: str) -> str:
    """The key of the curve ``monitor`` names, as the user wrote it: a key (``val_mae``), a column
    as written in the file (``Valid MSE`` -> ``val_mse``), or a training metric that has a validation
    curve (``mae`` -> ``val_mae``: the validation curve is the one judged, its training counterpart
    beside it). A name matching nothing is returned as it is (the error lists the curves).

    Example:
        >>> import numpy as np
        >>> c = Curves(np.arange(3), {"mse": [3, 2, 1], "val_mse": [3, 2, 2], "val_loss": [1, 1, 1]})
        >>> resolve_monitor(c, "Valid MSE"), resolve_monitor(c, "mse"), resolve_monitor(c, "val_loss")
        ('val_mse', 'val_mse', 'val_loss')
    """
    if monitor in ("val_loss", "loss") and "loss" not in curves.series and "val_loss" not in curves.series:
        return _loss_by_another_name(curves, monitor)
    if monitor in ("val_loss", "loss") or monitor.startswith("val_") and monitor in curves.series:
        return monitor
    key = canonical_name(monitor) or monitor
    if not key.startswith("val_") and f"val_{key}" in curves.series:
        return f"val_{key}"
    return key if key in curves.series else monitor


def judged_heads(curves: Curves) -> list[str]:
    """The heads of a multi-head model, each judged on its own: with no curve named loss, the
    loss-like metrics (``reg_loss``, ``cls_loss``) that have a validation curve, when there are two or
    more of them (a training-only candidate beside them, a ``kl_loss``, is not judged:
    :func:`training_only_losses` names it). Empty otherwise (one candidate with a validation curve is
    simply the loss; candidates without validation, a GAN's ``G_loss`` and ``D_loss``, are not heads:
    the user picks one with ``--monitor``).

    Example:
        >>> import numpy as np
        >>> k = {"reg_loss": [2, 1], "val_reg_loss": [2, 1.5], "cls_loss": [1, .5], "val_cls_loss": [1, .8]}
        >>> judged_heads(Curves(np.arange(2), k)), judged_heads(Curves(np.arange(2), {**k, "kl_loss": [1, .9]}))
        (['reg_loss', 'cls_loss'], ['reg_loss', 'cls_loss'])
        >>> judged_heads(Curves(np.arange(2), {"G_loss": [2, 1], "D_loss": [1, 1]}))
        []
    """
    heads = validated_losses(curves.series)
    return heads if len(heads) >= 2 else []


def recorded_diagnosis(curves: Curves) -> Diagnosis | None:
    """The diagnosis of a recorded run, as ``Run.finish`` stores it and the dashboard shows a run that
    has none stored: ``together(diagnose_each(curves))`` (a multi-head model: each head's, all in
    ``.runs``), or None where there is nothing to judge: no epoch, or no training or validation
    loss (``loss``, ``val_loss``) and no heads (:func:`judged_heads`).

    A loss of another split alone (``run.log("test", loss=...)``: ``test_loss``) gets no verdict: it
    is neither the curve the model trained on nor the one it was selected on, so it is not judged as
    either (it was judged as a training loss before, "the training test_loss"), and ``fitwatch
    diagnose RUN`` refuses such a run too (no loss or val_loss recorded).

    Args:
        curves: the run's curves (:meth:`fitwatch.diagnosis.curves.Curves.from_run`).

    Example:
        >>> c = Curves([0, 1, 2], {"test_loss": [1.0, 0.8, 0.7], "accuracy": [0.5, 0.6, 0.7]})
        >>> recorded_diagnosis(c) is None
        True
        >>> recorded_diagnosis(Curves([0, 1, 2], {"loss": [1.0, 0.8, 0.7]})).verdict
        'still_improving'
    """
    from fitwatch.diagnosis.analyze import diagnose_each, together  # it imports this module

    if not len(curves) or "loss" not in curves.series and "val_loss" not in curves.series and not judged_heads(curves):
        return None
    return together(diagnose_each(curves))


def training_only_losses(curves: Curves) -> list[str]:
    """The loss-like metrics (no curve named loss) without a validation curve, beside one or more
    that have one: not judged (:func:`judged_heads`, :func:`_loss_by_another_name`). Empty when no
    candidate has a validation curve (a GAN's players: none is preferred).

    Example:
        >>> import numpy as np
        >>> k = {"reg_loss": [2, 1], "val_reg_loss": [2, 1.5], "kl_loss": [1, .9]}
        >>> training_only_losses(Curves(np.arange(2), k))
        ['kl_loss']
    """
    validated = validated_losses(curves.series)
    return [h for h in loss_candidates(curves.series) if h not in validated] if validated else []


def _loss_by_another_name(curves: Curves, monitor: str) -> str:
    """No curve named loss: the one loss-like metric (:func:`fitwatch.diagnosis.curves.loss_candidates`),
    its validation curve when there is one; several of which exactly one has a validation curve: that
    one (the others are training-only, :func:`training_only_losses`); several otherwise: a KeyError
    naming them and ``--monitor`` (two or more with a validation curve are heads, :func:`judged_heads`,
    judged each by :func:`fitwatch.diagnosis.analyze.diagnose_each`).

    Example:
        >>> import numpy as np
        >>> k = {"reg_loss": [2, 1], "val_reg_loss": [2, 1.5], "kl_loss": [1, .9]}
        >>> _loss_by_another_name(Curves(np.arange(2), k), "val_loss")
        'val_reg_loss'
    """
    names = loss_candidates(curves.series)
    validated = validated_losses(curves.series)
    if len(names) == 1 or len(validated) == 1:
        return f"val_{validated[0]}" if validated else names[0]
    if len(names) > 1:
        raise KeyError(f"{curves.source or curves.name}: no curve is named loss, and several could be it: "
                       f"{', '.join(names)}; pass --monitor NAME (monitor=NAME) with the one to judge")
    if not len(curves):
        shown = (f"; its pre-flight checks: fitwatch show {curves.name}" if curves.before and curves.name else "")
        raise KeyError(f"{curves.source or curves.name}: no epoch recorded yet, nothing to judge{shown}")
    vals = [k for k in curves.series if k.startswith("val_")]
    raise KeyError(f"{curves.source or curves.name}: no loss curve (found: {', '.join(curves.series)}); pass "
                   f"--monitor NAME (monitor=NAME) with the metric to judge"
                   + (f", e.g. --monitor {vals[0]}" if vals else ""))


def training_only(curves: Curves | None, monitor: str) -> bool:
    """``monitor`` names a training loss with no validation counterpart (a GAN's ``g_loss``, a
    ``train_loss``): it is judged as the training curve, alone. A metric of another name without
    ``val_`` (YOLO's ``metrics/mAP50-95``, computed on validation data) stays the judged curve.

    Example:
        >>> import numpy as np
        >>> c = Curves(np.arange(3), {"g_loss": [3, 2, 1], "d_loss": [1, 1, 1], "map": [.1, .2, .3]})
        >>> training_only(c, "g_loss"), training_only(c, "map"), training_only(c, "val_loss")
        (True, False, False)
    """
    if curves is None or monitor in ("val_loss", "loss") or monitor.startswith("val_") \
            or monitor not in curves.series or f"val_{monitor}" in curves.series:
        return False
    return "loss" in monitor.lower() or monitor.lower().startswith("train")


def monitored_keys(monitor: str, curves: Curves | None = None) -> tuple[str | None, str | None]:
    """The keys of the (training, validation) pair :func:`monitored` returns (with ``curves``, a
    training-only monitor, :func:`training_only`, is the training key and there is no validation one)."""
    if monitor in ("val_loss", "loss"):
        return "loss", "val_loss"
    if training_only(curves, monitor):
        return monitor, None
    train_key = monitor[4:] if monitor.startswith("val_") else monitor
    return (train_key if train_key != monitor else None), monitor


def monitored(curves: Curves, monitor: str) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The (training, validation) pair the diagnosis judges: the losses by default; for another
    monitored metric, it and its training counterpart, as errors (1 - accuracy...) when higher is
    better, so that lower is better throughout."""
    if monitor in ("val_loss", "loss"):
        return curves.get("loss"), curves.get("val_loss")
    if monitor not in curves.series:
        raise KeyError(f"{curves.source or curves.name}: no {monitor!r} curve to monitor "
                       f"(found: {', '.join(curves.series)}); pass --monitor with one of those")
    train_key = monitor[4:] if monitor.startswith("val_") else monitor
    pair = [curves.get(train_key) if train_key != monitor else None, curves.get(monitor)]
    if training_only(curves, monitor):  # a training loss without validation: judged as training, alone
        pair = [curves.get(monitor), None]
    if higher_is_better(monitor):
        unit = within_unit(pair[1] if pair[1] is not None else pair[0])  # one transform for both: validation's
        pair = [None if a is None else (1.0 - a if unit else -a) for a in pair]
    return pair[0], pair[1]


def relabel(findings: list[Finding], curves: Curves, monitor: str) -> None:
    """Name the monitored metric where the findings say "loss": in the messages, and in the evidence's
    keys (``best_val_loss`` -> ``best_val_mae``). A higher-is-better metric is judged as an error
    (1 - accuracy; the negated value when it is not within [0, 1]), and named so."""
    train_key, val_key = monitored_keys(monitor, curves)
    val_key = val_key or f"val_{train_key}"  # a training-only monitor: no validation curve to name
    name = val_key[4:] if val_key.startswith("val_") else val_key
    key, label = name, name
    if higher_is_better(monitor):  # judged as monitored() turned it into an error
        v = curves.get(monitor)
        key, label = ((f"{name}_error", f"error (1 - {name})") if v is not None and within_unit(v)
                      else (f"neg_{name}", f"negated {name}"))
    words = {"val_loss": f"val_{key}", "train_loss": f"train_{key}", "best_loss": f"best_{key}", "min_loss": f"min_{key}",
             "settled_loss": f"settled_{key}"}
    names = {"loss": train_key or name, "val_loss": val_key}

    def rekey(k: str) -> str:
        for old, new in words.items():
            k = k.replace(old, new)
        return k

    def text(m: str) -> str:
        if higher_is_better(monitor):  # the metric itself rose where its error fell
            m = re.sub(r"(?<![\w/.-])(val_loss|loss) is still falling at the end: (\S+) lower(.*?)whole drop",
                       lambda g: f"{g.group(1)} is still rising at the end: {g.group(2)} higher{g.group(3)}whole rise", m)
            # the level a share is of is the error's (1 - accuracy), not the metric's: say so
            m = re.sub(r"(\d[\d.]*% of) its level\b", r"\1 the error left" if key.endswith("_error") else r"\1 its negated level", m)
        m = re.sub(r"\b([Vv]alidation|[Tt]raining) loss\b", lambda g: f"{g.group(1)} {label}", m)
        m = re.sub(r"\b([Tt])he loss\b", lambda g: f"{g.group(1)}he {label}", m)
        m = re.sub(r"(?<![\w/.-])val_loss\b", val_key, m)  # a curve named by its key ("val_loss is still falling")
        m = re.sub(r"^loss\b", train_key or name, m)
        return m.replace("Both losses", f"Both {label} curves")

    for f in findings:
        f.message = text(f.message)
        ev = {}
        for k, v in f.evidence.items():
            if isinstance(v, dict):
                v = {names.get(a, a): b for a, b in v.items()}
            elif k == "curve" and isinstance(v, str):  # the curve a finding is about
                v = names.get(v, v)
            elif isinstance(v, list) and f.code == "nan_detected":  # the curves that became NaN
                v = [names.get(a, a) if isinstance(a, str) else a for a in v]
            ev[rekey(k)] = v
        f.evidence = ev


def uncomputed_validation(curves: Curves) -> dict[str, str]:
    """The validation losses the run never computed, each with what it holds: exactly 0 at every one
    of its evaluations (two or more) beside a training counterpart that is not, or NaN/infinite at
    every one beside a training counterpart finite at every epoch and a validation metric that rose
    (the model was evaluated, and worked: YOLO's mAP). A loss the run evaluated has a
    value at its first evaluation; one that blew up makes the training loss non-finite too, and one
    that went NaN later was computed before (a new user's YOLO results.csv: val/box_loss and
    val/dfl_loss 0, val/cls_loss inf in all 200 rows, was told it diverged at epoch 0).

    Example:
        >>> import numpy as np
        >>> c = Curves(np.arange(4), {"box_loss": [2, 1.5, 1.2, 1], "val_box_loss": [0, 0, 0, 0],
        ...                           "cls_loss": [3, 2, 1, .9], "val_cls_loss": [np.inf] * 4,
        ...                           "metrics_map50_95(b)": [.02, .1, .2, .3]})
        >>> uncomputed_validation(c)
        {'val_box_loss': '0', 'val_cls_loss': 'infinite'}
    """
    out = {}
    for key, v in curves.series.items():
        train = curves.series.get(key[4:])
        if not key.startswith("val_") or "loss" not in key.lower() or train is None:
            continue
        v = v[~curves.missing[key]] if key in curves.missing else v
        if v.size and v[0] != 0 and math.isfinite(v[0]):  # neither 0 at every evaluation nor never finite
            continue
        t = train[~curves.missing[key[4:]]] if key[4:] in curves.missing else train
        if v.size < 2 or t.size < 2 or not np.all(np.isfinite(t)):
            continue
        if np.all(v == 0) and np.any(t != 0):
            out[key] = "0"
        elif not np.any(np.isfinite(v)) and _evaluated(curves):
            out[key] = "NaN" if np.all(np.isnan(v)) else "infinite" if np.all(np.isinf(v)) else "NaN or infinite"
    return out


def _evaluated(curves: Curves) -> bool:
    """A validation metric the run logs (``val_*``, YOLO's ``metrics_*``), better is higher, rose by 0.05 or
    more from its first value (its second half's median): the model was evaluated and worked, so a
    validation loss NaN at every evaluation beside it is a loss not computed, not a model that blew up
    (without one, it stays a divergence)."""
    for key, v in curves.series.items():
        if key.startswith(("val_", "metrics_")) and higher_is_better(key):
            v = v[np.isfinite(v)]
            if v.size >= 4:
                v = v / 100.0 if float(v.max()) > 1.0 else v
                if float(np.median(v[v.size // 2:])) - float(v[0]) >= 0.05:
                    return True
    return False


def real_validation(curves: Curves, monitor: str) -> tuple[Curves, str, list[str]]:
    """The curves without the validation losses the run never computed
    (:func:`uncomputed_validation`), with a note naming them; the curve to judge instead, when
    ``monitor`` is the default loss: a validation metric the run logs (YOLO's mAP50-95, an accuracy),
    else the training loss; and the training heads to judge each on its own (several losses whose
    validation was not computed, no metric): ``(curves, monitor, heads)``. The curves as they are
    when every validation curve was computed.

    Example:
        >>> import numpy as np
        >>> c = Curves(np.arange(3), {"loss": [2, 1.5, 1.2], "val_loss": [0, 0, 0], "val_accuracy": [.3, .5, .6]})
        >>> c2, m, heads = real_validation(c, "val_loss")
        >>> sorted(c2.series), m, heads
        (['loss', 'val_accuracy'], 'val_accuracy', [])
    """
    gone = uncomputed_validation(curves)
    if not gone:
        return curves, monitor, []
    said = ", ".join(f"{k} {w}" for k, w in gone.items())
    note = (f"validation not computed: {said} at every evaluation (the run logged a placeholder, not a loss): "
            f"judged without {'it' if len(gone) == 1 else 'them'}")
    curves = dataclasses.replace(curves, series={k: v for k, v in curves.series.items() if k not in gone},
                                 missing={k: m for k, m in curves.missing.items() if k not in gone},
                                 notes=[*curves.notes, note])
    if monitor in gone and monitor != "val_loss":  # the uncomputed curve named: its training counterpart, alone
        return curves, monitor[4:], []
    if monitor not in ("val_loss", "loss") or validated_losses(curves.series) or "val_loss" in curves.series:
        return curves, monitor, []
    metric = _logged_quality(curves)
    if metric is not None:
        curves.notes.append(f"judged on {metric}, the validation metric the run logs")
        return curves, metric, []
    heads = [k[4:] for k in gone if k != "val_loss"]
    return curves, (heads[0] if len(heads) == 1 else monitor), heads if len(heads) >= 2 else []


def instead_of_loss(curves: Curves, monitor: str) -> tuple[str, str | None]:
    """The curve judged when ``monitor`` is the default loss and the run has no validation loss:
    the one the run's own early stopping watched (an MLP's ``validation_scores_``), else, when every
    validation curve it logs is a score (higher is better: ``val_accuracy``, ``val_f1``), that score
    (:func:`_logged_quality`; a lone score of another name too): a training loss beside a validation
    accuracy is judged on the accuracy, as a reader does (a loss still falling while validation
    accuracy fell for 15 epochs is overfitting, not "train longer"); the training loss stays beside
    it (``Context.other_train``). ``(monitor, the note saying so)``; ``(monitor, None)`` otherwise.

    Example:
        >>> import numpy as np
        >>> c = Curves(np.arange(3), {"loss": [2, 1.5, 1.2], "val_accuracy": [.3, .5, .6]})
        >>> instead_of_loss(c, "val_loss")[0], instead_of_loss(c, "loss")[0]
        ('val_accuracy', 'loss')
    """
    if monitor != "val_loss" or "val_loss" in curves.series:
        return monitor, None
    watched = (curves.stop or {}).get("monitor")
    if isinstance(watched, str) and watched.startswith("val_") and watched in curves.series:
        return watched, f"no validation loss: judged {watched}, the curve the run's own early stopping watched"
    vals = [k for k in curves.series if k.startswith("val_")]
    if not vals or not all(higher_is_better(k) for k in vals):
        return monitor, None
    score = _logged_quality(curves) or (vals[0] if len(vals) == 1 else None)
    if score is None or not score.startswith("val_"):
        return monitor, None
    return score, (f"no validation loss: judged {score}, the validation score the run logs"
                   f"{' (the training loss beside it measures something else)' if 'loss' in curves.series else ''}; "
                   f"--monitor loss judges the training loss")


#: a validation metric the run logs, best first: YOLO's mAP50-95 (what its own fitness weighs most),
#: mAP50, a segmentation's IoU or Dice (mmsegmentation's mIoU over its aAcc), then an accuracy, AUC or F1
_QUALITY = (r"map50_95", r"map", r"iou", r"dice", r"acc", r"auc", r"f1")


def _logged_quality(curves: Curves) -> str | None:
    """The validation metric (``val_*``, YOLO's ``metrics_*``) a run without a computed validation loss
    is judged on, or None."""
    keys = [k for k in curves.series if k.startswith(("val_", "metrics_")) and np.isfinite(curves.series[k]).sum() >= 2]
    for word in _QUALITY:
        found = [k for k in keys if re.search(word, k.lower())]
        if found:
            return found[0]
    return None
