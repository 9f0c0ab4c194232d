"""digits MLP whose training labels were shuffled (X and y permuted apart); the validation labels are right

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, label_problem.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/label_problem__shuffled_labels.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "label_problem"
WHAT = "digits MLP whose training labels were shuffled (X and y permuted apart); the validation labels are right"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("digits")
    Xtr, Xva, ytr, yva = common.split(X, y)
    if not fix:  # the fault: the training labels no longer belong to their images
        ytr = ytr[torch.randperm(len(ytr), generator=torch.Generator().manual_seed(1)).numpy()]
    data = common.tensors(*common.standardise(Xtr, Xva), ytr, yva, "multiclass")
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return common.Program(model, opt, nn.CrossEntropyLoss(), data, epochs=40, batch_size=32)


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
