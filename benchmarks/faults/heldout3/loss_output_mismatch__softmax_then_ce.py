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
WHAT = 'CNN on digits ending in nn.Softmax while trained with nn.CrossEntropyLoss (double softmax); twin drops the Softmax'

def build(twin=False):
    torch.manual_seed(0)
    Xtr, ytr, Xv, yv = D.digits("unit")
    data = (D.as_images(Xtr), ytr, D.as_images(Xv), yv)
    layers = [nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 16, 64), nn.ReLU(),
              nn.Linear(64, 10)]
    if not twin:
        layers.append(nn.Softmax(dim=1))
    model = nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return dict(model=model, opt=opt, crit=nn.CrossEntropyLoss(), data=data, epochs=12, bs=64)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
