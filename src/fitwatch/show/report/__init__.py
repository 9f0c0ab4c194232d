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

plotly.js is the basic bundle fitwatch ships (:mod:`fitwatch.show.vendor`), as the dashboard serves
it: no plotly package is needed, and the report is about 1.3 MB.

This package writes the file (:func:`write_report`, :func:`plotly_js`); its modules hold the parts:
:mod:`~fitwatch.show.report.runs` the runs read from the sources (:func:`collect`),
:mod:`~fitwatch.show.report.charts` the plotly figures, :mod:`~fitwatch.show.report.page` and
:mod:`~fitwatch.show.report.sections` the HTML (the template is ``templates/report.html``),
:mod:`~fitwatch.show.report.markup` escaping, :mod:`~fitwatch.show.report.files` the file's name and
its writing (:func:`safe_filename`).

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

import os

from fitwatch.diagnosis.curves import Curves
# the constants the report is drawn with are read here too (fitwatch.report.MAX_CHART_POINTS), as before
from fitwatch.show.report.charts import MARKERS_UP_TO, MAX_CHART_POINTS  # noqa: F401
from fitwatch.show.report.files import output_path, safe_filename, write_file
from fitwatch.show.report.markup import script_json
from fitwatch.show.report.page import SMOOTH_DEFAULT, render_report
from fitwatch.show.report.runs import ReportRun, collect
from fitwatch.show.vendor import plotly_basic_js
from fitwatch.store.rundata import RunData

__all__ = ["write_report", "collect", "render_report", "plotly_js", "safe_filename", "script_json", "ReportRun"]


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
    js = plotly_js()
    runs = collect(sources, dir=dir, monitor=monitor)
    text = render_report(runs, js, smooth=smooth)
    path = output_path(output, runs[0].label)
    write_file(path, text)
    return str(path)


def plotly_js() -> str:
    """The text of plotly.js's basic bundle that fitwatch ships (:mod:`fitwatch.show.vendor`; never
    fetched): 1.2 MB in the report instead of the full bundle's 4.8 MB."""
    return plotly_basic_js()
