"""The PostgreSQL store on a real server (tests/pg_server.py; the Store contract runs on it in
tests/test_store_contract.py): schema versions, bad URLs and passwords, a missing driver, a killed
writer, several writer processes at once, the command line and the dashboard reading it, and the
server going away mid-run."""

import json
import os
import signal
import subprocess
import sys
import time
import warnings

import pytest

from conftest import ROOT, run_python

import fitwatch
from fitwatch.store import PostgresStore, Store, StoreError, StoreWriteWarning, open_store

pg = pytest.importorskip("pg_server")


@pytest.fixture
def url(pg_server, request, tmp_path, monkeypatch):
    """A fresh database on the session's server, also $FITWATCH_DIR; journals in tmp_path."""
    monkeypatch.setenv("FITWATCH_JOURNAL_DIR", str(tmp_path / "journal"))
    u = pg_server.create_database(pg.database_name(request.node.nodeid))
    monkeypatch.setenv("FITWATCH_DIR", u)
    return u


def _cli(*args, env=None, check=True):
    p = subprocess.run([sys.executable, "-m", "fitwatch.cli", *args], capture_output=True, text=True, timeout=120,
                       env={**os.environ, **(env or {})}, cwd=ROOT)
    if check:
        assert p.returncode == 0, p.stderr
    return p


# -- opening: schema versions, bad places -----------------------------------------------------------
def test_the_schema_is_versioned_and_a_newer_one_refused(url, pg_server):
    store = open_store(url)
    assert type(store) is PostgresStore and str(store.path) == url and repr(store) == f"Store({url!r})"
    assert Store(url.replace("postgresql://", "postgres://")).path == store.path  # both schemes, one place
    store.close()
    import psycopg

    with psycopg.connect(url) as c:
        meta = dict(c.execute("SELECT key, value FROM fitwatch.meta").fetchall())
        assert meta["schema_version"] == "2" and meta["created_by"] == "fitwatch" and len(meta["store_id"]) == 36
        c.execute("UPDATE fitwatch.meta SET value = '3' WHERE key = 'schema_version'")
    with pytest.raises(StoreError) as e:
        open_store(url)
    assert str(e.value) == (f"{url}: store schema version 3 was written by a newer fitwatch; fitwatch "
                            f"{fitwatch.__version__} reads up to version 2: pip install -U fitwatch")


def test_a_reader_creates_nothing_and_a_foreign_schema_is_refused(url, pg_server):
    with pytest.raises(StoreError, match=r"no fitwatch store in this database; train with fitwatch first"):
        open_store(url, create=False)
    p = _cli("runs", "--dir", url, check=False)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "no fitwatch store in this database" in p.stderr
    import psycopg

    with psycopg.connect(url) as c:
        assert c.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'fitwatch'").fetchone()[0] == 0
        c.execute("CREATE SCHEMA fitwatch; CREATE TABLE fitwatch.users (id int)")
    with pytest.raises(StoreError, match=r"not a fitwatch store \(its schema fitwatch holds the tables users\)"):
        open_store(url)


@pytest.mark.parametrize("case", ["refused", "password", "database", "not-a-url"])
def test_a_bad_url_or_password_is_one_line_naming_the_url_without_the_password(case, pg_server, tmp_path):
    port = pg.free_port()
    url, said, expected = {
        "refused": (f"postgresql://alice:hunter2@127.0.0.1:{port}/runs", f"postgresql://alice@127.0.0.1:{port}/runs",
                    "connection refused"),
        "password": (pg_server.url().replace(f"{pg.USER}@", f"{pg.PASSWORD_USER}:hunter2@"),
                     pg_server.url().replace(f"{pg.USER}@", f"{pg.PASSWORD_USER}@"), "password authentication failed"),
        "database": (pg_server.url("no_such_db").replace(f"{pg.USER}@", f"{pg.USER}:hunter2@"),
                     pg_server.url("no_such_db"), "the database 'no_such_db' does not exist"),
        "not-a-url": ("postgresql://alice:hunter2@127.0.0.1:99999/runs", "postgresql://alice@127.0.0.1:99999/runs",
                      'not a PostgreSQL URL libpq takes (invalid port number: "99999")'),
    }[case]
    with pytest.raises(StoreError) as e:
        open_store(url)
    assert str(e.value).startswith(f"{said}: {expected}") and "hunter2" not in str(e.value), str(e.value)
    for args in (["runs", "--dir", url], ["show", "some-run", "--dir", url], ["diagnose", "some-run", "--dir", url]):
        p = _cli(*args, check=False, env={"FITWATCH_JOURNAL_DIR": str(tmp_path)})
        assert p.returncode == 2 and p.stdout == "", (args, p.stdout, p.stderr)
        assert p.stderr.count("\n") == 1 and said in p.stderr and "hunter2" not in p.stderr, (args, p.stderr)
        assert "Traceback" not in p.stderr


def test_the_right_password_opens_the_store(pg_server, tmp_path, monkeypatch):
    monkeypatch.setenv("FITWATCH_JOURNAL_DIR", str(tmp_path))
    db = pg_server.create_database(pg.database_name("password-ok", tmp_path)).rsplit("/", 1)[1]
    url = f"postgresql://{pg.PASSWORD_USER}:{pg.PASSWORD}@127.0.0.1:{pg_server.port}/{db}"
    with fitwatch.Run("with-password", dir=url, diagnose=False, progress=False) as run:
        run.log_epoch(loss=1.0)
    assert pg.PASSWORD not in str(run.store.path) and pg.PASSWORD not in repr(run.store)
    assert Store.shared(run.store.path) is run.store  # its path opens it again: the password is kept
    assert fitwatch.load("with-password", dir=run.store.path).history == {"loss": [1.0]}


def test_without_psycopg_the_core_imports_and_the_error_names_the_install(url):
    p = run_python("import sys\nsys.modules['psycopg'] = None  # not installed\n"
                   "import fitwatch\nfrom fitwatch.store import open_store\n"
                   "print(sorted(m for m in sys.modules if m.startswith('psycopg') and sys.modules[m]))\n"
                   "try:\n    open_store(sys.argv[1])\nexcept fitwatch.StoreError as e:\n    print(e)\n", url)
    lines = p.stdout.splitlines()
    assert lines == ["[]", "the PostgreSQL store needs the psycopg 3 driver, which is not installed: "
                           "pip install 'fitwatch[postgres]'"]


# -- writers ------------------------------------------------------------------------------------------
def test_sigkill_keeps_every_completed_epoch(url):
    from test_store import TRAIN_FOREVER  # a real Run, printing each epoch it completed

    child = subprocess.Popen([sys.executable, "-c", TRAIN_FOREVER, "killed", "0.005"], stdout=subprocess.PIPE,
                             text=True, env=os.environ.copy())
    lines = []
    try:
        while len(lines) < 8:
            lines.append(child.stdout.readline())
        os.kill(child.pid, signal.SIGKILL)  # no chance to flush anything
    finally:
        child.kill()
        child.wait(timeout=30)
    completed = int(lines[-1].split()[1])  # epochs 0..completed ended: each must be in the store
    data = fitwatch.load("killed")  # opening the store replays the killed writer's journal
    assert data.status == "running" and fitwatch.store.effective_status(data) == "killed"
    assert data.epochs[: completed + 1].tolist() == list(range(completed + 1))
    assert data.history["val_loss"][: completed + 1] == pytest.approx([2.0 / (e + 1) for e in range(completed + 1)])
    assert data.history["loss"][: completed + 1] == pytest.approx([1.0 / (e + 1) + 19e-3 / 2
                                                                   for e in range(completed + 1)])


WRITER = """
import sys, fitwatch
name, epochs = sys.argv[1], int(sys.argv[2])
for k in range(2):
    with fitwatch.Run(f"{name}-{k}", config={"writer": name, "k": k}, diagnose=False, progress=False) as run:
        for epoch in run.epochs(epochs):
            for b in range(50):
                run.log("train", loss=1.0 / (epoch + 1) + b * 1e-4, n=8)
            run.log("val", loss=1.5 / (epoch + 1), n=8)
# racing: every writer resumes one name at once; exactly one creates it
run = fitwatch.Run("shared-name", resume=True, diagnose=False, progress=False)
print(run.id, flush=True)
"""


def test_several_writer_processes_write_one_database_without_colliding(url):
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, f"w{i}", "6"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=os.environ.copy()) for i in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode in (0, 1), err
    store = Store.open(url)
    runs = {r["name"]: r for r in store.runs()}
    assert len({r["id"] for r in runs.values()}) == len(runs)  # ids from the database: never one twice
    for i in range(4):
        for k in range(2):
            r = runs[f"w{i}-{k}"]
            assert r["config"] == {"writer": f"w{i}", "k": k} and r["status"] == "finished" and r["epochs"] == 6
            assert store.step_counts(r["id"]) == {("train", "loss"): 300, ("val", "loss"): 6}
            data = store.load(r["id"])
            assert data.history["val_loss"] == pytest.approx([1.5 / (e + 1) for e in range(6)])
    shared = [r for r in store.runs() if r["name"] == "shared-name"]
    assert len(shared) == 1  # of 4 processes creating it at once, exactly one did
    # the others either resumed it after the winner (the winner still running: one of them wins the
    # claim, the rest get a clear error) or found it finished; none made a second run
    winners = [out.strip() for p, (out, _) in zip(procs, outs) if p.returncode == 0]
    assert winners and set(winners) == {str(shared[0]["id"])}
    store.close()


# -- readers: the command line, the dashboard, fitwatch.load ------------------------------------------
def test_the_cli_the_dashboard_and_load_read_it_unchanged(url, tmp_path):
    with fitwatch.Run("mlp", config={"lr": 0.01}, diagnose=False, progress=False, tags=["baseline"]) as run:
        for epoch in run.epochs(12):
            for b in range(10):
                run.log("train", loss=1.0 / (epoch + 1) + b * 1e-3, n=32)
            run.log("val", loss=[1.0, 0.7, 0.55, 0.5, 0.52, 0.56, 0.6, 0.65, 0.7, 0.75, 0.8, 0.86][epoch], n=64)
    assert fitwatch.load("mlp").history["val_loss"][3] == 0.5
    listed = json.loads(_cli("runs", "--json", "--dir", url).stdout)
    assert [(r["name"], r["epochs"], r["best_val_loss"], r["best_epoch"]) for r in listed] == [("mlp", 12, 0.5, 3)]
    shown = _cli("show", "mlp", "--dir", url).stdout
    assert "mlp" in shown and "0.5" in shown
    diagnosed = _cli("diagnose", "mlp", "--json", env={"FITWATCH_DIR": url}).stdout
    assert json.loads(diagnosed)["verdict"] == "overfitting"
    report = tmp_path / "mlp.html"
    _cli("report", "mlp", "-o", str(report), "--dir", url)
    assert report.stat().st_size > 10_000 and "overfitting" in report.read_text()
    _cli("tag", "mlp", "kept", "--dir", url)
    assert fitwatch.load("mlp", dir=url).tags == ["baseline", "kept"]
    pytest.importorskip("starlette")
    pytest.importorskip("httpx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    from fitwatch.show.dashboard import create_app

    client = TestClient(create_app(url))
    runs = client.get("/api/runs").json()
    assert runs["store"] == url and [r["name"] for r in runs["runs"]] == ["mlp"]
    detail = client.get(f"/api/runs/{run.id}").json()
    assert detail["config"] == {"lr": 0.01}


# -- the server goes away mid-run ----------------------------------------------------------------------
def test_a_server_that_goes_away_mid_run_loses_nothing_and_warns_once(tmp_path, monkeypatch, pg_server):
    """A server of its own (stopped and started with pg_ctl), so the session's stays up for the others."""
    monkeypatch.setenv("FITWATCH_JOURNAL_DIR", str(tmp_path / "journal"))
    server = pg.PgServer.start()
    try:
        url = server.create_database("outage")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run = fitwatch.Run("outage", dir=url, diagnose=False, progress=False)
            for epoch in run.epochs(12):
                if epoch == 3:
                    run.store.flush(30)
                    server.stop()  # connected clients are cut off
                if epoch == 8:
                    server.restart()
                for b in range(10):
                    run.log("train", loss=1.0 / (epoch + 1) + b * 1e-3, n=4)
                run.log("val", loss=2.0 / (epoch + 1), n=4)
                time.sleep(0.4 if 3 <= epoch < 8 else 0.0)  # the writer tries (and fails) meanwhile
            run.finish()
        said = [w for w in caught if issubclass(w.category, StoreWriteWarning)]
        assert len(said) == 1, [str(w.message) for w in caught]
        msg = str(said[0].message)
        assert url in msg and "connection" in msg and "the run goes on" in msg and "\n" not in msg
        data = fitwatch.load("outage", dir=url)
        assert data.status == "finished" and data.epochs.tolist() == list(range(12))
        assert data.history["val_loss"] == pytest.approx([2.0 / (e + 1) for e in range(12)])
        assert Store.open(url).step_counts(data.id) == {("train", "loss"): 120, ("val", "loss"): 12}
        assert list((tmp_path / "journal").glob("*/*.jsonl")) == []  # all written: the journal went
    finally:
        server.destroy()


OUTAGE_TO_THE_END = """
import sys, warnings, fitwatch
warnings.simplefilter("always")
run = fitwatch.Run("outlived", progress=False)  # diagnose=True: finish() warns instead of diagnosing
for epoch in run.epochs(6):
    run.log_epoch(loss=1.0 / (epoch + 1), val_loss=2.0 / (epoch + 1))
    if epoch == 1:
        run.store.flush(30)
        print("stop", flush=True)
        sys.stdin.readline()  # the server is down now
run.finish()
print("done", flush=True)
"""


def test_a_writer_that_ends_while_the_server_is_away_leaves_its_epochs_in_the_journal(tmp_path, monkeypatch,
                                                                                      pg_server):
    monkeypatch.setenv("FITWATCH_JOURNAL_DIR", str(tmp_path / "journal"))
    server = pg.PgServer.start()
    try:
        url = server.create_database("outlived")
        child = subprocess.Popen([sys.executable, "-c", OUTAGE_TO_THE_END], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env={**os.environ, "FITWATCH_DIR": url})
        assert child.stdout.readline().strip() == "stop"
        server.stop()
        out, err = child.communicate("go\n", timeout=60)
        assert child.returncode == 0 and out.strip() == "done", err  # the training did not crash
        assert err.count("StoreWriteWarning") == 1 and "the run goes on" in err, err
        assert "could not diagnose run 'outlived'" in err, err  # finish() with diagnose on did not raise
        server.restart()
        data = fitwatch.load("outlived", dir=url)  # opening replays the journal the writer left
        assert data.epochs.tolist() == list(range(6))
        assert data.history["val_loss"] == pytest.approx([2.0 / (e + 1) for e in range(6)])
    finally:
        server.destroy()


def test_tags_notes_renaming_and_deleting(url):
    store = open_store(url)
    a, b = store.create_run("a", {}, {}), store.create_run("b", {}, {})
    store.write_epoch(a, 0, {("train", "loss"): (1.0, 4)})
    store.queue_steps([("train", "loss", 0, [0, 1], [1.0, 0.5], [2, 2])], a)
    assert store.set_tags(a, add=["z", "baseline"]) == ["baseline", "z"]
    assert store.set_tags(a, remove=["z"]) == ["baseline"]
    store.set_note(b, "only a note")
    store.set_note(b, "a newer note")
    assert store.labels() == {a: {"tags": ["baseline"], "note": None}, b: {"tags": [], "note": "a newer note"}}
    assert store.labels([b]) == {b: {"tags": [], "note": "a newer note"}} and store.labels([]) == {}
    assert [r["name"] for r in store.labelled_runs("baseline")] == ["a"]
    with pytest.raises(ValueError, match="a run named 'b' exists already"):
        store.rename_run(a, "b")
    store.rename_run(a, "renamed")
    with pytest.raises(RuntimeError, match="is running"):
        store.delete_run(a)
    store.update_run(a, status="finished")
    assert store.delete_run(a) == {"epochs": 1, "steps": 1, "probes": 0, "tags": 1, "notes": 0, "runs": 1}
    with pytest.raises(KeyError, match=f"no run with id {a}"):
        store.set_note(a, "gone")
    assert store.create_run("c", {}, {}) > b  # an id is never given twice
    store.close()
