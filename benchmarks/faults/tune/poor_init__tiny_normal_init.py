import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "heldout3", "_data.py")  # moved from heldout3/
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = 'poor_init'
WHAT = '6-layer ReLU MLP on standardised wine+digits-size data (digits) with weights N(0, 0.01) (AlexNet-era std); twin uses Kaiming init'

def build(twin=False):
    torch.manual_seed(0)
    data = D.digits("std")
    sizes = [64, 96, 96, 96, 96, 96]
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(96, 10))
    model = nn.Sequential(*layers)
    for m in model:
        if isinstance(m, nn.Linear):
            if twin:
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            else:
                nn.init.normal_(m.weight, 0.0, 0.01)
            nn.init.zeros_(m.bias)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return dict(model=model, opt=opt, crit=nn.CrossEntropyLoss(), data=data, epochs=15, bs=64)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
