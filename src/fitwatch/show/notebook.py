"""Jupyter views: the HTML that ``Run``, ``RunData`` and ``Diagnosis`` show in a notebook cell, and
the live plot that ``Run.epochs`` updates in a cell while it trains.

Static HTML with inline styles; the plot is an SVG image drawn here with numpy (no matplotlib) and
embedded as a ``data:`` URI. There is no JavaScript: a view looks the same in JupyterLab, Notebook,
VS Code, Colab, nbviewer and GitHub's notebook viewer, offline, and in a notebook saved and opened
later (an untrusted notebook runs no script, and JupyterLab's sanitizer drops inline ``<svg>`` but
keeps an ``<img>``). A cell's output is a few kB, not plotly.js's 1.2 MB (``fitwatch report`` and
``fitwatch serve`` are the interactive views). Every string a run brings (its name, config keys and
values, metric names, error, the diagnosis's texts) is escaped, in the HTML and in the SVG.

Example:
    >>> svg = curves_svg({"loss": ([0, 1, 2], [1.0, 0.5, 0.3]), "val_loss": ([0, 1, 2], [1.1, 0.7, 0.6])},
    ...                  best=2, raw=True)
    >>> svg.startswith("<svg") and svg.count("<polyline") == 2
    True
    >>> "&lt;b&gt;" in live_html("<b>", done=1, total=3, elapsed=0.2, curves={}, latest={"loss": 0.5})
    True
"""

from __future__ import annotations

import base64
import html
import math

import numpy as np

from fitwatch.core.names import keras_key, split_key
from fitwatch.show import style
from fitwatch.show.smoothing import downsample
from fitwatch.show.tables import best_index, duration_of, epoch_rows, error_line, fmt_duration, fmt_number, fmt_time
from fitwatch.store.status import effective_status

__all__ = ["run_html", "diagnosis_html", "live_html", "live_text", "curves_svg", "plot_keys"]

#: the plot's size in CSS pixels
PLOT_WIDTH, PLOT_HEIGHT = 420, 150
#: a longer curve is drawn from this many min/max buckets (what 420 pixels can show)
PLOT_BUCKETS = 300
#: the folded per-epoch table holds every epoch up to this many (else the first and last ones, and the best)
TABLE_ALL_UP_TO = 500
_FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif"
_BOX = f'<div class="fitwatch" style="font-family:{_FONT};font-size:13px;line-height:1.45;max-width:760px">'
_DIM = "opacity:0.65"
_CELL = "padding:1px 8px;text-align:right;border-bottom:1px solid rgba(128,128,128,0.25)"


def esc(s) -> str:
    """``s`` as HTML (or SVG) text: ``&``, ``<``, ``>`` and both quotes escaped."""
    return html.escape(str(s), quote=True)


def _pill(text: str, color: str, filled: bool = False, radius: str = "999px") -> str:
    look = f"background:{color};color:#fff;font-weight:600" if filled else f"border:1px solid {color};color:{color}"
    return (f'<span style="display:inline-block;padding:0 8px;border-radius:{radius};{look};font-size:12px">'
            f"{esc(text)}</span>")


def status_pill(status: str | None) -> str:
    """A run's status as an outlined pill in its colour (``style.STATUS_COLORS``)."""
    return _pill(f"\u25cf {status}", style.STATUS_COLORS.get(status, "#555")) if status else ""


def verdict_badge(verdict: str | None) -> str:
    """The verdict as a filled badge (``style.VERDICT_COLORS``, as the report and the dashboard show it)."""
    return _pill(verdict.replace("_", " "), style.VERDICT_COLORS.get(verdict, "#555"), filled=True) if verdict else ""


def _details(summary: str, body: str) -> str:
    return f'<details style="margin-top:4px"><summary style="cursor:pointer">{summary}</summary>{body}</details>'


# -- the plot -------------------------------------------------------------------------------------
def plot_keys(keys) -> list[str]:
    """The curves the small plot draws: ``loss`` and ``val_loss`` (every split's loss), else the first
    metric's curves."""
    keys = list(keys)
    losses = [k for k in keys if split_key(k)[1] == "loss"]
    if losses or not keys:
        return losses
    first = split_key(keys[0])[1]
    return [k for k in keys if split_key(k)[1] == first]


def _ticks(lo: float, hi: float, log: bool) -> list[float]:
    if log:
        return [10 ** v for v in np.linspace(math.log10(lo), math.log10(hi), 3)]
    return [lo, (lo + hi) / 2, hi] if hi > lo else [lo]


def _segments(x, y) -> list[list[tuple[float, float]]]:
    """Runs of finite points: a NaN or infinite value breaks the line."""
    runs, cur = [], []
    for xi, yi in zip(x, y):
        if math.isfinite(yi):
            cur.append((xi, yi))
        elif cur:
            runs.append(cur)
            cur = []
    return runs + ([cur] if cur else [])


# size: one function draws the whole SVG (axes, marks, curves, legend): split, it would pass a dozen values around
def curves_svg(curves: dict, *, best=None, onset=None, width: int = PLOT_WIDTH, height: int = PLOT_HEIGHT,
               raw: bool = False) -> str:
    """A small line plot of ``{keras_key: (epochs, values)}``: training blue, validation orange, the
    best epoch a green dotted line (and a dot on the validation loss), the overfitting onset a light
    red band, the first NaN or infinite value a dark red dashed line; a log axis when the values span
    more than ``style.LOG_SPAN``.

    Returns an ``<img>`` with the SVG as a ``data:`` URI (``raw=True``: the SVG text); "" when there is
    no point to draw.
    """
    xs = {k: np.asarray(x, dtype=np.float64) for k, (x, _) in curves.items()}
    ys = {k: np.asarray(y, dtype=np.float64) for k, (_, y) in curves.items()}
    allx = np.concatenate([v for v in xs.values()] or [np.empty(0)])
    ally = np.concatenate([v for v in ys.values()] or [np.empty(0)])
    finite = ally[np.isfinite(ally)]
    if not finite.size:
        return ""
    ylo, yhi = float(finite.min()), float(finite.max())
    log = ylo > 0 and yhi / ylo > style.LOG_SPAN
    if yhi == ylo:
        ylo, yhi = ylo - (abs(ylo) or 1) * 0.05, yhi + (abs(yhi) or 1) * 0.05
    xlo, xhi = float(allx.min()), float(allx.max())
    if xhi == xlo:
        xlo, xhi = xlo - 0.5, xhi + 0.5
    left, right, top, bottom = 46, 8, 14, 16
    pw, ph = width - left - right, height - top - bottom
    ty = (lambda v: np.log10(v)) if log else (lambda v: v)
    t_lo, t_hi = ty(ylo), ty(yhi)

    def px(x):
        return left + (x - xlo) / (xhi - xlo) * pw

    def py(y):
        return top + ph - (ty(y) - t_lo) / (t_hi - t_lo) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="Helvetica,Arial,sans-serif" font-size="10">',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#bbb" stroke-width="0.5"/>']
    if onset is not None and xlo <= onset <= xhi:
        out.append(f'<rect x="{px(onset):.1f}" y="{top}" width="{left + pw - px(onset):.1f}" height="{ph}" '
                   f'fill="{style.ANNOTATION["onset"]}" fill-opacity="{style.ANNOTATION["onset_alpha"]}"/>')
    for v in _ticks(ylo, yhi, log):
        out.append(f'<text x="{left - 4}" y="{py(v) + 3:.1f}" text-anchor="end" fill="#888">'
                   f'{esc(fmt_number(v, 3))}</text>')
    for v, anchor in ((xlo, "start"), (xhi, "end")):
        label = f"{v:.0f}" if float(v).is_integer() else ""
        out.append(f'<text x="{px(v):.1f}" y="{height - 3}" text-anchor="{anchor}" fill="#888">{label}</text>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 3}" text-anchor="middle" fill="#888">epoch</text>')
    bad = [float(x[~np.isfinite(y)][0]) for x, y in zip(xs.values(), ys.values()) if (~np.isfinite(y)).any()]
    if bad:
        out.append(f'<line x1="{px(min(bad)):.1f}" x2="{px(min(bad)):.1f}" y1="{top}" y2="{top + ph}" '
                   f'stroke="{style.ANNOTATION["nonfinite"]}" stroke-dasharray="4,3"/>')
    if best is not None and xlo <= best <= xhi:
        out.append(f'<line x1="{px(best):.1f}" x2="{px(best):.1f}" y1="{top}" y2="{top + ph}" '
                   f'stroke="{style.ANNOTATION["best"]}" stroke-dasharray="1,2"/>')
    others = [s for s in dict.fromkeys(split_key(k)[0] for k in curves) if s not in style.SPLIT_COLORS]
    legend_x = left + pw
    for key in reversed(list(curves)):
        color = style.split_color(split_key(key)[0], others)
        x, y = downsample(xs[key], ys[key], PLOT_BUCKETS)
        for seg in _segments(x, y):
            pts = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in seg)
            out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.5"/>'
                       if len(seg) > 1 else f'<circle cx="{pts.split(",")[0]}" cy="{pts.split(",")[1]}" r="2" '
                                            f'fill="{color}"/>')
        if best is not None and split_key(key) == ("val", "loss") and best in xs[key]:
            yb = ys[key][np.flatnonzero(xs[key] == best)[0]]
            if math.isfinite(yb):
                out.append(f'<circle cx="{px(best):.1f}" cy="{py(yb):.1f}" r="3" fill="{style.ANNOTATION["best"]}"/>')
        out.append(f'<text x="{legend_x:.1f}" y="{top - 3}" text-anchor="end" fill="{color}">{esc(key)}</text>')
        legend_x -= 7 * len(key) + 12
    out.append("</svg>")
    svg = "".join(out)
    if raw:
        return svg
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    alt = esc("plot of " + ", ".join(curves))
    return f'<img src="data:image/svg+xml;base64,{data}" width="{width}" height="{height}" alt="{alt}">'


# -- a run read back (RunData) --------------------------------------------------------------------
def _best(data, diag: dict | None) -> int | None:
    """The best epoch: the stored diagnosis's (noise-aware), else the lowest val_loss."""
    if diag and diag.get("best_epoch") is not None:
        return int(diag["best_epoch"])
    i = best_index(data)
    return None if i is None else int(data.epochs[i])


def _facts(data, best: int | None) -> list[str]:
    facts = [f"{len(data.epochs)} epoch{'s' if len(data.epochs) != 1 else ''}"]
    if best is not None:
        facts.append(f"best epoch <b>{best}</b>")
        val = data.metrics.get(("val", "loss"))
        if val is not None and best in data.epochs:
            facts[-1] += f" (val_loss {esc(fmt_number(val[int(np.flatnonzero(data.epochs == best)[0])]))})"
    last = {}
    for (s, m), v in data.metrics.items():
        present = data.present.get((s, m), np.ones(len(v), dtype=bool))
        if present.any():
            last[keras_key(s, m)] = v[present][-1]
    if last:
        facts.append("last " + ", ".join(f"{esc(k)} {esc(fmt_number(v))}" for k, v in list(last.items())[:4]))
    facts.append(f"started {esc(fmt_time(data.started_at))}")
    facts.append(f"took {esc(fmt_duration(duration_of(data)))}")
    return facts


def _epoch_table(data, best: int | None) -> str:
    cols = list(data.metrics)
    best_row = next(iter(np.flatnonzero(data.epochs == best)), None) if best is not None else None
    rows, _ = epoch_rows(len(data.epochs), show_all=len(data.epochs) <= TABLE_ALL_UP_TO, keep=best_row)
    head = "".join(f'<th style="{_CELL}">{esc(keras_key(*k))}</th>' for k in cols)
    out = [f'<table style="border-collapse:collapse;font-size:12px;margin-top:4px">'
           f'<tr><th style="{_CELL}">epoch</th>{head}</tr>']
    for i in rows:
        if i is None:
            out.append(f'<tr><td style="{_CELL}" colspan="{len(cols) + 1}">&hellip;</td></tr>')
            continue
        cells = []
        for k in cols:
            present = data.present.get(k)
            cells.append("-" if present is not None and not present[i] else esc(fmt_number(data.metrics[k][i])))
        mark = ' style="font-weight:bold;color:%s"' % style.ANNOTATION["best"] if i == best_row else ""
        out.append(f"<tr{mark}>" + "".join(f'<td style="{_CELL}">{c}</td>'
                                           for c in [str(int(data.epochs[i])), *cells]) + "</tr>")
    out.append("</table>")
    if len(rows) < len(data.epochs):
        out.append(f'<div style="{_DIM}">{len(rows) - rows.count(None)} of {len(data.epochs)} epochs shown; '
                   f"<code>.to_pandas()</code> has every one</div>")
    return "".join(out)


def _config_table(config: dict) -> str:
    rows = "".join(f'<tr><td style="{_CELL};text-align:left"><b>{esc(k)}</b></td>'
                   f'<td style="{_CELL};text-align:left">{esc(v)}</td></tr>' for k, v in config.items())
    return f'<table style="border-collapse:collapse;font-size:12px;margin-top:4px">{rows}</table>'


def run_html(data) -> str:
    """A :class:`fitwatch.RunData` in a notebook: name and id, the status pill, the verdict badge (when
    a diagnosis is stored with the run) and its primary finding, the epochs, best epoch, last values,
    start and duration, a small plot of the losses, then the config and the per-epoch table folded."""
    status = effective_status(data)
    diag = (data.info or {}).get("diagnosis")
    diag = diag if isinstance(diag, dict) else None
    best = _best(data, diag)
    out = [_BOX, f'<div><b style="font-size:14px">{esc(data.name)}</b> <span style="{_DIM}">#{esc(data.id)}</span> ',
           status_pill(status), " ", verdict_badge(diag and diag.get("verdict")), "</div>",
           f'<div style="{_DIM}">{" &middot; ".join(_facts(data, best))}</div>']
    tags, note = getattr(data, "tags", None), getattr(data, "note", None)
    if tags:
        out.append("<div>" + " ".join(_pill(t, "#5b6b7b", radius="4px") for t in tags) + "</div>")
    if note:
        out.append(f"<div><i>{esc(note)}</i></div>")
    if diag and diag.get("findings"):
        out.append(f"<div>{esc(diag['findings'][0].get('message', ''))}</div>")
    err = error_line(data.error)
    if err and data.status in ("failed", "stopped"):
        out.append(f'<div style="color:{style.STATUS_COLORS["failed"]}">{esc(err)}</div>')
    if data.cut_short:
        out.append(f'<div style="{_DIM}">the last epoch was cut short (the means of part of its batches)</div>')
    history = {keras_key(*k): data.series(*k) for k in data.metrics}
    onset = diag.get("onset_epoch") if diag else None
    out.append(curves_svg({k: history[k] for k in plot_keys(history)}, best=best, onset=onset))
    if data.config:
        out.append(_details(f"config ({len(data.config)})", _config_table(data.config)))
    if len(data.epochs):
        out.append(_details(f"per-epoch values ({len(data.epochs)} epochs, {len(data.metrics)} curves)",
                            _epoch_table(data, best)))
    out.append("</div>")
    return "".join(out)


# -- a diagnosis ----------------------------------------------------------------------------------
def _value_text(v) -> str:
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(map(_value_text, v)) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_value_text(x)}" for k, x in v.items()) + "}"
    return fmt_number(v) if isinstance(v, float) else str(v)


def _finding_html(f) -> str:
    when = f"epochs {f.epochs[0]}&ndash;{f.epochs[-1]}" if f.epochs else "before training"
    evidence = ", ".join(f"{k}={_value_text(v)}" for k, v in (f.evidence or {}).items())
    severity = _pill(f.severity, style.SEVERITY_COLORS.get(f.severity, "#555"), radius="4px")
    parts = [f'<li style="margin-bottom:6px">{severity} '
             f'<b>{esc(f.code)}</b> <span style="{_DIM}">{when}</span><br>{esc(f.message)}']
    if evidence:
        parts.append(f'<br><small style="{_DIM}">{esc(evidence)}</small>')
    items = [f"<li>{esc(r)}</li>" for r in f.remedies]
    if items:  # the best three, the others folded
        more = _details(f"{len(items) - 3} more", f'<ol start="4" style="margin:0">{"".join(items[3:])}</ol>')
        parts.append(f'<ol style="margin:2px 0">{"".join(items[:3])}</ol>' + (more if len(items) > 3 else ""))
    return "".join(parts) + "</li>"


def diagnosis_html(d, curves=None) -> str:
    """A :class:`fitwatch.Diagnosis` in a notebook: the name, the verdict badge, best epoch and onset,
    the verdict of each run (a source of several), a small plot of the curves it read (``curves``,
    its :class:`fitwatch.Curves`, when known), every finding (severity, code, epochs, message,
    evidence, remedies) and the notes."""
    facts = [f"{d.epochs} epochs"]
    if d.best_epoch is not None:
        facts.append(f"best epoch <b>{d.best_epoch}</b>")
    if d.onset_epoch is not None:
        facts.append(f"overfitting from epoch <b>{d.onset_epoch}</b>")
    facts.append(f"monitor {esc(d.monitor)}")
    out = [_BOX, f'<div><b style="font-size:14px">{esc(d.name or d.source)}</b> {verdict_badge(d.verdict)}</div>',
           f'<div style="{_DIM}">{" &middot; ".join(facts)}</div>']
    if len(d.runs) > 1:
        out.append("<div>" + " &middot; ".join(f"{esc(r.name or r.source)} {verdict_badge(r.verdict)}"
                                               for r in d.runs) + "</div>")
    if curves is not None:
        keys = plot_keys(curves.series)
        out.append(curves_svg({k: curves.values(k) for k in keys}, best=d.best_epoch, onset=d.onset_epoch))
    out.append('<ul style="padding-left:18px;margin:4px 0">' + "".join(_finding_html(f) for f in d.findings) + "</ul>")
    out += [f'<div style="{_DIM}">note: {esc(n)}</div>' for n in d.notes]
    out.append("</div>")
    return "".join(out)


# -- the live view of Run.epochs ------------------------------------------------------------------
def _latest(latest: dict) -> list[tuple[str, str]]:
    """The latest epoch's values to show, ``loss``, ``val_loss``, ``accuracy``, ``val_accuracy`` first."""
    first = [k for k in ("loss", "val_loss", "accuracy", "val_accuracy") if k in latest]
    return [(k, fmt_number(latest[k])) for k in (first + [k for k in latest if k not in first])[:6]]


def _live_best(curves: dict) -> int | None:
    if "val_loss" not in curves:
        return None
    x, y = (np.asarray(a, dtype=np.float64) for a in curves["val_loss"])
    finite = np.isfinite(y)
    return int(x[finite][np.argmin(y[finite])]) if finite.any() else None


def live_html(name: str, *, done: int, total: int, elapsed: float, curves: dict, latest: dict,
              ended: bool = False) -> str:
    """The live view of a ``Run.epochs`` loop: name, ``done / total`` epochs with a bar, elapsed and
    remaining time, the latest epoch's values and the plot of the losses so far (``curves``:
    ``{keras_key: (epochs, values)}``). ``ended``: the loop is over (its last view)."""
    frac = min(1.0, done / total) if total else 1.0
    left = ""
    if not ended and 0 < done < total:
        left = f" &middot; ~{esc(fmt_duration(elapsed / done * (total - done)))} left"
    color = style.STATUS_COLORS["finished" if ended else "running"]
    best = _live_best(curves)
    out = [_BOX, f'<div><b style="font-size:14px">{esc(name)}</b> <span style="{_DIM}">'
           f'epoch {done} / {total} &middot; {esc(fmt_duration(elapsed))}{left}'
           f"{' &middot; loop ended' if ended else ''}</span></div>",
           f'<div style="width:{PLOT_WIDTH}px;height:4px;background:rgba(128,128,128,0.2);margin:3px 0">'
           f'<div style="width:{frac * 100:.1f}%;height:4px;background:{color}"></div></div>',
           "<div>" + " &nbsp; ".join(f"{esc(k)} <b>{esc(v)}</b>" for k, v in _latest(latest)) +
           f"{f' &middot; best epoch <b>{best}</b>' if best is not None else ''}</div>"]
    out.append(curves_svg({k: curves[k] for k in plot_keys(curves)}, best=best))
    out.append("</div>")
    return "".join(out)


def live_text(name: str, *, done: int, total: int, elapsed: float, latest: dict, ended: bool = False) -> str:
    """The live view as plain text (for frontends that show no HTML)."""
    return (f"{name}: epoch {done}/{total}, {fmt_duration(elapsed)}{' (loop ended)' if ended else ''}  "
            + "  ".join(f"{k} {v}" for k, v in _latest(latest))).rstrip()
