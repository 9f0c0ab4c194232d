import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset
import fitwatch
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

EXPECT = "class_imbalance"
WHAT = "4-class sensor-fault task where two fault classes are 2% and 1% of the data (weights=[0.87, 0.10, 0.02, 0.01]), unweighted CE, Adagrad: rare classes never predicted"


def _data():
    X, y = make_classification(n_samples=5000, n_features=10, n_informative=5, n_redundant=2,
                               n_classes=4, n_clusters_per_class=1, weights=[0.87, 0.10, 0.02, 0.01],
                               class_sep=0.4, flip_y=0.0, random_state=17)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    mu, sd = Xtr.mean(0), Xtr.std(0)
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return f((Xtr - mu) / sd), torch.tensor(ytr), f((Xva - mu) / sd), torch.tensor(yva)


def main(dir: str) -> str:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    Xtr, ytr, Xva, yva = _data()
    loader = DataLoader(TensorDataset(Xtr, ytr), batch_size=64, shuffle=True,
                        generator=torch.Generator().manual_seed(1))
    model = nn.Sequential(nn.Linear(10, 32), nn.Tanh(), nn.Linear(32, 4))
    opt = torch.optim.Adagrad(model.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()
    run = fitwatch.Run("program", dir=dir, diagnose=False)
    run.watch(model)
    for epoch in run.epochs(15):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            out = model(xb)
            loss = criterion(out, yb)
            loss.backward()
            opt.step()
            run.log("train", loss=loss.detach(), accuracy=(out.argmax(1) == yb).float().mean(), n=len(yb))
        model.eval()
        with torch.no_grad():
            out = model(Xva)
            run.log("val", loss=criterion(out, yva), accuracy=(out.argmax(1) == yva).float().mean(), n=len(yva))
    run.finish()
    return "program"


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
