"""Too few epochs: a correctly built regression MLP (standardised make_friedman3 inputs and target,
LeakyReLU, RMSprop at a modest lr) stopped after 6 epochs while the training and validation losses
are still falling fast (~10% per epoch); the same program run for 80 epochs ends ~4x lower.

Seeded fault (mutation): EPOCHS 80 -> 6.
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

EXPECT = "too_few_epochs"
WHAT = "healthy friedman3 regression MLP (RMSprop lr 1e-4) stopped after 6 epochs while the loss still falls fast"

EPOCHS = 6               # healthy: 80
LR = 1e-4
FIX = {"EPOCHS": 80}


def main(dir: str) -> str:
    from sklearn.datasets import make_friedman3

    D.seed(24)
    X, y = make_friedman3(n_samples=1500, noise=0.05, random_state=24)
    y = (y - y.mean()) / y.std()
    Xtr, Xva, ytr, yva = D.split(X, y.reshape(-1, 1), seed=24, y_dtype=torch.float32)
    model = nn.Sequential(nn.Linear(4, 64), nn.LeakyReLU(0.05), nn.Linear(64, 64), nn.LeakyReLU(0.05),
                          nn.Linear(64, 1))
    opt = torch.optim.RMSprop(model.parameters(), lr=LR)
    return D.train("heldout-too-few-epochs-friedman3", dir, model, nn.MSELoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=EPOCHS, batch_size=32,
                   config={"epochs": EPOCHS, "opt": "RMSprop", "lr": LR})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
