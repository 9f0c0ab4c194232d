"""The report's page: :func:`render_report` fills the template (``templates/report.html`` in this package)
with the header (a run's facts, or the runs compared), the curves section with its smoothing slider,
each run's section and the footer."""

from __future__ import annotations

import re
import time

from fitwatch._version import __version__
from fitwatch.show import style
from fitwatch.show.before import lr_figure
from fitwatch.show.layers import layer_figures
from fitwatch.show.report.charts import MAX_CHART_POINTS, Panel, chart_panels, panel_figure, plotly_config
from fitwatch.show.report.markup import esc, script_json, status_pill, verdict_badge
from fitwatch.show.report.runs import ReportRun, best_text, run_status, stop_text
from fitwatch.show.report.sections import run_section
from fitwatch.show.tables import duration_of, error_line, fmt_duration, fmt_time

__all__ = ["render_report", "SMOOTH_DEFAULT"]

#: the smoothing slider's weight when the page opens: the raw curves, as before the slider
SMOOTH_DEFAULT = 0.0
_TEMPLATE = "show/report/templates/report.html"


def render_report(runs: list[ReportRun], js: str, *, smooth: float = SMOOTH_DEFAULT) -> str:
    """The whole HTML page for ``runs`` with ``js`` (plotly.js) inline; the slider opens at ``smooth``."""
    from importlib.resources import files

    template = (files("fitwatch") / _TEMPLATE).read_text(encoding="utf-8")
    single = len(runs) == 1
    panels = chart_panels(runs)
    body = [_header(runs), _curves_section(panels, overlay=len(runs) > 1, smooth=smooth)]
    body += [run_section(r, single) for r in runs]
    body.append(_footer(runs, js))
    title = runs[0].label if single else f"{len({r.run for r in runs})} runs: " + ", ".join(r.label for r in runs)
    values = {
        "title": esc(f"{title} · fitwatch report"),
        "version": esc(__version__),
        "best_color": style.ANNOTATION["best"],
        "stop_color": style.ANNOTATION["stop"],
        "body": "\n".join(body),
        "figures": script_json({"panels": [panel_figure(p, runs) for p in panels], "config": plotly_config(runs),
                                "layers": [f for r in runs for f in _drawn_inside(r)],
                                "smooth": {"bins": MAX_CHART_POINTS // 2, "raw_alpha": style.ANNOTATION["raw_alpha"]}}),
        "plotly_js": js.replace("</script", "<\\/script"),
    }
    # one pass, so that nothing inserted (a run's text, plotly.js) is read as a placeholder
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], template)


def _drawn_inside(r: ReportRun) -> list[dict]:
    """A run's figures the page's script draws by id: the probes' panels, the range test's curve."""
    lr = lr_figure((r.curves.before or {}).get("lr_find"), f"lrfind-{r.index}")
    return [*layer_figures(r.curves.inside, f"layers-{r.index}"), *([lr] if lr else [])]


def _facts(r: ReportRun) -> list[tuple[str, str]]:
    facts = []
    data = r.data
    if data is not None:
        facts += [("started", fmt_time(data.started_at)),
                  ("ended", fmt_time(data.ended_at) if data.ended_at else "still running"
                   if run_status(r) == "running" else "-"),
                  ("duration", fmt_duration(duration_of(data, run_status(r))))]
    else:
        facts.append(("source", r.curves.source or "-"))
    facts.append((f"{r.curves.unit}s", str(len(r.curves))))
    best = best_text(r)
    if best:
        facts.append(("best", best))
    if r.diagnosis is not None and r.diagnosis.onset_epoch is not None:
        facts.append(("overfitting from", f"epoch {r.diagnosis.onset_epoch}"))
    return facts


def _verdict(r: ReportRun) -> str | None:
    return r.diagnosis.verdict if r.diagnosis is not None else None


def _header(runs: list[ReportRun]) -> str:
    if len(runs) > 1:
        return _header_many(runs)
    r = runs[0]
    out = ['<header class="top">', '<div class="eyebrow">fitwatch report</div>',
           f'<div class="title-row"><h1>{esc(r.label)}</h1>{status_pill(run_status(r))}'
           f'{verdict_badge(_verdict(r))}</div>',
           '<dl class="facts">']
    out += [f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in _facts(r)]
    out.append("</dl>")
    stop = stop_text(r)
    if stop:
        out.append(f'<p class="callout stop">{esc(stop)}</p>')
    err = error_line(r.data.error) if r.data is not None else None
    if err and r.data.status in ("failed", "stopped"):
        out.append(f'<p class="callout error"><b>Error:</b> {esc(err)}</p>')
    out.append("</header>")
    return "\n".join(out)


def _header_many(runs: list[ReportRun]) -> str:
    out = ['<header class="top">', '<div class="eyebrow">fitwatch report</div>',
           f"<h1>{_compared(runs)}</h1>", '<table class="runs-table"><thead><tr>'
           "<th>run</th><th>status</th><th>verdict</th><th>epochs</th><th>best</th><th>early stopping</th>"
           "</tr></thead><tbody>"]
    for i, r in enumerate(runs):
        stop = r.curves.stop or {}
        stopped = f"stopped at epoch {stop['stopped_epoch']}" if stop.get("stopped") else "-"
        if r.run_label != r.label and (i == 0 or runs[i - 1].run != r.run):  # a run judged head by head
            out.append(f'<tr class="run-heads"><td colspan="6"><span class="swatch" style="background:'
                       f'{style.run_color(r.run)}"></span>{esc(r.run_label)}: each head</td></tr>')
        name = f"&nbsp;&nbsp;{esc(r.label)}" if r.run_label != r.label else esc(r.label)
        out.append(f'<tr><td><span class="swatch" style="background:{style.run_color(r.run)}"></span>'
                   f'<a href="#{r.anchor}">{name}</a></td><td>{status_pill(run_status(r)) or "-"}</td>'
                   f"<td>{verdict_badge(_verdict(r))}</td><td>{len(r.curves)}</td>"
                   f"<td>{esc(best_text(r) or '-')}</td><td>{esc(stopped)}</td></tr>")
    out += ["</tbody></table>", "</header>"]
    return "\n".join(out)


def _compared(runs: list[ReportRun]) -> str:
    """``2 runs compared``: runs, not heads (a multi-head model's heads are judged each, one run)."""
    n = len({r.run for r in runs})
    return f"{n} runs compared" if n > 1 else f"{esc(runs[0].run_label)}: {len(runs)} heads judged"


def _curves_section(panels: list[Panel], overlay: bool, smooth: float = SMOOTH_DEFAULT) -> str:
    figures = "".join(f'<figure class="panel"><figcaption><span>{esc(p.title)}</span>'
                      + (f'<span class="scale" data-plot="{p.id}"><button type="button" data-scale="linear">linear'
                         '</button><button type="button" data-scale="log">log</button></span>' if p.metric == "loss" else "")
                      + f'</figcaption><div class="plot" id="{p.id}"></div></figure>' for p in panels)
    cls = "panels single" if len(panels) == 1 or overlay else "panels"  # overlays: full width, legend aside
    if not panels:  # runs with no epoch yet (their pre-flight checks only)
        return '<section id="curves"><h2>Curves</h2><p class="muted">No epoch recorded yet.</p></section>'
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


def _footer(runs: list[ReportRun], js: str) -> str:
    m = re.search(r"plotly\.js[^\n]*? v(\d[\w.+-]*)", js[:400])
    sources = ", ".join(r.curves.source or r.label for r in runs)
    return (f"<footer>Written by fitwatch {esc(__version__)} on {esc(fmt_time(time.time()))} from {esc(sources)}. "
            f"Self-contained: plotly.js{' ' + esc(m.group(1)) if m else ''} is embedded; "
            "this file makes no network request.</footer>")
