"""Accumulate batch values into epoch values with the right arithmetic.

An epoch's value is the sample-weighted mean of its batches, ``sum(value * n) / sum(n)``: the mean
of batch means is wrong whenever the last batch is smaller than the others.

Values may be Python or numpy numbers, 0-d arrays or tensors, or per-sample arrays or tensors (one
value per example: their mean counts with the weight of their length). A tensor that lives on an
accelerator (CUDA, MPS, XLA...) is kept on its device and read once per epoch, so logging never
forces a host synchronisation per batch. A CPU tensor is read at once with ``.item()``: while it
is fresh in the cache that is the cheapest it will ever be, and nothing is kept alive.

This module imports numpy and the standard library only; torch is recognised by the type of the
value, never imported here.

Example:
    >>> acc = SplitAccumulator("train")
    >>> acc.add(32, {"loss": 1.0})
    >>> acc.add(8, {"loss": 2.0})           # a smaller last batch
    >>> acc.close_epoch()["loss"][0]        # (1.0*32 + 2.0*8) / 40, not (1.0 + 2.0) / 2
    1.2
"""

from __future__ import annotations

import numbers
import numpy as np

from fitwatch.core.names import split_name
from fitwatch.store.base import storable_text

# torch.Tensor, once a torch tensor has been seen (torch is never imported by fitwatch's core).
_TORCH_TENSOR: type | None = None
_CHUNK = 1024  # device values are stacked on their device every this many batches
N_MAX = 2**40  # a batch's sample count; an epoch's sum of them stays far inside the store's 64-bit integers


class NonFiniteValue(Warning):
    """A NaN or infinite value was logged. It is stored as it is: it is data (a diverging run)."""


def _is_torch_tensor(v) -> bool:
    global _TORCH_TENSOR
    if _TORCH_TENSOR is not None:
        return isinstance(v, _TORCH_TENSOR)
    mod = type(v).__module__ or ""
    if mod == "torch" or mod.startswith("torch."):
        import torch  # already imported by the caller, who handed us a tensor

        _TORCH_TENSOR = torch.Tensor
        return isinstance(v, torch.Tensor)
    return False


def check_n(n) -> int:
    """Validate a batch weight: a positive integer (Python, numpy or 0-d tensor)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        if _is_torch_tensor(n) and n.numel() == 1 and not n.is_floating_point():
            n = int(n.item())
        else:
            raise ValueError(
                f"fitwatch: n must be a positive integer (the number of samples in the batch), "
                f"got {n!r} of type {type(n).__name__}; pass n=len(y)"
            )
    n = int(n)
    if n <= 0 or n > N_MAX:
        raise ValueError(
            f"fitwatch: n must be a positive integer (the number of samples in the batch) up to {N_MAX:,}, "
            f"got {n if n < 10**30 else f'a {len(str(n))}-digit number'}; pass n=len(y)"
        )
    return n


def _type_error(split: str, name: str, v) -> TypeError:
    dtype = getattr(v, "dtype", None)
    what = f"{type(v).__module__}.{type(v).__qualname__}" + (f" of dtype {dtype}" if dtype is not None else "")
    return TypeError(
        f"fitwatch: metric {name!r} of split {split!r} got a {what}, not a real number; log a float, "
        f"an int, a numpy number or array, or a tensor (complex values: log their .abs() or .real)"
    )


def check_name(name, what: str) -> None:
    """A split or metric name the store can hold: a non-empty string of valid Unicode."""
    if not storable_text(name):
        raise ValueError(f"fitwatch: {what} name {name!r} cannot be stored; use a non-empty text name "
                         f"(valid Unicode, e.g. 'loss')")


def clock_mask(calls: int, seconds: float) -> int:
    """How often ``Run.log`` reads the clock at a batch rate of ``calls`` in ``seconds``: every
    ``mask + 1`` calls, a power of two, about 20 times a second. A slow loop's batches then reach
    the store within a second or two of being logged; a fast loop pays for the clock rarely.

    Example:
        >>> clock_mask(5, 1.0), clock_mask(100, 1.0), clock_mask(1_000_000, 1.0)
        (0, 3, 32767)
    """
    return (1 << max(int(calls / max(seconds, 1e-3) / 20), 1).bit_length() - 1) - 1


def stored_split(split) -> str:
    """The stored name of a split given to ``log`` or ``log_epoch`` (``"valid"`` is ``val``); a
    TypeError for a non-name, a ValueError for a name the store cannot hold."""
    if not isinstance(split, str) or not split:
        raise TypeError(f"fitwatch: split must be a name such as 'train' or 'val', got {split!r}")
    check_name(split, "split")
    return split_name(split)


def _number(split: str, name: str, v) -> float:
    """A real number as a float, else a one-line error naming the metric: a complex number, a date,
    text, or an integer beyond what a float holds (10**400) cannot be stored as a metric's value."""
    if isinstance(v, (complex, np.complexfloating)) or not isinstance(v, (numbers.Real, np.number)):
        raise _type_error(split, name, v)
    try:
        return float(v)
    except OverflowError:
        raise ValueError(f"fitwatch: metric {name!r} of split {split!r} is an integer too large for a float "
                         f"(about {int(int(v).bit_length() * 0.30103) + 1} digits); log float('inf') or a rescaled value") from None
    except Exception:  # TypeError, ValueError, or whatever a number type's __float__ raised
        raise _type_error(split, name, v) from None


def _check_device_tensor(split: str, name: str, v) -> None:
    """Refuse at the call what could not be read at the epoch's end: a complex tensor, or one on
    the ``meta`` device (it has no values)."""
    if v.is_meta:
        raise ValueError(f"fitwatch: metric {name!r} of split {split!r} is a tensor on the 'meta' device, "
                         f"which holds no values; log the tensor computed on a real device")
    if v.dtype.is_complex:
        raise _type_error(split, name, v)


class _Metric:
    """The batches of one metric in the current epoch."""

    __slots__ = ("steps", "values", "ns", "dev_steps", "dev_values", "dev_ns", "dev_chunks", "flushed", "last",
                 "last_step")

    def __init__(self):
        self.steps: list[int] = []
        self.values: list[float] = []
        self.ns: list[int] = []
        # values still on an accelerator: 0-d tensors, stacked into chunks on their device
        self.dev_steps: list[int] = []
        self.dev_values: list = []
        self.dev_ns: list[int] = []
        self.dev_chunks: list = []
        self.flushed = 0  # how many host values were already handed to the store
        # the last sample of the latest per-sample batch (a float, or a 0-d tensor on its device) and
        # that batch's step: DDP takes a DistributedSampler's repeated sample out with it
        self.last = None
        self.last_step = -1


class SplitAccumulator:
    """Collects the batches of one split (``train``, ``val``...) during one epoch.

    Args:
        split: the split's name.

    Attributes:
        step: the number of batches seen in this split since the run started (a global step).
    """

    def __init__(self, split: str, step: int = 0):
        self.split = split
        self.step = step
        self.metrics: dict[str, _Metric] = {}
        self.nonfinite: list[tuple[str, int]] = []  # (metric, step) of NaN/inf values seen

    # -- the hot path -----------------------------------------------------------------------
    def add(self, n, metrics: dict) -> None:
        """Add one batch: ``metrics`` maps names to values, ``n`` is the batch's sample count or None."""
        if n is None:
            weight = 1
        elif type(n) is int and 0 < n <= N_MAX:
            weight = n
        else:
            weight = n = check_n(n)
        step = self.step
        self.step = step + 1
        table = self.metrics
        try:  # free in Python 3.11 when nothing is raised
            for name, v in metrics.items():
                m = table.get(name)
                if m is None:
                    check_name(name, f"metric of split {self.split!r}")
                    m = table[name] = _Metric()
                t = type(v)
                if t is float:
                    w = weight
                elif t is _TORCH_TENSOR and v.is_cpu and v.ndim == 0:  # a CPU loss: read it now
                    v = v.item()
                    if type(v) is not float:  # an integer, bool or complex tensor
                        v = _number(self.split, name, v)
                    w = weight
                elif t is _TORCH_TENSOR and v.ndim == 0:  # on an accelerator: kept, read once per epoch
                    _check_device_tensor(self.split, name, v)
                    m.dev_steps.append(step)
                    m.dev_values.append(v.detach() if v.requires_grad else v)  # no graph kept alive
                    m.dev_ns.append(weight)
                    if len(m.dev_values) >= _CHUNK:
                        self._stack_device(m)
                    continue
                else:
                    v, w = self._convert(name, v, n, m, step)
                    if v is None:  # kept on its device
                        continue
                if v - v != 0.0:  # NaN or +-inf, without a function call
                    self.nonfinite.append((name, step))
                m.steps.append(step)
                m.values.append(v)
                m.ns.append(w)
        except BaseException:
            self._undo(step)  # a refused call records nothing: logged again, it counts once
            raise

    def _undo(self, step: int) -> None:
        """Take back what a refused call to :meth:`add` had recorded of its batch ``step``."""
        self.step = step
        for m in self.metrics.values():
            if m.steps and m.steps[-1] == step:
                del m.steps[-1], m.values[-1], m.ns[-1]
            if m.dev_values and m.dev_steps[-1] == step:
                del m.dev_steps[-1], m.dev_values[-1], m.dev_ns[-1]
        self.nonfinite = [(k, s) for k, s in self.nonfinite if s != step]

    def _convert(self, name: str, v, n, m: _Metric, step: int):
        """Turn a non-float value into (float, weight); (None, None) when it stays on its device."""
        if type(v) is int:
            return _number(self.split, name, v), (1 if n is None else n)
        if _is_torch_tensor(v):
            _check_device_tensor(self.split, name, v)
            if str(v.layout) != "torch.strided" or v.is_quantized:
                raise TypeError(f"fitwatch: metric {name!r} of split {self.split!r} is a {v.layout} "
                                f"{'quantized ' if v.is_quantized else ''}tensor; log .to_dense() or .dequantize()")
            numel = v.numel()
            if numel == 0:
                raise ValueError(f"fitwatch: metric {name!r} of split {self.split!r} is an empty tensor")
            if v.ndim == 0 or numel == 1:
                w = 1 if n is None else n
                v = v.detach().reshape(())
            else:
                w = self._per_sample_weight(name, int(v.shape[0]), n)
                v = v.detach().float()
                m.last, m.last_step = v.reshape(-1)[-1], step
                v = v.mean()
            if v.device.type == "cpu":
                return _number(self.split, name, v.item()), w
            m.dev_steps.append(step)
            m.dev_values.append(v.float())  # float32 on the device (a no-op for float32), async
            m.dev_ns.append(w)
            if len(m.dev_values) >= _CHUNK:
                self._stack_device(m)
            return None, None
        if isinstance(v, (numbers.Real, np.number)):
            return _number(self.split, name, v), (1 if n is None else n)
        if isinstance(v, np.ndarray) or hasattr(v, "__array__"):
            try:
                a = np.asarray(v)
                if a.dtype.kind not in "biuf":  # complex, dates, text, objects: not a metric's value
                    raise TypeError
                with np.errstate(over="ignore"):
                    a = a.astype(np.float64)
            except (TypeError, ValueError, OverflowError):
                raise _type_error(self.split, name, v) from None
            if a.size == 0:
                raise ValueError(f"fitwatch: metric {name!r} of split {self.split!r} is an empty array")
            if a.ndim == 0 or a.size == 1:
                return float(a.reshape(())), (1 if n is None else n)
            m.last, m.last_step = float(a.reshape(-1)[-1]), step
            return float(a.mean()), self._per_sample_weight(name, a.shape[0], n)
        raise _type_error(self.split, name, v)

    def _per_sample_weight(self, name: str, length: int, n) -> int:
        if n is not None and n != length:
            raise ValueError(
                f"fitwatch: metric {name!r} of split {self.split!r} is a per-sample tensor of length "
                f"{length} but n={n}; pass n=len(batch) or leave n out"
            )
        return length

    @staticmethod
    def _stack_device(m: _Metric) -> None:
        import torch

        m.dev_chunks.append(torch.stack(m.dev_values))  # asynchronous, stays on the device
        m.dev_values = []

    # -- epoch boundaries -------------------------------------------------------------------
    def read_device(self) -> None:
        """Bring values kept on an accelerator to the host: one transfer per metric, once per epoch."""
        for name, m in self.metrics.items():
            if not m.dev_steps:
                continue
            import torch

            try:
                if m.dev_values:
                    self._stack_device(m)
                vals = torch.cat(m.dev_chunks).cpu().double().tolist()  # the one synchronisation
            except RuntimeError:  # tensors on several devices: read them one by one
                vals = [float(x.item()) for x in [*(x for c in m.dev_chunks for x in c), *m.dev_values]]
            steps, ns = m.dev_steps, m.dev_ns
            for s, v in zip(steps, vals):
                if v - v != 0.0:
                    self.nonfinite.append((name, s))
            if not m.steps or m.steps[-1] < steps[0]:
                m.steps += steps
                m.values += vals
                m.ns += ns
            else:  # merge with host values read earlier, in step order
                merged = sorted(zip(m.steps + steps, m.values + vals, m.ns + ns))
                m.steps = [x[0] for x in merged]
                m.values = [x[1] for x in merged]
                m.ns = [x[2] for x in merged]
            m.dev_steps, m.dev_values, m.dev_ns, m.dev_chunks = [], [], [], []

    def pending_batches(self):
        """Yield ``(metric, steps, values, ns)`` lists of host values not yet handed to the store."""
        for name, m in self.metrics.items():
            k = m.flushed
            if k < len(m.steps):
                yield name, m.steps[k:], m.values[k:], m.ns[k:]
                m.flushed = len(m.steps)

    def has_data(self) -> bool:
        return any(m.steps or m.dev_steps for m in self.metrics.values())

    def epoch_sums(self) -> dict[str, tuple[float, int, float | None]]:
        """``{metric: (sum of value * n, total n, last sample)}`` of the epoch so far: what DDP's ranks
        add up. ``last sample`` is the last value of the epoch's last batch when that batch was logged
        per sample (else None)."""
        self.read_device()
        out = {}
        for name, m in self.metrics.items():
            if not m.steps:
                continue
            last = m.last if m.last_step == m.steps[-1] else None
            if last is not None and not isinstance(last, float):
                last = float(last.item())  # a device scalar: one read per metric and epoch
            out[name] = (self._weighted_sum(m), sum(m.ns), last)
        return out

    @staticmethod
    def _weighted_sum(m: _Metric) -> float:
        if len(m.values) < 512:  # plain Python is faster than numpy for an epoch's few batches
            return sum([v * w for v, w in zip(m.values, m.ns)])  # inf - inf gives NaN, as numpy
        with np.errstate(invalid="ignore", over="ignore"):
            return float(np.dot(np.asarray(m.values, np.float64), np.asarray(m.ns, np.float64)))

    def close_epoch(self) -> dict[str, tuple[float, int]]:
        """Return ``{metric: (weighted mean, total n)}`` for the epoch and start a new one.

        Call :meth:`read_device` and drain :meth:`pending_batches` first if batch rows are wanted.
        """
        self.read_device()
        out: dict[str, tuple[float, int]] = {}
        for name, m in self.metrics.items():
            if not m.steps:
                continue
            total = sum(m.ns)
            mean = self._weighted_sum(m) / total
            if mean - mean != 0.0 and all(x - x == 0.0 for x in m.values):  # finite values, an overflowed sum
                mean = float(sum(x * (w / total) for x, w in zip(m.values, m.ns)))
            out[name] = (mean, total)
        self.metrics = {}
        self.nonfinite = []
        return out
