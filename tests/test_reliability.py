"""Nothing lost, nothing bricked (docs/reliability.md): values the store cannot hold are refused at
the call, a background failure is said and never stops later runs, a torn or foreign journal line
is moved aside, ``resume=True`` is exclusive under a real race, a clean exit leaves a
self-contained ``fitwatch.db``, malformed dashboard requests get 4xx, and real processes killed at
random moments lose no completed epoch. Every fault here is real: processes, kills, files, SQLite.
"""
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fitwatch
from fitwatch.store import Store, StoreWriteWarning, hostname

sys.path.insert(0, os.path.dirname(__file__))
import faults  # noqa: E402


def _one_line(e) -> str:
    msg = str(e.value if hasattr(e, "value") else e)
    assert "\n" not in msg, msg
    return msg


# -- 1, 2, 7: what the store cannot hold is refused at the call -----------------------------------
@pytest.mark.parametrize("n", [2**63, 10**30, 2**40 + 1, np.uint64(2**63), 0, -3])
def test_a_batch_weight_the_store_cannot_hold_is_refused_at_the_call(store_dir, n):
    run = fitwatch.Run("n", diagnose=False, progress=False)
    with pytest.raises(ValueError, match="n must be a positive integer") as e:
        run.log("train", loss=0.5, n=n)
    assert "n=len(y)" in _one_line(e)
    run.log("train", loss=0.5, n=4)
    t = time.monotonic()
    run.finish()
    assert time.monotonic() - t < 5  # it blocked 60 s when the writer thread had died
    assert fitwatch.load("n").history["loss"] == [0.5]
    assert [r["name"] for r in fitwatch.runs()] == ["n"]


def _bad_values():
    import torch

    return {
        "complex": 1 + 2j,
        "np.complex128": np.complex128(1 + 2j),
        "np.datetime64": np.datetime64("2026-01-01"),
        "np.timedelta64 array": np.array([1, 2], dtype="timedelta64[s]"),
        "text array": np.array(["a", "b"]),
        "object array": np.array([object()], dtype=object),
        "complex tensor": torch.tensor(1 + 2j),
        "complex per-sample tensor": torch.tensor([1 + 2j, 3j]),
        "meta tensor": torch.empty((), device="meta"),
        "10**400": 10**400,
        "numpy 10**400": np.array(10**400, dtype=object),
    }


@pytest.mark.parametrize("what", list(_bad_values()))
def test_a_value_the_store_cannot_hold_is_refused_at_the_call_naming_the_metric(store_dir, what):
    value = _bad_values()[what]
    run = fitwatch.Run("bad", diagnose=False, progress=False)
    with pytest.raises((TypeError, ValueError)) as e:
        run.log("train", my_metric=value)
    assert "'my_metric'" in _one_line(e)
    with pytest.raises((TypeError, ValueError)):
        run.log_epoch(val_other=value)
    run.log("train", loss=0.25)
    run.finish()  # the run is not left half-written: it finishes, with what was valid
    assert fitwatch.load("bad").history == {"loss": [0.25]}


@pytest.mark.parametrize("split,metric", [("train", "\ud800"), ("\udcff", "loss"), ("train", "")])
def test_a_name_the_store_cannot_hold_is_refused(store_dir, split, metric):
    run = fitwatch.Run("names", diagnose=False, progress=False)
    with pytest.raises((TypeError, ValueError)) as e:
        run.log(split, **{metric: 1.0})
    assert "name" in _one_line(e)
    run.finish()


def test_real_numbers_of_every_kind_are_still_taken(store_dir):
    import torch

    with fitwatch.Run("ok", diagnose=False, progress=False) as run:
        run.log("train", a=1, b=np.float32(0.5), c=np.int64(3), d=True, e=np.array([True, False]),
                f=torch.tensor(2), g=torch.tensor([1.0, 3.0]), h=np.bool_(True), i=2**53, j=float("inf"))
    h = fitwatch.load("ok").history
    assert (h["a"], h["b"], h["c"], h["d"], h["e"], h["f"], h["g"], h["h"], h["i"]) == (
        [1.0], [0.5], [3.0], [1.0], [0.5], [2.0], [2.0], [1.0], [2.0**53])
    assert h["j"] == [math.inf]


# -- 2: a failure in the writer thread is said, and later runs are still written -----------------
def test_a_writer_thread_failure_is_said_and_later_runs_are_still_written(store_dir):
    store = Store.shared(store_dir)
    first = fitwatch.Run("first", diagnose=False, progress=False)
    # a chunk whose step does not fit the store's integers, handed to the store directly (a caller
    # that skipped Run's checks): encoding it fails on the writer thread
    store.queue_steps([("train", "loss", 0, [2**70], [1.0], [1])], first.id)
    store.flush(10)
    with pytest.warns(StoreWriteWarning, match=r"batch values of run #\d+.*OverflowError"):
        first.log_epoch(loss=1.0)
    t = time.monotonic()
    first.finish()
    second = fitwatch.Run("second", diagnose=False, progress=False)
    for e in range(3):
        second.log("train", loss=1.0 / (e + 1), n=2)
        second.end_epoch()
    second.finish()
    assert time.monotonic() - t < 10
    assert fitwatch.load("second").history["loss"] == [1.0, 0.5, pytest.approx(1 / 3)]
    assert fitwatch.load("second").steps()[("train", "loss")][1].tolist() == [1.0, 0.5, pytest.approx(1 / 3)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once: not again
        with fitwatch.Run("third", diagnose=False, progress=False) as run:
            run.log_epoch(loss=0.1)


# -- 3: a torn or foreign journal line is moved aside --------------------------------------------
def test_torn_and_foreign_journal_lines_are_moved_aside_and_the_rest_replayed(store_dir):
    with fitwatch.Run("journal", diagnose=False, progress=False) as run:
        run.log_epoch(loss=9.0)  # epoch 0, committed
    pending = store_dir / "fitwatch.db.pending"
    pending.mkdir(exist_ok=True)
    journal = pending / f"{hostname()}.{faults.dead_pid()}.jsonl"
    good = lambda e: json.dumps([[run.id, "train", "loss", e, 1.0 / e, 8, 1.0]])  # noqa: E731
    lines = [good(1),
             '[[%d, "train", "loss", 2, 0.' % run.id,  # torn in the middle
             "[1]",  # not a journal's
             json.dumps([[run.id, "train", "loss", 3, 0.5, 10**30, 1.0]]),  # n beyond SQLite's integers
             "\x00\xff garbage",
             good(4)]
    journal.write_bytes("\n".join(lines).encode("utf-8", "surrogateescape") + b"\n")
    Store._shared.clear()  # a new process's view: the next store opened replays the journal
    with pytest.warns(UserWarning, match=r"4 lines of the journal .* moved to .*\.rejected"):
        data = fitwatch.load("journal")
    assert data.epochs.tolist() == [0, 1, 4] and data.history["loss"] == [9.0, 1.0, 0.25]
    assert not journal.exists()
    aside = journal.with_name(journal.name + ".rejected")
    assert len(aside.read_bytes().splitlines()) == 4
    out = subprocess.run([sys.executable, "-m", "fitwatch", "runs", "--dir", str(store_dir)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "journal" in out.stdout, out.stderr


# -- 4: resume=True is exclusive under a real race -------------------------------------------------
def test_exactly_one_of_eight_racing_resumes_is_accepted(tmp_path):
    out = faults.races(tmp_path, rounds=3, racers=8)
    assert out["accepted"] == [1, 1, 1] and out["errors"] == 0 and out["overwritten"] == 0, out


# -- 5: a clean exit leaves a self-contained fitwatch.db ------------------------------------------
def test_a_clean_exit_leaves_everything_in_fitwatch_db(tmp_path):
    code = ("import fitwatch, sys\n"
            "run = fitwatch.Run('copied', dir=sys.argv[1], diagnose=False, progress=False)\n"
            "for epoch in run.epochs(3):\n"
            "    run.log('train', loss=1.0 / (epoch + 1), n=4)\n")  # no finish(): the exit finishes it
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "a")], check=True, timeout=120)
    wal = tmp_path / "a" / "fitwatch.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    (tmp_path / "b").mkdir()
    shutil.copy(tmp_path / "a" / "fitwatch.db", tmp_path / "b" / "fitwatch.db")  # the file alone
    data = fitwatch.load("copied", tmp_path / "b")
    assert data.status == "finished" and data.history["loss"] == [1.0, 0.5, pytest.approx(1 / 3)]


def test_a_damaged_database_header_is_one_line_naming_the_file(tmp_path):
    with fitwatch.Run("x", dir=tmp_path, diagnose=False, progress=False) as run:
        run.log_epoch(loss=1.0)
    Store._shared.clear()
    db = tmp_path / "fitwatch.db"
    for offset in (16, 21, 56, 59):
        raw = bytearray(db.read_bytes())
        raw[offset] ^= 0x02
        bad = tmp_path / f"bad{offset}"
        bad.mkdir()
        (bad / "fitwatch.db").write_bytes(raw)
        if (tmp_path / "fitwatch.db-wal").exists():  # where fitwatch left it before the exit checkpoint
            shutil.copy(tmp_path / "fitwatch.db-wal", bad / "fitwatch.db-wal")
        out = subprocess.run([sys.executable, "-m", "fitwatch", "runs", "--dir", str(bad)],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode != 0 and "Traceback" not in out.stderr, out.stderr
        assert len(out.stderr.strip().splitlines()) == 1 and "fitwatch.db" in out.stderr, out.stderr


# -- 7: the dashboard answers 4xx for malformed requests ------------------------------------------
def test_the_dashboard_answers_4xx_for_ids_beyond_any_run(tmp_path):
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from fitwatch.show.dashboard.app import create_app

    with fitwatch.Run("a", dir=tmp_path, diagnose=False, progress=False) as run:
        run.log("train", loss=1.0)
    client = TestClient(create_app(tmp_path), raise_server_exceptions=False)
    big = "9" * 23
    for url in (f"/api/runs/{big}", f"/api/runs/{big}/curves", f"/api/runs/{big}/steps", f"/api/runs/{big}/export.csv",
                f"/api/runs/{big}/export.json", f"/api/compare?ids={big}", f"/api/compare?ids=1,{big}",
                "/api/runs/0", "/api/runs/0/steps", f"/api/runs/1/steps?max_points={big}", "/api/compare?ids=1e5"):
        assert 400 <= client.get(url).status_code < 500, url


# -- 8: batch values of a slow loop, and checkpoints of a killed process --------------------------
SLOW = """
import sys, time, fitwatch
run = fitwatch.Run("slow", dir=sys.argv[1], diagnose=False, progress=False)
for i in range(100000):
    run.log("train", loss=1.0, n=1)
    print(i, flush=True)
    time.sleep(0.2)
"""


def test_a_slow_loop_killed_in_its_first_seconds_keeps_its_batch_values(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", SLOW, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        for line in child.stdout:
            if int(line) >= 15:  # about 3 s of batches, 5 a second
                break
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.kill()
    kept = Store(tmp_path).step_counts(fitwatch.load("slow", tmp_path).id).get(("train", "loss"), 0)
    assert kept >= 16 - 12, kept  # the docs: a kill loses the last second or two (it kept 0 of 16)


def test_a_checkpoint_file_left_by_a_killed_save_is_removed_by_the_next(tmp_path):
    torch = pytest.importorskip("torch")
    from fitwatch.stopping.weights import save_checkpoint

    model = torch.nn.Linear(4, 2)
    target = tmp_path / "best.pt"
    stale = tmp_path / f".best.pt.{hostname()}.{faults.dead_pid()}.k2j3h4.tmp"
    stale.write_bytes(b"\0" * 100_000)
    live = tmp_path / f".best.pt.{hostname()}.{os.getpid()}.zz9.tmp"  # a save in progress: kept
    live.write_bytes(b"\0")
    odd = tmp_path / f".best.pt.{hostname()}.\u00b2.zz9.tmp"  # no pid in its name: not a writer's, kept
    odd.write_bytes(b"\0")
    save_checkpoint(model, target)
    assert target.exists() and not stale.exists() and live.exists() and odd.exists()


# -- the kill harness: real processes SIGKILLed at random moments --------------------------------
def test_processes_killed_at_random_moments_lose_no_completed_epoch(tmp_path):
    out = faults.kills(tmp_path, rounds=12, seed=12)
    assert out["rounds"] == 12 and out["epochs"] > 12, out
    assert out["lost"] == 0 and out["corrupt"] == 0, out
    assert not list((tmp_path / "fitwatch.db.pending").glob("*.jsonl.rejected"))


# -- property-based: whatever Run.log and log_epoch are given ------------------------------------
_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-(10**500), max_value=10**500),
    st.booleans(), st.complex_numbers(), st.builds(np.float32, st.floats(width=32)),
    st.builds(np.int64, st.integers(-(2**63), 2**63 - 1)), st.text(max_size=3), st.none(),
    st.lists(st.floats(width=64), min_size=0, max_size=4).map(np.array))
_names = st.text(min_size=0, max_size=12)
_weights = st.one_of(st.none(), st.integers(min_value=-5, max_value=2**70), st.floats(), st.booleans())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=st.lists(st.tuples(st.sampled_from(["log", "log_epoch", "end_epoch"]), _names, _names, _numbers,
                                _weights), min_size=1, max_size=12))
def test_whatever_log_is_given_it_stores_or_refuses_at_the_call(tmp_path_factory, calls):
    folder = tmp_path_factory.mktemp("prop")
    run = fitwatch.Run("prop", dir=folder, diagnose=False, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fitwatch.NonFiniteValue)
        warnings.simplefilter("error", StoreWriteWarning)  # a background failure would be a bug here
        for kind, split, metric, value, n in calls:
            try:
                if kind == "log":
                    run.log(split, n=n, **{metric: value})
                elif kind == "log_epoch":
                    run.log_epoch({metric: value}, split=split or None)
                else:
                    run.end_epoch()
            except (TypeError, ValueError) as e:  # refused at the call: one line, naming what
                assert "\n" not in str(e) and str(e).startswith("fitwatch:"), e
        t = time.monotonic()
        run.finish()
    assert time.monotonic() - t < 10
    data = fitwatch.load(run.id, folder)  # whatever was accepted reads back
    assert data.status == "finished"


# -- what an attack on the fixes above found ---------------------------------------------------
FORK = """
import os, sys, time, fitwatch
run = fitwatch.Run("forked", dir=sys.argv[1], diagnose=False, progress=False)
run.log_epoch(loss=0.1)
pid = os.fork()
if pid == 0:  # the child goes on with the run its parent started
    t = time.monotonic()
    run.log_epoch(loss=0.2)
    run.finish()
    print(f"child {time.monotonic() - t:.1f}", flush=True)
    os._exit(0)
os.waitpid(pid, 0)
"""


def test_a_run_continued_in_a_forked_child_keeps_its_epoch_and_finishes_at_once(tmp_path):
    out = subprocess.run([sys.executable, "-c", FORK, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert float(out.stdout.split()[-1]) < 5, out  # it waited 60 s on the parent's writer thread
    assert fitwatch.load("forked", tmp_path).history["loss"] == [0.1, 0.2]  # epoch 1 went to the parent's journal


def test_journal_names_that_are_no_pid_and_fifos_never_block_the_store(store_dir):
    with fitwatch.Run("ok", diagnose=False, progress=False) as run:
        run.log_epoch(loss=1.0)
    pending = store_dir / "fitwatch.db.pending"
    pending.mkdir(exist_ok=True)
    for name in (f"{hostname()}.2147483648.jsonl", f"{hostname()}.\u00b2.jsonl"):
        (pending / name).write_text("[]\n")
    os.mkfifo(pending / f"{hostname()}.{faults.dead_pid()}.jsonl")
    Store._shared.clear()
    out = subprocess.run([sys.executable, "-m", "fitwatch", "runs", "--dir", str(store_dir)],
                         capture_output=True, text=True, timeout=30)  # a FIFO read would hang
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr


def test_resume_of_a_new_name_is_exclusive_under_a_race(tmp_path):
    racer = faults.RACER
    start = time.time() + 3.0
    procs = [subprocess.Popen([sys.executable, "-c", racer, "brand-new", str(tmp_path), repr(start)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(6)]
    answers = [json.loads(p.stdout.readline()) for p in procs]
    for p in procs:
        try:
            p.stdin.write("\n")
            p.stdin.close()
        except OSError:  # a refused racer has exited already
            pass
        p.wait(timeout=60)
    assert sum(a["accepted"] for a in answers) == 1, answers  # 2 to 8 of 8 created a run each
    assert [r["name"] for r in fitwatch.runs(tmp_path)] == ["brand-new"]


def test_a_refused_call_records_nothing_and_a_finite_mean_is_not_stored_as_inf(store_dir):
    run = fitwatch.Run("partial", diagnose=False, progress=False)
    with pytest.raises(TypeError, match="'acc'"):
        run.log("train", loss=0.5, acc="x")
    with pytest.raises(TypeError, match="keys are metric names"):
        run.log_epoch({1: 0.5})
    run.log("train", loss=0.25)
    run.end_epoch()
    run.log("train", loss=1e308, n=2)
    run.log("train", loss=1e308, n=2)
    run.end_epoch()
    run.finish()
    assert fitwatch.load("partial").history["loss"] == [0.25, 1e308]  # the refused batch counted no step


def test_the_dashboard_answers_404_for_ids_of_thousands_of_digits(tmp_path):
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from fitwatch.show.dashboard.app import create_app

    with fitwatch.Run("a", dir=tmp_path, diagnose=False, progress=False) as run:
        run.log("train", loss=1.0)
    client = TestClient(create_app(tmp_path), raise_server_exceptions=False)
    for tail in ("", "/curves", "/export.csv"):
        assert client.get(f"/api/runs/{'9' * 4301}{tail}").status_code == 404


def test_an_epoch_the_writer_could_not_commit_keeps_the_journal_after_its_warning(store_dir):
    """The journal was removed when the run finished if the failure had already been warned
    about (the warning empties the list the removal looked at): the epoch was then lost."""
    run = fitwatch.Run("kept", diagnose=False, progress=False)
    run.store.write_epoch(2**70, 0, {("train", "loss"): (1.0, 1)})  # a run id SQLite cannot hold
    run.store.flush(10)
    with pytest.warns(StoreWriteWarning, match=r"epoch 0 of run #\d+ \(kept in the journal"):
        run.log_epoch(loss=0.5)
    run.finish()
    assert list((store_dir / "fitwatch.db.pending").glob("*.jsonl"))  # kept for the replay after this process
    assert fitwatch.load("kept").history["loss"] == [0.5]
