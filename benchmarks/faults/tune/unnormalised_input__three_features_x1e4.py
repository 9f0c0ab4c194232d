"""ReLU MLP on 4-class synthetic data where 3 of 16 features are in units 1e4 times larger, no scaler

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, unnormalised_input.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/unnormalised_input__three_features_x1e4.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "unnormalised_input"
WHAT = "ReLU MLP on 4-class synthetic data where 3 of 16 features are in units 1e4 times larger, no scaler"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("classification", n_samples=2000, n_features=16, n_informative=10, n_classes=4,
                       shuffle=False)
    X[:, 10:13] = X[:, 10:13] * 1e4 + 3e4  # three noise columns recorded in other units (offset and scale)
    Xtr, Xva, ytr, yva = common.split(X, y)
    if fix:  # the fault: this standardisation left out
        Xtr, Xva = common.standardise(Xtr, Xva)
    data = common.tensors(Xtr, Xva, ytr, yva, "multiclass")
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 4))
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
