"""tanh MLP on 3-class synthetic data trained with Adam lr=1 (1000x the usual 1e-3): the loss jumps

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, lr_too_high.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/lr_too_high__adam_lr1.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "lr_too_high"
WHAT = "tanh MLP on 3-class synthetic data trained with Adam lr=1 (1000x the usual 1e-3): the loss jumps"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("classification", n_samples=1500, n_features=12, n_informative=8, n_classes=3)
    Xtr, Xva, ytr, yva = common.split(X, y)
    data = common.tensors(*common.standardise(Xtr, Xva), ytr, yva, "multiclass")
    model = nn.Sequential(nn.Linear(12, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 3))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3 if fix else 1.0)  # the fault: lr=1
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
