"""Learning rate too low: a ReLU MLP on the digits (standardised pixels) trained by plain SGD at
lr 5e-4 (healthy: 0.05). The loss does decrease, but by only a few percent over all the epochs,
nearly linearly, far from where the healthy program gets in the same number of epochs.

Seeded fault (mutation): SGD learning rate 0.05 -> 5e-4.
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

EXPECT = "lr_too_low"
WHAT = "digits ReLU MLP, plain SGD lr 5e-4 (healthy 0.05): loss creeps down a few percent in 25 epochs"

LR = 5e-4            # healthy: 0.05
FIX = {"LR": 0.05}


def main(dir: str) -> str:
    from sklearn.datasets import load_digits

    D.seed(13)
    X, y = load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = D.split(X, y, seed=13)
    model = nn.Sequential(nn.Linear(64, 96), nn.ReLU(), nn.Linear(96, 48), nn.ReLU(), nn.Linear(48, 10))
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    return D.train("heldout-lr-low-sgd-digits", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=25, batch_size=32, accuracy=D.acc_argmax,
                   config={"lr": LR, "opt": "SGD"})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
