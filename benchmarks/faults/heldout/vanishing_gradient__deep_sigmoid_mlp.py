"""Vanishing gradient: a 8-layer MLP with Sigmoid hidden activations (and PyTorch's default init)
trained by plain SGD on a 4-class make_classification problem. The sigmoid's derivative is at most
1/4, so the gradient shrinks layer after layer and the first layers hardly learn.

Seeded fault (mutation of the healthy program): DEPTH 3 -> 8 and activation ReLU -> Sigmoid.
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

EXPECT = "vanishing_gradient"
WHAT = "8-layer Sigmoid MLP (default init, plain SGD) on 4-class make_classification: first-layer gradient ~3e-7 of the last layer's, loss flat at ln 4"

DEPTH = 8            # healthy: 3
ACT = nn.Sigmoid     # healthy: nn.ReLU
FIX = {"DEPTH": 3, "ACT": nn.ReLU}


def main(dir: str) -> str:
    from sklearn.datasets import make_classification

    D.seed(1)
    X, y = make_classification(n_samples=1600, n_features=20, n_informative=10, n_redundant=4,
                               n_classes=4, n_clusters_per_class=1, class_sep=1.2, random_state=11)
    Xtr, Xva, ytr, yva = D.split(X, y, seed=1)
    layers, width = [], 48
    fan_in = 20
    for _ in range(DEPTH):
        layers += [nn.Linear(fan_in, width), ACT()]
        fan_in = width
    model = nn.Sequential(*layers, nn.Linear(width, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    return D.train("heldout-vanishing-deep-sigmoid", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=30, batch_size=32, accuracy=D.acc_argmax,
                   config={"depth": DEPTH, "act": ACT.__name__, "lr": 0.05, "opt": "SGD"})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
