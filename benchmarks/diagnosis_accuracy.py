"""How good and how fast is the diagnosis?

1. Accuracy on the labelled runs in tests/data/labelled/ (real PyTorch runs with induced
   conditions, made by benchmarks/labelled/make_runs.py): per-verdict and overall accuracy of the
   primary verdict, the confusion matrix, and how close the overfitting onset is to the label.
   Targets: >= 95% overall, >= 90% for every verdict.
2. Robustness and speed on the public curves in ../shared/data/curves/ (LCBench and TaskSet,
   14,000 runs): every curve diagnosed without an error; curves per second on one core.
   Target: >= 2,000 curves a second (all 14,000 in under 7 s).

Run: .venv/bin/python benchmarks/diagnosis_accuracy.py
"""

from __future__ import annotations

import csv
import gzip
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

import fitwatch
from fitwatch.diagnosis import VERDICTS

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "data" / "labelled"
SHARED = ROOT.parent / "shared" / "data" / "curves"
OVERALL_TARGET, PER_VERDICT_TARGET, SPEED_TARGET = 0.95, 0.90, 2000.0


def accuracy() -> bool:
    print("== 1. Accuracy on the labelled runs ==")
    labels = list(csv.DictReader(open(LABELLED / "labels.csv")))
    right: Counter = Counter()
    total: Counter = Counter()
    confusion: dict[str, Counter] = defaultdict(Counter)
    onset_err = []
    wrong = []
    for row in labels:
        d = fitwatch.diagnose(LABELLED / row["file"], thresholds=None)
        truth = row["verdict"]
        total[truth] += 1
        confusion[truth][d.verdict] += 1
        if d.verdict == truth:
            right[truth] += 1
            if truth == "overfitting" and row.get("onset_epoch"):
                onset_err.append(abs(d.onset_epoch - int(float(row["onset_epoch"]))))
        else:
            wrong.append((row["file"], truth, d.verdict))
    n = sum(total.values())
    overall = sum(right.values()) / n
    print(f"  {n} runs; overall accuracy {100 * overall:.1f}%")
    print(f"  {'verdict':16s} {'runs':>5s} {'right':>6s} {'accuracy':>9s}   predicted as")
    ok = overall >= OVERALL_TARGET
    for v in VERDICTS:
        if not total[v]:
            print(f"  {v:16s} {0:5d}   (no labelled runs)")
            ok = False
            continue
        acc = right[v] / total[v]
        ok &= acc >= PER_VERDICT_TARGET
        others = ", ".join(f"{k} {c}" for k, c in confusion[v].most_common() if k != v)
        print(f"  {v:16s} {total[v]:5d} {right[v]:6d} {100 * acc:8.1f}%   {others}")
    if onset_err:
        print(f"  overfitting onset: median |error| {np.median(onset_err):.1f} epochs, "
              f"within 5 epochs for {100 * np.mean(np.array(onset_err) <= 5):.0f}% of runs")
    for f, truth, got in wrong:
        print(f"    wrong: {f}: labelled {truth}, diagnosed {got}")
    print(f"  [{'PASS' if ok else 'FAIL'}] target: >= {100 * OVERALL_TARGET:.0f}% overall and "
          f">= {100 * PER_VERDICT_TARGET:.0f}% for every verdict")
    return ok


def speed() -> bool:
    print("\n== 2. Robustness and speed on the shared public curves ==")
    if not SHARED.is_dir():
        print(f"  {SHARED} not found: skipped")
        return True
    from fitwatch.readers import read_curves

    ok = True
    all_curves = []
    t0 = time.perf_counter()
    for f in sorted(SHARED.glob("*.jsonl.gz")):
        curves = read_curves(f)
        all_curves += curves
        print(f"  {f.name}: {len(curves)} runs")
    t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    verdicts: Counter = Counter()
    errors = 0
    for c in all_curves:
        try:
            verdicts[fitwatch.diagnose_curves(c).verdict] += 1
        except Exception as e:  # noqa: BLE001 - counted and reported
            errors += 1
            if errors <= 3:
                print(f"    error on {c.name}: {type(e).__name__}: {e}")
    t_diag = time.perf_counter() - t0
    rate = len(all_curves) / t_diag
    print(f"  {len(all_curves)} curves: read in {t_read:.2f} s, diagnosed in {t_diag:.2f} s -> {rate:,.0f} curves/s "
          f"(one core); {errors} errors")
    print("  verdicts: " + ", ".join(f"{k} {v}" for k, v in verdicts.most_common()))
    ok = errors == 0 and rate >= SPEED_TARGET and t_read + t_diag < 7.0
    print(f"  [{'PASS' if ok else 'FAIL'}] target: no error, >= {SPEED_TARGET:,.0f} curves/s, all read and "
          f"diagnosed in under 7 s ({t_read + t_diag:.2f} s)")
    return ok


def main() -> int:
    ok = accuracy()
    ok &= speed()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
