"""The report's part for each run: its diagnosis (the verdict, then every finding with its severity,
epochs, evidence and remedies), what the probes saw inside the model (a watched run's per-layer
panels), its config and run details, and its per-epoch table with the best epoch highlighted."""

from __future__ import annotations

import json
import math

from fitwatch.core.names import keras_key
from fitwatch.show import style
from fitwatch.show.before import lr_figure, summary_lines
from fitwatch.show.layers import layer_figures
from fitwatch.show.report.markup import esc, status_pill, verdict_badge
from fitwatch.show.report.runs import ReportRun, best_text, run_status, stop_text
from fitwatch.show.tables import fmt_number

__all__ = ["run_section"]

#: info keys shown in their own place, not among the run's details
#: (early_stopping_state: the rule's saved state, for resuming; preflight, lr_find: "Before training")
_INFO_SHOWN = ("diagnosis", "early_stopping", "early_stopping_state", "preflight", "lr_find")


def run_section(r: ReportRun, single: bool) -> str:
    """A run's section: its diagnosis, config and epochs (under its name and badges when the report
    has several runs)."""
    parts = [f'<section class="run" id="{r.anchor}">']
    if single:
        h = "<h2>{}</h2>"
    else:
        parts.append(f"<h2>{esc(r.label)} {status_pill(run_status(r))}{verdict_badge(r.diagnosis and r.diagnosis.verdict)}</h2>")
        stop = stop_text(r)
        if stop:
            parts.append(f'<p class="callout stop">{esc(stop)}</p>')
        h = '<h3 class="part">{}</h3>'
    parts += [h.format("Diagnosis"), _diagnosis_html(r)]
    inside = layer_figures(r.curves.inside, f"layers-{r.index}")
    if inside:  # what run.watch's probes saw: drawn by the page's script from the figures' JSON
        parts += [h.format("Inside the model"),
                  '<p class="hint">Each square is a sampled training step of a layer (hover for its value).</p>',
                  '<div class="panels single">'
                  + "".join(f'<figure class="panel"><div class="plot" id="{esc(f["id"])}" '
                            f'style="height:{int(f["layout"]["height"])}px"></div></figure>' for f in inside)
                  + "</div>"]
    before = r.curves.before or {}
    if before:  # fitwatch.preflight's checks and lr_find's sweep
        lr = lr_figure(before.get("lr_find"), f"lrfind-{r.index}")
        parts += [h.format("Before training"),
                  "<ul class=\"before\">" + "".join(f"<li>{esc(t)}</li>" for t in summary_lines(before)) + "</ul>"]
        if lr is not None:
            parts.append(f'<div class="panels single"><figure class="panel"><div class="plot" id="{esc(lr["id"])}" '
                         f'style="height:{int(lr["layout"]["height"])}px"></div></figure></div>')
    parts += [h.format("Config"), _config_html(r), h.format("Epochs"), _epochs_html(r), "</section>"]
    return "\n".join(parts)


def _diagnosis_html(r: ReportRun) -> str:
    d = r.diagnosis
    if d is None:
        return ('<p class="summary">' + verdict_badge(None) + ' <span class="muted">No epoch recorded yet: '
                'the curves are judged once the run logs one.</span></p>')
    bits = []
    best = best_text(r)
    if best:
        bits.append(f"best {best}")
    if d.onset_epoch is not None:
        bits.append(f"overfitting from {d.unit} {d.onset_epoch}")
    bits.append(f"{d.epochs} {d.unit}s judged on {d.monitor}")
    out = [f'<p class="summary">{verdict_badge(d.verdict)} <span class="muted">{esc(" · ".join(bits))}</span></p>']
    for f in d.findings:
        color = style.SEVERITY_COLORS.get(f.severity, "#555")
        epochs = f"{d.unit}s {f.epochs[0]}–{f.epochs[1]}" if f.epochs and f.epochs[0] != f.epochs[-1] else \
            f"{d.unit} {f.epochs[0]}" if f.epochs else ""
        out.append(f'<article class="finding" style="--sev:{color}"><header><span class="sev">{esc(f.severity)}</span>'
                   f'<code class="code">{esc(f.code)}</code><span class="epochs">{esc(epochs)}</span></header>'
                   f'<p class="message">{esc(f.message)}</p>')
        cols = []
        if f.evidence:
            cols.append("<div><h4>Evidence</h4>" + _kv_table(f.evidence.items(), "evidence") + "</div>")
        if f.remedies:
            cols.append("<div><h4>What to do</h4><ol>" + "".join(f"<li>{esc(x)}</li>" for x in f.remedies)
                        + "</ol></div>")
        if cols:
            out.append(f'<div class="body{" one" if len(cols) == 1 else ""}">{"".join(cols)}</div>')
        out.append("</article>")
    if d.notes:
        out.append('<ul class="notes">' + "".join(f"<li>{esc(n)}</li>" for n in d.notes) + "</ul>")
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
        cell = f"<pre>{esc(text)}</pre>" if "\n" in text else \
            f"<code>{esc(text)}</code>" if isinstance(v, (dict, list, tuple)) else esc(text)
        rows.append(f"<tr><th>{esc(k)}</th><td>{cell}</td></tr>")
    return f'<table class="{cls}"><tbody>{"".join(rows)}</tbody></table>'


def _config_html(r: ReportRun) -> str:
    data = r.data
    if data is None:
        return f'<p class="muted">{esc(r.curves.source or "This source")} holds curves only: no config.</p>'
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
        out.append(f"<details><summary>Error</summary><pre>{esc(data.error)}</pre></details>")
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
    head = "".join(f"<th>{esc(k)}</th>" for k in keys)
    rows = []
    columns = [(c.series[k], present[k] if k in present else c.present(k)) for k in keys]
    best = r.diagnosis.best_epoch if r.diagnosis is not None else None
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
        rows.append(f'<tr{cls}><td>{epoch}</td>{"".join(cells)}<td class="mark">{esc(marks.get(epoch, ""))}</td></tr>')
    return (f'<div class="table-scroll"><table class="epochs-table"><thead><tr><th>epoch</th>{head}'
            f'<th class="mark"></th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def _row_marks(r: ReportRun) -> dict[int, str]:
    """Epoch -> what happened there: best, overfitting onset, weights restored, early stop."""
    marks: dict[int, list[str]] = {}
    d, stop = r.diagnosis, r.curves.stop or {}
    if d is None:
        return {}
    if d.best_epoch is not None:
        marks.setdefault(d.best_epoch, []).append("best")
    if d.onset_epoch is not None:
        marks.setdefault(d.onset_epoch, []).append("overfitting onset")
    if stop.get("restored") and stop.get("restored_epoch") is not None:
        marks.setdefault(int(stop["restored_epoch"]), []).append(  # a booster has no weights: it predicts with a round
            "best round kept" if d.unit == "round" else "weights restored")
    if stop.get("stopped") and stop.get("stopped_epoch") is not None:
        marks.setdefault(int(stop["stopped_epoch"]), []).append("early stop")
    return {e: ", ".join(m) for e, m in marks.items()}

