"""A second, independent set of training tasks for the learning-rate benchmark (``benchmarks/lr_grid.py``).

Same API as ``benchmarks/lr_tasks.py`` (whose :class:`Task`, :class:`Setup`, :func:`train`, :func:`evaluate`
and :func:`warmup` are reused): ``TASKS`` and ``by_name(name)``. The tasks were written without looking at how
the suggestion rules perform, as a held-out check. They differ from the first set in data, architecture and
optimizer: Adagrad, plain SGD, Nesterov SGD, NAdam, RMSprop on a GELU CNN and Adam on a Huber loss; a tanh MLP,
a residual MLP, a bidirectional GRU.

Run ``python benchmarks/lr_tasks2.py`` to time one training run of every task at a few rates, or
``python benchmarks/lr_grid.py --module lr_tasks2 --out benchmarks/lr_grid2.json`` for the grid.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from sklearn import datasets
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lr_tasks import (  # noqa: E402
    DATA_SEED,
    Data,
    Setup,  # noqa: F401  (re-exported: same API as lr_tasks)
    Task,
    _seq_standardise,
    _split,
    _standardise,
    _tabular,
    evaluate,  # noqa: F401
)
from lr_tasks import train as _train1  # noqa: E402
from lr_tasks import warmup as _warmup1  # noqa: E402

# ----------------------------------------------------------------------------------------------- data


@lru_cache(maxsize=None)
def data_wine() -> Data:
    X, y = datasets.load_wine(return_X_y=True)
    return _tabular(X, y, classes=True, val=0.25)


@lru_cache(maxsize=None)
def data_moons() -> Data:
    X, y = datasets.make_moons(n_samples=1200, noise=0.25, random_state=DATA_SEED)
    return _tabular(X, y, classes=True, val=0.25)


@lru_cache(maxsize=None)
def data_classification2() -> Data:
    X, y = datasets.make_classification(
        n_samples=2400, n_features=24, n_informative=12, n_redundant=4, n_classes=4,
        n_clusters_per_class=3, class_sep=1.2, flip_y=0.01, random_state=DATA_SEED + 7,
    )
    return _tabular(X, y, classes=True, val=0.25)


@lru_cache(maxsize=None)
def data_regression() -> Data:
    """make_regression plus a mild nonlinearity and heavy-tailed noise on 8% of targets (what Huber loss is for)."""
    X, y = datasets.make_regression(n_samples=2000, n_features=20, n_informative=12, noise=10.0,
                                    random_state=DATA_SEED + 3)
    rng = np.random.RandomState(DATA_SEED + 3)
    y = y / y.std()
    y = y + 0.3 * np.tanh(X[:, 0] * X[:, 1])  # a mild interaction
    outlier = rng.uniform(size=len(y)) < 0.08
    y = y + outlier * np.clip(rng.standard_t(3, size=len(y)), -6, 6) * 1.5
    return _tabular(X, y, classes=False, val=0.25)


@lru_cache(maxsize=None)
def data_seq_peak() -> Data:
    """Where the single tall spike of a noisy sequence lies: first, middle or last third (3 classes).

    30 steps, 1 channel; a smooth random background plus noise, and one spike of random height and width
    (a few decoy smaller bumps elsewhere). Stored as (n, time, channels).
    """
    rng = np.random.RandomState(DATA_SEED + 5)
    n, T = 1800, 30
    y = rng.randint(0, 3, size=n)
    t = np.arange(T)
    X = np.cumsum(0.2 * rng.randn(n, T), axis=1)
    X -= X.mean(axis=1, keepdims=True)
    X += 0.4 * rng.randn(n, T)
    for i in range(n):
        centre = rng.randint(y[i] * 10 + 1, y[i] * 10 + 9)
        w = rng.uniform(0.8, 1.6)
        X[i] += rng.uniform(2.0, 3.0) * np.exp(-0.5 * ((t - centre) / w) ** 2)
        decoy = rng.randint(0, T)
        X[i] += rng.uniform(0.5, 1.2) * np.exp(-0.5 * ((t - decoy) / 1.0) ** 2)
    Xtr, Xva, ytr, yva = _split(X[:, :, None], y, 0.25)
    Xtr, Xva = _seq_standardise(Xtr, Xva)
    return Data(Xtr, ytr.astype(np.int64), Xva, yva.astype(np.int64))


@lru_cache(maxsize=None)
def data_digits_images2() -> Data:
    """Digits as 1x8x8 images, scaled by the training pixels' mean and std (a different split from lr_tasks)."""
    X, y = datasets.load_digits(return_X_y=True)
    from sklearn.model_selection import train_test_split

    Xtr, Xva, ytr, yva = train_test_split(X.astype(np.float64), y, test_size=0.25, random_state=DATA_SEED + 11,
                                          stratify=y)
    (Xtr, Xva) = _standardise(Xtr.reshape(-1, 1), Xva.reshape(-1, 1))  # one mean/std over all pixels
    return Data(Xtr.reshape(-1, 1, 8, 8), ytr.astype(np.int64), Xva.reshape(-1, 1, 8, 8), yva.astype(np.int64))


# --------------------------------------------------------------------------------------------- models


class TanhMLP(nn.Sequential):
    def __init__(self, sizes: list[int]):
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(nn.Tanh())
        super().__init__(*layers)


class ResMLP(nn.Module):
    """Linear stem, ``blocks`` pre-activation residual blocks (LayerNorm, Linear, ReLU, Linear), linear head."""

    def __init__(self, n_in: int, width: int, n_out: int, blocks: int = 3):
        super().__init__()
        self.stem = nn.Linear(n_in, width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width))
            for _ in range(blocks)
        )
        self.head = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, n_out))

    def forward(self, x):
        h = self.stem(x)
        for b in self.blocks:
            h = h + b(h)
        return self.head(h)


class BiGRU(nn.Module):
    """A bidirectional GRU over (batch, time, channels); a linear layer on both directions' final states."""

    def __init__(self, n_in: int, hidden: int, n_out: int):
        super().__init__()
        self.rnn = nn.GRU(n_in, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, n_out)

    def forward(self, x):
        _, h = self.rnn(x)  # h: (2, batch, hidden)
        return self.out(torch.cat([h[0], h[1]], dim=1))


class GeluCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 12, 3, padding=1), nn.GELU(),
            nn.Conv2d(12, 24, 3, padding=1), nn.GELU(), nn.AvgPool2d(2),  # 24x4x4
            nn.Flatten(), nn.Linear(24 * 4 * 4, 48), nn.GELU(), nn.Linear(48, 10),
        )

    def forward(self, x):
        return self.net(x)


# ----------------------------------------------------------------------------------------- optimizers


def _adagrad(params, lr):
    return torch.optim.Adagrad(params, lr=lr)


def _plain_sgd(params, lr):
    return torch.optim.SGD(params, lr=lr)


def _nesterov(params, lr):
    return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)


def _nadam(params, lr):
    return torch.optim.NAdam(params, lr=lr)


def _rmsprop_centered(params, lr):
    return torch.optim.RMSprop(params, lr=lr, alpha=0.95, centered=True)


def _adam(params, lr):
    return torch.optim.Adam(params, lr=lr)


# ---------------------------------------------------------------------------------------------- tasks


TASKS: list[Task] = [
    Task(
        name="wine_adagrad", kind="multiclass classification (3 classes), tabular (small)",
        model_desc="MLP 13-64-64-3, ReLU", optimizer_desc="Adagrad",
        data_desc="load_wine, 133 train / 45 val, standardised",
        data=data_wine, build=lambda: _relu_mlp([13, 64, 64, 3]), loss=nn.CrossEntropyLoss, opt=_adagrad,
        epochs=8, batch_size=16,
    ),
    Task(
        name="moons_tanh_sgd", kind="binary classification (2 logits), 2-D nonlinear",
        model_desc="MLP 2-32-32-2, tanh", optimizer_desc="SGD (no momentum)",
        data_desc="make_moons (noise 0.25), 900 train / 300 val, standardised",
        data=data_moons, build=lambda: TanhMLP([2, 32, 32, 2]), loss=nn.CrossEntropyLoss, opt=_plain_sgd,
        epochs=10, batch_size=32,
    ),
    Task(
        name="resmlp_nesterov", kind="multiclass classification (4 classes), tabular (synthetic)",
        model_desc="residual MLP: stem 24-64, 3 pre-LayerNorm blocks 64-64-64, head 64-4",
        optimizer_desc="SGD Nesterov momentum 0.9",
        data_desc="make_classification (24 features, 12 informative, 4 classes, 3 clusters each), "
                  "1800 train / 600 val, standardised",
        data=data_classification2, build=lambda: ResMLP(24, 64, 4, blocks=3), loss=nn.CrossEntropyLoss,
        opt=_nesterov, epochs=3, batch_size=64,
    ),
    Task(
        name="seq_bigru", kind="sequence classification (where the spike is: 3 classes)",
        model_desc="bidirectional GRU 1->24 (x2), linear head on both final states", optimizer_desc="NAdam",
        data_desc="generated noisy random walks with one spike, 30 steps, 1350 train / 450 val",
        data=data_seq_peak, build=lambda: BiGRU(1, 24, 3), loss=nn.CrossEntropyLoss, opt=_nadam,
        epochs=3, batch_size=64,
    ),
    Task(
        name="digits_gelu_rmsprop", kind="image classification (10 classes), 1x8x8 images",
        model_desc="Conv2d 12-24 (3x3) GELU + avgpool, FC 384-48-10 GELU",
        optimizer_desc="RMSprop centered (alpha 0.95)",
        data_desc="load_digits as 1x8x8 images, 1347 train / 450 val, standardised",
        data=data_digits_images2, build=GeluCNN, loss=nn.CrossEntropyLoss, opt=_rmsprop_centered,
        epochs=3, batch_size=64,
    ),
    Task(
        name="regression_huber", kind="regression with outliers, tabular (synthetic)",
        model_desc="MLP 20-64-32-1, ReLU", optimizer_desc="Adam",
        data_desc="make_regression (20 features, 12 informative) + heavy-tailed target noise, "
                  "1500 train / 500 val, standardised inputs and target",
        data=data_regression, build=lambda: _relu_mlp([20, 64, 32, 1]), loss=lambda: nn.HuberLoss(delta=0.5),
        opt=_adam, epochs=4, batch_size=64,
    ),
]


def _relu_mlp(sizes: list[int]) -> nn.Module:
    from lr_tasks import MLP

    return MLP(sizes)


_warm = False


def warmup() -> None:
    """lr_tasks' warm-up, plus one step of each optimizer used here (their first use pays lazy imports)."""
    global _warm
    _warmup1()
    if not _warm:
        m = nn.Linear(2, 1)
        for f in (_adagrad, _plain_sgd, _nesterov, _nadam, _rmsprop_centered, _adam):
            opt = f(m.parameters(), 1e-3)
            m(torch.zeros(1, 2)).sum().backward()
            opt.step()
        _warm = True


def train(task: Task, lr: float, seed: int) -> dict:
    """:func:`lr_tasks.train` (same result dict), after this module's optimizer warm-up."""
    torch.set_num_threads(1)
    warmup()
    return _train1(task, lr, seed)


def by_name(name: str) -> Task:
    for t in TASKS:
        if t.name == name:
            return t
    raise KeyError(f"no task {name!r}; tasks: {', '.join(t.name for t in TASKS)}")


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lr", type=float, nargs="*", default=[1e-3, 1e-2, 1e-1])
    p.add_argument("--tasks", default="")
    a = p.parse_args()
    names = [n for n in a.tasks.split(",") if n] or [t.name for t in TASKS]
    for name in names:
        task = by_name(name)
        for lr in a.lr:
            r = train(task, lr, 0)
            curve = " ".join(f"{v:.3f}" for v in r["val_losses"])
            print(f"{name:20s} lr={lr:<8g} {r['seconds']:5.2f}s init={r['initial_val_loss']:.3f} "
                  f"final={r['final_val_loss']:.4f} div={r['diverged']}  [{curve}]", flush=True)
