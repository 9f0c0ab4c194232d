"""Class imbalance: three overlapping Gaussian blobs (make_blobs) with 1200 / 160 / 30 samples
(86% / 12% / 2%), trained with a plain nn.CrossEntropyLoss by Adam. The rare third class lies between
the others and is never predicted on the validation set: accuracy looks fine (~0.9), the minority's
recall is 0.

Seeded fault (mutation): class sizes 460/460/460 -> 1200/160/30 (no re-weighting or re-sampling).
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

EXPECT = "class_imbalance"
WHAT = "3 overlapping make_blobs with 86/12/2% of samples, unweighted CrossEntropyLoss (Adam): rare class never predicted, accuracy ~0.9"

SIZES = [1200, 160, 30]  # healthy: [460, 460, 460]
FIX = {"SIZES": [460, 460, 460]}


def main(dir: str) -> str:
    from sklearn.datasets import make_blobs

    D.seed(20)
    X, y = make_blobs(n_samples=SIZES, centers=[[0, 0, 0], [3, 0, 0], [1.5, 1.0, 0]], cluster_std=1.3,
                      random_state=20)
    Xtr, Xva, ytr, yva = D.split(X, y, seed=20, val=0.3)
    model = nn.Sequential(nn.Linear(3, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 3))
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    return D.train("heldout-imbalance-blobs-2pct", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=25, batch_size=32, accuracy=D.acc_argmax,
                   config={"class_sizes": SIZES, "loss": "CrossEntropyLoss (unweighted)"})


def evidence(L):
    m, X, y = L["model"], L["Xva"], L["yva"]
    with torch.no_grad():
        pred = m(X).argmax(1)
    return {c: {"n": int((y == c).sum()), "recall": round(float((pred[y == c] == c).float().mean()), 3)}
            for c in range(3)}


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
