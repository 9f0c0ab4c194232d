import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data.py")
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = 'vanishing_gradient'
WHAT = '9 hidden Sigmoid layers (48 wide) on 8x8 digits with SGD+momentum; twin uses ReLU+Kaiming in the same stack'

def build(twin=False):
    torch.manual_seed(0)
    data = D.digits("unit")
    act = nn.ReLU if twin else nn.Sigmoid
    layers, w = [], 64
    for _ in range(9):
        layers += [nn.Linear(w, 48), act()]
        w = 48
    layers.append(nn.Linear(48, 10))
    model = nn.Sequential(*layers)
    if twin:
        for m in model[:-1]:
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return dict(model=model, opt=opt, crit=nn.CrossEntropyLoss(), data=data, epochs=15, bs=64)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
