"""Loss/output mismatch: a wine classifier whose last layer emits raw logits, trained with nn.NLLLoss
(which expects log-probabilities: it only returns -output[target]) instead of nn.CrossEntropyLoss.
Nothing bounds the "loss": Adam just pushes the target logit up without limit, so the loss is
negative from the first epoch and keeps falling (to about -470 after 40 epochs), the logits grow
into the hundreds, and the validation accuracy, ~0.9 mid-run, collapses to ~0.4 at the end.

Seeded fault (mutation): nn.CrossEntropyLoss -> nn.NLLLoss on the raw logits (no LogSoftmax).
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
WHAT = "wine MLP with raw-logit output trained with nn.NLLLoss (no LogSoftmax), Adam: loss goes negative and falls without bound (-470)"

LOSS = nn.NLLLoss    # healthy: nn.CrossEntropyLoss
LR = 1e-3
FIX = {"LOSS": nn.CrossEntropyLoss}


def main(dir: str) -> str:
    from sklearn.datasets import load_wine

    D.seed(17)
    X, y = load_wine(return_X_y=True)
    Xtr, Xva, ytr, yva = D.split(X, y, seed=17, val=0.3)
    model = nn.Sequential(nn.Linear(13, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3))
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    return D.train("heldout-mismatch-nll-raw-logits", dir, model, LOSS(), opt,
                   Xtr, ytr, Xva, yva, epochs=40, batch_size=16, accuracy=D.acc_argmax,
                   config={"loss": LOSS.__name__, "output": "raw logits", "opt": "Adam", "lr": LR})


def evidence(L):
    m, X = L["model"], L["Xva"]
    with torch.no_grad():
        out = m(X)
    return {"max |logit| on val": round(float(out.abs().max()), 1),
            "final train loss": round(L["history"]["loss"][-1], 3)}


if __name__ == "__main__":
    import tempfile

    print(main(tempfile.mkdtemp()))
