"""Exploding gradient: a vanilla ReLU RNN (nn.RNN, nonlinearity="relu") over 40 time steps of a
generated sequence task, its recurrent matrix initialised orthogonal with gain 1.8 (spectral radius
1.8 instead of <= 1), no gradient clipping, Adam. Backpropagation through time multiplies the
gradient by the recurrent matrix at every step: gradient norms reach ~1e6 in the first epoch and stay
in the thousands, the recurrent layer's gradient several times the head's, and the loss starts in the
thousands and never gets near the healthy program's.

Seeded fault (mutation): recurrent init gain 0.9 -> 1.8 (no clipping, as in the healthy program).
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
WHAT = "ReLU nn.RNN over 40 steps, recurrent weights orthogonal with gain 1.8, no clipping, Adam: gradient norms 1e3-1e6"

GAIN = 1.8           # healthy: 0.9 (orthogonal, spectral radius < 1)
FIX = {"GAIN": 0.9}


class RNNClassifier(nn.Module):
    def __init__(self, gain):
        super().__init__()
        self.rnn = nn.RNN(2, 48, nonlinearity="relu", batch_first=True)
        nn.init.orthogonal_(self.rnn.weight_hh_l0, gain=gain)
        nn.init.zeros_(self.rnn.bias_hh_l0)
        self.head = nn.Linear(48, 3)

    def forward(self, x):
        out, h = self.rnn(x)
        return self.head(h[-1])


def main(dir: str) -> str:
    D.seed(3)
    X, y = D.sequences(n=1000, length=40, seed=3)
    Xtr, Xva, ytr, yva = D.seq_split(X, y, seed=3)
    model = RNNClassifier(GAIN)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return D.train("heldout-exploding-relu-rnn", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=15, batch_size=25, accuracy=D.acc_argmax,
                   config={"rnn": "relu", "recurrent_gain": GAIN, "lr": 1e-3, "opt": "Adam", "clip": None})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
