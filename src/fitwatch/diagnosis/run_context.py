"""What a run says about itself, read by the diagnosis as evidence: the keys of a run's ``config`` (or
``fitwatch.diagnose(context=...)``) that :func:`run_context` checks and keeps (docs/diagnosis.md, "What the
run says about itself").

Example:
    >>> run_context({"lr": 0.1, "baseline": 2.5, "data": "Tabular", "classes": 10})
    {'baseline': 2.5, 'classes': 10, 'data': 'tabular'}
"""

from __future__ import annotations

import math

__all__ = ["CONTEXT_KEYS", "amount", "run_context"]

#: what a run may say about itself (its ``config``), read by the diagnosis as evidence
CONTEXT_KEYS = ("baseline", "classes", "data", "model", "framework", "scheduler", "grad_clip", "dropout", "weight_decay",
                "label_smoothing", "regularisation_recorded", "regularisation_watched", "loss_penalty", "train_noise",
                "loss_metric", "in_progress")

#: flags an integration sets: only True counts
_FLAGS = ("regularisation_recorded", "regularisation_watched", "loss_penalty", "train_noise", "in_progress")
#: regularisation the run already uses: a number, 0 for none (label smoothing under 1)
_AMOUNTS = ("dropout", "weight_decay", "label_smoothing")


def run_context(config: dict, strict: bool = False) -> dict:
    """The keys of :data:`CONTEXT_KEYS` that a run's config (or ``diagnose(context=...)``) holds,
    checked: ``baseline`` a positive number, ``classes`` an integer >= 2, ``data`` a word.

    Args:
        config: the run's config, or what ``diagnose(context=...)`` was given.
        strict: ``diagnose(context=...)``'s reading: a flag that is not a bool, or an amount (``dropout``,
            ``weight_decay``, ``label_smoothing``) that is not a number, is a ``ValueError`` (an attack:
            ``{"dropout": "0.5"}`` was dropped without a word, and "add dropout" said); a run's own config
            may hold anything under those names (a schedule's name), which says nothing.

    Raises:
        ValueError: a bad ``baseline`` or ``classes``; with ``strict``, a bad flag or amount.
    """
    out = {}
    for k in CONTEXT_KEYS:
        v = config.get(k)
        if v is None:
            continue
        if k == "baseline":
            if not (_number(v) and v > 0):
                raise ValueError(f"baseline must be a positive number (the loss of predicting without skill: the "
                                 f"target's variance for MSE, ln(classes) for cross-entropy), got {v!r}")
            v = float(v)
        elif k == "classes":
            if not (isinstance(v, int) and not isinstance(v, bool) and v >= 2):
                raise ValueError(f"classes must be an integer >= 2, got {v!r}")
        elif k in ("data", "model", "framework", "loss_metric"):
            v = str(v).lower()
        elif k in _FLAGS:
            if strict and not isinstance(v, bool):
                raise ValueError(f"{k} must be True or False, got {v!r}")
            if v is not True:
                continue
        elif k in _AMOUNTS:
            if strict and not (_number(v) and (v == 0 or amount(k, v) is not None)):
                raise ValueError(f"{k} must be a number from 0" + (" to under 1" if k == "label_smoothing" else "")
                                 + f" (0 for none), got {v!r}")
            v = amount(k, v)
            if v is None:
                continue  # 0, False, a schedule's name: nothing said
        out[k] = v
    return out


def amount(key: str, v) -> float | None:
    """A regularisation amount the run uses (``dropout``, ``weight_decay``, ``label_smoothing``) as a float, when it
    is a number above 0 (and under 1 for label smoothing); else None: none, or nothing said. The integrations record
    it with this check, as :func:`run_context` reads it. Example:
        >>> amount("label_smoothing", 0.1), amount("label_smoothing", 1.5), amount("dropout", False)
        (0.1, None, None)
    """
    top = 1.0 if key == "label_smoothing" else math.inf
    return float(v) if _number(v) and 0 < v < top else None


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
