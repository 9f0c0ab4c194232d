"""Unnormalised input: a ReLU MLP for breast-cancer diagnosis fed the raw features (they range from
~1e-3 for the fractal dimensions to ~4000 for the tumour area) instead of standardised ones, trained
by Adam. The first layer's pre-activations are in the hundreds to thousands, dominated by the
few large-scale features: the loss starts in the tens, jumps around, and the model ends well below
the standardised program's validation loss and accuracy.

Seeded fault (mutation): StandardScaler removed (STANDARDIZE True -> False).
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

EXPECT = "unnormalised_input"
WHAT = "breast-cancer ReLU MLP (Adam) on the raw features (scales 1e-3..4e3, no StandardScaler): erratic loss, worse fit"

STANDARDIZE = False  # healthy: True
FIX = {"STANDARDIZE": True}


def main(dir: str) -> str:
    from sklearn.datasets import load_breast_cancer

    D.seed(15)
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xva, ytr, yva = D.split(X, y, seed=15, standardize=STANDARDIZE)
    model = nn.Sequential(nn.Linear(30, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return D.train("heldout-unnormalised-raw-cancer", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=40, batch_size=32, accuracy=D.acc_argmax,
                   config={"standardize": STANDARDIZE, "opt": "Adam", "lr": 1e-3})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
