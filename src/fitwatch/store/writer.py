"""The background writer a store commits through: the training thread queues, one thread commits.

:class:`BackgroundWriter` is a mixin for a :class:`~fitwatch.store.base.Store` backend. The
training thread hands it work (:meth:`~BackgroundWriter._enqueue`, never waiting); a daemon thread
takes everything queued about once a second (at once on :meth:`~BackgroundWriter.flush`) and
commits it in one transaction through the backend's ``_write(fn, *args)`` and ``_insert(conn,
items)``; ``_checkpoint(mode)`` is called for a queued :data:`CHECKPOINT`. The thread never dies:
a transaction that fails is retried item by item, and what could not be written is kept in
``self._failures`` (:meth:`Store.failures`), which runs turn into a warning.

The backend's ``__init__`` calls :meth:`~BackgroundWriter._init_writer`; it provides ``path``,
``_journal`` (the journal the epochs were written to first), ``_write``, ``_insert`` and
``_checkpoint``.
"""

from __future__ import annotations

import atexit
import queue
import threading

CHECKPOINT = ("checkpoint",)  # a queue item: checkpoint the WAL
COMMIT_EVERY_S = 1.0  # the writer thread commits what is queued this often (and on flush)
FLUSH_WAIT_S = 30.0  # the longest a run's finish() waits for the writer (a database another process locks)


class BackgroundWriter:
    """The queue and the thread that commits it (a mixin: see the module's docstring)."""

    def _init_writer(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._pending = 0
        self._idle = threading.Condition(threading.Lock())
        self._wake = threading.Event()
        self._writer_lock = threading.Lock()
        self._failures: list[str] = []  # what could not be written (Store.failures), emptied when said
        self._unwritten = False  # an epoch could not be committed: this process's journal must stay

    def _enqueue(self, item) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put(item)
        if self._writer is None:
            self._start_writer()

    def flush(self, timeout: float | None = None) -> bool:
        """Commit everything queued now and wait for it. Returns False on timeout."""
        self._wake.set()
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _start_writer(self) -> None:
        with self._writer_lock:
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_loop, name="fitwatch-writer", daemon=True)
                self._writer.start()
                atexit.register(self._at_exit)

    def _at_exit(self) -> None:
        """The interpreter exits: commit what is queued, and leave ``fitwatch.db`` whole."""
        if self.flush(FLUSH_WAIT_S):
            self._checkpoint("TRUNCATE")

    def _write_loop(self) -> None:
        q = self._queue
        while True:
            # commit about once a second, or at once when flushed: the journal already made the
            # epochs durable, and few large transactions cost the training thread least
            self._wake.wait(COMMIT_EVERY_S)
            self._wake.clear()
            batch = []
            while True:  # take everything waiting: one transaction for all of it
                try:
                    batch.append(q.get_nowait())
                except queue.Empty:
                    break
            try:
                self._commit(batch)
            except BaseException as e:  # the thread never dies: later runs must still be written
                self._failures.append(f"the store's writer failed ({type(e).__name__}: {e})")
                self._unwritten |= any(item[0] == "epochs" for item in batch)
            if batch:
                with self._idle:
                    self._pending -= len(batch)
                    self._idle.notify_all()

    def _commit(self, batch: list) -> None:
        """Write a batch of queued items in one transaction; when that fails, each item alone, so
        one item that cannot be written (a database error, a full disk) costs only itself. What is
        lost is said in :meth:`failures`; a lost epoch stays in the journal."""
        work = [item for item in batch if item is not CHECKPOINT]
        if work:
            try:
                self._write(self._insert, work)
            except Exception:
                for item in work:
                    try:
                        self._write(self._insert, [item])
                    except Exception as e:
                        self._unwritten |= item[0] == "epochs"
                        what = (f"epoch {item[1][0][3]} of run #{item[1][0][0]} (kept in the journal "
                                f"{self._journal.path})" if item[0] == "epochs" and item[1]
                                else f"a chunk of {'probe' if item[0] == 'probes' else 'batch'} values of run "
                                     f"#{item[1]}")
                        self._failures.append(f"could not write {what} to {self.path}: {type(e).__name__}: {e}")
        if len(work) < len(batch):
            self._checkpoint()
