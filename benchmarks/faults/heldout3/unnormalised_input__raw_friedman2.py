import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data.py")
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = 'unnormalised_input'
WHAT = 'Tanh MLP regression on raw Friedman-2 features (ranges up to ~1760) with a standardised target, Adam + HuberLoss; twin standardises X'

def build(twin=False):
    torch.manual_seed(0)
    from sklearn.datasets import make_friedman2
    X, y = make_friedman2(n_samples=1500, noise=5.0, random_state=0)
    y = (y - y.mean()) / y.std()
    data = D.split(X, y[:, None], scale=twin, stratify=False, ydtype=torch.float32)
    model = nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return dict(model=model, opt=opt, crit=nn.HuberLoss(), data=data, epochs=30, bs=64, acc=None)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
