"""2-class synthetic data drawn 99:1 (overlapping classes), plain CrossEntropyLoss: class 1 is never predicted

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, class_imbalance.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/class_imbalance__gen_99_1.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "class_imbalance"
WHAT = "2-class synthetic data drawn 99:1 (overlapping classes), plain CrossEntropyLoss: class 1 is never predicted"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("classification", n_samples=4000, n_features=10, n_informative=4, n_classes=2,
                       weights=[0.5, 0.5] if fix else [0.99, 0.01], class_sep=0.6, flip_y=0.0)
    Xtr, Xva, ytr, yva = common.split(X, y)
    data = common.tensors(*common.standardise(Xtr, Xva), ytr, yva, "multiclass")
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    return common.Program(model, opt, nn.CrossEntropyLoss(), data, epochs=20, batch_size=64)


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
