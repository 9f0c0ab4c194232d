"""Runs of a fitwatch store: a run recorded by fitwatch, by name or id, or every run of a store file.

The shape: the store's SQLite database (``fitwatch.db``, or any ``*.db``/``*.sqlite`` file a store
wrote) and its runs (:class:`~fitwatch.rundata.RunData`), each with its history of logged epochs;
the store knows which epochs hold a row (an epoch without a value is missing), and a run's own
early stopping comes with its curves. A run without a ``loss`` or ``val_loss`` cannot be read, but for
a run with no epoch yet whose pre-flight checks were stored (its curves are empty).

Example:
    >>> import tempfile, fitwatch
    >>> d = tempfile.mkdtemp()
    >>> with fitwatch.Run("baseline", dir=d, progress=False, diagnose=False) as run:
    ...     run.log_epoch(loss=0.9, val_loss=1.0)
    ...     run.log_epoch(loss=0.7, val_loss=0.8)
    >>> c = from_store("baseline", d)
    >>> c.loss.tolist(), c.val_loss.tolist()
    ([0.9, 0.7], [1.0, 0.8])
"""

from __future__ import annotations

from pathlib import Path

from fitwatch.diagnosis.curves import Curves, validated_losses
from fitwatch.diagnosis.readers.columns import ReadError, one_line
from fitwatch.store.rundata import RunData

DB_NAME = "fitwatch.db"


def from_rundata(data: RunData) -> Curves:
    """A run of the store as :class:`Curves`, with the run's early stopping, if any."""
    history = data.history
    before = any(k in (data.info or {}) for k in ("preflight", "lr_find"))  # shown before any epoch
    watched = ((data.info or {}).get("early_stopping") or {}).get("monitor")
    heads = len(validated_losses(history))  # two or more: monitored.judged_heads, each judged
    if not history and data.status == "running" and not before:  # (an attack: told to log what it had logged)
        raise ReadError(f"run {data.name!r}: no epoch has ended yet (the first is in progress); diagnose it once one has")
    if "loss" not in history and "val_loss" not in history and not (before and not history) \
            and watched not in history and heads < 2:  # a booster stopped on val_auc is judged on it
        found = ", ".join(history) or "no epochs yet"
        vals = [k for k in history if k.startswith("val_")]
        raise ReadError(f"run {data.name!r}: no loss or val_loss recorded (found: {found}); "
                        f"log_epoch(loss=..., val_loss=...) records them"
                        + (f", or pass monitor={vals[0]!r} (--monitor {vals[0]}) to judge another curve" if vals else ""))
    return Curves.from_run(data)  # with the run's early stopping, if any


def is_run(source) -> bool:
    """A :class:`fitwatch.Run` (known by its parts: a run's id, a store, and ``log_epoch``; the record layer is
    above this one)."""
    return isinstance(getattr(source, "id", None), int) and hasattr(source, "store") \
        and callable(getattr(source, "log_epoch", None))


def from_run_object(run) -> Curves:
    """A :class:`fitwatch.Run`'s ended epochs, read from its store: through the store it writes with in the process
    that opened it (what it wrote is flushed first), afresh in a forked child (the parent's writer thread is not
    the child's: an attack's child waited on it for ever). A DDP rank other than 0 holds no store."""
    import os

    store = run.store
    if not callable(getattr(store, "load", None)) or getattr(store, "path", None) is None:
        raise ReadError(f"run {getattr(run, 'name', run.id)!r}: this process holds no store of it (a DDP rank other "
                        f"than 0 writes nothing); diagnose it on rank 0, or by its name once the fit is done")
    if getattr(store, "_pid", os.getpid()) != os.getpid():
        try:
            return from_store(run.id, store.path)
        except ReadError as e:
            raise ReadError(f"{e.args[0]} (a process forked from the one that writes the run reads only what that "
                            f"one has committed: diagnose it there)") from None
    return from_rundata(store.load(run.id))


def from_store(ref, dir) -> Curves:
    """The run named (or numbered) ``ref`` in the store at ``dir``."""
    from fitwatch.store import Store, StoreError

    try:
        with Store.reading(dir) as store:
            data = store.load(ref)
            return from_rundata(data)  # its probes are read from the open store
    except StoreError as e:
        raise ReadError(f"{ref}: no such file or folder, and no fitwatch store to find a run of that name "
                        f"({one_line(e.args[0])})") from None
    except KeyError as e:
        raise ReadError(f"{ref}: no such file or folder, and {one_line(e.args[0])}") from None


def read_store_file(path: Path) -> list[Curves]:
    """Every run of the store file ``path`` that has a loss or a val_loss."""
    from fitwatch.store import Store, StoreError

    try:
        with Store.reading(path) as store:
            datas = [store.load(r["id"]) for r in store.runs()]
            out, skipped = [], []
            for d in datas:  # (their probes are read from the open store)
                try:
                    c = from_rundata(d)
                except ReadError as e:
                    skipped.append(str(e))
                    continue
                if len(c):
                    out.append(c)
                else:
                    skipped.append(f"run {d.name!r}: no epoch recorded yet")
    except StoreError as e:
        raise ReadError(one_line(e.args[0])) from None
    if not out:
        raise ReadError(f"{path}: a fitwatch store with no run that has a loss or val_loss "
                        f"({len(datas)} runs{': ' + skipped[0] if skipped else ''})")
    return out
