"""Learning curves from any source, in one shape: what the diagnosis reads.

Every reader (a run in the store, a Keras ``History``, a CSV or JSON-lines log, a pandas
DataFrame, plain lists) produces :class:`Curves`: epoch numbers and Keras-style named series
(``loss``, ``val_loss``, ``accuracy``, ``val_accuracy``, ...), all numpy arrays of one length,
NaN where a value is missing or was NaN in the source.

Example:
    >>> c = Curves.from_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    >>> c.epochs.tolist(), c.loss.tolist(), c.val_loss.tolist()
    ([0, 1], [1.0, 0.5], [1.1, 0.7])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

#: how validation and training are spelled in the wild, as prefixes or suffixes of a metric name
_VAL_WORDS = ("val", "valid", "validation", "eval", "dev", "test")
_TRAIN_WORDS = ("train", "training", "tr")
#: metric spellings and the canonical name
_METRIC_ALIASES = {
    "acc": "accuracy",
    "accuracy": "accuracy",
    "categorical_accuracy": "accuracy",
    "sparse_categorical_accuracy": "accuracy",
    "binary_accuracy": "accuracy",
    "loss": "loss",
    "mae": "mae",
    "mean_absolute_error": "mae",
    "mse": "mse",
    "mean_squared_error": "mse",
}


def canonical_name(raw: str) -> str | None:
    """A column header as a Keras-style key, or None when it is not a metric of a split.

    ``Train Loss`` -> ``loss``; ``Val Loss``, ``valid_loss``, ``validation_loss``, ``test_loss``
    -> ``val_loss``; ``acc`` -> ``accuracy``; ``val_acc`` -> ``val_accuracy``;
    ``train_loss_epoch`` (PyTorch Lightning) -> ``loss``; ``lr`` -> ``lr``.
    """
    s = re.sub(r"[\s\-/.]+", "_", raw.strip().lower()).strip("_")
    if not s:
        return None
    s = re.sub(r"_epoch$", "", s)  # Lightning's epoch aggregate
    parts = s.split("_")
    split = "train"
    if parts[0] in _VAL_WORDS and len(parts) > 1:
        split, parts = "val", parts[1:]
    elif parts[0] in _TRAIN_WORDS and len(parts) > 1:
        parts = parts[1:]
    elif parts[-1] in _VAL_WORDS and len(parts) > 1:
        split, parts = "val", parts[:-1]
    elif parts[-1] in _TRAIN_WORDS and len(parts) > 1:
        parts = parts[:-1]
    metric = "_".join(parts)
    metric = _METRIC_ALIASES.get(metric, metric)
    return metric if split == "train" else f"val_{metric}"


@dataclass
class Curves:
    """One run's curves.

    Attributes:
        epochs: epoch numbers as in the source (its epoch column; else 0, 1, 2...).
        series: ``{"loss": array, "val_loss": array, ...}``, each aligned with ``epochs``.
        name: the run's name, when the source has one.
        source: where the curves came from (a path, ``run:NAME``, ``History``...).
        notes: what the reader had to guess or drop (shown with the diagnosis).
        stop: the early stopping that watched the run, when known: the run's
            ``info["early_stopping"]`` (``EarlyStopping.to_dict()`` with ``stopped``,
            ``restored``, ``restored_epoch``...); the diagnosis reports it.
    """

    epochs: np.ndarray
    series: dict[str, np.ndarray]
    name: str | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)
    stop: dict | None = None

    def __post_init__(self):
        self.epochs = np.asarray(self.epochs, dtype=np.int64)
        self.series = {k: np.asarray(v, dtype=np.float64) for k, v in self.series.items()}
        for k, v in self.series.items():
            if v.shape != self.epochs.shape:
                raise ValueError(f"curve {k!r} has {v.size} values for {self.epochs.size} epochs")

    @classmethod
    def from_history(cls, history, name: str | None = None, source: str = "history") -> "Curves":
        """From a Keras ``History``, its ``.history`` dict, or any ``{name: list}`` mapping."""
        h = getattr(history, "history", history)
        series = {}
        for key, values in h.items():
            canon = canonical_name(str(key))
            if canon is None:
                continue
            series.setdefault(canon, np.asarray([np.nan if v is None else v for v in values], dtype=np.float64))
        n = max((len(v) for v in series.values()), default=0)
        series = {k: np.concatenate([v, np.full(n - len(v), np.nan)]) for k, v in series.items()}
        epochs = np.arange(n)
        params = getattr(history, "epoch", None)
        if params is not None and len(params) == n:
            epochs = np.asarray(params)
        return cls(epochs=epochs, series=series, name=name, source=source)

    @classmethod
    def from_run(cls, data) -> "Curves":
        """From a run read back from the store (:class:`fitwatch.RunData`)."""
        from .names import keras_key

        series = {keras_key(s, m): v for (s, m), v in data.metrics.items()}
        stop = (data.info or {}).get("early_stopping")
        return cls(epochs=data.epochs, series=series, name=data.name, source=f"run:{data.name}",
                   stop=stop if isinstance(stop, dict) else None)

    def get(self, key: str) -> np.ndarray | None:
        return self.series.get(key)

    @property
    def loss(self) -> np.ndarray | None:
        return self.series.get("loss")

    @property
    def val_loss(self) -> np.ndarray | None:
        return self.series.get("val_loss")

    def __len__(self) -> int:
        return int(self.epochs.size)
