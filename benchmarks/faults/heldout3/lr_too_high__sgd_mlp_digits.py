import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data.py")
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = 'lr_too_high'
WHAT = 'Tanh MLP on digits with SGD momentum 0.9 at lr=0.5 (effective step 5); twin uses lr=0.05'

def build(twin=False):
    torch.manual_seed(0)
    data = D.digits("unit")
    model = nn.Sequential(nn.Linear(64, 128), nn.Tanh(), nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05 if twin else 0.5, momentum=0.9)
    return dict(model=model, opt=opt, crit=nn.CrossEntropyLoss(), data=data, epochs=15, bs=32)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
