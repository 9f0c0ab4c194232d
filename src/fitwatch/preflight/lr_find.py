"""A learning-rate range test on a copy of the model: :func:`lr_find`.

The rate grows exponentially from ``start_lr`` to ``end_lr`` over ``steps`` training steps, one
batch each, and the loss of each step is recorded (Smith, "Cyclical Learning Rates", 2017; the
form Lightning and fastai use). The sweep stops early when its running average exceeds 4 times its
best (the loss diverged) or is not finite. The model and optimizer trained are private copies, and
every random-number generator is put back: the user's model, optimizer, data loader and random state
are exactly as they were (the tests check it bit for bit).

Example:
    >>> import torch, fitwatch
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> x = torch.randn(512, 8); y = (x[:, 0] > 0).long()
    >>> loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True)
    >>> model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> sweep = fitwatch.lr_find(model, loader, torch.nn.CrossEntropyLoss(), opt)
    >>> 1e-4 < sweep.suggestion < 10
    True
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from fitwatch.preflight import lr_rules
from fitwatch.preflight.state import (batches, check_arguments, copy_setup, device_of, forward, kept_rng, loss_of,
                                      split_batch)

#: the rule lr_find suggests with (chosen on benchmarks/lr_find_rules.py; docs/preflight.md)
RULE = "min_third"
#: a sweep whose smoothed loss never falls this share below its start has no rate to suggest
FLAT = 0.05
#: a sweep whose fall is under this many standard errors of its smoothing is too noisy to read: the
#: step-to-step scatter (median absolute deviation from the smoothing, x1.4826 for a standard
#: deviation) over the square root of the Gaussian kernel's effective width (2 sqrt(pi) sigma steps)
NOISY = 3.0


@dataclass
class LRSweep:
    """The result of :func:`lr_find`.

    Attributes:
        lrs: the learning rate of each step taken.
        losses: the training loss of each step (its batch's loss before the update).
        suggestion: the suggested learning rate, or None when the sweep cannot tell (see ``reason``).
        rule: the rule that made the suggestion.
        reason: why there is no suggestion (a flat, noisy or at-once-diverging sweep), else "".
        stopped: why the sweep ended before its last step ("diverged at step 61"), else "".
        suggestions: what every rule of :mod:`fitwatch.preflight.lr_rules` says on this sweep.
        optimizer: the optimizer's class name.
        seconds: the sweep's wall time.
    """

    lrs: np.ndarray
    losses: np.ndarray
    suggestion: float | None
    rule: str = RULE
    reason: str = ""
    stopped: str = ""
    suggestions: dict = field(default_factory=dict)
    optimizer: str = ""
    seconds: float = 0.0

    @property
    def smoothed(self) -> np.ndarray:
        """The losses smoothed without lag (a Gaussian over the log rate), up to the first non-finite one."""
        return lr_rules.centred(lr_rules.finite_prefix(self.lrs, self.losses)[1])

    def to_dict(self) -> dict:
        f = lambda a: [float(v) if math.isfinite(v) else None for v in np.asarray(a, float)]  # noqa: E731
        return {"lrs": f(self.lrs), "losses": f(self.losses), "smoothed": f(self.smoothed),
                "suggestion": self.suggestion, "rule": self.rule,
                "reason": self.reason, "stopped": self.stopped, "optimizer": self.optimizer,
                "suggestions": dict(self.suggestions), "seconds": round(self.seconds, 3)}

    @classmethod
    def from_dict(cls, d: dict) -> "LRSweep":
        arr = lambda k: np.array([np.nan if v is None else v for v in d.get(k) or []], dtype=float)  # noqa: E731
        return cls(arr("lrs"), arr("losses"), d.get("suggestion"), d.get("rule", RULE), d.get("reason", ""),
                   d.get("stopped", ""), dict(d.get("suggestions") or {}), d.get("optimizer", ""),
                   float(d.get("seconds", 0.0)))

    def __str__(self) -> str:
        span = f"{self.lrs[0]:.1e} to {self.lrs[-1]:.1e} in {self.lrs.size} steps" if self.lrs.size else "no steps"
        head = f"lr_find ({self.optimizer}, {span}{'; ' + self.stopped if self.stopped else ''})"
        if self.suggestion is None:
            return f"{head}: no suggestion: {self.reason}"
        return f"{head}: suggested learning rate {self.suggestion:.3g} ({self.rule})"

    def plot(self, ax=None):
        """The loss against the learning rate (log scale), raw and smoothed, the suggestion marked; the
        loss axis spans the smoothed curve up to 1.5 times its start (a divergence spike runs off it).
        Returns the matplotlib Figure (also with ``ax=`` given: ``ax.figure``)."""
        import matplotlib.pyplot as plt

        fig, ax = (plt.subplots(figsize=(6, 3.6)) if ax is None else (ax.figure, ax))
        lrs, raw = lr_rules.finite_prefix(self.lrs, self.losses)
        smooth = lr_rules.centred(raw)  # self.smoothed, computed once
        ax.plot(lrs, raw, color="0.75", lw=0.8, label="loss per step")
        ax.plot(lrs, smooth, color="C0", lw=1.8, label="smoothed")
        if self.suggestion is not None:
            y = float(np.interp(np.log(self.suggestion), np.log(lrs), smooth))
            ax.axvline(self.suggestion, color="C3", lw=0.8, ls="--")
            ax.plot([self.suggestion], [y], "o", color="C3", label=f"suggested {self.suggestion:.3g}")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("training loss")
        if smooth.size:  # a divergence spike would flatten the useful part: keep it in view up to 1.5x the start
            lo, hi = float(np.nanmin(smooth)), float(max(smooth[0], np.nanmin(smooth)))
            pad = 0.05 * (hi - lo) + 1e-12
            ax.set_ylim(lo - pad, hi + 0.5 * (hi - lo) + pad)
        title = (f"suggested learning rate {self.suggestion:.3g} ({self.rule})" if self.suggestion is not None
                 else "no suggestion (see .reason)")
        ax.set_title(title + (" - stopped early: diverged" if self.stopped else ""), fontsize=9)
        ax.legend(loc="best", fontsize=8)
        fig.tight_layout()
        return fig


def lr_find(model, train_loader, loss_fn, optimizer, *, start_lr: float = 1e-7, end_lr: float = 10.0,
            steps: int = 100, diverge: float = 4.0, run=None) -> LRSweep:
    """Sweep the learning rate exponentially over ``steps`` training steps on a copy of the model and
    suggest one.

    Args:
        model: a ``torch.nn.Module``; never changed (a deep copy is trained).
        train_loader: an iterable of ``(inputs, target)`` batches (a ``DataLoader``); gone through
            again from the start when shorter than ``steps``.
        loss_fn: ``loss_fn(model(inputs), target)`` gives the loss (a ``torch.nn`` loss module or a function).
        optimizer: the optimizer to be used in training; a new one of its class, with its other
            hyper-parameters, trains the copy (the user's is never stepped). Several param groups keep
            their learning rates' ratios.
        start_lr, end_lr: the sweep's first and last rate.
        steps: how many steps (batches) to sweep over.
        diverge: stop when the running average of the loss exceeds this many times its best.
        run: a :class:`fitwatch.Run` to store the sweep with (its page shows the curve and suggestion).

    Returns:
        An :class:`LRSweep`: the whole curve, the suggestion (or why there is none), and ``plot()``.

    Raises:
        ValueError: ``start_lr``/``end_lr``/``steps`` out of range, an empty loader, or a batch that is
            not ``(inputs, target)``.
    """
    check_arguments("fitwatch.lr_find", model, train_loader, loss_fn, optimizer, need_optimizer=True)
    t0 = time.perf_counter()
    rates = sweep_rates(start_lr, end_lr, steps, "fitwatch.lr_find")
    log = SweepLog(diverge)
    with kept_rng(train_loader):
        twin, opt = copy_setup(model, optimizer, lr=float(rates[0]))
        base = [g["lr"] for g in opt.param_groups]
        scale = [b / base[0] if base[0] else 1.0 for b in base]
        twin.train()
        device = device_of(twin)
        it = batches(train_loader)
        for i, lr in enumerate(rates):
            batch = next(it, None)
            if batch is None:
                if i == 0:
                    raise ValueError("fitwatch.lr_find: the training loader gives no batches")
                break
            for g, s in zip(opt.param_groups, scale):
                g["lr"] = float(lr) * s
            x, y = split_batch(batch, device)
            opt.zero_grad(set_to_none=True)
            loss = loss_of(loss_fn, forward(twin, x), y)
            loss.backward()
            opt.step()
            if not log.add(float(lr), float(loss.detach())):  # each step's loss read: a test, not the training loop
                break
        del twin, opt
    return log.result(steps, type(optimizer).__name__, t0, run)


def sweep_rates(start_lr: float, end_lr: float, steps: int, who: str) -> np.ndarray:
    """The sweep's rates, growing exponentially; a ValueError naming ``who`` for a range that is not one."""
    if not (0 < start_lr < end_lr) or steps < 10:
        raise ValueError(f"{who}: need 0 < start_lr < end_lr and steps >= 10; got start_lr={start_lr}, "
                         f"end_lr={end_lr}, steps={steps}")
    return start_lr * (end_lr / start_lr) ** (np.arange(steps) / (steps - 1))


#: one step's loss this many times the running average's best ends the sweep: a blow-up of a batch or
#: two barely moves a running average of weight 0.02, and a network whose units it killed sits at the
#: no-skill level afterwards, a flat "lowest point" of a dead model (a digits MLP on inputs x1000: one
#: step at 35 times, then ln 10 to the end, and a suggestion of 3.3 that trained to chance)
BLOWUP = 10.0


class SweepLog:
    """A sweep's steps as they come: ``add(lr, loss)`` records one and says whether to go on (not when
    the loss is not finite, its running average passed ``diverge`` times its best, or one step's loss
    passed :data:`BLOWUP` times that best)."""

    def __init__(self, diverge: float):
        self.diverge, self.lrs, self.losses, self.stopped = diverge, [], [], ""
        self._avg, self._best = 0.0, math.inf

    def add(self, lr: float, value: float) -> bool:
        i = len(self.losses)
        self.lrs.append(lr)
        self.losses.append(value)
        if not math.isfinite(value):
            self.stopped = f"the loss was not finite at step {i} (lr {lr:.2g})"
            return False
        self._avg = 0.98 * self._avg + 0.02 * value
        smooth = self._avg / (1 - 0.98 ** (i + 1))
        self._best = min(self._best, smooth)
        if i > 1 and smooth > self.diverge * self._best:
            self.stopped = f"the loss diverged at step {i} (lr {lr:.2g}): {self.diverge:g} times its best"
            return False
        if i > 1 and value > BLOWUP * self._best:
            self.stopped = (f"the loss blew up at step {i} (lr {lr:.2g}): {value:.3g}, {value / self._best:.0f} "
                            "times its running best")
            return False
        return True

    def result(self, planned: int, optimizer: str, t0: float, run=None) -> LRSweep:
        """The :class:`LRSweep` of the steps taken (stored with ``run`` when given)."""
        sweep = judge(np.array(self.lrs), np.array(self.losses), planned)
        sweep.stopped, sweep.optimizer, sweep.seconds = self.stopped, optimizer, time.perf_counter() - t0
        if run is not None:
            run.add_lr_find(sweep)
        return sweep


def ema_of(losses: np.ndarray, beta: float = 0.98) -> np.ndarray:
    """The debiased running average Lightning and fastai keep of a sweep's losses."""
    out, avg = np.empty(losses.size), 0.0
    for i, v in enumerate(losses):
        avg = beta * avg + (1 - beta) * v
        out[i] = avg / (1 - beta ** (i + 1))
    return out


def judge(lrs: np.ndarray, losses: np.ndarray, planned: int) -> LRSweep:
    """An :class:`LRSweep` of a finished sweep: every rule's suggestion, and fitwatch's (or why none)."""
    ema = ema_of(losses)
    suggestions = {}
    for name, rule in lr_rules.RULES.items():
        try:
            suggestions[name] = rule(lrs, losses, ema, planned)
        except (ValueError, IndexError):
            suggestions[name] = None
    reason = why_not(lrs, losses)
    return LRSweep(lrs, losses, None if reason else suggestions.get(RULE), RULE, reason, suggestions=suggestions)


def why_not(lrs: np.ndarray, losses: np.ndarray) -> str:
    """Why a sweep cannot suggest a rate ("" when it can): too short, flat or noisy."""
    lrs, raw = lr_rules.finite_prefix(lrs, losses)
    if raw.size < 10:
        return (f"the loss diverged after {raw.size} steps, from lr {lrs[0]:.2g} on: start the sweep lower "
                "(start_lr), or check the model and data (fitwatch.preflight)" if raw.size else "no finite loss")
    s = lr_rules.centred(raw)
    fall = s[0] - s.min()
    if fall <= FLAT * abs(s[0]):
        return (f"the loss did not fall over the sweep ({s[0]:.3g} at lr {lrs[0]:.2g}, lowest {s.min():.3g}): no "
                "rate helps in these steps; check the model and data first (fitwatch.preflight), or sweep longer")
    scatter = 1.4826 * float(np.median(np.abs(raw - s)))
    sigma = max(1.0, 0.04 * raw.size)
    if fall < NOISY * scatter / math.sqrt(2 * math.sqrt(math.pi) * sigma):
        return (f"the sweep is too noisy to read (step-to-step scatter {scatter:.3g} against a fall of {fall:.3g}): "
                "use larger batches or more steps")
    return ""
