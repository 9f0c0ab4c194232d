"""An LSTM regressor that reads a noisy damped oscillation (40 steps) and predicts its damping rate
(standardised target). The working version uses Adagrad with lr=0.01; the mutation uses lr=1e-4
(an Adam-style "safe" value copied into Adagrad, whose steps also shrink over time), so the weights
hardly move and the loss stays close to where it started."""
import numpy as np
import torch
import torch.nn as nn

import fitwatch

EXPECT = "lr_too_low"
WHAT = "LSTM regressor (damping rate of an oscillation) trained with Adagrad lr=1e-4 instead of 0.01"
EPOCHS = 30
BS = 32
L = 40
LR = 1e-4


def signals(n, rng):
    t = np.arange(L, dtype=np.float32)
    d = rng.uniform(0.0, 0.12, n).astype(np.float32)
    X = np.empty((n, L), np.float32)
    for i in range(n):
        w = 2 * np.pi / rng.uniform(6, 14)
        X[i] = rng.uniform(0.8, 1.5) * np.exp(-d[i] * t) * np.cos(w * t + rng.uniform(0, 6.3))
    X += rng.normal(0, 0.05, X.shape).astype(np.float32)
    return X, d


def make_data(fix=False):
    rng = np.random.RandomState(4)
    Xtr, dtr = signals(1000, rng)
    Xva, dva = signals(300, rng)
    m, s = dtr.mean(), dtr.std()
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return (f(Xtr).unsqueeze(-1), f((dtr - m) / s).unsqueeze(1),
            f(Xva).unsqueeze(-1), f((dva - m) / s).unsqueeze(1))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 32, batch_first=True)
        self.head = nn.Linear(32, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


def build(fix=False):
    model = Net()
    lr = 0.01 if fix else LR          # mutation: learning rate 100x too low for Adagrad
    opt = torch.optim.Adagrad(model.parameters(), lr=lr)
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
