"""Not learning: the loss hardly fell, or fell no lower than a classifier's no-skill level
(``ln k`` for ``k`` classes); with ``lr_too_low`` when the curve is smooth but flat.

Thresholds (:mod:`fitwatch.diagnosis.thresholds`): ``learn_drop`` (the relative drop that counts as
learning), ``noise_k`` (a drop must beat the curve's own noise), ``no_skill_margin`` (how far below
``ln k`` a cross-entropy must get).
"""

from __future__ import annotations

import math

import numpy as np

from fitwatch.diagnosis.checks.chance import (accuracy_rose, clearly, collapsed, falling_to_chance, first_skill,
                                               fmt_ratio, fraction, frozen_from, never_above_chance, one_class_guess,
                                               one_class_message, toward_chance, worse_than_prior)
from fitwatch.diagnosis.checks import rate
from fitwatch.diagnosis.checks.context import Context, Verdict, primary
from fitwatch.diagnosis.checks.instability import lr_high
from fitwatch.diagnosis.checks.progress import falling_to_the_end
from fitwatch.diagnosis.evidence import STARTED_HIGH, climbed_steadily, sits_above_chance, spiked, started_high
from fitwatch.diagnosis.findings import Finding
from fitwatch.diagnosis.remedies import remedies_for


def val_never_left_chance(ctx: Context, far: bool = False) -> float | None:
    """ln k when validation's accuracy never left chance nor rose and its loss started at ln k
    (:func:`~fitwatch.diagnosis.checks.chance.no_skill`) or far above the ln k the accuracies say
    (:func:`~fitwatch.diagnosis.checks.chance.falling_to_chance`; only that with ``far``), never ``no_skill_margin``
    below it: nothing learned generalises, whatever training did; else None. Unlike ``at_chance``, the loss may end far
    above ln k: a model memorising shuffled labels grows sure of wrong answers (2.31 -> 2.92 at 10 % accuracy)."""
    cv, t = ctx.cv, ctx.t
    if cv is None or ctx.vacc is None or ctx.stated_floor:
        return None
    floor = ctx.once("falling_to_chance", lambda: falling_to_chance(cv.y, ctx.vacc, t, ctx.acc))  # (read twice)
    if far or floor is not None:
        return floor
    floor = ctx.no_skill(cv.start)
    if floor is None or float(np.nanmin(cv.y)) <= floor * (1 - t.no_skill_margin):  # raw: its best epoch
        return None
    return floor if never_above_chance(ctx.vacc, floor, t) and not accuracy_rose(ctx.vacc, t) else None


def _never_beat_stated(ctx: Context) -> float | None:
    """The no-skill level the run states (``baseline``, ``classes``) when validation's best (raw) never got
    ``no_skill_margin`` below it: nothing learned generalises, whatever training did (a new user's trial,
    a target independent of the inputs, validation MSE at best 4.674 against a stated 4.7, was
    ``overfitting`` and told to keep its best epoch's weights); else None."""
    cv = ctx.cv
    if cv is None or not ctx.stated_floor or cv.n < ctx.t.min_epochs:
        return None
    floor = ctx.no_skill(cv.start)
    if floor and _on_its_way(ctx, cv, floor):
        return None
    return floor if floor and float(np.nanmin(cv.y)) > floor * (1 - ctx.t.no_skill_margin) else None


def _above(a: float, b: float) -> str:
    """How far ``a`` is above ``b``, in words. Example:
        >>> _above(3.184, 2.894), _above(8.237, 4.033), _above(-0.5, -1.0)
        ('10% above', 'at 2 times', '0.5 above')
    """
    return (f"at {fmt_ratio(a / b)} times" if b > 0 and a >= 2 * b else f"{100 * (a / b - 1):.0f}% above" if b > 0
            else f"{a - b:.4g} above")


def _on_its_way(ctx: Context, c, floor: float) -> bool:
    """A curve still on its way down from far above the no-skill level (``STARTED_HIGH`` times it at its start, falling
    at each of its last epochs, its last value still ``chance_loss_above`` above the level): a regression whose targets
    are far from the outputs' scale starts at many times the level and learns towards it, not stuck there (a ninth
    trial's, 15 times it and still falling 20 % in ten epochs, was told it learned nothing and to check its data
    pipeline); one that has come down to the level has arrived there. A regression's only: beside an accuracy the
    accuracy says whether it learned (an attack's shuffled labels, loss 15 times ln k falling to 5 times, accuracy at
    chance all run, had become "train longer")."""
    t = ctx.t
    return bool(ctx.acc is None and ctx.vacc is None and c.y[0] > STARTED_HIGH * floor > 0
                and c.y[-1] > (1 + t.chance_loss_above) * floor and falling_to_the_end(c, t))


def _at_floor(ctx: Context, floor: float, low: float) -> str:
    """How the message names the no-skill level: the one the run stated, or ln k guessed, and how far above it the curve's
    ``low`` stayed (an attack: "stuck at the no-skill level ln(8) = 2.079" of a loss at best 2.258)."""
    k, above = int(round(math.exp(floor))), low / floor - 1 if floor > 0 else 0.0
    at = "at " if above <= ctx.t.no_skill_margin else f"{_above(low, floor)} "  # (3.2 times a stated level was "at")
    if ctx.stated_floor and k >= 2 and abs(math.log(k) - floor) < 1e-9:  # ln of the class count known
        return f", {at}the no-skill level of its {k} classes, ln({k}) = {floor:.4g}" + (
            ": predicting without skill." if above <= ctx.t.no_skill_margin else ".")
    if ctx.stated_floor:
        return f", {at}the no-skill level the run states ({floor:.4g}" + (
            ": predicting without skill)." if above <= ctx.t.no_skill_margin else ").")
    return f", stuck {at}the no-skill level ln({k}) = {floor:.4g}."


def _fell(c, t, short_counts: bool = False) -> bool:
    """The curve's lowest value is ``learn_drop`` of its start below it, beyond its noise, and below
    its first value (a curve that jumped up after its first epoch and came only part of the way
    back did not fall). With ``short_counts``, a curve of 4 epochs or fewer needs no noise test:
    its 2-3 steps cannot tell its noise from its curvature."""
    return (c.drop >= t.learn_drop * abs(c.start)
            and (c.drop > t.noise_k * c.sigma or short_counts and c.n < 5)
            and c.y[0] - float(c.y.min()) >= t.learn_drop * abs(c.y[0]))


def _learned(ctx: Context) -> tuple[bool, dict, bool, float | None, float | None]:
    """Whether the run learned anything that counts, the curves' relative drops, whether the
    validation loss is identical at every evaluation, a frozen validation accuracy (or None), and
    ln k when validation sat at chance while the training loss fell (or None)."""
    t, no_skill_level = ctx.t, ctx.no_skill
    learned = False
    drops = {}
    for name, c in (("loss", ctx.cl), ("val_loss", ctx.cv)):
        if c is None:
            continue
        rel = c.drop / abs(c.start) if c.start else 0.0
        drops[name] = rel
        floor = no_skill_level(c.start)
        stuck_at_chance = (floor is not None and c.min > floor * (1 - t.no_skill_margin) and not _on_its_way(ctx, c, floor)
                           or ctx.chance.get(name) is not None)
        if c.start and _fell(c, t, short_counts=True) and not stuck_at_chance:
            learned = True
    # a validation curve that never fell beyond its noise below where it started, beside a training
    # loss that fell only a little: nothing learned shows where it counts
    cv = ctx.cv
    if learned and cv is not None and ctx.cl is not None and cv.n >= t.min_epochs \
            and drops.get("loss", 1.0) < t.train_moved and not _fell(cv, t, short_counts=True):
        learned = False
    # a validation curve at chance (its accuracy says so) that never got below ln k: whatever the
    # training curve learned does not generalise at all
    # (a validation loss that got below ln k while its accuracy rose clearly from its start did learn
    # something: an overfitting binary classifier's accuracy of 0.61 and loss back above ln 2)
    val_chance = None
    if ctx.cv is not None and "val_loss" in ctx.chance and (
            ctx.cv.min > ctx.chance["val_loss"] * (1 - t.no_skill_margin)
            or never_above_chance(ctx.vacc, ctx.chance["val_loss"], t) and not accuracy_rose(ctx.vacc, t)):
        learned, val_chance = False, ctx.chance["val_loss"]
    # ...or that started at ln k, never got below it, and rose far above it, its accuracy at chance
    # throughout: a model memorising its training labels (shuffled ones) grows sure of wrong answers
    val_chance = val_chance or val_never_left_chance(ctx) or _never_beat_stated(ctx)
    if val_chance is not None:
        learned = False
    if not learned and not ctx.chance:  # an accuracy that rose says it learned, whatever a noisy loss says
        learned = any(accuracy_rose(a, t) for a in (ctx.acc, ctx.vacc)) \
            or (cv is not None and first_skill(ctx, by_accuracy=False))  # (an AUC with skill from the start)
    # a validation loss identical at every evaluation (5 or more): the model's outputs on it never
    # changed (or the evaluation does not see the model), whatever training did
    val_fixed = cv is not None and cv.n >= 5 and float(np.ptp(cv.y)) <= 1e-6 * max(abs(float(cv.y[0])), 1e-12)
    if val_fixed:
        learned = False
    one_class = one_class_guess(ctx)
    if one_class is not None:
        learned = False
    # memorised: training went below the no-skill level validation sits at (a training loss that fell
    # from a first-epoch blow-up to ln k learned nothing either: lr far too high)
    memorised = val_chance if (ctx.cl is not None and _fell(ctx.cl, t) and "loss" not in ctx.chance and val_chance
                               and (ctx.vacc is not None or ctx.stated_floor)  # its accuracy at chance, or a stated level
                               and ctx.cl.min < val_chance * (1 - t.no_skill_margin)) else None
    return learned, drops, val_fixed, one_class, memorised


def _frozen_since(acc: np.ndarray, Ek) -> int | None:
    """The epoch from which ``acc`` held its last value (to 1e-4) to the end, or None when it held it
    at every epoch."""
    k = frozen_from(fraction(acc[np.isfinite(acc)]))
    return None if k == 0 else Ek(k)


def _floor_evidence(ctx: Context, c, chance: float | None, ev: dict) -> float | None:
    """The no-skill level the judged curve ``c`` is read against (the run's stated one, ln k guessed
    from its start, or ln k of an accuracy at ``chance``), added to ``ev`` with the class count and
    chance accuracy it implies; None when there is none."""
    floor = ctx.no_skill(c.start) if chance is None or ctx.stated_floor else chance
    if floor is not None:
        ev["no_skill_level"] = floor
        if not ctx.stated_floor:
            ev["classes_guess"] = int(round(math.exp(floor)))
        if chance is not None:
            ev["chance_accuracy"] = round(1.0 / ev.get("classes_guess", round(math.exp(chance))), 5)
    return floor


def not_learning(ctx: Context) -> Verdict | None:
    """Neither curve fell by ``learn_drop`` of its start and beyond its noise (or it stayed at the
    no-skill level, its accuracy never moved or never left chance, or validation never changed)."""
    t, span, cv = ctx.t, ctx.span, ctx.cv
    learned, drops, val_fixed, one_class, memorised = _learned(ctx)
    r2 = ctx.r2[np.isfinite(ctx.r2)] if ctx.r2 is not None else None
    # (an R² below diverged_r2 beside a loss that learned measures something else: it is no evidence)
    no_skill_r2 = (r2 is not None and r2.size >= t.min_epochs  # (the judged R² itself: never above the mean's, 0)
                   and float(r2.max()) < (0.0 if ctx.r2_judged else t.no_skill_r2)
                   and not (learned and float(r2.min()) < t.diverged_r2))
    if learned and not no_skill_r2:
        return None
    alone = one_class is None and not val_fixed and not no_skill_r2  # (those say more of the run than validation's level)
    if alone and (memorised or (far := val_never_left_chance(ctx, far=True))):
        return Verdict("not_learning", _memorised(ctx, memorised, drops) if memorised else toward_chance(ctx, far, drops))
    c = ctx.cl or ctx.cv
    if c is ctx.cv and climbed_steadily(c.y) and spiked(c.y, t.end_above_start):  # (validation alone)
        return Verdict("not_learning", _climbed(ctx, c, drops))  # sure of wrong answers, not a jump
    start, low = float(c.y[0]), float(np.nanmin(c.y))  # raw, as logged and as the message states them
    ev = {"relative_drop": {k: round(v, 5) for k, v in drops.items()}, "start": start, "lowest": low,
          "smoothed_start": c.start, "smoothed_lowest": c.min, "noise": c.sigma}
    # the training loss without an accuracy of its own: the class count validation's accuracy at chance gives
    chance = ctx.chance.get("loss" if c is ctx.cl else "val_loss") or ctx.chance.get("val_loss")
    floor = _floor_evidence(ctx, c, chance, ev)
    smooth = c.sigma < 0.01 * abs(c.start) if c.start else True
    jump = spiked(c.y, t.end_above_start)
    # a classifier at chance whose first epoch averaged far above ln k: it blew up in that epoch (an
    # untrained one starts at ln k), then sat at chance
    blew = not jump and c is ctx.cl and chance is not None and not ctx.penalty and started_high(c.y, chance)
    # a classifier at chance whose loss never came down from far above ln k: it blew up in its first epoch
    above = None if jump or blew or c is not ctx.cl else sits_above_chance(c.y, ctx.acc, t.chance_acc_high, one_class)
    # it fell a lot, to no better than no skill (or fell as it learns, beside an R² at the mean's: it fits noise)
    fell = max(drops.values(), default=0) >= 0.5 or (no_skill_r2 and learned)
    val_jumped, overshoot = rate.overshoot(ctx, c, floor, jump or blew, fell)
    lost = None if jump or blew or above is not None else _lost_accuracy(ctx, floor)
    # a loss that fell a long way (to no better than no skill) moved: not a learning rate too small
    way, first = rate.direction(ctx, c, jump or blew or overshoot, fell, smooth)
    if no_skill_r2:
        ev["best_r2"] = float(r2.max())
    if val_fixed:
        ev["constant_val_loss"] = float(cv.y[0])
    if one_class is not None:
        ev["frozen_val_accuracy"] = one_class
        # worse than the class prior's constant guess: steps too large first; else after the data (dead units, lr 3),
        # unless the loss never left its start or creeps: a rate far too small (an attack's SGD at 1e-6 was told to
        # lower it), which the data and the classes' balance come before
        worse = worse_than_prior(one_class, low)
        way = "" if worse else way
        first = (["lr_down"] if worse else []) + ["class_balance", "check_data", "lr_up" if way == "low" else "lr_down"]
    if jump:
        top = int(np.argmax(c.y))
        ev.update(first_value=float(c.y[0]), peak=float(c.y[top]), peak_epoch=ctx.Ek(top))
    finding = primary(
        "not_learning", span, ev, _what_it_did(ctx, c, ev, jump, val_jumped, fell, floor)
        + (_at_floor(ctx, floor, _lowest_after_jump(ctx.cv) if val_jumped else low) if floor is not None else ".")
        + (f" R\u00b2 never rose above {ev['best_r2']:.3f}: the model predicts no better than the mean of the "
           f"targets." if no_skill_r2 else ""),
        # a loss that fell a long way moved under its optimizer: the rate, the updates and the
        # initialisation let it fall (a regression down 72 % to its target's variance was told to raise it)
        remedies_for("not_learning", first=first,
                     drop=("lr_up", "optimizer_state", "init", "relu") if fell and not (jump or blew) else
                     ("lr_up",) if overshoot or way == "stalled" else ("lr_down",) if way == "low" else ()))
    if one_class is not None and not jump:  # the accuracy says what the loss's fall was worth
        finding.message = one_class_message(one_class, ctx.acc is not None, start, low, _frozen_since(ctx.vacc, ctx.Ek))
    if val_fixed:  # the one thing to say: the judged curve never moved
        finding.message = (f"The validation loss is {cv.y[0]:.6g} at every one of its {cv.n} evaluations: the model's "
                           f"outputs on the validation data never changed (or the evaluation does not use the "
                           f"trained model), whatever the training loss did.")
        finding.remedies = remedies_for("not_learning", first=["check_data", "optimizer_state"], drop=("lr_up",))
        if _saturated(ctx, finding):
            return Verdict("not_learning", finding, [lr_high(span, ev)])
    if blew and one_class is None and not val_fixed:
        _blew_in_epoch_0(finding, c, chance)
    if lost is not None and not val_fixed:  # (a constant output predicts one class: one_class says which share)
        _lost(finding, c, ctx, floor, *lost, one_class)
        return Verdict("not_learning", finding)
    if above is not None:  # what a frozen accuracy or a constant validation loss shows: the blow-up's outputs
        _blown_above(finding, c, ctx, above)
    if jump or blew or overshoot or above is not None:  # a step too large threw the model out of its starting basin: not a learning rate too small
        ev["overshoot"] = overshoot
        return Verdict("not_learning", finding, [lr_high(span, ev)])
    # (a model guessing one class, or validation fixed, have their own cause)
    return Verdict("not_learning", finding, rate.said(way, finding, c) if one_class is None and not val_fixed else [])


def _saturated(ctx: Context, finding: Finding) -> bool:
    """A validation loss fixed from its first evaluation at more than ``STARTED_HIGH`` times the no-skill level the
    run gives (its classes or baseline; a booster's binary log loss: ln 2): the first step threw the outputs to saturated, wrong values
    (a fifth trial: XGBoost at eta 20, 9.29 at every round, was told to check its data and its optimizer calls).
    Says so in ``finding`` and puts "lower the learning rate" first; False otherwise."""
    cv = ctx.cv
    no_skill = ctx.no_skill(cv.start)  # (a level guessed from the start is about the start: never 1.5 times under it)
    if not no_skill or cv.y[0] <= STARTED_HIGH * no_skill:
        return False
    finding.message += (f" It sits at {fmt_ratio(cv.y[0] / no_skill)} times the no-skill level ({no_skill:.4g}) from "
                        f"the first evaluation on: the first step threw the outputs to saturated, wrong values they "
                        f"never left (a learning rate far too high).")
    finding.remedies = remedies_for("not_learning", first=["lr_down", "check_data"], drop=("lr_up",))
    return True


def _what_it_did(ctx: Context, c, ev: dict, jump: bool, val_jumped: bool, fell: bool, floor: float | None) -> str:
    """The not_learning message's first sentence, without its end: what the judged curve ``c`` did, its
    values as logged; the drop it quotes is its own (it quoted the training loss's values with
    validation's drop: "fell from 1.403 to at best 1.403 (49.4% lower)")."""
    t, start, low = ctx.t, ev["start"], ev["lowest"]
    quoted = (1 - low / start) if start > 0 and low <= start else 0.0
    if jump:  # (one that went below its start after the jump swings: round 16's tune half, 89.6 -> 1063 -> -2.8)
        low = float(np.nanmin(c.y))
        return (f"The loss jumped from {c.y[0]:.4g} to {ev['peak']:.4g} at epoch {ev['peak_epoch']} and "
                + (f"never came back below where it started (at best {low:.4g})" if low >= float(c.y[0]) else
                   f"kept swinging, between {low:.4g} and {ev['peak']:.4g}, without settling"))
    if val_jumped:
        return _lost_it(ctx.cv, ctx.Ek)
    if fell:
        return f"The loss fell from {start:.4g} to {low:.4g} but learned nothing that counts"
    if quoted >= t.learn_drop and floor is None:
        return (f"The loss fell from {start:.4g} to at best {low:.4g} ({100 * quoted:.1f}% lower), no more than its "
                f"own epoch-to-epoch noise ({t.noise_k:g} x {c.sigma:.3g})")
    return f"The loss hardly moved: from {start:.4g} to at best {low:.4g} ({100 * quoted:.1f}% lower)"


def _lowest_after_jump(cv) -> float:
    """A validation curve's lowest value from its highest on: where :func:`_lost_it` says it stayed, and how far above
    no skill the message measures (an attack's "stuck at the no-skill level ln(5) = 1.609" quoted training's first
    epoch, 1.534, beside a sentence about validation ending at 1.798)."""
    return float(np.nanmin(cv.y[int(np.nanargmax(cv.y)):]))


def _lost_it(cv, Ek) -> str:
    """What a validation curve that jumped far above its first value says: the first epochs learned,
    the steps after lost it."""
    top = int(np.nanargmax(cv.y))
    return (f"Validation loss jumped from {cv.y[0]:.4g} to {cv.y[top]:.4g} at epoch {Ek(top)} and ends at "
            f"{cv.y[-1]:.4g}, far above where it started: what the first epochs learned was lost, and the loss "
            f"never came back")


def _memorised(ctx: Context, floor: float, drops: dict) -> Finding:
    """The training loss fell while validation stayed at chance (its loss never below ln k, its
    accuracy never above chance): the model memorised its training set, and nothing it learned
    generalises. The labels (shuffled, misaligned) or a validation set from another distribution are
    the suspects; not the learning rate, which moved the training loss well enough."""
    cl, cv = ctx.cl, ctx.cv
    if ctx.vacc is None:  # a regression (or no accuracy) against the no-skill level the run states
        return _memorised_stated(ctx, floor, drops)
    k = int(round(math.exp(floor)))
    va = fraction(ctx.vacc[np.isfinite(ctx.vacc)])
    ev = {"relative_drop": {n: round(v, 5) for n, v in drops.items()}, "start": float(cl.y[0]),
          "lowest": float(np.nanmin(cl.y)), "val_lowest": float(np.nanmin(cv.y)), "val_end": float(cv.y[-1]),
          "no_skill_level": floor, "classes_guess": k, "chance_accuracy": round(1.0 / k, 5),
          "best_val_accuracy": float(va.max())}
    msg = (f"The training loss fell from {ev['start']:.4g} to {ev['lowest']:.4g}, but the validation loss never got "
           f"{clearly(ev['val_lowest'], floor)}below the no-skill level ln({k}) = {floor:.4g} (at best "
           f"{ev['val_lowest']:.4g}, {ev['val_end']:.4g} at the end) and validation accuracy stayed at chance (at most "
           f"{ev['best_val_accuracy']:.3g}; chance {1 / k:.3g}): the model memorised its training set and learned "
           f"nothing that generalises. Training labels that are shuffled or misaligned with their inputs look like "
           f"this, and so does a training set too small to learn anything general from.")
    # the optimizer, the initialisation, the activations and the inputs' scale let training fall
    return primary("not_learning", ctx.span, ev, msg,
                   remedies_for("not_learning", first=["check_data", "more_data"],
                                drop=("lr_up", "optimizer_state", "init", "relu", "normalise_inputs", "class_balance")))


def _climbed(ctx: Context, c, drops: dict) -> Finding:
    """Validation alone that never fell clearly below its start, then climbed a little at nearly every epoch
    (:func:`~fitwatch.diagnosis.evidence.climbed_steadily`): a model growing sure of answers that do not
    generalise, not a blow-up and not a rate too small."""
    low, top = int(np.argmin(c.y)), c.n - 1
    ev = {"relative_drop": {n: round(v, 5) for n, v in drops.items()}, "start": float(c.y[0]),
          "lowest": float(c.y[low]), "lowest_epoch": ctx.Ek(low), "end": float(c.y[top])}
    msg = (f"Validation loss never got clearly below where it started ({c.y[0]:.4g}; at best {c.y[low]:.4g} at epoch "
           f"{ctx.Ek(low)}), then climbed at nearly every epoch to {c.y[top]:.4g} at epoch {ctx.Ek(top)}: the model grows "
           f"sure of answers that do not generalise. A model memorising a training set too small to learn anything "
           f"general from, or labels shuffled or misaligned with their inputs, does this (no training loss was logged "
           f"to show it fitting its training set); a steady climb is not a blow-up.")
    return primary("not_learning", ctx.span, ev, msg,
                   remedies_for("not_learning", first=["more_data", "check_data", "early_stopping"],
                                drop=("lr_up", "lr_down", "optimizer_state", "init", "relu")))


def _memorised_stated(ctx: Context, floor: float, drops: dict) -> Finding:
    """:func:`_memorised` without an accuracy: the training loss fell below the no-skill level the run
    states while validation never got below it."""
    cl, cv = ctx.cl, ctx.cv
    ev = {"relative_drop": {n: round(v, 5) for n, v in drops.items()}, "start": float(cl.y[0]),
          "lowest": float(np.nanmin(cl.y)), "val_lowest": float(np.nanmin(cv.y)), "val_end": float(cv.y[-1]),
          "no_skill_level": floor}
    msg = (f"The training loss fell from {ev['start']:.4g} to {ev['lowest']:.4g}, but the validation loss never got "
           f"{clearly(ev['val_lowest'], floor)}below the no-skill level the run states ({floor:.4g}; at best {ev['val_lowest']:.4g}, {ev['val_end']:.4g} "
           f"at the end): the model fits its training set and learned nothing that generalises. Inputs that carry no "
           f"signal about the target, or targets misaligned with their inputs, look like this.")
    return primary("not_learning", ctx.span, ev, msg,
                   remedies_for("not_learning", first=["check_data", "more_data"],
                                drop=("lr_up", "optimizer_state", "init", "relu", "class_balance")))


def _blew_in_epoch_0(finding: Finding, c, chance: float) -> None:
    """The not_learning finding of a classifier at chance whose first epoch averaged far above ln k."""
    finding.evidence["first_value"] = float(c.y[0])
    finding.message = (f"The first epoch's mean loss, {c.y[0]:.4g}, is {fmt_ratio(c.y[0] / chance)} times the no-skill "
                       f"level ln({int(round(math.exp(chance)))}) = {chance:.4g}, where an untrained classifier "
                       f"starts: the loss blew up during that epoch (or the initial outputs were far too large), and it has sat "
                       + (f"above the no-skill level since (at best {c.min:.4g}: worse than predicting each class's "
                          f"share)" if c.min > 1.02 * chance else f"at the no-skill level since (at best {c.min:.4g})")
                       + ", its accuracy at chance.")
    finding.remedies = remedies_for("not_learning", first=["lr_down", "init"], drop=("lr_up",))


def _lost_accuracy(ctx: Context, floor: float | None) -> tuple[str, tuple[float, int, int]] | None:
    """Which accuracy (``"validation"``, else ``"training"``) rose clearly above chance, then fell
    back to it for good (:func:`~fitwatch.diagnosis.checks.chance.collapsed`), and how; else None."""
    if floor is None:
        return None
    return next(((name, f) for name, a in (("validation", ctx.vacc), ("training", ctx.acc))
                 if (f := collapsed(a, floor, ctx.t)) is not None), None)


def _lost(finding: Finding, c, ctx: Context, floor: float, which: str, fall: tuple[float, int, int],
          one_class: float | None) -> None:
    """The not_learning finding of a run whose accuracy rose above chance, then fell back to it for
    good (:func:`collapsed`): the message says so; a weight decay too strong (or a learning rate
    too high) leads the remedies, never a larger learning rate."""
    peak, top, since = fall
    k = int(round(math.exp(floor)))
    finding.evidence.update(peak_accuracy=peak, peak_accuracy_epoch=ctx.Ek(top), back_at_chance_epoch=ctx.Ek(since),
                            end=float(c.y[-1]))
    finding.message = (
        f"The {which} accuracy reached {peak:.3g} at epoch {ctx.Ek(top)} (chance 1/{k} = {1 / k:.3g}), then fell back "
        f"to chance by epoch {ctx.Ek(since)} and stayed there, the loss back at the no-skill level ln({k}) = "
        f"{floor:.4g} ({float(c.y[-1]):.4g} at the end)"
        + (f", its accuracy frozen at {one_class:.4g} (one class predicted for every input)" if one_class else "")
        + f": the model learned, then lost it all. {ctx.why_collapsed()}")
    if ctx.unregularised:  # (evidence collapsed_unregularised: the learning rate leads)
        finding.evidence["regularisation"] = ctx.unregularised
    finding.remedies = remedies_for("not_learning", first=ctx.collapse_remedies(), drop=("lr_up",))


def _blown_above(finding: Finding, c, ctx: Context, floor: float) -> None:
    """The not_learning finding of a training loss that sat far above the no-skill level ``floor`` = ln k
    from its first epoch, its accuracy at chance (:func:`fitwatch.diagnosis.evidence.sits_above_chance`):
    the message names the blow-up, a learning rate far too high leads the remedies."""
    k = int(round(math.exp(floor)))
    ev = finding.evidence
    ev.update(first_value=float(c.y[0]), no_skill_level=floor, classes_guess=k, chance_accuracy=round(1.0 / k, 5),
              times_no_skill=float(np.min(c.y)) / floor)
    cv = ctx.cv
    fixed = cv is not None and cv.n >= 2 and float(np.ptp(cv.y)) <= 1e-6 * max(abs(float(cv.y[0])), 1e-12)
    finding.message = (
        f"The training loss sits at {float(np.min(c.y)):.4g}-{float(np.max(c.y)):.4g} from its first epoch on, "
        f"{float(np.min(c.y)) / floor:.2g} times the no-skill level ln({k}) = {floor:.4g} where an untrained "
        f"classifier starts, its accuracy at chance (1/{k}): the loss blew up in the first epoch and never came "
        f"back (saturated outputs)" + (f"; the validation loss is {cv.y[0]:.6g} at every evaluation, the outputs "
                                       f"frozen since." if fixed else "."))
    finding.remedies = remedies_for("not_learning", first=["lr_down", "normalise_inputs", "init"],
                                    drop=("lr_up", "class_balance"))


#: a first validation under this share of the no-skill level the run states came after learning (docs/diagnosis.md)
LEARNED_BELOW = 0.25


def gained_nothing(ctx: Context) -> Verdict | None:
    """Read after overfitting and still_improving, before the fit is judged: the training loss fell by
    ``train_moved`` or more over the epochs validation watched (5 evaluations or more), while the
    validation loss never fell beyond its noise and ends (smoothed, and its last value) within
    ``learn_drop`` of its first value: ``not_learning``, nothing learned generalises. Neither a
    turn up (overfitting) nor a plateau: validation is where it started (issue 11's tuning half: a
    test loss 0.0132 at its first epoch and its last, wandering between, while training fell
    0.035 -> 0.011, was good_fit). Training's fall before the first evaluation does not count: a
    model that learned before validation began (a run validated every 100 epochs) did learn, as did one whose first
    validation beat any constant guess (``beats_any_guess``: a logistic regression on moons, at 87 % from its first
    epoch to its last, was told to check its data pipeline)."""
    t, cl, cv = ctx.t, ctx.cl, ctx.cv
    if cl is None or cv is None or cv.n < 5:
        return None
    head = max(float(cl.s[0]), float(np.max(cl.y[:2])))  # training's start on the judged epochs
    if head <= 0 or (head - cl.min) / head < t.train_moved or _fell(cv, t, short_counts=True):
        return None
    first = float(cv.y[0])
    if min(cv.end, float(cv.y[-1])) < first - t.learn_drop * abs(first):
        return None
    if ctx.stated_floor and (floor := ctx.no_skill(cl.start) or 0) > 1.09 and 0 < first < LEARNED_BELOW * floor:
        return None  # (ln k of 3 classes or more: a binary run's prior entropy can sit far under ln 2)
    if first_skill(ctx):
        return None  # its first evaluation already beat any constant guess (or ranked with skill): it generalises
    low = float(np.nanmin(cl.y))  # raw, as logged (the test above reads the smoothed lowest)
    ev = {"val_first": first, "val_end": float(cv.y[-1]), "val_lowest": float(cv.y.min()), "noise": cv.sigma,
          "train_start": head, "train_lowest": low, "smoothed_train_lowest": cl.min,
          "train_relative_drop": (head - cl.min) / head}
    last = float(cv.y[-1])  # (one far above its start rose: "ends where it started" misread it)
    where = f"ends {_above(last, first) + ' ' if last > first + t.learn_drop * abs(first) else ''}where it started"
    msg = (f"The training loss fell from {head:.4g} to {low:.4g} while the validation loss {where} "
           f"({first:.4g} -> {last:.4g}), never lower than its noise allows (at best "
           f"{float(cv.y.min()):.4g}): what the model learned does not generalise.")
    return Verdict("not_learning", primary("not_learning", ctx.span, ev, msg,
                                           remedies_for("not_learning", first=["check_data", "more_data"],
                                                        drop=("lr_up",))))
