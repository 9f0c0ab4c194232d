"""Batch values in compact chunks: the rows a store keeps per flush of batch values, and reading them back.

A chunk is one run, split and metric of one flush: its first and last global step, how many values,
and four little-endian arrays as bytes (int64 steps, epochs and n; float64 values, NaN kept), so
that a million steps read back with ``np.frombuffer``. The bytes are the stored format: SQLite
keeps them in BLOB columns. No database is touched here.

Example:
    >>> rows = encode_chunks(7, [("train", "loss", 0, [0, 1], [0.5, float("nan")], [32, 32])])
    >>> rows[0][:6], len(rows[0][6])
    ((7, 'train', 'loss', 0, 1, 2), 16)
    >>> names = ("run_id", "split", "metric", "first_step", "last_step", "count", "steps", "epochs", "vals", "ns")
    >>> out = decode_chunks([dict(zip(names, r)) for r in rows])
    >>> out[("train", "loss")]["step"].tolist(), out[("train", "loss")]["value"].tolist()
    ([0, 1], [0.5, nan])
"""

from __future__ import annotations

import array
import sys

import numpy as np


def encode_chunks(run_id: int, chunks: list[tuple]) -> list[tuple]:
    """Stored rows for batch chunks ``(split, metric, epoch, steps, values, ns)``: one row per split
    and metric, ``(run_id, split, metric, first_step, last_step, count, steps, epochs, vals, ns)``
    with the arrays as little-endian bytes (NaN kept as it is)."""
    merged: dict[tuple[str, str], list[list]] = {}
    for split, metric, epoch, steps, values, ns in chunks:
        m = merged.setdefault((split, metric), [[], [], [], []])
        m[0] += steps
        m[1] += [epoch] * len(steps)
        m[2] += values
        m[3] += ns
    return [
        (run_id, split, metric, steps[0], steps[-1], len(steps),
         _le_bytes("q", steps), _le_bytes("q", epochs), _le_bytes("d", values), _le_bytes("q", ns))
        for (split, metric), (steps, epochs, values, ns) in merged.items()
    ]


def decode_chunks(rows) -> dict[tuple[str, str], dict[str, np.ndarray]]:
    """``{(split, metric): {"step", "value", "n", "epoch": arrays}}`` from stored rows (dicts with
    ``split``, ``metric``, ``steps``, ``epochs``, ``vals``, ``ns``) in step order, keys sorted."""
    parts: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        parts.setdefault((r["split"], r["metric"]), []).append(r)
    out = {}
    for key, chunks in sorted(parts.items()):
        step = np.concatenate([np.frombuffer(c["steps"], "<i8") for c in chunks])
        out[key] = {
            "step": step,
            "value": np.concatenate([np.frombuffer(c["vals"], "<f8") for c in chunks]),
            "n": np.concatenate([np.frombuffer(c["ns"], "<i8") for c in chunks]),
            "epoch": np.concatenate([np.frombuffer(c["epochs"], "<i8") for c in chunks]),
        }
    return out


def _le_bytes(typecode: str, values) -> bytes:
    a = array.array(typecode, values)  # much cheaper than numpy for a few hundred values
    if sys.byteorder == "big":
        a.byteswap()
    return a.tobytes()
