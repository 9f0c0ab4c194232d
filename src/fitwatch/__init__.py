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

Keras users add ``fitwatch.keras.Callback("name")`` to ``model.fit(..., callbacks=[...])``.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .analyze import diagnose, diagnose_curves
from .curves import Curves
from .diagnosis import Diagnosis, Finding
from .names import keras_key, split_key
from .record import NonFiniteValue
from .run import Run
from .rundata import RunData
from .stopping import EarlyStopping
from .store import Store, StoreError
from .thresholds import Thresholds

__all__ = [
    "Run",
    "RunData",
    "Store",
    "StoreError",
    "NonFiniteValue",
    "diagnose",
    "diagnose_curves",
    "Diagnosis",
    "Finding",
    "Curves",
    "Thresholds",
    "EarlyStopping",
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


def runs(dir=None) -> list[dict]:
    """Every run in the store with its summary (status, epochs, best validation loss and epoch)."""
    return Store.open(dir).runs()


def __getattr__(name: str):
    # framework integrations import their framework lazily: `fitwatch.keras` only on first use
    if name == "keras":
        import importlib

        return importlib.import_module(f"{__name__}.keras")  # `from . import keras` would recurse here
    raise AttributeError(f"module 'fitwatch' has no attribute {name!r}")
