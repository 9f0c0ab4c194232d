"""One rank of a real torch.distributed (gloo, CPU) job for tests/test_distributed.py.

Usage: RANK=r WORLD_SIZE=w MASTER_ADDR=127.0.0.1 MASTER_PORT=p python ddp_worker.py MODE STORE OUT

MODE: ``mean`` (a DDP training of a small regression, per-batch losses weighted by the batch size
and per-sample losses, DistributedSampler with padding), ``stop`` (the same with early stopping and
restore), ``die`` (rank 1 exits at the end of epoch 1's batches), ``mismatch`` (rank 1 logs one more metric),
``raise`` (rank 1 raises in epoch 1), ``wrongsamples`` (samples= two more than the validation set),
``teardown`` (rank 0 reaches finish() 2 s after the others; no barrier of the script's own before
destroy_process_group).
Each rank writes OUT.<rank>.json: what it logged (for the reference mean) and what it saw.
"""

import json
import os
import sys

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

import fitwatch

DESTROYED = "fitwatch-test: process group destroyed"
mode, store, out = sys.argv[1], sys.argv[2], sys.argv[3]
rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
dist.init_process_group("gloo", rank=rank, world_size=world)
torch.manual_seed(0)
N_TRAIN, N_VAL, BATCH = 1001, 203, 64  # neither divides by 2, 3 or 4: padding, uneven last batches
X = torch.randn(N_TRAIN + N_VAL, 6)
y = X @ torch.linspace(-1, 1, 6).unsqueeze(1) + 0.3 * torch.randn(N_TRAIN + N_VAL, 1)
train = TensorDataset(X[:N_TRAIN], y[:N_TRAIN])
val = TensorDataset(X[N_TRAIN:], y[N_TRAIN:])
train_sampler = DistributedSampler(train, shuffle=True, seed=1)
val_sampler = DistributedSampler(val, shuffle=False)
train_dl = DataLoader(train, batch_size=BATCH, sampler=train_sampler)
val_dl = DataLoader(val, batch_size=BATCH, sampler=val_sampler)
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
ddp = torch.nn.parallel.DistributedDataParallel(model)
opt = torch.optim.SGD(ddp.parameters(), lr=0.05 if mode != "stop" else 0.3)
dir_ = store if rank == 0 else os.path.join(store, f"rank{rank}-must-not-exist")
run = fitwatch.Run(f"ddp-{mode}-{world}", dir=dir_, diagnose=False, progress=False,
                   samples={"train": N_TRAIN, "val": N_VAL + (2 if mode == "wrongsamples" else 0)})
logged = []  # (epoch, split, metric, value, n) of every batch, as floats: the reference
stop = fitwatch.EarlyStopping(patience=2) if mode == "stop" else None
snapshots = {}
epochs = 30 if mode == "stop" else 3
try:
    for epoch in run.epochs(epochs, stop=stop, restore=model if stop else None):
        train_sampler.set_epoch(epoch)
        ddp.train()
        for xb, yb in train_dl:
            per = ((ddp(xb) - yb) ** 2).squeeze(1)
            loss = per.mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.log("train", loss=loss.detach(), n=len(yb))  # a batch mean, weighted by its size
            logged.append((epoch, "train", "loss", float(loss), len(yb)))
            if mode == "mismatch" and rank == 1:
                run.log("train", extra=1.0)
        if mode == "raise" and rank == 1 and epoch == 1:
            raise RuntimeError("boom on rank 1")  # leaves the loop mid-epoch: its epoch holds train only
        ddp.eval()
        with torch.no_grad():
            for i, (xb, yb) in enumerate(val_dl):
                per = ((model(xb) - yb) ** 2).squeeze(1)
                run.log("val", loss=per)  # per-sample values: the padded one is taken out exactly
                mae = (model(xb) - yb).abs().mean()
                run.log("val", mae=mae, n=len(yb))
                logged += [(epoch, "val", "loss", float(v), 1) for v in per]
                logged.append((epoch, "val", "mae", float(mae), len(yb)))
        if mode == "die" and rank == 1 and epoch == 1:
            os._exit(3)  # a rank that dies after its epoch's batches, before the epoch's values are reduced
        snapshots[epoch] = [p.detach().clone().tolist() for p in model.parameters()]
    import time

    if mode == "teardown" and rank == 0:
        time.sleep(2)
    entered = time.time()
    run.finish()
    finish_s = time.time() - entered
    result = {"finish_s": finish_s, "history": run.history, "info": run.info, "epoch": run.epoch, "status": run.status,
              "weights": [p.detach().tolist() for p in model.parameters()],
              "best": stop.best_epoch if stop else None, "snapshots": snapshots,
              "stopped": stop.stopped_epoch if stop else None}
except Exception as e:  # noqa: BLE001 - the test reads what happened
    result = {"error": f"{type(e).__name__}: {e}"}
result["logged"] = logged
result["val_indices"] = list(iter(val_sampler))
with open(f"{out}.{rank}.json", "w") as f:
    json.dump(result, f)
if "error" not in result:
    if mode != "teardown":
        dist.barrier()  # no rank tears the group down while another still talks to it (gloo aborts then)
    dist.destroy_process_group()
    print(DESTROYED, file=sys.stderr, flush=True)  # past it: an abort after this is torch's exit (test_distributed)
