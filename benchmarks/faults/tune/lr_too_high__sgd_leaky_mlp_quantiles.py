"""Learning rate too high: a LeakyReLU MLP on make_gaussian_quantiles (3 classes as nested shells)
trained by plain SGD at lr 2.0 (healthy: 0.1). Steps overshoot: the validation loss jumps between 0.24 and 3 from epoch
to epoch, the training loss spikes, and after ~19 epochs the run diverges (NaN).

Seeded fault (mutation): SGD learning rate 0.1 -> 2.0.
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
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "heldout", "_data.py")  # moved from heldout/
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


D = _helpers()
torch.set_num_threads(1)

EXPECT = "lr_too_high"
WHAT = "make_gaussian_quantiles LeakyReLU MLP, plain SGD lr 2.0 (healthy 0.1): loss oscillates with spikes, then diverges to NaN"

LR = 2.0             # healthy: 0.1
FIX = {"LR": 0.1}


def main(dir: str) -> str:
    from sklearn.datasets import make_gaussian_quantiles

    D.seed(12)
    X, y = make_gaussian_quantiles(n_samples=1500, n_features=4, n_classes=3, random_state=12)
    Xtr, Xva, ytr, yva = D.split(X, y, seed=12)
    model = nn.Sequential(nn.Linear(4, 64), nn.LeakyReLU(0.1), nn.Linear(64, 64), nn.LeakyReLU(0.1),
                          nn.Linear(64, 3))
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    return D.train("heldout-lr-high-sgd-quantiles", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=30, batch_size=32, accuracy=D.acc_argmax,
                   config={"lr": LR, "opt": "SGD"})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
