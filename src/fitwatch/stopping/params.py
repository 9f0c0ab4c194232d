"""The parameters of :class:`fitwatch.EarlyStopping` and its saved state, checked and written plainly:
whole numbers, JSON-able values, ``min_delta`` as a number or a percentage. Standard library only.

Example:
    >>> parse_min_delta("1%"), parse_min_delta(-0.01)
    ((0.0, 0.01), (0.01, 0.0))
"""

from __future__ import annotations

import math
import numbers
import re

_PERCENT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*%\s*$")


def identity_text(identity, verb: str) -> str:
    """``watching 'val_loss' (min) with criterion fitwatch``: a rule's identity, in words."""
    if not isinstance(identity, dict):
        return f"of unknown identity ({identity!r})"
    strip = f" (strip {identity.get('strip')})" if identity.get("strip") is not None else ""
    return f"{verb} {identity.get('monitor')!r} ({identity.get('mode')}) with criterion {identity.get('criterion')}{strip}"


def epochs_number(value) -> bool:
    """A number of epochs a plan can be: a real number >= 1, finite, not a bool (numpy numbers too)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value) and value >= 1


def int_or_none(value) -> int | None:
    if value is None:
        return None
    if not whole(value):
        raise TypeError(f"{value!r} is not a whole number")
    return int(value)


def whole(value) -> bool:
    """A whole number (numpy integers too), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def plain(value):
    """A parameter as JSON can hold it (numpy numbers as Python ones)."""
    if whole(value):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return value


def parse_min_delta(value) -> tuple[float, float]:
    """``min_delta`` as (absolute, relative): ``0.001`` -> (0.001, 0); ``"1%"`` -> (0, 0.01)."""
    if isinstance(value, str):
        m = _PERCENT.match(value)
        if not m:
            raise ValueError(f"EarlyStopping: min_delta={value!r}; pass a number (absolute) or a percentage "
                             f"string such as '1%' or '0.5%' (relative to the best value)")
        return 0.0, float(m.group(1)) / 100.0
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"EarlyStopping: min_delta={value!r}; pass a number or a percentage such as '1%'") from None
    if not math.isfinite(v):
        raise ValueError(f"EarlyStopping: min_delta={value!r}; pass a finite number or a percentage such as '1%'")
    return abs(v), 0.0  # Keras takes abs(min_delta)
