"""A real PostgreSQL server for the tests: ``initdb`` + ``pg_ctl`` on a free loopback port in a temporary
folder (Debian's ``postgresql`` package; ``.ci/run`` installs it), never a mock.

The binaries are found on PATH, else in ``/usr/lib/postgresql/*/bin/`` (Debian keeps them there). As
root (CI, containers) they run as the user ``postgres`` (``runuser -u postgres --``): PostgreSQL refuses
to run as root. The server trusts every loopback connection (no password), keeps nothing durable it
need not (``fsync=off``: the tests kill clients, never the machine) and logs to ``server.log`` in its folder.

Example (a session-scoped fixture in conftest.py does this once per test session)::

    server = PgServer.start(tmp_folder)
    url = server.create_database("fw_test")      # postgresql://postgres@127.0.0.1:PORT/fw_test
    server.stop(); server.restart()              # the server going away mid-run, and coming back
    server.destroy()
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

USER = "postgres"  # the database superuser initdb creates (-U)
#: a role that must give its password (scram-sha-256); every other loopback connection is trusted
PASSWORD_USER, PASSWORD = "fw_pw", "s3cret-pw"
#: the session's server (set by the ``pg_server`` fixture of conftest.py), for tests/test_store_contract.py
current: "PgServer | None" = None


def binaries() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``; None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(versions[-1]).parent if versions else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """One PostgreSQL server of the tests (see the module's docstring)."""

    def __init__(self, folder: Path, bindir: Path, port: int):
        self.folder, self.bindir, self.port = folder, bindir, port
        self.data = folder / "data"
        self._as_root = os.geteuid() == 0

    @classmethod
    def start(cls, folder: Path | None = None) -> "PgServer":
        """initdb a cluster in ``folder`` (a new temporary folder when None) and start it."""
        bindir = binaries()
        if bindir is None:
            raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql): no initdb")
        folder = Path(folder or tempfile.mkdtemp(prefix="fitwatch-pg-"))
        folder.mkdir(parents=True, exist_ok=True)
        server = cls(folder, bindir, free_port())
        if server._as_root:
            shutil.chown(folder, USER)
            os.chmod(folder, 0o755)
        server._run("initdb", "-D", str(server.data), "-U", USER, "--auth=trust", "--no-sync", "-E", "UTF8",
                    "--locale=C")
        hba = server.data / "pg_hba.conf"
        hba.write_text(f"host all {PASSWORD_USER} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        server.restart()
        server.sql(f"CREATE ROLE {PASSWORD_USER} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
        return server

    def _run(self, tool: str, *args: str, timeout: float = 120) -> str:
        cmd = [str(self.bindir / tool), *args]
        if self._as_root:
            cmd = ["runuser", "-u", USER, "--", *cmd]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.folder)
        if p.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{tool} failed ({p.returncode}): {p.stdout[-2000:]}{p.stderr[-2000:]}\n{tail}")
        return p.stdout

    def restart(self) -> None:
        """Start the server (again, on the same port), waiting until it accepts connections."""
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='{self.folder}' "
                f"-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-o", opts, "-w",
                  "-t", "60", "start")

    def stop(self) -> None:
        """Stop the server at once (``-m fast``: connected clients are cut off, as by an outage)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> None:
        """Run one statement (autocommit: CREATE DATABASE cannot run in a transaction)."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as c:
            c.execute(statement)

    def create_database(self, name: str) -> str:
        """A new, empty database (dropped first if a previous test left one); returns its URL."""
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        """Stop the server and delete its folder."""
        try:
            self.stop()
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


def database_name(*parts) -> str:
    """A database name for a test (PostgreSQL names are at most 63 bytes): ``fw_`` and a hash of ``parts``."""
    import hashlib

    return "fw_" + hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()[:20]


def wait_until(condition, timeout: float = 30.0, every: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(every)
    return bool(condition())
