"""Label problem: 60% of the digits' training labels are replaced by a uniformly random class (a
careless annotation pass); the validation labels are clean. A small CNN trained by RMSprop fits the
clean part: the training loss stays high (~1.9) and the training accuracy near 0.45, while the
validation accuracy is much higher (0.7-0.85 in the last epochs), the signature of noisy
training labels.

Seeded fault (mutation): label noise rate 0 -> 0.6 on the training split.
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

EXPECT = "label_problem"
WHAT = "digits CNN (RMSprop) with 60% of the training labels replaced at random (val labels clean): train loss stuck ~1.9, train acc far below val acc"

NOISE = 0.6              # healthy: 0.0
FIX = {"NOISE": 0.0}


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 12, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(12, 24, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(24 * 2 * 2, 48), nn.ReLU(), nn.Linear(48, 10))

    def forward(self, x):
        return self.net(x)


def main(dir: str) -> str:
    from sklearn.datasets import load_digits

    D.seed(22)
    X, y = load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = D.split(X / 16.0, y, seed=22, standardize=False)
    Xtr, Xva = Xtr.reshape(-1, 1, 8, 8), Xva.reshape(-1, 1, 8, 8)
    g = torch.Generator().manual_seed(22)
    flip = torch.rand(len(ytr), generator=g) < NOISE
    ytr = torch.where(flip, torch.randint(0, 10, (len(ytr),), generator=g), ytr)
    model = CNN()
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    return D.train("heldout-label-noisy-digits-cnn", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=20, batch_size=32, accuracy=D.acc_argmax,
                   config={"train_label_noise": NOISE, "opt": "RMSprop", "lr": 1e-3})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
