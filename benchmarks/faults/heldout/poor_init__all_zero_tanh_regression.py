"""Poor initialisation: every weight and bias of a Tanh MLP for make_friedman2 regression (standardised
inputs and target) is initialised to zero. Every hidden unit outputs tanh(0) = 0, and every hidden
weight's gradient is a product with either those zero activations or the zero outgoing weights, so
no weight ever gets a gradient: only the output bias learns, the model predicts the mean, and the
loss stays at the target's variance (~1).

Seeded fault (mutation): weight/bias initialiser default -> zeros.
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

EXPECT = "poor_init"
WHAT = "friedman2 regression Tanh MLP (SGD+momentum) with every weight and bias initialised to 0: hidden layers never receive a gradient"

ZERO_INIT = True     # healthy: False (PyTorch's default init)
FIX = {"ZERO_INIT": False}


def main(dir: str) -> str:
    from sklearn.datasets import make_friedman2

    D.seed(9)
    X, y = make_friedman2(n_samples=1200, noise=20.0, random_state=9)
    y = (y - y.mean()) / y.std()
    Xtr, Xva, ytr, yva = D.split(X, y.reshape(-1, 1), seed=9, y_dtype=torch.float32)
    model = nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))
    if ZERO_INIT:
        for m in model:
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.weight)
                nn.init.zeros_(m.bias)
    opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    return D.train("heldout-poor-init-zero-friedman2", dir, model, nn.MSELoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=30, batch_size=32,
                   config={"init": "zeros" if ZERO_INIT else "default", "opt": "SGD+momentum", "lr": 0.02})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
