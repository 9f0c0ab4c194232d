"""Healthy control (CNN): a small CNN on the 8x8 digits (pixels scaled to [0, 1]), default init,
SGD with momentum, cross-entropy, trained until the validation loss has flattened.
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

EXPECT = None
WHAT = "digits CNN (2 conv + pool + linear), SGD+momentum lr 0.02, CrossEntropy: ~97% val accuracy, val loss flat at the end"


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * 4 * 4, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def main(dir: str) -> str:
    from sklearn.datasets import load_digits

    D.seed(32)
    X, y = load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = D.split(X / 16.0, y, seed=32, standardize=False)
    Xtr, Xva = Xtr.reshape(-1, 1, 8, 8), Xva.reshape(-1, 1, 8, 8)
    model = CNN()
    opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    return D.train("heldout-healthy-digits-cnn", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=15, batch_size=32, accuracy=D.acc_argmax,
                   config={"opt": "SGD+momentum", "lr": 0.02})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
