#!/usr/bin/env python
"""Generate a labelled set of REAL training runs for measuring a curve-diagnosis engine.

Every run is an actual PyTorch training run (CPU, small MLPs, scikit-learn's bundled or generated
data, no downloads) in which one condition was induced on purpose (too big a net on too little
data, too small a learning rate, too high a learning rate, ...). Each run is written as one CSV in
the exact format of Keras's ``CSVLogger``, and gets one row in ``labels.csv`` with its verdict.

Every label is VERIFIED: after training, the curve is checked against the numeric definition of
its verdict (see ``CHECKS`` below) and also against the definitions of all the other verdicts. A
run is kept only if its own check passes and no other verdict's check does; otherwise it is
regenerated with the next seed (up to ``ATTEMPTS`` seeds) and dropped if none passes.

Usage::

    .venv/bin/python benchmarks/labelled/make_runs.py                 # -> tests/data/labelled
    .venv/bin/python benchmarks/labelled/make_runs.py --out /tmp/x --jobs 2
    .venv/bin/python benchmarks/labelled/make_runs.py --show tests/data/labelled/r001_digits.csv

See benchmarks/labelled/README.md.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "tests" / "data" / "labelled"
VERDICTS = ["good_fit", "overfitting", "underfitting", "still_improving", "not_learning",
            "unstable", "diverged"]
MIN_PER_VERDICT = 10
ATTEMPTS = 4          # seeds tried per run spec: seed, seed+100, seed+200, seed+300
LABEL_COLUMNS = ["file", "verdict", "onset_epoch", "dataset", "condition", "seed", "epochs", "notes"]


# --------------------------------------------------------------------------------------------
# data

def load_data(name: str, seed: int, *, n: int | None = None, n_train: int | None = None,
              val_frac: float = 0.25, label_noise: float = 0.0, random_labels: bool = False,
              raw_x: bool = False, raw_y: bool = False, noise: float | None = None):
    """Return ``(Xtr, ytr, Xva, yva, task, n_classes)`` as float32/int64 numpy arrays.

    task is "binary" (one logit, BCE), "multiclass" (softmax CE) or "regression" (MSE).
    Features are standardised with the training split's statistics (unless ``raw_x``);
    regression targets likewise (unless ``raw_y``). ``n_train`` subsamples the training split
    (the validation split is unchanged). ``label_noise`` flips that fraction of the TRAINING labels
    to another class; ``random_labels`` permutes the labels of both splits (no signal left).
    """
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    if name == "digits":
        X, y = datasets.load_digits(return_X_y=True); task = "multiclass"
    elif name == "breast_cancer":
        X, y = datasets.load_breast_cancer(return_X_y=True); task = "binary"
    elif name == "wine":
        X, y = datasets.load_wine(return_X_y=True); task = "multiclass"
    elif name == "diabetes":
        X, y = datasets.load_diabetes(return_X_y=True); task = "regression"
    elif name == "moons":
        X, y = datasets.make_moons(n_samples=n or 1000, noise=0.25 if noise is None else noise,
                                   random_state=seed); task = "binary"
    elif name == "circles":
        X, y = datasets.make_circles(n_samples=n or 1000, noise=0.1 if noise is None else noise,
                                     factor=0.5, random_state=seed); task = "binary"
    elif name == "friedman1":
        X, y = datasets.make_friedman1(n_samples=n or 2000, noise=1.0 if noise is None else noise,
                                       random_state=seed); task = "regression"
    elif name == "classification":
        X, y = datasets.make_classification(n_samples=n or 2000, n_features=20, n_informative=10,
                                            n_redundant=4, n_classes=4, n_clusters_per_class=2,
                                            class_sep=1.0, flip_y=0.02, random_state=seed)
        task = "multiclass"
    elif name == "regression":
        X, y = datasets.make_regression(n_samples=n or 1000, n_features=20, n_informative=10,
                                        noise=10.0 if noise is None else noise, random_state=seed)
        task = "regression"
    else:
        raise ValueError(name)
    X = X.astype(np.float64)
    strat = y if task != "regression" else None
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=val_frac, random_state=seed,
                                          stratify=strat)
    rng = np.random.default_rng(seed + 12345)
    if n_train is not None and n_train < len(Xtr):
        idx = rng.permutation(len(Xtr))[:n_train]
        Xtr, ytr = Xtr[idx], ytr[idx]
    k = int(max(y.max(), yva.max()) + 1) if task != "regression" else 1
    if task != "regression":
        ytr = ytr.astype(np.int64).copy(); yva = yva.astype(np.int64).copy()
        if label_noise > 0:
            flip = rng.random(len(ytr)) < label_noise
            ytr[flip] = (ytr[flip] + rng.integers(1, k, flip.sum())) % k
        if random_labels:
            ytr = rng.permutation(ytr); yva = rng.permutation(yva)
    else:
        if random_labels:
            ytr = rng.permutation(ytr); yva = rng.permutation(yva)
        if not raw_y:
            m, s = ytr.mean(), ytr.std()
            ytr = (ytr - m) / s; yva = (yva - m) / s
        ytr = ytr.astype(np.float32); yva = yva.astype(np.float32)
    if not raw_x:
        m, s = Xtr.mean(0), Xtr.std(0)
        s[s == 0] = 1.0
        Xtr = (Xtr - m) / s; Xva = (Xva - m) / s
    return Xtr.astype(np.float32), ytr, Xva.astype(np.float32), yva, task, k


def no_skill_loss(task: str, k: int) -> float:
    """Loss of a constant predictor: ln(k) for classification, 1 for standardised regression."""
    return math.log(k) if task != "regression" else 1.0


# --------------------------------------------------------------------------------------------
# training (Keras semantics: epoch-level train values are sample-weighted means over the epoch's
# batches, computed while training; validation is evaluated on the held-out split after each epoch)

def train_run(cfg: dict, seed: int) -> dict:
    import torch
    from torch import nn

    torch.set_num_threads(1)
    d = cfg["data"]
    Xtr, ytr, Xva, yva, task, k = load_data(cfg["dataset"], seed, **d)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)

    m = cfg["model"]
    acts = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
    layers, lin_hidden, width = [], [], Xtr.shape[1]
    for h in m.get("hidden", []):
        lin = nn.Linear(width, h)
        lin_hidden.append(lin)
        layers += [lin, acts[m.get("act", "relu")]()]
        if m.get("dropout", 0) > 0:
            layers.append(nn.Dropout(m["dropout"]))
        width = h
    n_out = k if task == "multiclass" else 1
    layers.append(nn.Linear(width, n_out))
    model = nn.Sequential(*layers)
    init = m.get("init", "default")
    with torch.no_grad():
        if init == "dead_relu":            # every hidden ReLU starts (and stays) switched off
            for lin in lin_hidden:
                lin.bias.fill_(m.get("bias", -20.0))
        elif init.startswith("normal"):    # e.g. normal0.01: N(0, std^2) weights, zero biases
            std = float(init[len("normal"):])
            for lin in lin_hidden:
                lin.weight.normal_(0.0, std); lin.bias.zero_()

    o = cfg["opt"]
    if o["name"] == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=o["lr"], momentum=o.get("momentum", 0.0),
                              weight_decay=o.get("wd", 0.0))
    elif o["name"] == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=o["lr"], weight_decay=o.get("wd", 0.0))
    else:
        raise ValueError(o["name"])
    epochs = cfg["epochs"]
    if o.get("cosine"):
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    elif o.get("warmup_to"):          # linear warm-up, epoch by epoch, to a peak lr (then held)
        peak, w = o["warmup_to"] / o["lr"], o.get("warmup_epochs", epochs)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 1 + (peak - 1) * min(1.0, e / w))
    else:
        sched = None

    if task == "multiclass":
        loss_fn = nn.CrossEntropyLoss()
        def correct(out, yb): return (out.argmax(1) == yb).sum().item()
        def tgt(yb): return yb
    elif task == "binary":
        loss_fn = nn.BCEWithLogitsLoss()
        def correct(out, yb): return ((out[:, 0] > 0).long() == yb).sum().item()
        def tgt(yb): return yb.float()
    else:
        loss_fn = nn.MSELoss()
        correct = None
        def tgt(yb): return yb
    squeeze = task != "multiclass"

    Xtr_t, ytr_t = torch.from_numpy(Xtr), torch.from_numpy(ytr)
    Xva_t, yva_t = torch.from_numpy(Xva), torch.from_numpy(yva)
    bs = cfg.get("batch", 32)
    n = len(Xtr_t)
    hist = {"loss": [], "val_loss": []}
    if correct:
        hist["accuracy"] = []; hist["val_accuracy"] = []
    with np.errstate(all="ignore"):
        for _ in range(epochs):
            model.train()
            perm = torch.randperm(n, generator=gen)
            tot, tot_c = 0.0, 0
            for i in range(0, n, bs):
                idx = perm[i:i + bs]
                xb, yb = Xtr_t[idx], ytr_t[idx]
                out = model(xb)
                loss = loss_fn(out[:, 0] if squeeze else out, tgt(yb))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                tot += loss.item() * len(idx)
                if correct:
                    tot_c += correct(out.detach(), yb)
            if sched:
                sched.step()
            model.eval()
            with torch.no_grad():
                out = model(Xva_t)
                vl = loss_fn(out[:, 0] if squeeze else out, tgt(yva_t)).item()
                vc = correct(out, yva_t) if correct else None
            hist["loss"].append(tot / n)
            hist["val_loss"].append(float(vl))
            if correct:
                hist["accuracy"].append(tot_c / n)
                hist["val_accuracy"].append(vc / len(Xva_t))
    return {"hist": hist, "task": task, "k": k, "n_train": n, "n_val": len(Xva_t)}


def reference_loss(dataset: str, data: dict, seed: int) -> tuple[float, float]:
    """(min val_loss, train loss at that epoch) a properly sized, regularised MLP reaches on the
    same split: the yardstick for 'underfitting'."""
    ref_data = {k: v for k, v in data.items() if k in ("n", "n_train", "val_frac", "noise")}
    cfg = {"dataset": dataset, "data": ref_data, "epochs": 80, "batch": 32,
           "model": {"hidden": [128, 128], "dropout": 0.1},
           "opt": {"name": "adam", "lr": 1e-3, "wd": 1e-4, "cosine": True}}
    h = train_run(cfg, seed)["hist"]
    i = int(np.nanargmin(h["val_loss"]))
    return float(h["val_loss"][i]), float(h["loss"][i])


# --------------------------------------------------------------------------------------------
# the checks: one numeric definition per verdict

def smooth(x: np.ndarray, w: int = 5) -> np.ndarray:
    """Centred moving average, window ``w`` (shrinks at the ends): light smoothing."""
    h = w // 2
    return np.array([x[max(0, i - h): i + h + 1].mean() for i in range(len(x))])


def noise(x: np.ndarray) -> float:
    """Epoch-to-epoch noise, trend removed: robust sigma from second differences
    (for white noise of sd s, median |x[t+1] - 2x[t] + x[t-1]| = 1.652 s)."""
    if len(x) < 4:
        return 0.0
    return float(np.median(np.abs(np.diff(x, 2))) / 1.652)


def trend(x: np.ndarray) -> float:
    """Change over ``x`` of its least-squares line (end minus start)."""
    t = np.arange(len(x))
    return float(np.polyfit(t, x, 1)[0] * (len(x) - 1))


def metrics(h: dict, task: str, k: int) -> dict:
    with np.errstate(all="ignore"):
        return _metrics(h, task, k)


def _metrics(h: dict, task: str, k: int) -> dict:
    tr, va = np.asarray(h["loss"], float), np.asarray(h["val_loss"], float)
    n = len(tr)
    M = {"n": n, "finite": bool(np.isfinite(tr).all() and np.isfinite(va).all()),
         "no_skill": no_skill_loss(task, k)}
    M["first_nonfinite"] = (int(np.argmax(~(np.isfinite(tr) & np.isfinite(va))))
                            if not M["finite"] else None)
    if not M["finite"]:
        return M
    third = max(3, n // 3)
    sv = smooth(va)
    M.update(
        tr0=tr[0], tr_end=tr[-1], va0=va[0], va_end=va[-1], va_min=va.min(),
        va_argmin=int(va.argmin()), noise_va=noise(va), noise_tr=noise(tr),
        onset=int(sv.argmin()), tr_at_onset=float(tr[int(sv.argmin())]),
        tr_drop_rel=(tr[0] - tr.min()) / abs(tr[0]),
        va_drop_rel=(va[0] - va.min()) / abs(va[0]),
        va_trend_last3=trend(va[-third:]), tr_trend_last3=trend(tr[-third:]),
        gap_end=float(np.mean(va[-3:]) - np.mean(tr[-3:])),
        gap_start3=float(np.mean(va[-third:][:3]) - np.mean(tr[-third:][:3])),
        max_tr_ratio=tr.max() / tr[0], max_va_ratio=va.max() / va[0],
        med_abs_dva=float(np.median(np.abs(np.diff(va)))),
        jitter_va=float(np.median(np.abs(np.diff(va[n // 2:])))),
    )
    q = n - 1 - max(2, int(round(0.25 * (n - 1))))      # epoch 25% of the run before the end
    M["va_drop_last25"] = float(sv[q] - sv[-1])
    M["tr_drop_last25"] = float(smooth(tr)[q] - smooth(tr)[-1])
    # oscillation: sign changes of the epoch-to-epoch difference, and its size vs the level
    for key, x in (("tr", tr), ("va", va)):
        dx = np.diff(x)
        s = np.sign(dx[dx != 0])
        M[f"flips_{key}"] = float(np.mean(s[1:] != s[:-1])) if len(s) > 2 else 0.0
        half = x[n // 2:]
        M[f"swing_{key}"] = float(np.median(np.abs(np.diff(half))) / np.median(half))
        M[f"spread_{key}_last_half"] = float(half.max() / half.min()) if half.min() > 0 else math.inf
    return M


def check_good_fit(M, ref=None):
    if not M["finite"]:
        return False, "non-finite"
    learned = M["va0"] - M["va_min"]
    tol = max(3 * M["noise_va"], 0.05 * M["va_min"], 0.02 * learned)
    c = {
        "learned (train fell >=30%)": M["tr_end"] < 0.7 * M["tr0"],
        "final val within 5% of min (or 2 noise)": (M["va_end"] <= 1.05 * M["va_min"]
                                                    or M["va_end"] - M["va_min"] <= 2 * M["noise_va"]),
        "no val trend in last third": abs(M["va_trend_last3"]) <= tol,
        "gap small (<= 0.15 x no-skill loss)": M["gap_end"] <= 0.15 * M["no_skill"],
        "gap not growing": M["gap_end"] - M["gap_start3"] <= tol,
        "settled (val jitter, 2nd half, <= 10% of what was learned)":
            M["jitter_va"] <= 0.1 * learned,
        "not oscillating (val swings < 10% of level, 2nd half)": M["swing_va"] < 0.10,
    }
    if ref is not None:   # level: as good as a properly sized reference model on the same split
        c["val close to the reference model (<= 1.5 x ref, or ref + 0.02 x no-skill)"] = (
            M["va_end"] <= 1.5 * ref or M["va_end"] <= ref + 0.02 * M["no_skill"])
    return all(c.values()), c


def check_overfitting(M, ref=None):
    if not M["finite"]:
        return False, "non-finite"
    o, n = M["onset"], M["n"]
    c = {
        "val improved first (min < 0.95 x first)": M["va_min"] < 0.95 * M["va0"],
        "onset not in the last 20%": o <= 0.8 * (n - 1),
        "final val >= 1.15 x min": M["va_end"] >= 1.15 * M["va_min"],
        "rise >= 5 x noise": M["va_end"] - M["va_min"] >= 5 * M["noise_va"],
        "train kept falling after onset (end < 0.9 x at onset)": M["tr_end"] < 0.9 * M["tr_at_onset"],
    }
    return all(c.values()), c


def check_underfitting(M, ref=None):
    if not M["finite"]:
        return False, "non-finite"
    tol_tr = max(3 * M["noise_tr"], 0.02 * M["tr_end"])
    tol_va = max(3 * M["noise_va"], 0.02 * M["va_end"])
    c = {
        "learned (train fell >= 10%)": M["tr_end"] <= 0.9 * M["tr0"],
        "train and val close (within 20%)":
            abs(M["tr_end"] - M["va_end"]) <= 0.2 * max(M["tr_end"], M["va_end"]),
        "train flat at end (last 25%)": abs(M["tr_drop_last25"]) <= tol_tr,
        "val flat at end (last 25%)": abs(M["va_drop_last25"]) <= tol_va,
        "not oscillating (val swings < 10% of level, 2nd half)": M["swing_va"] < 0.10,
    }
    # the level needs the reference model; without one (runs of other verdicts, checked for
    # exclusivity) only the shape is tested
    if ref is not None:
        c["final train > 3 x reference"] = M["tr_end"] > 3 * ref
    return all(c.values()), c


def check_still_improving(M, ref=None):
    if not M["finite"]:
        return False, "non-finite"
    n = M["n"]
    last10 = n - max(1, math.ceil(0.1 * n))
    c = {
        "learned (train fell >= 10%)": M["tr_end"] <= 0.9 * M["tr0"],
        "val min in the last 10% of epochs": M["va_argmin"] >= last10,
        # noise = detrended epoch-to-epoch noise (see noise()); the raw median |change| of a
        # smooth falling curve measures its slope, not its noise
        "val drop over last 25% > 3 x noise": M["va_drop_last25"] > 3 * M["noise_va"],
        "val drop over last 25% >= 3% of level": M["va_drop_last25"] >= 0.03 * M["va_end"],
        "train still falling": M["tr_drop_last25"] > 0,
    }
    return all(c.values()), c


def check_not_learning(M, ref=None):
    if not M["finite"]:
        return False, "non-finite"
    c = {
        "train drop < 3% of first": M["tr_drop_rel"] < 0.03,
        "val drop < 3% of first": M["va_drop_rel"] < 0.03,
        "no blow-up (max < 1.5 x first)": M["max_tr_ratio"] < 1.5 and M["max_va_ratio"] < 1.5,
        "no sustained swings": M["swing_tr"] < 0.05,
    }
    return all(c.values()), c


def check_unstable(M, ref=None):
    if not M["finite"]:
        return False, "non-finite"
    c = {
        "no blow-up (train max <= 3 x first, val max <= 5 x first)":
            M["max_tr_ratio"] <= 3 and M["max_va_ratio"] <= 5,
        "ends not far above start (<= 1.5 x first)":
            M["tr_end"] <= 1.5 * M["tr0"] and M["va_end"] <= 1.5 * M["va0"],
        "val direction flips often (>= 40%)": M["flips_va"] >= 0.4,
        "train direction flips often (>= 30%)": M["flips_tr"] >= 0.3,
        "val swings >= 10% of level (2nd half, median)": M["swing_va"] >= 0.10,
        "train swings >= 3% of level (2nd half, median)": M["swing_tr"] >= 0.03,
        "val spikes (2nd half max >= 2 x 2nd half min)": M["spread_va_last_half"] >= 2.0,
    }
    return all(c.values()), c


def check_diverged(M, ref=None):
    if not M["finite"]:
        return True, {"non-finite value": True}
    c = {"train exploded (max and end > 3 x first)":
         M["max_tr_ratio"] > 3 and M["tr_end"] > 3 * M["tr0"]}
    return all(c.values()), c


CHECKS = {"good_fit": check_good_fit, "overfitting": check_overfitting,
          "underfitting": check_underfitting, "still_improving": check_still_improving,
          "not_learning": check_not_learning, "unstable": check_unstable,
          "diverged": check_diverged}


def evaluate(h, task, k, ref):
    M = metrics(h, task, k)
    res = {v: CHECKS[v](M, ref) for v in VERDICTS}
    return M, res


# --------------------------------------------------------------------------------------------
# the run specs

def S(verdict, dataset, seed, epochs, model, opt, *, data=None, batch=32, condition, notes=""):
    return {"verdict": verdict, "dataset": dataset, "seed": seed, "epochs": epochs,
            "model": model, "opt": opt, "data": data or {}, "batch": batch,
            "condition": condition, "notes": notes}


def specs() -> list[dict]:
    R = []
    # ---- good_fit: right-sized MLP, Adam 1e-3..3e-3, weight decay / dropout, enough data --------
    g = "good_fit"
    R += [S(g, "digits", s, 40, {"hidden": [128], "dropout": 0.2},
            {"name": "adam", "lr": 1e-3, "wd": 1e-4, "cosine": True},
            condition="mlp128_dropout0.2_adam1e-3_wd1e-4_cosine") for s in (0, 1)]
    R += [S(g, "digits", 2, 30, {"hidden": [64, 64], "dropout": 0.1},
            {"name": "adam", "lr": 2e-3, "wd": 1e-4, "cosine": True},
            condition="mlp64x2_dropout0.1_adam2e-3_wd1e-4_cosine")]
    R += [S(g, "breast_cancer", s, 60, {"hidden": [32], "dropout": 0.1},
            {"name": "adam", "lr": 1e-3, "wd": 1e-3, "cosine": True},
            condition="mlp32_dropout0.1_adam1e-3_wd1e-3_cosine") for s in (0, 1)]
    R += [S(g, "wine", 0, 60, {"hidden": [32], "dropout": 0.1},
            {"name": "adam", "lr": 3e-3, "wd": 1e-3, "cosine": True}, batch=16,
            condition="mlp32_dropout0.1_adam3e-3_wd1e-3_cosine")]
    R += [S(g, "moons", s, 60, {"hidden": [64, 64]},
            {"name": "adam", "lr": 3e-3, "wd": 1e-4}, data={"n": 2000},
            condition="mlp64x2_adam3e-3_wd1e-4") for s in (0, 1)]
    R += [S(g, "circles", 0, 40, {"hidden": [32, 32]},
            {"name": "adam", "lr": 1e-3, "wd": 1e-4, "cosine": True}, data={"n": 2000},
            condition="mlp32x2_adam1e-3_wd1e-4_cosine")]
    R += [S(g, "friedman1", s, 60, {"hidden": [128, 128]},
            {"name": "adam", "lr": 1e-3, "wd": 1e-4, "cosine": True}, data={"n": 3000},
            condition="mlp128x2_adam1e-3_wd1e-4_cosine") for s in (0, 1)]
    R += [S(g, "classification", 0, 50, {"hidden": [128], "dropout": 0.2},
            {"name": "adam", "lr": 1e-3, "wd": 1e-4, "cosine": True}, data={"n": 4000},
            condition="mlp128_dropout0.2_adam1e-3_wd1e-4_cosine")]
    R += [S(g, "diabetes", 0, 60, {"hidden": [16], "dropout": 0.1},
            {"name": "adam", "lr": 1e-3, "wd": 1e-3, "cosine": True},
            condition="mlp16_dropout0.1_adam1e-3_wd1e-3_cosine")]

    # ---- overfitting: big net, little data, no regularisation, often noisy labels --------------
    o = "overfitting"
    R += [S(o, "digits", s, 120, {"hidden": [1024, 1024]}, {"name": "adam", "lr": 1e-4},
            data={"n_train": 200, "label_noise": 0.2},
            condition="mlp1024x2_adam1e-4_200train_flip20%") for s in (0, 1)]
    R += [S(o, "digits", 2, 100, {"hidden": [512, 512]}, {"name": "sgd", "lr": 0.02, "momentum": 0.9},
            data={"n_train": 300, "label_noise": 0.1},
            condition="mlp512x2_sgd0.02_momentum0.9_300train_flip10%")]
    R += [S(o, "breast_cancer", s, 150, {"hidden": [512, 512]}, {"name": "adam", "lr": 1e-4},
            data={"n_train": 150, "label_noise": 0.15},
            condition="mlp512x2_adam1e-4_150train_flip15%") for s in (0, 1)]
    R += [S(o, "breast_cancer", 2, 150, {"hidden": [1024, 1024]},
            {"name": "sgd", "lr": 0.01, "momentum": 0.9}, data={"n_train": 100, "label_noise": 0.1},
            condition="mlp1024x2_sgd0.01_momentum0.9_100train_flip10%")]
    R += [S(o, "wine", 0, 150, {"hidden": [512, 512]}, {"name": "adam", "lr": 1e-4},
            data={"label_noise": 0.2}, batch=16,
            condition="mlp512x2_adam1e-4_133train_flip20%")]
    R += [S(o, "wine", 1, 150, {"hidden": [512, 512]}, {"name": "sgd", "lr": 0.01, "momentum": 0.9},
            data={"label_noise": 0.2}, batch=16,
            condition="mlp512x2_sgd0.01_momentum0.9_133train_flip20%")]
    R += [S(o, "moons", 0, 150, {"hidden": [512, 512]}, {"name": "adam", "lr": 1e-3},
            data={"n": 1000, "n_train": 60, "noise": 0.35, "label_noise": 0.2}, batch=16,
            condition="mlp512x2_adam1e-3_60train_flip20%")]
    R += [S(o, "circles", 0, 150, {"hidden": [512, 512]}, {"name": "adam", "lr": 1e-3},
            data={"n": 1000, "n_train": 60, "noise": 0.2, "label_noise": 0.2}, batch=16,
            condition="mlp512x2_adam1e-3_60train_flip20%")]
    R += [S(o, "diabetes", s, 150, {"hidden": [512, 512]}, {"name": "adam", "lr": 1e-4},
            condition="mlp512x2_adam1e-4_331train") for s in (0, 1)]
    R += [S(o, "friedman1", 0, 150, {"hidden": [512, 512]}, {"name": "adam", "lr": 1e-4},
            data={"n": 1000, "n_train": 100, "noise": 2.0},
            condition="mlp512x2_adam1e-4_100train_noise2")]
    R += [S(o, "classification", 0, 100, {"hidden": [1024, 1024]}, {"name": "adam", "lr": 1e-4},
            data={"n_train": 300, "label_noise": 0.2},
            condition="mlp1024x2_adam1e-4_300train_flip20%")]
    R += [S(o, "regression", 0, 150, {"hidden": [512, 512]}, {"name": "adam", "lr": 1e-4},
            data={"n": 1000, "n_train": 100, "noise": 100.0},
            condition="mlp512x2_adam1e-4_100train_noise100")]

    # ---- underfitting: too little capacity / far too much weight decay -------------------------
    u = "underfitting"
    R += [S(u, "moons", s, 60, {"hidden": []}, {"name": "adam", "lr": 1e-2},
            data={"n": 2000, "noise": 0.15}, condition="linear_adam1e-2") for s in (0, 1)]
    R += [S(u, "digits", s, 80, {"hidden": [2]}, {"name": "adam", "lr": 1e-2, "cosine": True},
            condition="mlp2units_adam1e-2_cosine") for s in (0, 1)]
    R += [S(u, "digits", 2, 60, {"hidden": [128]}, {"name": "adam", "lr": 1e-3, "wd": 0.1},
            condition="mlp128_adam1e-3_wd0.1")]
    R += [S(u, "digits", 3, 60, {"hidden": []}, {"name": "adam", "lr": 1e-3, "wd": 0.3},
            condition="linear_adam1e-3_wd0.3")]
    R += [S(u, "friedman1", s, 60, {"hidden": []}, {"name": "adam", "lr": 1e-2},
            data={"n": 3000, "noise": 0.3}, condition="linear_adam1e-2") for s in (0, 1)]
    R += [S(u, "friedman1", 2, 60, {"hidden": [64, 64]}, {"name": "adam", "lr": 1e-3, "wd": 0.3},
            data={"n": 3000, "noise": 0.3}, condition="mlp64x2_adam1e-3_wd0.3")]
    R += [S(u, "circles", s, 80, {"hidden": [2]}, {"name": "adam", "lr": 1e-2},
            data={"n": 2000, "noise": 0.05}, condition="mlp2units_adam1e-2") for s in (0, 1)]
    R += [S(u, "wine", 0, 60, {"hidden": [32]}, {"name": "adam", "lr": 3e-3, "wd": 0.5}, batch=16,
            condition="mlp32_adam3e-3_wd0.5")]
    R += [S(u, "regression", 0, 60, {"hidden": [64]}, {"name": "adam", "lr": 1e-3, "wd": 1.0},
            data={"noise": 10.0}, condition="mlp64_adam1e-3_wd1.0")]

    # ---- still_improving: healthy model, too few epochs / too small an lr ----------------------
    si = "still_improving"
    R += [S(si, "digits", s, 20, {"hidden": [128]}, {"name": "sgd", "lr": 0.01},
            condition="mlp128_sgd0.01_20epochs") for s in (0, 1)]
    R += [S(si, "digits", 2, 25, {"hidden": [64, 64]}, {"name": "sgd", "lr": 0.005},
            condition="mlp64x2_sgd0.005_25epochs")]
    R += [S(si, "breast_cancer", s, 30, {"hidden": [32]}, {"name": "adam", "lr": 3e-5},
            condition="mlp32_adam3e-5_30epochs") for s in (0, 1)]
    R += [S(si, "wine", 0, 30, {"hidden": [32]}, {"name": "sgd", "lr": 0.005}, batch=16,
            condition="mlp32_sgd0.005_30epochs")]
    R += [S(si, "friedman1", s, 30, {"hidden": [128, 128]}, {"name": "sgd", "lr": 0.003},
            data={"n": 3000}, condition="mlp128x2_sgd0.003_30epochs") for s in (0, 1)]
    R += [S(si, "moons", 0, 25, {"hidden": [64, 64]}, {"name": "adam", "lr": 1e-4},
            data={"n": 2000}, condition="mlp64x2_adam1e-4_25epochs")]
    R += [S(si, "circles", 0, 30, {"hidden": [32, 32]}, {"name": "adam", "lr": 3e-4},
            data={"n": 2000}, condition="mlp32x2_adam3e-4_30epochs")]
    R += [S(si, "classification", 0, 20, {"hidden": [128]}, {"name": "sgd", "lr": 0.005},
            data={"n": 4000}, condition="mlp128_sgd0.005_20epochs")]
    R += [S(si, "diabetes", 0, 25, {"hidden": [32]}, {"name": "sgd", "lr": 1e-3},
            condition="mlp32_sgd1e-3_25epochs")]

    # ---- not_learning: lr far too small, vanishing gradients, random labels, dead ReLUs --------
    nl = "not_learning"
    R += [S(nl, "digits", 0, 30, {"hidden": [128]}, {"name": "sgd", "lr": 1e-6},
            condition="mlp128_sgd1e-6")]
    R += [S(nl, "breast_cancer", 0, 40, {"hidden": [32]}, {"name": "sgd", "lr": 1e-7},
            condition="mlp32_sgd1e-7")]
    R += [S(nl, "friedman1", 0, 30, {"hidden": [64, 64]}, {"name": "sgd", "lr": 1e-6},
            condition="mlp64x2_sgd1e-6")]
    R += [S(nl, "digits", 1, 40, {"hidden": [64] * 10, "act": "sigmoid", "init": "normal0.05"},
            {"name": "sgd", "lr": 0.01}, condition="sigmoid10x64_init_normal0.05_sgd0.01")]
    R += [S(nl, "wine", 0, 60, {"hidden": [32] * 8, "act": "sigmoid", "init": "normal0.05"},
            {"name": "sgd", "lr": 0.01}, batch=16, condition="sigmoid8x32_init_normal0.05_sgd0.01")]
    R += [S(nl, "moons", 0, 40, {"hidden": [32] * 10, "act": "sigmoid", "init": "normal0.05"},
            {"name": "sgd", "lr": 0.01}, data={"n": 2000},
            condition="sigmoid10x32_init_normal0.05_sgd0.01")]
    R += [S(nl, "digits", 2, 30, {"hidden": [32]}, {"name": "adam", "lr": 1e-4, "wd": 1e-3},
            data={"random_labels": True}, condition="mlp32_adam1e-4_random_labels")]
    R += [S(nl, "classification", 0, 30, {"hidden": [32]}, {"name": "adam", "lr": 1e-4},
            data={"n": 4000, "random_labels": True}, condition="mlp32_adam1e-4_random_labels")]
    R += [S(nl, "moons", 1, 30, {"hidden": [32]}, {"name": "adam", "lr": 1e-4},
            data={"n": 2000, "random_labels": True}, condition="mlp32_adam1e-4_random_labels")]
    R += [S(nl, "digits", 3, 30, {"hidden": [128, 128], "init": "dead_relu"},
            {"name": "adam", "lr": 1e-3}, condition="mlp128x2_dead_relu_bias-20_adam1e-3")]
    R += [S(nl, "friedman1", 1, 30, {"hidden": [128, 128], "init": "dead_relu"},
            {"name": "adam", "lr": 1e-3}, data={"n": 2000},
            condition="mlp128x2_dead_relu_bias-20_adam1e-3")]
    R += [S(nl, "wine", 1, 40, {"hidden": [64], "init": "dead_relu"},
            {"name": "sgd", "lr": 0.01}, batch=16, condition="mlp64_dead_relu_bias-20_sgd0.01")]
    R += [S(nl, "regression", 0, 30, {"hidden": [64, 64], "init": "dead_relu"},
            {"name": "sgd", "lr": 0.01}, condition="mlp64x2_dead_relu_bias-20_sgd0.01")]

    # ---- unstable: lr too high, short of diverging ---------------------------------------------
    un = "unstable"
    R += [S(un, "moons", s, 40, {"hidden": [64, 64]}, {"name": "sgd", "lr": 0.3, "momentum": 0.9},
            batch=16, data={"n": 1000}, condition="mlp64x2_sgd0.3_momentum0.9_batch16")
          for s in (0, 2)]
    R += [S(un, "friedman1", 0, 40, {"hidden": [64, 64]}, {"name": "adam", "lr": 0.03},
            batch=8, condition="mlp64x2_adam0.03_batch8")]
    R += [S(un, "friedman1", 1, 40, {"hidden": [64, 64]}, {"name": "adam", "lr": 0.05},
            batch=8, condition="mlp64x2_adam0.05_batch8")]
    R += [S(un, "friedman1", 2, 30, {"hidden": [64]}, {"name": "sgd", "lr": 0.1},
            data={"raw_y": True}, condition="mlp64_sgd0.1_raw_targets")]
    R += [S(un, "classification", 0, 40, {"hidden": [64]}, {"name": "sgd", "lr": 0.5, "wd": 1e-3},
            batch=8, condition="mlp64_sgd0.5_wd1e-3_batch8")]
    R += [S(un, "breast_cancer", 0, 40, {"hidden": [64], "dropout": 0.3},
            {"name": "adam", "lr": 0.03, "wd": 1e-3}, batch=16,
            condition="mlp64_dropout0.3_adam0.03_wd1e-3_batch16")]
    R += [S(un, "breast_cancer", 1, 40, {"hidden": [64]}, {"name": "adam", "lr": 0.05, "wd": 1e-3},
            batch=16, condition="mlp64_adam0.05_wd1e-3_batch16")]
    R += [S(un, "circles", 0, 40, {"hidden": [64]}, {"name": "adam", "lr": 0.05, "wd": 1e-3},
            batch=16, data={"n": 1000}, condition="mlp64_adam0.05_wd1e-3_batch16")]
    R += [S(un, "wine", 0, 40, {"hidden": [64], "dropout": 0.3},
            {"name": "adam", "lr": 0.03, "wd": 1e-3}, batch=16,
            condition="mlp64_dropout0.3_adam0.03_wd1e-3_batch16")]
    R += [S(un, "regression", 0, 40, {"hidden": [64, 64]}, {"name": "adam", "lr": 0.03}, batch=8,
            data={"noise": 30.0}, condition="mlp64x2_adam0.03_batch8")]
    R += [S(un, "digits", 0, 40, {"hidden": [64], "dropout": 0.5},
            {"name": "adam", "lr": 0.01, "wd": 1e-3}, batch=16,
            condition="mlp64_dropout0.5_adam0.01_wd1e-3_batch16")]
    R += [S(un, "digits", 1, 40, {"hidden": [64]}, {"name": "adam", "lr": 0.02, "wd": 1e-2},
            condition="mlp64_adam0.02_wd1e-2")]
    R += [S(un, "digits", 2, 40, {"hidden": [64]}, {"name": "sgd", "lr": 0.2, "wd": 1e-2},
            batch=8, condition="mlp64_sgd0.2_wd1e-2_batch8")]

    # ---- diverged: lr far too high (at once, or reached by a warm-up), unnormalised targets ----
    dv = "diverged"
    R += [S(dv, "digits", 0, 20, {"hidden": [128]}, {"name": "sgd", "lr": 50.0},
            condition="mlp128_sgd50")]
    R += [S(dv, "moons", 0, 20, {"hidden": [64, 64]}, {"name": "sgd", "lr": 100.0, "momentum": 0.9},
            condition="mlp64x2_sgd100_momentum0.9")]
    R += [S(dv, "diabetes", 0, 30, {"hidden": [64]}, {"name": "sgd", "lr": 0.01},
            data={"raw_y": True}, condition="mlp64_sgd0.01_raw_targets")]
    R += [S(dv, "regression", 1, 40, {"hidden": [64, 64]},
            {"name": "sgd", "lr": 0.001, "momentum": 0.9, "warmup_to": 1.0, "warmup_epochs": 30},
            condition="mlp64x2_sgd_momentum0.9_warmup_0.001_to_1.0")]
    R += [S(dv, "classification", 0, 40, {"hidden": [128]},
            {"name": "sgd", "lr": 0.01, "momentum": 0.9, "warmup_to": 3.0, "warmup_epochs": 30},
            condition="mlp128_sgd_momentum0.9_warmup_0.01_to_3.0")]
    R += [S(dv, "digits", 1, 40, {"hidden": [128]},
            {"name": "sgd", "lr": 0.01, "momentum": 0.9, "warmup_to": 2.0, "warmup_epochs": 30},
            condition="mlp128_sgd_momentum0.9_warmup_0.01_to_2.0")]
    R += [S(dv, "breast_cancer", 0, 40, {"hidden": [64]},
            {"name": "sgd", "lr": 0.01, "momentum": 0.9, "warmup_to": 5.0, "warmup_epochs": 30},
            condition="mlp64_sgd_momentum0.9_warmup_0.01_to_5.0")]
    R += [S(dv, "friedman1", 0, 40, {"hidden": [64, 64]},
            {"name": "sgd", "lr": 0.001, "momentum": 0.9, "warmup_to": 0.3, "warmup_epochs": 30},
            condition="mlp64x2_sgd_momentum0.9_warmup_0.001_to_0.3")]
    R += [S(dv, "moons", 1, 40, {"hidden": [64, 64]},
            {"name": "sgd", "lr": 0.01, "momentum": 0.9, "warmup_to": 10.0, "warmup_epochs": 30},
            data={"n": 1000}, condition="mlp64x2_sgd_momentum0.9_warmup_0.01_to_10")]
    R += [S(dv, "wine", 1, 40, {"hidden": [64]},
            {"name": "sgd", "lr": 0.01, "momentum": 0.9, "warmup_to": 3.0, "warmup_epochs": 30},
            batch=16, condition="mlp64_sgd_momentum0.9_warmup_0.01_to_3.0")]
    R += [S(dv, "digits", 2, 40, {"hidden": [64]}, {"name": "sgd", "lr": 0.5, "wd": 1e-3},
            batch=8, condition="mlp64_sgd0.5_wd1e-3_batch8")]
    R += [S(dv, "breast_cancer", 1, 40, {"hidden": [128]},
            {"name": "sgd", "lr": 0.3, "momentum": 0.9}, batch=16,
            condition="mlp128_sgd0.3_momentum0.9_batch16")]
    R += [S(dv, "wine", 0, 30, {"hidden": [64]}, {"name": "sgd", "lr": 0.5, "momentum": 0.9},
            batch=4, condition="mlp64_sgd0.5_momentum0.9_batch4")]
    R += [S(dv, "friedman1", 1, 30, {"hidden": [64]}, {"name": "sgd", "lr": 0.05, "momentum": 0.9},
            data={"raw_y": True}, condition="mlp64_sgd0.05_momentum0.9_raw_targets")]
    for i, r in enumerate(R, 1):
        r["file"] = f"r{i:03d}_{r['dataset']}.csv"
    return R


# --------------------------------------------------------------------------------------------
# running one spec (in a worker process): train, check, retry with the next seed on failure

def do_spec(spec: dict) -> dict:
    import torch
    torch.set_num_threads(1)
    t0 = time.time()
    tried = []
    for a in range(ATTEMPTS):
        seed = spec["seed"] + 100 * a
        out = train_run(spec, seed)
        h = out["hist"]
        ref = ref_tr = None
        if spec["verdict"] in ("underfitting", "good_fit"):
            ref, ref_tr = reference_loss(spec["dataset"], spec["data"], seed)
        M, res = evaluate(h, out["task"], out["k"], ref)
        own_ok = res[spec["verdict"]][0]
        others = [v for v in VERDICTS if v != spec["verdict"] and res[v][0]]
        tried.append({"seed": seed, "own_ok": own_ok, "others": others,
                      "failed": ([name for name, ok in res[spec["verdict"]][1].items() if not ok]
                                 if isinstance(res[spec["verdict"]][1], dict) else
                                 [res[spec["verdict"]][1]])})
        if own_ok and not others:
            return {"spec": spec, "ok": True, "seed": seed, "attempt": a, "hist": h,
                    "task": out["task"], "M": M,
                    "ref": ref, "ref_tr": ref_tr, "tried": tried, "secs": time.time() - t0,
                    "n_train": out["n_train"], "n_val": out["n_val"]}
    return {"spec": spec, "ok": False, "tried": tried, "secs": time.time() - t0}


def write_keras_csv(path: Path, hist: dict) -> None:
    """Exactly what keras.callbacks.CSVLogger writes: csv.excel dialect (CRLF line ends), columns
    'epoch' then the log keys sorted, floats as Python's repr (full precision), NaN as 'nan'."""
    keys = sorted(hist)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["epoch"] + keys, dialect=csv.excel)
        w.writeheader()
        for e in range(len(hist["loss"])):
            w.writerow({"epoch": e, **{k: float(hist[k][e]) for k in keys}})


def describe(r: dict) -> str:
    s, M = r["spec"], r["M"]
    parts = [s["notes"]] if s["notes"] else []
    parts.append(f"{r['n_train']} train / {r['n_val']} val samples, batch {s['batch']}")
    if s["verdict"] == "underfitting":
        parts.append(f"reference MLP 128x2 (Adam 1e-3, wd 1e-4, dropout 0.1, cosine, 80 epochs) on "
                     f"the same split reaches val_loss {r['ref']:.4g} (train {r['ref_tr']:.4g}); "
                     f"this run ends at train {M['tr_end']:.4g} / val {M['va_end']:.4g}")
    elif s["verdict"] == "overfitting":
        parts.append(f"val_loss min {M['va_min']:.4g} (smoothed min at epoch {M['onset']}), "
                     f"final {M['va_end']:.4g} ({M['va_end'] / M['va_min']:.2f}x min)")
    elif s["verdict"] == "diverged":
        if M["first_nonfinite"] is not None:
            parts.append(f"first nan/inf at epoch {M['first_nonfinite']}")
        else:
            parts.append(f"train loss rises to {M['max_tr_ratio']:.3g}x its first value")
    elif s["verdict"] == "not_learning":
        parts.append(f"train loss drop {100 * M['tr_drop_rel']:.2f}% of its first value")
    elif s["verdict"] == "still_improving":
        parts.append(f"val_loss fell {M['va_drop_last25']:.4g} over the last 25% of epochs")
    elif s["verdict"] == "unstable":
        parts.append(f"val direction flips {100 * M['flips_va']:.0f}% of epochs, "
                     f"median swing {100 * M['swing_va']:.0f}% of level")
    elif s["verdict"] == "good_fit":
        parts.append(f"final val_loss {M['va_end']:.4g} vs min {M['va_min']:.4g}; reference MLP "
                     f"128x2 on the same split reaches val_loss {r['ref']:.4g}")
    if r["attempt"]:
        parts.append(f"accepted on attempt {r['attempt'] + 1} (earlier seeds failed the check)")
    return "; ".join(parts)


def show(path: str) -> None:
    """Print a CSV's curves as a small text table with bars."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    keys = [k for k in rows[0] if k != "epoch"]
    vals = {k: np.array([float(r[k]) for r in rows]) for k in keys}
    fin = np.concatenate([v[np.isfinite(v)] for k, v in vals.items() if "loss" in k] or [np.zeros(1)])
    top = fin.max() if len(fin) else 1.0
    print(path, " ".join(keys))
    for i, r in enumerate(rows):
        tr, va = vals["loss"][i], vals["val_loss"][i]
        bar = ""
        if np.isfinite(tr) and np.isfinite(va) and top > 0:
            width = 50
            a, b = int(width * tr / top), int(width * va / top)
            line = [" "] * (width + 1)
            line[min(a, width)] = "t"; line[min(b, width)] = "v" if a != b else "*"
            bar = "|" + "".join(line)
        print(f"{r['epoch']:>4} " + " ".join(f"{float(r[k]):>10.4g}" for k in keys) + "  " + bar)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="output folder (default %(default)s)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--only", nargs="*", choices=VERDICTS, metavar="VERDICT",
                    help="only the specs of these verdicts (development: use with a scratch --out, "
                         "since labels.csv is rewritten with just these runs)")
    ap.add_argument("--show", nargs="*", help="print these CSV files' curves and exit")
    args = ap.parse_args(argv)
    if args.show:
        for p in args.show:
            show(p); print()
        return 0

    all_specs = specs()
    todo = [s for s in all_specs if not args.only or s["verdict"] in args.only]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    print(f"{len(todo)} run specs, {args.jobs} worker(s), writing to {out}", flush=True)
    results = []
    import multiprocessing as mp
    # big jobs first for load balance (rough cost: epochs x samples x width)
    order = sorted(todo, key=lambda s: -s["epochs"] * max([1] + s["model"].get("hidden", [])))
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=mp.get_context("spawn")) as ex:
        futs = [ex.submit(do_spec, s) for s in order]
        for i, f in enumerate(as_completed(futs), 1):
            r = f.result()
            results.append(r)
            s = r["spec"]
            if r["ok"]:
                msg = f"ok (seed {r['seed']}, attempt {r['attempt'] + 1})"
            else:
                msg = "DROPPED: " + "; ".join(
                    f"seed {t['seed']}: own={'ok' if t['own_ok'] else 'fail ' + ','.join(t['failed'])}"
                    f"{' also ' + ','.join(t['others']) if t['others'] else ''}" for t in r["tried"])
            print(f"[{i:>3}/{len(todo)}] {time.time() - t0:6.0f}s {s['file']:<26} {s['verdict']:<15} "
                  f"{s['condition']:<42} {r['secs']:5.1f}s {msg}", flush=True)

    results.sort(key=lambda r: r["spec"]["file"])
    kept = [r for r in results if r["ok"]]
    # remove stale run files from an earlier generation, then write
    wanted = {r["spec"]["file"] for r in kept}
    for p in out.glob("r[0-9][0-9][0-9]_*.csv"):
        if p.name not in wanted:
            p.unlink()
    for r in kept:
        write_keras_csv(out / r["spec"]["file"], r["hist"])
    with open(out / "labels.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=LABEL_COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in kept:
            s = r["spec"]
            w.writerow({"file": s["file"], "verdict": s["verdict"],
                        "onset_epoch": r["M"]["onset"] if s["verdict"] == "overfitting" else "",
                        "dataset": s["dataset"], "condition": s["condition"], "seed": r["seed"],
                        "epochs": s["epochs"], "notes": describe(r)})

    # summary
    print(f"\n{'verdict':<16}{'runs':>5}{'dropped':>9}  datasets")
    ok_all = True
    for v in VERDICTS:
        rs = [r for r in kept if r["spec"]["verdict"] == v]
        dropped = sum(1 for r in results if not r["ok"] and r["spec"]["verdict"] == v)
        ds = {}
        for r in rs:
            ds[r["spec"]["dataset"]] = ds.get(r["spec"]["dataset"], 0) + 1
        print(f"{v:<16}{len(rs):>5}{dropped:>9}  " + ", ".join(f"{d} {c}" for d, c in sorted(ds.items())))
        if len(rs) < MIN_PER_VERDICT and not args.only:
            ok_all = False
    retried = sum(1 for r in kept if r["attempt"])
    print(f"{'total':<16}{len(kept):>5}{len(results) - len(kept):>9}  "
          f"({retried} kept after a re-seed)")
    print(f"generation time {time.time() - t0:.0f} s with {args.jobs} worker(s)")
    if not ok_all:
        print(f"FAILED: fewer than {MIN_PER_VERDICT} verified runs for some verdict", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
