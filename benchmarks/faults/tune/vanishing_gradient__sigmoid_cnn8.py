"""8 conv layers with sigmoid on 8x8 digits (SGD): the first convs get ~1e-4 of the last layer's gradient

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, vanishing_gradient.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/vanishing_gradient__sigmoid_cnn8.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "vanishing_gradient"
WHAT = "8 conv layers with sigmoid on 8x8 digits (SGD): the first convs get ~1e-4 of the last layer's gradient"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("digits")
    Xtr, Xva, ytr, yva = common.split(X / 16.0, y)
    data = common.tensors(Xtr.reshape(-1, 1, 8, 8), Xva.reshape(-1, 1, 8, 8), ytr, yva, "multiclass")
    layers = []
    for i in range(8):
        conv = nn.Conv2d(1 if i == 0 else 8, 8, 3, padding=1)
        if fix:
            nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
        layers += [conv, nn.ReLU() if fix else nn.Sigmoid()]  # the fault: sigmoid through 8 conv layers
    model = nn.Sequential(*layers, nn.Flatten(), nn.Linear(8 * 8 * 8, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return common.Program(model, opt, nn.CrossEntropyLoss(), data, epochs=15, batch_size=32)


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
