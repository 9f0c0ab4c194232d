"""Dead ReLU: a ReLU MLP for the diabetes regression (standardised inputs and target) trained by SGD
with momentum 0.9 and a learning rate of 0.2, 20x the healthy one. The first updates are large enough
to push the second hidden layer's pre-activations below zero for every input: ~70% of its units are
dead after the first epoch and all of them by the end, the model's output becomes a constant and the
loss sits at the target's variance (~1.0), far above the healthy program's.

Seeded fault (mutation): learning rate 0.01 -> 0.2.
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

EXPECT = "dead_relu"
WHAT = "diabetes ReLU MLP, SGD momentum 0.9 at lr 0.2 (healthy 0.01): the 2nd hidden ReLU layer dies (70% after epoch 1, 100% at the end)"

LR = 0.2             # healthy: 0.01
FIX = {"LR": 0.01}


def main(dir: str) -> str:
    from sklearn.datasets import load_diabetes

    D.seed(6)
    X, y = load_diabetes(return_X_y=True)
    y = (y - y.mean()) / y.std()
    Xtr, Xva, ytr, yva = D.split(X, y.reshape(-1, 1), seed=6, y_dtype=torch.float32)
    model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    return D.train("heldout-dead-relu-sgd-spike", dir, model, nn.MSELoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=40, batch_size=16,
                   config={"lr": LR, "momentum": 0.9, "opt": "SGD"})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
