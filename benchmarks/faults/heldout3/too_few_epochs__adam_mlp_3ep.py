import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data.py")
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = 'too_few_epochs'
WHAT = 'MLP on a 5-class make_classification task, Adam lr=3e-4, stopped after 3 epochs; twin trains 40 epochs'

def build(twin=False):
    torch.manual_seed(0)
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=2000, n_features=20, n_informative=12, n_classes=5, n_clusters_per_class=1,
                               class_sep=1.2, random_state=4)
    data = D.split(X, y)
    model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 5))
    opt = torch.optim.Adam(model.parameters(), lr=3e-4)
    return dict(model=model, opt=opt, crit=nn.CrossEntropyLoss(), data=data, epochs=40 if twin else 3, bs=64)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
