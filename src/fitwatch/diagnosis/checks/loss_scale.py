"""A classifier's loss too large for its accuracy to be a mean per sample: ``loss_not_per_sample``.

A cross-entropy averaged over the samples puts at most ln k on a sample it gets right (the right
class has the largest probability, so at least 1/k), so a loss ``L`` at accuracy ``a`` needs the
wrong answers to average ``(L - a ln k) / (1 - a)`` or more. When that is over
:data:`WRONG_LOSS` at most epochs, the wrong answers would put e^-100 on their right class: the
logged loss is far more likely summed over each batch (``reduction="sum"``), which scales it with
the batch size (or over each sample's outputs, pixels or labels), or the logits are saturated in the
hundreds. Either way its level is no per-sample number, nor the gap between training and validation
when their batches differ in size: beside any verdict but ``overfitting``, which rests on it, the gap
signs are left out.

And a classifier's loss that sits at the floor a cross-entropy has when it is given probabilities instead of
logits, right on nearly every sample: ``softmax_twice`` (a softmax before ``CrossEntropyLoss``).
"""

from __future__ import annotations

import math

import numpy as np

from fitwatch.diagnosis.checks.chance import fraction, no_skill
from fitwatch.diagnosis.checks.context import Context
from fitwatch.diagnosis.findings import Finding
from fitwatch.diagnosis.remedies import remedies_for

#: the mean loss a classifier's wrong answers would need (nats; e^-100 on the right class) for the
#: logged loss to be a mean per sample; a Keras cross-entropy clips each sample at ln(1e7) = 16.1
WRONG_LOSS = 100.0
#: ln k for a correct answer when the run states no class count: up to 1,000 classes
_MAX_CLASSES = 1000


def _needed(loss: np.ndarray, acc: np.ndarray, ln_k: float) -> np.ndarray:
    """The mean loss the wrong answers need at each epoch (inf where the accuracy is 1 and the loss
    above ln k, NaN where an accuracy or a loss is missing or the accuracy is under 0.5)."""
    a = fraction(acc)
    ok = np.isfinite(loss) & np.isfinite(a) & (a >= 0.5)
    out = np.full(loss.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.where(a < 1.0, (loss - a * ln_k) / np.maximum(1.0 - a, 1e-12), np.where(loss > ln_k, np.inf, 0.0))
    out[ok] = need[ok]
    return out


def loss_not_per_sample(ctx: Context, classes: int | None = None) -> Finding | None:
    """``loss_not_per_sample`` when, on a curve with its accuracy (3 or more epochs at 0.5 or more),
    most epochs need wrong answers averaging :data:`WRONG_LOSS` or more; else None. ``classes``: the
    count the run states, else up to 1,000 are allowed for."""
    ln_k = math.log(classes or _MAX_CLASSES)
    for name, c, acc in (("val_loss", ctx.cv, ctx.vacc), ("loss", ctx.cl, ctx.acc)):
        if c is None or acc is None or acc.size != c.y.size:
            continue
        need = _needed(c.y, acc, ln_k)
        seen = need[np.isfinite(need) | np.isinf(need)]
        if seen.size < 3 or np.mean(seen >= WRONG_LOSS) <= 0.5:
            continue
        i = int(np.flatnonzero(np.isfinite(need) | np.isinf(need))[-1])
        a = float(fraction(acc)[i])
        ev = {"curve": name, "value": float(c.y[i]), "accuracy": a, "epoch": ctx.Ek(i),
              "epochs_impossible": int(np.sum(seen >= WRONG_LOSS)), "epochs_read": int(seen.size)}
        return Finding(
            "loss_not_per_sample", "warning", ctx.span, ev,
            f"{name} is {c.y[i]:.4g} at epoch {ctx.Ek(i)} with an accuracy of {a:.3g}: as a mean per sample, the wrong "
            f"answers would put e^-{WRONG_LOSS:.0f} or less on their right class (so at {ev['epochs_impossible']} of "
            f"{ev['epochs_read']} epochs). The loss is most likely summed rather than averaged: over each batch "
            f"(reduction='sum'), which scales it with the batch size, or over each sample's outputs, pixels or labels; or "
            f"the logits are saturated in the hundreds. Its level is no per-sample number, and nor is the gap between "
            f"training and validation when their batches differ in size.",
            remedies_for("loss_not_per_sample"))
    return None


#: a training accuracy at or above this, beside a loss at the floor of probabilities taken for logits: ``softmax_twice``
TWICE_ACC = 0.9
#: how far above the least such a loss can be at its accuracy it may end (and below the floor, float rounding only)
TWICE_BAND = 0.01


def softmax_twice(ctx: Context) -> Finding | None:
    """``softmax_twice`` when a k-class training loss (3 or more classes: the run's ``classes``, else the ln k its
    first value is) never went below ln(e + k - 1) - 1 and ends within :data:`TWICE_BAND` above the least it can be at
    its accuracy ``a`` (the mean of its last 3 values, :data:`TWICE_ACC` or more), ``a`` times that floor plus ``1 - a``
    times ln(2 + (k - 2) e^-0.5), and the run states no label smoothing nor a penalty in its loss; else None.

    Outputs in [0, 1] taken for logits by a cross-entropy that applies its own softmax score the right class at most
    e / (e + k - 1), whatever the model does: that is the floor (1.461 for 10 classes), and a wrong answer (its right
    class at 0.5 at most) costs ln(2 + (k - 2) e^-0.5) or more. An attack's digits MLP with a softmax before
    CrossEntropyLoss ended at 1.472 at 99.5 % training accuracy, good_fit without a word. A second attack's heavy L2
    (weight decay 1.6 on wine: 1.5 % above that least) and undeclared label smoothing (0.25: 3 %) land near it, not on
    it.

    Example:
        >>> round(math.log(math.e + 9) - 1, 3)  # the floor for 10 classes
        1.461
    """
    return ctx.once("softmax_twice", lambda: _softmax_twice(ctx))  # (the fit check reads it, then the signs)


def _softmax_twice(ctx: Context) -> Finding | None:
    c, acc = ctx.cl, ctx.acc
    if c is None or acc is None or ctx.smoothing or ctx.penalty or not c.y.size or not np.isfinite(c.y).all():
        return None
    ln_k = math.log(ctx.classes) if ctx.classes else no_skill(float(c.y[0]))  # (squashed, it starts at ln k)
    k = round(math.exp(ln_k)) if ln_k else 0
    tail = fraction(acc[np.isfinite(acc)])[-3:]
    if k < 3 or not tail.size:
        return None
    a = float(tail.mean())
    if a < TWICE_ACC:
        return None
    floor, end, low = math.log(math.e + k - 1) - 1, float(c.y[-1]), float(c.y.min())
    least = a * floor + (1 - a) * math.log(2 + (k - 2) * math.exp(-0.5))
    if not (low >= floor * (1 - 1e-3) and end <= least * (1 + TWICE_BAND)):
        return None
    ev = {"loss_end": end, "floor": floor, "classes": k, "train_accuracy": a}
    return Finding(
        "softmax_twice", "warning", ctx.span, ev,
        f"The training loss ends at {end:.4g} at a training accuracy of {a:.3g}: at the floor "
        f"ln(e + {k - 1}) - 1 = {floor:.4g} a {k}-class cross-entropy has when it is given probabilities instead of "
        f"logits, and never below it. A softmax before CrossEntropyLoss (or a loss that applies its own) squashes the "
        f"outputs a second time: the right class gets at most e / (e + {k - 1}) = {math.e / (math.e + k - 1):.2g}, "
        f"however right the model is, and its gradients shrink with it.",
        remedies_for("softmax_twice"))
