"""fitwatch held-out program (heldout4). small CNN on 8x8 digits ending in nn.Softmax(dim=1) fed to nn.CrossEntropyLoss (double softmax), SGD momentum"""
import numpy as np
import torch
import torch.nn as nn
import fitwatch
from sklearn import datasets
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

EXPECT = 'loss_output_mismatch'
WHAT = 'small CNN on 8x8 digits ending in nn.Softmax(dim=1) fed to nn.CrossEntropyLoss (double softmax), SGD momentum'
EPOCHS = 25
BATCH = 64
CLASSIFY = True


def data():
    X, y = datasets.load_digits(return_X_y=True)
    X = X / 16.0
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=3)
    f = lambda a: torch.tensor(a, dtype=torch.float32).reshape(-1, 1, 8, 8)
    return f(Xtr), torch.tensor(ytr), f(Xva), torch.tensor(yva)


def build():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.Flatten(),
                          nn.Linear(32 * 16, 64), nn.ReLU(), nn.Linear(64, 10), nn.Softmax(dim=1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
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
