import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data.py")
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = 'class_imbalance'
WHAT = 'binary make_classification with 3% positives, unweighted CrossEntropyLoss; twin weights the classes by inverse frequency'

def build(twin=False):
    torch.manual_seed(0)
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=3000, n_features=12, n_informative=4, weights=[0.97, 0.03], class_sep=0.6,
                               flip_y=0.0, random_state=1)
    data = D.split(X, y)
    model = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 2))
    w = None
    if twin:
        cnt = torch.bincount(data[1]).float()
        w = cnt.sum() / (2 * cnt)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    return dict(model=model, opt=opt, crit=nn.CrossEntropyLoss(weight=w), data=data, epochs=15, bs=64)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
