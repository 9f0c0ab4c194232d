"""fitwatch: watch a neural network's fit while it trains.

Record training and validation loss and metrics from any training loop, store them in an embedded
database that survives a crash, and read them back from Python or the ``fitwatch`` command line.

Example:
    >>> import tempfile, fitwatch
    >>> with fitwatch.Run("mnist-mlp", config={"lr": 1e-3}, dir=tempfile.mkdtemp()) as run:
    ...     for epoch in run.epochs(3):
    ...         run.log("train", loss=[0.5, 0.25, 0.15][epoch], n=32)
    ...         run.log("val", loss=[0.6, 0.3, 0.2][epoch], n=32)
    >>> fitwatch.load("mnist-mlp", dir=run.store.path).history["val_loss"]
    [0.6, 0.3, 0.2]

Keras users add ``fitwatch.keras.Callback("name")`` to ``model.fit(..., callbacks=[...])``; Lightning users
pass ``logger=fitwatch.lightning.Logger("name")`` to the ``Trainer``; Hugging Face users add
``fitwatch.transformers.Callback("name")`` to the ``Trainer``'s callbacks.
"""

from __future__ import annotations

from fitwatch import _aliases
from fitwatch._version import __version__
from fitwatch.core.names import keras_key, split_key
from fitwatch.diagnosis import Curves, Diagnosis, Finding, Thresholds, diagnose, diagnose_curves
from fitwatch.preflight import LRSweep, Preflight, lr_find, preflight
from fitwatch.record import NonFiniteValue, Run
from fitwatch.stopping import EarlyStopping
from fitwatch.store import RunData, Store, StoreError, StoreWriteWarning

_aliases.install()  # fitwatch.report, fitwatch.readers... : the modules' paths before the layer packages

__all__ = [
    "Run",
    "RunData",
    "Store",
    "StoreError",
    "StoreWriteWarning",
    "NonFiniteValue",
    "diagnose",
    "diagnose_curves",
    "Diagnosis",
    "Finding",
    "Curves",
    "Thresholds",
    "EarlyStopping",
    "preflight",
    "Preflight",
    "lr_find",
    "LRSweep",
    "load",
    "runs",
    "keras_key",
    "split_key",
    "__version__",
]


def load(run: str | int, dir=None) -> RunData:
    """Read a run back from the store: ``fitwatch.load("digits-mlp").history["val_loss"]``.

    Args:
        run: the run's name (the latest run of that name) or its id.
        dir: the store's folder (default: ``$FITWATCH_DIR``, else ``./fitwatch``).

    Raises:
        KeyError: no such run (the message lists the latest ones).
        StoreError: no store there, or not a fitwatch store.
    """
    return Store.open(dir).load(run)


def runs(dir=None, tag: str | None = None) -> list[dict]:
    """Every run in the store with its summary (status, epochs, best validation loss and epoch), its
    ``tags`` (a sorted list) and ``note``; only the runs tagged ``tag`` when it is given.

    Example:
        >>> import tempfile, fitwatch
        >>> store = tempfile.mkdtemp()
        >>> with fitwatch.Run("base", dir=store, tags=["baseline"], diagnose=False) as run:
        ...     run.log_epoch(loss=1.0, val_loss=1.2)
        >>> [(r["name"], r["tags"], r["best_val_loss"]) for r in fitwatch.runs(store, tag="baseline")]
        [('base', ['baseline'], 1.2)]
    """
    return Store.open(dir).labelled_runs(tag)


def __getattr__(name: str):
    # framework integrations (``fitwatch.keras``) and the modules' former paths are imported on first use
    module = _aliases.moved(name)
    if module is None:
        raise AttributeError(f"module 'fitwatch' has no attribute {name!r}")
    return module
