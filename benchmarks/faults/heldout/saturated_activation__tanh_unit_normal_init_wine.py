"""Saturated activation: a Tanh MLP on the wine data (standardised) whose weights are drawn from
N(0, 1) instead of PyTorch's ~U(+-1/sqrt(fan_in)). The pre-activations have a standard deviation of
~4 (first layer) and ~8 (second), so ~45% / ~70% of the Tanh outputs sit at +-1 where their
derivative is ~0, from the first epoch to the last: the hidden layers stay close to a random sign
code, the initial loss is ~6, and the output layer memorises the training set (train accuracy 1.0)
while the validation accuracy ends at ~0.69 (healthy: ~0.96) and the validation loss at ~1.6.

Seeded fault (mutation): weight initialiser default -> normal(std=STD).
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
WHAT = "wine Tanh MLP (Adam) with weights ~N(0,1) instead of the default init: 45%/70% of Tanh outputs saturated at +-1, val acc 0.69 vs 0.96"

STD = 1.0            # healthy: None (PyTorch's default init)
FIX = {"STD": None}


def main(dir: str) -> str:
    from sklearn.datasets import load_wine

    D.seed(7)
    X, y = load_wine(return_X_y=True)
    Xtr, Xva, ytr, yva = D.split(X, y, seed=7, val=0.3)
    model = nn.Sequential(nn.Linear(13, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 3))
    if STD is not None:
        for m in model:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=STD)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return D.train("heldout-saturated-tanh-wine", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=60, batch_size=16, accuracy=D.acc_argmax,
                   config={"init_std": STD, "act": "Tanh", "opt": "Adam", "lr": 1e-3})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
