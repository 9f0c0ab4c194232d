"""An epoch counter that starts again: a run resumed, an attempt abandoned, or a new run.

A log that a training script appends to (Keras ``CSVLogger(append=True)``, a console log, a JSON
lines file) holds every ``fit`` of it. :func:`table_parts` cuts a table where its epoch counter goes
back (and by its run column); a table of more than :data:`MAX_RUNS` parts is refused. Where the
counter goes back, the next rows are:

* **the same start again**: the first values repeat those of the rows before, which were an attempt
  the script began anew; the abandoned attempt is dropped (a note says so);
* **a resumed run**: its loss takes up where the rows before left off, within a quarter of their
  whole range (or 5 % of their level, for a flat curve) of their last value, and nothing
  contradicts it: its validation loss is within half its range (or 10 % of its level) of where it
  ended, and its accuracy does not fall further than that below where it ended while the loss
  starts at or below its own last value (a new model's loss can start near the last one's end, its
  validation loss or accuracy does not); or, where the loss jumped rather than took up
  (regularisation added on resuming) and did not start over, its accuracy takes up where it left
  off, an accuracy that moved by 2 points or more before; the two are one run, the epochs after the
  restart renumbered to follow on;
* else **a new run**, read on its own (``file#2``).

The parts are joined in place (:class:`_Chain`): each costs the time of its own rows, so a table of
thousands of restarts is read in time linear in its rows.

Example:
    >>> import numpy as np
    >>> a = Curves(epochs=np.arange(3), series={"loss": [2.0, 1.0, 0.5]})
    >>> b = Curves(epochs=np.arange(2), series={"loss": [0.48, 0.45]})
    >>> [(c.epochs.tolist(), c.loss.tolist()) for c, _ in join_resumed([(a, 5), (b, 9)], "line")]
    [([0, 1, 2, 3, 4], [2.0, 1.0, 0.5, 0.48, 0.45])]
"""

from __future__ import annotations

import math

import numpy as np

from fitwatch.diagnosis.curves import Curves
from fitwatch.diagnosis.readers.columns import Col, ReadError

#: resume notes kept on one run; past them, one note counts the rest
_MAX_JOIN_NOTES = 20


class _Chain:
    """A run joined from consecutive parts of a table. Until something is joined to it, the part as
    read (:attr:`c`); then buffers grown in place (doubling), so appending a part costs its own
    rows. What telling a resume from a new run asks of the first ``upto`` rows (whether a series
    has a finite value, its first and last ones, its first values) is answered from an index
    computed once per series and extended with each part, never by a pass over the rows before."""

    def __init__(self, c: Curves):
        self.c: Curves | None = c
        self.base = c  # name, source, stop and context of the joined run
        self.n = len(c)
        self.epochs = c.epochs
        self.series = c.series
        self.masks: dict | None = None  # key -> bool buffer (True: no value), once joined
        self.notes = c.notes
        self._seen: set | None = None  # the notes, once joined (each kept once)
        self._first: dict = {}  # key -> index of the first finite value, or None
        self._last: dict = {}  # key -> int buffer: index of the last finite value up to each row (-1: none)
        self.join_notes = self.more_joins = 0

    # -- what relation() asks ----------------------------------------------------------------
    def _index(self, key: str) -> tuple:
        if key not in self._last:
            fin = np.isfinite(self.series[key][: self.n])
            idx = np.where(fin, np.arange(self.n), -1)
            last = np.empty(self.epochs.size, dtype=np.int64)
            last[: self.n] = np.maximum.accumulate(idx) if self.n else idx
            self._last[key] = last
            nz = np.flatnonzero(fin)
            self._first[key] = int(nz[0]) if nz.size else None
        return self._first[key], self._last[key]

    def has(self, key: str, upto: int) -> bool:
        """Whether ``key`` holds a finite value in the first ``upto`` rows."""
        if key not in self.series or upto == 0:
            return False
        first, _ = self._index(key)
        return first is not None and first < upto

    def first_last(self, key: str, upto: int) -> tuple[float, float]:
        """The first and last finite values of ``key`` in the first ``upto`` rows (see :meth:`has`)."""
        first, last = self._index(key)
        v = self.series[key]
        return float(v[first]), float(v[last[upto - 1]])

    def kept_at(self, nxt: _Chain) -> int | None:
        """The number of rows kept when ``nxt`` starts again at an epoch these rows already passed
        but not at their first (a run resumed from an earlier checkpoint: the rows from that epoch
        on were done again); None otherwise."""
        if not (self.n and nxt.n):
            return None
        e0 = nxt.epochs[0]
        if self.epochs[0] < e0 <= self.epochs[self.n - 1]:
            return int(np.searchsorted(self.epochs[: self.n], e0))
        return None

    # -- joining ---------------------------------------------------------------------------------
    def _own(self, need: int) -> None:
        """Buffers of room for ``need`` rows (the part as read copied in, on the first join)."""
        n, cap = self.n, (self.epochs.size if self.c is None else 0)
        if need <= cap:
            return
        cap = max(need, 2 * cap, 16)

        def grown(a, fill):
            b = np.full(cap, fill, dtype=a.dtype)
            b[:n] = a[:n]
            return b

        if self.c is not None:  # first join: full masks, the notes each once
            c, self.c = self.c, None
            self.masks = {k: c.missing.get(k, np.zeros(n, dtype=bool)) for k in c.series}
            self.notes = list(dict.fromkeys(c.notes))
            self._seen = set(self.notes)
        self.epochs = grown(self.epochs, 0)
        self.series = {k: grown(v, np.nan) for k, v in self.series.items()}
        self.masks = {k: grown(m, True) for k, m in self.masks.items()}
        self._last = {k: grown(v, -1) for k, v in self._last.items()}

    def join(self, nxt: _Chain) -> int | None:
        """``nxt`` after these rows, its epochs renumbered to follow on (or, resumed from an earlier
        checkpoint, in place of the rows from its first epoch on; returns how many were kept); a
        series one of them lacks has no value there."""
        kept = self.kept_at(nxt)
        if kept:
            self.n = kept
            self._first = {k: (f if f is not None and f < kept else None) for k, f in self._first.items()}
        n, m = self.n, nxt.n
        shift = 0 if kept else int(self.epochs[n - 1]) + 1 - int(nxt.epochs[0])
        self._own(n + m)
        end = n + m
        self.epochs[n:end] = nxt.epochs[:m] + shift
        for k in nxt.series:
            if k not in self.series:  # a new series: no value in the rows before
                self.series[k] = np.full(self.epochs.size, np.nan)
                self.masks[k] = np.ones(self.epochs.size, dtype=bool)
        for k, v in self.series.items():
            if k in nxt.series:
                v[n:end] = nxt.series[k][:m]
                self.masks[k][n:end] = nxt.mask(k)
            else:
                v[n:end] = np.nan
                self.masks[k][n:end] = True
            if k in self._last:
                fin = np.isfinite(v[n:end])
                idx = np.maximum.accumulate(np.where(fin, np.arange(n, end), -1))
                self._last[k][n:end] = np.maximum(idx, self._last[k][n - 1] if n else -1)
                if self._first[k] is None and fin.any():
                    self._first[k] = n + int(np.flatnonzero(fin)[0])
        self.n = end
        for note in nxt.notes:
            if note not in self._seen:
                self._seen.add(note)
                self.notes.append(note)
        return kept

    def mask(self, key: str) -> np.ndarray:
        """The missing mask of ``key`` over the rows (all False: a value in every row)."""
        if self.c is not None:
            return self.c.missing.get(key, np.zeros(self.n, dtype=bool))
        return self.masks[key][: self.n]

    def note_join(self, note: str) -> None:
        if self.join_notes < _MAX_JOIN_NOTES:
            self.join_notes += 1
            self.notes.append(note)
            self._seen.add(note)
        else:
            self.more_joins += 1

    def curves(self) -> Curves:
        """The joined run (the part as read, when nothing was joined to it)."""
        if self.c is not None:
            return self.c
        n, b = self.n, self.base
        notes = list(self.notes)
        if self.more_joins:
            notes.append(f"and {self.more_joins} more restarts of the epoch counter read as the run resumed")
        return Curves(epochs=self.epochs[:n].copy(), series={k: v[:n].copy() for k, v in self.series.items()},
                      name=b.name, source=b.source, notes=notes, stop=b.stop,
                      missing={k: m[:n].copy() for k, m in self.masks.items() if m[:n].any()}, context=b.context)


def _key(c: _Chain, upto: int) -> str | None:
    """The curve that tells a resume from a new run: the training loss, else the validation loss."""
    return next((k for k in ("loss", "val_loss") if c.has(k, upto)), None)


def _takes_up(prev: _Chain, upto: int, nxt: _Chain, key: str, share: float, level: float) -> bool | None:
    """Whether ``nxt``'s first value of ``key`` is within ``share`` of ``prev``'s whole range (or
    ``level`` of its level, for a flat curve) of ``prev``'s last value; None when either lacks it."""
    if not (prev.has(key, upto) and nxt.has(key, nxt.n)):
        return None
    p0, p1 = prev.first_last(key, upto)
    n0, _ = nxt.first_last(key, nxt.n)
    return abs(n0 - p1) <= max(share * abs(p0 - p1), level * abs(p1))


def _starts_over(prev: _Chain, upto: int, nxt: _Chain, key: str) -> bool:
    """``nxt``'s first value of ``key`` is where ``prev``'s started (within a quarter of its range)."""
    p0, p1 = prev.first_last(key, upto)
    n0, _ = nxt.first_last(key, nxt.n)
    return abs(n0 - p0) <= max(0.25 * abs(p0 - p1), 0.05 * abs(p0))


def _falls_behind(prev: _Chain, upto: int, nxt: _Chain, key: str) -> bool:
    """``nxt``'s loss starts at or below ``prev``'s last value while its accuracy starts below
    ``prev``'s last by more than half the accuracy's range (or 10 % of its level): the two
    contradict each other."""
    if _takes_up(prev, upto, nxt, "accuracy", 0.5, 0.10) is not False:
        return False
    _, p1 = prev.first_last(key, upto)
    n0, _ = nxt.first_last(key, nxt.n)
    _, a1 = prev.first_last("accuracy", upto)
    b0, _ = nxt.first_last("accuracy", nxt.n)
    return n0 <= p1 and b0 < a1


def relation(prev: _Chain, nxt: _Chain) -> str:
    """``"repeat"`` (the same start again), ``"resumed"`` or ``"new"``."""
    upto = prev.kept_at(nxt) or prev.n  # resumed from an earlier checkpoint: the rows before it
    key = _key(prev, upto)
    if key is None or key != _key(nxt, nxt.n):
        return "new"
    k = min(upto, nxt.n, 3)
    a, b = prev.series[key][:k], nxt.series[key][:k]
    if k >= 1 and np.allclose(a, b, rtol=1e-6, equal_nan=True):
        return "repeat"
    # the loss takes up where it left off, and nothing contradicts it: not the validation loss (a
    # new model's starts far from where the last one ended), nor an accuracy that falls far below
    # where it ended while the loss went on falling (a new model whose loss, another regularisation
    # in it, happens to start below the last one's end); where one does, a new run, whatever the
    # accuracy says below
    if _takes_up(prev, upto, nxt, key, 0.25, 0.05):
        if key != "val_loss" and _takes_up(prev, upto, nxt, "val_loss", 0.5, 0.10) is False:
            return "new"
        return "new" if _falls_behind(prev, upto, nxt, key) else "resumed"
    # or, where the loss jumped (regularisation added on resuming) rather than starting over, the
    # accuracy takes up where it left off; an accuracy that did not move cannot tell
    if not _starts_over(prev, upto, nxt, key) and _takes_up(prev, upto, nxt, "accuracy", 0.25, 0.05):
        p0, p1 = prev.first_last("accuracy", upto)
        if abs(p1 - p0) >= 0.02:
            return "resumed"
    return "new"


def join_resumed(parts: list[tuple[Curves, int]], where: str) -> list[tuple[Curves, int]]:
    """Consecutive parts of a table (each with the line or row where it starts) with every abandoned
    attempt dropped and every resumed run joined to the run it resumes, a note on each."""
    out: list[list] = []  # [chain, where it starts]
    for c, at in parts:
        nxt = _Chain(c)
        if not out:
            out.append([nxt, at])
            continue
        prev = out[-1][0]
        rel = relation(prev, nxt)
        if rel == "repeat" and prev.n > nxt.n:  # went further than the new one: a run of its own, then a shorter one
            nxt.notes.append(f"the epoch counter restarts at {where} {at} with the same first values, for fewer "
                             f"epochs ({nxt.n}) than the {prev.n} before: read as a second run (a run trained "
                             f"again, shorter), the first kept as a run of its own")
            out.append([nxt, at])
        elif rel == "repeat":
            nxt.notes.append(f"the epoch counter restarts at {where} {at} with the same first values: the "
                             f"{prev.n} epochs before were an attempt begun again, left out")
            out[-1] = [nxt, at]
        elif rel == "resumed":
            before = prev.n
            kept = prev.join(nxt)
            prev.note_join(
                f"the epoch counter goes back to {int(c.epochs[0])} at {where} {at} and the curves take up from "
                f"there: read as the run resumed from that checkpoint (the {before - kept} rows it redid "
                f"left out)" if kept else
                f"the epoch counter restarts at {where} {at} but the curves take up where "
                f"they left off: read as the run resumed (epochs renumbered to follow on)")
        else:
            out.append([nxt, at])
    return [(chain.curves(), at) for chain, at in out]


# -- where the epoch counter starts again ------------------------------------------------------------
#: runs one table may hold (the epoch counter starting again, the values of a run column); a table of
#: more (a row written again and again) is refused: reading and judging each costs time and memory
MAX_RUNS = 1_000


def table_parts(n: int, run: Col | None, epochs: Col | None, steps: Col | None, aggregate: bool, label: str,
                whole: str) -> list[tuple]:
    """The ``n`` rows of a table as ``[(run key, [rows of each part])]``: grouped by the ``run`` column
    (one group without one, its key None), each group cut where its epoch counter (or step counter)
    starts again, unless ``aggregate`` (several rows per epoch: only going back starts a part). More
    than :data:`MAX_RUNS` parts raise :class:`ReadError` (``whole``: the file or source, in it)."""
    if run is not None:
        groups: dict = {}
        for i in range(n):
            groups.setdefault(run_key(run, i), []).append(i)
        grouped = list(groups.items())
    else:
        grouped = [(None, list(range(n)))]
    split = [(gkey, _split_runs(rows, epochs, steps, aggregate)) for gkey, rows in grouped]
    n_parts = sum(len(p) for _, p in split)
    if n_parts > MAX_RUNS:
        raise ReadError(f"{label}: {n_parts:,} runs in one {whole} (the epoch counter starts again"
                        f"{f' or the {run.name} column changes' if run is not None else ''} {n_parts - 1:,} "
                        f"times); fitwatch reads at most {MAX_RUNS:,} from one {whole}: write one file per run, or "
                        f"look for rows written again and again")
    return split


def run_key(col: Col, i: int) -> str:
    """Row ``i`` of a run column as text: its cell, or its number (a whole one without ``.0``)."""
    if col.texts is not None:
        return col.texts[i] or ""
    v = col.vals[i]
    return "" if np.isnan(v) else (str(int(v)) if np.isfinite(v) and v == int(v) else str(v))


def _split_runs(rows: list[int], epochs: Col | None, steps: Col | None, aggregate: bool) -> list[list[int]]:
    """Rows into runs where the epoch counter (or the step counter) starts again."""
    if epochs is None and steps is None:
        return [rows]
    ev = epochs.vals if epochs is not None else None
    sv = steps.vals if steps is not None else None
    parts: list[list[int]] = [[]]
    prev_e = prev_s = None
    for r in rows:
        e = ev[r] if ev is not None else np.nan
        s = sv[r] if sv is not None else np.nan
        new = False
        if math.isfinite(e) and prev_e is not None:
            new = e < prev_e or (e == prev_e and not aggregate)
        # with an epoch column, only rows that have an epoch count the steps: old Lightning versions
        # write validation batch rows without an epoch, numbered by a step counter of their own
        counted = ev is None or math.isfinite(e)
        # a step counter that goes back as the epoch goes forward counts the iterations of each epoch
        # (OpenMMLab's "iter"): not a new run
        if s == s and counted and prev_s is not None and s < prev_s and not (prev_e is not None and e > prev_e):
            new = True
        if new and parts[-1]:
            parts.append([])
            prev_e = prev_s = None
        parts[-1].append(r)
        if math.isfinite(e):
            prev_e = e
        if s == s and counted:
            prev_s = s
    return [p for p in parts if p]


def repeats_forward(epochs: Col | None) -> bool:
    """An epoch column whose numbers repeat but never go back: several rows per epoch, one run."""
    if epochs is None:
        return False
    e = epochs.vals[np.isfinite(epochs.vals)]
    d = np.diff(e)
    return e.size > 2 and bool((d >= 0).all() and (d == 0).any() and (d > 0).any())


def constant_epoch(epoch: Col | None, step: Col | None, entries: list, n: int, notes: list) -> tuple:
    """``(epochs, step)`` for a table whose epoch column holds one number in every row (3 or more)
    while every row holds a validation value: each row is an evaluation, the epoch column says
    nothing (``model.fit(epochs=1)`` called in a loop with an appending CSVLogger writes epoch 0
    every time; a script that evaluates every 1,000 iterations of its one epoch). The step column,
    when there is one, becomes the x axis; else the rows are numbered, starting again where the
    training loss starts over (above the run's first value and 3 times the row before: a new model
    appended to the same file). Any other table: ``(epoch, step)`` unchanged."""
    if epoch is None or n < 3 or not epoch.present.all() or np.ptp(epoch.vals) != 0 or not np.isfinite(epoch.vals).all():
        return epoch, step
    val = [e for e in entries if e[0].startswith("val_") and not e[4]]
    if not val or not any(bool((e[2] & np.isfinite(e[1])).all()) for e in val):
        return epoch, step
    first = f"{epoch.vals[0]:g}"
    if step is not None and step.present.all() and (np.diff(step.vals) > 0).all():
        notes.append(f"{epoch.name} is {first} in every row and each row an evaluation: read by {step.name}")
        return step, None
    counter = np.arange(n, dtype=np.float64)
    loss = next((e[1] for e in entries if e[0] == "loss"), None)
    if loss is not None:
        start = 0
        for i in range(1, n):
            if loss[i] > loss[start] and loss[i] > 3 * loss[i - 1]:  # a new model: it starts over
                start = i
            counter[i] = i - start
    notes.append(f"{epoch.name} is {first} in every row and each row an evaluation: the rows read in order")
    return Col(epoch.name, counter, np.ones(n, dtype=bool)), None
