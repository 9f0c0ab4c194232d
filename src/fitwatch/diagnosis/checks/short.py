"""Too few epochs (fewer usable epochs than ``Thresholds.min_epochs``, in
:mod:`fitwatch.diagnosis.thresholds`): the ``too_few_epochs`` warning, and a verdict that says no
more than the curve can: diverged (a NaN or infinite value), not_learning (the loss did not fall) or
still_improving. Checked first; no finer signs are read after it.

A run of ``min_epochs`` to ``settle_epochs`` epochs whose training loss fell at each of them has not
shown whether it settles (:func:`too_short_to_settle`, read just before the settled verdicts, and
:func:`short_warning`, said beside a still_improving verdict).
"""

from __future__ import annotations

import numpy as np

from fitwatch.diagnosis.checks.context import Context, Verdict, primary
from fitwatch.diagnosis.findings import Finding
from fitwatch.diagnosis.remedies import remedies_for


def too_few_epochs(ctx: Context) -> Verdict | None:
    """Fewer usable epochs than ``min_epochs``: what little can be said."""
    usable, span, main = ctx.usable, ctx.span, ctx.main
    if usable >= ctx.t.min_epochs:
        return None
    warning = Finding("too_few_epochs", "warning", span, {"epochs": int(usable)},
                      f"Only {usable} usable epoch{'s' if usable != 1 else ''}: too little is "
                      f"known to judge the fit.", remedies_for("too_few_epochs"))
    if ctx.bad is not None:  # more epochs of a run that went NaN would not help (a fourth trial: NaN at epoch 1)
        warning.message = (f"Only {usable} usable epoch{'s' if usable != 1 else ''} before the loss became NaN or "
                           f"infinite: too little is known to judge the fit.")
        warning.remedies = []
        finding = primary("diverged", span, {"first_nonfinite_epoch": ctx.E(ctx.bad)},
                          "The loss became NaN or infinite.", remedies_for("diverged"))
        # none at all: the verdict says it all (a ninth trial's run NaN from its first epoch listed "only 0 usable
        # epochs" among its causes)
        return Verdict("diverged", finding, [warning] if usable else [], signs=False)
    fell = main is not None and main.n >= 2 and main.y[-1] < main.y[0]
    verdict = "still_improving" if fell or main is None or main.n < 2 else "not_learning"
    finding = primary(verdict, span, {"epochs": int(usable)},
                      "Too few epochs to say more than that training should go on."
                      if verdict == "still_improving" else
                      "The loss did not fall in the few epochs there are.",
                      remedies_for(verdict))
    return Verdict(verdict, finding, [warning], signs=False)


def short_warning(ctx: Context) -> Finding | None:
    """The ``too_few_epochs`` warning of a run shorter than ``settle_epochs`` whose training loss (the
    validation loss without one) fell at each of its epochs, by 1% of its level or more: too short to
    tell whether it settles (a new user's 4-epoch run, validation accuracy 0.32 -> 0.78, was
    "underfitting: settled"); else None."""
    c = ctx.cl or ctx.cv
    if c is None or not ctx.t.min_epochs <= c.n < ctx.t.settle_epochs:
        return None
    if not (np.all(np.diff(c.y) < 0) and c.y[0] - c.y[-1] >= 0.01 * abs(c.y[-1])):
        return None
    which = "training" if c is ctx.cl else "validation"
    return Finding("too_few_epochs", "warning", ctx.span, {"epochs": int(c.n), "curve": which},
                   f"Only {c.n} epochs, and the {which} loss fell at each of them ({c.y[0]:.4g} -> {c.y[-1]:.4g}): "
                   f"too few to tell whether it settles.", remedies_for("too_few_epochs"))


def too_short_to_settle(ctx: Context) -> Verdict | None:
    """Read just before the settled verdicts (``underfitting``, ``good_fit``): a run that
    :func:`short_warning` finds too short is ``still_improving``, never "settled" while every epoch fell."""
    warning = short_warning(ctx)
    if warning is None:
        return None
    finding = primary("still_improving", ctx.span, dict(warning.evidence),
                      f"The {warning.evidence['curve']} loss fell at each of the {warning.evidence['epochs']} epochs "
                      f"there are: the run stopped while it was still learning. Train longer.",
                      remedies_for("still_improving"))
    return Verdict("still_improving", finding, [warning])
