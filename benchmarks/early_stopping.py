"""How good is fitwatch's default early stopping? Regret and cost against fixed patience and Prechelt.

Every curve is replayed epoch by epoch through :class:`fitwatch.EarlyStopping`:
``update(e, {"loss": loss[e], "val_loss": val_loss[e], ...})`` with every series the curve has, until
it returns True or the curve ends. The rule is told the run's plan, ``max_epochs`` = the curve's
length (its checkpoints), as the loops fitwatch drives tell it ``fit(epochs=)`` or ``max_epochs``:
the default caps its patience at 15 % of it. A run that an early stop of its own cut short had
planned more epochs than it logged; ``--plan-factor 1.25`` gives every run a plan 1.25 times its
length, to see how much the result leans on that. The row "fitwatch, no plan" is the default
without a plan (a loop that does not say how long it will train).

Then, with ``best`` the stopper's ``best_epoch`` (the weights
that would be restored):

* regret = val_loss[best] / nanmin(val_loss) - 1 (the whole run's lowest validation loss);
* cost = (stopped_epoch + 1) / len(curve) when it stopped, else 1.

A NaN or infinite val_loss stops every criterion at that epoch (the cost counts up to it). Curves
skipped (and counted): no val_loss; a val_loss that is NaN or infinite before its second epoch (it
diverged at once: nothing to decide, every criterion stops there with regret 0); a lowest val_loss
<= 0 (the ratio means nothing).

Corpora: ../shared/data/curves/lcbench_blood.jsonl.gz (LCBench), taskset_imdb_rnn.jsonl.gz
(TaskSet), the labelled runs in tests/data/labelled/, and short runs of our own in
tests/data/own_short/ (benchmarks/own_short/make_runs.py: digits, 10-40 epochs; a broad set and one
chosen to be noisy and still improving, written by an attack on the plan and looked at while its
variants were tried: tuning material). The default criterion was designed on the
even-indexed curves of each corpus ("tune"); the odd-indexed ones ("hold-out") were only looked at
once the design was fixed.

And the real training logs people published, tests/data/real/ (manifest.csv, ``file#k``: the k-th
run the readers find in the file), as two corpora split by the manifest's ``half`` column (by
repository; one listed in moved_to_tune.csv is tune): "real (tune)" and "real (held-out)", the
headline (never tuned on). Each run is replayed on the validation curve it was labelled on: the
manifest's ``monitor`` column when set (resolved as the diagnosis resolves it, or as the reader
names that column), else val_loss; one ``update`` per row where that curve has a value (a
validation checkpoint), with the values the other series have at that row; ``mode`` "max" for a
metric where higher is better (accuracy...), whose regret is then max(value) / value[best] - 1.
Skipped there, and listed: a file that is not read, a run the manifest does not name, no
validation curve (runs labelled on their training loss), fewer than 2 validation values, and the
skips above. PQ needs a training value at every checkpoint; runs without one are left out of its
row (counted).

The target: on every corpus the default trains no more epochs than patience=5 (cost <= its cost)
with less regret. Exit status 0 when it holds on every corpus replayed.

Run: .venv/bin/python benchmarks/early_stopping.py [--quick] [--corpus NAME ...]   (from the repository root)
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fitwatch import EarlyStopping
from fitwatch.diagnosis.monitored import higher_is_better, resolve_monitor
from fitwatch.readers import read_curves

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "curves"
REAL = ROOT / "tests" / "data" / "real"
CORPORA = [
    ("LCBench", SHARED / "lcbench_blood.jsonl.gz"),
    ("TaskSet", SHARED / "taskset_imdb_rnn.jsonl.gz"),
    ("labelled", ROOT / "tests" / "data" / "labelled"),
    ("own short, broad", ROOT / "tests" / "data" / "own_short" / "runs.jsonl.gz"),
    ("own short, noisy", ROOT / "tests" / "data" / "own_short" / "runs.jsonl.gz"),
    ("real (tune)", REAL / "manifest.csv"),
    ("real (held-out)", REAL / "manifest.csv"),
]
HALF = {"real (tune)": "tune", "real (held-out)": "heldout"}  # the manifest's half column
OWN = {"own short, broad": "broad", "own short, noisy": "noisy"}  # the set of tests/data/own_short's runs
HEADLINE = "real (held-out)"
CRITERIA = [
    ("fitwatch", {}),
    ("fitwatch, no plan", {"max_epochs": None}),
    *((f"patience={p}", {"patience": p}) for p in (2, 5, 10, 20)),
    *((c, {"criterion": c}) for c in ("GL1", "GL2", "GL5", "PQ0.5", "PQ1", "PQ2", "UP2", "UP3")),
]
REFERENCE = "patience=5"


@dataclass
class Curve:
    """One run to replay: the logs handed to ``update`` at each checkpoint, the monitored values
    (aligned with them), the monitor's key and its direction."""

    logs: list[dict]
    values: np.ndarray
    monitor: str = "val_loss"
    mode: str = "min"
    id: str = ""


def _new_info(read: int) -> dict:
    return {"read": read, "no_val_loss": 0, "diverged_at_once": 0, "min_not_positive": 0, "with_nan": 0,
            "epochs": set(), "skipped": defaultdict(list)}


def _skip(v: np.ndarray, info: dict, mode: str = "min") -> str | None:
    """Why the curve is skipped (counted in ``info``), or None: NaN before its 2nd value, a best <= 0."""
    bad = np.flatnonzero(~np.isfinite(v))
    if bad.size and bad[0] < 2:
        info["diverged_at_once"] += 1
        return "NaN or infinite before its 2nd value"
    if (np.nanmax(v) if mode == "max" else np.nanmin(v)) <= 0:
        info["min_not_positive"] += 1
        return "best value <= 0"
    info["with_nan"] += bool(bad.size)
    info["epochs"].add(len(v))
    return None


def load(path: Path) -> tuple[list[Curve], dict]:
    """The curves to replay and what was skipped or notable (a folder: its CSV runs; a file: its runs)."""
    if path.is_dir():
        runs = [c for f in sorted(path.glob("*.csv")) if f.name != "labels.csv" for c in read_curves(f)]
    else:
        runs = read_curves(path)
    kept, info = [], _new_info(len(runs))
    for c in runs:
        v = c.series.get("val_loss")
        if v is None:
            info["no_val_loss"] += 1
            continue
        if _skip(v, info):
            continue
        keys = list(c.series)
        columns = [c.series[k].tolist() for k in keys]  # plain floats: what a training loop passes
        logs = [dict(zip(keys, vals)) for vals in zip(*columns)]
        kept.append(Curve(logs, np.asarray(v, dtype=np.float64)))
    return kept, info


def load_own(path: Path, which: str) -> tuple[list[Curve], dict]:
    """The short runs of our own of one set (``broad`` or ``noisy``, benchmarks/own_short/make_runs.py): each
    epoch's ``loss``, ``val_loss`` and ``val_accuracy``, replayed on ``val_loss``."""
    runs = [r for r in map(json.loads, gzip.open(path, "rt")) if r["set"] == which]
    kept, info = [], _new_info(len(runs))
    for r in runs:
        v = np.array([row[1] for row in r["rows"]], dtype=np.float64)
        if not _skip(v, info):
            kept.append(Curve([dict(zip(("loss", "val_loss", "val_accuracy"), row)) for row in r["rows"]], v))
    return kept, info


def real_monitor(curves, monitor: str) -> str | None:
    """The key of the validation curve a manifest row judges: its ``monitor`` column (resolved as the
    diagnosis resolves it, or as the reader names the column: ``Valid MSE`` -> ``valid_mse``, the one
    with the most values when both exist), else ``val_loss``; None when the run has no such curve."""
    try:
        candidates = [resolve_monitor(curves, monitor or "val_loss")]
    except KeyError:  # no curve named loss and several loss-like ones: the manifest names none of them
        candidates = []
    if monitor:
        candidates.append(re.sub(r"[^0-9a-z]+", "_", monitor.lower()).strip("_"))
    found = [k for k in candidates if k in curves.series and (monitor or k.startswith("val_"))]
    return max(found, key=lambda k: int(curves.present(k).sum()), default=None)


def load_real(half: str) -> tuple[list[Curve], dict]:
    """The manifest's runs of one half (``tune`` or ``heldout``; a repository in ``moved_to_tune.csv`` is
    ``tune``), each replayed on the validation curve it was judged on, one checkpoint (a row where
    that curve has a value) per ``update``."""
    moved = {r["repo"] for r in csv.DictReader(open(REAL / "moved_to_tune.csv", newline=""))}
    rows = [r for r in csv.DictReader(open(REAL / "manifest.csv", newline=""))
            if ("tune" if r["repo"] in moved else r["half"]) == half]
    kept, info = [], _new_info(len(rows))
    for row in rows:
        name, _, k = row["file"].partition("#")
        try:
            runs = read_curves(REAL / name)
        except Exception as e:  # noqa: BLE001 - counted and shown
            info["skipped"][f"not read ({type(e).__name__})"].append(row["id"])
            continue
        if not k and len(runs) > 1:
            info["skipped"]["the file holds several runs and the manifest names none"].append(row["id"])
            continue
        if int(k or 1) > len(runs):
            info["skipped"][f"the reader finds no run {k or 1} in the file"].append(row["id"])
            continue
        c = runs[int(k) - 1] if k else runs[0]
        key = real_monitor(c, row["monitor"])
        if key is None:
            info["no_val_loss"] += 1
            info["skipped"]["no validation curve (labelled on the training loss)"].append(row["id"])
            continue
        rows_with = np.flatnonzero(c.present(key))
        v = c.series[key][rows_with]
        if v.size < 2:
            info["skipped"]["fewer than 2 validation values"].append(row["id"])
            continue
        mode = "max" if higher_is_better(key) else "min"
        why = _skip(v, info, mode)
        if why:
            info["skipped"][why].append(row["id"])
            continue
        present = {s: c.present(s) for s in c.series}
        logs = [{s: float(c.series[s][i]) for s in c.series if present[s][i]} for i in rows_with]
        kept.append(Curve(logs, v, key, mode, row["file"]))
    return kept, info


def replay(curves: list[Curve], params: dict, plan: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(regret, cost) of every curve under ``EarlyStopping(**params)``, told a plan of ``plan`` times
    the curve's length (``params`` may say ``max_epochs=None``); NaN for a curve the criterion
    cannot judge (PQ without a training value)."""
    regret = np.empty(len(curves))
    cost = np.empty(len(curves))
    for i, c in enumerate(curves):
        kw = {"max_epochs": max(1, round(plan * len(c.logs))), **params}
        stopper = EarlyStopping(monitor=c.monitor, mode=c.mode, **kw)
        try:
            for e, logs in enumerate(c.logs):
                if stopper.update(e, logs):
                    break
        except ValueError:
            regret[i] = cost[i] = np.nan
            continue
        v, b = c.values, stopper.best_epoch
        regret[i] = (np.nanmax(v) / v[b] if c.mode == "max" else v[b] / np.nanmin(v)) - 1.0
        cost[i] = 1.0 if stopper.stopped_epoch is None else (stopper.stopped_epoch + 1) / len(c.logs)
    return regret, cost


def at_best(curves: list[Curve]) -> np.ndarray:
    """The cost of stopping exactly at each curve's best epoch, which only a criterion that knows the
    rest of the curve can do: the least any zero-regret criterion spends."""
    return np.array([(int(np.nanargmax(c.values) if c.mode == "max" else np.nanargmin(c.values)) + 1)
                     / len(c.logs) for c in curves])


def row(name: str, regret: np.ndarray, cost: np.ndarray) -> str:
    ok = np.isfinite(regret)
    r, c = regret[ok], cost[ok]
    left_out = f"  ({(~ok).sum()} runs without a training value left out)" if (~ok).any() else ""
    return (f"  {name:18s} {r.mean():8.4f} {np.median(r):8.4f} {np.percentile(r, 90):8.4f} "
            f"{100 * c.mean():7.1f}%{left_out}")


def header(label: str, path: Path, curves: list[Curve], info: dict, quick: bool) -> str:
    """The corpus's first line: what was replayed and what was skipped, and why."""
    lengths = sorted(info["epochs"])
    span = f"{lengths[0]}" if len(lengths) == 1 else f"{lengths[0]}-{lengths[-1]}"
    if label not in HALF:
        return (f"== {label}: {path.name}: {len(curves)} curves of {span} epochs replayed"
                f"{' (--quick: every 10th)' if quick else ''}; {info['read']} read, skipped "
                f"{info['diverged_at_once']} NaN before their 2nd epoch, {info['no_val_loss']} without val_loss, "
                f"{info['min_not_positive']} with a lowest val_loss <= 0; {info['with_nan']} replayed curves "
                f"hold NaN (stopped there)")
    monitors = defaultdict(int)
    for c in curves:
        monitors[f"{c.monitor} ({c.mode})"] += 1
    skipped = sum(len(ids) for ids in info["skipped"].values())
    lines = [f"== {label}: {path.relative_to(ROOT)}, half {HALF[label]}: {len(curves)} runs of {span} validation "
             f"values replayed (one update per value); {info['read']} manifest rows, {skipped} skipped; "
             f"{info['with_nan']} replayed runs hold NaN (stopped there)",
             "   monitored: " + ", ".join(f"{k} {n}" for k, n in sorted(monitors.items(), key=lambda kv: -kv[1]))]
    lines += [f"   skipped, {why}: {len(ids)} ({', '.join(ids)})" for why, ids in info["skipped"].items()]
    return "\n".join(lines)


def run_by_run(results: dict) -> str:
    """The default against patience=5 curve by curve (a small corpus's mean is a few runs')."""
    r, c = results["fitwatch"]
    rr, rc = results[REFERENCE]
    return (f"  fitwatch against {REFERENCE}, run by run: regret lower on {(r < rr).sum()}, higher on {(r > rr).sum()}, "
            f"equal on {(r == rr).sum()}; stopped earlier on {(c < rc).sum()}, later on {(c > rc).sum()}; "
            f"mean regret without each one's largest: {np.sort(r)[:-1].mean():.4f} against {np.sort(rr)[:-1].mean():.4f}")


def verdict(label: str, results: dict) -> bool:
    """PASS when the default's mean regret is below patience=5's at no higher mean cost; prints it."""
    r, c = results["fitwatch"]
    rr, rc = results[REFERENCE]
    ok = r.mean() < rr.mean() and c.mean() <= rc.mean()
    print(f"{'PASS' if ok else 'FAIL'} {label}: fitwatch regret {r.mean():.4f} "
          f"{'<' if r.mean() < rr.mean() else '>='} {rr.mean():.4f} ({REFERENCE}) and cost "
          f"{100 * c.mean():.1f}% {'<=' if c.mean() <= rc.mean() else '>'} {100 * rc.mean():.1f}%")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="every 10th curve of the two large corpora (a smoke test, a few seconds)")
    ap.add_argument("--plan-factor", type=float, default=1.0, metavar="F",
                    help="tell each run a plan of F times its length (default 1: its length)")
    ap.add_argument("--corpus", action="append", choices=[label for label, _ in CORPORA],
                    help="only this corpus (repeatable; default: all)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    verdicts = {}
    for label, path in CORPORA:
        if args.corpus and label not in args.corpus:
            continue
        curves, info = (load_real(HALF[label]) if label in HALF else load_own(path, OWN[label]) if label in OWN
                        else load(path))
        quick = args.quick and len(curves) > 1000
        if quick:
            curves = curves[::10]
        print(header(label, path, curves, info, quick))
        print(f"  {'criterion':18s} {'regret':>8s} {'median':>8s} {'p90':>8s} {'cost':>8s}")
        results = {}
        for name, params in CRITERIA:
            results[name] = replay(curves, params, args.plan_factor)
            print(row(name, *results[name]))
        print(row("at the best*", np.zeros(len(curves)), at_best(curves)))
        if label in HALF:
            print(run_by_run(results))
        else:
            even, odd = curves[0::2], curves[1::2]
            for half, part in (("tune (even)", even), ("hold-out (odd)", odd)):
                r, c = replay(part, {}, args.plan_factor)
                rr, rc = replay(part, {"patience": 5})
                ok = r.mean() < rr.mean() and c.mean() <= rc.mean()
                print(f"  fitwatch on the {half:14s}: regret {r.mean():.4f} at {100 * c.mean():.1f}% of the epochs; "
                      f"patience=5 {rr.mean():.4f} at {100 * rc.mean():.1f}%  [{'better' if ok else 'NOT better'}]")
        verdicts[label] = verdict(label, results)
        print()
    print("* at the best: a criterion that knows the whole curve and stops at its best epoch (regret 0); "
          "no criterion with regret 0 spends less")
    ok = all(verdicts.values())
    if HEADLINE in verdicts:
        print(f"Headline, {HEADLINE} (repositories never tuned on): {'PASS' if verdicts[HEADLINE] else 'FAIL'}")
    print(f"{'PASS' if ok else 'FAIL'}: the default beats {REFERENCE} on "
          f"{sum(verdicts.values())} of {len(verdicts)} corpora ({time.perf_counter() - t0:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
