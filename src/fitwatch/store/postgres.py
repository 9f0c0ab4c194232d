"""The PostgreSQL backend: :class:`PostgresStore`, one store per database, written by many processes on
many hosts at once (the interface it implements, and its contract, is :class:`fitwatch.store.base.Store`).

Name it by URL: ``FITWATCH_DIR=postgresql://user@host:port/database`` (or ``postgres://``, or ``--dir
URL``, or ``fitwatch.Run(name, dir=URL)``). The tables live in the database's schema ``fitwatch``
(:mod:`~fitwatch.store.postgres_schema`), created by the first writer; run ids come from an identity
column, so concurrent writers never collide and need no file lock. The driver, psycopg 3, is imported
when a PostgreSQL store is first opened (``pip install 'fitwatch[postgres]'``).

Durability is SQLite's: an epoch's values go to this process's local journal (one ``write``: a SIGKILL
loses none) before :meth:`Run.epochs` moves on, and a background thread commits everything queued
about once a second in one transaction (epochs by ``executemany``, batch chunks and probes by
``COPY``): the training thread never waits for the network. The journal lives on the machine that
trains, in ``$FITWATCH_JOURNAL_DIR`` (default ``~/.local/state/fitwatch/journal``), one folder per store
(its ``store_id``); the next store opened on the same database on that host replays a killed
writer's journal.

A server that goes away mid-run stops nothing: the writer keeps what it could not write (epochs stay
in the journal as well), says so once (a :class:`~fitwatch.store.base.StoreWriteWarning` from the
run), tries again every second, and writes it all when the server is back. ``update_run`` is queued
behind it meanwhile; reads raise a one-line :class:`~fitwatch.store.base.StoreError`.

Example (needs a server; ``docs/postgres.md`` says how to start one)::

    >>> import fitwatch                                                     # doctest: +SKIP
    >>> with fitwatch.Run("mlp", dir="postgresql://me@db.example/runs") as run:  # doctest: +SKIP
    ...     run.log_epoch(loss=0.9, val_loss=1.0)
    >>> fitwatch.load("mlp", dir="postgresql://me@db.example/runs").history  # doctest: +SKIP
    {'loss': [0.9], 'val_loss': [1.0]}
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import uuid
from pathlib import Path

from fitwatch.store.base import ENV_DIR, Store, StoreError, encode_json, location
from fitwatch.store.chunks import encode_chunks
from fitwatch.store.journal import Journal, epoch_row, replay
from fitwatch.store.postgres_manage import ManageRuns
from fitwatch.store.postgres_read import ReadRuns
from fitwatch.store.postgres_schema import (SCHEMA, SCHEMA_LOCK, SCHEMA_VERSION, PgURL, ServerAway, connect,
                                            connection_lost, describe, driver, one_line)
from fitwatch.store.status import hostname
from fitwatch.store.writer import CHECKPOINT, FLUSH_WAIT_S, BackgroundWriter

ENV_JOURNAL = "FITWATCH_JOURNAL_DIR"
OFFLINE_WAIT_S = 1.0  # while the server is away, a flush waits this long for it (never the 30 s it would)


def journal_root() -> Path:
    """Where the journals of PostgreSQL stores live on this machine: ``$FITWATCH_JOURNAL_DIR``, else
    ``$XDG_STATE_HOME/fitwatch/journal``, else ``~/.local/state/fitwatch/journal``."""
    if os.environ.get(ENV_JOURNAL):
        return Path(os.environ[ENV_JOURNAL]).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or os.path.join("~", ".local", "state")
    return Path(state).expanduser() / "fitwatch" / "journal"


class PostgresStore(ReadRuns, ManageRuns, BackgroundWriter, Store, scheme="postgresql", aliases=("postgres",)):
    """A fitwatch store in a PostgreSQL database. ``Store(url)`` and :func:`fitwatch.store.open_store`
    return one for a ``postgresql://`` or ``postgres://`` URL.

    Args:
        dir: the database's URL, ``postgresql://user[:password]@host[:port]/database[?param=value]``
            (libpq's parameters; the password may also come from ``$PGPASSWORD`` or ``~/.pgpass``).
            Default: ``$FITWATCH_DIR``.
        create: create the store's tables when missing (the database itself must exist). Readers pass
            False and get a :class:`StoreError` when the database holds no store.

    Raises:
        StoreError: one line naming the URL without its password: the driver is missing, the server
            cannot be reached or refuses, the database holds no store (readers) or something else in
            the schema ``fitwatch``, or the store was written by a newer fitwatch.
    """

    def __init__(self, dir=None, *, create: bool = True):
        super().__init__()
        self._path = self.locate(dir)
        driver()  # a missing driver: one line naming the install, before anything else
        self._lock = threading.RLock()
        self._conn = None
        self._closed = False
        self._init_writer()
        self._parked: list = []  # what the writer could not write while the server was away
        self._offline: float | None = None  # when the server went away; None while it is there
        try:
            self._store_id = self._call(lambda: self._setup(create))
        except BaseException:
            if self._conn is not None:
                self._conn.close()
            raise
        self._journal = Journal(self.journal_dir)
        self._journal_users = 0
        self.recover()

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def locate(cls, dir=None) -> PgURL:
        """The URL ``dir`` (else ``$FITWATCH_DIR``) names, as a :class:`PgURL` (its text without the password)."""
        return PgURL.of(location(dir))

    @property
    def path(self) -> PgURL:
        """The store's URL (its text without the password; ``Store(store.path)`` opens it again)."""
        return self._path

    @property
    def journal_dir(self) -> Path:
        """This host's journals of this store: a folder of :func:`journal_root` named by its ``store_id``."""
        return journal_root() / self._store_id

    def _connection(self):
        if self._conn is None or self._conn.closed or self._conn.broken:
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            self._conn = connect(self.path)
        return self._conn

    def _call(self, fn):
        """``fn()`` with the connection locked; a connection the server dropped (a restart) is opened
        again and ``fn`` retried once. A database error is a one-line StoreError naming the URL
        (:class:`ServerAway` when the server is not there)."""
        psycopg = driver()
        with self._lock:
            for attempt in (0, 1):
                try:
                    return fn()
                except psycopg.Error as e:
                    if not connection_lost(e, self._conn):
                        raise StoreError(f"{self.path}: {one_line(e)}") from None
                    if attempt == 0 and self._conn is not None:
                        self._conn.close()
                        self._conn = None
                        continue  # the server dropped this connection (a restart): once more, on a new one
                    raise ServerAway(f"{self.path}: {describe(e)}") from None

    def _setup(self, create: bool) -> str:
        c = self._connection()
        meta, tables = self._read_meta(c)
        if meta is None:
            if tables:
                raise StoreError(f"{self.path}: not a fitwatch store (its schema fitwatch holds the tables "
                                 f"{', '.join(sorted(tables)[:5])}); point --dir / {ENV_DIR} at another database")
            if not create:
                raise StoreError(f"{self.path}: no fitwatch store in this database; train with fitwatch first, "
                                 f"or point --dir / {ENV_DIR} at the database that holds one")
        version = int((meta or {}).get("schema_version") or 0)
        if version > SCHEMA_VERSION:
            from fitwatch._version import __version__

            raise StoreError(f"{self.path}: store schema version {version} was written by a newer fitwatch; "
                             f"fitwatch {__version__} reads up to version {SCHEMA_VERSION}: pip install -U fitwatch")
        if create and (meta is None or version < SCHEMA_VERSION or "store_id" not in meta):
            with c.transaction():  # one writer at a time creates or upgrades it: others wait, then see it
                c.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                c.execute(SCHEMA)
                c.execute("INSERT INTO fitwatch.meta VALUES ('schema_version', %s), ('created_by', 'fitwatch'), "
                          "('store_id', %s) ON CONFLICT (key) DO NOTHING", (str(SCHEMA_VERSION), str(uuid.uuid4())))
                c.execute("UPDATE fitwatch.meta SET value = %s WHERE key = 'schema_version' AND value::int < %s",
                          (str(SCHEMA_VERSION), SCHEMA_VERSION))
            meta, _ = self._read_meta(c)
        return meta["store_id"]

    @staticmethod
    def _read_meta(c) -> tuple[dict | None, list[str]]:
        """The store's ``meta`` rows (None when there is no store) and the tables of the schema ``fitwatch``."""
        tables = [r[0] for r in c.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'fitwatch'").fetchall()]
        if "meta" not in tables:
            return None, tables
        meta = dict(c.execute("SELECT key, value FROM fitwatch.meta").fetchall())
        return (meta if "schema_version" in meta else None), tables

    # -- writing ----------------------------------------------------------------------------
    def _write(self, fn, *args):
        """``fn(cursor, *args)`` in one transaction (retried once on a new connection; see :meth:`_call`)."""
        def transaction():
            c = self._connection()
            with c.transaction(), c.cursor() as cur:
                return fn(cur, *args)

        return self._call(transaction)

    def create_run(self, name: str, config: dict, info: dict, only_if_new: bool = False) -> int | None:
        """Insert a new run with status ``running``; returns its id (from the identity column). With
        ``only_if_new``, None when a run of that name exists: the check and the insert hold an advisory
        lock on the name, so of racing processes (on any host) exactly one creates it."""
        now = time.time()
        args = (name, encode_json(config), encode_json(info), now, now, os.getpid(), hostname())

        def fn(cur):
            if only_if_new:
                cur.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (SCHEMA_LOCK, name))
                if cur.execute("SELECT 1 FROM runs WHERE name = %s LIMIT 1", (name,)).fetchone():
                    return None
            return cur.execute(
                "INSERT INTO runs (name, status, config, info, started_at, updated_at, pid, host) "
                "VALUES (%s, 'running', %s, %s, %s, %s, %s, %s) RETURNING id", args).fetchone()[0]

        return self._write(fn)

    def claim_run(self, run_id: int, seen: dict) -> bool:
        """Make this process the run's writer if its record is still ``seen``: one UPDATE whose WHERE
        compares the record; a racing UPDATE waits for the row, then finds it changed (READ COMMITTED)."""
        def fn(cur):
            return cur.execute(
                "UPDATE runs SET status = 'running', ended_at = NULL, error = NULL, pid = %s, host = %s, "
                "updated_at = %s WHERE id = %s AND status IS NOT DISTINCT FROM %s::text "
                "AND pid IS NOT DISTINCT FROM %s::bigint AND host IS NOT DISTINCT FROM %s::text "
                "AND updated_at IS NOT DISTINCT FROM %s::float8",
                (os.getpid(), hostname(), time.time(), int(run_id), seen.get("status"), seen.get("pid"),
                 seen.get("host"), seen.get("updated_at"))).rowcount

        return self._write(fn) == 1

    def update_run(self, run_id: int, **fields) -> None:
        """Update columns of a run (``status``, ``config``, ``info``, ``error``, ``ended_at``...).
        Committed before returning, except while the server is away: then queued behind what waits
        for it (in order), written when it is back."""
        fields["updated_at"] = time.time()
        for k in ("config", "info"):
            if k in fields:
                fields[k] = encode_json(fields[k])
        item = ("run", int(run_id), fields)
        if self._offline is None and not self._parked:
            try:
                self._write(self._insert, [item])
                return
            except ServerAway as e:  # the server went away: wait for it with the rest
                self._went_away(e)
        self._enqueue(item)

    def write_epoch(self, run_id: int, epoch: int, values: dict[tuple[str, str], tuple[float, int | None]]) -> None:
        """Make one epoch's values durable before returning: appended to this process's journal (one
        ``write``), committed by the writer thread moments later (or when the server is back)."""
        now = time.time()
        rows = [(run_id, s, m, epoch, float(v), n, now) for (s, m), (v, n) in values.items()]
        if not self._journal.is_open:
            try:
                self.journal_dir.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(f"{self.journal_dir.parent}: cannot create the journal folder of {self.path} "
                                 f"({e.strerror}); point ${ENV_JOURNAL} at a folder this process may write") from None
        self._journal.append(rows)
        self._enqueue(("epochs", rows))

    def queue_steps(self, chunks: list[tuple], run_id: int) -> None:
        """Queue batch chunks ``(split, metric, epoch, steps, values, ns)`` for the writer thread."""
        if chunks:
            self._enqueue(("steps", run_id, chunks))

    def queue_probes(self, run_id: int, rows: list[tuple]) -> None:
        """Queue probe values ``(epoch, step, layer, stat, value)`` for the writer thread."""
        if rows:
            self._enqueue(("probes", run_id, rows))

    @staticmethod
    def _insert(cur, items: list) -> None:
        epochs = [r for item in items if item[0] == "epochs" for r in item[1]]
        if epochs:
            cur.executemany("INSERT INTO epochs VALUES (%s, %s, %s, %s, %s, %s, %s) "
                            "ON CONFLICT (run_id, epoch, split, metric) DO UPDATE SET value = EXCLUDED.value, "
                            "n = EXCLUDED.n, t = EXCLUDED.t", epochs)
        chunks = [r for item in items if item[0] == "steps" for r in encode_chunks(*item[1:])]
        if chunks:
            with cur.copy("COPY steps (run_id, split, metric, first_step, last_step, count, steps, epochs, vals, "
                          "ns) FROM STDIN") as copy:
                for r in chunks:
                    copy.write_row(r)
        probes = [(item[1], e, st, layer, stat, float(v)) for item in items if item[0] == "probes"
                  for e, st, layer, stat, v in item[2]]
        if probes:
            with cur.copy("COPY probes (run_id, epoch, step, layer, stat, value) FROM STDIN") as copy:
                for r in probes:
                    copy.write_row(r)
        for item in items:
            if item[0] == "run":
                fields = item[2]
                cur.execute(f"UPDATE runs SET {', '.join(f'{k} = %s' for k in fields)} WHERE id = %s",
                            (*fields.values(), item[1]))

    def _commit(self, batch: list) -> None:
        """The writer thread's transaction: what waited for the server first, then ``batch``. A server
        that is away keeps it all waiting (said once), for the next try a second later."""
        parked, self._parked = self._parked, []
        work = parked + [item for item in batch if item is not CHECKPOINT]
        if not work:
            return
        try:
            self._write(self._insert, work)
        except ServerAway as e:  # the server is away: keep everything for the next try
            self._parked = work
            with self._idle:
                self._pending += len(work) - len(parked)  # still to write: a flush waits for it
            self._went_away(e)
            return
        except Exception:
            BackgroundWriter._commit(self, work)  # item by item: one that cannot be written costs only itself
        if parked:
            with self._idle:
                self._pending -= len(parked)
                self._idle.notify_all()
        self._offline = None

    def _went_away(self, e: ServerAway) -> None:
        with self._idle:
            if self._offline is None:  # said once per outage: the run warns with it at its next epoch
                self._offline = time.time()
                self._failures.append(
                    f"{e} - the run goes on: its epochs are kept in the journal {self.journal_dir} and "
                    f"everything is written to the database when the server is back")
            self._idle.notify_all()  # a flush waiting for the writer waits a second only now

    def _checkpoint(self, mode: str = "PASSIVE") -> None:
        """Nothing to do: PostgreSQL checkpoints itself (the writer's interface asks for it)."""

    def flush(self, timeout: float | None = None) -> bool:
        """Commit everything queued now and wait for it; False on timeout, and within a second while
        the server is away (what waits for it is written when it is back)."""
        self._wake.set()
        with self._idle:
            self._idle.wait_for(lambda: self._pending == 0 or self._offline is not None, timeout)
            if self._pending and self._offline is not None:  # away: a second for it to come back
                grace = OFFLINE_WAIT_S if timeout is None else min(timeout, OFFLINE_WAIT_S)
                self._idle.wait_for(lambda: self._pending == 0, grace)
            return self._pending == 0

    def hold(self) -> None:
        """A run of this process starts writing through this store."""
        self._journal_users += 1

    def release(self) -> None:
        """A run finished: once none is left and everything is committed, drop this process's journal."""
        self._journal_users -= 1
        if self._journal_users <= 0 and self.flush(FLUSH_WAIT_S):
            if self._journal.is_open and not self._unwritten:  # else replayed once this process is gone
                self._journal.remove()

    def recover(self) -> int:
        """Replay the journals of this host's killed writers of this store; returns rows added
        (epoch values already in the database are kept)."""
        return replay(self.journal_dir, self._insert_missing, epoch_row)

    def _insert_missing(self, rows: list[tuple]) -> int:
        def fn(cur):
            cur.executemany("INSERT INTO epochs VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING", rows)
            return cur.rowcount

        return self._write(fn)

    def close(self) -> None:
        self.flush(FLUSH_WAIT_S)
        atexit.unregister(self._at_exit)
        with self._lock:
            self._closed = True
            if self._conn is not None:
                self._conn.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"
