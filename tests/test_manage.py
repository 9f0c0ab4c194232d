"""Living with many runs: tags and notes (``Run(tags=..., note=...)``, ``fitwatch tag``/``note``),
``fitwatch rm`` and ``rename``, ``fitwatch runs --tag`` and its config columns, and stores written
before tags existed."""

import os
import pty
import shutil
import sqlite3
import subprocess
import sys

import pytest
from rich.console import Console

import fitwatch
from conftest import ROOT, run_python
from fitwatch.cli import main
from fitwatch.cli.manage import config_columns
from fitwatch.show.tables import runs_table
from fitwatch.store.sqlite_schema import LABELS_SCHEMA, SCHEMA

V0 = ROOT / "tests" / "data" / "stores" / "v0.1.0" / "fitwatch.db"


def fw(capsys, *args):
    """``fitwatch ARGS`` in this process: (exit status, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def record(d, name, config=None, tags=None, epochs=3, base=1.0):
    with fitwatch.Run(name, config=config or {}, dir=d, tags=tags, progress=False, diagnose=False) as run:
        for epoch in run.epochs(epochs):
            run.log("train", loss=base / (epoch + 1), n=4)
            run.log("val", loss=base * 1.1 / (epoch + 1), n=4)
    return run


def rows_of(db, run_id) -> dict:
    con = sqlite3.connect(db)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {t: con.execute(f"SELECT COUNT(*) FROM {t} WHERE {'id' if t == 'runs' else 'run_id'} = ?",
                               (run_id,)).fetchone()[0]
                for t in ("runs", "epochs", "steps", "probes", "tags", "notes") if t in tables}
    finally:
        con.close()


# -- tags and notes from Python ------------------------------------------------------------------
def test_run_tags_and_note_are_stored_and_read_back(tmp_path):
    d = tmp_path / "s"
    with fitwatch.Run("a", dir=d, tags=["baseline", "lr-sweep"], note="first try", diagnose=False) as run:
        run.log_epoch(loss=1.0, val_loss=1.1)
        assert run.tag("keep") == ["baseline", "keep", "lr-sweep"]
        assert run.tag("lr-sweep", remove=True) == ["baseline", "keep"] == run.tags
        run.note = "first try: lr too high"
    data = fitwatch.load("a", dir=d)
    assert (data.tags, data.note) == (["baseline", "keep"], "first try: lr too high")
    with fitwatch.Run("a", dir=d, resume=True, tags="resumed", diagnose=False) as again:  # a str is one tag
        assert again.tags == ["baseline", "keep", "resumed"] and again.note == "first try: lr too high"
        again.note = None
    assert fitwatch.load("a", dir=d).note is None
    assert fitwatch.Store(d).labelled_runs(tag="resumed")[0]["tags"] == ["baseline", "keep", "resumed"]
    assert fitwatch.load("a", dir=d).history["val_loss"] == [1.1]  # the values are untouched


@pytest.mark.parametrize("tags", [["two words"], ["a,b"], [""], [3]])
def test_a_bad_tag_is_refused_before_the_run_exists(tmp_path, tags):
    with pytest.raises(ValueError, match="one word"):
        fitwatch.Run("bad", dir=tmp_path, tags=tags)
    assert fitwatch.Store(tmp_path).runs() == []


# -- stores written before tags existed ----------------------------------------------------------
def _version_2_store_without_labels(db):
    """A store exactly as fitwatch wrote it before tags and notes (schema version 2, no such tables)."""
    old = SCHEMA
    for statement in LABELS_SCHEMA:
        old = old.replace(statement + ";\n", "")
    assert "tags" not in old
    con = sqlite3.connect(db)
    con.executescript(old + "PRAGMA application_id = 1179210839; PRAGMA user_version = 2;"
                      "INSERT INTO meta VALUES ('schema_version', '2'), ('created_by', 'fitwatch');"
                      "INSERT INTO runs (name, status, config, started_at, ended_at, updated_at, pid, host) VALUES "
                      "('old', 'finished', '{\"lr\": 0.1}', 1.0, 2.0, 2.0, 1, 'elsewhere');"
                      "INSERT INTO epochs VALUES (1, 'val', 'loss', 0, 0.5, 4, 1.5);")
    con.close()


def test_a_store_from_before_tags_reads_and_gains_the_tables_when_first_tagged(tmp_path, capsys):
    db = tmp_path / "fitwatch.db"
    _version_2_store_without_labels(db)
    store = fitwatch.Store(tmp_path, create=False)
    assert store.labels() == {} and store.labelled_runs()[0]["tags"] == []
    assert fitwatch.load("old", dir=tmp_path).tags == [] and "tags" not in rows_of(db, 1)
    store.close()
    assert fw(capsys, "--dir", tmp_path, "tag", "old", "v1")[0] == 0
    assert fw(capsys, "--dir", tmp_path, "note", "old", "kept from before")[0] == 0
    assert rows_of(db, 1) == {"runs": 1, "epochs": 1, "steps": 0, "probes": 0, "tags": 1, "notes": 1}
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 2  # unchanged: an older fitwatch still opens it
    con.close()
    data = fitwatch.load("old", dir=tmp_path)
    assert (data.tags, data.note, data.history["val_loss"]) == (["v1"], "kept from before", [0.5])


def test_the_fitwatch_0_1_0_store_can_be_tagged_then_upgraded_by_a_writer(tmp_path, capsys):
    shutil.copy(V0, tmp_path / "fitwatch.db")
    code, out, _ = fw(capsys, "--dir", tmp_path, "tag", "v0-mlp", "legacy")
    assert code == 0 and out.strip() == "v0-mlp (#1): tags legacy"
    record(tmp_path, "new")  # a writer upgrades the version-1 store; the tag stays
    assert fitwatch.load("v0-mlp", dir=tmp_path).tags == ["legacy"]
    assert fitwatch.load("new", dir=tmp_path).id == 3


# -- fitwatch tag, note, show --------------------------------------------------------------------
def test_tag_note_and_show_on_the_command_line(tmp_path, capsys):
    record(tmp_path, "mlp")
    assert fw(capsys, "--dir", tmp_path, "tag", "mlp", "baseline", "best")[1] == "mlp (#1): tags baseline best\n"
    assert fw(capsys, "tag", "mlp", "best", "--remove", "--dir", tmp_path)[1] == "mlp (#1): tags baseline\n"
    assert fw(capsys, "--dir", tmp_path, "note", "mlp", "lr 3e-4; the one to beat")[0] == 0
    assert fw(capsys, "--dir", tmp_path, "note", "mlp")[1] == "lr 3e-4; the one to beat\n"
    out = fw(capsys, "--dir", tmp_path, "show", "mlp")[1]
    assert "tags    baseline" in out and "note    lr 3e-4; the one to beat" in out
    assert fw(capsys, "--dir", tmp_path, "note", "mlp", "--clear")[1] == "mlp (#1): note removed\n"
    assert "note  " not in fw(capsys, "--dir", tmp_path, "show", "mlp")[1]
    code, out, err = fw(capsys, "--dir", tmp_path, "tag", "mlp", "ok", "not ok")
    assert code == 2 and out == "" and err.count("\n") == 1 and "'not ok' is not a tag" in err
    assert fitwatch.load("mlp", dir=tmp_path).tags == ["baseline"]  # nothing half-done
    code, _, err = fw(capsys, "--dir", tmp_path, "tag", "nope", "x")
    assert code == 2 and "no run named 'nope'" in err and "(latest: mlp)" in err and err.count("\n") == 1


# -- fitwatch runs: --tag and config columns -----------------------------------------------------
@pytest.fixture
def sweep(tmp_path):
    for i, (lr, opt) in enumerate([(1e-3, "adam"), (1e-2, "adam"), (1e-1, "sgd")]):
        record(tmp_path, f"r{i}", config={"lr": lr, "opt": {"name": opt}, "seed": 7}, base=1 + lr,
               tags=["baseline"] if i == 0 else ["sweep"])
    return tmp_path


def test_runs_shows_the_config_keys_that_vary_and_filters_by_tag(sweep, capsys):
    code, out, _ = fw(capsys, "--dir", sweep, "runs")
    header = next(line for line in out.splitlines() if line.lstrip().startswith("id"))
    assert header.split()[-3:] == ["lr", "opt.name", "tags"] and "seed" not in header
    assert [line.split()[-3:] for line in out.splitlines()[1:] if line.strip()[:1].isdigit()] == [
        ["0.001", "adam", "baseline"], ["0.01", "adam", "sweep"], ["0.1", "sgd", "sweep"]]
    code, out, _ = fw(capsys, "--dir", sweep, "runs", "--tag", "sweep", "--config", "seed,lr")
    assert code == 0 and "2 runs in" in out and " r0 " not in out
    assert next(ln for ln in out.splitlines() if ln.lstrip().startswith("id")).split()[-3:] == ["seed", "lr", "tags"]
    code, _, err = fw(capsys, "--dir", sweep, "runs", "--tag", "nope")
    assert code == 2 and "no run is tagged 'nope'" in err and "tags there: baseline, sweep" in err
    code, _, err = fw(capsys, "--dir", sweep, "runs", "--config", "momentum")
    assert code == 2 and "'momentum'" in err and "keys: lr, opt.name, seed" in err
    import json

    listed = json.loads(fw(capsys, "--dir", sweep, "runs", "--json", "--tag", "baseline")[1])
    assert [(r["name"], r["tags"], r["note"]) for r in listed] == [("r0", ["baseline"], None)]


def test_config_columns_fit_the_terminal(sweep):
    runs = fitwatch.Store(sweep).labelled_runs()
    wide = Console(width=200, force_terminal=True)
    assert config_columns(runs, None, wide) == ["lr", "opt.name"]
    base = wide.measure(runs_table(runs)).maximum
    assert config_columns(runs, None, Console(width=base + 8, force_terminal=True)) == ["lr"]
    assert config_columns(runs, None, Console(width=base, force_terminal=True)) == []


# -- fitwatch rm ---------------------------------------------------------------------------------
def test_rm_deletes_everything_of_a_run_and_its_id_is_never_reused(sweep, capsys):
    db = sweep / "fitwatch.db"
    fw(capsys, "--dir", sweep, "note", "r1", "to go")
    before = rows_of(db, 2)
    assert before["epochs"] == 6 and before["steps"] > 0 and before["tags"] == before["notes"] == 1  # 3 epochs x 2
    code, out, _ = fw(capsys, "--dir", sweep, "rm", "r1", "--yes")
    assert code == 0 and out == "deleted run 'r1' (3 epochs), #2\n"
    assert rows_of(db, 2) == {"runs": 0, "epochs": 0, "steps": 0, "probes": 0, "tags": 0, "notes": 0}
    assert [r["name"] for r in fitwatch.runs(dir=sweep)] == ["r0", "r2"]
    code, _, err = fw(capsys, "--dir", sweep, "rm", "r0", "r1", "--yes")  # one unknown run: none deleted
    assert code == 2 and "no run named 'r1'" in err and len(fitwatch.runs(dir=sweep)) == 2
    fw(capsys, "--dir", sweep, "rm", "r2", "--yes")
    assert record(sweep, "after").id == 4  # ids 2 and 3 stay unused, even the last one


def test_rm_never_deletes_a_running_run(tmp_path, capsys):
    live = fitwatch.Run("live", dir=tmp_path, diagnose=False, progress=False)
    live.log_epoch(loss=1.0, val_loss=1.0)
    code, out, err = fw(capsys, "--dir", tmp_path, "rm", "live", "--yes")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "'live' (#1) is running" in err and "stop it first" in err
    with pytest.raises(RuntimeError, match="is running"):
        fitwatch.Store(tmp_path).delete_run(live.id, force=True)  # never, even forced
    live.finish()
    assert fw(capsys, "--dir", tmp_path, "rm", "live", "--yes")[0] == 0
    run_python("import sys, os, fitwatch\n"  # a killed run (its process is gone) can go
               "run = fitwatch.Run('killed', dir=sys.argv[1], progress=False)\n"
               "run.log_epoch(loss=1.0)\n"
               "os._exit(0)\n", str(tmp_path))
    assert fw(capsys, "--dir", tmp_path, "rm", "killed", "--yes")[0] == 0 and fitwatch.runs(dir=tmp_path) == []


def test_a_run_recorded_as_running_on_another_host_needs_force(tmp_path, capsys):
    store = fitwatch.Store(tmp_path)
    rid = store.create_run("far", {}, {})
    store.update_run(rid, host="another-host", pid=1)
    code, _, err = fw(capsys, "--dir", tmp_path, "rm", "far", "--yes")
    assert code == 2 and "recorded as running on another-host" in err and "force" in err
    assert fw(capsys, "--dir", tmp_path, "rm", "far", "--yes", "--force")[0] == 0


def _rm_on_a_terminal(d, answer: str):
    """``fitwatch rm r0`` with its standard input on a pseudo-terminal; ``answer`` typed at the question."""
    primary, secondary = pty.openpty()
    p = subprocess.Popen([sys.executable, "-m", "fitwatch", "--dir", str(d), "rm", "r0"], stdin=secondary,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    os.close(secondary)
    os.write(primary, answer.encode())
    out, err = p.communicate(timeout=60)
    os.close(primary)
    return p.returncode, out, err


def test_rm_asks_on_a_terminal_and_needs_yes_without_one(sweep):
    code, out, err = _rm_on_a_terminal(sweep, "n\n")
    assert code == 0 and out == "Delete run 'r0' (3 epochs)? [y/N] kept run 'r0' (3 epochs)\n", err
    assert fitwatch.load("r0", dir=sweep).id == 1
    code, out, err = _rm_on_a_terminal(sweep, "y\n")
    assert code == 0 and out.endswith("deleted run 'r0' (3 epochs), #1\n"), err
    p = subprocess.run([sys.executable, "-m", "fitwatch", "--dir", str(sweep), "rm", "r1"], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and p.stderr == "fitwatch rm: no terminal to ask on; pass --yes to delete without asking\n"
    assert [r["name"] for r in fitwatch.runs(dir=sweep)] == ["r1", "r2"]


# -- fitwatch rename -----------------------------------------------------------------------------
def test_rename_keeps_everything_and_refuses_a_taken_name_unless_shared(sweep, capsys):
    code, out, _ = fw(capsys, "--dir", sweep, "rename", "r1", "adam-0.01")
    assert code == 0 and out == "renamed run #2: 'r1' -> 'adam-0.01'\n"
    data = fitwatch.load("adam-0.01", dir=sweep)
    assert (data.id, data.tags, len(data.epochs)) == (2, ["sweep"], 3)
    code, _, err = fw(capsys, "--dir", sweep, "rename", "r0", "r2")
    assert code == 2 and "a run named 'r2' exists already (#3)" in err and "--share" in err
    assert fw(capsys, "--dir", sweep, "rename", "r0", "r2", "--share")[0] == 0
    assert fitwatch.load("r2", dir=sweep).id == 3 and fitwatch.load(1, dir=sweep).name == "r2"  # the latest wins
    assert fw(capsys, "--dir", sweep, "rename", "#1", " ")[0] == 2
