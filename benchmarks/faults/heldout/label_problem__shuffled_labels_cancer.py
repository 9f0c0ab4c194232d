"""Label problem: the breast-cancer labels are randomly permuted (a join on the wrong key: every
sample keeps some other sample's label), so the features carry no information about the label.
A ReLU MLP trained by Adam can only memorise: the training loss creeps down, the validation loss
rises above ln 2 and the validation accuracy stays at the majority-class rate (~0.55-0.63).

Seeded fault (mutation): labels permuted at random (SHUFFLE_LABELS False -> True).
"""
import importlib.util
import os
import sys

import torch
from torch import nn


def _helpers():
    """This folder's _data.py, under a name of its own (never confused with another _data module)."""
    name = "fw_heldout_data"
    if name not in sys.modules:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data.py")
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


D = _helpers()
torch.set_num_threads(1)

EXPECT = "label_problem"
WHAT = "breast-cancer MLP (Adam) on randomly permuted labels: train loss creeps down by memorising, val loss rises, val accuracy at chance"

SHUFFLE_LABELS = True    # healthy: False
FIX = {"SHUFFLE_LABELS": False}


def main(dir: str) -> str:
    import numpy as np
    from sklearn.datasets import load_breast_cancer

    D.seed(21)
    X, y = load_breast_cancer(return_X_y=True)
    if SHUFFLE_LABELS:
        y = np.random.default_rng(21).permutation(y)
    Xtr, Xva, ytr, yva = D.split(X, y, seed=21)
    model = nn.Sequential(nn.Linear(30, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return D.train("heldout-label-shuffled-cancer", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=40, batch_size=32, accuracy=D.acc_argmax,
                   config={"labels": "permuted" if SHUFFLE_LABELS else "as given", "opt": "Adam"})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
