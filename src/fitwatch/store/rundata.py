"""A run as read back from the store: its record and its curves as numpy arrays.

Example:
    >>> import tempfile, fitwatch
    >>> d = tempfile.mkdtemp()
    >>> with fitwatch.Run("read-back", dir=d, diagnose=False) as run:
    ...     for epoch in run.epochs(3):
    ...         run.log_epoch(loss=[1.0, 0.5, 0.3][epoch], val_loss=[1.2, 0.6, 0.4][epoch])
    >>> data = fitwatch.load("read-back", dir=d)
    >>> data.epochs.tolist(), data.history["val_loss"]
    ([0, 1, 2], [1.2, 0.6, 0.4])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from fitwatch.core.names import keras_key


@dataclass
class RunData:
    """One run read from a store.

    Attributes:
        id, name, status, config, info, error, started_at, ended_at, updated_at, pid, host:
            the run's record (``status`` is one of running, finished, failed, stopped).
        tags, note: the run's tags (sorted) and its note (None without one): ``fitwatch tag``, ``fitwatch note``.
        epochs: the epoch numbers that hold at least one value, ascending.
        metrics: ``{(split, metric): values}``, each array aligned with ``epochs`` (NaN where that
            epoch has no value for it).
        epoch_times: when each epoch was committed (Unix time).
        present: ``{(split, metric): mask}``, True where the epoch holds a value (a logged NaN too).
    """

    id: int
    name: str
    status: str
    config: dict
    info: dict
    error: str | None
    started_at: float
    ended_at: float | None
    updated_at: float | None
    pid: int | None
    host: str | None
    epochs: np.ndarray
    metrics: dict[tuple[str, str], np.ndarray]
    epoch_times: np.ndarray = field(default_factory=lambda: np.empty(0))
    present: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)
    tags: list[str] = field(default_factory=list)
    note: str | None = None
    _steps_reader: Callable[[], dict] | None = field(default=None, repr=False)
    _probes_reader: Callable[[], dict] | None = field(default=None, repr=False)
    _probes: dict | None = field(default=None, repr=False)  # read once, when first asked for

    @classmethod
    def from_rows(cls, run: dict, rows: list[dict], steps_reader=None, probes_reader=None) -> "RunData":
        epochs = np.array(sorted({r["epoch"] for r in rows}), dtype=np.int64)
        index = {e: i for i, e in enumerate(epochs.tolist())}
        metrics: dict[tuple[str, str], np.ndarray] = {}
        present: dict[tuple[str, str], np.ndarray] = {}
        times = np.full(len(epochs), np.nan)
        for r in rows:
            key = (r["split"], r["metric"])
            arr = metrics.get(key)
            if arr is None:
                arr = metrics[key] = np.full(len(epochs), np.nan)
                present[key] = np.zeros(len(epochs), dtype=bool)
            i = index[r["epoch"]]
            present[key][i] = True
            arr[i] = np.nan if r["value"] is None else r["value"]
            if r.get("t") is not None:
                times[i] = r["t"] if np.isnan(times[i]) else max(times[i], r["t"])
        fields = {k: run.get(k) for k in (
            "id", "name", "status", "config", "info", "error", "started_at", "ended_at", "updated_at", "pid", "host"
        )}
        fields.update(tags=list(run.get("tags") or []), note=run.get("note"))
        metrics = dict(sorted(metrics.items(), key=lambda kv: _order(kv[0])))
        if len(times) and not np.all(np.isnan(times)):  # epochs are committed without touching the run's row
            fields["updated_at"] = max(fields["updated_at"] or 0.0, float(np.nanmax(times)))
        return cls(**fields, epochs=epochs, metrics=metrics, epoch_times=times, present=present,
                   _steps_reader=steps_reader, _probes_reader=probes_reader)

    @property
    def history(self) -> dict[str, list[float]]:
        """Keras-style ``{"loss": [...], "val_loss": [...], ...}``, one value per epoch in ``epochs``
        (NaN where a curve has no value: validation every few epochs; :meth:`series` leaves those out,
        as ``Run.history`` and Keras's ``History`` do)."""
        return {keras_key(s, m): v.tolist() for (s, m), v in self.metrics.items()}

    def series(self, split: str, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """``(epochs, values)`` of one curve, only where it has a value (NaN values kept)."""
        arr = self.metrics.get((split, metric))
        if arr is None:
            raise KeyError(f"run {self.name!r} has no {keras_key(split, metric)!r}; it has {', '.join(self.history)}")
        # a NaN *value* is data; an epoch without any row for this metric is absent
        present = self.present.get((split, metric), np.ones(len(self.epochs), dtype=bool))
        return self.epochs[present], arr[present]

    @property
    def cut_short(self) -> bool:
        """The last epoch was cut short by an error or Ctrl-C (``info["partial_epoch"]``, set by
        ``Run.fail``): its values are means of part of its batches."""
        partial = (self.info or {}).get("partial_epoch")
        return partial is not None and len(self.epochs) > 0 and int(self.epochs[-1]) == partial

    @property
    def splits(self) -> list[str]:
        return list(dict.fromkeys(s for s, _ in self.metrics))

    def steps(self) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
        """Batch-level values: ``{(split, metric): (steps, values)}`` (global steps, per split)."""
        raw = self._steps_reader() if self._steps_reader else {}
        return {k: (v["step"], v["value"]) for k, v in raw.items()}

    def probes(self) -> dict[tuple[str, str], dict[str, np.ndarray]]:
        """What :meth:`fitwatch.Run.watch` recorded inside the model: ``{(layer, stat): {"step",
        "epoch", "value": arrays}}`` (``("0", "grad_norm")``, ``("input", "scale_max")``...); ``{}``
        for a run that was not watched. What the model is: ``info["probes"]``."""
        if self._probes is None:
            self._probes = self._probes_reader() if self._probes_reader else {}
        return self._probes

    def plot(self, **kw):
        """The run's curves, annotated with its diagnosis (best epoch, overfitting onset, early stop).

        Args:
            **kw: ``smooth=``, ``log=``, ``title=`` as in :func:`fitwatch.plot.plot_curves`, and
                ``monitor=`` (default ``val_loss``) for the diagnosis.

        Returns:
            A ``matplotlib.figure.Figure`` (needs matplotlib: ``pip install 'fitwatch[plot]'``).

        Example:
            >>> import tempfile, fitwatch
            >>> run = fitwatch.Run("plotted", dir=tempfile.mkdtemp(), diagnose=False)
            >>> for loss in (1.0, 0.5, 0.3):
            ...     run.log_epoch(loss=loss, val_loss=loss + 0.1)
            >>> run.finish()
            >>> fig = fitwatch.load("plotted", dir=run.store.path).plot()
            >>> [ax.get_title(loc="left") for ax in fig.axes], fig.axes[0].get_xlabel()
            (['loss'], 'epoch')
        """
        from fitwatch.show.plot import plot_sources

        return plot_sources(self, **kw)

    def to_pandas(self):
        """A ``pandas.DataFrame`` indexed by epoch (``epoch``), one column per Keras-style curve
        (``loss``, ``val_loss``...), NaN where an epoch has no value (needs pandas).

        Example:
            >>> data = RunData.from_rows({"id": 1, "name": "r"}, [{"epoch": 0, "split": "train", "metric": "loss",
            ...                          "value": 0.5}, {"epoch": 1, "split": "train", "metric": "loss", "value": 0.25}])
            >>> data.to_pandas()["loss"].tolist()
            [0.5, 0.25]
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("fitwatch: RunData.to_pandas() needs pandas: pip install pandas") from None
        return pd.DataFrame(self.history, index=pd.Index(self.epochs, name="epoch"), dtype="float64")

    def _repr_html_(self) -> str:  # Jupyter: status, verdict, a small plot, the table folded
        from fitwatch.show.notebook import run_html

        return run_html(self)


def _order(key: tuple[str, str]) -> tuple:
    split, metric = key
    split_rank = {"train": 0, "val": 1, "test": 2}.get(split, 3)
    metric_rank = 0 if metric == "loss" else 1
    return (metric_rank, metric, split_rank, split)
