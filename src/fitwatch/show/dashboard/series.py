"""Series for the dashboard's JSON: smoothed on the full series, downsampled keeping peaks, valid JSON.

Browsers' ``JSON.parse`` rejects ``NaN`` and ``Infinity``, which Python's :mod:`json` writes by
default. Every series the dashboard sends therefore carries its values with ``null`` where a value
is not finite, and lists those points in ``nonfinite`` as ``[x, "nan" | "inf" | "-inf"]``, so that
a divergence still shows (and is never mistaken for a missing epoch).

Example:
    >>> import numpy as np
    >>> p = series_payload(np.arange(4), np.array([1.0, np.nan, 0.5, np.inf]))
    >>> p["x"], p["y"], p["nonfinite"]
    ([0, 1, 2, 3], [1.0, None, 0.5, None], [[1, 'nan'], [3, 'inf']])
    >>> series_payload(np.arange(3), np.full(3, 0.25), smooth=0.9)["smoothed"]["y"]   # constant stays constant
    [0.25, 0.25, 0.25]
"""

from __future__ import annotations

import json
import math

import numpy as np

from fitwatch.show.smoothing import downsample, ema

__all__ = ["series_payload", "values_json", "nonfinite_points", "jsonable", "dumps"]


def values_json(y: np.ndarray) -> list:
    """``y`` as a list of floats, ``None`` where a value is NaN or infinite."""
    y = np.asarray(y, dtype=np.float64)
    out = y.tolist()
    for i in np.flatnonzero(~np.isfinite(y)).tolist():
        out[i] = None
    return out


def nonfinite_points(x: np.ndarray, y: np.ndarray) -> list[list]:
    """``[[x, "nan" | "inf" | "-inf"], ...]`` for every non-finite value of ``y``."""
    y = np.asarray(y, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(y))
    if not bad.size:
        return []
    xs = np.asarray(x)[bad].tolist()
    kinds = ["nan" if v != v else ("inf" if v > 0 else "-inf") for v in y[bad].tolist()]
    return [[a, k] for a, k in zip(xs, kinds)]


def series_payload(x, y, *, smooth: float = 0.0, max_points: int | None = None,
                   since: float | None = None) -> dict:
    """One curve for the JSON API.

    Args:
        x: epochs or global steps, increasing.
        y: the values (NaN/inf allowed).
        smooth: TensorBoard's smoothing weight in [0, 1): when above 0, ``smoothed`` holds
            :func:`fitwatch.smoothing.ema` of the *full* series (before any downsampling or slicing).
        max_points: downsample to about this many min/max buckets when the series is longer than
            twice that (:func:`fitwatch.smoothing.downsample`: spikes, dips and NaN survive).
        since: only the points with ``x > since`` (live polling); never downsampled.

    Returns:
        ``{"n": full length, "x": [...], "y": [...], "nonfinite": [[x, kind], ...],
        "downsampled": bool}``, plus ``"smoothed": {"x": [...], "y": [...]}`` when ``smooth > 0``.
    """
    x = np.asarray(x)
    y = np.asarray(y, dtype=np.float64)
    n = int(y.size)
    s = ema(y, smooth) if smooth > 0 else None  # on the full series: a sample would change the curve
    downsampled = False
    if since is not None:
        keep = x > since
        x, y = x[keep], y[keep]
        s = s[keep] if s is not None else None
        sx = x
    elif max_points and n > 2 * max_points:
        downsampled = True
        sx, s = downsample(x, s, max_points) if s is not None else (None, None)
        x, y = downsample(x, y, max_points)
    else:
        sx = x
    out = {"n": n, "x": x.tolist(), "y": values_json(y), "nonfinite": nonfinite_points(x, y),
           "downsampled": downsampled}
    if s is not None:
        out["smoothed"] = {"x": sx.tolist(), "y": values_json(s)}
    return out


def jsonable(obj):
    """``obj`` with NaN and infinite floats replaced by ``None`` (and numpy scalars made plain), recursively."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return jsonable(obj.item())
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    return obj


def dumps(obj) -> str:
    """Strict JSON (``allow_nan=False``): what a browser's ``JSON.parse`` accepts."""
    return json.dumps(obj, allow_nan=False, separators=(",", ":"))
