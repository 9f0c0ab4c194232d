"""Healthy control (Tanh, SGD+momentum): a Tanh MLP on make_circles (standardised), default init,
SGD with Nesterov momentum, cross-entropy, trained until the validation loss has flattened.
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
WHAT = "make_circles Tanh MLP (default init), SGD Nesterov momentum lr 0.01, CrossEntropy: ~0.9 val accuracy, val loss flat at the end"


def main(dir: str) -> str:
    from sklearn.datasets import make_circles

    D.seed(36)
    X, y = make_circles(n_samples=1500, noise=0.15, factor=0.6, random_state=36)
    Xtr, Xva, ytr, yva = D.split(X, y, seed=36)
    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    return D.train("heldout-healthy-circles-tanh", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=30, batch_size=32, accuracy=D.acc_argmax,
                   config={"opt": "SGD nesterov", "lr": 0.01, "act": "Tanh"})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
