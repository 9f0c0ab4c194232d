"""fitwatch held-out program (heldout4). healthy: GRU classifying whether a noisy 12-step sequence trends up or down, Adam, trained until validation flattens"""
import numpy as np
import torch
import torch.nn as nn
import fitwatch
from sklearn import datasets
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

EXPECT = None
WHAT = 'healthy: GRU classifying whether a noisy 12-step sequence trends up or down, Adam, trained until validation flattens'
EPOCHS = 25
BATCH = 64
CLASSIFY = True


class GRUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(2, 32, batch_first=True)
        self.head = nn.Sequential(nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2))

    def forward(self, x):
        h, _ = self.gru(x)
        return self.head(h[:, -1])


def data():
    rng = np.random.default_rng(0)
    n, T = 1600, 12
    y = rng.integers(0, 2, n)
    slope = np.where(y == 1, 1.0, -1.0)[:, None] * rng.uniform(0.05, 0.2, (n, 1))
    t = np.arange(T)[None, :]
    a = slope * t + rng.normal(0, 0.5, (n, T))
    b = rng.normal(0, 1, (n, T))
    X = np.stack([a, b], axis=2)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=0)
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return f(Xtr), torch.tensor(ytr), f(Xva), torch.tensor(yva)


def build():
    torch.manual_seed(0)
    model = GRUNet()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return model, opt, nn.CrossEntropyLoss()


def clip(model):
    pass


def main(dir: str) -> str:
    torch.set_num_threads(1)
    Xtr, ytr, Xva, yva = data()
    model, opt, crit = build()
    run = fitwatch.Run("program", dir=dir, diagnose=False)
    run.watch(model)
    g = torch.Generator().manual_seed(1)
    for epoch in run.epochs(EPOCHS):
        model.train()
        perm = torch.randperm(len(Xtr), generator=g)
        for i in range(0, len(Xtr), BATCH):
            idx = perm[i:i + BATCH]
            xb, yb = Xtr[idx], ytr[idx]
            opt.zero_grad()
            out = model(xb)
            loss = crit(out, yb)
            loss.backward()
            clip(model)
            opt.step()
            if CLASSIFY:
                run.log("train", loss=loss.detach(), accuracy=(out.argmax(1) == yb).float().mean(), n=len(yb))
            else:
                run.log("train", loss=loss.detach(), n=len(yb))
        model.eval()
        with torch.no_grad():
            out = model(Xva)
            if CLASSIFY:
                run.log("val", loss=crit(out, yva), accuracy=(out.argmax(1) == yva).float().mean(), n=len(yva))
            else:
                run.log("val", loss=crit(out, yva), n=len(yva))
    run.finish()
    return "program"


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
