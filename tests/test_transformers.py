"""fitwatch.transformers.Callback on real Hugging Face ``Trainer.train()`` runs (CPU, tiny models built
here, nothing downloaded): the store holds what the Trainer logged, as fitwatch's reader of its
trainer_state.json reads it; fitwatch's early stopping stops where its rule says, restores the best
weights and agrees with the Trainer's own EarlyStoppingCallback."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is ever fetched: models are built from a config

import doctest
import math

import numpy as np
import pytest
import torch

transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")

from sklearn.datasets import load_digits  # noqa: E402

import fitwatch  # noqa: E402
import fitwatch.transformers  # noqa: E402
from conftest import run_python  # noqa: E402
from fitwatch.cli import main as cli  # noqa: E402
from fitwatch.diagnosis.readers import read_curves  # noqa: E402
from fitwatch.integrations import transformers as integration  # noqa: E402
from fitwatch.integrations import transformers_logs  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

N_TRAIN, BATCH = 100, 20  # 5 optimizer steps an epoch
STEPS = N_TRAIN // BATCH


class MLP(torch.nn.Module):
    """A plain torch module as the Trainer takes one: ``forward`` returns the loss and the logits."""

    def __init__(self, fail_at_call=None):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
        self.fail_at_call, self.calls = fail_at_call, 0

    def forward(self, x, labels=None):
        if self.training:
            self.calls += 1
            if self.calls == self.fail_at_call:
                raise RuntimeError(f"boom at training call {self.calls}")
        logits = self.net(x)
        return {"loss": torch.nn.functional.cross_entropy(logits, labels), "logits": logits}


def accuracy(p):
    return {"accuracy": float((p.predictions.argmax(-1) == p.label_ids).mean())}


@pytest.fixture(scope="module")
def digits():
    """100 digits to train on (a wide MLP overfits them within a few epochs), 300 to validate."""
    x, y = load_digits(return_X_y=True)
    x, y = torch.tensor(x / 16.0, dtype=torch.float32), torch.tensor(y)
    rows = [{"x": x[i], "labels": y[i]} for i in range(400)]
    return rows[:N_TRAIN], rows[N_TRAIN:]


def make_args(tmp_path, **kw):
    base = dict(output_dir=str(tmp_path / "hf"), report_to=[], use_cpu=True, disable_tqdm=True, save_strategy="no",
                per_device_train_batch_size=BATCH, per_device_eval_batch_size=100, logging_steps=2,
                eval_strategy="epoch", learning_rate=1e-2, num_train_epochs=3, seed=0)
    return transformers.TrainingArguments(**{**base, **kw})


def train(args, data, callbacks, model=None, trainer_class=None, resume_from=None, **kw):
    """A Trainer on the digits MLP (seeded), trained (from the checkpoint ``resume_from``); the
    Trainer's printing of its logs removed."""
    if model is None:
        torch.manual_seed(0)
        model = MLP()
    trainer = (trainer_class or transformers.Trainer)(model=model, args=args, train_dataset=data[0],
                                                      eval_dataset=data[1], callbacks=callbacks, **kw)
    trainer.remove_callback(transformers.PrinterCallback)
    trainer.train(resume_from_checkpoint=resume_from)
    return trainer


def epoch_of(row) -> int:
    """The epoch a logged row belongs to: the Trainer's epoch 1.0 ends epoch 0."""
    return max(0, math.ceil(row["epoch"] - 1e-9) - 1)


def expected_epochs(log_history) -> dict:
    """What each epoch should hold, computed here from the Trainer's own rows: the mean of the
    training rows' loss and grad_norm, the last learning rate, the last evaluation's eval_* values."""
    out: dict = {}
    epochs = sorted({epoch_of(r) for r in log_history if "loss" in r or "eval_loss" in r})
    for e in epochs:
        train = [r for r in log_history if "loss" in r and epoch_of(r) == e]
        evals = [r for r in log_history if "eval_loss" in r and epoch_of(r) == e]
        if train:
            out.setdefault("loss", []).append(sum(r["loss"] for r in train) / len(train))
            out.setdefault("grad_norm", []).append(sum(r["grad_norm"] for r in train) / len(train))
            out.setdefault("lr", []).append(train[-1]["learning_rate"])
        for k, v in (evals[-1] if evals else {}).items():
            if k.startswith("eval_") and not k.endswith(("_runtime", "_per_second")):
                out.setdefault("val_" + k[5:], []).append(v)
    return out


def rows_of(log_history, key):
    return [(r["step"], r[key]) for r in log_history if key in r]


def stored_steps(run, split, metric):
    steps, values = run.steps()[(split, metric)]
    return list(zip(steps.tolist(), values.tolist()))


# -- what is recorded -------------------------------------------------------------------------------
def test_bert_run_holds_what_the_trainer_logged_as_the_trainer_state_reader_reads_it(tmp_path):
    # token ids with a learnable rule: the label is whether the first token is in the upper half
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 50, (96, 12), generator=g)
    rows = [{"input_ids": ids[i], "attention_mask": torch.ones(12, dtype=torch.long), "labels": int(ids[i, 0] > 27)}
            for i in range(96)]
    torch.manual_seed(0)
    bert = transformers.BertForSequenceClassification(transformers.BertConfig(
        vocab_size=50, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37,
        max_position_embeddings=16))
    cb = fitwatch.transformers.Callback("bert", config={"seed": 7, "task": "first token"}, dir=tmp_path,
                                        diagnose="quiet")
    # 4 steps an epoch, a row every 3 steps: rows straddle the epochs; the linear schedule moves lr
    args = make_args(tmp_path, per_device_train_batch_size=16, logging_steps=3, learning_rate=1e-3,
                     label_smoothing_factor=0.05)
    trainer = train(args, (rows[:64], rows[64:]), [cb], model=bert, compute_metrics=accuracy)
    history = trainer.state.log_history

    run = fitwatch.load("bert", dir=tmp_path)
    assert run.status == "finished" and run.epochs.tolist() == [0, 1, 2]
    expected = expected_epochs(history)
    assert set(run.history) == set(expected) == {"loss", "grad_norm", "lr", "val_loss", "val_accuracy"}
    for key, values in expected.items():
        np.testing.assert_allclose(run.history[key], values, rtol=1e-15, err_msg=key)
    assert len(set(run.history["lr"])) == 3  # the schedule, epoch by epoch

    # every logged row at its global step; evaluations in split val; timings left out
    assert stored_steps(run, "train", "loss") == rows_of(history, "loss")
    assert stored_steps(run, "train", "lr") == rows_of(history, "learning_rate")
    assert stored_steps(run, "train", "grad_norm") == rows_of(history, "grad_norm")
    assert stored_steps(run, "val", "loss") == rows_of(history, "eval_loss")
    assert stored_steps(run, "val", "accuracy") == rows_of(history, "eval_accuracy")
    assert [s for s, _ in rows_of(history, "loss")] == [3, 6, 9, 12]
    assert not any(m.endswith(("runtime", "per_second")) for _, m in run.steps())

    # fitwatch's reader of the Trainer's own trainer_state.json reads the same epochs
    trainer.state.save_to_json(str(tmp_path / "trainer_state.json"))
    [curves] = read_curves(tmp_path / "trainer_state.json")
    assert curves.epochs.tolist() == run.epochs.tolist()
    for key in ("loss", "grad_norm", "lr", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(curves.series[key], run.history[key], rtol=1e-15, err_msg=key)
    from_store = fitwatch.diagnose("bert", dir=tmp_path)
    assert from_store.verdict == fitwatch.diagnose(str(tmp_path / "trainer_state.json")).verdict
    assert run.info["diagnosis"]["verdict"] == from_store.verdict  # stored at the end (diagnose="quiet")

    # the arguments and the model, in the run's config and info (the config given here wins)
    assert run.config["seed"] == 7 and run.config["task"] == "first token"
    assert run.config["learning_rate"] == 1e-3 and run.config["per_device_train_batch_size"] == 16
    assert run.config["batch_size"] == 16 and run.config["epochs"] == 3 and run.config["optimizer"] == "AdamW"
    assert run.config["model"] == "BertForSequenceClassification" and run.config["model_type"] == "bert"
    assert run.config["grad_clip"] == run.config["max_grad_norm"] == 1.0  # the Trainer's default clipping, as evidence
    assert run.config["label_smoothing"] == 0.05  # its loss's floor above 0 (a seventh trial's was "underfitting")
    assert run.info["model_config"]["hidden_size"] == 32 and run.info["model_config"]["intermediate_size"] == 37
    assert run.info["params"] == sum(p.numel() for p in bert.parameters())
    assert run.info["training_args"]["logging_steps"] == 3 and run.info["training_args"]["eval_strategy"] == "epoch"
    assert run.info["trainer"]["max_steps"] == 12
    assert run.info["transformers_version"] == transformers.__version__
    assert run.info["train_summary"]["train_loss"] == history[-1]["train_loss"]
    # a text model: the remedies are the Trainer's and a language model's (a new user's trial, issue 15)
    assert run.info["data"] == "text" and run.info["classes"] == bert.config.num_labels == 2  # ln 2, not a guess
    from fitwatch.diagnosis.curves import Curves
    from fitwatch.diagnosis.evidence import run_evidence
    assert {"text", "transformers"} <= run_evidence(Curves.from_run(run), None, None)


def test_evaluations_every_few_steps_give_each_epoch_its_last_one(tmp_path, digits):
    cb = fitwatch.transformers.Callback("steps", dir=tmp_path, diagnose=False)
    trainer = train(make_args(tmp_path, eval_strategy="steps", eval_steps=3), digits, [cb])
    history = trainer.state.log_history
    run = fitwatch.load("steps", dir=tmp_path)
    evals = rows_of(history, "eval_loss")
    assert [s for s, _ in evals] == [3, 6, 9, 12, 15]  # epochs end at steps 5, 10, 15
    # epoch 0 saw the evaluation at step 3; epoch 1 those at 6 and 9; epoch 2 those at 12 and 15
    assert run.history["val_loss"] == [evals[0][1], evals[2][1], evals[4][1]]
    for key, values in expected_epochs(history).items():
        np.testing.assert_allclose(run.history[key], values, rtol=1e-15, err_msg=key)
    assert stored_steps(run, "val", "loss") == evals  # every evaluation, at its step
    # the reader of trainer_state.json makes one point per evaluation: the step values hold them all
    trainer.state.save_to_json(str(tmp_path / "trainer_state.json"))
    [curves] = read_curves(tmp_path / "trainer_state.json")
    assert curves.val_loss.tolist() == [v for _, v in evals]


def test_without_evaluation_the_epochs_hold_training_values(tmp_path, digits, store_dir):
    cb = fitwatch.transformers.Callback("no-eval", diagnose=False)  # the store of $FITWATCH_DIR
    trainer = train(make_args(tmp_path, eval_strategy="no", num_train_epochs=4), digits, [cb])
    run = fitwatch.load("no-eval")
    assert sorted(run.history) == ["grad_norm", "loss", "lr"] and run.epochs.tolist() == [0, 1, 2, 3]
    trainer.state.save_to_json(str(tmp_path / "trainer_state.json"))
    [curves] = read_curves(tmp_path / "trainer_state.json")
    for key in ("loss", "grad_norm", "lr"):
        np.testing.assert_allclose(curves.series[key], run.history[key], rtol=1e-15, err_msg=key)
    assert fitwatch.diagnose("no-eval", dir=store_dir).epochs == 4


# -- early stopping ----------------------------------------------------------------------------------
class Watcher(transformers.TrainerCallback):
    """Notes, at every evaluation, whether training is to stop and the first layer's weights."""

    def __init__(self):
        self.stop_flags, self.weights = [], []

    def on_evaluate(self, args, state, control, model=None, **kwargs):
        self.stop_flags.append(control.should_training_stop)
        self.weights.append(model.net[0].weight.detach().clone())


def test_early_stopping_stops_where_the_rule_says_and_restores_the_best_weights(tmp_path, digits, capsys):
    watcher = Watcher()
    cb = fitwatch.transformers.Callback("stopped", dir=tmp_path, stop=fitwatch.EarlyStopping(patience=3),
                                        checkpoint=tmp_path / "best.pt")
    trainer = train(make_args(tmp_path, num_train_epochs=40, lr_scheduler_type="constant"), digits, [cb, watcher],
                    compute_metrics=accuracy)
    run = fitwatch.load("stopped", dir=tmp_path)
    stop = run.info["early_stopping"]
    stopped, best = stop["stopped_epoch"], stop["best_epoch"]
    assert run.status == "stopped" and run.info["stopped_epoch"] == stopped < 39 and stop["stopped"]
    assert "patience=3" in stop["reason"] and stop["restored"] and stop["restored_epoch"] == best

    # a fitwatch.EarlyStopping replayed over the stored curve stops at the same epoch
    replay = fitwatch.EarlyStopping(patience=3)
    for epoch in run.epochs.tolist():
        if replay.update(epoch, {k: v[epoch] for k, v in run.history.items()}):
            break
    assert (replay.stopped_epoch, replay.best_epoch) == (stopped, best)
    assert best == int(np.argmin(run.history["val_loss"])) and run.epochs.tolist() == list(range(stopped + 1))

    # it set should_training_stop at the evaluation ending epoch `stopped`, and the Trainer stopped there
    assert watcher.stop_flags == [False] * stopped + [True]
    assert trainer.state.global_step == (stopped + 1) * STEPS < trainer.state.max_steps
    # the best epoch's weights are back in the model, and in the checkpoint file
    weight = trainer.model.net[0].weight
    assert torch.equal(weight, watcher.weights[best]) and not torch.equal(weight, watcher.weights[stopped])
    assert torch.equal(torch.load(tmp_path / "best.pt")["net.0.weight"], watcher.weights[best])

    # the diagnosis, printed at the end and stored, and `fitwatch show`, tell the stop
    diagnosis = fitwatch.diagnose("stopped", dir=tmp_path)
    assert "stopped_early" in [f.code for f in diagnosis.findings]
    assert "stopped_early" in capsys.readouterr().err
    assert cli(["show", "stopped", "--dir", str(tmp_path)]) in (0, None)
    shown = capsys.readouterr().out
    assert "stopped" in shown and f"epoch {best}" in shown


HF_CURVES = [  # (metric, values): where both rules should agree (no threshold, patience >= 1)
    ("loss", [1.0, 0.8, 0.7, 0.72, 0.71, 0.69, 0.75, 0.8, 0.9, 1.0, 1.1]),
    ("loss", [0.5, 0.5, 0.5, 0.4, 0.6, 0.6, 0.4, 0.6, 0.6, 0.6]),  # ties are no improvement, for both
    ("loss", [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]),  # never stops
    ("accuracy", [0.5, 0.6, 0.65, 0.64, 0.66, 0.66, 0.65, 0.6, 0.6, 0.6, 0.6]),  # higher is better
]


@pytest.mark.parametrize("patience", [1, 2, 3])
@pytest.mark.parametrize("metric, curve", HF_CURVES)
def test_hf_early_stopping_callback_and_fitwatch_patience_agree_on_replayed_curves(tmp_path, digits, metric, curve,
                                                                                    patience):
    # the Trainer's own code on a replayed curve: its callbacks' on_evaluate, then its bookkeeping of the
    # best metric, in the order of Trainer._maybe_log_save_evaluate
    hf = transformers.EarlyStoppingCallback(early_stopping_patience=patience)
    args = make_args(tmp_path, metric_for_best_model=metric, greater_is_better=metric == "accuracy")
    trainer = transformers.Trainer(model=MLP(), args=args, train_dataset=digits[0], eval_dataset=digits[1],
                                   callbacks=[hf])
    hf.on_train_begin(args, trainer.state, trainer.control)
    hf_stop = None
    for epoch, value in enumerate(curve):
        metrics = {f"eval_{metric}": value}
        trainer.callback_handler.on_evaluate(args, trainer.state, trainer.control, metrics)
        trainer._determine_best_metric(metrics, trial=None)
        if trainer.control.should_training_stop:
            hf_stop = epoch
            break
    hf_best = curve.index(trainer.state.best_metric)

    rule = fitwatch.EarlyStopping(monitor=f"val_{metric}", patience=patience)
    for epoch, value in enumerate(curve):
        if rule.update(epoch, {f"val_{metric}": value}):
            break
    assert (rule.stopped_epoch, rule.best_epoch) == (hf_stop, hf_best)


def test_hf_early_stopping_callback_and_fitwatch_stop_a_real_training_alike(tmp_path, digits):
    args = make_args(tmp_path, num_train_epochs=40, lr_scheduler_type="constant", metric_for_best_model="eval_loss")
    hf = train(args, digits, [transformers.EarlyStoppingCallback(early_stopping_patience=2),
                              fitwatch.transformers.Callback("hf-stop", dir=tmp_path, diagnose=False)])
    fw = train(args, digits, [fitwatch.transformers.Callback("fw-stop", dir=tmp_path, diagnose=False,
                                                             stop=fitwatch.EarlyStopping(patience=2))])
    by_hf, by_fw = fitwatch.load("hf-stop", dir=tmp_path), fitwatch.load("fw-stop", dir=tmp_path)
    assert by_hf.history["val_loss"] == by_fw.history["val_loss"]  # the same seeded training, stopped alike
    assert by_hf.status == by_fw.status == "stopped"  # another callback's stop is recorded as one too
    assert by_hf.info["stopped_epoch"] == by_fw.info["stopped_epoch"] < 39
    assert hf.state.global_step == fw.state.global_step
    assert by_hf.history["val_loss"].index(hf.state.best_metric) == by_fw.info["early_stopping"]["best_epoch"]
    record = by_hf.info["early_stopping"]  # the Trainer's stop, as the run's stop record
    assert record["stopped"] and record["stopped_epoch"] == by_hf.info["stopped_epoch"]
    assert record["best_epoch"] == by_fw.info["early_stopping"]["best_epoch"] and record["monitor"] == "val_loss"
    assert record["restored"] is False  # no load_best_model_at_end: the model keeps the last epoch's weights
    assert record["criterion"] == "transformers EarlyStoppingCallback(early_stopping_patience=2)"


def test_the_trainers_best_model_loaded_at_the_end_is_the_runs_restored_epoch(tmp_path, digits):
    """load_best_model_at_end with the Trainer's EarlyStoppingCallback: the run says which epoch the model
    holds and where its checkpoint is, and the diagnosis does not prescribe what the run did."""
    args = make_args(tmp_path, num_train_epochs=40, lr_scheduler_type="constant", metric_for_best_model="eval_loss",
                     save_strategy="epoch", load_best_model_at_end=True, save_total_limit=2)
    cb = fitwatch.transformers.Callback("hf-best", dir=tmp_path, diagnose="quiet")
    hf = train(args, digits, [transformers.EarlyStoppingCallback(early_stopping_patience=2), cb])
    data = fitwatch.load("hf-best", dir=tmp_path)
    record = data.info["early_stopping"]
    best = data.history["val_loss"].index(hf.state.best_metric)
    assert record["stopped"] and record["stopped_epoch"] == data.epochs[-1] < 39
    assert record["best_epoch"] == record["restored_epoch"] == best and record["restored"]
    assert record["checkpoint"] == hf.state.best_model_checkpoint
    found = next(f for f in cb.run.diagnosis_.findings if f.code == "stopped_early")
    assert f"(epoch {best}) were restored" in found.message
    assert not any("Stop early" in r for f in cb.run.diagnosis_.findings for r in f.remedies)


def test_the_trainers_stop_before_fitwatchs_rule_is_said_to_have_ended_the_run(tmp_path, digits):
    """fitwatch's rule (stop=, patience 30) had not fired when the Trainer's EarlyStoppingCallback (patience 1,
    a threshold no step passes) ended training: the record, show and the diagnosis say so."""
    args = make_args(tmp_path, num_train_epochs=40, lr_scheduler_type="constant", metric_for_best_model="eval_loss")
    cb = fitwatch.transformers.Callback("hf-first", dir=tmp_path, diagnose="quiet", stop=fitwatch.EarlyStopping(patience=30))
    train(args, digits, [transformers.EarlyStoppingCallback(early_stopping_patience=1, early_stopping_threshold=10.0), cb])
    data = fitwatch.load("hf-first", dir=tmp_path)
    record = data.info["early_stopping"]
    assert data.status == "stopped" and not record["stopped"] and record["restored"]
    assert record["stopped_by"]["stopped_epoch"] == data.info["stopped_epoch"] == 1
    assert record["stopped_by"]["reason"].startswith("eval_loss did not improve by more than 10 for 1 evaluation ")
    from fitwatch.show.tables import stop_line
    assert stop_line(data).plain.startswith("Stopped early at epoch 1 (40 planned): eval_loss did not improve by more")
    found = next(f for f in cb.run.diagnosis_.findings if f.code == "stopped_early")
    assert "ended training at epoch 1" in found.message and "were restored" in found.message


def test_the_trainers_restore_beside_fitwatchs_rule_without_one_and_a_later_train(tmp_path, digits):
    """fitwatch's rule with restore=False beside load_best_model_at_end: the model holds the Trainer's best,
    and the record says so (it said 'not restored' and prescribed restoring, in Keras's words). A later
    train() with the rule alone has the rule's record, not the first train()'s stop and restore."""
    args = make_args(tmp_path, num_train_epochs=40, lr_scheduler_type="constant", metric_for_best_model="eval_loss",
                     save_strategy="epoch", load_best_model_at_end=True, save_total_limit=2)
    cb = fitwatch.transformers.Callback("hf-theirs", dir=tmp_path, diagnose="quiet", restore=False,
                                        stop=fitwatch.EarlyStopping(patience=30))
    torch.manual_seed(0)
    model = MLP()
    hf = train(args, digits, [transformers.EarlyStoppingCallback(early_stopping_patience=2), cb], model=model)
    data = fitwatch.load("hf-theirs", dir=tmp_path)
    record = data.info["early_stopping"]
    best = data.history["val_loss"].index(hf.state.best_metric)
    assert hf.evaluate()["eval_loss"] == pytest.approx(hf.state.best_metric)  # the model holds the best
    assert record["restored"] and record["restored_epoch"] == best and record["restored_by"] == "load_best_model_at_end"
    findings = cb.run.diagnosis_.findings
    assert f"the weights of epoch {best} were restored by load_best_model_at_end" in next(
        f.message for f in findings if f.code == "stopped_early")
    assert not any("Restore" in r or "Keras" in r for f in findings for r in f.remedies)

    train(make_args(tmp_path, num_train_epochs=2), digits, [cb], model=model)  # the rule alone: it does not fire
    data = fitwatch.load("hf-theirs", dir=tmp_path)
    record = data.info["early_stopping"]
    assert data.status == "finished" and record["last_epoch"] == data.epochs[-1]
    assert not record["stopped"] and not record["restored"] and "stopped_by" not in record
    assert not any(f.code == "stopped_early" for f in cb.run.diagnosis_.findings)


def test_the_trainers_best_evaluation_in_mid_epoch_is_named_by_its_step(tmp_path, digits):
    """eval_strategy="steps": the best evaluation may be one in mid-epoch, not the epoch's last, which the
    run stores; the record names its step (stop_line said 'Best epoch 15 (val_loss 0.3322)' of an epoch
    stored at 0.3333)."""
    args = make_args(tmp_path, num_train_epochs=40, lr_scheduler_type="constant", metric_for_best_model="eval_loss",
                     eval_strategy="steps", eval_steps=2, save_strategy="steps", save_steps=2,
                     load_best_model_at_end=True, save_total_limit=2)
    cb = fitwatch.transformers.Callback("hf-steps", dir=tmp_path, diagnose="quiet")
    hf = train(args, digits, [transformers.EarlyStoppingCallback(early_stopping_patience=3), cb])
    data = fitwatch.load("hf-steps", dir=tmp_path)
    record = data.info["early_stopping"]
    best = next(r for r in hf.state.log_history if r.get("step") == hf.state.best_global_step and "eval_loss" in r)
    last_of_its_epoch = [r for r in hf.state.log_history if "eval_loss" in r and epoch_of(r) == epoch_of(best)][-1]
    assert record["best_epoch"] == epoch_of(best) and record["best_value"] == best["eval_loss"]
    if last_of_its_epoch is best:
        assert "best_step" not in record
    else:
        assert record["best_step"] == hf.state.best_global_step
        from fitwatch.show.tables import stop_line
        assert f"Best epoch {epoch_of(best)} at step {hf.state.best_global_step} (val_loss" in stop_line(data).plain


def test_the_trainers_stop_record_from_its_state_alone():
    """trainer_stop_record on the Trainer's state: a best before a resume (its epoch not in this train()'s
    map) is shifted as this train()'s epochs are (it was None: 'the best weights (epoch None) were
    restored'); a mid-epoch best without a checkpoint (eval_strategy="steps", no load_best_model_at_end)
    is named by its step; a restore is load_best_model_at_end's, not the EarlyStoppingCallback's."""
    from types import SimpleNamespace as NS

    from fitwatch.integrations.transformers_logs import trainer_stop_record

    es = NS(early_stopping_patience=2, early_stopping_patience_counter=2)
    history = [{"eval_loss": v, "epoch": float(e + 1), "step": 10 * (e + 1)} for e, v in enumerate([0.9, 0.5, 0.6, 0.7])]
    args = NS(metric_for_best_model="eval_loss", greater_is_better=False, load_best_model_at_end=True)
    state = NS(best_metric=0.5, best_global_step=20, best_model_checkpoint="out/checkpoint-20", log_history=history)
    record = trainer_stop_record(args, state, [es], {2: 12, 3: 13}, 10, 13, ended_early=True)  # resumed at epoch 2
    assert (record["best_epoch"], record["restored_epoch"], record["restorer"]) == (11, 11, "load_best_model_at_end")
    assert record["criterion"].startswith("transformers EarlyStoppingCallback")

    steps = [{"eval_loss": v, "epoch": s / 10, "step": s} for s, v in ((5, 0.9), (10, 0.8), (15, 0.6), (20, 0.7))]
    args = NS(metric_for_best_model="eval_loss", greater_is_better=False, load_best_model_at_end=False)
    state = NS(best_metric=0.6, best_global_step=None, best_model_checkpoint=None, log_history=steps)
    record = trainer_stop_record(args, state, [es], {0: 0, 1: 1}, 10, 1, ended_early=True)
    assert (record["best_epoch"], record["best_step"], record["restored"]) == (1, 15, False)
    # a second train() of the run, after 10 epochs: planned in the run's numbers, as Keras's and Lightning's
    # records have it (it said "stopped early at epoch 11 (10 planned)")
    record = trainer_stop_record(args, state, [es], {0: 10, 1: 11}, 10, 11, ended_early=True)
    assert (record["best_epoch"], record["epochs_planned"]) == (11, 20)


def test_only_the_main_process_writes_but_every_process_stops_and_restores(tmp_path, digits):
    class NotMainProcess(transformers.Trainer):  # what the Trainer says in any process but the main one
        def is_world_process_zero(self):
            return False

    args = make_args(tmp_path, num_train_epochs=40, lr_scheduler_type="constant")
    main = train(args, digits, [fitwatch.transformers.Callback("ranked", dir=tmp_path / "main", diagnose=False,
                                                               stop=fitwatch.EarlyStopping(patience=2))])
    other_cb = fitwatch.transformers.Callback("ranked", dir=tmp_path / "other", stop=fitwatch.EarlyStopping(patience=2))
    other = train(args, digits, [other_cb], trainer_class=NotMainProcess)
    assert not (tmp_path / "other").exists() and other_cb.run is None  # nothing written
    assert other.state.global_step == main.state.global_step < main.state.max_steps
    assert torch.equal(other.model.net[0].weight, main.model.net[0].weight)  # the same best weights restored


# -- how runs end ------------------------------------------------------------------------------------
def test_an_exception_in_train_inside_a_with_block_fails_the_run(tmp_path, digits):
    torch.manual_seed(0)
    model = MLP(fail_at_call=STEPS + 3)  # the third step of epoch 1
    with pytest.raises(RuntimeError, match="boom"):
        with fitwatch.transformers.Callback("boom", dir=tmp_path) as cb:
            train(make_args(tmp_path), digits, [cb], model=model)
    run = fitwatch.load("boom", dir=tmp_path)
    assert run.status == "failed" and "RuntimeError: boom at training call 8" in run.error
    assert run.epochs.tolist() == [0, 1] and run.info["interrupted_epoch"] == 1
    assert not np.isnan(run.history["val_loss"][0]) and np.isnan(run.history["val_loss"][1])
    assert run.history["loss"][1] == stored_steps(run, "train", "loss")[-1][1]  # the row at step 6


def test_a_training_that_raised_is_failed_when_the_next_one_begins(tmp_path, digits):
    cb = fitwatch.transformers.Callback("raised", dir=tmp_path, diagnose=False)
    torch.manual_seed(0)
    with pytest.raises(RuntimeError, match="boom"):
        train(make_args(tmp_path), digits, [cb], model=MLP(fail_at_call=3))
    assert fitwatch.load("raised", dir=tmp_path).status == "running"  # the Trainer tells no callback
    train(make_args(tmp_path, num_train_epochs=1), digits, [fitwatch.transformers.Callback("next", dir=tmp_path,
                                                                                           diagnose=False)])
    raised = fitwatch.load("raised", dir=tmp_path)
    assert raised.status == "failed" and "trainer.train() was interrupted" in raised.error
    assert raised.info["interrupted_epoch"] == 0
    assert fitwatch.load("next", dir=tmp_path).status == "finished"


def test_an_uncaught_exception_in_a_script_fails_the_run(tmp_path):
    code = f"""
import os, torch, transformers, fitwatch
torch.set_num_threads(1)
class Boom(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)
    def forward(self, x, labels=None):
        raise ValueError("boom")
args = transformers.TrainingArguments(output_dir={str(tmp_path / "hf")!r}, report_to=[], use_cpu=True,
                                      disable_tqdm=True, save_strategy="no")
data = [{{"x": torch.zeros(2), "labels": torch.zeros(())}}] * 4
cb = fitwatch.transformers.Callback("uncaught", dir={str(tmp_path)!r})
transformers.Trainer(model=Boom(), args=args, train_dataset=data, callbacks=[cb]).train()
"""
    p = run_python(code, check=False, env={"HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"})
    assert p.returncode == 1 and "ValueError: boom" in p.stderr
    run = fitwatch.load("uncaught", dir=tmp_path)
    assert run.status == "failed" and "ValueError: boom" in run.error


def test_a_second_train_with_the_same_callback_goes_on_in_the_same_run(tmp_path, digits):
    cb = fitwatch.transformers.Callback("twice", dir=tmp_path, diagnose=False)
    trainer = train(make_args(tmp_path, num_train_epochs=2), digits, [cb])
    first_id = cb.run.id
    trainer.train()  # the Trainer counts its epochs from 0 again: stored after the first two
    run = fitwatch.load("twice", dir=tmp_path)
    assert cb.run.id == first_id == run.id and run.status == "finished"
    assert run.epochs.tolist() == [0, 1, 2, 3] and not np.isnan(run.history["val_loss"]).any()
    steps = [s for s, _ in stored_steps(run, "train", "loss")]
    assert steps == [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]  # the second train()'s steps 2..10 follow the first's


# -- arguments ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, error, says", [
    ({"name": 3}, TypeError, "name must be a string or None, got 3"),
    ({"config": [1]}, TypeError, "config must be a dict, got list"),
    ({"restore": "yes"}, TypeError, "restore must be True or False, got 'yes'"),
    ({"checkpoint": 3}, TypeError, "checkpoint must be a file path or None, got 3; e.g. checkpoint='best.pt'"),
    ({"diagnose": "loud"}, ValueError, "diagnose must be True, False or 'quiet', got 'loud'"),
    ({"stop": "patience"}, TypeError, "stop takes a fitwatch.EarlyStopping, got str; e.g. stop=fitwatch."),
    ({"stop": fitwatch.EarlyStopping(monitor="eval_loss")}, ValueError, "EarlyStopping(monitor='val_loss')"),
    ({"stop": fitwatch.EarlyStopping(patience=-1)}, ValueError, "patience=-1; pass a whole number >= 0"),
    ({"stop": fitwatch.EarlyStopping(), "eval_strategy": "no"}, ValueError, "eval_strategy='epoch'"),
])
def test_bad_arguments_give_a_one_line_error_before_anything_is_written(tmp_path, digits, kwargs, error, says):
    strategy = kwargs.pop("eval_strategy", "epoch")
    cb = fitwatch.transformers.Callback(dir=tmp_path / "store", **kwargs)
    with pytest.raises(error) as e:
        train(make_args(tmp_path, eval_strategy=strategy), digits, [cb])
    message = str(e.value)
    assert says in message and "\n" not in message
    assert not (tmp_path / "store").exists()


def test_module_layout_and_docstring_examples():
    assert fitwatch.transformers is integration and fitwatch.transformers.Callback is integration.Callback
    assert issubclass(fitwatch.transformers.Callback, transformers.TrainerCallback)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for module in (integration, transformers_logs):
        for test in doctest.DocTestFinder().find(module):
            runner.run(test)
    assert runner.failures == 0 and runner.tries > 20


@pytest.mark.parametrize("strategies, stop", [
    ({"eval_strategy": "steps", "eval_steps": 3}, fitwatch.EarlyStopping(patience=2)),  # judged at the epoch's end
    ({"eval_strategy": "epoch", "logging_strategy": "epoch"}, fitwatch.EarlyStopping(patience=2)),  # at its evaluation
    ({"eval_strategy": "no", "logging_strategy": "epoch"},  # at the row logged at the epoch's end
     fitwatch.EarlyStopping(monitor="loss", patience=1, min_delta=0.02)),
])
def test_the_stop_comes_at_the_end_of_the_epoch_whatever_the_strategies(tmp_path, digits, strategies, stop):
    cb = fitwatch.transformers.Callback("when", dir=tmp_path, stop=stop, diagnose=False)
    trainer = train(make_args(tmp_path, num_train_epochs=40, lr_scheduler_type="constant", **strategies), digits, [cb])
    run = fitwatch.load("when", dir=tmp_path)
    stopped = run.info["stopped_epoch"]
    replay = fitwatch.EarlyStopping(monitor=stop.monitor, patience=stop.patience, min_delta=stop.min_delta)
    for epoch in run.epochs.tolist():
        if replay.update(epoch, {k: v[epoch] for k, v in run.history.items()}):
            break
    assert replay.stopped_epoch == stopped < 39 and run.status == "stopped"
    assert trainer.state.global_step == (stopped + 1) * STEPS  # no step of the next epoch was trained


def test_resume_from_a_checkpoint_goes_on_in_the_same_run(tmp_path, digits):
    args = make_args(tmp_path, num_train_epochs=4, save_strategy="epoch", lr_scheduler_type="constant")
    train(args, digits, [fitwatch.transformers.Callback("resumed", dir=tmp_path, diagnose=False, progress=True,
                                                        stop=fitwatch.EarlyStopping(patience=20))])
    # a new process: the Trainer resumes from its checkpoint at the end of epoch 3 (step 20), to train 6 epochs
    cb = fitwatch.transformers.Callback("resumed", dir=tmp_path, diagnose=False, resume=True,
                                        stop=fitwatch.EarlyStopping(patience=20))
    trainer = train(make_args(tmp_path, num_train_epochs=6, lr_scheduler_type="constant"), digits, [cb],
                    resume_from=str(tmp_path / "hf" / "checkpoint-20"))
    run = fitwatch.load("resumed", dir=tmp_path)
    assert run.status == "finished" and run.epochs.tolist() == list(range(6))
    assert [s for s, _ in stored_steps(run, "train", "loss")] == list(range(2, 31, 2))  # steps 22..30 after 20
    assert run.info["early_stopping"]["resumed_at"] == 4  # the rule went on from its stored state
    np.testing.assert_allclose(run.history["val_loss"][4:], expected_epochs(trainer.state.log_history)["val_loss"][4:],
                               rtol=1e-15)


def test_the_trainer_tells_fitwatchs_rule_its_planned_epochs(tmp_path, digits):
    """num_train_epochs is the default rule's plan (its patience at most 15 % of it)."""
    stop = fitwatch.EarlyStopping()
    cb = fitwatch.transformers.Callback("hf-plan", dir=tmp_path, diagnose="quiet", stop=stop)
    train(make_args(tmp_path, num_train_epochs=2), digits, [cb])
    assert stop.to_dict()["max_epochs"] == 2
    assert fitwatch.load("hf-plan", dir=tmp_path).info["early_stopping"]["max_epochs"] == 2
