"""The store's interface: the abstract :class:`Store` every backend implements, and what they share.

Here: :class:`Store` (the methods the other layers call, each with its contract), :class:`StoreError`,
where a store is (:func:`resolve_path`, :func:`url_scheme`, :func:`backend_for`: a folder path, or a
URL whose scheme names the backend), the JSON encoding of a run's ``config`` and ``info``
(:func:`encode_json`) and the decoding of a run's record (:func:`decode_run`). No backend is
imported here: a backend registers itself by subclassing, ``class SQLiteStore(Store, scheme="sqlite")``
(``aliases=("postgres",)`` registers more schemes for it), and :mod:`fitwatch.store` imports every backend, so each is registered before a store is opened.

Example:
    >>> import tempfile
    >>> store = Store(tempfile.mkdtemp())          # the base class opens the backend for the place
    >>> type(store).__name__, isinstance(store, Store), store.runs()
    ('SQLiteStore', True, [])
    >>> url_scheme("sqlite:///srv/runs"), url_scheme("runs/today") is None
    ('sqlite', True)
"""

from __future__ import annotations

import abc
import contextlib
import json
import os
import re
import threading
from pathlib import Path
from typing import Iterator

import numpy as np

from fitwatch.store.rundata import RunData
from fitwatch.store.status import hostname

DB_NAME = "fitwatch.db"
DEFAULT_DIR = "fitwatch"
ENV_DIR = "FITWATCH_DIR"
#: the backend of a store given as a folder path (not a URL)
DEFAULT_SCHEME = "sqlite"
SQLITE_URL_HELP = "sqlite:///absolute/path/to/folder"
POSTGRES_URL_HELP = "postgresql://user@host:port/database"

_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+)://")


class StoreError(Exception):
    """The store cannot be used: not a fitwatch database, written by a newer fitwatch, unreadable,
    or a URL no backend serves."""


def url_scheme(url_or_dir) -> str | None:
    """The scheme of a store URL (``"sqlite"`` for ``sqlite:///srv/runs``); None for a folder path."""
    m = _URL.match(url_or_dir) if isinstance(url_or_dir, str) else None
    return m.group(1).lower() if m else None


def location(url_or_dir=None):
    """Where the store is: ``url_or_dir`` when given, else ``$FITWATCH_DIR`` (a folder or a URL, read
    as if it had been given), else ``./fitwatch``."""
    if url_or_dir is not None:
        return url_or_dir
    return os.environ.get(ENV_DIR) or DEFAULT_DIR


def resolve_path(dir: str | os.PathLike | None = None) -> Path:
    """The database file for ``dir`` (a folder, a ``.db`` file or a ``sqlite:///`` URL),
    ``$FITWATCH_DIR`` or ``./fitwatch``.

    Raises:
        StoreError: a URL of another backend (a ``postgresql://`` database has no file), or a
            ``sqlite://`` URL whose path is not absolute.
    """
    dir = location(dir)
    scheme = url_scheme(dir)
    if scheme == "sqlite":
        dir = dir[len("sqlite://"):]
        if not dir.startswith("/") or not dir.strip("/"):
            raise StoreError(f"sqlite://{dir}: a sqlite URL names a folder by its absolute path: {SQLITE_URL_HELP}")
        dir = "/" + dir.lstrip("/")  # sqlite:////srv/runs (SQLAlchemy's spelling) is /srv/runs too
    elif scheme in Store._backends:  # a database server's URL: there is no file
        raise StoreError(f"{scheme}:// URLs name a database server, not a file; only a folder or a "
                         f"{SQLITE_URL_HELP} URL has one")
    elif scheme is not None:
        raise _no_backend(scheme)
    base = Path(dir).expanduser()
    if base.suffix in (".db", ".sqlite", ".sqlite3") or base.is_file():
        return base
    return base / DB_NAME


def backend_for(url_or_dir) -> type["Store"]:
    """The backend class for a folder path (SQLite) or a URL (by its scheme).

    Raises:
        StoreError: no backend serves the URL's scheme (one line naming it and the backends there are).
    """
    scheme = url_scheme(location(url_or_dir)) or DEFAULT_SCHEME
    backend = Store._backends.get(scheme)
    if backend is None:
        raise _no_backend(scheme)
    return backend


def _no_backend(scheme: str) -> StoreError:
    # the URL itself is not repeated: it may hold a password
    backends = sorted({b.scheme for b in Store._backends.values()})
    return StoreError(
        f"no fitwatch store backend for {scheme}:// URLs; give a folder path, a {SQLITE_URL_HELP} URL "
        f"or a {POSTGRES_URL_HELP} URL (backends: {', '.join(backends)})"
    )


def encode_json(obj) -> str:
    """A run's ``config`` or ``info`` as JSON: numpy and torch scalars as numbers, arrays as lists,
    paths as strings, anything else as its ``repr`` (never an error); NaN kept."""
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


def decode_run(r: dict) -> dict:
    """A run's record as read (``config`` and ``info`` as JSON text) with those two decoded, in place
    (``{}`` for text that is not JSON); returns ``r``."""
    for k in ("config", "info"):
        if isinstance(r.get(k), str):
            try:
                r[k] = json.loads(r[k])
            except (ValueError, RecursionError):
                r[k] = {}
        if not isinstance(r.get(k), dict):  # NULL, a blob or a list: a damaged record
            r[k] = {}
    if "name" in r and not isinstance(r["name"], str):
        r["name"] = f"run-{r.get('id')}" if r["name"] is None else str(r["name"])
    if "status" in r and not isinstance(r["status"], str):
        r["status"] = "failed"
    return r


INT64 = 2**63  # a store's integers (run ids, epochs, sample counts) are below this: SQLite's, PostgreSQL's bigint


def group_probes(rows: list[dict]) -> dict[tuple[str, str], dict[str, np.ndarray]]:
    """Probe rows (``layer``, ``stat``, ``step``, ``epoch``, ``value``; in step order) as arrays
    by ``(layer, stat)``."""
    out: dict[tuple[str, str], list] = {}
    for r in rows:
        out.setdefault((r["layer"], r["stat"]), []).append((r["step"], r["epoch"], r["value"]))
    return {k: {"step": np.array([s for s, _, _ in v], dtype=np.int64),
                "epoch": np.array([e for _, e, _ in v], dtype=np.int64),
                "value": np.array([np.nan if x is None else x for _, _, x in v], dtype=np.float64)}
            for k, v in out.items()}


def storable_text(x) -> bool:
    """A name a store can hold (a split, a metric): a non-empty string of valid Unicode (no lone
    surrogate such as ``"\\ud800"``, which no database's UTF-8 takes)."""
    try:
        return type(x) is str and x != "" and bool(x.encode())
    except UnicodeEncodeError:
        return False


def check_tag(tag) -> str:
    """``tag`` as stored: a non-empty word of printable text, no space and no comma (``lr-sweep``,
    ``baseline``, ``v2.1``), so that ``--tag`` and ``--config a,b`` on the command line can name it.

    Raises:
        ValueError: anything else (the message names the tag and gives an example).
    """
    if not storable_text(tag) or not tag.isprintable() or any(c.isspace() or c == "," for c in tag):
        raise ValueError(f"fitwatch: {tag!r} is not a tag: a tag is one word without spaces or commas, "
                         f"e.g. 'baseline' or 'lr-sweep'")
    return tag


class StoreWriteWarning(UserWarning):
    """The store's background work could not write something (named in the message): a run warns
    with it at its next epoch or at its end, so that a failure in the writer thread is never silent."""


def run_not_found(ref, where, latest: list[str]) -> KeyError:
    """The error :meth:`Store.load` raises for ``ref``: it names the run, the store and the latest runs."""
    hint = f" (latest: {', '.join(latest)})" if latest else " (the store has no runs yet)"
    what = (f"with id {ref}" if isinstance(ref, int) else
            f"with id {ref[1:]}" if str(ref)[:1] == "#" and str(ref)[1:].isdigit() else f"named {ref!r}")
    return KeyError(f"no run {what} in {where}{hint}; `fitwatch runs` lists them")


class Store(abc.ABC):
    """A fitwatch store: where runs, their epochs and their batch values live.

    ``Store(dir)`` on this abstract class opens the backend that ``dir`` names and returns an
    instance of it (as ``pathlib.Path(...)`` returns a ``PosixPath``): a folder path, or None
    (``$FITWATCH_DIR``, else ``./fitwatch``), or a ``sqlite:///`` URL is an
    :class:`~fitwatch.store.sqlite.SQLiteStore`; a ``postgresql://`` (or ``postgres://``) URL is a
    :class:`~fitwatch.store.postgres.PostgresStore`. Opening a store replays the journals of killed
    writers (:meth:`recover`).

    Args:
        dir: the store: a folder (or the path of its ``.db`` file), or a URL.
        create: create the store when missing. Readers pass False and get a :class:`StoreError`
            naming the place when there is nothing there.

    Raises:
        StoreError: not a fitwatch store, written by a newer fitwatch, or a URL no backend serves.

    Every backend keeps these promises: an epoch handed to :meth:`write_epoch` survives the
    process being killed the moment the call returns; the training thread never waits for the
    database; several processes write different runs of one store at once while others read it;
    a read sees everything this process wrote before it; reads and writes may come from several
    threads (the dashboard serves one store to many).
    """

    _backends: dict[str, type["Store"]] = {}  # scheme -> backend class, filled by __init_subclass__
    _shared: dict[object, "Store"] = {}  # (backend, place) -> this process's store there
    _shared_lock = threading.Lock()

    def __init_subclass__(cls, scheme: str | None = None, aliases: tuple[str, ...] = (), **kw):
        super().__init_subclass__(**kw)
        if scheme is not None:
            cls.scheme = scheme
            for name in (scheme, *aliases):
                Store._backends[name] = cls

    def __new__(cls, dir=None, *args, **kwargs):
        if cls is Store:
            cls = backend_for(dir)
        return super().__new__(cls)

    def __init__(self) -> None:
        self._pid = os.getpid()  # the process that opened it: a forked child opens its own

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    @abc.abstractmethod
    def locate(cls, dir=None):
        """The place ``dir`` names, made canonical (two arguments naming one store give equal
        places) and accepted by the constructor: what a process shares one store per."""

    @classmethod
    def _place(cls, dir) -> tuple[type["Store"], object]:
        backend = backend_for(dir) if cls is Store else cls
        return backend, (backend, backend.locate(dir))

    @classmethod
    def open(cls, dir=None) -> "Store":
        """For reading: this process's own store for ``dir`` if it writes there, else a new one
        (``create=False``: :class:`StoreError` when there is no store)."""
        backend, key = cls._place(dir)
        store = cls._shared.get(key)
        if store is not None and store._pid == os.getpid():
            return store
        return backend(key[1], create=False)

    @classmethod
    @contextlib.contextmanager
    def reading(cls, dir=None) -> "Iterator[Store]":
        """``with Store.reading(dir) as store:``: :meth:`open` for a few reads, closed at the end
        unless it is this process's own (shared) store, which its runs still write through."""
        _, key = cls._place(dir)
        store = cls.open(dir)
        try:
            yield store
        finally:
            if cls._shared.get(key) is not store:
                store.close()

    @classmethod
    def shared(cls, dir=None) -> "Store":
        """The process-wide store for ``dir``: runs of one process share its connection and writer."""
        backend, key = cls._place(dir)
        with cls._shared_lock:
            store = cls._shared.get(key)
            if store is None or store._pid != os.getpid():  # a forked child opens its own connection
                store = cls._shared[key] = backend(key[1])
            return store

    @property
    @abc.abstractmethod
    def path(self):
        """Where the store is (SQLite: its database file, a ``Path``): it names the store in
        messages, and ``Store(store.path)`` opens the same store again."""

    # -- writing ----------------------------------------------------------------------------
    @abc.abstractmethod
    def create_run(self, name: str, config: dict, info: dict, only_if_new: bool = False) -> int | None:
        """Insert a new run, status ``running``, owned by this process (pid and host); returns its id.
        With ``only_if_new``, only when no run has that name (else None), atomically: of several
        processes creating it at once (``Run(name, resume=True)`` of a new name) exactly one does.

        ``config`` and ``info`` are stored as :func:`encode_json` writes them. Committed before
        returning."""

    def reopen_run(self, run_id: int, seen: dict | None = None) -> None:
        """Mark a run ``running`` again (resume), owned by this process: no end time, no error.

        With ``seen`` (the run's record as read before deciding to resume), only if the record is
        still that one (:meth:`claim_run`); else a RuntimeError: another process resumed it first."""
        if seen is None:
            seen = self.find_run(run_id)
        if not self.claim_run(run_id, seen):
            now = self.find_run(run_id) or {}
            raise RuntimeError(
                f"fitwatch: run {seen.get('name')!r} (#{run_id}) was just resumed by another process "
                f"(pid {now.get('pid')} on {now.get('host')}); only one process may write a run: wait for it "
                f"to finish, or start a new run without resume=True")

    @abc.abstractmethod
    def claim_run(self, run_id: int, seen: dict) -> bool:
        """Make this process the run's writer (``running``, this pid and host, no end time, no
        error) only if its record still has ``seen``'s ``status``, ``pid``, ``host`` and
        ``updated_at``: one compare-and-set that the database makes atomic, so that of several
        processes resuming a run at once exactly one wins. Returns whether this one did."""

    @abc.abstractmethod
    def update_run(self, run_id: int, **fields) -> None:
        """Set fields of a run's record (``status``, ``config``, ``info``, ``error``, ``ended_at``,
        ``pid``, ``host``) and its ``updated_at`` to now. Committed before returning."""

    @abc.abstractmethod
    def write_epoch(self, run_id: int, epoch: int, values: dict[tuple[str, str], tuple[float, int | None]]) -> None:
        """Make one epoch's values, ``{(split, metric): (value, n)}``, durable before returning.

        Durable means: once this returns, a SIGKILL of the process loses none of them (the next
        store opened on the place replays them, :meth:`recover`); they are committed moments later
        without the caller waiting for the database. A value written again (same epoch, split and
        metric) replaces the earlier one. NaN and infinities are values: they read back as written."""

    @abc.abstractmethod
    def queue_steps(self, chunks: list[tuple], run_id: int) -> None:
        """Queue batch chunks ``(split, metric, epoch, steps, values, ns)`` (lists) for writing.

        Returns at once; they are committed within about a second, and at :meth:`flush`. A SIGKILL
        may lose the last second or two of them (never an epoch)."""

    @abc.abstractmethod
    def queue_probes(self, run_id: int, rows: list[tuple]) -> None:
        """Queue probe values ``(epoch, step, layer, stat, value)`` (:meth:`fitwatch.Run.watch`) for
        writing; committed like batch values (:meth:`queue_steps`)."""

    @abc.abstractmethod
    def flush(self, timeout: float | None = None) -> bool:
        """Commit everything queued now and wait for it; False when ``timeout`` (seconds) ran out first.

        After True, every process reading the store sees what this one wrote."""

    def failures(self) -> list[str]:
        """What the store's background work could not do since the last call (each a sentence
        naming what was not written and why), emptied by the call: the runs that write through
        it warn with them, so a background failure is never silent."""
        out, self._failures = getattr(self, "_failures", []), []
        return out

    @abc.abstractmethod
    def hold(self) -> None:
        """A run of this process starts writing through this store (paired with :meth:`release`)."""

    @abc.abstractmethod
    def release(self) -> None:
        """A run of this process finished writing: once no run holds the store, everything is
        committed and this process's journal is removed."""

    @abc.abstractmethod
    def recover(self) -> int:
        """Replay the journals of this host's writers that are gone (killed) into the store;
        returns how many epoch values were added.

        Values already stored are kept (the replay only fills what is missing); a live writer's
        journal, this process's own and another host's are left alone; a replayed journal is removed."""

    # -- reading ----------------------------------------------------------------------------
    @abc.abstractmethod
    def runs(self) -> list[dict]:
        """Every run's record, oldest first, with a summary: ``epochs`` (how many), ``last_epoch``,
        ``best_val_loss`` and ``best_epoch`` (the lowest finite ``val`` ``loss``; None without one),
        ``updated_at`` (the latest of the record's and the last epoch's commit)."""

    def _best_of_whole_epochs(self, rows: list[dict]) -> list[dict]:
        """``rows`` of :meth:`runs`, a run whose best ``val`` ``loss`` is at an epoch an error or Ctrl-C cut short
        (``info["partial_epoch"]``, its last) given its best among the whole epochs: the value of part of an
        epoch's batches is no best (an eighth trial: ``fitwatch runs`` said 1.783 at epoch 10, a cut-short epoch,
        where ``show`` and the diagnosis said 1.847 at 9). Rare: the run is loaded for it."""
        for r in rows:
            partial = (r.get("info") or {}).get("partial_epoch")
            if partial is None or r.get("best_epoch") != partial or r.get("last_epoch") != partial:
                continue
            data = self.load(r["id"])
            epochs, values = data.series("val", "loss")
            keep = (epochs != partial) & np.isfinite(values)
            best = int(np.argmin(np.where(keep, values, np.inf))) if keep.any() else None
            r["best_val_loss"] = float(values[best]) if best is not None else None
            r["best_epoch"] = int(epochs[best]) if best is not None else None
        return rows

    @abc.abstractmethod
    def find_run(self, ref: str | int) -> dict | None:
        """The record of the run named ``ref`` (the latest of that name), else of the run whose id is
        ``ref`` (``"7"`` or ``"#7"``); None when there is none.

        An ``int`` is an id only: ``load(run.id)`` never opens another run that happens to be named "7"."""

    @abc.abstractmethod
    def load(self, ref: str | int) -> RunData:
        """A whole run, as :meth:`find_run` finds it: its record, every epoch value (NaN kept) and its
        batch values (read when asked for).

        Raises:
            KeyError: no such run (:func:`run_not_found`: the run, the store and the latest runs)."""

    @abc.abstractmethod
    def steps(self, run_id: int) -> dict:
        """Every batch value of a run: ``{(split, metric): {"step", "value", "n", "epoch": arrays}}``
        (int64 steps, epochs and n; float64 values, NaN kept), each in step order; ``{}`` without any."""

    @abc.abstractmethod
    def probes(self, run_id: int) -> dict:
        """Every probe value of a run: ``{(layer, stat): {"step", "epoch", "value": arrays}}`` (int64
        steps and epochs, float64 values, NaN kept), each in step order; ``{}`` without any."""

    @abc.abstractmethod
    def step_counts(self, run_id: int) -> dict[tuple[str, str], int]:
        """How many batch values each ``(split, metric)`` of a run holds (cheap: no value is read)."""

    @abc.abstractmethod
    def last_steps(self, run_id: int) -> dict[str, int]:
        """The last batch step stored for each split of a run (a resumed run counts on from there)."""

    # -- managing runs: tags, notes, renaming, deleting (optional: a backend without them says so) --
    def labels(self, run_ids=None) -> dict[int, dict]:
        """The tags and note of every run that has any (or of ``run_ids`` only): ``{id: {"tags":
        [sorted], "note": str | None}}``; a run without either is absent."""
        raise NotImplementedError(f"the {self.scheme} store keeps no tags or notes")

    def set_tags(self, run_id: int, add=(), remove=()) -> list[str]:
        """Add the tags ``add`` to a run and take ``remove`` off it (each :func:`check_tag`ged; a tag
        it has already, or lacks, is no error); returns its tags, sorted. Committed before returning.

        Raises:
            KeyError: no run has that id. ValueError: a tag that is not one word."""
        raise NotImplementedError(f"the {self.scheme} store keeps no tags")

    def set_note(self, run_id: int, note: str | None) -> None:
        """Set a run's note (free text; None or ``""`` removes it). Committed before returning.

        Raises:
            KeyError: no run has that id."""
        raise NotImplementedError(f"the {self.scheme} store keeps no notes")

    def rename_run(self, run_id: int, name: str, share: bool = False) -> None:
        """Give a run a new name (its id, epochs and everything else stay).

        Raises:
            KeyError: no run has that id.
            ValueError: another run has that name and ``share`` is False (two runs of one name are
                allowed, but the name then opens the latest of them: a run would be hidden), or the
                name is empty."""
        raise NotImplementedError(f"the {self.scheme} store cannot rename runs")

    def delete_run(self, run_id: int, force: bool = False) -> dict:
        """Delete a run and everything of it (record, epochs, batch values, probes, tags, note), in
        one transaction; returns how many rows of each went. Its id is never given to another run.

        Raises:
            KeyError: no run has that id.
            RuntimeError: the run is being written: recorded as running by a live process of this
                host (never deleted), or by a process of another host, whose life cannot be told from
                here (deleted only with ``force``)."""
        raise NotImplementedError(f"the {self.scheme} store cannot delete runs")

    def labelled_runs(self, tag: str | None = None) -> list[dict]:
        """:meth:`runs`, each record with its ``tags`` (a sorted list) and ``note`` (None without
        one); only the runs tagged ``tag`` when it is given."""
        try:
            labels = self.labels()
        except NotImplementedError:
            labels = {}
        out = []
        for r in self.runs():
            r.update(labels.get(r["id"]) or {"tags": [], "note": None})
            if tag is None or tag in r["tags"]:
                out.append(r)
        return out

    @abc.abstractmethod
    def close(self) -> None:
        """Commit what is queued (waiting up to 30 s) and let go of the database; the store is not
        used after this."""
