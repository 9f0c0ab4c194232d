"""How much do fitwatch's probes (``run.watch(model)``) cost in a real PyTorch training loop, next to
TensorBoard gradient histograms and Cockpit's economy configuration?

Run from the repository root:

    .venv/bin/python benchmarks/probe_overhead.py            # about 6 minutes on 2 idle CPUs
    .venv/bin/python benchmarks/probe_overhead.py --quick    # a smoke test (20 s): 3 rounds, 2 pairs of 2 epochs
    .venv/bin/python benchmarks/probe_overhead.py --compile aot_eager   # every model torch.compile'd after watch

Cockpit is optional (``pip install --no-deps cockpit-for-pytorch backpack-for-pytorch einops unfoldNd
json-tricks seaborn``: ``--no-deps`` so that pip leaves torch alone; backpack asks for torchvision, which
only its examples module imports; cockpit 1.0.2 imports ``pkg_resources``, gone from setuptools >= 81,
so the benchmark lends it a stand-in for that import). Everything is written to a temporary folder that
is removed at the end; nothing uses the network.

One process, one model: a small CNN on scikit-learn's digits (8x8 images scaled to [0, 1], a
stratified 80/20 split), Conv2d(1, 16, 3) - ReLU - MaxPool - Conv2d(16, 32, 3) - ReLU - MaxPool -
Linear(128, 10), ``nn.CrossEntropyLoss()``, Adam (lr 1e-3), batch 32 (45 train batches an epoch, then
the 360 validation samples in one batch), ``torch.set_num_threads(1)``, fixed seeds. Variants:

1. **baseline**: the loop with a ``fitwatch.Run`` (``diagnose=False``) that logs the loss and accuracy
   of every train batch (``run.log("train", ...)``) and the validation loss once an epoch;
2. fitwatch probes: the baseline plus ``run.watch(model)`` at fitwatch's default interval (the headline),
   and, as extra rows, ``run.watch(model, every=1)`` and ``every=10``. Until ``fitwatch.Run`` has
   ``watch``, these rows print "not available yet";
3. TensorBoard: the baseline plus, every step, ``SummaryWriter.add_histogram`` of every parameter's
   gradient;
4. Cockpit (``cockpit-for-pytorch``, on BackPACK): the baseline plus ``Cockpit(model.parameters(),
   quantities=configuration("economy"))`` (its quantities tracked every step), the model and the loss
   ``backpack.extend``-ed, and ``with cockpit(step, info={...}): loss.backward(...)`` with the
   individual losses of a ``reduction="none"`` loss, as Cockpit's documentation shows;
5. the baseline again, as an **A/A control**: its overhead is the method's own error.

A timed run is a whole training run of ``--epochs`` epochs: model and ``Run`` creation, the tool's
set-up (``run.watch``, ``SummaryWriter``, ``Cockpit``), the epochs, ``run.finish()`` (which waits for
everything to be written) and ``writer.close()``, divided by the number of epochs. After one discarded
warm-up run of each variant (one epoch; a variant that fails there is reported with the reason and
left out), ``--rounds`` rounds run each variant once, in an order rotated by one each round (so every
variant takes every position in turn). The table gives each variant's median seconds per epoch over
the rounds, the ratio of medians to the baseline's and the overhead in percent; also, per variant, the
median over rounds of the ratio to the same round's baseline (``paired``), the overhead in process CPU
time (all threads, fitwatch's writer thread included; steadier than wall time on a shared machine) and
the range of the wall times. The targets are judged on wall time, ratio of medians.

Then (section 2) the probes at the default interval against the baseline alone, in ``--pairs``
back-to-back pairs (the order alternating, ABBA), with as many baseline/baseline pairs: on a shared
machine two identical runs minutes apart differ by 5-20 %, two runs back to back much less, so the
median of the pairs' ratios is what the 3 % target is judged on (the A/A pairs print the method's own
error). Runs are 20 epochs by default, about what this CNN needs to converge: the probes' one-time
costs (the hooks, the first samples at steps 0, 1, 4 and 16) weigh more in a 5-epoch run.

The probes also time themselves (``TorchWatcher.seconds``: every hook and the once-an-epoch read, on
their own clock): their share of each run's time is the direct measure of what they cost, and it does
not move with the machine's load the way two whole runs do.

Targets (exit status 0 when all pass, 1 otherwise, also while ``run.watch`` is not available yet):
the probes at the default interval take at most 3 % of the training loop's time (the median share
over the watched runs; the wall-clock overheads are printed beside it), and cost less than
TensorBoard histograms and less than Cockpit economy (a comparison whose tool is unavailable is
skipped, and the output says so).
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import types
import warnings

import numpy as np
import torch
from torch import nn

import fitwatch

PROBE_TARGET_PCT = 3.0  # fitwatch probes at the default interval add at most this to the loop
BASELINE = "baseline"

perf = time.perf_counter
cpu = time.process_time  # CPU time of the whole process, all threads (fitwatch's writer thread included)

# BackPACK's extended modules register full backward hooks on the first layer, whose input does not
# require a gradient; torch warns about it at every backward pass. Harmless here.
warnings.filterwarnings("ignore", message="Full backward hook is firing")


# -- the loop -------------------------------------------------------------------------------
def digits_data():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x_tr, x_va, y_tr, y_va = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
    f = lambda a: torch.tensor(a / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)  # noqa: E731
    return f(x_tr), torch.tensor(y_tr), f(x_va), torch.tensor(y_va)


def make_model():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 16 x 4 x 4
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 2 x 2
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10),
    )
    return model


def batches(x, y, bs, gen):
    idx = torch.randperm(len(x), generator=gen)
    for i in range(0, len(x), bs):
        j = idx[i:i + bs]
        yield x[j], y[j]


class Variant:
    """One contender. ``kind``: baseline, watch, tensorboard or cockpit; ``every``: run.watch's interval
    (None: the default, ``run.watch(model)``). ``reason`` is set when the variant cannot run."""

    def __init__(self, label: str, kind: str, every: int | None = None, reason: str | None = None):
        self.label = label
        self.kind = kind
        self.every = every
        self.reason = reason
        self.times: list[float] = []  # wall seconds per epoch, one per round
        self.cpu: list[float] = []  # process CPU seconds per epoch, one per round
        self.shares: list[float] = []  # the share of each run's time spent in the probes (watch only)

    @property
    def available(self) -> bool:
        return self.reason is None

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def train(v: Variant, data, epochs: int, root: str, tag: str, tools: dict) -> tuple[float, float]:
    """One whole training run of ``v``; returns (wall, process CPU) seconds per epoch."""
    x_tr, y_tr, x_va, y_va = data
    bs = 32
    t0, c0 = perf(), cpu()
    model = make_model()
    criterion = nn.CrossEntropyLoss()
    writer = cockpit = individual = None
    if v.kind == "cockpit":
        extend, Cockpit, configuration = tools["cockpit"]
        model = extend(model)
        criterion = extend(criterion)
        individual = nn.CrossEntropyLoss(reduction="none")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    run = fitwatch.Run(f"{v.kind}-{tag}", dir=os.path.join(root, "store"), progress=False, diagnose=False)
    if v.kind == "watch":
        if v.every is None:
            run.watch(model)
        else:
            run.watch(model, every=v.every)
    elif v.kind == "tensorboard":
        writer = tools["tensorboard"](os.path.join(root, "tb", tag))
        named = list(model.named_parameters())
    elif v.kind == "cockpit":
        cockpit = Cockpit(model.parameters(), quantities=configuration("economy"))
    # --compile: the model compiled after the tool's set-up, as a user compiles a watched model; each run compiles
    # its own (torch reuses a model class's compiled forward pass, without hooks added since: see docs/probes.md)
    if tools.get("compile"):
        torch._dynamo.reset()
    forward = torch.compile(model, backend=tools["compile"]) if tools.get("compile") else model
    gen = torch.Generator().manual_seed(0)
    step = 0
    for _ in run.epochs(epochs):
        model.train()
        for xb, yb in batches(x_tr, y_tr, bs, gen):
            opt.zero_grad()
            out = forward(xb)
            loss = criterion(out, yb)
            if cockpit is not None:
                losses = individual(out, yb)
                info = {"batch_size": len(yb), "individual_losses": losses, "loss": loss, "optimizer": opt}
                with cockpit(step, info=info):
                    loss.backward(create_graph=cockpit.create_graph(step))
            else:
                loss.backward()
            if writer is not None:
                for name, p in named:
                    writer.add_histogram(f"grad/{name}", p.grad, step)
            opt.step()
            run.log("train", loss=loss.detach(), accuracy=(out.argmax(1) == yb).float().mean(), n=len(yb))
            step += 1
        model.eval()
        with torch.no_grad():
            out = forward(x_va)
            run.log("val", loss=criterion(out, y_va), accuracy=(out.argmax(1) == y_va).float().mean(),
                    n=len(y_va))
    run.finish()  # waits for everything to be committed
    if writer is not None:
        writer.close()
    wall = perf() - t0
    # the probes time themselves (every hook and the once-an-epoch read: TorchWatcher.seconds)
    inside = sum(w.seconds for w, _ in getattr(run, "_watchers", ())) if v.kind == "watch" else 0.0
    v.shares.append(inside / wall)
    return wall / epochs, (cpu() - c0) / epochs


# -- the tools ------------------------------------------------------------------------------
def reason_of(e: BaseException) -> str:
    return f"{type(e).__name__}: {(str(e).splitlines() or [''])[0][:160]}"


def import_cockpit():
    """``((extend, Cockpit, configuration), None)``, or ``(None, reason)``.

    cockpit-for-pytorch 1.0.2 reads its own version with ``pkg_resources``, which setuptools >= 81 no
    longer ships; when ``pkg_resources`` cannot be imported, a stand-in built on importlib.metadata is
    put in ``sys.modules`` for the import only, then removed."""
    shim = None
    try:
        import pkg_resources  # noqa: F401
    except ImportError:
        shim = types.ModuleType("pkg_resources")

        class DistributionNotFound(Exception):
            pass

        def get_distribution(name):
            try:
                return types.SimpleNamespace(version=importlib.metadata.version(name))
            except importlib.metadata.PackageNotFoundError:
                raise DistributionNotFound(name) from None

        shim.DistributionNotFound, shim.get_distribution = DistributionNotFound, get_distribution
        sys.modules["pkg_resources"] = shim
    except Exception:  # noqa: BLE001 - an old setuptools' pkg_resources that fails to import
        pass
    try:
        from backpack import extend
        from cockpit import Cockpit
        from cockpit.utils.configuration import configuration
    except Exception as e:  # noqa: BLE001 - any failure means "Cockpit not measurable here"
        hint = ("; pip install --no-deps cockpit-for-pytorch backpack-for-pytorch einops unfoldNd json-tricks "
                "seaborn" if isinstance(e, ImportError) else "")
        return None, reason_of(e) + hint
    finally:
        if shim is not None and sys.modules.get("pkg_resources") is shim:
            del sys.modules["pkg_resources"]
    return (extend, Cockpit, configuration), None


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def probe_interval() -> str:
    try:
        from fitwatch.probes import default_every

        return f"every={default_every()}"
    except Exception:  # noqa: BLE001 - fitwatch without probes, or another layout
        return "fitwatch's default"


# -- main ---------------------------------------------------------------------------------
def environment(args) -> None:
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
          f"tensorboard {version('tensorboard')}, cockpit-for-pytorch {version('cockpit-for-pytorch')}, "
          f"backpack-for-pytorch {version('backpack-for-pytorch')}")
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


def variants(cockpit_reason: str | None, compiled: str | None = None) -> list[Variant]:
    interval = probe_interval()
    watch = None if hasattr(fitwatch.Run, "watch") else "not available yet (fitwatch.Run has no watch)"
    if compiled:  # (BackPACK's hooks and the histograms' per-step reads are not what is compared there)
        cockpit_reason = f"not run with --compile {compiled}"
    return [
        Variant(BASELINE + " (run.log per batch)", "baseline"),
        Variant(f"fitwatch probes, run.watch(model) ({interval})", "watch", None, watch),
        Variant("fitwatch probes, run.watch(model, every=1)", "watch", 1, watch),
        Variant("fitwatch probes, run.watch(model, every=10)", "watch", 10, watch),
        Variant("TensorBoard add_histogram of every grad, every step", "tensorboard", None,
                f"not run with --compile {compiled}" if compiled else None),
        Variant('Cockpit configuration("economy"), every step', "cockpit", None,
                None if cockpit_reason is None else f"not installed/unavailable ({cockpit_reason})"),
        Variant(BASELINE + " again (A/A control)", "baseline"),
    ]


def run_pairs(base: Variant, probes: Variant, data, epochs: int, pairs: int, root: str, tools: dict):
    """Probes against the baseline in back-to-back pairs (ABBA: the order alternates), and as many
    baseline/baseline pairs; returns, for each, the (median, lower quartile, upper quartile) of the
    pairs' time ratios (probes / baseline; second baseline / first)."""
    ratios, same = [], []
    for i in range(pairs):
        if i % 2:
            p = train(probes, data, epochs, root, f"p{i}", tools)[0]
            b = train(base, data, epochs, root, f"b{i}", tools)[0]
        else:
            b = train(base, data, epochs, root, f"b{i}", tools)[0]
            p = train(probes, data, epochs, root, f"p{i}", tools)[0]
        ratios.append(p / b)
        a1 = train(base, data, epochs, root, f"a{i}", tools)[0]
        a2 = train(base, data, epochs, root, f"c{i}", tools)[0]
        same.append(a2 / a1 if i % 2 == 0 else a1 / a2)
    q = lambda r: (float(np.median(r)), float(np.percentile(r, 25)), float(np.percentile(r, 75)))  # noqa: E731
    return q(ratios), q(same)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a smoke test: 3 rounds of 2-epoch runs (noisy numbers)")
    p.add_argument("--rounds", type=int, default=None,
                   help="rounds of one run of each variant (default 7: each variant takes each position once)")
    p.add_argument("--epochs", type=int, default=None,
                   help="epochs per timed run (default 20: about what this CNN needs to converge)")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    p.add_argument("--pairs", type=int, default=None,
                   help="back-to-back probes/baseline pairs judged for the 3 %% target (default 12; 0: judge on "
                        "the rounds' medians)")
    p.add_argument("--compile", metavar="BACKEND", default=None,
                   help="torch.compile the model of every run, after run.watch (aot_eager: no C compiler needed; "
                        "inductor); TensorBoard and Cockpit are left out")
    args = p.parse_args(argv)
    rounds = args.rounds if args.rounds is not None else (3 if args.quick else 7)
    epochs = args.epochs if args.epochs is not None else (2 if args.quick else 20)
    args.pairs = args.pairs if args.pairs is not None else (2 if args.quick else 12)
    if rounds < 1 or epochs < 1:
        p.error("--rounds and --epochs must be at least 1")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    np.random.seed(0)

    environment(args)
    t_start = perf()
    from torch.utils.tensorboard import SummaryWriter

    cockpit_tools, cockpit_reason = import_cockpit()
    tools = {"tensorboard": SummaryWriter, "cockpit": cockpit_tools, "compile": args.compile}
    vs = variants(cockpit_reason, args.compile)
    data = digits_data()
    nb = -(-len(data[0]) // 32)
    compiled = f", torch.compile(backend={args.compile!r})" if args.compile else ""
    print(f"\n== 1. Training loop: digits CNN{compiled}, {len(data[0])} train / {len(data[2])} val samples, batch 32 "
          f"({nb} steps an epoch), {epochs} epochs a run, {rounds} rounds ==")
    root = tempfile.mkdtemp(prefix="fitwatch-probe-bench-")
    try:
        for v in vs:  # warm-up, one epoch each, discarded; a variant that fails here is left out
            if v.available:
                try:
                    train(v, data, 1, root, "warmup", tools)
                except Exception as e:  # noqa: BLE001
                    v.reason = f"failed ({reason_of(e)})"
                v.shares.clear()  # a one-epoch warm-up is mostly the probes' first samples: not counted
        gc.collect()
        live = [v for v in vs if v.available]
        ratios = {v.label: [] for v in live}
        for r in range(rounds):  # each variant once per round, the order rotated by one each round
            k = r % len(live)
            this = {}
            for v in live[k:] + live[:k]:
                this[v.label], c = train(v, data, epochs, root, f"r{r}", tools)
                v.times.append(this[v.label])
                v.cpu.append(c)
            for v in live:
                ratios[v.label].append(this[v.label] / this[vs[0].label])
    finally:
        shutil.rmtree(root, ignore_errors=True)

    base = vs[0]
    w = max(len(v.label) for v in vs)
    print(f"  each timed run: Run() creation, the tool's set-up, {epochs} epochs, run.finish() (and writer.close()); "
          f"seconds per epoch")
    print(f"  {'variant':<{w}}  {'s/epoch':>8}  {'ratio':>7}  {'overhead':>9}  {'paired':>9}  {'CPU time':>9}  "
          f"wall range over rounds")
    over = {}
    for v in vs:
        if not v.available:
            print(f"  {v.label:<{w}}  {v.reason}")
            continue
        m = v.median
        over[v.label] = (m / base.median - 1.0) * 100.0
        paired = (statistics.median(ratios[v.label]) - 1.0) * 100.0
        cpu_over = (statistics.median(v.cpu) / statistics.median(base.cpu) - 1.0) * 100.0
        print(f"  {v.label:<{w}}  {m:8.4f}  {m / base.median:7.4f}  {over[v.label]:+8.2f}%  {paired:+8.2f}%  "
              f"{cpu_over:+8.2f}%  {min(v.times):.4f} .. {max(v.times):.4f} s")
    print(f"  s/epoch: median wall seconds per epoch; ratio, overhead: ratio of medians to the {BASELINE}'s; paired:")
    print(f"  median over rounds of each round's ratio to that round's {BASELINE} run; CPU time: overhead in process")
    print(f"  CPU time (all threads; ratio of medians), steadier than wall time when other processes share the CPUs")

    probes, tb, cp = vs[1], vs[4], vs[5]
    pair = aa = None
    if probes.available and args.pairs:
        print(f"\n== 2. Probes against the baseline, paired: {args.pairs} pairs of {epochs}-epoch runs, "
              f"back to back (ABBA order), and as many baseline/baseline pairs (A/A) ==")
        root = tempfile.mkdtemp(prefix="fitwatch-probe-pairs-")
        try:
            pair, aa = run_pairs(base, probes, data, epochs, args.pairs, root, tools)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        for name, (med, lo, hi) in (("probes / baseline", pair), ("baseline / baseline (A/A)", aa)):
            print(f"  {name:<26} median {100 * (med - 1):+6.2f}%   middle half {100 * (lo - 1):+6.2f}% .. "
                  f"{100 * (hi - 1):+6.2f}%")
        print("  each pair runs its two contenders one right after the other, so both see the same machine; the A/A")
        print("  pairs show how far two identical runs differ on it")

    if probes.available and probes.shares:
        print("\n   time spent inside the probes (their own clock: every hook, and the once-an-epoch read), "
              "as a share of each run's time:")
        for v in vs[1:4]:
            if v.available and v.shares:
                print(f"  {v.label:<{w}}  median {100 * statistics.median(v.shares):5.2f}%   "
                      f"max {100 * max(v.shares):5.2f}%   over {len(v.shares)} runs")
        print("  the direct measure of what the probes cost: the same share on a busy or an idle machine")

    print("\n== 3. Targets ==")
    oks = []
    if not probes.available:
        print(f"  [FAIL] fitwatch probes: {probes.reason}; nothing to compare")
        oks.append(False)
    else:
        o = over[probes.label]
        share = 100 * statistics.median(probes.shares) if probes.shares else None
        if share is not None:
            ok = share <= PROBE_TARGET_PCT
            print(f"  [{'PASS' if ok else 'FAIL'}] fitwatch probes ({probe_interval()}): {share:.2f}% of the loop's "
                  f"time spent in them (target <= {PROBE_TARGET_PCT:.0f}%)")
            oks.append(ok)
        # wall-clock overheads, printed beside it: on a shared machine two identical runs differ by more than 3 %
        if pair is not None:
            print(f"  [INFO] wall-clock overhead {100 * (pair[0] - 1):+.2f}% (paired median; A/A "
                  f"{100 * (aa[0] - 1):+.2f}%), {o:+.2f}% by the rounds' medians (A/A {over[vs[6].label]:+.2f}%)")
        else:
            print(f"  [INFO] wall-clock overhead {o:+.2f}% by the rounds' medians (A/A {over[vs[6].label]:+.2f}%)")
        for other, name in ((tb, "TensorBoard histograms"), (cp, "Cockpit economy")):
            if not other.available:
                print(f"  [SKIP] fitwatch probes < {name}: {other.reason}")
                continue
            ok = probes.median < other.median
            oks.append(ok)
            print(f"  [{'PASS' if ok else 'FAIL'}] fitwatch probes < {name}: {o:+.2f}% vs {over[other.label]:+.2f}% "
                  f"({other.median / probes.median:.1f}x the probes' time per epoch)")
    print(f"  load average at end: {load()}")
    print(f"  total benchmark time {perf() - t_start:.1f} s")
    return 0 if all(oks) else 1


if __name__ == "__main__":
    sys.exit(main())
