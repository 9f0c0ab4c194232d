"""Runs' configs side by side: flattened to ``key -> value`` (nested dicts as dotted keys), and the
keys whose values differ across runs (what ``fitwatch runs`` and the dashboard show as columns, and
what the dashboard's sweep view plots the best validation loss against).

Example:
    >>> runs = [{"config": {"lr": 0.1, "opt": {"name": "adam"}, "seed": 1}},
    ...         {"config": {"lr": 0.01, "opt": {"name": "sgd"}, "seed": 1}}]
    >>> flat_config(runs[0]["config"])
    {'lr': 0.1, 'opt.name': 'adam', 'seed': 1}
    >>> varying_keys(runs)
    ['lr', 'opt.name']
    >>> key_kind(runs, "lr"), key_kind(runs, "opt.name")
    ('numeric', 'categorical')
"""

from __future__ import annotations

import json
import math


def flat_config(config, prefix: str = "") -> dict:
    """A config as ``{key: value}`` with nested dicts' keys joined by dots (``optimizer.lr``); lists
    and other values are kept as they are."""
    out: dict = {}
    for k, v in (config or {}).items() if isinstance(config, dict) else ():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(flat_config(v, key + "."))
        else:
            out[key] = v
    return out


def _hashable(v):
    return json.dumps(v, sort_keys=True, default=repr) if isinstance(v, (list, dict)) else v


def varying_keys(runs: list[dict]) -> list[str]:
    """The config keys (flattened) whose value is not the same in every run of ``runs`` that has the
    key (records, or anything with a ``config``; a run without the key is left out of the comparison),
    the keys most runs have first, then in the order the configs list them."""
    flats = [flat_config(r.get("config") if isinstance(r, dict) else getattr(r, "config", None)) for r in runs]
    order: dict[str, int] = {}
    for f in flats:
        for k in f:
            order[k] = order.get(k, 0) + 1
    varying = [k for k in order if len({_hashable(f[k]) for f in flats if k in f}) > 1]
    position = {k: i for i, k in enumerate(order)}
    return sorted(varying, key=lambda k: (-order[k], position[k]))


def number(v) -> float | None:
    """``v`` as a finite float when it is a number (not a bool), else None."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def key_kind(runs: list[dict], key: str) -> str:
    """``numeric`` when every run that has ``key`` holds a number there, else ``categorical``."""
    values = [flat_config(r.get("config")).get(key, _MISSING) for r in runs]
    present = [v for v in values if v is not _MISSING]
    return "numeric" if present and all(number(v) is not None for v in present) else "categorical"


_MISSING = object()
