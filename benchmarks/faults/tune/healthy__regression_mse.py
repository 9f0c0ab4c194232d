"""healthy: synthetic regression (noise 20), standardised X and y, ReLU MLP, SGD momentum, MSE until flat

Fault benchmark (benchmarks/faults/), tune half: a healthy control (no fault).
main(dir) trains it with fitwatch; build() takes fix= like the faulty programs and ignores it.
Run: .venv/bin/python benchmarks/faults/tune/healthy__regression_mse.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = None
WHAT = "healthy: synthetic regression (noise 20), standardised X and y, ReLU MLP, SGD momentum, MSE until flat"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("regression", n_samples=1500, n_features=10, n_informative=8, noise=20.0)
    Xtr, Xva, ytr, yva = common.split(X, y)
    Xtr, Xva = common.standardise(Xtr, Xva)
    mu, sd = ytr.mean(), ytr.std()
    data = common.tensors(Xtr, Xva, (ytr - mu) / sd, (yva - mu) / sd, "regression")
    model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return common.Program(model, opt, nn.MSELoss(), data, epochs=40, batch_size=32, task="regression")


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
