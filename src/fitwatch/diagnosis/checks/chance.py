"""A classifier at chance: the no-skill level ln k of a cross-entropy, and what an accuracy says
about it (at chance, frozen on one class, risen, or risen and then lost).

Thresholds (:mod:`fitwatch.diagnosis.thresholds`): ``no_skill_margin``, ``chance_loss_above``,
``chance_acc_low``, ``chance_acc_high``, ``learn_acc_rise`` and ``noise_k``.
"""

from __future__ import annotations

import math
import re

import numpy as np

from fitwatch.diagnosis.checks.context import median, noise, primary
from fitwatch.diagnosis.remedies import remedies_for


def no_skill(start: float) -> float | None:
    """ln(k) when a cross-entropy starts within 3% of ln(k) for some class count k, else None.

    Example:
        >>> round(no_skill(2.31), 4)    # ten classes: ln 10 = 2.3026
        2.3026
        >>> no_skill(0.2) is None
        True
    """
    if not (0.5 < start < 7.5):
        return None
    k = round(math.exp(start))
    if k >= 2 and abs(start - math.log(k)) < 0.03 * math.log(k):
        return math.log(k)
    return None


#: loss metrics a run names (``context loss_metric``) that are no cross-entropy (no ln k), or a binary one (ln 2)
_REGRESSION = {"mse", "rmse", "mae", "l1", "l2", "huber", "rmsle", "mape", "quantile", "poisson", "gamma", "tweedie"}
_BINARY = {"logloss", "binary_logloss", "binary"}


def _no_floor(start: float) -> None:
    """No no-skill level, whatever the start."""
    return None


def no_skill_level(curves, on_loss: bool, accs=()):
    """The no-skill level of a curve, as a function of its start: the run's stated ``baseline``,
    ln(``classes``), ln 2 for a binary log loss it names (``loss_metric``), else ln k guessed from a
    cross-entropy's start; none for a monitored metric that is not a loss or a regression loss it names."""
    if not on_loss or str(curves.context.get("loss_metric", "")).lower() in _REGRESSION:
        return _no_floor  # (a regression's loss the run names: no ln k to guess from its start)
    if "baseline" in curves.context:
        return lambda start, b=curves.context["baseline"]: b
    if "classes" in curves.context:
        return lambda start, b=math.log(curves.context["classes"]): b
    if str(curves.context.get("loss_metric", "")).lower() in _BINARY:
        return lambda start: math.log(2)  # a booster's binary log loss
    first = [float(a[np.isfinite(a)][0]) for a in accs if a is not None and np.isfinite(a).any()]
    first = [a / 100.0 if a > 1.0 else a for a in first]
    if not first:
        return no_skill

    def guessed(start: float) -> float | None:
        # ln k guessed from the start, unless a first accuracy far above chance for k classes says the
        # start is no untrained classifier's (a binary model saturated by unnormalised inputs started
        # at 4.84 = ln 127 beside an accuracy of 0.70)
        floor = no_skill(start)
        return None if floor is not None and max(first) >= max(3.0 / math.exp(floor), 0.5) else floor
    return guessed


def at_chance(loss: np.ndarray | None, acc: np.ndarray | None, t, classes: int | None = None) -> float | None:
    """ln k when a classifier sits at chance over the second half of its epochs: its accuracy at
    about 1/k (between ``chance_acc_low``/k and ``chance_acc_high``/k) while its loss stays at ln k
    (from ``no_skill_margin`` below to ``chance_loss_above`` above), for some class count k; else None.

    This reads the class count from the accuracy, where :func:`no_skill` must guess it from the
    loss's start, which a spike or unnormalised inputs hide (an epoch-0 mean of 9.7 or 2,600); with
    ``classes``, the count the run states, only that one.

    Example:
        >>> from fitwatch.diagnosis.thresholds import Thresholds
        >>> loss = np.array([9.7, 2.4, 2.38, 2.36, 2.37, 2.38])
        >>> acc = np.array([0.1, 0.09, 0.1, 0.11, 0.09, 0.1])
        >>> round(at_chance(loss, acc, Thresholds()), 4)     # ten classes
        2.3026
        >>> at_chance(loss, acc + 0.5, Thresholds()) is None  # 60% accuracy: it learned
        True
    """
    if loss is None or acc is None or loss.size != acc.size or loss.size < 4:
        return None
    half = loss.size // 2
    y, a = loss[half:], acc[half:]
    ok = np.isfinite(y) & np.isfinite(a)
    if ok.sum() < 2:
        return None
    y, a = y[ok], fraction(a[ok])
    a_mid = float(median(a))
    level = float(median(y))
    if not (0.0 < a_mid < 1.0) or not (0.0 < level < 12.0):  # ln k for k up to 160,000 classes
        return None
    if classes:  # the count the run states: at chance for it, or not at all (a guess from an accuracy of 0.2
        # read one tanh unit on 10 digits, 2x chance, as ln 6's chance; and lr 10 as ln 11's)
        k = int(classes)
        at = (k >= 2 and t.chance_acc_low / k <= a_mid <= t.chance_acc_high / k
              and math.log(k) * (1.0 - t.no_skill_margin) <= level <= math.log(k) * (1.0 + t.chance_loss_above))
        return math.log(k) if at else None
    # the class counts whose ln k the loss sits at and whose chance accuracy 1/k the accuracy sits
    # at; of those, the one nearest 1/accuracy whose ln k the loss is not below: a model that learned
    # nothing sits at or above ln k, never far below (0.088 of a constant guess among 10 classes, 11 by
    # the accuracy, where the loss sat at 2.35: ln 10), and may sit well above it (a fifth trial's
    # collapsed model at 2.40-2.45 with an accuracy of exactly 0.100 was said to be at ln 11); "not
    # below" to 1 %: a model that learned near-balanced classes' priors sits a hair below ln k (2.3020)
    k = _chance_k(level, a_mid, t)
    if k is None:
        return None
    # a first half at chance for more classes, left for a lower loss and an accuracy above that first half's chance
    # band (chance_acc_high/k before): the run learned (a trial's SGD at lr 3 sat at ln 10 with an accuracy of 0.1,
    # then fell to 1.86 and 0.23 once the rate was cut, read as "stuck at ln 6"; an attack's run at ln 11-13 then ln
    # 10, its accuracy 0.1 throughout, is at chance all along); or its first quarter, for a run that left early, its
    # accuracy risen chance_acc_high times or more since (an attack's 2-unit digits model: ln 10 and 0.12 in its first
    # epochs, 0.2 by its tenth of 40, read as at chance for 6 classes; a spike in the first quarter of a run at ln 3
    # and 0.32-0.35 all along leaves it at chance: tune h513#2)
    for m in dict.fromkeys((half, max(3, loss.size // 4))):
        y0, a0 = loss[:m], acc[:m]
        ok0 = np.isfinite(y0) & np.isfinite(a0)
        if ok0.sum() < 2:
            continue
        y0m, a0m = float(median(y0[ok0])), float(median(fraction(a0[ok0])))
        before = _chance_k(y0m, a0m, t) if m >= half or a_mid > t.chance_acc_high * a0m else None
        if (before is not None and before > k and y0m > level * (1 + t.no_skill_margin)
                and a_mid > t.chance_acc_high / before):
            return None
    return math.log(k)


def _chance_k(level: float, a_mid: float, t) -> int | None:
    """The class count k whose ln k a loss at ``level`` sits at and whose chance accuracy 1/k an accuracy
    at ``a_mid`` sits at (see :func:`at_chance`), else None."""
    if not (0.0 < a_mid < 1.0) or not (0.0 < level < 12.0):
        return None
    lo = max(2, math.ceil(math.exp(level / (1.0 + t.chance_loss_above))), math.ceil(t.chance_acc_low / a_mid))
    hi = min(math.floor(math.exp(level / (1.0 - t.no_skill_margin))), math.floor(t.chance_acc_high / a_mid))
    if lo > hi:
        return None
    # a loss within PINNED of ln k names k itself: outputs spread evenly over k classes score exactly ln k, whatever
    # the accuracy's noise says (an attack's SGD at 1e-4, 2.305 at ln 10 with an accuracy creeping to 0.115, was
    # "5% above ln(9)"; a collapsed model at 2.44 beside 0.100, 1.7 % over ln 11, is not pinned to 11)
    pinned = [k for k in range(lo, hi + 1) if abs(level - math.log(k)) <= PINNED * math.log(k)]
    if pinned:
        return min(pinned, key=lambda k: abs(level - math.log(k)))
    return max(lo, min(round(1.0 / a_mid), math.floor(1.01 * math.exp(level)), hi))


#: :func:`_chance_k`: a loss this close to ln k (relative) is pinned to k
PINNED = 0.005


#: :func:`falling_to_chance`: the loss must fall by this share of its first value (confidence shrinking, not a plateau)
FALL_SHARE = 0.15
#: ...while the training accuracy's second half is no more than this share above its first half (a model memorising
#: random labels gains a little; 100 classes learning slowly, 0.009 -> 0.083, and 0.10 -> 0.25 on 10 learned)
FALL_TRAIN_ROSE = 0.25


def _rose(a: np.ndarray, share: float) -> bool:
    """An accuracy (5 values or more) whose second half's median is above its first half's by more than twice its
    noise and ``share`` of its median."""
    if a.size < 5:
        return False
    h = a.size // 2
    return float(median(a[h:]) - median(a[:h])) > max(2 * noise(a), share * float(median(a)))


def falling_to_chance(loss: np.ndarray | None, acc: np.ndarray | None, t, other: np.ndarray | None = None) -> float | None:
    """ln k when a classifier's accuracy (5 values or more) sat flat at chance for the whole run while its loss
    started ``chance_loss_above`` or more above ln k and never got ``no_skill_margin`` below it: the loss's fall
    shrinks over-confident outputs towards the no-skill level, and nothing is learned; else None. k is
    1 / the median of the accuracy and the ``other`` one (training's), 2 or more; the accuracy's median is under
    ``chance_acc_high``/k, it never rose (:func:`accuracy_rose`), and its second half is no higher than its first
    beyond twice its noise and 5 % of its level (its largest value may be a sampling's luck above the band); the
    training accuracy's no higher than :data:`FALL_TRAIN_ROSE` of its level; the loss fell by :data:`FALL_SHARE`
    of its first value or more: a large fall of the loss that moved no answer is confidence shrinking.
    :func:`at_chance` needs the loss at ln k, which such a run has not reached (a new user's 10 classes, labels
    independent of the inputs, logits 8x too large at the start: validation 7.2 -> 3.1 in 20 epochs at an accuracy
    of 0.08-0.095, was ``still_improving``, told to train longer).

    Example:
        >>> from fitwatch.diagnosis.thresholds import Thresholds
        >>> acc = np.array([0.09, 0.11, 0.1, 0.105, 0.095, 0.1])
        >>> round(falling_to_chance(np.array([7.2, 6.0, 5.0, 4.2, 3.6, 3.1]), acc, Thresholds()), 4)
        2.3026
        >>> falling_to_chance(np.array([2.4, 2.0, 1.6, 1.2, 0.9, 0.7]), acc, Thresholds()) is None  # below ln 10
        True
    """
    if loss is None or acc is None or accuracy_rose(acc, t):
        return None
    a = fraction(acc[np.isfinite(acc)])
    y = loss[np.isfinite(loss)]
    if a.size < 5 or y.size < 5 or not 0.0 < float(median(a)) <= 0.5:
        return None
    o = fraction(other[np.isfinite(other)]) if other is not None else np.empty(0)  # (training's, when given)
    # flat: a chess model's validation accuracy at 0.06 -> 0.15 and 0.44 -> 0.49 on 5 classes learned (tune h1419, k601)
    if _rose(a, 0.05) or _rose(o, FALL_TRAIN_ROSE):
        return None
    # ...and where it started: an accuracy whose median is chance_acc_high times its first value left the level an
    # untrained model has (an attack's 2-unit digits model, 0.12 -> 0.22 -> 0.17 beside training's 0.10 -> 0.24, its
    # loss 2.38 -> 1.88 below ln 10, was "flat at chance for 5 classes", its start "far too large")
    if any(s.size and float(median(s)) > t.chance_acc_high * float(s[0]) for s in (a, o)):
        return None
    # a real fall, of confidence only: a linear model that plateaued in its first epoch at 30-44 % on 10 classes, its
    # loss flat below ln 10, read k = 2-3 from its accuracy (an attack)
    if y[0] - y.min() < FALL_SHARE * y[0]:
        return None
    k = max(2, round(1.0 / float(median(np.concatenate([a, o])))))
    floor = math.log(k)
    if float(median(a)) >= t.chance_acc_high / k or y[0] < (1 + t.chance_loss_above) * floor \
            or y.min() < (1 - t.no_skill_margin) * floor:
        return None
    return floor


def toward_chance(ctx, floor: float, drops: dict):
    """``not_learning``'s finding for :func:`falling_to_chance`: validation accuracy flat at chance while the
    loss fell from far above ln k towards it, never below: nothing learned yet. Outputs that start far too large
    come from the initialisation's scale or a first epoch that blew up (a first training loss far above ln k puts a
    lower rate and normalised inputs first: ``started_high``); then the data."""
    c, k = ctx.cv, round(math.exp(floor))
    va = fraction(ctx.vacc[np.isfinite(ctx.vacc)])
    ev = {"relative_drop": {n: round(v, 5) for n, v in drops.items()}, "val_start": float(c.y[0]),
          "val_lowest": float(np.nanmin(c.y)), "val_end": float(c.y[-1]), "no_skill_level": floor,
          "classes_guess": k, "chance_accuracy": round(1.0 / k, 5), "median_val_accuracy": float(median(va)),
          "best_val_accuracy": float(va.max())}
    msg = (f"Validation accuracy stayed flat at chance (median {ev['median_val_accuracy']:.3g}, at most "
           f"{ev['best_val_accuracy']:.3g}; chance {1 / k:.3g} for {k} classes) while the validation loss fell from "
           f"{ev['val_start']:.4g} to {ev['val_end']:.4g}, never below the no-skill level ln({k}) = {floor:.4g}: its fall "
           f"undoes a start {fmt_ratio(ev['val_start'] / floor)} times that level (outputs far too large: an "
           f"initialisation's scale, or a first epoch that blew up), and nothing is learned yet.")
    return primary("not_learning", ctx.span, ev, msg, remedies_for("not_learning", first=["init", "check_data"]))


def clearly(lowest: float, floor: float) -> str:
    """"clearly " when the lowest is under the no-skill level (a trial: "never got below 0.6931 (at best 0.6799)")."""
    return "clearly " if lowest < floor else ""


def accuracy_rose(acc: np.ndarray | None, t) -> bool:
    """An accuracy whose second half sits ``learn_acc_rise`` (absolute) or more above its first
    value, and beyond ``noise_k`` times its own epoch-to-epoch noise: the model learned, whatever a
    noisy loss says."""
    if acc is None:
        return False
    a = fraction(acc[np.isfinite(acc)])
    if a.size < 4:
        return False
    rise = float(median(a[a.size // 2:])) - float(a[0])
    return rise >= t.learn_acc_rise and rise > t.noise_k * noise(a)


#: one value to the fourth decimal, as a logged accuracy repeats it: a frozen stretch's tolerance
SAME = 1e-4


def frozen_from(a: np.ndarray) -> int:
    """The index from which ``a`` (finite values) holds its last value, to :data:`SAME`, to the end (0: throughout).

    Example:
        >>> frozen_from(np.array([0.6, 0.4, 0.374, 0.374, 0.374]))
        2
    """
    k = a.size - 1
    while k > 0 and abs(float(a[k - 1]) - float(a[-1])) <= SAME:
        k -= 1
    return k


def fraction(a: np.ndarray) -> np.ndarray:
    """An accuracy as a fraction: one written in percent (its largest value above 1, up to 100)
    divided by 100."""
    return a / 100.0 if a.size and 1.0 < float(a.max()) <= 100.0 else a


#: a training accuracy frozen beside a frozen validation accuracy may move this much: an epoch's running mean, its
#: model changing within the epoch, scores a sample or two more or less (an attack's no-signal labels, 30 % in one
#: class: validation 0.296 at every epoch, training 0.29622 but 0.29644 once, was "ln 3, blown up")
FROZEN_TRAIN = 1e-3


def frozen(acc: np.ndarray | None, skip: int = 0, tol: float = SAME) -> float | None:
    """The value of an accuracy that never changed (to ``tol``) over at least 4 epochs after the first
    ``skip``, when it is between 0.01 and 0.999 (an accuracy of about 0 is no class's share: a
    regression's "accuracy"); else None. A classifier whose accuracy is frozen on both sets
    while its loss moves predicts the same class for every input (the majority class's share),
    whatever its loss does.

    Example:
        >>> frozen(np.array([0.8142] * 5))
        0.8142
        >>> frozen(np.array([0.81, 0.82, 0.83, 0.83, 0.84])) is None
        True
    """
    if acc is None:
        return None
    a = fraction(acc[np.isfinite(acc)])[skip:]
    if a.size < 4 or float(a.max()) - float(a.min()) > tol or not 0.01 <= float(a.max()) < 0.999:
        return None
    return float(median(a))


def one_class_guess(ctx) -> float | None:
    """The share a classifier predicting one class for every input scores, from its frozen accuracies, or None.

    Validation's accuracy frozen at one value from the first epoch, and training's from its second (to
    :data:`FROZEN_TRAIN`, or not logged): the model predicts one class, whatever its loss does. Or both frozen at one
    value (to 1e-4) over the last three quarters of the run (8 epochs or more), the same value on both sets: a model
    that learned the class prior in its first epochs and then predicted the majority class for every input (95/5
    data, both accuracies 0.9467 for 27 epochs). An AUC that rose (``ranks``) leaves a note instead: the model learned
    to rank, and the accuracy's threshold sees one class."""
    vacc, acc = ctx.vacc, ctx.acc
    if vacc is None:
        return None
    one_class = frozen(vacc) if acc is None or frozen(acc, 1, FROZEN_TRAIN) else None
    if one_class is None and acc is not None:
        skip = len(vacc) // 4
        v, a = frozen(vacc, skip), frozen(acc, skip)
        if v is not None and a is not None and abs(v - a) <= 0.02 and len(vacc) - skip >= 8 \
                and not _beats_prior(ctx, v, a):
            one_class = v
    if one_class is not None and ctx.ranks:
        ctx.notes.append(f"accuracy frozen at {one_class:.4g} (one class predicted at its threshold) while "
                         f"{ctx.ranks} rose: the model learned to rank; judged on the loss")
        return None
    return one_class


def _beats_prior(ctx, v: float, a: float) -> bool:
    """A split's loss (validation's against its frozen accuracy ``v``, training's against ``a``) that got under
    ``_PRIOR_BELOW`` times the least a constant guess of that share can score (:func:`prior_floor`): the outputs vary
    with the inputs, so the frozen accuracies are no one-class guess (a healthy moons run, 0.946 on both sets once
    ReduceLROnPlateau had taken its rate to 1e-8, its losses 0.14 and 0.16 against the guess's 0.21, was "the same
    class for every input")."""
    return any(c is not None and c.y.size and beats_any_guess(float(np.nanmin(c.y)), share)
               for c, share in ((ctx.cv, v), (ctx.cl, a)))


def beats_any_guess(loss: float, share: float) -> bool:
    """A cross-entropy ``loss`` under ``_PRIOR_BELOW`` times the least any constant guess scores at the accuracy
    ``share`` (:func:`prior_floor`): the outputs vary with the inputs, the model learned something that holds.

    Example:
        >>> beats_any_guess(0.28, 0.87), beats_any_guess(0.37, 0.87)
        (True, False)
    """
    return 0 < loss < _PRIOR_BELOW * prior_floor(share)


def first_skill(ctx, by_accuracy: bool = True) -> bool:
    """Validation's first evaluation already had skill: a logged validation AUC showed it (``ctx.skill``) or its
    loss beat any constant guess at its accuracy (:func:`beats_any_guess`). Either only beside an accuracy that
    describes this loss's predictions: each wrong argmax puts 1/2 or less on its label, so the loss is at least
    (1 - accuracy) ln 2 (a focal loss, or an accuracy at another threshold, is under it: an attack's 0.345 at 0.45);
    and an AUC only beside a loss no worse than a constant guess at that accuracy (an attack's AUC computed on the
    training set, validation 0.382 against the guess's 0.373). With no accuracy the AUC speaks alone. ``by_accuracy``
    False takes the AUC's word only (where the loss hardly moved, an accuracy's bound excused an attack's balanced
    accuracies of labels independent of the inputs, 3 runs, for 1 linear model at its ceiling)."""
    cv, vacc = ctx.cv, ctx.vacc
    if vacc is None or not vacc.size or not np.isfinite(vacc[0]):
        return ctx.skill is not None
    first, share = float(cv.y[0]), float(fraction(vacc[:1])[0])
    if first < (1 - share) * math.log(2):
        return False
    return by_accuracy and beats_any_guess(first, share) or (ctx.skill is not None and first < prior_floor(share))


def never_above_chance(acc: np.ndarray | None, floor: float, t) -> bool:
    """Every value of the accuracy (5 or more) is under ``chance_acc_high`` times chance, 1/k for
    the k of ``floor`` = ln k: a loss that dipped a little below ln k (the class priors learned)
    beside an accuracy that never left chance learned nothing that counts."""
    if acc is None:
        return False
    a = fraction(acc[np.isfinite(acc)])
    return a.size >= 5 and float(a.max()) < t.chance_acc_high / round(math.exp(floor))


def collapsed(acc: np.ndarray | None, floor: float, t) -> tuple[float, int, int] | None:
    """(peak, its index, the first index of the end at chance) when an accuracy rose
    ``learn_acc_rise`` or more above chance 1/k (k from ``floor`` = ln k), beyond ``noise_k`` times
    its noise, and then fell back to chance (under ``chance_acc_high``/k) for its last quarter (3
    values or more) after its peak: the model learned, then lost it all (a weight decay far too
    strong pulls the weights to 0 and the outputs to a constant); else None.

    Example:
        >>> from fitwatch.diagnosis.thresholds import Thresholds
        >>> acc = np.array([0.26, 0.21, 0.2, 0.16, 0.1, 0.1, 0.09, 0.1, 0.1, 0.1, 0.1, 0.1])
        >>> collapsed(acc, math.log(10), Thresholds())
        (0.26, 0, 4)
        >>> collapsed(acc[4:], math.log(10), Thresholds()) is None  # never above chance
        True
    """
    if acc is None:
        return None
    a = fraction(acc[np.isfinite(acc)])
    k = round(math.exp(floor))
    if a.size < 8 or k < 2:
        return None
    chance, tail = 1.0 / k, max(3, a.size // 4)
    top = int(np.argmax(a[:-tail]))
    rise = float(a[top]) - chance
    high = t.chance_acc_high * chance
    if rise < t.learn_acc_rise or rise <= t.noise_k * noise(a[-tail:]) or float(a[-tail:].max()) >= high:
        return None
    since = top + int(np.argmax(a[top:] < high))  # the first value back at chance after the peak
    return float(a[top]), top, since


def fmt_ratio(r: float) -> str:
    """A ratio in words: ``6``, ``2.5``, ``466`` (never ``4.7e+02``)."""
    return f"{r:.2g}" if r < 100 else f"{r:,.0f}"


#: a loss under this share of the class prior's entropy did not stop at the prior
_PRIOR_BELOW = 0.8
_WORSE_THAN_PRIOR = 1.25  # ...a lowest this many times it: worse than that guess (a trial's 3.39 beside ln 2)


def worse_than_prior(share: float, low: float) -> bool:
    """A frozen accuracy about 0.5 (two classes, the prior's entropy ln 2 at most) beside a loss that never came
    within ``_WORSE_THAN_PRIOR`` of ln 2: worse than the constant guess (with more classes ln k is unknown)."""
    return 0.45 <= share <= 0.55 and low > _WORSE_THAN_PRIOR * math.log(2)


def prior_floor(share: float) -> float:
    """The least cross-entropy of predicting the class prior when the majority class's share is
    ``share``: the entropy of the most concentrated prior with that majority, the binary entropy of
    ``share`` (for a share of 0.5 or more; below it, of ``1 - share``, a lower bound).

    Example:
        >>> round(prior_floor(0.5), 4), round(prior_floor(0.9), 4)
        (0.6931, 0.3251)
    """
    p = min(max(share, 1 - share), 1 - 1e-12)
    return float(-p * math.log(p) - (1 - p) * math.log(1 - p))


def one_class_message(share: float, with_training: bool, start: float, low: float, since: int | None = None) -> str:
    """What a validation accuracy frozen at ``share`` (from epoch ``since``, when not from the first)
    says, beside a loss that fell from ``start`` to ``low``."""
    prior = prior_floor(share)
    when = "at every epoch" if since is None else f"from epoch {since} to the end"
    return (f"Validation accuracy {'never changed' if since is None else 'stopped changing'} ({share:.4g} {when}"
            f"{', training accuracy too' if with_training and since is not None else ', training accuracy stuck too' if with_training else ''}"
            f"): the model predicts the same class for "
            f"every input, the majority's share; " + (
                f"the loss went from {start:.4g} to at best {low:.4g}, {fmt_ratio(low / prior)} times the {prior:.4g} that "
                f"predicting the class prior gives: worse than that constant guess." if worse_than_prior(share, low) else
                f"the loss went from {start:.4g} to at best {low:.4g}." if low > _WORSE_THAN_PRIOR * prior else
                f"the loss fell from {start:.4g} to {low:.4g} only as far as the class prior takes it."
                if low >= _PRIOR_BELOW * prior else
                f"yet the loss fell from {start:.4g} to {low:.4g}, below the {prior:.4g} that predicting the class "
                f"prior gives: check that the accuracy is computed on the model's predictions and the right labels, "
                f"and that the loss is the one for these labels."))


#: a ranking metric: ROC AUC by its usual names (Keras's auc, Lightning's auroc, roc_auc)
_AUC = re.compile(r"(?:val_)?(?:(?:micro|macro|weighted)_)?(?:roc_)?(?:auc|auroc)(?:_roc)?"
                  r"(?:_(?:\d+|mean|micro|macro|weighted))?$", re.IGNORECASE)


def ranks(series: dict, idx: np.ndarray, t) -> str | None:
    """The name of a logged AUC that rose on the judged epochs ``idx`` as an accuracy that learned does, or
    None: the model learned to rank, whatever a frozen accuracy says. Example:
        >>> from fitwatch.diagnosis.thresholds import DEFAULT
        >>> ranks({"val_auc": np.linspace(0.5, 0.8, 10), "val_accuracy": np.full(10, 0.9)}, np.arange(10), DEFAULT)
        'val_auc'
    """
    return next((k for k, v in series.items() if _AUC.match(k) and accuracy_rose(v[idx], t)), None)


#: a validation AUC at or above this from its first evaluation: the model ranks with skill (no skill is 0.5)
AUC_SKILL = 0.75


def skilled(series: dict, idx: np.ndarray) -> str | None:
    """The name of a logged validation ROC AUC at ``AUC_SKILL`` or more at its first evaluation on the judged epochs
    ``idx`` and at its median, or None: the model ranks with skill (an AUC's no-skill level is 0.5 whatever the
    classes' balance), so it learned, before its first evaluation if its loss never moved (the tune half's validation-
    only Lightning run, its loss flat at 0.54-0.56 beside an AUROC of 0.90 from its first evaluation, was "the loss
    hardly moved"). Example:
        >>> skilled({"val_auroc_mean": np.array([0.90, 0.90, 0.91]), "val_loss": np.ones(3)}, np.arange(3))
        'val_auroc_mean'
        >>> skilled({"val_auc": np.array([.52, .55, .9])}, np.arange(3)), skilled({"val_auc": np.full(3, 55.0)}, [0])
        (None, None)
    """
    for k, v in series.items():
        if k.lower().startswith("val") and _AUC.match(k):
            a = v[idx]
            a = fraction(a[np.isfinite(a)])  # (an AUC in percent: 55 is no skill)
            if a.size and float(a[0]) >= AUC_SKILL and median(a) >= AUC_SKILL:
                return k
    return None
