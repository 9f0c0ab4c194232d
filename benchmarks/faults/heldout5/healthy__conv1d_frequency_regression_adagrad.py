"""Healthy control: a Conv1d regressor that estimates the frequency of a noisy 64-step sinusoid
(standardised target), trained with Adagrad until the validation loss levels off."""
import numpy as np
import torch
import torch.nn as nn

import fitwatch

EXPECT = None
WHAT = "Conv1d regressor (frequency of a noisy sinusoid, standardised target), Adagrad lr 0.03, 45 epochs"
EPOCHS = 45
BS = 64
L = 64
LR = 0.03


def signals(n, rng):
    t = np.arange(L, dtype=np.float32)
    f = rng.uniform(0.03, 0.2, n).astype(np.float32)
    X = np.empty((n, L), np.float32)
    for i in range(n):
        X[i] = rng.uniform(0.7, 1.3) * np.sin(2 * np.pi * f[i] * t + rng.uniform(0, 6.3))
    X += rng.normal(0, 0.3, X.shape).astype(np.float32)
    return X, f


def make_data(fix=False):
    rng = np.random.RandomState(9)
    Xtr, ftr = signals(1500, rng)
    Xva, fva = signals(500, rng)
    m, s = ftr.mean(), ftr.std()
    g = lambda a: torch.tensor(a, dtype=torch.float32)
    return (g(Xtr).unsqueeze(1), g((ftr - m) / s).unsqueeze(1),
            g(Xva).unsqueeze(1), g((fva - m) / s).unsqueeze(1))


def build(fix=False):
    model = nn.Sequential(
        nn.Conv1d(1, 16, 7, padding=3), nn.ReLU(),
        nn.MaxPool1d(2),
        nn.Conv1d(16, 32, 5, padding=2), nn.ReLU(),
        nn.AdaptiveAvgPool1d(1), nn.Flatten(),
        nn.Linear(32, 1),
    )
    opt = torch.optim.Adagrad(model.parameters(), lr=LR)
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
