"""Progress over time: a curve still falling at the end (``still_improving``, with ``lr_too_low``
when it falls slowly and steadily), and where it stopped making progress (``plateau``, one of the
finer signs, read whatever the verdict).

Thresholds (:mod:`fitwatch.diagnosis.thresholds`): ``stall_fraction`` (the final stretch whose slope
is read), ``improving_drop`` (what it must still gain), ``noise_k`` (beyond the slope's standard
error), ``plateau_fraction`` (the share of the progress that marks the plateau).
"""

from __future__ import annotations

import math

import numpy as np

from fitwatch.diagnosis.checks.context import MAD, Context, CurveStats, Verdict, noise, primary
from fitwatch.diagnosis.checks.rate import large_scale
from fitwatch.diagnosis.checks.short import short_warning
from fitwatch.diagnosis.findings import Finding
from fitwatch.diagnosis.remedies import in_all_words, remedies_for


def still_improving(ctx: Context) -> Verdict | None:
    """The monitored curve (validation, else training) is still falling at the end: its final
    stretch's least-squares slope gained ``improving_drop`` of its whole drop or ``improving_level``
    of its level (or, over a stretch ``improving_long`` times longer, ``improving_level`` of its
    level), beyond noise, and its minimum is among its last epochs."""
    t, Ek, span = ctx.t, ctx.Ek, ctx.span
    c = ctx.main
    k0 = min(c.n, max(3, int(round(t.stall_fraction * c.n))))
    converged = converged_by_own_test(ctx)
    if converged is not None:  # the training's own convergence test judged this curve: its answer stands
        if converged or int(np.argmin(c.y)) < c.n - 2 or c.drop <= 0:
            return None
        k = min(c.n, max(3, int(ctx.stop.get("patience") or k0)))
        recent = -slope(c.y[-k:])[0] * (k - 1)
        # its final stretch must still gain a share of its whole drop, as any curve's must (a fifth trial: an MLP
        # at 0.0086 after 2.38, its last 247 epochs adding little, was told only to raise max_iter); read over the
        # stretch, not the last n_iter_no_change epochs, whose slope is small on a long run still falling (an
        # attack: 2.47 -> 1.55 in 400 iterations, 0.43 in 1600, was "a higher max_iter would add little")
        gain = -slope(c.y[-k0:])[0] * (k0 - 1)
        if recent <= 0 or gain < t.improving_drop * c.drop:
            return None
        return _improving(ctx, c, k, recent, f" max_iter={ctx.stop.get('epochs_planned')} cut it short: raise max_iter.",
                          fitted=True)
    if c is ctx.cv and at_ceiling(ctx.vacc, k0) and c.end < 0.05 * abs(c.start):
        # every validation example right and the loss down by 95 % or more: its creep is confidence,
        # nothing left to gain (a loss still at half its start there is still improving: a tiny validation set)
        return None
    # a curve that fell at each of its last 3 or more steps (and over the final stretch) is falling
    # beyond its noise, however few the points for a standard error (a 5-epoch run)
    falls = falling_to_the_end(c, t)
    # the final stretch, then one improving_long times longer: a curve falling steadily by a small
    # step each epoch clears the noise over more epochs (that one is judged on its own level only)
    for k in dict.fromkeys((k0, min(c.n, int(round(t.improving_long * k0))))):
        b, b_se = slope(c.y[-k:])
        recent = -b * (k - 1)  # what the stretch still gained, by a least-squares line
        # what it still gains must be a share of its whole drop, or (a curve falling by orders of
        # magnitude, read on a log scale) a share of its own level; and the best epoch must be recent
        gains = (k == k0 and recent > t.improving_drop * c.drop) or recent > t.improving_level * abs(c.end)
        # progress, not a recovery: the final stretch beats the best before the stretch by more than
        # improving_new_low noise units (a curve that drifted up and came back is not improving); the
        # unit is the end's own noise (a curve that fell by orders of magnitude is quiet at its end)
        new_low = c.n <= k or float(c.y[-k0:].min()) < float(c.y[:c.n - k].min()) - t.improving_new_low * noise(c.y[-2 * k:])
        # or falling at each step to under half the best before the stretch: beyond any noise, whatever a blow-up
        # before it does to the noise unit (a ninth trial: validation 1.8e8, 6.9e8, 1.5e8, 1.7e7, 1.4e6 was good_fit)
        new_low = new_low or (falls and 0 < float(c.y[-1]) < 0.5 * float(c.y[:c.n - k].min()))
        # and still falling in the stretch's second half: a step down at its start (a learning-rate drop),
        # flat since, is not a curve still improving
        tail = slope(c.y[-max(3, k0 // 2):])[0] < 0 or falls
        if (c.drop > 0 and gains and (-b > t.noise_k * b_se or falls) and c.imin >= c.n - max(2, c.n // 10)
                and int(np.argmin(c.y)) >= c.n - k0 and new_low and tail):
            break
    else:
        short = _short_new_low(c, t, ctx.cl if c is ctx.cv else None)
        if short is None:
            return None
        k, recent, fitted = short
        return _improving(ctx, c, k, recent, _longer(ctx.lr_decayed), fitted=fitted)
    return _improving(ctx, c, k, recent, _longer(ctx.lr_decayed), fitted=True)


def _short_new_low(c: CurveStats, t, cl: CurveStats | None = None) -> tuple[int, float, bool] | None:
    """A short run (5 to ``short_run`` epochs) whose last value is its lowest, by
    ``short_new_low_noise`` of its noise or more below the best before it, and whose last half
    falls, by a least-squares line, ``short_new_low_t`` standard errors or more beyond 0 and by
    ``improving_drop`` of its whole drop: ``(k, what the last k values gained)``, else None.
    Or, for validation ``c``, beside a training loss ``cl`` that fell at each of its last steps
    (:func:`falling_to_the_end`): the run has not converged, and the new low says validation
    follows, whatever a bump in its last half does to the line (issue 11's tuning half: validation
    1.634, 1.955, 1.456, 1.471, 1.264 while training fell 2.42 -> 1.37 at every epoch was good_fit);
    then ``k`` runs from the best before the new low.

    A bump in the last third of a 5-10 epoch run defeats the final-stretch test (three points, one of
    them the bump), though a reader sees a curve ending on a new low (issue 11's real logs: 0.81,
    0.56, 0.42, 0.38, 0.35, 0.37, 0.27, 0.31, 0.27, 0.25 is still improving)."""
    if not (5 <= c.n <= t.short_run) or int(np.argmin(c.y)) != c.n - 1 or c.drop <= 0:
        return None
    if float(c.y[-1]) > float(c.y[:-1].min()) - t.short_new_low_noise * noise(c.y):  # a new low, not a return within noise
        return None
    k = (c.n + 1) // 2
    b, se = slope(c.y[-k:])
    recent = -b * (k - 1)
    if -b > t.short_new_low_t * se and recent > t.improving_drop * c.drop:
        return k, recent, True
    if cl is not None and cl.n == c.n and falling_to_the_end(cl, t):
        k = min(c.n - int(np.argmin(c.y[:-1])), c.n - 1)
        return k, float(c.y[:-1].min() - c.y[-1]), False
    return None


def at_ceiling(acc: np.ndarray | None, k: int) -> bool:
    """A validation accuracy at 1 (0.999 or more, as a fraction or in percent) at each of its last
    ``k`` epochs: a loss still creeping down there is the model growing more confident on examples
    it already gets right (a fine-tune at 0.0008 and accuracy 1.0, a new user's Trainer run in
    issue 15; runs labelled good_fit in issue 11's tuning half)."""
    if acc is None or acc.size < k or k < 1:
        return False
    tail = acc[-k:]
    if not np.all(np.isfinite(tail)):
        return False
    tail = tail / 100.0 if float(np.max(acc[np.isfinite(acc)])) > 1.0 else tail
    return bool(np.all(tail >= 0.999))


def _share(recent: float, c: CurveStats) -> str:
    """What the last epochs gained, as a share of the whole drop, or of the curve's level when that
    share rounds to 0 (a loss that fell from 15,000 to 1,140 and still falls by 0.1 % an epoch); both
    when the level's share is the larger by far (a loss near 0 whose last 3 epochs took 1 % of its
    whole drop and 41 % off its level: "1 %" alone undersold it)."""
    level = 100 * recent / abs(c.end) if c.end else None
    if recent >= 0.005 * c.drop or level is None:
        drop = f"{100 * recent / c.drop:.0f}% of its whole drop"
        return drop + (f", {level:.0f}% of its level" if level is not None and level >= 10
                       and level >= 5 * 100 * recent / c.drop else "")
    return f"{level:.2g}% of its level"


def converged_by_own_test(ctx: Context) -> bool | None:
    """What the training's own convergence test said of the judged curve (scikit-learn's ``tol`` on an
    MLP's training loss, without validation): True converged, False cut short by its iteration
    limit; None when no such test watched it."""
    stop = ctx.stop or {}
    if stop.get("converged") is None or ctx.main is not ctx.cl or ctx.cv is not None or stop.get("monitor") != "loss":
        return None
    return bool(stop["converged"])


def while_training(findings) -> None:
    """A run still training (``context["in_progress"]``): a curve still improving (or too short to judge) is what
    the epochs to come are for, so no finding tells it to train longer ("Train longer.", "Train for more epochs." in any
    framework's words), nor that it ended inside its warm-up (an attack); the message says the run goes on instead."""
    more = in_all_words("more_epochs") | in_all_words("more_epochs_short") | in_all_words("lr_restart") | \
        in_all_words("warmup_shorter")
    findings[:] = [f for f in findings if f.code != "lr_warming"]  # a rate still warming: the run may go past it
    for f in findings:
        f.remedies = [r for r in f.remedies if r not in more]  # (too_few_epochs's too: a sixth trial)
        if f.code == "too_few_epochs":
            f.message += " The run is still training: judge it once it has more."
        if f.code != "still_improving":
            continue
        f.message = f.message.replace("the run stopped while it was still learning. Train longer.",
                                      "it is still learning, and the run is still training.")
        f.message = f.message.replace(" Train longer.", " The run is still training: let it go on.")
        f.remedies = [r for r in f.remedies if r not in more]
        f.evidence["in_progress"] = True


def cut_short(ctx: Context) -> Verdict | None:
    """``still_improving`` for a curve the schedule cut short: its learning rate had decayed to about 0 and it
    still fell at each of its last epochs, far from fitting (the caller's test); what its final stretch gained,
    by a least-squares line. None when that stretch gained nothing."""
    c, t = ctx.main, ctx.t
    k = min(c.n, max(3, int(round(t.stall_fraction * c.n))))
    recent = -slope(c.y[-k:])[0] * (k - 1)
    return _improving(ctx, c, k, recent, _longer(ctx.lr_decayed)) if recent > 0 else None


def _longer(decayed: tuple | None) -> str:
    """What to do about a curve still falling: train longer; with a learning rate that had decayed to
    about 0 by the end (``(last, peak)``), train longer with the schedule stretched."""
    if decayed is None:
        return " Train longer."
    last, peak = decayed
    return (f" The learning rate had already decayed to {last:.3g} ({100 * last / peak:.2g}% of its peak, {peak:.3g}) by "
            f"the last epoch: train longer with the schedule stretched over the new epochs; more epochs at this "
            f"rate would add little.")


def _improving(ctx: Context, c: CurveStats, k: int, recent: float, advice: str, fitted: bool = True) -> Verdict:
    """The still_improving verdict: ``recent``, what the last ``k`` values gained (``fitted``: by a
    least-squares line through them, as the message then says; else between two logged values)."""
    t, Ek, span = ctx.t, ctx.Ek, ctx.span
    name = "val_loss" if c is ctx.cv else "loss"
    k_epochs = Ek(c.n - 1) - Ek(c.n - k) + 1  # k when every epoch has a value
    ev = {"curve": name, "drop_last_epochs": recent, "last_epochs": k_epochs, "total_drop": c.drop,
          "per_epoch": recent / k_epochs}
    if ctx.lr_decayed is not None:
        ev["lr_last"], ev["lr_peak"] = ctx.lr_decayed
    finding = primary(
        "still_improving", [Ek(c.n - k - 1), span[1]], ev,
        f"{name} is still falling at the end: {recent:.4g} lower over the last {k_epochs} epochs "
        f"({'by a line fitted through them; ' if fitted else ''}{_share(recent, c)}).{advice}",
        remedies_for("still_improving"))
    extra = [w for w in (short_warning(ctx),) if w is not None]
    noise_now = c.sigma if ctx.lr_decayed is not None else min(c.sigma, _jitter(c.y[-k - 1:]))
    above = _above_stated(ctx, c)
    if above is not None:  # on its way down from far above the level the run states: not there yet, and no rate too low
        finding.evidence["times_no_skill"] = above
        finding.message += (f" It is still {above:.2g} times the no-skill level the run states ({c.end / above:.4g}): the "
                            f"model does not yet beat predicting without skill.")
        finding.remedies = remedies_for("still_improving", drop=("lr_up",))
    elif ctx.lr_warming is not None:  # a rate still rising: the warm-up outlasted the run, no rate too low
        first, last = ctx.lr_warming
        extra.append(Finding("lr_warming", "warning", span, {"lr_first": first, "lr_last": last},
                             f"The learning rate was still rising at the end ({first:.3g} -> {last:.3g}, its largest "
                             f"at the last epoch): the run ended inside its warm-up, before the rate reached its peak.",
                             remedies_for("lr_warming")))
        finding.remedies = remedies_for("still_improving", first=["warmup_shorter", "more_epochs"], drop=("lr_schedule",))
    elif noise_now < 0.2 * recent / k and nearly_linear(c.s[-k - 1:]):
        scale = large_scale(ctx)  # (targets far from unit scale: normalise them before raising the rate)
        extra.append(Finding("lr_too_low", "info", [Ek(c.n - k - 1), span[1]], {"per_epoch": recent / k},
                             "The loss falls steadily, in a nearly straight line, to the end: a larger learning "
                             "rate would get there in fewer epochs." + scale,
                             remedies_for("lr_too_low", first=["normalise_inputs", "lr_up"] if scale else [])))
        # a decay schedule lowers a rate already too low (a fifth trial: SGD 1e-4, a straight line down)
        first = ["more_epochs"] + (["normalise_inputs"] if scale else []) + ["lr_up"]
        finding.remedies = remedies_for("still_improving", first=first, drop=("lr_schedule",))
    return Verdict("still_improving", finding, extra)


def _above_stated(ctx: Context, c: CurveStats) -> float | None:
    """How many times the no-skill level the run states (``baseline``, ``classes``) the curve ends at, when it ends
    ``chance_loss_above`` above it; else None (an attack: a regression with no signal on its way down from 4.9 times
    its baseline to 1.6 times was told to train longer and raise the rate, with no word of the level)."""
    floor = ctx.no_skill(c.start) if ctx.stated_floor else None
    return float(c.end) / floor if floor and c.end > (1 + ctx.t.chance_loss_above) * floor else None


def _jitter(y: np.ndarray) -> float:
    """The epoch-to-epoch noise of a stretch of a curve from its second differences (a bend adds
    next to nothing to them, where it adds to the scatter around a moving average: a straight,
    slowly bending line down had a 'noise' of a quarter of its step)."""
    d2 = np.diff(y, 2)
    return MAD * float(np.median(np.abs(d2))) / math.sqrt(6) if d2.size >= 3 else math.inf


def falling_to_the_end(c: CurveStats, t) -> bool:
    """The curve fell at each of its last ``max(3, stall_fraction * n)`` steps, by 1 % of its level
    or more over them: still going down, not settled (a curve converging by 0.02 % an epoch falls
    at every step too)."""
    steps = max(3, int(round(t.stall_fraction * c.n)))
    if c.n <= steps:
        return False
    tail = c.y[-steps - 1:]
    return bool(np.all(np.diff(tail) < 0)) and tail[0] - tail[-1] >= 0.01 * abs(tail[-1])


#: a curve that still lost this share of its level after the plateau point did not "add little"
PLATEAU_LEFT = 0.25


def plateau(ctx: Context, overfit_at: int | None) -> Finding | None:
    """Where the training loss (the validation loss when alone) had made ``plateau_fraction`` of its
    progress, when that is well before the end; not said of an overfitting run."""
    t, cl = ctx.t, ctx.cl
    c = cl or ctx.cv
    if c is None or not (c.n >= 6 and c.drop > 0):
        return None
    target = c.start - t.plateau_fraction * c.drop
    hit = np.flatnonzero(c.s <= target)
    if not (hit.size and hit[0] < c.n - max(3, c.n // 4) and overfit_at is None):
        return None
    p = int(hit[0])
    # "added little" is a claim about the level too: the plateau starts where the judged curve (validation, else
    # training) had under a quarter of its level still to lose (a sixth trial: validation fell 30-55 % after a
    # training loss's "95 % of its progress"; an attack: a training loss near 0 halving beside a flat validation)
    x = ctx.cv if ctx.cv is not None and ctx.cv.drop > 0 else c
    done = (x.s[p:] - x.end) <= PLATEAU_LEFT * np.abs(x.s[p:])  # under a quarter of its level left to lose...
    if x is not c:  # ...and validation's own progress made too (an attack: a high floor reached by epoch 30)
        done &= x.s[p:] <= x.start - t.plateau_fraction * x.drop
    later = np.flatnonzero(done)
    moved = bool(later.size) and later[0] > 0
    p = p + int(later[0]) if later.size else c.n
    if p >= c.n - max(3, c.n // 4):
        return None
    Ek, who = ctx.Ek, x if moved else c  # the curve whose progress the epoch is (training's, or validation's later)
    return Finding(
        "plateau", "info", [Ek(p), ctx.span[1]],
        {"epoch": Ek(p), "curve": "training" if who is cl else "validation", "smoothed_level": float(who.s[p]),
         "smoothed_end": who.end, "share_of_run_after": round(1 - p / c.n, 3)},
        f"{'Training' if who is cl else 'Validation'} loss had made {100 * t.plateau_fraction:.0f}% of its "
        f"progress by epoch {Ek(p)}; the remaining {Ek(c.n - 1) - Ek(p)} epochs added little.",
        remedies_for("plateau", drop=("larger_model",) if fits_training(cl, ctx.acc) else ()))


def fits_training(cl: CurveStats | None, acc) -> bool:
    """The model fits its training data: its loss fell by 95% or more, or training accuracy is ~1
    (so "use a larger model" is not the remedy)."""
    if cl is not None and cl.start > 0 and cl.end < 0.05 * cl.start:
        return True
    return acc is not None and acc.size >= 3 and float(acc[-3:].mean()) >= 0.99  # NaN: not >= 0.99


def slope(y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope per epoch of ``y`` and its standard error.

    Example:
        >>> import numpy as np
        >>> b, se = slope(np.array([5.0, 4.0, 3.0, 2.0]))
        >>> b, se
        (-1.0, 0.0)
    """
    n = y.size
    if n < 3:
        return (float(y[-1] - y[0]) / max(n - 1, 1), float("inf"))
    x = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
    sxx = n * (n * n - 1) / 12.0  # x @ x, exactly
    r = y - float(y.sum()) / n
    b = float(x @ r) / sxx
    resid = r - b * x
    se = math.sqrt(float(resid @ resid) / (n - 2) / sxx)
    return b, se


def nearly_linear(s: np.ndarray) -> bool:
    """Every step down, and the smallest step at least 0.3 of the largest."""
    if s.size < 4:
        return False
    d = np.diff(s)
    return bool(np.all(d < 0) and np.max(d) / np.min(d) > 0.3)
