"""A GRU that reads 30-step sensor sequences and classifies how many spikes they contain (0-1, 2-3 or
4-5). The working version trains for 60 epochs; the mutation stops after 8 epochs ("the loss is going
down, that will do"), while the validation loss is still falling steeply."""
import numpy as np
import torch
import torch.nn as nn

import fitwatch

EXPECT = "too_few_epochs"
WHAT = "GRU spike-count classifier trained for only 8 epochs (needs ~60; Adam lr 1e-3)"
EPOCHS = 8
EPOCHS_FIX = 60
BS = 64
L = 30


def sequences(n, rng):
    X = rng.normal(0, 0.3, (n, L)).astype(np.float32)
    k = rng.randint(0, 6, n)
    for i in range(n):
        pos = rng.choice(L, size=k[i], replace=False)
        X[i, pos] += rng.uniform(1.5, 2.5, size=k[i])
    y = np.minimum(k // 2, 2)
    return torch.tensor(X).unsqueeze(-1), torch.tensor(y)


def make_data(fix=False):
    rng = np.random.RandomState(6)
    Xtr, ytr = sequences(1500, rng)
    Xva, yva = sequences(500, rng)
    return Xtr, ytr, Xva, yva


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(1, 32, batch_first=True)
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.head(out[:, -1])


def build(fix=False):
    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
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
    for epoch in run.epochs(EPOCHS_FIX if fix else EPOCHS):   # mutation: far too few epochs
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
