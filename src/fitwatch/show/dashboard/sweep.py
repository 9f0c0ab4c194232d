"""The dashboard's sweep view (``GET /api/sweep``): every run's best validation loss against one of
its config values, to see which learning rate, batch size or optimizer did best across runs.

A key is ``numeric`` when every run that has it holds a number there (plotted on a linear or log
axis), else ``categorical`` (one column of points per value, in the order of their best loss).
Runs without the key, or without a finite validation loss, are listed apart (``left_out``), never
plotted at a made-up place.

Example:
    >>> runs = [{"id": 1, "name": "a", "status": "finished", "config": {"lr": 0.1}, "best_val_loss": 0.5,
    ...          "best_epoch": 3, "tags": []},
    ...         {"id": 2, "name": "b", "status": "finished", "config": {"lr": 0.01}, "best_val_loss": 0.3,
    ...          "best_epoch": 7, "tags": ["baseline"]}]
    >>> out = sweep(runs)
    >>> out["key"], out["kind"], [(p["name"], p["value"], p["best_val_loss"]) for p in out["points"]]
    ('lr', 'numeric', [('a', 0.1, 0.5), ('b', 0.01, 0.3)])
    >>> sweep(runs, key="lr", tag="baseline")["count"], out["log_x"]
    (1, True)
"""

from __future__ import annotations

import math

from fitwatch.store.configs import flat_config, key_kind, number, varying_keys
from fitwatch.store.status import effective_status


class UnknownKey(ValueError):
    """A ``key=`` no run's config has (the API answers 400)."""


def sweep(records: list[dict], key: str = "", tag: str = "") -> dict:
    """The sweep of ``records`` (:meth:`fitwatch.Store.labelled_runs`, or records with ``tags``)
    over config ``key`` (default: the first key that varies), the runs tagged ``tag`` only if given.

    Returns:
        ``{"keys": [{"key", "kind", "runs"}], "key", "kind", "log_x", "count", "points": [{"id",
        "name", "status", "value", "best_val_loss", "best_epoch", "tags"}], "left_out": [{"id",
        "name", "why"}]}``: ``keys`` every config key of the runs (those that vary first), ``log_x``
        whether a log x-axis suits the values (all positive, spanning a decade or more).

    Raises:
        UnknownKey: no run has ``key``.
    """
    if tag:
        records = [r for r in records if tag in (r.get("tags") or [])]
    flats = {r["id"]: flat_config(r.get("config")) for r in records}
    varying = varying_keys(records)
    every = varying + [k for f in flats.values() for k in f if k not in varying]
    keys = list(dict.fromkeys(every))
    if key and key not in keys:
        raise UnknownKey(f"key={key!r}: no run{' tagged ' + repr(tag) if tag else ''} has it in its config; keys: "
                         + (", ".join(keys[:20]) or "(none)"))
    key = key or (keys[0] if keys else "")
    kind = key_kind(records, key) if key else "numeric"
    points, left_out = [], []
    for r in records:
        f = flats[r["id"]]
        best = r.get("best_val_loss")
        if key not in f:
            left_out.append({"id": r["id"], "name": r["name"], "why": f"no {key} in its config"})
        elif best is None or not math.isfinite(best):
            left_out.append({"id": r["id"], "name": r["name"], "why": "no finite validation loss"})
        else:
            value = f[key] if kind == "numeric" else _label(f[key])
            points.append({"id": r["id"], "name": r["name"], "status": effective_status(r), "value": value,
                           "best_val_loss": best, "best_epoch": r.get("best_epoch"), "tags": r.get("tags") or []})
    xs = [number(p["value"]) for p in points] if kind == "numeric" else []
    log_x = bool(xs) and all(x is not None and x > 0 for x in xs) and max(xs) / min(xs) >= 10
    return {"keys": [{"key": k, "kind": key_kind(records, k), "runs": sum(k in f for f in flats.values())}
                     for k in keys],
            "key": key, "kind": kind, "log_x": log_x, "count": len(points), "points": points, "left_out": left_out}


def _label(v) -> str:
    """A categorical value as the text the axis shows (``adam``, ``True``, ``[64, 32]``)."""
    return v if isinstance(v, str) else str(v)
