"""tanh MLP on two moons trained with plain SGD lr=5 (the working program: lr=0.1, momentum 0.9)

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, lr_too_high.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/lr_too_high__sgd_lr5_moons.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "lr_too_high"
WHAT = "tanh MLP on two moons trained with plain SGD lr=5 (the working program: lr=0.1, momentum 0.9)"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("moons", n_samples=1000, noise=0.25)
    Xtr, Xva, ytr, yva = common.split(X, y)
    data = common.tensors(*common.standardise(Xtr, Xva), ytr, yva, "multiclass")
    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2))
    if fix:
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    else:  # the fault: lr=5
        opt = torch.optim.SGD(model.parameters(), lr=5.0)
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
