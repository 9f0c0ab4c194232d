"""Does each pre-flight check fire on the set-ups built to trigger it, and on none of the healthy ones?

The healthy set: the 10 tasks of ``benchmarks/lr_tasks.py`` (written by another hand, for the
learning-rate benchmark: MLP, CNN, GRU, LSTM, Conv1d, BatchNorm/Dropout; classification, binary,
regression; standardised inputs, shuffled loaders), each checked as it is. The trigger cases: each
task with one mutation per check, where the mutation applies to its kind of task:

* ``unnormalised_input``: inputs times 100, plus 50;
* ``label_out_of_range``: class ids shifted by one (ids 1..C for C outputs); binary targets times 2;
* ``loss_output_mismatch``: a softmax (a sigmoid, for a binary task) after the model's output;
* ``initial_loss``: the last linear layer's weights times 50;
* ``cannot_overfit_batch``: every input 0 (a normalisation that divides by a huge number);
* ``class_imbalance``: all of class 0 kept and 4 % of the others (binary: of the positives);
* ``train_val_leak``: a fifth of the validation samples replaced by training samples;
* ``eval_mode``: ``F.dropout`` on the input without ``training=self.training`` (on in ``eval()``);
* ``unshuffled_data``: the training samples sorted by class, the loader not shuffled.

Printed: per check, the trigger cases where it fired (its code among the findings) and the other
codes found there; the healthy tasks where anything was found; seconds per call.

Run: .venv/bin/python benchmarks/preflight_checks.py   (from the repository root)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lr_tasks  # noqa: E402

import fitwatch  # noqa: E402

CHECKS = ("unnormalised_input", "label_out_of_range", "loss_output_mismatch", "initial_loss", "cannot_overfit_batch",
          "class_imbalance", "train_val_leak", "eval_mode", "unshuffled_data")


class _Then(nn.Module):
    def __init__(self, model, after):
        super().__init__()
        self.model, self.after = model, after

    def forward(self, x):
        return self.after(self.model(x))


class _InputDropout(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(F.dropout(x, 0.1))  # the slip: training=True whatever the mode


def _kind(s) -> str:
    name = type(s.loss_fn).__name__
    return {"CrossEntropyLoss": "classes", "BCEWithLogitsLoss": "binary"}.get(name, "regression")


def _loaders(xtr, ytr, xva, yva, shuffle=True, batch=64):
    g = torch.Generator().manual_seed(0)
    return (DataLoader(TensorDataset(xtr, ytr), batch_size=batch, shuffle=shuffle, generator=g),
            DataLoader(TensorDataset(xva, yva), batch_size=512))


def mutate(s, check: str):
    """The task's set-up with the mutation that should trigger ``check``, or None where it does not apply."""
    kind = _kind(s)
    xtr, ytr = s.train_loader.dataset.tensors
    xva, yva = s.val_loader.dataset.tensors
    model = s.model
    if check == "unnormalised_input":
        xtr, xva = xtr * 100 + 50, xva * 100 + 50
    elif check == "label_out_of_range":
        if kind == "regression":
            return None
        ytr, yva = (ytr + 1, yva + 1) if kind == "classes" else (ytr * 2, yva * 2)
    elif check == "loss_output_mismatch":
        if kind == "regression":
            return None
        model = _Then(model, nn.Softmax(dim=1) if kind == "classes" else nn.Sigmoid())
    elif check == "initial_loss":
        last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
        with torch.no_grad():
            last.weight.mul_(50)
    elif check == "cannot_overfit_batch":
        xtr, xva = torch.zeros_like(xtr), torch.zeros_like(xva)
    elif check == "class_imbalance":
        if kind == "regression":
            return None
        rng = np.random.default_rng(0)
        lab = ytr.reshape(len(ytr), -1)[:, 0].numpy()
        keep = (lab == 0) | (rng.random(len(lab)) < 0.04)
        xtr, ytr = xtr[keep], ytr[keep]
    elif check == "train_val_leak":
        k = len(xva) // 5
        xva, yva = torch.cat([xtr[:k], xva[k:]]), torch.cat([ytr[:k], yva[k:]])
    elif check == "eval_mode":
        model = _InputDropout(model)
    elif check == "unshuffled_data":
        if kind == "regression":
            return None
        order = torch.argsort(ytr.reshape(len(ytr), -1)[:, 0], stable=True)
        xtr, ytr = xtr[order], ytr[order]
        tr, va = _loaders(xtr, ytr, xva, yva, shuffle=False)
        return model, tr, va, s.loss_fn
    tr, va = _loaders(xtr, ytr, xva, yva)
    return model, tr, va, s.loss_fn


def main() -> int:
    torch.set_num_threads(1)
    lr_tasks.warmup()
    fired = {c: [] for c in CHECKS}
    missed = {c: [] for c in CHECKS}
    extra = {c: [] for c in CHECKS}
    healthy, secs = [], []
    for task in lr_tasks.TASKS:
        s = task.make(0)
        t0 = time.perf_counter()
        codes = fitwatch.preflight(s.model, s.train_loader, s.loss_fn, val_loader=s.val_loader).codes
        secs.append(time.perf_counter() - t0)
        healthy.append((task.name, codes))
        for check in CHECKS:
            m = mutate(task.make(0), check)
            if m is None:
                continue
            t0 = time.perf_counter()
            codes = fitwatch.preflight(m[0], m[1], m[3], val_loader=m[2]).codes
            secs.append(time.perf_counter() - t0)
            (fired if check in codes else missed)[check].append(task.name)
            others = [c for c in codes if c != check]
            if others:
                extra[check].append(f"{task.name}: {', '.join(others)}")
    print(f"{'check':22s} fired  cases  missed on")
    for c in CHECKS:
        n = len(fired[c]) + len(missed[c])
        print(f"{c:22s} {len(fired[c]):5d}  {n:5d}  {', '.join(missed[c]) or '-'}")
        for e in extra[c]:
            print(f"{'':22s}   also found: {e}")
    bad = [(n, c) for n, c in healthy if c]
    print(f"\nhealthy tasks with a finding: {len(bad)} of {len(healthy)}" + "".join(f"\n  {n}: {c}" for n, c in bad))
    print(f"seconds per preflight call: median {np.median(secs):.2f}, max {max(secs):.2f} ({len(secs)} calls)")
    return 0 if not bad and not any(missed.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
