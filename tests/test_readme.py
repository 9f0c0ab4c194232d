"""The README's quick starts run as written (a copy of them would drift: they are read from README.md)."""

import re
import subprocess
import sys

import numpy as np
import pytest

import fitwatch
from conftest import ROOT


def readme_block(name: str) -> str:
    text = (ROOT / "README.md").read_text()
    m = re.search(rf"<!-- readme-test: {name} -->\s*```python\n(.*?)```", text, re.S)
    assert m, f"README.md has no python block marked readme-test: {name}"
    return m.group(1)


def run_block(name: str, cwd, monkeypatch) -> subprocess.CompletedProcess:
    monkeypatch.delenv("FITWATCH_DIR", raising=False)
    p = subprocess.run([sys.executable, "-c", readme_block(name)], cwd=cwd, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return p


def assert_still_improving(p, data, store):
    """The quick starts train 20 epochs whose validation loss is still falling at the end (about 8%
    over the last five epochs, a third over the last ten; the odd epoch up by less than the noise):
    a careful reader says still_improving (train longer), not good_fit. Said where ``Run.finish()``
    or the callback printed it (stderr), stored in the run, and by ``fitwatch.diagnose``."""
    val = data.history["val_loss"]
    assert np.mean(val[-3:]) < 0.95 * np.mean(val[-8:-3]), val  # the premise: still falling at the end
    assert data.info["diagnosis"]["verdict"] == "still_improving", (val, data.info["diagnosis"]["verdict"])
    assert fitwatch.diagnose(data.name, dir=store).verdict == "still_improving"
    assert "STILL IMPROVING" in p.stderr
    assert "still training" not in p.stderr  # the run had finished when its diagnosis was printed


def test_pytorch_quick_start(tmp_path, monkeypatch):
    p = run_block("torch", tmp_path, monkeypatch)
    data = fitwatch.load("digits-mlp", dir=tmp_path / "fitwatch")  # the default store: ./fitwatch
    assert data.status == "finished" and data.config == {"lr": 1e-3, "batch_size": 32}
    assert data.epochs.tolist() == list(range(20))
    assert set(data.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert float(p.stdout.strip()) == pytest.approx(data.history["val_loss"][-1])
    assert data.history["val_accuracy"][-1] > 0.9  # it really trained
    steps = data.steps()
    assert len(steps[("train", "loss")][0]) == 20 * 45  # 1437 samples in batches of 32
    assert len(steps[("val", "loss")][0]) == 20 * 3
    show = subprocess.run([sys.executable, "-m", "fitwatch.cli", "show", "digits-mlp"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert show.returncode == 0, show.stderr
    assert "val_loss" in show.stdout and "val_accuracy" in show.stdout
    assert_still_improving(p, data, tmp_path / "fitwatch")


def test_keras_quick_start(tmp_path, monkeypatch):
    p = run_block("keras", tmp_path, monkeypatch)
    data = fitwatch.load("digits-keras", dir=tmp_path / "fitwatch")
    assert data.status == "finished" and data.epochs.tolist() == list(range(20))
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(data.history)
    assert data.history["val_accuracy"][-1] > 0.9
    assert_still_improving(p, data, tmp_path / "fitwatch")


def test_diagnose_quick_start(tmp_path, monkeypatch):
    p = run_block("diagnose", tmp_path, monkeypatch)
    verdict, best, onset = p.stdout.splitlines()[0].split()
    assert verdict == "overfitting" and best == onset == "5"
    assert p.stdout.splitlines()[1].startswith("Stop early")


def test_early_stopping_quick_start(tmp_path, monkeypatch):
    import torch

    p = run_block("early-stopping", tmp_path, monkeypatch)
    stopped, best = map(int, p.stdout.splitlines()[0].split())
    data = fitwatch.load("digits-early-stop", dir=tmp_path / "fitwatch")
    assert data.status == "stopped" and len(data.epochs) == stopped + 1 < 200
    assert data.info["early_stopping"]["restored_epoch"] == best < stopped
    assert p.stdout.splitlines()[1] == data.info["early_stopping"]["reason"]
    # 300 digits for a 256-unit MLP: validation loss bottoms out while training loss keeps falling,
    # and the stop caught it: a careful reader says overfitting (caught), and so does the printout
    val, train = data.history["val_loss"], data.history["loss"]
    assert val[-1] > min(val) and train[-1] < 0.6 * train[best]  # the premise
    diagnosis = data.info["diagnosis"]
    assert diagnosis["verdict"] == "overfitting"
    assert [f["code"] for f in diagnosis["findings"]][:2] == ["overfitting", "stopped_early"]
    assert "OVERFITTING" in p.stderr
    # best.pt holds the best epoch's weights: its validation loss is the one recorded for that epoch
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    model.load_state_dict(torch.load(tmp_path / "best.pt"))
    with torch.no_grad():
        val = torch.nn.CrossEntropyLoss()(model(torch.tensor(X[300:] / 16.0, dtype=torch.float32)),
                                          torch.tensor(y[300:])).item()
    assert val == pytest.approx(data.history["val_loss"][best], rel=1e-5)
    show = subprocess.run([sys.executable, "-m", "fitwatch.cli", "show", "digits-early-stop"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert f"Stopped early at epoch {stopped} (200 planned)" in show.stdout
    assert "still training" not in p.stderr  # the printed diagnosis is of a finished run


def test_watch_quick_start_names_the_cause(tmp_path, monkeypatch):
    p = run_block("watch", tmp_path, monkeypatch)
    lines = p.stdout.strip().splitlines()
    assert lines[0] == "['loss_output_mismatch']"
    assert lines[1].startswith("The loss does not fit the model's output: CrossEntropyLoss is given probabilities")
    data = fitwatch.load("digits-softmax", dir=tmp_path / "fitwatch")
    assert ("0", "grad_norm") in data.probes() and data.info["probes"]["output_activation"] == "3"


def test_preflight_quick_start(tmp_path, monkeypatch):
    p = run_block("preflight", tmp_path, monkeypatch)
    assert "unnormalised_input" in p.stdout and "suggested learning rate" in p.stdout, p.stdout
    data = fitwatch.load("digits-preflight", dir=tmp_path / "fitwatch")
    assert "unnormalised_input" in [f["code"] for f in data.info["preflight"]["findings"]]
    assert data.info["lr_find"]["suggestion"] > 0
    show = subprocess.run([sys.executable, "-m", "fitwatch.cli", "show", "digits-preflight"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert "pre-flight" in show.stdout and "suggested by fitwatch.lr_find" in show.stdout, show.stdout


def test_lightning_quick_start(tmp_path, monkeypatch):
    pytest.importorskip("lightning")
    run_block("lightning", tmp_path, monkeypatch)
    data = fitwatch.load("digits-lightning", dir=tmp_path / "fitwatch")
    assert data.status in ("stopped", "finished") and data.config["lr"] == 1e-2
    assert {"loss", "val_loss", "val_accuracy"} <= set(data.history)
    # it really trained: judged at its best epoch, the one restored, since a stopped run's last epoch is
    # past it (CI once saw 0.899 on the last epoch of a stopped run)
    assert max(data.history["val_accuracy"]) > 0.9
    assert len(data.steps()[("train", "loss")][0]) > len(data.epochs)  # steps on their own axis
    if data.status == "stopped":
        assert data.info["early_stopping"]["restored"]
    show = subprocess.run([sys.executable, "-m", "fitwatch.cli", "show", "digits-lightning"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert show.returncode == 0 and "val_loss" in show.stdout, show.stderr


def test_transformers_quick_start(tmp_path, monkeypatch):
    pytest.importorskip("transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    run_block("transformers", tmp_path, monkeypatch)
    data = fitwatch.load("tiny-bert", dir=tmp_path / "fitwatch")
    assert data.status == "stopped" and data.info["early_stopping"]["restored"]
    assert {"loss", "grad_norm", "lr", "val_loss"} <= set(data.history), sorted(data.history)
    steps = data.steps()[("train", "loss")][0]  # the Trainer's global steps: 4 an epoch, a row logged every 4
    assert steps.tolist() == [4 * (e + 1) for e in data.epochs.tolist()]


def test_sklearn_quick_start(tmp_path, monkeypatch):
    p = run_block("sklearn", tmp_path, monkeypatch)
    data = fitwatch.load("sgd-cancer", dir=tmp_path / "fitwatch")
    assert data.status == "stopped" and data.info["early_stopping"]["restored"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(data.history)
    assert p.stdout.split() == ["stopped", str(data.info["early_stopping"]["best_epoch"]), "good_fit", "good_fit"]


def test_xgboost_quick_start(tmp_path, monkeypatch):
    pytest.importorskip("xgboost")
    p = run_block("xgboost", tmp_path, monkeypatch)
    data = fitwatch.load("xgb", dir=tmp_path / "fitwatch")
    assert data.status == "stopped" and int(p.stdout) == data.info["early_stopping"]["best_epoch"]
    assert {"loss", "val_loss"} <= set(data.history)


def test_lightgbm_quick_start(tmp_path, monkeypatch):
    pytest.importorskip("lightgbm")
    p = run_block("lightgbm", tmp_path, monkeypatch)
    data = fitwatch.load("lgb", dir=tmp_path / "fitwatch")
    assert data.status == "stopped" and int(p.stdout) == data.info["early_stopping"]["best_epoch"] + 1  # 1-based
    assert {"loss", "val_loss"} <= set(data.history)
