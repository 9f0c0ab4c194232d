"""Vanishing gradient: a 10-layer 1-d convolution stack with Tanh activations on a generated sequence
task, trained by SGD with momentum. With PyTorch's default (Kaiming-uniform, a=sqrt(5)) init every
Tanh layer scales the backward signal down, so the first convolutions receive gradients orders of
magnitude smaller than the head (~0.4-1%), and in 25 epochs the network does not learn the
marker-order task at all (the loss stays at ln 3), while the 2-layer version reaches ~91%.

Seeded fault (mutation): DEPTH 2 -> 10 convolution layers (activation Tanh kept).
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

EXPECT = "vanishing_gradient"
WHAT = "10-layer Conv1d+Tanh stack (default init, SGD+momentum) on a generated sequence task: the first conv's gradient is ~0.4-1% of the head's, loss flat at ln 3"

DEPTH = 10           # healthy: 2
FIX = {"DEPTH": 2}


class ConvNet(nn.Module):
    def __init__(self, depth):
        super().__init__()
        layers, c = [], 2
        for i in range(depth):
            layers += [nn.Conv1d(c, 24, kernel_size=3, padding=1), nn.Tanh()]
            c = 24
        self.body = nn.Sequential(*layers)
        self.pool = nn.AdaptiveMaxPool1d(4)
        self.head = nn.Linear(24 * 4, 3)

    def forward(self, x):                 # x: (n, length, 2)
        h = self.body(x.transpose(1, 2))
        return self.head(self.pool(h).flatten(1))


def main(dir: str) -> str:
    D.seed(2)
    X, y = D.sequences(n=1200, length=24, seed=2)
    Xtr, Xva, ytr, yva = D.seq_split(X, y, seed=2)
    model = ConvNet(DEPTH)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return D.train("heldout-vanishing-tanh-conv1d", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=25, batch_size=32, accuracy=D.acc_argmax,
                   config={"depth": DEPTH, "act": "Tanh", "lr": 0.01, "opt": "SGD+momentum"})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
