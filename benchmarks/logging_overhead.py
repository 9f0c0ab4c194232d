"""How much does logging with fitwatch cost? Per call, and in a real PyTorch training loop.

Run from the repository root:

    .venv/bin/python benchmarks/logging_overhead.py            # about 2 minutes on 2 CPUs
    .venv/bin/python benchmarks/logging_overhead.py --quick    # a smoke test, a few seconds

Everything is written to a temporary folder that is removed at the end; nothing uses the network.

1. Per-call cost, measured in one process with interleaved timeit-style blocks (median of the blocks):
   - fitwatch ``run.log("train", loss=0.5, n=32)`` (Python float), with the epoch ends amortised:
     each block is one epoch of ``--short-epoch`` (headline, default 100) or ``--long-epoch`` (1000)
     calls, then ``run.end_epoch()`` (which commits the epoch to SQLite) and ``run.store.flush()``
     (which waits for any batch rows queued for the background writer), all inside the timed region;
     plus the hot path alone (the calls, without the epoch end);
   - the same with 0-d CPU torch tensors: ``run.log("train", loss=t_loss, accuracy=t_acc, n=32)``;
   - TensorBoard ``SummaryWriter.add_scalar("loss", 0.5, step)``, with ``writer.flush()`` at the end
     of each block;
   - MLflow ``mlflow.log_metric("loss", 0.5, step=i)`` on a local store (synchronous).
2. Wall time of a digits MLP trained with and without fitwatch (interleaved pairs of runs, each
   pair in a random order); then 2b, the same loop epoch by epoch: rounds of one epoch of each
   variant in a random order (plain, plain again as an A/A control, the call's arguments only, the
   hand-made ``.item()`` bookkeeping, fitwatch), each compared with its round's plain epoch.
3. Targets: fitwatch at least 20x cheaper per call than ``add_scalar``; under 1% overhead on the loop.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import warnings

# MLflow >= 3.x refuses its file store unless asked; the file store is the only local store
# mlflow-skinny can use without SQLAlchemy (its sqlite:// store needs it).
os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
os.environ.setdefault("MLFLOW_TRACKING_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

import numpy as np
import torch

import fitwatch

PER_CALL_TARGET = 20.0  # fitwatch at least this many times cheaper per call than add_scalar
LOOP_TARGET_PCT = 1.0  # fitwatch adds less than this to a training loop's wall time

perf = time.perf_counter
cpu = time.process_time  # CPU time of the whole process, all threads (fitwatch's writer thread included)


# -- 1. per-call cost -------------------------------------------------------------------------
class Bench:
    """One contender: ``block()`` runs ``calls`` calls (plus any end-of-block work) and returns seconds."""

    def __init__(self, label: str, calls: int, block):
        self.label = label
        self.calls = calls
        self.block = block
        self.times: list[float] = []  # seconds per call, one per block

    def run_once(self) -> None:
        self.times.append(self.block() / self.calls)

    @property
    def median_us(self) -> float:
        return statistics.median(self.times) * 1e6


def fitwatch_float_bench(root: str, calls: int) -> tuple[Bench, "fitwatch.Run"]:
    run = fitwatch.Run(f"bench-float-{calls}", dir=os.path.join(root, f"fw-float-{calls}"), progress=False,
                       diagnose=False)
    log = run.log

    def block():
        t0 = perf()
        for _ in range(calls):
            log("train", loss=0.5, n=32)
        run.end_epoch()  # commits the epoch (synchronous SQLite transaction)
        run.store.flush()  # waits for the background writer to commit this epoch's batch rows
        return perf() - t0

    return Bench(f"fitwatch run.log(loss=float, n=32), epochs of {calls}", calls, block), run


def fitwatch_hot_bench(root: str, calls: int) -> tuple[Bench, "fitwatch.Run"]:
    """``run.log`` alone: no epoch end inside the timed region (the hot path only)."""
    run = fitwatch.Run("bench-hot", dir=os.path.join(root, "fw-hot"), progress=False, diagnose=False)
    log = run.log

    def block():
        t0 = perf()
        for _ in range(calls):
            log("train", loss=0.5, n=32)
        dt = perf() - t0
        run.end_epoch()
        run.store.flush()
        return dt

    return Bench("fitwatch run.log(loss=float, n=32), hot path only", calls, block), run


def fitwatch_tensor_bench(root: str, calls: int) -> tuple[Bench, "fitwatch.Run"]:
    run = fitwatch.Run("bench-tensor", dir=os.path.join(root, "fw-tensor"), progress=False, diagnose=False)
    log = run.log
    loss = torch.tensor(0.5)
    acc = torch.tensor(0.9)

    def block():
        t0 = perf()
        for _ in range(calls):
            log("train", loss=loss, accuracy=acc, n=32)
        run.end_epoch()
        run.store.flush()
        return perf() - t0

    return Bench(f"fitwatch run.log(loss=t, accuracy=t, n=32), 0-d CPU tensors, epochs of {calls}", calls,
                 block), run


def tensorboard_bench(root: str, calls: int):
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(os.path.join(root, "tb"))
    add_scalar = writer.add_scalar
    step = [0]

    def block():
        i = step[0]
        t0 = perf()
        for s in range(i, i + calls):
            add_scalar("loss", 0.5, s)
        writer.flush()
        dt = perf() - t0
        step[0] = i + calls
        return dt

    return Bench("TensorBoard SummaryWriter.add_scalar", calls, block), writer


def mlflow_bench(root: str, calls: int):
    """(Bench, store description, closer), or (None, reason, None) when MLflow cannot run here."""
    try:
        import mlflow

        logging.getLogger("mlflow").setLevel(logging.ERROR)
        folder = os.path.join(root, "mlruns")
        mlflow.set_tracking_uri("file:" + folder)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exp = mlflow.create_experiment("logging-overhead")
            mlflow.start_run(experiment_id=exp)
        log_metric = mlflow.log_metric
        log_metric("loss", 0.5, step=0)  # the first call creates the metric's file
    except Exception as e:  # noqa: BLE001 - any failure means "MLflow not measurable here"
        return None, f"MLflow could not run here ({type(e).__name__}: {str(e).splitlines()[0][:160]})", None
    step = [1]

    def block():
        i = step[0]
        t0 = perf()
        for s in range(i, i + calls):
            log_metric("loss", 0.5, step=s)
        dt = perf() - t0
        step[0] = i + calls
        return dt

    desc = f"mlflow {mlflow.__version__} local file store (file: URI, MLFLOW_ALLOW_FILE_STORE=true; " \
           f"sqlite:// needs SQLAlchemy, absent from mlflow-skinny)"
    return Bench("MLflow mlflow.log_metric", calls, block), desc, mlflow.end_run


def per_call(root: str, args) -> dict:
    print("\n== 1. Per-call cost (median of interleaved blocks; µs per call) ==")
    short, long_ = args.short_epoch, args.long_epoch
    fw, fw_run = fitwatch_float_bench(root, short)
    fwl, fwl_run = fitwatch_float_bench(root, long_)
    hot, hot_run = fitwatch_hot_bench(root, long_)
    fwt, fwt_run = fitwatch_tensor_bench(root, long_)
    tb, writer = tensorboard_bench(root, args.tb_calls)
    ml, ml_desc, ml_close = mlflow_bench(root, args.mlflow_calls)
    fw_benches = [fw, fwl, hot, fwt]
    benches = fw_benches + [tb] + ([ml] if ml is not None else [])
    reps = {b: args.fw_blocks for b in fw_benches}
    reps[tb], reps[ml] = args.tb_blocks, args.mlflow_blocks
    for b in benches:  # warm-up block, discarded
        b.block()
    gc.collect()
    for r in range(max(reps[b] for b in benches)):  # interleaved: one block of each in turn
        for b in benches:
            if r < reps[b]:
                b.run_once()
    for r in (fw_run, fwl_run, hot_run, fwt_run):
        r.finish()
    writer.close()
    if ml_close is not None:
        ml_close()

    print(f"  fitwatch blocks: one epoch of N calls, then run.end_epoch() (the epoch's SQLite commit) and")
    print(f"  run.store.flush() (waits for any batch rows still queued for the writer thread), all timed and")
    print(f"  divided by N (N = {short} and {long_}); 'hot path only' times the calls alone.")
    print(f"  TensorBoard blocks: {args.tb_calls} calls + writer.flush(); MLflow blocks: {args.mlflow_calls} calls.")
    print(f"  MLflow store: {ml_desc}")
    w = max(len(b.label) for b in benches)
    for b in benches:
        ts = sorted(t * 1e6 for t in b.times)
        print(f"  {b.label:<{w}}  {b.median_us:9.2f} µs/call  (min {ts[0]:.2f}, max {ts[-1]:.2f}; "
              f"{len(ts)} blocks)")
    out = {"fitwatch": fw.median_us, "fitwatch_long": fwl.median_us, "hot": hot.median_us,
           "tensor": fwt.median_us, "tb": tb.median_us, "mlflow": ml.median_us if ml is not None else None}
    print(f"  ratio add_scalar / fitwatch  = {out['tb'] / out['fitwatch']:8.1f}x  (epochs of {short}; "
          f"{out['tb'] / out['fitwatch_long']:.1f}x with epochs of {long_})")
    if ml is not None:
        print(f"  ratio log_metric / fitwatch  = {out['mlflow'] / out['fitwatch']:8.1f}x  (epochs of {short}; "
              f"{out['mlflow'] / out['fitwatch_long']:.1f}x with epochs of {long_})")
    else:
        print("  ratio log_metric / fitwatch  = n/a (MLflow did not run)")
    print(f"  0-d CPU tensors: {out['tensor'] / 2:.2f} µs per metric (the call logs 2); "
          f"add_scalar / fitwatch-tensor-call = {out['tb'] / out['tensor']:.1f}x")
    return out


# -- 2. a real training loop ------------------------------------------------------------------
def digits_data():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    x_tr, x_va, y_tr, y_va = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
    scaler = StandardScaler().fit(x_tr)
    f = lambda a: torch.tensor(scaler.transform(a), dtype=torch.float32)  # noqa: E731
    return f(x_tr), torch.tensor(y_tr), f(x_va), torch.tensor(y_va)


def make_model():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(64, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10),
    )
    return model, torch.optim.Adam(model.parameters(), lr=1e-3)


def batches(x, y, bs, gen=None):
    idx = torch.randperm(len(x), generator=gen) if gen is not None else torch.arange(len(x))
    for i in range(0, len(x), bs):
        j = idx[i:i + bs]
        yield x[j], y[j]


def one_epoch(model, opt, data, bs: int, gen, log=None) -> None:
    """One epoch of the tutorial loop. ``log`` is ``run.log``, or None for the baseline, which
    computes the same tensors (accuracy included, as a user printing it would)."""
    x_tr, y_tr, x_va, y_va = data
    loss_fn = torch.nn.functional.cross_entropy
    model.train()
    for x, y in batches(x_tr, y_tr, bs, gen):
        opt.zero_grad()
        out = model(x)
        loss = loss_fn(out, y)
        loss.backward()
        opt.step()
        accuracy = (out.argmax(1) == y).float().mean()
        if log is not None:
            log("train", loss=loss, accuracy=accuracy, n=len(y))
    model.eval()
    with torch.no_grad():
        for x, y in batches(x_va, y_va, bs):
            out = model(x)
            loss = loss_fn(out, y)
            accuracy = (out.argmax(1) == y).float().mean()
            if log is not None:
                log("val", loss=loss, accuracy=accuracy, n=len(y))


def train_without(data, epochs: int, bs: int, root: str) -> tuple[float, float]:
    """Baseline: the same computation as ``train_with``, fitwatch calls left out."""
    t0, c0 = perf(), cpu()
    model, opt = make_model()
    gen = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        one_epoch(model, opt, data, bs, gen)
    return perf() - t0, cpu() - c0


def train_with(data, epochs: int, bs: int, root: str) -> tuple[float, float]:
    """The tutorial loop with fitwatch: Run creation, per-batch logging, epoch ends, finish."""
    t0, c0 = perf(), cpu()
    model, opt = make_model()
    gen = torch.Generator().manual_seed(0)
    run = fitwatch.Run("digits-mlp", config={"lr": 1e-3, "batch_size": bs}, dir=root, progress=False,
                       diagnose=False)
    for _ in run.epochs(epochs):
        one_epoch(model, opt, data, bs, gen, run.log)
    run.finish()  # waits for everything to be committed
    return perf() - t0, cpu() - c0


def training_loop(root: str, args) -> float:
    print("\n== 2. Training loop wall time: digits MLP 64-128-128-10, Adam, batch 32 ==")
    data = digits_data()
    n_tr, n_va = len(data[0]), len(data[2])
    bs = 32
    nb_tr, nb_va = -(-n_tr // bs), -(-n_va // bs)
    print(f"  {n_tr} train / {n_va} val samples (standardised, 80/20 stratified split); {args.epochs} epochs "
          f"per run, {nb_tr} train + {nb_va} val batches per epoch")
    print(f"  = {args.epochs * (nb_tr + nb_va)} run.log calls per run (loss and accuracy, 0-d CPU tensors);")
    print(f"  'with' times Run() creation, the loop, {args.epochs} epoch commits and run.finish().")
    store = os.path.join(root, "loop")
    a, b = [], []  # (wall, cpu) seconds per run: without, with
    train_without(data, args.epochs, bs, store)  # warm-up pair, discarded
    train_with(data, args.epochs, bs, store)
    gc.collect()
    order = np.random.default_rng(1)
    for _ in range(args.loop_runs):  # interleaved pairs, each in a random order (A B, B A, ...)
        if order.random() < 0.5:
            a.append(train_without(data, args.epochs, bs, store))
            b.append(train_with(data, args.epochs, bs, store))
        else:
            b.append(train_with(data, args.epochs, bs, store))
            a.append(train_without(data, args.epochs, bs, store))
    calls = args.epochs * (nb_tr + nb_va)
    out = {}
    for i, what in ((0, "wall time"), (1, "CPU time (process, all threads)")):
        xa, xb = [t[i] for t in a], [t[i] for t in b]
        ma, mb = statistics.median(xa), statistics.median(xb)
        pairs = sorted((y / x - 1.0) * 100.0 for x, y in zip(xa, xb))
        out[i] = (mb / ma - 1.0) * 100.0
        print(f"  {what}:")
        print(f"    without fitwatch: median {ma * 1e3:8.2f} ms  (min {min(xa) * 1e3:.2f}, max {max(xa) * 1e3:.2f}; "
              f"{len(xa)} runs)")
        print(f"    with fitwatch:    median {mb * 1e3:8.2f} ms  (min {min(xb) * 1e3:.2f}, max {max(xb) * 1e3:.2f}; "
              f"{len(xb)} runs)")
        print(f"    ratio of medians {mb / ma:.4f} -> overhead {out[i]:+.2f}%  "
              f"(= {(mb - ma) / calls * 1e6:+.1f} µs per run.log call); ratio of minima "
              f"{min(xb) / min(xa):.4f} ({(min(xb) / min(xa) - 1) * 100:+.2f}%); per-pair overhead median "
              f"{statistics.median(pairs):+.2f}%, range {pairs[0]:+.2f}% .. {pairs[-1]:+.2f}%")
    overhead = out[0]
    return overhead


class HandMade:
    """The bookkeeping a tutorial loop does by hand: running sums read with ``.item()``, the floor of
    any per-batch logging in Python (every logger has to read the values)."""

    def __init__(self):
        self.sums = {}

    def log(self, split, loss, accuracy, n):
        s = self.sums.get(split)
        if s is None:
            s = self.sums[split] = [0.0, 0.0, 0]
        s[0] += loss.item() * n
        s[1] += accuracy.item() * n
        s[2] += n

    def end(self):
        self.means = {k: (a / c, b / c) for k, (a, b, c) in self.sums.items()}
        self.sums = {}


def len_only(split, n=None, loss=None, accuracy=None):
    """Takes what ``run.log`` takes and does nothing: the cost of the call's arguments, ``n=len(y)``
    included (``Tensor.__len__`` is Python code in torch)."""


def epoch_rounds(root: str, args) -> dict:
    """A finer estimate: one model trained on, in rounds of one epoch of each variant in a random
    order (plain, plain again, the call's arguments only, the hand-made bookkeeping, fitwatch). Each
    variant's epoch is compared with the same round's plain epoch (log-ratio); the estimate is the
    median over rounds, with a bootstrap 90 % interval. The second plain epoch is an A/A control: its
    estimate shows the method's own error. Adjacent ~40 ms epochs cancel the machine's slow drift,
    which medians of ~0.4 s runs do not; the random order cancels any effect of position."""
    import random

    print("\n== 2b. Epoch-level rounds: one epoch of each variant per round, in a random order ==")
    data = digits_data()
    model, opt = make_model()
    gen = torch.Generator().manual_seed(0)
    run = fitwatch.Run("rounds", dir=os.path.join(root, "rounds"), progress=False, diagnose=False)
    hand = HandMade()
    variants = {
        "plain": (None, None),
        "plain (A/A control)": (None, None),
        "arguments only (n=len(y), no logging)": (len_only, None),
        "hand-made .item() bookkeeping": (hand.log, hand.end),
        "fitwatch": (run.log, run.end_epoch),
    }

    def epoch(log, end) -> float:
        t0 = perf()
        one_epoch(model, opt, data, 32, gen, log)
        if end:
            end()  # fitwatch: the epoch's journal write, means, batch chunks (what run.epochs() does)
        return perf() - t0

    for log, end in variants.values():  # warm-up
        epoch(log, end)
    times = {k: [] for k in variants}
    rng = random.Random(0)
    names = list(variants)
    for _ in range(args.rounds):
        rng.shuffle(names)
        for k in names:
            times[k].append(epoch(*variants[k]))
    run.finish()
    base = np.array(times["plain"])
    boot = np.random.default_rng(0)
    out = {}
    calls = -(-len(data[0]) // 32) + -(-len(data[2]) // 32)
    print(f"  {args.rounds} rounds; plain epoch: median {np.median(base) * 1e3:.2f} ms "
          f"({calls} batches, a run.log call each in the logging variants)")
    w = max(len(k) for k in names)
    for k in variants:
        if k == "plain":
            continue
        r = np.log(np.array(times[k]) / base) * 100.0
        med = float(np.median(r))
        lo, hi = np.percentile([np.median(boot.choice(r, len(r))) for _ in range(2000)], [5, 95])
        out[k] = (med, lo, hi)
        us = med / 100.0 * float(np.median(base)) * 1e6
        print(f"  {k:<{w}}  {med:+.2f} %  (90 % interval {lo:+.2f} .. {hi:+.2f} %; {us:+.0f} µs per epoch)")
    return out


# -- main ---------------------------------------------------------------------------------
def environment(args) -> None:
    import tensorboard

    try:
        import mlflow

        mlv = mlflow.__version__
    except Exception as e:  # noqa: BLE001
        mlv = f"unavailable ({type(e).__name__})"
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print("== Environment ==")
    print(f"  python {platform.python_version()} ({sys.implementation.name}), {platform.system()} {platform.machine()}")
    print(f"  CPU: {cpu}; {cores} cores usable (os.cpu_count() = {os.cpu_count()}); "
          f"torch.set_num_threads({torch.get_num_threads()})")
    print(f"  torch {torch.__version__}, numpy {np.__version__}, fitwatch {fitwatch.__version__}, "
          f"tensorboard {tensorboard.__version__}, mlflow {mlv}")
    print(f"  fitwatch source: {fitwatch_source()}")
    print(f"  load average at start: {load()}")


def load() -> str:
    try:
        l1, l5, _ = os.getloadavg()
    except OSError:
        return "unknown"
    cores = os.cpu_count() or 1
    note = "" if l1 < cores else f"  (busy: more runnable processes than {cores} cores; timings are noisy)"
    return f"{l1:.2f} (1 min), {l5:.2f} (5 min){note}"


def fitwatch_source() -> str:
    """Where fitwatch was imported from, and the git commit (and whether src/ has uncommitted changes)."""
    import subprocess

    here = os.path.dirname(os.path.abspath(fitwatch.__file__))
    try:
        head = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain", "--", "."], capture_output=True,
                               text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        head, dirty = "", ""
    if not head:
        return here
    return f"{here} (git {head}{', with uncommitted changes' if dirty else ''})"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a few-second smoke test (numbers are noisy)")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    p.add_argument("--short-epoch", type=int, default=100,
                   help="calls per epoch of the headline fitwatch block (its epoch end is amortised over them)")
    p.add_argument("--long-epoch", type=int, default=1000, help="calls per epoch of the other fitwatch blocks")
    p.add_argument("--epochs", type=int, default=10, help="epochs per training run")
    p.add_argument("--loop-runs", type=int, default=21, help="training runs of each variant (interleaved)")
    p.add_argument("--rounds", type=int, default=300, help="rounds of the epoch-level estimate")
    args = p.parse_args(argv)
    args.fw_blocks, args.tb_blocks, args.tb_calls = 41, 15, 1000
    args.mlflow_blocks, args.mlflow_calls = 11, 200
    if args.quick:
        args.fw_blocks, args.tb_blocks, args.tb_calls = 5, 3, 1000
        args.mlflow_blocks, args.mlflow_calls = 3, 50
        args.loop_runs = max(2, min(args.loop_runs, 3))
        args.rounds = 10
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    np.random.seed(0)

    environment(args)
    t_start = perf()
    root = tempfile.mkdtemp(prefix="fitwatch-bench-")
    try:
        pc = per_call(root, args)
        overhead = training_loop(root, args)
        rounds = epoch_rounds(root, args)
        paired = rounds["fitwatch"][0]
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print("\n== 3. Targets ==")
    ratio = pc["tb"] / pc["fitwatch"]
    ok1 = ratio >= PER_CALL_TARGET
    ok2 = overhead < LOOP_TARGET_PCT and paired < LOOP_TARGET_PCT  # the finer estimate must agree
    print(f"  [{'PASS' if ok1 else 'FAIL'}] per call: add_scalar / fitwatch = {ratio:.1f}x "
          f"(target >= {PER_CALL_TARGET:.0f}x; {pc['tb']:.2f} vs {pc['fitwatch']:.2f} µs, float loss, "
          f"epoch end amortised over {args.short_epoch} calls)")
    print(f"  [{'PASS' if ok2 else 'FAIL'}] training loop overhead = {overhead:+.2f}% (target < {LOOP_TARGET_PCT:.0f}%; "
          f"wall time, ratio of medians of runs; epoch-level estimate {paired:+.2f}%)")
    aa = rounds["plain (A/A control)"]
    print(f"  the epoch-level method's own error (A/A control): {aa[0]:+.2f}% "
          f"(90 % interval {aa[1]:+.2f} .. {aa[2]:+.2f} %); the call's arguments alone: "
          f"{rounds['arguments only (n=len(y), no logging)'][0]:+.2f}%; hand-made bookkeeping: "
          f"{rounds['hand-made .item() bookkeeping'][0]:+.2f}%")
    print(f"  load average at end: {load()}")
    print(f"  total benchmark time {perf() - t_start:.1f} s")
    return 0 if ok1 and ok2 else 1


if __name__ == "__main__":
    sys.exit(main())
