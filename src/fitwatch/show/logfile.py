"""``fitwatch show FILE``: a log file's curves shown as the store's runs are (:mod:`fitwatch.show.tables`).

Example:
    >>> import fitwatch
    >>> data = curves_as_run(fitwatch.Curves.from_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}))
    >>> data.status, data.epochs.tolist()
    ('log', [0, 1])
"""

from __future__ import annotations

import numpy as np
from rich.console import Console, Group
from rich.text import Text

from fitwatch.core.names import split_key
from fitwatch.show.tables import print_show
from fitwatch.store.rundata import RunData

__all__ = ["curves_as_run", "print_show_curves", "best_keys", "run_best_keys", "head_bests", "bests_of"]


def curves_as_run(curves) -> RunData:
    """A log file's curves (:class:`fitwatch.Curves`) as a run for the tables: no record, the values
    where the file has them (``fitwatch show training.log``)."""

    metrics, present = {}, {}
    for key, values in curves.series.items():
        metrics[split_key(key)] = values
        present[split_key(key)] = ~curves.missing.get(key, np.zeros(len(values), dtype=bool))
    unit = getattr(curves, "unit", "epoch") or "epoch"
    return RunData(id=0, name=curves.name or curves.source, status="log", config={},
                   info={} if unit == "epoch" else {"unit": unit}, error=None,
                   started_at=None, ended_at=None, updated_at=None, pid=None, host=None,
                   epochs=np.asarray(curves.epochs, dtype=np.int64), metrics=metrics, present=present)


def print_show_curves(curves, console: Console, last: int | None = None, show_all: bool = False,
                      monitor: str | None = None) -> None:
    """``fitwatch show FILE``: a log file's per-epoch table and best epoch (of ``monitor``, a key or a
    column as written), under what the reader noted."""
    header = [Text.assemble((curves.name or curves.source, "bold"), ("  a log file", "dim"),
                            f"   {getattr(curves, 'unit', 'epoch') or 'epoch'}s {len(curves.epochs)}")]
    header += [Text(f"note    {n}", style="dim") for n in curves.notes]
    if monitor:
        from fitwatch.diagnosis.monitored import higher_is_better, resolve_monitor  # the diagnosis' reading

        monitor = resolve_monitor(curves, monitor)
        if monitor not in curves.series:
            raise KeyError(f"{curves.source or curves.name}: no {monitor!r} curve (found: {', '.join(curves.series)}); "
                           f"pass --monitor with one of those")
        monitor = "+" + monitor if higher_is_better(monitor) else monitor
    monitor, heads = (monitor, []) if monitor else best_keys(curves)
    print_show(curves_as_run(curves), console, last=last, show_all=show_all, header=Group(*header), monitor=monitor,
               heads=heads)


def best_keys(curves) -> tuple[str | None, list[str]]:
    """What ``fitwatch show`` and ``fitwatch runs`` give the best of when no ``--monitor`` names a curve:
    ``(monitor, heads)``, the curve the diagnosis judges instead of a validation loss
    (:func:`judged_instead`), else each head's validation curve of a multi-head model without a total
    loss (:func:`fitwatch.diagnosis.monitored.judged_heads`), else ``(None, [])``: ``val_loss``."""
    from fitwatch.diagnosis.monitored import judged_heads

    monitor = judged_instead(curves)
    return monitor, [] if monitor else [f"val_{h}" for h in judged_heads(curves)]


def judged_instead(curves) -> str | None:
    """The curve the diagnosis judges when the file has no validation loss it can use, as ``show``'s
    monitor (``+`` in front when higher is better), so that both name one best epoch: the validation
    metric of a run whose validation losses were never computed (YOLO's mAP), the one the run's own
    early stopping watched (a scikit-learn MLP's validation score), the validation score of a run
    that logs no validation loss (:func:`fitwatch.diagnosis.monitored.instead_of_loss`), or a loss by
    another name (``Valid MSE``, ``mean_loss``: :func:`fitwatch.diagnosis.monitored.resolve_monitor`);
    None otherwise."""
    from fitwatch.diagnosis.monitored import higher_is_better, instead_of_loss, real_validation, resolve_monitor

    if "val_loss" in curves.series:
        return None
    if "loss" not in curves.series:  # a loss by another name (Valid MSE, mean_loss), as the diagnosis picks it
        try:
            m = resolve_monitor(curves, "val_loss")
        except KeyError:  # several candidates (G_loss, D_loss) or heads: show's own choice stands
            m = None
        if m and m != "val_loss" and m in curves.series:
            return ("+" if higher_is_better(m) else "") + m
    c, m, _ = real_validation(curves, "val_loss")
    m = instead_of_loss(c, m)[0]
    if m == "val_loss" or m not in curves.series:
        return None
    return ("+" if higher_is_better(m) else "") + m


def run_best_keys(data) -> tuple[str | None, list[str]]:
    """What ``fitwatch show`` and ``fitwatch runs`` give the best of for a stored run when no
    ``--monitor`` names a curve (:func:`fitwatch.show.logfile.best_keys` of its curves): the score the
    diagnosis judges instead of a validation loss, or each head's validation curve (``val_reg_loss``...);
    ``(None, [])`` for a run without an epoch or with a validation loss."""
    if not len(data.epochs):
        return None, []
    from fitwatch.diagnosis.curves import Curves

    return best_keys(Curves.from_run(data))


def head_bests(store, r: dict) -> list[dict]:
    """A multi-head model's best of each head (``tables.head_best``, as ``fitwatch show`` says it; ``fitwatch runs`` and the dashboard give them), for a
    run without a best val_loss that may have heads: one whose stored diagnosis has several verdicts,
    or that has none stored (still running, killed); without heads, the best of the curve the diagnosis
    judges instead of a validation loss (a validation accuracy: ``run_best_keys``); empty for any other."""
    best, stored = r.get("best_val_loss"), (r.get("info") or {}).get("diagnosis")
    if best is not None and best == best or not r.get("epochs") \
            or isinstance(stored, dict) and stored.get("verdict") and not stored.get("verdicts") \
            and stored.get("monitor") in (None, "val_loss", "loss"):
        return []
    return bests_of(store.load(r["id"]))


def bests_of(data) -> list[dict]:
    """The best of each curve :func:`run_best_keys` names for a stored run (``tables.head_best`` of each):
    the judged score's, or each head's; empty when it names none."""
    from fitwatch.show.tables import head_best

    judged, heads = run_best_keys(data)
    return [b for b in (head_best(data, k) for k in ([judged] if judged else heads)) if b is not None]
