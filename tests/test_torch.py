"""A real PyTorch loop: fitwatch's epoch values equal the hand-made sample-weighted bookkeeping."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_moons

import fitwatch


def loaders(seed=0):
    X, y = make_moons(n_samples=530, noise=0.25, random_state=seed)  # 430 train: last batch of 14
    X = torch.tensor(X, dtype=torch.float32)
    y = torch.tensor(y)
    train = torch.utils.data.TensorDataset(X[:430], y[:430])
    val = torch.utils.data.TensorDataset(X[430:], y[430:])
    g = torch.Generator().manual_seed(seed)
    return (torch.utils.data.DataLoader(train, batch_size=32, shuffle=True, generator=g),
            torch.utils.data.DataLoader(val, batch_size=40))  # 100 val samples: last batch of 20


def test_real_loop_matches_manual_weighted_means(store_dir):
    torch.manual_seed(0)
    train_loader, val_loader = loaders()
    model = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.Tanh(), torch.nn.Linear(32, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    per_sample = torch.nn.CrossEntropyLoss(reduction="none")
    manual = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    with fitwatch.Run("moons", config={"lr": 0.1}) as run:
        for epoch in run.epochs(6):
            sums = {k: 0.0 for k in manual}
            counts = {"train": 0, "val": 0}
            model.train()
            for x, y in train_loader:
                out = model(x)
                losses = per_sample(out, y)
                loss = losses.mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                acc = (out.argmax(1) == y).float().mean()
                run.log("train", loss=loss, accuracy=acc, n=len(y))
                sums["loss"] += loss.item() * len(y)
                sums["accuracy"] += acc.item() * len(y)
                counts["train"] += len(y)
            model.eval()
            with torch.no_grad():
                for x, y in val_loader:
                    out = model(x)
                    losses = per_sample(out, y)  # per-sample losses: weighted by their length
                    run.log("val", loss=losses, accuracy=(out.argmax(1) == y).float())
                    sums["val_loss"] += losses.sum().item()
                    sums["val_accuracy"] += (out.argmax(1) == y).float().sum().item()
                    counts["val"] += len(y)
            for k in manual:
                manual[k].append(sums[k] / counts["val" if k.startswith("val") else "train"])
    data = fitwatch.load("moons")
    for k, values in manual.items():
        np.testing.assert_allclose(data.history[k], values, rtol=1e-6)
    assert data.history["loss"][-1] < data.history["loss"][0]  # it learned
    steps = data.steps()
    assert len(steps[("train", "loss")][0]) == 6 * 14 and len(steps[("val", "loss")][0]) == 6 * 3
    # the stored epoch n is the number of samples seen
    import sqlite3
    con = sqlite3.connect(run.store.path)
    ns = dict(con.execute("SELECT split, MAX(n) FROM epochs WHERE metric='loss' GROUP BY split"))
    assert ns == {"train": 430, "val": 100}


def test_the_mean_of_batch_means_would_differ(store_dir):
    # guard that the fixture really has uneven batches, so the test above can fail
    train_loader, _ = loaders()
    sizes = [len(y) for _, y in train_loader]
    assert sizes[-1] == 14 and set(sizes[:-1]) == {32}
    with fitwatch.Run("uneven-real") as run:
        for _ in run.epochs(1):
            for i, (x, y) in enumerate(train_loader):
                run.log("train", loss=float(i == len(sizes) - 1), n=len(y))
    assert run.history["loss"][0] == pytest.approx(14 / 430)
    assert run.history["loss"][0] != pytest.approx(1 / len(sizes))
