"""Healthy control (Adam + scheduler): a ReLU MLP on noisy make_moons, Adam with a StepLR schedule
(lr halved every 8 epochs), cross-entropy on two logits, trained until the validation loss has
flattened at the noise floor.
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
WHAT = "make_moons (noise 0.25) ReLU MLP, Adam + StepLR(8, 0.5), CrossEntropy: ~0.92 val accuracy, val loss flat at the noise floor"


def main(dir: str) -> str:
    from sklearn.datasets import make_moons

    D.seed(34)
    X, y = make_moons(n_samples=1500, noise=0.25, random_state=34)
    Xtr, Xva, ytr, yva = D.split(X, y, seed=34)
    model = nn.Sequential(nn.Linear(2, 48), nn.ReLU(), nn.Linear(48, 48), nn.ReLU(), nn.Linear(48, 2))
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=8, gamma=0.5)
    return D.train("heldout-healthy-moons-adam-steplr", dir, model, nn.CrossEntropyLoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=30, batch_size=32, accuracy=D.acc_argmax, scheduler=sched,
                   config={"opt": "Adam", "lr": 5e-3, "scheduler": "StepLR(8, 0.5)"})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
