"""An epoch counter that starts again: a run resumed, an attempt abandoned, or a new run.

A log that a training script appends to (Keras ``CSVLogger(append=True)``, a console log, a JSON
lines file) holds every ``fit`` of it. Where its epoch counter goes back, the next rows are:

* **the same start again**: the first values repeat those of the rows before, which were an attempt
  the script began anew; the abandoned attempt is dropped (a note says so);
* **a resumed run**: its loss takes up where the rows before left off, within a quarter of their
  whole range (or 5 % of their level, for a flat curve) of their last value, and its validation
  loss does not contradict it (within half its range or 10 % of its level); or, where the loss
  jumped rather than started over (regularisation added on resuming), its accuracy takes up where
  it left off, an accuracy that moved by 2 points or more before; the two are one run, the epochs
  after the restart renumbered to follow on;
* else **a new run**, read on its own (``file#2``).

Example:
    >>> import numpy as np
    >>> a = Curves(epochs=np.arange(3), series={"loss": [2.0, 1.0, 0.5]})
    >>> b = Curves(epochs=np.arange(2), series={"loss": [0.48, 0.45]})
    >>> [(c.epochs.tolist(), c.loss.tolist()) for c, _ in join_resumed([(a, 5), (b, 9)], "line")]
    [([0, 1, 2, 3, 4], [2.0, 1.0, 0.5, 0.48, 0.45])]
"""

from __future__ import annotations

import numpy as np

from fitwatch.diagnosis.curves import Curves


def _key(c: Curves) -> str | None:
    """The curve that tells a resume from a new run: the training loss, else the validation loss."""
    return next((k for k in ("loss", "val_loss") if k in c.series and np.isfinite(c.series[k]).any()), None)


def _first_last(c: Curves, key: str) -> tuple[float, float]:
    v = c.series[key][np.isfinite(c.series[key])]
    return float(v[0]), float(v[-1])


def _takes_up(prev: Curves, nxt: Curves, key: str, share: float, level: float) -> bool | None:
    """Whether ``nxt``'s first value of ``key`` is within ``share`` of ``prev``'s whole range (or
    ``level`` of its level, for a flat curve) of ``prev``'s last value; None when either lacks it."""
    if not (key in prev.series and key in nxt.series and np.isfinite(prev.series[key]).any()
            and np.isfinite(nxt.series[key]).any()):
        return None
    p0, p1 = _first_last(prev, key)
    n0, _ = _first_last(nxt, key)
    return abs(n0 - p1) <= max(share * abs(p0 - p1), level * abs(p1))


def _starts_over(prev: Curves, nxt: Curves, key: str) -> bool:
    """``nxt``'s first value of ``key`` is where ``prev``'s started (within a quarter of its range)."""
    p0, p1 = _first_last(prev, key)
    n0, _ = _first_last(nxt, key)
    return abs(n0 - p0) <= max(0.25 * abs(p0 - p1), 0.05 * abs(p0))


def from_checkpoint(prev: Curves, nxt: Curves) -> int | None:
    """The number of ``prev``'s rows kept when ``nxt`` starts again at an epoch ``prev`` already
    passed but not at its first (a run resumed from an earlier checkpoint: ``prev``'s rows from
    that epoch on were done again); None otherwise."""
    if not (len(prev) and len(nxt)):
        return None
    e0 = nxt.epochs[0]
    if prev.epochs[0] < e0 <= prev.epochs[-1]:
        return int(np.searchsorted(prev.epochs, e0))
    return None


def _head(c: Curves, k: int) -> Curves:
    """The first ``k`` rows of ``c``."""
    return Curves(epochs=c.epochs[:k], series={n: v[:k] for n, v in c.series.items()}, name=c.name,
                  source=c.source, notes=list(c.notes), stop=c.stop,
                  missing={n: m[:k] for n, m in c.missing.items()}, context=c.context)


def relation(prev: Curves, nxt: Curves) -> str:
    """``"repeat"`` (the same start again), ``"resumed"`` or ``"new"``."""
    kept = from_checkpoint(prev, nxt)
    if kept:  # resumed from an earlier checkpoint: compare with the rows before it
        prev = _head(prev, kept)
    key = _key(prev)
    if key is None or key != _key(nxt):
        return "new"
    k = min(len(prev), len(nxt), 3)
    a, b = prev.series[key][:k], nxt.series[key][:k]
    if k >= 1 and np.allclose(a, b, rtol=1e-6, equal_nan=True):
        return "repeat"
    # the loss takes up where it left off, and the validation loss does not contradict it (a new
    # model's validation loss starts far from where the last one ended)
    if _takes_up(prev, nxt, key, 0.25, 0.05) and (key == "val_loss"
                                                   or _takes_up(prev, nxt, "val_loss", 0.5, 0.10) is not False):
        return "resumed"
    # or, where the loss jumped (regularisation added on resuming) rather than starting over, the
    # accuracy takes up where it left off; an accuracy that did not move cannot tell
    if not _starts_over(prev, nxt, key) and _takes_up(prev, nxt, "accuracy", 0.25, 0.05):
        p0, p1 = _first_last(prev, "accuracy")
        if abs(p1 - p0) >= 0.02:
            return "resumed"
    return "new"


def join(prev: Curves, nxt: Curves) -> Curves:
    """``nxt`` after ``prev``, its epochs renumbered to follow on (or, resumed from an earlier
    checkpoint, in place of ``prev``'s rows from its first epoch on); a series one of them lacks
    has no value there."""
    kept = from_checkpoint(prev, nxt)
    if kept:
        prev = _head(prev, kept)
    n1, n2 = len(prev), len(nxt)
    shift = 0 if kept else int(prev.epochs[-1]) + 1 - int(nxt.epochs[0])
    series, missing = {}, {}
    for k in dict.fromkeys([*prev.series, *nxt.series]):
        parts, miss = [], []
        for c, n in ((prev, n1), (nxt, n2)):
            if k in c.series:
                parts.append(c.series[k])
                miss.append(c.missing.get(k, np.zeros(n, dtype=bool)))
            else:
                parts.append(np.full(n, np.nan))
                miss.append(np.ones(n, dtype=bool))
        series[k] = np.concatenate(parts)
        m = np.concatenate(miss)
        if m.any():
            missing[k] = m
    notes = list(dict.fromkeys([*prev.notes, *nxt.notes]))
    return Curves(epochs=np.concatenate([prev.epochs, nxt.epochs + shift]), series=series, name=prev.name,
                  source=prev.source, notes=notes, stop=prev.stop, missing=missing, context=prev.context)


def join_resumed(parts: list[tuple[Curves, int]], where: str) -> list[tuple[Curves, int]]:
    """Consecutive parts of a table (each with the line or row where it starts) with every abandoned
    attempt dropped and every resumed run joined to the run it resumes, a note on each."""
    out: list[tuple[Curves, int]] = []
    for c, at in parts:
        if not out:
            out.append((c, at))
            continue
        prev, start = out[-1]
        rel = relation(prev, c)
        if rel == "repeat":
            c.notes.append(f"the epoch counter restarts at {where} {at} with the same first values: the "
                           f"{len(prev)} epochs before were an attempt begun again, left out")
            out[-1] = (c, at)
        elif rel == "resumed":
            kept = from_checkpoint(prev, c)
            joined = join(prev, c)
            joined.notes.append(
                f"the epoch counter goes back to {int(c.epochs[0])} at {where} {at} and the curves take up from "
                f"there: read as the run resumed from that checkpoint (the {len(prev) - kept} rows it redid "
                f"left out)" if kept else
                f"the epoch counter restarts at {where} {at} but the curves take up where "
                f"they left off: read as the run resumed (epochs renumbered to follow on)")
            out[-1] = (joined, start)
        else:
            out.append((c, at))
    return out
