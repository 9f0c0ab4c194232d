"""What ``Run.epochs`` shows while it runs: a live plot in a Jupyter notebook, the progress bar on a
terminal (:mod:`fitwatch.record.progress`), else nothing.

In a notebook (an IPython *kernel*: Jupyter, VS Code, Colab) the loop's cell gets one output that
is redrawn as epochs end: IPython's ``display(..., display_id=True)`` and ``handle.update(...)``,
which need no server, no widget extension and no JavaScript. It is redrawn after an epoch ends, at
most every :data:`EVERY_S` seconds (and at the loop's end), so that it never slows training: a view
of a few thousand epochs takes about a millisecond to draw. IPython is never imported here: a
process that has not imported it is not a notebook. The view's HTML is drawn by
:mod:`fitwatch.show.notebook`.

Example:
    >>> in_notebook()                                  # a doctest is not a notebook
    False
    >>> epoch_display("r", total=3, start=0, show=False) is None
    True
"""

from __future__ import annotations

import sys
import time
import warnings

__all__ = ["EVERY_S", "in_notebook", "epoch_display", "LivePlot"]

#: the live plot is redrawn at most this often (seconds); 0: after every epoch
EVERY_S = 0.5


def in_notebook() -> bool:
    """True in an IPython kernel (a notebook), False in a terminal IPython, a script, a test run."""
    ipython = sys.modules.get("IPython")  # never imported here: a notebook's kernel has imported it
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # an IPython too broken to ask
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def epoch_display(name: str, total: int, start: int, show: bool | None):
    """The started display of a ``Run.epochs`` loop (``update(epoch, logs)``, ``stop()``), or None.

    ``show`` is the run's ``progress``: False shows nothing; True or None shows the live plot in a
    notebook, else the terminal bar (None: only when standard error is a terminal).
    """
    wanted = bool(show) if show is not None else in_notebook() or sys.stderr.isatty()
    if not wanted:
        return None
    if in_notebook():
        display = LivePlot(name, total=total, start=start)
    else:
        from fitwatch.record.progress import EpochBar

        display = EpochBar(name, total=total, start=start)
    display.start()
    return display


class LivePlot:
    """The live view of a ``Run.epochs`` loop in a notebook cell (epoch n / total, the latest values,
    the losses so far): the same interface as :class:`fitwatch.record.progress.EpochBar`.

    Attributes:
        draws: how many times the view was drawn (the first one included).
    """

    def __init__(self, name: str, total: int, start: int = 0):
        self.name, self.total, self.first = name, total, start
        self.curves: dict[str, tuple[list, list]] = {}
        self.latest: dict[str, float] = {}
        self.done = start
        self.draws = 0
        self._handle = None
        self._t0 = time.monotonic()
        self._next = 0.0  # when it may be redrawn

    def start(self) -> None:
        from IPython.display import display  # in a notebook, IPython is already imported

        self._t0 = time.monotonic()
        try:
            self._handle = display(self._bundle(), raw=True, display_id=True)
        except Exception as e:  # a view must never stop training
            warnings.warn(f"fitwatch: no live plot: {type(e).__name__}: {e}", stacklevel=2)
            return
        self._drawn(self._t0)

    def update(self, epoch: int, logs: dict[str, float]) -> None:
        for key, value in logs.items():
            xs, ys = self.curves.setdefault(key, ([], []))
            xs.append(epoch)
            ys.append(value)
        self.latest, self.done = logs, epoch + 1
        if time.monotonic() >= self._next:
            self._draw()

    def stop(self) -> None:
        self._draw(ended=True)

    def _draw(self, ended: bool = False) -> None:
        if self._handle is None:
            return
        began = time.monotonic()
        try:
            self._handle.update(self._bundle(ended), raw=True)
        except Exception as e:  # a view must never stop training
            self._handle = None
            warnings.warn(f"fitwatch: the live plot stopped: {type(e).__name__}: {e}", stacklevel=2)
            return
        self._drawn(began)

    def _drawn(self, began: float) -> None:
        """Counted; the next draw waits EVERY_S, and at least 10 times what this one took (a view of a
        very long run is drawn less often: drawing stays under a tenth of the loop's time)."""
        now = time.monotonic()
        self.draws += 1
        self._next = now + (max(EVERY_S, 10 * (now - began)) if EVERY_S else 0.0)

    def _bundle(self, ended: bool = False) -> dict:
        from fitwatch.show.notebook import live_html, live_text

        elapsed = time.monotonic() - self._t0
        view = dict(done=self.done, total=self.total, elapsed=elapsed, latest=self.latest, ended=ended)
        return {"text/html": live_html(self.name, curves=self.curves, **view),
                "text/plain": live_text(self.name, **view)}
