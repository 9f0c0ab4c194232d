import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data.py")
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = 'poor_init'
WHAT = 'Tanh MLP on a 4-class make_classification task with every weight set to the constant 0.05 (symmetric units); twin uses default init'

def build(twin=False):
    torch.manual_seed(0)
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=1600, n_features=20, n_informative=10, n_classes=4, n_clusters_per_class=1,
                               random_state=0)
    data = D.split(X, y)
    model = nn.Sequential(nn.Linear(20, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 4))
    if not twin:
        for m in model:
            if isinstance(m, nn.Linear):
                nn.init.constant_(m.weight, 0.05)
                nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return dict(model=model, opt=opt, crit=nn.CrossEntropyLoss(), data=data, epochs=20, bs=64)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
