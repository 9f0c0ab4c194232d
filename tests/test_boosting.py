"""fitwatch.xgboost and fitwatch.lightgbm with the real libraries, and diagnose() of their evaluation
results: the stored rounds are the libraries' own, fitwatch's stop is the one its rule says on the
stored curve and agrees with each library's own early stopping, the booster predicts with its best
round, the verdicts make sense, bad arguments get one line."""

import doctest
import json
import subprocess
import sys

import numpy as np
from pathlib import Path

import pytest

xgboost = pytest.importorskip("xgboost")
lightgbm = pytest.importorskip("lightgbm")

import fitwatch  # noqa: E402
from fitwatch.diagnosis.readers import ReadError, read_curves  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, make_classification  # noqa: E402

XGB = {"objective": "binary:logistic", "nthread": 1, "seed": 0}
LGB = {"objective": "regression", "num_threads": 1, "verbose": -1, "seed": 0}


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    i = np.random.RandomState(0).permutation(len(y))
    return X[i][:400], y[i][:400], X[i][400:], y[i][400:]


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X[:300], y[:300], X[300:], y[300:]


def _xgb(cancer, rounds=60, callbacks=(), params=None, **kw):
    X, y, Xv, yv = cancer
    dtrain, dval = xgboost.DMatrix(X, y), xgboost.DMatrix(Xv, yv)
    results = {}
    booster = xgboost.train({**XGB, **(params or {})}, dtrain, rounds, evals=[(dtrain, "train"), (dval, "eval")],
                            evals_result=results, verbose_eval=False, callbacks=list(callbacks), **kw)
    return booster, results, dval


def _replay(curve, **rule):
    """fitwatch.EarlyStopping over a stored curve: (stopped_epoch, best_epoch)."""
    stopper = fitwatch.EarlyStopping(**rule)
    for epoch, v in enumerate(curve):
        if stopper.update(epoch, {"val_loss": v}):
            break
    return stopper.stopped_epoch, stopper.best_epoch


# -- XGBoost ----------------------------------------------------------------------------------------
def test_xgboost_train_rounds_are_its_evals_result(cancer, store_dir):
    cb = fitwatch.xgboost.Callback("xgb", diagnose=False)
    booster, results, _ = _xgb(cancer, 30, [cb], {"eval_metric": ["auc", "logloss"]})
    run = fitwatch.load("xgb")
    assert run.status == "finished" and run.epochs.tolist() == list(range(30))
    assert run.history["loss"] == results["train"]["logloss"] and run.history["val_loss"] == results["eval"]["logloss"]
    assert run.history["auc"] == results["train"]["auc"] and run.history["val_auc"] == results["eval"]["auc"]
    assert (run.info["training_set"], run.info["validation_set"], run.info["loss_metric"]) == ("train", "eval", "logloss")
    assert run.config["objective"] == "binary:logistic" and run.config["eval_metric"] == ["auc", "logloss"]
    assert booster.num_boosted_rounds() == 30 and booster.attr("best_iteration") is None  # no stop: left alone


def test_a_recorded_boosters_logloss_is_a_class_loss(cancer, store_dir):
    """A third trial: a recorded binary:logistic run said "no class in sight" (its loss, logloss, is
    stored as loss/val_loss; the name it had is in the run's info)."""
    _xgb(cancer, 30, [fitwatch.xgboost.Callback("xgb-classes", diagnose=False)])
    d = fitwatch.diagnose(fitwatch.load("xgb-classes"))
    assert not any("no class in sight" in n for n in d.notes), d.notes
    assert read_curves(fitwatch.load("xgb-classes"))[0].context["loss_metric"] == "logloss"


def test_xgbclassifier_fit_rounds_are_its_evals_result(cancer, store_dir):
    X, y, Xv, yv = cancer
    cb = fitwatch.xgboost.Callback("xgb-sk", diagnose=False)
    clf = xgboost.XGBClassifier(n_estimators=25, max_depth=3, n_jobs=1, callbacks=[cb])
    clf.fit(X, y, eval_set=[(X, y), (Xv, yv)], verbose=False)
    run, ours = fitwatch.load("xgb-sk"), clf.evals_result()
    assert run.history["loss"] == ours["validation_0"]["logloss"]
    assert run.history["val_loss"] == ours["validation_1"]["logloss"] and run.status == "finished"
    assert fitwatch.diagnose(ours).notes[0].startswith("boosting rounds read as epochs: set 'validation_0' is training")


def test_xgboost_stop_is_the_rule_on_the_stored_curve_and_the_booster_keeps_its_best_round(cancer, store_dir):
    cb = fitwatch.xgboost.Callback("xgb-stop", diagnose=False, stop=fitwatch.EarlyStopping(patience=5))
    booster, results, dval = _xgb(cancer, 300, [cb], {"max_depth": 6, "eta": 0.3})
    run = fitwatch.load("xgb-stop")
    stopped, best = _replay(results["eval"]["logloss"], patience=5)
    assert run.status == "stopped" and run.info["stopped_epoch"] == stopped == len(run.epochs) - 1 < 299
    assert run.info["early_stopping"]["best_epoch"] == best == booster.best_iteration == cb.best_iteration
    assert run.info["early_stopping"]["restored"] and booster.num_boosted_rounds() == best + 1
    assert float(booster.attr("best_score")) == results["eval"]["logloss"][best]
    fresh, _, _ = _xgb(cancer, best + 1, (), {"max_depth": 6, "eta": 0.3})  # the same trees, best + 1 rounds
    assert np.array_equal(booster.predict(dval), fresh.predict(dval))


def test_xgboost_restore_false_keeps_every_round_and_sets_best_iteration(cancer, store_dir):
    cb = fitwatch.xgboost.Callback("xgb-keep", diagnose=False, stop=fitwatch.EarlyStopping(patience=5), restore=False)
    booster, results, _ = _xgb(cancer, 300, [cb], {"max_depth": 6, "eta": 0.3})
    assert booster.num_boosted_rounds() == len(results["eval"]["logloss"]) > booster.best_iteration + 1
    assert not fitwatch.load("xgb-keep").info["early_stopping"]["restored"]


@pytest.mark.parametrize("k", [3, 10])
def test_xgboost_own_early_stopping_and_fitwatch_patience_agree(cancer, store_dir, k):
    """early_stopping_rounds=k and EarlyStopping(patience=k): the same best round and the same stop, on
    XGBoost's curve replayed and in a real training."""
    own, results, _ = _xgb(cancer, 300, (), {"max_depth": 6, "eta": 0.3}, early_stopping_rounds=k)
    curve = results["eval"]["logloss"]
    assert _replay(curve, patience=k) == (len(curve) - 1, own.best_iteration)
    cb = fitwatch.xgboost.Callback(f"xgb-k{k}", diagnose=False, stop=fitwatch.EarlyStopping(patience=k))
    ours, _, _ = _xgb(cancer, 300, [cb], {"max_depth": 6, "eta": 0.3})
    run = fitwatch.load(f"xgb-k{k}")
    assert ours.best_iteration == own.best_iteration and run.info["stopped_epoch"] == len(curve) - 1


def test_xgboost_rounds_another_callback_stopped_are_recorded(cancer, store_dir):
    """XGBoost stops asking callbacks at the first that says stop: the run still holds every round."""
    cb = fitwatch.xgboost.Callback("xgb-other", diagnose=False)
    _, results, _ = _xgb(cancer, 300, [xgboost.callback.EarlyStopping(rounds=3), cb], {"max_depth": 6, "eta": 0.3})
    run = fitwatch.load("xgb-other")
    assert run.history["val_loss"] == results["eval"]["logloss"] and run.status == "stopped"


def test_xgboosts_own_early_stopping_is_in_the_diagnosis(cancer, store_dir):
    """early_stopping_rounds with fitwatch's callback recording only (a new user's trial, issue 15: no
    stopped_early, and the diagnosis told them to stop early): XGBoost's stop is the run's stop record."""
    cb = fitwatch.xgboost.Callback("xgb-own", diagnose=False)
    booster, results, _ = _xgb(cancer, 300, [cb], {"max_depth": 6, "eta": 0.3}, early_stopping_rounds=5)
    stop = fitwatch.load("xgb-own").info["early_stopping"]
    assert stop["by"] == "XGBoost" and stop["monitor"] == "val_loss" and stop["patience"] == 5
    assert stop["best_epoch"] == booster.best_iteration and stop["stopped_epoch"] == len(results["eval"]["logloss"]) - 1
    assert stop["restored"] is None  # Booster.predict uses every round: the finding says how to use the best
    d = fitwatch.diagnose("xgb-own")
    f = next(f for f in d.findings if f.code == "stopped_early")
    assert f.evidence["best_epoch"] == booster.best_iteration and "iteration_range=(0, best_iteration + 1)" in f.message
    told = [r for g in d.findings for r in g.remedies]
    assert not any(r.startswith("Stop early") for r in told)
    X, y, Xv, yv = cancer  # the scikit-learn API predicts with best_iteration: the best round is the model's
    clf = xgboost.XGBClassifier(n_estimators=300, max_depth=6, learning_rate=0.3, early_stopping_rounds=5, n_jobs=1,
                                callbacks=[fitwatch.xgboost.Callback("xgb-own-sk", diagnose=False)])
    clf.fit(X, y, eval_set=[(X, y), (Xv, yv)], verbose=False)
    stop = fitwatch.load("xgb-own-sk").info["early_stopping"]
    assert stop["restored"] is True and stop["restored_epoch"] == clf.best_iteration
    # a booster's points are rounds, and it keeps a round, not weights (a ninth trial: "500 epochs", "weights restored")
    d = fitwatch.diagnose("xgb-own-sk")
    assert d.unit == "round" and f"best round {d.best_epoch}" in str(d), str(d)
    from fitwatch.show.report import write_report

    html = Path(write_report("xgb-own-sk", str(store_dir / "r.html"))).read_text()
    assert "best round kept" in html and "weights restored" not in html


# -- LightGBM ---------------------------------------------------------------------------------------
def _lgb(diabetes, rounds=60, callbacks=(), params=None):
    X, y, Xv, yv = diabetes
    train, val = lightgbm.Dataset(X, y), lightgbm.Dataset(Xv, yv)
    results = {}
    booster = lightgbm.train({**LGB, **(params or {})}, train, rounds, valid_sets=[train, val],
                             callbacks=[lightgbm.record_evaluation(results), *callbacks])
    return booster, results


def test_lightgbm_train_iterations_are_its_record_evaluation(diabetes, store_dir):
    cb = fitwatch.lightgbm.callback("lgb", diagnose=False)
    _, results = _lgb(diabetes, 40, [cb], {"metric": ["l2", "l1"]})
    run = fitwatch.load("lgb")
    assert list(results) == ["training", "valid_1"] and run.status == "finished"
    assert run.history["loss"] == results["training"]["l2"] and run.history["val_loss"] == results["valid_1"]["l2"]
    assert run.history["val_l1"] == results["valid_1"]["l1"] and run.epochs.tolist() == list(range(40))
    assert run.config["objective"] == "regression" and run.info["loss_metric"] == "l2"


def test_lgbmregressor_fit_stops_and_predicts_with_its_best_iteration(diabetes, store_dir):
    X, y, Xv, yv = diabetes
    cb = fitwatch.lightgbm.callback("lgb-sk", diagnose=False, stop=fitwatch.EarlyStopping(patience=10))
    reg = lightgbm.LGBMRegressor(n_estimators=300, num_leaves=31, learning_rate=0.1, n_jobs=1, verbose=-1)
    reg.fit(X, y, eval_X=(X, Xv), eval_y=(y, yv), callbacks=[cb])
    run, ours = fitwatch.load("lgb-sk"), reg.evals_result_
    assert list(ours) == ["training", "valid_1"]  # LightGBM knows the training data among eval_X
    assert run.history["loss"] == ours["training"]["l2"] and run.history["val_loss"] == ours["valid_1"]["l2"]
    stopped, best = _replay(ours["valid_1"]["l2"], patience=10)
    assert run.status == "stopped" and run.info["stopped_epoch"] == stopped == len(ours["valid_1"]["l2"]) - 1
    assert reg.best_iteration_ == best + 1 == run.info["early_stopping"]["best_epoch"] + 1  # LightGBM counts from 1
    assert np.array_equal(reg.predict(Xv), reg.booster_.predict(Xv, num_iteration=best + 1))
    assert reg.booster_.num_trees() == best + 1  # LightGBM saves the booster up to best_iteration


@pytest.mark.parametrize("k", [3, 10])
def test_lightgbm_own_early_stopping_and_fitwatch_patience_agree(diabetes, store_dir, k):
    own, results = _lgb(diabetes, 300, [lightgbm.early_stopping(k, verbose=False)], {"learning_rate": 0.2})
    curve = results["valid_1"]["l2"]
    assert _replay(curve, patience=k) == (len(curve) - 1, own.best_iteration - 1)
    ours, _ = _lgb(diabetes, 300, [fitwatch.lightgbm.callback(f"lgb-k{k}", diagnose=False,
                                                               stop=fitwatch.EarlyStopping(patience=k))],
                   {"learning_rate": 0.2})
    assert ours.best_iteration == own.best_iteration
    assert fitwatch.load(f"lgb-k{k}").info["stopped_epoch"] == len(curve) - 1


def test_lightgbm_results_say_their_rounds_count_from_0(diabetes, tmp_path):
    """LightGBM's best_iteration counts from 1, the rounds fitwatch shows from 0: a sixth trial read
    "best val_loss at epoch 20" as LightGBM's round 20 (its best_iteration was 21)."""
    own, results = _lgb(diabetes, 300, [lightgbm.early_stopping(10, verbose=False)], {"learning_rate": 0.2})
    path = tmp_path / "evals_result.json"
    path.write_text(json.dumps(results))
    d = fitwatch.diagnose(path)
    assert d.best_epoch + 1 == own.best_iteration
    assert any("add 1 for LightGBM's best_iteration" in n for n in d._curves.notes), d._curves.notes


def test_lightgbm_own_early_stopping_ends_the_run_as_stopped(diabetes, store_dir):
    cb = fitwatch.lightgbm.callback("lgb-own", diagnose=False)
    _, results = _lgb(diabetes, 300, [cb, lightgbm.early_stopping(5, verbose=False)], {"learning_rate": 0.2})
    run = fitwatch.load("lgb-own")
    assert run.status == "stopped" and run.history["val_loss"] == results["valid_1"]["l2"]
    assert "EarlyStopException" in run.info["stopped_by"] and not cb.run.fitting
    stop = run.info["early_stopping"]  # LightGBM's own stop, in the diagnosis (a new user's trial, issue 15)
    assert stop["by"] == "LightGBM" and stop["monitor"] == "val_loss" and stop["restored"] is True
    assert stop["best_epoch"] == int(np.argmin(results["valid_1"]["l2"])) and stop["patience"] == 5
    d = fitwatch.diagnose("lgb-own")
    assert "stopped_early" in [f.code for f in d.findings]
    assert not any(r.startswith("Stop early") for g in d.findings for r in g.remedies)


# -- diagnose(evals_result) -------------------------------------------------------------------------
def test_diagnose_evals_result_verdicts():
    X, y = make_classification(300, 20, n_informative=5, flip_y=0.15, random_state=0)
    deep = (X[:200], y[:200], X[200:], y[200:])
    _, overfit, _ = _xgb(deep, 300, (), {"max_depth": 8, "eta": 0.3, "min_child_weight": 0})
    assert fitwatch.diagnose(overfit).verdict == "overfitting"
    X, y = load_diabetes(return_X_y=True)
    reg = lightgbm.LGBMRegressor(n_estimators=400, num_leaves=63, min_child_samples=2, learning_rate=0.2, n_jobs=1,
                                 verbose=-1).fit(X[:300], y[:300], eval_X=(X[:300], X[300:]), eval_y=(y[:300], y[300:]))
    assert fitwatch.diagnose(reg.evals_result_).verdict == "overfitting"
    from sklearn.datasets import make_regression
    X, y = make_regression(600, 10, noise=10, random_state=0)
    results = {}
    d1, d2 = xgboost.DMatrix(X[:400], y[:400]), xgboost.DMatrix(X[400:], y[400:])
    xgboost.train({"max_depth": 2, "eta": 0.1, "nthread": 1}, d1, 300, evals=[(d1, "train"), (d2, "eval")],
                  evals_result=results, verbose_eval=False)
    d = fitwatch.diagnose(results)
    assert d.verdict == "good_fit" and "metric 'rmse' is the loss" in d.notes[0]


def test_an_overfitting_booster_is_told_its_own_librarys_parameters(cancer, store_dir):
    """A third trial: an XGBoost run's remedies named LightGBM's num_leaves and CatBoost's depth beside
    its own. The library a run was recorded with, or whose results' names give it away, is named alone;
    results whose names say nothing (sets train/eval, metric rmse) keep every library's words."""
    told = lambda d: " ".join(r for f in d.findings for r in f.remedies)  # noqa: E731
    X, y = make_classification(300, 20, n_informative=5, flip_y=0.15, random_state=0)
    deep = (X[:200], y[:200], X[200:], y[200:])
    _xgb(deep, 300, [fitwatch.xgboost.Callback("xgb-deep", diagnose=False)],
         {"max_depth": 8, "eta": 0.3, "min_child_weight": 0})
    d = fitwatch.diagnose(fitwatch.load("xgb-deep"))
    assert d.verdict == "overfitting" and "min_child_weight" in told(d) and "early_stopping_rounds" in told(d)
    assert not any(w in told(d) for w in ("num_leaves", "lightgbm", "CatBoost", "l2_leaf_reg")), told(d)
    X, y = load_diabetes(return_X_y=True)
    reg = lightgbm.LGBMRegressor(n_estimators=400, num_leaves=63, min_child_samples=2, learning_rate=0.2, n_jobs=1,
                                 verbose=-1).fit(X[:300], y[:300], eval_X=(X[:300], X[300:]), eval_y=(y[:300], y[300:]))
    d = fitwatch.diagnose(reg.evals_result_)  # sets training and valid_1, metric l2
    assert d.verdict == "overfitting" and "num_leaves" in told(d) and "lightgbm.early_stopping" in told(d)
    assert not any(w in told(d) for w in ("max_depth 3-6", "XGBoost", "CatBoost", "eta")), told(d)
    results = {"train": {"rmse": list(np.linspace(1, 0.1, 30))}, "eval": {"rmse": [1.0 - 0.05 * min(i, 10) + 0.02 * max(0, i - 10) for i in range(30)]}}
    d = fitwatch.diagnose(results)
    assert d.verdict == "overfitting" and all(w in told(d) for w in ("XGBoost", "lightgbm", "CatBoost")), told(d)


def test_diagnose_reads_results_saved_as_json_and_from_the_command_line(tmp_path):
    results = {"training": {"binary_logloss": [0.6, 0.4, 0.3, 0.2, 0.1, 0.05, 0.03, 0.02]},
               "valid_1": {"binary_logloss": [0.62, 0.5, 0.45, 0.47, 0.52, 0.6, 0.7, 0.8]}}
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    [c] = read_curves(str(path))
    assert c.series["val_loss"].tolist() == results["valid_1"]["binary_logloss"] and c.name == "results.json"
    p = subprocess.run([sys.executable, "-m", "fitwatch", "diagnose", str(path)], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0 and "overfitting" in (p.stdout + p.stderr).lower(), p.stdout + p.stderr


def test_results_naming_rules():
    one = read_curves({"validation_0": {"logloss": [0.6, 0.5]}})[0]  # a lone eval_set is the validation set
    assert sorted(one.series) == ["val_loss"]
    three = read_curves({"validation_0": {"error": [0.3, 0.2], "auc": [0.8, 0.9]},
                         "validation_1": {"error": [0.3, 0.25], "auc": [0.8, 0.85]},
                         "validation_2": {"error": [0.35, 0.3], "auc": [0.7, 0.8]}})[0]
    assert sorted(three.series) == ["auc", "loss", "val_auc", "val_loss", "validation-2_auc", "validation-2_loss"]
    runs = read_curves({"run a": {"loss": [1.0, 0.5]}, "run b": {"loss": [1.0, 0.6]}})  # still a dict of runs
    assert [c.name for c in runs] == ["run a", "run b"]


# -- bad arguments: one line each -------------------------------------------------------------------
def test_no_loss_metric_is_judged_on_the_validation_auc(cancer):
    """eval_metric='auc' alone: no loss, a validation score: judged on val_auc, with a note."""
    _, results, _ = _xgb(cancer, 10, (), {"eval_metric": "auc"})
    d = fitwatch.diagnose(results)
    assert d.monitor == "val_auc" and any(n.startswith("no validation loss: judged val_auc") for n in d.notes)
    assert fitwatch.diagnose(results, monitor="val_auc").monitor == "val_auc"


@pytest.mark.parametrize("kwargs, error, match", [
    ({"name": 3}, TypeError, "name must be a string"),
    ({"config": [1]}, TypeError, "config must be a dict"),
    ({"restore": "yes"}, TypeError, "restore must be True or False"),
    ({"diagnose": "loud"}, ValueError, "diagnose must be True, False or 'quiet'"),
    ({"metric": "mae"}, ValueError, r"metric='mae' is not among the evaluation metrics \('logloss'\)"),
    ({"stop": "early"}, TypeError, "takes a fitwatch.EarlyStopping"),
    ({"stop": fitwatch.EarlyStopping(monitor="val_auc")}, ValueError, r"stop monitors 'val_auc'.*hold loss, val_loss"),
])
def test_xgboost_bad_arguments(cancer, store_dir, kwargs, error, match):
    with pytest.raises(error, match=match) as e:
        _xgb(cancer, 3, [fitwatch.xgboost.Callback(**{"name": "bad", **kwargs})])
    assert "\n" not in str(e.value) and "fitwatch" in str(e.value)


def test_lightgbm_bad_arguments_and_cv(diabetes, store_dir):
    with pytest.raises(ValueError, match="fitwatch.lightgbm.callback: no evaluation set to record; pass valid_sets"):
        X, y, _, _ = diabetes
        lightgbm.train(LGB, lightgbm.Dataset(X, y), 3, callbacks=[fitwatch.lightgbm.callback("none")])
    with pytest.raises(TypeError, match="not lightgbm.cv"):
        lightgbm.cv(LGB, lightgbm.Dataset(X, y), 3, nfold=2, stratified=False, callbacks=[fitwatch.lightgbm.callback("cv")])
    with pytest.raises(TypeError, match="not xgboost.cv"):
        xgboost.cv(XGB, xgboost.DMatrix(X, y > 150), 3, nfold=2, callbacks=[fitwatch.xgboost.Callback("cv")])
    with pytest.raises(ReadError):
        read_curves({"validation_0": {"logloss": []}})


@pytest.mark.parametrize("module", ["xgboost", "lightgbm"])
def test_docstring_examples(module, tmp_path, monkeypatch):
    import importlib
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    mod = importlib.import_module(f"fitwatch.integrations.{module}")
    assert mod is getattr(fitwatch, module)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 5


def test_an_eta_far_too_high_is_told_to_lower_eta(tmp_path):
    """A fifth trial: XGBoost at eta=20 on a binary task, validation log loss 9.29 (13 times ln 2) at every round
    from round 0, was not_learning with "check the data" and PyTorch's optimizer calls, never a lower eta."""
    X, y = make_classification(300, 20, n_informative=5, flip_y=0.15, random_state=0)
    xgboost.train({**XGB, "max_depth": 6, "eta": 20.0}, xgboost.DMatrix(X[:200], y[:200]), 30,
                  evals=[(xgboost.DMatrix(X[:200], y[:200]), "train"), (xgboost.DMatrix(X[200:], y[200:]), "validation")],
                  verbose_eval=False, callbacks=[fitwatch.xgboost.Callback("eta20", dir=tmp_path, diagnose=False)])
    d = fitwatch.diagnose("eta20", dir=tmp_path)
    assert d.verdict == "not_learning" and "saturated" in d.findings[0].message, d
    assert d.findings[0].remedies[0].startswith("Lower eta"), d
    assert "lr_too_high" in [f.code for f in d.findings]
