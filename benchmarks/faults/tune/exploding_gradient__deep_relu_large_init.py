"""10-layer ReLU MLP, regression, init std 2x Kaiming, no normalisation: activations and gradients x2 per layer

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, exploding_gradient.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/exploding_gradient__deep_relu_large_init.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "exploding_gradient"
WHAT = "10-layer ReLU MLP, regression, init std 2x Kaiming, no normalisation: activations and gradients x2 per layer"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("regression", n_samples=1500, n_features=10, n_informative=8, noise=10.0)
    Xtr, Xva, ytr, yva = common.split(X, y)
    Xtr, Xva = common.standardise(Xtr, Xva)
    mu, sd = ytr.mean(), ytr.std()
    data = common.tensors(Xtr, Xva, (ytr - mu) / sd, (yva - mu) / sd, "regression")
    layers = []
    for i in range(9):
        lin = nn.Linear(10 if i == 0 else 64, 64)
        nn.init.normal_(lin.weight, std=(1.0 if fix else 2.0) * (2 / lin.in_features) ** 0.5)  # the fault: x2
        nn.init.zeros_(lin.bias)
        layers += [lin, nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(64, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return common.Program(model, opt, nn.MSELoss(), data, epochs=20, batch_size=32, task="regression")


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
