"""Inside the model, shown: what :meth:`fitwatch.Run.watch`'s probes saw, layer by layer.

``fitwatch show RUN --layers`` prints :func:`layers_table` (one row per layer: its gradient norm at
the start, typically and at the end, its update-to-weight ratio, its share of zero gradients; one row
per activation module: its dead and saturated shares at the start and at the end). The report and
the dashboard draw :func:`heatmap_figure`: layers x sampled steps, coloured by the gradient norm (log
scale) or by the share of dead units, as plain plotly JSON (square markers on a scatter trace, which
the bundled plotly-basic draws).

Example:
    >>> import numpy as np
    >>> from fitwatch.diagnosis.inside import Inside
    >>> v = lambda *x: {"step": np.array([0, 100]), "epoch": np.array([0, 1]), "value": np.array(x)}
    >>> inside = Inside({("0", "grad_norm"): v(0.5, 0.1), ("2", "grad_norm"): v(1.0, 0.4)},
    ...                 {"layers": [{"name": "0", "type": "Linear", "params": 40},
    ...                             {"name": "2", "type": "Linear", "params": 9}]})
    >>> names, steps, z = grid(inside, "grad_norm")
    >>> names, steps, z
    (['0', '2'], [0, 100], [[0.5, 0.1], [1.0, 0.4]])
"""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text

from fitwatch.diagnosis.inside import Inside
from fitwatch.show.tables import fmt_number

__all__ = ["grid", "layers_table", "heatmap_figure", "layer_figures", "HEATMAPS"]

#: the panels the report and the dashboard draw: (stat, title, log colour scale)
HEATMAPS = (("grad_norm", "Gradient norm per layer", True), ("dead", "Dead units per ReLU layer", False),
            ("saturated", "Saturated units per sigmoid/tanh layer", False))


def _rows_of(inside: Inside, stat: str) -> list[str]:
    if stat in ("dead", "saturated", "mean", "std"):
        return [a for a in inside.activations if inside.has(a, stat)]
    return [n for n in inside.layers if inside.has(n, stat)]


def grid(inside: Inside, stat: str) -> tuple[list[str], list[int], list[list[float | None]]]:
    """``(rows, steps, z)``: the layers (or activation modules) that have ``stat``, in the model's
    order, every sampled step where any has it, and ``z[row][step]`` (None where it has no value)."""
    rows = _rows_of(inside, stat)
    steps = sorted({int(s) for r in rows for s in inside.values[(r, stat)]["step"]})
    at = {s: i for i, s in enumerate(steps)}
    z: list[list[float | None]] = [[None] * len(steps) for _ in rows]
    for i, r in enumerate(rows):
        v = inside.values[(r, stat)]
        for s, x in zip(v["step"].tolist(), v["value"].tolist()):
            z[i][at[int(s)]] = None if not math.isfinite(x) else float(x)
    return rows, steps, z


def _three(inside: Inside, layer: str, stat: str) -> tuple[float | None, float | None, float | None]:
    s = inside.series(layer, stat)
    if not s.size:
        return None, None, None
    return float(s[0]), inside.typical(layer, stat), float(s[-1])


def _f(x) -> str:
    return "-" if x is None else fmt_number(x, 3)


def layers_table(inside: Inside, causes: list | None = None) -> list:
    """The renderables of ``fitwatch show RUN --layers``: the layers' table, the activations' table,
    and the causes the diagnosis names (their code, message and first remedy)."""
    out: list = []
    t = Table(title="Layers (gradients and updates at the sampled steps)", title_justify="left", box=None,
              header_style="bold")
    for col, j in (("layer", "left"), ("type", "left"), ("params", "right"), ("grad norm: start", "right"),
                   ("typical", "right"), ("end", "right"), ("update/weight", "right"), ("zero grads", "right")):
        t.add_column(col, justify=j)
    types = inside.layer_types
    params = {x["name"]: x.get("params") for x in inside.meta.get("layers", [])}
    for n in inside.layers:
        g0, g, g1 = _three(inside, n, "grad_norm")
        zero = inside.typical(n, "zero_grad")
        t.add_row(n, types.get(n, ""), str(params.get(n) or ""), _f(g0), _f(g), _f(g1),
                  _f(inside.typical(n, "update_ratio")), "-" if zero is None else f"{100 * zero:.0f}%")
    out.append(t)
    acts = [a for a in inside.activations if inside.has(a, "dead") or inside.has(a, "saturated")]
    if acts:
        a = Table(title="Activations (share of units)", title_justify="left", box=None, header_style="bold")
        for col, j in (("module", "left"), ("type", "left"), ("dead: start", "right"), ("end", "right"),
                       ("saturated: start", "right"), ("end", "right")):
            a.add_column(col, justify=j)
        pct = lambda x: "-" if x is None else f"{100 * x:.0f}%"  # noqa: E731
        for m in acts:
            a.add_row(m, inside.activations[m], pct(inside.first(m, "dead")), pct(inside.late(m, "dead")),
                      pct(inside.first(m, "saturated")), pct(inside.late(m, "saturated")))
        out.append(a)
    scale = inside.late("input", "scale_max")
    facts = [f"sampled steps: {len(inside.steps(inside.layers[0], 'grad_norm')) if inside.layers else 0}"]
    if inside.meta.get("compiled"):
        facts.append("compiled with torch.compile: activations not sampled")
    if scale is not None:
        facts.append(f"largest input feature RMS {fmt_number(scale, 3)}")
    for key in ("loss", "optimizer", "output_activation"):
        if inside.meta.get(key):
            facts.append(f"{key.replace('_', ' ')} {inside.meta[key]}")
    lr = inside.late("optimizer", "lr")
    if lr is not None:
        facts.append(f"lr {fmt_number(lr, 3)}")
    if inside.broken_at is not None:
        facts.append(f"NaN/inf from step {inside.broken_at}")
    out.append(Text("; ".join(facts), style="dim"))
    for f in causes or []:
        line = Text()
        line.append(f"cause {f.code}: ", style="bold yellow")
        line.append(f.message)
        if f.remedies:
            line.append(f"\n  do: {f.remedies[0]}", style="dim")
        out.append(line)
    if not causes:
        out.append(Text("no cause found inside the model", style="green"))
    return out


def heatmap_figure(inside: Inside, stat: str, title: str, log: bool) -> dict | None:
    """A layers x steps panel as plotly JSON (``{"data": [...], "layout": {...}}``), None when the run
    has no ``stat``: square markers coloured by the value (by its log10 when ``log``)."""
    rows, steps, z = grid(inside, stat)
    if not rows or not steps:
        return None
    xs, ys, cs, texts = [], [], [], []
    zx, zy, ztexts = [], [], []  # exactly 0 on a log scale: a gradient that never arrives, drawn grey
    for i, r in enumerate(rows):
        for j, s in enumerate(steps):
            v = z[i][j]
            if v is None:
                continue
            if log and v <= 0:
                zx.append(j)
                zy.append(r)
                ztexts.append(f"{r} · step {s}: 0")
                continue
            xs.append(j)
            ys.append(r)
            cs.append(math.log10(v) if log else v)
            texts.append(f"{r} · step {s}: {fmt_number(v, 3)}" if log else f"{r} · step {s}: {100 * v:.0f}%")
    if not xs and not zx:
        return None
    size = max(6, min(22, int(700 / max(len(steps), 1))))
    bar = {"title": {"text": "log10" if log else "share"}, "thickness": 12}
    marker = {"symbol": "square", "size": size, "color": cs, "colorscale": "Viridis" if log else "Reds",
              "showscale": True, "colorbar": bar}
    if not log:
        marker.update(cmin=0, cmax=1)
    data = [{"type": "scatter", "mode": "markers", "x": xs, "y": ys, "text": texts, "hoverinfo": "text",
             "marker": marker, "showlegend": False}]
    if zx:
        data.append({"type": "scatter", "mode": "markers", "x": zx, "y": zy, "text": ztexts, "hoverinfo": "text",
                     "name": "0", "marker": {"symbol": "square", "size": size, "color": "#9aa4ae"},
                     "showlegend": False})
    ticks = list(range(0, len(steps), max(1, len(steps) // 10)))
    layout = {"title": {"text": title, "x": 0, "font": {"size": 14}},
              "height": max(180, 60 + 26 * len(rows)), "margin": {"l": 90, "r": 20, "t": 40, "b": 40},
              "xaxis": {"title": {"text": "sampled step"}, "tickvals": ticks,
                        "ticktext": [str(steps[k]) for k in ticks],
                        "zeroline": False, "showgrid": False},
              "yaxis": {"type": "category", "categoryorder": "array", "categoryarray": list(reversed(rows)),
                        "automargin": True, "showgrid": False},
              "plot_bgcolor": "#fafafa"}
    return {"data": data, "layout": layout}


def layer_figures(inside: Inside | None, prefix: str) -> list[dict]:
    """The panels of :data:`HEATMAPS` the run has, each ``{"id": f"{prefix}-{stat}", "title", "data",
    "layout"}`` (what the report and the dashboard draw); ``[]`` for a run that was not watched."""
    if not inside:
        return []
    out = []
    for stat, title, log in HEATMAPS:
        fig = heatmap_figure(inside, stat, title, log)
        if fig is not None:
            out.append({"id": f"{prefix}-{stat}", "title": title, **fig})
    return out
