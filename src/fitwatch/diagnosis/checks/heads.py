"""Which head of a multi-task model overfits (``head_overfits``): beside an ``overfitting`` verdict on a loss that
sums several heads' (``loss``/``val_loss`` with ``cls_loss``/``val_cls_loss``, ``reg_loss``/``val_reg_loss``...),
the heads whose validation loss rose since the verdict's turn while their training loss fell, named apart from
those whose validation did not rise.

Thresholds: :data:`HEAD_ROSE` (how much a head's validation must rise), :data:`HEAD_HELD` (how little the
others may); a rise must also beat twice the head's epoch-to-epoch noise.
"""

from __future__ import annotations

import numpy as np

from fitwatch.diagnosis.checks.context import Context, Verdict, median, noise
from fitwatch.diagnosis.curves import Curves
from fitwatch.diagnosis.findings import Finding

#: a head whose validation loss ends this share or more above its value at the turn overfits...
HEAD_ROSE = 0.10
#: ...and one that ends less than this share above it did not
HEAD_HELD = 0.05


def heads(curves: Curves) -> list[str]:
    """The heads a summed loss is made of: training curves whose name holds "loss", other than ``loss``, that have
    a ``val_`` curve. Example:
        >>> import numpy as np
        >>> c = Curves(np.arange(3), {k: [1.0, 0.9, 0.8] for k in ("loss", "val_loss", "cls_loss", "val_cls_loss",
        ...                                                           "reg_loss", "val_reg_loss", "kl_loss")})
        >>> heads(c)
        ['cls_loss', 'reg_loss']
    """
    return [k for k in curves.series if k != "loss" and "loss" in k.lower() and not k.startswith("val_")
            and f"val_{k}" in curves.series]


def _at(y: np.ndarray, i: int) -> float:
    """The median of ``y`` at index ``i`` and its neighbours (NaN left out)."""
    w = y[max(0, i - 1): i + 2]
    return float(median(w[np.isfinite(w)])) if np.isfinite(w).any() else float("nan")


def head_overfits(curves: Curves, ctx: Context, found: Verdict, monitor: str) -> Finding | None:
    """``head_overfits`` beside an ``overfitting`` verdict on ``val_loss`` when, of its heads (:func:`heads`), one or
    more rose :data:`HEAD_ROSE` or more (and twice their noise) from the verdict's turn to their end (each the median
    of 3 values) while their training loss fell, and one or more ended less than :data:`HEAD_HELD` above it: which
    head to stop on, regularise or weigh less (an attack's two-head model, its regression head's validation up
    1.06 -> 1.33 while its classification head's held at 0.17-0.19, was told only that its summed loss overfits).
    None otherwise."""
    if found.code != "overfitting" or monitor != "val_loss" or not found.primary.epochs:
        return None
    at = np.flatnonzero(curves.epochs == found.primary.epochs[0])
    if not at.size:
        return None
    i, rose, held = int(at[0]), {}, {}
    for h in heads(curves):
        v, tr = np.asarray(curves.series[f"val_{h}"], float), np.asarray(curves.series[h], float)
        fin = np.flatnonzero(np.isfinite(v))
        if fin.size < 5 or i >= fin[-1] - 1:
            continue
        start, end = _at(v, i), float(median(v[fin[-3:]]))
        t_fin = np.flatnonzero(np.isfinite(tr))
        fell = t_fin.size >= 3 and float(median(tr[t_fin[-3:]])) < _at(tr, i)
        if start > 0 and end >= (1 + HEAD_ROSE) * start and end - start > 2 * noise(v[fin]) and fell:
            rose[f"val_{h}"] = {"at_turn": start, "end": end}
        elif start > 0 and end < (1 + HEAD_HELD) * start:
            held[f"val_{h}"] = {"at_turn": start, "end": end}
    if not rose or not held:
        return None
    epoch = found.primary.epochs[0]
    said = " and ".join(f"{k} ({v['at_turn']:.4g} -> {v['end']:.4g}, +{100 * (v['end'] / v['at_turn'] - 1):.0f}%)"
                        for k, v in rose.items())
    calm = " and ".join(f"{k} ({v['at_turn']:.4g} -> {v['end']:.4g})" for k, v in held.items())
    one = len(rose) == 1
    return Finding(
        "head_overfits", "info", [epoch, ctx.span[1]],
        {"rose": rose, "held": held},
        f"Of the losses val_loss sums, {said} rose since epoch {epoch} while {'its' if one else 'their'} training "
        f"loss fell; {calm} did not: the overfitting is {'that head' if one else 'those heads'}'s. Stop on, "
        f"regularise or weigh {'it' if one else 'them'} on {'its' if one else 'their'} own (judge "
        f"{'it' if one else 'one'} alone with --monitor {next(iter(rose))}).", [])
