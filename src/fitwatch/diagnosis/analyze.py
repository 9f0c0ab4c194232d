"""The diagnosis engine: from training and validation curves to a verdict with evidence.

Every test is relative to a curve's own scale (its starting level, its total drop) and noise (the
robust scatter of its epoch-to-epoch changes); the thresholds live in :mod:`fitwatch.thresholds`.
Curves are smoothed with a short centred moving average before minima and trends are read, so a
noisy validation curve does not make a false minimum.

The primary verdict is decided in this order, the first that holds wins: diverged, unstable,
not_learning, overfitting, still_improving, underfitting, good_fit.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np

from fitwatch.diagnosis.curves import Curves, ordinal
from fitwatch.diagnosis.findings import Diagnosis, Finding
from fitwatch.diagnosis.remedies import CATALOGUE, remedies_for
from fitwatch.diagnosis.thresholds import DEFAULT, Thresholds

_MAD = 1.4826  # MAD -> standard deviation for normal noise


class _Curve:
    """One curve's statistics, computed once."""

    __slots__ = ("y", "n", "s", "sigma", "start", "end", "imin", "min", "drop", "level")

    def __init__(self, y: np.ndarray, window: int):
        self.y = y
        n = self.n = y.size
        self.s = _smooth(y, window)
        d = np.diff(y)
        if d.size >= 2:
            self.sigma = float(_MAD * _median(np.abs(d - _median(d))) / math.sqrt(2.0))
        else:
            self.sigma = 0.0
        head = y[: max(1, min(2, n))]
        self.start = float(max(self.s[0], float(np.max(head)) if n > 1 else float(y[0])))
        tail = self.s[-max(1, min(3, n)):]
        self.end = float(_mean(tail))
        self.imin = int(np.argmin(self.s))
        self.min = float(self.s[self.imin])
        self.drop = self.start - self.min
        self.level = float(_median(np.abs(y[n // 2:]))) if n else 0.0


def _median(a) -> float:
    """np.median without its overhead (small arrays, no NaN: a curve's finite part)."""
    a = np.sort(a, axis=None)
    n = a.size
    return float(a[(n - 1) // 2] + a[n // 2]) / 2.0


def _mean(a) -> float:
    a = np.asarray(a, dtype=np.float64)
    return float(a.sum()) / a.size


def _smooth(y: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average with the window shrinking at the edges (no phase shift)."""
    n = y.size
    w = min(window, n if n % 2 else n - 1)
    if w < 3:
        return y.astype(np.float64, copy=True)
    h = w // 2
    c = np.concatenate(([0.0], np.cumsum(y, dtype=np.float64)))
    i = np.arange(n)
    lo = np.maximum(i - h, 0)
    hi = np.minimum(i + h + 1, n)
    # symmetric at the edges: shrink both sides equally so the average stays centred
    k = np.minimum(i - lo, hi - 1 - i)
    lo, hi = i - k, i + k + 1
    return (c[hi] - c[lo]) / (hi - lo)


def _window(n: int, t: Thresholds) -> int:
    w = max(3, min(t.smooth_window, n // 8 * 2 + 1))
    return w if w % 2 else w + 1


def _first_nonfinite(*pairs) -> int | None:
    """The first index where a curve *holds* a NaN or infinite value: ``pairs`` of (values, missing
    mask or None); an epoch without a value is not a divergence."""
    first = None
    for a, miss in pairs:
        if a is None:
            continue
        nonfinite = ~np.isfinite(a)
        if miss is not None:
            nonfinite &= ~miss
        bad = np.flatnonzero(nonfinite)
        if bad.size and (first is None or bad[0] < first):
            first = int(bad[0])
    return first


def _sparse_note(key: str, miss: np.ndarray, epochs: np.ndarray) -> str:
    """``val_loss present at 10 of 30 epochs (every 3rd): judged on those``."""
    at = epochs[~miss]
    steps = np.unique(np.diff(at))
    if at.size >= 2 and steps.size == 1 and steps[0] == 1:
        pattern = f"epochs {at[0]}-{at[-1]}"
    elif at.size >= 2 and steps.size == 1:
        k = int(steps[0])
        pattern = f"every {ordinal(k)}" + (f" from epoch {at[0]}" if at[0] - epochs[0] >= k else "")
    else:
        pattern = "irregularly"
    return f"{key} present at {at.size} of {epochs.size} epochs ({pattern}): judged on those"


def _no_skill(start: float) -> float | None:
    """ln(k) when a cross-entropy starts within 3% of ln(k) for some class count k, else None."""
    if not (0.5 < start < 7.5):
        return None
    k = round(math.exp(start))
    if k >= 2 and abs(start - math.log(k)) < 0.03 * math.log(k):
        return math.log(k)
    return None


def _no_floor(start: float) -> None:
    return None


def diagnose_curves(curves: Curves, *, monitor: str = "val_loss", thresholds: Thresholds | None = None,
                    stop=None) -> Diagnosis:
    """Diagnose one run's curves. See :func:`fitwatch.diagnosis` for the usual entry point."""
    if stop is not None:
        curves = dataclasses.replace(curves, stop=stop_record(stop))
    t = thresholds or DEFAULT
    epochs = curves.epochs
    L, V = _monitored(curves, monitor)
    on_loss = monitor in ("val_loss", "loss")
    # the cross-entropy heuristics (no-skill level ln k, a classifier's ln 2, over-confidence) hold
    # for a loss only; another monitored metric is judged on its own curves
    acc = curves.get("accuracy") if on_loss else None
    vacc = curves.get("val_accuracy") if on_loss else None
    no_skill = _no_skill if on_loss else _no_floor
    # a curve that is NaN from its first epoch is data (diverged at once), not a missing curve; an
    # epoch where the source has no value (Curves.missing: validation every few epochs) is left out
    findings: list[Finding] = []
    notes = list(curves.notes)
    n_all = len(curves)
    E = lambda i: int(epochs[min(max(i, 0), n_all - 1)])  # noqa: E731 - epoch number of an index
    span = [E(0), E(n_all - 1)]
    kL, kV = _monitored_keys(monitor)
    mL = curves.missing.get(kL) if L is not None else None
    mV = curves.missing.get(kV) if V is not None else None
    for key, m in ((kV, mV), (kL, mL)):
        if m is not None and m.all():
            notes.append(f"{key} has no value at any epoch: judged without it")
        elif m is not None and m.any():
            notes.append(_sparse_note(key, m, epochs))
    if mV is not None and mV.all():
        V = mV = None
    if mL is not None and mL.all():
        L = mL = None

    if V is None:
        findings.append(Finding("missing_validation", "info", span, {"curves": sorted(curves.series)},
                                "There is no validation loss: overfitting and generalisation cannot be judged; "
                                "the verdict rests on the training loss alone.", []))
    if L is None:
        findings.append(Finding("missing_training", "info", span, {"curves": sorted(curves.series)},
                                "There is no training loss: the verdict rests on the validation loss alone.", []))

    # -- 1. NaN / inf --------------------------------------------------------------------------
    bad = _first_nonfinite((L, mL), (V, mV))
    if bad is not None:
        which = [k for k, a, m in (("loss", L, mL), ("val_loss", V, mV))
                 if a is not None and (m is None or not m[bad]) and not np.isfinite(a[bad])]
        findings.append(Finding(
            "nan_detected", "critical", [E(bad), E(n_all - 1)],
            {"first_epoch": E(bad), "curves": which, "last_finite": _last_finite(L, V, bad, mL, mV)},
            f"{' and '.join(which)} became {'NaN' if np.isnan((L if 'loss' in which else V)[bad]) else 'infinite'} "
            f"at epoch {E(bad)}.", remedies_for("nan_detected")))
        n = bad
    else:
        n = n_all
    Lf = L[:n] if L is not None else None
    Vf = V[:n] if V is not None else None
    # judged on the epochs where both curves have a value (validation every few epochs: those epochs,
    # the training loss taken there); every index below maps back to its epoch through idx (Ek)
    keep = np.ones(n, dtype=bool)
    for a, m in ((Lf, mL), (Vf, mV)):
        if a is not None:
            keep &= ~np.isnan(a) if m is None else ~m[:n]
    idx = np.flatnonzero(keep)
    if Lf is not None:
        Lf = Lf[idx]
    if Vf is not None:
        Vf = Vf[idx]
    if idx.size != n_all:  # the accuracies on the judged epochs too
        acc = acc[idx] if acc is not None else None
        vacc = vacc[idx] if vacc is not None else None
    Ek = lambda i: E(int(idx[min(max(i, 0), idx.size - 1)])) if idx.size else E(0)  # noqa: E731

    w = _window(idx.size, t)
    cl = _Curve(Lf, w) if Lf is not None and Lf.size else None
    cv = _Curve(Vf, w) if Vf is not None and Vf.size else None
    main = cv or cl  # the curve that decides the best epoch and "still improving"

    best = None
    if main is not None and main.n:
        best = _best_index(main, w)

    # -- too short ---------------------------------------------------------------------------------
    if idx.size < t.min_epochs:
        findings.append(Finding("too_few_epochs", "warning", span, {"epochs": int(idx.size)},
                                f"Only {idx.size} usable epoch{'s' if idx.size != 1 else ''}: too little is "
                                f"known to judge the fit.", remedies_for("too_few_epochs")))
        if bad is not None:
            verdict = "diverged"
            findings.insert(0, _primary("diverged", span, {"first_nonfinite_epoch": E(bad)},
                                        "The loss became NaN or infinite.", remedies_for("diverged")))
        else:
            fell = main is not None and main.n >= 2 and main.y[-1] < main.y[0]
            verdict = "still_improving" if fell or main is None or main.n < 2 else "not_learning"
            findings.insert(0, _primary(verdict, span, {"epochs": int(idx.size)},
                                        "Too few epochs to say more than that training should go on."
                                        if verdict == "still_improving" else
                                        "The loss did not fall in the few epochs there are.",
                                        remedies_for(verdict)))
        return _done(curves, verdict, Ek(best) if best is not None else None, None, findings, notes, monitor)

    # -- 2. diverged: NaN, or the loss climbs far above where it started ------------------------
    explode = None
    # the training loss decides (a validation loss that soars while training falls is overfitting)
    for name, c in (("loss", cl),) if cl is not None else (("val_loss", cv),):
        if c is None or explode:
            continue
        tail = float(_median(c.y[-3:]))
        if c.start > 0 and tail > (1 + t.end_above_start) * c.start and tail > 2 * c.min and c.min < c.start:
            explode = (name, tail, c)
        elif c.start > 0 and float(np.max(c.y)) > t.explode_factor * c.start and tail > c.start:
            explode = (name, tail, c)
    if bad is not None or explode:
        if explode:
            name, tail, c = explode
            ev = {"curve": name, "start": c.start, "lowest": c.min, "end": tail, "max": float(np.max(c.y)),
                  "lowest_epoch": Ek(c.imin)}
            msg = (f"{name} climbed from {c.start:.4g} at the start (lowest {c.min:.4g} at epoch {Ek(c.imin)}) "
                   f"to {tail:.4g} at the end: the training has blown up.")
            first = Ek(c.imin)
        else:
            ev = {"first_nonfinite_epoch": E(bad)}
            msg = f"The loss became NaN or infinite at epoch {E(bad)}; nothing after it can be used."
            first = E(bad)
        findings.insert(0, _primary("diverged", [first, span[1]], ev, msg, remedies_for("diverged")))
        findings.append(_lr_high(span, ev))
        return _done(curves, "diverged", Ek(best) if best is not None else None, None, findings, notes, monitor)

    # -- 3. unstable (before not_learning: a loss too rough to settle is the finding) ---------
    unstable = None
    for name, c in (("loss", cl), ("val_loss", cv)):
        if c is None or unstable:
            continue
        half = c.y[c.n // 2:]
        sh = c.s[c.n // 2:]
        level = float(_median(half))
        if level <= 0:
            continue
        rough = float(_MAD * _median(np.abs(half - sh))) / level
        ups = np.diff(c.y) / np.maximum(c.y[:-1], 1e-12)
        jumps = int(np.count_nonzero(ups > t.unstable_jump))
        # scatter around the moving average is also what a short curve's bend looks like (the average
        # lags it); a curve that "jumps around" goes up now and then, so a second half that falls at
        # (nearly) every epoch is not unstable, however much it bends
        if (rough > t.unstable_roughness and int(np.count_nonzero(half[1:] > half[:-1])) >= max(1, (half.size - 1) // 4)) \
                or jumps >= t.unstable_jumps:
            unstable = (name, rough, jumps, c)
    if unstable:
        name, rough, jumps, c = unstable
        ev = {"curve": name, "roughness": rough, "upward_jumps": jumps, "level": float(_median(c.y[c.n // 2:]))}
        findings.insert(0, _primary(
            "unstable", span, ev,
            f"{name} keeps jumping around instead of settling: its scatter in the second half is "
            f"{100 * rough:.0f}% of its level, with {jumps} jump{'s' if jumps != 1 else ''} of more than "
            f"{100 * t.unstable_jump:.0f}% up.",
            remedies_for("unstable")))
        findings.append(_lr_high(span, ev))
        _secondary(findings, cl, cv, acc, vacc, Ek, t, span, overfit_at=None)
        return _done(curves, "unstable", Ek(best), None, findings, notes, monitor)

    # -- 4. not learning ------------------------------------------------------------------------
    learned = False
    drops = {}
    for name, c in (("loss", cl), ("val_loss", cv)):
        if c is None:
            continue
        rel = c.drop / abs(c.start) if c.start else 0.0
        drops[name] = rel
        floor = no_skill(c.start)
        stuck_at_chance = floor is not None and c.min > floor * (1 - t.no_skill_margin)
        if rel >= t.learn_drop and c.drop > t.noise_k * c.sigma and not stuck_at_chance:
            learned = True
    if not learned:
        c = cl or cv
        ev = {"relative_drop": {k: round(v, 5) for k, v in drops.items()}, "start": c.start, "lowest": c.min,
              "noise": c.sigma}
        floor = no_skill(c.start)
        if floor is not None:
            ev["no_skill_level"] = floor
            ev["classes_guess"] = int(round(math.exp(floor)))
        smooth = c.sigma < 0.01 * abs(c.start) if c.start else True
        first = ["lr_up"] if smooth else ["check_data"]
        findings.insert(0, _primary(
            "not_learning", span, ev,
            f"The loss hardly moved: from {c.start:.4g} to at best {c.min:.4g} "
            f"({100 * max(drops.values(), default=0):.1f}% lower)"
            + (f", stuck at the no-skill level ln({ev['classes_guess']}) = {floor:.4g}." if floor is not None else "."),
            remedies_for("not_learning", first=first)))
        if smooth:
            findings.append(Finding("lr_too_low", "warning", span, {"noise": c.sigma, "start": c.start},
                                    "The curve is smooth but flat: a learning rate far too small is the usual "
                                    "cause.", remedies_for("lr_too_low")))
        _secondary(findings, cl, cv, acc, vacc, Ek, t, span, overfit_at=None)
        return _done(curves, "not_learning", Ek(best), None, findings, notes, monitor)

    # -- 5. overfitting ---------------------------------------------------------------------------
    onset = None
    if cl is not None and cv is not None:
        onset = _overfitting(findings, cl, cv, Ek, t, span)
        if onset is None and curves.stop and _stopped(curves.stop):
            onset = _caught_at_stop(findings, cl, cv, Ek, t, span, curves.stop)
    if onset is not None:
        _secondary(findings, cl, cv, acc, vacc, Ek, t, span, overfit_at=onset)
        return _done(curves, "overfitting", Ek(best), Ek(onset), findings, notes, monitor)

    # -- 6. still improving ----------------------------------------------------------------------
    c = main
    k = min(c.n, max(3, int(round(t.stall_fraction * c.n))))
    slope, slope_se = _slope(c.y[-k:])
    recent = -slope * (k - 1)  # what the final stretch still gained, by a least-squares line
    if c.drop > 0 and recent > t.improving_drop * c.drop and -slope > t.noise_k * slope_se \
            and c.imin >= c.n - max(2, c.n // 10):
        name = "val_loss" if c is cv else "loss"
        k_epochs = Ek(c.n - 1) - Ek(c.n - k) + 1  # k when every epoch has a value
        ev = {"curve": name, "drop_last_epochs": recent, "last_epochs": k_epochs, "total_drop": c.drop,
              "per_epoch": recent / k_epochs}
        findings.insert(0, _primary(
            "still_improving", [Ek(c.n - k - 1), span[1]], ev,
            f"{name} is still falling at the end: {recent:.4g} lower over the last {k_epochs} epochs "
            f"({100 * recent / c.drop:.0f}% of its whole drop). Train longer.",
            remedies_for("still_improving")))
        if c.sigma < 0.2 * recent / k and _nearly_linear(c.s[-k - 1:]):
            findings.append(Finding("lr_too_low", "info", [Ek(c.n - k - 1), span[1]], {"per_epoch": recent / k},
                                    "The loss falls slowly and steadily: a larger learning rate would get "
                                    "there in fewer epochs.", remedies_for("lr_too_low")))
        _secondary(findings, cl, cv, acc, vacc, Ek, t, span, overfit_at=None)
        return _done(curves, "still_improving", Ek(best), None, findings, notes, monitor)

    # -- 7. underfitting vs good fit -------------------------------------------------------------------
    verdict = "good_fit"
    ref = cl or cv
    floor = no_skill(ref.start)
    base = floor if floor is not None else ref.start
    if acc is not None or vacc is not None:
        # a classifier's first epoch may already have learned a lot: judge its level against at
        # least a coin flip's cross-entropy, ln 2
        base = max(base, math.log(2))
    level = ref.end / base if base > 0 else 0.0
    gap = abs(cv.end - cl.end) / max(abs(cl.end), 1e-12) if cl is not None and cv is not None else 0.0
    acc_end = float(np.nanmean(acc[-3:])) if acc is not None and acc.size >= 3 else None
    # a model with capacity to spare keeps lowering its training loss; one that cannot fit is flat
    h = ref.n // 2
    still = (float(_mean(ref.y[max(0, h - 1): h + 2])) - ref.end) / max(abs(ref.end), 1e-12)
    if level > t.underfit_level and gap < t.underfit_gap and still < t.underfit_flat:
        verdict = "underfitting"
        ev = {"settled_loss": ref.end, "start": ref.start, "relative_level": level, "train_val_gap": gap,
              "second_half_decrease": still}
        if floor is not None:
            ev["no_skill_level"] = floor
        if acc_end is not None:
            ev["train_accuracy"] = acc_end
        findings.insert(0, _primary(
            "underfitting", span, ev,
            f"{'Training' if ref is cl else 'Validation'} settled at {ref.end:.4g}, still {100 * level:.0f}% of "
            f"{'the no-skill level' if floor is not None else 'where it started'}"
            + (f", with validation close to it ({100 * gap:.0f}% apart)" if cl is not None and cv is not None else
               " (there is only this curve)")
            + ": the model cannot fit the data better as it is.",
            remedies_for("underfitting")))
    else:
        ev = {"best_val_loss" if cv is not None else "best_loss": main.min, "end": main.end,
              "relative_level": level}
        if cl is not None and cv is not None:
            ev["train_val_gap"] = gap
        findings.insert(0, _primary(
            "good_fit", span, ev,
            ("The training loss fell and settled." if cv is None else
             "The validation loss fell and settled, and stays close to its best." if cl is None else
             "Both losses fell and settled; validation stays close to its best"
             + (f" and {100 * gap:.0f}% from training." if gap < _NEAR_ZERO
                else "; training is near 0 (far below validation).")),
            remedies_for("good_fit")))
    _secondary(findings, cl, cv, acc, vacc, Ek, t, span, overfit_at=None)
    return _done(curves, verdict, Ek(best), None, findings, notes, monitor)


# -- pieces ---------------------------------------------------------------------------------------
# a ratio this large means its denominator is about 0 (a training error that reached 0): say so
# instead of printing "4717583558010%"
_NEAR_ZERO = 1e3
_HIGHER_IS_BETTER = ("acc", "auc", "f1", "precision", "recall", "iou", "dice", "r2", "map")


def _higher_is_better(monitor: str) -> bool:
    return any(w in monitor.lower() for w in _HIGHER_IS_BETTER)


def _within_unit(a: np.ndarray) -> bool:
    """A higher-is-better curve within [0, 1] is judged as 1 - value, one beyond it as -value."""
    return bool(np.nanmax(np.abs(a)) <= 1.0)


def _monitored_keys(monitor: str) -> tuple[str | None, str]:
    """The keys of the (training, validation) pair :func:`_monitored` returns."""
    if monitor in ("val_loss", "loss"):
        return "loss", "val_loss"
    train_key = monitor[4:] if monitor.startswith("val_") else monitor
    return (train_key if train_key != monitor else None), monitor


def _monitored(curves: Curves, monitor: str) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The (training, validation) pair the diagnosis judges: the losses by default; for another
    monitored metric, it and its training counterpart, as errors (1 - accuracy...) when higher is
    better, so that lower is better throughout."""
    if monitor in ("val_loss", "loss"):
        return curves.get("loss"), curves.get("val_loss")
    if monitor not in curves.series:
        raise KeyError(f"{curves.source or curves.name}: no {monitor!r} curve to monitor "
                       f"(found: {', '.join(curves.series)}); pass --monitor with one of those")
    train_key = monitor[4:] if monitor.startswith("val_") else monitor
    pair = [curves.get(train_key) if train_key != monitor else None, curves.get(monitor)]
    if _higher_is_better(monitor):
        pair = [None if a is None else (1.0 - a if _within_unit(a) else -a) for a in pair]
    return pair[0], pair[1]



def _primary(code, epochs, evidence, message, remedies) -> Finding:
    severity = {"good_fit": "info", "still_improving": "info", "underfitting": "warning",
                "overfitting": "warning"}.get(code, "critical")
    return Finding(code, severity, list(epochs), evidence, message, remedies)


def _lr_high(span, ev) -> Finding:
    return Finding("lr_too_high", "warning", span, {k: v for k, v in ev.items() if k != "curve"},
                   "A learning rate too high for this model and batch size is the usual cause.",
                   remedies_for("lr_too_high"))


def _last_finite(L, V, bad: int, mL=None, mV=None) -> dict:
    """Each curve's last value before the first non-finite one (its last value, where it has gaps)."""
    out = {}
    for k, a, m in (("loss", L, mL), ("val_loss", V, mV)):
        if a is None or bad <= 0:
            continue
        have = np.flatnonzero(~m[:bad]) if m is not None else [bad - 1]
        v = float(a[have[-1]]) if len(have) else math.nan
        out[k] = v if math.isfinite(v) else None
    return out


def _best_index(c: _Curve, w: int) -> int:
    """The lowest raw value near the smoothed minimum: noise-aware, and a real epoch's weights."""
    lo, hi = max(0, c.imin - w // 2), min(c.n, c.imin + w // 2 + 1)
    return lo + int(np.argmin(c.y[lo:hi]))


def _slope(y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope per epoch of ``y`` and its standard error."""
    n = y.size
    if n < 3:
        return (float(y[-1] - y[0]) / max(n - 1, 1), float("inf"))
    x = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
    sxx = float(x @ x)
    b = float(x @ (y - y.mean())) / sxx
    resid = y - y.mean() - b * x
    se = math.sqrt(float(resid @ resid) / (n - 2) / sxx)
    return b, se


def _nearly_linear(s: np.ndarray) -> bool:
    if s.size < 4:
        return False
    d = np.diff(s)
    return bool(np.all(d < 0) and np.max(d) / np.min(d) > 0.3)


def _overfitting(findings, cl: _Curve, cv: _Curve, Ek, t: Thresholds, span) -> int | None:
    """Validation turned up (or stalled with a widening gap) while training kept falling."""
    m = cv.imin
    n = cv.n
    if m >= n - 2:
        return None
    rise = cv.end - cv.min
    vdrop = max(cv.drop, 0.0)
    noise = t.noise_k * cv.sigma / math.sqrt(max(1, min(5, n - m)))
    train_fell = cl.s[m] - cl.end
    train_ok = train_fell > max(t.noise_k * cl.sigma / math.sqrt(3), 0.02 * abs(cl.s[m]))
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
    ev = {"best_val_loss": cv.min, "lowest_smoothed_epoch": Ek(m), "val_loss_end": cv.end, "rise": rise,
          "rise_vs_drop": rise / vdrop if vdrop > 0 else None, "noise": cv.sigma,
          "train_loss_at_best": float(cl.s[m]), "train_loss_end": cl.end,
          "gap_at_best": gap_m, "gap_end": gap_end}
    if rising:
        msg = (f"Validation loss bottomed out around epoch {Ek(m)} and rose from {cv.min:.4g} to {cv.end:.4g} "
               f"(+{100 * rise / abs(cv.min):.0f}%) while training loss kept falling "
               f"({cl.s[m]:.4g} -> {cl.end:.4g}; values smoothed over {_window(cv.n, t)} epochs).")
    else:
        msg = (f"Validation loss stopped improving around epoch {Ek(m)} ({cv.min:.4g}) while training loss kept "
               f"falling ({cl.s[m]:.4g} -> {cl.end:.4g}): the gap widened from {gap_m:.4g} to {gap_end:.4g}.")
    first = ["early_stopping"]
    if gap_end > t.gap_warning * max(abs(cl.end), 1e-12):
        first.append("weight_decay")
    findings.insert(0, _primary("overfitting", [Ek(m), span[1]], ev, msg, remedies_for("overfitting", first=first)))
    return m


def _caught_at_stop(findings, cl: _Curve, cv: _Curve, Ek, t: Thresholds, span, stop: dict) -> int | None:
    """A run early stopping ended: validation stopped improving while training kept falling up to the
    stop. That is the onset of overfitting, though the stop cut the rise short of what
    :func:`_overfitting` needs to see."""
    m, n = cv.imin, cv.n
    train_fell = cl.s[m] - cl.end
    if m >= n - 2 or cv.end < cv.min or train_fell <= t.stop_train_drop * abs(cl.s[m]):
        return None
    ev = {"best_val_loss": cv.min, "lowest_smoothed_epoch": Ek(m), "val_loss_end": cv.end, "rise": cv.end - cv.min,
          "noise": cv.sigma, "train_loss_at_best": float(cl.s[m]), "train_loss_end": cl.end,
          "gap_at_best": float(cv.s[m] - cl.s[m]), "gap_end": cv.end - cl.end, "stopped_epoch": stop.get("stopped_epoch")}
    msg = (f"Validation loss stopped improving around epoch {Ek(m)} ({cv.min:.4g}) while training loss kept falling "
           f"({cl.s[m]:.4g} -> {cl.end:.4g}) until early stopping ended training at epoch "
           f"{stop.get('stopped_epoch', Ek(n - 1))}: overfitting had begun.")
    first = ["weight_decay"] if ev["gap_end"] > t.gap_warning * max(abs(cl.end), 1e-12) else []
    findings.insert(0, _primary("overfitting", [Ek(m), span[1]], ev, msg, remedies_for("overfitting", first=first)))
    return m


def _secondary(findings, cl, cv, acc, vacc, Ek, t: Thresholds, span, overfit_at) -> None:
    """The finer signs, whatever the verdict."""
    if cl is not None and cv is not None and cl.n >= t.min_epochs:
        n = cl.n
        # generalisation gap: its size at the end and its trend over the second half
        gap = cv.s - cl.s
        g_end = float(gap[-1])
        rel = g_end / max(abs(cl.end), 1e-12)
        half = gap[n // 2:]
        trend = float(half[-1] - half[0]) if half.size > 1 else 0.0
        growing = trend > t.noise_k * cv.sigma / math.sqrt(max(1, half.size // 2))
        if g_end > 0:
            sev = "warning" if rel > t.gap_warning and growing else "info"
            findings.append(Finding(
                "generalization_gap", sev, [Ek(n // 2), span[1]],
                {"gap_end": g_end, "relative_to_train": rel, "trend_second_half": trend, "growing": growing},
                f"Validation loss ends {g_end:.4g} above training ("
                + ("the training loss is near 0" if rel >= _NEAR_ZERO else
                   (f"{rel:.0f}x" if rel >= 10 else f"{100 * rel:.0f}% of") + " the training loss") + "), "
                f"{'and the gap is growing' if growing else 'and the gap is not growing'}.",
                remedies_for("generalization_gap") if sev == "warning" else []))
        # validation below training
        # (as a ratio: a loss that goes negative, a negative log-likelihood or an ELBO, has no such sign)
        below = cv.y < cl.y * (1 - t.val_below_train)
        share = float(_mean(below[1:])) if n > 1 else 0.0
        if share > 0.6 and cl.y.min() > 0:
            ratio = float(_median(cv.y[1:] / np.maximum(cl.y[1:], 1e-12)))
            leak = ratio < 1 - t.leak_ratio * t.val_below_train
            findings.append(Finding(
                "val_below_train", "warning" if leak else "info", span,
                {"share_of_epochs": share, "median_val_over_train": ratio},
                f"Validation loss is below training loss in {100 * share:.0f}% of epochs (median ratio {ratio:.2f})"
                + ("; that much, that long, can mean validation data leaked into training." if leak else
                   ": usual when dropout or other regularisation acts only in training, and because an "
                   "epoch's training loss is averaged over an epoch that was still learning."),
                remedies_for("val_below_train", first=["leakage"] if leak else [])))
        # noisy validation
        vrel = cv.sigma / max(abs(cv.level), 1e-12)
        lrel = cl.sigma / max(abs(cl.level), 1e-12)
        if vrel > t.noisy_val and vrel > 3 * lrel:
            findings.append(Finding(
                "noisy_validation", "info", span, {"val_noise_relative": vrel, "train_noise_relative": lrel},
                f"Validation loss scatters by about {100 * vrel:.0f}% of its level from epoch to epoch, "
                + (f"{vrel / max(lrel, 1e-12):.0f}x the training loss's scatter" if vrel < _NEAR_ZERO * lrel
                 else "while the training loss hardly scatters") + ": is the validation set small?",
                remedies_for("noisy_validation")))
        # over-confidence: validation loss rising while validation accuracy holds
        m = cv.imin
        if vacc is not None and m < n - 2 and cv.end - cv.min > t.noise_k * cv.sigma / math.sqrt(3):
            va = vacc[~np.isnan(vacc)] if vacc.size != n else vacc
            if va.size == n and np.all(np.isfinite(va)):
                a_m = float(np.max(va[max(0, m - 1): m + 2]))
                a_end = float(_mean(va[-3:]))
                if a_end >= a_m - 0.005:
                    findings.append(Finding(
                        "overconfident", "warning", [Ek(m), span[1]],
                        {"val_loss_best": cv.min, "val_loss_end": cv.end, "val_accuracy_at_best": a_m,
                         "val_accuracy_end": a_end},
                        f"Validation loss rose from {cv.min:.4g} to {cv.end:.4g} after epoch {Ek(m)} while validation "
                        f"accuracy held ({a_m:.3f} -> {a_end:.3f}): the model grows over-confident on the "
                        f"examples it gets wrong.",
                        remedies_for("overconfident")))
    # plateau: where the training loss stopped making progress
    c = cl or cv
    if c is not None and c.n >= 6 and c.drop > 0:
        target = c.start - t.plateau_fraction * c.drop
        hit = np.flatnonzero(c.s <= target)
        if hit.size and hit[0] < c.n - max(3, c.n // 4) and overfit_at is None:
            p = int(hit[0])
            findings.append(Finding(
                "plateau", "info", [Ek(p), span[1]],
                {"epoch": Ek(p), "level": float(c.s[p]), "end": c.end,
                 "share_of_run_after": round(1 - p / c.n, 3)},
                f"{'Training' if c is cl else 'Validation'} loss had made {100 * t.plateau_fraction:.0f}% of its "
                f"progress by epoch {Ek(p)}; the remaining {Ek(c.n - 1) - Ek(p) + 1} epochs added little.",
                remedies_for("plateau", drop=("larger_model",) if _fits_training(cl, acc) else ())))


def _fits_training(cl: _Curve | None, acc) -> bool:
    """The model fits its training data: its loss fell by 95% or more, or training accuracy is ~1
    (so "use a larger model" is not the remedy)."""
    if cl is not None and cl.start > 0 and cl.end < 0.05 * cl.start:
        return True
    return acc is not None and acc.size >= 3 and float(acc[-3:].mean()) >= 0.99  # NaN: not >= 0.99


def _done(curves: Curves, verdict, best, onset, findings, notes, monitor) -> Diagnosis:
    if best is not None and len(curves) and best == int(curves.epochs[-1]):
        # the best epoch is the last one: "stop early and keep the best epoch's weights" changes nothing
        stop = CATALOGUE["early_stopping"]
        for f in findings:
            if f.code in ("good_fit", "still_improving") and stop in f.remedies:
                f.remedies = [r for r in f.remedies if r != stop]
    if monitor not in ("val_loss", "loss"):
        _relabel(findings, curves, monitor)
    if curves.stop:
        _early_stopping(curves.stop, verdict, onset, findings)
    return Diagnosis(verdict=verdict, best_epoch=best, onset_epoch=onset, findings=findings,
                     source=curves.source, name=curves.name, epochs=len(curves), monitor=monitor, notes=notes,
                     _curves=curves)


def _relabel(findings: list[Finding], curves: Curves, monitor: str) -> None:
    """Name the monitored metric where the findings say "loss": in the messages, and in the evidence's
    keys (``best_val_loss`` -> ``best_val_mae``). A higher-is-better metric is judged as an error
    (1 - accuracy; the negated value when it is not within [0, 1]), and named so."""
    train_key, val_key = _monitored_keys(monitor)
    name = val_key[4:] if val_key.startswith("val_") else val_key
    key, label = name, name
    if _higher_is_better(monitor):  # judged as _monitored turned it into an error
        v = curves.get(monitor)
        key, label = ((f"{name}_error", f"error (1 - {name})") if v is not None and _within_unit(v)
                      else (f"neg_{name}", f"negated {name}"))
    words = {"val_loss": f"val_{key}", "train_loss": f"train_{key}", "best_loss": f"best_{key}",
             "settled_loss": f"settled_{key}"}
    names = {"loss": train_key or name, "val_loss": val_key}

    def rekey(k: str) -> str:
        for old, new in words.items():
            k = k.replace(old, new)
        return k

    def text(m: str) -> str:
        m = re.sub(r"\b([Vv]alidation|[Tt]raining) loss\b", lambda g: f"{g.group(1)} {label}", m)
        m = re.sub(r"\b([Tt])he loss\b", lambda g: f"{g.group(1)}he {label}", m)
        return m.replace("Both losses", f"Both {label} curves")

    for f in findings:
        f.message = text(f.message)
        ev = {}
        for k, v in f.evidence.items():
            if isinstance(v, dict):
                v = {names.get(a, a): b for a, b in v.items()}
            elif isinstance(v, list) and f.code == "nan_detected":  # the curves that became NaN
                v = [names.get(a, a) if isinstance(a, str) else a for a in v]
            ev[rekey(k)] = v
        f.evidence = ev


def stop_record(stop) -> dict:
    """An early stop as the dict the diagnosis reads: a run's ``info["early_stopping"]`` as it is;
    a :class:`fitwatch.EarlyStopping` (or Keras callback) by its ``to_dict()``."""
    if isinstance(stop, dict):
        return stop
    if callable(getattr(stop, "to_dict", None)):
        return stop.to_dict()
    raise TypeError(f"fitwatch: stop= takes a fitwatch.EarlyStopping or its to_dict(), got {type(stop).__name__}")


def _stopped(stop: dict) -> bool:
    return bool(stop.get("stopped", stop.get("stopped_epoch") is not None))


def _early_stopping(stop: dict, verdict, onset, findings) -> None:
    """The ``stopped_early`` (or ``best_restored``) finding, after the primary one; the remedy
    "stop early" is dropped where early stopping was in place."""
    stopped = _stopped(stop)
    restored = stop.get("restored")  # None: not known (a stopper passed in by the user)
    if not stopped and not restored:
        return
    best = stop.get("restored_epoch") if restored else stop.get("best_epoch")
    last = stop.get("stopped_epoch") if stopped else stop.get("last_epoch")
    ev = {"stopped_epoch": stop.get("stopped_epoch") if stopped else None, "best_epoch": best,
          "best_value": stop.get("best_value"), "monitor": stop.get("monitor"), "criterion": stop.get("criterion"),
          "restored": restored}
    after = ""
    if onset is not None and last is not None:
        ev.update(onset_epoch=onset, epochs_after_onset=last - onset)
        after = f"{last - onset} epoch{'s' if last - onset != 1 else ''} after the overfitting onset at {onset}"
    kept = f"the best weights (epoch {best}) were restored"
    reason = (stop.get("reason") or "").split("; best ")[0]  # the best epoch is said next
    if stopped:
        code, remedies = "stopped_early", []
        msg = f"Early stopping ended training at epoch {last}" + (f", {after}" if after else
                                                                  f": {reason}" if reason else "")
        if restored:
            msg += f"; {kept}" + (": the overfitting was caught." if onset is not None else ".")
        elif restored is False:
            msg += f"; the model keeps the last epoch's weights, not the best epoch's ({best})."
            remedies = [CATALOGUE["restore_best"]]
        else:
            msg += "."
        if verdict == "still_improving":
            msg += " The curve was still falling: the rule may have stopped too soon (more patience, or a smaller min_delta)."
    else:
        code, remedies = "best_restored", []
        msg = f"Training ran to its last epoch ({last}) without an early stop" + (f", {after}" if after else "") \
              + f"; {kept}" + (": the model is the best one, but stopping early would have saved the epochs after it."
                               if onset is not None else ".")
    if stopped:  # "stop early and keep the best weights" is done (or half done: restoring)
        for f in findings:
            f.remedies = [r for r in f.remedies if r != CATALOGUE["early_stopping"]]
    span = [best if best is not None else (last or 0), last if last is not None else (best or 0)]
    findings.insert(1 if findings else 0, Finding(code, "info", span, ev, msg, remedies))


def diagnose(source, *, monitor: str = "val_loss", thresholds: Thresholds | None = None, dir=None,
             stop=None) -> Diagnosis:
    """Diagnose training curves: say what is going on, since which epoch, why, and what to do.

    Args:
        source: a run name in the store, a Keras ``History`` or its ``.history`` dict, a pandas
            DataFrame, lists (``[train]``, ``(train, val)``), :class:`Curves`, or the path of a
            log file or folder (Keras CSVLogger CSV and its variants, PyTorch Lightning
            ``metrics.csv``, JSON lines, TensorBoard event files).
        monitor: the validation curve to judge (default ``val_loss``).
        thresholds: :class:`fitwatch.thresholds.Thresholds` to override the defaults.
        dir: the store's folder, for a run name.
        stop: the early stopping that ended the run (a :class:`fitwatch.EarlyStopping`, a
            ``fitwatch.keras.EarlyStopping`` callback, or its ``to_dict()``); a run in the store
            brings its own. The diagnosis then says where it stopped and whether the best weights
            were restored (finding ``stopped_early``).

    Returns:
        A :class:`Diagnosis`. For a source holding several runs, the last run's diagnosis with
        all of them in ``.runs``.

    Example:
        >>> import fitwatch
        >>> d = fitwatch.diagnose({"loss": [2.3, 1.9, 1.6, 1.4, 1.2, 1.05, 0.9, 0.8],
        ...                        "val_loss": [2.2, 1.9, 1.65, 1.45, 1.3, 1.15, 1.0, 0.9]})
        >>> d.verdict
        'still_improving'
    """
    from fitwatch.diagnosis.readers import read_curves

    results = [diagnose_curves(c, monitor=monitor, thresholds=thresholds, stop=stop)
               for c in read_curves(source, dir=dir)]
    if len(results) == 1:
        return results[0]
    last = results[-1]
    return Diagnosis(**{**last.__dict__, "runs": results})
