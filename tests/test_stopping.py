"""fitwatch.EarlyStopping: Keras parity (replayed through the real keras callback), NaN stops,
relative min_delta, Prechelt's criteria on hand-computed examples, the default criterion's behaviour
on typical curves, and clear errors."""

import json

import numpy as np
import pytest

from fitwatch import EarlyStopping

keras = pytest.importorskip("keras")


# -- helpers --------------------------------------------------------------------------------------
_MODEL = None


def _dummy_model():
    global _MODEL
    if _MODEL is None:
        _MODEL = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    return _MODEL


def keras_replay(values, monitor="val_loss", **kw):
    """(stopped_epoch or None, best_epoch) of the real keras.callbacks.EarlyStopping."""
    cb = keras.callbacks.EarlyStopping(monitor=monitor, **kw)
    model = _dummy_model()
    model.stop_training = False
    cb.set_model(model)
    cb.on_train_begin()
    for epoch, v in enumerate(values):
        cb.on_epoch_end(epoch, {} if v is None else {monitor: v})
        if model.stop_training:
            return epoch, cb.best_epoch
    return None, cb.best_epoch


def fw_replay(values, monitor="val_loss", **kw):
    """(stopped_epoch, best_epoch, stopper) of fitwatch.EarlyStopping on the same values."""
    stopper = EarlyStopping(monitor=monitor, **kw)
    for epoch, v in enumerate(values):
        if stopper.update(epoch, {} if v is None else {monitor: v}):
            break
    return stopper.stopped_epoch, stopper.best_epoch, stopper


def assert_parity(values, monitor="val_loss", keras_mode=None, **kw):
    """Identical stop and best epochs. ``keras_mode`` overrides Keras's mode (its ``auto`` needs a
    compiled metric to know a direction, fitwatch's reads the name)."""
    k_kw = dict(kw)
    if keras_mode is not None:
        k_kw["mode"] = keras_mode
    k_stop, k_best = keras_replay(values, monitor, **k_kw)
    f_stop, f_best, stopper = fw_replay(values, monitor, **kw)
    assert f_stop == k_stop, (values, kw, f_stop, k_stop)
    if f_best is None:  # nothing monitored yet: Keras keeps its initial 0
        assert k_best == 0
    else:
        assert f_best == k_best, (values, kw, f_best, k_best)
    if f_stop is not None:
        assert stopper.reason and f"patience={kw['patience']}" in stopper.reason
    return f_stop, f_best


# values on a dyadic grid (multiples of 1/64) and dyadic min_delta: exact in float32 (what Keras
# compares in) and float64 alike, so ties are ties in both
def grid(*xs):
    return [round(x * 64) / 64 for x in xs]


DOWN_UP = grid(1.0, 0.8, 0.7, 0.7, 0.72, 0.69, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)
PLATEAU = grid(1.0, 0.9, 0.85, 0.84, 0.84, 0.84, 0.83, 0.84, 0.84, 0.85, 0.85, 0.86, 0.86, 0.87)
ACC = grid(0.5, 0.6, 0.7, 0.72, 0.72, 0.71, 0.75, 0.74, 0.73, 0.73, 0.72, 0.7)


# -- Keras parity ---------------------------------------------------------------------------------
@pytest.mark.parametrize("patience", [0, 1, 2, 3, 5, 20])
@pytest.mark.parametrize("values", [DOWN_UP, PLATEAU], ids=["down_up", "plateau"])
def test_patience_parity(values, patience):
    assert_parity(values, patience=patience)


@pytest.mark.parametrize("min_delta", [0.0, 1 / 64, 1 / 32, 1 / 8, -1 / 32])
@pytest.mark.parametrize("patience", [1, 3])
def test_min_delta_parity(min_delta, patience):
    assert_parity(PLATEAU, patience=patience, min_delta=min_delta)
    assert_parity(DOWN_UP, patience=patience, min_delta=min_delta)


@pytest.mark.parametrize("baseline", [0.5, 0.75, 0.84375, 0.9, 2.0])
@pytest.mark.parametrize("patience", [2, 4])
def test_baseline_min_mode_parity(baseline, patience):
    assert_parity(PLATEAU, patience=patience, baseline=baseline)
    assert_parity(DOWN_UP, patience=patience, baseline=baseline, min_delta=1 / 64)


@pytest.mark.parametrize("baseline", [0.5, 0.71875, 0.75, 0.9])
def test_baseline_max_mode_parity(baseline):
    assert_parity(ACC, "val_accuracy", patience=2, baseline=baseline, mode="max")
    assert_parity(ACC, "val_accuracy", patience=3, baseline=baseline, mode="auto", keras_mode="max")


@pytest.mark.parametrize("start", [0, 1, 3, 6, 20])
def test_start_from_epoch_parity(start):
    assert_parity(DOWN_UP, patience=2, start_from_epoch=start)
    assert_parity(PLATEAU, patience=1, start_from_epoch=start, baseline=0.84375)


def test_start_from_epoch_beyond_the_run_monitors_nothing():
    stop, best, stopper = fw_replay(DOWN_UP, patience=1, start_from_epoch=50)
    assert stop is None and best is None and stopper.best_value is None


@pytest.mark.parametrize("monitor", ["val_accuracy", "accuracy", "val_acc", "val_auc", "val_f1_score",
                                     "val_precision", "val_recall"])
def test_auto_mode_maximises_accuracy_like_names(monitor):
    # Keras's auto mode reads the direction from the compiled metric; fitwatch reads the name
    assert_parity(ACC, monitor, patience=2, mode="auto", keras_mode="max")
    assert EarlyStopping(monitor=monitor).to_dict()["mode"] == "max"


@pytest.mark.parametrize("monitor", ["val_loss", "loss"])
def test_auto_mode_minimises_losses(monitor):
    assert_parity(DOWN_UP, monitor, patience=2, mode="auto")
    assert EarlyStopping(monitor=monitor).to_dict()["mode"] == "min"


@pytest.mark.parametrize("mode", ["min", "max"])
def test_explicit_mode_parity(mode):
    assert_parity(ACC, "val_accuracy", patience=2, mode=mode)
    assert_parity(DOWN_UP, "val_mae", patience=3, mode=mode, min_delta=1 / 64)


def test_randomised_sequences_parity():
    rng = np.random.default_rng(20240611)
    stops = 0
    for _ in range(300):
        n = int(rng.integers(2, 40))
        kind = rng.integers(3)
        if kind == 0:  # random walk on the dyadic grid (many ties)
            values = list(np.cumsum(rng.integers(-3, 4, n)) / 64 + 2.0)
        elif kind == 1:  # a noisy U, continuous values
            e = np.arange(n)
            values = list(1.0 + 0.002 * (e - n / 2) ** 2 + rng.normal(0, 0.01, n))
        else:  # noisy accuracy-like on the dyadic grid
            values = list(np.clip(np.round((0.5 + 0.4 * (1 - np.exp(-np.arange(n) / 8)) + rng.normal(0, 0.02, n))
                                           * 64) / 64, 0, 1))
        values = [float(v) for v in values]
        kw = {"patience": int(rng.integers(0, 8))}
        if rng.random() < 0.4:
            kw["min_delta"] = float(rng.choice([1 / 64, 1 / 32, 1 / 16]))
        if rng.random() < 0.3:
            kw["start_from_epoch"] = int(rng.integers(0, 6))
        if kind == 2:
            monitor, mode = "val_accuracy", rng.choice(["auto", "max"])
            if rng.random() < 0.3:
                kw["baseline"] = float(rng.choice([0.75, 0.8125, 0.875]))
            stop, _ = assert_parity(values, monitor, keras_mode="max", mode=str(mode), **kw)
        else:
            if rng.random() < 0.3:
                kw["baseline"] = float(values[0] - rng.choice([0.0, 1 / 16, 1 / 4]))
            stop, _ = assert_parity(values, "val_loss", mode=str(rng.choice(["auto", "min"])), **kw)
        stops += stop is not None
    assert 60 < stops < 290  # the cases exercise both outcomes


def test_missing_monitor_in_patience_mode_warns_and_skips_like_keras():
    values = [1.0, None, 0.9, 0.95, None, 0.97, 0.99]
    with pytest.warns(UserWarning):
        k = keras_replay(values, patience=2)
    with pytest.warns(UserWarning, match=r"'val_loss' is not in this epoch's logs \(available: loss\)"):
        stopper = EarlyStopping(patience=2)
        for epoch, v in enumerate(values):
            logs = {"loss": 0.5} if v is None else {"loss": 0.5, "val_loss": v}
            if stopper.update(epoch, logs):
                break
    assert (stopper.stopped_epoch, stopper.best_epoch) == k == (5, 2)


def test_reason_and_improved_in_patience_mode():
    stopper = EarlyStopping(patience=2, min_delta=0.001)
    flags = []
    for epoch, v in enumerate([0.5, 0.4, 0.45, 0.41, 0.42]):
        stop = stopper.update(epoch, {"val_loss": v})
        flags.append(stopper.improved)
        if stop:
            break
    assert flags == [True, True, False, False]
    assert stopper.stopped_epoch == 3 and stopper.best_epoch == 1 and stopper.best_value == 0.4
    assert stopper.reason == ("val_loss has not improved by more than 0.001 for 2 epochs (patience=2); "
                              "best 0.4 at epoch 1")
    assert stopper.wait == 2


def test_baseline_reason():
    stopper = EarlyStopping(patience=2, baseline=0.3)
    for epoch, v in enumerate([0.5, 0.4, 0.45, 0.41]):
        if stopper.update(epoch, {"val_loss": v}):
            break
    assert stopper.stopped_epoch == 2
    # Keras's wait counts epoch 0 too: no epoch beat the baseline, the last two did not beat the best
    assert stopper.reason.startswith("val_loss has not improved on the baseline 0.3 for 3 epochs (patience=2)")


# -- relative min_delta ---------------------------------------------------------------------------
def test_relative_min_delta():
    # 1%: 0.995 is not an improvement on 1.0, 0.985 is (by 1.5%), then 0.98 is not (0.5% of 0.985)
    stopper = EarlyStopping(patience=2, min_delta="1%")
    stops = [stopper.update(e, {"val_loss": v}) for e, v in enumerate([1.0, 0.995, 0.985, 0.98, 0.976])]
    assert stops == [False, False, False, False, True]
    assert stopper.best_epoch == 2 and stopper.best_value == 0.985
    assert "by more than 1%" in stopper.reason
    # the same in max mode: relative to the best accuracy
    stopper = EarlyStopping(monitor="val_accuracy", patience=2, min_delta="2%")
    for e, v in enumerate([0.5, 0.505, 0.52, 0.525, 0.53]):
        if stopper.update(e, {"val_accuracy": v}):
            break
    assert (stopper.stopped_epoch, stopper.best_epoch) == (4, 2)  # 0.53 is 1.9% above 0.52


@pytest.mark.parametrize("text,expected", [("1%", 0.01), (" 0.5 % ", 0.005), ("10%", 0.1), (".5%", 0.005)])
def test_relative_min_delta_spellings(text, expected):
    from fitwatch.stopping.params import parse_min_delta as _parse_min_delta

    assert _parse_min_delta(text) == (0.0, pytest.approx(expected))


# -- NaN and inf ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [{}, {"patience": 10}, {"criterion": "GL5"}, {"criterion": "UP2"},
                                {"criterion": "PQ1"}], ids=["default", "patience", "GL", "UP", "PQ"])
@pytest.mark.parametrize("bad,word", [(float("nan"), "NaN"), (float("inf"), "infinite"), (np.float32("nan"), "NaN")])
def test_non_finite_stops_at_once(kw, bad, word):
    stopper = EarlyStopping(**kw)
    assert not stopper.update(0, {"loss": 1.0, "val_loss": 0.9})
    assert not stopper.update(1, {"loss": 0.8, "val_loss": 0.7})
    assert stopper.update(2, {"loss": 0.7, "val_loss": bad})
    assert stopper.stopped_epoch == 2 and stopper.best_epoch == 1 and stopper.best_value == 0.7
    assert word in stopper.reason and "best 0.7 at epoch 1" in stopper.reason


def test_nan_stops_during_the_warm_up_too():
    stopper = EarlyStopping(patience=3, start_from_epoch=5)
    assert not stopper.update(0, {"val_loss": 1.0})
    assert stopper.update(1, {"val_loss": float("nan")})
    assert stopper.best_epoch is None and "NaN at epoch 1" in stopper.reason


def test_nan_at_the_first_epoch():
    stopper = EarlyStopping()
    assert stopper.update(0, {"val_loss": float("nan")})
    assert stopper.best_epoch is None and "NaN at epoch 0" in stopper.reason


def test_update_after_stop_keeps_answering_stop():
    stopper = EarlyStopping(patience=0)
    stopper.update(0, {"val_loss": 1.0})
    assert stopper.update(1, {"val_loss": 1.1})
    assert stopper.update(2, {"val_loss": 0.1}) and stopper.best_epoch == 0 and stopper.stopped_epoch == 1


# -- Prechelt ---------------------------------------------------------------------------------------
def test_gl_hand_computed():
    # GL(t) = 100 * (E_va(t) / E_opt(t) - 1): 0, 0, 2.5, 6.25
    stopper = EarlyStopping(criterion="GL5")
    stops = [stopper.update(e, {"val_loss": v}) for e, v in enumerate([1.0, 0.8, 0.82, 0.85])]
    assert stops == [False, False, False, True]
    assert stopper.reason == "val_loss is 6.2% above its best (GL=6.2 > 5); best 0.8 at epoch 1"
    stopper = EarlyStopping(criterion="GL2")
    stops = [stopper.update(e, {"val_loss": v}) for e, v in enumerate([1.0, 0.8, 0.82, 0.85])]
    assert stops == [False, False, True, True] and stopper.stopped_epoch == 2


def test_pq_hand_computed():
    train = [1.0, 0.9, 0.8, 0.79, 0.785, 0.78]
    val = [1.0, 0.9, 0.85, 0.86, 0.87, 0.9]
    # strip k=3, judged at the ends of strips (epochs 2 and 5): at epoch 5
    # GL = 100 * (0.9 / 0.85 - 1) = 5.88; P_3 = 1000 * (mean(0.79, 0.785, 0.78) / 0.78 - 1) = 6.41
    # PQ = 0.918
    gl = 100 * (0.9 / 0.85 - 1)
    progress = 1000 * (np.mean(train[3:]) / min(train[3:]) - 1)
    assert gl / progress == pytest.approx(0.9176, abs=1e-4)
    for alpha, stop in ((0.5, 5), (0.9, 5), (1.0, None)):
        stopper = EarlyStopping(criterion=f"PQ{alpha}", strip=3)
        for e, (l, v) in enumerate(zip(train, val)):
            if stopper.update(e, {"loss": l, "val_loss": v}):
                break
        assert stopper.stopped_epoch == stop, alpha
    assert "PQ=0.918 > 0.9" in stopper.reason if stop is not None else True
    # epochs 3 and 4 are not strip ends: no stop there even with a tiny alpha
    stopper = EarlyStopping(criterion="PQ0.01", strip=3)
    stops = [stopper.update(e, {"loss": l, "val_loss": v}) for e, (l, v) in enumerate(zip(train[:5], val[:5]))]
    assert not any(stops)


def test_pq_uses_the_training_counterpart_of_the_monitor():
    stopper = EarlyStopping(monitor="val_accuracy", criterion="PQ0.5", strip=2)
    logs = [{"accuracy": 0.6, "val_accuracy": 0.6}, {"accuracy": 0.7, "val_accuracy": 0.7},
            {"accuracy": 0.8, "val_accuracy": 0.69}, {"accuracy": 0.81, "val_accuracy": 0.6}]
    # epoch 3: GL = 100 * (0.7 - 0.6) / 0.7 = 14.3; P_2 = 1000 * (0.81 - 0.805) / 0.81 = 6.17 -> PQ 2.3
    assert [stopper.update(e, lg) for e, lg in enumerate(logs)] == [False, False, False, True]
    assert stopper.best_epoch == 1 and "below its best" in stopper.reason


def test_up_hand_computed():
    val = [1.0, 0.8, 0.7, 0.75, 0.72, 0.78, 0.9, 0.95]
    # strip 2: ends at epochs 1 (0.8), 3 (0.75: lower), 5 (0.78: up once), 7 (0.95: up twice)
    for s, stop in ((1, 5), (2, 7), (3, None)):
        stopper = EarlyStopping(criterion=f"UP{s}", strip=2)
        for e, v in enumerate(val):
            if stopper.update(e, {"val_loss": v}):
                break
        assert stopper.stopped_epoch == stop, s
        assert stopper.best_epoch == 2
    stopper = EarlyStopping(criterion="UP2", strip=2)
    for e, v in enumerate(val):
        stopper.update(e, {"val_loss": v})
    assert stopper.reason == ("val_loss got worse at the end of 2 successive strips of 2 epochs (UP2); "
                              "best 0.7 at epoch 2")


def test_prechelt_best_epoch_respects_min_delta():
    stopper = EarlyStopping(criterion="GL50", min_delta=0.05)
    for e, v in enumerate([1.0, 0.9, 0.87, 0.86, 0.8]):
        stopper.update(e, {"val_loss": v})
    assert stopper.best_epoch == 4  # 0.87 and 0.86 beat 0.9 by less than 0.05; 0.8 does


# -- the default criterion --------------------------------------------------------------------------
def run_default(val, loss=None, **kw):
    stopper = EarlyStopping(**kw)
    for e, v in enumerate(val):
        logs = {"val_loss": float(v)} if loss is None else {"loss": float(loss[e]), "val_loss": float(v)}
        if stopper.update(e, logs):
            break
    return stopper


def test_default_does_not_stop_a_steadily_improving_curve():
    rng = np.random.default_rng(0)
    e = np.arange(80)
    smooth = 0.2 + np.exp(-e / 25)
    assert run_default(smooth, loss=smooth - 0.05).stopped_epoch is None
    noisy = smooth + rng.normal(0, 0.01, e.size)  # noise about 1-3% of its level
    stopper = run_default(noisy, loss=smooth - 0.05)
    assert stopper.stopped_epoch is None and stopper.best_epoch >= 70


def test_default_keeps_going_while_a_noisy_curve_trends_down():
    # no new best for 10 epochs after a lucky dip, but the curve itself is falling steadily
    e = np.arange(30)
    val = 1.0 - 0.02 * e
    val[3] = 0.7  # a lucky low the trend reaches only at epoch 15
    stopper = run_default(val)
    assert stopper.stopped_epoch is None and stopper.best_epoch == 29


def test_default_stops_an_overfitting_curve_soon_after_its_minimum():
    e = np.arange(100)
    val = 0.4 + 0.001 * (e - 20) ** 2  # bottoms out at epoch 20, then rises
    loss = 1.0 - 0.008 * e
    stopper = run_default(val, loss)
    assert stopper.best_epoch == 20
    assert 21 <= stopper.stopped_epoch <= 27
    assert stopper.reason.startswith("val_loss improved by 0% (not more than 0.1%) in the last 7 epochs and is "
                                     "not trending down (patience 7, set by its recent epoch-to-epoch variation of 0.3% of its level)")
    assert stopper.reason.endswith("best 0.4 at epoch 20")


def test_default_stops_a_flat_curve_early():
    rng = np.random.default_rng(1)
    val = np.log(2) + rng.normal(0, 1e-4, 50)  # not learning: stuck at ln 2
    stopper = run_default(val, loss=val)
    assert stopper.stopped_epoch is not None and stopper.stopped_epoch <= 6


def test_default_waits_longer_on_a_noisy_flat_curve():
    rng = np.random.default_rng(2)
    val = 0.5 + rng.normal(0, 0.05, 60)  # 10% noise
    stopper = run_default(val)
    assert stopper.stopped_epoch is not None and stopper.stopped_epoch - stopper.best_epoch >= 10
    assert "(patience 10, set by its recent epoch-to-epoch variation of" in stopper.reason


def test_default_waits_longer_while_a_noisy_curve_has_not_beaten_its_first_value():
    # LCBench-like: the loss rises after the first epoch and wobbles; patience 15, not the noise's 10
    val = [0.70] + [0.74, 0.72, 0.75, 0.73] * 10
    stopper = run_default(val)
    assert stopper.stopped_epoch == 15 and stopper.best_epoch == 0
    assert "(patience 15, as its first value is still its best, with an epoch-to-epoch variation of" in stopper.reason
    # once it has improved on its first value, the noise sets the patience again
    stopper = run_default([0.70, 0.69] + [0.74, 0.72, 0.75, 0.73] * 10)
    assert stopper.stopped_epoch == 11 and "(patience 10, set by its recent" in stopper.reason


@pytest.mark.parametrize("with_loss", [True, False])
def test_default_stops_a_diverging_curve_at_once(with_loss):
    val = [1.0, 0.6, 0.4, 0.3, 0.5, 1.2, 5.0, 40.0, 900.0]
    loss = [1.0, 0.6, 0.4, 0.3, 0.5, 1.1, 4.0, 30.0, 800.0] if with_loss else None
    stopper = run_default(val, loss)
    assert stopper.stopped_epoch == 5  # 1.2: above the first value and 4x the best
    assert "diverged" in stopper.reason and stopper.best_epoch == 3
    assert ("training loss climbed" in stopper.reason) == with_loss


def test_default_does_not_call_an_overfitting_rise_divergence():
    # validation soars while the training loss keeps falling: overfitting, judged by progress only
    val = [1.0, 0.6, 0.4, 0.3, 1.2, 1.3]
    stopper = run_default(val, loss=[1.0, 0.6, 0.4, 0.3, 0.25, 0.2])
    assert stopper.stopped_epoch is None


def test_default_does_not_stop_a_spike_before_anything_was_learned():
    # TaskSet-like: a blow-up right after initialisation that recovers
    val = [0.7, 50.0, 20.0, 8.0, 3.0, 1.5, 0.9, 0.6, 0.5, 0.45]
    stopper = run_default(val, loss=val)
    assert stopper.stopped_epoch is None and stopper.best_epoch == 9


def test_default_in_max_mode():
    acc = 0.9 - 0.0004 * (np.arange(60) - 15) ** 2
    stopper = EarlyStopping(monitor="val_accuracy")
    for e, v in enumerate(acc):
        if stopper.update(e, {"accuracy": 0.5 + 0.004 * e, "val_accuracy": float(v)}):
            break
    assert stopper.best_epoch == 15 and stopper.stopped_epoch == 19
    assert "is not trending up" in stopper.reason and stopper.reason.endswith("best 0.9 at epoch 15")


def test_default_start_from_epoch():
    val = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert run_default(val).stopped_epoch == 5
    stopper = run_default(val, start_from_epoch=4)
    assert stopper.stopped_epoch == 9 and stopper.best_epoch == 4


def test_default_skips_epochs_without_validation():
    stopper = EarlyStopping()
    for e in range(12):
        logs = {"loss": 1.0 / (e + 1)}
        if e % 2:
            logs["val_loss"] = 1.0
        if stopper.update(e, logs):
            break
    assert stopper.best_epoch == 1 and stopper.stopped_epoch == 11  # the 6th validated epoch


# -- values, state, record -------------------------------------------------------------------------
def test_values_are_read_as_floats():
    torch = pytest.importorskip("torch")
    stopper = EarlyStopping(patience=1)
    stopper.update(0, {"val_loss": np.float32(0.5)})
    stopper.update(1, {"val_loss": np.array(0.25)})
    stopper.update(2, {"val_loss": torch.tensor(0.125)})
    assert stopper.best_epoch == 2 and type(stopper.best_value) is float and stopper.best_value == 0.125
    json.dumps(stopper.to_dict())


def test_numpy_parameters():
    stopper = EarlyStopping(patience=np.int64(1), min_delta=np.float32(0.25), criterion=None)
    for e, v in enumerate([1.0, 0.5, 0.4]):
        stopper.update(e, {"val_loss": v})
    assert stopper.stopped_epoch == 2 and stopper.best_epoch == 1
    assert json.loads(json.dumps(stopper.to_dict()))["patience"] == 1


def test_reset_reuses_the_stopper():
    stopper = EarlyStopping(patience=1)
    first = []
    for _ in range(2):
        for e, v in enumerate(DOWN_UP):
            if stopper.update(e, {"val_loss": v}):
                break
        first.append((stopper.stopped_epoch, stopper.best_epoch, stopper.reason))
        stopper.reset()
        assert stopper.best_epoch is None and stopper.stopped_epoch is None and stopper.reason is None
    assert first[0] == first[1]


@pytest.mark.parametrize("kw,name", [({}, "fitwatch"), ({"patience": 5}, "patience=5"),
                                     ({"criterion": "gl5"}, "GL5"), ({"criterion": "PQ0.5"}, "PQ0.5"),
                                     ({"criterion": "UP3"}, "UP3")])
def test_to_dict(kw, name):
    stopper = EarlyStopping(**kw)
    for e, v in enumerate([1.0, 0.5, float("nan")]):
        stopper.update(e, {"loss": 1.0, "val_loss": v})
    d = json.loads(json.dumps(stopper.to_dict()))
    assert d["criterion"] == name and d["monitor"] == "val_loss" and d["mode"] == "min"
    assert d["best_epoch"] == 1 and d["best_value"] == 0.5 and d["stopped_epoch"] == 2
    assert "NaN" in d["reason"]
    assert {"min_delta", "patience", "baseline", "start_from_epoch", "strip"} <= set(d)


def test_verbose_prints_the_reason(capsys):
    stopper = EarlyStopping(patience=0, verbose=True)
    stopper.update(0, {"val_loss": 1.0})
    stopper.update(1, {"val_loss": 2.0})
    assert "epoch 1: val_loss has not improved" in capsys.readouterr().out


# -- errors -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw,match", [
    ({"criterion": "XY5"}, r"unknown criterion 'XY5'; use None \(the fitwatch default\)"),
    ({"criterion": "GL"}, "unknown criterion 'GL'"),
    ({"criterion": "UP1.5"}, "UP counts strips, a whole number"),
    ({"criterion": "patience"}, "criterion='patience' needs patience="),
    ({"criterion": "GL5", "patience": 3}, "contradict"),
    ({"patience": -1}, "patience=-1; pass a whole number >= 0"),
    ({"patience": 2.5}, "patience=2.5"),
    ({"mode": "bogus"}, "mode='bogus'; use 'auto', 'min' or 'max'"),
    ({"min_delta": "abc"}, "min_delta='abc'; pass a number .* or a percentage string such as '1%'"),
    ({"min_delta": "1"}, "min_delta='1'"),
    ({"min_delta": float("nan")}, "min_delta=nan"),
    ({"criterion": "UP2", "strip": 0}, "strip=0"),
    ({"baseline": 0.5}, "baseline= applies to patience mode only"),
])
def test_bad_arguments_raise_at_first_use(kw, match):
    stopper = EarlyStopping(**kw)  # the constructor only stores (scikit-learn style)
    with pytest.raises(ValueError, match=match):
        stopper.update(0, {"loss": 1.0, "val_loss": 1.0})


def test_errors_are_one_line():
    with pytest.raises(ValueError) as err:
        EarlyStopping(criterion="nope").update(0, {"val_loss": 1.0})
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("kw", [{}, {"criterion": "GL5"}])
def test_missing_monitor_raises_outside_patience_mode(kw):
    stopper = EarlyStopping(monitor="val_los", **kw)
    with pytest.raises(ValueError, match=r"monitor 'val_los' is not in this epoch's logs \(available: loss, val_loss\); "
                                         r"pass monitor= with one of those"):
        stopper.update(0, {"loss": 1.0, "val_loss": 1.0})


def test_pq_without_training_loss_raises():
    stopper = EarlyStopping(criterion="PQ1")
    with pytest.raises(ValueError, match=r"criterion 'PQ1' needs the training value 'loss' in logs \(available: val_loss\)"):
        stopper.update(0, {"val_loss": 1.0})


def test_no_keras_or_torch_import():
    import subprocess
    import sys

    code = ("import sys, fitwatch.stopping; bad = {'torch', 'keras', 'tensorflow'} & set(sys.modules); "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
