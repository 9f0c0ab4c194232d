"""Poor initialisation: a small digits CNN whose convolution and linear weights are all initialised to
the same constant (0.05; biases 0). Every filter of a layer, and every hidden unit, starts identical
and receives identical gradients, so they stay identical forever (deterministic training, no
dropout): the 16 + 32 filters and 64 hidden units act as one of each, and the network underfits badly
compared with the same program under the default (random) init.

Seeded fault (mutation): weight initialiser default -> constant 0.05 (symmetry never broken).
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
WHAT = "digits CNN (Adam) with every weight initialised to the constant 0.05: all filters/units stay identical (no symmetry breaking)"

CONST = 0.05         # healthy: None (PyTorch's default random init)
FIX = {"CONST": None}


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def main(dir: str) -> str:
    from sklearn.datasets import load_digits

    D.seed(10)
    X, y = load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = D.split(X, y, seed=10)       # standardised pixels
    Xtr, Xva = Xtr.reshape(-1, 1, 8, 8), Xva.reshape(-1, 1, 8, 8)
    model = CNN()
    if CONST is not None:
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.constant_(m.weight, CONST)
                nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    return D.train("heldout-poor-init-constant-cnn", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=15, batch_size=32, accuracy=D.acc_argmax,
                   config={"init": f"constant {CONST}" if CONST is not None else "default",
                           "opt": "Adam", "lr": 2e-3})


def evidence(L):
    """Direct check: the largest spread between the filters/units of each layer (0: all identical)."""
    m = L["model"]
    out = {}
    for name, mod in m.named_modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            w = mod.weight.detach().flatten(1)
            out[name] = float((w - w[0]).abs().max())
    return out


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
