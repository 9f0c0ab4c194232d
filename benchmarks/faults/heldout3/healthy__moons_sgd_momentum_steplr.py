import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data.py")
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = None
WHAT = 'healthy: make_moons, ReLU MLP with one logit and BCEWithLogitsLoss, SGD momentum 0.9 + StepLR(15, 0.3), 45 epochs'

def build(twin=False):
    torch.manual_seed(0)
    from sklearn.datasets import make_moons
    X, y = make_moons(n_samples=1200, noise=0.2, random_state=1)
    Xtr, ytr, Xv, yv = D.split(X, y, ydtype=torch.float32)
    data = (Xtr, ytr[:, None], Xv, yv[:, None])
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=15, gamma=0.3)
    return dict(model=model, opt=opt, crit=nn.BCEWithLogitsLoss(), data=data, epochs=45, bs=32, acc="logit", sched=sched)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
