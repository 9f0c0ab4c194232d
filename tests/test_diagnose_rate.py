"""Which way a run that is not learning is told to move its learning rate (``checks/rate.py``), on real runs:
an attack's trainings of stop 49 (a CNN, a transformer, an autoencoder, a tanh RNN) and two TaskSet LSTMs whose
Adam rate is known (the shared curves, ``../shared/data/curves/taskset_imdb_rnn.jsonl.gz``, ids ``.../5`` and
``.../32``). On TaskSet's 7,231 runs diagnosed ``not_learning``, "a learning rate far too small" was said of
3,463 of 3,463 at a rate of 1e-5 or less, but also of 848 of 1,507 at 0.03 or more; it is now said of 2,741 and
94 (docs/diagnosis.md, ``lr_too_low``)."""

import json
from pathlib import Path

import numpy as np
import pytest

import fitwatch
from fitwatch.diagnosis.checks.rate import creeps, stalled_at_once, unmoved
from fitwatch.diagnosis.readers import read_curves
from fitwatch.diagnosis.remedies import CATALOGUE

CURVES = json.loads((Path(__file__).parent / "data" / "trial_curves.json").read_text())


def codes(d):
    return [f.code for f in d.findings]


@pytest.mark.parametrize("name", ["attack_cnn_adam_0.1_at_chance_after_its_first_epoch",
                                  "attack_transformer_adam_0.05_stalled_after_its_first_epoch"])
def test_a_loss_that_fell_in_its_first_epoch_then_stopped_is_not_told_to_raise_the_rate(name):
    """Adam at 0.1 on a CNN (2.486, then 2.31-2.32 at ln 10) and at 0.05 on a transformer (2.35, then 2.26): both
    were "smooth but flat: a learning rate far too small", "Raise the learning rate" first. A rate too small
    creeps on from where the model starts; these moved at once, then stopped."""
    d = fitwatch.diagnose(CURVES[name])
    assert d.verdict == "not_learning" and "lr_too_low" not in codes(d), d
    rem = d.findings[0].remedies
    assert rem[:2] == [CATALOGUE["check_data"], CATALOGUE["lr_down"]] and CATALOGUE["lr_up"] not in rem, rem
    assert "Its first epoch took it from" in d.findings[0].message


def test_a_loss_creeping_down_above_a_stated_baseline_is_a_rate_too_small():
    """An autoencoder at SGD 1e-4, 0.2418 -> 0.2389 at every epoch, 3.2 times the baseline its run stated: it was
    told "lower the learning rate" (a loss above the level a constant guess reaches read as steps too large) and
    that it sat "at" the level. An untrained autoencoder starts above its targets' variance."""
    d = fitwatch.diagnose(CURVES["attack_autoencoder_sgd_1e-4_creeping_above_its_baseline"], baseline=0.07375)
    assert d.verdict == "not_learning" and "lr_too_low" in codes(d) and "lr_too_high" not in codes(d), d
    assert d.findings[0].remedies[0] == CATALOGUE["lr_up"]
    assert "at 3.2 times the no-skill level the run states (0.07375)" in d.findings[0].message, d.findings[0].message


def test_a_flat_loss_that_only_jitters_says_nothing_of_the_rate():
    """A tanh RNN on sequences too long for it (Adam 1e-3): flat, jittering, not creeping; it was told to raise the
    rate first. The data (and the model) come first now, the rate stays among the remedies."""
    d = fitwatch.diagnose(CURVES["attack_tanh_rnn_long_sequences_flat"])
    assert d.verdict == "not_learning" and "lr_too_low" not in codes(d), d
    assert d.findings[0].remedies[0] == CATALOGUE["check_data"] and CATALOGUE["lr_up"] in d.findings[0].remedies


@pytest.mark.parametrize("name, low", [("taskset_lstm_adam_1e-6_unmoved", True),
                                       ("taskset_lstm_adam_0.54_constant_at_ln2", False)])
def test_taskset_rates_far_too_small_and_far_too_large(name, low):
    """At Adam 1e-6 the LSTM's loss sits within its batch noise of its first value (it never moved): a rate far
    too small. At 0.54 it fell to exactly ln 2 and froze there (a constant output): not a rate too small."""
    d = fitwatch.diagnose(CURVES[name])
    assert d.verdict == "not_learning" and ("lr_too_low" in codes(d)) is low, d
    assert (d.findings[0].remedies[0] == CATALOGUE["lr_up"]) is low


def test_the_three_shapes_on_their_own():
    creeping = 2.3055 - 1e-5 * np.arange(20.0)
    jitter = 0.6935 + 0.0006 * np.array([0, 1, -1, 1, 0, -1, 1, -1, 0, 1] * 2)
    stalled = np.r_[2.486, 2.318 + 0.004 * np.array([0, -1, 1, -1, 0, 1, 0, -1, 1])]
    assert creeps(creeping) and not creeps(jitter) and not creeps(stalled)
    assert unmoved(jitter) and not unmoved(stalled)
    assert stalled_at_once(stalled) and not stalled_at_once(creeping) and not stalled_at_once(jitter)
    assert not creeps(np.array([1.0, 0.9, np.nan, 0.8, 0.7])) and not unmoved(np.array([1.0, 1.0]))


def test_an_accuracy_that_left_its_start_early_is_not_chance_for_fewer_classes():
    """A Lightning digits model with 2 hidden units: its loss 2.38 (ln 10) and accuracy 0.10-0.12 at the start, 0.2
    by its tenth epoch of 40, validation loss 1.88 at the end and still falling. Its second half read as "at chance
    for 6 classes" (and, by the median of its accuracy, "flat at chance for 5 classes", its start "far too large"):
    not_learning, told to fix its initialisation. A run at ln 3 and 0.32-0.35 all along, with a spike in its first
    quarter (the tune half's h513#2), stays at chance."""
    d = fitwatch.diagnose(CURVES["attack_lightning_digits_two_hidden_units"])
    assert d.verdict == "still_improving" and "classes" not in d.findings[0].message, d
    real = read_curves(Path(__file__).parent / "data" / "real" / "hf" / "h513.jsonl")[1]
    assert fitwatch.diagnose_curves(real).verdict == "not_learning"


def test_a_linear_decay_to_0_logged_at_each_epoch_has_run_out_at_the_end():
    """Keras's LearningRateScheduler taking the rate linearly to 0 over 40 epochs logs 2.5 % of its peak at the last
    one (over 10, 10 %): the schedule ran out all the same, and "train longer" at that rate adds little; it was
    read as a rate still going, since only a last value at 2 % of the peak or less counted."""
    d = fitwatch.diagnose(CURVES["attack_keras_linear_decay_to_0_over_40_epochs"])
    assert d.verdict == "still_improving" and "with the schedule stretched" in d.findings[0].message, d


def test_validation_labels_shuffled_are_named_when_the_first_epoch_hid_the_class_count():
    """A Lightning digits run with its validation labels shuffled: training 2.07 -> 0.06 (its first epoch already
    at 53 % accuracy, so its loss is no ln k), validation accuracy 0.09-0.11 beside a first validation loss of 2.37
    (ln 10 + 3 %). Its Keras twin was told nothing transfers and to check the data first; this one only to stop
    early and keep the weights of epoch 0."""
    d = fitwatch.diagnose(CURVES["attack_lightning_digits_validation_labels_shuffled"])
    assert d.verdict == "overfitting" and "nothing_transfers" in codes(d), d
    assert d.findings[0].remedies[0] == CATALOGUE["check_val_data"]


def test_a_loss_rising_on_right_answers_and_on_training_too_is_no_over_confidence():
    """A Trainer run at AdamW weight decay 50: validation accuracy 1.000 from its second evaluation, both losses up
    40-50 % from epoch 2 together (0.30 -> 0.42, 0.27 -> 0.41) as the penalty pulls the weights in. It was told the
    model "grows over-confident on the examples it gets wrong" (there are none) and to smooth its labels."""
    d = fitwatch.diagnose(CURVES["attack_trainer_adamw_weight_decay_50_both_rose"])
    assert "overconfident" not in codes(d), d


def test_a_slow_straight_fall_from_a_loss_in_the_thousands_puts_the_targets_first():
    """Keras on diabetes with its raw targets (variance about 5,900): the loss falls in a straight line from 28,600,
    still falling at the end. It was told to raise the learning rate, with no word of the targets' scale."""
    d = fitwatch.diagnose(CURVES["attack_keras_regression_raw_targets"])
    low = next(f for f in d.findings if f.code == "lr_too_low")
    assert d.verdict == "still_improving" and "standardise them first" in low.message, d
    assert low.remedies[:2] == [CATALOGUE["normalise_inputs"], CATALOGUE["lr_up"]]


def test_a_decay_that_stops_short_of_0_or_a_group_level_accuracy_is_not_read_as_run_out_or_chance():
    """A second attack on this stop's changes: a linear decay to 10 % of the peak over 10 epochs logs the values of
    one to 0 over 11, and was read as run out; 4 classes made of 2 groups and a coin flip (validation 0.745 -> 0.714
    -> 1.83 at 0.48-0.51, training to 0.87) were told nothing transfers, k = 2 read from the accuracy."""
    y = list(2.3 * 0.93 ** np.arange(10.0))
    run = {"loss": y, "val_loss": [v * 1.02 for v in y], "lr": list(1e-3 * (1 - 0.1 * np.arange(10.0)))}
    d = fitwatch.diagnose(run)
    assert d.verdict == "still_improving" and "schedule stretched" not in d.findings[0].message, d
    d = fitwatch.diagnose(CURVES["attack_four_classes_as_two_groups_and_a_coin_flip"])
    assert "nothing_transfers" not in codes(d), d


def test_a_loss_at_ln_k_names_k_whatever_the_accuracy_says():
    """A CNN at SGD 1e-4 on 10 classes: its loss 2.3055 -> 2.3048 (ln 10 = 2.3026), its accuracy creeping
    0.102 -> 0.119. Read by the accuracy it was "stuck 5% above the no-skill level ln(9) = 2.197"."""
    d = fitwatch.diagnose(CURVES["attack_cnn_sgd_1e-4_at_ln10"])
    assert d.verdict == "not_learning" and "ln(10) = 2.303" in d.findings[0].message, d.findings[0].message
    assert "lr_too_low" in codes(d)


def test_a_cyclic_rate_on_a_falling_edge_has_not_run_out_and_a_frozen_guess_at_init_is_not_told_to_lower_it():
    """A third attack: a triangular cyclic rate ending at its base (3 % of its peak) on a falling edge was told to
    stretch a schedule that rises again next epoch; a digits MLP at SGD 1e-6, its loss 2.317 from start to end and
    its accuracy frozen (one class guessed at initialisation), was told to lower the rate."""
    tri = np.r_[np.linspace(0.03, 1, 6), np.linspace(1, 0.03, 6)[1:]]
    lr = list(2e-2 * np.r_[tri, tri[1:], tri[1:]])
    y = list(2.3 * 0.95 ** np.arange(len(lr)))
    d = fitwatch.diagnose({"loss": y, "val_loss": [v * 1.02 for v in y], "lr": lr})
    assert d.verdict == "still_improving" and "schedule stretched" not in d.findings[0].message, d
    d = fitwatch.diagnose(CURVES["attack_digits_sgd_1e-6_one_class_at_init"])
    rem = d.findings[0].remedies
    assert d.verdict == "not_learning" and CATALOGUE["lr_up"] in rem and CATALOGUE["lr_down"] not in rem, rem


def test_how_far_above_no_skill_is_read_on_the_curve_the_message_is_about():
    """A stop-50 attack's digits model at a rate too high: validation 1.26 at its first epoch, 2.489 at its second,
    1.798 at its end. The message said "stuck at the no-skill level ln(5) = 1.609", how far above measured on
    training's first epoch (1.534), beside the sentence about validation's end."""
    d = fitwatch.diagnose(CURVES["attack_digits_lr1_jumped_ends_above_start"])
    msg = d.findings[0].message
    assert d.verdict == "not_learning" and "ends at 1.798" in msg, msg
    assert "stuck at the no-skill level" not in msg and "12% above the no-skill level" in msg, msg
