"""Shared data builders and the training loop for the heldout3 fault programs.

Programs load this file by path (importlib), so it never clashes with another folder's _data.
"""
import numpy as np
import torch
import torch.nn as nn
from sklearn import datasets
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

torch.set_num_threads(1)


def _t(a, dtype=torch.float32):
    return torch.tensor(np.asarray(a), dtype=dtype)


def split(X, y, seed=0, test=0.25, scale=True, stratify=True, ydtype=torch.long):
    Xtr, Xv, ytr, yv = train_test_split(X, y, test_size=test, random_state=seed,
                                        stratify=y if stratify else None)
    if scale:
        sc = StandardScaler().fit(Xtr)
        Xtr, Xv = sc.transform(Xtr), sc.transform(Xv)
    return _t(Xtr), _t(ytr, ydtype), _t(Xv), _t(yv, ydtype)


def digits(scale="unit"):
    """8x8 digits: scale 'unit' -> pixels/16, 'std' -> standardised, 'raw' -> 0..16."""
    d = datasets.load_digits()
    X, y = d.data.astype(np.float32), d.target
    Xtr, Xv, ytr, yv = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    if scale == "unit":
        Xtr, Xv = Xtr / 16.0, Xv / 16.0
    elif scale == "std":
        sc = StandardScaler().fit(Xtr)
        Xtr, Xv = sc.transform(Xtr), sc.transform(Xv)
    return _t(Xtr), _t(ytr, torch.long), _t(Xv), _t(yv, torch.long)


def as_images(X):
    return X.reshape(-1, 1, 8, 8)


def sequences(n=1200, length=20, seed=0, kind="sign"):
    """Generated sequences (n, length, 1).
    kind='sign': class 1 when the running sum of a noisy signal ends positive;
    kind='freq': 3 classes, sinusoid frequency; kind='reg': target = weighted mean of the sequence."""
    g = np.random.RandomState(seed)
    if kind == "sign":
        X = g.randn(n, length, 1).astype(np.float32)
        y = (X[:, :, 0].sum(1) > 0).astype(np.int64)
    elif kind == "freq":
        y = g.randint(0, 3, n)
        t = np.arange(length)
        f = np.array([0.1, 0.25, 0.4])[y]
        ph = g.uniform(0, 2 * np.pi, n)
        X = (np.sin(2 * np.pi * f[:, None] * t[None] + ph[:, None]) + 0.3 * g.randn(n, length)).astype(np.float32)[:, :, None]
        y = y.astype(np.int64)
    else:
        X = g.randn(n, length, 1).astype(np.float32)
        w = np.linspace(0.2, 1.0, length)
        y = ((X[:, :, 0] * w).sum(1) / np.sqrt((w ** 2).sum())).astype(np.float32)[:, None]
    cut = int(0.75 * n)
    ydt = torch.long if y.dtype == np.int64 else torch.float32
    return _t(X[:cut]), _t(y[:cut], ydt), _t(X[cut:]), _t(y[cut:], ydt)


def accuracy(out, y, kind):
    if kind == "argmax":
        return (out.argmax(1) == y).float().mean()
    if kind == "logit":
        return ((out > 0).float() == y).float().mean()
    if kind == "prob":
        return ((out > 0.5).float() == y).float().mean()
    return None


class _NoRun:
    def watch(self, *a, **k):
        pass

    def epochs(self, n):
        return range(n)

    def log(self, *a, **k):
        pass

    def finish(self):
        pass


def fit(name, dir, model, opt, crit, data, epochs, bs=64, acc="argmax", sched=None, clip=None,
        seed=0, on_step=None, on_epoch=None, use_run=True):
    """The shared training loop: fitwatch.Run, watch, epochs of train+val, finish."""
    import fitwatch
    torch.set_num_threads(1)
    Xtr, ytr, Xv, yv = data
    run = fitwatch.Run(name, dir=dir, diagnose=False) if use_run else _NoRun()
    if hasattr(run, "watch"):
        run.watch(model)
    g = torch.Generator().manual_seed(seed)
    n = len(Xtr)
    for epoch in run.epochs(epochs):
        model.train()
        perm = torch.randperm(n, generator=g)
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            xb, yb = Xtr[idx], ytr[idx]
            opt.zero_grad()
            out = model(xb)
            loss = crit(out, yb)
            loss.backward()
            if on_step is not None:
                on_step(model, loss)
            if clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            a = accuracy(out.detach(), yb, acc)
            if a is None:
                run.log("train", loss=loss.detach(), n=len(yb))
            else:
                run.log("train", loss=loss.detach(), accuracy=a, n=len(yb))
        if sched is not None:
            sched.step()
        model.eval()
        with torch.no_grad():
            out = model(Xv)
            vl = crit(out, yv)
            a = accuracy(out, yv, acc)
            if a is None:
                run.log("val", loss=vl, n=len(yv))
            else:
                run.log("val", loss=vl, accuracy=a, n=len(yv))
        if on_epoch is not None:
            on_epoch(model, epoch, vl.item(), None if a is None else a.item())
    run.finish()
    return name
