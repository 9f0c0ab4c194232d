import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data.py")
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = 'unnormalised_input'
WHAT = 'ReLU MLP on raw breast-cancer features (scales 1e-3..4e3, StandardScaler left out), SGD+momentum; twin standardises'

def build(twin=False):
    torch.manual_seed(0)
    from sklearn.datasets import load_breast_cancer
    X, y = load_breast_cancer(return_X_y=True)
    data = D.split(X, y, scale=twin)
    model = nn.Sequential(nn.Linear(30, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 2))
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    return dict(model=model, opt=opt, crit=nn.CrossEntropyLoss(), data=data, epochs=25, bs=32)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
