"""ReLU MLP regression on raw targets (std 160), plain SGD lr 5e-4: gradient spikes grow until NaN

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, exploding_gradient.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/exploding_gradient__unscaled_targets_nan.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "exploding_gradient"
WHAT = "ReLU MLP regression on raw targets (std 160), plain SGD lr 5e-4: gradient spikes grow until NaN"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("regression", n_samples=1500, n_features=10, n_informative=8, noise=10.0)
    Xtr, Xva, ytr, yva = common.split(X, y)
    Xtr, Xva = common.standardise(Xtr, Xva)
    if fix:  # the fault: the targets left unscaled (MSE gradients ~ 2 * 160 per sample)
        mu, sd = ytr.mean(), ytr.std()
        ytr, yva = (ytr - mu) / sd, (yva - mu) / sd  # and then the usual lr: SGD 0.01, momentum 0.9
    data = common.tensors(Xtr, Xva, ytr, yva, "regression")
    model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, 1))
    if fix:
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    else:  # with the raw targets the lr was already lowered to 5e-4 (no momentum): it still ends in NaN
        opt = torch.optim.SGD(model.parameters(), lr=5e-4)
    return common.Program(model, opt, nn.MSELoss(), data, epochs=15, batch_size=32, task="regression")


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
