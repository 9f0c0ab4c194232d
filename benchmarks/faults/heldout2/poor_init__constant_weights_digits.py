import numpy as np
import torch
import torch.nn as nn
import fitwatch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

EXPECT = "poor_init"
WHAT = "ReLU MLP on digits with nn.init.constant_(weight, 0.01) and zero biases in every layer, Adam: all hidden units stay identical (symmetry never broken)"


def _data():
    X, y = load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=6, stratify=y)
    Xtr, Xva = Xtr / 16.0, Xva / 16.0
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return f(Xtr), torch.tensor(ytr), f(Xva), torch.tensor(yva)


def main(dir: str) -> str:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    Xtr, ytr, Xva, yva = _data()
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.01)
            nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    run = fitwatch.Run("program", dir=dir, diagnose=False)
    run.watch(model)
    g = torch.Generator().manual_seed(1)
    for epoch in run.epochs(20):
        model.train()
        perm = torch.randperm(len(Xtr), generator=g)
        for i in range(0, len(Xtr), 32):
            idx = perm[i:i + 32]
            xb, yb = Xtr[idx], ytr[idx]
            opt.zero_grad()
            out = model(xb)
            loss = criterion(out, yb)
            loss.backward()
            opt.step()
            run.log("train", loss=loss.detach(), accuracy=(out.argmax(1) == yb).float().mean(), n=len(yb))
        model.eval()
        with torch.no_grad():
            out = model(Xva)
            run.log("val", loss=criterion(out, yva), accuracy=(out.argmax(1) == yva).float().mean(), n=len(yva))
    run.finish()
    return "program"


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
