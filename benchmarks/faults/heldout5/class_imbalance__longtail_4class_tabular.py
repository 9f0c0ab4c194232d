"""A 4-class tabular classifier (make_classification, standardised; an MLP with Dropout). The working
version trains on a balanced sample; the mutation draws the data with a long-tailed class
distribution (90% / 6% / 3% / 1%), as collected logs often are: the network learns to predict the
head class, its accuracy looks high and the tail classes are almost never recalled."""
import torch
import torch.nn as nn
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import fitwatch

EXPECT = "class_imbalance"
WHAT = "4-class tabular data drawn long-tailed 90/6/3/1 (MLP with Dropout, SGD momentum)"
EPOCHS = 30
BS = 64
WEIGHTS = [0.90, 0.06, 0.03, 0.01]
SEP = 0.7


def make_data(fix=False):
    w = [0.25, 0.25, 0.25, 0.25] if fix else WEIGHTS   # mutation: long-tailed class distribution
    X, y = make_classification(n_samples=3000, n_features=16, n_informative=6, n_redundant=4,
                               n_classes=4, n_clusters_per_class=2, class_sep=SEP,
                               weights=w, flip_y=0.0, random_state=7)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    s = StandardScaler().fit(Xtr)
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return f(s.transform(Xtr)), torch.tensor(ytr), f(s.transform(Xva)), torch.tensor(yva)


def build(fix=False):
    model = nn.Sequential(
        nn.Linear(16, 64), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(64, 4),
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
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
