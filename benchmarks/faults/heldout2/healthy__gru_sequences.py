import math
import torch
import torch.nn as nn
import fitwatch

EXPECT = None
WHAT = "healthy control: GRU classifier of noisy synthetic sine sequences (3 frequency classes), Adam 3e-3"


def _data(n, seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    t = torch.arange(24).float()
    freq = torch.tensor([0.2, 0.27, 0.34])[y]
    phase = torch.rand(n, generator=g) * 2 * math.pi
    s = torch.sin(freq[:, None] * t[None, :] * 2 + phase[:, None])
    x = torch.stack([s, torch.cos(freq[:, None] * t[None, :] * 2 + phase[:, None])], -1)
    x = x + 1.0 * torch.randn(x.shape, generator=g)
    return x, y


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(2, 32, batch_first=True)
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        _, h = self.rnn(x)
        return self.head(h[-1])


def main(dir: str) -> str:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    Xtr, ytr = _data(1200, 1)
    Xva, yva = _data(400, 2)
    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    criterion = nn.CrossEntropyLoss()
    run = fitwatch.Run("program", dir=dir, diagnose=False)
    run.watch(model)
    g = torch.Generator().manual_seed(3)
    for epoch in run.epochs(20):
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
