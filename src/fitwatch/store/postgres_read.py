"""Reading a PostgreSQL store: the runs and their summaries, one run whole, its batch values, probes,
tags and notes; the methods :class:`~fitwatch.store.postgres.PostgresStore` takes from :class:`ReadRuns`
(their contracts are :class:`fitwatch.store.base.Store`'s).

Each summary is one query that the server computes (``runs()`` joins the epoch counts and the best
validation loss; ``labels()`` the tags and notes), so a list of many runs costs one round trip, not
one per run. Every read first commits what this process queued (a read sees its own writes).

Example (needs a server)::

    >>> store = fitwatch.Store("postgresql://me@db.example/runs")          # doctest: +SKIP
    >>> [(r["name"], r["epochs"], r["best_val_loss"]) for r in store.runs()]  # doctest: +SKIP
    [('mlp', 12, 0.5)]
"""

from __future__ import annotations

import functools

import numpy as np

from fitwatch.store.base import INT64, decode_run, group_probes, run_not_found
from fitwatch.store.chunks import decode_chunks
from fitwatch.store.rundata import RunData
from fitwatch.store.writer import FLUSH_WAIT_S


class ReadRuns:
    """The reads of :class:`~fitwatch.store.postgres.PostgresStore` (which gives ``_call``,
    ``_connection``, ``_pending``, ``flush``, ``path`` and ``_closed``)."""

    def _read(self, sql: str, params=()) -> list[dict]:
        if self._pending:
            self.flush(FLUSH_WAIT_S)  # read what this process wrote

        def read():
            cur = self._connection().execute(sql, params)
            cols = [d.name for d in cur.description]
            return [dict(zip(cols, r)) for r in cur.fetchall()]

        return self._call(read)

    def runs(self) -> list[dict]:
        """Every run, oldest first, with a summary: ``epochs``, ``best_val_loss``, ``best_epoch`` (one query)."""
        return self._best_of_whole_epochs([decode_run(r) for r in self._read(
            "SELECT r.id, r.name, r.status, r.config, r.info, r.error, r.started_at, r.ended_at, "
            " NULLIF(GREATEST(COALESCE(r.updated_at, 0), COALESCE(e.last_epoch_at, 0)), 0) AS updated_at, "
            " r.pid, r.host, COALESCE(e.epochs, 0) AS epochs, e.last_epoch, "
            " b.value AS best_val_loss, b.epoch AS best_epoch "
            "FROM runs r LEFT JOIN (SELECT run_id, COUNT(DISTINCT epoch) AS epochs, MAX(epoch) AS last_epoch, "
            "  MAX(t) AS last_epoch_at FROM epochs GROUP BY run_id) e ON e.run_id = r.id "
            "LEFT JOIN (SELECT DISTINCT ON (run_id) run_id, epoch, value FROM epochs WHERE split = 'val' "
            "  AND metric = 'loss' AND value NOT IN ('NaN', 'Infinity', '-Infinity') "
            "  ORDER BY run_id, value, epoch) b ON b.run_id = r.id "
            "ORDER BY r.id")])

    def find_run(self, ref: str | int) -> dict | None:
        """The run named ``ref`` (the latest of that name), else the run whose id is ``ref`` (``"7"``,
        ``"#7"``), in one query; an ``int`` is an id only."""
        if isinstance(ref, (int, np.integer)) and not isinstance(ref, bool):
            name, digits = None, str(int(ref))
        else:
            name, digits = str(ref), str(ref).lstrip("#")
        run_id = int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 20 else 0
        rows = self._read("SELECT * FROM runs WHERE name = %s OR id = %s "
                          "ORDER BY (name = %s) DESC NULLS LAST, id DESC LIMIT 1",
                          (name, run_id if 0 < run_id < INT64 else 0, name))
        return decode_run(rows[0]) if rows else None

    def load(self, ref: str | int) -> RunData:
        """Read a whole run: its record, tags and note, every epoch value; batch values and probes when asked for."""
        run = self.find_run(ref)
        if run is None:
            raise run_not_found(ref, self.path, [r["name"] for r in self._read(
                "SELECT name FROM runs ORDER BY id DESC LIMIT 5")])
        rid = run["id"]
        run.update(self.labels([rid]).get(rid) or {})
        return RunData.from_rows(
            run, self._read("SELECT split, metric, epoch, value, n, t FROM epochs WHERE run_id = %s ORDER BY epoch",
                            (rid,)),
            steps_reader=functools.partial(self._reopened, "steps", rid),
            probes_reader=functools.partial(self._reopened, "probes", rid))

    def _reopened(self, what: str, run_id: int) -> dict:
        """A loaded run's batch values or probes, read when asked for: from this store, or, once it is
        closed (a report keeps the run longer than the store), from the database again."""
        if not self._closed:
            return getattr(self, what)(run_id)
        again = type(self)(self.path, create=False)
        try:
            return getattr(again, what)(run_id)
        finally:
            again.close()

    def steps(self, run_id: int) -> dict[tuple[str, str], dict[str, np.ndarray]]:
        """Every batch value of a run: ``{(split, metric): {"step", "value", "n", "epoch": arrays}}``."""
        return decode_chunks(self._read(
            "SELECT split, metric, steps, epochs, vals, ns FROM steps WHERE run_id = %s ORDER BY first_step",
            (run_id,)))

    def probes(self, run_id: int) -> dict[tuple[str, str], dict[str, np.ndarray]]:
        """Every probe value of a run: ``{(layer, stat): {"step", "epoch", "value": arrays}}`` in step order."""
        return group_probes(self._read(
            "SELECT layer, stat, step, epoch, value FROM probes WHERE run_id = %s ORDER BY step, layer, stat",
            (run_id,)))

    def _step_summary(self, run_id: int) -> list[dict]:
        """Per split and metric of a run's batch values: how many (``n``) and the last step (``last``)."""
        return self._read("SELECT split, metric, SUM(count)::bigint AS n, MAX(last_step) AS last FROM steps "
                          "WHERE run_id = %s GROUP BY split, metric", (run_id,))

    def step_counts(self, run_id: int) -> dict[tuple[str, str], int]:
        """How many batch values each ``(split, metric)`` of a run holds (no chunk is read)."""
        return {(r["split"], r["metric"]): r["n"] for r in self._step_summary(run_id)}

    def last_steps(self, run_id: int) -> dict[str, int]:
        """The last batch step stored for each split of a run (a resumed run counts on from there)."""
        out: dict[str, int] = {}
        for r in self._step_summary(run_id):
            out[r["split"]] = max(out.get(r["split"], r["last"]), r["last"])
        return out

    def labels(self, run_ids=None) -> dict[int, dict]:
        """``{id: {"tags": [sorted], "note": str | None}}`` of the runs that have tags or a note (one query)."""
        ids = None if run_ids is None else [int(i) for i in run_ids]
        rows = self._read(
            "SELECT COALESCE(t.run_id, n.run_id) AS id, t.tags, n.note FROM (SELECT run_id, "
            " array_agg(tag ORDER BY tag) AS tags FROM tags GROUP BY run_id) t FULL JOIN notes n ON n.run_id = t.run_id "
            "WHERE %s::bigint[] IS NULL OR COALESCE(t.run_id, n.run_id) = ANY(%s::bigint[])", (ids, ids))
        return {r["id"]: {"tags": r["tags"] or [], "note": r["note"]} for r in rows}
