import numpy as np
import torch
import torch.nn as nn
import fitwatch
from sklearn.datasets import load_digits

EXPECT = "label_problem"
WHAT = "digits where features and labels are shuffled with two different permutations before the split (labels no longer belong to their images)"


def _data():
    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(18)
    X = X[rng.permutation(len(X))]
    y = y[rng.permutation(len(y))]
    n_tr = int(0.75 * len(X))
    mu, sd = X[:n_tr].mean(0), np.where(X[:n_tr].std(0) > 0, X[:n_tr].std(0), 1.0)
    X = (X - mu) / sd
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return f(X[:n_tr]), torch.tensor(y[:n_tr]), f(X[n_tr:]), torch.tensor(y[n_tr:])


def main(dir: str) -> str:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    Xtr, ytr, Xva, yva = _data()
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    run = fitwatch.Run("program", dir=dir, diagnose=False)
    run.watch(model)
    g = torch.Generator().manual_seed(1)
    for epoch in run.epochs(25):
        model.train()
        perm = torch.randperm(len(Xtr), generator=g)
        for i in range(0, len(Xtr), 32):
            idx = perm[i:i + 32]
            xb, yb = Xtr[idx], ytr[idx]
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
