"""One look for every picture fitwatch draws: the plot, the HTML report and the dashboard.

Training is blue and validation orange everywhere (matplotlib's and TensorBoard's first two
colours, what practitioners already read), test green; other splits take the next colours.
When several runs are overlaid, each run gets its own colour from :data:`RUN_COLORS` and the
split is told by the line: solid for validation, dashed for training.

Example:
    >>> split_color("train"), split_color("val")
    ('#1f77b4', '#ff7f0e')
    >>> run_color(0) == RUN_COLORS[0]
    True
"""

from __future__ import annotations

__all__ = ["SPLIT_COLORS", "RUN_COLORS", "ANNOTATION", "VERDICT_COLORS", "SEVERITY_COLORS", "STATUS_COLORS",
           "LOG_SPAN", "split_color", "run_color", "split_dash"]

#: the colour of each split's curves
SPLIT_COLORS = {"train": "#1f77b4", "val": "#ff7f0e", "test": "#2ca02c"}
#: further splits, in order of appearance
_MORE = ["#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
#: one colour a run when several are overlaid (a colour-blind-safe qualitative palette)
RUN_COLORS = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000"]
#: marks drawn on the curves
ANNOTATION = {
    "best": "#2ca02c",  # the best epoch: a green marker and dotted line
    "onset": "#d62728",  # the overfitting onset: a light red band from the onset on
    "onset_alpha": 0.08,
    "stop": "#555555",  # the early-stop epoch: a grey dash-dot line
    "raw_alpha": 0.25,  # the raw curve behind a smoothed one
    "nonfinite": "#8b0000",  # the first NaN or infinite value of a diverged run: a dark red dashed line
}
#: a loss axis is logarithmic when its values are all positive and the largest is more than this many
#: times the smallest (plot, report and dashboard alike)
LOG_SPAN = 100.0
#: verdict badges (dashboard and report)
VERDICT_COLORS = {
    "good_fit": "#2ca02c",
    "still_improving": "#1f77b4",
    "overfitting": "#ff7f0e",
    "underfitting": "#9467bd",
    "not_learning": "#7f7f7f",
    "unstable": "#d62728",
    "diverged": "#8b0000",
}
#: a finding's severity (report and dashboard)
SEVERITY_COLORS = {"info": "#5b6b7b", "warning": "#b36b00", "critical": "#c62828"}
#: a run's status (report and dashboard; ``killed``: recorded as running, its process gone)
STATUS_COLORS = {
    "running": "#1f77b4",
    "finished": "#2e7d32",
    "stopped": "#b36b00",
    "failed": "#c62828",
    "killed": "#8d6e63",
}


def split_color(split: str, others: list[str] | None = None) -> str:
    """The colour of a split: fixed for train/val/test, the next free one for other names."""
    if split in SPLIT_COLORS:
        return SPLIT_COLORS[split]
    others = others or []
    i = others.index(split) if split in others else len(others)
    return _MORE[i % len(_MORE)]


def split_dash(split: str) -> str:
    """Line style when runs are overlaid: validation solid, training dashed, others dotted."""
    return {"val": "solid", "train": "dash"}.get(split, "dot")


def run_color(i: int) -> str:
    """The colour of the ``i``-th overlaid run."""
    return RUN_COLORS[i % len(RUN_COLORS)]
