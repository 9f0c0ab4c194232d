"""Healthy control: a small MLP regressor on the diabetes data (features and target standardised)
trained with AdamW and weight decay until the validation loss levels off."""
import torch
import torch.nn as nn
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import fitwatch

EXPECT = None
WHAT = "small MLP regressor on diabetes (standardised X and y), AdamW lr 2e-3, weight decay 0.05"
EPOCHS = 40
BS = 32


def make_data(fix=False):
    X, y = load_diabetes(return_X_y=True)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=0)
    s = StandardScaler().fit(Xtr)
    m, sd = ytr.mean(), ytr.std()
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return (f(s.transform(Xtr)), f((ytr - m) / sd).unsqueeze(1),
            f(s.transform(Xva)), f((yva - m) / sd).unsqueeze(1))


def build(fix=False):
    model = nn.Sequential(
        nn.Linear(10, 8), nn.ReLU(),
        nn.Linear(8, 1),
    )
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.05)
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
