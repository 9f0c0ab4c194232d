"""``fitwatch report``: one self-contained HTML file with a run's curves, its diagnosis and its numbers.

The file works offline and on its own: plotly.js, read from the installed ``plotly`` package, is
embedded inline (no CDN, no request to any address), the figures are JSON inside the page, and the
styling is inline CSS with the system's fonts. It holds, in this order:

* a header: the run's name, status and verdict badge, when it started and ended, its epochs, the
  best epoch and its value, what early stopping did;
* interactive curves (zoom, hover values, click a legend entry to hide it): a loss panel with
  training and validation, the best epoch marked, the overfitting onset shaded and the early-stop
  epoch drawn, and one panel for each other metric (accuracy...); a smoothing slider above them
  redraws every curve as TensorBoard's debiased moving average (:func:`fitwatch.smoothing.ema`,
  computed in the page on the full series), the raw curve kept faint underneath;
* the diagnosis: the verdict and every finding with its severity, epochs, evidence and remedies;
* the run's config, and the per-epoch table of every metric with the best epoch highlighted.

Several sources are overlaid in the curves (one colour a run, validation solid, training dashed),
each with its own diagnosis, config and table. Every string that comes from a run (names, config
keys and values, metric names, finding texts) is HTML-escaped, and the embedded JSON escapes
``<``, so nothing in a run can become markup or script.

plotly is needed only here (``pip install 'fitwatch[report]'``) and is not imported by
``import fitwatch``: only its bundled ``plotly.min.js`` file is read.

Example:
    >>> import os, tempfile
    >>> history = {"loss": [1.0, 0.6, 0.4, 0.3, 0.25, 0.22, 0.2, 0.18],
    ...            "val_loss": [1.1, 0.7, 0.55, 0.5, 0.52, 0.56, 0.6, 0.65]}
    >>> path = write_report([history], os.path.join(tempfile.mkdtemp(), "r.html"))
    >>> text = open(path, encoding="utf-8").read()
    >>> "overfitting" in text, "cdn.plot.ly/plotly" in text, "<script src" in text
    (True, False, False)
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import os
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fitwatch._version import __version__

from fitwatch.show import style
from fitwatch.diagnosis.analyze import diagnose_curves
from fitwatch.diagnosis.curves import Curves
from fitwatch.diagnosis.findings import Diagnosis
from fitwatch.core.names import keras_key, split_key
from fitwatch.diagnosis.readers import read_curves
from fitwatch.store.rundata import RunData
from fitwatch.show.smoothing import downsample
from fitwatch.show.tables import duration_of, error_line, fmt_duration, fmt_number, fmt_time, stop_line
from fitwatch.store.status import effective_status

__all__ = ["write_report", "collect", "render_report", "plotly_js", "safe_filename", "script_json", "ReportRun",
           "REPORT_INSTALL_HINT"]

REPORT_INSTALL_HINT = "fitwatch report needs plotly (its plotly.js is embedded in the report): " \
                      "pip install 'fitwatch[report]'"
#: a curve longer than this is drawn from the lowest and highest point of each of half as many
#: buckets (:func:`fitwatch.smoothing.downsample`: no spike is lost); the table keeps every epoch
MAX_CHART_POINTS = 2000
#: curves with at most this many epochs are drawn with a marker on each epoch
MARKERS_UP_TO = 60
#: the smoothing slider's weight when the page opens: the raw curves, as before the slider
SMOOTH_DEFAULT = 0.0
_TEMPLATE = "show/templates/report.html"
_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
#: info keys shown in their own place, not among the run's details
_INFO_SHOWN = ("diagnosis", "early_stopping")


@dataclass
class ReportRun:
    """One run in a report: its curves, their diagnosis, and the store's record when it is a run."""

    curves: Curves
    diagnosis: Diagnosis
    data: RunData | None = None
    label: str = ""
    index: int = 0

    @property
    def anchor(self) -> str:
        return f"run-{self.index}"


# -- entry point ----------------------------------------------------------------------------------
def write_report(sources, output=None, *, dir=None, monitor: str = "val_loss", smooth: float = SMOOTH_DEFAULT) -> str:
    """Write the HTML report of one or more runs; returns the path written.

    Args:
        sources: a run name (or id) in the store, the path of any log file ``fitwatch diagnose``
            reads, anything :func:`fitwatch.readers.read_curves` takes (a ``history`` dict...), or
            a list of them: several are overlaid. A run brings its config, status, times and early
            stopping; a file, what it holds.
        output: the file to write (its folder is created); a folder (existing, or ending in ``/``):
            ``<name>.html`` in it;
            default ``<name>.html`` in the current folder, ``<name>`` being the first run's name
            made safe for a file name.
        dir: the store's folder for run names (default ``$FITWATCH_DIR``, else ``./fitwatch``).
        monitor: the validation curve the diagnosis judges (default ``val_loss``).
        smooth: the smoothing slider's weight when the page opens, in [0, 1) (default 0: the raw
            curves; the reader can move it).

    Raises:
        ImportError: plotly is not installed (the message says how to install it).
        fitwatch.readers.ReadError: a source that cannot be read (one line: which, and the fix).
        KeyError: ``monitor`` is not a curve of a run.
        ValueError: ``smooth`` is not in [0, 1).
        OSError: the file cannot be written.

    Example:
        >>> import os, tempfile
        >>> out = os.path.join(tempfile.mkdtemp(), "two.html")
        >>> a = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.6, 0.5]}
        >>> b = {"loss": [1.0, 0.7, 0.6], "val_loss": [1.0, 0.8, 0.75]}
        >>> write_report([a, b], out) == out
        True
    """
    if isinstance(sources, (str, os.PathLike, RunData, Curves)) or not isinstance(sources, (list, tuple)):
        sources = [sources]
    if not sources:
        raise ValueError("fitwatch report: no source given; pass a run name or a log file")
    if isinstance(smooth, bool) or not isinstance(smooth, (int, float)) or not 0.0 <= smooth < 1.0:
        raise ValueError(f"fitwatch report: smooth must be a weight in [0, 1), e.g. 0.6; got {smooth!r}")
    js = plotly_js()  # a missing plotly is said before anything is read
    runs = collect(sources, dir=dir, monitor=monitor)
    text = render_report(runs, js, smooth=smooth)
    path = _output_path(output, runs)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        raise OSError(f"cannot write the report to {path}: {e.strerror or e}; choose another file with -o") from None
    return str(path)


def plotly_js() -> str:
    """The text of plotly.js as bundled with the installed ``plotly`` package (never fetched)."""
    try:
        from importlib.resources import files

        return (files("plotly") / "package_data" / "plotly.min.js").read_text(encoding="utf-8")
    except ImportError:
        raise ImportError(REPORT_INSTALL_HINT) from None
    except OSError:  # a plotly without the bundled file: its own accessor knows where it is
        try:
            from plotly.offline import get_plotlyjs
        except ImportError:
            raise ImportError(REPORT_INSTALL_HINT) from None
        return get_plotlyjs()


def collect(sources, *, dir=None, monitor: str = "val_loss") -> list[ReportRun]:
    """Read every source: one :class:`ReportRun` per run found (a file may hold several)."""
    runs: list[ReportRun] = []
    for src in sources:
        data = _store_run(src, dir)
        for curves in read_curves(data if data is not None else src, dir=dir):
            runs.append(ReportRun(curves, diagnose_curves(curves, monitor=monitor), data))
    labels = [r.curves.name or r.curves.source or f"run {i + 1}" for i, r in enumerate(runs)]
    for i, r in enumerate(runs):
        r.label = labels[i] if labels.count(labels[i]) == 1 else f"{labels[i]} ({i + 1})"
        r.index = i
    return runs


def _store_run(src, dir) -> RunData | None:
    """The store's record of ``src`` when it names a run (not a file); None otherwise (``read_curves``
    then reads it, or says in one line why it cannot)."""
    if isinstance(src, RunData):
        return src
    if isinstance(src, bool) or not isinstance(src, (str, int)) or (isinstance(src, str) and os.path.exists(src)):
        return None
    from fitwatch.store import Store, StoreError

    try:
        with Store.reading(dir) as store:
            return store.load(src)
    except (StoreError, KeyError):
        return None


def _output_path(output, runs: list[ReportRun]) -> Path:
    name = safe_filename(runs[0].label) + ".html"
    if output is None:
        return Path.cwd() / name
    path = Path(output)
    folder = path.is_dir() or str(output).endswith(("/", os.sep))
    return path / name if folder else path


def safe_filename(name: str) -> str:
    """``name`` as a file name: letters and digits of any script, ``.``, ``-`` and ``_``; every run
    of other characters (path separators, control and format characters, punctuation, emoji...)
    becomes one ``_``, and none is left at either end. At most 120 bytes of UTF-8. A name with
    nothing left becomes ``report-`` and a hash of the name, so that two such names never share a
    file.

    Example:
        >>> safe_filename("digits-mlp"), safe_filename("../a b/<c>"), safe_filename("résumé 日本語 🚀")
        ('digits-mlp', 'a_b_c', 'résumé_日本語')
        >>> safe_filename("***"), safe_filename("...")
        ('report-596f4162', 'report-ab5df625')
    """
    name = unicodedata.normalize("NFC", str(name))  # "é" as one letter, not "e" and an accent
    s = re.sub(r"[^\w.-]+", "_", name).strip("._-")
    s = s.encode()[:120].decode("utf-8", "ignore").rstrip("._-")  # never half a character
    if not s:
        return "report-" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return s


# -- the page -------------------------------------------------------------------------------------
def render_report(runs: list[ReportRun], js: str, *, smooth: float = SMOOTH_DEFAULT) -> str:
    """The whole HTML page for ``runs`` with ``js`` (plotly.js) inline; the slider opens at ``smooth``."""
    from importlib.resources import files

    template = (files("fitwatch") / _TEMPLATE).read_text(encoding="utf-8")
    single = len(runs) == 1
    panels = _panels(runs)
    body = [_header(runs), _curves_section(panels, overlay=len(runs) > 1, smooth=smooth)]
    body += [_run_sections(r, single) for r in runs]
    body.append(_footer(runs, js))
    title = runs[0].label if single else f"{len(runs)} runs: " + ", ".join(r.label for r in runs)
    values = {
        "title": _e(f"{title} · fitwatch report"),
        "version": _e(__version__),
        "best_color": style.ANNOTATION["best"],
        "stop_color": style.ANNOTATION["stop"],
        "body": "\n".join(body),
        "figures": script_json({"panels": [_figure(p, runs) for p in panels], "config": _plotly_config(runs),
                                "smooth": {"bins": MAX_CHART_POINTS // 2, "raw_alpha": style.ANNOTATION["raw_alpha"]}}),
        "plotly_js": js.replace("</script", "<\\/script"),
    }
    # one pass, so that nothing inserted (a run's text, plotly.js) is read as a placeholder
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], template)


def script_json(obj) -> str:
    """JSON safe inside a ``<script>`` element: ``<``, ``>`` and ``&`` as ``\\u`` escapes, NaN as null.

    Example:
        >>> script_json({"name": "</script><script>alert(1)</script>", "v": float("nan")})
        '{"name": "\\\\u003c/script\\\\u003e\\\\u003cscript\\\\u003ealert(1)\\\\u003c/script\\\\u003e", "v": null}'
    """
    text = json.dumps(_finite(obj), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _finite(obj):
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _e(s) -> str:
    return html.escape(str(s), quote=True)


def _verdict_badge(verdict: str) -> str:
    color = style.VERDICT_COLORS.get(verdict, "#555")
    return f'<span class="badge verdict" style="background:{color}">{_e(verdict.replace("_", " "))}</span>'


def _status_pill(status: str | None) -> str:
    if not status:
        return ""
    return f'<span class="pill status" style="color:{style.STATUS_COLORS.get(status, "#555")}">{_e(status)}</span>'


def _best(r: ReportRun) -> tuple[str, int, float] | None:
    """``(curve, epoch, value)`` of the diagnosis's best epoch, on the curve it judged."""
    d = r.diagnosis
    if d.best_epoch is None:
        return None
    key = d.monitor if d.monitor in r.curves.series else "val_loss" if "val_loss" in r.curves.series else "loss"
    values = r.curves.series.get(key)
    hit = np.flatnonzero(r.curves.epochs == d.best_epoch)
    if values is None or not hit.size:
        return None
    return key, int(d.best_epoch), float(values[hit[0]])


def _best_text(r: ReportRun) -> str | None:
    best = _best(r)
    return None if best is None else f"epoch {best[1]} ({best[0]} {fmt_number(best[2])})"


def _status(r: ReportRun) -> str | None:
    return effective_status(r.data) if r.data is not None else None


def _stop_text(r: ReportRun) -> str | None:
    if r.data is not None:
        line = stop_line(r.data)
        return line.plain if line is not None else None
    stop = r.curves.stop
    return f"Stopped early at epoch {stop['stopped_epoch']}." if stop and stop.get("stopped") else None


def _facts(r: ReportRun) -> list[tuple[str, str]]:
    facts = []
    data = r.data
    if data is not None:
        facts += [("started", fmt_time(data.started_at)),
                  ("ended", fmt_time(data.ended_at) if data.ended_at else "still running"
                   if _status(r) == "running" else "-"),
                  ("duration", fmt_duration(duration_of(data, _status(r))))]
    else:
        facts.append(("source", r.curves.source or "-"))
    facts.append(("epochs", str(len(r.curves))))
    best = _best_text(r)
    if best:
        facts.append(("best", best))
    if r.diagnosis.onset_epoch is not None:
        facts.append(("overfitting from", f"epoch {r.diagnosis.onset_epoch}"))
    return facts


def _header(runs: list[ReportRun]) -> str:
    if len(runs) > 1:
        return _header_many(runs)
    r = runs[0]
    out = ['<header class="top">', '<div class="eyebrow">fitwatch report</div>',
           f'<div class="title-row"><h1>{_e(r.label)}</h1>{_status_pill(_status(r))}'
           f'{_verdict_badge(r.diagnosis.verdict)}</div>',
           '<dl class="facts">']
    out += [f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in _facts(r)]
    out.append("</dl>")
    stop = _stop_text(r)
    if stop:
        out.append(f'<p class="callout stop">{_e(stop)}</p>')
    err = error_line(r.data.error) if r.data is not None else None
    if err and r.data.status in ("failed", "stopped"):
        out.append(f'<p class="callout error"><b>Error:</b> {_e(err)}</p>')
    out.append("</header>")
    return "\n".join(out)


def _header_many(runs: list[ReportRun]) -> str:
    out = ['<header class="top">', '<div class="eyebrow">fitwatch report</div>',
           f"<h1>{len(runs)} runs compared</h1>", '<table class="runs-table"><thead><tr>'
           "<th>run</th><th>status</th><th>verdict</th><th>epochs</th><th>best</th><th>early stopping</th>"
           "</tr></thead><tbody>"]
    for i, r in enumerate(runs):
        stop = r.curves.stop or {}
        stopped = f"stopped at epoch {stop['stopped_epoch']}" if stop.get("stopped") else "-"
        out.append(f'<tr><td><span class="swatch" style="background:{style.run_color(i)}"></span>'
                   f'<a href="#{r.anchor}">{_e(r.label)}</a></td><td>{_status_pill(_status(r)) or "-"}</td>'
                   f"<td>{_verdict_badge(r.diagnosis.verdict)}</td><td>{len(r.curves)}</td>"
                   f"<td>{_e(_best_text(r) or '-')}</td><td>{_e(stopped)}</td></tr>")
    out += ["</tbody></table>", "</header>"]
    return "\n".join(out)


# -- curves ---------------------------------------------------------------------------------------
@dataclass
class _Panel:
    """One chart: a metric, and the ``(run, split, key)`` curves drawn on it."""

    id: str
    metric: str
    curves: list[tuple[ReportRun, str, str]]

    @property
    def title(self) -> str:
        words = self.metric.replace("_", " ")
        return words[:1].upper() + words[1:]


def _panels(runs: list[ReportRun]) -> list[_Panel]:
    """One panel per metric, loss first, each with every split of every run."""
    by_metric: dict[str, list] = {}
    for r in runs:
        for key in r.curves.series:
            split, metric = split_key(key)
            by_metric.setdefault(metric, []).append((r, split, key))
    order = sorted(by_metric, key=lambda m: m != "loss")  # stable: the others as they come
    return [_Panel(f"plot-{i}", m, by_metric[m]) for i, m in enumerate(order)]


def _curves_section(panels: list[_Panel], overlay: bool, smooth: float = SMOOTH_DEFAULT) -> str:
    figures = "".join(f'<figure class="panel"><figcaption><span>{_e(p.title)}</span>'
                      + (f'<span class="scale" data-plot="{p.id}"><button type="button" data-scale="linear">linear'
                         '</button><button type="button" data-scale="log">log</button></span>' if p.metric == "loss" else "")
                      + f'</figcaption><div class="plot" id="{p.id}"></div></figure>' for p in panels)
    cls = "panels single" if len(panels) == 1 or overlay else "panels"  # overlays: full width, legend aside
    return ('<section id="curves"><h2>Curves</h2>'
            '<p class="hint">Hover for values; drag to zoom, double-click to zoom back out; click a legend entry '
            "to hide or show its curve.</p>"
            f"{_smoothing_control(smooth) if panels else ''}"
            f'<div class="{cls}">{figures}</div></section>')


def _smoothing_control(smooth: float = SMOOTH_DEFAULT) -> str:
    """The smoothing slider (0 to 0.99, the raw curves at 0) at ``smooth``, and its value; the page's
    script redraws the curves when it moves (and at once when it opens above 0)."""
    w = f"{min(float(smooth), 0.99):.2f}"
    return ('<div class="controls"><label for="smooth">Smoothing</label>'
            f'<input type="range" id="smooth" min="0" max="0.99" step="0.01" value="{w}" autocomplete="off" '
            'aria-describedby="smooth-help">'
            f'<output class="num" id="smooth-value" for="smooth">{w}</output>'
            '<span class="muted" id="smooth-help">TensorBoard\'s moving average of each curve (debiased, over '
            "every epoch); the raw curve stays faint underneath, the marks stay where they are.</span></div>")


_SPLIT_NAMES = {"train": "training", "val": "validation"}


def _points(r: ReportRun, key: str) -> tuple[np.ndarray, np.ndarray]:
    """A curve's finite points (its NaN, inf and missing epochs left out, as :func:`fitwatch.smoothing.ema`
    skips them)."""
    x, y = r.curves.epochs, r.curves.series[key]
    keep = np.isfinite(y)
    return x[keep], y[keep]


def _figure(panel: _Panel, runs: list[ReportRun]) -> dict:
    """The plotly figure (data and layout, plain JSON) of one panel.

    ``curves`` lists the traces the smoothing slider redraws: each one's index in ``data``, and, when
    the trace is downsampled, the full finite series (``x``, ``y``) the page smooths (then downsamples
    as :func:`fitwatch.smoothing.downsample` does)."""
    single = len(runs) == 1
    others = [s for _, s, _ in panel.curves if s not in style.SPLIT_COLORS]
    train_only = all(s == "train" for _, s, _ in panel.curves)  # a learning rate...: named by itself
    data, shapes, curves = [], [], []
    longest = max((len(r.curves) for r in runs), default=0)
    for r, split, key in panel.curves:
        x, y = _points(r, key)
        shown_x, shown_y = downsample(x, y, MAX_CHART_POINTS // 2)
        curves.append({"trace": len(data)} if shown_y.size == y.size else
                      {"trace": len(data), "x": x.tolist(), "y": y.tolist()})
        color = style.split_color(split, others) if single else style.run_color(r.index)
        name = panel.metric if train_only else _SPLIT_NAMES.get(split, split)
        data.append({
            "type": "scatter", "mode": "lines+markers" if longest <= MARKERS_UP_TO else "lines",
            "x": shown_x.tolist(), "y": shown_y.tolist(), "name": _e(name if single else f"{r.label} · {name}"),
            "line": {"color": color, "width": 2, "dash": "solid" if single else style.split_dash(split)},
            "marker": {"size": 4, "color": color}, "hovertemplate": "%{y:.4g}",
            # a group per curve: its faint raw copy, when smoothed, hides and shows with it
            "legendgroup": f"curve-{len(data)}" if single else f"run-{r.index}",
        })
    for r in runs:
        data += _best_marker(r, panel, single)
        shapes += _marks(r, panel, single)
    log_axis = _log_axis([t["y"] for t in data])
    log = panel.metric == "loss" and _spans_decades([t["y"] for t in data])
    axis = {"showgrid": True, "gridcolor": "#eceff3", "zeroline": False, "showline": True, "linecolor": "#b7bec7",
            "ticks": "outside", "tickcolor": "#b7bec7", "automargin": True}
    layout = {
        "height": 380, "margin": {"l": 56, "r": 16, "t": 12, "b": 40},
        "font": {"family": _FONT, "size": 12, "color": "#1f2328"},
        "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff",
        "hovermode": "x unified", "hoverlabel": {"font": {"family": _FONT, "size": 12}},
        "xaxis": {**axis, "title": {"text": "epoch"}, "unifiedhovertitle": {"text": "epoch %{x}"},
                  **({"dtick": 1} if _epoch_span(runs) <= 12 else {})},  # no half epochs on short runs
        "yaxis": {**axis, "title": {"text": _e(panel.metric)}, **(log_axis if log else {"type": "linear"})},
        "legend": ({"orientation": "h", "x": 0, "xanchor": "left", "y": -0.22, "yanchor": "top"} if single else
                   {"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top",
                    "tracegroupgap": 8}),
        "shapes": shapes,
    }
    return {"id": panel.id, "data": data, "layout": layout, "scale": "log" if log else "linear",
            "log_axis": log_axis, "curves": curves}


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


def _best_marker(r: ReportRun, panel: _Panel, single: bool) -> list[dict]:
    best = _best(r)
    if best is None or split_key(best[0])[1] != panel.metric:
        return []
    _, epoch, value = best
    color = style.ANNOTATION["best"] if single else style.run_color(r.index)
    return [{"type": "scatter", "mode": "markers", "x": [epoch], "y": [value],
             "name": _e(f"best epoch {epoch}" if single else f"{r.label} · best epoch {epoch}"),
             "legendgroup": "best" if single else f"run-{r.index}",
             "marker": {"symbol": "star", "size": 14, "color": color, "line": {"color": "#ffffff", "width": 1}},
             "hovertemplate": "%{y:.4g}"}]


def _vline(x, color: str, dash: str, name: str | None = None, group: str | None = None) -> dict:
    line = {"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
            "line": {"color": color, "width": 1.5, "dash": dash}, "layer": "below"}
    if name:
        line.update(showlegend=True, name=_e(name))
    if group:
        line["legendgroup"] = group
    return line


def _marks(r: ReportRun, panel: _Panel, single: bool) -> list[dict]:
    """Shapes, each with its legend entry: the best epoch (dotted, with the star), the overfitting
    onset (a shaded band), the early stop (dash-dot) and the first NaN or inf (dashed); with several
    runs only each run's stop."""
    if not any(pr is r for pr, _, _ in panel.curves):
        return []
    stop = r.curves.stop or {}
    stopped = stop.get("stopped_epoch") if stop.get("stopped") else None
    if not single:
        return [] if stopped is None else [_vline(stopped, style.run_color(r.index), "dashdot",
                                                  f"{r.label} · early stop {stopped}", f"run-{r.index}")]
    shapes = []
    d = r.diagnosis
    last = int(r.curves.epochs[-1]) if len(r.curves) else 0
    if d.best_epoch is not None:
        best = _best(r)
        has_star = best is not None and split_key(best[0])[1] == panel.metric
        shapes.append(_vline(d.best_epoch, style.ANNOTATION["best"], "dot",
                             None if has_star else f"best epoch {d.best_epoch}", "best"))
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


def _plotly_config(runs: list[ReportRun]) -> dict:
    return {"displaylogo": False, "responsive": True, "scrollZoom": False, "showLink": False,
            "showSendToCloud": False, "showEditInChartStudio": False, "typesetMath": False,
            "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
            "toImageButtonOptions": {"format": "png", "filename": safe_filename(runs[0].label), "scale": 2}}


# -- diagnosis, config, epochs --------------------------------------------------------------------
def _run_sections(r: ReportRun, single: bool) -> str:
    parts = [f'<section class="run" id="{r.anchor}">']
    if single:
        h = "<h2>{}</h2>"
    else:
        parts.append(f"<h2>{_e(r.label)} {_status_pill(_status(r))}{_verdict_badge(r.diagnosis.verdict)}</h2>")
        stop = _stop_text(r)
        if stop:
            parts.append(f'<p class="callout stop">{_e(stop)}</p>')
        h = '<h3 class="part">{}</h3>'
    parts += [h.format("Diagnosis"), _diagnosis_html(r), h.format("Config"), _config_html(r),
              h.format("Epochs"), _epochs_html(r), "</section>"]
    return "\n".join(parts)


def _diagnosis_html(r: ReportRun) -> str:
    d = r.diagnosis
    bits = []
    best = _best_text(r)
    if best:
        bits.append(f"best {best}")
    if d.onset_epoch is not None:
        bits.append(f"overfitting from epoch {d.onset_epoch}")
    bits.append(f"{d.epochs} epochs judged on {d.monitor}")
    out = [f'<p class="summary">{_verdict_badge(d.verdict)} <span class="muted">{_e(" · ".join(bits))}</span></p>']
    for f in d.findings:
        color = style.SEVERITY_COLORS.get(f.severity, "#555")
        epochs = f"epochs {f.epochs[0]}–{f.epochs[1]}" if f.epochs and f.epochs[0] != f.epochs[-1] else \
            f"epoch {f.epochs[0]}" if f.epochs else ""
        out.append(f'<article class="finding" style="--sev:{color}"><header><span class="sev">{_e(f.severity)}</span>'
                   f'<code class="code">{_e(f.code)}</code><span class="epochs">{_e(epochs)}</span></header>'
                   f'<p class="message">{_e(f.message)}</p>')
        cols = []
        if f.evidence:
            cols.append("<div><h4>Evidence</h4>" + _kv_table(f.evidence.items(), "evidence") + "</div>")
        if f.remedies:
            cols.append("<div><h4>What to do</h4><ol>" + "".join(f"<li>{_e(x)}</li>" for x in f.remedies)
                        + "</ol></div>")
        if cols:
            out.append(f'<div class="body{" one" if len(cols) == 1 else ""}">{"".join(cols)}</div>')
        out.append("</article>")
    if d.notes:
        out.append('<ul class="notes">' + "".join(f"<li>{_e(n)}</li>" for n in d.notes) + "</ul>")
    return "\n".join(out)


def _text(v, exact: bool = False) -> str:
    """A value as text: floats to 4 significant digits (``exact``: as Python writes them), lists and
    dicts as JSON, None as ``-``."""
    if v is None:
        return "-"
    if isinstance(v, float):
        return repr(v) if exact else fmt_number(v)
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(v, ensure_ascii=False, default=str, allow_nan=True)
    return str(v)


def _kv_table(items, cls: str = "kv", exact: bool = False) -> str:
    rows = []
    for k, v in items:
        text = _text(v, exact)
        cell = f"<pre>{_e(text)}</pre>" if "\n" in text else \
            f"<code>{_e(text)}</code>" if isinstance(v, (dict, list, tuple)) else _e(text)
        rows.append(f"<tr><th>{_e(k)}</th><td>{cell}</td></tr>")
    return f'<table class="{cls}"><tbody>{"".join(rows)}</tbody></table>'


def _config_html(r: ReportRun) -> str:
    data = r.data
    if data is None:
        return f'<p class="muted">{_e(r.curves.source or "This source")} holds curves only: no config.</p>'
    out = [_kv_table(data.config.items(), exact=True) if data.config else
           '<p class="muted">No config was recorded (fitwatch.Run(name, config={...}) records one).</p>']
    details = [("run id", f"#{data.id}"), ("host", data.host), ("pid", data.pid)]
    details += [(k, v) for k, v in (data.info or {}).items() if k not in _INFO_SHOWN]
    out.append("<details><summary>Run details</summary>" + _kv_table(details, exact=True) + "</details>")
    stop = (data.info or {}).get("early_stopping")
    if isinstance(stop, dict):
        out.append("<details><summary>Early stopping: settings and outcome</summary>"
                   + _kv_table(stop.items(), exact=True) + "</details>")
    if data.error:
        out.append(f"<details><summary>Error</summary><pre>{_e(data.error)}</pre></details>")
    return "\n".join(out)


def _epochs_html(r: ReportRun) -> str:
    c = r.curves
    if not len(c):
        return '<p class="muted">No epochs recorded yet.</p>'
    keys = list(c.series)
    present = {}
    if r.data is not None:
        present = {keras_key(s, m): mask for (s, m), mask in r.data.present.items()}
    marks = _row_marks(r)
    head = "".join(f"<th>{_e(k)}</th>" for k in keys)
    rows = []
    columns = [(c.series[k], present[k] if k in present else c.present(k)) for k in keys]
    best = r.diagnosis.best_epoch
    for i, epoch in enumerate(c.epochs.tolist()):
        cells = []
        for values, mask in columns:
            v = float(values[i])
            if mask is not None and not mask[i]:
                cells.append('<td class="absent">–</td>')
            elif not math.isfinite(v):
                cells.append(f'<td class="bad">{fmt_number(v)}</td>')
            else:
                cells.append(f"<td>{fmt_number(v)}</td>")
        cls = ' class="best"' if epoch == best else ""
        rows.append(f'<tr{cls}><td>{epoch}</td>{"".join(cells)}<td class="mark">{_e(marks.get(epoch, ""))}</td></tr>')
    return (f'<div class="table-scroll"><table class="epochs-table"><thead><tr><th>epoch</th>{head}'
            f'<th class="mark"></th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def _row_marks(r: ReportRun) -> dict[int, str]:
    """Epoch -> what happened there: best, overfitting onset, weights restored, early stop."""
    marks: dict[int, list[str]] = {}
    d, stop = r.diagnosis, r.curves.stop or {}
    if d.best_epoch is not None:
        marks.setdefault(d.best_epoch, []).append("best")
    if d.onset_epoch is not None:
        marks.setdefault(d.onset_epoch, []).append("overfitting onset")
    if stop.get("restored") and stop.get("restored_epoch") is not None:
        marks.setdefault(int(stop["restored_epoch"]), []).append("weights restored")
    if stop.get("stopped") and stop.get("stopped_epoch") is not None:
        marks.setdefault(int(stop["stopped_epoch"]), []).append("early stop")
    return {e: ", ".join(m) for e, m in marks.items()}


def _footer(runs: list[ReportRun], js: str) -> str:
    m = re.search(r"plotly\.js v([\w.+-]+)", js[:400])
    sources = ", ".join(r.curves.source or r.label for r in runs)
    return (f"<footer>Written by fitwatch {_e(__version__)} on {_e(fmt_time(time.time()))} from {_e(sources)}. "
            f"Self-contained: plotly.js{' ' + _e(m.group(1)) if m else ''} is embedded; "
            "this file makes no network request.</footer>")
