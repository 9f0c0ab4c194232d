"""Managing the runs of a PostgreSQL store: tagging, noting, renaming and deleting (reading the tags
and notes is :meth:`~fitwatch.store.postgres_read.ReadRuns.labels`), the methods
:class:`~fitwatch.store.postgres.PostgresStore` takes from :class:`ManageRuns` (their contracts are
:class:`fitwatch.store.base.Store`'s).

Every change is one transaction that first locks the run's row (``SELECT ... FOR UPDATE``), so what it
checks (the run exists, is not being written, no other run has the name) still holds when it writes,
whichever host changes it at the same moment. A rename also takes the advisory lock on the new name
that ``create_run(only_if_new=True)`` takes.

Example (needs a server)::

    >>> store = fitwatch.Store("postgresql://me@db.example/runs")          # doctest: +SKIP
    >>> store.set_tags(7, add=["baseline", "lr-sweep"])                    # doctest: +SKIP
    ['baseline', 'lr-sweep']
"""

from __future__ import annotations

from fitwatch.store.base import check_tag, decode_run, storable_text
from fitwatch.store.postgres_schema import RUN_TABLES, SCHEMA_LOCK
from fitwatch.store.status import refuse_a_writer


class ManageRuns:
    """Tags, notes, renaming and deleting for :class:`~fitwatch.store.postgres.PostgresStore` (which
    gives ``_write`` and ``path``)."""

    def _locked_run(self, cur, run_id: int) -> dict:
        """Inside a write transaction: the run's record, its row locked until the transaction ends."""
        cur.execute("SELECT * FROM runs WHERE id = %s FOR UPDATE", (int(run_id),))
        row = cur.fetchone()
        if row is None:
            raise KeyError(f"no run with id {run_id} in {self.path}")
        return decode_run(dict(zip([d.name for d in cur.description], row)))

    def set_tags(self, run_id: int, add=(), remove=()) -> list[str]:
        """Add ``add`` to a run's tags and take ``remove`` off; returns its tags, sorted."""
        add, remove = [check_tag(t) for t in add], [check_tag(t) for t in remove]

        def fn(cur):
            self._locked_run(cur, run_id)
            if add:
                cur.executemany("INSERT INTO tags VALUES (%s, %s) ON CONFLICT DO NOTHING",
                                [(int(run_id), t) for t in add])
            if remove:
                cur.execute("DELETE FROM tags WHERE run_id = %s AND tag = ANY(%s)", (int(run_id), remove))
            cur.execute("SELECT tag FROM tags WHERE run_id = %s ORDER BY tag", (int(run_id),))
            return [r[0] for r in cur.fetchall()]

        return self._write(fn)

    def set_note(self, run_id: int, note: str | None) -> None:
        """Set a run's note; None or ``""`` removes it (the old note goes first, then the new one comes)."""
        text = note if isinstance(note, str) and (not note or storable_text(note)) else None
        if note is not None and text is None:
            raise ValueError(f"fitwatch: a note is text, got {type(note).__name__}")

        def fn(cur):
            self._locked_run(cur, run_id)
            cur.execute("DELETE FROM notes WHERE run_id = %s", (int(run_id),))
            if text:
                cur.execute("INSERT INTO notes VALUES (%s, %s)", (int(run_id), text))

        self._write(fn)

    def rename_run(self, run_id: int, name: str, share: bool = False) -> None:
        """Rename a run; another run's name only with ``share`` (the name then opens the latest)."""
        ok = storable_text(name) and name.strip()

        def fn(cur):
            if not ok:
                raise ValueError(f"fitwatch: a run name must be a non-empty string, got {name!r}")
            self._locked_run(cur, run_id)
            cur.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (SCHEMA_LOCK, name))
            taken = cur.execute("SELECT max(id) FROM runs WHERE name = %s AND id != %s",
                                (name, int(run_id))).fetchone()[0]
            if taken is not None and not share:
                raise ValueError(f"fitwatch: a run named {name!r} exists already (#{taken}); choose another "
                                 f"name, or share it (the name then opens the latest run of it)")
            cur.execute("UPDATE runs SET name = %s WHERE id = %s", (name, int(run_id)))

        self._write(fn)

    def delete_run(self, run_id: int, force: bool = False) -> dict:
        """Delete a run and all of its rows in one statement (a DELETE per table, in one WITH); refuses a
        run being written."""
        deletes = ", ".join(f"d_{table} AS (DELETE FROM {table} WHERE {column} = %(id)s RETURNING 1)"
                            for table, column in RUN_TABLES)
        counts = ", ".join(f"(SELECT count(*) FROM d_{table}) AS {table}" for table, _ in RUN_TABLES)

        def fn(cur):
            refuse_a_writer(self._locked_run(cur, run_id), force)
            cur.execute(f"WITH {deletes} SELECT {counts}", {"id": int(run_id)})
            return dict(zip([d.name for d in cur.description], cur.fetchone()))

        return self._write(fn)
