"""The diagnosis engine on curves with a known shape, its output formats, and its wiring into Run."""

import json
import math

import numpy as np
import pytest

import fitwatch
from fitwatch.diagnosis import VERDICTS

rng = np.random.default_rng(0)
x = np.arange(60)


def noisy(y, rel=0.01):
    return list(np.asarray(y) * (1 + rel * rng.standard_normal(len(y))))


def codes(d):
    return [f.code for f in d.findings]


def test_overfitting_with_onset_and_best_epoch():
    train = 2.3 * np.exp(-x / 8) + 0.01
    val = 2.3 * np.exp(-x / 8) + 0.3 + 0.004 * np.maximum(0, x - 20) ** 1.5
    d = fitwatch.diagnose({"loss": noisy(train), "val_loss": noisy(val)})
    assert d.verdict == "overfitting"
    assert 14 <= d.onset_epoch <= 26 and abs(d.best_epoch - d.onset_epoch) <= 3
    f = d.findings[0]
    assert f.code == "overfitting" and f.evidence["val_loss_end"] > f.evidence["best_val_loss"]
    assert "early" in f.remedies[0].lower()


def test_good_fit():
    train = 2.3 * np.exp(-x / 6) + 0.10
    val = 2.3 * np.exp(-x / 6) + 0.12
    d = fitwatch.diagnose({"loss": noisy(train, 0.005), "val_loss": noisy(val, 0.005)})
    assert d.verdict == "good_fit" and d.onset_epoch is None


def test_still_improving():
    train = 2.3 * np.exp(-x / 40) + 0.05
    val = 2.3 * np.exp(-x / 40) + 0.08
    d = fitwatch.diagnose({"loss": noisy(train, 0.003), "val_loss": noisy(val, 0.003)})
    assert d.verdict == "still_improving"
    assert any("more epochs" in r.lower() for r in d.findings[0].remedies)


def test_underfitting():
    train = 0.69 * np.exp(-x / 5) * 0.5 + 0.69 * 0.5
    val = train * 1.02
    d = fitwatch.diagnose({"loss": noisy(train, 0.003), "val_loss": noisy(val, 0.003)})
    assert d.verdict == "underfitting"
    assert "larger model" in d.findings[0].remedies[0].lower()


def test_not_learning_at_chance_level():
    d = fitwatch.diagnose({"loss": noisy([math.log(10)] * 30, 0.002), "val_loss": noisy([math.log(10)] * 30, 0.002)})
    assert d.verdict == "not_learning"
    assert d.findings[0].evidence["classes_guess"] == 10


def test_unstable():
    base = 2.3 * np.exp(-x / 5) + 0.8 + 0.5 * np.abs(np.sin(x * 1.7)) + 0.3 * rng.random(60)
    d = fitwatch.diagnose({"loss": list(base), "val_loss": list(base * 1.1)})
    assert d.verdict == "unstable" and "lr_too_high" in codes(d)
    assert "learning rate" in d.findings[0].remedies[0].lower()


def test_diverged_on_nan_and_explosion():
    d = fitwatch.diagnose({"loss": [1.0, 0.8, 0.7, float("nan"), float("nan")], "val_loss": [1.0, 0.9, 0.8, 0.9, 1.0]})
    assert d.verdict == "diverged" and "nan_detected" in codes(d)
    nan = next(f for f in d.findings if f.code == "nan_detected")
    assert nan.evidence["first_epoch"] == 3 and nan.severity == "critical"
    d = fitwatch.diagnose({"loss": [1.0, 0.7, 0.6, 0.9, 2.0, 5.0, 20.0, 80.0]})
    assert d.verdict == "diverged"


def test_val_below_train_and_leakage():
    train = 2.3 * np.exp(-x / 6) + 0.3
    d = fitwatch.diagnose({"loss": noisy(train, 0.003), "val_loss": noisy(train * 0.95, 0.003)})
    f = next(f for f in d.findings if f.code == "val_below_train")
    assert f.severity == "info" and "dropout" in f.message
    d = fitwatch.diagnose({"loss": noisy(train, 0.003), "val_loss": noisy(train * 0.5, 0.003)})
    f = next(f for f in d.findings if f.code == "val_below_train")
    assert f.severity == "warning" and "leak" in f.message


def test_overconfident():
    train = 2.3 * np.exp(-x / 8) + 0.01
    val = 2.3 * np.exp(-x / 8) + 0.3 + 0.004 * np.maximum(0, x - 20) ** 1.5
    vacc = 0.95 - 0.5 * np.exp(-x / 8)
    d = fitwatch.diagnose({"loss": noisy(train), "val_loss": noisy(val), "val_accuracy": list(vacc)})
    assert "overconfident" in codes(d)


def test_too_few_epochs_and_missing_validation():
    d = fitwatch.diagnose({"loss": [2.0, 1.5]})
    assert "too_few_epochs" in codes(d) and "missing_validation" in codes(d)
    assert d.verdict in VERDICTS


def test_json_schema_and_renderings():
    train = 2.3 * np.exp(-x / 8) + 0.01
    val = 2.3 * np.exp(-x / 8) + 0.3 + 0.004 * np.maximum(0, x - 20) ** 1.5
    d = fitwatch.diagnose({"loss": noisy(train), "val_loss": noisy(val)})
    out = json.loads(json.dumps(d.to_dict()))
    assert {"verdict", "best_epoch", "onset_epoch", "findings", "source"} <= set(out)
    for f in out["findings"]:
        assert set(f) == {"code", "severity", "epochs", "evidence", "message", "remedies"}
        assert f["severity"] in ("info", "warning", "critical") and len(f["epochs"]) == 2
    assert "overfitting" in str(d) and "<b>overfitting</b>" in d._repr_html_()


def test_epochs_are_numbered_as_in_the_source():
    c = fitwatch.Curves(epochs=np.arange(1, 61), series={"loss": noisy(2.3 * np.exp(-x / 8) + 0.01),
                        "val_loss": noisy(2.3 * np.exp(-x / 8) + 0.3 + 0.004 * np.maximum(0, x - 20) ** 1.5)})
    d = fitwatch.diagnose_curves(c)
    d0 = fitwatch.diagnose({"loss": list(c.series["loss"]), "val_loss": list(c.series["val_loss"])})
    assert d.best_epoch == d0.best_epoch + 1 and d.onset_epoch == d0.onset_epoch + 1


def test_thresholds_are_configurable():
    train = 2.3 * np.exp(-x / 8) + 0.01
    val = 2.3 * np.exp(-x / 8) + 0.3 + 0.0004 * np.maximum(0, x - 20) ** 1.5  # a mild rise
    h = {"loss": noisy(train, 0.002), "val_loss": noisy(val, 0.002)}
    strict = fitwatch.diagnose(h, thresholds=fitwatch.Thresholds(overfit_rise=0.01, overfit_rise_level=0.01))
    lax = fitwatch.diagnose(h, thresholds=fitwatch.Thresholds(overfit_rise=5.0, overfit_rise_level=5.0))
    assert strict.verdict == "overfitting" and lax.verdict != "overfitting"


def test_run_finish_stores_and_prints_the_diagnosis(store_dir, capsys):
    train = 2.3 * np.exp(-x / 8) + 0.01
    val = 2.3 * np.exp(-x / 8) + 0.3 + 0.004 * np.maximum(0, x - 20) ** 1.5
    with fitwatch.Run("diagnosed") as run:
        for epoch in run.epochs(60):
            run.log("train", loss=float(train[epoch]))
            run.log("val", loss=float(val[epoch]))
    assert run.diagnosis_.verdict == "overfitting"
    assert "OVERFITTING" in capsys.readouterr().err
    stored = fitwatch.load("diagnosed").info["diagnosis"]
    assert stored["verdict"] == "overfitting" and stored["onset_epoch"] == run.diagnosis_.onset_epoch
    with fitwatch.Run("quiet", diagnose="quiet") as run:
        run.log_epoch(loss=1.0, val_loss=1.1)
    assert capsys.readouterr().err == ""
