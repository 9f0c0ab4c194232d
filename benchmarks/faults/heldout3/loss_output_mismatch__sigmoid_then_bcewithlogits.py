import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data.py")
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = 'loss_output_mismatch'
WHAT = 'binary MLP on make_moons ending in nn.Sigmoid but trained with nn.BCEWithLogitsLoss (double sigmoid); twin drops the Sigmoid'

def build(twin=False):
    torch.manual_seed(0)
    from sklearn.datasets import make_moons
    X, y = make_moons(n_samples=1200, noise=0.25, random_state=0)
    Xtr, ytr, Xv, yv = D.split(X, y, ydtype=torch.float32)
    data = (Xtr, ytr[:, None], Xv, yv[:, None])
    layers = [nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1)]
    if not twin:
        layers.append(nn.Sigmoid())
    model = nn.Sequential(*layers)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    return dict(model=model, opt=opt, crit=nn.BCEWithLogitsLoss(), data=data, epochs=25, bs=64,
                acc="logit" if twin else "prob")


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
