"""digits MLP ending in nn.Softmax, trained with nn.CrossEntropyLoss (which applies log-softmax again)

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, loss_output_mismatch.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/loss_output_mismatch__softmax_then_ce.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "loss_output_mismatch"
WHAT = "digits MLP ending in nn.Softmax, trained with nn.CrossEntropyLoss (which applies log-softmax again)"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("digits")
    Xtr, Xva, ytr, yva = common.split(X, y)
    data = common.tensors(*common.standardise(Xtr, Xva), ytr, yva, "multiclass")
    layers = [nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)]
    if not fix:  # the fault: a softmax layer before CrossEntropyLoss
        layers.append(nn.Softmax(dim=1))
    model = nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
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
