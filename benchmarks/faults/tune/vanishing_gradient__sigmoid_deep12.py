"""12-layer sigmoid MLP on digits (SGD): the gradient shrinks ~4x per layer; the fix: ReLU, Kaiming init

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, vanishing_gradient.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/vanishing_gradient__sigmoid_deep12.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "vanishing_gradient"
WHAT = "12-layer sigmoid MLP on digits (SGD): the gradient shrinks ~4x per layer; the fix: ReLU, Kaiming init"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("digits")
    Xtr, Xva, ytr, yva = common.split(X, y)
    data = common.tensors(*common.standardise(Xtr, Xva), ytr, yva, "multiclass")
    act = nn.ReLU if fix else nn.Sigmoid  # the seeded fault: sigmoid through 11 hidden layers
    layers, width = [], 64
    for i in range(11):
        lin = nn.Linear(64 if i == 0 else width, width)
        if fix:
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        layers += [lin, act()]
    model = nn.Sequential(*layers, nn.Linear(width, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return common.Program(model, opt, nn.CrossEntropyLoss(), data, epochs=25, batch_size=32)


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
