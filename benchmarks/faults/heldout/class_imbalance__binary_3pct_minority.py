"""Class imbalance: a binary make_classification problem with 97% / 3% classes and weakly separated
clusters, trained with a plain (unweighted) nn.CrossEntropyLoss by SGD with momentum. The model
learns to predict the majority class for everything: the validation accuracy reads ~0.97 while the
minority class's recall is 0.

Seeded fault (mutation): class weights of the generated data 50/50 -> 97/3 (no re-weighting or
re-sampling).
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
WHAT = "binary make_classification with 97/3 class weights, unweighted CrossEntropyLoss (SGD+momentum): minority never predicted, accuracy ~0.97"

WEIGHTS = [0.97, 0.03]   # healthy: [0.5, 0.5]
CLASS_SEP = 0.6
FIX = {"WEIGHTS": [0.5, 0.5]}


def main(dir: str) -> str:
    from sklearn.datasets import make_classification

    D.seed(19)
    X, y = make_classification(n_samples=2400, n_features=12, n_informative=4, n_redundant=2,
                               n_clusters_per_class=2, weights=WEIGHTS, class_sep=CLASS_SEP, flip_y=0.0,
                               random_state=19)
    Xtr, Xva, ytr, yva = D.split(X, y, seed=19)
    model = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.005, momentum=0.9)
    return D.train("heldout-imbalance-binary-3pct", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=16, batch_size=64, accuracy=D.acc_argmax,
                   config={"class_weights": WEIGHTS, "loss": "CrossEntropyLoss (unweighted)"})


def evidence(L):
    m, X, y = L["model"], L["Xva"], L["yva"]
    with torch.no_grad():
        pred = m(X).argmax(1)
    return {c: {"n": int((y == c).sum()), "recall": round(float((pred[y == c] == c).float().mean()), 3)}
            for c in range(2)}


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
