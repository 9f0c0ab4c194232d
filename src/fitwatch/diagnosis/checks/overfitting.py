"""Overfitting: validation turned up (or stalled with a widening gap) while training kept falling;
or, in a run early stopping ended, validation stopped improving while training fell up to the stop.
The onset is the smoothed validation minimum.

Thresholds (:mod:`fitwatch.diagnosis.thresholds`): ``overfit_rise`` and ``overfit_rise_level`` (how
far validation must rise), ``noise_k`` (beyond its noise), ``stall_fraction`` (a stall long enough to
count), ``stop_train_drop`` (training's fall before an early stop), ``gap_warning`` (adds the weight
decay remedy).
"""

from __future__ import annotations

import math

import numpy as np

from fitwatch.diagnosis.checks.context import Context, CurveStats, Verdict, noise, primary, window
from fitwatch.diagnosis.checks.early_stop import stopped
from fitwatch.diagnosis.checks.instability import train_rose_too
from fitwatch.diagnosis.checks.progress import slope, still_improving
from fitwatch.diagnosis.remedies import remedies_for


def overfitting(ctx: Context) -> Verdict | None:
    """Any sign of overfitting: validation turned up, stalled with a gap that kept widening or a
    training accuracy far above validation's, or stopped improving before an early stop; with no
    training curve, a validation loss that turned up and kept rising."""
    if ctx.cv is None:
        return None
    if ctx.cl is None:
        return val_rose(ctx)
    found = turned_up(ctx) or plateau_gap(ctx)
    if found is None and ctx.stop and stopped(ctx.stop):
        found = caught_at_stop(ctx)
    return found


def plateau_gap(ctx: Context) -> Verdict | None:
    """Validation reached a plateau far above training, and training accuracy ends far above
    validation accuracy while the gap grows (or training accuracy is ~1: it memorised the training
    set). The onset is where validation had made ``plateau_fraction`` of its progress."""
    cl, cv, t, Ek = ctx.cl, ctx.cv, ctx.t, ctx.Ek
    acc, vacc, n = ctx.acc, ctx.vacc, cv.n
    if n < 2 * t.min_epochs or cv.drop <= 0:
        return None
    if acc is None or vacc is None:
        return _memorised_plateau(ctx)
    a, va = (float(np.nanmean(x[-3:])) if np.isfinite(x[-3:]).any() else math.nan for x in (acc, vacc))
    k = max(3, int(round(t.stall_fraction * n)))
    gained = float(cv.s[-k] - cv.end)
    gap_mid, gap_end = float(cv.s[n // 2] - cl.s[n // 2]), cv.end - cl.end
    # growing since mid-run, or since validation's lowest point (where it stopped improving)
    gap_low = float(cv.s[cv.imin] - cl.s[cv.imin]) if cv.imin < n - 2 else gap_mid
    growing = gap_end - min(gap_mid, gap_low) > t.noise_k * cv.sigma / math.sqrt(max(1, n // 4)) or a >= 0.99
    # or so large already that whether it still grows does not matter: validation many times training,
    # training accuracy far above validation's
    huge = gap_end > t.overfit_gap_ratio * max(cl.end, 1e-12) and a - va >= 2 * t.overfit_acc_gap
    growing = growing or huge
    # still improving: a gain of improving_drop of the drop over the last k epochs, beyond its noise (a
    # least-squares line falling by noise_k standard errors) and to a new low: a wobble of a flat curve
    # back down to where it has been is not progress
    b, b_se = slope(cv.y[-k:])
    improving = (gained >= t.improving_drop * cv.drop and -b > t.noise_k * b_se
                 and float(np.nanmin(cv.y[-k:])) < float(np.nanmin(cv.y[:-k])))
    if not (a - va >= t.overfit_acc_gap and gap_end > t.gap_warning * max(abs(cl.end), 1e-12) and growing
            and not improving):
        return None
    m = int(np.flatnonzero(cv.s <= cv.start - t.plateau_fraction * cv.drop)[0])
    # a smoothed validation that kept falling past that point turned at its lowest: the onset is there (a fifth
    # trial: validation fell at each epoch from 43 to 92, 0.745 -> 0.668, and the onset said 43)
    m = cv.imin if m < cv.imin < n - 2 else m
    # the numbers say what they are: the losses smoothed, the accuracies means of the last 3 epochs (a trial
    # read them as logged values)
    ev = {"best_val_loss": float(cv.y.min()), "plateau_epoch": Ek(m), "smoothed_val_loss_at_plateau": float(cv.s[m]),
          "smoothed_val_loss_end": cv.end, "smoothed_train_loss_end": cl.end, "smoothed_gap_end": gap_end,
          "smoothed_gap_mid": gap_mid, "mean_train_accuracy_last_3": a, "mean_val_accuracy_last_3": va,
          "val_gain_last_epochs": gained}
    msg = (f"Validation loss reached a plateau around epoch {Ek(m)} ({cv.s[m]:.4g}, {cv.end:.4g} at the end) "
           f"far above training ({cl.end:.4g}; values smoothed over {window(n, t)} epochs), and training accuracy "
           f"ends at {a:.3f} against {va:.3f} on validation (means of the last 3 epochs): the model fits its "
           f"training data much better than it generalises.")
    return Verdict("overfitting", primary("overfitting", [Ek(m), ctx.span[1]], ev, msg,
                                          remedies_for("overfitting", first=["weight_decay"])), onset=m)


#: with no pair of accuracies, training must fall to this share of its level where validation's plateau began
MEMORISED_FALL = 0.25

#: ...and validation flat from where it had made this share of its progress, reached by this share of the run
MEMORISED_PROGRESS, MEMORISED_BY = 0.99, 0.75

#: ...flat: down by no more than its noise, or than this share of its level there (a smooth curve's noise is tiny)
MEMORISED_CREEP = 0.05


def _memorised_plateau(ctx: Context) -> Verdict | None:
    """No pair of accuracies to compare: validation made ``plateau_fraction`` of its progress by 0.6 of the run and
    :data:`MEMORISED_PROGRESS` of it by :data:`MEMORISED_BY` of the run (its plateau, the onset) and moved neither down
    nor up by more than ``noise_k`` noise units from there to its end (down by :data:`MEMORISED_CREEP` of its level
    at most: a second attack's full-batch regressions crept 3-4 % lower over 200 epochs, far more than the noise of a
    curve that smooth) and is not still improving at its end, while training fell on to :data:`MEMORISED_FALL` of its
    level where validation had made ``plateau_fraction`` of its progress and ends ``overfit_gap_ratio`` times below
    validation: the model memorises its training set (a ninth trial's 60 training rows, validation flat at 0.36 from
    epoch 20 to 300 beside a training loss of 1e-3, was good_fit).

    Until stop 50 validation could gain nothing beyond its noise after it had made ``plateau_fraction`` of its
    progress, nor by the slope of its last ``stall_fraction``: an autoencoder trained on 30 images, validation 0.046
    at epoch 28 and 0.041 from epoch 45 to 300 (2 % lower over its last 75 epochs) beside a training loss of 1e-6, was
    good_fit. What validation still gains at its end is judged as the still-improving verdict judges it. An error
    curve (1 - accuracy) needs ``overfit_acc_gap`` between the two besides: 100 % against 95 % is 0 against 0.05, "far
    below" as a ratio. The 99 % point may come after 0.6 of the run (a Lightning run judged on its val_auc, flat at
    0.74-0.75 beside a training AUC of 0.9998, made it at epoch 13 of 21)."""
    cl, cv, t, Ek, n = ctx.cl, ctx.cv, ctx.t, ctx.Ek, ctx.cv.n
    m, p = _progress_point(cv, t.plateau_fraction), _progress_point(cv, MEMORISED_PROGRESS)
    flat = t.noise_k * cv.sigma
    if (m > 0.6 * n or p > MEMORISED_BY * n or cv.s[p] - cv.end > max(flat, MEMORISED_CREEP * abs(cv.s[p]))
            or cv.end - cv.min > flat
            or not 0 <= cl.end <= MEMORISED_FALL * cl.s[m]
            or cv.end <= t.overfit_gap_ratio * cl.end or _few_examples(ctx, cv.end - cl.end)
            or (ctx.main is cv and still_improving(ctx))):
        return None
    ev = {"best_val_loss": float(cv.y.min()), "plateau_epoch": Ek(p), "smoothed_val_loss_at_plateau": float(cv.s[p]),
          "smoothed_val_loss_end": cv.end, "smoothed_train_loss_at_plateau": float(cl.s[p]),
          "smoothed_train_loss_end": cl.end, "val_over_train_end": cv.end / max(cl.end, 1e-300)}
    if p > m:
        ev.update(progress_epoch=Ek(m), smoothed_train_loss_at_progress=float(cl.s[m]))
    where = (f"had made {100 * t.plateau_fraction:.0f}% of its progress by epoch {Ek(m)} and sat on a plateau from "
             f"epoch {Ek(p)}" if p > m else f"reached a plateau around epoch {Ek(p)}")
    fell = f"fell on from {cl.s[m]:.4g} to {cl.end:.4g}" if cl.s[m] > 0 else f"was already at {cl.end:.4g}"
    msg = (f"Validation loss {where} ({cv.s[p]:.4g}, {cv.end:.4g} at the end) while training loss {fell}, "
           f"{_times(cv.end, cl.end)} below validation "
           f"(values smoothed over {window(n, t)} epochs): the model memorises its training data, and what it learns "
           f"after epoch {Ek(p)} does not generalise.")
    return Verdict("overfitting", primary("overfitting", [Ek(p), ctx.span[1]], ev, msg,
                                          remedies_for("overfitting", first=["more_data", "weight_decay"])), onset=p)


#: a positive curve whose start is this many times its lowest has its progress measured on a log scale
LOG_SPAN = 100.0


def _progress_point(cv: CurveStats, share: float) -> int:
    """The first epoch (index) by which validation had made ``share`` of its progress; on a log scale for a positive
    curve whose start is :data:`LOG_SPAN` times its lowest or more (an attack's regressions on raw targets, 3e4 ->
    55: 99 % of the linear drop came at 340-430, while it fell on to 55 and sat there for the second half)."""
    if cv.min > 0 and cv.start >= LOG_SPAN * cv.min:
        top = math.log(cv.start)
        return int(np.flatnonzero(np.log(cv.s) <= top - share * (top - math.log(cv.min)))[0])
    return int(np.flatnonzero(cv.s <= cv.start - share * cv.drop)[0])


def _few_examples(ctx: Context, gap: float) -> bool:
    """An error curve's (1 - accuracy) gap under ``overfit_acc_gap``: a point or two, one example or two, whatever its
    ratio to a training error of 0. Always False for a loss, whose gap is read as a ratio."""
    return ctx.error and gap < ctx.t.overfit_acc_gap


def _times(a: float, b: float) -> str:
    """``"14 times"``, or ``"far"`` against a training loss of 0."""
    return f"{a / b:.3g} times" if b > 0 else "far"


def val_rose(ctx: Context) -> Verdict | None:
    """No training curve: validation bottomed out and kept rising for the rest of the run (most
    smoothed steps up, beyond ``overfit_rise``): overfitting's sign, though without a training
    curve it cannot be told from a drift in the data."""
    cv, t, Ek = ctx.cv, ctx.t, ctx.Ek
    m, n = cv.imin, cv.n
    if n < 2 * t.min_epochs or m > n * (1 - t.stall_fraction) or cv.drop <= 0:
        return None
    rise = cv.end - cv.min
    ups = float(np.mean(np.diff(cv.s[m:]) > 0))
    # a training loss of another measure (an MLP's loss_curve_ beside its validation score) that kept
    # falling after validation's best: validation's rise is then judged as turned_up judges it
    other = ctx.other_train  # (an objective that holds a heavy penalty falls as the weights shrink: not a fit)
    fell = other is not None and not ctx.penalty and other.size == n and np.isfinite(other[[m, -1]]).all() \
        and other[-1] < (1 - t.gap_train_fall) * other[m]
    noise = t.noise_k * cv.sigma / math.sqrt(max(1, min(5, n - m)))
    beside_fall = fell and rise > noise and (rise > t.overfit_rise * cv.drop or rise > t.overfit_rise_level * abs(cv.min))
    if not beside_fall and not (rise > t.overfit_rise * cv.drop and rise > t.noise_k * cv.sigma and ups >= 0.7):
        return None
    ev = {"best_val_loss": float(cv.y.min()), "smoothed_min_val_loss": cv.min, "lowest_smoothed_epoch": Ek(m),
          "smoothed_val_loss_end": cv.end, "rise": rise, "rise_vs_drop": rise / cv.drop,
          "share_of_steps_up": ups}
    if fell:
        ev.update(objective_at_best=float(other[m]), objective_end=float(other[-1]))
    msg = (f"Validation loss bottomed out around epoch {Ek(m)} ({cv.min:.4g}) and rose at {100 * ups:.0f}% of "
           f"the epochs after it, to {cv.end:.4g}: the usual sign of overfitting (there is no training curve "
           f"to confirm it)." if not fell else
           f"Validation loss bottomed out around epoch {Ek(m)} ({cv.min:.4g}) and rose to {cv.end:.4g} "
           f"(+{100 * rise / abs(cv.min):.0f}%, values smoothed) while training kept lowering its own objective "
           f"({other[m]:.4g} -> {other[-1]:.4g}, the curve named loss: another measure, its trend only).")
    return Verdict("overfitting", primary("overfitting", [Ek(m), ctx.span[1]], ev, msg,
                                          remedies_for("overfitting")), onset=m)


def turned_up(ctx: Context) -> Verdict | None:
    """Validation turned up (or stalled with a widening gap) while training kept falling."""
    cl, cv, t, Ek = ctx.cl, ctx.cv, ctx.t, ctx.Ek
    m = cv.imin
    n = cv.n
    if m >= n - 2:
        return None
    rise = cv.end - cv.min
    vdrop = max(cv.drop, 0.0)
    # (or against the scatter since the turn, where the run's early epochs were far wilder than its end)
    noise = t.noise_k * cv.sigma / math.sqrt(max(1, min(5, n - m)))
    noise = noise if ctx.error else min(noise, late_noise(cv, m, t))
    train_fell = cl.s[m] - cl.end
    rising = rise > noise and (rise > t.overfit_rise * vdrop or rise > t.overfit_rise_level * abs(cv.min)) \
        and rise > t.overfit_rise_min * abs(cv.min) and not (ctx.error and rise < ERROR_RISE)
    train_ok = train_fell > max(t.noise_k * cl.sigma / math.sqrt(3), 0.02 * abs(cl.s[m])) \
        or (train_fell > 0 and 0 <= cl.end < t.unstable_near_zero * cv.end) \
        or (rising and train_fell > t.gap_train_fall * abs(cl.s[m]))
    # near 0, a training loss's noise is no measure; and beside a validation loss that clearly rose, a
    # training loss that fell by gap_train_fall of its level kept falling, however noisy (a per-step
    # training loss scattering 0.03-0.3 while validation climbs 0.67 -> 0.91: issue 11's real logs)
    gap_m = cv.s[m] - cl.s[m]
    gap_end = cv.end - cl.end
    widening = False
    if not rising and train_ok and m <= n * (1 - t.stall_fraction) and rise >= 0:
        # validation stalled for the last part of the run while the gap kept widening
        stalled = train_fell > 0.5 * abs(cl.s[m]) and m <= 0.6 * n
        # (validation above training at the end: one below it that comes closer is no gap widening; a tune run
        # at accuracy 1.0, validation -0.039 below training, then -0.005, was overfitting)
        widening = stalled and gap_end > 0 and ((gap_end - gap_m) > max(6 * t.overfit_rise_level * abs(cv.min), noise)
                                # or: training went on down to a small fraction of validation
                                or (gap_end > gap_m + noise and cv.end > 10 * max(cl.end, 0.0)))
        # or: validation's best (raw) is before the last stall_fraction of the run, training fell by
        # gap_train_fall or more of its level since the turn, and the gap at least doubled beyond noise
        # (a fine-tune whose training falls 0.70 -> 0.62 while validation sits 5 % above its best)
        widening = widening or (gap_m > 0 and gap_end >= t.gap_doubled * gap_m and gap_end - gap_m > noise
                                and train_fell > t.gap_train_fall * abs(cl.s[m])
                                and int(np.argmin(cv.y)) <= n * (1 - t.stall_fraction))
        # an error curve's gap (1 - accuracy) is read in its own units: a widening to a point or two is one or two
        # examples, whatever its ratio to a training error of 0 (an attack: 100 % against 97.75 % "widened" 0.011 ->
        # 0.022 and was overfitting)
        widening = widening and not _few_examples(ctx, gap_end)
    if not (train_ok and (rising or widening)) or train_rose_too(cl, cv, m, t.noise_k):
        return None
    # raw values carry raw names; smoothed ones say so (issue 11)
    ev = {"best_val_loss": float(cv.y.min()), "smoothed_min_val_loss": cv.min, "lowest_smoothed_epoch": Ek(m),
          "smoothed_val_loss_end": cv.end, "rise": rise,
          "rise_vs_drop": rise / vdrop if vdrop > 0 else None, "noise": cv.sigma,
          "smoothed_train_loss_at_turn": float(cl.s[m]), "smoothed_train_loss_end": cl.end,
          "smoothed_gap_at_turn": gap_m, "smoothed_gap_end": gap_end}
    if rising:
        msg = (f"Validation loss bottomed out around epoch {Ek(m)} and rose from {cv.min:.4g} to {cv.end:.4g} "
               f"({_rise_text(rise, cv.min)}) while training loss kept falling "
               f"({cl.s[m]:.4g} -> {cl.end:.4g}; values smoothed over {window(cv.n, t)} epochs).")
    else:
        b = int(np.argmin(cv.y))
        msg = (f"Validation loss stopped improving around epoch {Ek(m)} ({cv.min:.4g} smoothed; its best single "
               f"epoch {float(cv.y[b]):.4g} at epoch {Ek(b)}) while training loss kept "
               f"falling ({cl.s[m]:.4g} -> {cl.end:.4g}): the gap widened from {gap_m:.4g} to {gap_end:.4g} "
               f"(values smoothed over {window(cv.n, t)} epochs).")
    first = ["early_stopping"]
    if gap_end > t.gap_warning * max(abs(cl.end), 1e-12):
        first.append("weight_decay")
    if never_improved(ctx):
        msg += (f" Validation never got {100 * FIRST_MARGIN:.0f}% below its first evaluation ({float(cv.y[0]):.4g}; at "
                f"best {float(cv.y.min()):.4g}): nothing learned after it generalises. If that first model was already "
                "good (it learned what the data holds in its first epoch, or was pre-trained), keep it; if it was no "
                "better than a constant (for a regression, the targets' variance), the targets may not depend on the "
                "inputs at all: check the data, and give the no-skill level (baseline=) to have the run judged "
                "against it.")
    return Verdict("overfitting", primary("overfitting", [Ek(m), ctx.span[1]], ev, msg,
                                          remedies_for("overfitting", first=first)), onset=m)


#: an error curve (1 - accuracy) that rose by less than this (absolute: two points of accuracy) did not turn up: on a
#: validation set of 50-230 examples that is one or two of them (stop 50's attacks: 96.9 % -> 96.5 % after its peak
#: beside training at 100 % was "rose +14 %", overfitting, on three breast-cancer runs; an AUC that fell 1.5 points from
#: its peak and stayed, an attack's expected overfit, is no longer one either)
ERROR_RISE = 0.02

#: the values from validation's turn (or from mid-run, whichever is earlier) that measure their own scatter, for a
#: rise of this share of validation's lowest or more
LATE_SPAN, LATE_RISE = 8, 0.10


def late_noise(cv: CurveStats, m: int, t) -> float:
    """``noise_k`` times the epoch-to-epoch scatter of validation's values from its smoothed minimum ``m`` (or from
    mid-run, whichever comes first), for a rise of :data:`LATE_RISE` of its lowest or more over :data:`LATE_SPAN`
    values or more; else infinite. A curve wild in its first epochs has a whole-run noise that no later rise clears,
    however steady (a tune run: validation 1.1-3.95 over its first 12 epochs, then its best 0.458 and up at nearly
    every epoch to 0.663 while training fell to 2e-4, was good_fit).

    Only for a rise of :data:`LATE_RISE`: a curve quiet at its end makes a rise of a few percent clear its own scatter
    (a LCBench curve that hardly learned, 0.596 -> 0.614 on a flat end, would have been overfitting; at
    ``overfit_rise_level``, 5 %, a YOLO run's val/box_loss holding 1.20-1.24 over its last 12 of 128 epochs, 6 % above
    a dip, was). Never 0: a stretch whose steps are mostly 0 (a validation error on a small set, one example at a
    time) measures no scatter (an attack: a one-example wobble would have cleared it; error curves, 1 - accuracy, are
    not read this way at all)."""
    lo = min(m, cv.n // 2)
    if cv.n - lo < LATE_SPAN or cv.end - cv.min <= LATE_RISE * abs(cv.min):
        return math.inf
    return t.noise_k * noise(cv.y[lo:]) or math.inf


#: validation never got this share of its first value below it: it never improved on its first evaluation
FIRST_MARGIN = 0.05


def never_improved(ctx: Context) -> bool:
    """Validation never got :data:`FIRST_MARGIN` of its first value below it (raw values), in a run with no accuracy
    nor a stated no-skill level to say whether that first model had any skill, no validation score (mAP...) and no
    pre-trained model (an attack's regression on shuffled targets, validation 0.965 at its first epoch, the mean's
    0.960, then up to 1.6 while training fell 1.01 -> 0.25, was told only to keep its best epoch and regularise)."""
    cv = ctx.cv
    if cv is None or cv.n < 2 or ctx.acc is not None or ctx.vacc is not None or ctx.stated_floor or ctx.scores \
            or ctx.pretrained:
        return False
    first = float(cv.y[0])
    return float(cv.y.min()) > first - FIRST_MARGIN * abs(first)


def _rise_text(rise: float, lowest: float) -> str:
    """A rise as a share of the lowest value (``+785%``) when that value is above 0; as itself
    (``up 4.179``) when it is 0 or below, where a percentage of it means nothing (a negative
    log-likelihood)."""
    return f"+{100 * rise / lowest:.0f}%" if lowest > 0 else f"up {rise:.4g}"


def caught_at_stop(ctx: Context) -> Verdict | None:
    """A run early stopping ended: validation stopped improving while training kept falling up to the
    stop. That is the onset of overfitting, though the stop cut the rise short of what
    :func:`turned_up` needs to see."""
    cl, cv, t, Ek, stop = ctx.cl, ctx.cv, ctx.t, ctx.Ek, ctx.stop
    m, n = cv.imin, cv.n
    train_fell = cl.s[m] - cl.end
    if m >= n - 2 or cv.end < cv.min or train_fell <= t.stop_train_drop * abs(cl.s[m]):
        return None
    ev = {"best_val_loss": float(cv.y.min()), "smoothed_min_val_loss": cv.min, "lowest_smoothed_epoch": Ek(m),
          "smoothed_val_loss_end": cv.end, "rise": cv.end - cv.min,
          "noise": cv.sigma, "smoothed_train_loss_at_turn": float(cl.s[m]), "smoothed_train_loss_end": cl.end,
          "smoothed_gap_at_turn": float(cv.s[m] - cl.s[m]), "smoothed_gap_end": cv.end - cl.end,
          "stopped_epoch": stop.get("stopped_epoch")}
    msg = (f"Validation loss stopped improving around epoch {Ek(m)} ({cv.min:.4g}) while training loss kept falling "
           f"({cl.s[m]:.4g} -> {cl.end:.4g}; values smoothed over {window(cv.n, t)} epochs) until early stopping "
           f"ended training at epoch {stop.get('stopped_epoch', Ek(n - 1))}: overfitting had begun.")
    first = ["weight_decay"] if ev["smoothed_gap_end"] > t.gap_warning * max(abs(cl.end), 1e-12) else []
    return Verdict("overfitting", primary("overfitting", [Ek(m), ctx.span[1]], ev, msg,
                                          remedies_for("overfitting", first=first)), onset=m)
