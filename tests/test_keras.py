"""fitwatch.keras.Callback on real Keras 3 fits (torch backend): the store holds what Keras reported."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import doctest
import math
import warnings
from collections import Counter, defaultdict

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

import fitwatch
import fitwatch.keras
from fitwatch.integrations import keras as integration
from fitwatch.diagnosis.readers import read_curves

BATCH = 64
N_TRAIN = 1437  # 23 batches of 64, the last one of 29
N_VAL = 360  # 6 batches, the last one of 40
TRAIN_STEPS = math.ceil(N_TRAIN / BATCH)
VAL_STEPS = math.ceil(N_VAL / BATCH)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype("float32")
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]


def make_model(lr=1e-2, loss="sparse_categorical_crossentropy", outputs=10, optimizer=keras.optimizers.Adam):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
         keras.layers.Dense(outputs, activation="softmax" if outputs > 1 else None)],
        name="digits_mlp",
    )
    model.compile(optimizer(learning_rate=lr), loss, metrics=["accuracy"] if outputs > 1 else [])
    return model


def assert_history_equal(stored: dict, keras_history: dict):
    assert set(stored) == set(keras_history)
    for key, values in keras_history.items():
        np.testing.assert_allclose(stored[key], values, rtol=1e-6, err_msg=key)


def step_rows(tmp_path, run_id):
    """{(split, metric): [(step, epoch, value), ...]} of a run's batch rows."""
    raw = fitwatch.Store(tmp_path, create=False).steps(run_id)
    out = defaultdict(list)  # {(split, metric): {"step": array, "epoch": array, "value": array, ...}}
    for key, cols in raw.items():
        out[key] = sorted(zip(cols["step"].tolist(), cols["epoch"].tolist(), cols["value"].tolist()))
    return out


def check_batches(rows, split, metric, epochs, steps, epoch_values):
    """``steps`` rows per epoch, global steps 0..N-1, each epoch's last running mean = its epoch value."""
    got = rows[(split, metric)]
    assert [s for s, _, _ in got] == list(range(len(epochs) * steps))
    assert Counter(e for _, e, _ in got) == {e: steps for e in epochs}
    last = {e: v for _, e, v in got}  # ordered by step: the last row of each epoch wins
    np.testing.assert_allclose([last[e] for e in epochs], epoch_values, rtol=1e-6)


def test_fit_records_keras_history_batches_and_config(tmp_path, digits):
    x, y, xv, yv = digits
    model = make_model()
    cb = fitwatch.keras.Callback("digits", config={"optimizer": "mine", "units": 32}, dir=tmp_path)
    assert cb.run is None and cb.name == "digits" and cb.record_batches  # the constructor only stores
    h = model.fit(x, y, validation_data=(xv, yv), epochs=4, batch_size=BATCH, verbose=0, callbacks=[cb])

    data = fitwatch.load("digits", dir=tmp_path)
    assert data.status == "finished" and cb.run.status == "finished" and cb.run.id == data.id
    assert data.epochs.tolist() == [0, 1, 2, 3]
    assert_history_equal(data.history, h.history)
    assert data.history == h.history  # exactly Keras's numbers, not merely close
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}

    rows = step_rows(tmp_path, data.id)
    assert set(rows) == {("train", "loss"), ("train", "accuracy"), ("val", "loss"), ("val", "accuracy")}
    for split, steps in (("train", TRAIN_STEPS), ("val", VAL_STEPS)):
        for metric in ("loss", "accuracy"):
            key = metric if split == "train" else f"val_{metric}"
            check_batches(rows, split, metric, [0, 1, 2, 3], steps, h.history[key])

    assert data.config["epochs"] == 4
    assert data.config["optimizer"] == "mine"  # the user's value wins
    assert data.config["units"] == 32
    assert data.config["learning_rate"] == pytest.approx(1e-2)
    info = data.info
    assert info["batch_values"] == "keras running mean"
    assert info["framework"] == "keras" and info["backend"] == "torch"
    assert info["fit_params"].items() >= {"epochs": 4, "steps": TRAIN_STEPS, "verbose": 0}.items()
    assert info["model_name"] == "digits_mlp"
    assert info["params"] == model.count_params() == 64 * 32 + 32 + 32 * 10 + 10
    assert info["layers"] == 2
    assert info["model_config"]["name"] == "digits_mlp"


def test_early_stopping_marks_the_run_stopped(tmp_path, digits):
    x, y, xv, yv = digits
    model = make_model()
    # no epoch improves val_loss by 10: the second epoch stops training (out of 10)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=10.0, patience=1)
    cb = fitwatch.keras.Callback("early", dir=tmp_path)
    h = model.fit(x, y, validation_data=(xv, yv), epochs=10, batch_size=BATCH, verbose=0, callbacks=[cb, stop])
    assert len(h.history["loss"]) == 2 and stop.stopped_epoch == 1

    data = fitwatch.load("early", dir=tmp_path)
    assert data.status == "stopped"
    assert data.info["stopped_epoch"] == 1
    assert data.epochs.tolist() == [0, 1]
    assert_history_equal(data.history, h.history)
    assert data.config["epochs"] == 10


def test_keras_early_stopping_is_recorded_with_its_best_epoch_and_restore(tmp_path, digits):
    """Keras's own EarlyStopping beside the callback: its stop, best epoch and restore are the run's stop
    record, so the diagnosis does not tell a run that stopped early to stop early, and show says why."""
    x, y, xv, yv = digits
    model = make_model(lr=3e-2)
    stop = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    cb = fitwatch.keras.Callback("keras-es", dir=tmp_path)
    h = model.fit(x[:300], y[:300], validation_data=(xv, yv), epochs=60, batch_size=BATCH, verbose=0,
                  callbacks=[stop, cb])
    assert 0 < stop.stopped_epoch < 59  # it fired
    data = fitwatch.load("keras-es", dir=tmp_path)
    record = data.info["early_stopping"]
    assert record["stopped"] and record["stopped_epoch"] == stop.stopped_epoch == data.info["stopped_epoch"]
    assert record["best_epoch"] == stop.best_epoch == int(np.argmin(h.history["val_loss"]))
    assert record["restored"] and record["restored_epoch"] == stop.best_epoch
    assert record["best_value"] == pytest.approx(min(h.history["val_loss"]))
    assert record["monitor"] == "val_loss" and record["mode"] == "min" and record["epochs_planned"] == 60
    # the weights are the best epoch's: evaluating the model gives the best val_loss
    assert model.evaluate(xv, yv, verbose=0)[0] == pytest.approx(min(h.history["val_loss"]), rel=1e-4)

    d = cb.run.diagnosis_
    codes = [f.code for f in d.findings]
    assert "stopped_early" in codes
    said = d.findings[codes.index("stopped_early")].message
    assert f"epoch {stop.stopped_epoch}" in said and f"(epoch {stop.best_epoch}) were restored" in said
    assert d.findings[codes.index("stopped_early")].evidence["criterion"] == "keras.callbacks.EarlyStopping(patience=2)"
    assert not any("Stop early" in r for f in d.findings for r in f.remedies)
    from fitwatch.show.tables import stop_line
    line = stop_line(data).plain
    assert line.startswith(f"Stopped early at epoch {stop.stopped_epoch} (60 planned): val_loss did not improve")
    assert f"Best epoch {stop.best_epoch}" in line and "weights restored" in line


def test_keras_early_stopping_without_restore_and_a_second_fit(tmp_path, digits):
    """Without restore_best_weights the record says the last epoch's weights were kept (and the remedy is
    to restore them); a second fit of the same run stores Keras's epochs shifted like the run's."""
    x, y, xv, yv = digits
    model = make_model()
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=10.0, patience=1)
    cb = fitwatch.keras.Callback("keras-es-2", dir=tmp_path)
    model.fit(x, y, validation_data=(xv, yv), epochs=10, batch_size=BATCH, verbose=0, callbacks=[cb, stop])
    record = fitwatch.load("keras-es-2", dir=tmp_path).info["early_stopping"]
    assert record["stopped"] and (record["stopped_epoch"], record["best_epoch"]) == (1, 0)
    assert record["restored"] is False and record["restored_epoch"] is None
    found = next(f for f in cb.run.diagnosis_.findings if f.code == "stopped_early")
    assert "keeps the last epoch's weights" in found.message and any("Restore" in r for r in found.remedies)

    # a second fit, initial_epoch left at 0: stored as epochs 2, 3 (Keras's 0, 1)
    model.fit(x, y, validation_data=(xv, yv), epochs=10, batch_size=BATCH, verbose=0, callbacks=[cb, stop])
    data = fitwatch.load("keras-es-2", dir=tmp_path)
    assert data.epochs.tolist() == [0, 1, 2, 3]
    record = data.info["early_stopping"]
    assert (record["stopped_epoch"], record["best_epoch"], record["last_epoch"]) == (3, 2, 3)


def test_keras_early_stopping_that_never_saw_its_monitor_is_not_recorded(tmp_path, digits):
    x, y, _, _ = digits
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=1)  # no validation data
    cb = fitwatch.keras.Callback("keras-es-3", dir=tmp_path)
    with pytest.warns(UserWarning, match="val_loss"):
        make_model().fit(x[:128], y[:128], epochs=2, batch_size=BATCH, verbose=0, callbacks=[cb, stop])
    assert "early_stopping" not in fitwatch.load("keras-es-3", dir=tmp_path).info


def test_two_keras_stops_record_the_restore_of_the_one_that_restored(tmp_path, digits):
    """The stop that fires does not restore, the other one does: the model ends with the other one's
    best weights, and the record says so (it said 'the last epoch's weights' before)."""
    x, y, xv, yv = digits
    model = make_model()
    fires = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=10.0, patience=1)
    keeps = keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, restore_best_weights=True)
    cb = fitwatch.keras.Callback("two-stops", dir=tmp_path)
    h = model.fit(x, y, validation_data=(xv, yv), epochs=10, batch_size=BATCH, verbose=0, callbacks=[cb, fires, keeps])
    record = fitwatch.load("two-stops", dir=tmp_path).info["early_stopping"]
    assert record["stopped"] and record["stopped_epoch"] == fires.stopped_epoch == 1
    assert record["restored"] and record["restored_epoch"] == keeps.best_epoch == int(np.argmin(h.history["val_loss"]))
    found = next(f for f in cb.run.diagnosis_.findings if f.code == "stopped_early")
    assert "were restored" in found.message and not found.remedies


def test_a_keras_stop_that_fires_before_fitwatchs_rule_is_said_to_have_ended_the_run(tmp_path, digits):
    """fitwatch's own rule (stop=) had not fired when Keras's ended the fit: show and the diagnosis say
    what ended it (they said 'not by early stopping' and 'the rule in place never fired')."""
    x, y, xv, yv = digits
    keras_stop = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=10.0, patience=1)
    cb = fitwatch.keras.Callback("both-stops", dir=tmp_path, stop=fitwatch.EarlyStopping(patience=50))
    make_model().fit(x, y, validation_data=(xv, yv), epochs=10, batch_size=BATCH, verbose=0, callbacks=[cb, keras_stop])
    data = fitwatch.load("both-stops", dir=tmp_path)
    record = data.info["early_stopping"]
    assert not record["stopped"] and record["stopped_by"]["stopped_epoch"] == 1
    from fitwatch.show.tables import stop_line
    line = stop_line(data).plain
    assert line.startswith("Stopped early at epoch 1 (10 planned): val_loss did not improve for 1 epoch "
                           "(keras.callbacks.EarlyStopping(patience=1)), before the fitwatch rule")
    found = next(f for f in cb.run.diagnosis_.findings if f.code == "stopped_early")
    assert "ended training at epoch 1" in found.message and "never fired" not in found.message


def test_a_keras_stop_in_place_that_never_fired_is_not_told_to_stop_early(tmp_path, digits):
    """Keras's EarlyStopping in place, no restore, never fired (or fired at the last planned epoch, which
    ends the fit anyway): the run ran to its end, and 'stop early' is not prescribed to it."""
    x, y, xv, yv = digits
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=10.0, patience=2)
    cb = fitwatch.keras.Callback("in-place", dir=tmp_path)
    make_model().fit(x, y, validation_data=(xv, yv), epochs=3, batch_size=BATCH, verbose=0, callbacks=[cb, stop])
    assert stop.stopped_epoch == 2  # Keras fired at the last of 3 epochs
    data = fitwatch.load("in-place", dir=tmp_path)
    record = data.info["early_stopping"]
    assert not record["stopped"] and data.status == "finished" and record["last_epoch"] == 2
    assert not any("Stop early" in r for f in cb.run.diagnosis_.findings for r in f.remedies)


@pytest.mark.parametrize("kwargs, said", [
    ({"patience": 0}, "val_loss did not improve for 1 epoch (keras.callbacks.EarlyStopping(patience=0))"),
    ({"patience": 1, "baseline": 1e-6}, "val_loss did not beat the baseline 1e-06 in 2 epochs"),  # epochs 0 and 1
])
def test_keras_stop_reasons_say_what_keras_counted(tmp_path, digits, kwargs, said):
    x, y, xv, yv = digits
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", **{"min_delta": 10.0, **kwargs})
    cb = fitwatch.keras.Callback("reasons", dir=tmp_path)
    make_model().fit(x, y, validation_data=(xv, yv), epochs=10, batch_size=BATCH, verbose=0, callbacks=[cb, stop])
    record = fitwatch.load("reasons", dir=tmp_path).info["early_stopping"]
    assert record["stopped"] and record["reason"].startswith(said)


def _holds(model, xv, yv, history) -> list[int]:
    """The epochs whose val_loss the model's weights give now."""
    now = model.evaluate(xv, yv, verbose=0)[0]
    return [e for e, v in enumerate(history["val_loss"]) if abs(v - now) < 1e-4 * max(1.0, abs(v))]


def test_fitwatchs_rule_beside_a_keras_stop_that_restores_records_the_weights_the_model_ends_with(tmp_path, digits):
    """fitwatch's rule before Keras's restoring EarlyStopping in the list: Keras restores last, and the
    record says its epoch (it said fitwatch's); with restore=False Keras's restore is the model's, and no
    restore is prescribed (the record said 'not restored' and prescribed restore_best_weights=True)."""
    x, y, xv, yv = digits
    x, y = x[:300], y[:300]
    for restore in (True, False):
        model = make_model(lr=3e-2)
        theirs = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
        cb = fitwatch.keras.Callback(f"beside-{restore}", dir=tmp_path, diagnose="quiet", restore=restore,
                                     stop=fitwatch.EarlyStopping(monitor="loss", patience=100))
        h = model.fit(x, y, validation_data=(xv, yv), epochs=30, batch_size=BATCH, verbose=0, callbacks=[cb, theirs])
        assert theirs.stopped_epoch > 0 and _holds(model, xv, yv, h.history) == [theirs.best_epoch]
        data = fitwatch.load(f"beside-{restore}", dir=tmp_path)
        record = data.info["early_stopping"]
        assert record["restored"] and record["restored_epoch"] == theirs.best_epoch
        assert record["restored_by"] == "keras.callbacks.EarlyStopping(patience=2)"
        found = next(f for f in cb.run.diagnosis_.findings if f.code == "stopped_early")
        assert f"the weights of epoch {theirs.best_epoch} were restored by keras" in found.message
        assert not any("Restore" in r for f in cb.run.diagnosis_.findings for r in f.remedies)


def test_keras_restores_from_another_monitor_or_after_start_from_epoch_are_not_said_to_catch_overfitting(
        tmp_path, digits):
    """The weights restored are not the diagnosed curve's best: a second restoring stop on the training
    loss (later in the list, so its restore wins), or a start_from_epoch past the overfitting onset. The
    record names the restore's own stop and the diagnosis says the epoch is past the onset (it said 'the
    best weights ... the overfitting was caught', with the other stop's best value)."""
    x, y, xv, yv = digits
    x, y = x[:300], y[:300]
    model = make_model(lr=3e-2)
    fires = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    last = keras.callbacks.EarlyStopping(monitor="loss", patience=30, restore_best_weights=True)
    cb = fitwatch.keras.Callback("two-monitors", dir=tmp_path, diagnose="quiet")
    h = model.fit(x, y, validation_data=(xv, yv), epochs=40, batch_size=BATCH, verbose=0, callbacks=[cb, fires, last])
    data = fitwatch.load("two-monitors", dir=tmp_path)
    record = data.info["early_stopping"]
    assert _holds(model, xv, yv, h.history) == [record["restored_epoch"]] == [last.best_epoch] != [fires.best_epoch]
    assert record["best_epoch"] == fires.best_epoch and record["restored_monitor"] == "loss"
    from fitwatch.show.tables import stop_line
    assert (f"Best epoch {fires.best_epoch} (val_loss {fitwatch.show.tables.fmt_number(record['best_value'])}); weights "
            f"of epoch {last.best_epoch} restored by keras.callbacks.EarlyStopping(monitor='loss', patience=30)."
            ) in stop_line(data).plain
    found = next(f for f in cb.run.diagnosis_.findings if f.code == "stopped_early")
    assert "overfitting was caught" not in found.message and "the stop that restored it watched loss" in found.message

    model = make_model(lr=3e-2)
    late = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True, start_from_epoch=12)
    cb = fitwatch.keras.Callback("late-start", dir=tmp_path, diagnose="quiet")
    h = model.fit(x, y, validation_data=(xv, yv), epochs=40, batch_size=BATCH, verbose=0, callbacks=[cb, late])
    assert int(np.argmin(h.history["val_loss"])) < 12 <= late.best_epoch
    d = cb.run.diagnosis_
    found = next(f for f in d.findings if f.code == "stopped_early")
    assert d.verdict == "overfitting" and "overfitting was caught" not in found.message
    assert "(start_from_epoch=12), after the onset" in found.message


def test_a_later_fit_without_a_stop_leaves_no_stop_record(tmp_path, digits):
    """The first fit's Keras stop record described a finished run that went on after it: 'stopped early
    at epoch 1, best weights restored'."""
    x, y, xv, yv = digits
    model = make_model()
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=10.0, patience=1, restore_best_weights=True)
    cb = fitwatch.keras.Callback("later-fit", dir=tmp_path, diagnose="quiet")
    model.fit(x, y, validation_data=(xv, yv), epochs=10, batch_size=BATCH, verbose=0, callbacks=[cb, stop])
    assert fitwatch.load("later-fit", dir=tmp_path).info["early_stopping"]["stopped"]
    model.fit(x, y, validation_data=(xv, yv), epochs=2, batch_size=BATCH, verbose=0, callbacks=[cb])
    data = fitwatch.load("later-fit", dir=tmp_path)
    assert data.status == "finished" and "early_stopping" not in data.info and data.info.get("stopped_epoch") is None
    from fitwatch.show.tables import stop_line
    assert stop_line(data) is None
    assert not any(f.code in ("stopped_early", "best_restored") for f in cb.run.diagnosis_.findings)


def test_a_keras_stop_in_a_later_fit_counts_from_where_that_fit_began(tmp_path, digits):
    """A second fit with the same callback: Keras's stop record plans in the run's epochs (it said
    'Stopped early at epoch 11 (10 planned)', and the diagnosis told a run cut short to train for more
    epochs); a baseline never beaten is said of the epochs Keras counted from initial_epoch (it said 7 for 2)."""
    x, y, xv, yv = digits
    model = make_model()
    cb = fitwatch.keras.Callback("later-stop", dir=tmp_path, diagnose="quiet")
    model.fit(x, y, validation_data=(xv, yv), epochs=3, batch_size=BATCH, verbose=0, callbacks=[cb])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=10.0, patience=1)
    model.fit(x, y, validation_data=(xv, yv), epochs=10, batch_size=BATCH, verbose=0, callbacks=[cb, stop])
    record = fitwatch.load("later-stop", dir=tmp_path).info["early_stopping"]
    assert (record["stopped_epoch"], record["epochs_planned"]) == (4, 13)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=1, baseline=1e-6)
    model.fit(x, y, validation_data=(xv, yv), epochs=20, initial_epoch=5, batch_size=BATCH, verbose=0,
              callbacks=[cb, stop])
    record = fitwatch.load("later-stop", dir=tmp_path).info["early_stopping"]
    n = stop.stopped_epoch + 1 - 5  # the epochs Keras counted, from initial_epoch=5 to its stop
    assert record["reason"].startswith(f"val_loss did not beat the baseline 1e-06 in {n} epochs"), (record, n)


def test_the_regularisation_a_keras_fit_uses_is_recorded_and_not_prescribed_again(tmp_path, digits):
    """A new user's trial: a model with Dropout(0.5) under AdamW(weight_decay=1e-3, clipnorm=1.0) that
    overfits 40 samples was told to add dropout, L2 regularisation and clipping: the callback recorded
    only the optimizer's name and learning rate."""
    from fitwatch.diagnosis.remedies import CATALOGUE

    x, y, xv, yv = digits
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(256, activation="relu"), keras.layers.Dropout(0.5),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.AdamW(1e-2, weight_decay=1e-3, clipnorm=1.0), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    cb = fitwatch.keras.Callback("regularised", dir=tmp_path, diagnose="quiet")
    model.fit(x[:40], y[:40], validation_data=(xv, yv), epochs=30, batch_size=BATCH, verbose=0, callbacks=[cb])
    config = fitwatch.load("regularised", dir=tmp_path).config
    assert (config["dropout"], config["weight_decay"], config["grad_clip"]) == (0.5, pytest.approx(1e-3), 1.0)
    assert cb.run.diagnosis_.verdict == "overfitting"  # whose remedies would name them
    given = [r for f in cb.run.diagnosis_.findings for r in f.remedies]
    assert not {CATALOGUE["dropout"], CATALOGUE["weight_decay"], CATALOGUE["gradient_clipping"]} & set(given), given


def test_validation_split_without_batch_rows(tmp_path, digits):
    x, y, _, _ = digits
    model = make_model(optimizer=keras.optimizers.SGD, lr=0.1)
    cb = fitwatch.keras.Callback("split", dir=tmp_path, record_batches=False)
    assert cb.async_safe  # Keras may dispatch the (no-op) batch hooks asynchronously
    h = model.fit(x, y, validation_split=0.25, epochs=3, batch_size=BATCH, verbose=0, callbacks=[cb])

    data = fitwatch.load("split", dir=tmp_path)
    assert data.status == "finished" and data.epochs.tolist() == [0, 1, 2]
    assert_history_equal(data.history, h.history)
    assert "val_loss" in data.history
    assert data.steps() == {}
    assert data.config["optimizer"] == "SGD" and data.config["learning_rate"] == pytest.approx(0.1)


def test_validation_split_batch_counts(tmp_path, digits):
    x, y, _, _ = digits
    model = make_model()
    cb = fitwatch.keras.Callback("split-batches", dir=tmp_path)
    # a callback after fitwatch's adds "learning_rate" to the epoch's logs, which History records
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=0, min_delta=10.0)
    h = model.fit(x, y, validation_split=0.25, epochs=2, batch_size=BATCH, verbose=0, callbacks=[cb, plateau])
    data = fitwatch.load("split-batches", dir=tmp_path)
    assert_history_equal(data.history, h.history)
    assert "learning_rate" in h.history  # ... and, by the line above, in fitwatch's history too
    n_val = int(N_TRAIN * 0.25)
    train_steps, val_steps = math.ceil((N_TRAIN - n_val) / BATCH), math.ceil(n_val / BATCH)
    rows = step_rows(tmp_path, data.id)
    check_batches(rows, "train", "loss", [0, 1], train_steps, h.history["loss"])
    check_batches(rows, "val", "loss", [0, 1], val_steps, h.history["val_loss"])


def test_validation_freq_is_sparse_validation_not_a_divergence(tmp_path, digits):
    x, y, xv, yv = digits
    model = make_model(lr=3e-3)
    cb = fitwatch.keras.Callback("every-3rd", dir=tmp_path, diagnose="quiet")
    h = model.fit(x, y, validation_data=(xv, yv), validation_freq=3, epochs=15, batch_size=BATCH, verbose=0,
                  callbacks=[cb])
    validated = [2, 5, 8, 11, 14]  # Keras validates when (epoch + 1) % validation_freq == 0
    assert len(h.history["val_loss"]) == len(validated) and len(h.history["loss"]) == 15

    data = fitwatch.load("every-3rd", dir=tmp_path)
    assert np.flatnonzero(data.present[("val", "loss")]).tolist() == validated
    np.testing.assert_allclose(data.series("val", "loss")[1], h.history["val_loss"], rtol=1e-6)
    assert data.info["diagnosis"]["verdict"] != "diverged"  # what the callback stored at the end of fit

    from_store = fitwatch.diagnose("every-3rd", dir=tmp_path)
    from_history = fitwatch.diagnose(h)  # the History object: its short val lists placed at 2, 5, 8, 11, 14
    for d in (from_store, from_history):
        assert d.verdict not in ("diverged", "unstable") and "nan_detected" not in [f.code for f in d.findings]
        assert d.best_epoch in validated
        assert "val_loss present at 5 of 15 epochs (every 3rd): judged on those" in d.notes
    assert (from_history.verdict, from_history.best_epoch) == (from_store.verdict, from_store.best_epoch)
    assert any("validation_freq=3" in n for n in from_history.notes)
    e, v = read_curves(h)[0].values("val_accuracy")
    assert e.tolist() == validated and np.allclose(v, h.history["val_accuracy"])


def test_initial_epoch_numbers_epochs_as_keras_does(tmp_path, digits):
    x, y, xv, yv = digits
    model = make_model()
    cb = fitwatch.keras.Callback("initial", dir=tmp_path)
    h = model.fit(x, y, validation_data=(xv, yv), epochs=5, initial_epoch=3, batch_size=BATCH, verbose=0,
                  callbacks=[cb])
    data = fitwatch.load("initial", dir=tmp_path)
    assert data.status == "finished"
    assert data.epochs.tolist() == [3, 4]
    assert_history_equal(data.history, h.history)
    rows = step_rows(tmp_path, data.id)
    check_batches(rows, "train", "loss", [3, 4], TRAIN_STEPS, h.history["loss"])
    check_batches(rows, "val", "accuracy", [3, 4], VAL_STEPS, h.history["val_accuracy"])


def test_same_callback_for_successive_fits_continues_the_run(tmp_path, digits):
    x, y, xv, yv = digits
    model = make_model()
    cb = fitwatch.keras.Callback("twice", config={"batch_size": BATCH}, dir=tmp_path)
    h1 = model.fit(x, y, validation_data=(xv, yv), epochs=2, batch_size=BATCH, verbose=0, callbacks=[cb])
    first_id = cb.run.id
    h2 = model.fit(x, y, validation_data=(xv, yv), epochs=4, initial_epoch=2, batch_size=BATCH, verbose=0,
                   callbacks=[cb])
    assert cb.run.id == first_id
    # a third fit that restarts Keras's count at 0 follows the stored epochs instead of overwriting them
    h3 = model.fit(x, y, validation_data=(xv, yv), epochs=1, batch_size=BATCH, verbose=0, callbacks=[cb])

    runs = [r for r in fitwatch.runs(dir=tmp_path) if r["name"] == "twice"]
    assert len(runs) == 1
    data = fitwatch.load("twice", dir=tmp_path)
    assert data.status == "finished"
    assert data.epochs.tolist() == [0, 1, 2, 3, 4]
    both = {k: h1.history[k] + h2.history[k] + h3.history[k] for k in h1.history}
    assert_history_equal(data.history, both)
    assert data.config == {"batch_size": BATCH, "epochs": 1, "optimizer": "Adam",
                           "learning_rate": pytest.approx(1e-2)}
    rows = step_rows(tmp_path, data.id)
    check_batches(rows, "train", "loss", [0, 1, 2, 3, 4], TRAIN_STEPS, both["loss"])
    check_batches(rows, "val", "loss", [0, 1, 2, 3, 4], VAL_STEPS, both["val_loss"])


def test_nan_loss_is_stored_with_one_warning(tmp_path, digits):
    x, y, xv, yv = digits
    y, yv = y.astype("float32"), yv.astype("float32")
    model = make_model(lr=10.0, loss="mse", outputs=1, optimizer=keras.optimizers.SGD)  # diverges: inf, then NaN
    cb = fitwatch.keras.Callback("diverges", dir=tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        h = model.fit(x, y, validation_data=(xv, yv), epochs=3, batch_size=BATCH, verbose=0, callbacks=[cb])
    assert np.isnan(h.history["loss"][-1])
    nonfinite = [w for w in caught if issubclass(w.category, fitwatch.NonFiniteValue)]
    assert len(nonfinite) == 1
    assert nonfinite[0].filename == __file__  # the user's model.fit line, not fitwatch's or keras's
    data = fitwatch.load("diverges", dir=tmp_path)
    assert data.status == "finished"
    assert_history_equal(data.history, h.history)  # NaN where Keras has NaN, inf where it has inf
    assert np.isnan(data.steps()[("train", "loss")][1][-1])


class Boom(keras.callbacks.Callback):
    """Raise at the end of training batch ``at`` of epoch ``epoch``."""

    def __init__(self, epoch, at):
        super().__init__()
        self.epoch, self.at, self.current = epoch, at, None

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == self.at:
            raise RuntimeError("boom in the middle of an epoch")


def test_exception_in_a_with_block_fails_the_run(tmp_path, digits):
    x, y, xv, yv = digits
    model = make_model()
    with pytest.raises(RuntimeError, match="boom"):
        with fitwatch.keras.Callback("boom", dir=tmp_path) as cb:
            model.fit(x, y, validation_data=(xv, yv), epochs=5, batch_size=BATCH, verbose=0,
                      callbacks=[cb, Boom(epoch=1, at=4)])
    data = fitwatch.load("boom", dir=tmp_path)
    assert data.status == "failed"
    assert "RuntimeError: boom in the middle of an epoch" in data.error
    assert data.info["interrupted_epoch"] == 1
    assert data.epochs.tolist() == [0, 1]
    # the interrupted epoch holds the latest running mean: the 5 batches it saw
    steps = step_rows(tmp_path, data.id)[("train", "loss")]
    assert len(steps) == TRAIN_STEPS + 5
    assert data.history["loss"][1] == pytest.approx(steps[-1][2], rel=1e-12)
    assert np.isnan(data.history["val_loss"][1])  # no validation happened in epoch 1


def test_interrupted_fit_is_failed_when_the_callback_fits_again(tmp_path, digits):
    x, y, xv, yv = digits
    model = make_model()
    cb = fitwatch.keras.Callback("again", dir=tmp_path)
    with pytest.raises(RuntimeError):
        model.fit(x, y, epochs=3, batch_size=BATCH, verbose=0, callbacks=[cb, Boom(epoch=0, at=2)])
    assert fitwatch.load("again", dir=tmp_path).status == "running"  # Keras tells no callback
    h = model.fit(x, y, epochs=3, initial_epoch=1, batch_size=BATCH, verbose=0, callbacks=[cb])
    data = fitwatch.load("again", dir=tmp_path)
    assert data.status == "finished" and data.error is None
    assert data.info["interrupted_epoch"] == 0
    assert data.epochs.tolist() == [0, 1, 2]
    np.testing.assert_allclose(data.history["loss"][1:], h.history["loss"], rtol=1e-6)

    # another callback's fit() beginning fails the run of an earlier fit() that raised
    with pytest.raises(RuntimeError):
        model.fit(x, y, epochs=3, batch_size=BATCH, verbose=0,
                  callbacks=[fitwatch.keras.Callback("first", dir=tmp_path), Boom(epoch=0, at=2)])
    assert fitwatch.load("first", dir=tmp_path).status == "running"
    model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0, callbacks=[fitwatch.keras.Callback("next", dir=tmp_path)])
    first = fitwatch.load("first", dir=tmp_path)
    assert first.status == "failed" and "interrupted" in first.error and first.info["interrupted_epoch"] == 0
    assert fitwatch.load("next", dir=tmp_path).status == "finished"


def test_fit_interrupted_in_a_script_is_failed(tmp_path):
    # a caught exception: marked failed at exit; an uncaught one: by the exception hook
    from conftest import run_python

    code = f"""
import numpy as np, keras, fitwatch, fitwatch.keras
class Boom(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise ValueError("boom")
x, y = np.random.rand(32, 3), np.random.rand(32, 1)
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
try:
    model.fit(x, y, epochs=4, verbose=0, callbacks=[Boom(), fitwatch.keras.Callback("caught", dir={str(tmp_path)!r})])
except ValueError:
    pass
model.fit(x, y, epochs=4, verbose=0, callbacks=[fitwatch.keras.Callback("uncaught", dir={str(tmp_path)!r}), Boom()])
"""
    p = run_python(code, check=False, env={"KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1"})
    assert p.returncode == 1 and "ValueError: boom" in p.stderr
    caught = fitwatch.load("caught", dir=tmp_path)
    assert caught.status == "failed" and "interrupted" in caught.error
    assert caught.epochs.tolist() == [0, 1]  # epoch 1 ended its batches; the callback after Boom never saw it
    uncaught = fitwatch.load("uncaught", dir=tmp_path)
    assert uncaught.status == "failed" and "ValueError: boom" in uncaught.error
    assert uncaught.epochs.tolist() == [0, 1]  # fitwatch's callback ran before Boom: epoch 1 complete


def test_parameters_are_checked_when_training_begins(tmp_path, digits):
    x, y, _, _ = digits
    cb = fitwatch.keras.Callback("bad", config=["lr", 0.1], dir=tmp_path)  # no error yet
    with pytest.raises(TypeError, match="config must be a dict"):
        make_model().fit(x[:64], y[:64], epochs=1, verbose=0, callbacks=[cb])
    with pytest.raises(TypeError, match="record_batches"):
        make_model().fit(x[:64], y[:64], epochs=1, verbose=0,
                         callbacks=[fitwatch.keras.Callback(dir=tmp_path, record_batches="yes")])


def test_default_name_and_progress_bar(tmp_path, digits, capsys):
    x, y, _, _ = digits
    cb = fitwatch.keras.Callback(dir=tmp_path, progress=True)
    make_model().fit(x[:128], y[:128], epochs=2, batch_size=BATCH, verbose=0, callbacks=[cb])
    assert cb.run.name.startswith("run-")
    assert fitwatch.load(cb.run.name, dir=tmp_path).epochs.tolist() == [0, 1]
    assert cb.run.name in capsys.readouterr().err


def test_module_layout_and_docstring_example():
    assert fitwatch.keras.Callback is integration.Callback
    assert issubclass(fitwatch.keras.Callback, keras.callbacks.Callback)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(integration.Callback, "Callback", globs={}):
        runner.run(test)
    assert runner.failures == 0 and runner.tries > 5
    from fitwatch.integrations import keras_stop
    result = doctest.testmod(keras_stop, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 5


def test_fitwatch_core_does_not_import_keras():
    from conftest import run_python

    run_python(
        "import sys, tempfile, fitwatch\n"
        "with fitwatch.Run('no-keras', dir=tempfile.mkdtemp()) as run:\n"
        "    run.log_epoch(loss=1.0)\n"
        "assert 'keras' not in sys.modules, sorted(m for m in sys.modules if 'keras' in m)\n"
    )


def test_fitwatch_keras_attribute_without_importing_the_submodule():
    from conftest import run_python

    run_python("import fitwatch\nassert fitwatch.keras.Callback.__module__ == 'fitwatch.integrations.keras'\n",
               env={"KERAS_BACKEND": "torch"})


def test_an_l2_kernel_regularizer_is_recorded_as_weight_decay(tmp_path, digits):
    """The Must 4/6 trial left this open: a Dense(kernel_regularizer=L2(1e-3)) model under plain Adam was
    told to "add L2 regularisation"; the largest layer's L2 factor is the run's weight_decay now (the
    optimizer's, when it has one, wins)."""
    x, y, xv, yv = digits
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu",
                                                                     kernel_regularizer=keras.regularizers.L2(1e-3)),
                              keras.layers.Dense(10, kernel_regularizer=keras.regularizers.L1L2(l1=1e-5, l2=1e-4),
                                                 activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    cb = fitwatch.keras.Callback("l2", dir=tmp_path, diagnose=False)
    model.fit(x[:64], y[:64], validation_data=(xv, yv), epochs=1, batch_size=BATCH, verbose=0, callbacks=[cb])
    data = fitwatch.load("l2", dir=tmp_path)
    assert data.config["weight_decay"] == pytest.approx(1e-3) and "dropout" not in data.config
    # an L1 part it does not record: the config's keys are not all the regularisation, so not said to be none
    assert "regularisation_recorded" not in data.info
    from fitwatch.integrations.keras_describe import describe

    plain = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, kernel_regularizer="l2"), keras.layers.Dense(10)])
    plain.compile(keras.optimizers.Adam(1e-3), "mse")
    assert describe(plain, {})[1]["regularisation_recorded"] is True  # every regulariser seen: none else
    noisy = keras.Sequential([keras.Input((64,)), keras.layers.GaussianNoise(0.1), keras.layers.Dense(10)])
    noisy.compile(keras.optimizers.Adam(1e-3), "mse")
    assert "regularisation_recorded" not in describe(noisy, {})[1]


def test_a_penalty_keras_adds_to_the_loss_is_not_a_blow_up_in_the_first_epoch(tmp_path, digits):
    """The last stop's attack: Keras adds an L2 kernel regularizer's penalty to the loss, so a heavily
    regularised classifier's first epoch (7.4 here) sits far above ln 10; with classes=10 stated that read as a
    first epoch that blew up, and the underfitting run was told to lower the learning rate, never to weaken the
    l2(0.05) that holds it back. The callback records loss_penalty; the first epoch is no evidence then."""
    from fitwatch.integrations.keras_describe import describe

    x, y, xv, yv = digits
    keras.utils.set_random_seed(0)
    reg = keras.regularizers.l2(0.05)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(128, activation="relu", kernel_regularizer=reg),
                              keras.layers.Dense(10, activation="softmax", kernel_regularizer=reg)])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    cb = fitwatch.keras.Callback("heavy-l2", dir=tmp_path, diagnose=False)
    model.fit(x, y, validation_data=(xv, yv), epochs=25, batch_size=BATCH, verbose=0, callbacks=[cb])
    data = fitwatch.load("heavy-l2", dir=tmp_path)
    assert data.info["loss_penalty"] is True and data.series("train", "loss")[1][0] > 1.5 * np.log(10)
    d = fitwatch.diagnose(data, context={"classes": 10})
    assert d.verdict == "underfitting", d
    assert d.findings[0].remedies[0].startswith("Weaken"), d
    assert not any(f.code == "lr_too_high" for f in d.findings), d
    plain = keras.Sequential([keras.Input((64,)), keras.layers.Dropout(0.2), keras.layers.Dense(10)])
    plain.compile(keras.optimizers.Adam(1e-3), "mse")
    assert "loss_penalty" not in describe(plain, {})[1]  # dropout adds nothing to the loss
    # a negligible penalty (an attack: l2(1e-6) hid a first epoch that blew up) does not count
    tiny = keras.Sequential([keras.Input((64,)), keras.layers.Dense(128, kernel_regularizer=keras.regularizers.l2(1e-6)),
                             keras.layers.Dense(10)])
    tiny.compile(keras.optimizers.Adam(1e-3), "mse")
    assert "loss_penalty" not in describe(tiny, {})[1]


def test_input_noise_in_training_explains_validation_below_training(tmp_path, digits):
    """A sixth trial: GaussianNoise(1.0) before a digits MLP, validation loss below training at every epoch, got a
    leakage warning whose first remedy was "check for leakage", the noise layer never named. The callback records
    input noise (and GaussianDropout's rate as dropout); the finding names it and explains it first."""
    from fitwatch.integrations.keras_describe import describe

    x, y, xv, yv = digits
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.GaussianNoise(1.0),
                              keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    cb = fitwatch.keras.Callback("noisy", dir=tmp_path, diagnose=False)
    model.fit(x, y, validation_data=(xv, yv), epochs=15, batch_size=BATCH, verbose=0, callbacks=[cb])
    assert fitwatch.load("noisy", dir=tmp_path).info["train_noise"] is True
    d = fitwatch.diagnose("noisy", dir=tmp_path)
    below = next(f for f in d.findings if f.code == "val_below_train")
    assert "input noise" in below.message and not below.remedies[0].startswith("Check for leakage"), below
    gauss = keras.Sequential([keras.Input((64,)), keras.layers.GaussianDropout(0.3), keras.layers.Dense(10)])
    gauss.compile(keras.optimizers.Adam(1e-3), "mse")
    assert describe(gauss, {})[0]["dropout"] == pytest.approx(0.3)


def test_label_smoothing_is_recorded_and_its_loss_floor_is_no_underfit(tmp_path, digits):
    """A seventh trial: CategoricalCrossentropy(label_smoothing=0.2) on digits, 99.7 % / 98.9 % right, its loss
    held near the smoothing's floor (0.87 for 10 classes), was underfitting, told to raise the learning rate. The
    callback records the smoothing; a classifier right on 90 % of its training data under it fits."""
    x, y, xv, yv = digits
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.Adam(3e-3), keras.losses.CategoricalCrossentropy(label_smoothing=0.2),
                  metrics=["accuracy"])
    cb = fitwatch.keras.Callback("smoothed", dir=tmp_path, diagnose="quiet")
    model.fit(x, keras.utils.to_categorical(y, 10), validation_data=(xv, keras.utils.to_categorical(yv, 10)),
              epochs=40, batch_size=32, verbose=0, callbacks=[cb])
    data = fitwatch.load("smoothed", dir=tmp_path)
    assert data.config["label_smoothing"] == pytest.approx(0.2)
    assert 0.9 <= data.history["accuracy"][-1] < 0.99 and min(data.history["loss"]) > 0.8, data.history
    assert cb.run.diagnosis_.verdict == "good_fit", cb.run.diagnosis_
    unsmoothed = fitwatch.diagnose(data.history)  # the same curves without the context: the loss looks stuck high
    assert unsmoothed.verdict == "underfitting", unsmoothed
