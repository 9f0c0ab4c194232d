"""Healthy control (recurrent): a one-layer GRU classifier on the generated marker-order sequence task,
Adam at lr 3e-3 with gradient clipping at norm 1, trained until the validation loss has flattened.
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
WHAT = "GRU(32) sequence classifier, Adam lr 3e-3, clip 1.0, CrossEntropy: ~98% val accuracy, val loss flat at the end"


class GRUClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(2, 32, batch_first=True)
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        out, h = self.gru(x)
        return self.head(h[-1])


def main(dir: str) -> str:
    D.seed(35)
    X, y = D.sequences(n=1000, length=20, seed=35)
    Xtr, Xva, ytr, yva = D.seq_split(X, y, seed=35)
    model = GRUClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return D.train("heldout-healthy-gru-seq", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=20, batch_size=32, accuracy=D.acc_argmax, clip=1.0,
                   config={"opt": "Adam", "lr": 3e-3, "clip": 1.0, "model": "GRU(32)"})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
