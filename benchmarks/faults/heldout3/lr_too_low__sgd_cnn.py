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
WHAT = 'CNN on 8x8 digits with plain SGD at lr=1e-4; twin uses lr=0.1'

def build(twin=False):
    torch.manual_seed(0)
    Xtr, ytr, Xv, yv = D.digits("unit")
    data = (D.as_images(Xtr), ytr, D.as_images(Xv), yv)
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1),
                          nn.ReLU(), nn.Flatten(), nn.Linear(32 * 16, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.1 if twin else 1e-4)
    return dict(model=model, opt=opt, crit=nn.CrossEntropyLoss(), data=data, epochs=12, bs=32)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
