"""An MLP regressor on Friedman #1 data (standardised inputs and targets). Before splitting, the rows
are sorted by the first feature (to make the split reproducible). The working version applies the
same order to the targets; the mutation reorders only X, so each row gets another row's target and
the targets no longer depend on the inputs."""
import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import make_friedman1
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import fitwatch

EXPECT = "label_problem"
WHAT = "Friedman #1 regression whose targets were left in the old order after sorting the feature rows (AdamW)"
EPOCHS = 40
BS = 64


def make_data(fix=False):
    X, y = make_friedman1(n_samples=2000, n_features=10, noise=0.5, random_state=0)
    order = np.argsort(X[:, 0], kind="stable")
    X = X[order]
    if fix:                          # mutation: the targets are not reordered with the features
        y = y[order]
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=0)
    s = StandardScaler().fit(Xtr)
    m, sd = ytr.mean(), ytr.std()
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return (f(s.transform(Xtr)), f((ytr - m) / sd).unsqueeze(1),
            f(s.transform(Xva)), f((yva - m) / sd).unsqueeze(1))


def build(fix=False):
    model = nn.Sequential(
        nn.Linear(10, 64), nn.ReLU(),
        nn.Linear(64, 64), nn.ReLU(),
        nn.Linear(64, 1),
    )
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-3)
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
