"""Healthy control: a residual MLP (3 pre-norm blocks with LayerNorm) on the concentric-circles
problem, trained with SGD + momentum to convergence."""
import torch
import torch.nn as nn
from sklearn.datasets import make_circles
from sklearn.model_selection import train_test_split

import fitwatch

EXPECT = None
WHAT = "residual MLP (3 LayerNorm blocks) on make_circles (4000 points), SGD momentum lr 1e-3, batch 128"
EPOCHS = 30
BS = 128
N = 4000
NOISE = 0.12
LR = 0.001


def make_data(fix=False):
    X, y = make_circles(n_samples=N, noise=NOISE, factor=0.5, random_state=0)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return f(Xtr), torch.tensor(ytr), f(Xva), torch.tensor(yva)


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, d)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(d, d)

    def forward(self, x):
        return x + self.fc2(self.act(self.fc1(self.norm(x))))


class ResMLP(nn.Module):
    def __init__(self, d=32):
        super().__init__()
        self.inp = nn.Linear(2, d)
        self.blocks = nn.Sequential(Block(d), Block(d), Block(d))
        self.norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, 2)

    def forward(self, x):
        return self.out(self.norm(self.blocks(self.inp(x))))


def build(fix=False):
    model = ResMLP()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    crit = nn.CrossEntropyLoss()
    return model, opt, crit


def batches(X, y, epoch):
    g = torch.Generator().manual_seed(epoch)
    idx = torch.randperm(len(X), generator=g)
    for i in range(0, len(X), BS):
        j = idx[i:i + BS]
        yield X[j], y[j]


def acc(out, y):
    return (out.argmax(1) == y).float().mean().item()


def main(dir: str, fix: bool = False) -> str:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    Xtr, ytr, Xva, yva = make_data(fix)
    model, opt, crit = build(fix)
    run = fitwatch.Run("program", dir=dir, diagnose=False)
    run.watch(model)
    for epoch in run.epochs(EPOCHS):
        model.train()
        for xb, yb in batches(Xtr, ytr, epoch):
            opt.zero_grad()
            out = model(xb)
            loss = crit(out, yb)
            loss.backward()
            opt.step()
            run.log("train", loss=loss.detach(), accuracy=acc(out, yb), n=len(yb))
        model.eval()
        with torch.no_grad():
            out = model(Xva)
            run.log("val", loss=crit(out, yva), accuracy=acc(out, yva), n=len(yva))
    run.finish()
    return "program"


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
