"""Which rule should ``fitwatch.lr_find`` suggest with? Regret of each candidate rule against the best
rate of a grid, next to Lightning's and fastai's rules, on the tasks of ``benchmarks/lr_tasks.py``.

For every task and seed (0 and 1):

1. the grid: the task trained from scratch for its fixed budget at 13 rates, 1e-5 to 10 by half decades
   (``benchmarks/lr_grid.py`` wrote them to ``benchmarks/lr_grid.json``; its best rate per seed is the
   reference);
2. the sweeps: ``fitwatch.lr_find`` on the task's fresh model and optimizer, with fitwatch's and fastai's
   range (1e-7 to 10, 100 steps: every rule but Lightning's reads this one) and with Lightning's
   (1e-8 to 1, 100 steps: Lightning's rule reads this one); both stop when the running average of the
   loss passes 4 times its best, as Lightning and fastai do;
3. each rule's suggestion trained from scratch exactly like a grid rate;
4. regret = (score at the suggestion - best score of the grid) / (initial loss - best score of the grid):
   0 is as good as the best rate of the grid, 1 no better than not training. Score: the final
   validation loss (the initial one for a run that diverged). A rule that suggests nothing scores 1.

The rule is chosen on the TUNE tasks only, and reported on the HELD_OUT tasks beside them (split by
task, fixed before any rule was run). Results: ``benchmarks/lr_find_rules.json``.

Run: .venv/bin/python benchmarks/lr_find_rules.py [--tasks a,b] [--jobs 2] [--reuse]   (from the repository root)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

#: fixed before any rule was run: every other task of lr_tasks.TASKS, in its order
TUNE = ("digits_mlp", "seq_gru", "diabetes_mlp", "friedman_mlp", "seq_conv1d")
HELD_OUT = ("digits_cnn", "seq_lstm", "cancer_mlp", "iris_mlp", "deep_mlp_bn")
SEEDS = (0, 1)


def _tasks_module(module: str):
    import importlib

    return importlib.import_module(module)


def _sweeps(job) -> dict:
    """The two sweeps of a task per seed (fitwatch's/fastai's range, Lightning's), as stored dicts."""
    import torch

    import fitwatch

    module, name = job
    lr_tasks = _tasks_module(module)
    torch.set_num_threads(1)
    lr_tasks.warmup()
    task = lr_tasks.by_name(name)
    out = {}
    for seed in SEEDS:
        s = task.make(seed)
        opt = s.optimizer(s.model.parameters(), 1e-3)
        ours = fitwatch.lr_find(s.model, s.train_loader, s.loss_fn, opt)
        light = fitwatch.lr_find(s.model, s.train_loader, s.loss_fn, opt, start_lr=1e-8, end_lr=1.0)
        out[seed] = {"sweep": ours.to_dict(), "sweep_lightning": light.to_dict()}
    return {name: out}


def _suggest(r: dict) -> dict:
    """Every rule's suggestion from the stored sweeps, with the rules as they are now. fitwatch's own
    rules judge the sweep as fitwatch's stop rule of today would have cut it (the steps are the same
    up to any stop: it can only stop sooner than the stored run did); fastai's and Lightning's judge
    the sweep as stored, stopped as their own tools stop (the running average at 4 times its best)."""
    from fitwatch.preflight.lr_find import SweepLog, judge

    s, lt = r["sweep"], r["sweep_lightning"]
    arr = lambda v: np.array([np.nan if x is None else x for x in v], dtype=float)  # noqa: E731
    log = SweepLog(4.0)
    for lr, loss in zip(s["lrs"], s["losses"]):
        if not log.add(lr, np.nan if loss is None else loss):
            break
    stored = judge(arr(s["lrs"]), arr(s["losses"]), 100)
    ours = judge(arr(log.lrs), arr(log.losses), 100)
    light = judge(arr(lt["lrs"]), arr(lt["losses"]), 100)
    rules = {k: v for k, v in ours.suggestions.items() if not k.startswith(("lightning", "fastai"))}
    rules.update({k: v for k, v in stored.suggestions.items() if k.startswith("fastai")})
    rules["lightning"] = light.suggestions["lightning"]
    rules["fitwatch"] = ours.suggestion
    return {"rules": rules, "reason": ours.reason, "stopped": log.stopped}


def _train(job) -> tuple:
    module, name, seed, lr = job
    lr_tasks = _tasks_module(module)
    r = lr_tasks.train(lr_tasks.by_name(name), lr, seed)
    return name, seed, lr, r["score_loss"], r["initial_val_loss"]


def regret(score: float | None, best: float, initial: float) -> float:
    if score is None or not math.isfinite(score):
        return 1.0
    return max(0.0, (score - best) / (initial - best)) if initial > best else 0.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", default=None, help="default: every task of --module")
    ap.add_argument("--module", default="lr_tasks",
                    help="the tasks' module in benchmarks/ (lr_tasks2: a second set, written blind after the rule "
                         "was chosen: every task of it is held out)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--reuse", action="store_true",
                    help="keep the sweeps and trained rates of the last run's JSON: apply the rules as they are now "
                         "and train only rates not trained yet")
    args = ap.parse_args()
    first = args.module == "lr_tasks"
    grid = json.loads((HERE / ("lr_grid.json" if first else "lr_grid2.json")).read_text())["tasks"]
    names = args.tasks.split(",") if args.tasks else (list(TUNE + HELD_OUT) if first else
                                                      [t.name for t in _tasks_module(args.module).TASKS])
    raw = HERE / ("lr_find_rules.json" if first else "lr_find_rules2.json")
    results = json.loads(raw.read_text())["results"] if args.reuse and raw.exists() else {}
    results = {k: {int(s): v for s, v in r.items()} for k, r in results.items() if "sweep" in next(iter(r.values()))}
    todo = [n for n in names if n not in results]
    with ProcessPoolExecutor(args.jobs) as ex:
        for r in ex.map(_sweeps, [(args.module, n) for n in todo]):
            results.update(r)
        jobs = []
        for name in names:
            for seed in SEEDS:
                r = results[name][seed]
                r.update(_suggest(r))
                r.setdefault("scores", {})
                for lr in r["rules"].values():
                    if lr is not None and str(lr) not in r["scores"] and (args.module, name, seed, lr) not in jobs:
                        jobs.append((args.module, name, seed, lr))
        for name, seed, lr, score, initial in ex.map(_train, jobs):
            results[name][seed]["scores"][str(lr)] = score
            results[name][seed]["initial"] = initial
    raw.write_text(json.dumps({"results": results}, indent=1))
    table = {}
    for name, seeds in results.items():
        for seed, r in seeds.items():
            g = grid[name]["runs"][str(seed)]
            best = min(v["score_loss"] if v["score_loss"] is not None else math.inf for v in g)
            initial = r.get("initial") if r.get("initial") is not None else g[0]["initial_val_loss"]
            for rule, lr in r["rules"].items():
                score = r["scores"].get(str(lr)) if lr is not None else None
                table.setdefault(rule, {})[(name, seed)] = (lr, regret(score, best, initial))
    rules = list(table)
    print(f"{'task':14s} seed  " + "  ".join(f"{k[:14]:>14s}" for k in rules))
    for name in names:
        for seed in SEEDS:
            cells = []
            for k in rules:
                lr, rg = table[k][(name, seed)]
                cells.append(f"{(f'{lr:.1e}' if lr else 'none'):>8s} {rg:5.2f}")
            print(f"{name:14s} {seed:4d}  " + "  ".join(cells))
    summary = {}
    parts = (("tune", TUNE), ("held_out", HELD_OUT), ("all", TUNE + HELD_OUT)) if first else \
        (("held_out_2", tuple(names)),)
    for part, members in parts:
        rows = {k: [table[k][(n, s)][1] for n in members if n in names for s in SEEDS] for k in rules}
        summary[part] = {k: {"median": float(np.median(v)), "mean": float(np.mean(v)), "n": len(v)}
                         for k, v in rows.items() if v}
        print(f"\n{part}: median regret (mean) per rule")
        for k, v in sorted(summary[part].items(), key=lambda kv: kv[1]["median"]):
            print(f"  {k:22s} {v['median']:.3f} ({v['mean']:.3f})  n={v['n']}")
    raw.write_text(json.dumps({"results": results, "summary": summary}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
