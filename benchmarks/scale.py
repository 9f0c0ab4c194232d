"""Past one machine (issue 16): the measurements, each against a named baseline run here.

Run from the repository root:

    .venv/bin/python benchmarks/scale.py ddp      # DDP epoch values against one process's
    .venv/bin/python benchmarks/scale.py sweep    # fitwatch's Tune scheduler against ASHA and the median rule
    .venv/bin/python benchmarks/scale.py pg       # PostgreSQL write throughput against MLflow's log_batch

``ddp``: a small regression trained for 3 epochs by 2, 3 and 4 gloo processes (DistributedSampler,
batch 64, 1,001 training and 203 validation samples: padding and uneven last batches), each rank
logging its batches (training: batch means weighted by their size; validation: per-sample losses).
Baseline: one process running ``fitwatch.Run`` over the same batches (every rank's, in any order)
with the same values. Printed: the largest relative difference between the stored epoch values
and the baseline's, per world size (training counts DistributedSampler's repeated samples on both
sides, as the batches did; validation has them taken out). Target: float rounding, below 1e-12 for
the training loss (float64 sums of batch means) and 1e-6 for the validation loss (a per-sample
tensor is averaged in float32 on its rank, and the repeated sample taken out of that mean).

``sweep``: every 10th LCBench curve of ../shared/data/curves/ (blood-transfusion, 50 epochs each)
replayed as one trial of a Ray Tune sweep (2 CPUs), under ``fitwatch.ray.Scheduler()``, ASHA at its
defaults and the median stopping rule (by epochs: its default counts 60 seconds, which a replay never
reaches). Printed: the epochs the sweep spent, the best final validation loss among the trials (the
loss at the epoch each trial ended) and the best seen. Target (issue 16): fewer epochs than the
median stopping rule, and a best final validation loss within 1 % of ASHA's or better.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_WORKER = r'''
import json, os, sys, torch, torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset
import fitwatch
rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
dist.init_process_group("gloo", rank=rank, world_size=world)
torch.manual_seed(0)
X = torch.randn(1204, 6); y = X @ torch.linspace(-1, 1, 6).unsqueeze(1) + 0.3 * torch.randn(1204, 1)
train, val = TensorDataset(X[:1001], y[:1001]), TensorDataset(X[1001:], y[1001:])
tr = DataLoader(train, batch_size=64, sampler=DistributedSampler(train, seed=1))
va = DataLoader(val, batch_size=64, sampler=DistributedSampler(val, shuffle=False))
torch.manual_seed(0)
model = torch.nn.Linear(6, 1)
ddp = torch.nn.parallel.DistributedDataParallel(model)
opt = torch.optim.SGD(ddp.parameters(), lr=0.05)
run = fitwatch.Run("scale-ddp", dir=sys.argv[1], diagnose=False, progress=False, samples={"train": 1001, "val": 203})
batches = []
for epoch in run.epochs(3):
    tr.sampler.set_epoch(epoch)
    for xb, yb in tr:
        loss = torch.nn.functional.mse_loss(ddp(xb), yb)
        opt.zero_grad(); loss.backward(); opt.step()
        run.log("train", loss=loss.detach(), n=len(yb))
        batches.append([epoch, "train", [float(loss.detach())], len(yb)])
    with torch.no_grad():
        per_batch = [((model(xb) - yb) ** 2).squeeze(1) for xb, yb in va]
    pad = world * -(-203 // world) - 203
    for i, per in enumerate(per_batch):
        run.log("val", loss=per)
        vals = per.tolist()
        if i == len(per_batch) - 1 and rank >= world - pad:
            vals = vals[:-1]  # the sample DistributedSampler repeated: not the baseline's
        batches.append([epoch, "val", vals, None])
run.finish()
json.dump({"batches": batches, "history": run.history}, open(sys.argv[2] + f".{rank}.json", "w"))
dist.barrier(); dist.destroy_process_group()
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ddp() -> bool:
    import torch

    import fitwatch

    print("== DDP epoch values against one process over the same batches ==")
    ok = True
    for world in (2, 3, 4):
        with tempfile.TemporaryDirectory() as d:
            script = Path(d) / "worker.py"
            script.write_text(_WORKER)
            env = {**os.environ, "WORLD_SIZE": str(world), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(_free_port()),
                   "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT / "src")}
            procs = [subprocess.Popen([sys.executable, str(script), str(Path(d) / "store"), str(Path(d) / "out")],
                                      env={**env, "RANK": str(r)}) for r in range(world)]
            if any(p.wait(timeout=300) for p in procs):
                print(f"  {world} ranks: a rank failed")
                return False
            ranks = [json.loads((Path(d) / f"out.{r}.json").read_text()) for r in range(world)]
            stored = fitwatch.load("scale-ddp", dir=Path(d) / "store").history
            base = fitwatch.Run("baseline", dir=Path(d) / "base", diagnose=False, progress=False)
            for epoch in base.epochs(3):  # one process, every rank's batches
                for r in ranks:
                    for e, split, vals, n in r["batches"]:
                        if e == epoch:
                            base.log(split, loss=vals[0] if n else torch.tensor(vals), n=n)  # per-sample values
            base.finish()
            diff = {k: max(abs(a - b) / abs(b) for a, b in zip(stored[k], base.history[k])) for k in ("loss", "val_loss")}
            ok &= diff["loss"] < 1e-12 and diff["val_loss"] < 1e-6
            print(f"  {world} ranks: val_loss of the last epoch stored {stored['val_loss'][-1]:.10g}, one process "
                  f"{base.history['val_loss'][-1]:.10g}; largest relative difference over the epochs: loss "
                  f"{diff['loss']:.1e}, val_loss {diff['val_loss']:.1e}")
    print(f"  [{'PASS' if ok else 'FAIL'}] target on 2, 3 and 4 ranks: loss (float64 batch means) below 1e-12, val_loss "
          f"(float32 per-sample means, each batch's taken on its rank) below 1e-6")
    return ok


_PG_WRITER = r'''
import sys, time
kind, url, who, epochs, steps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
if kind == "fitwatch":
    import fitwatch
    run = fitwatch.Run(f"writer-{who}", {"who": who}, dir=url, diagnose=False, progress=False)
    t0 = time.perf_counter()  # connected, the run created: the writing alone is timed, as for MLflow
    for epoch in run.epochs(epochs):
        for b in range(steps):
            run.log("train", loss=1.0 / (1 + epoch + b / steps), n=32)
        run.log_epoch(val_loss=1.0 / (1 + epoch))
    run.finish()
else:
    import mlflow
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient
    client = MlflowClient(tracking_uri=url)
    exp = client.get_experiment_by_name("scale") or client.get_experiment(client.create_experiment("scale"))
    run_id = client.create_run(exp.experiment_id, run_name=f"writer-{who}").info.run_id
    ms = int(time.time() * 1000)
    t0 = time.perf_counter()
    for epoch in range(epochs):
        batch = [Metric("loss", 1.0 / (1 + epoch + b / steps), ms, epoch * steps + b) for b in range(steps)]
        client.log_batch(run_id, metrics=batch)  # MLflow's batched call: one epoch's batch values
        client.log_batch(run_id, metrics=[Metric("train_loss", 1.0 / (1 + epoch), ms, epoch),
                                          Metric("val_loss", 1.0 / (1 + epoch), ms, epoch)])
    client.set_terminated(run_id)
print(time.perf_counter() - t0)  # fitwatch: up to finish(), every value committed
'''


def pg(writers: int = 8, epochs: int = 40, steps: int = 500) -> bool:
    """Write throughput into one PostgreSQL server: fitwatch's store against MLflow's log_batch."""
    sys.path.insert(0, str(ROOT / "tests"))
    from pg_server import PgServer, binaries

    if binaries() is None:
        print("== PostgreSQL: no server binaries (initdb, pg_ctl) here; install Debian's postgresql ==")
        return False
    print(f"== Write throughput into one PostgreSQL server: {writers} writer processes at once, each "
          f"{epochs} epochs of {steps} batch values and 2 epoch values ==")
    server = PgServer.start()
    rates = {}
    try:
        with tempfile.TemporaryDirectory() as d:
            script = Path(d) / "writer.py"
            script.write_text(_PG_WRITER)
            for kind in ("fitwatch", "mlflow"):
                url = server.create_database(f"scale_{kind}")
                if kind == "mlflow":
                    url = url.replace("postgresql://", "postgresql+psycopg2://", 1)
                    # MLflow creates its tables on first use: done once, before the clock starts
                    subprocess.run([sys.executable, str(script), kind, url, "warmup", "1", "1"], check=True,
                                   capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
                env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "FITWATCH_JOURNAL_DIR": str(Path(d) / "journal")}
                t0 = time.perf_counter()
                procs = [subprocess.Popen([sys.executable, str(script), kind, url, str(w), str(epochs), str(steps)],
                                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                         for w in range(writers)]
                outs = [p.communicate(timeout=1800) for p in procs]
                wall = time.perf_counter() - t0
                if any(p.returncode for p in procs):
                    print(f"  {kind}: a writer failed: {[o[1][-400:] for o in outs if o[1]][:1]}")
                    return False
                inside = max(float(o[0].split()[-1]) for o in outs)  # the slowest writer, from its run's creation
                values = writers * epochs * (steps + 2)
                if kind == "fitwatch":  # every value is in the database, not only in a journal
                    import fitwatch
                    from fitwatch.store import Store

                    with Store.reading(url) as store:
                        stored = sum(sum(store.step_counts(r["id"]).values()) for r in store.runs())
                    epochs_stored = sum(r["epochs"] for r in fitwatch.runs(url))
                    print(f"  fitwatch: in the database after the writers ended: {stored:,} batch values, "
                          f"{epochs_stored} epochs (written {writers * epochs * steps:,} and {writers * epochs})")
                    if stored != writers * epochs * steps or epochs_stored != writers * epochs:
                        return False
                rates[kind] = values / inside
                print(f"  {kind:8s}: {values:,} values in {inside:.2f} s (slowest writer; {wall:.2f} s with the "
                      f"processes' start) -> {values / inside:,.0f} values/s, {writers * epochs / inside:,.1f} epochs/s")
    finally:
        server.destroy()
    ratio = rates["fitwatch"] / rates["mlflow"]
    ok = ratio >= 10
    print(f"  [{'PASS' if ok else 'FAIL'}] target: fitwatch at least 10x MLflow's log_batch on the same server: {ratio:.1f}x")
    return ok


def _lcbench(every: int) -> list[list[float]]:
    import gzip

    path = ROOT.parent / "shared" / "data" / "curves" / "lcbench_blood.jsonl.gz"
    with gzip.open(path, "rt") as f:
        curves = [json.loads(line)["val_loss"] for line in f]
    return [c for c in curves[::every] if all(v == v for v in c)]


def _replay(config, curves=None):
    from ray import tune

    for v in curves[config["i"]]:
        tune.report({"val_loss": v})


def sweep(every: int = 10) -> bool:
    """The LCBench curves replayed as a Tune sweep under three schedulers."""
    import ray
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler, MedianStoppingRule

    import fitwatch.ray

    curves = _lcbench(every)
    print(f"== A sweep of {len(curves)} LCBench curves (every {every}th, 50 epochs each) under Ray Tune ==")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    schedulers = {
        "fitwatch.ray.Scheduler()": fitwatch.ray.Scheduler,
        "ASHAScheduler() (defaults: grace_period 1, reduction_factor 4)": ASHAScheduler,
        # its default counts seconds (grace_period=60 s of time_total_s): on a replay that never comes;
        # the same rule by epochs, its grace period 5 epochs, the rest at its defaults
        "MedianStoppingRule(time_attr='training_iteration', grace_period=5)":
            lambda: MedianStoppingRule(time_attr="training_iteration", grace_period=5),
    }
    rows = {}
    with tempfile.TemporaryDirectory() as d:
        for name, make in schedulers.items():
            tuner = tune.Tuner(tune.with_parameters(_replay, curves=curves),
                               param_space={"i": tune.grid_search(list(range(len(curves))))},
                               tune_config=tune.TuneConfig(metric="val_loss", mode="min", scheduler=make()),
                               run_config=tune.RunConfig(storage_path=d, verbose=0))
            grid = tuner.fit()
            epochs = sum(len(r.metrics_dataframe) for r in grid)
            finals = [float(r.metrics_dataframe["val_loss"].iloc[-1]) for r in grid]
            seen = [float(r.metrics_dataframe["val_loss"].min()) for r in grid]
            rows[name] = (epochs, min(finals), min(seen))
            print(f"  {name:68s} epochs {epochs:6d} ({100 * epochs / (50 * len(curves)):.1f} %), best final val_loss "
                  f"{min(finals):.5f}, best seen {min(seen):.5f}")
    ray.shutdown()
    print("  summary (Ray's own output above may hide the lines):")
    for name, (epochs, final, seen) in rows.items():
        print(f"    {name:68s} epochs {epochs:6d} ({100 * epochs / (50 * len(curves)):.1f} %), best final "
              f"{final:.5f}, best seen {seen:.5f}")
    full = min(min(c) for c in curves)
    fw, asha, median = rows.values()
    print(f"  (every curve to its end: {50 * len(curves)} epochs, best val_loss {full:.5f})")
    ok = fw[0] < median[0] and fw[1] <= asha[1] * 1.01
    print(f"  [{'PASS' if ok else 'FAIL'}] target: fewer epochs than the median stopping rule ({fw[0]} vs {median[0]}) "
          f"and a best final val_loss within 1 % of ASHA's or better ({fw[1]:.5f} vs {asha[1]:.5f})")
    return ok


def main() -> int:
    parts = sys.argv[1:] or ["ddp"]
    ok = True
    for part in parts:
        if part == "ddp":
            ok &= ddp()
        elif part == "sweep":
            ok &= sweep()
        elif part == "pg":
            ok &= pg()
        else:
            print(f"unknown part {part!r}; parts: ddp, sweep, pg")
            return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
