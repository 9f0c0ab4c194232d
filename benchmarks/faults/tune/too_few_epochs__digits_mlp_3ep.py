"""digits MLP with SGD lr=0.01 stopped after 3 epochs while the loss is still falling steeply (fix: 40)

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, too_few_epochs.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/too_few_epochs__digits_mlp_3ep.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "too_few_epochs"
WHAT = "digits MLP with SGD lr=0.01 stopped after 3 epochs while the loss is still falling steeply (fix: 40)"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("digits")
    Xtr, Xva, ytr, yva = common.split(X, y)
    data = common.tensors(*common.standardise(Xtr, Xva), ytr, yva, "multiclass")
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    return common.Program(model, opt, nn.CrossEntropyLoss(), data, epochs=40 if fix else 3, batch_size=32)


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
