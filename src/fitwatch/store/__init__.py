"""The store: where runs live (the abstract :class:`Store`, the SQLite backend, the journal, runs read
back as :class:`RunData`, a run's status); it imports :mod:`fitwatch.core` only (``RunData.plot``,
a convenience, reaches :mod:`fitwatch.show.plot` when called: a declared exception).

Example:
    >>> import tempfile
    >>> store = open_store(tempfile.mkdtemp())
    >>> store.runs()
    []
"""

from fitwatch.store.rundata import RunData
from fitwatch.store.sqlite import (
    APPLICATION_ID,
    DB_NAME,
    DEFAULT_DIR,
    ENV_DIR,
    SCHEMA_VERSION,
    Store,
    StoreError,
    resolve_path,
)
from fitwatch.store.status import STATUSES, effective_status, hostname, pid_alive


def open_store(url_or_dir=None, *, create: bool = True) -> Store:
    """The store at ``url_or_dir`` (a folder; default ``$FITWATCH_DIR``, else ``./fitwatch``)."""
    return Store(url_or_dir, create=create)


__all__ = [
    "APPLICATION_ID", "DB_NAME", "DEFAULT_DIR", "ENV_DIR", "SCHEMA_VERSION", "STATUSES", "RunData", "Store",
    "StoreError", "effective_status", "hostname", "open_store", "pid_alive", "resolve_path",
]
