"""The report's charts: one panel a metric (loss first), each a plotly figure as plain JSON (data and
layout) with every split of every run, the best epoch, the overfitting onset, the early stop and the
first NaN marked, and the plotly configuration they are drawn with."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fitwatch.core.names import split_key
from fitwatch.show import style
from fitwatch.show.report.files import safe_filename
from fitwatch.show.report.markup import esc
from fitwatch.show.report.runs import ReportRun, best_point
from fitwatch.show.smoothing import downsample

__all__ = ["Panel", "chart_panels", "panel_figure", "plotly_config", "MAX_CHART_POINTS", "MARKERS_UP_TO"]

#: a curve longer than this is drawn from the lowest and highest point of each of half as many
#: buckets (:func:`fitwatch.smoothing.downsample`: no spike is lost); the table keeps every epoch
MAX_CHART_POINTS = 2000
#: curves with at most this many epochs are drawn with a marker on each epoch
MARKERS_UP_TO = 60
_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
_SPLIT_NAMES = {"train": "training", "val": "validation"}


@dataclass
class Panel:
    """One chart: a metric, and the ``(run, split, key)`` curves drawn on it."""

    id: str
    metric: str
    curves: list[tuple[ReportRun, str, str]]

    @property
    def title(self) -> str:
        words = self.metric.replace("_", " ")
        return words[:1].upper() + words[1:]


def chart_panels(runs: list[ReportRun]) -> list[Panel]:
    """One panel per metric, loss first, each with every split of every run."""
    by_metric: dict[str, list] = {}
    for i, r in enumerate(runs):
        if any(q.run == r.run for q in runs[:i]):
            continue  # a head of a run already drawn: its curves are the run's
        for key in r.curves.series:
            split, metric = split_key(key)
            by_metric.setdefault(metric, []).append((r, split, key))
    order = sorted(by_metric, key=lambda m: m != "loss")  # stable: the others as they come
    return [Panel(f"plot-{i}", m, by_metric[m]) for i, m in enumerate(order)]


def _points(r: ReportRun, key: str) -> tuple[np.ndarray, np.ndarray]:
    """A curve's finite points (its NaN, inf and missing epochs left out, as :func:`fitwatch.smoothing.ema`
    skips them)."""
    x, y = r.curves.epochs, r.curves.series[key]
    keep = np.isfinite(y)
    return x[keep], y[keep]


def panel_figure(panel: Panel, runs: list[ReportRun]) -> dict:
    """The plotly figure (data and layout, plain JSON) of one panel.

    ``curves`` lists the traces the smoothing slider redraws: each one's index in ``data``, and, when
    the trace is downsampled, the full finite series (``x``, ``y``) the page smooths (then downsamples
    as :func:`fitwatch.smoothing.downsample` does)."""
    single = len({r.run for r in runs}) == 1  # one run (a multi-head model's heads are one run's)
    others = [s for _, s, _ in panel.curves if s not in style.SPLIT_COLORS]
    train_only = all(s == "train" for _, s, _ in panel.curves)  # a learning rate...: named by itself
    data, shapes, curves = [], [], []
    longest = max((len(r.curves) for r in runs), default=0)
    for r, split, key in panel.curves:
        x, y = _points(r, key)
        shown_x, shown_y = downsample(x, y, MAX_CHART_POINTS // 2)
        curves.append({"trace": len(data)} if shown_y.size == y.size else
                      {"trace": len(data), "x": x.tolist(), "y": y.tolist()})
        color = style.split_color(split, others) if single else style.run_color(r.run)
        name = panel.metric if train_only else _SPLIT_NAMES.get(split, split)
        data.append({
            "type": "scatter", "mode": "lines+markers" if longest <= MARKERS_UP_TO else "lines",
            "x": shown_x.tolist(), "y": shown_y.tolist(), "name": esc(name if single else f"{r.run_label or r.label} · {name}"),
            "line": {"color": color, "width": 2, "dash": "solid" if single else style.split_dash(split)},
            "marker": {"size": 4, "color": color}, "hovertemplate": "%{y:.4g}",
            # a group per curve: its faint raw copy, when smoothed, hides and shows with it
            "legendgroup": f"curve-{len(data)}" if single else f"run-{r.run}",
        })
    for r in _marked(runs, panel, single):
        data += _best_marker(r, panel, single)
        shapes += _marks(r, panel, single)
    log_axis = _log_axis([t["y"] for t in data])
    # a Trainer's log evaluated in mid-epoch: one point per evaluation (Curves.unit)
    unit = runs[0].curves.unit if runs and len({r.curves.unit for r in runs}) == 1 else "epoch"
    log = panel.metric == "loss" and _spans_decades([t["y"] for t in data])
    axis = {"showgrid": True, "gridcolor": "#eceff3", "zeroline": False, "showline": True, "linecolor": "#b7bec7",
            "ticks": "outside", "tickcolor": "#b7bec7", "automargin": True}
    layout = {
        "height": 380, "margin": {"l": 56, "r": 16, "t": 12, "b": 40},
        "font": {"family": _FONT, "size": 12, "color": "#1f2328"},
        "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff",
        "hovermode": "x unified", "hoverlabel": {"font": {"family": _FONT, "size": 12}},
        "xaxis": {**axis, "title": {"text": unit}, "unifiedhovertitle": {"text": f"{unit} %{{x}}"},
                  **({"dtick": 1} if _epoch_span(runs) <= 12 else {})},  # no half epochs on short runs
        "yaxis": {**axis, "title": {"text": esc(panel.metric)}, **(log_axis if log else {"type": "linear"})},
        "legend": ({"orientation": "h", "x": 0, "xanchor": "left", "y": -0.22, "yanchor": "top"} if single else
                   {"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top",
                    "tracegroupgap": 8}),
        "shapes": shapes,
    }
    return {"id": panel.id, "data": data, "layout": layout, "scale": "log" if log else "linear",
            "log_axis": log_axis, "curves": curves}


def _marked(runs: list[ReportRun], panel: Panel, single: bool) -> list[ReportRun]:
    """The runs whose marks a panel draws: each run's; for one multi-head model (its heads, one
    ReportRun each), the head judged on this panel's metric (``val_cls_loss`` on ``cls_loss``), none on
    a panel of no head (a trial's report drew no best line and no onset band on any head's panel)."""
    if not single or len(runs) == 1:
        return runs
    return [r for r in runs if r.diagnosis is not None and split_key(r.diagnosis.monitor or "")[1] == panel.metric]


def _epoch_span(runs: list[ReportRun]) -> int:
    spans = [int(r.curves.epochs.max() - r.curves.epochs.min()) for r in runs if len(r.curves)]
    return max(spans, default=0)


def _positive(series: list[list[float]]) -> np.ndarray:
    values = np.array([v for s in series for v in s if v is not None], dtype=float)
    return values if values.size and values.min() > 0 else np.empty(0)


def _spans_decades(series: list[list[float]]) -> bool:
    """A log axis suits: every value positive, the largest more than :data:`fitwatch.style.LOG_SPAN` x the smallest."""
    values = _positive(series)
    return values.size > 1 and values.max() / values.min() > style.LOG_SPAN


def _log_axis(series: list[list[float]]) -> dict:
    """The log axis the page uses (at once, or when the log button is pressed): labelled in plain
    numbers 0.01, 0.02, 0.05, 0.1... over up to 3 decades, only the powers of ten beyond."""
    values = _positive(series)
    decades = math.log10(values.max() / values.min()) if values.size else 0.0
    if decades <= 3:
        return {"type": "log", "dtick": "D2", "minorloglabels": "complete", "tickformat": ".2~g"}
    return {"type": "log", "dtick": 1, "minorloglabels": "none", "exponentformat": "power"}


def _best_marker(r: ReportRun, panel: Panel, single: bool) -> list[dict]:
    best = best_point(r)
    if best is None or split_key(best[0])[1] != panel.metric:
        return []
    _, epoch, value = best
    color = style.ANNOTATION["best"] if single else style.run_color(r.run)
    unit = r.curves.unit
    return [{"type": "scatter", "mode": "markers", "x": [epoch], "y": [value],
             "name": esc(f"best {unit} {epoch}" if single else f"{r.label} · best {unit} {epoch}"),
             "legendgroup": "best" if single else f"run-{r.run}",
             "marker": {"symbol": "star", "size": 14, "color": color, "line": {"color": "#ffffff", "width": 1}},
             "hovertemplate": "%{y:.4g}"}]


def _vline(x, color: str, dash: str, name: str | None = None, group: str | None = None) -> dict:
    line = {"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
            "line": {"color": color, "width": 1.5, "dash": dash}, "layer": "below"}
    if name:
        line.update(showlegend=True, name=esc(name))
    if group:
        line["legendgroup"] = group
    return line


def _marks(r: ReportRun, panel: Panel, single: bool) -> list[dict]:
    """Shapes, each with its legend entry: the best epoch (dotted, with the star), the overfitting
    onset (a shaded band), the early stop (dash-dot) and the first NaN or inf (dashed); with several
    runs only each run's stop."""
    if not any(pr.run == r.run for pr, _, _ in panel.curves):  # (a head's curves are drawn as its run's)
        return []
    stop = r.curves.stop or {}
    stopped = stop.get("stopped_epoch") if stop.get("stopped") else None
    if not single:  # each run's stop, and its first NaN or inf on the panels whose curves hold it
        bad = r.curves.first_nonfinite([k for pr, _, k in panel.curves if pr is r])
        return ([] if stopped is None else [_vline(stopped, style.run_color(r.run), "dashdot",
                                                   f"{r.run_label or r.label} · early stop {stopped}", f"run-{r.run}")]) \
            + ([] if not bad else [_vline(bad[0], style.run_color(r.run), "dash",
                                          f"{r.run_label or r.label} · NaN/inf from {r.curves.unit} {bad[0]}", f"run-{r.run}")])
    shapes = []
    d = r.diagnosis
    if d is None:
        return []
    last = int(r.curves.epochs[-1]) if len(r.curves) else 0
    if d.best_epoch is not None:
        best = best_point(r)
        has_star = best is not None and split_key(best[0])[1] == panel.metric
        shapes.append(_vline(d.best_epoch, style.ANNOTATION["best"], "dot",
                             None if has_star else f"best {d.unit} {d.best_epoch}", "best"))
    if d.onset_epoch is not None and d.onset_epoch < last:
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": d.onset_epoch, "x1": last, "y0": 0,
                       "y1": 1, "fillcolor": style.ANNOTATION["onset"], "opacity": style.ANNOTATION["onset_alpha"],
                       "line": {"width": 0}, "layer": "below", "showlegend": True,
                       "name": f"overfitting from epoch {d.onset_epoch}"})
    if stopped is not None:
        shapes.append(_vline(stopped, style.ANNOTATION["stop"], "dashdot", f"early stop (epoch {stopped})"))
    bad = r.curves.first_nonfinite([k for _, _, k in panel.curves])  # values, not gaps
    if bad:  # NaN and inf cannot be drawn: say where they begin
        shapes.append(_vline(bad[0], style.ANNOTATION.get("nonfinite", "#8b0000"), "dash",
                             f"NaN/inf from epoch {bad[0]}"))
    return shapes


def plotly_config(runs: list[ReportRun]) -> dict:
    """plotly's options: no logo or cloud links, no MathJax, a PNG download named after the first run."""
    return {"displaylogo": False, "responsive": True, "scrollZoom": False, "showLink": False,
            "showSendToCloud": False, "showEditInChartStudio": False, "typesetMath": False,
            "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
            "toImageButtonOptions": {"format": "png", "filename": safe_filename(runs[0].label), "scale": 2}}

