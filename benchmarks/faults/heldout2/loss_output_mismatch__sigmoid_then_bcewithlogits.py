import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset
import fitwatch
from sklearn.datasets import make_circles
from sklearn.model_selection import train_test_split

EXPECT = "loss_output_mismatch"
WHAT = "binary classifier on make_circles whose last layer is nn.Sigmoid() but is trained with nn.BCEWithLogitsLoss (sigmoid applied twice): loss cannot fall below 0.31"


def _data():
    X, y = make_circles(n_samples=2000, noise=0.08, factor=0.6, random_state=15)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    mu, sd = Xtr.mean(0), Xtr.std(0)
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return f((Xtr - mu) / sd), f(ytr)[:, None], f((Xva - mu) / sd), f(yva)[:, None]


def main(dir: str) -> str:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    Xtr, ytr, Xva, yva = _data()
    loader = DataLoader(TensorDataset(Xtr, ytr), batch_size=32, shuffle=True,
                        generator=torch.Generator().manual_seed(1))
    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1), nn.Sigmoid())
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    criterion = nn.BCEWithLogitsLoss()
    run = fitwatch.Run("program", dir=dir, diagnose=False)
    run.watch(model)
    for epoch in run.epochs(25):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            out = model(xb)
            loss = criterion(out, yb)
            loss.backward()
            opt.step()
            run.log("train", loss=loss.detach(), accuracy=((out > 0.5).float() == yb).float().mean(), n=len(yb))
        model.eval()
        with torch.no_grad():
            out = model(Xva)
            run.log("val", loss=criterion(out, yva), accuracy=((out > 0.5).float() == yva).float().mean(), n=len(yva))
    run.finish()
    return "program"


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
