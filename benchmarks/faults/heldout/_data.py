"""Small helpers shared by the held-out fault programs: data, seeding and one training loop.

Data come only from scikit-learn's bundled sets and generators (nothing is downloaded). The training
loop is the plain PyTorch loop of fitwatch's README: ``run.watch(model)`` when it exists, then per
batch ``zero_grad / model(x) / criterion(out, target) / backward / step`` and ``run.log``.

The programs load this file under the unique module name ``fw_heldout_data`` (see ``load()`` at the
top of each program), so a runner that also imports the tuning half, which may have its own
``_data.py``, never mixes the two.

Measurement (for the README's evidence, never used by fitwatch): with ``MEASURE = True`` (or the
environment variable ``FW_HELDOUT_MEASURE=1``) the loop also records, in ``LAST``, per-epoch losses
and accuracies, the gradient norms of the first and the last layer, the share of dead ReLU units and
of saturated Sigmoid/Tanh units on the validation set, and the predicted class counts.
"""
from __future__ import annotations

import math
import os

import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)

MEASURE = os.environ.get("FW_HELDOUT_MEASURE") == "1"
LAST: dict = {}


def seed(s: int) -> None:
    torch.manual_seed(s)
    np.random.seed(s)


# --- data -----------------------------------------------------------------------------------------
def split(X, y, *, seed=0, val=0.25, standardize=True, stratify=True, y_dtype=torch.long):
    """Train/val split of numpy arrays into float32 tensors; standardise X with the train statistics."""
    from sklearn.model_selection import train_test_split

    strat = y if (stratify and y_dtype == torch.long) else None
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=val, random_state=seed, stratify=strat)
    Xtr = np.asarray(Xtr, dtype=np.float64)
    Xva = np.asarray(Xva, dtype=np.float64)
    if standardize:
        mu, sd = Xtr.mean(0), Xtr.std(0)
        sd[sd == 0] = 1.0
        Xtr, Xva = (Xtr - mu) / sd, (Xva - mu) / sd
    f = lambda a: torch.tensor(np.asarray(a), dtype=torch.float32)
    g = lambda a: torch.tensor(np.asarray(a), dtype=y_dtype)
    return f(Xtr), f(Xva), g(ytr), g(yva)


def sequences(n=1200, length=24, seed=0, kind="order"):
    """A generated sequence task, shape (n, length, 2), 3 classes.

    ``order``: channel 0 is noise with two bumps (a +1 and a -1 marker at random times); the class
    says whether the +1 marker comes first (0), second (1), or both fall in the last quarter (2).
    Channel 1 is a slowly varying distractor. Needs memory across time steps; a small GRU or a
    dilated 1-d conv solves it.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 0.3, size=(n, length, 2)).astype(np.float32)
    X[:, :, 1] = np.cumsum(rng.normal(0, 0.2, size=(n, length)), axis=1)
    y = np.zeros(n, dtype=np.int64)
    for i in range(n):
        c = rng.integers(3)
        if c == 2:
            a, b = rng.choice(np.arange(3 * length // 4, length), 2, replace=False)
        else:
            a, b = rng.choice(np.arange(0, 3 * length // 4), 2, replace=False)
            if (a < b) != (c == 0):
                a, b = b, a
        X[i, a, 0] += 1.5
        X[i, b, 0] -= 1.5
        y[i] = c
    return X, y


def seq_split(X, y, *, seed=0, val=0.25):
    n = len(y)
    rng = np.random.default_rng(seed)
    idx = rng.permutation(n)
    k = int(n * (1 - val))
    t = lambda a, dt: torch.tensor(a, dtype=dt)
    return (t(X[idx[:k]], torch.float32), t(X[idx[k:]], torch.float32),
            t(y[idx[:k]], torch.long), t(y[idx[k:]], torch.long))


# --- metrics --------------------------------------------------------------------------------------
def acc_argmax(out, y):
    return (out.argmax(1) == y).float().mean()


def acc_binary_logit(out, y):
    """out: (n, 1) logits or probabilities threshold 0 (logits); y: (n, 1) float 0/1."""
    return ((out > 0).float() == y).float().mean()


def acc_binary_prob(out, y):
    return ((out > 0.5).float() == y).float().mean()


# --- the training loop ----------------------------------------------------------------------------
def train(name, dir, model, criterion, opt, Xtr, ytr, Xva, yva, *, epochs, batch_size,
          accuracy=None, scheduler=None, config=None, shuffle_seed=0, clip=None):
    """Train ``model`` with fitwatch recording; returns the run's name.

    ``accuracy(out, y)``: a classifier's accuracy from the model output (None for a regression).
    ``ytr``/``yva`` are passed to ``criterion`` as they are (already shaped for it).
    """
    import fitwatch

    run = fitwatch.Run(name, dir=dir, diagnose=False, config=dict(config or {}))
    if hasattr(run, "watch"):
        run.watch(model)
    meas = _Meter(model) if (MEASURE or os.environ.get("FW_HELDOUT_MEASURE") == "1") else None
    gen = torch.Generator().manual_seed(shuffle_seed)
    n = len(ytr)
    for epoch in run.epochs(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            xb, yb = Xtr[idx], ytr[idx]
            opt.zero_grad()
            out = model(xb)
            loss = criterion(out, yb)
            loss.backward()
            if meas is not None:
                meas.step(loss)
            if clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            if accuracy is None:
                run.log("train", loss=loss.detach(), n=len(yb))
            else:
                run.log("train", loss=loss.detach(), accuracy=accuracy(out.detach(), yb), n=len(yb))
        if scheduler is not None:
            scheduler.step()
        model.eval()
        with torch.no_grad():
            if meas is not None:
                meas.hook()
            out = model(Xva)
            if meas is not None:
                meas.unhook()
            vloss = criterion(out, yva)
            if accuracy is None:
                run.log("val", loss=vloss, n=len(yva))
            else:
                run.log("val", loss=vloss, accuracy=accuracy(out, yva), n=len(yva))
        if meas is not None:
            meas.epoch_end(run, out, yva, accuracy)
    run.finish()
    if meas is not None:
        meas.history = {k: list(v) for k, v in run.history.items()}
        LAST.clear()
        LAST.update(meas.result(), name=name, model=model, Xva=Xva, yva=yva, Xtr=Xtr, ytr=ytr)
    return name


class _Meter:
    """Direct torch measurement of the training (for the README's evidence only)."""

    ACT = (nn.ReLU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.Softmax, nn.ELU, nn.Hardtanh)

    def __init__(self, model):
        self.model = model
        layers = [(n, m) for n, m in model.named_modules()
                  if any(p.requires_grad for p in m.parameters(recurse=False))]
        self.first, self.last = layers[0], layers[-1]
        self.acts = [(n, m) for n, m in model.named_modules() if isinstance(m, self.ACT)]
        self.g_first, self.g_last, self.g_total, self.step_losses = [], [], [], []
        self.ep = {"g_first": [], "g_last": [], "g_total": [], "g_total_max": [], "loss_max": [], "dead": [], "sat": [],
                   "val_pred_counts": [], "nonfinite_steps": []}
        self._cur = []
        self._handles = []
        self._acts_out = {}
        self.nonfinite = 0

    def _gnorm(self, m):
        gs = [p.grad for p in m.parameters(recurse=False) if p.grad is not None]
        if not gs:
            return float("nan")
        return float(torch.sqrt(sum((g.double() ** 2).sum() for g in gs)))

    def step(self, loss):
        gf, gl = self._gnorm(self.first[1]), self._gnorm(self.last[1])
        gt = float(torch.sqrt(sum((p.grad.double() ** 2).sum() for p in self.model.parameters()
                                  if p.grad is not None)))
        self._cur.append((gf, gl, gt))
        lv = float(loss.detach())
        self.step_losses.append(lv)
        if not math.isfinite(lv) or not math.isfinite(gt):
            self.nonfinite += 1

    def hook(self):
        self._acts_out = {}
        for n, m in self.acts:
            self._handles.append(m.register_forward_hook(
                lambda mod, inp, out, n=n: self._acts_out.__setitem__(n, (mod, out.detach()))))

    def unhook(self):
        for h in self._handles:
            h.remove()
        self._handles = []

    def epoch_end(self, run, out, yva, accuracy):
        c = np.array(self._cur, dtype=float) if self._cur else np.full((1, 3), np.nan)
        self._cur = []
        med = lambda a: float(np.nanmedian(a)) if np.isfinite(a).any() else float("nan")
        self.ep["g_first"].append(med(c[:, 0]))
        self.ep["g_last"].append(med(c[:, 1]))
        self.ep["g_total"].append(med(c[:, 2]))
        self.ep["g_total_max"].append(float(np.nanmax(c[:, 2])) if np.isfinite(c[:, 2]).any() else float("nan"))
        self.ep["loss_max"].append(float(np.nanmax(self.step_losses[-len(c):])) if np.isfinite(self.step_losses[-len(c):]).any() else float("nan"))
        dead, sat = {}, {}
        for n, (mod, a) in self._acts_out.items():
            flat = a.reshape(a.shape[0], -1)
            if isinstance(mod, (nn.ReLU,)):
                dead[n] = float((flat <= 0).all(0).float().mean())
            elif isinstance(mod, nn.LeakyReLU):
                dead[n] = float((flat <= 0).all(0).float().mean())
            elif isinstance(mod, nn.Sigmoid):
                sat[n] = float(((flat < 0.01) | (flat > 0.99)).float().mean())
            elif isinstance(mod, (nn.Tanh, nn.Hardtanh)):
                sat[n] = float((flat.abs() > 0.99).float().mean())
        self.ep["dead"].append(dead)
        self.ep["sat"].append(sat)
        if accuracy is not None and out.dim() == 2 and out.shape[1] > 1:
            self.ep["val_pred_counts"].append(np.bincount(out.argmax(1).numpy(),
                                                          minlength=out.shape[1]).tolist())
        self.ep["nonfinite_steps"].append(self.nonfinite)

    def result(self):
        return {**self.ep, "history": self.history, "step_losses": self.step_losses,
                "first_layer": self.first[0], "last_layer": self.last[0]}
