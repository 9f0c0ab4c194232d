"""healthy: small ReLU CNN on standardised 8x8 digits, Adam 2e-3, cross-entropy, trained until val loss is flat

Fault benchmark (benchmarks/faults/), tune half: a healthy control (no fault).
main(dir) trains it with fitwatch; build() takes fix= like the faulty programs and ignores it.
Run: .venv/bin/python benchmarks/faults/tune/healthy__digits_cnn.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = None
WHAT = "healthy: small ReLU CNN on standardised 8x8 digits, Adam 2e-3, cross-entropy, trained until val loss is flat"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("digits")
    Xtr, Xva, ytr, yva = common.split(X, y)
    Xtr, Xva = common.standardise(Xtr, Xva)
    data = common.tensors(Xtr.reshape(-1, 1, 8, 8), Xva.reshape(-1, 1, 8, 8), ytr, yva, "multiclass")
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
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
