"""Early stopping that survives a restart: EarlyStopping.state_dict()/load_state_dict() equal to never
stopping, the state stored with the run at every epoch, and real training processes killed with SIGKILL
and resumed with ``Run(name, resume=True)`` / ``fitwatch.keras.Callback(resume=True)`` stopping at the
epoch an uninterrupted run stops at."""

import copy
import json
import math
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch

import fitwatch
from conftest import ROOT

# -- state_dict round trip: stopping, saving, loading into a fresh rule = never stopping ---------------
CONFIGS = [
    dict(patience=3),
    dict(patience=6, min_delta=0.002),
    dict(patience=4, baseline=0.9),
    dict(),  # the fitwatch default
    dict(min_delta="0.5%"),
    dict(monitor="val_accuracy"),  # the default in max mode
    dict(start_from_epoch=4),
    dict(criterion="GL2"),
    dict(criterion="GL5", monitor="val_accuracy"),
    dict(criterion="PQ0.5"),
    dict(criterion="PQ2", strip=3),
    dict(criterion="UP2", strip=3),
    dict(criterion="UP1", strip=5),
]


def random_curve(rng, n):
    """Keras-style logs of a noisy training run: a falling training loss, a validation loss that
    falls then (sometimes) rises, spikes, and now and then a NaN."""
    level, tau, rise = rng.uniform(0.2, 3.0), rng.uniform(2, 30), rng.choice([0.0, 0.002, 0.02])
    noise = rng.choice([0.0, 0.001, 0.01, 0.05])
    out = []
    for e in range(n):
        loss = level * (0.2 + math.exp(-e / tau)) * (1 + rng.normal(0, noise))
        val = level * (0.3 + math.exp(-e / tau) + rise * max(0, e - tau)) * (1 + rng.normal(0, noise))
        if rng.random() < 0.03:
            val *= rng.uniform(1.5, 4)  # a spike
        if rng.random() < 0.004:
            val = float("nan")
        out.append({"loss": loss, "val_loss": val, "accuracy": 1 / (1 + loss), "val_accuracy": 1 / (1 + val)})
    return out


def replay(stopper, curve, start=0, end=None):
    """(epoch, answer) of every update from ``start`` to ``end`` (exclusive); stops after True."""
    answers = []
    for epoch in range(start, len(curve) if end is None else end):
        answers.append((epoch, stopper.update(epoch, curve[epoch])))
        if answers[-1][1]:
            break
    return answers


@pytest.mark.parametrize("kw", CONFIGS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "default")
def test_state_dict_round_trip_equals_never_stopping(kw):
    rng = np.random.default_rng(abs(hash(json.dumps(kw, sort_keys=True))) % 2**32)
    stops = 0
    for trial in range(120):
        curve = random_curve(rng, int(rng.integers(1, 90)))
        whole = fitwatch.EarlyStopping(**kw)
        expected = replay(whole, curve)
        k = int(rng.integers(0, len(curve) + 1))  # the restart: after epoch k - 1
        first = fitwatch.EarlyStopping(**kw)
        got = replay(first, curve, 0, k)
        state = json.loads(json.dumps(first.state_dict(), allow_nan=False))  # strict JSON
        again = fitwatch.EarlyStopping(**kw)
        again.load_state_dict(state)
        if got and got[-1][1]:  # it stopped before the restart: a loaded rule keeps answering stop
            assert again.state_dict() == whole.state_dict(), (kw, trial, k)
            assert fitwatch.EarlyStopping(**kw).load_state_dict(state) is None
            assert again.update(k, curve[min(k, len(curve) - 1)]) is True
            again.improved = whole.improved  # update() after a stop says "not improved"
        else:
            got += replay(again, curve, k)
        assert got == expected, (kw, trial, k)
        for attr in ("stopped_epoch", "best_epoch", "best_value", "reason", "wait"):
            assert getattr(again, attr) == getattr(whole, attr), (attr, kw, trial, k)
        assert again.state_dict() == whole.state_dict(), (kw, trial, k)
        stops += whole.stopped_epoch is not None
    assert stops >= 10  # the sequences do stop: the comparison covers the stop epochs


def test_the_state_is_plain_json_and_says_what_it_is():
    stopper = fitwatch.EarlyStopping(criterion="PQ1", strip=2)
    stopper.update(0, {"loss": float("nan"), "val_loss": 1.0})  # a NaN training loss is part of PQ's strip
    state = stopper.state_dict()
    text = json.dumps(state, allow_nan=False)
    assert state["version"] == 1 and state["kind"] == "fitwatch.EarlyStopping"
    assert state["rule"] == {"monitor": "val_loss", "mode": "min", "criterion": "PQ", "strip": 2}
    assert state["criterion_state"]["strip_train"] == ["nan"] and state["last_epoch"] == 0
    again = fitwatch.EarlyStopping(criterion="PQ1", strip=2)
    again.load_state_dict(json.loads(text))
    assert again.state_dict() == state and math.isnan(again.update(1, {"loss": 1.0, "val_loss": 0.9}) or float("nan"))
    fresh = fitwatch.EarlyStopping().state_dict()  # before any update: the parameters are checked, nothing seen
    assert fresh["best_epoch"] is None and fresh["monitored"] == 0 and fresh["criterion_state"]["first_epoch"] is None


def _state(**kw):
    s = fitwatch.EarlyStopping(**kw)
    for e, v in enumerate([1.0, 0.8, 0.85]):
        s.update(e, {"loss": 1.0, "val_loss": v, "val_accuracy": 1 - v})
    return s.state_dict()


@pytest.mark.parametrize("state, kw, match", [
    ("not a state", {}, r"expected the dict that EarlyStopping.state_dict\(\) returns, got str"),
    ({"kind": "keras.EarlyStopping"}, {}, r"got a dict of kind 'keras.EarlyStopping'"),
    ({**_state(), "version": 2}, {}, r"version 2; this fitwatch reads version 1: upgrade fitwatch"),
    ({**_state(), "version": None}, {}, r"version None; .*start the rule afresh"),
    (_state(), {"monitor": "val_accuracy"}, r"watching 'val_loss' \(min\) .* watches 'val_accuracy' \(max\)"),
    (_state(), {"patience": 3}, r"criterion fitwatch, this one watches 'val_loss' \(min\) with criterion patience"),
    (_state(criterion="UP2", strip=3), {"criterion": "UP2", "strip": 5}, r"\(strip 3\).*\(strip 5\)"),
    (_state(mode="max"), {}, r"\(max\).*\(min\)"),
    ({k: v for k, v in _state().items() if k != "wait"}, {}, r"the state is damaged \(KeyError: 'wait'\)"),
    ({**_state(), "best_epoch": "one"}, {}, r"the state is damaged \(TypeError"),
    ({**_state(), "criterion_state": None}, {}, r"the state is damaged"),
])
def test_a_wrong_state_is_refused_with_the_fix_and_the_rule_is_unchanged(state, kw, match):
    stopper = fitwatch.EarlyStopping(**kw)
    stopper.update(0, {"loss": 1.0, "val_loss": 0.5, "val_accuracy": 0.5})
    before = stopper.state_dict()
    with pytest.raises(ValueError, match=match) as e:
        stopper.load_state_dict(state)
    assert "\n" not in str(e.value) and str(e.value).startswith("EarlyStopping.load_state_dict: ")
    assert stopper.state_dict() == before


def test_other_parameters_may_change_with_the_state():
    state = _state(patience=2)  # best 0.8 at epoch 1, waited 1
    longer = fitwatch.EarlyStopping(patience=5)
    longer.load_state_dict(state)
    assert longer.wait == 1 and longer.best_epoch == 1
    assert [longer.update(e, {"val_loss": 0.9}) for e in range(3, 7)] == [False, False, False, True]
    assert longer.stopped_epoch == 6 and "patience=5" in longer.reason


# -- the state stored with the run ----------------------------------------------------------------------
VALS = [1.0, 0.8, 0.7, 0.72, 0.69, 0.71, 0.73, 0.74, 0.76, 0.8, 0.85, 0.9]


def loop(run, stopper, vals=VALS, until=None, **kw):
    for epoch in run.epochs(len(vals), stop=stopper, **kw):
        if epoch == until:
            break
        run.log_epoch(loss=1.0 / (epoch + 1), val_loss=vals[epoch])
        yield epoch


def test_the_state_is_stored_at_every_epoch_end_and_a_resumed_run_goes_on_from_it(store_dir):
    whole = fitwatch.EarlyStopping(patience=3)
    with fitwatch.Run("whole", diagnose=False) as run:
        list(loop(run, whole))
    assert whole.stopped_epoch == 7 and whole.best_epoch == 4

    run = fitwatch.Run("cut", diagnose=False)
    stored = []
    for epoch in loop(run, fitwatch.EarlyStopping(patience=3), until=6):
        stored.append(copy.deepcopy(fitwatch.load("cut").info.get("early_stopping_state")))
    run.finish()
    # each epoch's state is in the store before the next epoch begins
    assert [None if s is None else s["last_epoch"] for s in stored] == [None, 0, 1, 2, 3, 4]
    assert fitwatch.load("cut").info["early_stopping_state"]["rule"]["wait"] == 1

    again = fitwatch.Run("cut", resume=True, diagnose=False)
    fresh = fitwatch.EarlyStopping(patience=3)  # a new process knows nothing; the run does
    epochs = list(loop(again, fresh))
    again.finish()
    assert epochs == [6, 7] and fresh.stopped_epoch == 7 and fresh.best_epoch == 4 and fresh.wait == 3
    data = fitwatch.load("cut")
    assert data.status == "stopped" and data.info["stopped_epoch"] == 7
    assert data.info["early_stopping"]["best_epoch"] == 4 and data.info["early_stopping"]["resumed_at"] == 6


def test_epochs_stored_after_the_state_are_replayed_into_the_rule(store_dir):
    # a process killed between writing epoch 5 and writing the rule's state after it: the state says 4
    run = fitwatch.Run("gap", diagnose=False)
    states = {}
    for epoch in loop(run, fitwatch.EarlyStopping(patience=3), until=6):
        states[epoch] = copy.deepcopy(run.info.get("early_stopping_state"))
    run.finish()
    info = fitwatch.load("gap").info
    assert info["early_stopping_state"]["last_epoch"] == 5 and states[5]["last_epoch"] == 4
    run.store.update_run(run.id, info={**info, "early_stopping_state": states[5]})

    fresh = fitwatch.EarlyStopping(patience=3)
    again = fitwatch.Run("gap", resume=True, diagnose=False)
    assert list(loop(again, fresh)) == [6, 7] and fresh.stopped_epoch == 7 and fresh.best_epoch == 4
    again.finish()


def test_a_stopped_run_resumed_goes_on_past_its_stop_with_its_patience_where_it_was(store_dir):
    with fitwatch.Run("stopped", diagnose=False) as run:
        list(loop(run, fitwatch.EarlyStopping(patience=3)))
    assert fitwatch.load("stopped").status == "stopped"
    again = fitwatch.Run("stopped", resume=True, diagnose=False)
    longer = fitwatch.EarlyStopping(patience=5)  # waited 3 epochs: 2 more
    assert list(loop(again, longer)) == [8, 9] and longer.stopped_epoch == 9 and longer.best_epoch == 4
    again.finish()
    assert fitwatch.load("stopped").info["stopped_epoch"] == 9


def test_a_rule_that_does_not_fit_the_stored_state_starts_afresh_with_a_warning(store_dir):
    run = fitwatch.Run("other-rule", diagnose=False)
    list(loop(run, fitwatch.EarlyStopping(patience=3), until=6))
    run.finish()
    again = fitwatch.Run("other-rule", resume=True, diagnose=False)
    gl = fitwatch.EarlyStopping(criterion="GL1")
    with pytest.warns(UserWarning, match=r"stored early-stopping state does not fit this rule .*starts afresh"):
        list(loop(again, gl))
    again.finish()
    assert gl.best_epoch == 6  # its first epoch: it knew nothing before


# -- the best weights after a restart ----------------------------------------------------------------
def bias_loop(run, model, stopper, vals, until=None, **kw):
    """A torch 'training' whose weights are the epoch's number: the restored bias says which epoch."""
    for epoch in run.epochs(len(vals), stop=stopper, restore=model, **kw):
        if epoch == until:
            break
        with torch.no_grad():
            model.bias.fill_(float(epoch))
        run.log_epoch(val_loss=vals[epoch])


def test_without_a_checkpoint_the_best_of_this_session_is_restored_and_the_record_says_so(store_dir):
    vals = [1.0, 0.8, 0.7, 0.75, 0.76, 0.74, 0.78, 0.8, 0.9, 1.0]  # best 2; after the restart, 5 is the best
    run = fitwatch.Run("session-best", diagnose=False)
    bias_loop(run, torch.nn.Linear(1, 1), fitwatch.EarlyStopping(patience=5), vals, until=4)
    run.finish()
    model = torch.nn.Linear(1, 1)  # a new process: the weights of epoch 2 are gone
    again = fitwatch.Run("session-best", resume=True, diagnose=False)
    stopper = fitwatch.EarlyStopping(patience=5)
    bias_loop(again, model, stopper, vals)
    again.finish()
    assert stopper.stopped_epoch == 7 and stopper.best_epoch == 2
    assert model.bias.item() == 5.0  # the best since the resume
    stop = fitwatch.load("session-best").info["early_stopping"]
    assert stop["restored"] and stop["restored_epoch"] == 5 and stop["best_epoch"] == 2
    assert stop["restored_best_of"] == "session" and stop["resumed_at"] == 4
    assert "the best epoch, 2, was trained before the run was resumed at epoch 4" in stop["note"]
    # what people read: the table's stop line and the diagnosis name the restored epoch for what it is
    from fitwatch.show.tables import stop_line

    data = fitwatch.load("session-best")
    line = stop_line(data).plain
    assert "Best epoch 2 (val_loss 0.7); weights restored from epoch 5, the best since the run was resumed" in line
    finding = next(f for f in fitwatch.diagnose(data).findings if f.code == "stopped_early")
    assert "the weights of epoch 5, the best since the run was resumed, were restored" in finding.message
    assert finding.evidence["best_epoch"] == 2 and finding.evidence["restored_epoch"] == 5


def test_a_later_epoch_that_beats_the_earlier_best_is_the_best(store_dir):
    vals = [1.0, 0.8, 0.7, 0.75, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9]
    run = fitwatch.Run("beaten", diagnose=False)
    bias_loop(run, torch.nn.Linear(1, 1), fitwatch.EarlyStopping(patience=3), vals, until=3)
    run.finish()
    model = torch.nn.Linear(1, 1)
    again = fitwatch.Run("beaten", resume=True, diagnose=False)
    bias_loop(again, model, fitwatch.EarlyStopping(patience=3), vals)
    again.finish()
    stop = fitwatch.load("beaten").info["early_stopping"]
    assert model.bias.item() == 4.0 and stop["restored_epoch"] == stop["best_epoch"] == 4
    assert stop["restored_best_of"] == "run" and "note" not in stop


def test_with_the_checkpoint_the_best_comes_back_from_the_file(store_dir, tmp_path):
    vals = [1.0, 0.8, 0.7, 0.75, 0.76, 0.74, 0.78, 0.8, 0.9, 1.0]
    path = tmp_path / "best.pt"
    run = fitwatch.Run("from-file", diagnose=False)
    bias_loop(run, torch.nn.Linear(1, 1), fitwatch.EarlyStopping(patience=5), vals, until=4, checkpoint=path)
    run.finish()
    model = torch.nn.Linear(1, 1)
    again = fitwatch.Run("from-file", resume=True, diagnose=False)
    bias_loop(again, model, fitwatch.EarlyStopping(patience=5), vals, checkpoint=path)
    again.finish()
    assert model.bias.item() == 2.0  # epoch 2's weights, read back from the checkpoint
    stop = fitwatch.load("from-file").info["early_stopping"]
    assert stop["restored_epoch"] == stop["best_epoch"] == stop["checkpoint_epoch"] == 2
    assert stop["restored_best_of"] == "run"

    # a checkpoint file changed since (another run wrote it): not trusted, the session's best instead
    run = fitwatch.Run("file-changed", diagnose=False)
    bias_loop(run, torch.nn.Linear(1, 1), fitwatch.EarlyStopping(patience=5), vals, until=4, checkpoint=path)
    run.finish()
    torch.save(torch.nn.Linear(1, 1).state_dict(), path)
    model = torch.nn.Linear(1, 1)
    again = fitwatch.Run("file-changed", resume=True, diagnose=False)
    bias_loop(again, model, fitwatch.EarlyStopping(patience=5), vals, checkpoint=path)
    again.finish()
    assert model.bias.item() == 5.0
    assert fitwatch.load("file-changed").info["early_stopping"]["restored_best_of"] == "session"


# -- real training processes, killed and resumed ------------------------------------------------------
TORCH_CHILD = r"""
import json, os, signal, sys
import torch, fitwatch
from sklearn.datasets import load_digits

mode, name, work, kill_at, use_checkpoint = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1"
torch.set_num_threads(1)
x, y = load_digits(return_X_y=True)
x, y = torch.tensor(x / 16.0, dtype=torch.float32), torch.tensor(y)
xt, yt, xv, yv = x[:200], y[:200], x[200:700], y[200:700]
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
loss_fn = torch.nn.CrossEntropyLoss()
state_file = os.path.join(work, name + ".train.pt")
if mode == "resume":  # the user's own training checkpoint, written at the end of every epoch
    saved = torch.load(state_file)
    model.load_state_dict(saved["model"])
    opt.load_state_dict(saved["opt"])
run = fitwatch.Run(name, dir=os.path.join(work, "store"), resume=mode == "resume", diagnose=False)
stopper = fitwatch.EarlyStopping()
checkpoint = os.path.join(work, name + ".best.pt") if use_checkpoint else None
for epoch in run.epochs(200, stop=stopper, restore=model, checkpoint=checkpoint):
    model.train()
    for i in range(0, len(xt), 32):
        if epoch == kill_at and i == 64:
            os.kill(os.getpid(), signal.SIGKILL)  # in the middle of an epoch
        out = model(xt[i:i + 32])
        loss = loss_fn(out, yt[i:i + 32])
        opt.zero_grad()
        loss.backward()
        opt.step()
        run.log("train", loss=loss, n=len(out))
    model.eval()
    with torch.no_grad():
        run.log("val", loss=loss_fn(model(xv), yv), n=len(xv))
    torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, state_file + ".tmp")
    os.replace(state_file + ".tmp", state_file)
run.finish()
with torch.no_grad():
    final = loss_fn(model(xv), yv).item()
print(json.dumps({"stopped": stopper.stopped_epoch, "best": stopper.best_epoch, "final_val_loss": final}))
"""


def child(code, *args, kill=False, timeout=180):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "KERAS_BACKEND": "torch", "PYTHONPATH": str(ROOT / "tests")}
    p = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, env=env,
                       timeout=timeout)
    if kill:
        assert p.returncode == -signal.SIGKILL, p.stderr[-3000:]
        return None
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("use_checkpoint", [False, True], ids=["no-checkpoint", "checkpoint"])
def test_a_torch_loop_killed_and_resumed_stops_where_an_uninterrupted_one_stops(tmp_path, use_checkpoint):
    whole = child(TORCH_CHILD, "run", "whole", tmp_path, -1, int(use_checkpoint))
    reference = fitwatch.load("whole", dir=tmp_path / "store")
    stopped, best = whole["stopped"], whole["best"]
    assert stopped is not None and best + 3 < stopped < 199
    kill_at = best + 2  # the rule has waited 1 epoch since its best: a fresh rule would wait 5 more

    child(TORCH_CHILD, "run", "killed", tmp_path, kill_at, int(use_checkpoint), kill=True)
    data = fitwatch.load("killed", dir=tmp_path / "store")
    assert data.epochs.tolist() == list(range(kill_at))
    state = data.info["early_stopping_state"]
    assert state["last_epoch"] == kill_at - 1 and state["rule"]["best_epoch"] == best and state["rule"]["wait"] == 1

    resumed = child(TORCH_CHILD, "resume", "killed", tmp_path, -1, int(use_checkpoint))
    assert (resumed["stopped"], resumed["best"]) == (stopped, best)
    data = fitwatch.load("killed", dir=tmp_path / "store")
    assert data.status == "stopped" and data.epochs.tolist() == reference.epochs.tolist()
    assert data.history["val_loss"] == reference.history["val_loss"]  # the same training, epoch for epoch
    stop = data.info["early_stopping"]
    assert stop["stopped_epoch"] == stopped and stop["best_epoch"] == best and stop["resumed_at"] == kill_at
    val = reference.history["val_loss"]
    if use_checkpoint:  # the best epoch's weights, from the file
        assert stop["restored_best_of"] == "run" and stop["restored_epoch"] == best
        assert resumed["final_val_loss"] == pytest.approx(val[best], rel=1e-5)
        assert whole["final_val_loss"] == pytest.approx(val[best], rel=1e-5)
    else:  # the best since the resume, and the record says so
        session_best = kill_at + int(np.argmin(val[kill_at:stopped + 1]))
        assert stop["restored_best_of"] == "session" and stop["restored_epoch"] == session_best
        assert resumed["final_val_loss"] == pytest.approx(val[session_best], rel=1e-5)


KERAS_CHILD = r"""
import json, os, signal, sys
import numpy as np, keras, fitwatch, fitwatch.keras

mode, name, work, kill_at = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rng = np.random.default_rng(0)
x = rng.normal(size=(160, 8)).astype("float32")
y = (x @ rng.normal(size=(8, 1)) + 0.8 * rng.normal(size=(160, 1))).astype("float32")
xt, yt, xv, yv = x[:64], y[:64], x[64:], y[64:]
keras.utils.set_random_seed(0)
model_file = os.path.join(work, name + ".keras")
if mode == "resume":
    model = keras.models.load_model(model_file)
else:
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(1e-2), "mse")

class SaveAndKill(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == kill_at and batch == 1:
            os.kill(os.getpid(), signal.SIGKILL)
    def on_epoch_end(self, epoch, logs=None):
        model.save(model_file)  # the user's own training checkpoint

store = os.path.join(work, "store")
initial = len(fitwatch.load(name, dir=store).epochs) if mode == "resume" else 0
stopper = fitwatch.EarlyStopping()
cb = fitwatch.keras.Callback(name, dir=store, resume=mode == "resume", stop=stopper, diagnose=False)
model.fit(xt, yt, validation_data=(xv, yv), epochs=150, initial_epoch=initial, batch_size=16, shuffle=False,
          verbose=0, callbacks=[cb, SaveAndKill()])
print(json.dumps({"stopped": stopper.stopped_epoch, "best": stopper.best_epoch}))
"""


def test_a_keras_fit_killed_and_resumed_stops_where_an_uninterrupted_one_stops(tmp_path):
    whole = child(KERAS_CHILD, "run", "whole", tmp_path, -1)
    stopped, best = whole["stopped"], whole["best"]
    assert stopped is not None and best + 3 < stopped < 149
    kill_at = best + 2

    child(KERAS_CHILD, "run", "killed", tmp_path, kill_at, kill=True)
    data = fitwatch.load("killed", dir=tmp_path / "store")
    assert data.epochs.tolist() == list(range(kill_at))
    assert data.info["early_stopping_state"]["last_epoch"] == kill_at - 1

    resumed = child(KERAS_CHILD, "resume", "killed", tmp_path, -1)
    assert (resumed["stopped"], resumed["best"]) == (stopped, best)
    data, reference = (fitwatch.load(n, dir=tmp_path / "store") for n in ("killed", "whole"))
    assert data.status == "stopped" and data.info["stopped_epoch"] == stopped
    assert data.epochs.tolist() == reference.epochs.tolist()
    np.testing.assert_allclose(data.history["val_loss"], reference.history["val_loss"], rtol=1e-6)
    assert data.info["early_stopping"]["resumed_at"] == kill_at


def test_a_run_stored_without_a_rule_state_is_replayed_whole_into_the_rule(store_dir):
    """A run recorded without early stopping (or by fitwatch 0.1.0, which stored no state), resumed
    with a rule: every stored epoch is fed to the rule first, so it stops where a rule that had been
    there from the start would have."""
    vals = [1.0, 0.8, 0.7, 0.75, 0.76, 0.74, 0.78, 0.8, 0.9, 1.0]
    whole = fitwatch.EarlyStopping(patience=3)
    bias_loop(fitwatch.Run("whole", diagnose=False), torch.nn.Linear(1, 1), whole, vals)
    first = fitwatch.Run("no-state", diagnose=False)
    for epoch in first.epochs(4):  # no stop= rule: nothing but the values is stored
        first.log_epoch(val_loss=vals[epoch])
    first.finish()
    again = fitwatch.Run("no-state", resume=True, diagnose=False)
    stopper = fitwatch.EarlyStopping(patience=3)
    bias_loop(again, torch.nn.Linear(1, 1), stopper, vals)
    again.finish()
    assert (stopper.stopped_epoch, stopper.best_epoch) == (whole.stopped_epoch, whole.best_epoch) == (5, 2)
    stop = fitwatch.load("no-state").info["early_stopping"]
    assert stop["restored_best_of"] == "session" and stop["best_epoch"] == 2  # epoch 2's weights were never kept


def test_a_keras_callback_resumed_over_two_fits_keeps_the_first_fits_best_weights(store_dir):
    """One ``Callback(resume=True, stop=...)`` over two fit() calls in one process: the best epoch of
    the first fit is still in memory, so it is what the second restores, not 'the session's best'."""
    import keras

    import fitwatch.keras

    keras.utils.set_random_seed(0)
    x = np.linspace(-1, 1, 64, dtype="float32").reshape(-1, 1)
    y = 3 * x + 0.1
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.0), "mse")  # the weights stay what `marks` sets: the epoch's number
    marks = keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: model.layers[0].bias.assign([float(e)]))
    vals = iter([1.0, 0.8, 0.7, 0.75, 0.76, 0.74, 0.78, 0.8, 0.9, 1.0])
    fake = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: logs.update(val_loss=next(vals)))
    stopper = fitwatch.EarlyStopping(patience=5)
    cb = fitwatch.keras.Callback("keras-twice", resume=True, stop=stopper, diagnose=False)
    model.fit(x, y, epochs=4, verbose=0, callbacks=[marks, fake, cb])  # best epoch 2, not stopped
    model.fit(x, y, initial_epoch=4, epochs=10, verbose=0, callbacks=[marks, fake, cb])
    assert stopper.stopped_epoch == 7 and stopper.best_epoch == 2
    stop = fitwatch.load("keras-twice").info["early_stopping"]
    assert stop["restored"] and stop["restored_epoch"] == 2 and stop["restored_best_of"] == "run"
    assert float(keras.ops.convert_to_numpy(model.layers[0].bias)[0]) == pytest.approx(2.0)


def test_a_rule_pickled_mid_run_by_fitwatch_0_1_0_goes_on_exactly_where_it_was():
    """tests/data/pickles/early_stopping_v0.1.0.pkl: six rules (the default, patience, GL, PQ, UP,
    a relative min_delta) pickled after 12 epochs by 0.1.0 (its make_ script beside it). Unpickled
    today, they decide as a rule fed the whole curve does, and give a state_dict."""
    import pickle

    from conftest import ROOT

    cases = pickle.loads((ROOT / "tests/data/pickles/early_stopping_v0.1.0.pkl").read_bytes())
    assert len(cases) == 12
    for spec, vals, blob in cases:
        old, whole = pickle.loads(blob), fitwatch.EarlyStopping(**spec)
        assert type(old) is fitwatch.EarlyStopping
        for e, v in enumerate(vals):
            if whole.update(e, {"loss": v * 0.8, "val_loss": v}):
                break
        for e in range(12, len(vals)):
            if old.stopped_epoch is not None or old.update(e, {"loss": vals[e] * 0.8, "val_loss": vals[e]}):
                break
        assert (old.stopped_epoch, old.best_epoch, old.best_value) == \
               (whole.stopped_epoch, whole.best_epoch, whole.best_value), spec
        assert old.state_dict()["rule"]["criterion"] == whole.state_dict()["rule"]["criterion"]
