"""A Conv1d classifier for accelerometer-like traces (walking / running / idle, 128 steps). The conv
features are pooled over time and fed to a tanh hidden layer. The working version average-pools;
the mutation sum-pools over the 128 time steps ("sum keeps the total energy"), so the inputs of the
tanh layer are ~100x too large and nearly all of its units sit in the flat part of tanh."""
import numpy as np
import torch
import torch.nn as nn

import fitwatch

EXPECT = "saturated_activation"
WHAT = "Conv1d features sum-pooled over 128 steps into a tanh hidden layer (SGD momentum, 3 activity classes)"
EPOCHS = 25
BS = 64
L = 128


def traces(n, rng):
    t = np.arange(L, dtype=np.float32)
    y = rng.randint(0, 3, n)
    X = np.empty((n, L), np.float32)
    for i in range(n):
        if y[i] == 0:      # walking: slow periodic steps
            s = 0.8 * np.sin(2 * np.pi * t / rng.uniform(18, 26) + rng.uniform(0, 6.3))
        elif y[i] == 1:    # running: faster, larger, with impacts
            p = rng.uniform(7, 11)
            s = 1.2 * np.sin(2 * np.pi * t / p + rng.uniform(0, 6.3)) + 0.6 * ((t % p) < 1.5)
        else:              # idle: drift only
            s = np.cumsum(rng.normal(0, 0.08, L))
        X[i] = s + rng.normal(0, 0.3, L)
    return torch.tensor(X).unsqueeze(1), torch.tensor(y)


def make_data(fix=False):
    rng = np.random.RandomState(2)
    Xtr, ytr = traces(1200, rng)
    Xva, yva = traces(400, rng)
    return Xtr, ytr, Xva, yva


class Net(nn.Module):
    def __init__(self, pool):
        super().__init__()
        self.conv1 = nn.Conv1d(1, 16, 7, padding=3)
        self.act1 = nn.ReLU()
        self.conv2 = nn.Conv1d(16, 32, 5, padding=2)
        self.act2 = nn.ReLU()
        self.pool = pool
        self.fc = nn.Linear(32, 32)
        self.act3 = nn.Tanh()
        self.out = nn.Linear(32, 3)

    def forward(self, x):
        h = self.act2(self.conv2(self.act1(self.conv1(x))))
        h = h.mean(-1) if self.pool == "mean" else h.sum(-1)
        return self.out(self.act3(self.fc(h)))


def build(fix=False):
    model = Net("mean" if fix else "sum")   # mutation: sum pooling over time instead of mean
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
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
