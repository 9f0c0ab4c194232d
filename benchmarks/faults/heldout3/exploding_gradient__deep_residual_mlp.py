import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data.py")
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = 'exploding_gradient'
WHAT = "12 un-normalised residual blocks with Kaiming-initialised branches (no branch scaling) on Friedman-1 regression with Adam; twin zero-initialises each branch's last layer"

class Block(nn.Module):
    def __init__(self, w, zero_last):
        super().__init__()
        self.f = nn.Sequential(nn.Linear(w, w), nn.ReLU(), nn.Linear(w, w))
        for m in self.f:
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
        if zero_last:
            nn.init.zeros_(self.f[2].weight)

    def forward(self, x):
        return x + self.f(x)


def build(twin=False):
    torch.manual_seed(0)
    from sklearn.datasets import make_friedman1
    X, y = make_friedman1(n_samples=1500, noise=0.5, random_state=0)
    y = (y - y.mean()) / y.std()
    data = D.split(X, y[:, None], stratify=False, ydtype=torch.float32)
    model = nn.Sequential(nn.Linear(10, 32), *[Block(32, twin) for _ in range(12)], nn.Linear(32, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return dict(model=model, opt=opt, crit=nn.MSELoss(), data=data, epochs=12, bs=64, acc=None)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
