import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data.py")
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = 'saturated_activation'
WHAT = 'Sigmoid MLP on standardised digits with Linear weights drawn U(-2,2) (no fan-in scaling), SGD momentum; twin keeps default init'

def build(twin=False):
    torch.manual_seed(0)
    data = D.digits("std")
    model = nn.Sequential(nn.Linear(64, 128), nn.Sigmoid(), nn.Linear(128, 128), nn.Sigmoid(), nn.Linear(128, 10))
    if not twin:
        for m in model:
            if isinstance(m, nn.Linear):
                nn.init.uniform_(m.weight, -2.0, 2.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return dict(model=model, opt=opt, crit=nn.CrossEntropyLoss(), data=data, epochs=15, bs=64)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
