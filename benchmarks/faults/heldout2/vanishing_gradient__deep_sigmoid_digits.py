import numpy as np
import torch
import torch.nn as nn
import fitwatch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

EXPECT = "vanishing_gradient"
WHAT = "12 hidden Linear+Sigmoid layers (default init) on standardised digits with plain SGD: gradients shrink ~6x per layer"


def _data():
    X, y = load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    mu, sd = Xtr.mean(0), np.where(Xtr.std(0) > 0, Xtr.std(0), 1.0)
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return f((Xtr - mu) / sd), torch.tensor(ytr), f((Xva - mu) / sd), torch.tensor(yva)


def main(dir: str) -> str:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    Xtr, ytr, Xva, yva = _data()
    layers, d = [], 64
    for _ in range(12):
        layers += [nn.Linear(d, 64), nn.Sigmoid()]
        d = 64
    layers.append(nn.Linear(64, 10))
    model = nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    criterion = nn.CrossEntropyLoss()
    run = fitwatch.Run("program", dir=dir, diagnose=False)
    run.watch(model)
    g = torch.Generator().manual_seed(1)
    for epoch in run.epochs(15):
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
