"""Divergence and instability: a NaN or infinite value (``nan_detected``), a loss that blew up
(``diverged``), and one too rough to settle (``unstable``); both verdicts come with ``lr_too_high``.

Thresholds (:mod:`fitwatch.diagnosis.thresholds`): ``end_above_start`` and ``explode_factor``
(diverged), ``unstable_roughness``, ``unstable_jump`` and ``unstable_jumps`` (unstable).
"""

from __future__ import annotations

import math

import numpy as np

from fitwatch.diagnosis.checks.chance import fmt_ratio, fraction
from fitwatch.diagnosis.checks.context import MAD, Context, Verdict, median, primary, smooth
from fitwatch.diagnosis.evidence import GRAD_KEY, climbed_steadily, grad_spikes, started_high
from fitwatch.diagnosis.findings import Finding
from fitwatch.diagnosis.remedies import remedies_for


def first_nonfinite(*pairs) -> int | None:
    """The first index where a curve *holds* a NaN or infinite value: ``pairs`` of (values, missing
    mask or None); an epoch without a value is not a divergence.

    Example:
        >>> import numpy as np
        >>> first_nonfinite((np.array([1.0, np.nan, 0.5]), None), (np.array([1.0, 2.0, np.inf]), None))
        1
        >>> first_nonfinite((np.array([1.0, np.nan, 0.5]), np.array([False, True, False])))
    """
    first = None
    for a, miss in pairs:
        if a is None:
            continue
        finite = np.isfinite(a)
        if finite.all():
            continue
        nonfinite = ~finite
        if miss is not None:
            nonfinite &= ~miss
        bad = np.flatnonzero(nonfinite)
        if bad.size and (first is None or bad[0] < first):
            first = int(bad[0])
    return first


def last_finite(L, V, bad: int, mL=None, mV=None) -> dict:
    """Each curve's last value before the first non-finite one (its last value, where it has gaps)."""
    out = {}
    for k, a, m in (("loss", L, mL), ("val_loss", V, mV)):
        if a is None or bad <= 0:
            continue
        have = np.flatnonzero(~m[:bad]) if m is not None else [bad - 1]
        v = float(a[have[-1]]) if len(have) else math.nan
        out[k] = v if math.isfinite(v) else None
    return out


def nan_detected(L, V, mL, mV, bad: int, E, span) -> Finding:
    """The ``nan_detected`` finding: which curves became NaN or infinite at index ``bad``."""
    which = [(k, "NaN" if np.isnan(a[bad]) else "infinite") for k, a, m in (("loss", L, mL), ("val_loss", V, mV))
             if a is not None and (m is None or not m[bad]) and not np.isfinite(a[bad])]
    # each curve by what it became (a trial's loss went inf and its val_loss NaN: "both became infinite")
    said = ("the loss became NaN or infinite" if not which else
            f"{' and '.join(k for k, _ in which)} became {which[0][1]}" if len({w for _, w in which}) == 1 else
            " and ".join(f"{k} became {w}" for k, w in which))
    return Finding(
        "nan_detected", "critical", [E(bad), span[1]],
        {"first_epoch": E(bad), "curves": [k for k, _ in which], "last_finite": last_finite(L, V, bad, mL, mV)},
        f"{said} at epoch {E(bad)}.", remedies_for("nan_detected"))


def diverged(ctx: Context) -> Verdict | None:
    """NaN, or the loss climbs far above where it started. The training loss decides (a validation
    loss that soars while training falls is overfitting); the validation loss when it is alone."""
    cl, cv, t, Ek, span = ctx.cl, ctx.cv, ctx.t, ctx.Ek, ctx.span
    explode = None
    for name, c in (("loss", cl),) if cl is not None else (("val_loss", cv),):
        if c is None or explode or (c is cv and climbed_steadily(c.y)):
            continue  # (validation alone that climbed a little at each epoch: overfitting's sign, val_rose's)
        tail = float(median(c.y[-3:]))
        if c.start > 0 and tail > (1 + t.end_above_start) * c.start and tail > 2 * c.min and c.min < c.start:
            explode = (name, tail, c)
        elif c.start > 0 and float(np.max(c.y)) > t.explode_factor * c.start and tail > (1 + t.end_above_start) * c.start:
            explode = (name, tail, c)
    r2 = ctx.r2[np.isfinite(ctx.r2)] if ctx.r2 is not None else np.empty(0)
    # (and never came within a tenth of where it started: an R² that climbs from -1.5e5 to -1e3 beside a
    # loss falling 100-fold is a metric computed on something else, not a blow-up)
    blown_r2 = (ctx.bad is None and not explode and r2.size >= 2 and float(r2.max()) < t.diverged_r2
                and float(r2.max()) < 0.1 * float(r2[0]))
    if ctx.bad is None and not explode and not blown_r2:
        return None
    if blown_r2:  # blew up at once: never below its start, so only the R² says how far off it is
        c = ctx.cl or ctx.cv
        ev = {"best_r2": float(r2.max()), "end": float(c.y[-1]), "lowest": float(np.min(c.y))}
        msg = (f"R\u00b2 never rose above {r2.max():.3g}: the predictions are {1 - r2.max():.3g} times further (in "
               f"squared error) from the targets than their mean is, from the first epoch on; the training "
               f"blew up at once (the loss is {c.y[-1]:.4g}).")
        first = span[0]
    elif explode:
        name, tail, c = explode
        low = int(np.argmin(c.y))  # raw values: the ones the user logged, as the message states them
        ev = {"curve": name, "start": float(c.y[0]), "lowest": float(c.y[low]), "lowest_epoch": Ek(low),
              "end": float(c.y[-1]), "max": float(np.max(c.y)), "smoothed_start": c.start,
              "smoothed_lowest": c.min, "smoothed_end": tail}
        msg = (f"{name} climbed from {float(c.y[0]):.4g} at epoch {Ek(0)} (lowest {float(c.y[low]):.4g} at epoch "
               f"{Ek(low)}) to {float(c.y[-1]):.4g} at epoch {Ek(c.n - 1)}: the training has blown up.")
        first = Ek(c.imin)
    else:
        ev = {"first_nonfinite_epoch": ctx.E(ctx.bad)}
        msg = f"The loss became NaN or infinite at epoch {ctx.E(ctx.bad)}; nothing after it can be used."
        first = ctx.E(ctx.bad)
    return Verdict("diverged", primary("diverged", [first, span[1]], ev, msg, remedies_for("diverged")),
                   [lr_high(span, ev)], signs=False)


#: on a long run the jumps must also number this share of its second half's steps: one-epoch spikes now
#: and then on a curve settled between them are not a loss that keeps jumping (a 500-epoch run with 11)
JUMP_SHARE = 0.05

#: ...and the last of them within this share of the run (and this many epochs) of its end
SETTLED_SHARE, SETTLED_STEPS = 0.25, 5


def unstable(ctx: Context) -> Verdict | None:
    """A loss that keeps jumping around instead of settling (checked before not_learning: a loss too
    rough to settle is the finding)."""
    t, span = ctx.t, ctx.span
    if _rise_outranks_scatter(ctx):
        return None  # overfitting's trend, read next
    found = None
    # the judged curve first: both rough, the message is about the one the verdict is on (a seventh trial's read
    # "loss ... 0 jumps" under "judged on val_loss", its validation having jumped +79 % and +77 %)
    for name, c, acc in (("val_loss", ctx.cv, ctx.vacc), ("loss", ctx.cl, ctx.acc)):
        if c is None or found:
            continue
        if name == "loss" and ctx.cv is not None and ctx.cv.n >= 5 \
                and _roughness(ctx.cv)[0] <= t.unstable_val_confirms * t.unstable_roughness:
            continue  # a rough training curve beside a smooth validation: batch noise, not the run's instability
        rough, level = _roughness(c)
        if level <= 0 or _steady(acc, c.n):
            continue  # (an accuracy that held within 2 points: the loss's moves changed no answer that counts)
        half = c.y[c.n // 2:]
        if name == "loss" and ctx.cv is not None and _tiny_beside_validation(rough * level, level, ctx.cv, t.unstable_near_zero):
            continue  # a training loss near 0: large relative scatter, tiny moves against validation
        # a curve that fell by orders of magnitude scatters a lot relative to its level while its
        # moves are tiny against the progress it made (a log-scale view): only moves that undo a
        # share of the progress count (issue 11's real logs: PINNs, fine-tunes near 0)
        big = max(c.drop, 0.0) * t.unstable_of_drop
        if rough * level <= big:
            rough = 0.0
        steps = np.diff(c.y)
        ups = steps / np.maximum(c.y[:-1], 1e-12)
        jumping = (ups > t.unstable_jump) & ((steps > big) | _acc_fell(acc, c.n, t))
        jumps = int(np.count_nonzero(jumping[max(0, c.n // 2 - 1):]))  # the second half: early chaos settles
        if jumps >= t.unstable_jumps - 1:  # and one more after the first fifth: spikes that recur all run long
            jumps = max(jumps, int(np.count_nonzero(jumping[max(1, c.n // 5):])))
        # scatter around the moving average is also what a short curve's bend looks like (the average
        # lags it); a curve that "jumps around" goes up now and then, so a second half that falls at
        # (nearly) every epoch is not unstable, however much it bends
        # an upward step counts when it is half the curve's scatter or more: a 1 % uptick on a curve
        # scattering by 15 % is no jump
        ups_big = int(np.count_nonzero(np.diff(half) > 0.5 * rough * level))
        if (rough > t.unstable_roughness and ups_big >= _repeated(half.size - 1)) \
                or (jumps >= max(t.unstable_jumps, math.ceil(JUMP_SHARE * half.size)) and not _settled(c, jumping, t)):
            found = (name, rough, jumps, c)
    if not found:
        return _blew_up_and_back(ctx)
    name, rough, jumps, c = found
    ev = {"curve": name, "roughness": rough, "upward_jumps": jumps, "level": float(median(c.y[c.n // 2:]))}
    return Verdict("unstable", primary(
        "unstable", span, ev,
        f"{name} keeps jumping around instead of settling: its scatter in the second half is "
        f"{100 * rough:.0f}% of its level, with {jumps} jump{'s' if jumps != 1 else ''} of more than "
        f"{100 * t.unstable_jump:.0f}% up.",
        remedies_for("unstable")), [lr_high(span, ev)])


#: how far below its first value a curve must have got before an excursion for it to have learned something to lose
#: (TaskSet's binary RNNs that drifted from 0.76 to ln 2 = 0.693 and jumped about learned nothing)
LEARNED_BEFORE = 0.10


def _blew_up_and_back(ctx: Context) -> Verdict | None:
    """The judged curve (validation's, else training's), after it had learned (:data:`LEARNED_BEFORE` below its first
    value, and ``no_skill_margin`` below the no-skill level it started at: a binary model at ln 2 learned nothing),
    jumped in its second half to ``1 + end_above_start`` times where it started or more, then came back down by as
    much: the run blew up in mid-training and recovered, one excursion too large for a share of its progress to hide
    it (a tune run's fine-tune, validation 0.0023 -> 17.2 and 23.4 at epochs 7-8, back to 0.0013, was good_fit)."""
    t, c = ctx.t, ctx.cv or ctx.cl
    if c is None or c.n < 6 or not c.y[0] > 0:
        return None
    h = c.n // 2
    top = h + int(np.argmax(c.y[h:]))
    peak, low = float(c.y[top]), float(c.y[:top].min())
    floor = ctx.no_skill(c.start)  # learned: below its start, and below the no-skill level it started at (ln 2)
    learned = low < (1 - LEARNED_BEFORE) * c.y[0] and (floor is None or low < (1 - t.no_skill_margin) * floor)
    if not (learned and peak > (1 + t.end_above_start) * c.y[0] and float(c.y[-1]) * (1 + t.end_above_start) < peak):
        return None
    name = "val_loss" if c is ctx.cv else "loss"
    ev = {"curve": name, "first_value": float(c.y[0]), "peak": peak, "peak_epoch": ctx.Ek(top), "end": float(c.y[-1])}
    return Verdict("unstable", primary(
        "unstable", ctx.span, ev,
        f"{name} jumped to {peak:.4g} at epoch {ctx.Ek(top)}, {fmt_ratio(peak / c.y[0])} times where it started "
        f"({c.y[0]:.4g}), after it had learned, and came back to {c.y[-1]:.4g}: the run blew up in mid-training and "
        f"recovered, and may do it again.", remedies_for("unstable")), [lr_high(ctx.span, ev)])


def _rise_outranks_scatter(ctx: Context) -> bool:
    """Validation rose from its smoothed minimum by more than ``noise_k`` times the scatter of its
    second half, while training fell since that minimum (by 2 % of its level and beyond its noise):
    overfitting's trend, which the scatter around it does not outrank (docs/labelling.md: "instability
    the reader would not call harmful (scatter small against the trend) does not outrank the trend").
    A curve that rises at every step bends away from its moving average and "scatters" by the bend
    alone (issue 11's tuning half: validation -0.48, -0.36, 0.28, 1.31, 7.50 while training fell;
    0.11 -> 0.57 over 150 epochs while training fell 0.17 -> 0.003: both were unstable)."""
    cv, cl, t = ctx.cv, ctx.cl, ctx.t
    if cv is None or cl is None or cv.imin >= cv.n - 2 or train_rose_too(cl, cv, cv.imin, t.noise_k):
        return False
    rough, level = _roughness(cv)
    fell = cl.s[cv.imin] - cl.end
    return (fell > max(t.noise_k * cl.sigma / math.sqrt(3), 0.02 * abs(cl.s[cv.imin]))
            and cv.end - cv.min > t.noise_k * rough * abs(level))


#: training rose since its own low after validation's turn by this share of validation's rise, or more...
TRAIN_ROSE_SHARE = 0.5
#: ...and by this share of that low: it lost what it had learned too
TRAIN_ROSE_LEVEL = 0.1


def train_rose_too(cl, cv, m: int, noise_k: float = 3.0) -> bool:
    """The training loss rose since its own lowest point after validation's turn ``m`` by
    ``TRAIN_ROSE_SHARE`` of validation's rise and ``TRAIN_ROSE_LEVEL`` of that low, or more (each epoch read
    as the median of it and its neighbours), and beyond
    ``noise_k`` times its noise, from a low in the first half of the epochs after the turn (an overfit
    whose last 3 epochs blow up, TaskSet's, stays overfitting): both curves
    climbed, the model got worse at its training data too, and a training loss that "kept falling" from a
    high first epoch to the end says nothing of it (a new user's Lightning run, SGD lr 0.3 with momentum
    0.9: training 0.34 at epoch 7, then 0.7-1.6, accuracy 0.90 -> 0.54, validation beside it, was
    overfitting "while training loss kept falling (1.375 -> 1.119)"). Not overfitting, which needs
    training to keep what it learned.

    Example:
        >>> from types import SimpleNamespace as S
        >>> cl = S(y=np.array([1.4, 0.6, 0.45, 0.5, 0.8, 1.1, 1.2]), sigma=0.05)
        >>> train_rose_too(cl, S(min=0.45, end=1.15), 0)
        True
    """
    # each epoch as the median of it and its neighbours: one high last value (a spike, a script logging its
    # last batch) moves neither the low nor the end (the moving average's window shrinks to 1 at the edge)
    y = np.asarray(cl.y, dtype=float)
    if y.size < 3:
        return False
    a, b, c = y[:-2], y[1:-1], y[2:]
    y3 = np.concatenate(([0.5 * (y[0] + y[1])], np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c)),
                         [median(y[-3:])]))
    at = int(np.argmin(y3[m:]))
    low = float(y3[m + at])
    rise = float(y3[-1]) - low
    return (2 * at <= y.size - m  # turned up in the first half after validation's turn: not a last-epochs blow-up
            and rise > TRAIN_ROSE_SHARE * max(float(cv.end - cv.min), 0.0) and rise > TRAIN_ROSE_LEVEL * abs(low)
            and rise > noise_k * cl.sigma)


def _repeated(steps: int) -> int:
    """How many upward steps among a second half's ``steps`` make its scatter "repeated": a quarter of
    them, and at least two once there are four or more: one bump in a falling curve is not a loss
    that keeps jumping around (issue 11's real logs; the labelling protocol's "repeatedly"). A half
    of two or three steps has room for one bump only, and one says it there."""
    return max(2 if steps >= 4 else 1, steps // 4)


def _settled(c, jumping: np.ndarray, t) -> bool:
    """The jumps stopped: the last came :data:`SETTLED_SHARE` of the run (and :data:`SETTLED_STEPS` epochs) or more
    before the end, and the values since scatter around their moving average by under half ``unstable_roughness`` of
    their level. Stop 50's attacks: 5 jumps at epochs 30-36 of 60, then a smooth fall to a flat end (a scatter of
    0.5 %), was "keeps jumping around instead of settling"; Adam at a constant 0.03 whose last jump came at epoch 89 of
    120 but which went on bouncing by 10 % of its level was, with the first form (no scatter test), good_fit."""
    last = int(np.flatnonzero(jumping)[-1]) + 1 if jumping.any() else 0
    if c.n - 1 - last < max(SETTLED_STEPS, SETTLED_SHARE * c.n):
        return False
    tail = c.y[last:]
    scatter, level = _scatter(tail, smooth(tail, 5))
    return level > 0 and scatter < 0.5 * t.unstable_roughness


def _roughness(c) -> tuple[float, float]:
    """The scatter of ``c``'s second half around its moving average, as a fraction of its level, and
    that level (the median of the second half); the fraction is 0 when the level is not positive."""
    return _scatter(c.y[c.n // 2:], c.s[c.n // 2:])


def _scatter(y: np.ndarray, trend: np.ndarray) -> tuple[float, float]:
    """The robust scatter of ``y`` around ``trend`` as a fraction of its level, and that level (the median of ``y``);
    the fraction is 0 when the level is not positive."""
    level = float(median(y))
    if level <= 0:
        return 0.0, level
    return float(MAD * median(np.abs(y - trend))) / level, level


#: an accuracy whose second half stays within this range (absolute) held steady
ACC_STEADY = 0.02


def _steady(acc, n: int) -> bool:
    """The accuracy beside a loss of ``n`` epochs held within :data:`ACC_STEADY` over its second half
    (3 values or more): the loss's jumps there moved confidence, not answers (a validation loss near 0
    at 99.6-99.9 % accuracy, 0.0047 -> 0.0073 -> 0.0047, read as unstable: tune k519, k1235)."""
    if acc is None or acc.size != n:
        return False
    a = fraction(acc[n // 2:])
    a = a[np.isfinite(a)]
    return a.size >= 3 and float(a.max() - a.min()) <= ACC_STEADY


def _acc_fell(acc, n: int, t) -> np.ndarray | bool:
    """Per step of a curve of ``n`` epochs: did its accuracy fall by ``unstable_acc_drop`` or more
    at that step? A loss jump that the accuracy confirms is instability whatever its size against
    the progress made (a cosine restart that throws validation accuracy from 0.99 to 0.81)."""
    if acc is None or acc.size != n or n < 2:
        return False
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(-np.diff(acc), nan=0.0) >= t.unstable_acc_drop


def _tiny_beside_validation(scatter: float, level: float, cv, share: float) -> bool:
    """A training loss that has gone near 0 (its second half under a tenth of validation's) scatters
    a lot relative to itself, but its moves are tiny against the gap to validation: that is not the
    instability of a run (issue 11's real logs: overfits read as unstable)."""
    val_level = float(median(cv.y[cv.n // 2:]))
    return val_level > 0 and level < share * val_level and scatter < share * val_level


def lr_high(span, ev) -> Finding:
    """``lr_too_high``, the usual cause of a diverged or unstable run, with the verdict's evidence."""
    return Finding("lr_too_high", "warning", span, {k: v for k, v in ev.items() if k != "curve"},
                   "A learning rate too high for this model and batch size is the usual cause.",
                   remedies_for("lr_too_high"))


#: an epoch's mean training loss this many times the one before it, after it had learned (fallen under
#: ``EARLY_LEARNED`` of its first value), undoing ``EARLY_UNDO`` of the progress made or more, in the
#: first half of a run that settled: the learning rate too high early on
EARLY_JUMP, EARLY_LEARNED, EARLY_UNDO = 1.5, 0.8, 0.2


def _jumps(y: np.ndarray) -> np.ndarray:
    """The steps ``i`` (``y[i + 1]`` against ``y[i]``) where ``y`` jumped :data:`EARLY_JUMP` times or more
    after it had learned, undoing :data:`EARLY_UNDO` of its progress (not a loss near 0's tiny moves)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.flatnonzero((y[1:] >= EARLY_JUMP * y[:-1]) & (y[:-1] <= EARLY_LEARNED * y[0]) & (y[:-1] > 0)
                              & (y[1:] - y[:-1] >= EARLY_UNDO * (y[0] - y[:-1])))


def early_jump(ctx: Context) -> Finding | None:
    """``lr_too_high`` beside a verdict that is not about instability, when the epoch-mean training loss
    jumped :data:`EARLY_JUMP` times or more in the first half, after it had learned, and the validation
    loss jumped so at the same epoch or one next to it (a fifth trial: SGD
    lr 0.3 on digits, training 0.185 -> 0.472 at epoch 6 and validation 0.156 -> 0.459, read as
    overfitting with nothing said of the early chaos). Epoch means are smooth in a healthy run; a rate
    too high throws the model off its path now and then before a schedule or luck settles it."""
    cl, cv = ctx.cl, ctx.cv
    if cl is None or cv is None or cl.n < 10 or cv.n != cl.n:
        return None
    hits = [_jumps(c.y[: cl.n // 2 + 1]) for c in (cl, cv)]
    # the validation loss jumped too, at the same epoch or one next to it: the model was thrown off its
    # path, not a noisy training mean
    hit = np.array([j for j in hits[0] if np.any(np.abs(hits[1] - j) <= 1)], dtype=int)
    if not hit.size:
        return None
    y, v = cl.y, cv.y
    i = int(hit[0]) + 1
    k = int(hits[1][np.argmin(np.abs(hits[1] - hit[0]))]) + 1  # validation's jump beside it
    ev = {"epoch": ctx.Ek(i), "loss_before": float(y[i - 1]), "loss_after": float(y[i]), "val_epoch": ctx.Ek(k),
          "val_loss_before": float(v[k - 1]), "val_loss_after": float(v[k]), "jumps": int(hit.size)}
    more = f", and {hit.size - 1} more time{'s' if hit.size > 2 else ''} in the first half" if hit.size > 1 else ""
    return Finding("lr_too_high", "warning", [ctx.Ek(min(i, k)), ctx.Ek(cl.n // 2)], ev,
                   f"The training loss jumped from {y[i - 1]:.4g} to {y[i]:.4g} at epoch {ctx.Ek(i)} and validation from "
                   f"{v[k - 1]:.4g} to {v[k]:.4g} at epoch {ctx.Ek(k)}, after they had learned{more}: a learning rate too "
                   f"high for this model early on, even if the run settled later (a warm-up, or a lower rate).",
                   remedies_for("lr_too_high"))


#: a first epoch's logged gradient norm this many times the median of the later epochs' blew up
GRAD_FIRST = 50.0


def grad_spiked(curves, span, findings: list) -> None:
    """Append ``grad_spikes`` (a warning) to ``findings`` when a logged gradient norm spikes with the loss at
    :func:`fitwatch.diagnosis.evidence.grad_spikes`'s epochs: the evidence that puts clipping first and takes
    "raise the learning rate" and "a larger model" away is said, not only acted on (an attack); and
    ``first_epoch_blowup`` when the first epoch's norm is :data:`GRAD_FIRST` times the later median."""
    first = _first_epoch_blowup(curves, span)
    if first is not None:
        findings.append(first)
    at = grad_spikes(curves)
    if not at:
        return
    epochs = [int(curves.epochs[i]) for i in at]
    named = ", ".join(map(str, epochs[:8])) + (f" and {len(epochs) - 8} more" if len(epochs) > 8 else "")
    findings.append(Finding(
        "grad_spikes", "warning", span, {"epochs": epochs},
        f"The gradient norm spiked at epochs {named} (3 times the epochs beside them or more), the loss jumping with "
        f"it: gradients that explode now and then throw the weights off. Clip them; a higher learning rate or a "
        f"larger model would make it worse.", remedies_for("grad_spikes")))


def _first_epoch_blowup(curves, span) -> Finding | None:
    """The first epoch's gradients exploded and the run recovered (an eighth trial's RNN without clipping: a norm of
    351 at epoch 0 against 1.5 after, a training loss of 10.4, 15 times ln 2, was good_fit without a word of it):
    a logged gradient norm at epoch 0 :data:`GRAD_FIRST` times the median of the later ones, over 4 epochs or more,
    beside a training loss at epoch 0 above the largest it logged after and ``STARTED_HIGH`` times ln k, k the most
    classes the first accuracies allow (1 / their lowest); none without a training accuracy."""
    loss, acc = curves.get("loss"), curves.get("accuracy")
    if curves.context.get("grad_clip") or acc is None or loss is None or not np.isfinite(acc[:3]).any():
        return None  # (clipped: a large norm logged before clipping moved nothing that far)
    # a first loss far above the no-skill level of the most classes the first accuracies allow: a norm that fell with a
    # loss falling to 0 (a fine-tune: 0.94 -> 0.006) is no blow-up (a first form flagged 5 tune runs so)
    k = max(2, round(1.0 / max(float(np.nanmin(fraction(acc[:3]))), 1e-3)))
    if not started_high(loss, math.log(k)):
        return None
    for key, v in curves.series.items():
        if not GRAD_KEY.match(key) or v.size < 5 or loss.size != v.size:
            continue
        later = v[1:][np.isfinite(v[1:])]
        if not (np.isfinite(v[0]) and later.size >= 4):
            continue
        med = float(np.median(later))
        if med > 0 and v[0] >= GRAD_FIRST * med and loss[0] > float(np.nanmax(loss[1:])):
            return Finding(
                "first_epoch_blowup", "warning", [span[0], span[0]], {"grad_norm_first": float(v[0]),
                                                                      "grad_norm_median_after": med,
                                                                      "loss_first": float(loss[0])},
                f"The first epoch blew up: the gradient norm averaged {v[0]:.4g} there, {v[0] / med:.0f} times its "
                f"median after ({med:.4g}), and the training loss {loss[0]:.4g}, above any later epoch's; the run "
                f"recovered, but the first steps threw the weights off. Clip the gradients, or warm the learning "
                f"rate up.", remedies_for("first_epoch_blowup"))
    return None
