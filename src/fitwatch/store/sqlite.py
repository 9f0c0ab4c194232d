"""The embedded store: one SQLite database per folder, safe for several writers and live readers.

Layout: ``<dir>/fitwatch.db`` where ``dir`` is the argument, else the environment variable
``FITWATCH_DIR``, else ``./fitwatch``. The database runs in WAL mode, so the command line and the
dashboard read while training processes write, and several processes write different runs at once.

Durability: an epoch's values are appended to the process's journal (``fitwatch.db.pending/``,
one ``write`` system call) before :meth:`Run.epochs` moves on to the next one, and committed to
the database by a background thread moments later; the next store opened on the folder replays the
journal of a process that was killed. So a process killed with SIGKILL keeps every completed
epoch, and the training thread never waits for SQLite. Batch-level values are stored in compact
chunks (one row per split, metric and flush: little-endian int64 steps, epochs and n, float64
values) by a background thread, about once a second and when the run finishes: never on the
training loop's hot path. A SIGKILL may lose the last second of batch values; never a completed
epoch.

Values are stored as they were logged; NaN (which SQLite cannot hold as a REAL) is stored as NULL
and read back as NaN.

Example:
    >>> import tempfile, fitwatch
    >>> with fitwatch.Run("example", dir=tempfile.mkdtemp()) as run:
    ...     run.log_epoch(loss=0.9, val_loss=1.0)
    >>> store = fitwatch.Store(run.store.path)
    >>> [r["name"] for r in store.runs()]
    ['example']
"""

from __future__ import annotations

import array
import atexit
import contextlib
import json
import os
import queue
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import numpy as np

from fitwatch.store.rundata import RunData
from fitwatch.store.status import hostname, pid_alive

SCHEMA_VERSION = 1
APPLICATION_ID = 0x46495457  # "FITW", in the SQLite header: this file is a fitwatch store
DB_NAME = "fitwatch.db"
DEFAULT_DIR = "fitwatch"
ENV_DIR = "FITWATCH_DIR"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    info TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    started_at REAL NOT NULL,
    ended_at REAL,
    updated_at REAL,
    pid INTEGER,
    host TEXT
);
CREATE INDEX IF NOT EXISTS runs_name ON runs (name);
CREATE TABLE IF NOT EXISTS epochs (
    run_id INTEGER NOT NULL,
    split TEXT NOT NULL,
    metric TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    value REAL,
    n INTEGER,
    t REAL,
    PRIMARY KEY (run_id, epoch, split, metric)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS steps (
    run_id INTEGER NOT NULL,
    split TEXT NOT NULL,
    metric TEXT NOT NULL,
    first_step INTEGER NOT NULL,
    last_step INTEGER NOT NULL,
    count INTEGER NOT NULL,
    steps BLOB NOT NULL,
    epochs BLOB NOT NULL,
    vals BLOB NOT NULL,
    ns BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS steps_run ON steps (run_id, first_step);
"""



class StoreError(Exception):
    """The store cannot be used: not a fitwatch database, written by a newer fitwatch, unreadable."""


def resolve_path(dir: str | os.PathLike | None = None) -> Path:
    """The database file for ``dir`` (a folder, or a ``.db`` file), ``$FITWATCH_DIR`` or ``./fitwatch``."""
    base = Path(dir if dir is not None else os.environ.get(ENV_DIR) or DEFAULT_DIR).expanduser()
    if base.suffix in (".db", ".sqlite", ".sqlite3") or base.is_file():
        return base
    return base / DB_NAME


def _nan_to_none(v: float):
    return None if v != v else v


def _dumps(obj) -> str:
    return json.dumps(obj, default=_json_default, allow_nan=True)


def _json_default(o):
    if hasattr(o, "item") and callable(o.item):  # numpy / torch scalars
        try:
            return o.item()
        except (TypeError, ValueError):
            pass
    if hasattr(o, "tolist"):
        return o.tolist()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    if isinstance(o, os.PathLike):
        return os.fspath(o)
    return repr(o)


class Store:
    """A fitwatch store: the SQLite database holding runs, their epochs and their batches.

    Args:
        dir: the store's folder (or the path of its ``.db`` file). Default: ``$FITWATCH_DIR``,
            else ``./fitwatch``.
        create: create the folder and database when missing. Readers pass False and get a
            :class:`StoreError` naming the path when there is nothing there.

    Raises:
        StoreError: the file is not a fitwatch database, or was written by a newer fitwatch.
    """

    _shared: dict[Path, "Store"] = {}
    _shared_lock = threading.Lock()

    def __init__(self, dir: str | os.PathLike | None = None, *, create: bool = True):
        self.path = resolve_path(dir)
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
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: not a fitwatch database ({e})") from None
        self._pid = os.getpid()
        self._lock = threading.RLock()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._pending = 0
        self._commits = 0
        self._ckpt_conn: sqlite3.Connection | None = None
        self._idle = threading.Condition(threading.Lock())
        self._wake = threading.Event()
        self._journal_fd: int | None = None
        self._journal_path: Path | None = None
        self._journal_users = 0  # unfinished runs of this process that write through this store
        self.recover()

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def open(cls, dir=None) -> "Store":
        """For reading: this process's own store for ``dir`` if it writes there, else a new one."""
        path = resolve_path(dir).absolute()
        store = cls._shared.get(path)
        if store is not None and store._pid == os.getpid():
            return store
        return cls(path, create=False)

    @classmethod
    @contextlib.contextmanager
    def reading(cls, dir=None) -> "Iterator[Store]":
        """``with Store.reading(dir) as store:``: :meth:`open` for a few reads, closed at the end
        unless it is this process's own (shared) store, which its runs still write through."""
        store = cls.open(dir)
        try:
            yield store
        finally:
            if cls._shared.get(store.path.absolute()) is not store:
                store.close()

    @classmethod
    def shared(cls, dir=None) -> "Store":
        """The process-wide store for ``dir``: runs of one process share its connection and writer."""
        path = resolve_path(dir).absolute()
        with cls._shared_lock:
            store = cls._shared.get(path)
            if store is None or store._pid != os.getpid():  # a forked child opens its own connection
                store = cls._shared[path] = cls(path)
            return store

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
        if app_id != APPLICATION_ID or version < SCHEMA_VERSION:
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
                    self._enqueue(_CHECKPOINT)
                return out
            except BaseException:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                raise

    def create_run(self, name: str, config: dict, info: dict) -> int:
        """Insert a new run with status ``running``; returns its id."""
        now = time.time()

        def fn(c):
            cur = c.execute(
                "INSERT INTO runs (name, status, config, info, started_at, updated_at, pid, host) "
                "VALUES (?, 'running', ?, ?, ?, ?, ?, ?)",
                (name, _dumps(config), _dumps(info), now, now, os.getpid(), hostname()),
            )
            return cur.lastrowid

        return self._write(fn)

    def reopen_run(self, run_id: int) -> None:
        """Mark a run ``running`` again (resume), owned by this process."""
        self.update_run(run_id, status="running", ended_at=None, error=None, pid=os.getpid(), host=hostname())

    def update_run(self, run_id: int, **fields) -> None:
        """Update columns of a run (``status``, ``config``, ``info``, ``error``, ``ended_at``...)."""
        fields["updated_at"] = time.time()
        for k in ("config", "info"):
            if k in fields:
                fields[k] = _dumps(fields[k])
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
        self._journal(json.dumps(rows, allow_nan=True).encode() + b"\n")
        self._enqueue(("epochs", rows))

    @property
    def journal_dir(self) -> Path:
        """Where each writing process keeps its journal: ``fitwatch.db.pending/`` beside the database."""
        return self.path.with_name(self.path.name + ".pending")

    def _journal(self, line: bytes) -> None:
        if self._journal_fd is None:
            folder = self.journal_dir
            folder.mkdir(exist_ok=True)
            self._journal_path = folder / f"{hostname()}.{os.getpid()}.jsonl"
            self._journal_fd = os.open(self._journal_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.write(self._journal_fd, line)

    def hold(self) -> None:
        """A run of this process starts writing through this store."""
        self._journal_users += 1

    def release(self) -> None:
        """A run finished: once none is left, commit everything and drop the journal."""
        self._journal_users -= 1
        if self._journal_users <= 0 and self._journal_fd is not None and self.flush(30.0):
            os.close(self._journal_fd)
            self._journal_fd = None
            self._journal_path.unlink(missing_ok=True)

    def recover(self) -> int:
        """Replay the journals of killed processes on this host into the database; returns rows added.

        Epoch values already in the database are kept (the replay only fills what is missing).
        """
        folder = self.journal_dir
        if not folder.is_dir():
            return 0
        added = 0
        for f in folder.glob("*.jsonl"):
            host, _, pid = f.stem.rpartition(".")
            if not pid.isdigit() or int(pid) == os.getpid() or pid_alive(int(pid), host) is not False:
                continue  # ours, alive, or on another machine: not ours to replay
            rows = []
            try:
                for line in f.read_bytes().splitlines():
                    rows += [tuple(r) for r in json.loads(line)]
            except (ValueError, TypeError):
                pass  # a torn last line: the process died while writing it (that epoch had not ended)
            except OSError:
                continue
            if rows:
                def fn(c):
                    before = c.total_changes
                    c.executemany("INSERT OR IGNORE INTO epochs VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
                    return c.total_changes - before

                added += self._write(fn)
            f.unlink(missing_ok=True)
        return added

    def queue_steps(self, chunks: list[tuple], run_id: int) -> None:
        """Queue batch chunks ``(split, metric, epoch, steps, values, ns)`` for the writer thread."""
        if not chunks:
            return
        self._enqueue(("steps", run_id, chunks))  # encoded by the writer thread

    def _enqueue(self, item) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put(item)
        if self._writer is None:
            self._start_writer()

    def _checkpoint(self) -> None:
        """Copy the WAL into the database, on the writer thread's own connection (the training
        thread's commits never pay for it; a PASSIVE checkpoint blocks no reader or writer)."""
        if self._ckpt_conn is None:
            self._ckpt_conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None, check_same_thread=False)
        self._ckpt_conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def flush(self, timeout: float | None = None) -> bool:
        """Commit everything queued now and wait for it. Returns False on timeout."""
        self._wake.set()
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _start_writer(self) -> None:
        with self._shared_lock:
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_loop, name="fitwatch-writer", daemon=True)
                self._writer.start()
                atexit.register(self.flush, 30.0)

    def _write_loop(self) -> None:
        q = self._queue
        while True:
            # commit about once a second, or at once when flushed: the journal already made the
            # epochs durable, and few large transactions cost the training thread least
            self._wake.wait(_COMMIT_EVERY_S)
            self._wake.clear()
            batch = []
            while True:  # take everything waiting: one transaction for all of it
                try:
                    batch.append(q.get_nowait())
                except queue.Empty:
                    break
            epochs = [r for item in batch if item[0] == "epochs" for r in item[1]]
            rows = [r for item in batch if item[0] == "steps" for r in _chunk_rows(*item[1:])]

            def fn(c):
                if epochs:
                    c.executemany("INSERT OR REPLACE INTO epochs VALUES (?, ?, ?, ?, ?, ?, ?)", epochs)
                if rows:
                    c.executemany(_INSERT_CHUNK, rows)

            try:
                if epochs or rows:
                    self._write(fn)
                if any(item is _CHECKPOINT for item in batch):
                    self._checkpoint()
            except Exception as e:  # never kill training; say what was not written
                import warnings

                warnings.warn(f"fitwatch: could not write {len(epochs)} epoch values and {len(rows)} batch "
                              f"chunks to {self.path}: {e}; the epochs stay in the journal", stacklevel=1)
            if batch:
                with self._idle:
                    self._pending -= len(batch)
                    self._idle.notify_all()

    # -- reading ----------------------------------------------------------------------------
    def _read(self, sql: str, params=()) -> list[dict]:
        if self._pending:
            self.flush(30.0)  # read what this process wrote
        with self._lock:
            cur = self._conn.execute(sql, params)
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, r)) for r in cur.fetchall()]

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
            _decode_run(r)
            r["updated_at"] = max(r["updated_at"] or 0.0, r.pop("last_epoch_at") or 0.0) or None
            b = best.get(r["id"])
            r["best_val_loss"] = b["value"] if b else None
            r["best_epoch"] = b["epoch"] if b else None
        return rows

    def find_run(self, ref: str | int) -> dict | None:
        """The run named ``ref`` (the latest of that name), else the run whose id is ``ref``.

        An ``int`` is an id only: ``load(run.id)`` never opens another run that happens to be named "7".
        """
        if isinstance(ref, (int, np.integer)) and not isinstance(ref, bool):
            rows = self._read("SELECT * FROM runs WHERE id = ?", (int(ref),))
            return _decode_run(rows[0]) if rows else None
        rows = self._read("SELECT * FROM runs WHERE name = ? ORDER BY id DESC LIMIT 1", (str(ref),))
        if not rows:
            s = str(ref).lstrip("#")
            if s.isdigit():
                rows = self._read("SELECT * FROM runs WHERE id = ?", (int(s),))
        return _decode_run(rows[0]) if rows else None

    def load(self, ref: str | int) -> RunData:
        """Read a whole run: its record, every epoch value and every batch value."""
        run = self.find_run(ref)
        if run is None:
            names = [r["name"] for r in self._read("SELECT name FROM runs ORDER BY id DESC LIMIT 5")]
            hint = f" (latest: {', '.join(names)})" if names else " (the store has no runs yet)"
            what = (f"with id {ref}" if isinstance(ref, int) else
                    f"with id {ref[1:]}" if str(ref)[:1] == "#" and str(ref)[1:].isdigit() else f"named {ref!r}")
            raise KeyError(f"no run {what} in {self.path}{hint}; `fitwatch runs` lists them")
        epochs = self._read(
            "SELECT split, metric, epoch, value, n, t FROM epochs WHERE run_id = ? ORDER BY epoch", (run["id"],)
        )
        return RunData.from_rows(run, epochs, steps_reader=lambda: self.steps(run["id"]))

    def steps(self, run_id: int) -> dict[tuple[str, str], dict[str, np.ndarray]]:
        """Every batch value of a run: ``{(split, metric): {"step", "value", "n", "epoch": arrays}}``."""
        # ORDER BY first_step walks the steps_run index; sorting by split and metric as well would
        # copy every blob through a temporary b-tree (6x slower for a million steps)
        rows = self._read(
            "SELECT split, metric, steps, epochs, vals, ns FROM steps WHERE run_id = ? ORDER BY first_step",
            (run_id,),
        )
        parts: dict[tuple[str, str], list[dict]] = {}
        for r in rows:
            parts.setdefault((r["split"], r["metric"]), []).append(r)
        out = {}
        for key, chunks in sorted(parts.items()):
            step = np.concatenate([np.frombuffer(c["steps"], "<i8") for c in chunks])
            out[key] = {
                "step": step,
                "value": np.concatenate([np.frombuffer(c["vals"], "<f8") for c in chunks]),
                "n": np.concatenate([np.frombuffer(c["ns"], "<i8") for c in chunks]),
                "epoch": np.concatenate([np.frombuffer(c["epochs"], "<i8") for c in chunks]),
            }
        return out

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
        self.flush(30.0)
        with self._lock:
            self._conn.close()
            if self._ckpt_conn is not None:
                self._ckpt_conn.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"


_CHECKPOINT = ("checkpoint",)  # a writer-queue item: checkpoint the WAL
_CHECKPOINT_EVERY = 100  # commits
_COMMIT_EVERY_S = 1.0  # the writer thread commits what is queued this often (and on flush)
_INSERT_CHUNK = "INSERT INTO steps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def _chunk_rows(run_id: int, chunks: list[tuple]) -> list[tuple]:
    """Stored rows for batch chunks ``(split, metric, epoch, steps, values, ns)``: one row per split
    and metric, arrays as little-endian bytes (NaN kept as it is)."""
    merged: dict[tuple[str, str], list[list]] = {}
    for split, metric, epoch, steps, values, ns in chunks:
        m = merged.setdefault((split, metric), [[], [], [], []])
        m[0] += steps
        m[1] += [epoch] * len(steps)
        m[2] += values
        m[3] += ns
    return [
        (run_id, split, metric, steps[0], steps[-1], len(steps),
         _le_bytes("q", steps), _le_bytes("q", epochs), _le_bytes("d", values), _le_bytes("q", ns))
        for (split, metric), (steps, epochs, values, ns) in merged.items()
    ]


def _le_bytes(typecode: str, values) -> bytes:
    a = array.array(typecode, values)  # much cheaper than numpy for a few hundred values
    if sys.byteorder == "big":
        a.byteswap()
    return a.tobytes()


def _decode_run(r: dict) -> dict:
    for k in ("config", "info"):
        if isinstance(r.get(k), str):
            try:
                r[k] = json.loads(r[k])
            except ValueError:
                r[k] = {}
    return r
