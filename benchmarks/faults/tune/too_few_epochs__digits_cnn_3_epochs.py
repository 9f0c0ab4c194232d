"""Too few epochs: a correctly built digits CNN (pixels scaled to [0, 1], SGD with momentum, default
init) stopped after 3 epochs while the training and validation losses are still dropping steeply
(each epoch cuts them by a large fraction); the same program run for 25 epochs ends several times
lower.

Seeded fault (mutation): EPOCHS 25 -> 3.
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

EXPECT = "too_few_epochs"
WHAT = "healthy digits CNN (SGD+momentum lr 0.005) stopped after 3 epochs while the loss still falls steeply"

EPOCHS = 3               # healthy: 25
FIX = {"EPOCHS": 25}


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * 4 * 4, 10))

    def forward(self, x):
        return self.net(x)


def main(dir: str) -> str:
    from sklearn.datasets import load_digits

    D.seed(23)
    X, y = load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = D.split(X / 16.0, y, seed=23, standardize=False)
    Xtr, Xva = Xtr.reshape(-1, 1, 8, 8), Xva.reshape(-1, 1, 8, 8)
    model = CNN()
    opt = torch.optim.SGD(model.parameters(), lr=0.005, momentum=0.9)
    return D.train("heldout-too-few-epochs-digits-cnn", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=EPOCHS, batch_size=32, accuracy=D.acc_argmax,
                   config={"epochs": EPOCHS, "opt": "SGD+momentum", "lr": 0.005})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
