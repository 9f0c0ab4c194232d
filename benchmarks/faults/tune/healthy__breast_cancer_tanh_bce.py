"""healthy: standardised breast cancer, tanh MLP, one logit with BCEWithLogitsLoss, SGD momentum, until flat

Fault benchmark (benchmarks/faults/), tune half: a healthy control (no fault).
main(dir) trains it with fitwatch; build() takes fix= like the faulty programs and ignores it.
Run: .venv/bin/python benchmarks/faults/tune/healthy__breast_cancer_tanh_bce.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = None
WHAT = "healthy: standardised breast cancer, tanh MLP, one logit with BCEWithLogitsLoss, SGD momentum, until flat"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("breast_cancer")
    Xtr, Xva, ytr, yva = common.split(X, y)
    data = common.tensors(*common.standardise(Xtr, Xva), ytr, yva, "binary")
    model = nn.Sequential(nn.Linear(30, 32), nn.Tanh(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return common.Program(model, opt, nn.BCEWithLogitsLoss(), data, epochs=40, batch_size=32, task="binary")


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
