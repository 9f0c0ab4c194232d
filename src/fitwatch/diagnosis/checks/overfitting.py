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

from fitwatch.diagnosis.checks.context import Context, Verdict, primary, window
from fitwatch.diagnosis.checks.early_stop import stopped
from fitwatch.diagnosis.remedies import remedies_for


def overfitting(ctx: Context) -> Verdict | None:
    """Either sign of overfitting; it needs both curves."""
    if ctx.cl is None or ctx.cv is None:
        return None
    found = turned_up(ctx)
    if found is None and ctx.stop and stopped(ctx.stop):
        found = caught_at_stop(ctx)
    return found


def turned_up(ctx: Context) -> Verdict | None:
    """Validation turned up (or stalled with a widening gap) while training kept falling."""
    cl, cv, t, Ek = ctx.cl, ctx.cv, ctx.t, ctx.Ek
    m = cv.imin
    n = cv.n
    if m >= n - 2:
        return None
    rise = cv.end - cv.min
    vdrop = max(cv.drop, 0.0)
    noise = t.noise_k * cv.sigma / math.sqrt(max(1, min(5, n - m)))
    train_fell = cl.s[m] - cl.end
    train_ok = train_fell > max(t.noise_k * cl.sigma / math.sqrt(3), 0.02 * abs(cl.s[m])) \
        or (train_fell > 0 and 0 <= cl.end < t.unstable_near_zero * cv.end)  # near 0: its noise is no measure
    rising = rise > noise and (rise > t.overfit_rise * vdrop or rise > t.overfit_rise_level * abs(cv.min))
    gap_m = cv.s[m] - cl.s[m]
    gap_end = cv.end - cl.end
    widening = False
    if not rising and train_ok and m <= n * (1 - t.stall_fraction) and rise >= 0:
        # validation stalled for the last part of the run while the gap kept widening
        stalled = train_fell > 0.5 * abs(cl.s[m]) and m <= 0.6 * n
        widening = stalled and ((gap_end - gap_m) > max(6 * t.overfit_rise_level * abs(cv.min), noise)
                                # or: training went on down to a small fraction of validation
                                or (gap_end > gap_m + noise and cv.end > 10 * max(cl.end, 0.0)))
    if not (train_ok and (rising or widening)):
        return None
    # raw values carry raw names; smoothed ones say so (issue 11)
    ev = {"best_val_loss": float(cv.y.min()), "smoothed_min_val_loss": cv.min, "lowest_smoothed_epoch": Ek(m),
          "smoothed_val_loss_end": cv.end, "rise": rise,
          "rise_vs_drop": rise / vdrop if vdrop > 0 else None, "noise": cv.sigma,
          "smoothed_train_loss_at_turn": float(cl.s[m]), "smoothed_train_loss_end": cl.end,
          "smoothed_gap_at_turn": gap_m, "smoothed_gap_end": gap_end}
    if rising:
        msg = (f"Validation loss bottomed out around epoch {Ek(m)} and rose from {cv.min:.4g} to {cv.end:.4g} "
               f"(+{100 * rise / abs(cv.min):.0f}%) while training loss kept falling "
               f"({cl.s[m]:.4g} -> {cl.end:.4g}; values smoothed over {window(cv.n, t)} epochs).")
    else:
        msg = (f"Validation loss stopped improving around epoch {Ek(m)} ({cv.min:.4g}) while training loss kept "
               f"falling ({cl.s[m]:.4g} -> {cl.end:.4g}): the gap widened from {gap_m:.4g} to {gap_end:.4g}.")
    first = ["early_stopping"]
    if gap_end > t.gap_warning * max(abs(cl.end), 1e-12):
        first.append("weight_decay")
    return Verdict("overfitting", primary("overfitting", [Ek(m), ctx.span[1]], ev, msg,
                                          remedies_for("overfitting", first=first)), onset=m)


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
           f"({cl.s[m]:.4g} -> {cl.end:.4g}) until early stopping ended training at epoch "
           f"{stop.get('stopped_epoch', Ek(n - 1))}: overfitting had begun.")
    first = ["weight_decay"] if ev["smoothed_gap_end"] > t.gap_warning * max(abs(cl.end), 1e-12) else []
    return Verdict("overfitting", primary("overfitting", [Ek(m), ctx.span[1]], ev, msg,
                                          remedies_for("overfitting", first=first)), onset=m)
