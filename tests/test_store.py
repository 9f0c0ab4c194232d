"""The store: a real SQLite file, killed writers, concurrent writers and readers, bad files."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

import fitwatch
from fitwatch.store import SCHEMA_VERSION, Store, StoreError

TRAIN_FOREVER = """
import sys, time, fitwatch
run = fitwatch.Run(sys.argv[1], config={"child": True})
for epoch in run.epochs(100000):
    for i in range(20):
        run.log("train", loss=1.0 / (epoch + 1) + i * 1e-3, n=32)
    run.log("val", loss=2.0 / (epoch + 1), n=16)
    if epoch > 0:
        print(f"completed {epoch - 1}", flush=True)  # epoch-1 has ended: the loop moved on
    time.sleep(float(sys.argv[2]))
"""


def test_default_location_and_env_var(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FITWATCH_DIR", raising=False)
    with fitwatch.Run("here") as run:
        run.log_epoch(loss=1.0)
    assert run.store.path.resolve() == (tmp_path / "fitwatch" / "fitwatch.db").resolve()
    monkeypatch.setenv("FITWATCH_DIR", str(tmp_path / "elsewhere"))
    with fitwatch.Run("there") as run:
        run.log_epoch(loss=1.0)
    assert (tmp_path / "elsewhere" / "fitwatch.db").exists()
    assert [r["name"] for r in fitwatch.runs()] == ["there"]
    assert [r["name"] for r in fitwatch.runs(tmp_path / "fitwatch")] == ["here"]


def test_wal_mode_and_schema_version(store_dir):
    with fitwatch.Run("x") as run:
        run.log_epoch(loss=1.0)
    con = sqlite3.connect(run.store.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert dict(con.execute("SELECT key, value FROM meta"))["schema_version"] == str(SCHEMA_VERSION)


def test_store_from_a_newer_fitwatch_is_refused(store_dir):
    with fitwatch.Run("x") as run:
        run.log_epoch(loss=1.0)
    con = sqlite3.connect(run.store.path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(StoreError, match=r"written by a newer fitwatch.*pip install -U fitwatch") as e:
        Store(store_dir)
    assert str(run.store.path) in str(e.value)


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    bad = tmp_path / "notes.db"
    bad.write_text("epoch,loss\n0,1.0\n")
    with pytest.raises(StoreError, match="not a fitwatch database") as e:
        Store(bad)
    assert str(bad) in str(e.value)
    assert bad.read_text() == "epoch,loss\n0,1.0\n"  # untouched


def test_a_foreign_sqlite_database_is_refused(tmp_path):
    other = tmp_path / "app.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE users (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match=r"not a fitwatch database.*users") as e:
        Store(other)
    assert str(other) in str(e.value)


def test_reading_a_missing_store_names_the_path(tmp_path):
    with pytest.raises(StoreError, match="no fitwatch store here") as e:
        fitwatch.runs(tmp_path / "nothing")
    assert str(tmp_path / "nothing") in str(e.value)
    assert not (tmp_path / "nothing").exists()  # reading creates nothing


def test_unknown_run_lists_the_latest(store_dir):
    with fitwatch.Run("known") as run:
        run.log_epoch(loss=1.0)
    with pytest.raises(KeyError, match="no run named 'unknown'.*latest: known"):
        fitwatch.load("unknown")


def test_sigkill_keeps_every_completed_epoch(store_dir):
    child = subprocess.Popen([sys.executable, "-c", TRAIN_FOREVER, "killed", "0.01"],
                             stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        completed = -1
        for line in child.stdout:
            completed = int(line.split()[1])
            if completed >= 7:
                break
        child.send_signal(signal.SIGKILL)  # no chance to flush anything
        child.wait(timeout=30)
    finally:
        child.kill()
    assert child.returncode == -signal.SIGKILL
    data = fitwatch.load("killed")
    assert data.status == "running"  # it never finished; `fitwatch runs` shows it as killed
    assert data.epochs[: completed + 1].tolist() == list(range(completed + 1))
    for epoch in range(completed + 1):
        assert data.history["val_loss"][epoch] == pytest.approx(2.0 / (epoch + 1))
        assert data.history["loss"][epoch] == pytest.approx(1.0 / (epoch + 1) + 19 * 1e-3 / 2)
    assert fitwatch.store.pid_alive(data.pid, data.host) is False


def test_two_processes_write_one_store_while_a_reader_reads(store_dir):
    procs = [
        subprocess.Popen([sys.executable, "-c", TRAIN_FOREVER, f"writer-{i}", "0.002"],
                         stdout=subprocess.PIPE, text=True, env=os.environ.copy())
        for i in range(2)
    ]
    seen = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:  # the reader: what `fitwatch runs` does, while both write
            try:
                rows = {r["name"]: r["epochs"] for r in fitwatch.runs()}
            except fitwatch.StoreError:
                rows = {}  # the first writer has not created the store yet
            seen.append(rows)
            if len(rows) == 2 and min(rows.values()) >= 30:
                break
            assert all(p.poll() is None for p in procs), "a writer died"
            time.sleep(0.05)
    finally:
        for p in procs:
            p.kill()
            p.wait()
    final = {r["name"]: r for r in fitwatch.runs()}
    assert set(final) == {"writer-0", "writer-1"}
    for name, r in final.items():
        assert r["epochs"] >= 30
        data = fitwatch.load(name)
        n = len(data.epochs)
        assert data.epochs.tolist() == list(range(n))  # no gaps, no lost epochs
        assert data.history["val_loss"][: n - 1] == pytest.approx([2.0 / (e + 1) for e in range(n - 1)])
    grew = [s.get("writer-0", 0) for s in seen]
    assert grew == sorted(grew) and grew[-1] > grew[0]  # the reader saw the run grow live


def test_nan_round_trips_through_sqlite(store_dir):
    with fitwatch.Run("nan") as run:
        run.log_epoch(loss=float("nan"), val_loss=float("-inf"))
    h = fitwatch.load("nan").history
    assert h["loss"][0] != h["loss"][0] and h["val_loss"][0] == float("-inf")
    assert fitwatch.runs()[0]["best_val_loss"] is None  # -inf is no best validation loss


@pytest.mark.parametrize("content", [b"", None])
def test_a_reader_never_writes_into_an_empty_file(tmp_path, content):
    empty = tmp_path / "empty.sqlite"
    if content is None:
        sqlite3.connect(empty).execute("PRAGMA user_version = 0").connection.close()  # an empty SQLite db
    else:
        empty.write_bytes(content)
    before = empty.read_bytes()
    with pytest.raises(StoreError, match="not a fitwatch database") as e:
        Store(empty, create=False)
    assert str(empty) in str(e.value)
    assert empty.read_bytes() == before and not (tmp_path / "empty.sqlite-wal").exists()


EPOCH_THEN_PRINT = """
import sys, time, fitwatch
run = fitwatch.Run(sys.argv[1])
print("started", flush=True)
if len(sys.argv) > 3:
    sys.stdin.readline()  # wait for the go
epoch = 0
while True:
    for i in range(10):
        run.log("train", loss=float(epoch), n=8)
    run.log_epoch(val_loss=epoch * 2.0)  # ends the epoch (no epochs() loop here)
    print(f"completed {epoch}", flush=True)  # returned: the epoch is complete
    epoch += 1
    time.sleep(float(sys.argv[2]))
"""


def test_an_epoch_is_durable_the_moment_it_ends(store_dir):
    # kill the child the instant it reports an epoch as ended: no time for a background commit
    for _ in range(3):
        child = subprocess.Popen([sys.executable, "-c", EPOCH_THEN_PRINT, "instant", "0.001"],
                                 stdout=subprocess.PIPE, text=True, env=os.environ.copy())
        completed = -1
        for line in child.stdout:
            if line.startswith("completed"):
                completed = int(line.split()[1])
                if completed >= 5:
                    child.send_signal(signal.SIGKILL)
                    break
        child.wait(timeout=30)
        data = fitwatch.load("instant")
        assert data.epochs[: completed + 1].tolist() == list(range(completed + 1))
        assert data.history["val_loss"][completed] == completed * 2.0


def test_a_killed_process_journal_is_replayed_when_the_database_was_locked(store_dir):
    # the child's background commits are blocked by another connection's write lock, so its epochs
    # exist only in its journal when it is killed; the next reader replays them
    child = subprocess.Popen([sys.executable, "-c", EPOCH_THEN_PRINT, "journal", "0.001", "wait"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    assert child.stdout.readline().strip() == "started"
    lock = sqlite3.connect(store_dir / "fitwatch.db", isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    child.stdin.write("go\n")
    child.stdin.flush()
    try:
        for line in child.stdout:
            if line.startswith("completed") and int(line.split()[1]) >= 4:
                break
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        in_db = lock.execute("SELECT COUNT(*) FROM epochs").fetchone()[0]
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert in_db == 0  # nothing had reached the database
    assert list((store_dir / "fitwatch.db.pending").glob("*.jsonl"))
    data = fitwatch.load("journal")
    assert data.epochs[:5].tolist() == [0, 1, 2, 3, 4]
    assert data.history["val_loss"][:5] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert data.history["loss"][:5] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert not list((store_dir / "fitwatch.db.pending").glob("*.jsonl"))  # replayed once, then removed


def test_a_finished_run_leaves_no_journal(store_dir):
    with fitwatch.Run("tidy") as run:
        for epoch in run.epochs(3):
            run.log("train", loss=1.0)
    assert not list((store_dir / "fitwatch.db.pending").glob("*.jsonl"))


def test_resume_refuses_a_run_that_a_live_process_writes(store_dir):
    import socket

    child = subprocess.Popen([sys.executable, "-c", TRAIN_FOREVER, "shared", "0.01"],
                             stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        for line in child.stdout:
            if int(line.split()[1]) >= 2:
                break
        with pytest.raises(RuntimeError) as e:
            fitwatch.Run("shared", resume=True)
        msg = str(e.value)
        assert "\n" not in msg and "'shared'" in msg, msg
        assert f"pid {child.pid}" in msg and socket.gethostname() in msg, msg
        assert "wait for it to finish, or start a new run without resume=True" in msg
        data = fitwatch.load("shared")
        assert data.status == "running" and data.pid == child.pid  # the writer's run is untouched
        for line in child.stdout:
            completed = int(line.split()[1])
            if completed >= 5:
                break
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.kill()
    # its process is gone (killed): resuming goes on after every epoch it completed
    run = fitwatch.Run("shared", resume=True, diagnose=False)
    assert run.id == data.id and run.epoch > completed
    first = run.epoch
    for _ in run.epochs(first + 2):
        run.log("val", loss=0.01, n=1)
    run.finish()
    after = fitwatch.load("shared")
    assert after.status == "finished" and len(fitwatch.runs()) == 1
    assert after.history["val_loss"][:completed + 1] == pytest.approx([2.0 / (e + 1) for e in range(completed + 1)])
    assert after.history["val_loss"][-2:] == [0.01, 0.01]


def test_resume_of_a_run_this_process_left_running(store_dir):
    first = fitwatch.Run("mine", diagnose=False)
    first.log_epoch(loss=1.0)
    again = fitwatch.Run("mine", resume=True, diagnose=False)  # this process's own: no refusal
    assert again.id == first.id and again.epoch == 1
    again.finish()
    first.finish()


CHECKPOINT_THEN_DIE = """
import os, signal, sys, torch, fitwatch
path, kill_at = sys.argv[1], int(sys.argv[2])
model = torch.nn.Linear(1, 1)
run = fitwatch.Run("ckpt", resume=True)
start = run.epoch
if os.path.exists(path):
    model.load_state_dict(torch.load(path))
for epoch in run.epochs(6):
    with torch.no_grad():
        model.bias.fill_(epoch)  # stands for an epoch of training
    run.log("val", loss=1.0 / (epoch + 1))
    run.end_epoch()  # stored before the checkpoint: a kill between the two loses nothing
    torch.save(model.state_dict(), path)
    if epoch == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)  # after the checkpoint, before the loop moves on
print(start, model.bias.item())
"""


def test_end_epoch_before_a_checkpoint_survives_a_kill_after_it(store_dir, tmp_path):
    """A sixth trial: a body that saves its own checkpoint and is killed before the loop moves on had that
    epoch's weights in the checkpoint but not the epoch in the store, and resumed by training it again. With
    ``run.end_epoch()`` before the checkpoint, the resumed run starts at the next epoch, every value stored once."""
    import subprocess

    ckpt = str(tmp_path / "model.pt")
    killed = subprocess.run([sys.executable, "-c", CHECKPOINT_THEN_DIE, ckpt, "2"], env=os.environ.copy(),
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    resumed = subprocess.run([sys.executable, "-c", CHECKPOINT_THEN_DIE, ckpt, "-1"], env=os.environ.copy(),
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.split() == ["3", "5.0"]  # went on at epoch 3, from the checkpoint of epoch 2
    data = fitwatch.load("ckpt")
    assert data.epochs.tolist() == [0, 1, 2, 3, 4, 5] and data.status == "finished"
    assert data.history["val_loss"] == pytest.approx([1.0 / (e + 1) for e in range(6)])


def test_runs_best_is_never_an_epoch_cut_short(store_dir):
    """An eighth trial: a run failed in the middle of an epoch whose partial validation was its lowest: `fitwatch runs`
    and the dashboard's list said best 1.783 at epoch 10, the cut-short epoch, where `show`, the diagnosis and the
    report said 1.847 at 9. The list gives the best of the whole epochs too."""
    with pytest.raises(RuntimeError):
        with fitwatch.Run("cut", diagnose=False) as run:
            for e in run.epochs(6):
                run.log("train", loss=1.0 / (e + 1), n=8)
                run.log("val", loss=0.05 if e == 3 else 1.0 / (e + 1), n=8)
                if e == 3:
                    raise RuntimeError("out of memory")
    (row,) = [r for r in fitwatch.runs() if r["name"] == "cut"]
    assert fitwatch.load("cut").cut_short and row["status"] == "failed"
    assert (row["best_epoch"], row["best_val_loss"]) == (2, pytest.approx(1.0 / 3)), row
    assert fitwatch.diagnose("cut").best_epoch == 2


def test_a_run_whose_only_epoch_was_cut_short_names_no_best_anywhere(store_dir):
    """A run failed during its first epoch: `fitwatch runs` said best "-" while the diagnosis said best epoch 0,
    the cut-short epoch. The diagnosis judges it (nothing else is there), says it was cut short, and names no best."""
    with pytest.raises(RuntimeError):
        with fitwatch.Run("lone", diagnose=False) as run:
            for _ in run.epochs(3):
                run.log("train", loss=0.9, n=8)
                run.log("val", loss=0.8, n=8)
                raise RuntimeError("out of memory")
    (row,) = [r for r in fitwatch.runs() if r["name"] == "lone"]
    assert (row["best_epoch"], row["best_val_loss"]) == (None, None), row
    d = fitwatch.diagnose("lone")
    assert d.best_epoch is None and d.epochs == 1
    assert any("the only one, was cut short" in n and "no best epoch" in n for n in d.notes), d.notes
    shown = subprocess.run([sys.executable, "-m", "fitwatch", "diagnose", "lone"], capture_output=True, text=True,
                           timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert shown.returncode == 0 and "1 epoch " in shown.stdout and "·  best epoch" not in shown.stdout, shown.stdout
