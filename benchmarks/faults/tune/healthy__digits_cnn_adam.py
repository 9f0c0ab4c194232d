import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "heldout3", "_data.py")  # moved from heldout3/
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = None
WHAT = 'healthy: CNN on 8x8 digits (pixels/16), Adam 1e-3, CrossEntropyLoss, 20 epochs'

def build(twin=False):
    torch.manual_seed(0)
    Xtr, ytr, Xv, yv = D.digits("unit")
    data = (D.as_images(Xtr), ytr, D.as_images(Xv), yv)
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1),
                          nn.ReLU(), nn.Flatten(), nn.Linear(32 * 16, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return dict(model=model, opt=opt, crit=nn.CrossEntropyLoss(), data=data, epochs=20, bs=32)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
