"""The store: where runs live (the abstract :class:`Store` and its contract in :mod:`~fitwatch.store.base`,
the SQLite backend in :mod:`~fitwatch.store.sqlite`, the PostgreSQL one in :mod:`~fitwatch.store.postgres`
(its driver, psycopg, imported when a PostgreSQL store is first opened), the journal that makes epochs survive a SIGKILL,
runs read back as :class:`RunData`, a run's status); it imports :mod:`fitwatch.core` only
(``RunData.plot``, a convenience, reaches :mod:`fitwatch.show.plot` when called: a declared exception).

Open a store with :func:`open_store` (a folder or a URL), or ``Store(dir)`` (the same).
This package imports every backend, which registers it for its URL scheme.

Example:
    >>> import tempfile
    >>> store = open_store(tempfile.mkdtemp())
    >>> store.runs(), isinstance(store, Store)
    ([], True)
"""

from fitwatch.store.base import (DB_NAME, DEFAULT_DIR, ENV_DIR, Store, StoreError, StoreWriteWarning, backend_for,
                                 resolve_path)
from fitwatch.store.postgres import PostgresStore
from fitwatch.store.rundata import RunData
from fitwatch.store.sqlite import APPLICATION_ID, SCHEMA_VERSION, SQLiteStore
from fitwatch.store.status import STATUSES, effective_status, hostname, pid_alive


def open_store(url_or_dir=None, *, create: bool = True) -> Store:
    """The store at ``url_or_dir``: a folder (str or path-like; default ``$FITWATCH_DIR``, else
    ``./fitwatch``) or ``sqlite:///absolute/path/to/folder`` is an :class:`SQLiteStore`;
    ``postgresql://user@host:port/database`` (or ``postgres://``) is a :class:`PostgresStore`.

    Args:
        url_or_dir: the folder, or a URL whose scheme names the backend.
        create: create the store when missing (False: :class:`StoreError` naming the place).

    Raises:
        StoreError: a URL no backend serves, a database server that cannot be reached (one line
            naming the URL without its password), or the place holds no usable fitwatch store.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> type(open_store(f"sqlite://{folder}")).__name__
        'SQLiteStore'
        >>> open_store("mysql://me:secret@db.example/runs")
        Traceback (most recent call last):
        ...
        fitwatch.store.base.StoreError: no fitwatch store backend for mysql:// URLs; give a folder path, a sqlite:///absolute/path/to/folder URL or a postgresql://user@host:port/database URL (backends: postgresql, sqlite)
    """
    return backend_for(url_or_dir)(url_or_dir, create=create)


__all__ = [
    "APPLICATION_ID", "DB_NAME", "DEFAULT_DIR", "ENV_DIR", "SCHEMA_VERSION", "STATUSES", "PostgresStore", "RunData", "SQLiteStore",
    "Store", "StoreError", "StoreWriteWarning", "backend_for", "effective_status", "hostname", "open_store", "pid_alive", "resolve_path",
]
