"""Not learning: the loss hardly fell, or fell no lower than a classifier's no-skill level
(``ln k`` for ``k`` classes); with ``lr_too_low`` when the curve is smooth but flat.

Thresholds (:mod:`fitwatch.diagnosis.thresholds`): ``learn_drop`` (the relative drop that counts as
learning), ``noise_k`` (a drop must beat the curve's own noise), ``no_skill_margin`` (how far below
``ln k`` a cross-entropy must get).
"""

from __future__ import annotations

import math

from fitwatch.diagnosis.checks.context import Context, Verdict, primary
from fitwatch.diagnosis.findings import Finding
from fitwatch.diagnosis.remedies import remedies_for


def no_skill(start: float) -> float | None:
    """ln(k) when a cross-entropy starts within 3% of ln(k) for some class count k, else None.

    Example:
        >>> round(no_skill(2.31), 4)    # ten classes: ln 10 = 2.3026
        2.3026
        >>> no_skill(0.2) is None
        True
    """
    if not (0.5 < start < 7.5):
        return None
    k = round(math.exp(start))
    if k >= 2 and abs(start - math.log(k)) < 0.03 * math.log(k):
        return math.log(k)
    return None


def no_floor(start: float) -> None:
    """The no-skill level of a monitored metric that is not a loss: none known."""
    return None


def not_learning(ctx: Context) -> Verdict | None:
    """Neither curve fell by ``learn_drop`` of its start and beyond its noise (or it stayed at the
    no-skill level)."""
    t, span, no_skill_level = ctx.t, ctx.span, ctx.no_skill
    learned = False
    drops = {}
    for name, c in (("loss", ctx.cl), ("val_loss", ctx.cv)):
        if c is None:
            continue
        rel = c.drop / abs(c.start) if c.start else 0.0
        drops[name] = rel
        floor = no_skill_level(c.start)
        stuck_at_chance = floor is not None and c.min > floor * (1 - t.no_skill_margin)
        if rel >= t.learn_drop and c.drop > t.noise_k * c.sigma and not stuck_at_chance:
            learned = True
    if learned:
        return None
    c = ctx.cl or ctx.cv
    ev = {"relative_drop": {k: round(v, 5) for k, v in drops.items()}, "start": c.start, "lowest": c.min,
          "noise": c.sigma}
    floor = no_skill_level(c.start)
    if floor is not None:
        ev["no_skill_level"] = floor
        ev["classes_guess"] = int(round(math.exp(floor)))
    smooth = c.sigma < 0.01 * abs(c.start) if c.start else True
    first = ["lr_up"] if smooth else ["check_data"]
    finding = primary(
        "not_learning", span, ev,
        f"The loss hardly moved: from {c.start:.4g} to at best {c.min:.4g} "
        f"({100 * max(drops.values(), default=0):.1f}% lower)"
        + (f", stuck at the no-skill level ln({ev['classes_guess']}) = {floor:.4g}." if floor is not None else "."),
        remedies_for("not_learning", first=first))
    extra = []
    if smooth:
        extra.append(Finding("lr_too_low", "warning", span, {"noise": c.sigma, "start": c.start},
                             "The curve is smooth but flat: a learning rate far too small is the usual "
                             "cause.", remedies_for("lr_too_low")))
    return Verdict("not_learning", finding, extra)
