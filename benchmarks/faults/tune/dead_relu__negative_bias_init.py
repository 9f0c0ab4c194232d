import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "heldout3", "_data.py")  # moved from heldout3/
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = 'dead_relu'
WHAT = "ReLU MLP on standardised digits with hidden biases initialised to -1.5 ('sparse' init); twin keeps default biases"

def build(twin=False):
    torch.manual_seed(0)
    data = D.digits("std")
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    if not twin:
        for m in (model[0], model[2]):
            nn.init.constant_(m.bias, -1.5)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return dict(model=model, opt=opt, crit=nn.CrossEntropyLoss(), data=data, epochs=15, bs=64)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
