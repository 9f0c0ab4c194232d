"""Early stopping: the ``stopped_early`` finding (or ``best_restored``, for a run that ran to its
end and had its best weights restored), placed right after the primary one; where early stopping
was in place the remedy "stop early" is dropped from every finding. No thresholds: it reports the
run's stop record (``Curves.stop``: ``EarlyStopping.to_dict()``).

Example:
    >>> stopped({"stopped": False, "stopped_epoch": None}), stopped({"stopped_epoch": 12})
    (False, True)
"""

from __future__ import annotations

from fitwatch.diagnosis.findings import Finding
from fitwatch.diagnosis.remedies import CATALOGUE, VARIANTS, in_all_words
from fitwatch.core.stop_record import as_stopped


#: a rule in place that let the run go on this many epochs past its best is told to lower its patience
LATE_EPOCHS = 5


def stop_record(stop) -> dict:
    """An early stop as the dict the diagnosis reads: a run's ``info["early_stopping"]`` as it is;
    a :class:`fitwatch.EarlyStopping` (or Keras callback) by its ``to_dict()``."""
    if isinstance(stop, dict):
        return stop
    if callable(getattr(stop, "to_dict", None)):
        return stop.to_dict()
    raise TypeError(f"fitwatch: stop= takes a fitwatch.EarlyStopping or its to_dict(), got {type(stop).__name__}")


def stopped(stop: dict) -> bool:
    """The stop record says early stopping ended the run."""
    return bool(stop.get("stopped", stop.get("stopped_epoch") is not None))


#: a stop this few epochs after a best the curve reached improving by ``TOO_SOON_GAIN`` (of its value 3
#: epochs before) at each of those 3 epochs stopped at the first uptick of a curve still improving
TOO_SOON_EPOCHS, TOO_SOON_GAIN = 2, 0.05


def add_early_stop(stop: dict, verdict, onset, findings, diagnosed: str = "val_loss", rounds: bool = False,
                   falling: float | None = None, diagnosed_best: int | None = None) -> None:
    """Insert the ``stopped_early`` (or ``best_restored``) finding after the primary one; drop the
    remedy "stop early" where early stopping was in place. ``diagnosed``: the curve the diagnosis
    judged and ``diagnosed_best`` its best epoch (a stop that watched another curve, or only from its
    ``start_from_epoch``, may have restored an epoch past the overfitting onset);
    ``rounds``: a booster's, whose best round, not weights, is kept; ``falling``: what the curve
    gained over the 3 epochs up to its best, as a share of it (see :data:`TOO_SOON_GAIN`)."""
    if stop.get("converged") is not None:  # a convergence test (scikit-learn's tol), not an early stop
        _add_convergence(stop, findings)
        return
    stop = as_stopped(stop)  # fitwatch's rule that had not fired when a framework's own stop ended the run
    is_stopped = stopped(stop)
    restored = stop.get("restored")  # None: not known (a stopper passed in by the user)
    if not is_stopped and not restored:  # a rule in place that neither stopped nor restored
        _in_place(stop, findings, stop.get("last_epoch"), stop.get("best_epoch"))
        return
    best = stop.get("restored_epoch") if restored else stop.get("best_epoch")
    last = stop.get("stopped_epoch") if is_stopped else stop.get("last_epoch")
    ev = {"stopped_epoch": stop.get("stopped_epoch") if is_stopped else None, "best_epoch": best,
          "best_value": stop.get("best_value"), "monitor": stop.get("monitor"), "criterion": stop.get("criterion"),
          "restored": restored}
    after = ""
    if onset is not None and last is not None:
        ev.update(onset_epoch=onset, epochs_after_onset=last - onset)
        after = f"{last - onset} epoch{'s' if last - onset != 1 else ''} after the overfitting onset at {onset}"
    kept = _kept(stop, best, restored, rounds)
    if restored and stop.get("restored_best_of") == "session":  # resumed: the best epoch's weights were gone
        best = stop.get("best_epoch")
        ev.update(best_epoch=best, restored_epoch=stop.get("restored_epoch"), restored_best_of="session")
        kept = (f"the weights of epoch {stop.get('restored_epoch')}, the best since the run was resumed, were "
                f"restored (the best epoch, {best}, was trained before the resume and its weights were not kept)")
    reason = (stop.get("reason") or "").split("; best ")[0]  # the best epoch is said next
    if is_stopped:
        code, remedies = "stopped_early", []
        msg = f"Early stopping ended training at epoch {last}" + (f", {after}" if after else
                                                                  f": {reason}" if reason else "")
        if restored and onset is not None and best is not None and best > onset and best != diagnosed_best:
            msg += f"; {kept}, but " + _past_onset(stop, best, onset, diagnosed)
        elif restored:
            msg += f"; {kept}" + (": the overfitting was caught." if onset is not None else ".")
        elif stop.get("restore_hint"):  # a library's own stop that kept every round (XGBoost's Booster)
            msg += f"; the best round is {best}, but {stop['restore_hint']}."
        elif best is None and stop.get("unrecorded"):  # Lightning's stop on a metric logged with logger=False
            msg += (f"; it watched {stop.get('monitor')}, which the run did not record (logged with logger=False?), "
                    f"so its best epoch is not known here.")
        elif best is None:  # NaN from the first epoch: no epoch to restore (a trial was told to restore "(None)")
            msg += "; no epoch had a finite value, so there was no best epoch to restore."
        elif restored is False and best == last and stop.get("best_step") is None:  # (not a mid-epoch best)
            msg += f"; the model keeps the last epoch's weights, which are the best epoch's ({best})."
        elif restored is False and stop.get("checkpoint") and stop.get("checkpoint_epoch") == best:  # Lightning's
            msg += f"; the model keeps the last epoch's weights; the best epoch's ({best}) are in {stop['checkpoint']}."
        elif restored is False:
            step = f", step {stop['best_step']}" if stop.get("best_step") is not None else ""
            msg += f"; the model keeps the last epoch's weights, not the best epoch's ({best}{step})."
            remedies = [_say("restore_best", stop)]
        else:
            msg += "."
        if verdict == "still_improving":
            msg += " The curve was still improving: the rule may have stopped too soon (more patience, or a smaller min_delta)."
        elif verdict in ("good_fit", "underfitting") and (soon := _too_soon(falling, last, best)):
            ev["gain_before_best"] = falling  # a fifth trial: patience=1, at the first uptick after 0.30 -> 0.21
            msg += soon
            remedies = [_say("more_patience", stop)] + remedies
    else:
        code, remedies = "best_restored", []
        rule = stop.get("criterion")
        msg = f"Training ran to its last epoch ({last}) without an early stop" + (f", {after}" if after else "") \
              + (f" (the rule in place, {rule}, never fired)" if rule else "") \
              + f"; {kept}" + (": the model is the best one, but stopping early would have saved the epochs after it."
                               if onset is not None else ".")
    if not is_stopped:
        _in_place(stop, findings, last, best)
    else:
        _done(stop, findings, verdict)
    span = [best if best is not None else (last or 0), last if last is not None else (best or 0)]
    findings.insert(1 if findings else 0, Finding(code, "info", span, ev, msg, remedies))


def _kept(stop: dict, best, restored, rounds: bool) -> str:
    """What the model was left with: its best round (a booster), the weights another stop restored, or
    the best epoch's (at a Trainer's mid-epoch evaluation's step)."""
    if stop.get("by") or rounds:
        return f"the model predicts with its best round ({best})"
    if restored and stop.get("restored_by"):
        at = f" (step {stop['restored_step']})" if stop.get("restored_step") is not None else ""
        return f"the weights of epoch {best}{at} were restored by {stop['restored_by']}"
    step = f", step {stop['best_step']}" if stop.get("best_step") is not None else ""
    return f"the best weights (epoch {best}{step}) were restored"


def _done(stop: dict, findings, verdict) -> None:
    """A stop that fired: "stop early and keep the best weights" is done (or half done: restoring), and
    a stop before the planned epochs that ended a curve still improving wants more patience, not more
    epochs."""
    done = in_all_words("early_stopping")
    planned, last = stop.get("epochs_planned"), stop.get("last_epoch")
    cut = verdict == "still_improving" and not (isinstance(planned, int) and isinstance(last, int) and last + 1 >= planned)
    more = in_all_words("more_epochs")
    for f in findings:
        f.remedies = [r for r in f.remedies if r not in done]
        if cut and any(r in more for r in f.remedies):
            f.remedies = [_say("more_patience", stop)] + [r for r in f.remedies if r not in more]
            f.message = f.message.replace(" Train longer.", " Early stopping ended it first.")


def _past_onset(stop: dict, restored: int, onset: int, diagnosed: str) -> str:
    """Why the epoch ``restored`` that a stop set back is past the overfitting ``onset`` of the curve
    ``diagnosed``: it watched another curve, or began counting after the onset (Keras's
    ``start_from_epoch``)."""
    n = restored - onset
    said = f"that epoch is {n} epoch{'s' if n != 1 else ''} after the overfitting onset on the curve diagnosed"
    watched = stop.get("restored_monitor") or stop.get("monitor")  # the restore's own, when another stop's
    if watched not in (None, diagnosed):
        whose = "the stop that restored it" if stop.get("restored_monitor") else "the stop"
        return f"{said}: {whose} watched {watched}, which went on improving."
    start = stop.get("start_from_epoch")
    if isinstance(start, int) and start > onset:
        return f"{said}: the stop counted only from epoch {start} (start_from_epoch={start}), after the onset."
    return f"{said}."


def _say(key: str, stop: dict) -> str:
    """Remedy ``key`` in the words of the framework whose stop it is (``stop["source"]``: Lightning's
    ``restore_best`` names its ModelCheckpoint), else the catalogue's."""
    return VARIANTS.get(stop.get("source") or "", {}).get(key) or CATALOGUE[key]


def _in_place(stop: dict, findings, last, best) -> None:
    """A rule in place that never fired: "stop early" is done; with many epochs after the best
    (:data:`LATE_EPOCHS`), its patience is what to change (``n_iter_no_change=100``)."""
    if stop.get("criterion") is None:
        return
    done = in_all_words("early_stopping")
    late = isinstance(last, int) and isinstance(best, int) and last - best >= LATE_EPOCHS
    for f in findings:
        if any(r in done for r in f.remedies):
            f.remedies = [_say("less_patience", stop) if r in done else r for r in f.remedies] if late else \
                [r for r in f.remedies if r not in done]


def _too_soon(falling: float | None, last, best) -> str:
    """What to say of a stop ``last - best`` epochs after a best the curve reached ``falling`` better
    than 3 epochs before (see :data:`TOO_SOON_GAIN`): a sentence when it came too soon, else ``""``."""
    if falling is None or falling < TOO_SOON_GAIN or not isinstance(last, int) or not isinstance(best, int) \
            or not 0 < last - best <= TOO_SOON_EPOCHS:
        return ""
    return (f" It stopped {last - best} epoch{'s' if last - best > 1 else ''} after its best, the curve {100 * falling:.0f}% "
            f"better there than 3 epochs before: a patience that short stops at the first uptick of a curve still "
            f"improving, and the run may have had more to give.")


def _add_convergence(stop: dict, findings) -> None:
    """The ``converged`` finding (the training's own convergence test ended it before its iteration
    limit) or ``iteration_limit`` (the limit cut it short), after the primary one."""
    last, planned = stop.get("last_epoch"), stop.get("epochs_planned")
    ev = {"iterations": None if last is None else last + 1, "max_iter": planned, "criterion": stop.get("criterion"),
          "monitor": stop.get("monitor"), "best_epoch": stop.get("best_epoch"), "best_value": stop.get("best_value")}
    if stop["converged"]:
        code, remedies = "converged", []
        msg = (f"Training converged at iteration {ev['iterations']} of max_iter={planned} by "
               f"{stop.get('criterion')}: {stop.get('reason')}.")
    else:
        code, remedies = "iteration_limit", []
        msg = f"Training stopped at its iteration limit: {stop.get('reason')}."
        if findings and findings[0].code in ("good_fit", "underfitting"):  # its tol is finer than a gain that counts
            msg += " Its last epochs gained little against its whole drop: a higher max_iter would add little."
    span = [last or 0, last or 0]
    findings.insert(1 if findings else 0, Finding(code, "info", span, ev, msg, remedies))
