"""fitwatch held-out program (heldout4). breast-cancer MLP trained with Adam at lr=0.5 (meant 1e-3)"""
import numpy as np
import torch
import torch.nn as nn
import fitwatch
from sklearn import datasets
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

EXPECT = 'lr_too_high'
WHAT = 'breast-cancer MLP trained with Adam at lr=0.5 (meant 1e-3)'
EPOCHS = 30
BATCH = 32
CLASSIFY = True


def data():
    X, y = datasets.load_breast_cancer(return_X_y=True)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=1, stratify=y)
    s = StandardScaler().fit(Xtr)
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return f(s.transform(Xtr)), torch.tensor(ytr), f(s.transform(Xva)), torch.tensor(yva)


def build():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(30, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.5)
    return model, opt, nn.CrossEntropyLoss()


def clip(model):
    pass


def main(dir: str) -> str:
    torch.set_num_threads(1)
    Xtr, ytr, Xva, yva = data()
    model, opt, crit = build()
    run = fitwatch.Run("program", dir=dir, diagnose=False)
    run.watch(model)
    g = torch.Generator().manual_seed(1)
    for epoch in run.epochs(EPOCHS):
        model.train()
        perm = torch.randperm(len(Xtr), generator=g)
        for i in range(0, len(Xtr), BATCH):
            idx = perm[i:i + BATCH]
            xb, yb = Xtr[idx], ytr[idx]
            opt.zero_grad()
            out = model(xb)
            loss = crit(out, yb)
            loss.backward()
            clip(model)
            opt.step()
            if CLASSIFY:
                run.log("train", loss=loss.detach(), accuracy=(out.argmax(1) == yb).float().mean(), n=len(yb))
            else:
                run.log("train", loss=loss.detach(), n=len(yb))
        model.eval()
        with torch.no_grad():
            out = model(Xva)
            if CLASSIFY:
                run.log("val", loss=crit(out, yva), accuracy=(out.argmax(1) == yva).float().mean(), n=len(yva))
            else:
                run.log("val", loss=crit(out, yva), n=len(yva))
    run.finish()
    return "program"


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
