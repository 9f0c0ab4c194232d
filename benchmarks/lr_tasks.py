"""Training tasks for the learning-rate range test benchmark (``benchmarks/lr_grid.py``).

Each :class:`Task` is a small, healthy training setup (standardised inputs, standard architectures and
optimizers) that runs in a few seconds on one CPU thread. The task set mixes kinds of model (MLP, CNN, GRU,
LSTM, Conv1d, a deeper MLP with BatchNorm and Dropout), of loss (cross-entropy, BCE, MSE) and of optimizer
(SGD with momentum 0.9, Adam, AdamW, RMSprop), so that a suggestion rule is judged on more than one shape of
loss-versus-learning-rate curve.

* ``TASKS``: the list of tasks; ``by_name(name)`` finds one.
* ``Task.make(seed) -> Setup``: a fresh model (initialised under ``torch.manual_seed(seed)``), a train loader
  shuffled by a ``torch.Generator`` seeded with ``seed``, a validation loader, the loss module, the
  optimizer factory ``optimizer(params, lr)`` and the epoch budget.
* ``train(task, lr, seed) -> dict``: trains from scratch for the budget and returns the validation curve.

The data are the same for every seed (the split and the generated sequences use a fixed ``random_state``);
the seed changes the initial weights, the shuffling order and dropout. Nothing is downloaded: scikit-learn's
bundled sets and generators, and numpy-generated sequences.

Run ``python benchmarks/lr_tasks.py`` to time one training run of every task at a sensible rate.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
import torch
from sklearn import datasets
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

DATA_SEED = 0  # the split and the generated data do not depend on the run's seed


# ----------------------------------------------------------------------------------------------- data


def _standardise(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """z-scores with the training part's statistics (over axis 0; a constant column stays at 0)."""
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return [((a - mean) / std).astype(np.float32) for a in (train, *others)]


def _split(X: np.ndarray, y: np.ndarray, val: float = 0.25, stratify: bool = True):
    return train_test_split(X, y, test_size=val, random_state=DATA_SEED, stratify=y if stratify else None)


@dataclass(frozen=True)
class Data:
    Xtr: np.ndarray
    ytr: np.ndarray
    Xva: np.ndarray
    yva: np.ndarray


def _tabular(X, y, *, classes: bool, val: float = 0.25) -> Data:
    Xtr, Xva, ytr, yva = _split(X, y, val, stratify=classes)
    Xtr, Xva = _standardise(Xtr, Xva)
    if classes:
        return Data(Xtr, ytr.astype(np.int64), Xva, yva.astype(np.int64))
    ytr, yva = _standardise(ytr.reshape(-1, 1).astype(np.float64), yva.reshape(-1, 1).astype(np.float64))
    return Data(Xtr, ytr, Xva, yva)


@lru_cache(maxsize=None)
def data_digits() -> Data:
    X, y = datasets.load_digits(return_X_y=True)
    return _tabular(X.astype(np.float64), y, classes=True, val=0.2)


@lru_cache(maxsize=None)
def data_digits_images() -> Data:
    """Digits as 1x8x8 images, standardised with one mean and std over all training pixels."""
    X, y = datasets.load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = _split(X.astype(np.float64), y, 0.2)
    mean, std = Xtr.mean(), Xtr.std()
    Xtr = ((Xtr - mean) / std).astype(np.float32).reshape(-1, 1, 8, 8)
    Xva = ((Xva - mean) / std).astype(np.float32).reshape(-1, 1, 8, 8)
    return Data(Xtr, ytr.astype(np.int64), Xva, yva.astype(np.int64))


@lru_cache(maxsize=None)
def data_diabetes() -> Data:
    X, y = datasets.load_diabetes(return_X_y=True, scaled=False)
    return _tabular(X.astype(np.float64), y.astype(np.float64), classes=False, val=0.2)


@lru_cache(maxsize=None)
def data_cancer() -> Data:
    X, y = datasets.load_breast_cancer(return_X_y=True)
    d = _tabular(X, y, classes=True)
    return Data(d.Xtr, d.ytr.astype(np.float32).reshape(-1, 1), d.Xva, d.yva.astype(np.float32).reshape(-1, 1))


@lru_cache(maxsize=None)
def data_friedman() -> Data:
    X, y = datasets.make_friedman1(n_samples=2000, n_features=10, noise=1.0, random_state=DATA_SEED)
    return _tabular(X, y, classes=False)


@lru_cache(maxsize=None)
def data_iris() -> Data:
    X, y = datasets.load_iris(return_X_y=True)
    return _tabular(X, y, classes=True, val=0.3)


@lru_cache(maxsize=None)
def data_classification() -> Data:
    X, y = datasets.make_classification(
        n_samples=3000, n_features=40, n_informative=20, n_redundant=10, n_classes=5,
        n_clusters_per_class=2, class_sep=1.0, flip_y=0.02, random_state=DATA_SEED,
    )
    return _tabular(X, y, classes=True, val=0.25)


def _seq_standardise(Xtr: np.ndarray, Xva: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One mean and std per channel over all training time steps (sequences are (n, time, channels))."""
    mean = Xtr.mean(axis=(0, 1), keepdims=True)
    std = Xtr.std(axis=(0, 1), keepdims=True)
    return ((Xtr - mean) / std).astype(np.float32), ((Xva - mean) / std).astype(np.float32)


@lru_cache(maxsize=None)
def data_seq_frequency() -> Data:
    """Noisy oscillations of 4 frequency bands (the class), random phase and amplitude, 2 channels.

    Channel 0 is the signal plus noise, channel 1 is its first difference; 24 steps.
    """
    rng = np.random.RandomState(DATA_SEED)
    n, T, k = 2000, 24, 4
    y = rng.randint(0, k, size=n)
    bands = np.linspace(0.04, 0.28, k + 1)  # cycles per step
    freq = bands[y] + rng.uniform(0, 1, size=n) * (bands[1] - bands[0])
    phase = rng.uniform(0, 2 * np.pi, size=n)
    amp = rng.uniform(0.5, 1.5, size=n)
    t = np.arange(T)
    s = amp[:, None] * np.sin(2 * np.pi * freq[:, None] * t[None, :] + phase[:, None])
    s = s + 0.6 * rng.randn(n, T)
    X = np.stack([s, np.diff(s, axis=1, prepend=s[:, :1])], axis=-1)
    Xtr, Xva, ytr, yva = _split(X, y, 0.25)
    Xtr, Xva = _seq_standardise(Xtr, Xva)
    return Data(Xtr, ytr.astype(np.int64), Xva, yva.astype(np.int64))


@lru_cache(maxsize=None)
def data_seq_forecast() -> Data:
    """Forecast the next value of a sum of two sines (random frequencies, phases, amplitudes) plus noise.

    Inputs: 24 steps, 1 channel; target: the value 1 step after the window, standardised.
    """
    rng = np.random.RandomState(DATA_SEED + 1)
    n, T = 2400, 24
    t = np.arange(T + 1)
    f = rng.uniform(0.02, 0.15, size=(n, 2))
    ph = rng.uniform(0, 2 * np.pi, size=(n, 2))
    a = rng.uniform(0.3, 1.0, size=(n, 2))
    clean = (a[:, :, None] * np.sin(2 * np.pi * f[:, :, None] * t[None, None, :] + ph[:, :, None])).sum(axis=1)
    s = clean + 0.1 * rng.randn(n, T + 1)
    X, y = s[:, :T, None], clean[:, T]
    Xtr, Xva, ytr, yva = _split(X, y, 0.25, stratify=False)
    Xtr, Xva = _seq_standardise(Xtr, Xva)
    ytr, yva = _standardise(ytr.reshape(-1, 1), yva.reshape(-1, 1))
    return Data(Xtr, ytr, Xva, yva)


@lru_cache(maxsize=None)
def data_seq_motif() -> Data:
    """Which of 3 motifs (a Gaussian bump, a square pulse, a short chirp) hides in a noisy sequence.

    Each sequence (64 steps, 1 channel, stored as (n, 1, 64) for Conv1d) has a random-walk background plus
    noise and one motif of random position, width and sign.
    """
    rng = np.random.RandomState(DATA_SEED + 2)
    n, T = 2400, 64
    y = rng.randint(0, 3, size=n)
    X = np.cumsum(0.15 * rng.randn(n, T), axis=1) + 0.5 * rng.randn(n, T)
    X -= X.mean(axis=1, keepdims=True)
    for i in range(n):
        w = rng.randint(8, 15)
        start = rng.randint(0, T - w)
        u = np.linspace(-1, 1, w)
        if y[i] == 0:
            m = np.exp(-4 * u**2)
        elif y[i] == 1:
            m = np.ones(w)
        else:
            m = np.sin(np.pi * (2 + 2 * (u + 1)) * (u + 1))
        X[i, start:start + w] += rng.choice([-1.0, 1.0]) * rng.uniform(1.0, 1.8) * m
    Xtr, Xva, ytr, yva = _split(X[:, :, None], y, 0.25)
    Xtr, Xva = _seq_standardise(Xtr, Xva)
    return Data(Xtr.transpose(0, 2, 1).copy(), ytr.astype(np.int64), Xva.transpose(0, 2, 1).copy(), yva.astype(np.int64))


# --------------------------------------------------------------------------------------------- models


class MLP(nn.Sequential):
    def __init__(self, sizes: list[int], *, batchnorm: bool = False, dropout: float = 0.0):
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                if batchnorm:
                    layers.append(nn.BatchNorm1d(b))
                layers.append(nn.ReLU())
                if dropout:
                    layers.append(nn.Dropout(dropout))
        super().__init__(*layers)


class DigitsCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32x4x4
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.head(self.features(x))


class RecurrentHead(nn.Module):
    """A GRU or LSTM over (batch, time, channels); a linear layer on the last hidden state."""

    def __init__(self, cell: str, n_in: int, hidden: int, n_out: int):
        super().__init__()
        self.rnn = (nn.GRU if cell == "gru" else nn.LSTM)(n_in, hidden, batch_first=True)
        self.out = nn.Linear(hidden, n_out)

    def forward(self, x):
        h, _ = self.rnn(x)
        return self.out(h[:, -1])


class MotifCNN1d(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(1, 16, 7, padding=3), nn.ReLU(),
            nn.Conv1d(16, 32, 5, padding=2), nn.ReLU(),
            nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(32, 3),
        )

    def forward(self, x):
        return self.net(x)


# ---------------------------------------------------------------------------------------------- tasks


@dataclass
class Setup:
    model: nn.Module
    train_loader: DataLoader
    val_loader: DataLoader
    loss_fn: nn.Module
    optimizer: Callable[[object, float], torch.optim.Optimizer]  # optimizer(params, lr)
    epochs: int


@dataclass(frozen=True)
class Task:
    name: str
    kind: str  # what is learned, in words
    model_desc: str
    optimizer_desc: str
    data_desc: str
    data: Callable[[], Data]
    build: Callable[[], nn.Module]
    loss: Callable[[], nn.Module]
    opt: Callable[[object, float], torch.optim.Optimizer]
    epochs: int
    batch_size: int = 64

    def make(self, seed: int) -> Setup:
        d = self.data()
        torch.manual_seed(seed)
        model = self.build()
        g = torch.Generator()
        g.manual_seed(seed)
        train = TensorDataset(torch.from_numpy(d.Xtr), torch.from_numpy(d.ytr))
        val = TensorDataset(torch.from_numpy(d.Xva), torch.from_numpy(d.yva))
        return Setup(
            model=model,
            train_loader=DataLoader(train, batch_size=self.batch_size, shuffle=True, generator=g),
            val_loader=DataLoader(val, batch_size=512, shuffle=False),
            loss_fn=self.loss(),
            optimizer=self.opt,
            epochs=self.epochs,
        )


def _sgd(params, lr):
    return torch.optim.SGD(params, lr=lr, momentum=0.9)


def _adam(params, lr):
    return torch.optim.Adam(params, lr=lr)


def _adamw(params, lr):
    return torch.optim.AdamW(params, lr=lr, weight_decay=1e-2)


def _rmsprop(params, lr):
    return torch.optim.RMSprop(params, lr=lr, alpha=0.99)


TASKS: list[Task] = [
    Task(
        name="digits_mlp", kind="multiclass classification (10 classes), tabular",
        model_desc="MLP 64-128-10, ReLU", optimizer_desc="SGD momentum 0.9",
        data_desc="load_digits, 1437 train / 360 val, standardised",
        data=data_digits, build=lambda: MLP([64, 128, 10]), loss=nn.CrossEntropyLoss, opt=_sgd,
        epochs=4, batch_size=64,
    ),
    Task(
        name="digits_cnn", kind="image classification (10 classes), 1x8x8 images",
        model_desc="Conv2d 16-32 (3x3) + maxpool, FC 512-64-10", optimizer_desc="Adam",
        data_desc="load_digits as 1x8x8 images, 1437 train / 360 val, standardised",
        data=data_digits_images, build=DigitsCNN, loss=nn.CrossEntropyLoss, opt=_adam,
        epochs=3, batch_size=64,
    ),
    Task(
        name="seq_gru", kind="sequence classification (4 frequency bands)",
        model_desc="GRU 2->32, linear head on last state", optimizer_desc="Adam",
        data_desc="generated noisy oscillations, 24 steps x 2 channels, 1500 train / 500 val",
        data=data_seq_frequency, build=lambda: RecurrentHead("gru", 2, 32, 4), loss=nn.CrossEntropyLoss,
        opt=_adam, epochs=4, batch_size=64,
    ),
    Task(
        name="seq_lstm", kind="sequence regression (one-step forecast)",
        model_desc="LSTM 1->32, linear head on last state", optimizer_desc="RMSprop",
        data_desc="generated sums of two noisy sines, 24 steps, 1800 train / 600 val, standardised target",
        data=data_seq_forecast, build=lambda: RecurrentHead("lstm", 1, 32, 1), loss=nn.MSELoss,
        opt=_rmsprop, epochs=4, batch_size=64,
    ),
    Task(
        name="diabetes_mlp", kind="regression, tabular (small)",
        model_desc="MLP 10-64-64-1, ReLU", optimizer_desc="SGD momentum 0.9",
        data_desc="load_diabetes, 353 train / 89 val, standardised inputs and target",
        data=data_diabetes, build=lambda: MLP([10, 64, 64, 1]), loss=nn.MSELoss, opt=_sgd,
        epochs=20, batch_size=32,
    ),
    Task(
        name="cancer_mlp", kind="binary classification, tabular",
        model_desc="MLP 30-32-1, ReLU, BCEWithLogits", optimizer_desc="Adam",
        data_desc="load_breast_cancer, 426 train / 143 val, standardised",
        data=data_cancer, build=lambda: MLP([30, 32, 1]), loss=nn.BCEWithLogitsLoss, opt=_adam,
        epochs=10, batch_size=32,
    ),
    Task(
        name="friedman_mlp", kind="regression, tabular (nonlinear synthetic)",
        model_desc="MLP 10-64-64-1, ReLU", optimizer_desc="AdamW (weight decay 0.01)",
        data_desc="make_friedman1 (noise 1), 1500 train / 500 val, standardised inputs and target",
        data=data_friedman, build=lambda: MLP([10, 64, 64, 1]), loss=nn.MSELoss, opt=_adamw,
        epochs=6, batch_size=64,
    ),
    Task(
        name="iris_mlp", kind="multiclass classification (3 classes), tabular (tiny)",
        model_desc="MLP 4-32-3, ReLU", optimizer_desc="SGD momentum 0.9",
        data_desc="load_iris, 105 train / 45 val, standardised",
        data=data_iris, build=lambda: MLP([4, 32, 3]), loss=nn.CrossEntropyLoss, opt=_sgd,
        epochs=30, batch_size=32,
    ),
    Task(
        name="seq_conv1d", kind="sequence classification (3 motifs)",
        model_desc="Conv1d 1-16 (k7)-32 (k5), global max pool, linear 32-3", optimizer_desc="SGD momentum 0.9",
        data_desc="generated random walks with one hidden motif, 64 steps, 1800 train / 600 val",
        data=data_seq_motif, build=MotifCNN1d, loss=nn.CrossEntropyLoss, opt=_sgd,
        epochs=4, batch_size=64,
    ),
    Task(
        name="deep_mlp_bn", kind="multiclass classification (5 classes), tabular (synthetic)",
        model_desc="MLP 40-128-128-64-5 with BatchNorm, ReLU, Dropout 0.2", optimizer_desc="AdamW (weight decay 0.01)",
        data_desc="make_classification (40 features, 20 informative, 5 classes), 2250 train / 750 val, standardised",
        data=data_classification, build=lambda: MLP([40, 128, 128, 64, 5], batchnorm=True, dropout=0.2),
        loss=nn.CrossEntropyLoss, opt=_adamw, epochs=4, batch_size=64,
    ),
]


def by_name(name: str) -> Task:
    for t in TASKS:
        if t.name == name:
            return t
    raise KeyError(f"no task {name!r}; tasks: {', '.join(t.name for t in TASKS)}")


# ------------------------------------------------------------------------------------------- training


@torch.no_grad()
def evaluate(model: nn.Module, loader: DataLoader, loss_fn: nn.Module) -> float:
    """Mean loss over the loader's samples, in eval mode (the model is put back in train mode)."""
    model.eval()
    total, n = 0.0, 0
    for x, y in loader:
        total += float(loss_fn(model(x), y)) * len(y)
        n += len(y)
    model.train()
    return total / n


_warm = False


def warmup() -> None:
    """Pay torch's one-off costs (the first optimizer's lazy imports take seconds) outside the timed runs."""
    global _warm
    if not _warm:
        m = nn.Linear(2, 1)
        for f in (_sgd, _adam, _adamw, _rmsprop):
            opt = f(m.parameters(), 1e-3)
            m(torch.zeros(1, 2)).sum().backward()
            opt.step()
        _warm = True


def train(task: Task, lr: float, seed: int) -> dict:
    """Train ``task`` from scratch at ``lr`` for its epoch budget; deterministic for a given ``seed``.

    Returns ``val_losses`` (after each epoch; shorter when the run stopped on a non-finite loss),
    ``final_val_loss``, ``best_val_loss`` (lowest finite one, inf when none), ``initial_val_loss`` (the
    untrained model), ``diverged`` (a non-finite train or val loss, or a final val loss above the initial
    one), ``score_loss`` (the final val loss, or the initial one for a diverged run), ``seconds``.
    Non-finite losses are returned as float inf or nan. The time excludes the one-off process warm-up and the
    data set's construction (cached per process); it covers the setup, the initial evaluation and training.
    """
    torch.set_num_threads(1)
    warmup()
    task.data()  # built once per process and cached: not timed
    t0 = time.perf_counter()
    s = task.make(seed)
    model, loss_fn = s.model, s.loss_fn
    opt = s.optimizer(model.parameters(), lr)
    initial = evaluate(model, s.val_loader, loss_fn)
    val_losses: list[float] = []
    nonfinite = False
    model.train()
    for _ in range(s.epochs):
        for x, y in s.train_loader:
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            if not torch.isfinite(loss):
                nonfinite = True
                break
            loss.backward()
            opt.step()
        if nonfinite:
            val_losses.append(math.inf)
            break
        v = evaluate(model, s.val_loader, loss_fn)
        val_losses.append(v)
        if not math.isfinite(v):
            nonfinite = True
            break
    final = val_losses[-1]
    finite = [v for v in val_losses if math.isfinite(v)]
    diverged = nonfinite or not math.isfinite(final) or final > initial
    return {
        "val_losses": val_losses,
        "final_val_loss": final,
        "best_val_loss": min(finite) if finite else math.inf,
        "initial_val_loss": initial,
        "diverged": diverged,
        "score_loss": initial if diverged else final,
        "seconds": time.perf_counter() - t0,
    }


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lr", type=float, nargs="*", default=[1e-3, 1e-2])
    p.add_argument("--tasks", default="")
    a = p.parse_args()
    names = [n for n in a.tasks.split(",") if n] or [t.name for t in TASKS]
    for name in names:
        task = by_name(name)
        for lr in a.lr:
            r = train(task, lr, 0)
            curve = " ".join(f"{v:.3f}" for v in r["val_losses"])
            print(f"{name:14s} lr={lr:<8g} {r['seconds']:5.2f}s init={r['initial_val_loss']:.3f} "
                  f"final={r['final_val_loss']:.4f} div={r['diverged']}  [{curve}]", flush=True)
