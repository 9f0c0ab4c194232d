"""The fitwatch default told the run's plan (``EarlyStopping(max_epochs=)`` or the loop's
``plan``): its patience is at most 15 % of the planned monitored epochs (at least 3) and its
first-value patience at most 30 %, not while the values of the patience it cut still fall, never at
the last planned check; the loops fitwatch drives give the plan themselves (a resumed run's, the
whole run's)."""

from __future__ import annotations

import json
import numpy as np
import pytest

import fitwatch
from fitwatch import EarlyStopping

NOISY_PLATEAU = [1.0, 0.8, 0.7, 0.65, 0.7, 0.66, 0.72, 0.69, 0.71, 0.75, 0.7, 0.73, 0.74, 0.76, 0.72, 0.78,
                 0.8, 0.79, 0.81, 0.8]


def _replay(values, every=1, **kw):
    stopper = EarlyStopping(**kw)
    for i, v in enumerate(values):
        if stopper.update(i * every, {"val_loss": float(v)}):
            break
    return stopper


def test_a_short_plan_caps_the_noisy_patience():
    without = _replay(NOISY_PLATEAU)
    assert without.stopped_epoch == 13 and "(patience 10," in without.reason
    planned = _replay(NOISY_PLATEAU, max_epochs=20)  # (epochs 4-8: the first epochs' fall still holds it)
    assert planned.stopped_epoch == 9 and planned.best_epoch == 3
    assert "(patience 3, set by its recent epoch-to-epoch variation" in planned.reason
    assert "at most 15% of the 20 planned epochs" in planned.reason
    assert planned.to_dict()["max_epochs"] == 20


@pytest.mark.parametrize("plan,patience", [(20, 3), (27, 4), (40, 6), (60, 9)])
def test_the_cap_is_15_percent_of_the_plan_and_at_least_3(plan, patience):
    rng = np.random.default_rng(3)
    val = np.r_[1.0, 0.5, 0.5 + rng.normal(0, 0.05, 80)]  # noisy (patience 10 unplanned) after its best
    val[1] = 0.3  # the best, at epoch 1
    stopper = _replay(val, max_epochs=plan)
    assert stopper.best_epoch == 1 and stopper.stopped_epoch == 1 + patience
    assert f"(patience {patience}," in stopper.reason


def test_a_long_plan_changes_nothing():
    rng = np.random.default_rng(2)
    val = 0.5 + rng.normal(0, 0.05, 60)
    a, b = _replay(val), _replay(val, max_epochs=500)
    assert (a.stopped_epoch, a.best_epoch, a.reason) == (b.stopped_epoch, b.best_epoch, b.reason)


def test_the_first_value_patience_is_30_percent_of_the_plan():
    val = [0.70] + [0.74, 0.72, 0.75, 0.73] * 10  # never below its first value: patience 15 unplanned
    assert _replay(val).stopped_epoch == 15
    stopper = _replay(val, max_epochs=20)
    assert stopper.stopped_epoch == 6 and stopper.best_epoch == 0
    assert "(patience 6, as its first value is still its best" in stopper.reason
    assert "no fewer than" not in stopper.reason
    assert "at most 30% of the 20 planned epochs" in stopper.reason


def test_validation_every_other_epoch_plans_half_as_many_checks():
    # 40 planned epochs validated at 0, 2, 4...: 20 checks, patience 3 checks (15% of 20), not 6; said in checks
    stopper = _replay(NOISY_PLATEAU, every=2, max_epochs=40)
    assert stopper.best_epoch == 6 and stopper.stopped_epoch == 18
    assert "in the last 3 validations (6 epochs)" in stopper.reason
    assert "(patience 3," in stopper.reason and "at most 15% of the 20 planned validations (of 40 epochs)" in stopper.reason


def test_the_plan_counts_from_the_first_monitored_epoch():
    val = [0.70] + [0.74, 0.72, 0.75, 0.73] * 10
    stopper = _replay(val, max_epochs=40, start_from_epoch=20)  # 20 monitored epochs: patience 3, not 6
    assert stopper.stopped_epoch == 25 and "at most 15% of the 20 planned epochs" in stopper.reason


def test_a_noisy_run_still_falling_is_not_cut_by_the_plan():
    # SGD at a constant rate on digits (an attack's): its best keeps moving down by noisy steps; patience 3 stopped it
    # at epoch 9 (best 0.237 at 6, against 0.182 at 18) while a line through its last 10 values still fell
    val = [0.558, 0.397, 0.353, 0.281, 0.276, 0.255, 0.237, 0.264, 0.238, 0.244, 0.233, 0.219, 0.212, 0.201, 0.209,
           0.204, 0.194, 0.191, 0.182, 0.207]
    stopper = _replay(val, max_epochs=20)
    assert stopper.stopped_epoch is None and stopper.best_epoch == 18


def test_the_last_planned_epoch_never_stops():
    val = [1.0, 0.5, 0.55, 0.6, 0.62]  # patience 3 runs out at epoch 4, the last of 5: nothing to save by stopping
    assert _replay(val, max_epochs=5).stopped_epoch is None
    assert _replay(val, max_epochs=6).stopped_epoch == 4
    assert _replay(val, every=2, max_epochs=10).stopped_epoch is None  # epoch 8: the next check (10) is past it


def test_a_steadily_improving_short_run_is_never_stopped():
    val = 1.0 / np.arange(1, 21)
    assert _replay(val, max_epochs=20).stopped_epoch is None


def test_patience_and_prechelt_ignore_the_plan():
    for kw in ({"patience": 5}, {"criterion": "GL5"}):
        a, b = _replay(NOISY_PLATEAU, **kw), _replay(NOISY_PLATEAU, max_epochs=20, **kw)
        assert (a.stopped_epoch, a.best_epoch) == (b.stopped_epoch, b.best_epoch)
        assert b.to_dict()["max_epochs"] is None


@pytest.mark.parametrize("bad", [0, -3, 2.5, "20", True])
def test_a_bad_plan_is_refused_at_first_use_with_the_fix(bad):
    stopper = EarlyStopping(max_epochs=bad)
    with pytest.raises(ValueError, match=r"max_epochs=.*; pass the number of epochs the run plans, a whole "
                                         r"number >= 1, or None"):
        stopper.update(0, {"val_loss": 1.0})


def test_a_whole_float_plan_is_a_plan():
    assert _replay(NOISY_PLATEAU, max_epochs=20.0).to_dict()["max_epochs"] == 20
    assert _replay(NOISY_PLATEAU, max_epochs=np.int64(20)).stopped_epoch == 9


def test_plan_is_used_unless_max_epochs_is_given():
    stopper = EarlyStopping()
    stopper.plan(20)
    assert _replay_into(stopper, NOISY_PLATEAU).stopped_epoch == 9
    given = EarlyStopping(max_epochs=200)
    given.plan(20)  # the rule's own max_epochs wins over the loop's plan
    assert given.to_dict()["max_epochs"] == 200 and _replay_into(given, NOISY_PLATEAU).stopped_epoch == 13
    for no_plan in (-1, None, 0, float("inf"), "20", True):  # Lightning's max_epochs=-1: no limit
        stopper = EarlyStopping()
        stopper.plan(no_plan)
        assert stopper.to_dict()["max_epochs"] is None
    for epochs, planned in ((20.0, 20), (np.float64(20), 20), (2.5, 3), (np.int64(7), 7)):
        stopper = EarlyStopping()
        stopper.plan(epochs)
        assert stopper.to_dict()["max_epochs"] == planned
    stopper.reset()  # a stopper reset for a loop of the user's own forgets the last loop's plan
    assert stopper.to_dict()["max_epochs"] is None


def _replay_into(stopper, values):
    for e, v in enumerate(values):
        if stopper.update(e, {"val_loss": v}):
            break
    return stopper


def test_the_plan_survives_a_saved_state_and_a_plan_given_midway():
    a = EarlyStopping(max_epochs=20)
    for e, v in enumerate(NOISY_PLATEAU[:5]):
        a.update(e, {"val_loss": v})
    b = EarlyStopping()  # in another process: the state carries the plan it stopped by
    b.load_state_dict(json.loads(json.dumps(a.state_dict())))
    assert b.to_dict()["max_epochs"] == 20
    for e, v in enumerate(NOISY_PLATEAU[5:], start=5):
        if b.update(e, {"val_loss": v}):
            break
    assert b.stopped_epoch == 9
    told = EarlyStopping()
    told.plan(60)  # a plan given again (a resumed run's) wins over the state's
    told.load_state_dict(a.state_dict())
    assert told.to_dict()["max_epochs"] == 60
    c = EarlyStopping()  # planned after its first epochs: the criterion made already takes it
    c.update(0, {"val_loss": NOISY_PLATEAU[0]})
    c.plan(20)
    assert _replay_into(c, NOISY_PLATEAU).stopped_epoch == 9


def test_run_epochs_tells_the_rule_its_plan(tmp_path):
    stopper = EarlyStopping()
    run = fitwatch.Run("planned", dir=tmp_path)
    for epoch in run.epochs(20, stop=stopper):
        run.log("val", loss=NOISY_PLATEAU[epoch])
        run.log("train", loss=1.0 - 0.01 * epoch)
    run.finish()
    assert stopper.to_dict()["max_epochs"] == 20 and stopper.stopped_epoch == 9
    assert fitwatch.load("planned", dir=tmp_path).info["early_stopping"]["max_epochs"] == 20


def test_keras_fit_tells_the_rule_its_epochs():
    keras = pytest.importorskip("keras")

    class Values(keras.callbacks.Callback):  # a noisy plateau as val_loss, whatever the model does
        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = NOISY_PLATEAU[epoch]

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((8, 2), dtype="float32")
    stop = fitwatch.keras.EarlyStopping(restore_best_weights=False)
    model.fit(x, x[:, :1], epochs=20, verbose=0, callbacks=[Values(), stop])
    assert stop.stopper.to_dict()["max_epochs"] == 20 and stop.stopper.stopped_epoch == 9


def test_a_resumed_keras_run_plans_all_its_epochs(tmp_path):
    """An attack: a run resumed for fit(epochs=40) after a fit(epochs=20) kept the first fit's plan of 20 and stopped 3
    epochs into the second; the plan is the run's, 60 epochs, in the same process or a new one."""
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    val = list(np.linspace(2.0, 0.30, 20)) + list(0.30 + np.abs(rng.normal(0.03, 0.02, 60)))
    val[27] = 0.29

    class Values(keras.callbacks.Callback):
        shift = 0

        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = val[self.shift + epoch]

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, values, stop = np.zeros((8, 2), dtype="float32"), Values(), EarlyStopping()
    cb = fitwatch.keras.Callback("resumed", dir=tmp_path, resume=True, stop=stop, diagnose=False)
    for epochs, shift in ((20, 0), (40, 20)):
        values.shift = shift
        model.fit(x, x[:, :1], epochs=epochs, verbose=0, callbacks=[values, cb])
    record = fitwatch.load("resumed", dir=tmp_path).info["early_stopping"]
    assert record["max_epochs"] == record["epochs_planned"] == 60
    whole = EarlyStopping(max_epochs=60)
    _replay_into(whole, val)
    assert (record["stopped_epoch"], record["best_epoch"]) == (whole.stopped_epoch, whole.best_epoch) == (36, 27)
