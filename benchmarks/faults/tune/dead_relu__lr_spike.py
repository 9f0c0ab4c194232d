"""ReLU MLP on digits whose first 10 SGD steps use lr=2 (a warm-up bug): the spike kills most units

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, dead_relu.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/dead_relu__lr_spike.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "dead_relu"
WHAT = "ReLU MLP on digits whose first 10 SGD steps use lr=2 (a warm-up bug): the spike kills most units"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("digits")
    Xtr, Xva, ytr, yva = common.split(X, y)
    data = common.tensors(*common.standardise(Xtr, Xva), ytr, yva, "multiclass")
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    spike = 1.0 if fix else 40.0  # the fault: lr x40 (2.0) for the first 10 steps
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: spike if step < 10 else 1.0)
    return common.Program(model, opt, nn.CrossEntropyLoss(), data, epochs=20, batch_size=32, scheduler=sched,
                          step_scheduler=True)


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
