"""healthy: standardised digits, ReLU MLP with LogSoftmax + NLLLoss, Adam 1e-3, trained until val loss is flat

Fault benchmark (benchmarks/faults/), tune half: a healthy control (no fault).
main(dir) trains it with fitwatch; build() takes fix= like the faulty programs and ignores it.
Run: .venv/bin/python benchmarks/faults/tune/healthy__digits_mlp_nll.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = None
WHAT = "healthy: standardised digits, ReLU MLP with LogSoftmax + NLLLoss, Adam 1e-3, trained until val loss is flat"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("digits")
    Xtr, Xva, ytr, yva = common.split(X, y)
    data = common.tensors(*common.standardise(Xtr, Xva), ytr, yva, "multiclass")
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10),
                          nn.LogSoftmax(dim=1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return common.Program(model, opt, nn.NLLLoss(), data, epochs=30, batch_size=32)


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
