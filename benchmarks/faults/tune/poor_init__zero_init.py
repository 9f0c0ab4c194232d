"""tanh MLP on wine with every weight and bias initialised to 0: symmetric units, only the output bias learns

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, poor_init.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/poor_init__zero_init.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "poor_init"
WHAT = "tanh MLP on wine with every weight and bias initialised to 0: symmetric units, only the output bias learns"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("wine")
    Xtr, Xva, ytr, yva = common.split(X, y)
    data = common.tensors(*common.standardise(Xtr, Xva), ytr, yva, "multiclass")
    model = nn.Sequential(nn.Linear(13, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 3))
    if not fix:  # the fault: all-zero init
        for p in model.parameters():
            nn.init.zeros_(p)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    return common.Program(model, opt, nn.CrossEntropyLoss(), data, epochs=60, batch_size=16)


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
