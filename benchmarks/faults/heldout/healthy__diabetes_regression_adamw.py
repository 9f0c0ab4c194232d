"""Healthy control (regression): a small ReLU MLP on the diabetes data (standardised inputs and
target), AdamW with weight decay, MSE loss, trained until the validation loss has flattened.
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
WHAT = "diabetes regression, 10-32-16-1 ReLU MLP, AdamW (wd 1e-2), MSE: converges, val loss flat at the end"


def main(dir: str) -> str:
    from sklearn.datasets import load_diabetes

    D.seed(31)
    X, y = load_diabetes(return_X_y=True)
    y = (y - y.mean()) / y.std()
    Xtr, Xva, ytr, yva = D.split(X, y.reshape(-1, 1), seed=31, y_dtype=torch.float32)
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-2)
    return D.train("heldout-healthy-diabetes-adamw", dir, model, nn.MSELoss(), opt,
                   Xtr, ytr, Xva, yva, epochs=40, batch_size=32,
                   config={"opt": "AdamW", "lr": 2e-3, "weight_decay": 1e-2})


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
