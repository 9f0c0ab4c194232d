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
WHAT = '4-class make_classification with class shares 88/8/2.5/1.5 %, unweighted CrossEntropyLoss, Adagrad; twin weights classes by inverse frequency'

def build(twin=False):
    torch.manual_seed(0)
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=3000, n_features=16, n_informative=6, n_classes=4, n_clusters_per_class=1,
                               weights=[0.88, 0.08, 0.025, 0.015], class_sep=0.7, flip_y=0.0, random_state=3)
    data = D.split(X, y)
    model = nn.Sequential(nn.Linear(16, 48), nn.ReLU(), nn.Linear(48, 48), nn.ReLU(), nn.Linear(48, 4))
    w = None
    if twin:
        cnt = torch.bincount(data[1], minlength=4).float()
        w = cnt.sum() / (4 * cnt)
    opt = torch.optim.Adagrad(model.parameters(), lr=0.01)
    return dict(model=model, opt=opt, crit=nn.CrossEntropyLoss(weight=w), data=data, epochs=15, bs=64)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
