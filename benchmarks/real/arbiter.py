"""Would a learned arbiter between the diagnosis checks do better than their fixed order?

The diagnosis runs its checks in a fixed order (diverged, unstable, not_learning, overfitting,
still_improving, ..., settled) and the first that fires gives the verdict. This script asks whether
a forest of decision trees, trained on the real logs' tuning half, weighs the same evidence better,
in three forms:

- ``free``: the forest picks any verdict from ~30 numbers read off the curves (where validation's
  best is, how far it rose since, what training did meanwhile, the gap, the scatter, the final
  slope, the accuracies, the level against ln k) and the rules' own verdict;
- ``numbers``: the same without the rules' verdict;
- ``fired``: the forest may only pick a verdict whose check fired (whose evidence the diagnosis
  has, as fitwatch's findings require), and only when the forest rates it ``margin`` above the
  rules' verdict.

It prints each form's accuracy on the tuning half by 5-fold cross-validation grouped by repository
(no repository both trains and scores the forest), three seeds averaged, beside the rules' own
accuracy on that half (in-sample: the rules were tuned on it). With ``--heldout`` it also trains on
the whole tuning half and scores the held-out half: each such run is a look at the held-out half
(its totals only, no case named), to be reported as such (docs/diagnosis.md, "A learned arbiter").

Needs scikit-learn (the dev extra). Run: .venv/bin/python benchmarks/real/arbiter.py [--heldout]
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import numpy as np

import fitwatch
from fitwatch.diagnosis import analyze
from fitwatch.diagnosis.monitored import instead_of_loss, real_validation, resolve_monitor
from fitwatch.diagnosis.readers import read_curves
from fitwatch.diagnosis.thresholds import DEFAULT

REAL = Path(__file__).resolve().parents[2] / "tests" / "data" / "real"
VERDICTS = ["diverged", "unstable", "not_learning", "overfitting", "still_improving", "underfitting", "good_fit"]


def _clip(x: float, lo: float, hi: float) -> float:
    return float(np.clip(x, lo, hi)) if math.isfinite(x) else math.nan


def _rel(a: float, b: float) -> float:
    """``a / |b|``, its denominator kept off 0."""
    return a / max(abs(b), 1e-12)


def _scatter(c) -> float:
    """The median distance of ``c``'s second half from its moving average, relative to its level."""
    if c.n < 4:
        return 0.0
    half = c.y[c.n // 2:]
    return _rel(float(np.median(np.abs(half - c.s[c.n // 2:]))), float(np.median(np.abs(half))))


def _end_slope(c) -> float:
    """What a least-squares line through the last tenth (3 values or more) gained, against the whole drop."""
    k = max(3, c.n // 10)
    y = c.y[-k:]
    return _rel(float(np.polyfit(np.arange(y.size), y, 1)[0]) * k, c.drop) if y.size >= 2 else 0.0


def _curve_numbers(ctx, f: dict) -> None:
    """The judged curve's shape: where its best is, how far it rose since, its drop, scatter and end."""
    m = ctx.cv or ctx.cl
    if m is None:
        return  # (no curve to judge: the rules said so, and their verdict is among the numbers)
    f.update(n=math.log(m.n), has_val=int(ctx.cv is not None), has_train=int(ctx.cl is not None),
             has_acc=int(ctx.acc is not None or ctx.vacc is not None), lr_decayed=int(ctx.lr_decayed is not None))
    if m.n < 2:
        return
    y = m.y
    floor = ctx.no_skill(m.start)
    f.update(pos_min=m.imin / (m.n - 1), pos_rawmin=int(np.argmin(y)) / (m.n - 1),
             rise_s=_clip(_rel(m.end - m.min, m.min), -5, 5),
             rise_raw=_clip(_rel(float(np.mean(y[-3:]) - y.min()), float(y.min())), -5, 5),
             rise_drop=_clip(_rel(m.end - m.min, m.drop), -5, 5), rise_noise=_clip(_rel(m.end - m.min, m.sigma), 0, 50),
             drop_rel=_clip(_rel(m.drop, m.start), -5, 5), scatter=min(_scatter(m), 5.0),
             end_slope=_clip(_end_slope(m), -5, 5), end_start=_clip(_rel(m.end, m.start), -5, 10),
             max_start=_clip(_rel(float(np.nanmax(y)), float(y[0])), 0, 20),
             level_no_skill=-1.0 if floor is None else _clip(m.end / floor, 0, 10))


def _pair_numbers(ctx, f: dict) -> None:
    """Training beside validation: its own drop, scatter and end, what it did since validation's best, the gap."""
    cl, cv = ctx.cl, ctx.cv
    if cl is not None and cl.n >= 2:
        f.update(train_drop=_clip(_rel(cl.drop, cl.start), -5, 5), train_scatter=min(_scatter(cl), 5.0),
                 train_end_slope=_clip(_end_slope(cl), -5, 5))
    if cl is not None and cv is not None and cl.n == cv.n and cv.n >= 2:
        m = cv.imin
        f.update(train_fell=_clip(_rel(cl.s[m] - cl.end, cl.s[m]), -5, 5),
                 gap_end=_clip(_rel(cv.end - cl.end, cl.end), -5, 20), gap_at_best=_clip(_rel(cv.s[m] - cl.s[m], cl.s[m]), -5, 20),
                 gap_grew=_clip(_rel((cv.end - cl.end) - (cv.s[m] - cl.s[m]), cv.end), -5, 5))
    for name, a in (("acc", ctx.acc), ("val_acc", ctx.vacc)):
        a = None if a is None else np.asarray(a, float)[np.isfinite(a)]
        if a is not None and a.size:
            a = np.where(a > 1.5, a / 100, a)
            f[name + "_end"], f[name + "_gain"] = float(np.mean(a[-3:])), float(a[-1] - a[0])
    if "acc_end" in f and "val_acc_end" in f:
        f["acc_gap"] = f["acc_end"] - f["val_acc_end"]


def features(row: dict) -> tuple[dict, str, set]:
    """One manifest row: its numbers, the rules' verdict and the verdicts whose checks fire."""
    name, _, k = row["file"].partition("#")
    runs = read_curves(REAL / name)
    curves = runs[int(k) - 1] if k else runs[0]
    kw = {"monitor": row["monitor"]} if row["monitor"] else {}
    verdict = fitwatch.diagnose_curves(curves, **kw).verdict
    curves, monitor, _ = real_validation(curves, row["monitor"] or "val_loss")
    monitor, _ = instead_of_loss(curves, monitor)
    monitor = resolve_monitor(curves, monitor)
    fired = {verdict}
    for check in analyze.CHECKS:  # each on a fresh context: a check may add findings to the one it reads
        try:
            found = check(analyze._prepare(curves, monitor, DEFAULT))
        except (AttributeError, IndexError, ValueError, TypeError):
            found = None  # out of its order, a check meets curves an earlier one answers for (too few epochs)
        if found is not None:
            fired.add(found.code)
    f: dict = {}
    ctx = analyze._prepare(curves, monitor, DEFAULT)
    _curve_numbers(ctx, f)
    _pair_numbers(ctx, f)
    for v in VERDICTS:
        f["rules_" + v] = int(verdict == v)
    return f, verdict, fired


def _accepted(rows, picks) -> float:
    return float(np.mean([p in (r["label"], r["also"]) for r, p in zip(rows, picks)]))


def _pick(classes, proba, row, form: str, margin: float) -> str:
    """The forest's verdict in ``form``: its most likely, or (``fired``) the most likely whose check fired,
    taken over the rules' verdict only when rated ``margin`` above it."""
    order = [classes[i] for i in np.argsort(-proba)]
    if form != "fired":
        return order[0]
    p = dict(zip(classes, proba))
    best = next((c for c in order if c in row["fired"]), row["verdict"])
    return best if p.get(best, 0.0) > p.get(row["verdict"], 0.0) + margin else row["verdict"]


def _matrix(rows, keys) -> np.ndarray:
    return np.nan_to_num(np.array([[r["f"].get(k, np.nan) for k in keys] for r in rows], float), nan=-9.0)


def _forest(seed: int):
    from sklearn.ensemble import RandomForestClassifier
    return RandomForestClassifier(n_estimators=300, min_samples_leaf=2, random_state=seed, n_jobs=2)


def cross_validated(tune, keys, form: str, margin: float = 0.0, seeds: int = 3) -> float:
    """Accuracy on the tuning half by 5-fold cross-validation grouped by repository, ``seeds`` shuffles averaged."""
    from sklearn.model_selection import GroupKFold
    X, y, groups = _matrix(tune, keys), np.array([r["label"] for r in tune]), np.array([r["repo"] for r in tune])
    scores = []
    for seed in range(seeds):
        picks = np.empty(len(tune), object)
        order = np.random.RandomState(seed).permutation(len(tune))
        for fit, score in GroupKFold(n_splits=5).split(X[order], y[order], groups[order]):
            fit, score = order[fit], order[score]
            forest = _forest(seed).fit(X[fit], y[fit])
            for i, proba in zip(score, forest.predict_proba(X[score])):
                picks[i] = _pick(list(forest.classes_), proba, tune[i], form, margin)
        scores.append(_accepted(tune, picks))
    return float(np.mean(scores))


def on_heldout(tune, held, keys, form: str, margin: float = 0.0) -> float:
    """Trained on the whole tuning half, scored on the held-out half (totals only)."""
    forest = _forest(0).fit(_matrix(tune, keys), np.array([r["label"] for r in tune]))
    probas = forest.predict_proba(_matrix(held, keys))
    return _accepted(held, [_pick(list(forest.classes_), p, r, form, margin) for r, p in zip(held, probas)])


FORMS = [("free", "all", 0.0), ("numbers", "numbers", 0.0), ("fired", "all", 0.0), ("fired", "all", 0.2)]


def main(argv: list[str]) -> int:
    rows = []
    for row in csv.DictReader(open(REAL / "manifest.csv")):
        f, verdict, fired = features(row)
        rows.append(dict(row, f=f, verdict=verdict, fired=fired))
    tune = [r for r in rows if r["half"] == "tune"]
    held = [r for r in rows if r["half"] == "heldout"]
    every = sorted({k for r in rows for k in r["f"]})
    keys = {"all": every, "numbers": [k for k in every if not k.startswith("rules_")]}
    print(f"{len(tune)} tune runs, {len(held)} held-out runs, {len(every)} numbers per run")
    print(f"  rules (their fixed order)      tune {100 * _accepted(tune, [r['verdict'] for r in tune]):5.1f}% "
          f"(in-sample)" + (f"   held-out {100 * _accepted(held, [r['verdict'] for r in held]):5.1f}%"
                            if "--heldout" in argv else ""))
    for form, which, margin in FORMS:
        line = f"  forest, {form:7s} margin {margin:.1f}   tune {100 * cross_validated(tune, keys[which], form, margin):5.1f}% (CV)"
        if "--heldout" in argv:
            line += f"   held-out {100 * on_heldout(tune, held, keys[which], form, margin):5.1f}%"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
