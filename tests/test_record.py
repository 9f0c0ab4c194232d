"""The arithmetic of recording: weighted epoch means, value types, NaN, bad input, statuses."""

import math
import warnings

import numpy as np
import pytest
import torch

import fitwatch
from fitwatch.core.names import keras_key, split_key
from fitwatch.record.accumulator import SplitAccumulator


def test_uneven_last_batch_is_sample_weighted(store_dir):
    # 100 samples in batches of 32: 32, 32, 32, 4
    batches = [(32, 1.0), (32, 1.0), (32, 1.0), (4, 5.0)]
    with fitwatch.Run("uneven") as run:
        for _ in run.epochs(1):
            for n, loss in batches:
                run.log("train", loss=loss, n=n)
    expected = (3 * 32 * 1.0 + 4 * 5.0) / 100
    wrong = (1.0 + 1.0 + 1.0 + 5.0) / 4  # the mean of batch means
    got = fitwatch.load("uneven").history["loss"][0]
    assert got == pytest.approx(expected)
    assert got != pytest.approx(wrong)


def test_equal_weights_without_n(store_dir):
    with fitwatch.Run("no-n") as run:
        for _ in run.epochs(1):
            run.log("train", loss=1.0)
            run.log("train", loss=2.0)
    assert run.history["loss"] == [1.5]


def test_per_sample_tensors_weigh_their_length(store_dir):
    a = torch.tensor([1.0, 1.0, 1.0, 1.0])  # 4 samples, mean 1
    b = torch.tensor([4.0, 6.0])  # 2 samples, mean 5
    with fitwatch.Run("per-sample") as run:
        for _ in run.epochs(1):
            run.log("train", loss=a)
            run.log("train", loss=b)
            run.log("val", loss=np.array([2.0, 4.0]))  # numpy per-sample
            run.log("val", loss=np.float32(6.0), n=2)
    assert run.history["loss"][0] == pytest.approx((4 * 1 + 2 * 5) / 6)
    assert run.history["val_loss"][0] == pytest.approx((2 * 3 + 2 * 6) / 4)


def test_per_sample_length_must_match_n(store_dir):
    run = fitwatch.Run("mismatch")
    with pytest.raises(ValueError, match="per-sample.*length 3 but n=4"):
        run.log("train", loss=torch.ones(3), n=4)
    run.log("train", loss=torch.ones(3), n=3)  # agreeing n is fine
    run.finish()


def test_value_types(store_dir):
    w = torch.nn.Parameter(torch.tensor(2.0))
    loss = w * 1.5  # a 0-d tensor that requires grad
    with fitwatch.Run("types") as run:
        for _ in run.epochs(1):
            run.log("train", a=1, b=np.float64(0.5), c=np.int64(3), d=np.array(2.5), e=loss,
                    f=torch.tensor(7), g=(torch.tensor([1, 0, 1, 1]) == 1).float().mean(), h=True)
    h = run.history
    assert h["a"] == [1.0] and h["b"] == [0.5] and h["c"] == [3.0] and h["d"] == [2.5]
    assert h["e"] == [3.0] and h["f"] == [7.0] and h["g"] == [0.75] and h["h"] == [1.0]


@pytest.mark.parametrize("bad", ["0.5", None, [0.1, 0.2], object()])
def test_non_numeric_value_raises_type_error_naming_metric_and_type(store_dir, bad):
    run = fitwatch.Run("bad-value")
    with pytest.raises(TypeError) as e:
        run.log("train", loss=bad)
    assert "'loss'" in str(e.value) and type(bad).__name__ in str(e.value)
    run.finish()


@pytest.mark.parametrize("n", [0, -3, 2.5, "32", True, torch.tensor(1.5)])
def test_n_must_be_a_positive_integer(store_dir, n):
    run = fitwatch.Run("bad-n")
    with pytest.raises(ValueError, match="n must be a positive integer"):
        run.log("train", loss=0.1, n=n)
    run.finish()


def test_integer_n_of_numpy_and_torch(store_dir):
    with fitwatch.Run("int-n") as run:
        for _ in run.epochs(1):
            run.log("train", loss=1.0, n=np.int64(3))
            run.log("train", loss=2.0, n=torch.tensor(1))
    assert run.history["loss"][0] == pytest.approx(1.25)


def test_nan_and_inf_are_stored_with_a_single_warning(store_dir):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with fitwatch.Run("diverging") as run:
            for epoch in run.epochs(4):
                run.log("train", loss=1.0, n=10)
                run.log("train", loss=float("nan") if epoch >= 2 else 1.0, n=10)
                run.log("val", loss=float("inf") if epoch == 3 else 2.0, n=10)
    nonfinite = [w for w in caught if issubclass(w.category, fitwatch.NonFiniteValue)]
    assert len(nonfinite) == 1
    assert "loss" in str(nonfinite[0].message) and "epoch 2" in str(nonfinite[0].message)
    data = fitwatch.load("diverging")
    loss = data.history["loss"]
    assert loss[:2] == [1.0, 1.0] and math.isnan(loss[2]) and math.isnan(loss[3])
    assert data.history["val_loss"][3] == math.inf
    steps, values = data.steps()[("train", "loss")]
    assert len(steps) == 8 and np.isnan(values[5]) and values[4] == 1.0


def test_batch_values_are_kept_with_global_steps(store_dir):
    with fitwatch.Run("steps") as run:
        for epoch in run.epochs(3):
            for i in range(5):
                run.log("train", loss=epoch * 10 + i, n=4)
            run.log("val", loss=epoch, n=7)
    steps = fitwatch.load("steps").steps()
    s, v = steps[("train", "loss")]
    assert s.tolist() == list(range(15))
    assert v.tolist() == [e * 10 + i for e in range(3) for i in range(5)]
    assert steps[("val", "loss")][0].tolist() == [0, 1, 2]


def test_any_split_name_and_keras_names(store_dir):
    with fitwatch.Run("splits") as run:
        for _ in run.epochs(1):
            run.log("train", loss=1.0)
            run.log("val", loss=2.0)
            run.log("test", loss=3.0)
            run.log("holdout-2024", loss=4.0)
    h = fitwatch.load("splits").history
    assert h == {"loss": [1.0], "val_loss": [2.0], "test_loss": [3.0], "holdout-2024_loss": [4.0]}


@pytest.mark.parametrize("val_name,train_name", [("valid", "train"), ("validation", "training"),
                                                 ("Validation", "Training")])
def test_valid_and_validation_splits_are_val(store_dir, val_name, train_name):
    # an overfitting run whose validation split is named as many loops name it
    val = [1.0, 0.8, 0.7, 0.65, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4]
    run = fitwatch.Run("named-valid", diagnose="quiet")
    for epoch in run.epochs(len(val)):
        run.log(train_name, loss=1.0 / (epoch + 1), n=32)
        run.log(val_name, loss=val[epoch], n=10)
        run.log("test", loss=2.0, n=5)
        run.log("holdout", loss=3.0, n=5)
    run.finish()
    assert set(run.history) == {"loss", "val_loss", "test_loss", "holdout_loss"}
    assert run.history["val_loss"] == val
    data = fitwatch.load("named-valid")
    assert set(data.history) == set(run.history)
    assert ("val", "loss") in data.steps() and ("train", "loss") in data.steps()
    [summary] = fitwatch.runs()
    assert summary["best_val_loss"] == 0.65 and summary["best_epoch"] == 3
    codes = {f.code for f in run.diagnosis_.findings}
    assert "missing_validation" not in codes
    assert run.diagnosis_.verdict == "overfitting"


def test_val_and_valid_in_one_epoch_are_one_split(store_dir):
    with fitwatch.Run("both-names", diagnose=False) as run:
        for _ in run.epochs(2):
            run.log("val", loss=1.0, n=3)
            run.log("valid", loss=2.0, n=1)  # the same split: one sample-weighted mean
            run.log_epoch(split="validation", accuracy=0.5)
            run.log_epoch(split="training", lr=0.1)
    assert run.history == {"val_loss": [1.25, 1.25], "val_accuracy": [0.5, 0.5], "lr": [0.1, 0.1]}
    assert fitwatch.load("both-names").steps()[("val", "loss")][0].tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("key,pair", [
    ("loss", ("train", "loss")), ("val_loss", ("val", "loss")), ("val_accuracy", ("val", "accuracy")),
    ("test_mae", ("test", "mae")), ("train_loss", ("train", "loss")), ("validation_loss", ("val", "loss")),
    ("valid_acc", ("val", "acc")), ("learning_rate", ("train", "learning_rate")),
])
def test_keras_names_map_to_split_and_metric(key, pair):
    assert split_key(key) == pair
    if not key.startswith(("train_", "validation_", "valid_")):
        assert keras_key(*pair) == key


def test_log_epoch_outside_a_loop_ends_each_epoch(store_dir):
    history = {"loss": [1.0, 0.8, 0.7], "val_loss": [1.1, 0.9, 0.95], "val_accuracy": [0.5, 0.6, 0.62]}
    with fitwatch.Run("from-history") as run:
        for i in range(3):
            run.log_epoch({k: v[i] for k, v in history.items()})
    data = fitwatch.load("from-history")
    assert data.history == history and data.epochs.tolist() == [0, 1, 2]


def test_log_epoch_wins_over_batch_means_in_a_loop(store_dir):
    with fitwatch.Run("mixed") as run:
        for epoch in run.epochs(2):
            run.log("train", loss=1.0, n=3)
            run.log_epoch(val_loss=0.5, lr=0.1)
            run.log_epoch(split="val", accuracy=0.9)
    assert fitwatch.load("mixed").history == {
        "loss": [1.0, 1.0], "lr": [0.1, 0.1], "val_loss": [0.5, 0.5], "val_accuracy": [0.9, 0.9]}


def test_break_keeps_the_epoch_in_progress(store_dir):
    run = fitwatch.Run("break")
    for epoch in run.epochs(10):
        run.log("train", loss=1.0 / (epoch + 1))
        if epoch == 3:
            break
    run.finish()
    assert fitwatch.load("break").epochs.tolist() == [0, 1, 2, 3]


def test_context_manager_marks_failed_with_the_exception(store_dir):
    with pytest.raises(RuntimeError):
        with fitwatch.Run("crash", config={"lr": 0.1}) as run:
            for epoch in run.epochs(5):
                run.log("train", loss=1.0)
                if epoch == 2:
                    raise RuntimeError("CUDA out of memory (pretend)")
    data = fitwatch.load("crash")
    assert data.status == "failed"
    assert "RuntimeError: CUDA out of memory (pretend)" in data.error
    assert data.epochs.tolist() == [0, 1, 2]  # the epoch in progress is kept
    assert data.config == {"lr": 0.1} and data.ended_at >= data.started_at


def test_uncaught_exception_marks_failed_via_excepthook(store_dir):
    from conftest import run_python

    p = run_python(
        "import fitwatch\n"
        "run = fitwatch.Run('hooked')\n"
        "run.log_epoch(loss=1.0)\n"
        "raise ValueError('bad batch shape')\n",
        check=False,
    )
    assert p.returncode == 1 and "bad batch shape" in p.stderr  # the usual traceback still prints
    data = fitwatch.load("hooked")
    assert data.status == "failed" and "ValueError: bad batch shape" in data.error


def test_script_that_forgets_finish_is_finished_at_exit(store_dir):
    from conftest import run_python

    run_python("import fitwatch\nrun = fitwatch.Run('forgot')\nrun.log('train', loss=2.0)\n")
    data = fitwatch.load("forgot")
    assert data.status == "finished" and data.history == {"loss": [2.0]}


def test_finish_stopped_and_logging_after_finish(store_dir):
    run = fitwatch.Run("early")
    for epoch in run.epochs(100):
        run.log_epoch(loss=1.0, val_loss=1.0 + epoch)
        if epoch == 4:
            run.finish("stopped", stopped_epoch=epoch, reason="val_loss rose for 4 epochs")
    assert run.epoch == 5
    data = fitwatch.load("early")
    assert data.status == "stopped" and data.info["stopped_epoch"] == 4
    assert len(data.epochs) == 5
    with pytest.raises(RuntimeError, match="is stopped"):
        run.log("train", loss=1.0)


def test_resume_continues_epochs_and_steps(store_dir):
    run = fitwatch.Run("resumable", config={"lr": 0.1})
    for epoch in run.epochs(3):
        run.log("train", loss=1.0, n=2)
        run.log("train", loss=1.0, n=2)
    run.finish()
    again = fitwatch.Run("resumable", resume=True, config={"phase": 2})
    assert again.id == run.id and again.epoch == 3
    for epoch in again.epochs(5):
        run_loss = 0.5
        again.log("train", loss=run_loss, n=2)
    again.finish()
    data = fitwatch.load("resumable")
    assert data.epochs.tolist() == [0, 1, 2, 3, 4]
    assert data.history["loss"] == [1.0, 1.0, 1.0, 0.5, 0.5]
    assert data.config == {"lr": 0.1, "phase": 2}
    assert data.steps()[("train", "loss")][0].tolist() == list(range(8))
    assert len(fitwatch.runs()) == 1


def test_same_name_twice_makes_two_runs_and_name_means_latest(store_dir):
    for i in range(2):
        with fitwatch.Run("again", config={"i": i}) as run:
            run.log_epoch(loss=float(i))
    assert [r["name"] for r in fitwatch.runs()] == ["again", "again"]
    assert fitwatch.load("again").config == {"i": 1}
    first = fitwatch.runs()[0]["id"]
    assert fitwatch.load(first).config == {"i": 0}


def test_bad_arguments(store_dir):
    with pytest.raises(TypeError, match="config must be a dict"):
        fitwatch.Run("x", config=[1, 2])
    run = fitwatch.Run("x")
    with pytest.raises(ValueError, match="at least one metric"):
        run.log("train", n=3)
    with pytest.raises(TypeError, match="split must be a name"):
        run.log(None, loss=1.0)
    with pytest.raises(ValueError, match="epochs"):
        next(run.epochs(2.5))
    run.finish()


def test_cpu_tensors_are_read_at_once_and_not_kept():
    acc = SplitAccumulator("train")
    w = torch.nn.Parameter(torch.tensor(2.0))
    acc.add(4, {"loss": w * 1.5, "acc": torch.tensor(True)})
    m = acc.metrics["loss"]
    assert m.values == [3.0] and not m.dev_values  # nothing holds the tensor or its graph
    assert acc.close_epoch() == {"loss": (3.0, 4), "acc": (1.0, 4)}


def test_a_bad_value_raises_at_the_call_that_logged_it():
    acc = SplitAccumulator("train")
    acc.add(2, {"loss": torch.tensor(1.0)})
    with pytest.raises(TypeError, match="'loss'"):
        acc.add(2, {"loss": "0.3"})
    with pytest.raises(ValueError, match="length 3 but n=2"):
        acc.add(2, {"loss": torch.ones(3)})
    assert acc.close_epoch()["loss"] == (1.0, 2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_values_stay_on_device_until_epoch_end():
    acc = SplitAccumulator("train")
    values = [torch.tensor(float(i % 3), device="cuda") for i in range(2000)]
    torch.cuda.set_sync_debug_mode("error")  # any host synchronisation below raises
    try:
        for i in range(2000):
            acc.add(8 if i < 1999 else 2, {"loss": values[i]})
    finally:
        torch.cuda.set_sync_debug_mode("default")
    m = acc.metrics["loss"]
    assert not m.values and len(m.dev_steps) == 2000 and m.dev_chunks  # chunked on the device
    value, n = acc.close_epoch()["loss"]
    expected = (sum((i % 3) * 8 for i in range(1999)) + (1999 % 3) * 2) / (1999 * 8 + 2)
    assert n == 1999 * 8 + 2 and value == pytest.approx(expected)


def test_exit_inside_the_epoch_loop_is_stopped_not_finished(store_dir):
    from conftest import run_python

    run_python(
        "import sys, fitwatch\n"
        "run = fitwatch.Run('exited')\n"
        "for epoch in run.epochs(10):\n"
        "    run.log('train', loss=1.0)\n"
        "    if epoch == 2:\n"
        "        sys.exit(0)\n"
    )
    data = fitwatch.load("exited")
    assert data.status == "stopped" and "after epoch 2 of 10" in data.error
    assert data.epochs.tolist() == [0, 1, 2]


def test_ctrl_c_marks_the_run_stopped(store_dir):
    with pytest.raises(KeyboardInterrupt):
        with fitwatch.Run("interrupted") as run:
            for epoch in run.epochs(10):
                run.log("train", loss=1.0)
                if epoch == 1:
                    raise KeyboardInterrupt
    data = fitwatch.load("interrupted")
    assert data.status == "stopped" and "KeyboardInterrupt" in data.error


def test_an_epoch_cut_short_by_an_error_is_kept_but_marked_and_left_out_of_the_curves(store_dir):
    from test_cli import cli, table_rows

    with pytest.raises(RuntimeError, match="boom"):
        with fitwatch.Run("cut-short", diagnose=False) as run:
            for epoch in run.epochs(10):
                for b in range(5):
                    if epoch == 3 and b == 2:
                        raise RuntimeError("boom")
                    run.log("train", loss=2.5 / (epoch + 1) + b * 0.01)
                run.log("val", loss=2.6 / (epoch + 1))
    assert run.status == "failed" and run.info["partial_epoch"] == 3
    data = fitwatch.load("cut-short")
    assert data.epochs.tolist() == [0, 1, 2, 3]  # nothing logged is dropped from the store
    curves = fitwatch.Curves.from_run(data)
    assert curves.epochs.tolist() == [0, 1, 2] and "epoch 3 was cut short" in curves.notes[0]
    assert fitwatch.diagnose("cut-short").epochs == 3
    rows = table_rows(cli("show", "cut-short").stdout)
    assert rows["3"][-7:] == ["<-", "cut", "short", "(part", "of", "its", "batches)"]
    assert rows["2"][-2:] == ["<-", "best"]  # the best is a whole epoch, not the cut one
    # leaving the loop with break after a whole epoch is not an interruption
    with fitwatch.Run("broke-off", diagnose=False) as run:
        for epoch in run.epochs(10):
            run.log("train", loss=1.0 / (epoch + 1))
            if epoch == 2:
                break
    assert run.status == "finished" and "partial_epoch" not in run.info
    assert fitwatch.Curves.from_run(fitwatch.load("broke-off")).epochs.tolist() == [0, 1, 2]


def test_a_run_resumed_after_ctrl_c_runs_the_cut_epoch_again(store_dir):
    """Ctrl-C after an epoch's training and before its validation: the resumed run starts at that
    epoch again (the training checkpoint is the epoch before's), and its values replace the cut ones.
    A fifth trial's run was resumed one epoch on: the cut epoch stayed (training only, no mark) and
    every later epoch was numbered one too high (33 epochs, best 22, against 32 and 21)."""
    def epoch_of(run, epoch):
        run.log("train", loss=1.0 / (epoch + 1))
        if epoch == 3 and not run_again:
            raise KeyboardInterrupt  # after training, before validation
        run.log("val", loss=1.1 / (epoch + 1))

    run_again = False
    with pytest.raises(KeyboardInterrupt):
        with fitwatch.Run("ctrl-c", diagnose=False) as run:
            for epoch in run.epochs(6):
                epoch_of(run, epoch)
    assert fitwatch.load("ctrl-c").cut_short
    run_again = True
    with fitwatch.Run("ctrl-c", resume=True, diagnose=False) as run:
        assert run.epoch == 3 and len(run.history["loss"]) == 3
        for epoch in run.epochs(6):
            epoch_of(run, epoch)
    data = fitwatch.load("ctrl-c")
    assert data.epochs.tolist() == [0, 1, 2, 3, 4, 5] and not data.cut_short and "partial_epoch" not in data.info
    assert data.history["val_loss"] == pytest.approx([1.1 / (e + 1) for e in range(6)])
    assert run.history["loss"] == pytest.approx([1.0 / (e + 1) for e in range(6)])


def record_heads(name, dir, kl=False):
    """A finished multi-head run without a total loss: reg_loss overfits, cls_loss still improves;
    with ``kl``, a training-only kl_loss beside them."""
    with fitwatch.Run(name, dir=dir, diagnose="quiet", progress=False) as run:
        for e in run.epochs(12):
            run.log("train", reg_loss=2.0 / (e + 1), cls_loss=1.0 / (e + 1), n=10,
                    **({"kl_loss": 0.5 / (e + 1)} if kl else {}))
            run.log("val", reg_loss=0.6 + 0.04 * (e - 4) ** 2, cls_loss=1.0 / (e + 1) + 0.2, n=10)
    return run


def test_a_finished_multi_head_run_stores_each_heads_verdict(tmp_path):
    run = record_heads("mt", tmp_path)
    assert [(r.name, r.monitor) for r in run.diagnosis_.runs] == [("mt [cls_loss]", "val_cls_loss"),
                                                                  ("mt [reg_loss]", "val_reg_loss")]
    stored = fitwatch.load("mt", dir=tmp_path).info["diagnosis"]
    assert stored["verdicts"] == {"mt [cls_loss]": "still_improving", "mt [reg_loss]": "overfitting"}
    assert [r["monitor"] for r in stored["runs"]] == ["val_cls_loss", "val_reg_loss"]
    assert stored["verdict"] == "overfitting"  # the last head's, as fitwatch.diagnose(path) returns


def test_a_training_only_loss_beside_the_heads_is_named_not_judged(tmp_path):
    run = record_heads("mt-kl", tmp_path, kl=True)
    assert [r.monitor for r in run.diagnosis_.runs] == ["val_cls_loss", "val_reg_loss"]
    assert all("kl_loss: training only (no validation curve), not judged" in r.notes for r in run.diagnosis_.runs)


def test_finish_and_the_dashboard_judge_a_recorded_run_alike(tmp_path):
    """One rule (monitored.recorded_diagnosis) for Run.finish and the dashboard: a test-split loss alone
    gets no verdict (it was judged as a training loss at finish, "the training test_loss", while
    `fitwatch diagnose RUN` refused the run); a train/val loss and heads get the same verdict from both."""
    from fitwatch.show.dashboard.data import _diagnose

    with fitwatch.Run("test-only", dir=tmp_path, diagnose="quiet", progress=False) as run:
        for e in run.epochs(8):
            run.log_epoch(test_loss=1.0 / (e + 1), accuracy=0.3 + 0.05 * e)
    assert run.diagnosis_ is None and "diagnosis" not in fitwatch.load("test-only", dir=tmp_path).info
    assert _diagnose(fitwatch.load("test-only", dir=tmp_path)) is None
    with fitwatch.Run("val-too", dir=tmp_path, diagnose="quiet", progress=False) as run:
        for e in run.epochs(8):
            run.log_epoch(loss=1.0 / (e + 1), val_loss=1.1 / (e + 1) + 0.1, test_loss=1.0 / (e + 1))
    heads = record_heads("mt", tmp_path)
    for r in (run, heads):
        stored = fitwatch.load(r.name, dir=tmp_path).info["diagnosis"]
        computed = _diagnose(fitwatch.load(r.name, dir=tmp_path))
        assert (computed["verdict"], computed.get("verdicts")) == (stored["verdict"], stored.get("verdicts"))
    assert run.diagnosis_.monitor == "val_loss"  # the test loss beside them is not judged
