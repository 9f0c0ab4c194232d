"""Learning rate too high: a one-layer GRU classifier on a generated sequence task trained by Adam at
lr 0.5 (healthy: 3e-3). The updates overshoot: the first step's gradient norm is ~300, the training
loss jumps up and down from epoch to epoch, and the validation loss swings between 0.37 and 2.1 (the
validation accuracy between 0.45 and 0.87) instead of settling.

Seeded fault (mutation): Adam learning rate 3e-3 -> 0.5.
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

EXPECT = "lr_too_high"
WHAT = "GRU sequence classifier, Adam lr 0.5 (healthy 3e-3): train and val loss swing up and down, never settle"

LR = 0.5             # healthy: 3e-3
FIX = {"LR": 3e-3}


class GRUClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(2, 32, batch_first=True)
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        out, h = self.gru(x)
        return self.head(h[-1])


def main(dir: str) -> str:
    D.seed(11)
    X, y = D.sequences(n=1000, length=20, seed=11)
    Xtr, Xva, ytr, yva = D.seq_split(X, y, seed=11)
    model = GRUClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    return D.train("heldout-lr-high-adam-gru", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=15, batch_size=32, accuracy=D.acc_argmax,
                   config={"lr": LR, "opt": "Adam", "model": "GRU(32)"})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
