"""Train every task of ``benchmarks/lr_tasks.py`` at a grid of learning rates: the reference for lr_find.

The grid is ``10 ** np.arange(-5, 1.01, 0.5)`` (13 rates, 1e-5 .. 10), seeds 0 and 1. Each (task, seed, rate)
is one :func:`lr_tasks.train` call: a fresh model trained for the task's fixed epoch budget on one torch
thread. The results go to ``benchmarks/lr_grid.json``:

    {"grid": [rates], "seeds": [0, 1], "environment": {...},
     "tasks": {name: {"kind", "model", "optimizer", "data", "epochs", "batch_size",
                      "runs": {"0": [{"lr", "final_val_loss", "best_val_loss", "initial_val_loss",
                                      "diverged", "score_loss", "val_losses", "seconds"}, ... one per rate],
                               "1": [...]}}}}

A non-finite loss is written as null. ``score_loss`` is the final val loss, or the initial one (the untrained
model's) when the run diverged (a non-finite loss, or a final val loss above the initial one): the value a
rule's regret is measured on. With ``--tasks`` only those tasks are run and the other tasks already in the
JSON file are kept.

For every task it prints the score at each rate (mean over seeds, then each seed), the best grid rate by mean
score and the check that this best rate is interior (not at either end of the grid) with the ends clearly
worse: each end may gain at most half of what the best rate gains over the untrained model (initial val loss
minus mean score). Exit status 0 when every task run passes the check.

Run: .venv/bin/python benchmarks/lr_grid.py [--tasks NAME,...] [--jobs 2] [--seeds 0,1] [--out PATH]
(from the repository root; about 10 minutes on 2 CPUs with --jobs 2).

``--module NAME`` runs the tasks of another module of benchmarks/ with the same API (``TASKS``, ``by_name``,
``train``), e.g. the held-out set ``--module lr_tasks2 --out benchmarks/lr_grid2.json``; the default is
lr_tasks (and benchmarks/lr_grid.json).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
GRID = [float(x) for x in 10 ** np.arange(-5, 1.01, 0.5)]
END_GAIN = 0.5  # each end of the grid may gain at most this fraction of the best rate's gain over the untrained model


def _load_tasks(module: str = "lr_tasks"):
    if module in sys.modules:
        return sys.modules[module]
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))  # so that a task module can import lr_tasks
    if module != "lr_tasks":
        _load_tasks("lr_tasks")
    spec = importlib.util.spec_from_file_location(module, HERE / f"{module}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[module] = mod
    spec.loader.exec_module(mod)
    return mod


lr_tasks = _load_tasks()


def _init_worker(module: str = "lr_tasks"):
    import torch

    torch.set_num_threads(1)
    global lr_tasks
    lr_tasks = _load_tasks(module)


def _one(args):
    name, seed, lr = args
    return name, seed, lr, lr_tasks.train(lr_tasks.by_name(name), lr, seed)


def _clean(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, list):
        return [_clean(v) for v in x]
    return x


def _num(x):
    return math.inf if x is None else x


def _environment() -> dict:
    import sklearn
    import torch

    return {
        "python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
        "sklearn": sklearn.__version__, "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(), "torch_threads": 1,
    }


def summarise(name: str, entry: dict, grid: list[float]) -> bool:
    """Print the task's table; return whether its best rate is interior with clearly worse ends."""
    seeds = sorted(entry["runs"], key=int)
    scores = np.array([[_num(r["score_loss"]) for r in entry["runs"][s]] for s in seeds])  # seeds x rates
    mean = scores.mean(axis=0)
    best = int(np.argmin(mean))
    secs = [r["seconds"] for s in seeds for r in entry["runs"][s]]
    print(f"\n== {name}: {entry['kind']}; {entry['model']}; {entry['optimizer']}; {entry['epochs']} epochs; "
          f"{np.mean(secs):.2f} s/train (max {np.max(secs):.2f})")
    init = np.mean([entry["runs"][s][0]["initial_val_loss"] for s in seeds])
    print(f"   initial val loss {init:.4f}")
    head = "   lr        mean score  " + "  ".join(f"seed {s:>2s} final   best  div" for s in seeds)
    print(head)
    for i, lr in enumerate(grid):
        cells = []
        for s in seeds:
            r = entry["runs"][s][i]
            f = r["final_val_loss"]
            cells.append(f"{(f'{f:.4f}' if f is not None else 'nonfin'):>13s} {_num(r['best_val_loss']):6.3f} "
                         f"{'yes' if r['diverged'] else '  -'}")
        mark = " <- best" if i == best else ""
        print(f"   {lr:<9.2g} {mean[i]:10.4f}  " + "  ".join(cells) + mark)
    interior = 0 < best < len(grid) - 1
    gain = init - mean  # how much each rate improved on the untrained model (a diverged run gains 0)
    g0, g1 = gain[0] / gain[best], gain[-1] / gain[best]
    ends_worse = bool(g0 <= END_GAIN and g1 <= END_GAIN)
    ok = interior and ends_worse
    print(f"   best rate {grid[best]:.3g}: mean score {mean[best]:.4f}; ends {mean[0]:.4f} / {mean[-1]:.4f}, "
          f"gaining {g0:.0%} / {g1:.0%} of the best's gain over the untrained model; "
          f"{'OK' if ok else 'FAIL: ' + ('best at an end of the grid' if not interior else 'an end is not clearly worse')}")
    return ok


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Train the lr_find benchmark tasks at a grid of learning rates.")
    p.add_argument("--tasks", default="", help="comma-separated task names (default: all)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--seeds", default="0,1")
    p.add_argument("--module", default="lr_tasks",
                   help="task module in benchmarks/ (default lr_tasks; e.g. lr_tasks2)")
    p.add_argument("--out", default=None,
                   help="JSON file (default benchmarks/lr_grid.json for lr_tasks, benchmarks/lr_grid_MODULE.json otherwise)")
    p.add_argument("--summary", action="store_true", help="only print the tables of the existing JSON file")
    a = p.parse_args(argv)

    global lr_tasks
    lr_tasks = _load_tasks(a.module)
    out = Path(a.out) if a.out else HERE / ("lr_grid.json" if a.module == "lr_tasks" else f"lr_grid_{a.module}.json")
    names = [n for n in a.tasks.split(",") if n] or [t.name for t in lr_tasks.TASKS]
    for n in names:
        lr_tasks.by_name(n)  # fail early on an unknown name
    seeds = [int(s) for s in a.seeds.split(",") if s]

    doc = json.loads(out.read_text()) if out.exists() else {}
    if doc.get("grid") and (len(doc["grid"]) != len(GRID) or not np.allclose(doc["grid"], GRID)):
        doc = {}  # another grid: start again
    doc.setdefault("tasks", {})

    if not a.summary:
        units = [(n, s, lr) for n in names for s in seeds for lr in GRID]
        results: dict = {}
        t0 = time.perf_counter()
        print(f"{len(units)} training runs, {a.jobs} processes", flush=True)
        with ProcessPoolExecutor(max_workers=a.jobs, initializer=_init_worker, initargs=(a.module,)) as ex:
            for k, (n, s, lr, r) in enumerate(ex.map(_one, units, chunksize=1), 1):
                results[(n, s, lr)] = r
                if k % 26 == 0 or k == len(units):
                    print(f"  {k}/{len(units)} done, {time.perf_counter() - t0:.0f} s", flush=True)
        for n in names:
            t = lr_tasks.by_name(n)
            doc["tasks"][n] = {
                "kind": t.kind, "model": t.model_desc, "optimizer": t.optimizer_desc, "data": t.data_desc,
                "epochs": t.epochs, "batch_size": t.batch_size,
                "runs": {str(s): [{"lr": lr, **{k: _clean(v) for k, v in results[(n, s, lr)].items()}}
                                  for lr in GRID] for s in seeds},
            }
        doc["grid"] = GRID
        doc["seeds"] = seeds
        doc["environment"] = _environment()
        doc["tasks"] = {t.name: doc["tasks"][t.name] for t in lr_tasks.TASKS if t.name in doc["tasks"]}
        out.write_text(json.dumps(doc, indent=1) + "\n")
        print(f"wrote {out} ({time.perf_counter() - t0:.0f} s)")

    grid = doc.get("grid", GRID)
    oks = {n: summarise(n, doc["tasks"][n], grid) for n in names if n in doc["tasks"]}
    failed = [n for n, ok in oks.items() if not ok]
    print(f"\ninterior optimum with clearly worse ends: {len(oks) - len(failed)}/{len(oks)} tasks"
          + (f"; FAIL: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
