"""Curve smoothing and downsampling for plots, the report and the dashboard (numpy only).

* :func:`ema` is TensorBoard's smoothing: an exponential moving average, debiased so that the first
  points are not pulled towards zero. It runs on the full series (never on a sample), skips NaN and
  infinite values (they stay as they are, and do not disturb the average), and keeps a constant
  series exactly constant.
* :func:`downsample` keeps at most about ``max_points`` points of a series by emitting, for each
  bucket of consecutive points, its lowest and its highest point (in x order): a spike or a dip is
  never lost, unlike a random or strided sample. Non-finite values always survive.

Example:
    >>> import numpy as np
    >>> ema([1.0, 1.0, 1.0], 0.9).tolist()              # a constant stays constant
    [1.0, 1.0, 1.0]
    >>> ema([0.0, 1.0], 0.5).round(3).tolist()         # debiased: (0.5*0 + 0.5*1) / (1 - 0.25)
    [0.0, 0.667]
    >>> x = np.arange(10_000); y = np.zeros(10_000); y[1234] = 9.0
    >>> xs, ys = downsample(x, y, 100)
    >>> len(xs) <= 200, float(ys.max())                 # the spike survives
    (True, 9.0)
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["ema", "downsample"]


def ema(values, weight: float) -> np.ndarray:
    """TensorBoard's debiased exponential moving average of ``values``.

    Args:
        values: the series (any sequence of numbers).
        weight: the smoothing weight in [0, 1): 0 is no smoothing, 0.6 is TensorBoard's default,
            0.99 very smooth.

    Returns:
        A float64 array of the same length. Non-finite input values are copied as they are.

    Raises:
        ValueError: ``weight`` outside [0, 1).
    """
    w = float(weight)
    if not 0.0 <= w < 1.0:
        raise ValueError(f"fitwatch: the smoothing weight must be in [0, 1), got {weight!r}; e.g. 0.6")
    y = np.array(values, dtype=np.float64, copy=True).reshape(-1)
    finite = np.isfinite(y)
    x = y[finite]
    if w == 0.0 or x.size < 2 or np.all(x == x[0]):
        return y  # no smoothing, too short, or constant: exactly the input
    # s_t = w*s_{t-1} + (1-w)*x_t with s_{-1} = 0, shown as s_t / (1 - w^(t+1)). Vectorised in blocks
    # of L points: inside a block, s = w^(i+1) * carry + (1-w) * w^(i+1) * cumsum(x_j * w^-(j+1)), where
    # w^-(j+1) stays below e^300 (no overflow for |x| up to 1e170); each block's carry is the
    # previous block's last value.
    size = x.size
    L = max(1, min(size, int(300.0 / -math.log(w))))
    blocks = -(-size // L)
    X = np.zeros(blocks * L)
    X[:size] = x
    X = X.reshape(blocks, L)
    i = np.arange(1, L + 1, dtype=np.float64)
    with np.errstate(under="ignore"):
        down = w ** i  # w^(i+1) for i = 0..L-1
    local = (1.0 - w) * np.cumsum(X / down, axis=1) * down  # each block's average started from 0
    # carry[b] = sum over k < b of local[k, -1] * w^(L*(b-1-k)); with several blocks w^L <= e^-300,
    # so all but the previous block's term are below double precision
    carry = np.zeros(blocks)
    carry[1:] = local[:-1, -1]
    out = (local + carry[:, None] * down).reshape(-1)[:size]
    n = np.arange(1, x.size + 1, dtype=np.float64)
    with np.errstate(under="ignore"):
        out /= 1.0 - w ** n
    y[finite] = out
    return y


def downsample(x, y, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most about ``2 * max_points`` points of ``(x, y)``: each bucket's minimum and maximum.

    Args:
        x: the x values (steps or epochs), increasing.
        y: the values.
        max_points: the number of buckets; a series not longer than ``2 * max_points`` is returned
            as it is.

    Returns:
        ``(x, y)`` arrays, in x order. A bucket's NaN or infinite values are all kept (a gap or a
        divergence must show), as are its first and last points' neighbours' order.
    """
    x = np.asarray(x)
    y = np.asarray(y, dtype=np.float64)
    n = y.size
    if max_points < 1:
        raise ValueError(f"fitwatch: max_points must be a positive integer, got {max_points!r}")
    if n <= 2 * max_points:
        return x, y
    size = -(-n // max_points)  # points per bucket
    pad = size * max_points - n
    finite = np.isfinite(y)
    lo_src = np.where(finite, y, np.inf)
    hi_src = np.where(finite, y, -np.inf)
    if pad:
        lo_src = np.concatenate([lo_src, np.full(pad, np.inf)])
        hi_src = np.concatenate([hi_src, np.full(pad, -np.inf)])
    starts = np.arange(max_points) * size
    lo = lo_src.reshape(max_points, size).argmin(axis=1) + starts
    hi = hi_src.reshape(max_points, size).argmax(axis=1) + starts
    keep = np.zeros(n + pad, dtype=bool)
    keep[lo] = True
    keep[hi] = True
    keep = keep[:n]
    keep[~finite] = True  # NaN and inf are never hidden
    keep[0] = keep[-1] = True  # the series' ends
    idx = np.flatnonzero(keep)
    return x[idx], y[idx]
