"""The journal: each writing process's write-ahead of the epochs it ends, so a SIGKILL loses none.

A process that writes epochs appends each one to its own file, ``<folder>/<host>.<pid>.jsonl`` (one
JSON line of rows, one ``write`` system call: once in the kernel's hands it survives the process),
before its store commits them in the background. :func:`replay` hands the rows of a process that
is gone (same host, pid not alive) to the store, then deletes its file; a process whose runs all
finished deletes its own (:meth:`Journal.remove`). The rows are whatever the store journals (the
SQLite store: ``[run_id, split, metric, epoch, value, n, t]``, NaN as null); this module knows
files and processes only, no database.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp()) / "fitwatch.db.pending"
    >>> journal = Journal(folder)
    >>> journal.append([[1, "val", "loss", 0, 0.5, 16, 1700000000.0]])
    >>> journal.path.read_bytes()
    b'[[1, "val", "loss", 0, 0.5, 16, 1700000000.0]]\\n'
    >>> replay(folder, print)          # this process's own journal: not replayed
    0
    >>> journal.remove()
    >>> journal.is_open, list(folder.iterdir())
    (False, [])
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Callable

from fitwatch.store.base import INT64, storable_text
from fitwatch.store.status import hostname, writer_gone


class Journal:
    """This process's journal in ``folder`` (created, with its file, at the first :meth:`append`)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.path: Path | None = None
        self._fd: int | None = None

    @property
    def is_open(self) -> bool:
        """Something was appended and the journal was not removed since."""
        return self._fd is not None

    def append(self, rows: list) -> None:
        """Append ``rows`` as one JSON line, in one ``write``: durable when this returns."""
        if self._fd is None:
            self.folder.mkdir(exist_ok=True)
            self.path = self.folder / f"{hostname()}.{os.getpid()}.jsonl"
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.write(self._fd, json.dumps(rows, allow_nan=True).encode() + b"\n")

    def remove(self) -> None:
        """Close the file and delete it: everything in it is in the database."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self.path.unlink(missing_ok=True)


def replay(folder: Path, insert: Callable[[list[tuple]], int], valid: Callable[[list], bool] = lambda row: True) -> int:
    """Hand the rows of every journal in ``folder`` left by a process that is gone to ``insert``
    (which returns how many it added), then delete that journal; returns the total added.

    A journal of this process, of a live one or of another host is left alone. Each line is
    replayed on its own: a line that is not a JSON list of rows that ``valid`` accepts (torn by a
    kill in the middle of its write, or bytes that were never a journal's) is moved aside, appended
    to ``<journal>.rejected`` beside it, with one warning per journal naming that file; the lines
    around it are replayed. Rows that ``insert`` refuses as a whole move aside the same way. So a
    journal never stops the store from opening. A journal that cannot be read now (permissions) is
    left for the next try.
    """
    if not folder.is_dir():
        return 0
    added = 0
    for f in folder.glob("*.jsonl"):
        if not writer_gone(f.stem):
            continue  # ours, alive, on another machine, or not a journal's name: not ours to replay
        try:
            if not f.is_file() or f.is_symlink():  # a FIFO or a device would block or never end
                continue
            data = f.read_bytes()
        except OSError:
            continue
        rows, rejected = [], []
        for line in data.splitlines():
            try:
                parsed = json.loads(line)
                ok = isinstance(parsed, list) and all(isinstance(r, list) and valid(r) for r in parsed)
            except (ValueError, TypeError, RecursionError):
                ok = False
            if ok:
                rows += [tuple(r) for r in parsed]
            elif line.strip():
                rejected.append(line)
        if rejected:
            aside = f.with_name(f.name + ".rejected")
            with open(aside, "ab") as out:
                out.write(b"\n".join(rejected) + b"\n")
            warnings.warn(f"fitwatch: {len(rejected)} line{'s' if len(rejected) > 1 else ''} of the journal {f} "
                          f"could not be replayed (torn, or not a journal's); moved to {aside}", stacklevel=2)
        if rows:
            try:
                added += insert(rows)
            except Exception as e:  # the database refused them now: kept for the next try, never raised
                tmp = f.with_name(f.name + ".tmp")
                tmp.write_bytes(json.dumps(rows).encode() + b"\n")
                os.replace(tmp, f)
                warnings.warn(f"fitwatch: could not replay the journal {f} now ({type(e).__name__}: {e}); "
                              f"it is kept for the next time a store opens on {folder.parent}", stacklevel=2)
                continue
        f.unlink(missing_ok=True)
    return added


def epoch_row(r: list) -> bool:
    """A row a store journals (:meth:`Store.write_epoch`): ``[run_id, split, metric, epoch, value,
    n, t]`` with values a database can hold (64-bit integers, floats, valid text); the store passes
    this to :func:`replay`, which moves a torn or foreign line aside, never inserting it."""
    if len(r) != 7:
        return False
    run_id, split, metric, epoch, value, n, t = r
    return (_whole(run_id, 1) and storable_text(split) and storable_text(metric) and _whole(epoch, 0)
            and (value is None or _real(value)) and (n is None or _whole(n, 0)) and (t is None or _real(t)))


def _whole(x, low: int) -> bool:
    return type(x) is int and low <= x < INT64


def _real(x) -> bool:
    return type(x) is float or (type(x) is int and abs(x) < INT64)
