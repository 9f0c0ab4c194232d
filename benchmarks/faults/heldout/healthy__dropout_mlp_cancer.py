"""Healthy control (dropout): a ReLU MLP with Dropout(0.3) after each hidden layer for
breast-cancer diagnosis (standardised inputs), Adam, a single-logit output with BCEWithLogitsLoss,
trained until the validation loss has flattened.
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

EXPECT = None
WHAT = "breast-cancer MLP with Dropout(0.3), Adam, BCEWithLogitsLoss on a logit: ~97% val accuracy, val loss flat"


def main(dir: str) -> str:
    from sklearn.datasets import load_breast_cancer

    D.seed(33)
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xva, ytr, yva = D.split(X, y, seed=33)
    ytr, yva = ytr.float().unsqueeze(1), yva.float().unsqueeze(1)
    model = nn.Sequential(nn.Linear(30, 64), nn.ReLU(), nn.Dropout(0.3),
                          nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return D.train("heldout-healthy-dropout-cancer", dir, model, nn.BCEWithLogitsLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=30, batch_size=32, accuracy=D.acc_binary_logit,
                   config={"opt": "Adam", "lr": 1e-3, "dropout": 0.3})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
