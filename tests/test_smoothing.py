"""Smoothing (TensorBoard's debiased EMA) and peak-keeping downsampling."""

import math

import numpy as np
import pytest

from fitwatch.show.smoothing import downsample, ema


def reference_ema(values, w):
    """TensorBoard's loop, point by point."""
    last, k, out = 0.0, 0, []
    for x in values:
        if not math.isfinite(x):
            out.append(x)
            continue
        last = last * w + (1 - w) * x
        k += 1
        out.append(last / (1 - w ** k))
    return np.array(out)


@pytest.mark.parametrize("w", [0.0, 1e-4, 0.3, 0.6, 0.9, 0.99, 0.999, 0.99999])
def test_ema_equals_tensorboard_loop(w):
    rng = np.random.default_rng(1)
    v = rng.normal(size=20_011).cumsum()
    v[[5, 700, 15_000]] = [np.nan, np.inf, -np.inf]
    got, want = ema(v, w), reference_ema(v, w)
    assert np.array_equal(np.isfinite(got), np.isfinite(want))
    assert np.allclose(got[np.isfinite(got)], want[np.isfinite(want)], rtol=1e-10, atol=1e-10)
    assert np.array_equal(got[~np.isfinite(got)], v[~np.isfinite(v)], equal_nan=True)  # kept as they are


def test_ema_constant_stays_exactly_constant():
    for c in (0.1, 0.3, 1e-7, 12345.678):
        out = ema(np.full(100_000, c), 0.97)
        assert np.all(out == c)


def test_ema_step_responds_and_does_not_leak_before_the_step():
    v = np.r_[np.zeros(50), np.ones(50)]
    out = ema(v, 0.6)
    assert np.all(out[:50] == 0.0)
    assert 0.35 < out[50] < 0.45 and out[-1] > 0.999


def test_ema_large_values_do_not_overflow():
    v = np.full(5000, 1e120)
    v[::7] = 3e120
    out = ema(v, 0.1)
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("bad", [-0.1, 1.0, 2])
def test_ema_rejects_bad_weight(bad):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        ema([1.0, 2.0], bad)


def test_downsample_keeps_spikes_dips_ends_and_nan():
    n = 1_000_000
    x = np.arange(n)
    y = np.sin(x / 5e4)
    y[123_457] = 50.0
    y[654_321] = -50.0
    y[999_000] = np.nan
    xs, ys = downsample(x, y, 1000)
    assert len(xs) <= 2 * 1000 + 3
    assert 50.0 in ys and -50.0 in ys and np.isnan(ys).sum() == 1
    assert xs[0] == 0 and xs[-1] == n - 1
    assert np.all(np.diff(xs) > 0)
    # every bucket's extremes are within the kept points' range
    assert ys[np.isfinite(ys)].max() == 50.0 and ys[np.isfinite(ys)].min() == -50.0


def test_downsample_short_series_unchanged():
    x, y = np.arange(10), np.arange(10.0)
    xs, ys = downsample(x, y, 5)
    assert xs is x or np.array_equal(xs, x)
    assert np.array_equal(ys, y)
