"""Managing the runs of an SQLite store: tags, notes, renaming and deleting, the methods
:class:`~fitwatch.store.sqlite.SQLiteStore` takes from :class:`ManageRuns` (their contracts are
:class:`fitwatch.store.base.Store`'s).

Tags live in the ``tags`` table (one row per run and tag), notes in ``notes`` (one row per run): a
store written before they existed gains them the first time a run is tagged or noted, in the same
transaction (:data:`~fitwatch.store.sqlite_schema.LABELS_SCHEMA`); until then it reads as having no
labels. Every change here is one transaction that first takes the database's write lock, so what it
checks (a run exists, is not being written, no other run has the name) still holds when it writes.

Example:
    >>> import tempfile, fitwatch
    >>> with fitwatch.Run("tagged", dir=tempfile.mkdtemp(), tags=["baseline"], diagnose=False) as run:
    ...     run.log_epoch(loss=0.9, val_loss=1.0)
    >>> store = fitwatch.Store(run.store.path)
    >>> store.set_tags(run.id, add=["lr-sweep"])
    ['baseline', 'lr-sweep']
    >>> store.set_note(run.id, "lr 3e-4, the one to beat")
    >>> store.labels()[run.id]["note"], store.delete_run(run.id)["epochs"], store.runs()
    ('lr 3e-4, the one to beat', 2, [])
"""

from __future__ import annotations

from fitwatch.store.base import check_tag, decode_run, storable_text
from fitwatch.store.sqlite_schema import LABELS_SCHEMA
from fitwatch.store.status import refuse_a_writer

#: what a deleted run leaves nowhere: every table that holds rows of a run, by its id column
RUN_TABLES = (("epochs", "run_id"), ("steps", "run_id"), ("probes", "run_id"), ("tags", "run_id"),
              ("notes", "run_id"), ("runs", "id"))


class ManageRuns:
    """Tags, notes, renaming and deleting for :class:`~fitwatch.store.sqlite.SQLiteStore` (which
    gives ``_read``, ``_write`` and ``_lock``)."""

    def _has_table(self, name: str) -> bool:
        with self._lock:
            return self._conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                      (name,)).fetchone() is not None

    def _locked_run(self, c, run_id: int) -> dict:
        """Inside a write transaction: take the write lock (a no-op UPDATE), then read the run's record,
        so that nothing changes it between this check and the transaction's writes."""
        c.execute("UPDATE runs SET id = id WHERE id = ?", (int(run_id),))
        cur = c.execute("SELECT * FROM runs WHERE id = ?", (int(run_id),))
        row = cur.fetchone()
        if row is None:
            raise KeyError(f"no run with id {run_id} in {self.path}")
        return decode_run(dict(zip([d[0] for d in cur.description], row)))

    def labels(self, run_ids=None) -> dict[int, dict]:
        """``{id: {"tags": [sorted], "note": str | None}}`` of the runs that have tags or a note."""
        out: dict[int, dict] = {}
        where, ids = "", []
        if run_ids is not None:
            ids = [int(i) for i in run_ids]
            if not ids:
                return out
            where = f" WHERE run_id IN ({', '.join('?' * len(ids))})"
        if self._has_table("tags"):
            for r in self._read(f"SELECT run_id, tag FROM tags{where} ORDER BY run_id, tag", ids):
                out.setdefault(r["run_id"], {"tags": [], "note": None})["tags"].append(r["tag"])
        if self._has_table("notes"):
            for r in self._read(f"SELECT run_id, note FROM notes{where}", ids):
                out.setdefault(r["run_id"], {"tags": [], "note": None})["note"] = r["note"]
        return out

    def set_tags(self, run_id: int, add=(), remove=()) -> list[str]:
        """Add ``add`` to a run's tags and take ``remove`` off; returns its tags, sorted."""
        add, remove = [check_tag(t) for t in add], [check_tag(t) for t in remove]

        def fn(c):
            self._locked_run(c, run_id)
            for statement in LABELS_SCHEMA:  # a store written before tags existed gains the tables
                c.execute(statement)
            c.executemany("INSERT OR IGNORE INTO tags VALUES (?, ?)", [(int(run_id), t) for t in add])
            c.executemany("DELETE FROM tags WHERE run_id = ? AND tag = ?", [(int(run_id), t) for t in remove])
            return [r[0] for r in c.execute("SELECT tag FROM tags WHERE run_id = ? ORDER BY tag", (int(run_id),))]

        return self._write(fn)

    def set_note(self, run_id: int, note: str | None) -> None:
        """Set a run's note; None or ``""`` removes it."""
        if note is not None and (not isinstance(note, str) or (note and not storable_text(note))):
            raise ValueError(f"fitwatch: a note is text, got {type(note).__name__}")

        def fn(c):
            self._locked_run(c, run_id)
            for statement in LABELS_SCHEMA:
                c.execute(statement)
            if note:
                c.execute("INSERT OR REPLACE INTO notes VALUES (?, ?)", (int(run_id), note))
            else:
                c.execute("DELETE FROM notes WHERE run_id = ?", (int(run_id),))

        self._write(fn)

    def rename_run(self, run_id: int, name: str, share: bool = False) -> None:
        """Rename a run; another run's name only with ``share`` (the name then opens the latest)."""
        if not storable_text(name) or not name.strip():
            raise ValueError(f"fitwatch: a run name must be a non-empty string, got {name!r}")

        def fn(c):
            self._locked_run(c, run_id)
            other = c.execute("SELECT id FROM runs WHERE name = ? AND id != ? ORDER BY id DESC LIMIT 1",
                              (name, int(run_id))).fetchone()
            if other is not None and not share:
                raise ValueError(f"fitwatch: a run named {name!r} exists already (#{other[0]}); choose another "
                                 f"name, or share it (the name then opens the latest run of it)")
            c.execute("UPDATE runs SET name = ? WHERE id = ?", (name, int(run_id)))

        self._write(fn)

    def delete_run(self, run_id: int, force: bool = False) -> dict:
        """Delete a run and all of its rows in one transaction; refuses a run being written."""
        def fn(c):
            run = self._locked_run(c, run_id)
            refuse_a_writer(run, force)
            tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            return {table: c.execute(f"DELETE FROM {table} WHERE {column} = ?", (int(run_id),)).rowcount
                    for table, column in RUN_TABLES if table in tables}

        return self._write(fn)

