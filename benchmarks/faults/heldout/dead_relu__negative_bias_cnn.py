"""Dead ReLU: a small CNN on the 8x8 digits whose second convolution's biases are initialised to -0.5
(a mutated bias initialiser; all other layers keep PyTorch's defaults). Practically every unit of
that ReLU outputs zero for every input from the first step on, receives no gradient and stays dead,
so nothing reaches the classifier: the loss stays at ln(10) and the accuracy at chance.

Seeded fault (mutation): the second conv's bias initialiser default -> constant -0.5.
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
WHAT = "digits CNN (SGD+momentum) with the 2nd conv's biases initialised to -0.5: 99% of that ReLU's units never fire"

BIAS = -0.5          # healthy: PyTorch's default bias init
FIX = {"BIAS": None}


class CNN(nn.Module):
    def __init__(self, bias):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10))
        if bias is not None:
            nn.init.constant_(self.features[2].bias, bias)

    def forward(self, x):
        return self.classifier(self.features(x))


def main(dir: str) -> str:
    from sklearn.datasets import load_digits

    D.seed(5)
    X, y = load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = D.split(X / 16.0, y, seed=5, standardize=False)
    Xtr, Xva = Xtr.reshape(-1, 1, 8, 8), Xva.reshape(-1, 1, 8, 8)
    model = CNN(BIAS)
    opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    return D.train("heldout-dead-relu-negbias-cnn", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=12, batch_size=32, accuracy=D.acc_argmax,
                   config={"conv2_bias_init": BIAS, "opt": "SGD+momentum", "lr": 0.02})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
