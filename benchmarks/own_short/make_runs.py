"""Short training runs of our own, for early stopping: tests/data/own_short/runs.jsonl.gz.

Digits (scikit-learn's bundled set, 70/30 split, inputs / 16) trained for 10-40 epochs by a small MLP
or CNN, every epoch's mean training loss, validation loss and validation accuracy recorded (one row
per epoch: ``[loss, val_loss, val_accuracy]``). Two sets, written by a helper attacking the
early-stopping plan (2026-12-07, stop 43):

* ``broad``: 192 settings x 2 seeds: 10/15/20/30 epochs, MLP or CNN, Adam 1e-3, SGD+momentum 0.02
  or SGD 0.05, no schedule, cosine, step or OneCycle, dropout 0 or 0.3 (mostly smooth runs);
* ``noisy``: 14 settings x 8 seeds, chosen to be noisy and still improving (20 or 30 epochs; SGD
  0.05-0.1, Adam 1e-2 with dropout 0.3, OneCycle with batch norm...).

Both were looked at while the plan's variants were tried (docs/early_stopping.md, "The plan"):
they are tuning material, not held out. ``benchmarks/early_stopping.py`` replays them.

Run: .venv/bin/python benchmarks/own_short/make_runs.py   (about 20 minutes on 2 CPUs)
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "own_short" / "runs.jsonl.gz"


def _digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split((X / 16.0).astype("float32"), y, test_size=0.3, random_state=0, stratify=y)


def _mlp(seed: int, drop: float = 0.0, bn: bool = False, hidden: int = 128) -> nn.Module:
    torch.manual_seed(seed)
    layers = [nn.Linear(64, hidden), *([nn.BatchNorm1d(hidden)] if bn else []), nn.ReLU(),
              *([nn.Dropout(drop)] if drop else []), nn.Linear(hidden, hidden), nn.ReLU(),
              *([nn.Dropout(drop)] if drop else []), nn.Linear(hidden, 10)]
    return nn.Sequential(*layers)


class _CNN(nn.Module):
    def __init__(self, seed: int, drop: float = 0.0, bn: bool = False):
        super().__init__()
        torch.manual_seed(seed)
        self.c1, self.c2 = nn.Conv2d(1, 16, 3, padding=1), nn.Conv2d(16, 32, 3, padding=1)
        self.b1 = nn.BatchNorm2d(16) if bn else nn.Identity()
        self.b2 = nn.BatchNorm2d(32) if bn else nn.Identity()
        self.drop = nn.Dropout(drop) if drop else nn.Identity()
        self.fc = nn.Linear(32 * 4 * 4, 10)

    def forward(self, x):
        x = F.relu(self.b1(self.c1(x.view(-1, 1, 8, 8))))
        x = F.max_pool2d(F.relu(self.b2(self.c2(x))), 2)
        return self.fc(self.drop(x.flatten(1)))


def _optimizer(kind: str, params, lr: float):
    return {"adam": lambda: torch.optim.Adam(params, lr=lr), "sgd": lambda: torch.optim.SGD(params, lr=lr),
            "sgdm": lambda: torch.optim.SGD(params, lr=lr, momentum=0.9)}[kind]()


def _schedule(kind, opt, epochs: int, steps: int, lr: float):
    """(scheduler or None, stepped at each batch)."""
    if kind is None:
        return None, False
    if kind == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs), False
    if kind == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=max(1, int(epochs * 0.5)), gamma=0.1), False
    if kind == "step2":
        return torch.optim.lr_scheduler.MultiStepLR(opt, [int(epochs * 0.5), int(epochs * 0.75)], gamma=0.1), False
    return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps), True


def run(arch="mlp", opt="adam", lr=1e-3, sched=None, n=20, seed=0, drop=0.0, bn=False, batch=32) -> list:
    """One run's rows ``[loss, val_loss, val_accuracy]``, one per epoch."""
    Xtr, Xva, ytr, yva = _digits()
    model = _mlp(seed, drop, bn) if arch == "mlp" else _CNN(seed, drop, bn)
    o = _optimizer(opt, model.parameters(), lr)
    s, per_batch = _schedule(sched, o, n, math.ceil(len(Xtr) / batch), lr)
    Xt, yt, Xv, yv = map(torch.tensor, (Xtr, ytr, Xva, yva))
    rows = []
    for e in range(n):
        model.train()
        order, total = torch.randperm(len(Xt), generator=torch.Generator().manual_seed(seed * 1000 + e)), 0.0
        for i in range(0, len(Xt), batch):
            idx = order[i:i + batch]
            o.zero_grad()
            loss = F.cross_entropy(model(Xt[idx]), yt[idx])
            loss.backward()
            o.step()
            if s is not None and per_batch:
                s.step()
            total += loss.item() * len(idx)
        if s is not None and not per_batch:
            s.step()
        model.eval()
        with torch.no_grad():
            out = model(Xv)
            rows.append([total / len(Xt), F.cross_entropy(out, yv).item(), (out.argmax(1) == yv).float().mean().item()])
    return rows


def settings() -> list[tuple[str, dict, int]]:
    """(set, setting, seed) of every run (the file holds them in another order: the helper wrote it in parts)."""
    broad = [dict(arch=a, opt=o, lr=lr, sched=s, n=n, drop=d) for n in (10, 15, 20, 30) for a in ("mlp", "cnn")
             for o, lr in (("adam", 1e-3), ("sgdm", 0.02), ("sgd", 0.05)) for s in (None, "cosine", "step", "onecycle")
             for d in (0.0, 0.3)]
    noisy = [c for n in (20, 30) for c in (
        dict(arch="cnn", opt="sgd", lr=0.05, sched=None, n=n), dict(arch="mlp", opt="sgd", lr=0.1, sched=None, n=n),
        dict(arch="mlp", opt="adam", lr=1e-2, sched=None, n=n, drop=0.3),
        dict(arch="cnn", opt="sgdm", lr=0.05, sched="step", n=n),
        dict(arch="mlp", opt="sgdm", lr=0.05, sched="step2", n=n, drop=0.3),
        dict(arch="cnn", opt="adam", lr=3e-3, sched="cosine", n=n, drop=0.3),
        dict(arch="mlp", opt="sgd", lr=0.1, sched="onecycle", n=n, bn=True))]
    return ([("broad", c, s) for c in broad for s in (0, 1)] + [("noisy", c, s) for c in noisy for s in range(2, 10)])


def main() -> None:
    torch.set_num_threads(2)
    with gzip.open(OUT, "wt") as fh:
        for kind, cfg, seed in settings():
            rows = [[round(v, 6) for v in row] for row in run(seed=seed, **cfg)]
            fh.write(json.dumps({"set": kind, "cfg": cfg, "seed": seed, "rows": rows}) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
