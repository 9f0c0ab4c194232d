"""Shared helpers of the fault benchmark's programs (benchmarks/faults/tune/ and heldout/).

Each program there builds a small data set and model and trains it with fitwatch; these helpers keep the programs
short. The API is kept small and stable: add to it, never change what exists.

* ``setup(seed)``: one torch thread; seeds torch, numpy and random.
* ``load(name, **kw) -> (X, y)``: numpy arrays from scikit-learn's bundled sets (digits, breast_cancer, wine, iris,
  diabetes) or generators (classification, regression, moons, blobs; ``kw`` goes to the generator). Nothing is
  downloaded.
* ``split(X, y, val=0.25, seed=0)``: a train/validation split, stratified for class labels.
* ``standardise(Xtr, Xva)``: z-scores with the training split's mean and std (a constant column is left at 0).
* ``tensors(Xtr, Xva, ytr, yva, task)``: a :class:`Data` of torch tensors: float32 inputs; int64 labels for
  ``"multiclass"``, float32 column targets (n, 1) for ``"binary"`` and ``"regression"``.
* ``batches(X, y, size, generator)``: shuffled mini-batches.
* :class:`Program` (model, optimizer, loss module, data, epochs...) and ``fit(program, run=None)``: the training
  loop, ``run.epochs(n)`` with ``run.log("train", ...)`` per batch and ``run.log("val", ...)`` per epoch (loss,
  and accuracy for classifiers); with ``run=None`` it trains without fitwatch (to measure a fault directly).
  ``on_step(program, step)`` is called after ``backward()``, before ``opt.step()`` (the gradients are there);
  ``on_epoch(program, epoch, history)`` after each epoch's validation.
* ``watch(run, model)``: ``run.watch(model)`` when the installed fitwatch has it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from sklearn import datasets
from sklearn.model_selection import train_test_split

BUNDLED = {
    "digits": datasets.load_digits,
    "breast_cancer": datasets.load_breast_cancer,
    "wine": datasets.load_wine,
    "iris": datasets.load_iris,
    "diabetes": datasets.load_diabetes,
}
GENERATED = {
    "classification": datasets.make_classification,
    "regression": datasets.make_regression,
    "moons": datasets.make_moons,
    "blobs": datasets.make_blobs,
}
TASKS = ("multiclass", "binary", "regression")


def setup(seed: int = 0) -> None:
    """One torch thread (the benchmark runs on shared CPUs); torch, numpy and random seeded."""
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def load(name: str, seed: int = 0, **kw) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of a bundled set (``kw`` ignored) or of a generator (``kw`` passed, ``random_state=seed``)."""
    if name in BUNDLED:
        X, y = BUNDLED[name](return_X_y=True)
    elif name in GENERATED:
        X, y = GENERATED[name](random_state=seed, **kw)
    else:
        raise ValueError(f"unknown data set {name!r}; one of {sorted(BUNDLED) + sorted(GENERATED)}")
    return np.asarray(X, dtype=np.float64), np.asarray(y)


def split(X, y, val: float = 0.25, seed: int = 0):
    """``Xtr, Xva, ytr, yva``: a shuffled split, stratified when ``y`` holds integer class labels."""
    strat = y if np.issubdtype(np.asarray(y).dtype, np.integer) else None
    return train_test_split(X, y, test_size=val, random_state=seed, stratify=strat)


def standardise(Xtr, Xva):
    """Both splits z-scored with the training split's column means and stds (a std of 0 counts as 1)."""
    mu, sd = Xtr.mean(0), Xtr.std(0)
    sd = np.where(sd > 0, sd, 1.0)
    return (Xtr - mu) / sd, (Xva - mu) / sd


@dataclass
class Data:
    Xtr: torch.Tensor
    ytr: torch.Tensor
    Xva: torch.Tensor
    yva: torch.Tensor


def tensors(Xtr, Xva, ytr, yva, task: str = "multiclass") -> Data:
    """Torch tensors: float32 X; int64 labels (multiclass) or float32 (n, 1) targets (binary, regression)."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")

    def y_(y):
        if task == "multiclass":
            return torch.as_tensor(np.asarray(y), dtype=torch.long)
        return torch.as_tensor(np.asarray(y), dtype=torch.float32).reshape(-1, 1)

    return Data(torch.as_tensor(np.asarray(Xtr), dtype=torch.float32), y_(ytr),
                torch.as_tensor(np.asarray(Xva), dtype=torch.float32), y_(yva))


def batches(X, y, size: int, generator: torch.Generator | None = None):
    """Shuffled mini-batches ``(xb, yb)`` of ``size`` (the last one may be smaller)."""
    idx = torch.randperm(len(X), generator=generator)
    for i in range(0, len(X), size):
        j = idx[i:i + size]
        yield X[j], y[j]


def multiclass_accuracy(out, y):
    return (out.argmax(1) == y).float().mean()


def logit_accuracy(out, y):
    """Binary accuracy of a one-logit output (a logit > 0 is class 1)."""
    return ((out > 0).float() == y).float().mean()


def probability_accuracy(out, y):
    """Binary accuracy of a probability output (> 0.5 is class 1)."""
    return ((out > 0.5).float() == y).float().mean()


@dataclass
class Program:
    """One training set-up. ``target(y)``: what the loss compares the output with (default ``y``);
    ``accuracy(out, y)``: a classifier's accuracy (default by task: argmax for multiclass, logit > 0 for binary,
    none for regression); ``scheduler``: stepped after every epoch, or after every batch with ``step_scheduler``."""

    model: torch.nn.Module
    opt: torch.optim.Optimizer
    criterion: torch.nn.Module
    data: Data
    epochs: int
    batch_size: int = 32
    task: str = "multiclass"
    target: Callable | None = None
    accuracy: Callable | None = None
    scheduler: object = None
    step_scheduler: bool = False
    seed: int = 0
    notes: dict = field(default_factory=dict)

    def acc_fn(self):
        if self.accuracy is not None:
            return self.accuracy
        return {"multiclass": multiclass_accuracy, "binary": logit_accuracy}.get(self.task)


def fit(p: Program, run=None, on_step=None, on_epoch=None) -> dict:
    """Train ``p``; log to ``run`` when given. Returns the per-epoch history (loss, val_loss, [val_]accuracy)."""
    g = torch.Generator().manual_seed(p.seed)
    acc = p.acc_fn()
    tgt = p.target or (lambda y: y)
    d = p.data
    hist: dict[str, list[float]] = {"loss": [], "val_loss": []}
    if acc is not None:
        hist["accuracy"], hist["val_accuracy"] = [], []
    step = 0
    for epoch in (run.epochs(p.epochs) if run is not None else range(p.epochs)):
        p.model.train()
        tot_loss, tot_acc, tot_n = 0.0, 0.0, 0
        for xb, yb in batches(d.Xtr, d.ytr, p.batch_size, g):
            p.opt.zero_grad()
            out = p.model(xb)
            loss = p.criterion(out, tgt(yb))
            loss.backward()
            if on_step is not None:
                on_step(p, step)
            p.opt.step()
            if p.scheduler is not None and p.step_scheduler:
                p.scheduler.step()
            step += 1
            metrics = {"loss": loss.detach()}
            if acc is not None:
                metrics["accuracy"] = acc(out.detach(), yb)
            if run is not None:
                run.log("train", n=len(yb), **metrics)
            tot_loss += float(metrics["loss"]) * len(yb)
            tot_acc += float(metrics.get("accuracy", 0.0)) * len(yb)
            tot_n += len(yb)
        if p.scheduler is not None and not p.step_scheduler:
            p.scheduler.step()
        p.model.eval()
        with torch.no_grad():
            out = p.model(d.Xva)
            vloss = p.criterion(out, tgt(d.yva))
            vm = {"loss": vloss}
            if acc is not None:
                vm["accuracy"] = acc(out, d.yva)
        if run is not None:
            run.log("val", n=len(d.yva), **vm)
        hist["loss"].append(tot_loss / tot_n)
        hist["val_loss"].append(float(vloss))
        if acc is not None:
            hist["accuracy"].append(tot_acc / tot_n)
            hist["val_accuracy"].append(float(vm["accuracy"]))
        if on_epoch is not None:
            on_epoch(p, epoch, hist)
    return hist


def watch(run, model) -> None:
    """``run.watch(model)`` (fitwatch's probes) when the installed fitwatch has it."""
    if hasattr(run, "watch"):
        run.watch(model)
