"""Past one machine (issue 16): the measurements, each against a named baseline run here.

Run from the repository root:

    .venv/bin/python benchmarks/scale.py ddp      # DDP epoch values against one process's

``ddp``: a small regression trained for 3 epochs by 2, 3 and 4 gloo processes (DistributedSampler,
batch 64, 1,001 training and 203 validation samples: padding and uneven last batches), each rank
logging its batches (training: batch means weighted by their size; validation: per-sample losses).
Baseline: one process running ``fitwatch.Run`` over the same batches (every rank's, in any order)
with the same values. Printed: the largest relative difference between the stored epoch values
and the baseline's, per world size (training counts DistributedSampler's repeated samples on both
sides, as the batches did; validation has them taken out). Target: float rounding, below 1e-12 for
the training loss (float64 sums of batch means) and 1e-6 for the validation loss (a per-sample
tensor is averaged in float32 on its rank, and the repeated sample taken out of that mean).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
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


def main() -> int:
    parts = sys.argv[1:] or ["ddp"]
    ok = True
    for part in parts:
        if part == "ddp":
            ok &= ddp()
        else:
            print(f"unknown part {part!r}; parts: ddp")
            return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
