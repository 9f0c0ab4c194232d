"""healthy: 8 blocks of Linear + BatchNorm1d + ReLU on 4-class synthetic data, Adam 5e-4, until flat

Fault benchmark (benchmarks/faults/), tune half: a healthy control (no fault).
main(dir) trains it with fitwatch; build() takes fix= like the faulty programs and ignores it.
Run: .venv/bin/python benchmarks/faults/tune/healthy__deep_bn_mlp.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = None
WHAT = "healthy: 8 blocks of Linear + BatchNorm1d + ReLU on 4-class synthetic data, Adam 5e-4, until flat"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("classification", n_samples=2000, n_features=20, n_informative=10, n_classes=4,
                       class_sep=1.5)
    Xtr, Xva, ytr, yva = common.split(X, y)
    data = common.tensors(*common.standardise(Xtr, Xva), ytr, yva, "multiclass")
    layers = []
    for i in range(8):
        layers += [nn.Linear(20 if i == 0 else 64, 64), nn.BatchNorm1d(64), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(64, 4))
    opt = torch.optim.Adam(model.parameters(), lr=5e-4)
    return common.Program(model, opt, nn.CrossEntropyLoss(), data, epochs=20, batch_size=32)


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
