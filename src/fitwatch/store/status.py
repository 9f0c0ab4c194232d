"""A run's status: the statuses a store records, and whether a run recorded as running still is.

A run is ``running`` until its process finishes it; a process killed before that leaves it
``running`` for ever, so readers ask :func:`effective_status`, which says ``killed`` when the
writer's process is gone (same host, pid not alive).

Example:
    >>> import os
    >>> effective_status({"status": "running", "pid": os.getpid(), "host": hostname()})
    'running'
    >>> pid_alive(os.getpid(), "another-host") is None    # cannot be told from here
    True
"""

from __future__ import annotations

import os

#: every status a run can have in a store
STATUSES = ("running", "finished", "failed", "stopped")


def hostname() -> str:
    import socket

    return socket.gethostname()


def pid_alive(pid: int | None, host: str | None) -> bool | None:
    """Whether process ``pid`` on ``host`` still runs; None when that cannot be told from here."""
    if not pid or host != hostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, ValueError, TypeError):  # not a pid this system can have
        return False
    return True


def writer_gone(writer: str) -> bool:
    """Whether ``writer``, ``"<host>.<pid>"`` as a journal or a temporary file names its process,
    is a process of this host that is gone: False for this process, a live one, another host's,
    or a name that holds no pid (``"h.2147483648"``, ``"h.²"``: not a file a writer left).

    Example:
        >>> writer_gone(f"{hostname()}.{os.getpid()}"), writer_gone("h.\u00b2")
        (False, False)
    """
    host, _, pid = writer.rpartition(".")
    return pid.isascii() and pid.isdigit() and 0 < int(pid) < 2**31 and pid_alive(int(pid), host) is False


def effective_status(run) -> str:
    """The run's status, or ``killed`` when it is recorded as running but its process is gone.

    ``run`` is a record from :meth:`Store.runs` / :meth:`Store.find_run` or a :class:`RunData`.
    """
    get = run.get if isinstance(run, dict) else lambda k: getattr(run, k, None)
    status = get("status")
    if status == "running" and pid_alive(get("pid"), get("host")) is False:
        return "killed"
    return status


def refuse_a_writer(run: dict, force: bool = False) -> None:
    """Raise a RuntimeError when ``run`` (a record) is being written: recorded as running by a live
    process of this host, or (unless ``force``) by a process of another host, which cannot be checked."""
    if run.get("status") != "running":
        return
    alive = pid_alive(run.get("pid"), run.get("host"))
    if alive:
        raise RuntimeError(f"run {run['name']!r} (#{run['id']}) is running (pid {run.get('pid')} on this host); "
                           f"stop it first, or wait for it to finish")
    if alive is None and not force:
        raise RuntimeError(f"run {run['name']!r} (#{run['id']}) is recorded as running on {run.get('host')} "
                           f"(pid {run.get('pid')}), which cannot be checked from {hostname()}; make sure it "
                           f"has ended, then force it")
