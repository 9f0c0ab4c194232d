import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data.py")
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = 'lr_too_low'
WHAT = 'autoencoder-style regression (64->16->64 digits reconstruction, SmoothL1) with Adagrad at lr=1e-4; twin uses lr=0.05'

def build(twin=False):
    torch.manual_seed(0)
    Xtr, _, Xv, _ = D.digits("unit")
    data = (Xtr, Xtr.clone(), Xv, Xv.clone())
    model = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 32), nn.Tanh(),
                          nn.Linear(32, 64))
    opt = torch.optim.Adagrad(model.parameters(), lr=0.05 if twin else 1e-4)
    return dict(model=model, opt=opt, crit=nn.SmoothL1Loss(beta=0.1), data=data, epochs=20, bs=64, acc=None)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
