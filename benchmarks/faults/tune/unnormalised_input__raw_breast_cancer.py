"""ReLU MLP on breast cancer fed the raw features (scales from 1e-3 to 4e3), no scaler

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, unnormalised_input.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/unnormalised_input__raw_breast_cancer.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "unnormalised_input"
WHAT = "ReLU MLP on breast cancer fed the raw features (scales from 1e-3 to 4e3), no scaler"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("breast_cancer")
    Xtr, Xva, ytr, yva = common.split(X, y)
    if fix:  # the fault: this standardisation left out
        Xtr, Xva = common.standardise(Xtr, Xva)
    data = common.tensors(Xtr, Xva, ytr, yva, "binary")
    model = nn.Sequential(nn.Linear(30, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    return common.Program(model, opt, nn.BCEWithLogitsLoss(), data, epochs=40, batch_size=32, task="binary")


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
