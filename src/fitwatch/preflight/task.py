"""What task a set-up trains for, read from its loss, outputs and targets, and the loss a model with
no skill would reach on it (the level its initial loss is judged against)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fitwatch.probes.names import loss_kind

#: "KerasCrossEntropy": a Keras categorical cross-entropy on probabilities (from_logits=False)
CLASSIFICATION = ("CrossEntropyLoss", "NLLLoss", "KerasCrossEntropy")
BINARY = ("BCELoss", "BCEWithLogitsLoss")
REGRESSION = ("MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss")
#: torch.nn.functional's losses: the module each behaves as (F.cross_entropy is CrossEntropyLoss)
FUNCTIONAL = {"cross_entropy": "CrossEntropyLoss", "nll_loss": "NLLLoss", "binary_cross_entropy": "BCELoss",
              "binary_cross_entropy_with_logits": "BCEWithLogitsLoss", "mse_loss": "MSELoss", "l1_loss": "L1Loss",
              "smooth_l1_loss": "SmoothL1Loss", "huber_loss": "HuberLoss"}


@dataclass
class Task:
    """The task a set-up trains for.

    Attributes:
        kind: ``classification``, ``binary``, ``regression`` or ``unknown``.
        loss: the loss's ``torch.nn`` class name (``CrossEntropyLoss``), or its own name.
        classes: the model's number of outputs per sample for a classifier (C), else None.
        no_skill: the loss of the best constant prediction on the training targets (the class prior's
            entropy, the targets' variance...), None when unknown.
        floor: the lowest loss a perfect model reaches: 0, but for a cross-entropy with label smoothing
            (the smoothed target's entropy: 0.50 for 10 classes at 0.1).
    """

    kind: str
    loss: str
    classes: int | None = None
    no_skill: float | None = None
    floor: float = 0.0

    def to_dict(self) -> dict:
        return {"kind": self.kind, "loss": self.loss, "classes": self.classes, "no_skill": self.no_skill,
                "floor": self.floor}


def loss_name(loss_fn) -> str:
    """The torch loss a loss behaves as (a wrapped Keras loss says so in ``fitwatch_kind``; a function of
    ``torch.nn.functional``, or a ``functools.partial`` of one, as its module: ``F.cross_entropy`` is
    ``CrossEntropyLoss``)."""
    if getattr(loss_fn, "fitwatch_kind", None):
        return loss_fn.fitwatch_kind
    if hasattr(loss_fn, "forward"):
        return loss_kind(loss_fn)
    fn = getattr(loss_fn, "func", loss_fn)  # functools.partial(F.cross_entropy, label_smoothing=0.1)
    name = getattr(fn, "__name__", type(fn).__name__)
    return FUNCTIONAL.get(name, name) if getattr(fn, "__module__", "") == "torch.nn.functional" else name


def label_smoothing(loss_fn) -> float:
    """The label smoothing of a cross-entropy (``nn.CrossEntropyLoss(label_smoothing=0.1)`` or a
    partial of ``F.cross_entropy``), else 0."""
    eps = getattr(loss_fn, "label_smoothing", None)
    if eps is None:
        eps = (getattr(loss_fn, "keywords", None) or {}).get("label_smoothing", 0.0)
    try:
        return min(max(float(eps), 0.0), 1.0)
    except (TypeError, ValueError):
        return 0.0


def smoothed_floor(classes: int, eps: float) -> float:
    """The lowest cross-entropy against targets smoothed by ``eps`` over ``classes`` classes: their entropy."""
    if eps <= 0 or classes < 2:
        return 0.0
    hi, lo = 1 - eps + eps / classes, eps / classes
    return float(-(hi * math.log(hi)) - (classes - 1) * lo * math.log(lo))


def infer(loss_fn, output, targets: np.ndarray | None) -> Task:
    """The task of a loss module given one batch's ``output`` (a tensor) and the training targets."""
    name = loss_name(loss_fn)
    if targets is None or targets.size == 0:
        return Task("unknown", name)
    t = targets.astype(float).reshape(targets.shape[0], -1) if targets.ndim else targets.astype(float)
    if name in CLASSIFICATION and output is not None and output.dim() >= 2:
        c = int(output.shape[1])
        if targets.ndim >= 2 and targets.shape[1:] == tuple(output.shape[1:]):  # class probabilities
            counts = t.sum(0)[:c]
        else:
            ids = targets.reshape(-1).astype(np.int64)
            ids = ids[(ids >= 0) & (ids < c)]
            counts = np.bincount(ids, minlength=c).astype(float)
        return Task("classification", name, c, _entropy(counts), smoothed_floor(c, label_smoothing(loss_fn)))
    if name in BINARY:
        p = float(np.clip(t.mean(), 0, 1))
        return Task("binary", name, 1, _entropy(np.array([p, 1 - p])))
    if name in REGRESSION:
        if name == "MSELoss":
            level = float(np.mean(np.var(t, axis=0)))
        else:  # L1 and the Huber family: the mean absolute deviation from the median (a bound for Huber)
            level = float(np.mean(np.abs(t - np.median(t, axis=0))))
        return Task("regression", name, None, level)
    return Task("unknown", name)


def _entropy(counts: np.ndarray) -> float | None:
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    if total <= 0:
        return None
    p = counts[counts > 0] / total
    return float(-(p * np.log(p)).sum()) if p.size > 1 else 0.0


def chance(classes: int) -> float:
    """ln C: the loss of a uniform guess over C classes."""
    return math.log(classes) if classes > 1 else 0.0
