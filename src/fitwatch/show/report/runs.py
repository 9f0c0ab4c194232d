"""The runs a report shows: :class:`ReportRun` (a run's curves, their diagnosis, the store's record),
:func:`collect`, which reads them from the sources, and the facts about a run that both the page and
the charts state (its best epoch, its status, how it stopped)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from fitwatch.diagnosis.analyze import diagnose_each
from fitwatch.diagnosis.curves import Curves
from fitwatch.diagnosis.findings import Diagnosis
from fitwatch.diagnosis.readers import read_curves
from fitwatch.show.tables import fmt_number, stop_line
from fitwatch.store.rundata import RunData
from fitwatch.store.status import effective_status

__all__ = ["ReportRun", "collect", "best_point", "best_text", "run_status", "stop_text"]


@dataclass
class ReportRun:
    """One run in a report: its curves, their diagnosis, and the store's record when it is a run."""

    curves: Curves
    diagnosis: Diagnosis | None  # None: a run with no epoch yet (only its pre-flight checks, say)
    data: RunData | None = None
    label: str = ""
    index: int = 0
    run: int = 0  # the run (curves read) it belongs to: a multi-head model's heads share one
    run_label: str = ""  # that run's name, without the head

    @property
    def anchor(self) -> str:
        return f"run-{self.index}"


def collect(sources, *, dir=None, monitor: str = "val_loss") -> list[ReportRun]:
    """Read every source: one :class:`ReportRun` per run found (a file may hold several), and per head
    of a multi-head model judged head by head."""
    runs: list[ReportRun] = []
    for src in sources:
        data = _store_run(src, dir)
        for curves in read_curves(data if data is not None else src, dir=dir):
            if not len(curves):
                runs.append(ReportRun(curves, None, data))
                continue
            ds = diagnose_each(curves, monitor=monitor)  # a multi-head model: one per head
            runs += [ReportRun(curves, d, data, d.name if len(ds) > 1 else "") for d in ds]
    labels = [r.label or r.curves.name or r.curves.source or f"run {i + 1}" for i, r in enumerate(runs)]
    ids = list(dict.fromkeys(id(r.curves) for r in runs))
    names = {}  # a run's name: its first row's, the head left out
    for i, r in enumerate(runs):
        r.label = labels[i] if labels.count(labels[i]) == 1 else f"{labels[i]} ({i + 1})"
        r.index = i
        r.run = ids.index(id(r.curves))
        names.setdefault(r.run, r.curves.name or r.curves.source or r.label)
    for r in runs:
        r.run_label = names[r.run] if len([1 for q in runs if q.run == r.run]) > 1 else r.label
    return runs


def _store_run(src, dir) -> RunData | None:
    """The store's record of ``src`` when it names a run (not a file); None otherwise (``read_curves``
    then reads it, or says in one line why it cannot)."""
    if isinstance(src, RunData):
        return src
    if isinstance(src, bool) or not isinstance(src, (str, int)) or (isinstance(src, str) and os.path.exists(src)):
        return None
    from fitwatch.store import Store, StoreError

    try:
        with Store.reading(dir) as store:
            return store.load(src)
    except (StoreError, KeyError):
        return None


def best_point(r: ReportRun) -> tuple[str, int, float] | None:
    """``(curve, epoch, value)`` of the diagnosis's best epoch, on the curve it judged."""
    d = r.diagnosis
    if d is None or d.best_epoch is None:
        return None
    key = d.monitor if d.monitor in r.curves.series else "val_loss" if "val_loss" in r.curves.series else "loss"
    values = r.curves.series.get(key)
    hit = np.flatnonzero(r.curves.epochs == d.best_epoch)
    if values is None or not hit.size:
        return None
    return key, int(d.best_epoch), float(values[hit[0]])


def best_text(r: ReportRun) -> str | None:
    """The best epoch as the page says it: ``epoch 3 (val_loss 0.5)``; None without one."""
    best = best_point(r)
    return None if best is None else f"{r.curves.unit} {best[1]} ({best[0]} {fmt_number(best[2])})"


def run_status(r: ReportRun) -> str | None:
    """The store's status of the run (``running`` only while its process lives); None for a file."""
    return effective_status(r.data) if r.data is not None else None


def stop_text(r: ReportRun) -> str | None:
    """What early stopping did, in a sentence; None when it did not stop the run."""
    if r.data is not None:
        line = stop_line(r.data)
        return line.plain if line is not None else None
    stop = r.curves.stop
    return f"Stopped early at epoch {stop['stopped_epoch']}." if stop and stop.get("stopped") else None
