"""Saturated activation: a two-hidden-layer Sigmoid MLP on make_hastie_10_2 (binary: is the 10-d point
outside a sphere; BCEWithLogitsLoss on a logit output) whose hidden weights are drawn from U(-A, A), a
hand-written initialiser, instead of PyTorch's U(+-1/sqrt(fan_in)). Hidden pre-activations are
several units wide, most Sigmoid outputs are pinned below 0.01 or above 0.99 and pass almost no
gradient: the hidden layers stay close to random features and the model fits the sphere poorly.

Seeded fault (mutation): hidden weight initialiser default -> uniform(-A, A).
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

EXPECT = "saturated_activation"
WHAT = "make_hastie_10_2 Sigmoid MLP (Adam) with hidden weights ~U(-4,4): most Sigmoid units pinned at 0 or 1"

A = 4.0              # healthy: None (PyTorch's default init)
FIX = {"A": None}


def main(dir: str) -> str:
    from sklearn.datasets import make_hastie_10_2

    D.seed(8)
    X, y = make_hastie_10_2(n_samples=2000, random_state=8)
    Xtr, Xva, ytr, yva = D.split(X, (y > 0).astype(int), seed=8)
    ytr, yva = ytr.float().unsqueeze(1), yva.float().unsqueeze(1)
    model = nn.Sequential(nn.Linear(10, 64), nn.Sigmoid(), nn.Linear(64, 32), nn.Sigmoid(), nn.Linear(32, 1))
    if A is not None:
        for m in (model[0], model[2]):
            nn.init.uniform_(m.weight, -A, A)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return D.train("heldout-saturated-sigmoid-hastie", dir, model, nn.BCEWithLogitsLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=40, batch_size=32, accuracy=D.acc_binary_logit,
                   config={"init_uniform_a": A, "act": "Sigmoid", "opt": "Adam", "lr": 3e-3})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
