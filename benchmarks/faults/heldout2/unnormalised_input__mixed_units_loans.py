import numpy as np
import torch
import torch.nn as nn
import fitwatch
from sklearn.model_selection import train_test_split

EXPECT = "unnormalised_input"
WHAT = "synthetic loan table in raw units (income in dollars, loan amount, age in years, ratios 0-1, counts) fed unscaled to a GELU MLP with Adam"


def _data():
    rng = np.random.default_rng(21)
    n = 4000
    income = rng.lognormal(10.8, 0.5, n)            # dollars, ~50k
    loan = rng.lognormal(9.5, 0.7, n)               # dollars, ~13k
    age = rng.uniform(21, 70, n)                    # years
    debt_ratio = rng.beta(2, 5, n)                  # 0..1
    utilisation = rng.beta(2, 3, n)                 # 0..1
    n_accounts = rng.poisson(6, n).astype(float)
    late_payments = rng.poisson(1.0, n).astype(float)
    z = (-1.2 * np.log(loan / income) - 4.0 * debt_ratio - 3.0 * utilisation
         - 0.6 * late_payments + 0.02 * (age - 45) + 0.08 * n_accounts - 1.0)
    y = (z + rng.normal(0, 0.5, n) > 0).astype(np.float32)
    X = np.stack([income, loan, age, debt_ratio, utilisation, n_accounts, late_payments], 1)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return f(Xtr), f(ytr)[:, None], f(Xva), f(yva)[:, None]


def main(dir: str) -> str:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    Xtr, ytr, Xva, yva = _data()
    model = nn.Sequential(nn.Linear(7, 64), nn.GELU(), nn.Linear(64, 32), nn.GELU(), nn.Linear(32, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.BCEWithLogitsLoss()
    run = fitwatch.Run("program", dir=dir, diagnose=False)
    run.watch(model)
    g = torch.Generator().manual_seed(1)
    for epoch in run.epochs(25):
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
            run.log("train", loss=loss.detach(), accuracy=((out > 0).float() == yb).float().mean(), n=len(yb))
        model.eval()
        with torch.no_grad():
            out = model(Xva)
            run.log("val", loss=criterion(out, yva), accuracy=((out > 0).float() == yva).float().mean(), n=len(yva))
    run.finish()
    return "program"


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
