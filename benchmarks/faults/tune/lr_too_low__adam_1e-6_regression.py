"""ReLU MLP regression on diabetes trained with Adam lr=1e-6 (the working program uses 1e-3): MSE stays flat

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, lr_too_low.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/lr_too_low__adam_1e-6_regression.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "lr_too_low"
WHAT = "ReLU MLP regression on diabetes trained with Adam lr=1e-6 (the working program uses 1e-3): MSE stays flat"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("diabetes")
    Xtr, Xva, ytr, yva = common.split(X, y)
    Xtr, Xva = common.standardise(Xtr, Xva)
    mu, sd = ytr.mean(), ytr.std()
    data = common.tensors(Xtr, Xva, (ytr - mu) / sd, (yva - mu) / sd, "regression")
    model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3 if fix else 1e-6)  # the fault: lr=1e-6
    return common.Program(model, opt, nn.MSELoss(), data, epochs=60, batch_size=16, task="regression")


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
