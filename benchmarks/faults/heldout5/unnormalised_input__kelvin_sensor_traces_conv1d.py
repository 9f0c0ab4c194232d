"""A Conv1d classifier for machine temperature traces (stable / cycling / ramping, 96 readings). The
sensor reports Kelvin: every trace sits around 296-300 K while the informative pattern is a couple of
Kelvin. The working version standardises the readings with the training set's mean and standard
deviation; the mutation feeds the raw Kelvin values to the network."""
import numpy as np
import torch
import torch.nn as nn

import fitwatch

EXPECT = "unnormalised_input"
WHAT = "Conv1d on raw temperature traces in Kelvin (~300 +- 2) without standardisation (Adam)"
EPOCHS = 25
BS = 64
L = 96
OPT = "adam"
BASE_LO, BASE_HI = 296, 300
LR = 3e-3


def traces(n, rng):
    t = np.arange(L, dtype=np.float32)
    y = rng.randint(0, 3, n)
    X = np.empty((n, L), np.float32)
    for i in range(n):
        base = rng.uniform(BASE_LO, BASE_HI)
        if y[i] == 0:      # stable
            s = np.zeros(L)
        elif y[i] == 1:    # thermostat cycling
            s = 1.5 * np.sign(np.sin(2 * np.pi * t / rng.uniform(16, 30) + rng.uniform(0, 6.3)))
        else:              # ramping up or down
            s = rng.choice([-1, 1]) * rng.uniform(2.0, 4.0) * t / L
        X[i] = base + s + rng.normal(0, 0.6, L)
    return X, y


def make_data(fix=False):
    rng = np.random.RandomState(5)
    Xtr, ytr = traces(1200, rng)
    Xva, yva = traces(400, rng)
    if fix:                            # the working version standardises; the mutation skips it
        m, s = Xtr.mean(), Xtr.std()
        Xtr, Xva = (Xtr - m) / s, (Xva - m) / s
    f = lambda a: torch.tensor(a, dtype=torch.float32).unsqueeze(1)
    return f(Xtr), torch.tensor(ytr), f(Xva), torch.tensor(yva)


def build(fix=False):
    model = nn.Sequential(
        nn.Conv1d(1, 16, 5, padding=2), nn.ReLU(),
        nn.Conv1d(16, 32, 5, padding=2), nn.ReLU(),
        nn.AdaptiveAvgPool1d(1), nn.Flatten(),
        nn.Linear(32, 3),
    )
    if OPT == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=LR)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
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
