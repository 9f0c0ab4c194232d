"""Learning rate too low: a dilated 1-d CNN on a generated sequence task trained by AdamW at lr 1e-5
(healthy: 2e-3). Each step moves every weight by ~1e-5, so over the whole run the loss falls by less
than 1% from its initial value (ln 3), steadily, while the healthy program reaches > 95% accuracy.

Seeded fault (mutation): AdamW learning rate 2e-3 -> 1e-5.
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

EXPECT = "lr_too_low"
WHAT = "dilated Conv1d sequence classifier, AdamW lr 1e-5 (healthy 2e-3): loss falls steadily but < 1% in 20 epochs"

LR = 1e-5            # healthy: 2e-3
FIX = {"LR": 2e-3}


class DilatedCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(2, 32, 3, padding=1), nn.ReLU(),
            nn.Conv1d(32, 32, 3, padding=2, dilation=2), nn.ReLU(),
            nn.Conv1d(32, 32, 3, padding=4, dilation=4), nn.ReLU())
        self.head = nn.Linear(32 * 4, 3)
        self.pool = nn.AdaptiveMaxPool1d(4)

    def forward(self, x):
        return self.head(self.pool(self.body(x.transpose(1, 2))).flatten(1))


def main(dir: str) -> str:
    D.seed(14)
    X, y = D.sequences(n=1200, length=24, seed=14)
    Xtr, Xva, ytr, yva = D.seq_split(X, y, seed=14)
    model = DilatedCNN()
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=1e-2)
    return D.train("heldout-lr-low-adamw-conv1d", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=20, batch_size=32, accuracy=D.acc_argmax,
                   config={"lr": LR, "opt": "AdamW", "weight_decay": 1e-2})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
