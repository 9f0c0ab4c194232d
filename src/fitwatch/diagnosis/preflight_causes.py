"""What ``fitwatch.preflight`` and ``fitwatch.lr_find`` found before training, joined to a
diagnosis: a pre-flight finding that names a cause (``class_imbalance``, ``unnormalised_input``...)
explains a run that went wrong; a learning rate far from what ``lr_find`` suggested explains one that
went wrong the way that rate would make it."""

from __future__ import annotations

from fitwatch.diagnosis.findings import CAUSES, Finding
from fitwatch.diagnosis.remedies import CATALOGUE

#: verdicts of runs that learned: a pre-flight finding explains nothing there (it is still listed)
_LEARNED = ("good_fit", "overfitting", "still_improving")


def with_preflight(before: dict, verdict: str, findings: list, end: float | None = None) -> list:
    """The findings with what ``fitwatch.preflight`` found before training: a finding with a cause's
    code (``class_imbalance``, ``unnormalised_input``...) explains a run that went wrong and comes with
    the causes, right after the verdict (unless the probes named it already); the others come last.
    A learning-rate cause says what ``fitwatch.lr_find`` suggested. ``end``: where the judged curve ended (smoothed),
    for a regression's targets far from the outputs' scale, which explain a run only while it is still above its
    no-skill level."""
    pre = [Finding.from_dict(f) for f in (before.get("preflight") or {}).get("findings") or []
           if isinstance(f, dict) and "code" in f]
    named = {f.code for f in findings}
    explain = [f for f in pre if f.code in CAUSES and verdict not in _LEARNED and f.code not in named]
    rate = _rate_against_sweep(before, verdict, named)
    if rate is not None:
        explain.append(rate)
    scale = next((f for f in pre if _far_targets(f, end) and verdict not in ("good_fit", "overfitting")), None)
    if scale is not None:  # its first remedy leads, and a rate too small is no reading of the slow fall
        explain.append(scale)
        findings[:] = [f for f in findings if f.code != "lr_too_low"]
        findings[0].remedies = list(dict.fromkeys([scale.remedies[0]] + [r for r in findings[0].remedies
                                                                          if r != CATALOGUE["lr_up"]]))
    for f in explain:
        f.evidence["explains"] = verdict
        if not f.message.startswith("Before training"):
            f.message = f"Before training: {f.message}"
    if explain:
        findings[0].message += f" Before training: {', '.join(f.code for f in explain)} (below)."
    suggestion = (before.get("lr_find") or {}).get("suggestion")
    for f in findings:
        if f.code in ("lr_too_high", "lr_too_low") and isinstance(suggestion, (int, float)):
            f.evidence["lr_find_suggestion"] = suggestion
            f.message += f" fitwatch.lr_find suggested {suggestion:.3g} for this set-up."
    at = 1
    while at < len(findings) and findings[at].code in CAUSES:
        at += 1
    rest = [f for f in pre if f not in explain and f.code not in named]
    return [*findings[:at], *explain, *findings[at:], *rest]


#: a regression's first loss this many times its no-skill level (the targets' variance): the targets are far from the
#: outputs' scale, which explains a run still on its way down (a ninth trial's, at 15 times, was told to check its data)
FAR_TARGETS = 10.0


def _far_targets(f: Finding, end: float | None) -> bool:
    """``fitwatch.preflight``'s ``initial_loss`` of a regression at :data:`FAR_TARGETS` times its no-skill level, the
    judged curve ending (``end``) still above that level: a run past it has reached the targets' scale (an attack's
    log-price model at 0.55 of the level, underfitting from its capacity, was told to standardise its targets first)."""
    times, level = f.evidence.get("times"), f.evidence.get("no_skill_loss")
    return (f.code == "initial_loss" and f.evidence.get("task") == "regression" and isinstance(times, (int, float))
            and times >= FAR_TARGETS and bool(f.remedies)
            and (end is None or not isinstance(level, (int, float)) or end > level))


#: the optimizer's rate this many times lr_find's suggestion (or below it, a hundredth) explains a run
#: that went wrong: on benchmarks/lr_find_rules.py the best rate lay between 1/12 and 6.4 times it
_RATE_ABOVE, _RATE_BELOW = 10.0, 100.0


def _rate_against_sweep(before: dict, verdict: str, named: set) -> Finding | None:
    """``lr_too_high`` (``lr_too_low``) when the optimizer's learning rate that ``fitwatch.preflight``
    read is 10 times ``fitwatch.lr_find``'s suggestion or more (a hundredth or less), in a run that
    went wrong in the way that rate would make it."""
    lr = ((before.get("preflight") or {}).get("task") or {}).get("lr")
    s = (before.get("lr_find") or {}).get("suggestion")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in (lr, s)):
        return None
    high = lr >= _RATE_ABOVE * s and verdict not in _LEARNED
    low = lr <= s / _RATE_BELOW and verdict in ("not_learning", "underfitting", "still_improving")
    code = "lr_too_high" if high else "lr_too_low" if low else None
    if code is None or code in named:
        return None
    ev = {"lr": lr, "lr_find_suggestion": s, "times": lr / s, "source": "preflight", "explains": verdict}
    word = f"{lr / s:.0f} times" if high else f"1/{s / lr:.0f} of"
    return Finding(code, "warning", [], ev,
                   f"Before training: the optimizer's learning rate {lr:.3g} is {word} what fitwatch.lr_find "
                   f"suggested for this set-up ({s:.3g}).",
                   [CATALOGUE["lr_down" if high else "lr_up"], CATALOGUE["lr_schedule"]])
