"""Loss/output mismatch: a make_moons classifier that ends in nn.Sigmoid() but is trained with
nn.BCEWithLogitsLoss, which applies its own sigmoid. The loss then sees sigmoid(sigmoid(z)), whose
range is (0.5, 0.73): the loss can never go below log(1 + e^-1) = 0.313 for a positive example and
is ~0.69+ for negatives, its gradients shrink as the model improves, and training stalls at a loss
floor far above the healthy program's even though the decision boundary is learnt.

Seeded fault (mutation): nn.Sigmoid() appended to a model trained with nn.BCEWithLogitsLoss.
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

EXPECT = "loss_output_mismatch"
WHAT = "make_moons MLP ending in nn.Sigmoid() trained with nn.BCEWithLogitsLoss (double sigmoid), RMSprop: loss floored above 0.5"

SIGMOID_HEAD = True  # healthy: False (the loss applies the sigmoid itself)
FIX = {"SIGMOID_HEAD": False}


def main(dir: str) -> str:
    from sklearn.datasets import make_moons

    D.seed(18)
    X, y = make_moons(n_samples=1200, noise=0.2, random_state=18)
    Xtr, Xva, ytr, yva = D.split(X, y, seed=18)
    ytr, yva = ytr.float().unsqueeze(1), yva.float().unsqueeze(1)
    layers = [nn.Linear(2, 32), nn.ELU(), nn.Linear(32, 32), nn.ELU(), nn.Linear(32, 1)]
    if SIGMOID_HEAD:
        layers.append(nn.Sigmoid())
    model = nn.Sequential(*layers)
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    acc = D.acc_binary_prob if SIGMOID_HEAD else D.acc_binary_logit
    return D.train("heldout-mismatch-bcelogits-on-sigmoid", dir, model, nn.BCEWithLogitsLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=30, batch_size=32, accuracy=acc,
                   config={"loss": "BCEWithLogitsLoss", "output": "Sigmoid" if SIGMOID_HEAD else "logit",
                           "opt": "RMSprop"})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
