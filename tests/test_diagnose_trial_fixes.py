"""Four wrong diagnoses from a new user's trial, on the real files they were found on: a validation loss
the run never computed (a placeholder 0 or inf from the first evaluation), SGD at lr 8 whose loss sat far
above the no-skill level from its first epoch, a run too short to have settled, and "train longer"
after a logged learning-rate schedule had already decayed to about 0; and numbers in messages that did
not say what they were (a percentage of a negative loss, a smoothed minimum unnamed as one)."""

import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import fitwatch
from fitwatch.diagnosis.curves import Curves
from fitwatch.diagnosis.remedies import CATALOGUE, VARIANTS

REAL = Path(__file__).resolve().parent / "data" / "real"


def codes(d):
    return [f.code for f in d.findings]


def remedies(d):
    return [r for f in d.findings for r in f.remedies]


# -- 1. validation never computed ---------------------------------------------------------------------

def test_a_yolo_log_whose_validation_losses_are_placeholders_is_judged_on_its_map():
    """tests/data/real/tb/t618.csv (tune half): val/box_loss and val/dfl_loss 0, val/cls_loss inf in all
    200 rows; mAP50-95 0.025 -> ~0.45, flat since epoch ~110. It was `diverged` ("lower the learning
    rate", "only 0 usable epochs") for cls_loss and `not_learning` for the other two heads."""
    d = fitwatch.diagnose(str(REAL / "tb" / "t618.csv"))
    assert not d.runs and d.verdict in ("good_fit", "overfitting"), d
    assert d.monitor == "metrics_map50_95(b)"
    assert any(n.startswith("validation not computed: val_box_loss 0, val_cls_loss infinite, val_dfl_loss 0")
               for n in d.notes), d.notes
    assert "nan_detected" not in codes(d) and "too_few_epochs" not in codes(d)
    assert CATALOGUE["lr_down"] not in remedies(d)


def test_a_validation_loss_of_0_at_every_epoch_is_left_out_and_training_judged():
    loss = list(2.3 * np.exp(-np.arange(12) / 4) + 0.2)
    d = fitwatch.diagnose({"loss": loss, "val_loss": [0.0] * 12})
    assert d.verdict != "not_learning" and "missing_validation" in codes(d), d
    assert any("validation not computed: val_loss 0" in n for n in d.notes), d.notes


def test_heads_whose_validation_was_never_computed_are_judged_each_on_training():
    x = np.arange(10)
    c = Curves(x, {"box_loss": 2 * np.exp(-x / 3) + 0.5, "val_box_loss": np.zeros(10),
                   "cls_loss": 3 * np.exp(-x / 3) + 0.4, "val_cls_loss": np.full(10, np.inf),
                   "metrics_precision(b)": np.linspace(0.01, 0.6, 10)})  # evaluated: the model worked
    d = fitwatch.diagnose(c)
    assert [r.monitor for r in d.runs] == ["box_loss", "cls_loss"]
    assert all(r.verdict != "diverged" and "nan_detected" not in codes(r) for r in d.runs), d.runs


def test_a_validation_loss_nan_at_every_evaluation_with_nothing_evaluated_that_worked_still_diverged():
    """NaN at every evaluation beside a finite training loss, and no validation metric that rose: the
    model may have blown up on the validation data; the placeholder reading needs the evaluation seen
    working (YOLO's mAP rising)."""
    loss = list(2.3 * np.exp(-np.arange(10) / 4) + 0.2)
    d = fitwatch.diagnose({"loss": loss, "val_loss": [math.nan] * 10, "val_accuracy": [0.1] * 10})
    assert d.verdict == "diverged" and not any("not computed" in n for n in d.notes), d


def test_a_validation_loss_that_went_nan_later_or_beside_a_nan_training_loss_still_diverged():
    """Real divergences keep their verdict: validation computed, then NaN; or NaN from the first
    evaluation while the training loss blew up too."""
    later = {"loss": [2.0, 1.5, 1.2, 1.0, 0.9, 0.8, 0.7, 0.6], "val_loss": [2.1, 1.6, 1.3, 1.1, math.nan, math.nan,
                                                                          math.nan, math.nan]}
    assert fitwatch.diagnose(later).verdict == "diverged"
    at_once = {"loss": [9.0, math.nan, math.nan, math.nan, math.nan], "val_loss": [math.inf] * 5}
    d = fitwatch.diagnose(at_once)
    assert d.verdict == "diverged" and not any("not computed" in n for n in d.notes)


# -- 4. "train longer" after the schedule had decayed to about 0 --------------------------------------

def test_still_improving_after_the_lr_decayed_to_about_0_says_to_stretch_the_schedule():
    """tests/data/real/keras/k834.json (cosine decay to 1e-06 of 3e-4) and hf/h707.json (a Trainer's
    linear decay to 1e-08): both still fall a little at the end; "train for more epochs" as they are
    would train at a learning rate of about 0."""
    for name in ("keras/k834.json", "hf/h707.json"):
        d = fitwatch.diagnose(str(REAL / name))
        f = d.findings[0]
        assert f.code == "still_improving", d
        assert "learning rate had already decayed" in f.message and f.evidence["lr_last"] <= 0.02 * f.evidence["lr_peak"]
        # a trainer_state.json is a Trainer run: the remedy in its words (num_train_epochs)
        want = VARIANTS["transformers"]["lr_restart"] if name.startswith("hf/") else CATALOGUE["lr_restart"]
        assert f.remedies[0] == want, f.remedies
        assert CATALOGUE["more_epochs"] not in remedies(d)


def test_a_schedule_still_at_a_useful_rate_keeps_train_longer():
    x = np.arange(30)
    loss = list(np.exp(-x / 20))
    d = fitwatch.diagnose({"loss": loss, "val_loss": [v + 0.05 for v in loss], "lr": list(np.linspace(1e-3, 2e-4, 30))})
    assert d.verdict == "still_improving" and d.findings[0].message.endswith("Train longer.")
    assert d.findings[0].remedies[0] == CATALOGUE["more_epochs"]


# -- 3. too short to have settled ---------------------------------------------------------------------

#: the trial's k_short.csv, its first 4 epochs (Keras SGD 0.01 on digits), and its trunc.csv (3 epochs,
#: the last line cut mid-number)
SHORT = """epoch,accuracy,loss,val_accuracy,val_loss
0,0.23548130691051483,2.2437541484832764,0.3185185194015503,2.193741798400879
1,0.49164676666259766,2.1179041862487793,0.605555534362793,2.0771586894989014
2,0.7072394490242004,1.9913914203643799,0.7333333492279053,1.9545280933380127
3,0.8098647594451904,1.8551934957504272,0.7759259343147278,1.822196125984192
"""
TRUNC = """epoch,loss,sparse_categorical_accuracy,val_loss,val_sparse_categorical_accuracy
0,0.7149578928947449,0.5988987684249878,0.6280650496482849,0.7343078255653381
1,0.6064627170562744,0.7098687291145325,0.5717502236366272,0.7489252090454102
2,0.5719084739685059,0.7280813455581665,0.5865832567214966,0.718"""


def test_a_run_of_3_or_4_epochs_falling_at_each_is_too_short_to_have_settled(tmp_path):
    """trunc.csv was `underfitting`, "Training settled at 0.6393, still 89% of where it started"
    after 3 epochs whose training loss fell at each; the 4-epoch run had no word that it is too short."""
    for name, text in (("short.csv", SHORT), ("trunc.csv", TRUNC)):
        path = tmp_path / name
        path.write_text(text)
        d = fitwatch.diagnose(str(path))
        assert d.verdict == "still_improving", d
        assert "too_few_epochs" in codes(d) and "settled" not in str(d), d
        assert CATALOGUE["larger_model"] not in remedies(d)


def test_a_short_run_whose_training_loss_stopped_falling_may_settle():
    """The rule needs the fall at every epoch: a 4-epoch run flat over its last two is judged as before."""
    d = fitwatch.diagnose({"loss": [0.70, 0.60, 0.60, 0.60], "val_loss": [0.66, 0.62, 0.62, 0.62]})
    assert "too_few_epochs" not in codes(d) and d.verdict != "still_improving", d


# -- 4. numbers that say what they are --------------------------------------------------------------


def test_a_rise_from_a_negative_loss_is_not_a_percentage():
    """l836 (a negative log-likelihood, tune half): validation rose from -0.53 to 3.6, told "+785%", and
    its gap "13x the training loss" of a training loss below 0; now the rise is absolute and no ratio
    to a loss at or below 0 is given."""
    d = fitwatch.diagnose(REAL / "lightning" / "l836.csv")
    text = " ".join(f.message for f in d.findings)
    assert d.verdict == "overfitting" and "(up 4.178)" in text and "%)" not in d.findings[0].message, text
    assert "the training loss is at or below 0: no ratio to it" in text and "13x" not in text


def test_a_smoothed_minimum_says_it_is_smoothed_beside_the_best_epoch():
    """l061 (tune half): "stopped improving around epoch 16 (0.0008087)" was a smoothed value, the best
    single epoch 0.0002885 at epoch 15 unnamed. (l061 is read whole since its validation epochs without a
    training value count, and rises now; k1111 stalls as it did.)"""
    msg = fitwatch.diagnose(REAL / "keras" / "k1111.json").findings[0].message
    assert "(0.2033 smoothed; its best single epoch 0.1987 at epoch 3)" in msg, msg
    assert msg.endswith("(values smoothed over 3 epochs).")
    assert fitwatch.diagnose(REAL / "lightning" / "l061.csv").findings[0].message.endswith(
        "values smoothed over 5 epochs).")


def test_a_loss_near_0_still_falling_gives_its_share_of_the_level():
    """k017 (tune half): the last 3 epochs took 1% of the whole drop but a third off a loss near 0."""
    msg = fitwatch.diagnose(REAL / "keras" / "k017.csv").findings[0].message
    assert "(by a line fitted through them; 1% of its whole drop, 31% of its level)" in msg, msg


# -- 5. a second trial's runs (Keras 3, torch backend; tests/data/logs/) --------------------------

LOGS = Path(__file__).resolve().parent / "data" / "logs"


def test_a_model_that_settled_on_the_majority_class_is_not_learning():
    """95/5 data: both accuracies 0.9467 (the majority's share) from epoch 2 to 29 while the loss fell
    to the class prior's entropy; it was `overfitting` from epoch 10 with augmentation advice. Frozen
    from the first epoch was the rule; frozen over the last three quarters on both sets is one class too."""
    d = fitwatch.diagnose(LOGS / "keras_imbalanced_majority_class.csv")
    assert d.verdict == "not_learning", d
    assert "stopped changing (0.9467 from epoch 2 to the end, training accuracy too)" in d.findings[0].message
    assert d.findings[0].remedies[0] == CATALOGUE["class_balance"]


def test_a_model_at_chance_is_not_told_it_grows_overconfident():
    """Shuffled labels: not_learning, and no `overconfident` beside it ("monitor validation accuracy",
    "keep the best epoch" for an accuracy at chance at every epoch)."""
    d = fitwatch.diagnose(LOGS / "keras_shuffled_labels.csv")
    assert d.verdict == "not_learning" and "overconfident" not in codes(d), d


def test_an_accuracy_frozen_only_late_on_one_set_is_not_one_class():
    """The late rule needs both sets frozen at one value: a small validation set's accuracy stuck at
    0.95 for 20 epochs while training's still moves is a model that learned."""
    n = 30
    loss = list(np.linspace(0.7, 0.1, n))
    vloss = list(np.linspace(0.7, 0.2, n))
    acc = list(np.linspace(0.6, 0.97, n))
    vacc = [0.6, 0.7, 0.8, 0.9, 0.93] + [0.95] * (n - 5)
    d = fitwatch.diagnose({"loss": loss, "val_loss": vloss, "accuracy": acc, "val_accuracy": vacc})
    assert d.verdict != "not_learning", d


def test_a_regression_that_learned_only_the_mean_is_not_told_to_raise_the_rate(tmp_path):
    """Inputs with no signal: MSE 12.8 -> 3.54 against a stated baseline 3.55 (the target's variance).
    not_learning, led by checking the data, without 'raise the learning rate' (the loss fell 72 %) nor
    'rebalance the classes' (a baseline names no class)."""
    loss = [12.82, 9.929, 7.859, 6.423, 5.454, 4.829, 4.474] + list(np.linspace(4.2, 3.6, 23))
    val = [10.26, 7.953, 6.35, 5.281, 4.628, 4.278, 4.084] + list(np.linspace(3.9, 3.541, 23))
    d = fitwatch.diagnose({"loss": loss, "val_loss": val}, baseline=3.55)
    assert d.verdict == "not_learning", d
    got = remedies(d)
    assert got[0] == CATALOGUE["check_data"] and CATALOGUE["lr_up"] not in got and CATALOGUE["class_balance"] not in got


def test_no_class_count_is_guessed_against_the_accuracy():
    """A binary model saturated by inputs x1000: the loss sat at 4.848 (ln 127) beside an accuracy of
    0.70; the evidence said classes_guess=127. An accuracy far above 1/k rules the guess out."""
    n = 30
    d = fitwatch.diagnose({"loss": [4.848] * n, "val_loss": [5.131] * n, "accuracy": [0.6962] * n,
                           "val_accuracy": [0.6784] * n})
    assert d.verdict == "not_learning" and "classes_guess" not in d.findings[0].evidence, d.findings[0].evidence
    assert "ln(127)" not in str(d)


def test_a_share_of_an_accuracys_level_says_it_is_of_the_error():
    """An accuracy is judged as its error (1 - accuracy): "46% of its level" was 46 % of the error left,
    not of the accuracy's level (0.97)."""
    d = fitwatch.diagnose(LOGS / "sklearn_mlp_val_accuracy.json", monitor="val_accuracy")
    msg = d.findings[0].message
    assert d.verdict == "still_improving" and "(by a line fitted through them; 1% of its whole rise, 46% of the error left)" in msg, msg


def test_numbers_of_a_good_fit_are_the_files():
    """A Keras run on wine (tests/data/logs/keras_wine_val_creeping.csv): the gap a good fit states is
    the last epoch's, as logged, and the same in generalization_gap (207 %; they said 200 % and 197 %,
    from smoothed ends); `end` is the last value logged (the smoothed one is `smoothed_end`); its
    validation loss still falls at each epoch beside an accuracy of 1.0: good_fit, not "settled"."""
    d = fitwatch.diagnose(LOGS / "keras_wine_val_creeping.csv")
    top = d.findings[0]
    gap = next(f for f in d.findings if f.code == "generalization_gap")
    assert d.verdict == "good_fit" and abs(top.evidence["end"] - 0.0049873856) < 1e-9 and "smoothed_end" in top.evidence
    assert "settled" not in top.message and "still creeps down at each epoch" in top.message, top.message
    assert "ends above training by 207% of the training loss" in top.message
    assert gap.message.startswith("Validation loss ends 0.003363 above training (207% of the training loss)")


def test_a_run_early_stopping_ended_while_improving_is_told_more_patience_not_more_epochs():
    """A fitted MLPClassifier (early_stopping=True, stopped at 53 of max_iter=300 while validation still
    rose) was told "Train for more epochs (a higher max_iter)" and "Stop early: early_stopping=True in
    the estimator", what it did: the stop's own remedy is left out in a framework's words too, and a
    stop before the planned epochs calls for more patience."""
    n = 30
    val = [2.0 - 0.05 * e for e in range(n)]  # falling steadily to the end
    stop = {"stopped": True, "stopped_epoch": n - 1, "best_epoch": n - 1, "restored": True, "restored_epoch": n - 1,
            "last_epoch": n - 1, "epochs_planned": 300, "monitor": "val_loss"}
    d = fitwatch.diagnose({"loss": [v - 0.1 for v in val], "val_loss": val}, stop=stop,
                          context={"model": "sklearn_mlp"})
    assert d.verdict == "still_improving", d
    got = remedies(d)
    assert got[0] == CATALOGUE["more_patience"] and not any("max_iter" in r or "early_stopping=True" in r for r in got)
    assert "Early stopping ended it first." in d.findings[0].message


def test_a_fitted_mlp_whose_early_stopping_never_fired_is_told_to_lower_its_patience_not_to_set_it():
    """A fitted MLPClassifier with early_stopping=True and n_iter_no_change=100 ran to max_iter=40, its
    validation accuracy at its best long before: it was told "Stop early: early_stopping=True in the
    estimator", what it has. A rule in place that never fired is told to lower its patience."""
    sk = pytest.importorskip("sklearn.neural_network")
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter cut it
        mlp = sk.MLPClassifier((64,), early_stopping=True, n_iter_no_change=100, max_iter=40, alpha=0,
                               learning_rate_init=0.01, random_state=0).fit(X[:400], y[:400])
    d = fitwatch.diagnose(mlp)
    got = remedies(d)
    restored = next(f for f in d.findings if f.code == "best_restored")
    assert mlp.n_iter_ == 40 and 40 - 1 - restored.evidence["best_epoch"] >= 5, restored.evidence
    assert "sklearn n_iter_no_change=100, never fired" in restored.message, restored.message
    assert CATALOGUE["less_patience"] in got and not any("early_stopping=True" in r for r in got), got


def test_a_first_epoch_blow_up_then_chance_is_not_learning_not_good_fit():
    """A third trial's Lightning run, Adam at lr=1.0 on digits (10 classes): training loss 1074 at epoch 0,
    then 2.33-2.39 (ln 10 = 2.303), validation accuracy 0.076-0.128. It was good_fit ("both losses fell and
    settled"): its validation accuracy's median, 0.088, read 11 classes, and ln 11 hid the floor."""
    d = fitwatch.diagnose(LOGS / "lightning_adam_lr1_blowup.csv")
    top = d.findings[0]
    assert d.verdict == "not_learning", d
    assert top.evidence["classes_guess"] == 10 and "467 times the no-skill level ln(10)" in top.message
    assert "memorised" not in top.message  # training never got below ln 10 either
    assert top.remedies[0] == CATALOGUE["lr_down"] and CATALOGUE["lr_up"] not in remedies(d)
    assert not any("fits its training data" in n for n in d.notes)


def test_a_fitted_mlp_regressor_overfitting_beside_its_falling_loss_curve_is_overfitting():
    """A third trial: MLPRegressor((256, 256), early_stopping=True, alpha=0) on 100 diabetes rows; its
    validation R² peaked at epoch 6 (1 - R² 0.737) and ended at 0.855 while loss_curve_ fell 0.258 -> 0.086:
    it was good_fit. A training loss of another measure that kept falling lets the rise count."""
    sk = pytest.importorskip("sklearn.neural_network")
    from sklearn.datasets import load_diabetes
    from sklearn.preprocessing import scale

    X, y = load_diabetes(return_X_y=True)
    X, y = scale(X), (y - y.mean()) / y.std()
    m = sk.MLPRegressor(hidden_layer_sizes=(256, 256), early_stopping=True, validation_fraction=0.3, n_iter_no_change=30, max_iter=500,
                        random_state=0, alpha=0).fit(X[:100], y[:100])
    d = fitwatch.diagnose(m)
    best = int(np.argmax(m.validation_scores_))
    assert d.verdict == "overfitting" and d.best_epoch == best, d
    assert "kept lowering its own objective" in d.findings[0].message
    assert d.findings[0].evidence["objective_end"] < d.findings[0].evidence["objective_at_best"]


def test_a_training_loss_beside_a_validation_accuracy_is_judged_on_the_accuracy(tmp_path):
    """A log with a training loss and a validation accuracy only (a hand-written loop's train_loss and
    val_acc): the loss still fell at the end while validation accuracy fell for 13 epochs after its peak,
    and it was told "still improving: train longer". A reader judges the validation score, as the
    labelling protocol does; show, runs and the diagnosis name one best epoch."""
    x = np.arange(30)
    loss = 1.5 * np.exp(-x / 6) + 0.05
    vacc = 0.9 - 0.5 * np.exp(-x / 5) - 0.004 * np.maximum(0, x - 12)
    d = fitwatch.diagnose({"loss": list(loss), "val_accuracy": list(vacc)})
    assert d.verdict == "overfitting" and d.monitor == "val_accuracy" and d.best_epoch == int(np.argmax(vacc)), d
    assert any(n.startswith("no validation loss: judged val_accuracy") for n in d.notes), d.notes
    assert fitwatch.diagnose({"loss": list(loss), "val_accuracy": list(vacc)}, monitor="loss").verdict == "still_improving"
    path = tmp_path / "log.csv"
    path.write_text("epoch,train_loss,val_acc\n" + "".join(f"{i},{loss[i]},{vacc[i]}\n" for i in x))
    show = subprocess.run([sys.executable, "-m", "fitwatch", "show", str(path)], capture_output=True, text=True, timeout=60)
    assert f"best val_accuracy {vacc.max():.4g} at epoch 16" in show.stdout, show.stdout
    store = tmp_path / "store"
    with fitwatch.Run("acc", dir=store, progress=False) as run:
        for e in run.epochs(30):
            run.log_epoch(loss=float(loss[e]), val_accuracy=float(vacc[e]))
    runs = subprocess.run([sys.executable, "-m", "fitwatch", "runs", "--dir", str(store), "--json"], capture_output=True,
                          text=True, timeout=60)
    [r] = json.loads(runs.stdout)
    assert r["heads"] == [{"key": "val_accuracy", "best_epoch": 16, "best_value": pytest.approx(vacc.max())}], r
    show = subprocess.run([sys.executable, "-m", "fitwatch", "show", "acc", "--dir", str(store)], capture_output=True,
                          text=True, timeout=60)
    assert "best val_accuracy" in show.stdout and "at epoch 16" in show.stdout, show.stdout


def test_a_run_nan_from_its_second_epoch_is_not_told_to_train_longer():
    """A fourth trial: an RNN without clipping, NaN from epoch 1, was diverged and then told "Only 0 usable
    epochs... Train for more epochs"."""
    d = fitwatch.diagnose({"loss": [2.3] + [math.nan] * 15, "val_loss": [2.31] + [math.nan] * 15})
    assert d.verdict == "diverged", d
    short = next(f for f in d.findings if f.code == "too_few_epochs")
    assert not short.remedies and "before the loss became NaN" in short.message
    assert not any("more epochs" in r for f in d.findings for r in f.remedies), d.findings
    # NaN from the first epoch (a ninth trial): "only 0 usable epochs" was listed among the causes; the verdict says it
    d = fitwatch.diagnose({"loss": [math.nan] * 15, "val_loss": [math.nan] * 15})
    assert d.verdict == "diverged" and "too_few_epochs" not in [f.code for f in d.findings], d


def test_a_collapsed_classifier_is_read_against_the_class_count_its_validation_accuracy_gives():
    """A fifth trial: SGD lr 1.5 on digits, the first epoch's loss 3.94, then the training loss at
    2.40-2.45 (above ln 10) at a training accuracy of about 0.096, validation accuracy 0.100. The
    message said "ln(11) = 2.398 ... 11 classes" (the training loss and accuracy alone) and that the
    loss sat "at" the no-skill level; the validation accuracy says ten classes, and the loss sits above."""
    rng = np.random.default_rng(0)
    n = 40
    loss = [3.944] + list(2.44 + 0.03 * rng.standard_normal(n - 1))
    acc = [0.197] + list(0.096 + 0.008 * rng.standard_normal(n - 1))
    val = list(2.45 + 0.04 * rng.standard_normal(n))
    vacc = list(0.1 + 0.002 * rng.standard_normal(n))
    d = fitwatch.diagnose({"loss": loss, "val_loss": val, "accuracy": acc, "val_accuracy": vacc})
    f = d.findings[0]
    assert d.verdict == "not_learning" and f.evidence["classes_guess"] == 10, f.evidence
    assert "ln(10) = 2.303" in f.message and "sat above the no-skill level" in f.message, f.message


def test_a_run_nan_from_its_first_epoch_is_not_told_to_restore_its_best_epoch(tmp_path):
    """A fifth trial: a run that passed restore=model went NaN in epoch 0; its stop was told "the model
    keeps the last epoch's weights, not the best epoch's (None)" and to pass restore=model."""
    import torch

    model = torch.nn.Linear(2, 1)
    with fitwatch.Run("nan-at-once", dir=tmp_path, progress=False, diagnose=False) as run:
        for _ in run.epochs(10, stop=fitwatch.EarlyStopping(), restore=model):
            run.log_epoch(loss=math.nan, val_loss=math.nan)
    d = fitwatch.diagnose("nan-at-once", dir=tmp_path)
    f = next(f for f in d.findings if f.code == "stopped_early")
    assert "no best epoch to restore" in f.message and "(None)" not in f.message, f.message
    assert CATALOGUE["restore_best"] not in [r for g in d.findings for r in g.remedies]


def test_a_slow_straight_decline_is_told_to_raise_the_learning_rate_not_to_decay_it():
    """A fifth trial: SGD lr 1e-4 on diabetes, validation 0.847 -> 0.732 in a nearly straight line
    over 60 epochs (its step shrinking from 0.0028 to 0.0015). It was still_improving with "use a
    learning-rate schedule: warm-up, then decay" and no word of the rate: a bend that slow read as
    noise (0.00033 against a step of 0.0014) and hid the straight line."""
    e = np.arange(60)
    val = 0.847 - 0.0028 * e + 0.0000115 * e ** 2
    loss = val + 0.23
    d = fitwatch.diagnose({"loss": list(loss), "val_loss": list(val)})
    assert d.verdict == "still_improving", d
    assert "lr_too_low" in [f.code for f in d.findings], d
    first = d.findings[0].remedies
    assert CATALOGUE["lr_up"] in first and CATALOGUE["lr_schedule"] not in first, first


def test_a_stop_at_the_first_uptick_of_a_curve_still_improving_is_said_to_be_too_soon():
    """A fifth trial: EarlyStopping(patience=1) stopped at epoch 8, one epoch after a best that the
    validation loss reached falling 0.30 -> 0.28 -> 0.23 -> 0.21; the diagnosis said good_fit and
    nothing of the stop (fitwatch's default stop, on the same seed, reached 0.1818)."""
    val = [1.898, 1.05, 0.549, 0.403, 0.3045, 0.2786, 0.2293, 0.2111, 0.2225]
    loss = [2.2, 1.5, 0.75, 0.38, 0.26, 0.2, 0.16, 0.135, 0.11]
    stopper = fitwatch.EarlyStopping(patience=1)
    for e, (a, b) in enumerate(zip(loss, val)):
        if stopper.update(e, {"loss": a, "val_loss": b}):
            break
    assert stopper.stopped_epoch == 8 and stopper.best_epoch == 7
    d = fitwatch.diagnose({"loss": loss, "val_loss": val}, stop=stopper)
    f = next(f for f in d.findings if f.code == "stopped_early")
    assert "a patience that short stops at the first uptick" in f.message and f.remedies[0] == CATALOGUE["more_patience"]
    # a stop on a curve that had flattened before its best says no such thing
    flat = [1.0, 0.6, 0.45, 0.41, 0.40, 0.399, 0.398, 0.3975, 0.41]
    stopper = fitwatch.EarlyStopping(patience=1)
    for e, b in enumerate(flat):
        if stopper.update(e, {"val_loss": b}):
            break
    d = fitwatch.diagnose({"loss": loss, "val_loss": flat}, stop=stopper)
    assert "first uptick" not in next(f for f in d.findings if f.code == "stopped_early").message


def test_a_learning_rate_cut_while_validation_still_fell_fast_is_named():
    """A fifth trial: StepLR(15, 0.1) cut SGD's 0.05 to 0.005 at epoch 15 while validation still fell
    about 0.07 an epoch; after it, 0.005 an epoch, ending at 0.534 where lr 0.05 throughout reached
    0.075. It was good_fit, its remedies a schedule ("use a learning-rate schedule"). A cut on a
    plateau (ReduceLROnPlateau's, after a rebound) is not one."""
    e = np.arange(45)
    val = np.where(e < 15, 2.25 * np.exp(-e / 6.5) + 0.4, 0.0)
    for i in range(15, 45):
        val[i] = val[i - 1] - (0.005 if i < 30 else 0.0004)
    lr = [0.05] * 15 + [0.005] * 15 + [0.0005] * 15
    d = fitwatch.diagnose({"loss": list(val - 0.03), "val_loss": list(val), "lr": lr})
    f = next((f for f in d.findings if f.code == "lr_decayed_early"), None)
    assert f is not None and f.evidence["epoch"] == 15 and f.remedies == [CATALOGUE["lr_decay_later"]], d
    assert CATALOGUE["lr_schedule"] not in [r for g in d.findings for r in g.remedies]
    plateau = [2.0, 1.2, 0.9, 0.8, 0.78, 0.77, 0.8, 0.79, 0.78, 0.85, 0.79, 0.6, 0.58, 0.57, 0.565, 0.56, 0.558, 0.556]
    lr = [1e-3] * 11 + [2e-4] * 7
    d = fitwatch.diagnose({"loss": [v - 0.1 for v in plateau], "val_loss": plateau, "lr": lr})
    assert "lr_decayed_early" not in [f.code for f in d.findings], d


def test_early_jumps_of_both_losses_name_a_learning_rate_too_high_beside_the_verdict():
    """A fifth trial: SGD lr 0.3 on digits, training 0.185 -> 0.472 at epoch 6 and validation 0.156 ->
    0.459 at epoch 5 after both had learned; the run then settled and overfit, and only overfitting was
    said. A training mean near 0 that doubles alone (a noisy batch) says nothing."""
    loss = [0.922, 0.265, 0.386, 0.375, 0.283, 0.185, 0.472, 0.254, 0.157, 0.108, 0.103, 0.079, 0.047, 0.035, 0.04,
            0.047, 0.028, 0.02, 0.008, 0.006, 0.01, 0.003, 0.003, 0.003, 0.002, 0.001, 0.002, 0.002, 0.001, 0.002]
    val = [0.545, 1.291, 0.457, 0.439, 0.156, 0.459, 0.461, 0.338, 0.299, 0.19, 0.257, 0.236, 0.159, 0.182, 0.119,
           0.187, 0.197, 0.109, 0.113, 0.124, 0.144, 0.124, 0.121, 0.112, 0.118, 0.115, 0.117, 0.119, 0.121, 0.12]
    d = fitwatch.diagnose({"loss": loss, "val_loss": val})
    f = next((f for f in d.findings if f.code == "lr_too_high"), None)
    assert d.verdict not in ("unstable", "diverged") and f is not None, d
    assert f.evidence["epoch"] == 6 and f.evidence["val_epoch"] == 5 and f.remedies[0] == CATALOGUE["lr_down"], f
    calm = [0.9 * math.exp(-e / 3) + 0.05 for e in range(30)]
    calm[6] *= 1.6  # the training mean alone
    d = fitwatch.diagnose({"loss": calm, "val_loss": [v + 0.1 for v in calm[:6]] + [calm[6] / 1.6 + 0.1] + [v + 0.1 for v in calm[7:]]})
    assert "lr_too_high" not in [f.code for f in d.findings], d


def test_a_loss_near_0_that_wiggles_while_its_accuracy_holds_is_not_unstable():
    """Tune k519: a validation loss near 0 (0.0047, 0.0073, 0.0047...) whose relative scatter is large
    while validation accuracy held at 99.6-99.9 %: labelled good_fit, diagnosed unstable. The loss's
    moves changed confidence, not answers; the same moves beside an accuracy that swings still count."""
    val = [0.044, 0.040, 0.0175, 0.0228, 0.0122, 0.0183, 0.0199, 0.0117, 0.0131, 0.0091, 0.0140, 0.0084, 0.0081,
           0.0140, 0.0126, 0.0148, 0.0061, 0.0048, 0.0073, 0.0047]
    loss = [0.10, 0.052, 0.052, 0.036, 0.030, 0.031, 0.038, 0.025, 0.025, 0.031, 0.026, 0.021, 0.017, 0.032, 0.017,
            0.017, 0.015, 0.015, 0.016, 0.014]
    held = [0.986, 0.993, 0.995, 0.997, 0.9965, 0.9955, 0.996, 0.9973, 0.9959, 0.9975, 0.9962, 0.9983, 0.9981,
            0.9979, 0.9984, 0.9952, 0.998, 0.9987, 0.9987, 0.9986]
    d = fitwatch.diagnose({"loss": loss, "val_loss": val, "val_accuracy": held})
    assert d.verdict != "unstable", d
    swings = [a - (0.08 if i % 2 and i > 9 else 0.0) for i, a in enumerate(held)]
    assert fitwatch.diagnose({"loss": loss, "val_loss": val, "val_accuracy": swings}).verdict == "unstable"


def test_the_plateau_counts_the_epochs_after_it():
    """A sixth trial: "95% of its progress by epoch 5; the remaining 15 epochs" for 20 epochs numbered
    0-19 (14 come after epoch 5)."""
    e = np.arange(20)
    loss = list(2.0 * np.exp(-e / 1.2) + 0.3)
    d = fitwatch.diagnose({"loss": loss, "val_loss": [v + 0.05 for v in loss]})
    p = next(f for f in d.findings if f.code == "plateau")
    at = p.evidence["epoch"]
    assert f"by epoch {at}; the remaining {19 - at} epochs" in p.message, p.message


def test_a_classifier_right_on_99_percent_of_both_sets_is_not_underfitting():
    """Training 99.7 % and validation 99.3 % accuracy with the loss held at 0.45 (label smoothing): the
    model has nothing left to fit; it was 'underfitting' (issue 11's tuning half, k1408#1)."""
    import fitwatch
    n = 40
    e = np.arange(n)
    loss = 0.45 + 0.7 * np.exp(-e / 5)
    history = {"loss": loss.tolist(), "val_loss": (loss - 0.01).tolist(),
               "accuracy": (0.997 - 0.35 * np.exp(-e / 5)).tolist(),
               "val_accuracy": (0.993 - 0.2 * np.exp(-e / 5)).tolist()}
    assert fitwatch.diagnose(history).verdict == "good_fit"
    history["accuracy"] = (0.95 - 0.3 * np.exp(-e / 5)).tolist()  # right on 95 % but unsure: held back
    history["val_accuracy"] = (0.94 - 0.2 * np.exp(-e / 5)).tolist()
    assert fitwatch.diagnose(history).verdict == "underfitting"


def test_show_marks_the_best_of_a_loss_by_another_name_as_the_diagnosis_judges_it(tmp_path):
    """A new user's trial: 'Valid MSE' (and mean_loss/val_mean_loss) is judged by the diagnosis, which
    says best epoch 20; `fitwatch show` on the same file marked no best epoch and printed no best line."""
    from rich.console import Console

    from fitwatch.diagnosis.readers import read_curves
    from fitwatch.show.logfile import print_show_curves

    x = np.arange(21)
    train, val = 1.0 * np.exp(-x / 8) + 0.05, 1.0 * np.exp(-x / 8) + 0.1
    for header, best in (("Epoch,Train MSE,Valid MSE", "val_mse"), ("epoch,mean_loss,val_mean_loss", "val_mean_loss")):
        path = tmp_path / "log.csv"
        path.write_text(header + "\n" + "".join(f"{i},{train[i]:.4f},{val[i]:.4f}\n" for i in x))
        d = fitwatch.diagnose(str(path))
        assert d.monitor == best and d.best_epoch == 20, d
        console = Console(record=True, width=120)
        print_show_curves(read_curves(path)[0], console)
        out = console.export_text()
        assert f"best {best} {val[20]:.4g} at epoch 20" in out and "<- best" in out, out


def test_show_numbers_a_trainers_mid_epoch_evaluations_as_evaluations(tmp_path):
    """A new user's trial: a trainer_state.json of 4 epochs evaluated every 50 steps (8 evaluations);
    diagnose and the report said 'best evaluation 3', `fitwatch show` 'at epoch 3; last epoch 7' under an
    epoch column, for a 4-epoch training."""
    from rich.console import Console

    from fitwatch.diagnosis.readers import read_curves
    from fitwatch.show.logfile import print_show_curves

    val = [1.18, 1.03, 0.91, 0.81, 0.84, 0.86, 0.89, 0.91]
    rows = []
    for i, v in enumerate(val):
        step = 50 * (i + 1)
        rows += [{"epoch": (step - 25) / 100, "step": step - 25, "loss": 1.0 - 0.05 * i},
                 {"epoch": step / 100, "step": step, "eval_loss": v}]
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps({"log_history": rows}))
    curves = read_curves(path)[0]
    assert curves.unit == "evaluation" and fitwatch.diagnose(str(path)).best_epoch == 3
    console = Console(record=True, width=120)
    print_show_curves(curves, console)
    out = console.export_text()
    assert "evaluations 8" in out and any(line.split()[:2] == ["evaluation", "loss"] for line in out.splitlines() if line.strip()), out
    assert "best val_loss 0.81 at evaluation 3; last evaluation 7" in out, out


def test_nan_detected_says_what_each_curve_became():
    """A new user's trial: loss inf and val_loss NaN from epoch 8 read 'loss and val_loss became infinite'."""
    loss = [1.1, 0.9, 0.74, 0.61, 0.51, 0.43, 0.36, 0.31] + [math.inf] * 3
    val = [1.21, 0.99, 0.81, 0.67, 0.56, 0.47, 0.4, 0.34] + [math.nan] * 3
    f = next(f for f in fitwatch.diagnose({"loss": loss, "val_loss": val}).findings if f.code == "nan_detected")
    assert f.message == "loss became infinite and val_loss became NaN at epoch 8.", f.message
    f = next(f for f in fitwatch.diagnose({"loss": loss, "val_loss": val[:8] + [math.inf] * 3}).findings
             if f.code == "nan_detected")
    assert f.message == "loss and val_loss became infinite at epoch 8.", f.message


def test_a_run_still_training_is_not_told_to_train_longer(tmp_path):
    """A new user's trial: a run at epoch 6 of 40, still training, was told "Train longer." and "Train for
    more epochs." by diagnose, the dashboard and the report; only a note said it was still training."""
    run = fitwatch.Run("live", dir=tmp_path, diagnose=False, progress=False)
    for e in run.epochs(40):
        run.log_epoch(loss=2.0 * 0.7 ** e, val_loss=2.1 * 0.75 ** e + 0.3)
        if e == 5:
            d = fitwatch.diagnose("live", dir=tmp_path)
            break
    f = d.findings[0]
    assert d.verdict == "still_improving" and f.evidence["in_progress"], d
    assert "Train longer" not in f.message and f.message.endswith("The run is still training: let it go on.")
    assert CATALOGUE["more_epochs"] not in remedies(d)
    assert any(n.startswith("the run is still training (5 epochs so far)") for n in d.notes), d.notes
    run.finish()
    d = fitwatch.diagnose("live", dir=tmp_path)  # ended at epoch 5 of 40: now it is told
    assert d.findings[0].message.endswith("Train longer.") and CATALOGUE["more_epochs"] in remedies(d)


def test_no_ratio_to_a_training_error_of_0():
    """A new user's trial, judged with --monitor val_accuracy on a run whose training accuracy reached 1.0:
    the message said "no ratio to it", the evidence gave relative_to_train and train_val_gap of 1.3e+11."""
    x = np.arange(40)
    acc = np.minimum(1.0, 0.5 + 0.05 * x)
    vacc = np.minimum(0.87, 0.45 + 0.04 * x)
    d = fitwatch.diagnose({"loss": list(np.exp(-x / 5)), "val_loss": list(0.4 + np.exp(-x / 5)),
                           "accuracy": list(acc), "val_accuracy": list(vacc)}, monitor="val_accuracy")
    for f in d.findings:
        for key in ("relative_to_train", "smoothed_relative_to_train", "train_val_gap", "smoothed_train_val_gap"):
            v = f.evidence.get(key)
            assert v is None or v < 1e6, (f.code, key, v)


def test_a_learning_rate_too_high_is_not_told_to_be_raised():
    """A new user's trial, SGD at lr 0.5 on digits: validation 0.75 at epoch 0 (accuracy 0.78), then 1.49,
    1.93... to 1.67 (accuracy 0.29); it was not_learning with lr_too_low, "Raise the learning rate" first,
    and "fell from 1.403 to at best 1.403 (49.4% lower)". And batch 1 at lr 0.5, the training loss above
    the no-skill level the run states (ln 10), was told the same."""
    loss = [1.4025, 1.5706, 1.8064, 1.6871, 1.6866, 1.8336, 1.7755, 1.7417, 1.7347, 1.717, 1.7088, 1.6924, 1.6893,
            1.6809, 1.6703]
    val = [0.7523, 1.4873, 1.9346, 1.8736, 1.9654, 1.7926, 1.7486, 1.784, 1.7505, 1.7156, 1.6911, 1.7181, 1.6824,
           1.6756, 1.6741]
    for context in ({}, {"classes": 10}):
        d = fitwatch.diagnose({"loss": loss, "val_loss": val}, context=context)
        assert "lr_too_low" not in codes(d) and "lr_too_high" in codes(d), d
        assert remedies(d)[0] == CATALOGUE["lr_down"] and CATALOGUE["lr_up"] not in remedies(d)
        assert d.findings[0].message.startswith("Validation loss jumped from 0.7523 to 1.965 at epoch 4"), d
    rng = np.random.default_rng(0)
    noisy = list(2.44 + 0.03 * rng.standard_normal(20))
    d = fitwatch.diagnose({"loss": noisy, "val_loss": list(2.5 + 0.15 * rng.standard_normal(20))},
                          context={"classes": 10})
    assert "lr_too_low" not in codes(d) and CATALOGUE["lr_up"] not in remedies(d), d


def test_the_class_count_the_run_states_is_the_one_chance_is_read_against():
    """A new user's trial: one tanh unit on 10-class digits, loss 2.40 -> 1.75 at an accuracy of 0.21 (twice
    chance), with classes=10 stated, was not_learning "at the no-skill level the run states (2.303)" (the
    accuracy's guess, ln 6, won over the count stated); lr 10 with classes=10 was said to sit at ln(11)."""
    loss = [2.4008, 2.1464, 1.9912, 1.9056, 1.8606, 1.8288, 1.8149, 1.7983, 1.7924, 1.784, 1.7812, 1.7742, 1.7702,
            1.7682, 1.7692, 1.7633, 1.7607, 1.7582, 1.7576, 1.7657, 1.7547, 1.7503, 1.751, 1.7529, 1.7458]
    acc = [0.1525, 0.215, 0.2075, 0.2192, 0.2058, 0.1917, 0.2067, 0.2075, 0.2192, 0.2067, 0.2142, 0.1992, 0.1975,
           0.2125, 0.2075, 0.2, 0.2208, 0.2192, 0.2025, 0.2183, 0.225, 0.225, 0.2042, 0.2208, 0.2225]
    val = [v + 0.04 for v in loss]
    d = fitwatch.diagnose({"loss": loss, "val_loss": val, "accuracy": acc, "val_accuracy": [a - 0.02 for a in acc]},
                          context={"classes": 10})
    assert d.verdict == "underfitting" and "no-skill level the run states" not in str(d), d
    flat = [39.1] + [2.45 + 0.01 * (i % 3) for i in range(19)]
    d = fitwatch.diagnose({"loss": flat, "val_loss": [2.44 + 0.005 * (i % 4) for i in range(20)],
                           "accuracy": [0.1 + 0.002 * (i % 3) for i in range(20)], "val_accuracy": [0.1] * 20},
                          context={"classes": 10})
    assert "ln(10) = 2.303" in d.findings[0].message and "ln(11)" not in str(d), d


def test_a_regression_that_never_beat_its_stated_baseline_learned_nothing():
    """A new user's trial: a target independent of the inputs, validation MSE at best 4.674 against a
    stated 4.7 (training fell to 2.9): it was overfitting, told to keep its best epoch's weights, no
    better than predicting the mean."""
    x = np.arange(25)
    loss = list(4.6 * np.exp(-x / 12) + 1.2)
    val = list(4.8 - 0.12 * np.exp(-((x - 9) / 4.0) ** 2) + 0.012 * np.maximum(x - 9, 0))
    d = fitwatch.diagnose({"loss": loss, "val_loss": val}, baseline=4.7)
    assert d.verdict == "not_learning", d
    f = d.findings[0]
    assert "never got clearly below the no-skill level the run states (4.7" in f.message, f.message
    assert remedies(d)[0] == CATALOGUE["check_data"] and CATALOGUE["lr_up"] not in remedies(d)
    assert CATALOGUE["early_stopping"] not in remedies(d)
    assert fitwatch.diagnose({"loss": loss, "val_loss": val}).verdict != "not_learning"  # no level stated: not known


def test_a_cascade_of_plateau_cuts_while_validation_still_fell_is_named():
    """A seventh trial: Keras ReduceLROnPlateau (factor 0.2, patience 0) cut 0.02 at epoch 13 while validation
    fell 0.06 an epoch, then again at every epoch to 1e-12; from epoch 18 the losses did not move. It was good_fit
    without a word of the schedule: each cut had another within 3 epochs, and only a cut followed by 3 quiet
    epochs was read. A cascade is now read as one cut, from its first."""
    val = [2.113, 1.897, 1.694, 1.501, 1.324, 1.169, 1.038, 0.929, 0.829, 0.760, 0.689, 0.632, 0.583, 0.575, 0.567,
           0.5654, 0.565, 0.5649] + [0.56491] * 22
    lr = [0.02] * 13 + [0.004] * 2 + [0.0008 * 0.2 ** k for k in range(25)]
    d = fitwatch.diagnose({"loss": [v - 0.03 for v in val], "val_loss": val, "lr": lr})
    f = next((f for f in d.findings if f.code == "lr_decayed_early"), None)
    assert f is not None and f.evidence["epoch"] == 13 and "more times in the next epochs" in f.message, d
    assert "patience" in f.remedies[0], f



def test_an_unstable_verdict_names_the_judged_curve_when_both_jump():
    """A seventh trial: SGD with momentum 0.99, both curves rough, was "unstable" on "loss ... with 0 jumps of more
    than 50 % up" under "judged on val_loss", whose validation had jumped +79 % and +77 %."""
    loss = [1.3781, 0.68352, 0.30567, 0.3123, 1.3056, 1.0438, 0.816, 0.52767, 0.45211, 0.41726, 0.40503, 0.45663, 0.30348, 0.42386, 0.6677, 0.38709, 0.53015, 0.59613, 0.66115, 0.52501, 0.429, 0.38483, 0.38108, 0.336, 0.32065, 0.33818, 0.463, 0.38895, 0.43339, 0.36439]
    val = [0.49824, 0.50987, 0.46587, 0.52454, 2.0531, 0.65965, 0.66833, 0.59683, 0.51636, 0.56431, 0.81599, 0.58504, 0.48939, 0.98098, 0.67559, 0.60433, 0.44723, 0.80096, 0.68941, 0.57632, 0.53218, 0.60435, 0.75725, 0.41449, 0.60062, 0.40662, 0.7192, 0.78211, 1.062, 0.57315]
    d = fitwatch.diagnose({"loss": loss, "val_loss": val})
    assert d.verdict == "unstable" and d.findings[0].evidence["curve"] == "val_loss", d
    assert d.findings[0].message.startswith("val_loss keeps jumping around"), d



def test_a_run_that_ends_inside_its_warm_up_is_told_so_not_that_it_falls_slowly():
    """A seventh trial: a Trainer run whose warm-up outlasted it (the rate at 12 % of its configured peak at the end,
    the loss speeding up: 56 % of its drop in the last 6 epochs) was told "the loss falls slowly and steadily: a larger
    learning rate would get there in fewer epochs"."""
    h = {'loss': [0.69384, 0.69363, 0.69359, 0.69353, 0.69284, 0.69288, 0.69223, 0.69182, 0.69137, 0.69057, 0.68956, 0.68754, 0.68571, 0.68229, 0.67558, 0.66357, 0.64464, 0.61243, 0.55311, 0.47788, 0.40415, 0.32887, 0.25479, 0.18991, 0.14348], 'val_loss': [0.6912, 0.69119, 0.69118, 0.69118, 0.69115, 0.69114, 0.69092, 0.69083, 0.69059, 0.68999, 0.68938, 0.68801, 0.68594, 0.6819, 0.67446, 0.65919, 0.63103, 0.58333, 0.51691, 0.43645, 0.35578, 0.28121, 0.21269, 0.15852, 0.11963], 'lr': [3.6667e-06, 9e-06, 1.4333e-05, 1.9667e-05, 2.3667e-05, 2.9e-05, 3.4333e-05, 3.9667e-05, 4.3667e-05, 4.9e-05, 5.4333e-05, 5.9667e-05, 6.3667e-05, 6.9e-05, 7.4333e-05, 7.9667e-05, 8.3667e-05, 8.9e-05, 9.4333e-05, 9.9667e-05, 0.00010367, 0.000109, 0.00011433, 0.00011967, 0.00012367]}
    d = fitwatch.diagnose(h)
    codes = [f.code for f in d.findings]
    assert d.verdict == "still_improving" and "lr_warming" in codes and "lr_too_low" not in codes, d
    assert d.findings[0].remedies[0] == CATALOGUE["warmup_shorter"], d
    steady = fitwatch.diagnose({**h, "lr": [h["lr"][-1]] * len(h["lr"])})
    assert "lr_warming" not in [f.code for f in steady.findings], steady


def test_the_attack_on_the_seventh_trials_fixes_stays_fixed():
    """An attack on this stop's changes: a warm-up that peaked and held, a cyclic rate ending on a peak it reached
    before, or a run still training got lr_warming; a warm-up from 0 (logged at the epoch's start) did not; three
    gradient-norm peaks the loss never answered took an underfitting run's remedies away; a flat recall with one
    noisy peak, a falling val_dice_loss and recall traded for precision beside a rising F1 were read as a score
    that fell; bad context values were dropped without a word."""
    e = np.arange(20)
    val = (0.3 + 2.0 * np.exp(-e / 14)).round(4).tolist()  # still falling at the end
    h = {"loss": [v - 0.05 for v in val], "val_loss": val}

    def warming(lr, **kw):
        return "lr_warming" in [f.code for f in fitwatch.diagnose({**h, "lr": lr}, **kw).findings]

    ramp = [1e-5 * (i + 1) for i in range(20)]
    assert warming(ramp) and warming([0.0] + ramp[:-1])
    assert not warming(ramp[:16] + [ramp[15]] * 4)  # peaked and held
    assert not warming([1e-5 * (1 + (i % 8 if (i // 8) % 2 == 0 else 7 - i % 8)) for i in range(19)] + [8e-5])
    assert not warming(ramp, context={"in_progress": True})

    e60 = np.arange(60)
    g = [0.8] * 60
    for i in (17, 35, 52):
        g[i] = 3.1  # three peaks the loss never answered
    settled = {"loss": (1.2 + 1.1 * np.exp(-e60 / 5)).round(4).tolist(), "val_loss": (1.25 + 1.1 * np.exp(-e60 / 5)).round(4).tolist(),
               "accuracy": (0.55 - 0.3 * np.exp(-e60 / 5)).round(4).tolist(), "grad_norm": g}
    d = fitwatch.diagnose(settled, context={"classes": 10})
    assert d.verdict == "underfitting" and "grad_spikes" not in [f.code for f in d.findings], d
    assert CATALOGUE["larger_model"] in d.findings[0].remedies, d

    vl = [0.9, 0.7, 0.55, 0.45, 0.40, 0.38, 0.37, 0.375, 0.39, 0.41, 0.44, 0.47, 0.50, 0.54, 0.58, 0.62, 0.66, 0.70,
          0.74, 0.78]
    va = [0.60, 0.66, 0.70, 0.72, 0.73, 0.74, 0.745, 0.76, 0.78, 0.80, 0.81, 0.82, 0.83, 0.84, 0.85, 0.855, 0.86, 0.865,
          0.87, 0.87]
    base = {"loss": (np.exp(-np.arange(20) / 4) + 0.02).round(4).tolist(), "val_loss": vl, "val_accuracy": va}
    noisy = [0.50, 0.62, 0.70, 0.74, 0.77, 0.73, 0.81, 0.76, 0.74, 0.79, 0.75, 0.78, 0.72, 0.77, 0.80, 0.74, 0.77, 0.75,
             0.73, 0.76]
    prec = [0.6, 0.65, 0.7, 0.75, 0.78, 0.80, 0.81, 0.81, 0.80, 0.79, 0.78, 0.77, 0.76, 0.76, 0.75, 0.75, 0.75, 0.745,
            0.745, 0.745]
    rec = [0.4, 0.5, 0.55, 0.6, 0.62, 0.64, 0.65, 0.66, 0.68, 0.70, 0.72, 0.74, 0.76, 0.78, 0.79, 0.80, 0.81, 0.82, 0.83,
           0.83]
    for more in ({"val_recall": noisy}, {"val_dice_loss": np.linspace(0.5, 0.2, 20).tolist()},
                 {"val_precision": prec, "val_recall": rec}):
        o = next(f for f in fitwatch.diagnose({**base, **more}).findings if f.code == "overconfident")
        assert "score_fell_since_best" not in o.evidence, (more, o)

    for bad in ({"dropout": "0.5"}, {"in_progress": 1}, {"label_smoothing": 1.5}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            fitwatch.diagnose(h, context=bad)


def test_a_cascade_of_small_cuts_counts_in_all_but_not_a_cosine_tail_nor_a_cut_after_the_best():
    """An eighth trial: Keras ReduceLROnPlateau(factor=0.3) cut 0.05 -> 0.015 -> 0.0045 ... while validation still fell
    5 % an epoch, and was good_fit without a word: only a single step of 5x was read. A cascade of steps of 1.9x or
    more counts once it cuts 5x in all; the tail of a cosine (a rate already falling before it) does not, nor a
    cascade that began once validation had stopped making new bests."""
    val = [1.2 * 0.95 ** i for i in range(18)] + [1.2 * 0.95 ** 17 - 0.001 * k for k in range(1, 23)]
    lr = [0.05] * 18 + [0.05 * 0.3 ** k for k in range(1, 23)]
    h = {"loss": [v - 0.05 for v in val], "val_loss": val, "lr": lr}
    f = next((f for f in fitwatch.diagnose(h).findings if f.code == "lr_decayed_early"), None)
    assert f is not None and f.evidence["epoch"] == 18, fitwatch.diagnose(h)
    cosine = (0.05 * (1 + np.cos(np.pi * np.arange(40) / 40)) / 2 + 1e-7).tolist()
    assert "lr_decayed_early" not in [f.code for f in fitwatch.diagnose({**h, "lr": cosine}).findings]
    turned = val[:15] + [val[14] + 0.01 * k for k in range(1, 26)]  # its best at 14, the cascade from 18
    assert "lr_decayed_early" not in [f.code for f in fitwatch.diagnose({**h, "val_loss": turned}).findings]



def test_a_first_epoch_that_blew_up_and_recovered_is_said():
    """An eighth trial: an RNN without clipping, its first epoch's gradient norm 351 against 1.4 after and its training
    loss 10.4 (15 times ln 2), recovered and was good_fit without a word of it. A fine-tune whose norm falls with a
    loss falling to 0 is no blow-up, nor a run that clips."""
    h = {'loss': [10.4291, 0.6513, 0.5867, 0.4765, 0.3503, 0.2931, 0.2964, 0.3068, 0.251, 0.264, 0.2896, 0.2429, 0.2535, 0.2787, 0.2398, 0.2474, 0.2533, 0.2444, 0.2378, 0.2363], 'val_loss': [0.6834, 0.5845, 0.5523, 0.402, 0.3697, 0.2567, 0.27, 0.2556, 0.2097, 0.2508, 0.2436, 0.2044, 0.2407, 0.2287, 0.2197, 0.2368, 0.2421, 0.2183, 0.2152, 0.2146], 'accuracy': [0.5067, 0.6327, 0.7633, 0.8133, 0.8507, 0.8733, 0.882, 0.868, 0.8953, 0.8933, 0.8807, 0.9027, 0.896, 0.8807, 0.908, 0.9, 0.8927, 0.9033, 0.906, 0.9033], 'grad_norm': [350.601, 0.6136, 1.883, 1.2808, 1.8365, 1.3704, 1.7127, 1.6513, 0.9025, 1.5504, 1.6278, 0.9766, 1.528, 1.6812, 1.0449, 1.405, 1.4763, 1.2647, 1.1784, 1.1866]}
    f = next((f for f in fitwatch.diagnose(h).findings if f.code == "first_epoch_blowup"), None)
    assert f is not None and f.remedies[0] == CATALOGUE["gradient_clipping"], fitwatch.diagnose(h)
    assert "first_epoch_blowup" not in [f.code for f in fitwatch.diagnose(h, context={"grad_clip": 1.0}).findings]
    tame = {**h, "loss": [0.7] + h["loss"][1:]}  # a first epoch at ln 2: the norm fell as the loss did
    assert "first_epoch_blowup" not in [f.code for f in fitwatch.diagnose(tame).findings]


def test_the_attack_on_the_eighth_trials_fixes_stays_fixed(tmp_path):
    """An attack on the eighth trial's fixes: a binary model whose validation accuracy learned 0.72 in its first epoch
    and overfit since was told nothing transfers and lost "stop early" (k=2 from a loss logged after an epoch's
    training: 1.5/2 is skill); a single 10x step a noisy epoch after validation's last new best lost lr_decayed_early;
    diagnose(run) in a forked child waited for ever on the parent's writer thread, and before the first epoch ended
    said to log what had been logged."""
    binary = {"loss": [0.68, 0.60, 0.50, 0.40, 0.30, 0.22, 0.15, 0.10, 0.07, 0.05],
              "val_loss": [0.60, 0.57, 0.56, 0.57, 0.60, 0.64, 0.70, 0.77, 0.85, 0.93],
              "accuracy": [0.57, 0.68, 0.76, 0.83, 0.88, 0.92, 0.95, 0.97, 0.98, 0.99],
              "val_accuracy": [0.70, 0.72, 0.73, 0.73, 0.72, 0.73, 0.72, 0.72, 0.71, 0.71]}
    d = fitwatch.diagnose(binary)
    assert d.verdict == "overfitting" and "nothing_transfers" not in [f.code for f in d.findings], d
    assert d.findings[0].remedies[0] == CATALOGUE["early_stopping"], d
    val = [2.0, 1.7, 1.5, 1.36, 1.25, 1.12, 1.15, 1.13, 1.09, 1.085, 1.082, 1.080, 1.079, 1.078, 1.077, 1.077]
    tr = [2.1, 1.75, 1.52, 1.38, 1.26, 1.15, 1.08, 1.02, 0.99, 0.985, 0.982, 0.98, 0.979, 0.978, 0.977, 0.976]
    d = fitwatch.diagnose({"loss": tr, "val_loss": val, "lr": [0.1] * 8 + [0.01] * 8})
    assert "lr_decayed_early" in [f.code for f in d.findings], d

    import multiprocessing

    run = fitwatch.Run("forked", dir=tmp_path, diagnose=False)
    with pytest.raises(fitwatch.diagnosis.readers.ReadError, match="no epoch has ended yet"):
        fitwatch.diagnose(run)
    for e in range(6):
        run.log_epoch(loss=1 / (e + 1), val_loss=1.1 / (e + 1))
    child = multiprocessing.get_context("fork").Process(target=_diagnose_or_exit, args=(run,))
    child.start()
    child.join(60)
    if child.is_alive():
        child.kill()
    # read from the store afresh: what the parent had committed (0), or a one-line ReadError saying where to
    # diagnose it (3), whichever the parent's writer thread allows; never a hang (None)
    assert child.exitcode in (0, 3), child.exitcode
    run.finish()
    assert fitwatch.diagnose(run).epochs == 6


def _diagnose_or_exit(run):
    """In a forked child: exit 3 on a ReadError that says to diagnose the run in the process that writes it."""
    import os

    try:
        fitwatch.diagnose(run)
    except fitwatch.diagnosis.readers.ReadError as e:
        os._exit(3 if "diagnose it there" in str(e) else 4)
    os._exit(0)


def _digits_loop(reduction="mean", n_val=397, epochs=15, lr=1e-3):
    """A real PyTorch loop on scikit-learn's digits (training batches of 32, validation of 128): its history."""
    torch = pytest.importorskip("torch")
    from sklearn.datasets import load_digits

    torch.manual_seed(0)
    X, y = load_digits(return_X_y=True)
    X, y = torch.tensor(X / 16.0, dtype=torch.float32), torch.tensor(y)
    Xtr, ytr, Xva, yva = X[:1400], y[:1400], X[1400:1400 + n_val], y[1400:1400 + n_val]
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    opt, loss_fn = torch.optim.Adam(model.parameters(), lr=lr), torch.nn.CrossEntropyLoss(reduction=reduction)
    hist = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    for _ in range(epochs):
        losses, right = [], 0
        for i in range(0, len(Xtr), 32):
            out = model(Xtr[i:i + 32])
            loss = loss_fn(out, ytr[i:i + 32])
            opt.zero_grad(), loss.backward(), opt.step()
            losses.append(loss.item())
            right += int((out.argmax(1) == ytr[i:i + 32]).sum())
        hist["loss"].append(float(np.mean(losses))), hist["accuracy"].append(right / len(Xtr))
        with torch.no_grad():
            vl = [loss_fn(model(Xva[i:i + 128]), yva[i:i + 128]).item() for i in range(0, len(Xva), 128)]
            hist["val_loss"].append(float(np.mean(vl)))
            hist["val_accuracy"].append(float((model(Xva).argmax(1) == yva).float().mean()))
    return hist


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_a_loss_summed_over_each_batch_is_named_and_no_gap_is_read_from_it(reduction):
    """A seventh trial: CrossEntropyLoss(reduction="sum") in a real loop (training batches of 32, validation of 128),
    66.7 -> 1.93 at 0.99 accuracy and 212 -> 12.9 at 0.978, was told its validation loss ends 570 % above training's.
    The same loop averaging its loss gets no such word."""
    d = fitwatch.diagnose(_digits_loop(reduction))
    if reduction == "mean":
        assert "loss_not_per_sample" not in codes(d), d
        return
    f = next(f for f in d.findings if f.code == "loss_not_per_sample")
    assert f.evidence["curve"] == "val_loss" and f.evidence["epochs_impossible"] >= 8, f.evidence
    assert "reduction='sum'" in f.message and f.remedies[0] == CATALOGUE["loss_mean"]
    assert not {"generalization_gap", "val_below_train"} & set(codes(d)), d


def test_a_validation_set_of_20_samples_is_counted_from_its_accuracy_and_said_to_be_noisy():
    """A seventh trial: 20 validation samples, the loss scattering 0.012-0.098 near 0 and the accuracy 0.9-1.0 in steps
    of 0.05, got no noisy_validation (its training loss, fallen from 1.6, scattered as much for its level). The
    accuracy's steps count the samples; a validation set of 397 gets no count."""
    d = fitwatch.diagnose(_digits_loop(n_val=20, epochs=30, lr=1e-2))
    f = next(f for f in d.findings if f.code == "noisy_validation")
    assert f.evidence["val_samples"] == 20 and "steps of 1/20" in f.message, f
    big = fitwatch.diagnose(_digits_loop(n_val=397, epochs=15, lr=1e-2))
    assert all("val_samples" not in f.evidence for f in big.findings), big


def _friedman_mlp(rows: int, epochs: int):
    """A real PyTorch MLP regression on scikit-learn's friedman1 (standardised), trained on ``rows`` rows and
    validated on 260: its history."""
    torch = pytest.importorskip("torch")
    from sklearn.datasets import make_friedman1

    X, y = make_friedman1(n_samples=1060, noise=0.3, random_state=1)
    X, y = (X - X.mean(0)) / X.std(0), (y - y.mean()) / y.std()
    X, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32).reshape(-1, 1)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(10, 128), torch.nn.ReLU(), torch.nn.Linear(128, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 1))
    opt, mse = torch.optim.Adam(model.parameters(), lr=1e-3), torch.nn.MSELoss()
    hist = {"loss": [], "val_loss": []}
    for _ in range(epochs):
        perm, losses = torch.randperm(rows), []
        for i in range(0, rows, 16):
            idx = perm[i:i + 16]
            loss = mse(model(X[idx]), y[idx])
            opt.zero_grad(), loss.backward(), opt.step()
            losses.append(loss.item() * len(idx))
        hist["loss"].append(sum(losses) / rows)
        with torch.no_grad():
            hist["val_loss"].append(mse(model(X[800:]), y[800:]).item())
    return hist


def test_a_regression_memorising_a_tiny_training_set_is_overfitting():
    """A ninth trial: an MLP on 60 rows, validation flat at 0.36 from epoch 20 to 300 while training fell to 1e-3,
    was good_fit ("both fell and settled"), though the same shape from scikit-learn's MLPRegressor was overfitting.
    Without accuracies, validation on a plateau far above a training loss that fell on to a quarter of its level is
    overfitting; the same model on 800 rows is not."""
    curves = json.loads((Path(__file__).parent / "data" / "trial_curves.json").read_text())
    d = fitwatch.diagnose(curves["trial9_mlp_512x512_60_rows_friedman"])
    assert d.verdict == "overfitting" and "memorises its training data" in d.findings[0].message, d
    assert d.findings[0].remedies[0] == CATALOGUE["more_data"] and d.onset_epoch is not None
    assert fitwatch.diagnose(_friedman_mlp(800, 40)).verdict != "overfitting"


def test_validation_far_below_training_on_a_few_dozen_samples_is_no_leak_warning():
    """A ninth trial: validation sets of 20 rows were told their validation data may have leaked into training. An
    accuracy in steps of 1/20 counts the samples: so small a set can be easier by chance, too few to read a leak from."""
    loss = [0.9 * 0.85 ** e + 0.05 for e in range(30)]
    val = [v * 0.4 for v in loss]
    acc = [min(0.99, 0.6 + 0.015 * e) for e in range(30)]
    vacc = [(15 + (e % 3) + min(e // 10, 2)) / 20 for e in range(30)]  # 0.75 ... 0.95 in steps of 0.05
    d = fitwatch.diagnose({"loss": loss, "val_loss": val, "accuracy": acc, "val_accuracy": vacc})
    f = next(f for f in d.findings if f.code == "val_below_train")
    assert f.severity == "info" and f.evidence["val_samples"] == 20 and "leak" not in f.remedies[0], f
    many = fitwatch.diagnose({"loss": loss, "val_loss": val, "accuracy": acc,
                              "val_accuracy": [v + 0.0013 * (e % 7) for e, v in enumerate(vacc)]})
    g = next(f for f in many.findings if f.code == "val_below_train")
    assert g.severity == "warning" and "val_samples" not in g.evidence, g


def test_a_run_that_blew_up_in_mid_training_and_recovered_is_unstable():
    """A tune run's fine-tune: validation 0.0023 -> 17.2 and 23.4 in mid-run, then back to 0.0013 (labelled unstable),
    was good_fit, the jump small against a drop over orders of magnitude. One excursion far above where the curve
    started, after it had learned, is instability; the same run without it is not."""
    loss = [0.21, 0.014, 0.015, 0.0056, 0.0034, 0.0002, 0.0003, 0.07, 0.11, 0.0045, 0.0002, 0.0015, 0.0018, 0.0004, 0.0005,
            0.0001]
    val = [0.51, 0.197, 0.0045, 0.238, 0.016, 0.0011, 0.0023, 0.0021, 17.19, 23.38, 14.34, 3.45, 0.27, 0.06, 0.023, 0.0013]
    d = fitwatch.diagnose({"loss": loss, "val_loss": val})
    assert d.verdict == "unstable" and "blew up in mid-training and recovered" in d.findings[0].message, d
    assert d.findings[0].evidence["peak_epoch"] == 9 and CATALOGUE["lr_up"] not in remedies(d)
    calm = val[:8] + [0.0019, 0.0017, 0.0016, 0.0015, 0.0014, 0.0014, 0.0013, 0.0013]
    assert fitwatch.diagnose({"loss": loss, "val_loss": calm}).verdict != "unstable"


def test_a_curve_on_its_way_down_from_far_above_the_stated_level_is_a_regressions_reading_only():
    """An attack on the ninth trial's fix: a classifier stated at 10 classes, its loss falling from 3 times ln 10 to
    1.1 times, its accuracy at chance all run, became "train longer"; the accuracy says it learned nothing. A regression
    on its way down from 4.9 times its baseline is still_improving, and says it does not yet beat the mean."""
    loss = [6.9 * 0.93 ** e for e in range(20)]
    val = [v * 1.01 for v in loss]
    chance = {"loss": loss, "val_loss": val, "accuracy": [0.1] * 20, "val_accuracy": [0.1] * 20}
    assert fitwatch.diagnose(chance, context={"classes": 10}).verdict == "not_learning"
    reg = [29000 * 0.972 ** e for e in range(40)]  # 4.9 times the baseline -> 1.6 times, still falling
    d = fitwatch.diagnose({"loss": [v * 0.97 for v in reg], "val_loss": reg}, baseline=5865.0)
    assert d.verdict == "still_improving" and "does not yet beat predicting without skill" in d.findings[0].message, d
    assert CATALOGUE["lr_up"] not in remedies(d) and "lr_too_low" not in codes(d)


def test_a_fine_tune_that_settled_level_with_its_training_loss_is_no_underfit_by_its_level_alone():
    """Two tune fine-tunes (Trainer logs: h1406's eval_loss 0.857 -> 0.65 beside a training loss of 0.65), labelled
    good_fit, were underfitting at 0.56 of their first value: a pretrained model's first evaluation is no untrained
    start. The same curves read as a run trained from scratch still underfit; a fine-tune whose accuracy is low still
    does."""
    import dataclasses

    from fitwatch.diagnosis.readers import read_curves

    (c,) = read_curves(REAL / "hf" / "h1406.json")
    assert c.context.get("framework") == "transformers"
    assert fitwatch.diagnose_curves(c, monitor="eval_loss").verdict == "good_fit"
    scratch = dataclasses.replace(c, context={})
    assert fitwatch.diagnose_curves(scratch, monitor="eval_loss").verdict == "underfitting"
    n = len(c.epochs)
    low = dataclasses.replace(c, series={**c.series, "accuracy": np.linspace(0.40, 0.60, n),
                                         "val_accuracy": np.linspace(0.39, 0.59, n)})
    assert fitwatch.diagnose_curves(low, monitor="eval_loss").verdict == "underfitting"


def test_a_run_that_learned_then_settled_back_where_it_started_lost_it():
    """A ninth trial: Lightning, AdamW at weight_decay 50, the loss 0.98 -> 0.86 -> 1.002 and flat after, was underfitting
    "still 101 % of where it started" and told to grow the model. Nothing learned is left: not_learning, the penalty
    weakened first, no higher rate."""
    curves = json.loads((Path(__file__).parent / "data" / "trial_curves.json").read_text())
    d = fitwatch.diagnose(curves["trial9_lightning_adamw_weight_decay_50"])
    assert d.verdict == "not_learning" and "what the model learned was lost" in d.findings[0].message, d
    assert d.findings[0].remedies[0] == CATALOGUE["less_regularisation"] and CATALOGUE["lr_up"] not in remedies(d)


def test_a_curve_falling_by_orders_of_magnitude_after_a_blow_up_is_still_improving():
    """A ninth trial: SGD at lr 1 on a standardised regression target blew up in its first epoch; validation then fell
    1.8e8, 6.9e8, 1.5e8, 1.7e7, 1.4e6 in 5 epochs, and was good_fit ("creeps down, close to its best"): the blow-up made
    the noise unit larger than the curve's whole end. Falling at each step to under half the best before is a new low."""
    h = {"loss": [1.43e11, 9.18e9, 6.73e8, 5.02e7, 3.73e6], "val_loss": [1.8e8, 6.9e8, 1.46e8, 1.7e7, 1.39e6]}
    d = fitwatch.diagnose(h, context={"data": "tabular"})
    assert d.verdict == "still_improving", d.findings[0].message
    d = fitwatch.diagnose(h, context={"data": "tabular", "baseline": 1.0})
    assert d.verdict == "still_improving" and "does not yet beat predicting without skill" in d.findings[0].message


def test_a_rise_of_a_fraction_of_a_percent_is_no_overfit():
    """Collection round 16's tune half: a resumed YOLO run's val/seg_loss, flat at 0.468, "rose from 0.468 to 0.469
    (+0%)" while its training loss fell, and was overfitting: beside a validation curve that hardly moved, a rise is
    a large share of its drop however small. It must also be 1 % of the level (overfit_rise_min)."""
    from fitwatch.diagnosis.thresholds import Thresholds

    h = {"loss": np.linspace(0.62, 0.50, 30).tolist(),
         "val_loss": np.r_[np.linspace(0.470, 0.468, 8), np.full(6, 0.468), np.linspace(0.468, 0.4695, 16)].tolist()}
    assert fitwatch.diagnose(h).verdict != "overfitting"
    d = fitwatch.diagnose(h, thresholds=Thresholds(overfit_rise_min=0.0))
    assert d.verdict == "overfitting" and "(+0%)" in d.findings[0].message  # what it said before
    h["val_loss"][-16:] = np.linspace(0.468, 0.49, 16).tolist()  # a rise of 5 % of the level: an overfit
    assert fitwatch.diagnose(h).verdict == "overfitting"


def test_a_loss_that_jumped_and_went_below_its_start_is_not_said_to_stay_above_it():
    """Round 16's tune half: a training loss 89.6, ..., 1063, ..., -2.8 was "never came back below where it started
    (at best -2.79)"."""
    loss = [89.6, 24.7, 21.8, 683.0, 195.0, 37.0, -2.25, 718.0, 5.57, 15.1, 25.5, 5.28, 1063.0, 72.8, -2.46, -2.61,
            -2.63, 389.0, -2.67, -2.69, 12.2, 27.1, 5.26, -2.79]
    val = [-1.33, -1.89, -1.64, -1.81, -1.6, -1.32, -1.9, -1.93, -2.08, -1.57, -1.93, -1.97, -1.72, -1.86, -1.95,
           -1.57, -1.84, -1.93, -1.51, -1.72, -1.64, -1.39, -1.66, -0.869]
    msg = fitwatch.diagnose({"loss": loss, "val_loss": val}).findings[0].message
    assert "never came back below where it started" not in msg


def test_validation_below_training_coming_closer_is_no_widening_gap():
    """A tune run (hf/h919.csv, YOLO classify, accuracy 1.0 at every epoch but one): validation 0.039 below training
    at its best, 0.005 below at the end, was overfitting, "the gap widened from -0.03854 to -0.005386"."""
    train = [0.533, 0.206, 0.0857, 0.0428, 0.0482, 0.0154, 0.0404, 0.0315, 0.021, 0.0126, 0.0163, 0.0129, 0.0279,
             0.0103, 0.0205, 0.0287, 0.0246, 0.0211, 0.0185, 0.118, 0.0145, 0.0439, 0.00227, 0.0148, 0.00956, 0.0183,
             0.0193, 0.00862, 0.0192, 0.129, 0.00354, 0.00651, 0.0148, 0.0112, 0.0353, 0.00279, 0.0164, 0.0129, 0.0129,
             0.00299, 0.00462, 0.0091, 0.00326, 0.0131, 0.0208, 0.00178, 0.00839, 0.0191, 0.00596, 0.00227]
    val = [0.224, 0.0087, 0.00091, 0.00071, 0.00076, 0.00175, 0.0857, 0.0272, 0.014, 0.011, 0.0256, 0.0065, 0.063, 0.0425,
           0.0521, 0.00011, 8e-05, 0.0133, 0.00263, 0.00016, 3e-05, 4e-05, 0.00046, 0.00037, 0.00051, 0.00016, 0.00013,
           0.00018, 0.00048, 0.0009, 0.00236, 0.0011, 0.00354, 0.00286, 0.00295, 0.00434, 0.00867, 0.00761, 0.0053,
           0.00648, 0.00579, 0.00765, 0.00413, 0.00107, 0.00075, 0.00099, 0.00051, 0.00027, 0.00088, 0.00117]
    d = fitwatch.diagnose({"loss": train, "val_loss": val})
    assert d.verdict == "good_fit", d.findings[0].message


def test_a_validation_loss_that_ends_far_above_its_start_is_not_said_to_end_where_it_started():
    # the tune half's YOLO pose fine-tune: validation 4.03 -> 8.24 beside a training loss that touched 0.73;
    # the not_learning message said "ends where it started (4.033 -> 8.237)"
    d = fitwatch.diagnose(REAL / "hf" / "h1841.csv", monitor="val/pose_loss")
    msg = next(f.message for f in d.findings if f.code == "not_learning")
    assert "ends where it started" not in msg
    assert "ends at 2 times where it started (4.033 -> 8.237)" in msg


def test_a_validation_auc_with_skill_from_its_first_evaluation_is_no_loss_that_hardly_moved():
    # the tune half's validation-only Lightning run: val_loss 0.550, 0.551, 0.542 ... 0.558 beside an AUROC of
    # 0.90 from its first evaluation (2,702 steps in) was not_learning, "the loss hardly moved"
    d = fitwatch.diagnose(REAL / "lightning" / "l728.csv")
    assert d.verdict != "not_learning"
    # the same numbers without the AUROC say nothing of skill: the loss alone hardly moved
    rows = [line.split(",") for line in (REAL / "lightning" / "l728.csv").read_text().splitlines()[1:]]
    assert fitwatch.diagnose({"val_loss": [float(r[0]) for r in rows]}).verdict == "not_learning"


@pytest.mark.parametrize("name, learned", [
    ("attack_linear_learned_in_first_epoch_with_auc", True),  # 0.94 AUROC from epoch 1, the loss beside it honest
    ("attack_focal_loss_logged_labels_shuffled", False),  # a focal loss under (1 - accuracy) ln 2: not this accuracy's
    ("attack_threshold_accuracy_labels_shuffled", False),  # an accuracy at the prevalence's threshold, 0.345 at 0.45
    ("attack_val_auc_computed_on_training_set", False),  # AUROC 0.90 beside a loss above a constant guess's 0.373
])
def test_a_first_evaluation_with_skill_excuses_gained_nothing_only_when_its_accuracy_describes_its_loss(name, learned):
    """Real runs of an attack on the first-evaluation-skill exceptions: labels independent of the inputs, with a
    focal loss, an accuracy at another threshold or an AUC computed on the training set, stay not_learning; a linear
    model that learned in its first epoch is not told to check its data pipeline."""
    curves = json.loads((Path(__file__).parent / "data" / "trial_curves.json").read_text())
    assert (fitwatch.diagnose(curves[name]).verdict != "not_learning") is learned


def test_a_validation_accuracy_collapsed_beside_a_training_accuracy_that_rose_is_not_learning():
    """An attack's breast-cancer MLP whose validation inputs were left unscaled: validation accuracy 0.374 from its
    third epoch to its last while training's rose to 0.99, validation loss 16.8 -> 441, was overfitting, told to stop
    early and keep the best epoch's weights (a model no better than one class)."""
    curves = json.loads((Path(__file__).parent / "data" / "trial_curves.json").read_text())
    d = fitwatch.diagnose(curves["attack_val_inputs_not_standardised"])
    assert d.verdict == "not_learning" and "prepared as the training inputs are" in d.findings[0].message, d
    assert "nothing_transfers" not in [f.code for f in d.findings]  # (said once, by the verdict)
    assert d.findings[0].remedies == [CATALOGUE["check_val_data"], CATALOGUE["normalise_inputs"]]  # (training fits)


@pytest.mark.parametrize("name, verdict", [
    # 15 validation examples of 10 classes, accuracy held at 0.4 by a cosine schedule, loss 1.77 -> 2.41: an overfit
    ("attack_small_validation_frozen_by_a_schedule", "overfitting"),
    # unscaled validation inputs, every one given the majority class: 0.627 from epoch 1, loss 45 -> 1011
    ("attack_val_inputs_not_standardised_majority", "not_learning"),
    # 60 validation examples, accuracy 0.7 from epoch 16 of 60 once ReduceLROnPlateau ran the rate down: an overfit
    ("attack_small_validation_frozen_late_by_plateau_schedule", "overfitting"),
    # 7 validation examples, accuracy 0.714 from epoch 7 of 40 while noisy labels were memorised, its lowest loss 1.03
    # near training's first: an overfit
    ("attack_tiny_validation_frozen_early_by_memorising", "overfitting"),
])
def test_a_frozen_validation_accuracy_is_a_collapse_only_early_and_beside_a_validation_loss_that_soared(name, verdict):
    curves = json.loads((Path(__file__).parent / "data" / "trial_curves.json").read_text())
    assert fitwatch.diagnose(curves[name]).verdict == verdict
