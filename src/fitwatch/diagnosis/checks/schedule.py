"""What a logged learning rate says about the curves: a rise of the learning rate at the epoch the
training loss jumped (``lr_raised``), or a cut while the monitored curve was still falling fast,
after which it crawled (``lr_decayed_early``), or a cut before which the training loss learned
nothing and after which it fell (``lr_too_high``, :func:`learned_after_cut`): finer signs, read
whatever the verdict.

Thresholds (:mod:`fitwatch.diagnosis.thresholds`): ``lr_raised_factor`` (the rise) and
``end_above_start`` (the loss's jump, as for a spike).

Example:
    >>> import numpy as np
    >>> from fitwatch.diagnosis.curves import Curves
    >>> c = Curves(np.arange(6), {"loss": [0.9, 0.7, 0.6, 2.4, 0.8, 0.6], "lr": [0.02] * 3 + [0.5] * 3})
    >>> lr_raised(c, [0, 5], 3.0, 0.5).message.split(":")[0]
    'The learning rate rose 25x at epoch 3 (0.02 -> 0.5), the epoch the training loss jumped from 0.6 to 2.4'
"""

from __future__ import annotations

import math

import numpy as np

from fitwatch.diagnosis.checks.chance import at_chance
from fitwatch.diagnosis.curves import Curves
from fitwatch.diagnosis.evidence import LR_KEY, tiny_lr
from fitwatch.diagnosis.findings import Finding
from fitwatch.diagnosis.remedies import CATALOGUE, remedies_for
from fitwatch.diagnosis.thresholds import DEFAULT


def lr_raised(curves: Curves, span, factor: float, jump: float, key: str = "loss") -> Finding | None:
    """The first epoch where a logged learning rate rose ``factor`` times or more and the training
    loss rose by ``jump`` (a share of its previous value) or more at the same epoch: the cause of the
    jump, named (a new user's trial: lr 0.02 -> 0.5 at epoch 10, then a run read as overfitting with
    nothing said of it). ``key`` names the training curve read (the monitored one, lower is better).
    None when no logged learning rate or training curve shows it."""
    loss = curves.get(key)
    if loss is None:
        return None
    for name, lr in curves.series.items():
        if not LR_KEY.match(name):
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            up = (lr[1:] >= factor * lr[:-1]) & (lr[:-1] > 0) & (loss[1:] >= (1 + jump) * loss[:-1]) & (loss[:-1] > 0)
        hit = np.flatnonzero(np.nan_to_num(up, nan=0.0).astype(bool))
        if not hit.size:
            continue
        i = int(hit[0]) + 1
        return _at_change("lr_raised", curves, lr, i, span, {"loss_before": float(loss[i - 1]), "loss_after": float(loss[i])},
                          f"rose {lr[i] / lr[i - 1]:.3g}x", f"the epoch the training {key} jumped from {loss[i - 1]:.4g} to "
                          f"{loss[i]:.4g}: unless it was a planned warm restart, that learning rate is too high for this model.")
    return None


def _at_change(code: str, curves: Curves, lr, i: int, span, more: dict, how: str, then: str) -> Finding:
    """The finding ``code`` of the learning rate's change at index ``i`` (``how``: "rose 25x"),
    with ``more`` evidence and what came of it (``then``)."""
    e = int(curves.epochs[i])
    ev = {"epoch": e, "lr_before": float(lr[i - 1]), "lr_after": float(lr[i]), **more}
    return Finding(code, "warning", [e, span[1]], ev,
                   f"The learning rate {how} at epoch {e} ({lr[i - 1]:.4g} -> {lr[i]:.4g}), {then}", remedies_for(code))


def _cuts(curves: Curves, size: int, factor: float):
    """``(lr, the indices where it was cut factor times or more)`` of each logged learning rate of ``size``
    values (the index is the first epoch at the lower rate)."""
    for name, lr in curves.series.items():
        if LR_KEY.match(name) and lr.size == size:
            with np.errstate(divide="ignore", invalid="ignore"):
                yield lr, np.flatnonzero(np.nan_to_num((lr[:-1] >= factor * lr[1:]) & (lr[1:] > 0), nan=0.0).astype(bool)) + 1


#: a cut of the learning rate by this factor or more (one step, or a cascade of steps of CASCADE_STEP or more, each
#: less than 3 epochs after the one before)...
DECAY_FACTOR = 5.0
CASCADE_STEP = 1.9
#: ...while the curve fell by this share of its level per epoch over the 3 epochs before it...
DECAY_STILL_FALLING = 0.02
#: ...after which it fell this share of that pace or less, to the next cut or the end
DECAY_CRAWL = 0.2


def lr_decayed_early(curves: Curves, span, key: str) -> Finding | None:
    """The first cut of a logged learning rate (``DECAY_FACTOR`` or more, the epoch it takes effect)
    that came while the best of the curve ``key`` (lower is better) so far still fell
    ``DECAY_STILL_FALLING`` of its level an epoch or more over the 3 epochs before it, after which it
    fell ``DECAY_CRAWL`` of that pace or less until the next cut or the end: a step schedule that decayed before the progress
    ran out (a fifth trial: StepLR(15, 0.1) cut 0.05 -> 0.005 at epoch 15 while validation fell 0.043 an
    epoch, then 0.0047: 0.534 at the end, where lr 0.05 all along reached 0.075). A cut on a
    plateau, the usual practice, is not one. None when no logged learning rate shows it."""
    y = curves.get(key)
    if y is None:
        return None
    for lr, cuts in _cuts(curves, y.size, CASCADE_STEP):
        for n, i in enumerate(cuts):
            if n and cuts[n] - cuts[n - 1] < 3:
                continue  # in a cascade read from its first cut
            last = n  # cuts less than 3 epochs apart are one cascade (ReduceLROnPlateau cutting again and again: a
            while last + 1 < cuts.size and cuts[last + 1] - cuts[last] < 3:  # seventh trial's, 1e-3 -> 1e-20)
                last += 1
            end = int(cuts[last + 1]) if last + 1 < cuts.size else y.size - 1
            if lr[i - 1] < DECAY_FACTOR * lr[int(cuts[last])]:
                continue  # (a cascade of halvings counts once it cuts DECAY_FACTOR in all: an eighth trial's 0.3s)
            if last > n and np.any(lr[max(0, i - 3): i] > 1.01 * lr[i - 1]):
                continue  # a cascade after a rate already falling: a cosine's tail (warm restarts' too), not a step
            w = min(3, i - 1)  # the epochs at the old rate it fell over (2 for a cut at epoch 3: an attack's StepLR(3))
            if w < 2 or end - i < 3 or not np.isfinite(y[i - 1 - w: end + 1]).all() or y[i - 1] <= 0:
                continue
            # by its best so far, up to the last epoch at the old rate: a cut on a noisy curve's rebound
            # from a spike (ReduceLROnPlateau's) did not come "while it was falling"
            best = np.minimum.accumulate(y[: end + 1])
            before, after = (best[i - 1 - w] - best[i - 1]) / w, (best[i - 1] - best[end]) / (end - i + 1)
            # ...and, a cascade, still making new bests in the last 2 epochs at the old rate: a plateau scheduler that
            # cut once validation had stopped improving (or turned up) did its job (an eighth-trial fix's first form
            # named two overfitting runs, cut 3 epochs after their best)
            if last > n and best[i - 1] >= best[i - 3]:
                continue  # (a cascade only: a single large step is read as before, an attack's one-epoch bump at 10x)
            if before >= DECAY_STILL_FALLING * y[i - 1] and after <= DECAY_CRAWL * before:
                return _at_change("lr_decayed_early", curves, lr, i, span,
                                  {"per_epoch_before": float(before), "per_epoch_after": float(after), "curve": key},
                                  f"was cut {lr[i - 1] / lr[i]:.3g}x" + (f", and {last - n} more time{'s' * (last - n > 1)} "
                                  f"in the next epochs ({lr[i - 1] / lr[int(cuts[last])]:.3g}x in all)" if last > n else ""),
                                  f"while {key} was still falling {before:.4g} an "
                                  f"epoch; after it, it fell {after:.4g} an epoch: the decay came before the progress ran out.")
    return None


#: a cut of the learning rate by this factor or more (any step down: StepLR's 0.5, ReduceLROnPlateau's)...
CUT_FACTOR = 1.5
#: ...before which the training curve's best, from its second epoch to the cut, fell less than this share...
CUT_FLAT = 0.05
#: ...and after which it fell this share of its level or more, and CUT_RATIO times its fall before, in
#: at most CUT_AFTER epochs (to the next cut or the end)
CUT_FELL, CUT_RATIO, CUT_AFTER = 0.10, 3.0, 5


def learned_after_cut(curves: Curves, span, key: str = "loss", t=DEFAULT) -> Finding | None:
    """``lr_too_high`` when the training curve ``key`` sat at the no-skill level until a logged learning rate
    was cut (its best from the second epoch to the cut fell under ``CUT_FLAT``, over 3 epochs or more, at
    ln k with an accuracy at chance 1/k, or at the ``baseline`` or ``classes`` the run states) and fell
    ``CUT_FELL`` or more right after it: the rate before the cut was too high for the model, the cut is the
    evidence (the Must 4/6 trial: SGD at lr 3 halved every 5 epochs sat at ln 10 until lr 0.75, then fell
    2.30 -> 1.84; it was told the curve is "smooth but flat" and to raise the rate). A step schedule's
    usual cut, after the loss fell a long way at the higher rate, is not one; nor a cut on a plateau the
    model reached at the higher rate, however fast (an attack: a loss 0.62 -> 0.31 in one epoch at an
    accuracy of 0.91, then flat until ReduceLROnPlateau cut the rate, was told it "learned nothing").
    None otherwise.

    Example:
        >>> import numpy as np
        >>> c = Curves(np.arange(8), {"loss": [2.5, 2.31, 2.30, 2.30, 2.29, 2.0, 1.8, 1.7],
        ...                           "accuracy": [0.1] * 5 + [0.3, 0.35, 0.4], "lr": [3.0] * 5 + [0.75] * 3})
        >>> learned_after_cut(c, [0, 7]).evidence["lr_after"]
        0.75
    """
    y = curves.get(key)
    if y is None:
        return None
    for lr, cuts in _cuts(curves, y.size, CUT_FACTOR):
        for n, i in enumerate(int(c) for c in cuts):  # the first cut it fell after, while flat since epoch 1
            end = min(int(cuts[n + 1]) if n + 1 < cuts.size else y.size - 1, i - 1 + CUT_AFTER)
            if i < 4 or end <= i or not np.isfinite(y[1: end + 1]).all() or y[1] <= 0 or _warming(curves, i):
                continue
            best = np.minimum.accumulate(y[1: end + 1])  # from the second epoch: the first may average a blow-up
            before, after = best[0] - best[i - 2], best[i - 2] - best[-1]
            if before >= CUT_FLAT * y[1]:
                break  # it learned at the earlier rate
            if after < CUT_FELL * best[i - 2] or after < CUT_RATIO * before:
                continue
            floor = _no_skill_before(curves, y[:i], t)
            if floor is None:
                continue  # a plateau it reached by learning: the cut is a schedule's, not a rescue
            e, top = int(curves.epochs[i]), float(np.nanmax(lr[:i]))
            rates = f"s {top:.4g} to {lr[i - 1]:.4g}" if top > lr[i - 1] else f" {top:.4g}"
            ev = {"epoch": e, "lr_before": float(lr[i - 1]), "lr_after": float(lr[i]), "no_skill_level": floor,
                  "loss_before_cut": float(best[i - 2]), "loss_after_cut": float(best[-1]), "curve": key}
            return Finding("lr_too_high", "warning", [int(curves.epochs[0]), span[1]], ev,
                           f"The training {key} sat at the no-skill level ({floor:.4g}) at learning rate{rates} "
                           f"(its best fell {before:.4g} from epoch {int(curves.epochs[1])} to "
                           f"{int(curves.epochs[i - 1])}, to {best[i - 2]:.4g}) and fell only once the rate was cut to "
                           f"{lr[i]:.4g} at epoch {e} (to {best[-1]:.4g} by epoch {int(curves.epochs[end])}): the rate "
                           f"before the cut was too high for this model. Start at the rate that worked.",
                           remedies_for("lr_too_high"))
    return None


def _no_skill_before(curves: Curves, y: np.ndarray, t) -> float | None:
    """The no-skill level the curve ``y`` (the epochs before a cut) sat at: ln k with an accuracy at chance
    (:func:`~fitwatch.diagnosis.checks.chance.at_chance`; training's accuracy, else validation's), or the
    level the run states (its ``baseline``, else ln ``classes``) when its median from the second epoch is at it
    or above; else None."""
    classes = curves.context.get("classes")
    baseline = curves.context.get("baseline") or (math.log(classes) if classes else None)
    if baseline and float(np.median(y[1:])) >= baseline * (1 - t.no_skill_margin):
        return float(baseline)
    acc = curves.get("accuracy")
    acc = curves.get("val_accuracy") if acc is None else acc
    return at_chance(y[1:], acc[1: y.size], t, classes) if acc is not None else None


def warming_at_end(curves: Curves) -> tuple[float, float] | None:
    """``(first, last)`` of a logged learning rate still warming up at the end: rising at every epoch from its first
    positive value, its last value above every earlier one, twice its first or more, and above its value 3 epochs
    before (a warm-up longer than the run: a seventh
    trial's Trainer run at 12 % of its configured peak, whose loss was speeding up); else None. Example:
        >>> warming_at_end(Curves(np.arange(6), {"loss": [1.0] * 6, "lr": [1e-5, 2e-5, 3e-5, 4e-5, 5e-5, 6e-5]}))
        (1e-05, 6e-05)
    """
    for name, lr in curves.series.items():
        if not LR_KEY.match(name) or not np.isfinite(lr).all():
            continue
        lr = lr[np.argmax(lr > 0):] if (lr > 0).any() else lr[:0]  # a warm-up from 0 logged at the epoch's start
        # rising at every step (a cyclic schedule falls between its peaks), its last value above every earlier one
        # (a warm-up that peaked and held; a cycle ending on a peak it reached before: an attack)
        if lr.size >= 4 and np.all(np.diff(lr) >= 0) and lr[-1] > 1.001 * lr[:-1].max() and lr[-1] >= 2 * lr[0] \
                and lr[-1] > 1.01 * lr[-4]:
            return float(lr[0]), float(lr[-1])
    return None


def _warming(curves: Curves, i: int) -> bool:
    """A logged learning rate (of any parameter group) that rose before index ``i``: a warm-up, whose rising
    rate, not the cut, may be what the loss answered (YOLO's bias group falls 0.08 -> 0.01 while the weights'
    rate rises 0.002 -> 0.01)."""
    for name, lr in curves.series.items():
        if LR_KEY.match(name) and lr.size > i:
            with np.errstate(invalid="ignore"):
                if np.nan_to_num(lr[1: i + 1] > 1.01 * np.fmax.accumulate(lr[:i]), nan=0.0).any():
                    return True
    return False


def weigh_cut(curves: Curves, span, key: str, findings: list, t=DEFAULT) -> None:
    """Add :func:`learned_after_cut`'s ``lr_too_high`` to ``findings`` (in place of another ``lr_too_high``:
    it names the evidence) and drop an ``lr_too_low``, which its cut contradicts."""
    cut = learned_after_cut(curves, span, key, t)
    if cut is not None:
        findings[:] = [f for f in findings if f.code not in ("lr_too_low", "lr_too_high")] + [cut]


def rate_too_small(curves: Curves, span, verdict: str, findings: list) -> None:
    """``lr_too_low`` beside a run that did not learn, when its logged learning rate never rose above
    :data:`~fitwatch.diagnosis.evidence.TINY_LR` (a Trainer at 1e-7: validation identical to 6 digits for 10
    epochs; a fifth trial found no word of the rate), unless a finding says so already. Not beside a loss that
    moved: DPO and large fine-tunes train at 1e-7 to 5e-7 (an attack)."""
    peak = tiny_lr(curves)
    if peak is None or verdict != "not_learning" \
            or any(f.code == "lr_too_low" for f in findings):
        return
    findings.append(Finding("lr_too_low", "warning", span, {"lr_peak": peak},
                            f"The logged learning rate never rose above {peak:.3g}: far too small to move a model "
                            f"in {len(curves)} epochs.", remedies_for("lr_too_low")))


def held_by_schedule(findings: list) -> None:
    """An ``underfitting`` verdict beside ``lr_decayed_early`` does not say the model cannot fit: the rate was cut
    while the curve still fell, and the crawl after the cut may be the schedule's (a fifth trial: StepLR's two
    early cuts froze a digits MLP at 82 % of ln 10, "the model cannot fit the data better as it is")."""
    if not any(f.code == "lr_decayed_early" for f in findings):
        return
    if findings[0].code == "underfitting":
        findings[0].message = findings[0].message.replace(
            ": the model cannot fit the data better as it is.", ": the learning rate was cut while it still fell "
            "(below), and a schedule that decays too early holds a loss there as surely as a model too small.")
    for f in findings:  # decay later (stretch the schedule) first, beside a larger model (an attack: 3 units)
        if f.code in ("underfitting", "plateau") and CATALOGUE["lr_restart"] not in f.remedies:
            f.remedies = [CATALOGUE["lr_restart"], *f.remedies]
