"""Too few epochs (fewer usable epochs than ``Thresholds.min_epochs``, in
:mod:`fitwatch.diagnosis.thresholds`): the ``too_few_epochs`` warning, and a verdict that says no
more than the curve can: diverged (a NaN or infinite value), not_learning (the loss did not fall) or
still_improving. Checked first; no finer signs are read after it.
"""

from __future__ import annotations

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
    if ctx.bad is not None:
        finding = primary("diverged", span, {"first_nonfinite_epoch": ctx.E(ctx.bad)},
                          "The loss became NaN or infinite.", remedies_for("diverged"))
        return Verdict("diverged", finding, [warning], signs=False)
    fell = main is not None and main.n >= 2 and main.y[-1] < main.y[0]
    verdict = "still_improving" if fell or main is None or main.n < 2 else "not_learning"
    finding = primary(verdict, span, {"epochs": int(usable)},
                      "Too few epochs to say more than that training should go on."
                      if verdict == "still_improving" else
                      "The loss did not fall in the few epochs there are.",
                      remedies_for(verdict))
    return Verdict(verdict, finding, [warning], signs=False)
