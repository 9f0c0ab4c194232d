"""How good is fitwatch's default early stopping? Regret and cost against fixed patience and Prechelt.

Every curve is replayed epoch by epoch through :class:`fitwatch.EarlyStopping`:
``update(e, {"loss": loss[e], "val_loss": val_loss[e], ...})`` with every series the curve has, until
it returns True or the curve ends. Then, with ``best`` the stopper's ``best_epoch`` (the weights
that would be restored):

* regret = val_loss[best] / nanmin(val_loss) - 1 (the whole run's lowest validation loss);
* cost = (stopped_epoch + 1) / len(curve) when it stopped, else 1.

A NaN or infinite val_loss stops every criterion at that epoch (the cost counts up to it). Curves
skipped (and counted): no val_loss; a val_loss that is NaN or infinite before its second epoch (it
diverged at once: nothing to decide, every criterion stops there with regret 0); a lowest val_loss
<= 0 (the ratio means nothing).

Corpora: ../shared/data/curves/lcbench_blood.jsonl.gz (LCBench), taskset_imdb_rnn.jsonl.gz
(TaskSet) and the labelled runs in tests/data/labelled/. The default criterion was designed on the
even-indexed curves of each corpus ("tune"); the odd-indexed ones ("hold-out") were only looked at
once the design was fixed. The target: on every corpus the default trains no more epochs than
patience=5 (cost <= its cost) with less regret. Exit status 0 when it holds on every corpus.

Run: .venv/bin/python benchmarks/early_stopping.py [--quick]   (from the repository root)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from fitwatch import EarlyStopping
from fitwatch.readers import read_curves

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "curves"
CORPORA = [
    ("LCBench", SHARED / "lcbench_blood.jsonl.gz"),
    ("TaskSet", SHARED / "taskset_imdb_rnn.jsonl.gz"),
    ("labelled", ROOT / "tests" / "data" / "labelled"),
]
CRITERIA = [
    ("fitwatch", {}),
    *((f"patience={p}", {"patience": p}) for p in (2, 5, 10, 20)),
    *((c, {"criterion": c}) for c in ("GL1", "GL2", "GL5", "PQ0.5", "PQ1", "PQ2", "UP2", "UP3")),
]
REFERENCE = "patience=5"


def load(path: Path) -> tuple[list[dict], dict]:
    """The curves to replay (each a dict of float arrays) and what was skipped or notable."""
    if path.is_dir():
        runs = [c for f in sorted(path.glob("*.csv")) if f.name != "labels.csv" for c in read_curves(f)]
    else:
        runs = read_curves(path)
    kept, info = [], {"read": len(runs), "no_val_loss": 0, "diverged_at_once": 0, "min_not_positive": 0,
                      "with_nan": 0, "epochs": set()}
    for c in runs:
        v = c.series.get("val_loss")
        if v is None:
            info["no_val_loss"] += 1
            continue
        bad = np.flatnonzero(~np.isfinite(v))
        if bad.size and bad[0] < 2:
            info["diverged_at_once"] += 1
            continue
        if np.nanmin(v) <= 0:
            info["min_not_positive"] += 1
            continue
        info["with_nan"] += bool(bad.size)
        info["epochs"].add(len(v))
        kept.append({k: np.asarray(a, dtype=np.float64) for k, a in c.series.items()})
    return kept, info


def replay(curves: list[dict], params: dict) -> tuple[np.ndarray, np.ndarray]:
    """(regret, cost) of every curve under ``EarlyStopping(**params)``."""
    regret = np.empty(len(curves))
    cost = np.empty(len(curves))
    for i, s in enumerate(curves):
        stopper = EarlyStopping(**params)
        keys = list(s)
        columns = [s[k].tolist() for k in keys]  # plain floats: what a training loop passes
        n = len(columns[0])
        for e in range(n):
            if stopper.update(e, {k: col[e] for k, col in zip(keys, columns)}):
                break
        v = s["val_loss"]
        regret[i] = v[stopper.best_epoch] / np.nanmin(v) - 1.0
        cost[i] = 1.0 if stopper.stopped_epoch is None else (stopper.stopped_epoch + 1) / n
    return regret, cost


def row(name: str, regret: np.ndarray, cost: np.ndarray) -> str:
    return (f"  {name:14s} {regret.mean():8.4f} {np.median(regret):8.4f} {np.percentile(regret, 90):8.4f} "
            f"{100 * cost.mean():7.1f}%")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="every 10th curve of the two large corpora (a smoke test, a few seconds)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    verdicts = []
    for label, path in CORPORA:
        curves, info = load(path)
        quick = args.quick and len(curves) > 1000
        if quick:
            curves = curves[::10]
        lengths = sorted(info["epochs"])
        span = f"{lengths[0]}" if len(lengths) == 1 else f"{lengths[0]}-{lengths[-1]}"
        print(f"== {label}: {path.name}: {len(curves)} curves of {span} epochs replayed"
              f"{' (--quick: every 10th)' if quick else ''}; {info['read']} read, skipped "
              f"{info['diverged_at_once']} NaN before their 2nd epoch, {info['no_val_loss']} without val_loss, "
              f"{info['min_not_positive']} with a lowest val_loss <= 0; {info['with_nan']} replayed curves "
              f"hold NaN (stopped there)")
        print(f"  {'criterion':14s} {'regret':>8s} {'median':>8s} {'p90':>8s} {'cost':>8s}")
        results = {}
        for name, params in CRITERIA:
            results[name] = replay(curves, params)
            print(row(name, *results[name]))
        even, odd = curves[0::2], curves[1::2]
        for half, part in (("tune (even)", even), ("hold-out (odd)", odd)):
            r, c = replay(part, {})
            rr, rc = replay(part, {"patience": 5})
            ok = r.mean() < rr.mean() and c.mean() <= rc.mean()
            print(f"  fitwatch on the {half:14s}: regret {r.mean():.4f} at {100 * c.mean():.1f}% of the epochs; "
                  f"patience=5 {rr.mean():.4f} at {100 * rc.mean():.1f}%  [{'better' if ok else 'NOT better'}]")
        r, c = results["fitwatch"]
        rr, rc = results[REFERENCE]
        ok = r.mean() < rr.mean() and c.mean() <= rc.mean()
        verdicts.append(ok)
        print(f"{'PASS' if ok else 'FAIL'} {label}: fitwatch regret {r.mean():.4f} "
              f"{'<' if r.mean() < rr.mean() else '>='} {rr.mean():.4f} ({REFERENCE}) and cost "
              f"{100 * c.mean():.1f}% {'<=' if c.mean() <= rc.mean() else '>'} {100 * rc.mean():.1f}%")
        print()
    print(f"{'PASS' if all(verdicts) else 'FAIL'}: the default beats {REFERENCE} on "
          f"{sum(verdicts)} of {len(verdicts)} corpora ({time.perf_counter() - t0:.0f} s)")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
