"""The `fitwatch` command line, run as a real subprocess against stores filled by real runs."""

import csv
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import warnings

import pytest

import fitwatch
from conftest import run_python


def cli(*args, cwd=None, env=None, module="fitwatch"):
    """Run `python -m fitwatch ARGS` (the same as the `fitwatch` script) and return the process."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("COLUMNS", None)
    p = subprocess.run([sys.executable, "-m", module, *map(str, args)], capture_output=True, text=True,
                       cwd=cwd, env=full_env, timeout=120)
    assert "Traceback" not in p.stderr, p.stderr
    return p


def record(name, val_losses, *, dir=None, config=None, status="finished", train_losses=None, extra=None):
    """A finished run with one train and one val batch per epoch."""
    run = fitwatch.Run(name, config=config or {"lr": 0.01, "optimizer": "sgd"}, dir=dir, progress=False)
    train_losses = train_losses or [1.0 / (e + 1) for e in range(len(val_losses))]
    for epoch in run.epochs(len(val_losses)):
        run.log("train", loss=train_losses[epoch], accuracy=0.5 + epoch / 100, n=10)
        run.log("val", loss=val_losses[epoch], accuracy=0.4 + epoch / 100, n=5)
        if extra:
            extra(run, epoch)
    run.finish(status)
    return run


def table_rows(out: str) -> dict[str, list[str]]:
    """The epoch table's rows of `fitwatch show`, keyed by their epoch cell."""
    rows = {}
    for line in out.splitlines():
        cells = line.split()
        if cells and re.fullmatch(r"\d+", cells[0]):
            rows[cells[0]] = cells[1:]
    return rows


STATUSES = {"running", "finished", "stopped", "failed", "killed"}


def runs_rows(out: str) -> dict[str, list[str]]:
    """The rows of `fitwatch runs`, keyed by run name."""
    rows = {}
    for line in out.splitlines():
        cells = line.split()
        if len(cells) >= 8 and cells[0].isdigit() and cells[2] in STATUSES:
            rows[cells[1]] = cells
    return rows


def header_cells(out: str) -> list[str]:
    line = next(ln for ln in out.splitlines() if ln.split()[:1] == ["epoch"])
    return line.split()


# -- fitwatch runs ---------------------------------------------------------------------------------
def test_runs_lists_each_run_with_epochs_and_best_val_loss(store_dir):
    record("mlp", [0.9, 0.5, 0.7, 0.8])
    record("cnn", [0.6, 0.4, 0.3], status="stopped")
    p = cli("runs")
    assert p.returncode == 0, p.stderr
    lines = runs_rows(p.stdout)
    # id, name, status, epochs, best val_loss, best epoch, started (date time), duration
    assert lines["mlp"][:6] == ["1", "mlp", "finished", "4", "0.5", "1"]
    assert lines["cnn"][:6] == ["2", "cnn", "stopped", "3", "0.3", "2"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", lines["mlp"][6]) and re.fullmatch(r"\d\d:\d\d", lines["mlp"][7])


def test_a_config_key_named_as_a_runs_column_is_headed_config(store_dir):
    """Keras's fit(epochs=300) in a run's config beside the epochs the run trained: two columns both
    headed "epochs" (a fifth trial)."""
    for name, planned in (("a", 300), ("b", 200)):
        with fitwatch.Run(name, config={"epochs": planned}, diagnose=False) as run:
            for e in run.epochs(2):
                run.log_epoch(loss=1.0 / (e + 1), val_loss=1.1 / (e + 1))
    p = cli("runs", "--config", "epochs")
    head = next(ln for ln in p.stdout.splitlines() if ln.split()[:2] == ["id", "name"])
    assert head.split().count("epochs") == 2 and "config epochs" in head, head
    assert runs_rows(p.stdout)["a"][-1] == "300"


def test_runs_json(store_dir):
    record("mlp", [0.9, 0.5, 0.7])
    p = cli("runs", "--json")
    assert p.returncode == 0, p.stderr
    (run,) = json.loads(p.stdout)
    assert (run["name"], run["status"], run["epochs"], run["best_epoch"]) == ("mlp", "finished", 3, 1)
    assert run["best_val_loss"] == pytest.approx(0.5)
    assert run["config"] == {"lr": 0.01, "optimizer": "sgd"}


def test_empty_store_says_so(store_dir):
    fitwatch.Store(store_dir).close()
    p = cli("runs")
    assert p.returncode == 0
    assert "No runs yet" in p.stdout and "fitwatch demo" in p.stdout


def test_dir_option_before_or_after_the_command(tmp_path, monkeypatch):
    monkeypatch.delenv("FITWATCH_DIR", raising=False)
    record("here", [0.3], dir=tmp_path / "a")
    for args in (["--dir", tmp_path / "a", "runs"], ["runs", "--dir", tmp_path / "a"]):
        p = cli(*args, cwd=tmp_path)
        assert p.returncode == 0 and "here" in p.stdout, (args, p.stderr)
    # without --dir: ./fitwatch, which does not exist in tmp_path
    p = cli("runs", cwd=tmp_path)
    assert p.returncode == 2 and "fitwatch.db" in p.stderr


def test_fitwatch_dir_environment_variable(tmp_path):
    record("env-run", [0.3], dir=tmp_path / "s")
    p = cli("runs", cwd=tmp_path, env={"FITWATCH_DIR": str(tmp_path / "s")})
    assert p.returncode == 0 and "env-run" in p.stdout


def test_killed_run_shows_as_killed(store_dir):
    record("ok", [0.5, 0.4])
    # a training process that dies without finish(): no atexit, no excepthook (like SIGKILL or an OOM kill)
    run_python(
        "import os, fitwatch\n"
        "run = fitwatch.Run('doomed', progress=False)\n"
        "for epoch in run.epochs(10):\n"
        "    run.log('train', loss=1.0, n=4); run.log('val', loss=2.0 - epoch / 10, n=4)\n"
        "    if epoch == 2:\n"
        "        os._exit(0)\n",
    )
    raw = fitwatch.Store(store_dir, create=False).find_run("doomed")
    assert raw["status"] == "running"  # the record itself never ended
    p = cli("runs")
    assert p.returncode == 0, p.stderr
    statuses = {name: cells[2] for name, cells in runs_rows(p.stdout).items()}
    assert statuses == {"ok": "finished", "doomed": "killed"}
    (doomed,) = [r for r in json.loads(cli("runs", "--json").stdout) if r["name"] == "doomed"]
    assert doomed["status"] == "killed" and doomed["epochs"] == 2  # the epoch in progress is lost
    p = cli("show", "doomed")
    assert "killed" in p.stdout.splitlines()[0]


def test_live_run_shows_as_running(store_dir):
    run = fitwatch.Run("live", progress=False)  # this process is alive
    run.log_epoch(loss=1.0, val_loss=1.5)
    p = cli("runs")
    assert runs_rows(p.stdout)["live"][2] == "running"
    run.finish()


# -- fitwatch show ---------------------------------------------------------------------------------
def test_show_prints_every_metric_of_every_split(store_dir):
    def extra(run, epoch):
        run.log("test", loss=0.25 * (epoch + 1), n=3)
        run.log("holdout", mae=12345.678 + epoch, n=3)

    record("many", [0.9, 0.123456, 0.7], config={"lr": 0.001, "batch_size": 32}, extra=extra)
    data = fitwatch.load("many")
    p = cli("show", "many")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    # the columns: every metric of every split, Keras-style, in the order of RunData.metrics
    assert header_cells(out) == ["epoch", *data.history]
    assert header_cells(out) == ["epoch", "loss", "val_loss", "test_loss", "accuracy", "val_accuracy",
                                 "holdout_mae"]
    rows = table_rows(out)
    assert sorted(rows) == ["0", "1", "2"]
    assert rows["1"][:6] == ["0.5", "0.1235", "0.5", "0.51", "0.41", "12347"]
    assert rows["2"][:6] == ["0.3333", "0.7", "0.75", "0.52", "0.42", "12348"]
    # the best val_loss row is marked, and only that one
    assert [e for e, cells in rows.items() if "best" in " ".join(cells)] == ["1"]
    first = out.splitlines()[:4]
    assert first[0].split()[:3] == ["many", f"#{data.id}", "finished"]
    assert any("lr=0.001" in ln and "batch_size=32" in ln for ln in first)
    assert "best val_loss 0.1235 at epoch 1" in out


def test_show_nan_value(store_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        record("diverged", [0.5, 0.4, float("nan")], train_losses=[1.0, 0.5, float("nan")])
    p = cli("show", "diverged")
    rows = table_rows(p.stdout)
    assert rows["2"][:2] == ["nan", "nan"]
    assert "best" in " ".join(rows["1"])  # NaN is never the best


def test_show_sparse_validation_compares_with_the_last_validated_epoch(store_dir):
    with fitwatch.Run("sparse") as run:
        for e in run.epochs(31):
            run.log("train", loss=1 / (e + 1), n=10)
            if e % 3 == 2:  # validated every 3rd epoch; epoch 30 is not
                run.log("val", loss=abs(e - 12) / 30 + 0.2, n=10)
    out = cli("show", "sparse").stdout
    assert "best val_loss 0.2333 at epoch 11; last validated epoch 29: 0.7667 (+228.6%)" in out


def test_show_monitor_compares_with_the_monitored_metrics_last_epoch(store_dir):
    """An attack: the last epoch compared with was val_loss's, whatever --monitor named (val_mae
    logged every epoch, val_loss only every 3rd)."""
    with fitwatch.Run("two_rates") as run:
        for e in run.epochs(10):
            run.log("train", loss=1 / (e + 1), n=10)
            run.log("val", mae=abs(e - 4) / 10 + 0.1, n=10)
            if e % 3 == 1:  # the last at epoch 7
                run.log("val", loss=1.0 / (e + 1), n=10)
    out = cli("show", "two_rates", "--monitor", "val_mae").stdout
    assert "best val_mae 0.1 at epoch 4; last epoch 9: 0.6 (+500.0%)" in out, out


def test_show_picks_latest_of_a_name_or_an_id(store_dir):
    record("same", [0.9])
    record("same", [0.1])
    assert table_rows(cli("show", "same").stdout)["0"][1] == "0.1"
    assert table_rows(cli("show", "1").stdout)["0"][1] == "0.9"
    assert table_rows(cli("show", "#1").stdout)["0"][1] == "0.9"


def test_show_failed_run_says_what_went_wrong(store_dir):
    with pytest.raises(ValueError):
        with fitwatch.Run("broken", progress=False) as run:
            run.log_epoch(loss=1.0, val_loss=1.1)
            raise ValueError("shapes do not match")
    p = cli("show", "broken")
    assert p.returncode == 0
    head = p.stdout.splitlines()[:4]
    assert "failed" in head[0]
    assert any("ValueError: shapes do not match" in ln for ln in head)
    assert not any("Traceback" in ln for ln in head)


def test_long_run_is_cut_unless_asked(store_dir):
    vals = [1.0 / (e + 1) for e in range(10)] + [0.1 + (e + 1) / 1000 for e in range(70)]  # best: 0.1 at 9
    record("long", vals)
    rows = table_rows(cli("show", "long").stdout)
    assert sorted(map(int, rows)) == [0, 1, 2, 3, 4, 9, *range(30, 80)]
    out = cli("show", "long").stdout
    assert "..." in out and "--all" in out
    assert sorted(map(int, table_rows(cli("show", "long", "--all").stdout))) == list(range(80))
    assert sorted(map(int, table_rows(cli("show", "long", "--last", "3").stdout))) == [77, 78, 79]
    short = cli("show", "long", "--last", "3").stdout
    assert "best val_loss 0.1 at epoch 9" in short  # the best is named even when its row is not shown


def test_show_csv(store_dir):
    record("c", [0.9, 1 / 3])
    p = cli("show", "c", "--csv")
    rows = list(csv.reader(io.StringIO(p.stdout)))
    assert rows[0] == ["epoch", "loss", "val_loss", "accuracy", "val_accuracy"]
    assert [float(x) for x in rows[2]] == [1, 0.5, 1 / 3, 0.5 + 1 / 100, 0.4 + 1 / 100]  # full precision


def test_wide_table_is_not_squeezed_into_80_columns(store_dir):
    def extra(run, epoch):
        run.log("val", **{f"metric_number_{i}": 1.0 + i / 7 for i in range(8)}, n=5)

    record("wide", [0.5], extra=extra)
    p = cli("show", "wide", env={"COLUMNS": "80"})
    assert "val_metric_number_7" in p.stdout and "2" in table_rows(p.stdout)["0"]
    assert "…" not in p.stdout


# -- user errors: one line on stderr, exit status 2 -------------------------------------------------
def test_unknown_run(store_dir):
    record("alpha", [0.5])
    record("beta", [0.5])
    p = cli("show", "foo")
    assert p.returncode == 2
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1
    msg = lines[0]
    assert msg.startswith("fitwatch: ") and "'foo'" in msg and str(store_dir / "fitwatch.db") in msg
    assert "beta, alpha" in msg and "fitwatch runs" in msg


def test_not_an_sqlite_file(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n")
    for args in (["runs", "--dir", bad], ["show", "x", "--dir", bad]):
        p = cli(*args)
        assert p.returncode == 2
        assert len(p.stderr.strip().splitlines()) == 1
        assert str(bad) in p.stderr and "not a fitwatch database" in p.stderr


@pytest.mark.parametrize("as_folder", [False, True])
def test_sqlite_file_of_another_program(tmp_path, as_folder):
    path = tmp_path / ("fitwatch.db" if as_folder else "app.db")
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE users (id INTEGER, email TEXT)")
    con.commit()
    con.close()
    before = path.read_bytes()
    p = cli("runs", "--dir", tmp_path if as_folder else path)
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1
    assert str(path) in p.stderr and "users" in p.stderr
    assert path.read_bytes() == before  # left untouched


def test_missing_store(tmp_path):
    p = cli("show", "x", "--dir", tmp_path / "nothing")
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1
    assert str(tmp_path / "nothing" / "fitwatch.db") in p.stderr
    assert not (tmp_path / "nothing").exists()  # reading never creates a store


def test_messages_that_name_fitwatch_are_not_prefixed_twice(store_dir, tmp_path, monkeypatch):
    import socket

    record("served", [0.5])
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        p = cli("serve", "--port", port)
    assert p.returncode == 2
    assert p.stderr.startswith(f"fitwatch serve: cannot listen on 127.0.0.1:{port}"), p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    # a message that starts with a relative path (./fitwatch/fitwatch.db) still gets the prefix
    monkeypatch.delenv("FITWATCH_DIR")
    p = cli("runs", cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr.startswith(f"fitwatch: {os.path.join('fitwatch', 'fitwatch.db')}: no fitwatch store here"), p.stderr
    # show names a mistyped file as diagnose, plot and report do (it said "no fitwatch store here" alone)
    p = cli("show", "nonexistent.csv", cwd=tmp_path)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
    assert p.stderr.startswith("fitwatch: nonexistent.csv: no such file or folder, and no fitwatch store"), p.stderr


def test_usage_errors_and_version(store_dir):
    assert cli("show").returncode == 2  # RUN missing
    assert cli("show", "x", "--last", "0").returncode == 2
    assert cli().returncode == 2
    p = cli("--version")
    assert p.returncode == 0 and p.stdout.strip() == f"fitwatch {fitwatch.__version__}"


def test_entry_points(store_dir):
    record("m", [0.5])
    assert "m" in cli("runs", module="fitwatch.cli").stdout
    script = os.path.join(os.path.dirname(sys.executable), "fitwatch")
    if os.path.exists(script):
        p = subprocess.run([script, "runs"], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and " m " in p.stdout


def test_cli_never_imports_torch(store_dir):
    record("m", [0.5])
    p = run_python(
        "import sys\n"
        "from fitwatch.cli import main\n"
        "assert main(['runs']) == 0 and main(['show', 'm']) == 0\n"
        "print('torch' in sys.modules, 'sklearn' in sys.modules)\n"
    )
    assert p.stdout.strip().splitlines()[-1] == "False False"


def test_warnings_are_one_clean_line_each(tmp_path):
    """A warning while a command runs (a file skipped, a NaN stored) prints as the errors do: one
    line after 'fitwatch: ', without Python's file:line prefix or the source line."""
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "good.csv").write_text("epoch,loss,val_loss\n" + "".join(
        f"{e},{1 / (e + 1)},{1.1 / (e + 1)}\n" for e in range(12)))
    (tmp_path / "logs" / "notes.json").write_text("{not json")
    p = cli("diagnose", str(tmp_path / "logs"))
    assert p.returncode == 0, p.stderr
    lines = p.stderr.strip().splitlines()
    assert lines and all(line.startswith("fitwatch: ") for line in lines), p.stderr
    assert "Warning:" not in p.stderr and ".py:" not in p.stderr


def test_runs_table_cuts_long_names_and_keeps_rows_on_one_line(store_dir):
    for name in ["x" * 300, "two\nlines"]:
        run = fitwatch.Run(name, diagnose=False)
        run.log_epoch(loss=1.0, val_loss=1.2)
        run.finish()
    p = cli("runs")
    assert p.returncode == 0, p.stderr
    rows = [line for line in p.stdout.splitlines() if "finished" in line]
    assert len(rows) == 2 and all(len(line.rstrip()) < 150 for line in rows), p.stdout
    assert "…" in rows[0] and "two lines" in rows[1]
    p = cli("show", "#9999")
    assert p.returncode == 2 and "no run with id 9999" in p.stderr


def test_show_takes_a_log_file_as_diagnose_does(tmp_path, store_dir):
    """`fitwatch show FILE` (issue 11): the file's per-epoch table and best epoch, every run it holds;
    a run of the store of that name still wins; --csv too."""
    from conftest import ROOT

    log = ROOT / "tests" / "data" / "logs" / "keras_csvlogger.csv"
    p = cli("show", log, cwd=tmp_path)  # no store here at all
    assert p.returncode == 0, p.stderr
    assert "keras_csvlogger.csv  a log file   epochs 4" in p.stdout
    assert "best val_loss 0.5807 at epoch 2" in p.stdout and "<- best" in p.stdout
    two = tmp_path / "two.csv"
    two.write_text("epoch,loss,val_loss\n0,1.0,1.1\n1,0.5,0.6\n0,2.0,2.1\n1,1.5,1.4\n")
    p = cli("show", two, cwd=tmp_path)
    assert p.stdout.count("a log file") == 2 and "two.csv#1" in p.stdout and "two.csv#2" in p.stdout
    assert cli("show", two, "--csv", cwd=tmp_path).stdout.splitlines()[:2] == ["epoch,loss,val_loss", "0,1.0,1.1"]
    record("two.csv", [0.9, 0.8], dir=store_dir)  # a run named like the file: the store's run is shown
    p = cli("show", "two.csv", cwd=tmp_path)
    assert "a log file" not in p.stdout and "two.csv  #1" in p.stdout
    p = cli("show", tmp_path / "nothing.csv", cwd=tmp_path)
    assert p.returncode == 2 and "nothing.csv" in p.stderr
    # --monitor, a name as written in the file, as diagnose takes it (a new user's trial: it was refused)
    acc = tmp_path / "acc.csv"
    acc.write_text("epoch,loss,Val Acc,val_loss\n0,1.0,0.5,1.1\n1,0.6,0.7,0.8\n2,0.4,0.65,0.7\n")
    p = cli("show", acc, "--monitor", "Val Acc", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "best val_accuracy 0.7 at epoch 1" in p.stdout
    p = cli("show", acc, "--monitor", "nope", cwd=tmp_path)
    assert p.returncode == 2 and "no 'nope' curve" in p.stderr and "Traceback" not in p.stderr
    p = cli("show", "two.csv", "--monitor", "nope", cwd=tmp_path)  # a store's run: the same, not silence
    assert p.returncode == 2 and "no metric 'nope'" in p.stderr and "loss" in p.stderr, p.stderr


def test_diagnose_takes_the_no_skill_baseline_and_the_kind_of_data(tmp_path):
    """Issue 11: a regression predicting the mean is not_learning once its baseline is known; a bad
    baseline is one line naming what it should be."""
    path = tmp_path / "mean.csv"
    rows = zip([40, 5, 1.3, 1.05, 1.01] + [1.0] * 10, [38, 4.8, 1.25, 1.03, 1.0] + [0.99] * 10)
    path.write_text("epoch,loss,val_loss\n" + "".join(f"{i},{a},{b}\n" for i, (a, b) in enumerate(rows)))
    assert json.loads(cli("diagnose", path, "--json").stdout)["verdict"] != "not_learning"
    p = cli("diagnose", path, "--json", "--baseline", "1.0", "--data", "tabular")
    assert json.loads(p.stdout)["verdict"] == "not_learning"
    p = cli("diagnose", path, "--baseline", "-1")
    assert p.returncode != 0 and p.stderr.strip().count("\n") == 0 and "baseline must be a positive number" in p.stderr


def test_a_run_name_that_is_also_a_folder_reads_the_run(tmp_path, monkeypatch):
    """Lightning's checkpoints and a Trainer's output_dir make a folder named after the run: `fitwatch
    diagnose NAME` read it as a path and failed (a new user's trial, issue 15). The run is read, with
    a note; ./NAME reads the folder."""
    monkeypatch.chdir(tmp_path)
    record("digits", [1.0, 0.6, 0.4, 0.35, 0.33], dir=tmp_path / "fitwatch")
    (tmp_path / "digits" / "checkpoints").mkdir(parents=True)
    (tmp_path / "digits" / "checkpoints" / "last.ckpt").write_bytes(b"\0" * 16)
    d = fitwatch.diagnose("digits")
    assert d.name == "digits" and d.epochs == 5
    assert any("a folder of that name is here too (pass ./digits" in n for n in d.notes)
    out = cli("diagnose", "digits", cwd=tmp_path)
    assert out.returncode == 0 and "digits" in out.stdout
    assert cli("report", "digits", "-o", "r.html", cwd=tmp_path).returncode == 0
    folder = cli("diagnose", "./digits", cwd=tmp_path)
    assert folder.returncode == 2 and "no readable training log in this folder" in folder.stderr


def test_a_stored_multi_head_run_is_diagnosed_and_shown_per_head(store_dir):
    with fitwatch.Run("mt", dir=store_dir, diagnose="quiet", progress=False) as run:
        for e in run.epochs(12):
            run.log("train", reg_loss=2.0 / (e + 1), cls_loss=1.0 / (e + 1), n=10)
            run.log("val", reg_loss=0.6 + 0.04 * (e - 4) ** 2, cls_loss=1.0 / (e + 1) + 0.2, n=10)
    p = cli("diagnose", "mt")  # it said "no loss or val_loss recorded" and exited 2
    assert p.returncode == 0, p.stderr
    assert "mt [cls_loss]" in p.stdout and "mt [reg_loss]" in p.stdout and "OVERFITTING" in p.stdout
    out = json.loads(cli("diagnose", "mt", "--json").stdout)
    assert out["verdicts"] == {"mt [cls_loss]": "still_improving", "mt [reg_loss]": "overfitting"}
    shown = cli("show", "mt").stdout  # no best line before
    assert "best val_cls_loss 0.2833 at epoch 11" in shown and "best val_reg_loss 0.6 at epoch 4" in shown


def test_the_runs_list_gives_each_heads_best_as_show_does(store_dir):
    """`fitwatch runs` showed "-" for a multi-head run (no val_loss): now each head's best value and
    epoch, the same as `fitwatch show`'s best lines (issue Must 5), in the table and in --json."""
    with fitwatch.Run("mt", dir=store_dir, diagnose="quiet", progress=False) as run:
        for e in run.epochs(12):
            run.log("train", reg_loss=2.0 / (e + 1), cls_loss=1.0 / (e + 1), n=10)
            run.log("val", reg_loss=0.6 + 0.04 * (e - 4) ** 2, cls_loss=1.0 / (e + 1) + 0.2, n=10)
    record("plain", [0.9, 0.7, 0.8], dir=store_dir)
    out = json.loads(cli("runs", "--json").stdout)
    by = {r["name"]: r for r in out}
    assert by["mt"]["heads"] == [{"key": "val_cls_loss", "best_epoch": 11, "best_value": pytest.approx(1 / 12 + 0.2)},
                                 {"key": "val_reg_loss", "best_epoch": 4, "best_value": pytest.approx(0.6)}]
    assert "heads" not in by["plain"] and by["plain"]["best_epoch"] == 1
    shown = cli("show", "mt").stdout
    for h in by["mt"]["heads"]:  # the same value and epoch as show's best line
        assert f"best {h['key']} {h['best_value']:.4g} at epoch {h['best_epoch']}" in shown
    lines = cli("runs").stdout.splitlines()
    row = next(i for i, ln in enumerate(lines) if ln.split()[1:2] == ["mt"])
    assert lines[row].split()[4:7] == ["val_cls_loss", "0.2833", "11"]  # a line per head: its best and epoch
    assert lines[row + 1].split() == ["val_reg_loss", "0.6", "4"]
    assert runs_rows("\n".join(lines))["plain"][4:6] == ["0.7", "1"]


def test_show_and_diagnose_name_one_best_epoch_on_a_file_without_a_validation_loss(tmp_path):
    """A scikit-learn MLP's verbose printout: the diagnosis judges the validation score its early
    stopping watched (best epoch 18); `fitwatch show` printed no best line at all."""
    from conftest import ROOT

    log = ROOT / "tests" / "data" / "logs" / "sklearn_mlp_verbose.txt"
    shown = cli("show", log, cwd=tmp_path)
    diagnosed = cli("diagnose", log, "--json", cwd=tmp_path)
    assert shown.returncode == 0 and diagnosed.returncode == 0, shown.stderr + diagnosed.stderr
    assert "best val_accuracy 0.9556 at epoch 18" in shown.stdout, shown.stdout
    assert json.loads(diagnosed.stdout)["best_epoch"] == 18
