import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data.py")
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = 'label_problem'
WHAT = 'CNN on digits where 50% of training labels were replaced by random classes (bad annotation); validation labels clean; twin trains on clean labels'

def build(twin=False):
    torch.manual_seed(0)
    Xtr, ytr, Xv, yv = D.digits("unit")
    if not twin:
        g = torch.Generator().manual_seed(1)
        flip = torch.rand(len(ytr), generator=g) < 0.5
        ytr = torch.where(flip, torch.randint(0, 10, ytr.shape, generator=g), ytr)
    data = (D.as_images(Xtr), ytr, D.as_images(Xv), yv)
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 16, 128),
                          nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    return dict(model=model, opt=opt, crit=nn.CrossEntropyLoss(), data=data, epochs=25, bs=32)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
