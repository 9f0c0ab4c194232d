"""binary MLP on synthetic data ending in nn.Sigmoid, trained with nn.BCEWithLogitsLoss (a second sigmoid)

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, loss_output_mismatch.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/loss_output_mismatch__sigmoid_then_bcewithlogits.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "loss_output_mismatch"
WHAT = "binary MLP on synthetic data ending in nn.Sigmoid, trained with nn.BCEWithLogitsLoss (a second sigmoid)"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("classification", n_samples=2000, n_features=10, n_informative=6, n_classes=2,
                       class_sep=1.5)
    Xtr, Xva, ytr, yva = common.split(X, y)
    data = common.tensors(*common.standardise(Xtr, Xva), ytr, yva, "binary")
    layers = [nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1)]
    if not fix:  # the fault: a Sigmoid before BCEWithLogitsLoss
        layers.append(nn.Sigmoid())
    model = nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    acc = common.logit_accuracy if fix else common.probability_accuracy
    return common.Program(model, opt, nn.BCEWithLogitsLoss(), data, epochs=30, batch_size=32, task="binary",
                          accuracy=acc)


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
