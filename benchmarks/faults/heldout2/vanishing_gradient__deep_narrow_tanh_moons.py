import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset
import fitwatch
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split

EXPECT = "vanishing_gradient"
WHAT = "20-layer, 10-wide Tanh MLP with PyTorch default init on make_moons, SGD+momentum: signal and gradient decay with depth"


class DeepNarrow(nn.Module):
    def __init__(self, depth=20, width=10):
        super().__init__()
        blocks = [nn.Linear(2, width), nn.Tanh()]
        for _ in range(depth - 1):
            blocks += [nn.Linear(width, width), nn.Tanh()]
        self.body = nn.Sequential(*blocks)
        self.out = nn.Linear(width, 2)

    def forward(self, x):
        return self.out(self.body(x))


def main(dir: str) -> str:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    X, y = make_moons(n_samples=1500, noise=0.2, random_state=5)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.3, random_state=0)
    mu, sd = Xtr.mean(0), Xtr.std(0)
    Xtr = torch.tensor((Xtr - mu) / sd, dtype=torch.float32)
    Xva = torch.tensor((Xva - mu) / sd, dtype=torch.float32)
    ytr, yva = torch.tensor(ytr), torch.tensor(yva)
    loader = DataLoader(TensorDataset(Xtr, ytr), batch_size=32, shuffle=True,
                        generator=torch.Generator().manual_seed(1))
    model = DeepNarrow()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    criterion = nn.CrossEntropyLoss()
    run = fitwatch.Run("program", dir=dir, diagnose=False)
    run.watch(model)
    for epoch in run.epochs(20):
        model.train()
        for xb, yb in loader:
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
