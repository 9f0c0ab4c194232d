"""How long does ``fitwatch.preflight`` take on the digits CNN? (issue 14's target: under 10 s on 2 CPUs)

A small CNN on scikit-learn's digits (8x8 images, 1,347 training and 450 validation samples, batches of
32), healthy and with a fault per check. Printed: the wall time of the first call in the process
(torch's one-off start-up costs included: what a user's first call pays) and the median of the next
three, next to one training epoch of the same model (the baseline, in the same process), and the
codes found. torch's default thread count (2 here).

Run: .venv/bin/python benchmarks/preflight_time.py   (from the repository root)
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

import fitwatch


def setup(scale=True):
    X, y = load_digits(return_X_y=True)
    X = X * (255 / 16)  # as 8-bit pixels
    Xtr, Xva, ytr, yva = train_test_split(X.astype(np.float32), y, test_size=0.25, random_state=0, stratify=y)
    if scale:
        m, s = Xtr.mean(0), Xtr.std(0) + 1e-6
        Xtr, Xva = (Xtr - m) / s, (Xva - m) / s
    t = lambda a: torch.tensor(a).reshape(-1, 1, 8, 8)  # noqa: E731
    g = torch.Generator().manual_seed(0)
    tr = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(t(Xtr), torch.tensor(ytr)), batch_size=32,
                                     shuffle=True, generator=g)
    va = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(t(Xva), torch.tensor(yva)), batch_size=128)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Dropout(0.3),
                          nn.Linear(32 * 64, 10))
    return model, tr, va


def epoch(model, tr):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    t0 = time.perf_counter()
    for x, y in tr:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return time.perf_counter() - t0


def main() -> None:
    model, tr, va = setup()
    t0 = time.perf_counter()
    report = fitwatch.preflight(model, tr, nn.CrossEntropyLoss(), val_loader=va)
    first = time.perf_counter() - t0
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        fitwatch.preflight(model, tr, nn.CrossEntropyLoss(), val_loader=va)
        times.append(time.perf_counter() - t0)
    base = statistics.median(epoch(setup()[0], tr) for _ in range(3))
    print(f"healthy digits CNN: first call {first:.2f} s, then median {statistics.median(times):.2f} s "
          f"(one training epoch: {base:.2f} s, so {statistics.median(times) / base:.1f} epochs); found {report.codes}")
    bad, tr2, va2 = setup(scale=False)
    with torch.no_grad():
        bad[-1].weight.mul_(30)
    t0 = time.perf_counter()
    r2 = fitwatch.preflight(bad, tr2, nn.CrossEntropyLoss(), val_loader=va2)
    print(f"faulty digits CNN (raw 8-bit pixels, last layer x30): {time.perf_counter() - t0:.2f} s; found {r2.codes}")


if __name__ == "__main__":
    main()
