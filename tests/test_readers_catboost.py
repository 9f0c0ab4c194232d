"""CatBoost's own log, the catboost_info folder its fit writes (train_dir): read as one run, from
real CatBoost output (tests/data/logs/catboost/README.md: how it was made)."""

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

import fitwatch
from fitwatch.diagnosis.readers import ReadError, read_curves

LOGS = Path(__file__).parent / "data" / "logs" / "catboost"
STOPPED = LOGS / "stopped" / "catboost_info"
REGRESSION = LOGS / "regression" / "catboost_info"


def test_a_catboost_info_folder_is_one_run_with_training_validation_and_the_detectors_stop():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # its TSVs, time_left.tsv and TensorBoard copies: not read, not warned of
        [c] = read_curves(STOPPED)
    assert c.epochs.tolist() == list(range(348))
    assert c.loss.size == c.val_loss.size == 348 and c.val_loss.min() == pytest.approx(0.04735, abs=1e-4)
    assert c.context["model"] == "boosting" and c.context["loss_metric"] == "Logloss"
    assert c.stop["stopped_epoch"] == 347 and c.stop["best_epoch"] == 327 == int(np.argmin(c.val_loss))
    assert c.stop["epochs_planned"] == 1000
    d = fitwatch.diagnose(STOPPED)
    stop = next(f for f in d.findings if f.code == "stopped_early")
    assert "Early stopping ended training at round 347" in stop.message and d.best_epoch == 327
    remedies = [r for f in d.findings for r in f.remedies]
    assert not any("Stop at the best" in r for r in remedies), remedies  # it did


def test_one_of_its_files_named_alone_reads_the_folders_run():
    """test_error.tsv alone is a validation curve: read as the folder's run, not as a training loss."""
    whole = read_curves(STOPPED)[0]
    for name in ("test_error.tsv", "learn_error.tsv", "catboost_training.json"):
        [c] = read_curves(STOPPED / name)
        assert np.array_equal(c.val_loss, whole.val_loss) and np.array_equal(c.loss, whole.loss), name


def test_iterations_logged_every_few_keep_their_numbers():
    [c] = read_curves(REGRESSION)
    assert c.epochs.tolist() == list(range(0, 200, 5)) + [199]
    assert c.context["loss_metric"] == "RMSE" and c.stop is None  # ran its 200 iterations
    assert c.val_loss[-1] == pytest.approx(57.19954661)
    d = fitwatch.diagnose(REGRESSION)  # its own parameters' names only, not XGBoost's or LightGBM's
    told = " ".join(r for f in d.findings for r in f.remedies)
    assert d.verdict == "overfitting" and "l2_leaf_reg" in told and "early_stopping_rounds" in told, told
    assert not any(w in told for w in ("num_leaves", "max_depth", "XGBoost", "lightgbm")), told


def test_the_tsvs_alone_read_the_same_curves(tmp_path):
    d = tmp_path / "catboost_info"
    d.mkdir()
    for f in ("learn_error.tsv", "test_error.tsv", "time_left.tsv"):
        shutil.copy(STOPPED / f, d / f)
    [c] = read_curves(d)
    whole = read_curves(STOPPED)[0]
    assert np.allclose(c.val_loss, whole.val_loss) and np.allclose(c.loss, whole.loss)
    assert any("learn_error.tsv/test_error.tsv" in n for n in c.notes)


def test_a_folder_of_several_catboost_runs_names_each_by_its_folder():
    with pytest.warns(UserWarning, match="skipped README.md"):  # the folder's README: said, not read
        runs = read_curves(LOGS)
    assert sorted(c.name for c in runs) == ["regression/catboost_info", "stopped/catboost_info"]


def test_a_damaged_catboost_training_json_is_one_line_naming_it(tmp_path):
    d = tmp_path / "catboost_info"
    shutil.copytree(STOPPED, d)
    (d / "catboost_training.json").write_text('{\n"meta":{"test_sets":["test"],"learn_metrics":[{"name":"Logloss"}]'
                                             '},\n"iterations":[{"learn":[0.5]}]}')
    with pytest.raises(ReadError) as e:
        read_curves(d / "catboost_training.json")
    assert "catboost_training.json" in str(e.value) and "\n" not in str(e.value)
