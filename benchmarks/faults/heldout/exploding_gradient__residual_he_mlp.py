"""Exploding gradient: a 16-block residual MLP, x <- x + ReLU(W x + b), with He (Kaiming-normal) init
and no normalisation or residual scaling, trained by SGD with momentum on make_friedman1 regression.
Each block doubles the activations' second moment, so the output and the gradients of the first
layers are ~2^8 times too large: the first step's gradient norm is ~1e7 and the loss is NaN from the
second step on.

Seeded fault (mutation): residual branch scale 0.1 -> 1.0 (no normalisation layers).
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

EXPECT = "exploding_gradient"
WHAT = "16 un-normalised residual blocks x+ReLU(Wx) with He init on friedman1 regression, SGD+momentum: gradient norm ~1e7 at step 0, then NaN"

RES_SCALE = 1.0      # healthy: 0.1 (or a LayerNorm in every block)
BLOCKS = 16
FIX = {"RES_SCALE": 0.1}


class Block(nn.Module):
    def __init__(self, width, scale):
        super().__init__()
        self.fc = nn.Linear(width, width)
        nn.init.kaiming_normal_(self.fc.weight, nonlinearity="relu")
        self.act = nn.ReLU()
        self.scale = scale

    def forward(self, x):
        return x + self.scale * self.act(self.fc(x))


class ResMLP(nn.Module):
    def __init__(self, scale, blocks=16, width=64):
        super().__init__()
        self.inp = nn.Linear(10, width)
        self.blocks = nn.Sequential(*[Block(width, scale) for _ in range(blocks)])
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        return self.out(self.blocks(self.inp(x)))


def main(dir: str) -> str:
    from sklearn.datasets import make_friedman1

    D.seed(4)
    X, y = make_friedman1(n_samples=1500, n_features=10, noise=0.5, random_state=4)
    y = (y - y.mean()) / y.std()
    Xtr, Xva, ytr, yva = D.split(X, y.reshape(-1, 1), seed=4, y_dtype=torch.float32)
    model = ResMLP(RES_SCALE, BLOCKS)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return D.train("heldout-exploding-residual-he", dir, model, nn.MSELoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=20, batch_size=50,
                   config={"blocks": 16, "residual_scale": RES_SCALE, "init": "kaiming_normal", "lr": 0.01})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
