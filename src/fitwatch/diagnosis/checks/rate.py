"""Which way the learning rate points for a run not learning: a step too large (``overshoot``: validation
jumped and stayed, the training loss sits above the no-skill level the run states, or it climbed in its
first epoch and sat at chance after it), a step too small (the loss ``creeps``: down at nearly every epoch),
or neither (``stalled_at_once``: it moved in its first epoch, then stopped, which a rate too small does not
do). :func:`fitwatch.diagnosis.checks.learning.not_learning` orders its remedies by this, and says
``lr_too_low`` only beside a curve no step too large or early stall explains.

Thresholds: ``end_above_start``, ``no_skill_margin``, ``chance_loss_above`` and ``learn_drop``
(:mod:`fitwatch.diagnosis.thresholds`); :data:`CREEP_SHARE`, :data:`UNMOVED_NOISE`, :data:`AT_ONCE_LEVEL`,
:data:`AT_ONCE_STEPS` and :data:`LARGE_SCALE` here.
"""

from __future__ import annotations

import numpy as np

from fitwatch.diagnosis.checks.context import Context, median
from fitwatch.diagnosis.evidence import spiked
from fitwatch.diagnosis.findings import Finding
from fitwatch.diagnosis.remedies import remedies_for

#: a loss that went down at this share of its steps after the first, or more, creeps (a rate too small)
CREEP_SHARE = 0.8
#: a first value within this many times the median step after it of where the loss sat: it never moved
UNMOVED_NOISE = 3.0
#: a first step down by this share of the level after it, or more, ...
AT_ONCE_LEVEL = 0.01
#: ...and by this many times the median size of the steps after it, or more, moved the model at once
AT_ONCE_STEPS = 5.0


def creeps(y: np.ndarray) -> bool:
    """A loss (5 values or more) that went down, or held, at :data:`CREEP_SHARE` or more of its steps after
    the first and ends below its second value: the slow, one-way fall of steps too small to get anywhere,
    not the back-and-forth of steps too large (an attack's autoencoder at SGD 1e-4, 0.2418 -> 0.2389 at every
    epoch at 3.2 times the no-skill level its run stated, was told to lower the rate: "steps too large").

    Example:
        >>> creeps(np.array([2.3055, 2.3055, 2.3054, 2.3053, 2.3053, 2.3052, 2.3051]))
        True
        >>> creeps(np.array([2.486, 2.318, 2.312, 2.319, 2.312, 2.313, 2.320, 2.318]))
        False
    """
    return _judged(y) and bool(np.mean(np.diff(y[1:]) <= 0) >= CREEP_SHARE and y[-1] < y[1])


def unmoved(y: np.ndarray) -> bool:
    """A loss (5 values or more) whose first value is within :data:`UNMOVED_NOISE` times its epoch-to-epoch
    jitter (the median size of its steps after the first) of where it sat after it: the model never left where it
    started, which a rate far too small does (TaskSet's LSTMs at Adam rates of 1e-8 to 1e-5 sit within 0.1 % of
    their first value, jittering by batch noise, without creeping: :func:`creeps` alone lost all 3,463 of them).

    Example:
        >>> unmoved(np.array([0.6935, 0.6941, 0.6931, 0.6938, 0.6933, 0.6940, 0.6934]))
        True
        >>> unmoved(np.array([2.486, 2.318, 2.312, 2.319, 2.312, 2.313, 2.320, 2.318]))
        False
    """
    return _judged(y) and abs(float(y[0]) - float(median(y[1:]))) <= UNMOVED_NOISE * _step(y)


def stalled_at_once(y: np.ndarray) -> bool:
    """A loss whose first step took it down by :data:`AT_ONCE_LEVEL` of its level or more and by
    :data:`AT_ONCE_STEPS` times the median size of the steps after it or more, and that does not creep after
    it (:func:`creeps`): the rate moved the model at once, then it stopped. A rate too small creeps on from a
    first epoch near where the model starts; what stops a model that could move is the data (no signal the
    model can use, labels that do not match) or steps too large kicking it about (attacks: a CNN at Adam 0.1,
    2.486 then 2.31-2.32 at ln 10, and a transformer at Adam 0.05, 2.35 then 2.26, were told "smooth but flat:
    raise the learning rate").

    Example:
        >>> stalled_at_once(np.array([2.486, 2.318, 2.312, 2.319, 2.312, 2.313, 2.320, 2.318]))
        True
        >>> stalled_at_once(np.array([2.3055, 2.3055, 2.3054, 2.3053, 2.3053, 2.3052, 2.3051]))
        False
    """
    if not _judged(y) or creeps(y):
        return False
    first = float(y[0] - y[1])
    return first >= AT_ONCE_LEVEL * abs(float(y[1])) and first >= AT_ONCE_STEPS * _step(y)


def _judged(y: np.ndarray) -> bool:
    """5 values or more, all finite: enough for the shapes above."""
    return y.size >= 5 and bool(np.isfinite(y).all())


def _step(y: np.ndarray) -> float:
    """The median size of a loss's steps after its first: its epoch-to-epoch jitter once the first epoch is done."""
    return float(median(np.abs(np.diff(y[1:]))))


def direction(ctx: Context, c, steep: bool, fell: bool, smooth: bool) -> tuple[str, list[str]]:
    """Which way the rate of a run not learning points, and the remedies its finding leads with: ``"high"`` (a
    step too large: ``steep``, it jumped, blew up or overshot), ``"stalled"`` (:func:`stalled_at_once`: the data
    first, then a step too large), ``"low"`` (a smooth curve ``c`` that did not fall and creeps, validation with
    it: raise the rate), or ``""`` when nothing says (the data first). Training creeping while validation does
    not is memorising what does not transfer, and a flat loss that only jitters says nothing of the rate (an
    attack's BERT on random labels, at ln 2 all run at lr 5e-4, was told "a learning rate far too small")."""
    if steep:
        return "high", ["lr_down"]
    if not fell and stalled_at_once(c.y):
        return "stalled", ["check_data", "lr_down"]
    cv = ctx.cv
    if smooth and not fell and (unmoved(c.y) or creeps(c.y) and (c is cv or cv is None or cv.n < 5 or creeps(cv.y))):
        return "low", ["lr_up"]
    return "", ["check_data"]


def said(way: str, finding: Finding, c) -> list[Finding]:
    """What :func:`direction`'s ``way`` adds to a not-learning ``finding`` on its curve ``c`` (not a step too large,
    said by ``lr_too_high``): for a curve :func:`stalled_at_once`, a sentence on what stopped it; for one that
    creeps, ``lr_too_low``, returned."""
    if way == "stalled":
        finding.message += (f" Its first epoch took it from {c.y[0]:.4g} to {c.y[1]:.4g}, and it has gone nowhere "
                            f"since: a rate too small creeps on from where the model starts; one that moves at once, "
                            f"then stops, has run out of signal it can use (the data, the labels) or is kicked about "
                            f"by steps too large.")
    if way != "low":
        return []
    return [Finding("lr_too_low", "warning", finding.epochs, {"noise": c.sigma, "start": c.start},
                    "The curve is smooth but flat: a learning rate far too small is the usual cause.",
                    remedies_for("lr_too_low"))]


#: a loss without an accuracy whose first value is this or more: targets (or a reconstruction) far from unit scale
LARGE_SCALE = 100.0


def large_scale(ctx: Context) -> str:
    """What a slow, steady fall says beside a loss with no accuracy whose first training value is :data:`LARGE_SCALE`
    or more: targets far from unit scale, which a model reaches in a straight line at any usual rate, so normalising
    them comes before a larger rate (an attack's Keras regression on raw diabetes targets, variance about 5,900, was
    told only to raise the rate); "" otherwise."""
    c = ctx.cl or ctx.cv
    if ctx.acc is not None or ctx.vacc is not None or c is None or not np.isfinite(c.y[0]) or c.y[0] < LARGE_SCALE:
        return ""
    return (f" The loss started at {c.y[0]:.4g}: targets far from unit scale (a regression's in their raw units, "
            f"pixels in 0-255) are reached this slowly at any usual rate; standardise them first (and undo it on the "
            f"predictions).")


def overshoot(ctx: Context, c, floor: float | None, blown: bool, fell: bool) -> tuple[bool, bool]:
    """``(validation jumped, a step too large)`` of a run not learning (``c``: its judged curve; ``blown``:
    it jumped or blew up in epoch 0 already). A step too large, not too small: validation jumped
    ``end_above_start`` above where it started and stayed (a run that learned at its first epoch, then lost
    it: SGD at lr 0.5, validation 0.75 -> 1.93, accuracy 0.78 -> 0.29), or the training loss, not falling
    nor creeping (:func:`creeps`), sits above the no-skill level the run states, worse than a constant guess
    (batch 1 at lr 0.5: 2.41 over ln 10): a new user's trial was told "smooth but flat: raise the learning
    rate" for both. (A level guessed from an accuracy near 1/k can be ln 9 for ln 10: only a stated one
    counts. An untrained regressor or autoencoder starts above its target's variance: one creeping down from
    there is slow, not thrown about.)"""
    t = ctx.t
    val_jumped = not blown and ctx.cv is not None and c is not ctx.cv and spiked(ctx.cv.y, t.end_above_start)
    above = (not (blown or fell) and floor is not None and ctx.stated_floor and ctx.cl is not None
             and median(ctx.cl.y[ctx.cl.n // 2:]) > floor * (1 + t.no_skill_margin) and not creeps(ctx.cl.y))
    return val_jumped, val_jumped or above or (not (blown or fell) and floor is not None and dropped_then_sat(ctx, t))


def dropped_then_sat(ctx: Context, t) -> bool:
    """The training loss's first epoch averaged ``chance_loss_above`` or more over where it sat after it, and
    it did not fall after that (its later half not ``learn_drop`` below its earlier half): an untrained
    classifier starts at ln k, so the loss climbed during the first epoch, then sat at chance, kicked around
    by steps too large (a new user's Lightning SGD at lr 1.0: 2.69, then 2.31-2.43 at chance, was "smooth
    but flat: raise the learning rate"). A rate too small falls on, slowly, from a first epoch near ln k."""
    cl = ctx.cl
    if cl is None or cl.n < 5 or not np.isfinite(cl.y).all():
        return False
    rest = cl.y[1:]
    early, late = median(rest[: rest.size // 2]), median(rest[rest.size // 2:])
    return float(cl.y[0]) > (1 + t.chance_loss_above) * median(rest) and late > (1 - t.learn_drop) * early
