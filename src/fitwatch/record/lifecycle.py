"""How runs end when the script does not end them: exit hooks, fits in flight, a live writer.

Every :class:`fitwatch.Run` registers here when it is created and leaves in ``finish()``. The
first registration installs two hooks, once per process:

- the **exception hook** (``sys.excepthook``, then the previous hook, so the traceback still
  prints): an uncaught exception first aborts every fit in flight with it (``Run.abort_fit``),
  then marks every unfinished run ``failed`` (``stopped`` for Ctrl-C, a ``KeyboardInterrupt``);
- the **exit hook** (``atexit``): a fit still in flight was interrupted by an exception its caller
  caught, so it is aborted (``failed``); then every unfinished run is finished (``stopped`` when the
  process left a ``Run.epochs`` loop before its last epoch, e.g. by ``sys.exit()``, else
  ``finished``).

A **fit in flight** is one that a framework started (``Run.begin_fit``) and has not ended
(``Run.end_fit``/``Run.abort_fit``). Frameworks such as Keras call no callback when ``fit()``
raises, so when the exception is caught by the caller nothing would end it: the next fit that
begins ends it (:func:`end_interrupted_fits`), else the exit hook does. Each fit is registered with
its owner (the framework's callback) and, optionally, a ``still_running()`` check that tells an
outer fit that is still on the stack (a fit run inside another fit's callback) from one that was
interrupted.

Example:
    >>> import tempfile, fitwatch
    >>> run = fitwatch.Run("in-flight", dir=tempfile.mkdtemp(), diagnose=False)
    >>> run.begin_fit(2, owner="a callback", call="fit()")
    >>> run.log_epoch(loss=0.5, epoch=run.begin_epoch(0))
    >>> end_interrupted_fits()          # a new fit begins: the one above raised and was caught
    >>> run.status, fitwatch.load("in-flight", dir=run.store.path).error
    ('failed', 'fit() was interrupted before it ended (an exception the caller caught)')
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import traceback
import warnings
from typing import Callable

from fitwatch.store.status import hostname, pid_alive

#: unfinished runs (strong references: a run nobody refers to is still ended at exit), each with what
#: to call at exit
_active: dict = {}
#: fits in flight: run -> (owner, still_running, call)
_in_flight: dict = {}
_hooks_installed = False
_hooks_lock = threading.Lock()


def register(run, at_exit: Callable[[], None]) -> None:
    """A run was created: ``at_exit()`` ends it if the process exits first; ``run.fail(exc)`` marks
    it failed on an uncaught exception. Installs the hooks the first time."""
    global _hooks_installed
    _active[run] = at_exit
    with _hooks_lock:
        if _hooks_installed:
            return
        _hooks_installed = True
        chain_exit_hooks(_on_uncaught, _at_exit)


def unregister(run) -> None:
    """A run finished."""
    _active.pop(run, None)


def fit_began(run, owner=None, still_running: Callable[[], bool | None] | None = None, call: str = "training") -> None:
    """``run`` has a fit in flight, started by ``owner`` (see :meth:`fitwatch.Run.begin_fit`)."""
    _in_flight[run] = (owner, still_running, call)


def fit_ended(run) -> None:
    """``run``'s fit ended (normally or aborted)."""
    _in_flight.pop(run, None)


def interrupted(call: str) -> str:
    """The error stored with a fit that an exception interrupted without the framework saying so.

    Example:
        >>> interrupted("trainer.train()")
        'trainer.train() was interrupted before it ended (an exception the caller caught)'
    """
    return f"{call} was interrupted before it ended (an exception the caller caught)"


def end_interrupted_fits(owner=None) -> None:
    """A framework's fit begins: mark failed the runs of fits in flight that an exception interrupted.

    Those are the earlier fit of ``owner`` itself (it never ended), and every other fit whose
    ``still_running()`` check says False (one that says None, or True for an outer fit still on
    the stack, is left alone; a fit registered without a check counts as interrupted). Call it
    before creating or continuing the new fit's run: ``Run.begin_fit`` calls it too.

    Args:
        owner: the callback (or other object) starting the new fit. Defaults to `None`.
    """
    for run, (other, still_running, call) in list(_in_flight.items()):
        if owner is not None and other is owner:
            run.abort_fit(error=interrupted(call))
    for run, (other, still_running, call) in list(_in_flight.items()):
        if owner is not None and other is owner:  # pragma: no cover - aborted above
            continue
        if (still_running() if still_running is not None else False) is False:
            run.abort_fit(error=interrupted(call))


def refuse_a_live_writer(record: dict) -> None:
    """Raise a RuntimeError when ``record`` (a store record, ``running``) is written by another
    process that is alive: resuming it would write the same epochs twice, each over the other's.

    Example:
        >>> refuse_a_live_writer({"name": "mine", "id": 1, "pid": os.getpid(), "host": hostname()})  # ours: fine
    """
    pid, host = record.get("pid"), record.get("host")
    if pid == os.getpid() and host == hostname():
        return  # this process's own run (e.g. a notebook cell run again): it may go on
    if pid_alive(pid, host):
        raise RuntimeError(
            f"fitwatch: run {record['name']!r} (#{record['id']}) is still being written by pid {pid} on {host}; "
            f"wait for it to finish, or start a new run without resume=True"
        )


def chain_exit_hooks(on_uncaught, at_exit) -> None:
    """Call ``on_uncaught(exc)`` for an uncaught exception (then the previous ``sys.excepthook``)
    and ``at_exit()`` when the interpreter exits. Errors in the two are swallowed: they must never
    hide the user's traceback."""
    previous = sys.excepthook

    def excepthook(exc_type, exc, tb):
        try:
            on_uncaught(exc.with_traceback(tb) if exc is not None else exc_type())
        except Exception:
            pass
        previous(exc_type, exc, tb)

    sys.excepthook = excepthook
    atexit.register(at_exit)


def _on_uncaught(exc: BaseException) -> None:
    """An uncaught exception: fits in flight are aborted with it, then every unfinished run is
    marked failed (stopped for Ctrl-C)."""
    for run in list(_in_flight):
        try:
            run.abort_fit(exc)
        except Exception:
            pass
    for run in list(_active):
        try:
            run.fail(exc)
        except Exception:
            pass


def _at_exit() -> None:
    """At interpreter exit: a fit still in flight was interrupted by an exception its caller caught;
    the runs the script never finished are finished (failed ones were marked)."""
    for run, (_, _, call) in list(_in_flight.items()):
        try:
            run.abort_fit(error=interrupted(call) + "; the process exited")
        except Exception:
            traceback.print_exc()
    for at_exit in list(_active.values()):
        try:
            at_exit()
        except Exception:
            pass


def diagnose_finished(run) -> None:
    """Diagnose a run that just finished (its status set, not yet stored): ``run.diagnosis_``, the
    diagnosis in ``run.info``, printed unless ``diagnose='quiet'``; a diagnosis that fails warns and
    never loses the run."""
    from fitwatch.diagnosis.curves import Curves
    from fitwatch.diagnosis.monitored import recorded_diagnosis

    try:
        data = run.store.load(run.id)
    except Exception as e:  # the store is away (a PostgreSQL server down): the run is kept, undiagnosed
        warnings.warn(f"fitwatch: could not diagnose run {run.name!r}: {e}", stacklevel=3)
        return
    if not len(data.epochs):
        return
    data.status = run.status  # stored just after this: the diagnosis is of the finished run
    try:
        curves = Curves.from_run(data)
        curves.stop = run.info.get("early_stopping")  # with the restore this session made
        d = recorded_diagnosis(curves)  # a multi-head model: each head's, all in d.runs
        if d is None:
            return  # no training or validation loss, nor the heads of a multi-head model: no verdict
    except Exception as e:  # a diagnosis must never lose the run
        warnings.warn(f"fitwatch: could not diagnose run {run.name!r}: {e}", stacklevel=3)
        return
    run.diagnosis_ = d
    run.info["diagnosis"] = d.to_dict()
    if run.diagnose is True:
        from rich.console import Console

        Console(stderr=True).print(d)
