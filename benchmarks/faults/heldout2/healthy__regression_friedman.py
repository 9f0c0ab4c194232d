import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset
import fitwatch
from sklearn.datasets import make_friedman1
from sklearn.model_selection import train_test_split

EXPECT = None
WHAT = "healthy control: GELU MLP regression on make_friedman1 with standardised X and y, Adam 3e-3, MSELoss"


def _data():
    X, y = make_friedman1(n_samples=2000, n_features=10, noise=1.0, random_state=3)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=0)
    mu, sd = Xtr.mean(0), Xtr.std(0)
    ym, ys = ytr.mean(), ytr.std()
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return f((Xtr - mu) / sd), f((ytr - ym) / ys).unsqueeze(1), f((Xva - mu) / sd), f((yva - ym) / ys).unsqueeze(1)


def main(dir: str) -> str:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    Xtr, ytr, Xva, yva = _data()
    loader = DataLoader(TensorDataset(Xtr, ytr), batch_size=64, shuffle=True,
                        generator=torch.Generator().manual_seed(2))
    model = nn.Sequential(nn.Linear(10, 64), nn.GELU(), nn.Linear(64, 64), nn.GELU(), nn.Linear(64, 1))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    criterion = nn.MSELoss()
    run = fitwatch.Run("program", dir=dir, diagnose=False)
    run.watch(model)
    for epoch in run.epochs(40):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            opt.step()
            run.log("train", loss=loss.detach(), n=len(yb))
        model.eval()
        with torch.no_grad():
            run.log("val", loss=criterion(model(Xva), yva), n=len(yva))
    run.finish()
    return "program"


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
