"""The frame of :mod:`fitwatch.show.plot`'s figures: the title and the legend above the panels, the
epoch axis's limits, the loss axis's scale (log or linear, and its labels), and the metadata the
image files are written with (no dates: two plots of one run are the same file)."""

from __future__ import annotations

import numpy as np

from fitwatch.show.style import LOG_SPAN

__all__ = ["header", "epoch_limits", "file_metadata", "is_loss", "log_scale", "log_axis"]


def header(fig, axes, title: str) -> None:
    """The title, then the legend in rows under it (as many entries a row as fit the width), above the panels."""
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    width_in, height_in = fig.get_size_inches()
    # an entry is about 0.065 in a character at 9 pt, plus its line sample and the spacing
    widths = [0.065 * len(lab) + 0.55 for lab in labels]
    ncol = max(1, len(widths))
    while ncol > 1 and _legend_width(widths, ncol) > width_in - 0.4:
        ncol -= 1
    rows = -(-len(handles) // ncol) if handles else 0
    top_in = 0.42 + 0.24 * rows + 0.06  # title, legend rows, a gap
    fig.get_layout_engine().set(rect=(0, 0, 1, 1 - top_in / height_in))
    fig.text(0.012, 1 - 0.1 / height_in, title, ha="left", va="top", fontsize=13, fontweight="bold", gid="title")
    if handles:
        fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(0.004, 1 - 0.4 / height_in), ncol=ncol,
                   handlelength=2.4, columnspacing=1.4, borderaxespad=0.0)


def _legend_width(widths: list[float], ncol: int) -> float:
    """A legend's width: matplotlib fills its columns top to bottom, the first ones one entry longer."""
    rows, longer = divmod(len(widths), ncol)
    total, i = 0.0, 0
    for j in range(ncol):
        n = rows + (j < longer)
        total += max(widths[i:i + n], default=0.0)
        i += n
    return total


def epoch_limits(ax, curves_list) -> None:
    """The x axis from the first to the last epoch, with a little room on the right."""
    spans = [(int(c.epochs[0]), int(c.epochs[-1])) for c in curves_list if len(c)]
    if spans:
        lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
        if hi > lo:
            ax.set_xlim(lo, hi + 0.02 * (hi - lo))


def file_metadata(suffix: str) -> dict:
    """What ``savefig`` writes into a ``.png``, ``.svg`` or ``.pdf``: fitwatch as the creator, no date."""
    # reproducible files: no creation date (two plots of one run are byte-identical where possible)
    if suffix == ".png":
        return {"Software": "fitwatch"}
    if suffix == ".svg":
        return {"Date": None, "Creator": "fitwatch"}
    return {"CreationDate": None, "Creator": "fitwatch"}


def is_loss(key: str) -> bool:
    """``loss``, ``val_loss``, and the loss of a split of any name (``holdout_loss``).

    Example:
        >>> is_loss("loss"), is_loss("holdout_loss"), is_loss("val_accuracy")
        (True, True, False)
    """
    return key == "loss" or key.endswith("_loss")


def log_scale(curves_list, log: bool | None) -> bool:
    """Whether the loss axis is logarithmic: ``log`` when given (True raises for a loss with values
    <= 0), else when the finite losses are all positive and span more than :data:`LOG_SPAN`."""
    values = [v[np.isfinite(v)] for c in curves_list for k, v in c.series.items() if is_loss(k)]
    values = np.concatenate(values) if values else np.empty(0)
    if log is False or values.size == 0:
        return False
    low = float(values.min())
    if low <= 0:
        if log:
            raise ValueError(f"fitwatch plot: the loss has values <= 0 (lowest {low:.4g}), which a log scale "
                             f"cannot show; use --linear (log=False)")
        return False
    return bool(log) or float(values.max()) / low > LOG_SPAN


def log_axis(ax, curves_list) -> None:
    """A log loss axis labelled in plain numbers: 0.05, 0.1, 0.2, 0.5, 1 over a few decades, 1e-05... beyond."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    values = np.concatenate([v[np.isfinite(v) & (v > 0)] for c in curves_list for k, v in c.series.items()
                             if is_loss(k)])
    decades = np.log10(values.max() / values.min())
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0) if decades <= 3 else (1.0,)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())

