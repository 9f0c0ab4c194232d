"""fitwatch.lightning on real PyTorch Lightning fits (CPU): the store holds what Lightning logged, on the
right axis, and the early stop is the one the rule says, with the best weights back."""

import argparse
import csv
import doctest
import os
import signal
import subprocess
import sys
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

pl = pytest.importorskip("lightning.pytorch")
torch = pytest.importorskip("torch")

from lightning.pytorch.loggers import CSVLogger  # noqa: E402
from lightning.pytorch.utilities.rank_zero import rank_zero_only  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

import fitwatch  # noqa: E402
import fitwatch.lightning  # noqa: E402
from fitwatch.integrations import lightning as integration  # noqa: E402
from fitwatch.integrations import lightning_stop  # noqa: E402

pytestmark = [pytest.mark.usefixtures("one_torch_thread"),
              # Lightning's own, about torch's pytree
              pytest.mark.filterwarnings("ignore:`isinstance.treespec, LeafSpec.` is deprecated"),
              pytest.mark.filterwarnings("ignore:.*does not have many workers:UserWarning"),
              pytest.mark.filterwarnings("ignore:.*smaller than the logging interval:UserWarning")]

N_TRAIN, BATCH, N_VAL, VAL_BATCH = 200, 64, 300, 128  # 4 training batches (the last of 8), 3 validation ones


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits(return_X_y=True)
    x, y = torch.tensor(x / 16.0, dtype=torch.float32), torch.tensor(y)
    train = torch.utils.data.TensorDataset(x[:N_TRAIN], y[:N_TRAIN])
    val = torch.utils.data.TensorDataset(x[N_TRAIN:N_TRAIN + N_VAL], y[N_TRAIN:N_TRAIN + N_VAL])
    return (torch.utils.data.DataLoader(train, batch_size=BATCH),
            torch.utils.data.DataLoader(val, batch_size=VAL_BATCH), val.tensors)


class Digits(pl.LightningModule):
    """A small MLP on digits: train_loss per step and per epoch, train_acc per step only, val_loss and
    val_acc per epoch (val_loss per step too with ``val_steps``); ``fail_at``: (epoch, batch) raising
    ``error``."""

    def __init__(self, lr=3e-3, width=64, val_steps=False, fail_at=None, error=RuntimeError):
        super().__init__()
        self.save_hyperparameters("lr", "width")
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(torch.nn.Linear(64, width), torch.nn.ReLU(), torch.nn.Linear(width, 10))
        self.val_steps, self.fail_at, self.error = val_steps, fail_at, error
        self.snapshots = {}  # epoch -> the first layer's weights at the end of the epoch
        self.started = 0

    def training_step(self, batch, batch_idx):
        self.started += 1
        if self.fail_at == (self.current_epoch, batch_idx):
            raise self.error("boom in training_step")
        out = self.net(batch[0])
        loss = torch.nn.functional.cross_entropy(out, batch[1])
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        self.log("train_acc", (out.argmax(1) == batch[1]).float().mean())  # per step only
        return loss

    def validation_step(self, batch, batch_idx):
        out = self.net(batch[0])
        self.log("val_loss", torch.nn.functional.cross_entropy(out, batch[1]), on_step=self.val_steps, on_epoch=True)
        self.log("val_acc", (out.argmax(1) == batch[1]).float().mean())

    def test_step(self, batch, batch_idx):
        self.log("test_loss", torch.nn.functional.cross_entropy(self.net(batch[0]), batch[1]))

    def on_train_epoch_end(self):
        self.snapshots[self.current_epoch] = self.net[0].weight.detach().clone()

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


class Scripted(pl.LightningModule):
    """Logs a given val_loss curve, one value an epoch (a replayed curve, through a real fit)."""

    def __init__(self, curve):
        super().__init__()
        self.curve = list(curve)
        self.layer = torch.nn.Linear(2, 1)

    def training_step(self, batch, batch_idx):
        loss = self.layer(batch[0]).pow(2).mean()
        self.log("train_loss", loss, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", self.curve[self.current_epoch])

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


def tiny_data():
    data = torch.utils.data.TensorDataset(torch.rand(4, 2), torch.rand(4, 1))
    return torch.utils.data.DataLoader(data, batch_size=4)


def trainer(tmp_path, **kw):
    kw = {"max_epochs": 4, "log_every_n_steps": 1, "enable_progress_bar": False, "enable_model_summary": False,
          "enable_checkpointing": False, "default_root_dir": tmp_path, "logger": False, **kw}
    return pl.Trainer(**kw)


def read_csv(logger):
    """Lightning's CSVLogger metrics.csv: [{column: float}], empty cells left out."""
    with open(Path(logger.log_dir) / "metrics.csv") as f:
        return [{k: float(v) for k, v in row.items() if v != ""} for row in csv.DictReader(f)]


def test_epochs_and_steps_equal_lightnings_own_csv_logger(tmp_path, digits):
    train, val, (xv, yv) = digits
    logger = fitwatch.lightning.Logger("digits", config={"data": "digits"}, dir=tmp_path, diagnose="quiet")
    csv_logger = CSVLogger(tmp_path, name="csv")
    model = Digits(val_steps=True)
    trainer(tmp_path, logger=[logger, csv_logger]).fit(model, train, val)
    rows = read_csv(csv_logger)
    run = fitwatch.load("digits", dir=tmp_path)
    assert run.status == "finished" and run.epochs.tolist() == [0, 1, 2, 3]

    # epoch axis: one row an epoch, training and validation values together, equal to Lightning's
    by_epoch = defaultdict(dict)
    for row in rows:
        if "train_loss_epoch" in row or "val_acc" in row:
            by_epoch[int(row["epoch"])].update(row)
    for csv_key, key in [("train_loss_epoch", "loss"), ("val_loss_epoch", "val_loss"), ("val_acc", "val_accuracy")]:
        np.testing.assert_allclose(run.history[key], [by_epoch[e][csv_key] for e in range(4)], rtol=1e-6, err_msg=key)
    # a metric logged per step only: its epoch value is the mean of the epoch's steps
    acc_steps = defaultdict(list)
    for row in rows:
        if "train_acc" in row:
            acc_steps[int(row["epoch"])].append(row["train_acc"])
    np.testing.assert_allclose(run.history["accuracy"], [np.mean(acc_steps[e]) for e in range(4)], rtol=1e-6)
    # ... and independently of Lightning: the last epoch's val_loss is the final model's, over all 300 samples
    with torch.no_grad():
        manual = torch.nn.functional.cross_entropy(model.net(xv), yv).item()
    assert run.history["val_loss"][-1] == pytest.approx(manual, rel=1e-5)

    # step axis: Lightning's global steps, the values it logged
    steps = run.steps()
    csv_steps = [(int(r["step"]), r["train_loss_step"]) for r in rows if "train_loss_step" in r]
    assert steps[("train", "loss")][0].tolist() == [s for s, _ in csv_steps] == list(range(16))
    np.testing.assert_allclose(steps[("train", "loss")][1], [v for _, v in csv_steps], rtol=1e-6)
    assert steps[("train", "accuracy")][0].tolist() == list(range(16))
    # validation steps: 3 batches an epoch, 4 epochs, no sanity-check batch among them
    assert steps[("val", "loss")][0].tolist() == list(range(12))

    assert run.config == {"lr": 3e-3, "width": 64, "max_epochs": 4, "optimizer": "Adam", "learning_rate": 3e-3,
                          "data": "digits"}
    assert run.info["framework"] == "lightning" and run.info["model_name"] == "Digits"
    assert run.info["lightning_names"]["loss"] == ["train_loss_step", "train_loss_epoch"]
    assert "diagnosis" in run.info and fitwatch.diagnose("digits", dir=tmp_path).verdict


def test_sanity_check_validation_is_not_an_epoch(tmp_path, digits):
    class Marked(Digits):
        def validation_step(self, batch, batch_idx):
            self.log("val_loss", 99.0 if self.trainer.sanity_checking else 1.0, on_step=True, on_epoch=True)

    train, val, _ = digits
    logger = fitwatch.lightning.Logger("sanity", dir=tmp_path, diagnose=False)
    trainer(tmp_path, logger=logger, max_epochs=2, num_sanity_val_steps=2).fit(Marked(), train, val)
    run = fitwatch.load("sanity", dir=tmp_path)
    assert run.epochs.tolist() == [0, 1] and run.history["val_loss"] == [1.0, 1.0]
    assert run.steps()[("val", "loss")][1].tolist() == [1.0] * 6  # 3 batches x 2 epochs, no 99


def test_max_steps_alone_is_the_rules_plan(tmp_path, digits):
    """Trainer(max_steps=N) without max_epochs: the epochs N steps make are the plan (an attack: no plan at all)."""
    train, val, _ = digits
    stop = fitwatch.lightning.EarlyStopping()
    t = trainer(tmp_path, max_epochs=None, max_steps=3 * len(train) + 1, callbacks=[stop])
    t.fit(Digits(lr=1e-2, width=16), train, val)
    assert stop.stopper.to_dict()["max_epochs"] == 4


def test_fitwatch_early_stopping_stops_where_the_replayed_rule_says_and_restores_the_best(tmp_path, digits):
    train, val, _ = digits

    class Watch(pl.Callback):  # whether should_stop was set before an epoch began
        def __init__(self):
            self.at_start = []

        def on_train_epoch_start(self, trainer, pl_module):
            self.at_start.append(trainer.should_stop)

    stop, watch = fitwatch.lightning.EarlyStopping(), Watch()
    logger = fitwatch.lightning.Logger("stopped", dir=tmp_path, diagnose="quiet")
    model = Digits(lr=1e-2, width=256)
    t = trainer(tmp_path, logger=logger, max_epochs=200, callbacks=[stop, watch])
    t.fit(model, train, val)

    run = fitwatch.load("stopped", dir=tmp_path)
    assert stop.stopper.to_dict()["max_epochs"] == 200  # Trainer(max_epochs=) is the rule's plan
    replay = fitwatch.EarlyStopping(max_epochs=200)
    for epoch in run.epochs.tolist():
        if replay.update(epoch, {k: v[epoch] for k, v in run.history.items()}):
            break
    assert replay.stopped_epoch is not None and replay.stopped_epoch < 199
    assert stop.stopped_epoch == replay.stopped_epoch == run.info["stopped_epoch"] == run.epochs[-1]
    assert stop.best_epoch == replay.best_epoch == run.info["early_stopping"]["best_epoch"]
    assert run.status == "stopped" and run.info["early_stopping"]["reason"] == replay.reason
    assert t.should_stop and t.current_epoch == stop.stopped_epoch + 1 and not any(watch.at_start)
    # the best epoch's weights are back, not the last epoch's
    assert stop.restored and run.info["early_stopping"]["restored_epoch"] == stop.best_epoch
    assert torch.equal(model.net[0].weight, model.snapshots[stop.best_epoch])
    assert not torch.equal(model.net[0].weight, model.snapshots[stop.stopped_epoch])
    # the diagnosis, stored and read back, knows about the stop
    stored = {f["code"]: f for f in run.info["diagnosis"]["findings"]}
    assert stored["stopped_early"]["evidence"]["stopped_epoch"] == stop.stopped_epoch
    again = {f.code: f for f in fitwatch.diagnose("stopped", dir=tmp_path).findings}
    assert again["stopped_early"].evidence["best_epoch"] == stop.best_epoch


def test_the_rule_sees_each_epochs_own_training_and_validation_values(tmp_path, digits):
    """Decided at on_train_epoch_end, after validation and after LightningModule.on_train_epoch_end:
    every epoch's values, not the previous epoch's training ones."""

    class Seen(fitwatch.EarlyStopping):
        def __init__(self):
            super().__init__(patience=100)
            self.seen = {}

        def update(self, epoch, logs):
            self.seen[epoch] = dict(logs)
            return super().update(epoch, logs)

    class LateMetric(Digits):
        def on_train_epoch_end(self):
            self.log("train_late", float(self.current_epoch) + 0.5)  # logged in the module's own hook

    train, val, _ = digits
    rule = Seen()
    logger = fitwatch.lightning.Logger("order", dir=tmp_path, diagnose=False)
    trainer(tmp_path, logger=logger, max_epochs=3, callbacks=[fitwatch.lightning.EarlyStopping(rule)]).fit(
        LateMetric(), train, val)
    run = fitwatch.load("order", dir=tmp_path)
    for epoch in range(3):
        stored = {k: v[epoch] for k, v in run.history.items()}
        assert rule.seen[epoch] == pytest.approx(stored), epoch
        assert rule.seen[epoch]["late"] == epoch + 0.5


CURVES = [
    [1.0, 0.8, 0.81, 0.82, 0.7, 0.72, 0.73, 0.74, 0.69, 0.75, 0.76, 0.77, 0.78, 0.79],
    [1.0, 0.9, 0.8, 0.7, 0.6, 0.65, 0.6, 0.59, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75],
]


@pytest.mark.parametrize("curve", CURVES)
@pytest.mark.parametrize("patience, min_delta", [(2, 0.0), (3, 0.0), (2, 0.05)])
def test_lightnings_early_stopping_and_fitwatch_patience_agree(tmp_path, curve, patience, min_delta):
    ours_log = fitwatch.lightning.Logger("theirs", dir=tmp_path, diagnose=False)
    theirs = pl.callbacks.EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta)
    trainer(tmp_path, max_epochs=len(curve), logger=ours_log, callbacks=[theirs]).fit(
        Scripted(curve), tiny_data(), tiny_data())
    ours = fitwatch.lightning.EarlyStopping(patience=patience, min_delta=min_delta)
    trainer(tmp_path, max_epochs=len(curve), callbacks=[ours]).fit(Scripted(curve), tiny_data(), tiny_data())

    run = fitwatch.load("theirs", dir=tmp_path)  # Lightning's stop, recorded: the run is stopped there
    assert run.status == "stopped" and run.info["stopped_epoch"] == theirs.stopped_epoch
    replay = fitwatch.EarlyStopping(patience=patience, min_delta=min_delta)
    for epoch, value in enumerate(run.history["val_loss"]):
        if replay.update(epoch, {"val_loss": value}):
            break
    lightning_best = run.history["val_loss"].index(pytest.approx(theirs.best_score.item()))
    assert ours.stopped_epoch == replay.stopped_epoch == theirs.stopped_epoch
    assert ours.best_epoch == replay.best_epoch == lightning_best
    record = run.info["early_stopping"]  # Lightning's stop, as the run's stop record
    assert record["stopped"] and record["stopped_epoch"] == theirs.stopped_epoch
    stored = run.history["val_loss"][:theirs.stopped_epoch + 1]
    assert record["best_epoch"] == lightning_best == stored.index(min(stored))  # no lag of min_delta on these curves
    assert record["best_value"] == pytest.approx(theirs.best_score.item())
    assert record["restored"] is False and record["criterion"] == f"lightning EarlyStopping(patience={patience})"
    assert record["reason"].startswith("Monitored metric val_loss did not improve")


def test_lightnings_early_stopping_with_a_checkpoint_is_described_not_prescribed(tmp_path):
    """Lightning's EarlyStopping beside a ModelCheckpoint on the same metric: the run says where it stopped,
    which epoch was best and which file holds its weights; the diagnosis does not prescribe stopping early."""
    curve = [1.0, 0.8, 0.6, 0.5, 0.45, 0.47, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75]
    logger = fitwatch.lightning.Logger("with-ckpt", dir=tmp_path, diagnose="quiet")
    theirs = pl.callbacks.EarlyStopping(monitor="val_loss", patience=3)
    keep = pl.callbacks.ModelCheckpoint(dirpath=tmp_path / "ckpt", monitor="val_loss", save_top_k=1)
    trainer(tmp_path, max_epochs=len(curve), logger=logger, callbacks=[theirs, keep],
            enable_checkpointing=True).fit(Scripted(curve), tiny_data(), tiny_data())
    run = fitwatch.load("with-ckpt", dir=tmp_path)
    record = run.info["early_stopping"]
    assert (record["stopped_epoch"], record["best_epoch"], record["checkpoint_epoch"]) == (7, 4, 4)
    assert record["checkpoint"] == keep.best_model_path and "epoch=4" in record["checkpoint"]
    d = logger.run.diagnosis_
    found = next(f for f in d.findings if f.code == "stopped_early")
    assert "last epoch's weights" in found.message and keep.best_model_path in found.message
    assert not any("Stop early" in r for f in d.findings for r in f.remedies)
    from fitwatch.show.tables import stop_line
    line = stop_line(run).plain
    assert line.startswith("Stopped early at epoch 7 (12 planned): Monitored metric val_loss did not improve")
    assert "Best epoch 4" in line and keep.best_model_path in line


def test_lightnings_early_stopping_best_epoch_is_this_fits_best_value(tmp_path):
    """Lightning's best_score lags its min_delta (0.8 here, where 0.78 came after): the record's best epoch
    is the fit's best value, and the ModelCheckpoint's file is said to hold the epoch it kept (it was told
    it held best_score's epoch); without a checkpoint the remedy is Lightning's own way to restore."""
    curve = [1.0, 0.8, 0.78, 0.79, 0.8, 0.81, 0.82, 0.83]
    logger = fitwatch.lightning.Logger("lag", dir=tmp_path, diagnose="quiet")
    theirs = pl.callbacks.EarlyStopping(monitor="val_loss", patience=3, min_delta=0.05)
    keep = pl.callbacks.ModelCheckpoint(dirpath=tmp_path / "ckpt", monitor="val_loss", save_top_k=1)
    trainer(tmp_path, max_epochs=len(curve), logger=logger, callbacks=[theirs, keep],
            enable_checkpointing=True).fit(Scripted(curve), tiny_data(), tiny_data())
    record = fitwatch.load("lag", dir=tmp_path).info["early_stopping"]
    assert float(theirs.best_score) == pytest.approx(0.8) and theirs.stopped_epoch == 4
    assert (record["stopped_epoch"], record["best_epoch"], record["checkpoint_epoch"]) == (4, 2, 2)
    assert record["best_value"] == pytest.approx(0.78) and "epoch=2" in record["checkpoint"]

    logger = fitwatch.lightning.Logger("lag-no-ckpt", dir=tmp_path, diagnose="quiet")
    theirs = pl.callbacks.EarlyStopping(monitor="val_loss", patience=3, min_delta=0.05)
    trainer(tmp_path, max_epochs=len(curve), logger=logger, callbacks=[theirs]).fit(
        Scripted(curve), tiny_data(), tiny_data())
    found = next(f for f in logger.run.diagnosis_.findings if f.code == "stopped_early")
    assert "not the best epoch's (2)" in found.message
    assert found.remedies == [fitwatch.diagnosis.remedies.VARIANTS["lightning"]["restore_best"]]


def test_lightnings_stopping_threshold_stops_at_its_best(tmp_path):
    """stopping_threshold ends the fit on the epoch that crosses it, which Lightning does not count as its
    best_score: the record's best epoch is that epoch, and the model, which keeps it, is not told to restore."""
    curve = [1.0, 0.8, 0.6, 0.5, 0.4, 0.3]
    logger = fitwatch.lightning.Logger("threshold", dir=tmp_path, diagnose="quiet")
    theirs = pl.callbacks.EarlyStopping(monitor="val_loss", patience=3, stopping_threshold=0.55)
    trainer(tmp_path, max_epochs=len(curve), logger=logger, callbacks=[theirs]).fit(
        Scripted(curve), tiny_data(), tiny_data())
    record = fitwatch.load("threshold", dir=tmp_path).info["early_stopping"]
    assert record["stopped"] and record["stopped_epoch"] == record["best_epoch"] == 3
    assert record["reason"].startswith("Stopping threshold reached")
    found = next(f for f in logger.run.diagnosis_.findings if f.code == "stopped_early")
    assert "which are the best epoch's (3)" in found.message and not found.remedies


def test_lightnings_stop_record_of_a_later_fit_describes_that_fit(tmp_path):
    """Lightning's EarlyStopping reused in a second fit that ran all its epochs keeps the first fit's
    stopping_reason and stopped_epoch: the record does not say the second fit stopped; a third fit with
    no stop at all leaves no record (the first fit's said 'stopped early' on a finished run)."""
    logger = fitwatch.lightning.Logger("reused", dir=tmp_path, diagnose="quiet")
    theirs = pl.callbacks.EarlyStopping(monitor="val_loss", patience=1)
    trainer(tmp_path, max_epochs=5, logger=logger, callbacks=[theirs]).fit(
        Scripted([1.0, 0.8, 0.9, 1.0, 1.1]), tiny_data(), tiny_data())
    assert fitwatch.load("reused", dir=tmp_path).info["early_stopping"]["stopped_epoch"] == 2
    trainer(tmp_path, max_epochs=4, logger=logger, callbacks=[theirs]).fit(
        Scripted([0.7, 0.6, 0.5, 0.4]), tiny_data(), tiny_data())
    assert theirs.stopped_epoch == 2  # Lightning keeps it
    data = fitwatch.load("reused", dir=tmp_path)
    record = data.info["early_stopping"]
    assert data.status == "finished" and not record["stopped"] and record["last_epoch"] == 6
    assert not any(f.code == "stopped_early" for f in logger.run.diagnosis_.findings)
    trainer(tmp_path, max_epochs=2, logger=logger).fit(Scripted([0.3, 0.2]), tiny_data(), tiny_data())
    assert "early_stopping" not in fitwatch.load("reused", dir=tmp_path).info


def test_lightnings_stop_record_after_a_resume_from_a_checkpoint_and_a_tie(tmp_path):
    """A fit resumed with ckpt_path: Lightning's callbacks go on with their state of the epochs before, so
    the best is the run's epoch 1 (0.5), whose file ModelCheckpoint keeps, not this fit's best (0.6); of
    tied best values the checkpoint holds the first."""
    curve = [1.0, 0.5, 0.6, 0.6, 0.8, 0.9, 1.0, 1.1, 1.2]
    ckpt = lambda: pl.callbacks.ModelCheckpoint(dirpath=tmp_path / "ck", save_last=True, monitor="val_loss")  # noqa: E731
    logger = fitwatch.lightning.Logger("resumed", dir=tmp_path, diagnose="quiet")
    trainer(tmp_path, max_epochs=3, logger=logger, enable_checkpointing=True, callbacks=[
        pl.callbacks.EarlyStopping(monitor="val_loss", patience=3), ckpt()]).fit(Scripted(curve), tiny_data(), tiny_data())
    logger = fitwatch.lightning.Logger("resumed", dir=tmp_path, diagnose="quiet", resume=True)
    keep = ckpt()
    trainer(tmp_path, max_epochs=len(curve), logger=logger, enable_checkpointing=True, callbacks=[
        pl.callbacks.EarlyStopping(monitor="val_loss", patience=3), keep]).fit(
        Scripted(curve), tiny_data(), tiny_data(), ckpt_path=tmp_path / "ck" / "last.ckpt")
    record = fitwatch.load("resumed", dir=tmp_path).info["early_stopping"]
    assert record["stopped"] and (record["best_epoch"], record["best_value"]) == (1, 0.5)
    assert "epoch=1-" in keep.best_model_path and record["checkpoint_epoch"] == 1

    logger = fitwatch.lightning.Logger("tie", dir=tmp_path, diagnose="quiet")
    keep = pl.callbacks.ModelCheckpoint(dirpath=tmp_path / "tie", monitor="val_loss")
    trainer(tmp_path, max_epochs=8, logger=logger, enable_checkpointing=True, callbacks=[
        pl.callbacks.EarlyStopping(monitor="val_loss", patience=3), keep]).fit(
        Scripted([1.0, 0.7, 0.5, 0.5, 0.5, 0.6, 0.7, 0.8]), tiny_data(), tiny_data())
    record = fitwatch.load("tie", dir=tmp_path).info["early_stopping"]
    assert "epoch=2-" in keep.best_model_path and record["checkpoint_epoch"] == 2


def test_lightnings_stop_record_when_the_callbacks_state_comes_from_before_this_fit_or_not(tmp_path):
    """Resumed with ckpt_path but new callbacks (no state in the checkpoint): the best is this fit's, the
    one the callbacks and the checkpoint saw (it was an epoch before the resume that neither saw). A
    callback reused in a new Trainer stops against its old best: the best is that earlier epoch (it was
    said to be the stop epoch itself, 'which are the best epoch's')."""
    curve = [1.0, 0.5, 0.6, 0.7, 0.65, 0.7, 0.8, 0.9]
    logger = fitwatch.lightning.Logger("fresh", dir=tmp_path, diagnose="quiet")
    trainer(tmp_path, max_epochs=3, logger=logger, enable_checkpointing=True, callbacks=[
        pl.callbacks.ModelCheckpoint(dirpath=tmp_path / "ck", save_last=True, save_top_k=0)]).fit(
        Scripted(curve), tiny_data(), tiny_data())
    logger = fitwatch.lightning.Logger("fresh", dir=tmp_path, diagnose="quiet", resume=True)
    keep = pl.callbacks.ModelCheckpoint(dirpath=tmp_path / "ck2", monitor="val_loss")
    trainer(tmp_path, max_epochs=len(curve), logger=logger, enable_checkpointing=True, callbacks=[
        pl.callbacks.EarlyStopping(monitor="val_loss", patience=2), keep]).fit(
        Scripted(curve), tiny_data(), tiny_data(), ckpt_path=tmp_path / "ck" / "last.ckpt")
    record = fitwatch.load("fresh", dir=tmp_path).info["early_stopping"]
    assert "epoch=4-" in keep.best_model_path and (record["best_epoch"], record["checkpoint_epoch"]) == (4, 4)

    logger = fitwatch.lightning.Logger("reused-new", dir=tmp_path, diagnose="quiet")
    theirs = pl.callbacks.EarlyStopping(monitor="val_loss", patience=10)
    trainer(tmp_path, max_epochs=3, logger=logger, callbacks=[theirs]).fit(
        Scripted([0.9, 0.3, 0.4]), tiny_data(), tiny_data())
    theirs.patience = 3
    trainer(tmp_path, max_epochs=8, logger=logger, callbacks=[theirs]).fit(
        Scripted([0.8, 0.7, 0.6, 0.5, 0.6]), tiny_data(), tiny_data())
    data = fitwatch.load("reused-new", dir=tmp_path)
    record = data.info["early_stopping"]
    assert record["stopped"] and (record["best_epoch"], record["best_value"]) == (1, pytest.approx(0.3))
    assert record["epochs_planned"] == 11  # 3 epochs before, then 8 planned
    found = next(f for f in logger.run.diagnosis_.findings if f.code == "stopped_early")
    assert "not the best epoch's (1)" in found.message


class Unlogged(Scripted):
    """Logs a score for the callbacks only (logger=False): the run never stores it."""

    def validation_step(self, batch, batch_idx):
        super().validation_step(batch, batch_idx)
        self.log("val_score", self.curve[self.current_epoch], logger=False)


def test_lightnings_stop_on_a_metric_the_run_did_not_record_is_still_its_stop(tmp_path):
    """It had no stop record, and the run was told to stop early with Lightning's EarlyStopping."""
    curve = [1.0, 0.8, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9]
    logger = fitwatch.lightning.Logger("unlogged", dir=tmp_path, diagnose="quiet")
    trainer(tmp_path, max_epochs=len(curve), logger=logger, callbacks=[
        pl.callbacks.EarlyStopping(monitor="val_score", patience=2)]).fit(Unlogged(curve), tiny_data(), tiny_data())
    record = fitwatch.load("unlogged", dir=tmp_path).info["early_stopping"]
    assert record["stopped"] and record["stopped_epoch"] == 4 and record["unrecorded"] and record["best_epoch"] is None
    d = logger.run.diagnosis_
    found = next(f for f in d.findings if f.code == "stopped_early")
    assert "val_score, which the run did not record" in found.message
    assert not any("Stop early" in r for f in d.findings for r in f.remedies)


def test_validation_every_few_epochs(tmp_path):
    curve = [1.0, 0.9, 0.8, 0.7, 0.75, 0.6, 0.65, 0.66, 0.67, 0.68, 0.69, 0.7, 0.71, 0.72, 0.73, 0.74]
    logger = fitwatch.lightning.Logger("sparse", dir=tmp_path, diagnose=False)
    ours = fitwatch.lightning.EarlyStopping(patience=2)
    trainer(tmp_path, max_epochs=16, logger=logger, check_val_every_n_epoch=2, callbacks=[ours]).fit(
        Scripted(curve), tiny_data(), tiny_data())
    theirs = pl.callbacks.EarlyStopping(monitor="val_loss", patience=2)
    trainer(tmp_path, max_epochs=16, check_val_every_n_epoch=2, callbacks=[theirs]).fit(
        Scripted(curve), tiny_data(), tiny_data())

    run = fitwatch.load("sparse", dir=tmp_path)
    assert ours.stopped_epoch == theirs.stopped_epoch == run.epochs[-1] == 9  # checks at 1, 3, 5 (best), 7, 9
    assert ours.best_epoch == 5 and run.info["early_stopping"]["best_epoch"] == 5
    present = run.present[("val", "loss")]
    assert present.tolist() == [e % 2 == 1 for e in range(10)]  # validated epochs only; training every epoch
    assert run.present[("train", "loss")].all()


def test_max_epochs_reached_is_finished_and_the_best_is_restored(tmp_path, digits):
    train, val, _ = digits
    stop = fitwatch.lightning.EarlyStopping(patience=50, checkpoint=tmp_path / "best.pt")
    model = Digits()
    trainer(tmp_path, logger=fitwatch.lightning.Logger("full", dir=tmp_path, diagnose=False), max_epochs=3,
            callbacks=[stop]).fit(model, train, val)
    run = fitwatch.load("full", dir=tmp_path)
    assert run.status == "finished" and "stopped_epoch" not in run.info
    assert run.info["early_stopping"]["stopped"] is False and run.info["early_stopping"]["restored"] is True
    best = int(np.argmin(run.history["val_loss"]))
    assert stop.best_epoch == best and torch.equal(model.net[0].weight, model.snapshots[best])
    assert torch.equal(torch.load(tmp_path / "best.pt")["net.0.weight"], model.snapshots[best])


def test_max_steps_marks_the_epoch_it_cut_short(tmp_path, digits):
    """max_steps=10 with 4 batches an epoch ends epoch 2 after 2 of them (a new user's trial, issue 15:
    it was stored as a whole epoch, and max_steps was not in the config)."""
    train, val, _ = digits
    trainer(tmp_path, logger=fitwatch.lightning.Logger("steps", dir=tmp_path, diagnose=False), max_epochs=-1,
            max_steps=10).fit(Digits(), train, val)
    run = fitwatch.load("steps", dir=tmp_path)
    assert run.config["max_steps"] == 10 and run.epochs.tolist() == [0, 1, 2]
    assert run.info["partial_epoch"] == 2 and run.info["partial_batches"] == "2 of 4"
    d = fitwatch.diagnose(run)
    assert d.epochs == 2 and any("epoch 2 was cut short by max_steps=10 (2 of 4 of its batches" in n for n in d.notes)
    full = fitwatch.lightning.Logger("whole", dir=tmp_path, diagnose=False)
    trainer(tmp_path, logger=full, max_epochs=-1, max_steps=8).fit(Digits(), train, val)  # ends with an epoch
    assert "partial_epoch" not in fitwatch.load("whole", dir=tmp_path).info


@pytest.mark.parametrize("error, status", [(RuntimeError, "failed"), (KeyboardInterrupt, "stopped")])
def test_an_exception_in_training_step_ends_the_run_keeping_its_epochs(tmp_path, digits, error, status):
    train, val, _ = digits
    logger = fitwatch.lightning.Logger("broken", dir=tmp_path, diagnose=False)
    sigint = signal.getsignal(signal.SIGINT)
    try:  # Lightning turns Ctrl-C into sys.exit(1), ignoring further Ctrl-C
        with pytest.raises(SystemExit if error is KeyboardInterrupt else RuntimeError):
            trainer(tmp_path, logger=logger).fit(Digits(fail_at=(2, 1), error=error), train, val)
    finally:
        signal.signal(signal.SIGINT, sigint)
    run = fitwatch.load("broken", dir=tmp_path)
    assert run.status == status and error.__name__ in run.error and "training_step" in run.error
    assert run.epochs.tolist() == [0, 1, 2] and run.info["interrupted_epoch"] == 2
    # epoch 2 has its first batch's training values only
    assert run.present[("val", "loss")].tolist() == [True, True, False] and run.present[("train", "loss")].all()
    assert run.steps()[("train", "loss")][0].tolist() == list(range(9))


def test_the_same_logger_in_a_later_fit_goes_on_in_the_same_run(tmp_path, digits):
    train, val, _ = digits
    logger = fitwatch.lightning.Logger("twice", dir=tmp_path, diagnose=False)
    model = Digits()
    trainer(tmp_path, logger=logger, max_epochs=2).fit(model, train, val)
    first_id = logger.run.id
    t = trainer(tmp_path, logger=logger, max_epochs=3)
    t.fit(model, train, val)
    t.validate(model, val, verbose=False)  # not a fit: the run is left alone
    t.test(model, val, verbose=False)
    run = fitwatch.load("twice", dir=tmp_path)
    assert logger.run.id == logger.version == first_id == run.id and run.status == "finished"
    assert run.epochs.tolist() == [0, 1, 2, 3, 4] and run.present[("val", "loss")].all()
    assert run.steps()[("train", "loss")][0].tolist() == list(range(20))  # the second trainer's 0.. follow on
    assert not any(s == "test" for s, _ in run.metrics)


def test_a_default_name_and_a_run_resumed_by_a_new_logger(tmp_path):
    first = fitwatch.lightning.Logger(dir=tmp_path, diagnose=False)
    trainer(tmp_path, logger=first, max_epochs=2).fit(Scripted([1.0, 0.9, 0.8, 0.7]), tiny_data(), tiny_data())
    assert first.name.startswith("run-") and first.name == first.run.name
    again = fitwatch.lightning.Logger(first.name, dir=tmp_path, diagnose=False, resume=True)  # e.g. a new process
    trainer(tmp_path, logger=again, max_epochs=2).fit(Scripted([0.6, 0.5]), tiny_data(), tiny_data())
    run = fitwatch.load(first.name, dir=tmp_path)
    assert again.version == first.version == run.id and run.history["val_loss"] == pytest.approx([1.0, 0.9, 0.6, 0.5])


@pytest.mark.filterwarnings("ignore:The dirpath has changed")
def test_fitwatch_early_stopping_alone_and_a_resumed_checkpoint(tmp_path):
    curve = [1.0, 0.5, 0.8, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99]
    first = fitwatch.lightning.EarlyStopping(patience=3)  # no fitwatch Logger: nothing recorded
    trainer(tmp_path, max_epochs=3, enable_checkpointing=True, callbacks=[
        first, pl.callbacks.ModelCheckpoint(dirpath=tmp_path / "ck", save_last=True)]).fit(
        Scripted(curve), tiny_data(), tiny_data())
    assert first.best_epoch == 1 and first.stopped_epoch is None and first.restored and first.wait_count == 1
    assert not (tmp_path / "fitwatch.db").exists()
    # Lightning restores the rule's state from its checkpoint: patience goes on where it was (a fresh
    # rule would take epoch 3 for its first best and stop at 6)
    again = fitwatch.lightning.EarlyStopping(patience=3)
    trainer(tmp_path, max_epochs=9, enable_checkpointing=True, callbacks=[
        again, pl.callbacks.ModelCheckpoint(dirpath=tmp_path / "ck2")]).fit(
        Scripted(curve), tiny_data(), tiny_data(), ckpt_path=tmp_path / "ck" / "last.ckpt")
    assert again.loaded_state and (again.best_epoch, again.stopped_epoch) == (1, 4)
    assert again.to_dict()["resumed_at"] == 3


def test_hyperparameters_become_a_json_safe_config(tmp_path):
    logger = fitwatch.lightning.Logger("hparams", dir=tmp_path, diagnose=False)
    logger.log_hyperparams(argparse.Namespace(lr=torch.tensor(0.5), act=torch.relu, sizes=(32, 16),
                                              opt={"name": "sgd", "momentum": np.float32(0.5)}, path=tmp_path))
    trainer(tmp_path, logger=logger, max_epochs=1).fit(Scripted([1.0]), tiny_data(), tiny_data())
    config = fitwatch.load("hparams", dir=tmp_path).config
    assert config["lr"] == 0.5 and config["act"] == "relu" and config["sizes"] == [32, 16]
    assert config["opt"] == {"name": "sgd", "momentum": 0.5} and config["path"] == str(tmp_path)
    logger.log_hyperparams({"later": 1})  # the run has ended: kept for the next fit only
    assert "later" not in fitwatch.load("hparams", dir=tmp_path).config


def test_only_rank_zero_writes(tmp_path):
    logger = fitwatch.lightning.Logger("ranked", dir=tmp_path)
    before = rank_zero_only.rank
    rank_zero_only.rank = 1
    try:
        assert not isinstance(logger.experiment, fitwatch.Run)  # Lightning's dummy experiment
        logger.log_hyperparams({"lr": 0.1})
        logger.log_metrics({"val_loss": 0.5, "epoch": 0}, step=0)
        logger.finalize("success")
    finally:
        rank_zero_only.rank = before
    assert logger.run is None and not (tmp_path / "fitwatch.db").exists()


DDP_SCRIPT = """
import sys, torch, lightning.pytorch as pl, fitwatch

class Net(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)
    def training_step(self, batch, batch_idx):
        loss = self.layer(batch[0]).pow(2).mean()
        self.log("train_loss", loss, on_epoch=True, sync_dist=True)
        return loss
    def validation_step(self, batch, batch_idx):  # each rank its own value: rank 0's decides
        self.log("val_loss", [1.0, 0.5, 0.8, 0.9, 0.95, 0.96][self.current_epoch] + 0.01 * self.global_rank)
    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)

def data():
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.rand(8, 2), torch.rand(8, 1)), batch_size=2)

torch.set_num_threads(1)
stop = fitwatch.lightning.EarlyStopping(patience=2)
trainer = pl.Trainer(max_epochs=6, accelerator="cpu", devices=2, strategy="ddp", log_every_n_steps=1,
                     logger=fitwatch.lightning.Logger("ddp", dir=sys.argv[1], diagnose=False), callbacks=[stop],
                     enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False)
trainer.fit(Net(), data(), data())
print("RANK", trainer.global_rank, stop.stopped_epoch, stop.best_epoch, stop.best_value, stop.restored, flush=True)
"""


@pytest.mark.skipif(not os.environ.get("FITWATCH_DDP_TEST"), reason="two processes, ~20 s on 2 cores: "
                    "FITWATCH_DDP_TEST=1 runs it")
def test_ddp_ranks_stop_together_and_only_rank_zero_writes(tmp_path):
    script = tmp_path / "ddp_fit.py"
    script.write_text(DDP_SCRIPT)
    p = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, timeout=300,
                       cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-3000:]
    ranks = sorted(line.split()[1:] for line in p.stdout.splitlines() if line.startswith("RANK"))
    assert ranks == [["0", "3", "1", "0.5", "True"], ["1", "3", "1", "0.5", "True"]]  # rank 0's numbers on both
    assert [r["name"] for r in fitwatch.runs(dir=tmp_path)] == ["ddp"]
    run = fitwatch.load("ddp", dir=tmp_path)
    assert run.status == "stopped" and run.epochs.tolist() == [0, 1, 2, 3] and run.info["stopped_epoch"] == 3
    assert run.history["val_loss"] == pytest.approx([1.0, 0.5, 0.8, 0.9])  # rank 0's
    assert run.steps()[("train", "loss")][0].tolist() == list(range(8))  # 2 batches an epoch on each rank


@pytest.mark.parametrize("make, error, match", [
    (lambda d: {"logger": fitwatch.lightning.Logger(config=["lr", 0.1], dir=d)}, TypeError, "config must be a dict"),
    (lambda d: {"logger": fitwatch.lightning.Logger(dir=d, diagnose="loud")}, ValueError, "diagnose must be"),
    (lambda d: {"logger": fitwatch.lightning.Logger(dir=d, record_steps="yes")}, TypeError, "record_steps must be"),
    (lambda d: {"callbacks": [fitwatch.lightning.EarlyStopping(patient=3)]}, TypeError, "unknown argument 'patient'"),
    (lambda d: {"callbacks": [fitwatch.lightning.EarlyStopping(fitwatch.EarlyStopping(), patience=3)]}, TypeError,
     "not both"),
    (lambda d: {"callbacks": [fitwatch.lightning.EarlyStopping(patience=-1)]}, ValueError, "patience=-1"),
    (lambda d: {"callbacks": [fitwatch.lightning.EarlyStopping(restore="yes")]}, TypeError, "restore must be"),
    (lambda d: {"callbacks": [fitwatch.lightning.EarlyStopping(pl.callbacks.EarlyStopping("val_loss"))]}, TypeError,
     "got Lightning's EarlyStopping"),
    (lambda d: {"callbacks": [fitwatch.lightning.EarlyStopping(stop="patience")]}, TypeError,
     "takes a fitwatch.EarlyStopping, got str"),
])
def test_bad_arguments_fail_before_training_with_one_line(tmp_path, make, error, match):
    model = Scripted([1.0])
    with pytest.raises(error, match=match) as caught:
        trainer(tmp_path, max_epochs=1, **make(tmp_path)).fit(model, tiny_data(), tiny_data())
    assert "\n" not in str(caught.value) and model.trainer.current_epoch == 0
    assert not (tmp_path / "fitwatch.db").exists()  # checked before a run was created


def test_values_without_a_fit_warn_once(tmp_path):
    logger = fitwatch.lightning.Logger("unfollowed", dir=tmp_path)
    with pytest.warns(UserWarning, match="records trainer.fit"):
        logger.log_metrics({"val_loss": 0.5}, step=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        logger.log_metrics({"val_loss": 0.4}, step=1)
    assert logger.run is None


def test_names_map_onto_fitwatch_keys():
    key = lightning_stop.fitwatch_key
    assert [key(lightning_stop.split_suffix(n)[0]) for n in
            ("train_loss_step", "train_loss_epoch", "train_loss", "val_loss", "val_acc_epoch", "valid/loss",
             "test_acc", "loss", "val_loss/dataloader_idx_1")] == [
        "loss", "loss", "loss", "val_loss", "val_accuracy", "val_loss", "test_accuracy", "loss",
        "val_loss_dataloader_idx_1"]


def test_module_layout_and_docstring_examples():
    assert fitwatch.lightning is integration
    assert issubclass(fitwatch.lightning.Logger, pl.loggers.Logger)
    assert issubclass(fitwatch.lightning.EarlyStopping, pl.Callback)
    assert fitwatch.lightning.EarlyStopping is lightning_stop.EarlyStopping
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for module in (integration, lightning_stop):
        for test in finder.find(module):
            runner.run(test)
    assert runner.failures == 0 and runner.tries > 15


def test_fitwatch_core_does_not_import_lightning():
    from conftest import run_python

    run_python(
        "import sys, tempfile, fitwatch\n"
        "with fitwatch.Run('no-lightning', dir=tempfile.mkdtemp()) as run:\n"
        "    run.log_epoch(loss=1.0)\n"
        "assert not any(m.split('.')[0] == 'lightning' for m in sys.modules)\n"
    )


class ScriptedAccuracy(Scripted):
    """Logs a given curve as ``val_acc`` (Lightning's name; fitwatch's is ``val_accuracy``)."""

    def validation_step(self, batch, batch_idx):
        self.log("val_acc", self.curve[self.current_epoch])


@pytest.mark.parametrize("make", [lambda: fitwatch.lightning.EarlyStopping(monitor="val_acc", patience=2),
                                  lambda: fitwatch.lightning.EarlyStopping(
                                      stop=fitwatch.EarlyStopping(monitor="val_acc", patience=2))])
def test_a_monitor_named_as_lightning_logs_it(tmp_path, make):
    """monitor="val_acc" is the name logged in the module: it judges fitwatch's val_accuracy (maximised),
    with or without the logger (a trial: it judged nothing before, or failed after the first epoch)."""
    curve = [0.5, 0.6, 0.7, 0.65, 0.66, 0.64, 0.6, 0.6]
    for logger in (False, fitwatch.lightning.Logger("acc", dir=tmp_path, diagnose=False)):
        stop = make()
        trainer(tmp_path, max_epochs=8, logger=logger, callbacks=[stop]).fit(ScriptedAccuracy(curve), tiny_data(),
                                                                            tiny_data())
        assert stop.best_epoch == 2 and stop.stopped_epoch == 4 and stop.restored, (stop.best_epoch, stop.reason)


class Regularised(Digits):
    """Digits with Dropout(0.5) under AdamW(weight_decay=0.05): regularisation the fit already uses."""

    def __init__(self):
        super().__init__(lr=3e-2, width=256)
        self.net = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Dropout(0.5),
                                       torch.nn.Linear(256, 10))

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=0.05)


def test_the_regularisation_a_lightning_fit_uses_is_recorded_and_not_prescribed_again(tmp_path, digits):
    """The Keras callback's twin: dropout modules, the optimizer's weight decay and the Trainer's
    gradient_clip_val go into the run's config, and an overfitting run is not told to add them."""
    from fitwatch.diagnosis.remedies import in_all_words

    x, y = load_digits(return_X_y=True)
    small = torch.utils.data.TensorDataset(torch.tensor(x[:40] / 16.0, dtype=torch.float32), torch.tensor(y[:40]))
    logger = fitwatch.lightning.Logger("regularised", dir=tmp_path, diagnose=False)
    trainer(tmp_path, logger=logger, max_epochs=60, gradient_clip_val=1.0).fit(
        Regularised(), torch.utils.data.DataLoader(small, batch_size=BATCH), digits[1])
    config = fitwatch.load("regularised", dir=tmp_path).config
    assert (config["dropout"], config["weight_decay"], config["grad_clip"]) == (0.5, pytest.approx(0.05), 1.0)
    d = fitwatch.diagnose(fitwatch.load("regularised", dir=tmp_path))
    assert d.verdict == "overfitting", d  # whose remedies would name them
    given = {r for f in d.findings for r in f.remedies}
    assert not (in_all_words("dropout") | in_all_words("weight_decay") | in_all_words("gradient_clipping")) & given


class WarmedUp(Scripted):
    """Scripted under SGD lr 0.3 with a LambdaLR warm-up that starts at a third of it."""

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.3)
        return [opt], [torch.optim.lr_scheduler.LambdaLR(opt, lambda e: min(1.0, (e + 1) / 3))]


class Cyclic(Scripted):
    """Scripted under SGD with a CyclicLR from 0.001 up to 0.1."""

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.05)
        cyc = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.001, max_lr=0.1, step_size_up=4)
        return [opt], [{"scheduler": cyc, "interval": "step"}]


def test_a_cyclic_schedules_learning_rate_is_its_peak(tmp_path):
    """An attack: CyclicLR sets the group's rate (and initial_lr) to its base_lr, so the config said 0.001 for a
    run that trains up to 0.1 (a rate too high would be read against a hundredth of it)."""
    logger = fitwatch.lightning.Logger("cyclic", dir=tmp_path, diagnose=False)
    trainer(tmp_path, logger=logger, max_epochs=2).fit(Cyclic([1.0, 0.9]), tiny_data(), tiny_data())
    assert fitwatch.load("cyclic", dir=tmp_path).config["learning_rate"] == pytest.approx(0.1)


def test_the_config_learning_rate_is_the_base_rate_not_a_warm_ups_first_step(tmp_path):
    """A new user's trial: a LambdaLR warm-up had scaled the rate to 1/3 when the fit began, and the run's
    config said learning_rate 0.001 for an AdamW at 3e-3 (in `fitwatch runs` and the dashboard's sweep view)."""
    logger = fitwatch.lightning.Logger("warm", dir=tmp_path, diagnose=False)
    trainer(tmp_path, logger=logger, max_epochs=2).fit(WarmedUp([1.0, 0.9]), tiny_data(), tiny_data())
    data = fitwatch.load("warm", dir=tmp_path)
    assert data.config["learning_rate"] == pytest.approx(0.3)
    # no dropout module and no weight decay, but a loss may hold a penalty by hand: not said to be none
    from fitwatch.diagnosis.curves import Curves
    assert "dropout" not in data.config and "weight_decay" not in data.config
    assert "regularisation_recorded" not in Curves.from_run(data).context


class WarmingUp(Digits):
    """Digits under a LambdaLR warm-up over 20 epochs, stepped each epoch: the rate at epoch e is 0.5 * (e + 1) / 20."""

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.5)
        warm = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: min(1.0, (e + 1) / 20))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": warm, "interval": "epoch"}}


def test_learning_rate_monitor_values_are_their_epochs(tmp_path, digits):
    """An eighth trial: LearningRateMonitor(logging_interval="epoch") logs the new epoch's rate in
    on_train_epoch_start, before the logger's own callback began that epoch: each rate was stored an epoch early,
    epoch 0's lost, and a warm-up longer than the run went unseen. The logger's callback now runs first."""
    logger = fitwatch.lightning.Logger("warming", dir=tmp_path, diagnose=False)
    monitor = pl.callbacks.LearningRateMonitor(logging_interval="epoch")
    trainer(tmp_path, logger=logger, max_epochs=6, callbacks=[monitor]).fit(WarmingUp(), digits[0], digits[1])
    history = fitwatch.load("warming", dir=tmp_path).history
    assert history["lr_sgd"] == pytest.approx([0.5 * (e + 1) / 20 for e in range(6)])
    assert "lr_warming" in [f.code for f in fitwatch.diagnose("warming", dir=tmp_path).findings]


class WatchedDigits(Digits):
    """Digits watching itself (``whole``: the LightningModule, whose training_step never calls it) or its net."""

    def __init__(self, whole: bool):
        super().__init__()
        self.whole = whole

    def on_fit_start(self):
        self.logger.experiment.watch(self if self.whole else self.net)


@pytest.mark.parametrize("whole", [True, False])
def test_watching_a_lightningmodule_that_never_calls_itself_says_so_and_its_net_is_probed(tmp_path, digits, whole):
    """A tenth trial: self.logger.experiment.watch(self) in on_fit_start, training_step calling self.net(x), stored no
    probe value without a word. It says which module to watch; watching self.net probes it."""
    train, val, _ = digits
    logger = fitwatch.lightning.Logger("watched", dir=tmp_path, diagnose=False)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        trainer(tmp_path, max_epochs=2, logger=logger).fit(WatchedDigits(whole), train, val)
    idle = [w for w in said if "no training step" in str(w.message)]
    probes = fitwatch.load("watched", dir=tmp_path).probes()
    if whole:
        assert len(idle) == 1 and "watch(self.net)" in str(idle[0].message) and not probes
    else:
        assert not idle and probes
