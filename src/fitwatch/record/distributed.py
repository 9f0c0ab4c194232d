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
from fitwatch.record.accumulator import stored_split


def ddp_world() -> tuple[int, int] | None:
    """``(rank, world_size)`` inside an initialised ``torch.distributed`` process group of two or
    more processes; None otherwise (torch.distributed never imported, not initialised, one process)."""
    dist = sys.modules.get("torch.distributed")
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return None
    world = dist.get_world_size()
    return (dist.get_rank(), world) if world > 1 else None


def setup(run, samples, dir, open_store):
    """``(reducer, store)`` for a new :class:`fitwatch.Run`: outside DDP no reducer and the store; on
    rank 0 a reducer and the store; on another rank a reducer and a :class:`NullStore`, with the
    run's diagnosis and progress display off (only rank 0 speaks)."""
    samples = check_samples(samples)  # checked in one process too: the same script runs there
    world = ddp_world()
    if world is None:
        return None, open_store(dir)
    reducer = Reducer(*world, samples=samples, name=run.name)
    run.info["distributed"] = reducer.describe()
    if world[0] != 0:
        run.diagnose, run.progress = False, False
        return reducer, NullStore()
    return reducer, open_store(dir)


def check_samples(samples) -> dict | None:
    """``Run(samples=...)``: ``{split: dataset length}``, each a positive integer (the split's stored
    name: ``"valid"`` is ``val``)."""
    if samples is None:
        return None
    if not isinstance(samples, dict):
        raise TypeError(f"fitwatch: samples must be a dict of split -> dataset length, e.g. "
                        f"samples={{'train': len(train_set), 'val': len(val_set)}}, got {type(samples).__name__}")
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
        self._warned: set = set()  # a split (its padding said) or (split, metric) (its count contradicted)
        #: why the ranks can no longer agree (a rank died, a mismatch): no collective is tried again
        self.broken: str | None = None

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
            self.broken = (
                f"fitwatch: run {self.name!r}: the {self.world} ranks logged different splits or metrics this epoch "
                f"(rank {self.rank}: {', '.join(f'{s}: {m}' for s, m in layout) or 'nothing'}): every rank must log "
                f"the same metrics of the same splits; a rank that left the loop with an exception ends its epoch "
                f"early, with fewer: look for another rank's error first")
            raise DistributedError(self.broken)
        out = {}
        for split, names in layout:
            # each metric's sums twice: as logged, and with this rank's repeated sample taken out
            raw = [sums[split][m][:2] for m in names]
            own = [self._own(split, sums[split][m]) for m in names]
            t = torch.tensor([float(x) for pair in raw + own for x in pair], dtype=torch.float64, device=device)
            self._collective(dist.all_reduce, t, op=dist.ReduceOp.SUM)
            total = t.tolist()
            out[split] = {m: self._choose(split, m, total[2 * i:2 * i + 2], total[2 * (len(names) + i):][:2])
                          for i, m in enumerate(names)}
            self._check_padding(split, out[split])
        return out

    def _choose(self, split: str, metric: str, raw: list, corrected: list) -> tuple[float, int]:
        """The epoch's (mean, count) of a metric: the corrected sums when they hold exactly the split's
        dataset; else the sums as logged, with a warning when their count contradicts ``samples``."""
        size, pad = self.samples.get(split), self._pad(split)
        pick = corrected if pad and int(round(raw[1])) == size + pad and int(round(corrected[1])) == size else raw
        n = int(round(pick[1]))
        if size and n not in (size, size + pad) and (split, metric) not in self._warned and self.rank == 0:
            self._warned.add((split, metric))
            warnings.warn(
                f"fitwatch: run {self.name!r}: samples[{split!r}] is {size:,} but the {self.world} ranks logged "
                f"{n:,} samples of {metric} this epoch (DistributedSampler would give {size + pad:,}): check "
                f"Run(samples=...) and that run.log gets n= (without it each batch counts as one sample); the "
                f"values are kept as logged", RuntimeWarning, stacklevel=user_stacklevel())
        return (pick[0] / pick[1] if pick[1] else math.nan, n)

    def drop_epoch(self, run) -> dict:
        """The ranks can no longer agree: the epoch in progress of ``run`` is dropped, not written."""
        for acc in run._accs.values():
            acc.close_epoch()
        run._epoch_values, run.epoch = {}, run.epoch + 1
        return {}

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

    def _check_padding(self, split: str, means: dict) -> None:
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

    def wait_for_all(self, status: str) -> None:
        """At the end of the run: every rank waits here until the others are done too (rank 0 writes
        and diagnoses while they wait), so that a script's ``dist.destroy_process_group()`` after
        ``run.finish()`` never tears the group down under a rank still at work (gloo aborts the process
        then: 'terminate called without an active exception'). A failed run does not wait (the others
        may still train); nothing is raised: a rank that is gone was said when its epoch was reduced."""
        dist = sys.modules.get("torch.distributed")
        if self.broken or status == "failed" or dist is None or not dist.is_initialized():
            return
        try:
            dist.barrier()
        except RuntimeError:
            pass

    # -- plumbing -------------------------------------------------------------------------------------
    @staticmethod
    def _device(dist, torch):
        """NCCL reduces CUDA tensors; gloo (and the others) CPU ones."""
        if dist.get_backend() == "nccl":
            return torch.device("cuda", torch.cuda.current_device())
        return torch.device("cpu")

    def _collective(self, fn, *args, **kw) -> None:
        """Run a collective; a rank that died makes it raise: say so in one line, not a hang."""
        if self.broken:
            raise DistributedError(self.broken)
        try:
            fn(*args, **kw)
        except RuntimeError as e:  # gloo: "Connection closed by peer", "Timed out"...
            self.broken = (f"fitwatch: run {self.name!r}: rank {self.rank} of {self.world} could not reach the other "
                           f"ranks at the end of an epoch (a rank died or left the loop early?): "
                           f"{str(e).splitlines()[0][:120]}")
            raise DistributedError(self.broken) from None


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
