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


@dataclass
class Task:
    """The task a set-up trains for.

    Attributes:
        kind: ``classification``, ``binary``, ``regression`` or ``unknown``.
        loss: the loss's ``torch.nn`` class name (``CrossEntropyLoss``), or its own name.
        classes: the model's number of outputs per sample for a classifier (C), else None.
        no_skill: the loss of the best constant prediction on the training targets (the class prior's
            entropy, the targets' variance...), None when unknown.
    """

    kind: str
    loss: str
    classes: int | None = None
    no_skill: float | None = None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "loss": self.loss, "classes": self.classes, "no_skill": self.no_skill}


def loss_name(loss_fn) -> str:
    """The torch loss a loss behaves as (a wrapped Keras loss says so in ``fitwatch_kind``)."""
    if getattr(loss_fn, "fitwatch_kind", None):
        return loss_fn.fitwatch_kind
    return loss_kind(loss_fn) if hasattr(loss_fn, "forward") else getattr(loss_fn, "__name__", type(loss_fn).__name__)


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
        return Task("classification", name, c, _entropy(counts))
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
