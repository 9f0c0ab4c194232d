"""Suggestion rules of a learning-rate range test: from the swept rates and their losses, one rate.

Each rule takes the rates ``lrs`` (increasing, exponentially spaced), the raw per-step losses,
their running average as the sweep computed it (``ema``: an exponential moving average, debiased,
beta 0.98, as Lightning and fastai keep it) and the steps the sweep planned (``planned``: fastai
trims by it), and returns a rate or None. Besides fitwatch's own rule,
the rules of Lightning (``Tuner.lr_find``'s ``suggestion``) and of fastai (``valley``, ``minimum``,
``steep``) are written here from their documented behaviour, so that the benchmark
(``benchmarks/lr_find_rules.py``) compares them on the same sweeps.
"""

from __future__ import annotations

import numpy as np


def centred(losses: np.ndarray, width: float = 0.04) -> np.ndarray:
    """The losses smoothed with a Gaussian kernel over the sweep's index (its log rate), centred:
    unlike the running average it does not lag behind the rate. ``width``: the kernel's standard
    deviation as a share of the steps (at least one step)."""
    y = np.asarray(losses, dtype=float)
    n = y.size
    if n < 3:
        return y.copy()
    sigma = max(1.0, width * n)
    i = np.arange(n)
    k = np.exp(-0.5 * ((i[:, None] - i[None, :]) / sigma) ** 2)
    return (k @ y) / k.sum(axis=1)


def finite_prefix(lrs, losses, ema=None):
    """The sweep up to its first non-finite loss."""
    losses = np.asarray(losses, dtype=float)
    bad = np.flatnonzero(~np.isfinite(losses))
    end = int(bad[0]) if bad.size else losses.size
    out = [np.asarray(lrs, dtype=float)[:end], losses[:end]]
    if ema is not None:
        out.append(np.asarray(ema, dtype=float)[:end])
    return out


# --- the other tools' rules, as their sources describe them -----------------------------------------

def lightning(lrs, losses, ema, planned: int = 100, skip_begin: int = 10, skip_end: int = 1) -> float | None:
    """Lightning's ``_LRFinder.suggestion``: the steepest fall of the running average, its gradient
    taken against the rate itself (not its log), the first 10 and the last point left out."""
    lrs, ema = np.asarray(lrs, float)[skip_begin:-skip_end], np.asarray(ema, float)[skip_begin:-skip_end]
    ok = np.isfinite(ema)
    lrs, ema = lrs[ok], ema[ok]
    if ema.size < 2:
        return None
    return float(lrs[int(np.argmin(np.gradient(ema, lrs)))])


def _fastai_trim(lrs, ema, planned: int):
    lrs, ema = np.asarray(lrs, float)[planned // 10:-5], np.asarray(ema, float)[planned // 10:-5]
    bad = np.flatnonzero(np.isnan(ema))
    if bad.size:
        lrs, ema = lrs[:bad[0]], ema[:bad[0]]
    return lrs, ema


def _valley(ys) -> int:
    """fastai's ``valley`` on a curve: the longest run of falling values (a longest decreasing
    subsequence), then the index two thirds of the way down it."""
    n = len(ys)
    lds = np.ones(n, dtype=int)
    start = end = 0
    for i in range(1, n):
        for j in range(i):
            if ys[i] < ys[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[end] < lds[i]:
                end, start = i, i - lds[i]
    third = (end - start) / 3
    return start + int(third) + int(third / 2)


def fastai_valley(lrs, losses, ema, planned: int = 100) -> float | None:
    """fastai's ``valley`` (its default since 2.5) on the running average, trimmed as fastai trims it."""
    lrs, ema = _fastai_trim(lrs, ema, planned)
    return float(lrs[_valley(ema)]) if ema.size >= 2 else None


def fastai_minimum(lrs, losses, ema, planned: int = 100) -> float | None:
    """fastai's ``minimum``: a tenth of the rate at the running average's lowest point."""
    lrs, ema = _fastai_trim(lrs, ema, planned)
    return float(lrs[int(np.argmin(ema))] / 10) if ema.size else None


def fastai_steep(lrs, losses, ema, planned: int = 100) -> float | None:
    """fastai's ``steep``: the steepest fall of the running average against the log rate."""
    lrs, ema = _fastai_trim(lrs, ema, planned)
    if ema.size < 2:
        return None
    grads = np.diff(ema) / np.diff(np.log(lrs))
    return float(lrs[int(np.argmin(grads))])


# --- candidates for fitwatch's rule -------------------------------------------------------------------

def _curve(lrs, losses):
    lrs, losses = finite_prefix(lrs, losses)
    return lrs, centred(losses)


def _lowest_over(lrs, losses, k: float) -> float | None:
    """The rate where the centred smoothing of the losses is lowest, divided by ``k``."""
    lrs, s = _curve(lrs, losses)
    return float(lrs[int(np.argmin(s))] / k) if s.size >= 3 else None


def min_tenth(lrs, losses, ema=None, planned: int = 100) -> float | None:
    """A tenth of the rate where the centred smoothing of the losses is lowest."""
    return _lowest_over(lrs, losses, 10)


def min_third(lrs, losses, ema=None, planned: int = 100) -> float | None:
    """A third of the rate where the centred smoothing of the losses is lowest (fitwatch's rule)."""
    return _lowest_over(lrs, losses, 3)


def min_fifth(lrs, losses, ema=None, planned: int = 100) -> float | None:
    """A fifth of the rate where the centred smoothing of the losses is lowest."""
    return _lowest_over(lrs, losses, 5)


def steepest_before_min(lrs, losses, ema=None, planned: int = 100) -> float | None:
    """The steepest fall of the centred smoothing against the log rate, before its lowest point."""
    lrs, s = _curve(lrs, losses)
    low = int(np.argmin(s)) if s.size else 0
    if low < 2:
        return None
    grads = np.gradient(s[:low + 1], np.log(lrs[:low + 1]))
    return float(lrs[int(np.argmin(grads))])


def half_drop(lrs, losses, ema=None, planned: int = 100) -> float | None:
    """The first rate where the centred smoothing has made half its fall from the start to its
    lowest point."""
    lrs, s = _curve(lrs, losses)
    if s.size < 3:
        return None
    low = int(np.argmin(s))
    target = s[0] - 0.5 * (s[0] - s[low])
    return float(lrs[int(np.argmax(s[:low + 1] <= target))])


def valley_centred(lrs, losses, ema=None, planned: int = 100) -> float | None:
    """fastai's valley on the centred smoothing (no lag), over the whole finite sweep."""
    lrs, s = _curve(lrs, losses)
    return float(lrs[_valley(s)]) if s.size >= 3 else None


#: every rule by name: fitwatch's candidates first, then the other tools'
RULES = {
    "min_tenth": min_tenth,
    "min_fifth": min_fifth,
    "min_third": min_third,
    "steepest_before_min": steepest_before_min,
    "half_drop": half_drop,
    "valley_centred": valley_centred,
    "lightning": lightning,
    "fastai_valley": fastai_valley,
    "fastai_minimum": fastai_minimum,
    "fastai_steep": fastai_steep,
}
