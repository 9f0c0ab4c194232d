"""A deep Conv1d waveform classifier (sine / square / sawtooth) built as a plain stack of 14 tanh
conv layers. The working version wraps each conv layer in a residual connection (x + tanh(conv(x)));
the mutation drops the skip connections, so the back-propagated signal shrinks at every tanh layer
and the early layers receive almost no gradient."""
import numpy as np
import torch
import torch.nn as nn

import fitwatch

EXPECT = "vanishing_gradient"
WHAT = "14 tanh Conv1d layers stacked without the residual connections (SGD momentum, waveform classes)"
EPOCHS = 20
BS = 64
L = 64


def waves(n, rng):
    t = np.arange(L, dtype=np.float32)
    y = rng.randint(0, 3, n)
    X = np.empty((n, L), np.float32)
    for i in range(n):
        period = rng.uniform(10, 28)
        ph = rng.uniform(0, 1)
        u = (t / period + ph) % 1.0
        if y[i] == 0:
            s = np.sin(2 * np.pi * u)
        elif y[i] == 1:
            s = np.where(u < 0.5, 1.0, -1.0)
        else:
            s = 2 * u - 1
        X[i] = rng.uniform(0.6, 1.4) * s + rng.normal(0, 0.35, L)
    return torch.tensor(X).unsqueeze(1), torch.tensor(y)


def make_data(fix=False):
    rng = np.random.RandomState(1)
    Xtr, ytr = waves(1000, rng)
    Xva, yva = waves(400, rng)
    return Xtr, ytr, Xva, yva


class Layer(nn.Module):
    def __init__(self, c, skip):
        super().__init__()
        self.conv = nn.Conv1d(c, c, 3, padding=1)
        self.act = nn.Tanh()
        self.skip = skip

    def forward(self, x):
        h = self.act(self.conv(x))
        return x + h if self.skip else h


class Net(nn.Module):
    def __init__(self, skip, depth=14, c=16):
        super().__init__()
        self.stem = nn.Conv1d(1, c, 5, padding=2)
        self.stem_act = nn.Tanh()
        self.layers = nn.Sequential(*[Layer(c, skip) for _ in range(depth)])
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.head = nn.Linear(c, 3)

    def forward(self, x):
        h = self.layers(self.stem_act(self.stem(x)))
        return self.head(self.pool(h).flatten(1))


def build(fix=False):
    model = Net(skip=fix)            # mutation: skip connections removed
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
