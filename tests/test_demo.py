"""`fitwatch demo`: a real PyTorch MLP on scikit-learn's digits, recorded, then shown."""

import os
import subprocess
import sys

import numpy as np
import pytest

import fitwatch
from conftest import run_python

pytest.importorskip("torch")
pytest.importorskip("sklearn")


def test_demo_records_and_shows_the_run(tmp_path):
    store = tmp_path / "demo-store"
    p = subprocess.run([sys.executable, "-m", "fitwatch", "demo", "--epochs", "5", "--dir", str(store)],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr

    data = fitwatch.load("digits-mlp", dir=store)
    assert data.status == "finished"
    assert data.epochs.tolist() == [0, 1, 2, 3, 4]
    assert list(data.history) == ["loss", "val_loss", "accuracy", "val_accuracy"]
    assert data.config["lr"] == 1e-3 and data.config["train_samples"] == 300 and data.config["epochs"] == 5
    loss = np.array(data.history["loss"])
    assert np.all(np.isfinite(loss)) and loss[-1] < loss[0] / 5  # it really trains
    assert 0.8 < data.history["val_accuracy"][-1] <= 1.0
    assert len(data.steps()[("train", "loss")][0]) == 5 * 10  # 300 samples in batches of 32: 10 a epoch
    # five epochs whose validation loss falls at every one (1.13 -> 0.19): a careful reader says
    # still_improving, stored and printed (stderr)
    val = data.history["val_loss"]
    assert all(b < a for a, b in zip(val, val[1:])) and val[-1] < 0.9 * val[-2]
    assert data.info["diagnosis"]["verdict"] == "still_improving" and "STILL IMPROVING" in p.stderr

    lines = p.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["digits-mlp", "#1", "finished"]
    header = next(ln.split() for ln in lines if ln.split()[:1] == ["epoch"])
    assert header[:5] == ["epoch", "loss", "val_loss", "accuracy", "val_accuracy"]
    rows = [ln.split() for ln in lines if ln.split()[:1] and ln.split()[0].isdigit() and len(ln.split()) >= 5]
    assert [r[0] for r in rows] == ["0", "1", "2", "3", "4"]
    assert float(rows[-1][2]) == pytest.approx(data.history["val_loss"][-1], rel=1e-3)
    # then where the run is and how to see it again, the report's path and how to look at it
    trained = next(ln for ln in lines if ln.startswith("Trained 5 epochs"))
    assert str(store / "fitwatch.db") in trained
    assert f"fitwatch show digits-mlp --dir {store}" in trained
    report = store / "reports" / "digits-mlp.html"
    assert lines[-2:] == [f"Report: {report}",
                          f"Open it in a browser, or watch runs live with: fitwatch serve --dir {store}"]
    text = report.read_text(encoding="utf-8")
    assert "<h1>digits-mlp</h1>" in text and "<th>train_samples</th><td>300</td>" in text
    assert text.count('<td class="mark">') == 5 and "<script src" not in text
    # ...and that command works
    again = subprocess.run([sys.executable, "-m", "fitwatch", "show", "digits-mlp", "--dir", str(store)],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "val_accuracy" in again.stdout
    assert "still training" not in p.stderr  # the printed diagnosis is of a finished run


def test_demo_overfits(tmp_path):
    from fitwatch.cli import demo

    run = demo.train(epochs=30, name="overfit", dir=tmp_path, progress=False, stop=False)
    val = np.array(run.history["val_loss"])
    train = np.array(run.history["loss"])
    best = int(np.argmin(val))
    assert 3 <= best <= 20  # val_loss bottoms out early...
    assert val[-1] > val[best] * 1.02  # ...and rises afterwards
    assert train[-1] < train[best] / 2  # while the training loss keeps falling
    assert run.status == "finished"
    # a careful reader: overfitting, from about where the validation loss bottomed out
    d = fitwatch.diagnose(run.history)
    assert d.verdict == "overfitting" and abs(d.onset_epoch - best) <= 3
    assert fitwatch.load("overfit", dir=tmp_path).info["diagnosis"]["verdict"] == "overfitting"


def test_demo_is_reproducible(tmp_path):
    from fitwatch.cli import demo

    a = demo.train(epochs=2, name="a", dir=tmp_path, progress=False).history
    b = demo.train(epochs=2, name="b", dir=tmp_path, progress=False).history
    assert a == b


def test_demo_without_torch_says_how_to_install(tmp_path):
    store = tmp_path / "s"
    p = run_python(
        "import sys\n"
        "sys.modules['torch'] = None  # as if PyTorch were not installed\n"
        "from fitwatch.cli import main\n"
        f"sys.exit(main(['demo', '--epochs', '1', '--dir', {str(store)!r}]))\n",
        check=False,
    )
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert "pip install 'fitwatch[demo]'" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert not store.exists()


def test_demo_writes_its_report_without_the_plotly_package(tmp_path):
    store = tmp_path / "s"
    p = run_python(
        "import sys\n"
        "sys.modules['plotly'] = None  # as if plotly were not installed\n"
        "from fitwatch.cli import main\n"
        f"sys.exit(main(['demo', '--epochs', '1', '--dir', {str(store)!r}]))\n",
        check=False,
    )
    assert p.returncode == 0, p.stderr
    assert any(line.startswith("Report: ") for line in p.stdout.splitlines())
    assert (store / "reports" / "digits-mlp.html").exists()
    assert fitwatch.load("digits-mlp", dir=store).status == "finished"


def test_demo_refuses_a_foreign_store_before_training(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a database")
    p = subprocess.run([sys.executable, "-m", "fitwatch", "demo", "--epochs", "50", "--dir", str(bad)],
                       capture_output=True, text=True, timeout=60, env={**os.environ})
    assert p.returncode == 2 and str(bad) in p.stderr and "Traceback" not in p.stderr
    assert "epoch" not in p.stdout  # nothing was trained


def test_demo_stops_early_restores_the_best_epoch_and_says_so(tmp_path):
    store = tmp_path / "demo-store"
    p = subprocess.run([sys.executable, "-m", "fitwatch", "demo", "--dir", str(store)],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    data = fitwatch.load("digits-mlp", dir=store)
    stop = data.info["early_stopping"]
    assert data.status == "stopped" and stop["stopped"] and stop["restored"]
    assert len(data.epochs) < 100 and stop["stopped_epoch"] == data.epochs[-1] == data.info["stopped_epoch"]
    best = stop["best_epoch"]
    assert stop["restored_epoch"] == best < stop["stopped_epoch"]
    assert stop["best_value"] == pytest.approx(min(data.history["val_loss"]))
    # the overfitting is diagnosed, and reported as caught by the stop
    diagnosis = data.info["diagnosis"]
    assert diagnosis["verdict"] == "overfitting"
    assert "OVERFITTING" in p.stderr  # the printout says so
    codes = [f["code"] for f in diagnosis["findings"]]
    assert codes[:2] == ["overfitting", "stopped_early"]
    assert not any(r.startswith("Stop early") for f in diagnosis["findings"] for r in f["remedies"])
    # the output says where and why it stopped, and which epoch's weights the model holds
    line = next(ln for ln in p.stdout.splitlines() if ln.startswith("Stopped early"))
    assert f"Stopped early at epoch {stop['stopped_epoch']} (100 planned): " in line
    assert stop["reason"].split(";")[0] in line
    assert f"Best epoch {best} (val_loss " in line and line.endswith("weights restored.")
    rows = {ln.split()[0]: ln for ln in p.stdout.splitlines() if ln.split()[:1] and ln.split()[0].isdigit()}
    assert rows[str(best)].rstrip().endswith("<- best, restored")
    assert rows[str(stop["stopped_epoch"])].rstrip().endswith("<- stopped")
    assert "still training" not in p.stderr  # the printed diagnosis is of a finished run

