"""Small, deliberately broken (and a few healthy) training runs, trained for real, for the diagnosis.

Each run below is a real PyTorch loop (two are a Keras ``fit`` on the torch backend) on one of
scikit-learn's bundled data sets, seeded and on one torch thread so that its numbers are the same
on every machine that runs this torch build, and small enough to train in well under three seconds
on one CPU core. Each function returns the run's curves as a Keras-history-like dict of lists
(``loss``, ``val_loss``; ``accuracy``, ``val_accuracy`` for a classifier; ``lr`` for a run with a
schedule, ``grad_norm`` for a run that clips), and its docstring says what is broken and the
verdict a careful reader gives, from the curves and the known cause, with the evidence a
practitioner looks at.

``EXPECTED[name]`` holds the verdicts that reader accepts: one, or two where an honest reader would
accept either (the docstring says why). ``tests/test_broken_runs.py`` trains every run, diagnoses
it and asserts the verdict.

This is a module, not a test file. Run it as a script to save every run's curves as JSON under
``tests/data/broken/`` (``python tests/broken_runs.py --save``), so the diagnosis can be iterated
on without retraining; ``python tests/broken_runs.py [NAME...] [-v]`` trains and prints each run's
verdict, expected and got, and its time (``-v``: and the numbers of its curves).
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")

DATA = Path(__file__).resolve().parent / "data" / "broken"

#: run name -> the function that trains it
RUNS: dict = {}
#: run name -> the verdicts a careful reader accepts
EXPECTED: dict[str, frozenset] = {}


def known(name: str) -> dict:
    """What the run's user knows about it and tells fitwatch: keyword arguments of
    ``fitwatch.diagnose`` (a regression's no-skill ``baseline``: the validation MSE of predicting the
    training targets' mean, what scikit-learn's ``DummyRegressor`` scores), or none."""
    if name == "predicting_the_mean_offset_target":
        _, y, _, yv = diabetes(standardise_target=False)
        return {"baseline": float(np.mean((yv / 100 - y.mean() / 100) ** 2))}
    return {}


def broken_run(*verdicts: str):
    """Register a run function with the verdict(s) a careful reader gives it."""
    def register(fn):
        RUNS[fn.__name__] = fn
        EXPECTED[fn.__name__] = frozenset(verdicts)
        return fn
    return register


# -- data: scikit-learn's bundled sets, split once, as float32 arrays --------------------------------

@functools.lru_cache(maxsize=None)
def bundled(dataset: str, target=np.int64):
    """scikit-learn's bundled ``load_<dataset>()`` as float32 inputs and ``target``-typed targets,
    its rows shuffled once (seed 0)."""
    import sklearn.datasets

    x, y = getattr(sklearn.datasets, f"load_{dataset}")(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(x))
    return x[order].astype(np.float32), y[order].astype(target)


def digits(n_train: int = 1200, scale: float = 1 / 16.0):
    """Digits (8x8, 10 classes): the first ``n_train`` (shuffled once) train, the last 597 validate.
    Pixels are 0..16; ``scale`` 1/16 puts them in [0, 1]."""
    x, y = bundled("digits")
    x = x * scale
    return x[:n_train], y[:n_train], x[1200:], y[1200:]


def breast_cancer(n_train: int = 400, standardise: bool = True):
    """Breast cancer (30 features, 2 classes): ``n_train`` train, the last 169 validate;
    standardised with the training set's mean and std unless ``standardise`` is False (the raw
    features span 0.001..4254)."""
    x, y = bundled("breast_cancer")
    if standardise:
        mu, sd = x[:400].mean(0), x[:400].std(0)
        x = (x - mu) / sd
    return x[:n_train], y[:n_train], x[400:], y[400:]


def diabetes(standardise_target: bool = True):
    """Diabetes regression (10 features, 442 patients): 320 train, 122 validate. Features standardised;
    the target (25..346, mean 152) standardised too unless ``standardise_target`` is False."""
    x, y = bundled("diabetes", np.float32)
    x = (x - x[:320].mean(0)) / x[:320].std(0)
    if standardise_target:
        y = (y - y[:320].mean()) / y[:320].std()
    return x[:320], y[:320, None], x[320:], y[320:, None]


def moons(n: int = 600, noise: float = 0.15):
    """Two interleaving half-moons (2 features, 2 classes): 2/3 train, 1/3 validate."""
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=n, noise=noise, random_state=0)
    x = ((x - x.mean(0)) / x.std(0)).astype(np.float32)
    k = 2 * n // 3
    return x[:k], y[:k].astype(np.int64), x[k:], y[k:].astype(np.int64)


def regression(n: int = 600, features: int = 20, noise: float = 10.0):
    """``make_regression`` (linear target plus noise): 2/3 train, 1/3 validate; x and y standardised."""
    from sklearn.datasets import make_regression

    x, y = make_regression(n_samples=n, n_features=features, n_informative=10, noise=noise, random_state=0)
    x = (x - x.mean(0)) / x.std(0)
    y = (y - y.mean()) / y.std()
    k = 2 * n // 3
    x, y = x.astype(np.float32), y.astype(np.float32)[:, None]
    return x[:k], y[:k], x[k:], y[k:]


# -- the training loop -------------------------------------------------------------------------------

@contextmanager
def one_thread(seed: int = 0):
    """Seed torch and train on one thread (reproducible numbers; tiny models gain nothing from more)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    try:
        yield torch
    finally:
        torch.set_num_threads(before)


def mlp(*sizes: int, act=None, dropout: float = 0.0):
    """``Linear(sizes[0], sizes[1])``, activation, ..., ``Linear(sizes[-2], sizes[-1])``."""
    import torch

    act = act or torch.nn.ReLU
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
            if dropout:
                layers.append(torch.nn.Dropout(dropout))
    return torch.nn.Sequential(*layers)


def train(model, opt, data, epochs: int, *, task: str = "classify", batch_size: int | None = None,
          clip: float | None = None, scheduler=None, plateau=None, params=None, step: bool = True,
          zero_grad: bool = True, seed: int = 0, train_targets=None) -> dict:
    """Train ``model`` on ``data`` = ``(x_train, y_train, x_val, y_val)`` (numpy) for ``epochs`` epochs.

    Each epoch: shuffled mini-batches of ``batch_size`` (full batch when None), the training loss
    and accuracy as the sample-weighted mean of the batches' (as Keras and fitwatch report them),
    then the validation loss and accuracy in eval mode. ``clip`` clips the gradients' norm
    (``grad_norm`` records its epoch mean before clipping); ``scheduler`` steps once an epoch,
    ``plateau`` (a ReduceLROnPlateau) steps on the validation loss; either records ``lr``.
    ``step=False`` never calls ``opt.step()``, ``zero_grad=False`` never clears the gradients:
    the two classic bugs. Returns the history dict.
    """
    import torch

    xt, yt, xv, yv = (torch.from_numpy(np.ascontiguousarray(a)) for a in data)
    loss_fn = torch.nn.CrossEntropyLoss() if task == "classify" else torch.nn.MSELoss()
    params = list(params if params is not None else model.parameters())
    gen = torch.Generator().manual_seed(seed)
    bs = batch_size or len(xt)
    hist: dict[str, list] = {"loss": [], "val_loss": []}
    if task == "classify":
        hist.update(accuracy=[], val_accuracy=[])
    if scheduler is not None or plateau is not None:
        hist["lr"] = []
    if clip is not None:
        hist["grad_norm"] = []
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(xt), generator=gen) if bs < len(xt) else torch.arange(len(xt))
        tot = correct = 0.0
        norms = []
        for i in range(0, len(xt), bs):
            idx = order[i:i + bs]
            out = model(xt[idx])
            loss = loss_fn(out, yt[idx])
            if zero_grad:
                opt.zero_grad()
            loss.backward()
            if clip is not None:
                norms.append(float(torch.nn.utils.clip_grad_norm_(params, clip)))
            if step:
                opt.step()
            tot += float(loss.detach()) * len(idx)
            if task == "classify":
                correct += float((out.argmax(1) == yt[idx]).sum())
        hist["loss"].append(tot / len(xt))
        model.eval()
        with torch.no_grad():
            out = model(xv)
            val = float(loss_fn(out, yv))
        hist["val_loss"].append(val)
        if task == "classify":
            hist["accuracy"].append(correct / len(xt))
            hist["val_accuracy"].append(float((out.argmax(1) == yv).float().mean()))
        if clip is not None:
            hist["grad_norm"].append(float(np.mean(norms)))
        if "lr" in hist:
            hist["lr"].append(opt.param_groups[0]["lr"])
        if scheduler is not None:
            scheduler.step()
        if plateau is not None:
            plateau.step(val)
    return hist


# -- the runs ----------------------------------------------------------------------------------------

def fit(layers: tuple, optimizer: str, lr: float, data, epochs: int, act: str | None = None,
        dropout: float = 0.0, **kw) -> dict:
    """Train ``mlp(*layers, act=torch.nn.<act>, dropout=dropout)`` with ``torch.optim.<optimizer>(lr=lr)``
    on ``data`` for ``epochs`` (seeded, one thread): the common shape of the runs below; ``kw`` goes
    to :func:`train`."""
    import torch

    with one_thread():
        model = mlp(*layers, act=getattr(torch.nn, act) if act else None, dropout=dropout)
        opt = getattr(torch.optim, optimizer)(model.parameters(), lr=lr)
        return train(model, opt, data, epochs, **kw)


@broken_run("not_learning")
def weight_decay_far_too_high():
    """Weight decay far too strong: a 64-128-10 MLP, Adam lr 1e-3 with weight_decay=0.5 (L2 added to
    the gradient, 50 to 5000 times the usual), batches of 32, 20 epochs on digits.

    The first epoch learns a little (validation accuracy 0.21, chance 0.1), then the penalty pulls
    every weight to 0: from epoch 2 on the model outputs a constant, both accuracies sit
    at chance and both losses at ln 10 = 2.303, a little above where they started. Careful reader:
    **not_learning**, and the cause is the penalty (or a learning rate that killed the units), not a
    learning rate too small: the loss rose, it did not sit still.
    """
    import torch

    with one_thread():
        model = mlp(64, 128, 10)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=0.5)
        return train(model, opt, digits(), 20, batch_size=32)


@broken_run("good_fit")
def good_fit_digits():
    """Nothing broken: a 64-64-10 MLP on 1,200 digits, Adam lr 1e-2, weight decay 1e-3, batches of
    64, 40 epochs.

    Careful reader: **good_fit**. Both losses fall fast (validation 0.84 -> 0.1 in ten epochs) and
    flatten; for the last twenty epochs the validation loss wanders around 0.07-0.08 (98%
    accuracy), within noise of its best, and the gap to the training loss is small and not growing.
    """
    import torch

    with one_thread():
        model = mlp(64, 64, 10)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)
        return train(model, opt, digits(), 40, batch_size=64)


@broken_run("still_improving")
def stopped_too_early():
    """Stopped too early: the same digits MLP with plain SGD lr 0.05 in batches of 64, stopped
    after 12 epochs.

    Careful reader: **still_improving**. Training and validation losses fall at every epoch up to
    the last, the last few epochs still shave a visible share off the validation loss, and the
    gap is tiny: nothing has settled, train longer.
    """
    return fit((64, 64, 10), "SGD", 0.05, digits(), 12, batch_size=64)


@broken_run("diverged")
def lr_far_too_high_nan():
    """Learning rate far too high: a 20-64-1 MLP regressing ``make_regression`` targets with SGD
    lr 2, full batch.

    Careful reader: **diverged**. Each step overshoots further; the loss grows by orders of
    magnitude within a few epochs and becomes inf, then NaN. Lower the learning rate.
    """
    return fit((20, 64, 1), "SGD", 2.0, regression(), 15, task="regress")


@broken_run("not_learning")
def lr_far_too_high_stuck_at_chance():
    """Learning rate far too high, but no NaN: SGD lr 10 on the digits MLP, batches of 64.

    The first steps throw the weights so far that the ReLUs die and the logits blow up; after
    the spike the network outputs (nearly) the same thing for every image: the training and
    validation losses stay at or above ln(10) = 2.30 and the accuracy at chance (~10%) for the
    rest of the run.

    Careful reader: **not_learning**, caused by a learning rate far too high (the spike at the
    start says so). Raising the learning rate or a larger model would be exactly wrong.
    """
    return fit((64, 64, 10), "SGD", 10.0, digits(), 20, batch_size=64)


@broken_run("unstable")
def lr_too_high_unstable():
    """Learning rate too high for Adam: lr 0.03 with a 64-256-256-10 MLP on digits, batches of 32.

    Careful reader: **unstable**. The loss drops, then jumps back up by large amounts every few
    epochs and never settles; the validation loss follows the jumps and the accuracy swings.
    Lower the learning rate (or schedule it).
    """
    return fit((64, 256, 256, 10), "Adam", 0.03, digits(), 25, batch_size=32)


@broken_run("not_learning", "still_improving")
def lr_too_low_barely_moves():
    """Learning rate far too low: SGD lr 1e-4 on the digits MLP, batches of 64, 25 epochs.

    The loss falls smoothly but barely: from 2.316 to 2.313 in 25 epochs (validation 2.310 to
    2.307), accuracy at chance. Careful reader: **not_learning** (nothing useful is learned; the learning rate is far
    too low), though a reader who sees the smooth, steady decline may say **still_improving**
    (at this pace). Either way the finding must be that the learning rate is too low.
    """
    return fit((64, 64, 10), "SGD", 1e-4, digits(), 25, batch_size=64)


@broken_run("still_improving")
def huge_batch_tiny_lr():
    """A huge batch with a tiny learning rate: full-batch (1,200 digits) SGD lr 0.05, 40 epochs,
    i.e. 40 small steps.

    Careful reader: **still_improving**. Both losses fall steadily, almost linearly, at every
    epoch to the last, far above what the model can reach: train longer, or raise the learning
    rate / use smaller batches (more steps).
    """
    return fit((64, 64, 10), "SGD", 0.05, digits(), 40)


@broken_run("not_learning")
def unnormalised_inputs():
    """Unnormalised inputs: digits pixels as 0..1000 (x1000) instead of 0..1; SGD lr 0.01, batches
    of 64, 20 epochs.

    The first layer's pre-activations are in the thousands, so the first batches' logits and
    gradients are huge: the first epoch's training loss is in the thousands, the steps throw the
    hidden ReLUs dead, and from the second epoch on both losses sit at ln(10) = 2.30 with the
    accuracy at chance (~9%), to the last epoch.

    Careful reader: **not_learning** (stuck at the no-skill level after a blow-up at the start).
    Normalising the inputs is the fix; a larger learning rate or a larger model would not help.
    """
    return fit((64, 64, 10), "SGD", 0.01, digits(scale=1000 / 16), 20, batch_size=64)


@broken_run("unstable")
def unnormalised_features_unstable():
    """Unnormalised features: breast cancer's raw features (0.001..4254, not standardised) into a
    30-64-2 MLP, Adam lr 1e-3, batches of 32, 40 epochs.

    The few large-valued features dominate the first layer: the model gets to about 90% quickly,
    but the losses never settle: the validation loss leaps between about 0.17 and 0.58 from one
    epoch to the next to the end (the same network on standardised features settles at about 0.08),
    the training loss wobbles between 0.16 and 0.35, and the validation accuracy swings by several
    points.

    Careful reader: **unstable**; normalising the inputs is the fix.
    """
    return fit((30, 64, 2), "Adam", 1e-3, breast_cancer(standardise=False), 40, batch_size=32)


@broken_run("still_improving")
def unnormalised_targets():
    """Unnormalised regression targets: diabetes progression in its raw units (25..346, mean 152)
    regressed with MSE by a 10-32-1 MLP, Adam lr 1e-2, full batch, 100 epochs.

    The network starts outputting about 0 and Adam moves each weight by about 1e-2 a step, so the
    loss crawls down from about 29,000 (the mean squared target): after 100 epochs it is 6,800,
    still falling by about 1% an epoch, not yet below the target's variance (about 5,900, the loss
    of predicting the mean), let alone a fit (~3,000).

    Careful reader: **still_improving**: both losses fall at every epoch to the last. (Standardising
    the targets is the real fix: the run would have converged long ago.)
    """
    return fit((10, 32, 1), "Adam", 1e-2, diabetes(standardise_target=False), 100, task="regress")


@broken_run("overfitting")
def tiny_training_set():
    """A tiny training set: 40 digits for a 64-512-512-10 MLP, Adam lr 1e-3, full batch, 150 epochs.

    Careful reader: **overfitting**. The training loss falls to almost zero (100% training
    accuracy) while the validation loss bottoms out early and then climbs for the rest of the run.
    """
    return fit((64, 512, 512, 10), "Adam", 1e-3, digits(n_train=40), 150)


@broken_run("overfitting", "not_learning")
def shuffled_labels_memorised():
    """Shuffled labels, a model big enough to memorise them: 300 digits with their labels permuted,
    a 64-512-512-10 MLP, Adam lr 1e-3, batches of 50, 60 epochs (validation labels intact).

    The training loss falls from 2.32 to 0.12 (the model memorises the random labels); the
    validation loss never gets meaningfully below ln(10) = 2.30 (its minimum is 2.29, at epoch 4)
    and climbs to 5.0, the validation accuracy at chance (8-18%) throughout.

    Careful reader: **overfitting** from the start (training falls, validation only rises), and
    the validation accuracy at chance says nothing generalisable was ever learned, so
    **not_learning** is as honest. Either way the remedies must point at the data (check the
    labels / label noise).
    """
    x, y, xv, yv = digits(n_train=300)
    y = np.random.default_rng(1).permutation(y)
    return fit((64, 512, 512, 10), "Adam", 1e-3, (x, y, xv, yv), 60, batch_size=50)


@broken_run("not_learning")
def shuffled_labels_small_model():
    """Shuffled labels, a model too small to memorise them: all 1,200 training digits with permuted
    labels, a 64-16-10 MLP, Adam lr 1e-3, batches of 64, 20 epochs.

    Careful reader: **not_learning**. The validation loss sits at 2.32 (ln 10 = 2.30) and the
    validation accuracy at chance from start to end; the training loss creeps from 2.33 to 2.27 (a
    little memorisation): there is nothing to learn in these labels.
    """
    x, y, xv, yv = digits()
    y = np.random.default_rng(1).permutation(y)
    return fit((64, 16, 10), "Adam", 1e-3, (x, y, xv, yv), 20, batch_size=64)


@broken_run("not_learning")
def shuffled_labels_val_at_chance():
    """Shuffled labels, memorised enough to push validation above chance's loss: all 1,200 training
    digits with permuted labels, a 64-512-10 MLP, Adam lr 1e-3, batches of 32, 30 epochs (the
    shape of a user's Keras run, a CSVLogger file fitwatch had called overfitting from epoch 0).

    The training loss falls from 2.32 to 1.8 as the model memorises random labels; the validation
    loss never gets below ln(10) = 2.30 (at best 2.33) and climbs to 2.65, the validation accuracy
    at chance (at most 12 %) at every epoch.

    Careful reader: **not_learning**. Validation was never better than chance, so there is no best
    epoch to go back to and no overfitting onset: nothing learned generalises. The rising validation
    loss is the model growing sure of wrong answers; the remedy is to check the labels.
    """
    x, y, xv, yv = digits()
    y = np.random.default_rng(1).permutation(y)
    return fit((64, 512, 10), "Adam", 1e-3, (x, y, xv, yv), 30, batch_size=32)


@broken_run("not_learning")
def no_signal_class_prior_from_init():
    """Labels independent of the inputs, 6 of 10 classes present, logged from before training: 6,000
    points of 20 standard-normal features, each labelled one of classes 0-5 at random (4,500 train,
    1,500 validate), a 20-32-10 MLP (ten outputs: four classes never occur), SGD lr 0.05, batches of 64,
    30 epochs; the first point is the untrained model's (ln 10, accuracy 0.1), as a loop that evaluates
    before it trains logs it (a stop-46 attack's shape).

    In two epochs the model learns the class prior: both losses fall to about ln 6 = 1.79 and the
    accuracies rise to about 1/6, where validation's stays; the training loss creeps on down as it
    memorises. Careful reader: **not_learning**. Nothing beyond the classes' shares is learned: the
    validation accuracy is a constant guess's; a larger model would only memorise more. (A rule that read
    the first point's ln 10 and the accuracy since, above 1/10, as the run leaving chance called it
    underfitting, "use a larger model".)
    """
    import torch

    rng = np.random.default_rng(0)
    x = rng.standard_normal((6000, 20)).astype(np.float32)
    y = rng.integers(0, 6, 6000)
    data = (x[1500:], y[1500:], x[:1500], y[:1500])
    with one_thread():
        model = mlp(20, 32, 10)
        loss_fn = torch.nn.CrossEntropyLoss()
        first = {}
        with torch.no_grad():  # the untrained model, evaluated before the first epoch
            for key, (a, b) in (("", data[:2]), ("val_", data[2:])):
                out = model(torch.from_numpy(a))
                first[f"{key}loss"] = float(loss_fn(out, torch.from_numpy(b)))
                first[f"{key}accuracy"] = float((out.argmax(1) == torch.from_numpy(b)).float().mean())
        hist = train(model, torch.optim.SGD(model.parameters(), lr=0.05), data, 30, batch_size=64)
    return {k: [first[k], *v] for k, v in hist.items()}


@broken_run("not_learning")
def no_signal_majority_class():
    """Labels independent of the inputs, 30 % of them in one class: 6,000 points of 20 standard-normal
    features labelled 0 with probability 0.3 and one of classes 1-9 otherwise (4,500 train, 1,500 validate),
    a 20-32-10 MLP, SGD lr 0.05, batches of 64, 30 epochs (a stop-46 attack's run).

    The model predicts one class for every input: the validation accuracy is 0.307 at every epoch, the
    training accuracy 0.2938 or 0.2940 from the second (its running mean scores a sample more or less), while
    both losses sit at 2.1-2.2, about the labels' entropy. Careful reader: **not_learning**: a constant guess of the majority class. The loss
    never blew up (it starts where an untrained 10-class model does): rebalancing and the labels come first
    (an accuracy of 0.296 read as 1/3 once made it "1.9 times ln 3: the loss blew up in the first epoch",
    lower the learning rate first), though a rate too high that killed the units looks the same.
    """
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6000, 20)).astype(np.float32)
    y = rng.choice(10, size=6000, p=[0.3] + [0.7 / 9] * 9)
    return fit((20, 32, 10), "SGD", 0.05, (x[1500:], y[1500:], x[:1500], y[:1500]), 30, batch_size=64)


@broken_run("not_learning")
def shuffled_labels_logits_too_large():
    """Shuffled labels and an over-confident start: all 1,200 training digits with permuted labels, a
    64-10 linear model whose initial weights are scaled 8x (logits far too large), SGD lr 0.05,
    batches of 64, 20 epochs.

    The validation loss falls from about 7 to about 3, still above ln(10) = 2.30 at the end, while
    the validation accuracy sits at chance (8-12 %) at every epoch: the whole fall shrinks the
    over-confident logits towards the no-skill level.

    Careful reader: **not_learning**. Nothing beyond chance is learned; "still improving, train
    longer" would chase a loss that can at best reach ln(10). Fix the initialisation's scale and
    check the labels.
    """
    import torch

    x, y, xv, yv = digits()
    y = np.random.default_rng(1).permutation(y)
    with one_thread():
        model = torch.nn.Linear(64, 10)
        with torch.no_grad():
            model.weight.mul_(8.0)
            model.bias.mul_(8.0)
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        return train(model, opt, (x, y, xv, yv), 20, batch_size=64)


@broken_run("not_learning")
def predicting_the_mean():
    """Predicting the mean: a bug replaces every input by the training set's mean row (the features
    carry no information), so the 10-32-1 MLP regressing the standardised diabetes target can at
    best output its mean, 0. Adam lr 0.01, full batch, 40 epochs.

    The training loss sits at 1.00 (the target's variance: the loss of predicting the mean) from
    the first epoch to the last; the validation loss at 0.82 (the validation targets' spread
    around the training mean), flat too. R^2 = 0.

    Careful reader: **not_learning**: the loss never left the no-skill level of a standardised
    target. Check the data pipeline.
    """
    x, y, xv, yv = diabetes()
    x = np.repeat(x.mean(0, keepdims=True), len(x), 0)
    xv = np.repeat(x[:1], len(xv), 0)
    return fit((10, 32, 1), "Adam", 0.01, (x, y, xv, yv), 40, task="regress")


@broken_run("overfitting", "not_learning")
def regression_shuffled_targets():
    """A regression whose targets were shuffled against their inputs (no signal left): a standardised linear target
    (``make_regression``, 20 features) permuted over the 400 training rows, a 20-128-128-1 MLP, Adam lr 1e-2,
    batches of 32, 40 epochs; no baseline stated (an attack's run of this kind, on Friedman's data).

    Validation never gets clearly below its first evaluation, about the targets' variance, and climbs from there
    while the training loss falls far below it: the model memorises noise. Careful reader: **overfitting** by the
    curves' shape, or **not_learning**: validation never got below where it started. The best epoch is about the
    first, which is no model at all here: the message says the targets may not depend on the inputs when that first
    model had no skill, and how to state the no-skill level (it was told only to keep its best epoch and regularise).
    """
    x, y, xv, yv = regression()
    y = np.random.default_rng(0).permutation(y)
    return fit((20, 128, 128, 1), "Adam", 1e-2, (x, y, xv, yv), 40, task="regress", batch_size=32)


@broken_run("not_learning", "underfitting")
def predicting_the_mean_offset_target():
    """Predicting the mean: a bug replaces every input by the training set's mean row (the
    features carry no information), so the 10-32-1 MLP regressing the diabetes target (in
    hundreds: mean 1.5, std 0.79) can at best output the target's mean. Adam lr 0.01, full batch,
    60 epochs. Its user knows the no-skill level, the validation MSE of predicting the training
    targets' mean (0.51), and says so: ``diagnose(..., baseline=0.51)``, as ``Run(baseline=...)``
    would.

    The training loss falls from 2.7 (the untrained output is about 0: the mean squared target)
    while the output bias travels to the mean, rings once (0.62 -> 0.70 -> 0.62) and stays at 0.62,
    the training target's variance, i.e. exactly the loss of predicting the mean; the validation
    loss likewise from 2.3 to 0.51, flat for the last twenty epochs. R^2 = 0.

    Careful reader: **not_learning** (the model learned nothing beyond the target's mean: the
    no-skill level) or **underfitting** (the loss settled high); never good_fit, however flat
    and close together the two curves are.
    """
    x, y, xv, yv = diabetes(standardise_target=False)
    y, yv = y / 100, yv / 100
    x = np.repeat(x.mean(0, keepdims=True), len(x), 0)
    xv = np.repeat(x[:1], len(xv), 0)
    return fit((10, 32, 1), "Adam", 0.01, (x, y, xv, yv), 60, task="regress")


@broken_run("underfitting")
def model_too_small_linear_on_moons():
    """Too small a model: logistic regression (one Linear layer) on two noisy half-moons, Adam
    lr 0.05, full batch, 60 epochs.

    A straight line cannot separate the moons: the loss falls from about 0.6 and settles at 0.27
    (validation 0.24, 89% accuracy) by epoch 20, where a small MLP reaches about 0.05.

    Careful reader: **underfitting**. Learning happened and finished, but both losses settled
    high and close together: a larger model is the remedy.
    """
    import torch

    with one_thread():
        model = torch.nn.Linear(2, 2)
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
        return train(model, opt, moons(), 60)


@broken_run("underfitting", "good_fit")
def linear_on_moons_learned_in_first_epoch():
    """A healthy but small model that learned all it could in its first epoch: logistic regression
    (one Linear layer) on 1,000 noisy half-moons, SGD lr 0.5, batches of 32, 30 epochs.

    Its first epoch's training mean is 0.35; validation is 0.285 (87% accuracy) at its first
    evaluation and stays within 0.28-0.285 to the end, beside training at 0.29.

    Careful reader: **underfitting** (a straight line cannot separate the moons), or **good_fit**
    without knowing the task. Never ``not_learning``: its first evaluation already beats any
    constant guess (a guess with 87% accuracy scores 0.39 or more), so what it learned generalises.
    """
    import torch

    with one_thread():
        model = torch.nn.Linear(2, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        return train(model, opt, moons(1000, 0.2), 30, batch_size=32)


@broken_run("underfitting")
def model_too_small_bottleneck():
    """Too small a model: a 64-2-10 MLP (a tanh bottleneck of two units) on digits, Adam lr 0.1,
    full batch, 100 epochs.

    Both losses fall from 2.3 and level off side by side around 1.0 (training 0.93, validation
    1.0 at the end, creeping down by about 1% over the last ten epochs) with ~58% accuracy,
    where a wider network reaches 0.07 and 98% on the same data.

    Careful reader: **underfitting**: learning happened and has essentially finished, but both
    losses settled high (40% of the no-skill ln(10)) and close together: a larger model.
    """
    return fit((64, 2, 10), "Adam", 0.1, digits(), 100, act="Tanh")


@broken_run("not_learning")
def optimizer_never_steps():
    """``optimizer.step()`` forgotten: the digits MLP computes losses and gradients, but the
    weights never change. SGD lr 0.1, batches of 64, 15 epochs.

    Careful reader: **not_learning**. The training loss is the same at every epoch (up to the
    batches' order), the validation loss is exactly constant at the untrained model's ~2.3, the
    accuracy at chance. Check that the optimizer updates the model.
    """
    return fit((64, 64, 10), "SGD", 0.1, digits(), 15, batch_size=64, step=False)


@broken_run("unstable", "diverged")
def zero_grad_forgotten():
    """``optimizer.zero_grad()`` forgotten: gradients accumulate over every batch since the start,
    so each SGD step (lr 0.05, batches of 64, digits MLP) follows the sum of all past gradients:
    a step that grows without bound.

    The loss falls for three epochs (2.16 -> 0.43), then the ever larger steps overshoot: it jumps
    up and down and climbs to 4.3, twice where it started; the validation loss from 0.46 to 6.6.

    Careful reader: **unstable** (it falls, then swings wildly) or **diverged** (it ends far above
    its best, at or above its start): the curve of a step that is far too large.
    """
    return fit((64, 64, 10), "SGD", 0.05, digits(), 20, batch_size=64, zero_grad=False)


@broken_run("not_learning")
def frozen_weights():
    """Frozen weights: every parameter of the digits MLP has ``requires_grad=False`` except the
    output bias (the usual "freeze the backbone" line applied to the whole model), Adam lr 1e-2,
    batches of 64, 20 epochs.

    The only thing that can move is the output bias, i.e. the class prior, which on balanced digits
    is uniform: the training loss goes from 2.315 to 2.309 and stays there, the validation loss at
    2.31-2.32; accuracy at chance.

    Careful reader: **not_learning**. Check what the optimizer updates (requires_grad).
    """
    import torch

    with one_thread():
        model = mlp(64, 64, 10)
        for p in model.parameters():
            p.requires_grad_(False)
        model[-1].bias.requires_grad_(True)
        opt = torch.optim.Adam([model[-1].bias], lr=1e-2)
        return train(model, opt, digits(), 20, batch_size=64, params=[model[-1].bias])


@broken_run("not_learning")
def zeroed_inputs_imbalanced():
    """A pipeline bug zeroes every input (a mask applied the wrong way round) on an imbalanced task:
    digits as "is it a 0?" (about 10 % positives), the digits MLP with two outputs, Adam lr 1e-2,
    batches of 64, 15 epochs.

    With nothing to see, the model can only learn the class prior: the loss falls from about 0.69
    to the prior's entropy (about 0.33) within the first epochs and stays there, while the
    accuracy sits at the majority's share (about 0.90) at every epoch on both sets: it predicts
    "not a 0" for every input. 90 % looks good and is nothing.

    Careful reader: **not_learning**. Check the data pipeline, and rebalance the classes.
    """
    x, y, xv, yv = digits()
    data = (np.zeros_like(x), (y == 0).astype(np.int64), np.zeros_like(xv), (yv == 0).astype(np.int64))
    return fit((64, 64, 2), "Adam", 1e-2, data, 15, batch_size=64)


@broken_run("not_learning")
def dead_relus_bad_init():
    """Dead ReLUs from a bad initialisation: the digits MLP's hidden biases set to -10, so every
    hidden ReLU outputs 0 on every image and passes no gradient. Adam lr 1e-3, batches of 64,
    20 epochs.

    Only the output bias learns (the class prior, uniform here): the losses sit at ln(10) = 2.30,
    the accuracies at chance.

    Careful reader: **not_learning**; the fix is the initialisation (or the activation), not a
    larger learning rate.
    """
    import torch

    with one_thread():
        model = mlp(64, 64, 64, 10)
        with torch.no_grad():
            for layer in (model[0], model[2]):
                layer.bias.fill_(-10.0)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        return train(model, opt, digits(), 20, batch_size=64)


@broken_run("not_learning")
def deep_sigmoid_vanishing():
    """Vanishing gradients: a 10-layer sigmoid MLP (64 units each) on digits with plain SGD lr 0.05,
    batches of 64, 20 epochs.

    The gradient dies on its way down through ten sigmoids: the losses stay at about ln(10)
    = 2.30 for the whole run, the accuracy at chance.

    Careful reader: **not_learning** (ReLU-family activations, a better initialisation or
    normalisation between layers are the fix).
    """
    return fit((64, *[64] * 10, 10), "SGD", 0.05, digits(), 20, batch_size=64, act="Sigmoid")


@broken_run("overfitting")
def label_noise():
    """Label noise: 40% of the 600 training digits get a random wrong label; a 64-512-512-10 MLP,
    Adam lr 1e-3, batches of 50, 60 epochs (validation labels clean).

    The model first learns the real digits (the validation loss falls), then memorises the noise:
    training loss keeps falling towards zero while the validation loss climbs far above its
    minimum.

    Careful reader: **overfitting**, from the epoch where the validation loss bottomed out.
    """
    x, y, xv, yv = digits(n_train=600)
    rng = np.random.default_rng(2)
    flip = rng.random(len(y)) < 0.4
    y = y.copy()
    y[flip] = (y[flip] + rng.integers(1, 10, flip.sum())) % 10
    return fit((64, 512, 512, 10), "Adam", 1e-3, (x, y, xv, yv), 60, batch_size=50)


@broken_run("good_fit")
def plateau_schedule_down_to_zero():
    """Healthy, its rate cut to about 0: a 2-32-32-2 MLP on noisy moons (1,000 points, noise 0.25), Adam lr 1e-2,
    ReduceLROnPlateau (factor 0.1, patience 1) on the validation loss, batches of 32, 60 epochs; ``lr`` recorded.

    The schedule cuts the rate tenfold every two epochs once validation stalls: from about epoch 20 the weights
    no longer change, and the losses and both accuracies (about 0.94, the data's ceiling) freeze. Careful reader:
    **good_fit**: converged, then frozen by its schedule. Not a model predicting one class for every input (an
    attack's run of this kind was "the majority's share", rebalance the classes): its losses, 0.14 and 0.17, are far
    below the 0.21-0.24 any constant guess of those shares scores.
    """
    import torch
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=1000, noise=0.25, random_state=0)
    x = ((x - x.mean(0)) / x.std(0)).astype(np.float32)
    with one_thread():
        model = mlp(2, 32, 32, 2)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=1)
        return train(model, opt, (x[:670], y[:670], x[670:], y[670:]), 60, batch_size=32, plateau=plateau)


@broken_run("good_fit")
def plateau_schedule_with_clipping():
    """Healthy: SGD lr 0.1 with momentum 0.9 on the digits MLP, gradients clipped to norm 1.0,
    ReduceLROnPlateau (factor 0.3, patience 2) on the validation loss, batches of 32, 30 epochs.
    ``lr`` and ``grad_norm`` are recorded.

    Careful reader: **good_fit**. Both losses drop fast; the small ups and downs of the early epochs
    die out as the schedule lowers the learning rate, and the curves settle close together. It is
    neither unstable (it settles) nor in need of a schedule or clipping: it has both.
    """
    import torch

    with one_thread():
        model = mlp(64, 64, 10)
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.3, patience=2)
        return train(model, opt, digits(), 30, batch_size=32, clip=1.0, plateau=plateau)


@broken_run("good_fit")
def cosine_schedule():
    """Healthy: Adam lr 3e-3 on the digits MLP with cosine annealing to 0 over the 30 epochs,
    weight decay 1e-4, batches of 64; ``lr`` recorded.

    Careful reader: **good_fit**. The losses fall fast, and flatten as the learning rate anneals
    to zero; validation stays at its best and close to training at the end.
    """
    import torch

    with one_thread():
        model = mlp(64, 64, 10)
        opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=30)
        return train(model, opt, digits(), 30, batch_size=64, scheduler=sched)


@broken_run("underfitting", "still_improving")
def step_schedule_from_too_high_a_rate():
    """Learning rate too high, rescued late by a step schedule: SGD lr 3.0 on a 64-128-10 MLP, StepLR
    halving it every 5 epochs (3.0, 1.5, 0.75), batches of 32, 15 epochs; ``lr`` recorded (the Must 4/6
    trial's run: it was told the curve is "smooth but flat", to raise the learning rate, and that it sat
    at ln 6 on 10 classes).

    Careful reader: **underfitting**. The training loss sits at ln 10 (accuracy about 0.1) at rates 3 and
    1.5 and falls only once the rate is cut to 0.75, to about 1.85 with an accuracy near 0.24: far from
    fitting the training data at the end. **still_improving** is accepted too: those last epochs at the
    working rate are still falling. Either way the cause is the rate before the cut, too high: lower it.
    """
    import torch

    with one_thread():
        model = mlp(64, 128, 10)
        opt = torch.optim.SGD(model.parameters(), lr=3.0)
        sched = torch.optim.lr_scheduler.StepLR(opt, 5, 0.5)
        return train(model, opt, digits(), 15, batch_size=32, scheduler=sched)


@broken_run("underfitting", "still_improving")
def step_schedule_cut_from_epoch_3():
    """A step schedule that decays far too early: SGD lr 0.02 on a 64-64-10 MLP, StepLR cutting it tenfold every 3
    epochs (0.02, 0.002, ... 2e-11), batches of 32, 30 epochs on digits; ``lr`` recorded (an attack's run).

    Validation falls fast in the first 3 epochs, then hardly at all: the rate is gone, and the losses stall far
    from fitting the training data. Careful reader: **underfitting** (**still_improving** is accepted: what it
    learned stopped with the rate), and the cause is the schedule: the first cut came while validation still fell
    fast. (A cut at epoch 3 had only 2 epochs at the old rate to measure its pace over, and went unread: "the model
    cannot fit the data better as it is", a larger model first.)
    """
    import torch

    with one_thread():
        model = mlp(64, 64, 10)
        opt = torch.optim.SGD(model.parameters(), lr=0.02)
        sched = torch.optim.lr_scheduler.StepLR(opt, 3, 0.1)
        return train(model, opt, digits(), 30, batch_size=32, scheduler=sched)


@broken_run("good_fit")
def softmax_before_cross_entropy():
    """A softmax before CrossEntropyLoss: a 64-128-10 MLP ending in ``nn.Softmax``, Adam lr 3e-3, batches of 32, 30
    epochs on digits (an attack's run).

    The model learns: 99 % training accuracy, 97 % on validation, both losses fall and settle close together. But
    CrossEntropyLoss applies its own softmax to the probabilities it is given: the right class can get at most
    e / (e + 9) = 0.23, and the loss settles at that floor, ln(e + 9) - 1 = 1.461 (1.47 at 99 %). Careful reader:
    **good_fit**, and the loss is miswired: with the class count known, the `softmax_twice` finding names it (it was
    good_fit without a word).
    """
    import torch

    with one_thread():
        model = torch.nn.Sequential(mlp(64, 128, 10), torch.nn.Softmax(dim=1))
        return train(model, torch.optim.Adam(model.parameters(), lr=3e-3), digits(), 30, batch_size=32)


@broken_run("good_fit")
def dropout_val_below_train():
    """Healthy with dropout: a 64-256-256-10 MLP with dropout 0.5, Adam lr 3e-3, batches of 64,
    30 epochs on digits.

    Dropout acts in training only, so the training loss stays above the validation loss for the
    whole run. Careful reader: **good_fit**: both fall and settle, validation at its best at the
    end; validation below training is the expected effect of dropout, not a problem.
    """
    return fit((64, 256, 256, 10), "Adam", 3e-3, digits(), 30, batch_size=64, dropout=0.5)


@broken_run("overfitting")
def heavy_overfitting_weight_growth():
    """Heavy overfitting: breast cancer with only 60 training patients, a 30-256-256-2 MLP, Adam lr
    3e-3, no regularisation, full batch, 150 epochs.

    The training loss goes to ~0 as the weights grow without bound (nothing pulls them back), the
    logits get ever larger, and the validation loss, after its minimum at epoch 5 (0.114), climbs
    to 0.29, two and a half times, while the validation accuracy holds at 96% (over-confidence).

    Careful reader: **overfitting** from the early minimum.
    """
    return fit((30, 256, 256, 2), "Adam", 3e-3, breast_cancer(n_train=60), 150)


@broken_run("good_fit")
def regression_good_fit():
    """Nothing broken, regression: a 20-32-1 MLP on ``make_regression`` (linear target, noise),
    Adam lr 1e-2, weight decay 1e-3, batches of 50, 40 epochs; x and y standardised.

    Careful reader: **good_fit**. Both losses fall by more than 90% and settle together, at about the
    level of the noise.
    """
    import torch

    with one_thread():
        model = mlp(20, 32, 1)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)
        return train(model, opt, regression(), 40, task="regress", batch_size=50)


@broken_run("diverged")
def regression_loss_explodes():
    """Learning rate too high, stopped before any NaN: the diabetes MLP (10-64-1) with SGD lr 0.35
    and momentum 0.9, full batch, standardised targets; the run was cut after 12 epochs.

    The loss oscillates between about 0.9 and 5 for ten epochs, then the oscillation runs away:
    10, then 2,700 (validation 1,700, then 1e10), all finite.

    Careful reader: **diverged** (the loss climbed far above where it started), caused by a
    learning rate too high.
    """
    import torch

    with one_thread():
        model = mlp(10, 64, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.35, momentum=0.9)
        return train(model, opt, diabetes(), 12, task="regress")


def keras_fit(model, data, epochs: int, batch_size: int) -> dict:
    """Keras ``fit`` on the torch backend, seeded; the History's dict (loss, val_loss, accuracy...)."""
    x, y, xv, yv = data
    h = model.fit(x, y, validation_data=(xv, yv), epochs=epochs, batch_size=batch_size, verbose=0,
                  shuffle=True)
    return {k: [float(v) for v in vals] for k, vals in h.history.items()}


@broken_run("good_fit")
def keras_good_fit():
    """Nothing broken, Keras: a 30-16-2 softmax network on standardised breast cancer, Adam lr 3e-3,
    batches of 32, 30 epochs (``model.fit`` on the torch backend).

    Careful reader: **good_fit**. Both losses fall fast; the validation loss reaches about 0.08 by
    epoch 10 and stays there (0.078-0.083) to the end, validation accuracy ~97%; the training
    loss creeps on down (0.04 -> 0.02), a small gap that is not hurting validation.
    """
    import keras

    with one_thread():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((30,)), keras.layers.Dense(16, activation="relu"),
                                  keras.layers.Dense(2, activation="softmax")])
        model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return keras_fit(model, breast_cancer(), 30, 32)


@broken_run("overfitting")
def keras_tiny_training_set():
    """A tiny training set, Keras: 50 digits for a 64-256-256-10 network, Adam lr 3e-3, one batch of
    50 an epoch, 50 epochs.

    Careful reader: **overfitting**: the training loss goes to ~1e-4 while the validation loss
    bottoms out at about 0.52 (epoch 15) and climbs steadily to about 0.73 at the end, validation
    accuracy flat at ~83%.
    """
    import keras

    with one_thread():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(256, activation="relu"),
                                  keras.layers.Dense(256, activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return keras_fit(model, digits(n_train=50), 50, 50)


@broken_run("not_learning", "diverged")
def keras_sgd_lr_8_saturated():
    """Learning rate far too high, Keras: SGD lr 8 on a 64-64-64-10 softmax network on digits, batches
    of 200, 8 epochs (a new user's trial: a 512-512 network at lr 8, 30 epochs).

    The first steps saturate the softmax: every input gets one class with probability ~1, so the
    loss sits at about 14.5, six times ln(10) = 2.30 where an untrained classifier starts (Keras
    clips the probabilities at 1e-7: 0.9 x ln(1e7)), from the first epoch on; the accuracy sits at
    chance (~10%) and the validation loss is the same number at every epoch.

    Careful reader: **not_learning** (the loss never fell, its lowest value is its first), with the
    blow-up in the first epoch named; or **diverged** (the loss climbed from ln(10) far above where an
    untrained model starts, inside the first epoch). Either way the learning rate is far too high:
    lower it; raising it, a larger model or "check the data" first would be wrong.
    """
    import keras

    with one_thread():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu"),
                                  keras.layers.Dense(64, activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer=keras.optimizers.SGD(8.0), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return keras_fit(model, digits(), 8, 200)


# -- the stored curves -------------------------------------------------------------------------------

def load(name: str) -> dict:
    """The stored curves of run ``name`` (``tests/data/broken/<name>.json``: a Keras-history-like
    object of lists, one curve a line; NaN and inf written as Python's json writes them)."""
    return json.loads((DATA / f"{name}.json").read_text())


def save(name: str, curves: dict) -> Path:
    """Write run ``name``'s curves to ``tests/data/broken/<name>.json``."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"{name}.json"
    lines = [f" {json.dumps(key)}: {json.dumps(values)}" for key, values in curves.items()]  # a curve a line
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n")
    return path


def summary(curves: dict) -> str:
    """One line of the numbers a reader looks at: start/min/end of the losses, the accuracies' ends."""
    parts = []
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        v = np.asarray(curves.get(key, []), dtype=float)
        if len(v):
            fin = v[np.isfinite(v)]
            mn = f"{fin.min():.4g}@{int(np.nanargmin(np.where(np.isfinite(v), v, np.inf)))}" if len(fin) else "-"
            parts.append(f"{key} {v[0]:.4g}->{v[-1]:.4g} (min {mn})")
    return "; ".join(parts)


def main(argv: list[str]) -> int:
    import fitwatch

    names = [a for a in argv if not a.startswith("-")] or list(RUNS)
    for name in names:
        t0 = time.perf_counter()
        curves = RUNS[name]()
        dt = time.perf_counter() - t0
        if "--save" in argv:
            save(name, curves)
        d = fitwatch.diagnose(curves, **known(name))
        ok = "ok  " if d.verdict in EXPECTED[name] else "FAIL"
        print(f"{ok} {name:34s} {dt:5.2f}s expected {'/'.join(sorted(EXPECTED[name])):28s} got {d.verdict:15s}"
              f" [{', '.join(f.code for f in d.findings[1:])}]")
        if "-v" in argv:
            print("     " + summary(curves))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
