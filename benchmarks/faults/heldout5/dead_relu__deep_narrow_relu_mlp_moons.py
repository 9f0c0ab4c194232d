"""A 10-hidden-layer ReLU MLP for the two-moons problem. The working version is 32 units wide; the
mutation makes every hidden layer only 3 units wide ("two inputs, so a few units per layer is
plenty"). In such deep narrow ReLU stacks whole layers switch off for every input, the units stay
at zero for the whole data set and no gradient reaches anything below them."""
import torch
import torch.nn as nn
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import fitwatch

EXPECT = "dead_relu"
WHAT = "10 hidden ReLU layers only 3 units wide on two-moons (AdamW)"
EPOCHS = 40
BS = 32
DEPTH = 10
WIDTH = 3
WIDTH_FIX = 32


def make_data(fix=False):
    X, y = make_moons(n_samples=1500, noise=0.2, random_state=0)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.3, random_state=0)
    s = StandardScaler().fit(Xtr)
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return f(s.transform(Xtr)), f(ytr).unsqueeze(1), f(s.transform(Xva)), f(yva).unsqueeze(1)


def build(fix=False):
    w = WIDTH_FIX if fix else WIDTH  # mutation: hidden layers far too narrow for the depth
    layers, d = [], 2
    for _ in range(DEPTH):
        layers += [nn.Linear(d, w), nn.ReLU()]
        d = w
    layers.append(nn.Linear(d, 1))
    model = nn.Sequential(*layers)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    crit = nn.BCEWithLogitsLoss()
    return model, opt, crit


def batches(X, y, epoch):
    g = torch.Generator().manual_seed(epoch)
    idx = torch.randperm(len(X), generator=g)
    for i in range(0, len(X), BS):
        j = idx[i:i + BS]
        yield X[j], y[j]


def acc(out, y):
    return ((out > 0).float() == y).float().mean().item()


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
