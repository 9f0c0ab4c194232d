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
WHAT = '8 stacked Conv1d+Sigmoid layers on generated sinusoid sequences (3 frequencies), plain SGD; twin uses ReLU+Kaiming'

def build(twin=False):
    torch.manual_seed(0)
    Xtr, ytr, Xv, yv = D.sequences(n=1200, length=32, kind="freq")
    data = (Xtr.transpose(1, 2).contiguous(), ytr, Xv.transpose(1, 2).contiguous(), yv)
    act = nn.ReLU if twin else nn.Sigmoid
    layers, c = [], 1
    for _ in range(8):
        layers += [nn.Conv1d(c, 16, 3, padding=1), act()]
        c = 16
    layers += [nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(16, 3)]
    model = nn.Sequential(*layers)
    if twin:
        for m in model:
            if isinstance(m, nn.Conv1d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return dict(model=model, opt=opt, crit=nn.CrossEntropyLoss(), data=data, epochs=15, bs=32)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
