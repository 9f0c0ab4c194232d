"""The diagnosis engine: from training and validation curves to a verdict with evidence.

Every test is relative to a curve's own scale (its starting level, its total drop) and noise (the
robust scatter of its epoch-to-epoch changes); the thresholds live in :mod:`fitwatch.diagnosis.thresholds`.
Curves are smoothed with a short centred moving average before minima and trends are read, so a
noisy validation curve does not make a false minimum.

This module prepares the curves (the monitored pair, cut at the first NaN or infinite value, on the
epochs where both have a value), runs the checks of :mod:`fitwatch.diagnosis.checks` in order and
assembles the :class:`~fitwatch.diagnosis.findings.Diagnosis`. The primary verdict is decided in
this order, the first that holds wins (after the too-few-epochs check): diverged, unstable,
not_learning, overfitting, still_improving, underfitting, good_fit.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from fitwatch.diagnosis.checks.context import Context, CurveStats, window
from fitwatch.diagnosis.checks.early_stop import add_early_stop, stop_record
from fitwatch.diagnosis.checks.fit import settled
from fitwatch.diagnosis.checks.instability import diverged, first_nonfinite, nan_detected, unstable
from fitwatch.diagnosis.checks.learning import no_floor, no_skill, not_learning
from fitwatch.diagnosis.checks.overfitting import overfitting
from fitwatch.diagnosis.checks.progress import plateau, still_improving
from fitwatch.diagnosis.checks.short import too_few_epochs
from fitwatch.diagnosis.checks.validation import validation_signs
from fitwatch.diagnosis.curves import Curves, ordinal
from fitwatch.diagnosis.findings import Diagnosis, Finding
from fitwatch.diagnosis.monitored import judged_heads, monitored, monitored_keys, relabel, resolve_monitor
from fitwatch.diagnosis.remedies import CATALOGUE
from fitwatch.diagnosis.thresholds import DEFAULT, Thresholds

#: the primary checks, in order: the first that answers gives the verdict (``settled`` always does)
CHECKS = (too_few_epochs, diverged, unstable, not_learning, overfitting, still_improving, settled)


def diagnose_curves(curves: Curves, *, monitor: str = "val_loss", thresholds: Thresholds | None = None,
                    stop=None) -> Diagnosis:
    """Diagnose one run's curves. See :func:`fitwatch.diagnose` for the usual entry point."""
    if stop is not None:
        curves = dataclasses.replace(curves, stop=stop_record(stop))
    key = resolve_monitor(curves, monitor)  # as written in the file ("Valid MSE"), or "mae" for val_mae
    if key != monitor and monitor in ("val_loss", "loss"):  # no curve is named loss: another was chosen
        curves = dataclasses.replace(curves, notes=[*curves.notes, f"no curve is named loss: judged {key}, the only "
                                                                   f"loss-like one (--monitor NAME judges another)"])
    monitor = key
    ctx = _prepare(curves, monitor, thresholds or DEFAULT)
    for check in CHECKS:
        found = check(ctx)
        if found is not None:
            break
    findings = ctx.findings
    findings.insert(0, found.primary)
    findings.extend(found.extra)
    if found.signs:  # the finer signs, whatever the verdict
        findings.extend(validation_signs(ctx))
        p = plateau(ctx, overfit_at=found.onset)
        if p is not None:
            findings.append(p)
    best = ctx.Ek(ctx.best) if ctx.best is not None else None
    onset = ctx.Ek(found.onset) if found.onset is not None else None
    if onset is not None and best is not None and onset < best:  # say why the onset comes first
        first = findings[0]
        first.evidence["best_epoch"] = best
        first.message += (f" The trend turned at epoch {onset}; the lowest single epoch, {best}, came after it "
                          f"within the noise.")
    return _assemble(curves, found.code, best, onset, findings, ctx.notes, monitor)


def _prepare(curves: Curves, monitor: str, t: Thresholds) -> Context:
    """The monitored pair of curves, cut at the first NaN or infinite value and kept to the epochs
    where both have a value, with their statistics; the notes and ``missing_*`` / ``nan_detected``
    findings this takes."""
    epochs = curves.epochs
    L, V = monitored(curves, monitor)
    on_loss = monitor in ("val_loss", "loss")
    # the cross-entropy heuristics (no-skill level ln k, a classifier's ln 2, over-confidence) hold
    # for a loss only; another monitored metric is judged on its own curves
    acc = curves.get("accuracy") if on_loss else None
    vacc = curves.get("val_accuracy") if on_loss else None
    # a curve that is NaN from its first epoch is data (diverged at once), not a missing curve; an
    # epoch where the source has no value (Curves.missing: validation every few epochs) is left out
    findings: list[Finding] = []
    notes = list(curves.notes)
    n_all = len(curves)
    E = lambda i: int(epochs[min(max(i, 0), n_all - 1)])  # noqa: E731 - epoch number of an index
    span = [E(0), E(n_all - 1)]
    L, V, mL, mV = _present(curves, monitor, L, V, notes)
    if V is None:
        findings.append(Finding("missing_validation", "info", span, {"curves": sorted(curves.series)},
                                "There is no validation loss: overfitting and generalisation cannot be judged; "
                                "the verdict rests on the training loss alone.", []))
    if L is None:
        findings.append(Finding("missing_training", "info", span, {"curves": sorted(curves.series)},
                                "There is no training loss: the verdict rests on the validation loss alone.", []))
    bad = first_nonfinite((L, mL), (V, mV))
    if bad is not None:
        findings.append(nan_detected(L, V, mL, mV, bad, E, span))
    idx, Lf, Vf = _judged(L, V, mL, mV, bad if bad is not None else n_all)
    if idx.size != n_all:  # the accuracies on the judged epochs too
        acc = acc[idx] if acc is not None else None
        vacc = vacc[idx] if vacc is not None else None
    Ek = lambda i: E(int(idx[min(max(i, 0), idx.size - 1)])) if idx.size else E(0)  # noqa: E731

    w = window(idx.size, t)
    cl = CurveStats(Lf, w) if Lf is not None and Lf.size else None
    cv = CurveStats(Vf, w) if Vf is not None and Vf.size else None
    main = cv or cl  # the curve that decides the best epoch and "still improving"
    best = _best_index(main, w) if main is not None and main.n else None
    return Context(t=t, cl=cl, cv=cv, main=main, acc=acc, vacc=vacc, no_skill=no_skill if on_loss else no_floor,
                   span=span, E=E, Ek=Ek, bad=bad, usable=idx.size, best=best, stop=curves.stop,
                   findings=findings, notes=notes)


def _present(curves: Curves, monitor: str, L, V, notes: list):
    """The pair with their missing masks; a curve without a value at any epoch is dropped (None),
    and a sparse one noted."""
    kL, kV = monitored_keys(monitor)
    mL = curves.missing.get(kL) if L is not None else None
    mV = curves.missing.get(kV) if V is not None else None
    for key, m in ((kV, mV), (kL, mL)):
        if m is not None and m.all():
            notes.append(f"{key} has no value at any epoch: judged without it")
        elif m is not None and m.any():
            notes.append(_sparse_note(key, m, curves.epochs))
    if mV is not None and mV.all():
        V = mV = None
    if mL is not None and mL.all():
        L = mL = None
    return L, V, mL, mV


def _judged(L, V, mL, mV, n: int):
    """The epochs judged: before index ``n`` (the first non-finite value), where both curves have a
    value (validation every few epochs: those epochs, the training loss taken there); every index of
    the curves returned maps back to its epoch through the index array returned with them."""
    Lf = L[:n] if L is not None else None
    Vf = V[:n] if V is not None else None
    keep = np.ones(n, dtype=bool)
    for a, m in ((Lf, mL), (Vf, mV)):
        if a is not None:
            keep &= ~np.isnan(a) if m is None else ~m[:n]
    idx = np.flatnonzero(keep)
    if Lf is not None:
        Lf = Lf[idx]
    if Vf is not None:
        Vf = Vf[idx]
    return idx, Lf, Vf


def _sparse_note(key: str, miss: np.ndarray, epochs: np.ndarray) -> str:
    """``val_loss present at 10 of 30 epochs (every 3rd): judged on those``."""
    at = epochs[~miss]
    steps = np.unique(np.diff(at))
    if at.size >= 2 and steps.size == 1 and steps[0] == 1:
        pattern = f"epochs {at[0]}-{at[-1]}"
    elif at.size >= 2 and steps.size == 1:
        k = int(steps[0])
        pattern = f"every {ordinal(k)}" + (f" from epoch {at[0]}" if at[0] - epochs[0] >= k else "")
    else:
        pattern = "irregularly"
    return f"{key} present at {at.size} of {epochs.size} epochs ({pattern}): judged on those"


def _best_index(c: CurveStats, w: int) -> int:
    """The epoch of the lowest value: the one `fitwatch show`, the dashboard, the report, Keras's
    and fitwatch's early stopping call the best (issue 11: one best epoch everywhere)."""
    return int(np.argmin(c.y))


def _assemble(curves: Curves, verdict, best, onset, findings, notes, monitor) -> Diagnosis:
    """The Diagnosis: remedies trimmed, the monitored metric named, the early stop reported."""
    if best is not None and len(curves) and best == int(curves.epochs[-1]):
        # the best epoch is the last one: "stop early and keep the best epoch's weights" changes nothing
        stop = CATALOGUE["early_stopping"]
        for f in findings:
            if f.code in ("good_fit", "still_improving") and stop in f.remedies:
                f.remedies = [r for r in f.remedies if r != stop]
    if monitor not in ("val_loss", "loss"):
        relabel(findings, curves, monitor)
    if curves.stop:
        add_early_stop(curves.stop, verdict, onset, findings)
    return Diagnosis(verdict=verdict, best_epoch=best, onset_epoch=onset, findings=findings,
                     source=curves.source, name=curves.name, epochs=len(curves), monitor=monitor, notes=notes,
                     _curves=curves)


def diagnose(source, *, monitor: str = "val_loss", thresholds: Thresholds | None = None, dir=None,
             stop=None) -> Diagnosis:
    """Diagnose training curves: say what is going on, since which epoch, why, and what to do.

    Args:
        source: a run name in the store, a Keras ``History`` or its ``.history`` dict, a pandas
            DataFrame, lists (``[train]``, ``(train, val)``), :class:`Curves`, or the path of a
            log file or folder (Keras CSVLogger CSV and its variants, PyTorch Lightning
            ``metrics.csv``, JSON lines, TensorBoard event files).
        monitor: the validation curve to judge (default ``val_loss``).
        thresholds: :class:`fitwatch.thresholds.Thresholds` to override the defaults.
        dir: the store's folder, for a run name.
        stop: the early stopping that ended the run (a :class:`fitwatch.EarlyStopping`, a
            ``fitwatch.keras.EarlyStopping`` callback, or its ``to_dict()``); a run in the store
            brings its own. The diagnosis then says where it stopped and whether the best weights
            were restored (finding ``stopped_early``).

    Returns:
        A :class:`Diagnosis`. For a source holding several runs, the last run's diagnosis with
        all of them in ``.runs``.

    Example:
        >>> import fitwatch
        >>> d = fitwatch.diagnose({"loss": [2.3, 1.9, 1.6, 1.4, 1.2, 1.05, 0.9, 0.8],
        ...                        "val_loss": [2.2, 1.9, 1.65, 1.45, 1.3, 1.15, 1.0, 0.9]})
        >>> d.verdict
        'still_improving'
    """
    from fitwatch.diagnosis.readers import read_curves

    results = []
    for c in read_curves(source, dir=dir):
        heads = judged_heads(c) if monitor in ("val_loss", "loss") else []
        for head in heads:  # a multi-head model without a total loss: each head judged on its own
            d = diagnose_curves(c, monitor=f"val_{head}", thresholds=thresholds, stop=stop)
            d.name = f"{c.name or c.source} [{head}]"
            d.notes.append(f"no total loss: each head judged on its own ({', '.join(heads)})")
            results.append(d)
        if not heads:
            results.append(diagnose_curves(c, monitor=monitor, thresholds=thresholds, stop=stop))
    if len(results) == 1:
        return results[0]
    last = results[-1]
    return Diagnosis(**{**last.__dict__, "runs": results})
