"""An MLP for the 64-pixel digits. The working version has 10 output logits trained with
CrossEntropyLoss; the mutation treats the class index as a number: one linear output trained with
MSELoss against the label 0..9 and rounded for the prediction, so "3" is scored as closer to "4" than
to "8" and the network is pushed towards the average digit."""
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import fitwatch

EXPECT = "loss_output_mismatch"
WHAT = "digits MLP with a single output regressed with MSELoss onto the class index 0..9 (Adam)"
EPOCHS = 30
BS = 64


def make_data(fix=False):
    X, y = load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=2, stratify=y)
    s = StandardScaler().fit(Xtr)
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    if fix:
        return f(s.transform(Xtr)), torch.tensor(ytr), f(s.transform(Xva)), torch.tensor(yva)
    # mutation: class index as a float regression target
    return f(s.transform(Xtr)), f(ytr).unsqueeze(1), f(s.transform(Xva)), f(yva).unsqueeze(1)


def build(fix=False):
    model = nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(128, 64), nn.ReLU(),
        nn.Linear(64, 10 if fix else 1),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    crit = nn.CrossEntropyLoss() if fix else nn.MSELoss()
    return model, opt, crit


def batches(X, y, epoch):
    g = torch.Generator().manual_seed(epoch)
    idx = torch.randperm(len(X), generator=g)
    for i in range(0, len(X), BS):
        j = idx[i:i + BS]
        yield X[j], y[j]


def acc(out, y):
    if out.shape[1] == 1:
        return (out.round().clamp(0, 9) == y).float().mean().item()
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
