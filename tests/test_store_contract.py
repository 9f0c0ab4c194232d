"""The store's contract (fitwatch.store.base.Store), run against every backend; how a store is named
(open_store, Store(dir), the shared store of a process); and a store written by fitwatch 0.1.0.

A new backend joins by one more entry in BACKENDS and one more param of the ``backend`` fixture
(a fresh, empty store of it, and a way to hold its write lock so that other processes cannot commit).
"""

import contextlib
import json
import math
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from conftest import ROOT, run_python

import fitwatch
from fitwatch.store import SQLiteStore, Store, StoreError, backend_for, hostname, open_store, resolve_path

NAN, INF = float("nan"), float("inf")


@dataclass
class Backend:
    """One backend under test: ``url`` names a fresh store of it (``open_store(url)`` creates it)."""

    name: str
    url: str
    #: a context manager holding the database's write lock: no other process commits meanwhile
    block_commits: Callable[[], contextlib.AbstractContextManager]
    #: the journal files of the store's writers (fitwatch.store.journal) there are now
    journals: Callable[[], list]

    def open(self, **kw) -> Store:
        return open_store(self.url, **kw)


def _sqlite(tmp_path: Path, place: str = "store") -> Backend:
    folder = tmp_path / place

    @contextlib.contextmanager
    def block_commits():
        con = sqlite3.connect(folder / "fitwatch.db", isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            con.execute("ROLLBACK")
            con.close()

    return Backend("sqlite", f"sqlite://{folder}", block_commits,
                   lambda: sorted((folder / "fitwatch.db.pending").glob("*.jsonl")))


def _postgres(tmp_path: Path, place: str = "store") -> Backend:
    """A fresh database on the session's server (the ``pg_server`` fixture); the journals in
    ``$FITWATCH_JOURNAL_DIR``, which the ``backend`` fixture points into ``tmp_path``."""
    import pg_server

    server = pg_server.current
    url = server.create_database(pg_server.database_name(tmp_path, place))

    @contextlib.contextmanager
    def block_commits():
        import psycopg

        with psycopg.connect(url) as con:  # one transaction, rolled back at the end
            con.execute("LOCK TABLE fitwatch.epochs, fitwatch.steps, fitwatch.probes IN EXCLUSIVE MODE")
            yield
            con.rollback()

    journals = Path(os.environ["FITWATCH_JOURNAL_DIR"])
    return Backend("postgresql", url, block_commits, lambda: sorted(journals.glob("*/*.jsonl")))


#: name -> (tmp_path, place) -> a Backend naming a fresh store
BACKENDS = {"sqlite": _sqlite, "postgresql": _postgres}


@pytest.fixture(params=list(BACKENDS), ids=list(BACKENDS))
def backend(request, tmp_path, monkeypatch) -> Backend:
    if request.param == "postgresql":
        request.getfixturevalue("pg_server")  # the session's server (skipped where PostgreSQL is missing)
        monkeypatch.setenv("FITWATCH_JOURNAL_DIR", str(tmp_path / "journal"))  # children inherit it
    return BACKENDS[request.param](tmp_path)


@pytest.fixture
def store(backend):
    s = backend.open()
    yield s
    s.close()


def _same(a, b) -> bool:
    """Equal lists of floats, NaN equal to NaN."""
    return len(a) == len(b) and all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b))


# -- the interface --------------------------------------------------------------------------------
INTERFACE = {
    "locate", "path", "create_run", "update_run", "write_epoch", "queue_steps", "flush", "hold", "release",
    "recover", "runs", "find_run", "load", "steps", "step_counts", "last_steps", "close", "claim_run",
    "queue_probes", "probes",
}


def test_the_interface_is_what_the_other_layers_call(backend, store):
    assert Store.__abstractmethods__ == INTERFACE  # plus reopen_run, open, shared, reading: built on them
    cls = backend_for(backend.url)
    assert cls.scheme == backend.name and not cls.__abstractmethods__
    assert type(store) is cls and isinstance(store, Store) and isinstance(store, fitwatch.Store)
    for name in INTERFACE:
        assert getattr(Store, name).__doc__, f"Store.{name} says its contract"

    class Half(Store):  # a backend that implements nothing cannot be opened
        pass

    with pytest.raises(TypeError, match="abstract"):
        Half()


# -- writing and reading runs -------------------------------------------------------------------
def test_create_find_load_round_trip(store):
    rid = store.create_run("alpha", {"lr": 0.1}, {"note": "first"})
    store.write_epoch(rid, 0, {("train", "loss"): (1.0, 32), ("val", "loss"): (NAN, 16)})
    store.write_epoch(rid, 1, {("train", "loss"): (0.5, 32), ("val", "loss"): (-INF, None)})
    store.write_epoch(rid, 2, {("train", "loss"): (0.25, 32)})  # no validation this epoch
    rec = store.find_run("alpha")
    assert rec["id"] == rid and rec["name"] == "alpha" and rec["status"] == "running"
    assert rec["config"] == {"lr": 0.1} and rec["info"] == {"note": "first"}
    assert rec["pid"] == os.getpid() and rec["host"] == hostname()
    assert rec["error"] is None and rec["ended_at"] is None and rec["started_at"] > 0
    for ref in (rid, str(rid), f"#{rid}"):
        assert store.find_run(ref)["id"] == rid
    assert store.find_run("beta") is None and store.find_run(rid + 1) is None

    data = store.load("alpha")
    assert isinstance(data, fitwatch.RunData) and data.id == rid and data.status == "running"
    assert data.epochs.tolist() == [0, 1, 2]
    assert data.history["loss"] == [1.0, 0.5, 0.25]
    assert _same(data.history["val_loss"], [NAN, -INF, NAN])
    assert data.present[("val", "loss")].tolist() == [True, True, False]  # a logged NaN is a value
    assert data.series("val", "loss")[0].tolist() == [0, 1]
    assert len(data.epoch_times) == 3 and not np.isnan(data.epoch_times).any()
    by_id = store.load(rid)
    assert by_id.epochs.tolist() == [0, 1, 2] and _same(by_id.history["val_loss"], [NAN, -INF, NAN])

    store.write_epoch(rid, 2, {("train", "loss"): (0.125, 32)})  # an epoch written again: replaced
    assert store.load(rid).history["loss"] == [1.0, 0.5, 0.125]


def test_an_int_is_an_id_only_and_a_missing_run_names_the_latest(store):
    first = store.create_run("alpha", {}, {})
    named = store.create_run(str(first + 10), {}, {})  # a run whose name looks like an id
    assert store.find_run(str(first + 10))["id"] == named
    assert store.find_run(first + 10) is None  # an int: the id, never the name
    with pytest.raises(KeyError, match=rf"no run named 'gamma' in {store.path}.*latest: {first + 10}, alpha"):
        store.load("gamma")
    with pytest.raises(KeyError, match=rf"no run with id {first + 99} in "):
        store.load(first + 99)
    with pytest.raises(KeyError, match=rf"no run with id {first + 99} in "):
        store.load(f"#{first + 99}")


def test_config_and_info_are_stored_as_json(store, tmp_path):
    class Opaque:
        def __repr__(self):
            return "<opaque>"

    config = {"lr": np.float32(0.5), "epochs": np.int64(3), "sizes": np.array([64, 32]), "pair": (1, 2),
              "where": tmp_path / "x", "tags": {"a"}, "model": Opaque(), "nested": {"nan": NAN, "ok": True}}
    rid = store.create_run("json", config, {"seed": np.int32(7)})
    rec = store.find_run(rid)
    nan = rec["config"]["nested"].pop("nan")
    assert math.isnan(nan)
    assert rec["config"] == {"lr": 0.5, "epochs": 3, "sizes": [64, 32], "pair": [1, 2], "where": str(tmp_path / "x"),
                             "tags": ["a"], "model": "<opaque>", "nested": {"ok": True}}
    assert rec["info"] == {"seed": 7}
    store.update_run(rid, info={"best": np.float64(0.25), "stop": {"epoch": np.int64(4)}})
    assert store.find_run(rid)["info"] == {"best": 0.25, "stop": {"epoch": 4}}
    assert json.loads(json.dumps(store.runs()[0]["config"], allow_nan=True))  # plain JSON values


def test_update_run(store):
    rid = store.create_run("upd", {"a": 1}, {})
    before = store.find_run(rid)
    store.update_run(rid, status="failed", error="ValueError: bad", ended_at=before["started_at"] + 5.0,
                     info={"partial_epoch": 3})
    after = store.find_run(rid)
    assert after["status"] == "failed" and after["error"] == "ValueError: bad"
    assert after["ended_at"] == before["started_at"] + 5.0 and after["info"] == {"partial_epoch": 3}
    assert after["config"] == {"a": 1} and after["updated_at"] >= before["updated_at"]
    assert after["started_at"] == before["started_at"]


def test_reopen_resumes_a_run(store):
    rid = store.create_run("resumed", {}, {})
    for epoch in range(3):
        store.write_epoch(rid, epoch, {("train", "loss"): (1.0 / (epoch + 1), 8)})
    store.queue_steps([("train", "loss", 2, [0, 1, 2], [1.0, 0.5, 0.3], [8, 8, 8])], rid)
    store.update_run(rid, status="failed", error="KeyboardInterrupt", ended_at=1.0, pid=1, host="elsewhere")
    store.reopen_run(rid)
    rec = store.find_run(rid)
    assert (rec["status"], rec["error"], rec["ended_at"]) == ("running", None, None)
    assert rec["pid"] == os.getpid() and rec["host"] == hostname()
    assert store.last_steps(rid) == {"train": 2}  # a resumed run counts its batches on from here
    store.write_epoch(rid, 3, {("train", "loss"): (0.2, 8)})
    assert store.load(rid).epochs.tolist() == [0, 1, 2, 3]


def test_runs_summaries(store):
    assert store.runs() == []
    a = store.create_run("a", {"lr": 1}, {})
    for epoch, v in enumerate([1.0, 0.5, NAN, 0.7, -INF]):
        store.write_epoch(a, epoch, {("train", "loss"): (v + 1, 4), ("val", "loss"): (v, 4)})
    b = store.create_run("b", {}, {})
    store.write_epoch(b, 0, {("train", "loss"): (0.1, 4)})
    c = store.create_run("c", {}, {})
    runs = store.runs()
    assert [r["id"] for r in runs] == [a, b, c] and [r["name"] for r in runs] == ["a", "b", "c"]
    ra, rb, rc = runs
    assert (ra["epochs"], ra["last_epoch"], ra["best_val_loss"], ra["best_epoch"]) == (5, 4, 0.5, 1)
    assert ra["config"] == {"lr": 1} and ra["status"] == "running"
    assert (rb["epochs"], rb["last_epoch"], rb["best_val_loss"], rb["best_epoch"]) == (1, 0, None, None)
    assert (rc["epochs"], rc["last_epoch"], rc["best_val_loss"], rc["best_epoch"]) == (0, None, None, None)
    last_commit = float(store.load(a).epoch_times.max())
    assert ra["updated_at"] >= last_commit and ra["updated_at"] >= store.find_run(a)["updated_at"]
    # a last epoch cut short (info partial_epoch) is no best, however low its partial value (an eighth trial)
    d = store.create_run("d", {}, {"partial_epoch": 2})
    for epoch, v in enumerate([1.0, 0.6, 0.1]):
        store.write_epoch(d, epoch, {("val", "loss"): (v, 4)})
    rd = store.runs()[-1]
    assert (rd["best_val_loss"], rd["best_epoch"]) == (0.6, 1), rd


def test_steps_round_trip(store):
    rid = store.create_run("steps", {}, {})
    empty = store.create_run("no-steps", {}, {})
    store.queue_steps([], rid)  # nothing: no error
    store.queue_steps([("train", "loss", 0, [0, 1, 2], [1.0, NAN, 0.5], [32, 32, 16]),
                       ("val", "loss", 0, [0], [2.0], [100])], rid)
    assert store.flush(30.0) is True
    store.queue_steps([("train", "loss", 1, [3, 4], [0.25, INF], [32, 32]),
                       ("train", "accuracy", 1, [3, 4], [0.5, 0.75], [32, 32])], rid)
    steps = store.steps(rid)  # a read sees what this process queued
    assert list(steps) == [("train", "accuracy"), ("train", "loss"), ("val", "loss")]
    t = steps[("train", "loss")]
    assert t["step"].dtype == np.int64 and t["value"].dtype == np.float64
    assert t["n"].dtype == np.int64 and t["epoch"].dtype == np.int64
    assert t["step"].tolist() == [0, 1, 2, 3, 4] and t["epoch"].tolist() == [0, 0, 0, 1, 1]
    assert _same(t["value"].tolist(), [1.0, NAN, 0.5, 0.25, INF]) and t["n"].tolist() == [32, 32, 16, 32, 32]
    assert steps[("val", "loss")]["value"].tolist() == [2.0]
    assert store.step_counts(rid) == {("train", "accuracy"): 2, ("train", "loss"): 5, ("val", "loss"): 1}
    assert store.last_steps(rid) == {"train": 4, "val": 0}
    assert store.load(rid).steps()[("train", "accuracy")][1].tolist() == [0.5, 0.75]
    assert (store.steps(empty), store.step_counts(empty), store.last_steps(empty)) == ({}, {}, {})


def test_probes_round_trip(store):
    rid = store.create_run("probed", {}, {})
    other = store.create_run("not-probed", {}, {})
    store.queue_probes(rid, [])  # nothing: no error
    store.queue_probes(rid, [(0, 0, "0", "grad_norm", 0.5), (0, 0, "input", "scale_max", 1.2),
                             (0, 4, "0", "grad_norm", NAN), (1, 100, "0", "grad_norm", INF)])
    probes = store.probes(rid)  # a read sees what this process queued
    g = probes[("0", "grad_norm")]
    assert g["step"].dtype == np.int64 and g["epoch"].dtype == np.int64 and g["value"].dtype == np.float64
    assert g["step"].tolist() == [0, 4, 100] and g["epoch"].tolist() == [0, 0, 1]
    assert _same(g["value"].tolist(), [0.5, NAN, INF])
    assert probes[("input", "scale_max")]["value"].tolist() == [1.2]
    loaded = store.load(rid).probes()
    assert loaded.keys() == probes.keys() and loaded[("0", "grad_norm")]["step"].tolist() == [0, 4, 100]
    assert store.probes(other) == {} and store.load(other).probes() == {}


# -- durability -------------------------------------------------------------------------------------
READ_BACK = """
import json, sys
from fitwatch.store import open_store
store = open_store(sys.argv[1], create=False)
data = store.load(int(sys.argv[2]))
print(json.dumps({"epochs": data.epochs.tolist(), "loss": data.history.get("loss"),
                  "steps": {"/".join(k): v for k, v in store.step_counts(data.id).items()},
                  "status": data.status}))
"""


def _read_back(backend, rid) -> dict:
    """What another process reads of run ``rid``."""
    return json.loads(run_python(READ_BACK, backend.url, str(rid)).stdout)


def test_flush_makes_everything_visible_to_other_processes(backend, store):
    rid = store.create_run("flushed", {}, {})
    store.hold()
    for epoch in range(3):
        store.write_epoch(rid, epoch, {("train", "loss"): (float(epoch), 4)})
        store.queue_steps([("train", "loss", epoch, [2 * epoch, 2 * epoch + 1], [1.0, 2.0], [2, 2])], rid)
    assert store.flush(30.0) is True
    assert len(backend.journals()) == 1  # this process's, until its last run is released
    seen = _read_back(backend, rid)
    assert seen == {"epochs": [0, 1, 2], "loss": [0.0, 1.0, 2.0], "steps": {"train/loss": 6}, "status": "running"}
    store.write_epoch(rid, 3, {("train", "loss"): (3.0, 4)})
    store.update_run(rid, status="finished")
    store.release()  # the last run of this process: everything committed, the journal gone
    assert backend.journals() == []
    assert _read_back(backend, rid)["epochs"] == [0, 1, 2, 3]


KILLED_WRITER = """
import sys, time
from fitwatch.store import open_store
store = open_store(sys.argv[1])
rid = store.create_run("killed", {"child": True}, {})
store.hold()
print(rid, flush=True)
sys.stdin.readline()  # the parent holds the write lock now: nothing below reaches the database
for epoch in range(5):
    val = float("nan") if epoch == 2 else 2.0 / (epoch + 1)
    store.write_epoch(rid, epoch, {("train", "loss"): (1.0 / (epoch + 1), 32), ("val", "loss"): (val, 16)})
print("written", flush=True)  # write_epoch returned: each epoch is durable
time.sleep(600)
"""


def _kill_a_writer(backend, first) -> int:
    """Run KILLED_WRITER in a child, its commits blocked, and SIGKILL it once its 5 epochs are written
    (journaled, not committed); ``first``, opened before, must leave the live writer's journal alone.
    Returns the child's run id."""
    child = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, backend.url], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        rid = int(child.stdout.readline())
        with backend.block_commits():
            child.stdin.write("go\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == "written"
            assert first.recover() == 0  # a live writer's journal is left alone
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    return rid


def test_a_killed_writers_journal_is_replayed_by_the_next_opener(backend):
    first = backend.open()
    rid = _kill_a_writer(backend, first)
    assert first.load(rid).epochs.tolist() == []  # none of its commits landed
    second = backend.open()  # opening replays the journal of the process that is gone
    try:
        data = second.load(rid)
        assert data.status == "running" and data.config == {"child": True}
        assert data.epochs.tolist() == [0, 1, 2, 3, 4]
        assert data.history["loss"] == [1.0, 0.5, 1.0 / 3, 0.25, 0.2]
        assert _same(data.history["val_loss"], [2.0, 1.0, NAN, 0.5, 0.4])
        assert first.load(rid).epochs.tolist() == [0, 1, 2, 3, 4]  # in the database, for every reader
        assert first.recover() == 0 and second.recover() == 0  # replayed once, then removed
        assert backend.journals() == []
    finally:
        second.close()
        first.close()


def test_recover_returns_the_values_it_added(backend):
    first = backend.open()
    rid = _kill_a_writer(backend, first)
    try:
        first.write_epoch(rid, 0, {("train", "loss"): (9.0, 1)})  # already stored: the replay keeps it
        assert first.flush(30.0)
        assert first.recover() == 9  # 5 epochs x 2 values, less the one already there
        assert first.load(rid).history["loss"] == [9.0, 0.5, 1.0 / 3, 0.25, 0.2]
    finally:
        first.close()


def test_a_torn_journal_line_is_moved_aside(tmp_path):
    from fitwatch.store.journal import replay

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process that is gone: its pid is no longer alive
    folder = tmp_path / "fitwatch.db.pending"
    folder.mkdir()
    path = folder / f"{hostname()}.{gone.pid}.jsonl"
    path.write_bytes(b'[[1, "train", "loss", 0, 0.5, 4, 1.0]]\n[[1, "train", "loss", 1, 0.2')  # died mid-write
    (folder / f"another-host.{gone.pid}.jsonl").write_bytes(b"[]\n")
    got = []
    with pytest.warns(UserWarning, match=r"1 line of the journal .* moved to .*\.jsonl\.rejected"):
        assert replay(folder, lambda rows: got.extend(rows) or len(rows)) == 1
    assert got == [(1, "train", "loss", 0, 0.5, 4, 1.0)]
    assert not path.exists() and (folder / f"another-host.{gone.pid}.jsonl").exists()  # not ours to replay
    assert (folder / f"{path.name}.rejected").read_bytes() == b'[[1, "train", "loss", 1, 0.2\n'  # kept, aside


# -- how a store is named -------------------------------------------------------------------------
def test_open_store_takes_a_folder_or_a_sqlite_url(tmp_path, monkeypatch):
    folder = tmp_path / "runs"
    stores = [open_store(folder), open_store(str(folder)), open_store(f"sqlite://{folder}"),
              Store(folder), Store(f"sqlite://{folder}"), fitwatch.Store(folder, create=False)]
    assert all(type(s) is SQLiteStore for s in stores)
    assert {s.path for s in stores} == {folder / "fitwatch.db"}
    monkeypatch.setenv("FITWATCH_DIR", str(tmp_path / "env"))
    stores.append(open_store())
    assert stores[-1].path == tmp_path / "env" / "fitwatch.db"
    monkeypatch.delenv("FITWATCH_DIR")
    monkeypatch.chdir(tmp_path)
    stores.append(open_store(None))
    assert stores[-1].path.resolve() == (tmp_path / "fitwatch" / "fitwatch.db").resolve()
    for s in stores:
        s.close()


def test_a_missing_store_is_not_created_by_a_reader(tmp_path):
    with pytest.raises(StoreError, match="no fitwatch store here") as e:
        open_store(f"sqlite://{tmp_path / 'nothing'}", create=False)
    assert str(tmp_path / "nothing") in str(e.value) and not (tmp_path / "nothing").exists()


@pytest.mark.parametrize("url", ["mysql://me:s3cret@db.example:5432/runs", "mongodb://db.example/runs"])
def test_a_url_no_backend_serves_is_one_line_naming_its_scheme(url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scheme = url.split(":")[0]
    for opener in (open_store, Store, Store.open, Store.shared, resolve_path):
        with pytest.raises(StoreError) as e:
            opener(url)
        msg = str(e.value)
        assert "\n" not in msg and f"no fitwatch store backend for {scheme}:// URLs" in msg, msg
        assert ("give a folder path, a sqlite:///absolute/path/to/folder URL or a "
                "postgresql://user@host:port/database URL (backends: postgresql, sqlite)") in msg
        assert "s3cret" not in msg and "db.example" not in msg  # a URL may hold a password: not repeated
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_fitwatch_dir_is_read_as_if_it_had_been_given(tmp_path, monkeypatch):
    """$FITWATCH_DIR holding a URL is that URL (not a relative folder named 'postgresql:'), for every
    opener and for a Run; nothing is created in the working folder, and no password is printed."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FITWATCH_DIR", "mysql://me:s3cret@db.example/runs")
    for opener in (open_store, Store, Store.open, Store.shared, resolve_path, fitwatch.Run):
        with pytest.raises(StoreError, match="no fitwatch store backend for mysql:// URLs") as e:
            opener()
        assert "s3cret" not in str(e.value)
    monkeypatch.setenv("FITWATCH_DIR", "postgresql://me:s3cret@127.0.0.1:1/runs")  # nothing listens on port 1
    for opener in (open_store, Store, Store.open, Store.shared, fitwatch.Run):
        with pytest.raises(StoreError, match=r"^postgresql://me@127.0.0.1:1/runs: connection refused") as e:
            opener()
        assert "s3cret" not in str(e.value)
    with pytest.raises(StoreError, match="postgresql:// URLs name a database server, not a file"):
        resolve_path()
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("FITWATCH_DIR", f"sqlite:///{tmp_path}/env")  # SQLAlchemy's four slashes: the same place
    with fitwatch.Run("from-env", diagnose=False) as run:
        run.log_epoch(loss=1.0)
    assert run.store.path == tmp_path / "env" / "fitwatch.db"
    assert Store.shared(f"sqlite://{tmp_path}/env") is run.store
    assert fitwatch.load("from-env").history["loss"] == [1.0]


def test_a_sqlite_url_names_an_absolute_folder():
    with pytest.raises(StoreError, match=r"^sqlite://runs/today: a sqlite URL names a folder by its absolute "
                                         r"path: sqlite:///absolute/path/to/folder$"):
        open_store("sqlite://runs/today")
    with pytest.raises(StoreError, match="absolute path"):
        open_store("sqlite:///")  # not the root folder


def test_the_shared_store_is_one_per_process_and_place(backend, tmp_path, monkeypatch):
    shared = Store.shared(backend.url)
    assert Store.shared(backend.url) is shared and Store.open(backend.url) is shared
    assert Store.shared(shared.path) is shared  # its path names the same place
    closed = []
    cls = type(shared)
    close = cls.close
    monkeypatch.setattr(cls, "close", lambda self: closed.append(self) or close(self))
    with Store.reading(backend.url) as s:
        assert s is shared
    assert closed == []  # this process's runs still write through it
    other = BACKENDS[backend.name](tmp_path, "other")  # no shared store there
    other.open().close()
    with Store.reading(other.url) as s:
        assert s is not Store.shared(backend.url)
    assert closed[-1] is s  # a store opened for reading is closed after


# -- stores written before the store layer was split (fitwatch 0.1.0) --------------------------------
V0 = ROOT / "tests" / "data" / "stores" / "v0.1.0" / "fitwatch.db"


def test_a_store_written_by_fitwatch_0_1_0_reads_unchanged(tmp_path):
    """tests/data/stores/v0.1.0/README.md says how the file was written (two runs, batch values)."""
    shutil.copy(V0, tmp_path / "fitwatch.db")  # never write into the test data
    con = sqlite3.connect(tmp_path / "fitwatch.db")
    schema = con.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    con.close()
    store = Store(tmp_path, create=False)
    runs = store.runs()
    assert runs == [
        {"id": 1, "name": "v0-mlp", "status": "finished",
         "config": {"lr": 0.003, "units": [64, 32], "optimizer": "adam", "seed": 7},
         "info": {"dataset": "digits", "written_by": "fitwatch 0.1.0", "note": "three epochs"}, "error": None,
         "started_at": 1796233006.2419887, "ended_at": 1796233006.2463734, "updated_at": 1796233006.246375,
         "pid": 14874, "host": "vm", "epochs": 3, "last_epoch": 2, "best_val_loss": 0.75, "best_epoch": 2},
        {"id": 2, "name": "v0-failed", "status": "failed", "config": {}, "info": {},
         "error": "RuntimeError: out of memory", "started_at": 1796233006.2466161, "ended_at": 1796233006.2524202,
         "updated_at": 1796233006.2524223, "pid": 14874, "host": "vm", "epochs": 1, "last_epoch": 0,
         "best_val_loss": None, "best_epoch": None},
    ]
    mlp = store.load("v0-mlp")
    assert mlp.epochs.tolist() == [0, 1, 2]
    assert mlp.history["loss"] == [1.1875, 0.6875, 0.5208333333333333]
    assert mlp.history["val_loss"] == [1.75, 1.0, 0.75]
    assert mlp.history["accuracy"] == [0.5, 0.625, 0.75]
    assert _same(mlp.history["val_accuracy"], [0.25, NAN, 0.75])
    assert mlp.epoch_times.tolist() == [1796233006.2452247, 1796233006.2459419, 1796233006.2460024]
    steps = store.steps(1)
    assert list(steps) == [("train", "accuracy"), ("train", "loss"), ("val", "accuracy"), ("val", "loss")]
    assert steps[("train", "loss")]["step"].tolist() == list(range(12))
    assert steps[("train", "loss")]["epoch"].tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    assert steps[("train", "loss")]["value"].tolist() == [
        1.0, 1.125, 1.25, 1.375, 0.5, 0.625, 0.75, 0.875,
        0.3333333333333333, 0.4583333333333333, 0.5833333333333333, 0.7083333333333333]
    assert steps[("train", "loss")]["n"].tolist() == [32] * 12
    assert steps[("train", "accuracy")]["value"].tolist() == [0.5] * 4 + [0.625] * 4 + [0.75] * 4
    assert _same(steps[("val", "accuracy")]["value"].tolist(), [0.25, NAN, 0.75])
    assert steps[("val", "loss")]["n"].tolist() == [16, 16, 16]
    assert store.step_counts(1) == {("train", "accuracy"): 12, ("train", "loss"): 12,
                                    ("val", "accuracy"): 3, ("val", "loss"): 3}
    assert store.last_steps(1) == {"train": 11, "val": 2}
    failed = store.load("v0-failed")
    assert failed.history == {"loss": [2.0], "val_loss": [-INF]} and store.steps(2) == {}
    store.close()
    con = sqlite3.connect(tmp_path / "fitwatch.db")
    assert con.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall() == schema
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    assert dict(con.execute("SELECT key, value FROM meta")) == {"schema_version": "1", "created_by": "fitwatch"}
    con.close()
    assert fitwatch.load("v0-mlp", dir=tmp_path).config["units"] == [64, 32]
