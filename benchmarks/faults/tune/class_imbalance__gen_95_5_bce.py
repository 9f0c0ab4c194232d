"""binary 95:5 synthetic data (hard classes), one-logit BCEWithLogitsLoss, unweighted: recall of class 1 ~0

Fault benchmark (benchmarks/faults/), tune half: one seeded fault, class_imbalance.
build(fix=True) is the working program the fault was seeded into (it shows that the fault manifests);
main(dir) trains the seeded one with fitwatch.
Run: .venv/bin/python benchmarks/faults/tune/class_imbalance__gen_95_5_bce.py
"""

import sys
from pathlib import Path

import torch
from torch import nn

import fitwatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

EXPECT = "class_imbalance"
WHAT = "binary 95:5 synthetic data (hard classes), one-logit BCEWithLogitsLoss, unweighted: recall of class 1 ~0"
NAME = "program"  # the run's name: neutral (the file's name tells the expected cause)


def build(fix: bool = False) -> common.Program:
    common.setup(0)
    X, y = common.load("classification", n_samples=3000, n_features=8, n_informative=3, n_redundant=2,
                       n_classes=2, weights=[0.5, 0.5] if fix else [0.95, 0.05], class_sep=0.4, flip_y=0.0, seed=1)
    Xtr, Xva, ytr, yva = common.split(X, y)
    data = common.tensors(*common.standardise(Xtr, Xva), ytr, yva, "binary")
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return common.Program(model, opt, nn.BCEWithLogitsLoss(), data, epochs=20, batch_size=64, task="binary")


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
