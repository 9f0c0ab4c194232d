"""Before training, shown: what ``fitwatch.preflight`` and ``fitwatch.lr_find`` stored with a run.

:func:`summary_lines` gives the plain lines ``fitwatch show`` prints and the report and dashboard put
in their "Before training" part (the task and initial loss, the checks, the suggested learning
rate); :func:`lr_figure` the range test's curve as plotly JSON (loss against a log learning rate,
the suggestion marked). Both read the stored dicts (``info["preflight"]``, ``info["lr_find"]``).

Example:
    >>> summary_lines({"lr_find": {"suggestion": 0.012, "rule": "min_tenth", "lrs": [1e-7, 10.0]}})
    ['learning rate: 0.012 suggested by fitwatch.lr_find (min_tenth rule, swept 1e-07 to 10)']
"""

from __future__ import annotations

import numpy as np

from fitwatch.show import style

__all__ = ["summary_lines", "lr_figure"]


def summary_lines(before: dict) -> list[str]:
    """One line for the pre-flight checks, one for the learning-rate range test (when stored)."""
    out = []
    pre = before.get("preflight") or {}
    if pre:
        t = pre.get("task") or {}
        what = t.get("kind", "?") + (f", {t['classes']} classes" if t.get("kind") == "classification" else "")
        init = pre.get("initial_loss")
        found = [f.get("code") for f in pre.get("findings") or []]
        checks = pre.get("checks") or {}
        line = f"pre-flight: {what} ({t.get('loss', '?')})"
        if init is not None:
            ref = t.get("start", t.get("no_skill"))
            line += f", initial loss {init:.3g}" + (f" (expected at the start {ref:.3g})" if ref else "")
        line += f"; {len(checks)} checks, " + (f"found {', '.join(found)}" if found else "all passed")
        out.append(line)
    lr = before.get("lr_find") or {}
    if lr:
        lrs = [x for x in lr.get("lrs") or [] if x is not None]
        span = f", swept {lrs[0]:.3g} to {lrs[-1]:.3g}" if lrs else ""
        if lr.get("suggestion") is not None:
            out.append(f"learning rate: {lr['suggestion']:.3g} suggested by fitwatch.lr_find "
                       f"({lr.get('rule', '?')} rule{span})")
        else:
            out.append(f"learning rate: no suggestion from fitwatch.lr_find: {lr.get('reason') or 'none'}")
    return out


def lr_figure(lr: dict | None, fig_id: str) -> dict | None:
    """The range test's curve: ``{"id", "title", "data", "layout"}`` (plotly JSON), or None."""
    if not lr or not lr.get("lrs"):
        return None
    xs, raw, smooth = lr.get("lrs") or [], lr.get("losses") or [], lr.get("smoothed") or []
    pairs = [(x, y) for x, y in zip(xs, raw) if x is not None and y is not None]
    data = [{"type": "scatter", "mode": "lines", "name": "loss per step", "x": [p[0] for p in pairs],
             "y": [p[1] for p in pairs], "line": {"color": "#bbbbbb", "width": 1}}]
    if smooth:
        data.append({"type": "scatter", "mode": "lines", "name": "smoothed", "x": xs[:len(smooth)], "y": smooth,
                     "line": {"color": style.SPLIT_COLORS["train"], "width": 2}})
    s = lr.get("suggestion")
    shapes = []
    if s is not None:
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": s, "x1": s, "y0": 0, "y1": 1,
                       "line": {"color": "#d62728", "width": 1, "dash": "dash"}})
        data.append({"type": "scatter", "mode": "markers", "name": f"suggested {s:.3g}", "x": [s],
                     "y": [_at(s, xs[:len(smooth)], smooth) if smooth else None],
                     "marker": {"color": "#d62728", "size": 10}})
    title = f"Learning-rate range test: {'suggested ' + format(s, '.3g') if s is not None else 'no suggestion'}"
    layout = {"title": {"text": title, "font": {"size": 13}}, "height": 320,
              "margin": {"l": 60, "r": 20, "t": 40, "b": 70},
              "xaxis": {"type": "log", "title": {"text": "learning rate"}},
              "yaxis": {"title": {"text": "training loss"}, **_loss_range(smooth)}, "shapes": shapes, "showlegend": True,
              "legend": {"orientation": "h", "y": -0.32}}
    return {"id": fig_id, "title": title, "data": data, "layout": layout}


def _loss_range(smooth: list) -> dict:
    """The loss axis as ``LRSweep.plot`` draws it: the smoothed curve up to 1.5 times its start, so that
    a divergence spike runs off the top instead of flattening the useful part ({} without a curve)."""
    ys = np.array([y for y in smooth if y is not None], dtype=float)
    ys = ys[np.isfinite(ys)]
    if not ys.size:
        return {}
    lo, hi = float(ys.min()), float(max(ys[0], ys.min()))
    pad = 0.05 * (hi - lo) + 1e-12
    return {"range": [lo - pad, hi + 0.5 * (hi - lo) + pad]}


def _at(x: float, xs: list, ys: list) -> float | None:
    """The curve's value at rate ``x``, interpolated over the log rate (its end value beyond an end)."""
    pts = np.array([(a, b) for a, b in zip(xs, ys) if a is not None and b is not None and a > 0], dtype=float)
    return float(np.interp(np.log(x), np.log(pts[:, 0]), pts[:, 1])) if len(pts) else None
