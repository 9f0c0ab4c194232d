import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset
import fitwatch
from sklearn.datasets import make_friedman3
from sklearn.model_selection import train_test_split

EXPECT = "too_few_epochs"
WHAT = "correct SiLU MLP regression on standardised make_friedman3 with Adam 1e-3, cut at 5 epochs while the loss is still dropping fast (twin: 60 epochs)"


def _data():
    X, y = make_friedman3(n_samples=3000, noise=0.05, random_state=22)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=0)
    mu, sd = Xtr.mean(0), Xtr.std(0)
    ym, ys = ytr.mean(), ytr.std()
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return f((Xtr - mu) / sd), f((ytr - ym) / ys)[:, None], f((Xva - mu) / sd), f((yva - ym) / ys)[:, None]


def main(dir: str) -> str:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    Xtr, ytr, Xva, yva = _data()
    loader = DataLoader(TensorDataset(Xtr, ytr), batch_size=64, shuffle=True,
                        generator=torch.Generator().manual_seed(1))
    model = nn.Sequential(nn.Linear(4, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU(), nn.Linear(64, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.MSELoss()
    run = fitwatch.Run("program", dir=dir, diagnose=False)
    run.watch(model)
    for epoch in run.epochs(5):
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
