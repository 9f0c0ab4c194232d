"""Deliberately broken (and a few healthy) small runs, trained for real, get the verdict a careful
reader gives.

Every run in ``tests/broken_runs.py`` is trained here (not read back from its stored JSON), then
``fitwatch.diagnose`` judges its curves. The expected verdicts (``broken_runs.EXPECTED``) are what a
practitioner says from the curves and the known cause, not what fitwatch happened to say; each run's
docstring gives the evidence, and says why where two verdicts are accepted. The stored curves
(``tests/data/broken/*.json``, for iterating on the rules without retraining) are checked against
the fresh ones, so they stay honest.
"""

import math

import numpy as np
import pytest

import broken_runs
import fitwatch
from broken_runs import EXPECTED, RUNS
from fitwatch.diagnosis.findings import VERDICTS
from fitwatch.diagnosis.remedies import CATALOGUE

_trained: dict[str, dict] = {}
#: the trial's own run: a Keras CSVLogger file of SGD lr 8 on a 64-512-512-10 digits network, 26 epochs
TRIAL_HIGH_LR = broken_runs.DATA.parent / "logs" / "keras_sgd_lr8_saturated.csv"


def curves(name: str) -> dict:
    """The run's curves, trained once per test session (the verdict, remedy and JSON tests share them)."""
    if name not in _trained:
        _trained[name] = RUNS[name]()
    return _trained[name]


def remedies(d) -> list[str]:
    return [r for f in d.findings for r in f.remedies]


def explain(name: str, d) -> str:
    return f"{name}: expected {sorted(EXPECTED[name])}, got {d.verdict}\n  {broken_runs.summary(curves(name))}\n{d}"


def test_there_are_enough_runs_and_each_says_what_a_reader_sees():
    assert len(RUNS) >= 22
    for name, fn in RUNS.items():
        doc = fn.__doc__ or ""
        assert "Careful reader" in doc, name
        for verdict in EXPECTED[name]:
            assert verdict in VERDICTS, (name, verdict)
            assert f"**{verdict}**" in doc, f"{name}: its docstring does not say why {verdict}"


@pytest.mark.parametrize("name", list(RUNS))
def test_verdict(name):
    d = fitwatch.diagnose(curves(name), **broken_runs.known(name))
    assert d.verdict in EXPECTED[name], explain(name, d)


# -- what the runs are: the facts their docstrings rest on ------------------------------------------

def test_sgd_lr_10_spikes_then_stays_above_chance_level_loss_at_chance_accuracy():
    c = curves("lr_far_too_high_stuck_at_chance")
    assert c["loss"][0] > 3 * math.log(10)  # the spike
    assert min(c["loss"][1:]) > math.log(10) and min(c["val_loss"]) > math.log(10)
    assert max(c["val_accuracy"]) < 0.15 and max(c["accuracy"][1:]) < 0.15


def test_the_failure_runs_fail_as_described():
    assert any(math.isnan(v) for v in curves("lr_far_too_high_nan")["loss"])
    assert all(math.isfinite(v) for v in curves("regression_loss_explodes")["loss"])
    assert curves("regression_loss_explodes")["loss"][-1] > 100 * curves("regression_loss_explodes")["loss"][0]
    assert len(set(curves("optimizer_never_steps")["val_loss"])) == 1  # the weights never change
    c = curves("unnormalised_inputs")
    assert c["loss"][0] > 100 and max(c["val_accuracy"][2:]) < 0.15
    c = curves("predicting_the_mean_offset_target")
    y = broken_runs.diabetes(standardise_target=False)[1] / 100
    assert c["loss"][-1] == pytest.approx(float(np.var(y)), rel=0.02)  # the loss of predicting the mean
    for name in ("shuffled_labels_memorised", "shuffled_labels_small_model", "shuffled_labels_val_at_chance"):
        assert max(curves(name)["val_accuracy"]) < 0.2 and min(curves(name)["val_loss"]) > 2.25


def test_the_healthy_runs_are_healthy():
    for name in ("good_fit_digits", "plateau_schedule_with_clipping", "cosine_schedule", "dropout_val_below_train"):
        assert curves(name)["val_accuracy"][-1] > 0.95, name
    c = curves("plateau_schedule_with_clipping")
    assert c["lr"][0] == 0.1 and c["lr"][-1] < 0.01 and "grad_norm" in c  # the schedule acted; it clips
    c = curves("dropout_val_below_train")
    assert sum(v < t for v, t in zip(c["val_loss"], c["loss"])) >= 0.9 * len(c["loss"])  # dropout: val below train


# -- remedies ---------------------------------------------------------------------------------------

def test_lr_far_too_high_stuck_at_chance_is_not_told_to_raise_the_lr_or_grow_the_model():
    """SGD lr=10: the spike in the first epoch says the learning rate is far too high; a larger
    learning rate or a larger model would make it worse or change nothing."""
    d = fitwatch.diagnose(curves("lr_far_too_high_stuck_at_chance"))  # its verdict: test_verdict
    got = remedies(d)
    assert CATALOGUE["lr_up"] not in got and CATALOGUE["larger_model"] not in got, got


def test_weight_decay_far_too_high_is_told_to_weaken_it_not_to_raise_the_lr():
    """Adam with weight_decay=0.5: validation accuracy reached 0.21 (chance 0.1), then fell back to
    chance for good, both losses back at ln 10. The diagnosis says the model learned and lost it,
    and leads with weaker regularisation, then a lower learning rate; never a higher one, never
    "the learning rate is too low" (a fourth trial's run was told both)."""
    c = curves("weight_decay_far_too_high")
    assert max(c["val_accuracy"]) > 0.2 and max(c["val_accuracy"][-5:]) < 0.12
    assert c["val_loss"][-1] > c["val_loss"][0] and c["val_loss"][-1] == pytest.approx(math.log(10), abs=0.01)
    d = fitwatch.diagnose(c)
    first = d.findings[0]
    assert first.remedies[:2] == [CATALOGUE["less_regularisation"], CATALOGUE["lr_down"]], d
    assert "learned, then lost it all" in first.message and "ln(10)" in first.message, d
    assert first.evidence["peak_accuracy_epoch"] == 0 and first.evidence["chance_accuracy"] == 0.1, first.evidence
    assert CATALOGUE["lr_up"] not in remedies(d) and "lr_too_low" not in [f.code for f in d.findings], d


def test_keras_sgd_lr_8_saturated_is_told_to_lower_the_lr_first():
    """The loss sat at 6 x ln(10) from its first epoch, validation constant, accuracy at chance: the
    diagnosis names the blow-up and leads with a lower learning rate (it led with "check the data",
    from the constant validation loss alone). Its CSVLogger twin from the trial: tests/data/logs."""
    c = curves("keras_sgd_lr_8_saturated")
    assert min(c["loss"]) > 4 * math.log(10) and len(set(c["val_loss"])) == 1 and max(c["accuracy"]) < 0.15
    for d in (fitwatch.diagnose(c), fitwatch.diagnose(str(TRIAL_HIGH_LR))):
        got = remedies(d)
        assert d.findings[0].remedies[0] == CATALOGUE["lr_down"], d
        assert "blew up in the first epoch" in d.findings[0].message, d
        assert CATALOGUE["lr_up"] not in got and CATALOGUE["larger_model"] not in got, got


def test_unnormalised_inputs_are_not_told_to_raise_the_lr_or_grow_the_model():
    d = fitwatch.diagnose(curves("unnormalised_inputs"))
    got = remedies(d)
    assert CATALOGUE["lr_up"] not in got and CATALOGUE["larger_model"] not in got, got


@pytest.mark.parametrize("name", ["plateau_schedule_with_clipping", "cosine_schedule"])
def test_a_run_with_a_schedule_is_not_unstable_nor_told_to_add_one(name):
    """The run already has a learning-rate schedule (its ``lr`` curve says so) and, for the plateau
    run, gradient clipping (``grad_norm``): recommending either is noise, and its early ups and downs
    died out, so it is not unstable."""
    d = fitwatch.diagnose(curves(name))
    assert d.verdict != "unstable", explain(name, d)
    got = remedies(d)
    for key in ("lr_schedule", "lr_plateau"):
        assert CATALOGUE[key] not in got, (key, got)
    if "grad_norm" in curves(name):
        assert CATALOGUE["gradient_clipping"] not in got, got


def test_a_loss_that_fell_only_after_the_rate_was_cut_names_the_cut_and_lowers_the_rate():
    """The Must 4/6 trial's step schedule: stuck at ln 10 at lr 3 and 1.5, falling at 0.75. The cut is the
    evidence (lr_too_high, naming it); never "raise the learning rate", "smooth but flat" or ln 6."""
    d = fitwatch.diagnose(curves("step_schedule_from_too_high_a_rate"))
    cut = next(f for f in d.findings if f.code == "lr_too_high")
    assert (cut.evidence["epoch"], cut.evidence["lr_before"], cut.evidence["lr_after"]) == (10, 1.5, 0.75), cut
    assert "cut to 0.75 at epoch 10" in cut.message and cut.remedies[0] == CATALOGUE["lr_down"]
    assert CATALOGUE["lr_up"] not in remedies(d) and "lr_too_low" not in [f.code for f in d.findings]
    assert not any("ln(6)" in f.message for f in d.findings), d


@pytest.mark.parametrize("name", ["lr_too_low_barely_moves", "huge_batch_tiny_lr"])
def test_too_low_a_learning_rate_is_named(name):
    d = fitwatch.diagnose(curves(name))
    assert "lr_too_low" in [f.code for f in d.findings], explain(name, d)
    assert CATALOGUE["lr_up"] in remedies(d)
    low = next(f for f in d.findings if f.code == "lr_too_low")  # a decay schedule lowers it further
    assert CATALOGUE["lr_schedule"] not in low.remedies, low.remedies


def test_shuffled_labels_point_at_the_data():
    d = fitwatch.diagnose(curves("shuffled_labels_memorised"))
    got = remedies(d)
    assert CATALOGUE["check_data"] in got or CATALOGUE["more_data"] in got, got  # both say: check the labels


def test_validation_never_above_chance_is_not_an_overfit_from_epoch_0():
    """Shuffled labels memorised: validation's loss climbs far above ln 10 (the model grows sure of
    wrong answers), its accuracy at chance at every epoch. That is no overfit with an onset and a
    best epoch to restore (fitwatch said "overfitting from epoch 0"), but nothing learned: check the
    labels, not the learning rate. An overfit that starts from the same ln 10 and gets below it
    before turning up (tiny_training_set) is still one."""
    c = curves("shuffled_labels_val_at_chance")
    assert max(c["val_loss"][len(c["val_loss"]) // 2:]) > 1.1 * math.log(10)  # beyond at_chance's band
    d = fitwatch.diagnose(c)
    assert d.verdict == "not_learning" and d.onset_epoch is None, explain("shuffled_labels_val_at_chance", d)
    got = remedies(d)
    assert got[0] == CATALOGUE["check_data"] and CATALOGUE["lr_up"] not in got, got
    assert "lr_too_low" not in [f.code for f in d.findings]
    assert "memorised" in d.findings[0].message and "chance" in d.findings[0].message
    o = curves("tiny_training_set")
    assert abs(o["val_loss"][0] - math.log(10)) < 0.03 * math.log(10)  # it starts at chance too
    assert fitwatch.diagnose(o).verdict == "overfitting"


# -- the stored curves ------------------------------------------------------------------------------

#: the runs whose curves part ways between CPUs after the first epoch (seen on AMD EPYC against the
#: Intel machine that saved them, 2026-12-03); every other run follows its stored curve closely (on
#: another Intel Xeon, 2026-12-04, dropout_val_below_train drifted from epoch 9 on,
#: by a median of 0.8 %, at most 7 % of the curve's range)
_AMPLIFY_ROUNDING = ("lr_too_high_unstable", "shuffled_labels_memorised", "model_too_small_bottleneck",
                     "zero_grad_forgotten", "label_noise", "step_schedule_from_too_high_a_rate")


def test_a_majority_class_guess_is_not_called_a_blow_up():
    """Labels without signal, 30 % in one class: the accuracies freeze at that share (the training one to a
    sample), which is no chance level 1/k; the message says the model predicts one class and leads with
    rebalancing, not "1.9 times ln 3: the loss blew up in the first epoch". A rate too high that killed the units
    gives the same curves (a stop-46 attack's net at SGD lr 3): lowering it comes third."""
    d = fitwatch.diagnose(curves("no_signal_majority_class"))
    assert d.verdict == "not_learning", explain("no_signal_majority_class", d)
    assert "predicts the same class for every input" in d.findings[0].message
    assert "blew up" not in d.findings[0].message and "lr_too_high" not in [f.code for f in d.findings]
    assert d.findings[0].remedies[0] == CATALOGUE["class_balance"]
    assert d.findings[0].remedies[2] == CATALOGUE["lr_down"]


def test_a_step_schedule_cut_from_epoch_3_is_named():
    """StepLR cutting tenfold every 3 epochs: the first cut, with 2 epochs at the old rate to measure the pace
    over, came while validation still fell fast. The underfitting says so and leads with stretching the schedule,
    not "the model cannot fit the data better as it is"."""
    d = fitwatch.diagnose(curves("step_schedule_cut_from_epoch_3"))
    f = next((f for f in d.findings if f.code == "lr_decayed_early"), None)
    assert f is not None and f.evidence["epoch"] == 3, explain("step_schedule_cut_from_epoch_3", d)
    assert "cannot fit the data better" not in d.findings[0].message
    assert d.findings[0].remedies[0] == CATALOGUE["lr_restart"]


def test_a_softmax_before_cross_entropy_is_named_from_the_curves():
    """The loss settles at the floor ln(e + 9) - 1 = 1.461 of probabilities taken for logits, 1.47 at 99 % training
    accuracy (the run's 10 classes stated: its first epoch's mean, 2.0, is no ln k). The verdict stays good_fit (the
    model learned), with `softmax_twice` and its remedy, checking the loss; not with label smoothing stated, whose
    floor it may be, nor beside a healthy run's logits."""
    d = fitwatch.diagnose(curves("softmax_before_cross_entropy"), context={"classes": 10})
    f = next((f for f in d.findings if f.code == "softmax_twice"), None)
    assert f is not None and f.evidence["classes"] == 10, explain("softmax_before_cross_entropy", d)
    assert f.remedies == [CATALOGUE["loss_fit"]]
    healthy = fitwatch.diagnose(curves("plateau_schedule_with_clipping"), context={"classes": 10})
    assert "softmax_twice" not in [f.code for f in healthy.findings]
    smoothed = fitwatch.diagnose(curves("softmax_before_cross_entropy"),
                                 context={"classes": 10, "label_smoothing": 0.1})
    assert "softmax_twice" not in [f.code for f in smoothed.findings]


def test_a_regression_that_never_beat_its_first_evaluation_says_the_data_may_hold_nothing():
    """Shuffled regression targets, no baseline: validation never clearly below its first evaluation, then up.
    Keeping the best epoch keeps no model at all when that first model had no skill: the message says the targets
    may then not depend on the inputs, and how to have the run judged against its no-skill level."""
    d = fitwatch.diagnose(curves("regression_shuffled_targets"))
    assert "below its first evaluation" in d.findings[0].message, explain("regression_shuffled_targets", d)
    assert "the targets may not depend on the inputs" in d.findings[0].message and "baseline=" in d.findings[0].message
    healthy = fitwatch.diagnose(curves("regression_good_fit"))
    assert "below its first evaluation" not in str(healthy)


@pytest.mark.parametrize("name", list(RUNS))
def test_stored_curves_match_the_run(name):
    """``tests/data/broken/<name>.json`` is what the run produces (``python tests/broken_runs.py
    --save`` rewrites them): the same curves and epochs, and the same verdict. Seeded and on one
    thread the runs repeat exactly on one CPU and torch build; on another CPU (AMD against Intel:
    other vector kernels, other rounding) the runs drift apart: every run's first epoch is compared
    exactly, the other epochs within a median of 2 % (none by a tenth of the curve's range), except
    the runs that amplify rounding (a learning rate at the edge of stability, gradients accumulated
    over batches, noisy labels memorised), which part ways within a few epochs; the verdict always."""
    path = broken_runs.DATA / f"{name}.json"
    assert path.exists(), f"{path} is missing: run python tests/broken_runs.py --save"
    stored, fresh = broken_runs.load(name), curves(name)
    assert set(stored) == set(fresh)
    for key, values in fresh.items():
        assert len(stored[key]) == len(values), key
        assert stored[key][:1] == pytest.approx(values[:1], rel=1e-3, abs=1e-6, nan_ok=True), key
        if name not in _AMPLIFY_ROUNDING:  # the same run: its curve follows the stored one closely
            a, b = np.asarray(stored[key], float), np.asarray(values, float)
            both = np.isfinite(a) & np.isfinite(b)
            assert (np.isfinite(a) == np.isfinite(b)).all(), key
            gap = np.abs(a[both] - b[both])
            rel = gap / np.maximum(np.abs(b[both]), 1e-6)
            of_range = gap / max(np.ptp(b[both]), 0.05 * np.abs(b[both]).max(), 1e-6)
            assert np.median(rel) < 0.02 and of_range.max() < 0.1, (key, float(np.median(rel)), float(of_range.max()))
    assert (fitwatch.diagnose(stored, **broken_runs.known(name)).verdict
            == fitwatch.diagnose(fresh, **broken_runs.known(name)).verdict)
