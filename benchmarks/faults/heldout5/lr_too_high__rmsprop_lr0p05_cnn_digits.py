"""A small CNN on the 8x8 digit images trained with RMSprop. The working version uses RMSprop's usual
lr=5e-4; the mutation sets lr=0.05 ("RMSprop normalises the step anyway"), so every update moves each
weight by about the learning rate: the loss jumps around far above the working run and the accuracy
never settles."""
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import fitwatch

EXPECT = "lr_too_high"
WHAT = "CNN on 8x8 digits with RMSprop lr=0.05 instead of 5e-4 (ELU CNN)"
EPOCHS = 20
BS = 64
LR = 0.05


def make_data(fix=False):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=1, stratify=y)
    f = lambda a: torch.tensor(a, dtype=torch.float32).view(-1, 1, 8, 8)
    return f(Xtr), torch.tensor(ytr), f(Xva), torch.tensor(yva)


def build(fix=False):
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ELU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.ELU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 64), nn.ELU(),
        nn.Linear(64, 10),
    )
    lr = 5e-4 if fix else LR           # mutation: learning rate 100x too high
    opt = torch.optim.RMSprop(model.parameters(), lr=lr)
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
