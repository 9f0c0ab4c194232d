"""Causes in the data and the set-up: inputs or regression targets at the wrong scale, a loss that does not fit the
model's output, imbalanced classes, labels the model cannot learn, training stopped too soon."""

from __future__ import annotations

import numpy as np

from fitwatch.diagnosis.causes import limits as L
from fitwatch.diagnosis.causes.view import View, cause, fmt
from fitwatch.diagnosis.findings import Finding

_REGRESSION_LOSSES = ("MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss")


def unnormalised_input(v: View) -> Finding | None:
    """An input feature whose root mean square is above 10 (the median over the sampled batches)."""
    ins = v.inside
    if v.input_scale is None or v.input_scale <= L.INPUT_SCALE:
        return None
    ev = {"largest_feature_rms": v.input_scale, "largest_mean": ins.late("input", "mean_abs_max"),
          "largest_std": ins.late("input", "std_max"), "smallest_feature_rms": ins.late("input", "scale_min")}
    return cause("unnormalised_input", v, ev,
                 f"The inputs are not normalised: a feature's values reach a root mean square of "
                 f"{fmt(v.input_scale)} (mean {fmt(ev['largest_mean'])}, spread {fmt(ev['largest_std'])}), "
                 f"where about 1 is expected; large inputs make large, badly scaled gradients.",
                 ["normalise_inputs", "batch_norm"])


def unnormalised_target(v: View) -> Finding | None:
    """A regression loss (``MSELoss``, ``L1Loss``...) given targets beyond ``TARGET_SCALE`` (100) in size: the
    model's outputs start near 0, so its first epochs (and a learning rate made for unit targets) are spent on
    the scale; the gradients it sees are that large too, so clipping them, or a higher rate, is no cure."""
    ins = v.inside
    if ins.loss not in _REGRESSION_LOSSES:
        return None
    lo, hi = ins.late("loss", "target_min"), ins.late("loss", "target_max")
    if lo is None or hi is None or max(abs(lo), abs(hi)) <= L.TARGET_SCALE:
        return None
    # ...while the model's first outputs were far from that scale (an attack: a model that de-standardises its own
    # output, out * std + mean, was told to standardise its targets)
    first = [s[~np.isnan(s)] for s in (ins.series("output", "min"), ins.series("output", "max"))]
    if all(f.size for f in first) and max(abs(float(first[0][0])), abs(float(first[1][0]))) * 10 >= max(abs(lo), abs(hi)):
        return None
    ev = {"loss": ins.loss, "target_min": lo, "target_max": hi, "output_min": ins.late("output", "min"),
          "output_max": ins.late("output", "max")}
    grads = ("the loss is huge and each step of a rate made for unit targets moves the outputs little against it"
             if ins.loss == "L1Loss" else "the loss and its gradients are huge")
    return cause("unnormalised_target", v, ev,
                 f"The regression targets are not standardised: they reach {fmt(lo)} to {fmt(hi)} where the model's "
                 f"outputs started near 0: {grads}, and the epochs go into reaching the targets' scale rather than "
                 f"fitting them.", ["scale_targets"])


def loss_output_mismatch(v: View) -> Finding | None:
    """The loss is given what it does not expect: probabilities into ``CrossEntropyLoss`` (softmax
    before it), anything but log-probabilities into ``NLLLoss``, probabilities into
    ``BCEWithLogitsLoss`` (sigmoid before it), class ids as regression targets of ``MSELoss``, and
    softmax probabilities against one-hot targets in ``MSELoss`` (a classifier trained as a regression)."""
    ins, loss = v.inside, v.inside.loss
    if loss is None:
        return None
    s = lambda stat: ins.series("loss", stat)  # noqa: E731
    always = lambda stat: s(stat).size > 0 and bool(np.all(s(stat) > 0.5))  # noqa: E731
    never = lambda stat: s(stat).size > 0 and bool(np.all(s(stat) < 0.5))  # noqa: E731
    what = mismatch(loss, probs=always("input_prob"), not_logprobs=never("input_logprob"),
                    in01=always("input_in01"), varied=(ins.late("output", "std") or 0.0) > 1e-3,
                    whole=always("target_whole"), lo=ins.late("loss", "target_min"), hi=ins.late("loss", "target_max"))
    remedy, last = "loss_fit", ins.meta.get("output_activation")  # (the module's name: its type is the activation's)
    act = ins.activations.get(last, last)
    if what is None:
        what = out_of_reach(loss, act, ins.late("loss", "input_min"),
                            ins.late("loss", "input_max"), ins.late("loss", "target_min"),
                            ins.late("loss", "target_max")) if v.verdict not in ("good_fit", "still_improving") else None
        remedy = "linear_output"
    if what is None:
        return None
    ev = {"loss": loss, "output_activation": act,
          "output_min": ins.late("output", "min"), "output_max": ins.late("output", "max"),
          "target_min": ins.late("loss", "target_min"), "target_max": ins.late("loss", "target_max")}
    return cause("loss_output_mismatch", v, ev, f"The loss does not fit the model's output: {what}.", [remedy])


#: the range of each activation a regression's model may end in (what its outputs can reach)
_OUTPUT_RANGE = {"ReLU": (0.0, None), "Softplus": (0.0, None), "Sigmoid": (0.0, 1.0), "Hardsigmoid": (0.0, 1.0),
                 "ReLU6": (0.0, 6.0), "Tanh": (-1.0, 1.0), "Hardtanh": (-1.0, 1.0), "Softsign": (-1.0, 1.0),
                 "ELU": (-1.0, None), "CELU": (-1.0, None), "GELU": (-0.17, None), "SiLU": (-0.28, None),
                 "Mish": (-0.31, None)}


def out_of_reach(loss: str, act: str | None, out_lo, out_hi, lo, hi) -> str | None:
    """What a regression loss's targets ask that its model's output activation cannot give, or None: targets (from
    ``lo`` to ``hi``) reaching more than ``OUT_OF_REACH`` of their range beyond a bound of ``act``'s range, which what
    the loss is given (``out_lo`` to ``out_hi``: not a scaling of the output outside the model, 2 * tanh) keeps to;
    tried in a run that went wrong only (not good_fit nor still_improving: a tanh fit of noisy targets beyond 1 is
    no fault). An eleventh trial's ReLU-ended regression of standardised targets was `underfitting`, told to use a
    larger model."""
    bounds = _OUTPUT_RANGE.get(act or "")
    if loss not in _REGRESSION_LOSSES or bounds is None or None in (lo, hi, out_lo, out_hi) or hi <= lo:
        return None
    low, high = bounds
    margin = L.OUT_OF_REACH * (hi - lo)
    if low is not None and lo < low - margin and out_lo >= low - 1e-6:
        side = f"go down to {lo:.3g}, but the model ends in {act}, whose outputs are {low:g} or more"
    elif high is not None and hi > high + margin and out_hi <= high + 1e-6:
        side = f"go up to {hi:.3g}, but the model ends in {act}, whose outputs are {high:g} or less"
    else:
        return None
    return (f"{loss}'s targets {side}: the targets beyond it can never be reached, whatever the model learns "
            f"(a regression's last layer is linear)")


def mismatch(loss: str, *, probs: bool, not_logprobs: bool, in01: bool, varied: bool, whole: bool,
             lo: float | None, hi: float | None) -> str | None:
    """What is wrong between a loss module (its class name) and what it is given, or None: ``probs``
    the inputs are probabilities (rows summing to 1), ``not_logprobs`` they are not log-probabilities,
    ``in01`` they lie in [0, 1] and ``varied`` they vary; ``whole`` the targets are whole numbers from
    ``lo`` to ``hi``. Shared by the probes' rule and ``fitwatch.preflight``."""
    if loss == "CrossEntropyLoss" and probs:
        return ("CrossEntropyLoss is given probabilities (a softmax before it): it applies log-softmax "
                "itself, so the model's outputs are squashed twice and the loss cannot fall far")
    if loss == "NLLLoss" and not_logprobs:
        return ("NLLLoss is given outputs that are not log-probabilities (no log_softmax before it): "
                "it then rewards raw scores without bound")
    if loss == "BCEWithLogitsLoss" and in01 and varied:
        return ("BCEWithLogitsLoss is given probabilities (a sigmoid before it): it applies the sigmoid "
                "itself, so outputs are squashed twice and the loss cannot fall far")
    if loss in _REGRESSION_LOSSES and probs and whole and lo == 0 and hi == 1:
        return (f"{loss} is given probabilities (a softmax before it) against one-hot targets: a classifier trained as a "
                f"regression, whose gradients fade as the softmax saturates, so it learns slowly and stalls; "
                f"CrossEntropyLoss on the raw outputs (logits) and the class ids is the loss for it")
    if loss in _REGRESSION_LOSSES and whole and lo is not None and hi is not None and lo in (0, 1) and 2 <= hi - lo <= 20:
        return (f"{loss} is given whole-number targets from {lo:g} to {hi:g}, class ids by the look of "
                f"them: a regression loss treats neighbouring ids as nearer classes (class {lo + 1:g} as nearer "
                f"class {lo:g} than class {hi:g})")
    return None


def _labels(v: View):
    """(split, counts, predicted, hits) of the validation labels when probed, else the training ones."""
    for layer in ("val_labels", "labels"):
        c = v.inside.per_class(layer, "count")
        if c is not None and c.sum() > 0:
            last = v.inside.per_class(layer, "count", last_epochs=3)
            return layer, c, last, v.inside.per_class(layer, "pred", last_epochs=3), \
                v.inside.per_class(layer, "hit", last_epochs=3)
    return None


def class_imbalance(v: View) -> Finding | None:
    """The largest class outnumbers the smallest tenfold (SM ClassImbalance), or threefold while the
    smallest is mostly missed (recall below 0.3 over the last epochs) and the largest found."""
    got = _labels(v)
    if got is None:
        return None
    layer, counts, last, pred, hits = got
    present = counts > 0
    if present.sum() < 2:
        return None
    big, small = int(np.argmax(np.where(present, counts, -1))), int(np.argmin(np.where(present, counts, np.inf)))
    ratio = float(counts[big] / counts[small])
    recall = hits / np.maximum(last, 1) if last is not None and last.sum() else None
    missed = recall is not None and last[small] > 0 and recall[small] < L.MISSED_RECALL and recall[big] > 0.8
    if not (ratio > L.IMBALANCE or (ratio > L.IMBALANCE_MISSED and missed)):
        return None
    split = "validation" if layer == "val_labels" else "training"
    ev = {"largest_class": big, "smallest_class": small, "count_ratio": ratio, "split": split,
          "smallest_class_recall": float(recall[small]) if recall is not None else None,
          "smallest_class_predicted": int(pred[small]) if pred is not None else None}
    never = pred is not None and pred[small] == 0 and last[small] > 0
    return cause("class_imbalance", v, ev,
                 f"The classes are imbalanced: class {big} outnumbers class {small} {ratio:.0f} to 1 in the "
                 f"{split} labels"
                 + (f", and class {small} is never predicted: the accuracy hides it" if never else
                    f"; class {small}'s recall is {fmt(ev['smallest_class_recall'])}" if recall is not None else "")
                 + ".", ["class_weights", "class_balance"])


def label_problem(v: View) -> Finding | None:
    """Labels the model cannot learn, with nothing wrong inside the model (the caller checks that no
    other cause was found): the training loss falls (5 % or more) while the validation loss never
    beats its first value by 3 % (shuffled labels: it memorises, nothing generalises); or the
    validation accuracy ends 15 points or more above the training accuracy (noisy training labels:
    it learns the true classes and cannot fit the wrong ones)."""
    if v.verdict in ("diverged", "unstable"):
        return None
    gap = _acc_gap(v)
    # (a heavy dropout lowers the training accuracy alone: an eleventh trial's Dropout(0.9), clean labels, validation
    # 58 points above training, was told its labels look wrong)
    if gap is not None and gap >= L.ACC_ABOVE_TRAIN and (v.inside.meta.get("dropout") or 0) < L.HEAVY_DROPOUT:
        ev = {"val_accuracy_above_train": gap}
        return cause("label_problem", v, ev,
                     f"Validation accuracy ends {100 * gap:.0f} points above training accuracy: the model learns "
                     f"the classes but cannot fit the training labels, many of which look wrong (noisy labels).",
                     ["relabel", "check_data"])
    if v.loss is None or v.val is None or v.verdict not in ("not_learning", "overfitting", "underfitting"):
        return None
    ins = v.inside
    if ins.activations_unseen and any((ins.late(n, "zero_grad") or 0.0) >= L.ZERO_GRAD for n in ins.layers):
        return None  # (a compiled model: units dead for every sample, unseen, give those zeros, not the labels)
    loss, val = v.loss[np.isfinite(v.loss)], v.val[np.isfinite(v.val)]
    if loss.size < 3 or val.size < 3 or loss[0] <= 0 or val[0] <= 0:
        return None
    fell = 1 - float(np.min(loss[1:])) / float(loss[0])
    val_gain = 1 - float(np.min(val[1:])) / float(val[0])
    if fell < L.TRAIN_FELL or val_gain > L.VAL_NEVER:
        return None
    if val[0] > L.VAL_START_ABOVE * loss[0]:  # validation wrong from the start: its inputs, not the labels
        return None
    ev = {"train_loss_drop": fell, "val_loss_best_gain": val_gain}
    return cause("label_problem", v, ev,
                 f"The model learns the training labels (loss {100 * fell:.0f}% down) but nothing that holds on "
                 f"validation (never {100 * L.VAL_NEVER:.0f}% below its first value), with healthy gradients and "
                 f"updates: the labels look shuffled or very noisy.", ["relabel", "check_data"])


def _acc_gap(v: View) -> float | None:
    """Validation accuracy minus training accuracy over the last three epochs (medians), or None."""
    if v.acc is None or v.vacc is None:
        return None
    a, b = v.acc[np.isfinite(v.acc)], v.vacc[np.isfinite(v.vacc)]
    if a.size < 3 or b.size < 3:
        return None
    return float(np.median(b[-3:]) - np.median(a[-3:]))


def too_few_epochs(v: View) -> Finding | None:
    """Stopped while still falling steeply: the monitored curve's last value is its lowest and the
    last epoch took 10 % or more of the whole drop so far, or 5 % of the level and 5 % of the drop (whatever the
    verdict, but for an unstable or diverged run; tried only when no other cause was found)."""
    if v.verdict in ("unstable", "diverged"):
        return None
    c = v.val if v.val is not None else v.loss
    if c is None:
        return None
    c = c[np.isfinite(c)]
    if c.size < 2 or c[-1] > c.min():
        return None
    drop = float(c[0] - c.min())
    gain = float(c[-2] - c[-1])
    if drop <= 0:
        return None
    by_level = gain >= L.LAST_LEVEL_GAIN * abs(float(c[-2])) and gain >= L.LAST_LEVEL_DROP * drop
    if gain < L.LAST_GAIN * drop and not by_level:
        return None
    ev = {"last_epoch_gain": gain, "drop_so_far": drop, "share": gain / drop}
    ev["share_of_level"] = gain / abs(float(c[-2])) if c[-2] else None
    return cause("too_few_epochs", v, ev,
                 f"Training stopped too soon: the last epoch still took {100 * gain / drop:.0f}% of the whole "
                 f"drop so far off the loss ({100 * gain / abs(float(c[-2])):.0f}% of its level).", ["more_epochs"])
