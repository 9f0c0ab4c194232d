"""tanh CNN on 8x8 digits, hidden weights initialised N(0, 2) (~10x too large): the tanh units sit at +-1

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, saturated_activation.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/saturated_activation__tanh_cnn_std2.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "saturated_activation"
WHAT = "tanh CNN on 8x8 digits, hidden weights initialised N(0, 2) (~10x too large): the tanh units sit at +-1"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("digits")
    Xtr, Xva, ytr, yva = common.split(X / 16.0, y)
    data = common.tensors(Xtr.reshape(-1, 1, 8, 8), Xva.reshape(-1, 1, 8, 8), ytr, yva, "multiclass")
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.Tanh(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.Tanh(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(128, 64), nn.Tanh(), nn.Linear(64, 10))
    if not fix:  # the fault: N(0, 2) weights
        for m in list(model)[:-1]:  # the output layer keeps its default init
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(m.weight, std=2.0)
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
