"""A residual MLP regressor on Friedman #2 data (standardised inputs and targets). The working version
normalises every residual branch with BatchNorm1d; the mutation removes the normalisation layers but
keeps He initialisation and plain identity skips, so each of the 6 blocks roughly doubles the
signal's variance: outputs, MSE and gradients start orders of magnitude too large and blow up."""
import torch
import torch.nn as nn
from sklearn.datasets import make_friedman2
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import fitwatch

EXPECT = "exploding_gradient"
WHAT = "6-block residual MLP regressor with its BatchNorm layers removed (He init, identity skips, SGD momentum)"
EPOCHS = 30
BS = 64
BLOCKS = 6
LR = 0.001


def make_data(fix=False):
    X, y = make_friedman2(n_samples=2000, noise=60.0, random_state=0)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=0)
    sx = StandardScaler().fit(Xtr)
    my, sy = ytr.mean(), ytr.std()
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return (f(sx.transform(Xtr)), f((ytr - my) / sy).unsqueeze(1),
            f(sx.transform(Xva)), f((yva - my) / sy).unsqueeze(1))


class Block(nn.Module):
    def __init__(self, d, norm):
        super().__init__()
        self.fc1 = nn.Linear(d, d)
        self.bn1 = nn.BatchNorm1d(d) if norm else nn.Identity()
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(d, d)
        self.bn2 = nn.BatchNorm1d(d) if norm else nn.Identity()

    def forward(self, x):
        return x + self.bn2(self.fc2(self.act(self.bn1(self.fc1(x)))))


class ResMLP(nn.Module):
    def __init__(self, norm, d=64):
        super().__init__()
        self.inp = nn.Linear(4, d)
        self.blocks = nn.Sequential(*[Block(d, norm) for _ in range(BLOCKS)])
        self.out_act = nn.ReLU()
        self.out = nn.Linear(d, 1)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.out(self.out_act(self.blocks(self.inp(x))))


def build(fix=False):
    model = ResMLP(norm=fix)         # mutation: BatchNorm removed from the residual branches
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    crit = nn.MSELoss()
    return model, opt, crit


def batches(X, y, epoch):
    g = torch.Generator().manual_seed(epoch)
    idx = torch.randperm(len(X), generator=g)
    for i in range(0, len(X), BS):
        j = idx[i:i + BS]
        yield X[j], y[j]


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
            run.log("train", loss=loss.detach(), n=len(yb))
        model.eval()
        with torch.no_grad():
            out = model(Xva)
            run.log("val", loss=crit(out, yva), n=len(yva))
    run.finish()
    return "program"


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
