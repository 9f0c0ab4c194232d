import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data.py")
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = 'label_problem'
WHAT = 'wine-like 3-class make_blobs data where the training labels were shuffled independently of the rows (join bug); twin keeps rows aligned'

def build(twin=False):
    torch.manual_seed(0)
    from sklearn.datasets import make_blobs
    X, y = make_blobs(n_samples=1200, n_features=8, centers=3, cluster_std=2.5, random_state=2)
    Xtr, ytr, Xv, yv = D.split(X, y)
    if not twin:
        ytr = ytr[torch.randperm(len(ytr), generator=torch.Generator().manual_seed(5))]
    model = nn.Sequential(nn.Linear(8, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 3))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return dict(model=model, opt=opt, crit=nn.CrossEntropyLoss(), data=(Xtr, ytr, Xv, yv), epochs=30, bs=32)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
