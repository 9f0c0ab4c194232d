"""The diagnosis engine: from training and validation curves to a verdict with evidence.

Every test is relative to a curve's own scale (its starting level, its total drop) and noise (the
robust scatter of its epoch-to-epoch changes); the thresholds live in :mod:`fitwatch.diagnosis.thresholds`.
Curves are smoothed with a short centred moving average before minima and trends are read (no false minimum).

This module prepares the curves (the monitored pair, cut at the first NaN or infinite value, on the
epochs where both have a value), runs the checks of :mod:`fitwatch.diagnosis.checks` in order and
assembles the :class:`~fitwatch.diagnosis.findings.Diagnosis`. The primary verdict is decided in this order, the
first that holds wins (after the too-few-epochs check): diverged, unstable, not_learning, not_learning again
(validation's accuracy collapsed while training's rose), overfitting, still_improving, not_learning again (validation
gained nothing while training fell), still_improving again (3-4 epochs falling at each), underfitting, good_fit.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np

from fitwatch.diagnosis import causes
from fitwatch.diagnosis.checks.context import Context, CurveStats, window
from fitwatch.diagnosis.checks.early_stop import add_early_stop, stop_record
from fitwatch.diagnosis.checks.fit import settled
from fitwatch.diagnosis.checks.heads import head_overfits
from fitwatch.diagnosis.checks.instability import (early_jump, diverged, first_nonfinite, grad_spiked, nan_detected,
                                                   unstable)
from fitwatch.diagnosis.checks.chance import at_chance, no_skill_level, ranks, skilled
from fitwatch.diagnosis.checks.collapse import val_collapsed
from fitwatch.diagnosis.checks.learning import gained_nothing, not_learning
from fitwatch.diagnosis.checks.loss_scale import loss_not_per_sample, softmax_twice
from fitwatch.diagnosis.checks.overfitting import overfitting
from fitwatch.diagnosis.checks.progress import fits_training, plateau, still_improving, while_training
from fitwatch.diagnosis.checks.short import too_few_epochs, too_short_to_settle
from fitwatch.diagnosis.checks.schedule import (held_by_schedule, lr_decayed_early, lr_raised, rate_too_small, warming_at_end,
                                               weigh_cut)
from fitwatch.diagnosis.checks.validation import val_scores, validation_signs
from fitwatch.diagnosis.curves import Curves, ordinal
from fitwatch.diagnosis.run_context import CONTEXT_KEYS, run_context
from fitwatch.diagnosis.findings import Diagnosis, Finding, in_units
from fitwatch.diagnosis.preflight_causes import with_preflight
from fitwatch.diagnosis.monitored import (higher_is_better, instead_of_loss, judged_heads, monitored, monitored_keys,
                                          real_validation, relabel, resolve_monitor, training_only_losses)
from fitwatch.diagnosis.evidence import (R2_KEY, crushing, decayed_lr, findings_evidence, logged_r2, run_evidence,
                                         train_only, unregularised)
from fitwatch.diagnosis.remedies import CATALOGUE, RULES, apply_rules, in_all_words, remedies_for
from fitwatch.diagnosis.thresholds import DEFAULT, Thresholds

_GAN = re.compile(r"^(train_)?(g|d|gen|disc|generator|discriminator|critic)_(adv_)?loss$", re.IGNORECASE)

#: the primary checks, in order: the first that answers gives the verdict (``settled`` always does)
CHECKS = (too_few_epochs, diverged, unstable, not_learning, val_collapsed, overfitting, still_improving, gained_nothing,
          too_short_to_settle, settled)


def diagnose_curves(curves: Curves, *, monitor: str = "val_loss", thresholds: Thresholds | None = None,
                    stop=None) -> Diagnosis:
    """Diagnose one run's curves. See :func:`fitwatch.diagnose` for the usual entry point."""
    if stop is not None:
        curves = dataclasses.replace(curves, stop=stop_record(stop))
    curves, monitor, _ = real_validation(curves, monitor)  # a validation loss never computed: without it
    monitor, said = instead_of_loss(curves, monitor)  # no validation loss: what its early stopping watched, a score
    if said is not None:
        curves = dataclasses.replace(curves, notes=[*curves.notes, said])
    key = resolve_monitor(curves, monitor)  # as written in the file ("Valid MSE"), or "mae" for val_mae
    if key != monitor and monitor in ("val_loss", "loss"):  # no curve is named loss: another was chosen
        unjudged = training_only_losses(curves)
        said = (f"loss-like one with a validation curve ({', '.join(unjudged)}: training only, not judged)"
                if unjudged else "loss-like one")
        curves = dataclasses.replace(curves, notes=[*curves.notes, f"no curve is named loss: judged {key}, the only "
                                                                   f"{said} (--monitor NAME judges another)"])
    monitor = key
    ctx = _prepare(curves, monitor, thresholds or DEFAULT)
    found = next(v for v in (check(ctx) for check in CHECKS) if v is not None)  # (settled always answers)
    findings = ctx.findings
    findings.insert(0, found.primary)
    findings.extend(found.extra)
    lower = _lower_key(curves, monitor)
    if found.signs:  # the finer signs, whatever the verdict
        # a model that learned nothing shows no leakage in its loss (validation below training is then the two sets'
        # own no-skill levels) nor over-confidence worth a best epoch (its accuracy: at chance); a verdict may say
        # what a sign would (Verdict.hides); a loss no mean per sample, summed over batches of other sizes, makes no gap
        scale = loss_not_per_sample(ctx, curves.context.get("classes"))
        findings.extend(f for f in validation_signs(ctx) if f.code not in found.hides
                        and not (found.code == "not_learning" and f.code in ("val_below_train", "overconfident"))
                        and not (scale and found.code != "overfitting"
                                 and f.code in ("generalization_gap", "val_below_train")))
        findings.extend(f for f in (scale, softmax_twice(ctx), head_overfits(curves, ctx, found, monitor)) if f)
        raised = lr_raised(curves, ctx.span, ctx.t.lr_raised_factor, ctx.t.end_above_start, lower)
        if raised is not None:
            findings.append(raised)
        elif found.code not in ("not_learning", "unstable", "diverged") and (jump := early_jump(ctx)) is not None:
            findings.append(jump)
        early = (lr_decayed_early(curves, ctx.span, monitor)  # (validation's: not training's noise; nor an overfit's)
                 if monitor.startswith("val_") and not higher_is_better(monitor) and found.code != "overfitting" else None)
        if early is not None:
            findings.append(early)
        p = plateau(ctx, overfit_at=found.onset) if found.code not in ("not_learning", "still_improving") else None
        if p is not None:
            if found.code != "underfitting":  # "cannot fit the training data" is underfitting's to say
                p.remedies = [r for r in p.remedies if r != CATALOGUE["larger_model"]]
            findings.append(p)
        if early is not None:
            held_by_schedule(findings)
    weigh_cut(curves, ctx.span, lower, findings, ctx.t)  # learned only once the rate was cut
    rate_too_small(curves, ctx.span, found.code, findings)  # a logged rate never above 1e-6
    grad_spiked(curves, ctx.span, findings)  # gradients that explode now and then, the loss jumping with them
    lead = []  # the probes' causes' first remedies: they lead the verdict's, whatever the rules reorder
    if curves.inside:  # Run.watch's probes: the causes, right after the verdict
        findings[:], lead = _with_causes(ctx, curves, found.code, findings)
    if curves.before:  # fitwatch.preflight's findings and lr_find's suggestion
        findings[:] = with_preflight(curves.before, found.code, findings, ctx.main.end if ctx.main else None)
    best = ctx.Ek(ctx.best) if ctx.best is not None else None
    onset = ctx.Ek(found.onset) if found.onset is not None else None
    weigh_remedies(ctx, curves, findings, last=best is not None and len(curves) and best == int(curves.epochs[-1]))
    if lead:  # (an attack: the rule of a sign's evidence had put its own remedy before the probes' cause)
        findings[0].remedies = list(dict.fromkeys([r for r in lead if r in findings[0].remedies] + findings[0].remedies))
    if onset is not None and best is not None and onset < best:  # say why the onset comes first
        first = findings[0]
        first.evidence["best_epoch"] = best
        first.message += (f" The trend turned at epoch {onset}; the lowest single epoch, {best}, came after it "
                          f"within the noise.")
    return _assemble(curves, found.code, best, onset, findings, ctx.notes, monitor)


def _with_causes(ctx: Context, curves: Curves, verdict: str, findings: list) -> tuple[list, list]:
    """The findings with the probes' causes after the primary one (the curves' learning-rate findings only when the
    probes back them), and the causes' first remedies, which lead the verdict's (less what a cause rules out)."""
    v = causes.view(curves.inside, verdict, ctx.cl.y if ctx.cl else None, ctx.cv.y if ctx.cv else None, ctx.span,
                    acc=ctx.acc, vacc=ctx.vacc)
    found = causes.find_causes(v)
    rest = causes.weigh_curve_causes(v, findings[1:], found)
    lead = [c.remedies[0] for c in found if c.remedies]
    if found:  # the verdict says where to look, and leads with what the causes call for
        findings[0].message += f" Inside the model: {', '.join(f.code for f in found)} (below)."
        # a rate too small the probes did not back is no remedy (an eighth trial: "raise the learning rate" first
        # beside vanishing gradients and unnormalised inputs, whose updates were of a healthy size)
        low = any(f.code == "lr_too_low" for f in findings[1:]) and not any(f.code == "lr_too_low" for f in rest)
        drop = causes.ruled_out(found) | (in_all_words("lr_up") if low else set())
        for f in [findings[0], *rest]:  # (a schedule too fast's plateau was told to use a schedule)
            f.remedies = [r for r in f.remedies if r not in drop]
        findings[0].remedies = list(dict.fromkeys(lead + findings[0].remedies))
    return [findings[0], *found, *rest], lead


#: a curve name that says the run classifies (accuracy, AUC, a class loss, mAP...)
_CLASSY = re.compile(r"acc|auc|f1|precision|recall|cls|class|map|iou|dice|ce_loss|cross_?entropy|nll|logloss",
                     re.IGNORECASE)


def _lower_key(curves: Curves, monitor: str) -> str:
    """The monitored training curve when lower is better and it is logged (``mae``), else ``loss``."""
    key = monitored_keys(monitor, curves)[0]
    return key if key and key in curves.series and not higher_is_better(monitor) else "loss"


def weigh_remedies(ctx: Context, curves: Curves, findings: list, *, last: bool) -> None:
    """Trim and reorder the remedies by what the run shows (the rules of
    :data:`fitwatch.diagnosis.remedies.RULES`), and note the evidence that changed them."""
    classes = curves.context.get("classes")
    chance = ctx.chance.get("loss") or ctx.chance.get("val_loss") or (math.log(classes) if classes else None)
    ev = run_evidence(curves, ctx.cl.y if ctx.cl else None, ctx.cv.y if ctx.cv else None,
                      share=ctx.t.end_above_start, chance=chance,  # not_learning fits nothing, whatever its fall
                      fits=fits_training(ctx.cl, ctx.acc) and not (findings and findings[0].code == "not_learning"))
    if last:
        ev.add("best_is_last")
    ev |= findings_evidence(findings)
    if "regularised" in ev and findings and findings[0].code == "not_learning":
        if crushing(curves):  # a decay that pins the weights, not a small rate (a sixth trial: weight_decay=50)
            findings[:] = [f for f in findings if f.code != "lr_too_low"]
        else:  # AdamW's 0.1 beside a run that did not learn says nothing of why (an attack: lr 3e-6)
            ev.discard("regularised")
    if not (findings and findings[0].code == "not_learning"):  # (a loss that moved at a tiny rate: DPO's 5e-7)
        ev.discard("lr_tiny")
    ref = ctx.cl or ctx.cv
    named = [*curves.series, curves.context.get("loss_metric") or ""]  # a booster's loss: logloss, RMSE
    if (chance is None and ctx.acc is None and ctx.vacc is None and not any(_CLASSY.search(k) for k in named)
            and (ref is None or ctx.no_skill(ref.start) is None  # a stated baseline names no class
                 or ("baseline" in curves.context and "classes" not in curves.context))):
        ev.add("no_classes")
    before = [list(f.remedies) for f in findings]
    apply_rules(findings, ev)
    if any(f.remedies != b for f, b in zip(findings, before)):
        said = [r.says.split(":")[0].split(" (")[0] for r in RULES if r.evidence in ev and r.evidence != "best_is_last"]
        if said:
            ctx.notes.append("remedies weighed with what the run shows: " + "; ".join(said))


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
    if _GAN.match(monitor) and sum(bool(_GAN.match(k)) for k in curves.series) >= 2:
        notes.append(f"{monitor} is one player of a GAN: its loss measures it against the other player, not "
                     f"the fit, and need not settle; judge the samples (FID, a look) before its verdict")
    n_all = len(curves)
    where = curves.source or curves.name or "the curves"
    if n_all == 0:
        raise ValueError(f"{where}: no epochs to judge; log at least one epoch of {monitor}")
    E = lambda i: int(epochs[min(max(i, 0), n_all - 1)])  # noqa: E731 - epoch number of an index
    span = [E(0), E(n_all - 1)]
    L, V, mL, mV = _present(curves, monitor, L, V, notes)
    if L is None and V is None:
        raise ValueError(f"{where}: no epoch holds a value of {monitor} or its training counterpart; "
                         f"pass --monitor NAME (monitor=NAME) to judge another curve")
    if V is None:
        findings.append(Finding("missing_validation", "info", span, {"curves": sorted(curves.series)},
                                "There is no validation loss: overfitting and generalisation cannot be judged; "
                                "the verdict rests on the training loss alone.", remedies_for("missing_validation")))
    other = monitor not in ("val_loss", "loss") and "loss" in curves.series  # an MLP's loss_curve_ beside its score
    if L is None:
        findings.append(Finding("missing_training", "info", span, {"curves": sorted(curves.series)},
                                f"{monitor} has no training counterpart: the verdict rests on it alone (the "
                                f"training curve, loss, measures something else and is not compared with it)."
                                if other else
                                "There is no training loss: the verdict rests on the validation loss alone.", []))
    bad = first_nonfinite((L, mL), (V, mV))
    if bad is not None:
        findings.append(nan_detected(L, V, mL, mV, bad, E, span))
    idx, Lf, Vf, l_start = _judged(L, V, mL, mV, bad if bad is not None else n_all, epochs, notes)
    if idx.size != n_all:  # the accuracies on the judged epochs too
        acc = acc[idx] if acc is not None else None
        vacc = vacc[idx] if vacc is not None else None
    Ek = lambda i: E(int(idx[min(max(i, 0), idx.size - 1)])) if idx.size else E(0)  # noqa: E731

    w = window(idx.size, t)
    stated = curves.context.get("classes") if on_loss else None  # the class count the run states, if any
    cl = CurveStats(Lf, w, start=l_start) if Lf is not None and Lf.size else None
    cv = CurveStats(Vf, w) if Vf is not None and Vf.size else None
    main = cv or cl  # the curve that decides the best epoch and "still improving"
    best = _best_index(main, w) if main is not None and main.n else None
    return Context(t=t, cl=cl, cv=cv, main=main, acc=acc, vacc=vacc, no_skill=no_skill_level(curves, on_loss, (acc, vacc)),
                   span=span, E=E, Ek=Ek, bad=bad, usable=idx.size, best=best, stop=curves.stop, classes=stated,
                   findings=findings, notes=notes, penalty=bool(curves.context.get("loss_penalty")),
                   smoothing=bool(curves.context.get("label_smoothing")), unregularised=unregularised(curves),
                   stated_floor=on_loss and ("baseline" in curves.context or "classes" in curves.context),
                   r2=logged_r2(curves, idx) if on_loss or R2_KEY.fullmatch(monitor.lower()) else None,
                   r2_judged=not on_loss and bool(R2_KEY.fullmatch(monitor.lower())), train_only=train_only(curves),
                   chance=_one_class_count(at_chance(cl and cl.y, acc, t, stated), at_chance(cv and cv.y, vacc, t, stated)),
                   ranks=ranks(curves.series, idx, t) if on_loss else None, lr_decayed=decayed_lr(curves),
                   skill=skilled(curves.series, idx) if on_loss else None,
                   pretrained=curves.context.get("framework") == "transformers", error=higher_is_better(monitor),
                   scores=val_scores(curves.series, idx) if on_loss else {}, lr_warming=warming_at_end(curves),
                   other_train=curves.series["loss"][idx] if L is None and other else None)


def _one_class_count(train: float | None, val: float | None) -> dict[str, float]:
    """``{"loss": ln k, "val_loss": ln k}`` of the splits at chance: one class count for both, the
    validation's when both have one (evaluated in eval mode, steadier: a fifth trial's collapsed
    model, its training loss 2.40-2.45 at accuracy 0.096, was said to sit at ln 11 beside a
    validation accuracy of exactly 0.100, ln 10)."""
    if train is not None and val is not None:
        train = val
    return {k: v for k, v in (("loss", train), ("val_loss", val)) if v is not None}


def _present(curves: Curves, monitor: str, L, V, notes: list):
    """The pair with their missing masks; a curve without a value at any epoch is dropped (None),
    and a sparse one noted."""
    kL, kV = monitored_keys(monitor, curves)
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
    # one value of a curve beside a whole other curve (a training loss logged once): judged on the other
    count = lambda m, c: int((~m).sum()) if m is not None else (c.size if c is not None else 0)  # noqa: E731
    nL, nV = count(mL, L), count(mV, V)
    if L is not None and V is not None and min(nL, nV) < 2 <= max(nL, nV):
        key = kL if nL < 2 else kV
        notes.append(f"{key} has one value only: judged on {kV if key == kL else kL} alone")
        if nL < 2:
            L = mL = None
        else:
            V = mV = None
    return L, V, mL, mV


def _judged(L, V, mL, mV, n: int, epochs, notes: list):
    """The epochs judged: before index ``n`` (the first non-finite value), where both curves have a
    value (validation every few epochs: those epochs, the training loss taken there); every index of
    the curves returned maps back to its epoch through the index array returned with them.

    Two sparse layouts keep what they know (issue 11's real logs). A training loss logged less often
    than validation (``logging_steps`` above ``eval_steps``), or missing at a quarter of its epochs, is
    interpolated at them (within its range), so the validation curve is judged whole. A validation
    loss logged every few epochs takes the training loss there, but the training loss's first
    value is kept as its start (returned last, else None): a model that fell from 174 to 4.5
    before the first evaluation did learn.
    """
    Lf = L[:n] if L is not None else None
    Vf = V[:n] if V is not None else None
    have = [None if a is None else (~np.isnan(a) if m is None else ~m[:n]) for a, m in ((Lf, mL), (Vf, mV))]
    at = epochs[:n][have[0]] if have[0] is not None and have[1] is not None and have[0].sum() >= 2 \
        and (have[1] & ~have[0]).any() else None  # (a validation epoch without a training value)
    step = float(np.median(np.diff(at))) if at is not None else 0.0  # within the training loss's range, by a step
    inside = None if at is None or have[1] is None else \
        have[1] & (epochs[:n] >= at[0] - step) & (epochs[:n] <= at[-1] + step)
    rare = inside is not None and have[0].sum() < 0.5 * have[1].sum()  # training logged less often than validation
    if inside is not None and (rare or (inside & ~have[0]).sum() > 0.25 * inside.sum()):
        known = Lf[have[0]]  # (validation past the training loss's range is not judged against it held flat)
        idx = np.flatnonzero(have[1] if rare else inside)
        notes.append(f"loss logged at {int(have[0].sum())} of the {idx.size} epochs with a validation value: "
                     f"interpolated between them (the nearest value beyond them)")
        return idx, np.interp(epochs[:n][idx], at, known), Vf[idx], None
    keep = np.ones(n, dtype=bool)
    for h in have:
        if h is not None:
            keep &= h
    idx = np.flatnonzero(keep)
    start = None
    if Lf is not None and have[0].any() and idx.size and np.flatnonzero(have[0])[0] < idx[0]:
        start = float(Lf[np.flatnonzero(have[0])[0]])
    if Lf is not None:
        Lf = Lf[idx]
    if Vf is not None:
        Vf = Vf[idx]
    return idx, Lf, Vf, start


def _sparse_note(key: str, miss: np.ndarray, epochs: np.ndarray) -> str:
    """``val_loss present at 10 of 30 epochs (every 3rd): judged on those``; a few values missing
    out of no such pattern (a bad cell, an evaluation that failed) are named: ``val_loss missing at
    epoch 1 (1 of 3 epochs): judged on the other 2``. A pattern ("every 2nd") needs 3 values or more
    to show: 2 values out of 3 epochs are one value missing, not a validation every 2nd epoch."""
    at, gone = epochs[~miss], epochs[miss]
    steps = np.unique(np.diff(at))
    if at.size >= 2 and steps.size == 1 and steps[0] == 1:
        pattern = f"epochs {at[0]}-{at[-1]}"
    elif at.size >= 3 and steps.size == 1:
        k = int(steps[0])
        pattern = f"every {ordinal(k)}" + (f" from epoch {at[0]}" if at[0] - epochs[0] >= k else "")
    elif gone.size <= 3:
        which = ", ".join(str(e) for e in gone)
        return (f"{key} missing at epoch{'s' if gone.size > 1 else ''} {which} ({gone.size} of {epochs.size} "
                f"epochs): judged on the other {at.size}")
    else:
        pattern = "irregularly"
    return f"{key} present at {at.size} of {epochs.size} epochs ({pattern}): judged on those"


def _best_index(c: CurveStats, w: int) -> int:
    """The epoch of the lowest value: the one `fitwatch show`, the dashboard, the report, Keras's
    and fitwatch's early stopping call the best (issue 11: one best epoch everywhere)."""
    return int(np.argmin(c.y))


def _falling_to(curves: Curves, monitor: str, best: int | None) -> float | None:
    """How far the monitored curve improved over the 3 epochs up to its best, as a share of its value
    3 epochs before, when it improved at each of them: a curve still improving fast there (a stop 1-2
    epochs after that best came at its first uptick); else None."""
    if best is None or monitor not in curves.series:
        return None
    e, v = curves.values(monitor)
    at = np.flatnonzero(e == best)
    if at.size != 1 or at[0] < 3 or not np.isfinite(v[at[0] - 3: at[0] + 1]).all():
        return None
    w = v[at[0] - 3: at[0] + 1] * (-1.0 if higher_is_better(monitor) else 1.0)
    steps = np.diff(w)
    return float((w[0] - w[-1]) / abs(w[0])) if (steps < 0).all() and w[0] != 0 else None


def _assemble(curves: Curves, verdict, best, onset, findings, notes, monitor) -> Diagnosis:
    """The Diagnosis: remedies trimmed, the monitored metric named, the early stop reported."""
    best = None if curves.lone_cut else best  # (``fitwatch runs`` and ``show`` name no best of part of an epoch)
    if best is not None and len(curves) and best == int(curves.epochs[-1]):
        # the best epoch is the last one: "stop early and keep the best epoch's weights" changes nothing
        stop = CATALOGUE["early_stopping"]
        for f in findings:
            if f.code in ("good_fit", "still_improving") and stop in f.remedies:
                f.remedies = [r for r in f.remedies if r != stop]
    if monitor not in ("val_loss", "loss"):
        relabel(findings, curves, monitor)
    rounds = curves.context.get("model") == "boosting"  # a booster's points are rounds (a ninth trial: "500 epochs")
    if curves.stop:
        add_early_stop(curves.stop, verdict, onset, findings, diagnosed=monitor, rounds=rounds,
                       falling=_falling_to(curves, monitor, best), diagnosed_best=best)
    if curves.context.get("in_progress"):
        while_training(findings)  # still improving while it trains: not told to train longer
    unit = "round" if rounds and curves.unit == "epoch" else curves.unit
    in_units(findings, unit)  # "evaluation 14", a Trainer's log evaluated in mid-epoch; "round 14", a booster's
    return Diagnosis(verdict=verdict, best_epoch=best, onset_epoch=onset, findings=findings, source=curves.source,
                     name=curves.name, epochs=len(curves), monitor=monitor, notes=notes, unit=unit, _curves=curves)


def diagnose(source, *, monitor: str = "val_loss", thresholds: Thresholds | None = None, dir=None,
             stop=None, baseline: float | None = None, context: dict | None = None) -> Diagnosis:
    """Diagnose training curves: say what is going on, since which epoch, why, and what to do.

    Args:
        source: a run name in the store, a :class:`fitwatch.Run` (its ended epochs, while it trains too), a
            Keras ``History`` or its ``.history`` dict, a pandas
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
        baseline: the loss of predicting without skill, when you know it: for MSE the validation loss of
            predicting the training targets' mean (the validation targets' variance), ln(C) for C classes. A loss that
            stays at it is ``not_learning``, never ``good_fit``. A recorded run's
            ``config={"baseline": ...}`` gives it too.
        context: what else the run is, as evidence: ``{"data": "tabular"}`` (no image
            augmentation is suggested), ``{"classes": 10}``, ``{"scheduler": "cosine"}``,
            ``{"grad_clip": 1.0}``, ``{"dropout": 0.5}``, ``{"weight_decay": 1e-4}`` (none is suggested
            again), ``{"loss_metric": "rmse"}`` (no ln k), ``{"in_progress": True}`` (not told to train
            longer): ``CONTEXT_KEYS``. A recorded run's ``config`` gives them too, its status ``in_progress``.

    Returns:
        A :class:`Diagnosis`. For a source holding several runs, the last run's diagnosis with
        all of them in ``.runs``.

    Raises:
        ValueError: a ``context`` key not in ``CONTEXT_KEYS`` (the message lists them), or a bad value.

    Example:
        >>> import fitwatch
        >>> d = fitwatch.diagnose({"loss": [2.3, 1.9, 1.6, 1.4, 1.2, 1.05, 0.9, 0.8],
        ...                        "val_loss": [2.2, 1.9, 1.65, 1.45, 1.3, 1.15, 1.0, 0.9]})
        >>> d.verdict
        'still_improving'
    """
    from fitwatch.diagnosis.readers import read_curves

    if unknown := sorted(set(context or {}) - set(CONTEXT_KEYS), key=str):  # a misspelt key: evidence lost
        raise ValueError(f"unknown context key(s) {', '.join(map(repr, unknown))}; use any of {', '.join(CONTEXT_KEYS)}")
    given = run_context({**(context or {}), **({"baseline": baseline} if baseline is not None else {})}, strict=True)
    results = []
    for c in read_curves(source, dir=dir):
        if given:
            c = dataclasses.replace(c, context={**c.context, **given})
        results += diagnose_each(c, monitor=monitor, thresholds=thresholds, stop=stop)
    return together(results)


def together(results: list[Diagnosis]) -> Diagnosis:
    """One Diagnosis for several (runs of a source, heads of a run): the one, or the last with all of
    them in ``.runs``."""
    if len(results) == 1:
        return results[0]
    last = results[-1]
    return Diagnosis(**{**last.__dict__, "runs": results})


def diagnose_each(curves: Curves, *, monitor: str = "val_loss", **kwargs) -> list[Diagnosis]:
    """One run's diagnoses: one, or one per head of a multi-head model without a total loss
    (:func:`fitwatch.diagnosis.monitored.judged_heads`: ``reg_loss`` and ``cls_loss``, YOLO's
    ``box_loss``, ``cls_loss`` and ``dfl_loss``), each named ``"run [head]"``, when ``monitor`` is the
    default. What ``fitwatch diagnose``, ``plot`` and ``report`` judge.

    Args:
        curves: the run.
        monitor: the curve to judge (a head's name picks that head alone).
        **kwargs: passed to :func:`diagnose_curves` (``thresholds``, ``stop``).

    Example:
        >>> import numpy as np
        >>> from fitwatch.diagnosis.curves import Curves
        >>> k = {"reg_loss": [2, 1.5, 1.2, 1, .9, .8], "val_reg_loss": [2, 1.6, 1.3, 1.1, 1, .95],
        ...      "cls_loss": [1, .8, .6, .5, .4, .35], "val_cls_loss": [1, .85, .7, .6, .55, .5]}
        >>> [d.name for d in diagnose_each(Curves(np.arange(6), k, name="mt"))]
        ['mt [reg_loss]', 'mt [cls_loss]']
    """
    curves, monitor, heads = real_validation(curves, monitor)  # heads: training losses whose validation never was
    heads = heads or (judged_heads(curves) if monitor in ("val_loss", "loss") else [])
    if not heads:
        return [diagnose_curves(curves, monitor=monitor, **kwargs)]
    results, unjudged = [], training_only_losses(curves)
    for head in heads:  # a multi-head model without a total loss: each head judged on its own
        d = diagnose_curves(curves, monitor=f"val_{head}" if f"val_{head}" in curves.series else head, **kwargs)
        d.name = f"{curves.name or curves.source} [{head}]"
        d.notes.append(f"no total loss: each head judged on its own ({', '.join(heads)})")
        if unjudged:
            d.notes.append(f"{', '.join(unjudged)}: training only (no validation curve), not judged")
        results.append(d)
    return results
