"""The SQLite backend: :class:`SQLiteStore`, one database per folder, safe for several writers and live
readers (the interface it implements, and its contract, is :class:`fitwatch.store.base.Store`).

Layout: ``<dir>/fitwatch.db`` where ``dir`` is the argument, else the environment variable
``FITWATCH_DIR``, else ``./fitwatch``. The database runs in WAL mode, so the command line and the
dashboard read while training processes write, and several processes write different runs at once.

Durability: an epoch's values are appended to the process's journal (``fitwatch.db.pending/``,
one ``write`` system call: :mod:`fitwatch.store.journal`) before :meth:`Run.epochs` moves on to the
next one, and committed to the database by a background thread moments later; the next store opened
on the folder replays the journal of a process that was killed. So a process killed with SIGKILL
keeps every completed epoch, and the training thread never waits for SQLite. Batch-level values are
stored in compact chunks (one row per split, metric and flush: little-endian int64 steps, epochs and
n, float64 values) by a background thread, about once a second and when the run finishes: never on
the training loop's hot path. A SIGKILL may lose the last second of batch values; never a completed
epoch.

Values are stored as they were logged; NaN (which SQLite cannot hold as a REAL) is stored as NULL
and read back as NaN.

Example:
    >>> import tempfile, fitwatch
    >>> with fitwatch.Run("example", dir=tempfile.mkdtemp()) as run:
    ...     run.log_epoch(loss=0.9, val_loss=1.0)
    >>> store = SQLiteStore(run.store.path)
    >>> [r["name"] for r in store.runs()]
    ['example']
    >>> store
    Store('...fitwatch.db')
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np

from fitwatch.store.base import (DB_NAME, ENV_DIR, INT64, Store, StoreError, decode_run, encode_json, group_probes,
                                 resolve_path, run_not_found)
from fitwatch.store.chunks import decode_chunks, encode_chunks
from fitwatch.store.journal import Journal, epoch_row, replay
from fitwatch.store.rundata import RunData
from fitwatch.store.writer import CHECKPOINT, FLUSH_WAIT_S, BackgroundWriter
from fitwatch.store.sqlite_schema import APPLICATION_ID, SCHEMA as _SCHEMA, SCHEMA_VERSION
from fitwatch.store.sqlite_manage import ManageRuns
from fitwatch.store.status import hostname


class SQLiteStore(ManageRuns, BackgroundWriter, Store, scheme="sqlite"):
    """A fitwatch store: the SQLite database holding runs, their epochs and their batches. ``Store(dir)``
    and :func:`fitwatch.store.open_store` return one for a folder or a ``sqlite:///`` URL.

    Args:
        dir: the store's folder (or the path of its ``.db`` file, or ``sqlite:///absolute/path``).
            Default: ``$FITWATCH_DIR``, else ``./fitwatch``.
        create: create the folder and database when missing. Readers pass False and get a
            :class:`StoreError` naming the path when there is nothing there.

    Raises:
        StoreError: the file is not a fitwatch database, or was written by a newer fitwatch.
    """

    def __init__(self, dir: str | os.PathLike | None = None, *, create: bool = True):
        super().__init__()
        self._path = resolve_path(dir)
        if not self.path.exists():
            if not create:
                raise StoreError(
                    f"{self.path}: no fitwatch store here; train with fitwatch first, "
                    f"or point --dir / {ENV_DIR} at the folder that holds {DB_NAME}"
                )
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif self.path.is_dir():
            raise StoreError(f"{self.path}: is a folder, not a fitwatch database file")
        else:
            self._check_header()
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=60.0, isolation_level=None, check_same_thread=False
            )
            for attempt in range(100):  # a store being created by another process at this moment
                try:
                    self._setup(create)
                    break
                except sqlite3.OperationalError as e:
                    if "locked" not in str(e) and "busy" not in str(e) or attempt == 99:
                        raise
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    time.sleep(0.05)
        except (sqlite3.DatabaseError, UnicodeDecodeError) as e:
            raise StoreError(f"{self.path}: not a fitwatch database, or a damaged one ({e}); restore it "
                             f"from a copy, or move it away to start a new store") from None
        self._lock = threading.RLock()
        self._init_writer()
        self._commits = 0
        self._ckpt_conn: sqlite3.Connection | None = None
        self._ckpt_lock = threading.Lock()
        self._closed = False
        self._journal = Journal(self.journal_dir)
        self._journal_users = 0  # unfinished runs of this process that write through this store
        self.recover()

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def locate(cls, dir=None) -> Path:
        """The database file ``dir`` names, absolute."""
        return resolve_path(dir).absolute()

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    def _check_header(self) -> None:
        try:
            with open(self.path, "rb") as f:
                head = f.read(100)
        except OSError as e:
            raise StoreError(f"{self.path}: cannot read the store ({e.strerror})") from None
        if not head:
            return  # an empty file: a new store
        if not head.startswith(b"SQLite format 3\x00"):
            raise StoreError(
                f"{self.path}: not a fitwatch database (not an SQLite file); "
                f"point --dir / {ENV_DIR} at a fitwatch store folder"
            )
        if len(head) == 100:
            page = int.from_bytes(head[16:18], "big")
            encoding = int.from_bytes(head[56:60], "big")
            if page not in _PAGE_SIZES or encoding not in (0, 1) or head[21:24] != b"\x40\x20\x20":
                raise StoreError(
                    f"{self.path}: the database header is damaged (page size {page}, text encoding {encoding}); "
                    f"restore the file from a copy, or move it away to start a new store"
                )

    def _setup(self, create: bool) -> None:
        c = self._conn
        c.execute("BEGIN")  # one snapshot: another process may be creating the schema right now
        try:
            app_id = c.execute("PRAGMA application_id").fetchone()[0]
            version = c.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            c.execute("COMMIT")
        if app_id != APPLICATION_ID:
            if not tables and not create:  # a reader never writes a schema into someone's empty file
                raise StoreError(
                    f"{self.path}: not a fitwatch database (an empty file); "
                    f"point --dir / {ENV_DIR} at a fitwatch store folder"
                )
            if tables:
                raise StoreError(
                    f"{self.path}: not a fitwatch database (an SQLite file with tables "
                    f"{', '.join(sorted(tables)[:5])}); point --dir / {ENV_DIR} at a fitwatch store folder"
                )
        elif version > SCHEMA_VERSION:
            from fitwatch._version import __version__

            raise StoreError(
                f"{self.path}: store schema version {version} was written by a newer fitwatch; "
                f"fitwatch {__version__} reads up to version {SCHEMA_VERSION}: pip install -U fitwatch"
            )
        c.execute("PRAGMA busy_timeout = 60000")
        for _ in range(50):  # switching to WAL needs a moment without other connections' locks
            if c.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() == "wal":
                break
            time.sleep(0.1)  # (a file system without shared memory never switches: it still works)
        c.execute("PRAGMA synchronous = NORMAL")
        c.execute("PRAGMA wal_autocheckpoint = 0")  # checkpoints run on the writer thread instead
        if app_id != APPLICATION_ID or (version < SCHEMA_VERSION and create):
            # (an older store is upgraded by a writer only: a reader leaves the file as it found it)
            # one script, one transaction: executescript() would commit any transaction opened before it
            c.executescript(
                "BEGIN IMMEDIATE;"
                + _SCHEMA
                + f"PRAGMA application_id = {APPLICATION_ID};"
                + f"PRAGMA user_version = {SCHEMA_VERSION};"
                + f"INSERT OR REPLACE INTO meta VALUES ('schema_version', '{SCHEMA_VERSION}'), ('created_by', 'fitwatch');"
                + "COMMIT;"
            )

    # -- writing ----------------------------------------------------------------------------
    def _write(self, fn, *args):
        # a deferred BEGIN: each transaction here writes before it reads, so it takes the write
        # lock at its first statement (waiting up to busy_timeout for another process's writer)
        with self._lock:
            c = self._conn
            c.execute("BEGIN")
            try:
                out = fn(c, *args)
                c.execute("COMMIT")
                self._commits += 1
                if not self._commits % _CHECKPOINT_EVERY:
                    self._enqueue(CHECKPOINT)
                return out
            except BaseException:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                raise

    def create_run(self, name: str, config: dict, info: dict, only_if_new: bool = False) -> int | None:
        """Insert a new run with status ``running``; returns its id (None with ``only_if_new`` when a
        run of that name exists: one statement, so of racing processes one creates it)."""
        now = time.time()
        args = (name, encode_json(config), encode_json(info), now, now, os.getpid(), hostname())

        def fn(c):
            if only_if_new:
                cur = c.execute(
                    "INSERT INTO runs (name, status, config, info, started_at, updated_at, pid, host) "
                    "SELECT ?, 'running', ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM runs WHERE name = ?)",
                    (*args, name))
                return cur.lastrowid if cur.rowcount == 1 else None
            cur = c.execute(
                "INSERT INTO runs (name, status, config, info, started_at, updated_at, pid, host) "
                "VALUES (?, 'running', ?, ?, ?, ?, ?, ?)", args)
            return cur.lastrowid

        return self._write(fn)

    def claim_run(self, run_id: int, seen: dict) -> bool:
        """Make this process the run's writer if its record is still ``seen`` (one UPDATE whose
        WHERE compares the record: SQLite runs one writer at a time, so exactly one of several
        racing processes changes the row)."""
        def fn(c):
            return c.execute(
                "UPDATE runs SET status = 'running', ended_at = NULL, error = NULL, pid = ?, host = ?, "
                "updated_at = ? WHERE id = ? AND status IS ? AND pid IS ? AND host IS ? AND updated_at IS ?",
                (os.getpid(), hostname(), time.time(), run_id, seen.get("status"), seen.get("pid"),
                 seen.get("host"), seen.get("updated_at")),
            ).rowcount

        return self._write(fn) == 1

    def update_run(self, run_id: int, **fields) -> None:
        """Update columns of a run (``status``, ``config``, ``info``, ``error``, ``ended_at``...)."""
        fields["updated_at"] = time.time()
        for k in ("config", "info"):
            if k in fields:
                fields[k] = encode_json(fields[k])
        cols = ", ".join(f"{k} = ?" for k in fields)
        self._write(lambda c: c.execute(f"UPDATE runs SET {cols} WHERE id = ?", (*fields.values(), run_id)))

    def write_epoch(self, run_id: int, epoch: int, values: dict[tuple[str, str], tuple[float, int | None]]) -> None:
        """Make one epoch's values, ``{(split, metric): (value, n)}``, durable before returning.

        The values are appended to this process's journal (one ``write`` system call: in the
        kernel's hands, so they survive the process being killed) and committed to the database
        by the writer thread moments later. A journal left by a killed process is replayed by the
        next :class:`Store` opened on the folder.
        """
        now = time.time()
        rows = [(run_id, s, m, epoch, _nan_to_none(v), n, now) for (s, m), (v, n) in values.items()]
        self._journal.append(rows)
        self._enqueue(("epochs", rows))

    @property
    def journal_dir(self) -> Path:
        """Where each writing process keeps its journal: ``fitwatch.db.pending/`` beside the database."""
        return self.path.with_name(self.path.name + ".pending")

    def hold(self) -> None:
        """A run of this process starts writing through this store."""
        self._journal_users += 1

    def release(self) -> None:
        """A run finished: once none is left, commit everything, drop the journal and copy the WAL
        into the database, so that ``fitwatch.db`` alone holds every run (people copy that file)."""
        self._journal_users -= 1
        if self._journal_users <= 0 and self.flush(FLUSH_WAIT_S):
            if self._journal.is_open and not self._unwritten:  # else replayed once this process is gone
                self._journal.remove()
            self._checkpoint("TRUNCATE")

    def recover(self) -> int:
        """Replay the journals of killed processes on this host into the database; returns rows added.

        Epoch values already in the database are kept (the replay only fills what is missing).
        """
        return replay(self.journal_dir, self._insert_missing, epoch_row)

    def _insert_missing(self, rows: list[tuple]) -> int:
        def fn(c):
            before = c.total_changes
            c.executemany("INSERT OR IGNORE INTO epochs VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            return c.total_changes - before

        return self._write(fn)

    def queue_steps(self, chunks: list[tuple], run_id: int) -> None:
        """Queue batch chunks ``(split, metric, epoch, steps, values, ns)`` for the writer thread."""
        if not chunks:
            return
        self._enqueue(("steps", run_id, chunks))  # encoded by the writer thread

    def queue_probes(self, run_id: int, rows: list[tuple]) -> None:
        """Queue probe values ``(epoch, step, layer, stat, value)`` for the writer thread."""
        if rows:
            self._enqueue(("probes", run_id, rows))

    def _checkpoint(self, mode: str = "PASSIVE") -> None:
        """Copy the WAL into the database. PASSIVE (every 100 commits, on the writer thread's own
        connection: the training thread's commits never pay for it) blocks no reader or writer;
        TRUNCATE (when this process's last run finishes) waits up to a second for readers, then
        empties the WAL file; a checkpoint that cannot finish now is left for the next one."""
        with self._ckpt_lock:
            if self._closed:
                return
            if self._ckpt_conn is None:
                self._ckpt_conn = sqlite3.connect(self.path, timeout=1.0, isolation_level=None,
                                                  check_same_thread=False)
            try:
                self._ckpt_conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
            except sqlite3.OperationalError:
                pass  # busy: another process holds the database; its own close checkpoints it

    @staticmethod
    def _insert(c, items: list) -> None:
        epochs = [r for item in items if item[0] == "epochs" for r in item[1]]
        if epochs:
            c.executemany("INSERT OR REPLACE INTO epochs VALUES (?, ?, ?, ?, ?, ?, ?)", epochs)
        rows = [r for item in items if item[0] == "steps" for r in encode_chunks(*item[1:])]
        if rows:
            c.executemany(_INSERT_CHUNK, rows)
        probes = [(item[1], e, st, layer, stat, _nan_to_none(v)) for item in items if item[0] == "probes"
                  for e, st, layer, stat, v in item[2]]
        if probes:
            c.executemany("INSERT INTO probes VALUES (?, ?, ?, ?, ?, ?)", probes)

    # -- reading ----------------------------------------------------------------------------
    def _read(self, sql: str, params=()) -> list[dict]:
        if self._pending:
            self.flush(FLUSH_WAIT_S)  # read what this process wrote
        with self._lock:
            try:
                cur = self._conn.execute(sql, params)
                cols = [d[0] for d in cur.description]
                return [dict(zip(cols, r)) for r in cur.fetchall()]
            except (sqlite3.DatabaseError, UnicodeDecodeError) as e:
                if isinstance(e, sqlite3.OperationalError) and ("locked" in str(e) or "busy" in str(e)):
                    raise
                raise StoreError(f"{self.path}: the database is damaged ({type(e).__name__}: {e}); restore "
                                 f"it from a copy, or try `sqlite3 {self.path.name} .recover`") from None

    def runs(self) -> list[dict]:
        """Every run, oldest first, with a summary: ``epochs``, ``best_val_loss``, ``best_epoch``."""
        rows = self._read(
            "SELECT r.*, "
            " (SELECT COUNT(DISTINCT epoch) FROM epochs e WHERE e.run_id = r.id) AS epochs,"
            " (SELECT MAX(epoch) FROM epochs e WHERE e.run_id = r.id) AS last_epoch,"
            " (SELECT MAX(t) FROM epochs e WHERE e.run_id = r.id) AS last_epoch_at"
            " FROM runs r ORDER BY r.id"
        )
        best = {
            r["run_id"]: r
            for r in self._read(
                "SELECT run_id, epoch, MIN(value) AS value FROM epochs "
                "WHERE split = 'val' AND metric = 'loss' AND value IS NOT NULL "
                "AND value NOT IN (9e999, -9e999) GROUP BY run_id"
            )
        }
        for r in rows:
            decode_run(r)
            r["updated_at"] = max(r["updated_at"] or 0.0, r.pop("last_epoch_at") or 0.0) or None
            b = best.get(r["id"])
            r["best_val_loss"] = b["value"] if b else None
            r["best_epoch"] = b["epoch"] if b else None
        return self._best_of_whole_epochs(rows)

    def find_run(self, ref: str | int) -> dict | None:
        """The run named ``ref`` (the latest of that name), else the run whose id is ``ref``.

        An ``int`` is an id only: ``load(run.id)`` never opens another run that happens to be named "7".
        """
        if isinstance(ref, (int, np.integer)) and not isinstance(ref, bool):
            if not 0 < int(ref) < INT64:  # no run has that id (SQLite ids are positive 64-bit integers)
                return None
            rows = self._read("SELECT * FROM runs WHERE id = ?", (int(ref),))
            return decode_run(rows[0]) if rows else None
        rows = self._read("SELECT * FROM runs WHERE name = ? ORDER BY id DESC LIMIT 1", (str(ref),))
        if not rows:
            s = str(ref).lstrip("#")
            if s.isdigit() and len(s) < 20 and 0 < int(s) < INT64:
                rows = self._read("SELECT * FROM runs WHERE id = ?", (int(s),))
        return decode_run(rows[0]) if rows else None

    def load(self, ref: str | int) -> RunData:
        """Read a whole run: its record, every epoch value and every batch value."""
        run = self.find_run(ref)
        if run is None:
            latest = [r["name"] for r in self._read("SELECT name FROM runs ORDER BY id DESC LIMIT 5")]
            raise run_not_found(ref, self.path, latest)
        epochs = self._read(
            "SELECT split, metric, epoch, value, n, t FROM epochs WHERE run_id = ? ORDER BY epoch", (run["id"],)
        )
        run.update(self.labels([run["id"]]).get(run["id"]) or {})  # its tags and note (sqlite_manage)
        return RunData.from_rows(run, epochs, steps_reader=lambda: self.steps(run["id"]),
                                 probes_reader=lambda: self._probes_of(run["id"]))

    def steps(self, run_id: int) -> dict[tuple[str, str], dict[str, np.ndarray]]:
        """Every batch value of a run: ``{(split, metric): {"step", "value", "n", "epoch": arrays}}``."""
        # ORDER BY first_step walks the steps_run index; sorting by split and metric as well would
        # copy every blob through a temporary b-tree (6x slower for a million steps)
        rows = self._read(
            "SELECT split, metric, steps, epochs, vals, ns FROM steps WHERE run_id = ? ORDER BY first_step",
            (run_id,),
        )
        return decode_chunks(rows)

    def _probes_of(self, run_id: int) -> dict:
        """A loaded run's probes, read when asked for: from this store, or, once it is closed (a
        report or the dashboard keeps the run longer than the store), from the file again."""
        if not self._closed:
            return self.probes(run_id)
        again = SQLiteStore(self.path, create=False)
        try:
            return again.probes(run_id)
        finally:
            again.close()

    def probes(self, run_id: int) -> dict[tuple[str, str], dict[str, np.ndarray]]:
        """Every probe value of a run: ``{(layer, stat): {"step", "epoch", "value": arrays}}`` in step
        order; ``{}`` without any (or in a store written before probes existed)."""
        with self._lock:
            if not self._conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'probes'").fetchone():
                return {}
        rows = self._read("SELECT layer, stat, step, epoch, value FROM probes WHERE run_id = ? ORDER BY step",
                          (run_id,))
        return group_probes(rows)

    def step_counts(self, run_id: int) -> dict[tuple[str, str], int]:
        """How many batch values each ``(split, metric)`` of a run holds (cheap: no blob is read)."""
        rows = self._read(
            "SELECT split, metric, SUM(count) AS n FROM steps WHERE run_id = ? GROUP BY split, metric", (run_id,)
        )
        return {(r["split"], r["metric"]): r["n"] for r in rows}

    def last_steps(self, run_id: int) -> dict[str, int]:
        """The last batch step stored for each split of a run (a resumed run counts on from there)."""
        rows = self._read("SELECT split, MAX(last_step) AS s FROM steps WHERE run_id = ? GROUP BY split", (run_id,))
        return {r["split"]: r["s"] for r in rows}

    def close(self) -> None:
        self.flush(FLUSH_WAIT_S)
        if self._writer is not None:
            self._checkpoint("TRUNCATE")
        atexit.unregister(self._at_exit)
        with self._lock, self._ckpt_lock:
            self._closed = True
            self._conn.close()
            if self._ckpt_conn is not None:
                self._ckpt_conn.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"


_CHECKPOINT_EVERY = 100  # commits
_INSERT_CHUNK = "INSERT INTO steps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def _nan_to_none(v: float):
    return None if v != v else v


_PAGE_SIZES = {1, 512, 1024, 2048, 4096, 8192, 16384, 32768}  # 1: 65536
