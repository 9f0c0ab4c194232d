"""Healthy control: an LSTM classifying noisy 40-step tones as rising chirp, falling chirp or steady
tone, trained with RMSprop (lr 2e-3, StepLR x0.3 every 10 epochs) until the validation loss levels off."""
import numpy as np
import torch
import torch.nn as nn

import fitwatch

EXPECT = None
WHAT = "LSTM on generated chirp sequences (rising / falling / steady), RMSprop lr 2e-3 with StepLR (x0.3 every 10 epochs)"
EPOCHS = 30
BS = 64
L = 40
LR = 2e-3
STEP = 10


def chirps(n, rng):
    t = np.arange(L, dtype=np.float32) / L
    y = rng.randint(0, 3, n)
    X = np.empty((n, L), np.float32)
    for i in range(n):
        f0 = rng.uniform(2.0, 4.0)
        df = {0: rng.uniform(2.5, 4.0), 1: -rng.uniform(1.5, 1.9), 2: 0.0}[y[i]]
        phase = 2 * np.pi * (f0 * t + 0.5 * df * t ** 2) + rng.uniform(0, 6.3)
        X[i] = np.sin(phase) + rng.normal(0, 0.4, L)
    return torch.tensor(X).unsqueeze(-1), torch.tensor(y)


def make_data(fix=False):
    rng = np.random.RandomState(8)
    Xtr, ytr = chirps(1500, rng)
    Xva, yva = chirps(500, rng)
    return Xtr, ytr, Xva, yva


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 32, batch_first=True)
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


def build(fix=False):
    model = Net()
    opt = torch.optim.RMSprop(model.parameters(), lr=LR)
    crit = nn.CrossEntropyLoss()
    return model, opt, crit


def make_sched(opt):
    return torch.optim.lr_scheduler.StepLR(opt, step_size=STEP, gamma=0.3)


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
    sched = make_sched(opt)
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
        sched.step()
        model.eval()
        with torch.no_grad():
            out = model(Xva)
            run.log("val", loss=crit(out, yva), accuracy=acc(out, yva), n=len(yva))
    run.finish()
    return "program"


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
