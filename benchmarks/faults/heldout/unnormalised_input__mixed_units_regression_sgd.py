"""Unnormalised input: a make_friedman1 regression (6 features, standardised target) whose features
come in wildly different units (column scales 1e-3, 1, 1e2, 1e3, 10, 1; two columns offset by 500
and 2000, like raw sensor readings), fed unscaled to a Tanh MLP trained by SGD with momentum. The
large-scale columns dominate the first layer: every one of its Tanh units is pinned at +-1 for every
input, the small-scale columns are ignored, and the loss stays at the target's variance (~1.0)
while the standardised program reaches ~0.02.

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
WHAT = "friedman1 regression with feature scales 1e-3..1e3 (+ offsets) fed unscaled to a Tanh MLP (SGD+momentum): loss stuck at ~1.0 vs 0.02 standardised"

STANDARDIZE = False  # healthy: True
FIX = {"STANDARDIZE": True}


def main(dir: str) -> str:
    import numpy as np
    from sklearn.datasets import make_friedman1

    D.seed(16)
    X, y = make_friedman1(n_samples=1500, n_features=6, noise=0.3, random_state=16)
    X = X * np.array([1e-3, 1.0, 1e2, 1e3, 10.0, 1.0]) + np.array([0.0, 0.0, 500.0, 2000.0, 0.0, 0.0])
    y = (y - y.mean()) / y.std()
    Xtr, Xva, ytr, yva = D.split(X, y.reshape(-1, 1), seed=16, y_dtype=torch.float32, standardize=STANDARDIZE)
    model = nn.Sequential(nn.Linear(6, 64), nn.Tanh(), nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return D.train("heldout-unnormalised-mixed-units", dir, model, nn.MSELoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=30, batch_size=32,
                   config={"standardize": STANDARDIZE, "opt": "SGD+momentum", "lr": 0.01})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
