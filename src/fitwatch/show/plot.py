"""Static pictures of the curves, annotated with what the diagnosis found (matplotlib).

``fitwatch plot SOURCE... -o FILE`` and :func:`save_plot` write a PNG, SVG or PDF;
:func:`plot_curves`, ``Run.plot()``, ``RunData.plot()`` and ``Diagnosis.plot()`` return a
``matplotlib.figure.Figure`` for notebooks. Figures are built without pyplot: nothing needs a
display, no pyplot state of the caller's is touched, and nothing is shown.

What is drawn:

* panel 1: the loss of every split (training blue, validation orange: :mod:`fitwatch.style`);
  a model without a total loss gets a panel per head instead (``box_loss``, ``cls_loss``...: at most
  3, and the judged one), each head judged on its own and marked on its panel; last panel, when
  present: the judged metric when it is not a loss (``mAP``...), else accuracy, else the next
  metric the source holds (``mae``...), learning rates excluded. The panels share the epoch axis.
* from the diagnosis: the best epoch (a marker on the monitored curve and a thin dotted line), the
  overfitting onset (a light red band from the onset to the end), the early-stop epoch (a dash-dot
  line), the epoch whose weights were restored when it is not the best one, and the first NaN or
  infinite epoch of a diverged run (its finite part is drawn), on the panels whose curves hold it.
* a series the source holds at some epochs only (validation every few epochs: ``Curves.missing``)
  is drawn through its points, with a marker on each; an epoch without a value is neither a gap
  nor a NaN mark: only NaN and infinite *values* are marked.
* several sources overlaid: one colour per run, the split told by the line (validation solid,
  training dashed), legend ``name · val`` (on the first panel holding the run's curves: a multi-head
  run beside a plain one is named too); only each run's best epoch is marked.
* ``smooth=W``: TensorBoard's debiased exponential moving average
  (:func:`fitwatch.smoothing.ema`, on the full series) drawn solid and labelled ``(smoothed W)``,
  the raw curve faint behind it; the best-epoch marker stays on the raw value the diagnosis states.
* the loss axis is logarithmic when the loss's finite positive values span more than two decades
  (largest / smallest > 100) and none is zero or negative; ``log=True``/``False`` forces it.

The figure's frame (title, legend, epoch limits, the loss axis's scale, the files' metadata) is
drawn by :mod:`fitwatch.show.plot_axes`.

Example:
    >>> import fitwatch
    >>> from fitwatch.plot import plot_curves
    >>> c = fitwatch.Curves.from_history({"loss": [1.0, 0.6, 0.4, 0.3, 0.25, 0.22, 0.2, 0.18, 0.16, 0.15],
    ...                                   "val_loss": [1.0, 0.7, 0.55, 0.5, 0.52, 0.56, 0.6, 0.65, 0.7, 0.75]},
    ...                                  name="doc")
    >>> fig = plot_curves(c)
    >>> [ax.get_title(loc="left") for ax in fig.axes]
    ['loss']
    >>> fig.texts[0].get_text()
    'doc: overfitting'
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from fitwatch.diagnosis.curves import Curves
from fitwatch.core.names import split_key
from fitwatch.show.plot_axes import epoch_limits, file_metadata, header, is_loss, log_axis, log_scale
from fitwatch.show.smoothing import ema
from fitwatch.show.style import ANNOTATION, LOG_SPAN, run_color, split_color, split_dash

__all__ = ["save_plot", "plot_sources", "plot_curves", "FORMATS", "LOG_SPAN"]

#: the image types :func:`save_plot` writes, by file suffix
FORMATS = (".png", ".svg", ".pdf")
#: not metrics worth a panel
_NOT_METRICS = {"lr", "learning_rate", "epoch", "step", "time", "epoch_time"}
_SPLIT_ORDER = {"train": 0, "val": 1, "test": 2}
_LABEL = {"train": "train", "val": "val", "test": "test"}
_DASHES = {"solid": "-", "dash": "--", "dot": ":"}
_DPI = 150
_STYLE = {  # applied while a figure is built (rc_context): the caller's settings stay as they are
    "font.size": 10, "axes.titlesize": 11, "axes.titleweight": "bold", "axes.labelsize": 10,
    "axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": "#888888",
    "axes.grid": True, "grid.color": "#e6e6e6", "grid.linewidth": 0.8, "axes.axisbelow": True,
    "xtick.color": "#444444", "ytick.color": "#444444", "legend.frameon": False, "legend.fontsize": 9,
    "lines.linewidth": 1.8, "figure.facecolor": "white",
}


def save_plot(sources, output, *, smooth: float = 0.0, log: bool | None = None, dir=None,
              monitor: str = "val_loss") -> str:
    """Draw the curves of ``sources`` into the image file ``output`` (PNG, SVG or PDF).

    Args:
        sources: a source or a list of them: run names (or ids) in the store, paths of any log
            file or folder ``fitwatch diagnose`` reads, or anything :func:`fitwatch.readers.read_curves`
            takes. A file holding several runs gives one curve set per run; several are overlaid.
        output: the file to write; its suffix picks the format (``.png``, ``.svg``, ``.pdf``).
            Its folder must exist.
        smooth: TensorBoard's smoothing weight in [0, 1) (0: none; 0.6 is TensorBoard's default).
        log: True or False forces a log or linear loss axis; None chooses (see :data:`LOG_SPAN`).
        dir: the store's folder, for run names.
        monitor: the curve the diagnosis judges (default ``val_loss``).

    Returns:
        The path written, as a string.

    Raises:
        ValueError: an unknown suffix, or ``log=True`` for a loss with values <= 0.
        FileNotFoundError: the output's folder does not exist.
        ReadError: a source holds no curves (no such run or file...).
        ImportError: matplotlib is not installed.

    Example:
        >>> import os, tempfile
        >>> out = os.path.join(tempfile.mkdtemp(), "curves.svg")
        >>> save_plot(([1.0, 0.5, 0.3], [1.1, 0.6, 0.5]), out) == out
        True
    """
    path = Path(os.fspath(output))
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: cannot write a {suffix or 'suffix-less'} image; "
                         f"name the output .png, .svg or .pdf")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"{path}: the folder {parent} does not exist; create it first (mkdir -p {parent})")
    fig = plot_sources(sources, dir=dir, monitor=monitor, smooth=smooth, log=log)
    fig.savefig(path, format=suffix[1:], dpi=_DPI, metadata=file_metadata(suffix))
    return str(path)


def plot_sources(sources, *, dir=None, monitor: str = "val_loss", smooth: float = 0.0, log: bool | None = None,
                 title: str | None = None):
    """Read ``sources``, diagnose each run and draw them: the Figure :func:`save_plot` saves.

    Args: as :func:`save_plot` (``title`` replaces the figure's title).

    Returns:
        A ``matplotlib.figure.Figure``.
    """
    from fitwatch.diagnosis.analyze import diagnose_each
    from fitwatch.diagnosis.readers import read_curves

    if not isinstance(sources, list) or (sources and all(isinstance(s, (int, float)) for s in sources)):
        sources = [sources]  # one source: a name, a path, (train, val) lists, a list of losses...
    curves = [c for src in sources for c in read_curves(src, dir=dir)]
    diagnoses = [diagnose_each(c, monitor=monitor) for c in curves]  # a multi-head run: one per head
    return plot_curves(curves, diagnoses, smooth=smooth, log=log, title=title)


def plot_curves(curves_list, diagnoses=None, *, smooth: float = 0.0, log: bool | None = None,
                title: str | None = None):
    """Draw one run's curves, or several overlaid, annotated with their diagnoses.

    Args:
        curves_list: a :class:`fitwatch.Curves` or a list of them (one per run).
        diagnoses: the matching :class:`fitwatch.Diagnosis` objects (one per curves, or a single
            one for a single run; a list of them for a run judged head by head, each marked on
            its head's panel); None diagnoses each (monitoring ``val_loss``); False draws no
            annotations.
        smooth: TensorBoard's smoothing weight in [0, 1); the raw curve stays, faint.
        log: force a log (True) or linear (False) loss axis; None: log when the loss spans more
            than two decades.
        title: the figure's title (default: the run's name and verdict).

    Returns:
        A ``matplotlib.figure.Figure`` (not attached to pyplot; ``fig.savefig(...)`` writes it).

    Raises:
        ValueError: a bad smoothing weight, mismatched diagnoses, or ``log=True`` for a loss with
            values <= 0.
        ImportError: matplotlib is not installed.

    Example:
        >>> import fitwatch
        >>> c = fitwatch.Curves.from_history({"loss": [0.9, 0.5, 0.4], "accuracy": [0.6, 0.8, 0.85],
        ...                                   "val_loss": [1.0, 0.7, 0.6], "val_accuracy": [0.5, 0.7, 0.75]})
        >>> fig = plot_curves(c, smooth=0.6)
        >>> [ax.get_title(loc="left") for ax in fig.axes], fig.axes[-1].get_xlabel()
        (['loss', 'accuracy'], 'epoch')
    """
    mpl, Figure = _matplotlib()
    if isinstance(curves_list, Curves):
        curves_list = [curves_list]
    curves_list = list(curves_list)
    if not curves_list:
        raise ValueError("fitwatch plot: no curves to draw; pass at least one run or log file")
    diagnoses = _diagnoses(curves_list, diagnoses)
    smooth = float(smooth or 0.0)
    ema([0.0, 1.0], smooth)  # a bad weight fails here, before any drawing
    overlay = len(curves_list) > 1
    watched = {_metric_of(k, c) for c, ds in zip(curves_list, diagnoses) for d in ds
               for k in [_monitor_key(c, d)] if k}
    losses = _loss_panels(curves_list, watched)
    second = _second_metric(curves_list, watched)
    log_y = log_scale(curves_list, log)

    with mpl.rc_context(_STYLE):
        names = losses + ([second] if second else [])
        fig = Figure(figsize=(9, 4.8 + 2.4 * (len(names) - 1)), layout="constrained")
        axes = list(fig.subplots(len(names), 1, sharex=True, squeeze=False,
                                 height_ratios=[3] * len(losses) + [2] * (second is not None))[:, 0])
        panels = list(zip(names, axes))
        for metric, ax in panels:
            ax.set_title(metric + (" (log scale)" if is_loss(metric) and log_y else ""), loc="left")
        units = {c.unit for c in curves_list}  # "evaluation": a Trainer's log evaluated in mid-epoch
        axes[-1].set_xlabel(units.pop() if len(units) == 1 else "epoch")
        from matplotlib.ticker import MaxNLocator

        axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
        if log_y:
            for ax in axes[:len(losses)]:
                log_axis(ax, curves_list)

        drawn = {}  # (run index, keras key) -> (x, y) as plotted (for markers)
        named = set()  # (run index, split) already in the legend: a run's first panel names it
        for i, c in enumerate(curves_list):
            splits = _splits(c)
            for metric, ax in panels:
                for split in splits:
                    key = _key(split, metric)
                    if key not in c.series:
                        continue
                    first = metric == names[0]
                    if overlay:
                        color, ls = run_color(i), _DASHES[split_dash(split)]
                        label = f"{_run_name(c, i)} · {_LABEL.get(split, split)}" if (i, split) not in named else None
                        named.add((i, split))
                    else:
                        color, ls = split_color(split, [s for s in splits if s not in _SPLIT_ORDER]), "-"
                        label = _LABEL.get(split, split) if first or not any(_key(split, m) in c.series
                                                                              for m in losses) else None
                    if label and smooth > 0:
                        label += f" (smoothed {smooth:g})"
                    drawn[i, key] = _draw(ax, c.epochs, c.series[key], color, ls, label, smooth,
                                          gid=f"curve-{i}-{key}", missing=c.missing.get(key))

        if any(diagnoses):
            if overlay:
                _annotate_overlay(curves_list, diagnoses, panels, drawn)
            else:
                _annotate(curves_list[0], diagnoses[0], panels, drawn)

        epoch_limits(axes[-1], curves_list)
        header(fig, axes, title if title is not None else _title(curves_list, diagnoses))
    return fig


# -- pieces ----------------------------------------------------------------------------------------
def _matplotlib():
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("fitwatch plot needs matplotlib: pip install 'fitwatch[plot]'") from None
    return matplotlib, Figure


def _diagnoses(curves_list, diagnoses):
    """One list of diagnoses per run (a run judged head by head has several)."""
    from fitwatch.diagnosis.findings import Diagnosis

    if diagnoses is False:
        return [[] for _ in curves_list]
    if diagnoses is None:
        from fitwatch.diagnosis.analyze import diagnose_each

        return [diagnose_each(c) for c in curves_list]
    if isinstance(diagnoses, Diagnosis):
        diagnoses = [diagnoses]
    diagnoses = list(diagnoses)
    if len(diagnoses) != len(curves_list):
        raise ValueError(f"fitwatch plot: {len(diagnoses)} diagnoses for {len(curves_list)} curves; "
                         f"pass one per curves, or None to diagnose them")
    return [list(d) if isinstance(d, (list, tuple)) else [d] for d in diagnoses]


def _key(split: str, metric: str) -> str:
    return metric if split == "train" else f"{split}_{metric}"


def _split_of(key: str, c: Curves) -> str:
    """The split of a Keras-style key; a split of another name is known by its ``<split>_loss`` key."""
    split = split_key(key)[0]
    if split == "train":  # holdout_loss, holdout_accuracy; not a head's box_loss beside its val_box_loss
        split = next((k[:-5] for k in c.series if k.endswith("_loss") and key.startswith(k[:-4])
                      and f"val_{k}" not in c.series), split)
    return split


def _metric_of(key: str, c: Curves) -> str:
    split = _split_of(key, c)
    return key if split == "train" else key[len(split) + 1:]


def _splits(c: Curves) -> list[str]:
    found = dict.fromkeys(_split_of(k, c) for k in c.series)
    return sorted(found, key=lambda s: (_SPLIT_ORDER.get(s, 3), list(found).index(s)))


def _metrics(curves_list, loss: bool) -> list[str]:
    """The metrics (splits removed) the runs hold with a finite value: the losses, or the others
    (learning rates excluded), in the order found."""
    found = []
    for c in curves_list:
        for k, v in c.series.items():
            metric = _metric_of(k, c)
            if (is_loss(metric) == loss and metric.lower() not in _NOT_METRICS and metric not in found
                    and np.isfinite(v).any()):
                found.append(metric)
    return found


def _loss_panels(curves_list, watched) -> list[str]:
    """The loss panels: ``loss`` (and a judged loss of another name beside it), else each head's loss
    (``box_loss``, ``cls_loss``...: at most 3, and any judged one)."""
    losses = _metrics(curves_list, loss=True)
    if "loss" in losses or not losses:
        return ["loss"] + [m for m in losses if m in watched and m != "loss"]
    return losses[:3] + [m for m in losses[3:] if m in watched]


def _second_metric(curves_list, watched=()) -> str | None:
    """The judged metric when it is not a loss (``mAP``...), else accuracy when any run has it, else
    the first other metric (learning rates excluded)."""
    metrics = _metrics(curves_list, loss=False)
    if not metrics:
        return None
    return next((m for m in metrics if m in watched), "accuracy" if "accuracy" in metrics else metrics[0])


def _draw(ax, epochs, values, color, ls, label, smooth, gid, missing=None):
    """The curve's finite points, joined across epochs without a value; smoothed over the raw one
    when asked. A sparse curve (``missing``: epochs where the source has no value) gets a marker on
    each point, so that what was measured is told from the line drawn between."""
    x = np.asarray(epochs)
    y = np.asarray(values, dtype=np.float64)
    style = {}
    if missing is not None and missing.any():
        x, y = x[~missing], y[~missing]
        style = {"marker": "o", "markersize": 3.5}
    ok = np.isfinite(y)
    if smooth > 0:  # the raw points are returned: a marker shows the value the diagnosis states
        s = ema(y, smooth)
        ax.plot(x[ok], y[ok], color=color, linestyle=ls, alpha=ANNOTATION["raw_alpha"], linewidth=1.2,
                gid=gid + "-raw", **style)
        ax.plot(x[ok], s[ok], color=color, linestyle=ls, label=label, gid=gid)
        return x[ok], y[ok]
    ax.plot(x[ok], y[ok], color=color, linestyle=ls, label=label, gid=gid, **style)
    return x[ok], y[ok]


def _monitor_key(c: Curves, d) -> str | None:
    m = getattr(d, "monitor", "val_loss") or "val_loss"
    if m in c.series:
        return m
    return "val_loss" if "val_loss" in c.series else "loss" if "loss" in c.series else None


def _panel_of(key: str, panels, c: Curves):
    metric = _metric_of(key, c)
    return next((ax for m, ax in panels if m == metric), None)


def _value_at(c: Curves, key: str, epoch: int) -> float | None:
    hit = np.flatnonzero(c.epochs == epoch)
    if key is None or not hit.size:
        return None
    v = float(c.series[key][hit[0]])
    return v if np.isfinite(v) else None


def _mark(ax, c, key, epoch, drawn_xy, **style):
    """A marker at ``epoch`` on the raw curve ``key`` as drawn; False when it has no value there."""
    if ax is None or epoch is None or _value_at(c, key, epoch) is None:
        return False
    x, y = drawn_xy
    hit = np.flatnonzero(np.asarray(x) == epoch)
    if not hit.size:  # not drawn (no panel for it)
        return False
    ax.plot([epoch], [float(y[hit[0]])], linestyle="none", zorder=5, **style)
    return True


def _vline(panels, x, label, gid=None, **style):
    for j, (_, ax) in enumerate(panels):
        ax.axvline(x, label=label if j == 0 else None, gid=f"{gid}-{j}" if gid else None, **style)


def _stop_epochs(c: Curves, d) -> tuple[int | None, int | None]:
    """(early-stop epoch, restored epoch) from the run's stop record, else the diagnosis' finding."""
    stop = c.stop or {}
    stopped = stop.get("stopped_epoch") if stop.get("stopped", stop.get("stopped_epoch") is not None) else None
    restored = stop.get("restored_epoch") if stop.get("restored") else None
    if stopped is None and d is not None:
        for f in d.findings:
            if f.code == "stopped_early" and f.evidence.get("stopped_epoch") is not None:
                stopped = f.evidence["stopped_epoch"]
                if f.evidence.get("restored"):
                    restored = f.evidence.get("best_epoch")
    return (None if stopped is None else int(stopped)), (None if restored is None else int(restored))


def _first_nonfinite(c: Curves, d) -> tuple[int, str] | None:
    """The epoch of the first NaN or infinite loss *value* (the diagnosis' ``nan_detected``), and what
    it was; an epoch where a loss has no value (``Curves.missing``) is not one."""
    f = next((f for f in (d.findings if d is not None else []) if f.code == "nan_detected"), None)
    keys = [k for k in c.series if is_loss(k)]
    if f is None:
        return c.first_nonfinite(keys)
    epoch = int(f.epochs[0])
    hit = np.flatnonzero(c.epochs == epoch)
    vals = [c.series[k][hit[0]] for k in keys if hit.size and c.present(k)[hit[0]]]
    kind = "inf" if any(np.isinf(v) for v in vals) and not any(np.isnan(v) for v in vals) else "NaN"
    return epoch, kind


def _nonfinite_panels(c: Curves, epoch: int, panels):
    """The panels whose curves hold a NaN or infinite value at ``epoch`` (all of them when none does:
    the diagnosis found it in a curve without a panel)."""
    hit = np.flatnonzero(c.epochs == epoch)
    bad = {_metric_of(k, c) for k, v in c.series.items()
           if hit.size and c.present(k)[hit[0]] and not np.isfinite(v[hit[0]])}
    return [(m, a) for m, a in panels if m in bad] or panels


def _annotate(c: Curves, ds, panels, drawn) -> None:
    """Best epoch, overfitting onset, early stop, restored epoch, first NaN: one run. With a panel per
    head, each judged head's best epoch and onset go on that head's panel."""
    heads = len(ds) > 1
    several = sum(is_loss(m) for m, _ in panels) > 1  # a head's marks go on its own panel only
    green = ANNOTATION["best"]
    for n, d in enumerate(ds):
        key = _monitor_key(c, d)
        ax = _panel_of(key, panels, c) if key else None
        own = [(m, a) for m, a in panels if a is ax] if several and ax is not None else panels
        of = f" ({_metric_of(key, c)})" if heads and key else ""
        best = d.best_epoch
        stopped, restored = _stop_epochs(c, d)
        if best is not None:
            _vline(own, best, None, gid=f"best{n or ''}", color=green, linestyle=":", linewidth=1.2, zorder=1)
            label = f"best {d.unit} {best}{of}"
            if not _mark(ax, c, key, best, drawn.get((0, key), ([], [])), marker="o", markersize=8, color=green,
                         markeredgecolor="white", markeredgewidth=1.5, label=label):
                _vline(own[:1], best, label, color=green, linestyle=":", linewidth=1.2, zorder=1)
        if restored is not None and restored != best:
            _mark(ax, c, key, restored, drawn.get((0, key), ([], [])), marker="o", markersize=9,
                  markerfacecolor="none", markeredgecolor=green, markeredgewidth=1.8,
                  label=f"predicts with round {restored}" if d.unit == "round" else
                  f"weights restored from {d.unit} {restored}")
        if d.onset_epoch is not None and len(c):
            end = int(c.epochs[-1])
            for j, (_, a) in enumerate(own):
                a.axvspan(d.onset_epoch, max(end, d.onset_epoch), color=ANNOTATION["onset"],
                          alpha=ANNOTATION["onset_alpha"], linewidth=0, zorder=0, gid=f"onset{n or ''}-{j}",
                          label=f"overfitting from epoch {d.onset_epoch}{of}" if j == 0 else None)
        if n:
            continue  # the run's stop and first NaN: once
        if stopped is not None:
            _vline(panels, stopped, f"early stop at epoch {stopped}", color=ANNOTATION["stop"], linestyle="-.",
                   linewidth=1.3, zorder=1, gid="early-stop")
        bad = _first_nonfinite(c, d)
        if bad is not None:
            _vline(_nonfinite_panels(c, bad[0], panels), bad[0], f"{bad[1]} at epoch {bad[0]}", color=ANNOTATION["nonfinite"], linestyle="--",
                   linewidth=1.3, zorder=1, gid="nonfinite")


def _annotate_overlay(curves_list, diagnoses, panels, drawn) -> None:
    """Overlaid runs: each run's best epoch, a marker in its colour (one legend entry for all)."""
    marked = False
    for i, (c, ds) in enumerate(zip(curves_list, diagnoses)):
        for d in ds:
            key = _monitor_key(c, d)
            ax = _panel_of(key, panels, c) if key else None
            marked |= _mark(ax, c, key, d.best_epoch, drawn.get((i, key), ([], [])), marker="o", markersize=8,
                            color=run_color(i), markeredgecolor="white", markeredgewidth=1.5)
    if marked:
        from matplotlib.lines import Line2D

        panels[0][1].add_line(Line2D([], [], linestyle="none", marker="o", markersize=8, color="#666666",
                                     markeredgecolor="white", markeredgewidth=1.5, label="best epoch"))


def _run_name(c: Curves, i: int, limit: int = 40) -> str:
    name = c.name or (os.path.basename(c.source) if c.source else "") or f"run {i + 1}"
    return name if len(name) <= limit else name[:limit - 1] + "…"


def _title(curves_list, diagnoses) -> str:
    from fitwatch.diagnosis.findings import VERDICT_TEXT

    def one(i):
        name, ds = _run_name(curves_list[i], i), diagnoses[i]
        if len(ds) > 1:  # judged head by head
            return f"{name}: " + ", ".join(f"{d.monitor.removeprefix('val_')} {VERDICT_TEXT[d.verdict]}" for d in ds)
        return f"{name}: {VERDICT_TEXT[ds[0].verdict]}" if ds else name

    if len(curves_list) == 1:
        return one(0)
    if len(curves_list) <= 3:
        return "   vs   ".join(one(i) for i in range(len(curves_list)))
    return f"{len(curves_list)} runs"
