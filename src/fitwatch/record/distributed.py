"""A run recorded from a ``torch.distributed`` job (DDP): the epoch's values of every rank, reduced
once per epoch, written by rank 0 alone.

Each rank logs its own batches as a single process does (``run.log`` keeps sums and counts, never
a collective per batch). At the epoch's end :class:`Reducer` adds every rank's per-metric sums
``sum(value * n)`` and counts ``sum(n)``: one ``all_reduce`` of a small float64 tensor per split,
after one more that checks the ranks logged the same splits and metrics (a mismatch is a one-line
error, never a hang). The epoch's value is then ``total sum / total count``, the sample-weighted
mean over every sample of every rank: what one process gets over the same samples, up to float
rounding. Rank 0 writes the run; the other ranks hold a :class:`NullStore` and never open the store.

``DistributedSampler`` (``drop_last=False``) repeats the first samples of its order so that every
rank gets ``ceil(N / world)``: ``pad = world * ceil(N / world) - N`` of them, the last sample of the
ranks ``world - pad`` to ``world - 1``. Given the split's dataset length (``Run(samples=...)``),
the reducer names the padding in the run's info and a warning, and, when those ranks logged
per-sample values, takes their last sample out before reducing: the epoch's value is then exact.

Early stopping is decided on rank 0 and broadcast (:meth:`Reducer.decide`), so every rank leaves
the loop at the same epoch and restores the same epoch's weights.

This module never imports torch: it reads ``torch.distributed`` from ``sys.modules``, where a DDP
job has put it.
"""

from __future__ import annotations

import math
import sys
import warnings
import zlib

from fitwatch.core.caller import user_stacklevel


def ddp_world() -> tuple[int, int] | None:
    """``(rank, world_size)`` inside an initialised ``torch.distributed`` process group of two or
    more processes; None otherwise (torch.distributed never imported, not initialised, one process)."""
    dist = sys.modules.get("torch.distributed")
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return None
    world = dist.get_world_size()
    return (dist.get_rank(), world) if world > 1 else None


def check_samples(samples) -> dict | None:
    """``Run(samples=...)``: ``{split: dataset length}``, each a positive integer (the split's stored
    name: ``"valid"`` is ``val``)."""
    if samples is None:
        return None
    if not isinstance(samples, dict):
        raise TypeError(f"fitwatch: samples must be a dict of split -> dataset length, e.g. "
                        f"samples={{'train': len(train_set), 'val': len(val_set)}}, got {type(samples).__name__}")
    from fitwatch.record.accumulator import stored_split

    out = {}
    for split, size in samples.items():
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise ValueError(f"fitwatch: samples[{split!r}] must be the split's dataset length, a positive "
                             f"integer, got {size!r}")
        out[stored_split(split)] = size
    return out


class DistributedError(RuntimeError):
    """The ranks of a DDP job could not agree on an epoch: a rank died, or they logged different
    splits or metrics."""


class Reducer:
    """The collectives of one distributed run: the epoch's sums, the stop decision.

    Args:
        rank, world: this process's rank and the number of processes.
        samples: ``{split: dataset length}`` for the padding check (optional).
        name: the run's name, for messages.
    """

    def __init__(self, rank: int, world: int, samples: dict | None = None, name: str = ""):
        self.rank, self.world, self.name = rank, world, name
        self.samples = dict(samples or {})
        self.padding: dict[str, dict] = {}  # split -> what was found, for the run's info
        self._warned: set[str] = set()

    def describe(self) -> dict:
        """The run's ``info["distributed"]``."""
        return {"world_size": self.world, "batch_values": "rank 0's batches",
                "epoch_values": "sample-weighted means over every rank's batches"}

    # -- the epoch's values ---------------------------------------------------------------------------
    def reduce_run(self, accs: dict, info: dict) -> dict[str, dict[str, tuple[float, int]]]:
        """The epoch of a run's split accumulators, reduced; the padding found, into ``info``."""
        reduced = self.reduce({acc.split: acc.epoch_sums() for acc in accs.values() if acc.has_data()})
        if self.padding:
            info.setdefault("distributed", self.describe())["padding"] = dict(self.padding)
        return reduced

    def reduce(self, sums: dict[str, dict[str, tuple[float, int, float | None]]]) -> dict[str, dict[str, tuple[float, int]]]:
        """Every rank's ``{split: {metric: (weighted sum, count, last per-sample value or None)}}`` of
        the epoch, reduced: ``{split: {metric: (mean, total count)}}``, the same on every rank."""
        import torch
        import torch.distributed as dist

        device = self._device(dist, torch)
        layout = sorted((s, sorted(m)) for s, m in sums.items())
        signature = float(zlib.crc32(repr(layout).encode()) & 0xFFFFFFFF)
        check = torch.tensor([signature, -signature], dtype=torch.float64, device=device)
        self._collective(dist.all_reduce, check, op=dist.ReduceOp.MAX)
        if check[0].item() != -check[1].item():
            raise DistributedError(
                f"fitwatch: run {self.name!r}: the {self.world} ranks logged different splits or metrics this "
                f"epoch (rank {self.rank}: {', '.join(f'{s}: {m}' for s, m in layout) or 'nothing'}); every rank must "
                f"log the same metrics of the same splits (its own shard of the batches)")
        out = {}
        for split, names in layout:
            own = [self._own(split, sums[split][m]) for m in names]
            t = torch.tensor([x[0] for x in own] + [float(x[1]) for x in own], dtype=torch.float64, device=device)
            self._collective(dist.all_reduce, t, op=dist.ReduceOp.SUM)
            total = t.tolist()
            k = len(names)
            out[split] = {m: (total[i] / total[k + i] if total[k + i] else math.nan, int(round(total[k + i])))
                          for i, m in enumerate(names)}
            self._check_padding(split, out[split], [s for _, _, s in sums[split].values()])
        return out

    def _own(self, split: str, value: tuple[float, int, float | None]) -> tuple[float, int]:
        """This rank's (sum, count) of one metric, its padded last sample taken out when it is known."""
        wsum, n, last = value
        pad = self._pad(split)
        if pad and last is not None and self.rank >= self.world - pad and n > 0:
            return wsum - last, n - 1
        return wsum, n

    def _pad(self, split: str) -> int:
        """How many samples DistributedSampler repeats for the split (0 when its length is not given)."""
        size = self.samples.get(split)
        if not isinstance(size, int) or size <= 0:
            return 0
        return self.world * math.ceil(size / self.world) - size

    def _check_padding(self, split: str, means: dict, lasts: list) -> None:
        """Name DistributedSampler's padding in the run's info (the metrics whose repeated samples were
        taken out, those that count them twice), with a warning once per split for the latter."""
        pad = self._pad(split)
        if not pad:
            return
        size = self.samples[split]
        padded = size + pad
        exact = sorted(m for m, (_, n) in means.items() if n == size)
        twice = sorted(m for m, (_, n) in means.items() if n == padded)
        if not exact and not twice:  # not one whole epoch of samples (drop_last, a partial epoch, n left out)
            return
        self.padding[split] = {"dataset": size, "padded": pad, "corrected": exact, "counted_twice": twice}
        if twice and split not in self._warned and self.rank == 0:  # said once, by the rank that writes
            self._warned.add(split)
            warnings.warn(
                f"fitwatch: run {self.name!r}: DistributedSampler repeated {pad} of {split}'s {size:,} samples so that "
                f"each of the {self.world} ranks gets {padded // self.world:,}; the epoch means of {', '.join(twice)} "
                f"count them twice. Log per-sample values (a tensor of each sample's loss) to have them taken out "
                f"exactly", RuntimeWarning, stacklevel=user_stacklevel())

    # -- the stop decision ----------------------------------------------------------------------------
    def decide(self, stop: bool) -> bool:
        """Rank 0's ``stop``, on every rank (one broadcast of one number)."""
        import torch
        import torch.distributed as dist

        t = torch.tensor([1.0 if stop else 0.0], dtype=torch.float64, device=self._device(dist, torch))
        self._collective(dist.broadcast, t, src=0)
        return bool(t.item())

    def share(self, obj):
        """Rank 0's ``obj`` (a small JSON-able value: the run's id and first epoch), on every rank."""
        import torch.distributed as dist

        box = [obj]
        self._collective(dist.broadcast_object_list, box, src=0)
        return box[0]

    # -- plumbing -------------------------------------------------------------------------------------
    @staticmethod
    def _device(dist, torch):
        """NCCL reduces CUDA tensors; gloo (and the others) CPU ones."""
        if dist.get_backend() == "nccl":
            return torch.device("cuda", torch.cuda.current_device())
        return torch.device("cpu")

    def _collective(self, fn, *args, **kw) -> None:
        """Run a collective; a rank that died makes it raise: say so in one line, not a hang."""
        try:
            fn(*args, **kw)
        except RuntimeError as e:  # gloo: "Connection closed by peer", "Timed out"...
            raise DistributedError(
                f"fitwatch: run {self.name!r}: rank {self.rank} of {self.world} could not reach the other ranks at the "
                f"end of an epoch (a rank died or left the loop early?): {str(e).splitlines()[0][:200]}") from e


class NullStore:
    """What the ranks other than 0 hold instead of a store: they write nothing and open nothing."""

    path = None

    def __init__(self):
        import os

        self._pid = os.getpid()

    def create_run(self, *a, **k):
        return 0

    def find_run(self, *a, **k):
        return None

    def write_epoch(self, *a, **k) -> None:
        pass

    def queue_steps(self, *a, **k) -> None:
        pass

    def queue_probes(self, *a, **k) -> None:
        pass

    def update_run(self, *a, **k) -> None:
        pass

    def set_tags(self, *a, **k) -> list:
        return []

    def set_note(self, *a, **k) -> None:
        pass

    def flush(self, *a, **k) -> bool:
        return True

    def failures(self) -> list:
        return []

    def hold(self) -> None:
        pass

    def release(self) -> None:
        pass

    def last_steps(self, *a, **k) -> dict:
        return {}
