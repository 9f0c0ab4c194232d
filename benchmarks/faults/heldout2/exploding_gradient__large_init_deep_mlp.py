import numpy as np
import torch
import torch.nn as nn
import fitwatch
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

EXPECT = "exploding_gradient"
WHAT = "6-layer 256-wide ReLU MLP initialised with normal(std=0.25) (x2.8 gain per layer), no normalisation, SGD: activations and gradients blow up (loss ~190 at start)"


def _data():
    X, y = make_classification(n_samples=2400, n_features=20, n_informative=10, n_classes=3,
                               n_clusters_per_class=2, random_state=7)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    mu, sd = Xtr.mean(0), Xtr.std(0)
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return f((Xtr - mu) / sd), torch.tensor(ytr), f((Xva - mu) / sd), torch.tensor(yva)


def build():
    layers, d = [], 20
    for _ in range(6):
        layers += [nn.Linear(d, 256), nn.ReLU()]
        d = 256
    layers.append(nn.Linear(256, 3))
    model = nn.Sequential(*layers)
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0.0, std=0.25)
            nn.init.zeros_(m.bias)
    return model


def main(dir: str) -> str:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    Xtr, ytr, Xva, yva = _data()
    model = build()
    opt = torch.optim.SGD(model.parameters(), lr=3e-4)
    criterion = nn.CrossEntropyLoss()
    run = fitwatch.Run("program", dir=dir, diagnose=False)
    run.watch(model)
    g = torch.Generator().manual_seed(1)
    for epoch in run.epochs(12):
        model.train()
        perm = torch.randperm(len(Xtr), generator=g)
        for i in range(0, len(Xtr), 64):
            idx = perm[i:i + 64]
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
