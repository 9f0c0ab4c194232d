"""5-class blobs where 60% of the labels (both splits) were replaced by random classes (noisy annotation)

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, label_problem.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/label_problem__noisy_60pct.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "label_problem"
WHAT = "5-class blobs where 60% of the labels (both splits) were replaced by random classes (noisy annotation)"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("blobs", n_samples=2000, n_features=8, centers=5, cluster_std=1.5)
    if not fix:  # the fault: 60 % of the labels drawn at random
        g = torch.Generator().manual_seed(2)
        noisy = (torch.rand(len(y), generator=g) < 0.6).numpy()
        y = y.copy()
        y[noisy] = torch.randint(0, 5, (int(noisy.sum()),), generator=g).numpy()
    Xtr, Xva, ytr, yva = common.split(X, y)
    data = common.tensors(*common.standardise(Xtr, Xva), ytr, yva, "multiclass")
    model = nn.Sequential(nn.Linear(8, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 5))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return common.Program(model, opt, nn.CrossEntropyLoss(), data, epochs=30, batch_size=32)


def main(dir: str) -> str:
    p = build()
    run = fitwatch.Run(NAME, dir=dir, diagnose=False)
    if hasattr(run, "watch"):
        run.watch(p.model)
    common.fit(p, run)
    run.finish()
    return NAME


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
