"""Early stopping in real training loops: Run.epochs(stop=, restore=, checkpoint=) with a real torch MLP,
fitwatch.keras.Callback(stop=...) and fitwatch.keras.EarlyStopping in real Keras fits, the record it leaves,
`fitwatch show` and the diagnosis."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import doctest
import math
import signal
import stat
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

import fitwatch
from conftest import run_python
from fitwatch.stopping import weights

N_TRAIN, N_VAL = 200, 500  # few training samples, a wide net, Adam: overfits in ~20 epochs


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype("float32")
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:N_TRAIN + N_VAL], y[N_TRAIN:N_TRAIN + N_VAL]


class MLP(torch.nn.Module):
    def __init__(self, hidden=256):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))

    def forward(self, x):
        return self.net(x)


class Trainer:
    """A plain PyTorch loop, one epoch per call, logging into a Run."""

    def __init__(self, digits, seed=0, lr=3e-3, model=None):
        torch.manual_seed(seed)
        x, y, xv, yv = digits
        self.x, self.y = torch.tensor(x), torch.tensor(y)
        self.xv, self.yv = torch.tensor(xv), torch.tensor(yv)
        self.model = model if model is not None else MLP()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.loss = torch.nn.CrossEntropyLoss()

    def epoch(self, run, nan_val=False):
        self.model.train()
        for i in range(0, len(self.x), 32):
            xb, yb = self.x[i:i + 32], self.y[i:i + 32]
            out = self.model(xb)
            loss = self.loss(out, yb)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            run.log("train", loss=loss, n=len(yb))
        run.log("val", loss=float("nan") if nan_val else self.val_loss(), n=len(self.yv))

    def val_loss(self, model=None) -> float:
        model = model or self.model
        model.eval()
        with torch.no_grad():
            return self.loss(model(self.xv), self.yv).item()


# -- torch: Run.epochs ----------------------------------------------------------------------------
def test_torch_loop_stops_early_and_the_model_leaves_with_its_best_weights(store_dir, digits):
    t = Trainer(digits)
    stopper = fitwatch.EarlyStopping()
    seen = []
    with fitwatch.Run("torch-stop", diagnose="quiet") as run:
        for epoch in run.epochs(200, stop=stopper, restore=t.model):
            seen.append(epoch)
            t.epoch(run)
        assert run.status == "running"  # the loop ended; the run is not finished until finish()/the block
    assert run.status == "stopped"
    assert stopper.stopped_epoch is not None and seen == list(range(stopper.stopped_epoch + 1))
    assert len(seen) < 200 and stopper.best_epoch < stopper.stopped_epoch

    data = fitwatch.load("torch-stop")
    assert data.status == "stopped" and data.epochs.tolist() == seen
    info = data.info["early_stopping"]
    assert info["stopped"] and info["restored"] and info["restored_epoch"] == stopper.best_epoch
    assert info["stopped_epoch"] == data.info["stopped_epoch"] == stopper.stopped_epoch
    assert info["reason"] == stopper.reason and info["criterion"] == "fitwatch" and info["epochs_planned"] == 200
    # the model's validation loss, recomputed now, is the stored one of the best epoch, not the last
    val = data.history["val_loss"]
    assert t.val_loss() == pytest.approx(val[stopper.best_epoch], rel=1e-5)
    assert val[-1] > val[stopper.best_epoch]
    assert info["best_value"] == pytest.approx(min(val), rel=1e-12)

    # the diagnosis: the overfitting, and that the stop caught it
    d = run.diagnosis_
    assert d.verdict == "overfitting" and d.onset_epoch is not None
    assert [f.code for f in d.findings][:2] == ["overfitting", "stopped_early"]
    caught = d.findings[1]
    assert caught.evidence["stopped_epoch"] == stopper.stopped_epoch
    assert caught.evidence["best_epoch"] == stopper.best_epoch
    assert caught.evidence["epochs_after_onset"] == stopper.stopped_epoch - d.onset_epoch
    assert caught.message.startswith(f"Early stopping ended training at epoch {stopper.stopped_epoch}, ")
    assert "the overfitting was caught" in caught.message
    assert not any(r.startswith("Stop early") for f in d.findings for r in f.remedies)  # it is done
    assert data.info["diagnosis"]["findings"][1]["code"] == "stopped_early"


def test_best_weights_restored_when_no_early_stop_happened(store_dir, digits):
    t = Trainer(digits)
    stopper = fitwatch.EarlyStopping(patience=1000)  # never stops in 40 epochs
    run = fitwatch.Run("torch-no-stop", diagnose="quiet")
    for epoch in run.epochs(40, stop=stopper, restore=t.model):
        t.epoch(run)
    run.finish()
    assert run.status == "finished" and stopper.stopped_epoch is None
    val = run.history["val_loss"]
    best = stopper.best_epoch
    assert best == int(np.argmin(val)) and best < 39 and val[-1] > val[best]  # it overfitted by the end
    assert t.val_loss() == pytest.approx(val[best], rel=1e-5)  # the best epoch's weights, not the last's
    info = fitwatch.load("torch-no-stop").info["early_stopping"]
    assert not info["stopped"] and info["restored"] and info["restored_epoch"] == best
    assert info["last_epoch"] == 39 and "stopped_epoch" not in fitwatch.load("torch-no-stop").info
    d = run.diagnosis_
    restored = next(f for f in d.findings if f.code == "best_restored")
    assert restored.message.startswith("Training ran to its last epoch (39) without an early stop")


def test_restore_alone_tracks_the_best_val_loss_and_break_restores_too(store_dir, digits):
    t = Trainer(digits)
    run = fitwatch.Run("restore-only", diagnose=False)
    for epoch in run.epochs(60, restore=t.model):  # no stop=: the best val_loss is kept, nothing stops
        t.epoch(run)
        if epoch == 35:
            break
    run.finish()
    val = run.history["val_loss"]
    assert run.status == "finished" and len(val) == 36
    assert t.val_loss() == pytest.approx(min(val), rel=1e-5)
    info = fitwatch.load("restore-only").info["early_stopping"]
    assert info["criterion"] is None and info["stopped"] is False and info["restored_epoch"] == int(np.argmin(val))


def test_nan_stops_the_loop_at_once(store_dir, digits):
    t = Trainer(digits)
    stopper = fitwatch.EarlyStopping()
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fitwatch.NonFiniteValue)
        with fitwatch.Run("nan-stop", diagnose="quiet") as run:
            for epoch in run.epochs(50, stop=stopper, restore=t.model):
                seen.append(epoch)
                t.epoch(run, nan_val=epoch == 4)
    assert seen == [0, 1, 2, 3, 4] and stopper.stopped_epoch == 4
    assert "NaN" in stopper.reason and run.status == "stopped"
    val = run.history["val_loss"]
    assert math.isnan(val[4]) and t.val_loss() == pytest.approx(min(val[:4]), rel=1e-5)
    data = fitwatch.load("nan-stop")
    assert "NaN" in data.info["early_stopping"]["reason"]
    codes = [f["code"] for f in data.info["diagnosis"]["findings"]]
    assert data.info["diagnosis"]["verdict"] == "diverged" and codes[1] == "stopped_early"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_cuda_model_is_kept_on_the_cpu_and_restored_onto_its_device(store_dir):
    model = torch.nn.Linear(4, 1).cuda()
    run = fitwatch.Run("cuda", diagnose=False)
    for epoch in run.epochs(6, stop=fitwatch.EarlyStopping(patience=10), restore=model):
        with torch.no_grad():
            model.bias.fill_(epoch)
        run.log_epoch(val_loss=[0.9, 0.5, 0.3, 0.4, 0.6, 0.7][epoch])
    run.finish()
    assert model.bias.device.type == "cuda" and model.bias.item() == 2.0
    kept = weights.snapshot(model)
    assert all(v.device.type == "cpu" for v in kept.values())


def test_checkpoint_file_holds_the_best_weights_and_no_temporary_file_is_left(store_dir, tmp_path, digits):
    t = Trainer(digits)
    folder = tmp_path / "ckpt"
    stopper = fitwatch.EarlyStopping()
    with fitwatch.Run("ckpt", diagnose=False) as run:
        for epoch in run.epochs(200, stop=stopper, restore=t.model, checkpoint=folder / "best.pt"):
            t.epoch(run)
    assert sorted(os.listdir(folder)) == ["best.pt"]  # the folder was created; no temporary file left
    fresh = MLP()
    fresh.load_state_dict(torch.load(folder / "best.pt"))
    assert t.val_loss(fresh) == pytest.approx(run.history["val_loss"][stopper.best_epoch], rel=1e-5)
    info = fitwatch.load("ckpt").info["early_stopping"]
    assert info["checkpoint"] == str(folder / "best.pt") and info["checkpoint_epoch"] == stopper.best_epoch


class Tagged(MLP):
    """An MLP whose state_dict carries extra state; set ``tag`` to something unpicklable to make saving fail."""

    def __init__(self):
        super().__init__()
        self.tag = "ok"

    def get_extra_state(self):
        return self.tag

    def set_extra_state(self, state):
        self.tag = state


def test_a_checkpoint_write_that_fails_leaves_the_previous_checkpoint_intact(store_dir, tmp_path, digits):
    model = Tagged()
    t = Trainer(digits, model=model)
    path = tmp_path / "ck" / "best.pt"
    stopper = fitwatch.EarlyStopping(patience=1000)
    with pytest.raises(Exception, match="pickle"):  # the serializer fails in the middle of torch.save
        with fitwatch.Run("ckpt-fail", diagnose=False) as run:
            for epoch in run.epochs(10, stop=stopper, restore=model, checkpoint=path):
                if epoch == 4:
                    good = torch.load(path, weights_only=False)  # epoch 3's weights: val_loss still falling
                    model.tag = lambda: None  # from now on, the state_dict cannot be pickled
                t.epoch(run)
    assert run.status == "failed" and fitwatch.load("ckpt-fail").status == "failed"
    assert epoch == 4 and stopper.best_epoch == 4  # the new best of epoch 4 could not be written
    assert os.listdir(path.parent) == ["best.pt"]  # the temporary file was removed
    kept = torch.load(path, weights_only=False)
    assert kept.keys() == good.keys() and all(torch.equal(kept[k], good[k]) for k in good if k != "_extra_state")
    fresh = Tagged()
    fresh.load_state_dict(kept)
    assert t.val_loss(fresh) == pytest.approx(run.history["val_loss"][3], rel=1e-5)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_leaves_the_previous_checkpoint_intact(store_dir, tmp_path):
    model = torch.nn.Linear(2, 1)
    folder = tmp_path / "ro"
    path = folder / "best.pt"
    weights.save_checkpoint(model, path, weights.snapshot(model))
    before = path.read_bytes()
    with torch.no_grad():
        model.weight.fill_(3.0)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(PermissionError):
            weights.save_checkpoint(model, path, weights.snapshot(model))
    finally:
        folder.chmod(stat.S_IRWXU)
    assert path.read_bytes() == before and os.listdir(folder) == ["best.pt"]


def test_stop_is_stored_when_it_happens_so_a_killed_process_keeps_it(store_dir):
    code = (
        "import os, signal, fitwatch\n"
        "run = fitwatch.Run('killed-after-stop', diagnose=False)\n"
        "vals = [1.0, 0.5, 0.4, 0.6, 0.7, 0.8, 0.9]\n"
        "for epoch in run.epochs(7, stop=fitwatch.EarlyStopping(patience=2)):\n"
        "    run.log_epoch(loss=1.0 / (epoch + 1), val_loss=vals[epoch])\n"
        "os.kill(os.getpid(), signal.SIGKILL)  # before finish()\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "FITWATCH_DIR": str(store_dir)})
    assert p.returncode == -signal.SIGKILL, p.stderr
    data = fitwatch.load("killed-after-stop", dir=store_dir)
    assert data.epochs.tolist() == [0, 1, 2, 3, 4]
    stop = data.info["early_stopping"]
    assert stop["stopped"] and stop["stopped_epoch"] == 4 and stop["best_epoch"] == 2
    assert data.info["stopped_epoch"] == 4


def test_the_core_imports_no_framework_for_a_stop_without_a_model(tmp_path):
    p = run_python(
        "import sys, tempfile, fitwatch\n"
        "with fitwatch.Run('light', dir=tempfile.mkdtemp(), diagnose=False) as run:\n"
        "    for epoch in run.epochs(10, stop=fitwatch.EarlyStopping(patience=1)):\n"
        "        run.log_epoch(val_loss=[1, 0.5, 0.6, 0.7][min(epoch, 3)])\n"
        "print(run.status, 'torch' in sys.modules, 'keras' in sys.modules)\n"
    )
    assert p.stdout.split() == ["stopped", "False", "False"]


def test_wrong_arguments_are_one_line_errors_naming_the_fix(store_dir):
    run = fitwatch.Run("bad-args", diagnose=False)
    model = torch.nn.Linear(1, 1)
    errors = []
    with pytest.raises(TypeError, match=r"stop=fitwatch.EarlyStopping\(\)") as e:
        next(iter(run.epochs(3, stop="val_loss")))
    errors.append(e.value)
    with pytest.raises(TypeError, match=r"restore= takes a torch.nn.Module or a Keras model.*restore=model") as e:
        next(iter(run.epochs(3, stop=fitwatch.EarlyStopping(), restore=model.state_dict())))
    errors.append(e.value)
    with pytest.raises(ValueError, match="pass restore=model too") as e:
        next(iter(run.epochs(3, stop=fitwatch.EarlyStopping(), checkpoint="best.pt")))
    errors.append(e.value)
    assert all("\n" not in str(err) for err in errors)
    run.finish()
    assert run.status == "finished"


def test_explicit_finish_status_wins_and_a_stopper_is_reused_afresh(store_dir):
    stopper = fitwatch.EarlyStopping(patience=1)
    for name in ("first", "second"):
        run = fitwatch.Run(name, diagnose=False)
        for epoch in run.epochs(10, stop=stopper):
            run.log_epoch(val_loss=[1.0, 0.5, 0.6, 0.7][min(epoch, 3)])
        assert stopper.stopped_epoch == 2
        run.finish("finished" if name == "second" else None)
    assert fitwatch.load("first").status == "stopped" and fitwatch.load("second").status == "finished"


# -- fitwatch show ----------------------------------------------------------------------------------
def test_show_prints_where_and_why_it_stopped_and_marks_the_rows(store_dir):
    from test_cli import cli, table_rows

    vals = [1.0, 0.6, 0.45, 0.4, 0.42, 0.47, 0.5, 0.55, 0.6, 0.7]
    run = fitwatch.Run("shown", diagnose=False)
    model = torch.nn.Linear(1, 1)
    for epoch in run.epochs(50, stop=fitwatch.EarlyStopping(patience=3), restore=model):
        run.log_epoch(loss=1.0 / (epoch + 1), val_loss=vals[epoch])
    run.finish()
    p = cli("show", "shown")
    assert p.returncode == 0, p.stderr
    assert ("Stopped early at epoch 6 (50 planned): val_loss has not improved by more than 0 for 3 epochs "
            "(patience=3). Best epoch 3 (val_loss 0.4), weights restored.") in p.stdout
    rows = table_rows(p.stdout)
    assert rows["3"][-3:] == ["<-", "best,", "restored"] and rows["6"][-2:] == ["<-", "stopped"]
    assert len(rows) == 7

    run = fitwatch.Run("ran-all", diagnose=False)
    for epoch in run.epochs(5, restore=model):
        run.log_epoch(loss=1.0 / (epoch + 1), val_loss=vals[epoch])
    run.finish()
    out = cli("show", "ran-all").stdout
    assert "Ran all 5 epochs without an early stop. Best epoch 3 (val_loss 0.4), weights restored." in out


def test_show_says_whose_best_when_the_stop_watched_another_curve(store_dir):
    from test_cli import cli, table_rows

    val_loss = [1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2]  # keeps falling
    val_acc = [0.5, 0.6, 0.7, 0.72, 0.71, 0.70, 0.70, 0.69]  # best at epoch 3
    run = fitwatch.Run("stop-acc", diagnose=False)
    for epoch in run.epochs(8, stop=fitwatch.EarlyStopping(monitor="val_accuracy", patience=3),
                            restore=torch.nn.Linear(1, 1)):
        run.log_epoch(loss=val_loss[epoch] * 0.9, val_loss=val_loss[epoch], val_accuracy=val_acc[epoch])
    run.finish()
    rows = table_rows(cli("show", "stop-acc").stdout)
    assert rows["3"][-4:] == ["<-", "restored", "(best", "val_accuracy)"]
    assert rows["6"][-5:] == ["<-", "best", "val_loss", "<-", "stopped"]


# -- the diagnosis, given the stop ---------------------------------------------------------------------
def test_diagnose_reports_a_stop_passed_in_and_one_that_did_not_restore():
    train = [2.1, 1.2, 0.80, 0.55, 0.40, 0.30, 0.22, 0.16, 0.12, 0.09, 0.07, 0.05]
    val = [2.0, 1.3, 0.95, 0.80, 0.74, 0.72, 0.73, 0.76, 0.80, 0.85, 0.91, 0.97]
    stopper = fitwatch.EarlyStopping(patience=6)
    for epoch, (a, b) in enumerate(zip(train, val)):
        if stopper.update(epoch, {"loss": a, "val_loss": b}):
            break
    d = fitwatch.diagnose({"loss": train, "val_loss": val}, stop=stopper)  # restored: not known
    assert d.verdict == "overfitting" and [f.code for f in d.findings][:2] == ["overfitting", "stopped_early"]
    assert d.findings[1].message == (f"Early stopping ended training at epoch 11, {11 - d.onset_epoch} epochs after "
                                     f"the overfitting onset at {d.onset_epoch}.")
    d = fitwatch.diagnose({"loss": train, "val_loss": val}, stop={**stopper.to_dict(), "restored": False})
    f = d.findings[1]
    assert "keeps the last epoch's weights, not the best epoch's (5)" in f.message
    assert f.remedies and "restore" in f.remedies[0].lower()
    plain = fitwatch.diagnose({"loss": train, "val_loss": val})
    assert "stopped_early" not in [f.code for f in plain.findings] and plain.findings[0].remedies[0].startswith("Stop")


# -- Keras ------------------------------------------------------------------------------------------------
def keras_model(lr=3e-3):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(256, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_keras_callback_stops_restores_records_and_checkpoints(tmp_path, digits):
    import fitwatch.keras

    x, y, xv, yv = digits
    model = keras_model()
    stopper = fitwatch.EarlyStopping()
    path = tmp_path / "ck" / "best.weights.h5"
    cb = fitwatch.keras.Callback("keras-stop", dir=tmp_path, stop=stopper, checkpoint=path, diagnose="quiet")
    h = model.fit(x, y, validation_data=(xv, yv), epochs=200, batch_size=32, verbose=0, callbacks=[cb])
    n = len(h.history["loss"])
    assert n < 200 and stopper.stopped_epoch == n - 1 and model.stop_training
    best = stopper.best_epoch
    assert best == int(np.argmin(h.history["val_loss"])) < n - 1
    # the model holds the best epoch's weights: its validation loss is that epoch's
    assert model.evaluate(xv, yv, batch_size=32, verbose=0)[0] == pytest.approx(h.history["val_loss"][best], rel=1e-5)
    data = fitwatch.load("keras-stop", dir=tmp_path)
    assert data.status == "stopped" and data.info["stopped_epoch"] == stopper.stopped_epoch
    info = data.info["early_stopping"]
    assert info["stopped"] and info["restored"] and info["restored_epoch"] == best and info["epochs_planned"] == 200
    assert info["checkpoint"] == str(path) and info["checkpoint_epoch"] == best
    assert data.info["diagnosis"]["findings"][1]["code"] == "stopped_early"
    # the checkpoint loads into a fresh model with the best validation loss; nothing else left beside it
    assert os.listdir(path.parent) == ["best.weights.h5"]
    fresh = keras_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fresh optimizer has no variables to load yet
        fresh.load_weights(path)
    assert fresh.evaluate(xv, yv, batch_size=32, verbose=0)[0] == pytest.approx(h.history["val_loss"][best], rel=1e-5)


def test_keras_callback_without_stop_changes_nothing_and_restore_false_keeps_the_last(tmp_path, digits):
    import fitwatch.keras

    x, y, xv, yv = digits
    model = keras_model()
    stopper = fitwatch.EarlyStopping(patience=2)
    cb = fitwatch.keras.Callback("keras-last", dir=tmp_path, stop=stopper, restore=False, diagnose=False)
    h = model.fit(x, y, validation_data=(xv, yv), epochs=200, batch_size=32, verbose=0, callbacks=[cb])
    assert stopper.stopped_epoch == len(h.history["loss"]) - 1
    assert model.evaluate(xv, yv, batch_size=32, verbose=0)[0] == pytest.approx(h.history["val_loss"][-1], rel=1e-5)
    info = fitwatch.load("keras-last", dir=tmp_path).info["early_stopping"]
    assert info["stopped"] and not info["restored"]
    out = subprocess.run([sys.executable, "-m", "fitwatch", "show", "keras-last", "--dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=60).stdout
    assert "the model kept the last epoch's weights" in out

    bad = fitwatch.keras.Callback("keras-bad", dir=tmp_path, stop=stopper, checkpoint=tmp_path / "best.pt")
    with pytest.raises(ValueError, match=r"checkpoint=.*best\.pt.*\*\.weights\.h5.*checkpoint='best\.weights\.h5'"):
        keras_model().fit(x, y, epochs=1, verbose=0, callbacks=[bad])
    assert bad.run is None  # refused before a run was created

    plain = fitwatch.keras.Callback("keras-plain", dir=tmp_path, diagnose=False)
    keras_model().fit(x, y, validation_data=(xv, yv), epochs=2, verbose=0, callbacks=[plain])
    assert "early_stopping" not in fitwatch.load("keras-plain", dir=tmp_path).info


def test_keras_early_stopping_callback_without_recording(tmp_path, digits, monkeypatch):
    import keras

    import fitwatch.keras

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FITWATCH_DIR", raising=False)
    x, y, xv, yv = digits
    model = keras_model()
    es = fitwatch.keras.EarlyStopping(patience=3)
    assert isinstance(es, keras.callbacks.Callback) and fitwatch.keras.EarlyStopping.__module__.startswith("fitwatch")
    h = model.fit(x, y, validation_data=(xv, yv), epochs=200, batch_size=32, verbose=0, callbacks=[es])
    assert es.stopped_epoch == len(h.history["loss"]) - 1 < 199 and es.restored
    assert es.best_epoch == int(np.argmin(h.history["val_loss"])) and es.best_value == min(h.history["val_loss"])
    assert model.evaluate(xv, yv, batch_size=32, verbose=0)[0] == pytest.approx(h.history["val_loss"][es.best_epoch],
                                                                                rel=1e-5)
    assert "patience=3" in es.reason and not (tmp_path / "fitwatch").exists()  # nothing recorded
    d = fitwatch.diagnose(h, stop=es)
    assert "stopped_early" in [f.code for f in d.findings]
    with pytest.raises(ValueError, match=r"\.weights\.h5.*checkpoint='best\.weights\.h5'"):
        keras_model().fit(x, y, epochs=1, verbose=0, callbacks=[fitwatch.keras.EarlyStopping(checkpoint="best.h5")])


def test_keras_early_stopping_docstring_example():
    from fitwatch.integrations import keras as integration

    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(integration.EarlyStopping, "EarlyStopping", globs={}):
        runner.run(test)
    assert runner.failures == 0 and runner.tries >= 5


def test_a_stop_on_another_curve_is_not_said_to_catch_the_overfitting():
    """A stop that watched another metric (e.g. LightGBM on val_auc) and restored an epoch long after the
    diagnosed curve's overfitting onset did not catch it, and the finding says so (a new user's trial)."""
    val = list(np.r_[np.linspace(1, 0.5, 10), np.linspace(0.5, 1, 20)])
    history = {"loss": list(np.linspace(1, 0.1, 30)), "val_loss": val}
    late = {"monitor": "val_auc", "stopped": True, "stopped_epoch": 29, "best_epoch": 25, "restored": True,
            "restored_epoch": 25}
    d = fitwatch.diagnose(history, stop=late)
    [f] = [f for f in d.findings if f.code == "stopped_early"]
    assert d.verdict == "overfitting" and "caught" not in f.message and "the stop watched val_auc" in f.message
    early = {**late, "monitor": "val_loss", "stopped_epoch": 14, "best_epoch": 9, "restored_epoch": 9}
    d = fitwatch.diagnose({k: v[:15] for k, v in history.items()}, stop=early)
    assert "the overfitting was caught" in [f for f in d.findings if f.code == "stopped_early"][0].message
