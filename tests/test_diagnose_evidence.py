"""Rules of the diagnosis that weigh one more piece of evidence (issue 11, real logs): each test
holds the numbers of the kind of run that made the rule, and the same run without the evidence."""

import json
from pathlib import Path

import numpy as np

import fitwatch
from fitwatch.diagnosis.remedies import CATALOGUE, in_all_words

#: curves of new users' trial runs, as their frameworks logged them (the tests below say which)
TRIAL_CURVES = json.loads((Path(__file__).parent / "data" / "trial_curves.json").read_text())


def test_accuracy_frozen_on_both_sets_is_a_model_predicting_one_class():
    """A Keras run on an imbalanced data set: accuracy 0.8185 / 0.8142 (the majority's share) at
    every epoch while both losses fall (it was good_fit)."""
    h = {"loss": [1.139, 0.0655, 0.0506, 0.0498, 0.0488, 0.0485, 0.0480],
         "val_loss": [0.0985, 0.0558, 0.0505, 0.0505, 0.0487, 0.0483, 0.0481],
         "accuracy": [0.8164] + [0.8185] * 6, "val_accuracy": [0.8142] * 7}
    d = fitwatch.diagnose(h)
    assert d.verdict == "not_learning"
    assert d.findings[0].evidence["frozen_val_accuracy"] == 0.8142
    assert "predicts the same class for every input" in d.findings[0].message
    assert d.findings[0].remedies[0] == CATALOGUE["class_balance"]
    moving = dict(h, accuracy=[0.70, 0.80, 0.85, 0.88, 0.90, 0.91, 0.92],
                  val_accuracy=[0.70, 0.79, 0.83, 0.85, 0.86, 0.86, 0.87])
    assert fitwatch.diagnose(moving).verdict != "not_learning"
    # an "accuracy" of about 0 is no class's share (a regression compiled with metrics=["accuracy"])
    regression = dict(h, accuracy=[0.00025] * 7, val_accuracy=[0.0] * 7)
    assert fitwatch.diagnose(regression).verdict != "not_learning"


def test_one_bump_in_a_falling_validation_curve_is_not_instability():
    """Ten epochs, validation 0.629 -> 0.116 with one bump to 0.177 at epoch 7 (it was unstable).
    Bumps that come back again and again are."""
    loss = [1.469, 0.470, 0.279, 0.190, 0.141, 0.113, 0.0896, 0.0748, 0.0665, 0.0569]
    val = [0.629, 0.348, 0.243, 0.292, 0.192, 0.125, 0.117, 0.177, 0.155, 0.116]
    assert fitwatch.diagnose({"loss": loss, "val_loss": val}).verdict != "unstable"
    jumpy = [0.629, 0.348, 0.243, 0.292, 0.192, 0.25, 0.117, 0.21, 0.12, 0.19]
    assert fitwatch.diagnose({"loss": loss, "val_loss": jumpy}).verdict == "unstable"


def test_a_gap_that_grew_since_validations_best_epoch_is_overfitting():
    """Nine epochs: validation's best 0.744 at epoch 2, then 0.76-0.89 while training falls
    0.41 -> 0.27, accuracy 0.89 against 0.77 (it was good_fit: the gap grew from the best epoch,
    less so from mid-run). With the same accuracy on both sets it is not this rule's."""
    h = {"loss": [0.8795, 0.5626, 0.4654, 0.4136, 0.3641, 0.3158, 0.3427, 0.3078, 0.267],
         "val_loss": [1.419, 0.8979, 0.7436, 0.786, 0.7637, 0.7851, 0.8942, 0.8227, 0.816],
         "accuracy": [0.7116, 0.8108, 0.846, 0.8601, 0.8752, 0.8935, 0.8804, 0.8925, 0.9068],
         "val_accuracy": [0.5424, 0.7001, 0.7728, 0.7638, 0.7707, 0.771, 0.744, 0.7773, 0.7692]}
    assert fitwatch.diagnose(h).verdict == "overfitting"
    assert fitwatch.diagnose(dict(h, val_accuracy=h["accuracy"])).verdict != "overfitting"


def test_accuracy_at_chance_all_run_long_is_not_learning_though_the_loss_dipped_below_ln_k():
    """A 3-class run logging top-1 accuracy in percent (``test_acc1`` 31.5-35.6) while its loss
    wanders around ln 3 = 1.099 and ends at 0.99 (it was underfitting)."""
    h = {"loss": [1.369, 1.144, 1.283, 1.177, 1.031, 1.047, 1.034, 0.957, 0.916, 1.088],
         "test_loss": [1.053, 1.75, 1.475, 1.217, 1.036, 1.106, 1.19, 1.098, 1.0, 0.9876],
         "test_acc1": [31.78, 31.54, 31.54, 35.59, 31.84, 33.63, 32.11, 33.07, 34.46, 34.49]}
    assert fitwatch.diagnose(h).verdict == "not_learning"
    learned = dict(h, test_acc1=[31.8, 40.0, 45.0, 50.1, 55.0, 57.0, 58.0, 60.0, 61.0, 62.0])
    assert fitwatch.diagnose(learned).verdict != "not_learning"


def test_a_binary_classifier_above_chance_that_overfits_is_not_at_chance():
    """A tiny BERT on a balanced binary task (a new user's Trainer run, issue 15): validation
    accuracy 0.48 -> 0.63 and its loss down to 0.655 (below ln 2) before it rose back above ln 2 as
    training fell to 0.23 (it was not_learning: 0.61 is under 1.3 x chance). An accuracy that never
    rose is still at chance."""
    h = {"loss": [0.6915, 0.6645, 0.5786, 0.4521, 0.3408, 0.2788, 0.2459, 0.2329],
         "val_loss": [0.6917, 0.6746, 0.6548, 0.6587, 0.7021, 0.7429, 0.766, 0.7753],
         "val_accuracy": [0.4766, 0.5859, 0.625, 0.6172, 0.5859, 0.6172, 0.6016, 0.6094]}
    d = fitwatch.diagnose(h)
    assert (d.verdict, d.best_epoch) == ("overfitting", 2)
    flat = dict(h, val_accuracy=[0.5, 0.51, 0.52, 0.5, 0.51, 0.52, 0.5, 0.51])
    assert fitwatch.diagnose(flat).verdict == "not_learning"


def test_a_short_run_falling_at_each_of_its_last_steps_is_still_improving():
    """Five epochs, validation 0.484 -> 0.418 -> 0.415 -> 0.399 -> 0.395 (it was underfitting: three
    points give no standard error worth the name). One step back up and it is not."""
    h = {"loss": [0.6486, 0.4923, 0.4719, 0.4119, 0.432], "val_loss": [0.4842, 0.4184, 0.4146, 0.3986, 0.3954]}
    assert fitwatch.diagnose(h).verdict == "still_improving"
    assert fitwatch.diagnose(dict(h, val_loss=[0.4842, 0.4184, 0.4146, 0.3986, 0.4054])).verdict != "still_improving"


def test_a_tiny_uptick_is_not_a_jump():
    """Ten epochs, validation settling at 0.11 with one jump to 0.165 and a 0.004 uptick beside it
    (it was unstable: the uptick counted as the second jump)."""
    loss = [1.342, 0.435, 0.261, 0.179, 0.135, 0.105, 0.0898, 0.071, 0.0622, 0.0549]
    val = [0.6039, 0.2936, 0.2539, 0.1651, 0.1251, 0.2017, 0.1099, 0.114, 0.1654, 0.1089]
    assert fitwatch.diagnose({"loss": loss, "val_loss": val}).verdict != "unstable"
    twice = [0.6039, 0.2936, 0.2539, 0.1651, 0.1251, 0.2017, 0.1099, 0.17, 0.1154, 0.1689]
    assert fitwatch.diagnose({"loss": loss, "val_loss": twice}).verdict == "unstable"


def test_a_validation_loss_identical_at_every_evaluation_is_not_learning():
    """Forty evaluations of exactly 2.217 while the training loss eased 2.63 -> 2.20 (it was
    underfitting): nothing reached the validation data."""
    h = {"loss": [2.628, 1.817, 2.322, 2.172, 2.4, 2.192, 2.201, 2.196, 2.202, 2.2],
         "val_loss": [2.217] * 10}
    d = fitwatch.diagnose(h)
    assert d.verdict == "not_learning" and d.findings[0].evidence["constant_val_loss"] == 2.217
    assert "2.217 at every one of its 10 evaluations" in d.findings[0].message
    assert CATALOGUE["lr_up"] not in d.findings[0].remedies
    moved = dict(h, val_loss=[2.217, 2.1, 2.05, 2.02, 2.0, 1.99, 1.985, 1.98, 1.978, 1.977])
    assert fitwatch.diagnose(moved).verdict != "not_learning"


def test_a_curve_still_falling_at_every_epoch_has_not_settled_into_underfitting():
    """A fine-tune whose validation falls at every epoch, 2.00 -> 1.478, beside a training loss at
    1.57 (it was underfitting against a guessed ln 11): not settled. The same curves flat over
    their last epochs do underfit."""
    loss = [2.414, 2.001, 1.846, 1.749, 1.687, 1.648, 1.619, 1.596, 1.581, 1.573]
    val = [2.003, 1.791, 1.671, 1.604, 1.56, 1.531, 1.507, 1.4897, 1.4792, 1.4777]
    assert fitwatch.diagnose({"loss": loss, "val_loss": val}).verdict != "underfitting"
    flat = val[:6] + [1.531, 1.531, 1.531, 1.531]
    assert fitwatch.diagnose({"loss": loss[:6] + [1.648] * 4, "val_loss": flat}).verdict == "underfitting"


def test_a_short_run_ending_on_a_new_low_after_a_bump_is_still_improving():
    """Ten epochs of a Keras run (issue 11's tuning half): validation 0.81 -> 0.25 with bumps at
    epochs 5 and 7, its lowest at the last epoch (it was good_fit: the final three points hold the
    bump). Without the new low at the end it is not."""
    h = {"loss": [1.675, 0.7347, 0.5411, 0.4741, 0.4323, 0.3983, 0.3693, 0.3359, 0.3188, 0.306],
         "val_loss": [0.8097, 0.5588, 0.4152, 0.3815, 0.3456, 0.368, 0.2676, 0.3143, 0.2679, 0.2479]}
    assert fitwatch.diagnose(h).verdict == "still_improving"
    flat = dict(h, val_loss=h["val_loss"][:-1] + [0.2701])
    assert fitwatch.diagnose(flat).verdict != "still_improving"


def test_validation_flat_above_its_best_while_the_gap_doubles_is_overfitting():
    """A fine-tune's shape (issue 11's tuning half, 80 evaluations there): validation's best 0.82 at
    epoch 15 of 30, then 0.82-0.87, about 5 % above it, while training falls 0.70 -> 0.51 and the
    gap grows 0.12 -> 0.35 (it was good_fit). With training flat beside it, the gap does not grow:
    not overfitting."""
    val = [4.08, 1.40, 1.27, 1.21, 1.17, 1.14, 1.12, 1.10, 1.06, 1.01, 0.97, 0.93, 0.90, 0.87, 0.84, 0.821, 0.83,
           0.826, 0.835, 0.829, 0.84, 0.834, 0.845, 0.84, 0.852, 0.848, 0.858, 0.855, 0.866, 0.862]
    loss = [5.04, 1.49, 1.28, 1.23, 1.18, 1.11, 1.07, 1.02, 0.98, 0.94, 0.90, 0.86, 0.80, 0.76, 0.73, 0.70,
            0.69, 0.68, 0.665, 0.655, 0.64, 0.63, 0.62, 0.61, 0.60, 0.59, 0.57, 0.55, 0.53, 0.51]
    assert fitwatch.diagnose({"loss": loss, "val_loss": val}).verdict == "overfitting"
    flat = loss[:16] + [0.70] * 14
    assert fitwatch.diagnose({"loss": flat, "val_loss": val}).verdict != "overfitting"


def test_a_first_epoch_far_above_ln_k_then_chance_is_a_blow_up_not_a_learning_rate_too_small():
    """A new user's Lightning run (issue 15), SGD at lr=5 on ten classes: the first epoch averaged
    4.16 (1.8 ln 10), then the loss sat at ln 10 with accuracy 0.1. It was told to raise the
    learning rate, with lr_too_low. Starting at ln 10 it is a learning rate too small."""
    flat = [2.3603, 2.3222, 2.3449, 2.3249, 2.3297, 2.3268, 2.3285, 2.3238, 2.3255, 2.3267]
    h = {"loss": [4.1629] + flat, "val_loss": [2.4094, 2.3408, 2.5297, 2.3199, 2.3278, 2.324, 2.3242, 2.3146,
                                               2.3328, 2.3421, 2.34],
         "accuracy": [0.12, 0.097, 0.12, 0.107, 0.105, 0.112, 0.105, 0.09, 0.087, 0.096, 0.093],
         "val_accuracy": [0.098, 0.098, 0.098, 0.1, 0.098, 0.103, 0.103, 0.1, 0.103, 0.103, 0.103]}
    d = fitwatch.diagnose(h)
    codes = [f.code for f in d.findings]
    assert d.verdict == "not_learning" and "lr_too_high" in codes and "lr_too_low" not in codes
    assert "blew up during that epoch" in d.findings[0].message
    assert d.findings[0].remedies[0] == CATALOGUE["lr_down"]
    assert CATALOGUE["lr_up"] not in [r for f in d.findings for r in f.remedies]


def test_an_r2_never_above_minus_100_is_diverged():
    """An SGDRegressor that blew up in its first epoch (a new user's trial, issue 15): losses of 1e26
    jumping about, R\u00b2 about -1e24 throughout; it never climbed above its start, so it was unstable."""
    rng = np.random.default_rng(0)
    loss = (1e27 * (0.5 + rng.random(20))).tolist()
    h = {"loss": loss, "val_loss": [v * 1.02 for v in loss], "val_r2": [-v / 8e2 for v in loss]}
    d = fitwatch.diagnose(h)
    assert d.verdict == "diverged" and "R\u00b2 never rose above" in d.findings[0].message
    sane = dict(h, val_r2=[-0.5] * 20)  # worse than the mean, but not blown up: judged on the loss
    assert fitwatch.diagnose(sane).verdict != "diverged"


def test_a_loss_creeping_down_at_validation_accuracy_1_is_not_still_improving():
    """A fine-tune at validation accuracy 1.0 from its first epoch (a new user's Trainer run, issue
    15): validation 0.28 -> 0.0008, still 18 % lower over the last epochs (it was still_improving:
    the creep is confidence on examples it already gets right). At accuracy 0.97 it still improves."""
    val = [0.2797, 0.0171, 0.0042, 0.0023, 0.0017, 0.0014, 0.0013, 0.0011, 0.001, 0.0009, 0.0008, 0.00077]
    loss = [0.5944, 0.1032, 0.0203, 0.0033, 0.0022, 0.0017, 0.0015, 0.0013, 0.0012, 0.001, 0.001, 0.0009]
    h = {"loss": loss, "val_loss": val, "val_accuracy": [1.0] * 12}
    assert fitwatch.diagnose(h).verdict != "still_improving"
    assert fitwatch.diagnose(dict(h, val_accuracy=np.linspace(0.9, 0.97, 12).tolist())).verdict == "still_improving"


def test_an_r2_far_below_0_beside_a_loss_that_learned_is_no_evidence():
    """A Lightning regression (issue 11's tuning half): the loss falls 0.057 -> 0.0005 while a logged
    R\u00b2 climbs from -1.5e5 to -1e3 (a metric computed on something else). It was not_learning (R\u00b2
    never above 0.05), then diverged (never above -100); it is judged on its losses."""
    n = 40
    loss = (0.057 * np.geomspace(1, 0.0085, n)).tolist()
    val = (0.009 * np.geomspace(1, 0.08, n)).tolist()
    r2 = (-1.5e5 * np.geomspace(1, 0.0067, n)).tolist()
    d = fitwatch.diagnose({"loss": loss, "val_loss": val, "val_r2": r2})
    assert d.verdict not in ("not_learning", "diverged"), d.verdict


def test_validation_rising_while_a_noisy_training_loss_fell_a_little_is_overfitting():
    """A run whose training loss is logged per step (issue 11's tuning half: 0.03-0.3, scattering
    widely) while validation climbs from its best 0.67 back to 0.9: the training loss fell by more
    than gap_train_fall of its level, though not beyond its own noise; it was good_fit. The same
    validation beside a training loss that did not fall is not overfitting."""
    rng = np.random.default_rng(3)
    n = 30
    val = np.concatenate([np.linspace(1.09, 0.67, 10), np.linspace(0.69, 0.9, n - 10)])
    val = (val + 0.02 * rng.standard_normal(n)).tolist()
    trend = np.linspace(0.30, 0.20, n)
    jitter = 0.08 * np.where(np.arange(n) % 2, 1.0, -1.0) * rng.random(n)
    d = fitwatch.diagnose({"loss": (trend + jitter).tolist(), "val_loss": val})
    assert d.verdict == "overfitting", d.findings[0].message
    flat = {"loss": (0.25 + jitter).tolist(), "val_loss": val}
    assert fitwatch.diagnose(flat).verdict != "overfitting"


def test_validation_ending_where_it_started_while_training_fell_is_not_learning():
    """A test loss at 0.0132 on its first epoch and its last, wandering 0.0126-0.0157 between, while
    the training loss falls 0.035 -> 0.011 (issue 11's tuning half; it was good_fit): nothing the
    model learned generalises. The same run whose validation ends 20 % lower learned."""
    val = [0.01319, 0.01418, 0.0161, 0.01515, 0.01567, 0.0145, 0.01415, 0.01348, 0.01301, 0.01263,
           0.01282, 0.01222, 0.01275, 0.01316]
    loss = np.geomspace(0.035, 0.011, len(val)).tolist()
    d = fitwatch.diagnose({"loss": loss, "val_loss": val})
    assert d.verdict == "not_learning", d.findings[0].message
    assert "does not generalise" in d.findings[0].message
    assert CATALOGUE["lr_up"] not in d.findings[0].remedies
    fell = val[:9] + [0.0125, 0.0118, 0.0112, 0.0108, 0.0105]
    assert fitwatch.diagnose({"loss": loss, "val_loss": fell}).verdict != "not_learning"


def test_a_short_run_whose_training_falls_at_every_step_and_validation_ends_on_a_new_low_still_improves():
    """Ten epochs (issue 11's tuning half): validation 1.634, 1.955, 1.456, 1.471, 1.264 at its end,
    a new low 13 % under the best before it, while training falls 2.42 -> 1.37 at every epoch. The
    bump defeats the slope test of its last half; the training curve says the run has not converged
    (it was good_fit). With a training loss that stopped falling, it is not still_improving."""
    val = [3.131, 3.234, 2.297, 1.958, 1.758, 1.634, 1.955, 1.456, 1.471, 1.264]
    loss = [2.42, 2.213, 2.084, 1.945, 1.822, 1.709, 1.606, 1.518, 1.435, 1.366]
    d = fitwatch.diagnose({"loss": loss, "val_loss": val})
    assert d.verdict == "still_improving", d.findings[0].message
    assert d.findings[0].evidence["drop_last_epochs"] > 0.19
    stalled = loss[:8] + [1.535, 1.526]
    assert fitwatch.diagnose({"loss": stalled, "val_loss": val}).verdict != "still_improving"


def test_validation_rising_far_beyond_its_scatter_while_training_falls_is_overfitting_not_unstable():
    """Validation -0.53 at its first epoch, then -0.48, -0.36, 0.28, 1.31, 7.50 while the training NLL
    falls -0.42 -> -0.68 (issue 11's tuning half): a curve rising at every step bends away from its
    moving average, which read as scatter (unstable). The rise is the trend: overfitting. The same
    validation beside a training loss that did not fall stays unstable."""
    val = [-0.5324, -0.4803, -0.3619, 0.2807, 1.311, 7.498]
    loss = [-0.4236, -0.5065, -0.5441, -0.5747, -0.6219, -0.6817]
    d = fitwatch.diagnose({"loss": loss, "val_loss": val})
    assert d.verdict == "overfitting", d.findings[0].message
    flat = [-0.4236, -0.4265, -0.4241, -0.4247, -0.4219, -0.4237]
    assert fitwatch.diagnose({"loss": flat, "val_loss": val}).verdict != "overfitting"


def test_a_memorised_training_set_beside_a_flat_noisy_validation_is_overfitting():
    """A new user's trial (issue 11): training accuracy 1.0 and a loss near 0, validation flat at 1.6
    with accuracy 0.45, was good_fit because the validation noise happened to slope down over the
    last epochs. A slope back down to where the curve has been is not progress: no new low."""
    rng = np.random.default_rng(3)
    e = np.arange(30)
    train = 0.001 + 2.3 * np.exp(-e / 2)
    val = 1.6 + 0.7 * np.exp(-e) + rng.normal(0, 0.02, 30)
    val[-8:] = np.linspace(1.64, 1.58, 8) + rng.normal(0, 0.004, 8)  # a last stretch sloping down, no new low
    val[14] = val.min() - 0.02
    h = {"loss": train, "accuracy": np.minimum(1.0, 0.1 + e * 0.15), "val_loss": val,
         "val_accuracy": 0.45 + rng.normal(0, 0.01, 30)}
    d = fitwatch.diagnose(h)
    assert d.verdict == "overfitting" and "training accuracy ends at 1.000" in d.findings[0].message
    # the same with validation still going to new lows at the end: not called a plateau
    h["val_loss"] = np.concatenate([val[:22], np.linspace(val.min() - 0.01, val.min() - 0.15, 8)])
    assert fitwatch.diagnose(h).verdict != "overfitting"


def test_a_frozen_accuracy_beside_a_loss_below_the_class_prior_says_to_check_the_metric():
    """A new user's trial: validation accuracy 0.5 at every epoch while the loss fell to 0.14 was told
    the loss fell 'only as far as the class prior takes it' (the prior's loss is at least 0.69)."""
    e = np.arange(15)
    h = {"loss": 1.4 * np.exp(-e / 5) + 0.1, "val_loss": 1.4 * np.exp(-e / 5) + 0.12,
         "accuracy": [0.5] * 15, "val_accuracy": [0.5] * 15}
    f = fitwatch.diagnose(h).findings[0]
    assert "below the 0.6931 that predicting the class prior gives" in f.message
    assert "only as far as the class prior" not in f.message
    h = {"loss": [0.75, 0.70, 0.695, 0.694, 0.693, 0.693, 0.693], "val_loss": [0.74, 0.70, 0.696, 0.694, 0.694, 0.694, 0.694],
         "accuracy": [0.5] * 7, "val_accuracy": [0.5] * 7}
    assert "only as far as the class prior takes it" in fitwatch.diagnose(h).findings[0].message


def test_evidence_of_diverged_and_not_learning_holds_raw_values_and_names_the_smoothed_ones():
    """A new user's trial: 'lowest 0.4463 at epoch 5' in the message, lowest=0.6206 at epoch 4 in the
    evidence (smoothed, unlabelled)."""
    loss = [0.9, 0.7, 0.55, 0.5, 0.45, 0.62, 1.5, 4.0, 9.0, 26.8]
    d = fitwatch.diagnose({"loss": loss, "val_loss": [v * 1.1 for v in loss]})
    assert d.verdict == "diverged"
    ev = d.findings[0].evidence
    assert (ev["start"], ev["lowest"], ev["lowest_epoch"], ev["end"]) == (0.9, 0.45, 4, 26.8)
    assert {"smoothed_start", "smoothed_lowest", "smoothed_end"} <= set(ev)
    assert "lowest 0.45 at epoch 4" in d.findings[0].message
    flat = {"loss": [2.31, 2.30, 2.32, 2.29, 2.31, 2.30, 2.3], "val_loss": [2.3, 2.31, 2.3, 2.32, 2.3, 2.31, 2.3]}
    ev = fitwatch.diagnose(flat).findings[0].evidence
    assert ev["start"] == 2.31 and ev["lowest"] == 2.29 and "smoothed_lowest" in ev


def test_spikes_that_recur_all_run_long_are_unstable():
    """A new user's trial: the loss spiked 3-5x at epochs 7, 15 and 22 of 30 (both curves) and was
    good_fit, because only the second half's jumps were counted (early chaos settles)."""
    e = np.arange(30)
    base = 0.35 + 1.4 * np.exp(-e / 8)

    def run(spikes):
        loss, val = base.copy(), base * 1.1
        for s in spikes:
            loss[s] *= 4
            val[s] *= 4.5
        return {"loss": loss, "val_loss": val}

    assert fitwatch.diagnose(run([7, 15, 22])).verdict == "unstable"
    assert fitwatch.diagnose(run([15, 22])).verdict != "unstable"  # two: not yet "keeps jumping"
    assert fitwatch.diagnose(run([2, 4, 22])).verdict != "unstable"  # early chaos, then one spike


def test_a_learning_rate_raised_at_the_epoch_the_loss_jumped_is_named():
    """A new user's trial: lr 0.02 -> 0.5 at epoch 10, the training loss 0.53 -> 2.32, and nothing said."""
    e = np.arange(30)
    loss = 0.45 + 0.5 * np.exp(-e / 4)
    loss[10] = 2.32
    lr = np.where(e < 10, 0.02, 0.5)
    d = fitwatch.diagnose({"loss": loss, "val_loss": loss + 0.02, "lr": lr})
    [f] = [f for f in d.findings if f.code == "lr_raised"]
    assert f.evidence["epoch"] == 10 and f.evidence["lr_after"] == 0.5
    assert f.message.startswith("The learning rate rose 25x at epoch 10 (0.02 -> 0.5)")
    assert f.remedies[0] == CATALOGUE["lr_down"]
    # a warm-up (the rate rising a little each epoch) or a rise the loss shrugged off is not one
    warm = {"loss": loss, "val_loss": loss + 0.02, "lr": np.minimum(0.02 * 1.5 ** e, 0.5)}
    assert "lr_raised" not in [f.code for f in fitwatch.diagnose(warm).findings]
    calm = {"loss": 0.45 + 0.5 * np.exp(-e / 4), "val_loss": 0.47 + 0.5 * np.exp(-e / 4), "lr": lr}
    assert "lr_raised" not in [f.code for f in fitwatch.diagnose(calm).findings]


def test_a_frozen_accuracy_beside_an_auc_that_rose_is_a_model_that_learned_to_rank():
    """Keras's accuracy at the majority share (0.8185) on every epoch of a rare-positive task, while
    the training AUC rose 0.81 -> 0.99 and validation's loss turned up from its best: the accuracy's
    0.5 threshold sees one class, the model learned (it was `not_learning`)."""
    h = {"loss": [0.0439, 0.0351, 0.0287, 0.0239, 0.0212, 0.0190], "val_loss": [0.0408, 0.0376, 0.0397, 0.042, 0.0411, 0.0430],
         "accuracy": [0.8185] * 6, "val_accuracy": [0.8142] * 6,
         "auc": [0.8062, 0.9222, 0.9625, 0.9813, 0.9891, 0.992], "val_auc": [0.8555, 0.8802, 0.8848, 0.8827, 0.8804, 0.88]}
    d = fitwatch.diagnose(h)
    assert d.verdict == "overfitting", d.verdict
    assert any("accuracy frozen at 0.8142" in n and "auc rose" in n for n in d.notes), d.notes
    flat = dict(h, auc=[0.70, 0.73, 0.74, 0.73, 0.73, 0.72])  # an AUC that did not rise: one class predicted
    assert fitwatch.diagnose({k: v for k, v in flat.items() if k != "val_auc"}).verdict == "not_learning"


def test_a_step_down_at_a_learning_rate_drop_then_flat_is_not_still_improving():
    """A real log (tune half): validation fell 0.33 -> 0.26 when the learning rate dropped, then sat at
    0.250-0.270 for 12 epochs; it was `still_improving` ("train longer") from the stretch's slope."""
    rng = np.random.default_rng(3)
    val = np.concatenate([np.linspace(3.5, 0.32, 70) + rng.normal(0, 0.01, 70), np.linspace(0.31, 0.26, 8),
                          0.26 + rng.normal(0, 0.006, 14)])
    h = {"loss": val + 0.55, "val_loss": val}
    assert fitwatch.diagnose(h).verdict == "good_fit"
    h["val_loss"] = np.concatenate([val[:78], np.linspace(0.26, 0.22, 14)])  # still falling to the end
    assert fitwatch.diagnose(h).verdict == "still_improving"


def test_a_loss_that_learned_in_its_first_epoch_is_not_underfitting_by_its_level_alone():
    """A Lightning fine-tune, no accuracy logged: its first logged loss, 0.42, is already below a
    binary classifier's no-skill loss (ln 2), and it settled at 0.35, 84 % of it (tune l1414: it was
    'underfitting ... still 82% of where it started'). The same shape near ln 2 (a binary model at
    0.75 -> 0.62, nothing to say it learned before its first epoch) and the same run with a low
    training accuracy still underfit."""
    e = np.arange(30)
    val = 0.35 + 0.07 * np.exp(-e / 3)
    h = {"loss": list(val * 1.03), "val_loss": list(val)}
    d = fitwatch.diagnose(h)
    assert d.verdict == "good_fit" and d.findings[0].evidence["level_unanchored"] is True
    # ...saying what it does not know: a low no-skill level (an imbalanced prior) would make it underfitting
    assert "Nothing in the log says whether this level is high" in d.findings[0].message
    assert "--baseline" in d.findings[0].message
    assert fitwatch.diagnose(h, baseline=0.35).verdict != "good_fit"  # given: judged against it
    near_ln2 = {"loss": list((0.62 + 0.13 * np.exp(-e / 3)) * 1.01), "val_loss": list(0.62 + 0.13 * np.exp(-e / 3))}
    assert fitwatch.diagnose(near_ln2).verdict == "underfitting"
    low_acc = dict(h, accuracy=list(0.62 + 0.03 * (1 - np.exp(-e / 3))))
    assert fitwatch.diagnose(low_acc).verdict == "underfitting"


def test_good_fit_says_when_its_last_value_is_far_above_its_best():
    """A Lightning run, 9 epochs: validation 1.85 -> 0.70 at epoch 5, then 0.84 and 1.25 while the
    training loss fell to 0.012. The smoothed curve the verdict reads hardly moves for two epochs, and
    the message said validation 'stays close to its best'; it now gives the last value against the best."""
    h = {"loss": [1.109, 0.41, 0.219, 0.167, 0.197, 0.145, 0.107, 0.0115],
         "val_loss": [1.851, 1.188, 1.136, 1.018, 0.915, 0.702, 0.840, 1.250]}
    d = fitwatch.diagnose(h)
    f = d.findings[0]
    assert d.verdict == "good_fit" and f.evidence["last_above_best"] > 0.7
    assert "1.25, is 78% above its best (0.702 at epoch 5)" in f.message
    assert "validation stays close" not in f.message
    steady = dict(h, val_loss=[1.851, 1.188, 1.136, 1.018, 0.915, 0.702, 0.70, 0.705])
    assert "above its best" not in fitwatch.diagnose(steady).findings[0].message


def test_spikes_now_and_then_on_a_long_settled_run_are_not_instability():
    """A 500-epoch Keras run: validation settled at 0.015-0.022 with 11 one-epoch spikes of 50 % or
    more over its last 250 epochs (it was 'unstable ... 11 jumps'). The same spikes packed into a
    60-epoch run are a loss that keeps jumping."""
    rng = np.random.default_rng(0)
    n = 500
    val = 0.018 + 0.001 * rng.standard_normal(n)
    val[:30] = np.linspace(0.25, 0.02, 30)
    for i in range(260, 500, 22):  # 11 spikes in the second half
        val[i] = 0.035
    train = np.linspace(0.013, 0.009, n) + 0.0003 * rng.standard_normal(n)
    train[:30] = np.linspace(0.47, 0.014, 30)
    assert fitwatch.diagnose({"loss": list(train), "val_loss": list(val)}).verdict != "unstable"
    short = np.r_[val[:30], val[260:290]]
    short[35::6] = 0.035  # 5 spikes in a 30-epoch second half
    assert fitwatch.diagnose({"loss": list(np.r_[train[:30], train[260:290]]), "val_loss": list(short)}).verdict == "unstable"


def test_a_cut_after_the_loss_fell_a_long_way_or_during_a_warm_up_is_not_lr_too_high():
    """learned_after_cut names a cut only when the loss sat at the no-skill level before it (ln k with its
    accuracy at chance): a step schedule's usual cut (the loss fell 60 % at the higher rate), a plateau
    reached in one epoch at an accuracy of 0.91 then cut by ReduceLROnPlateau (an attack's false alarm),
    a run without an accuracy or a stated level, and a warm-up (YOLO's bias group falling while the
    weights' rate rises) are not; the stuck-then-falling run is."""
    stuck = [2.5, 2.31, 2.30, 2.30, 2.29, 2.29, 2.0, 1.8, 1.7, 1.65]
    chance = [0.1] * 6 + [0.3, 0.4, 0.45, 0.5]
    healthy = [2.3, 1.6, 1.2, 1.0, 0.95, 0.93, 0.6, 0.55, 0.53, 0.52]
    plateau = [0.62, 0.31, 0.305, 0.302, 0.304, 0.303, 0.24, 0.22, 0.21, 0.205]
    step = [0.1] * 6 + [0.01] * 4
    for loss, acc, lr, named in ((stuck, chance, step, True), (healthy, [0.5, 0.6, 0.7, 0.75, 0.76, 0.77] + [0.85] * 4,
                                                                   step, False),
                                 (plateau, [0.91] * 6 + [0.93] * 4, step, False), (stuck, None, step, False),
                                 (stuck, chance, [0.08, 0.06, 0.04, 0.02, 0.01, 0.01] + [0.005] * 4, True)):
        curves = {"loss": loss, "val_loss": [v + 0.05 for v in loss], "lr": lr, **({"accuracy": acc} if acc else {})}
        d = fitwatch.diagnose(curves)
        assert ("lr_too_high" in [f.code for f in d.findings]) == named, (loss, lr, d)
        if named:
            assert CATALOGUE["lr_up"] not in [r for f in d.findings for r in f.remedies], d
    stated = fitwatch.diagnose({"loss": stuck, "val_loss": stuck, "lr": step}, context={"classes": 10})
    assert "lr_too_high" in [f.code for f in stated.findings]  # no accuracy, but at the level the run states
    warm = {"loss": stuck, "val_loss": [v + 0.05 for v in stuck], "accuracy": chance,
            "lr_pg0": [0.08, 0.06, 0.04, 0.02, 0.01] + [0.005] * 5, "lr_pg1": [0.002, 0.004, 0.006, 0.008, 0.01] + [0.005] * 5}
    assert "lr_too_high" not in [f.code for f in fitwatch.diagnose(warm).findings]

def test_a_run_at_chance_all_along_stays_not_learning_though_its_first_half_sat_higher():
    """An attack on the first-half test of at_chance: a loss at 2.6-2.9 (ln 13-18) then at ln 10, its
    accuracy at 0.10 throughout, never left chance: its accuracy must rise above the first half's chance
    band for the run to count as having learned."""
    loss = [2.75, 2.9, 2.62, 2.8, 2.7, 2.66, 2.31, 2.305, 2.31, 2.30, 2.305, 2.31]
    acc = [0.1, 0.098, 0.102, 0.1, 0.099, 0.101, 0.1, 0.1, 0.099, 0.101, 0.1, 0.1]
    d = fitwatch.diagnose({"loss": loss, "accuracy": acc, "val_loss": loss, "val_accuracy": acc})
    assert d.verdict == "not_learning", d


def test_both_curves_climbing_after_the_best_is_not_overfitting():
    """A new user's Lightning run, SGD lr 0.3 with momentum 0.9 on digits: training 0.34 at epoch 7, then
    0.7-1.6 with its accuracy 0.90 -> 0.54, validation beside it. It was overfitting "while training loss
    kept falling (1.375 -> 1.119)", measured from the high first epoch; the model got worse at its training
    data too: the rate, not a lack of regularisation."""
    d = fitwatch.diagnose(TRIAL_CURVES["lightning_sgd_lr0.3_both_climb"])
    assert d.verdict == "unstable", d
    assert "lr_too_high" in [f.code for f in d.findings]


def test_a_first_epoch_above_where_the_loss_then_sat_at_chance_is_not_told_to_raise_the_rate():
    """A new user's Lightning run, SGD lr 1.0 with momentum 0.9 on digits, no class count stated: the first
    epoch averaged 2.69, then the loss sat at 2.31-2.43 at chance accuracy. It was "smooth but flat: raise
    the learning rate"; the loss climbed above ln 10 in its first epoch, which steps too large do."""
    d = fitwatch.diagnose(TRIAL_CURVES["lightning_sgd_lr1_sat_at_chance"])
    assert d.verdict == "not_learning", d
    codes, given = [f.code for f in d.findings], [r for f in d.findings for r in f.remedies]
    assert "lr_too_high" in codes and "lr_too_low" not in codes, d
    assert CATALOGUE["lr_up"] not in given and d.findings[0].remedies[0] == CATALOGUE["lr_down"], d


def test_a_run_its_schedule_cut_short_far_from_fitting_is_still_improving_with_the_schedule_stretched():
    """A new user's PyTorch run, SGD lr 0.01 under CosineAnnealingLR over 15 epochs on digits: the rate
    decayed to 1 % of its peak while both losses still fell at each epoch, at 62 % of ln 10 and a training
    accuracy of 0.84 (the same model reaches 0.12 and 0.96 at a constant 0.05 over 40 epochs). It was
    good_fit with no remedy; the flattening is the schedule's, not the model's."""
    curves = TRIAL_CURVES["pytorch_cosine_15_epochs_cut_short"]
    d = fitwatch.diagnose(curves)
    assert d.verdict == "still_improving", d
    assert d.findings[0].remedies[0] == CATALOGUE["lr_restart"], d
    # the same curves without the logged rate: nothing says a schedule ran out, and the verdict stays
    assert fitwatch.diagnose({k: v for k, v in curves.items() if k != "lr"}).verdict == "good_fit"


def test_a_classifier_far_less_sure_than_right_and_short_of_fitting_underfits_whatever_its_start():
    """A new user's Keras run, l2(0.05) on every layer of a 256-256 MLP on digits: the loss (which holds the
    penalty) flat at 2.09 from epoch 6, training accuracy 0.71 (an unregularised MLP gets 0.98). It was
    good_fit: judged against its first value, 14.06, the penalty's, the level looked low. exp(-2.09) = 0.12
    against an accuracy of 0.71 says right but unsure: held back; weaken the regularisation first."""
    curves = TRIAL_CURVES["keras_l2_0.05_every_layer"]
    d = fitwatch.diagnose(curves, context={"weight_decay": 0.05})
    assert d.verdict == "underfitting" and "far less sure than right" in d.findings[0].message, d
    assert d.findings[0].remedies[0] in in_all_words("less_regularisation"), d


def test_attacks_on_the_trial_fixes_stay_fixed():
    """An attack on this stop's rules: a last training value of 0.25 (a spike, or the last batch logged)
    hid an overfit; ImageNet-like numbers (1000 classes, 0.95 at an accuracy of 0.77: a calibrated model's
    errors pull exp(-loss) to half its accuracy) were underfitting; a cosine run at its ceiling (0.94 at
    0.80) was cut short; a loss falling to -800 beside an accuracy crashed."""
    assert fitwatch.diagnose(TRIAL_CURVES["attack_overfit_last_training_value_a_blip"]).verdict == "overfitting"
    assert fitwatch.diagnose(TRIAL_CURVES["attack_imagenet_like_1000_classes"]).verdict == "good_fit"
    assert fitwatch.diagnose(TRIAL_CURVES["attack_cosine_at_its_ceiling"]).verdict == "good_fit"
    e = np.arange(20)
    negative = {"loss": (-800 * (1 - np.exp(-e / 4))).tolist(), "accuracy": (0.6 + 0.2 * (1 - np.exp(-e / 4))).tolist(),
                "val_loss": (-790 * (1 - np.exp(-e / 4))).tolist()}
    assert fitwatch.diagnose(negative).verdict in ("good_fit", "still_improving")


def test_a_large_loss_gap_beside_accuracies_3_points_apart_is_a_sign_not_a_warning():
    """A new user's healthy PyTorch run on breast cancer (good_fit, validation accuracy 0.96 against 0.99 on
    training, validation at its best): the training loss near 0 made the gap 185 % of it, a warning with L2,
    dropout and augmentation. Accuracies 3 points apart say the gap is confidence; the same curves without
    them keep the warning."""
    curves = TRIAL_CURVES["pytorch_breast_cancer_healthy_early_stopped"]
    d = fitwatch.diagnose(curves)
    gap = next(f for f in d.findings if f.code == "generalization_gap")
    assert d.verdict == "good_fit" and gap.severity == "info" and not gap.remedies, d
    assert "points apart" in gap.message
    losses = fitwatch.diagnose({k: curves[k] for k in ("loss", "val_loss")})
    assert next(f for f in losses.findings if f.code == "generalization_gap").severity == "warning"


def test_a_trainer_run_on_32_examples_memorising_is_told_so_with_or_without_its_training_rows():
    """A fifth trial, a tiny BERT through the Trainer on 32 examples: training 0.69 -> 0.003, validation
    0.691 -> 0.680 at epoch 8 -> 2.40, its accuracy at the majority share throughout. With the training rows
    it was "never got below ln(2) = 0.6931 (at best 0.6799)", a number against its own words; with none
    logged (logging_steps=500 over 150 steps), "diverged: lower the learning rate". Validation alone climbing
    a little at each epoch is no blow-up; both readings name the memorised training set."""
    with_training = fitwatch.diagnose(TRIAL_CURVES["hf_32_examples"])
    assert with_training.verdict == "not_learning", with_training
    assert "never got clearly below" in with_training.findings[0].message
    assert "too small" in with_training.findings[0].message
    alone = fitwatch.diagnose(TRIAL_CURVES["hf_32_examples_validation_only"])
    assert alone.verdict == "not_learning" and alone.best_epoch == 8, alone
    assert "not a blow-up" in alone.findings[0].message and "lr_too_high" not in [f.code for f in alone.findings]
    given = [r for f in alone.findings for r in f.remedies]
    assert CATALOGUE["lr_down"] not in given and CATALOGUE["lr_up"] not in given, alone
    assert alone.findings[0].remedies[0] == CATALOGUE["more_data"], alone


def test_validation_logged_where_training_is_not_is_judged_whole():
    """The same trial with an evaluation every 7 steps and a training row every 4 (one step an epoch): the
    two meet at a few epochs only, and the diagnosis judged those, dropping validation's best (0.6812) that
    `fitwatch show` and `runs` name: best epoch 27 against 6. The training loss is read at the validation
    epochs (interpolated) when a quarter of them have none, so every validation value counts."""
    curves = TRIAL_CURVES["hf_32_examples_eval_every_7_steps"]
    d = fitwatch.diagnose(curves)
    val = np.array([np.nan if v is None else v for v in curves["val_loss"]])
    assert d.best_epoch == int(np.nanargmin(val)) == 1, d


def test_a_frozen_binary_accuracy_beside_a_loss_worse_than_the_prior_is_told_to_lower_the_rate():
    """A fifth trial's Trainer run at lr 1.0: validation accuracy 0.5 at every epoch, the training loss 5.9 ->
    3.39 -> 5.3, 'only as far as the class prior takes it' (ln 2 = 0.69) and class rebalancing first. A loss
    that never came within 1.25 times ln 2 is worse than that constant guess: outputs pushed out by steps too
    large. With an accuracy frozen at 0.1 (ten classes or more) ln k is unknown: no such claim."""
    loss = [5.9346, 3.3881, 4.6817, 5.9101, 5.4774, 5.4067, 5.0679, 5.7305, 5.3458, 5.4257, 5.3911, 5.3331]
    val = [1.6055, 1.2736, 6.1046, 5.878, 5.3003, 5.0446, 4.8904, 4.8638, 4.7991, 4.6764, 4.6454, 4.5139]
    d = fitwatch.diagnose({"loss": loss, "val_loss": val, "val_accuracy": [0.5] * 12})
    assert d.verdict == "not_learning" and "worse than that constant guess" in d.findings[0].message, d
    assert d.findings[0].remedies[0] == CATALOGUE["lr_down"], d
    ten = fitwatch.diagnose({"loss": loss, "val_loss": val, "val_accuracy": [0.1] * 12})
    assert "constant guess" not in ten.findings[0].message and "class prior takes it" not in ten.findings[0].message


def test_a_logged_rate_never_above_1e_6_is_named_beside_a_run_that_did_not_learn():
    """A fifth trial's Trainer run at learning_rate=1e-7: validation identical to 6 digits for 10 epochs was
    told to check its data and its optimizer calls; the logged rate says why."""
    d = fitwatch.diagnose({"loss": [0.6932, 0.6931, 0.6933, 0.6932, 0.6932, 0.6931] * 2, "val_loss": [0.692771] * 12,
                           "lr": [1e-7] * 12})
    assert d.verdict == "not_learning" and "lr_too_low" in [f.code for f in d.findings], d
    assert d.findings[0].remedies[0] == CATALOGUE["lr_up"], d


def test_a_booster_gets_a_boosters_words_for_validation_below_training_and_no_network_checks():
    """A fifth trial: XGBoost at eta 0.005, validation below training at every round, was told dropout and an
    epoch-averaged training loss explain it (a booster has neither); at eta 20, validation fixed at 9.29, it was
    told to check optimizer.zero_grad and CrossEntropyLoss."""
    e = np.arange(30)
    loss = (0.6 * np.exp(-e / 40) + 0.05).tolist()
    d = fitwatch.diagnose({"loss": loss, "val_loss": [0.93 * v for v in loss]}, context={"model": "boosting"})
    below = next(f for f in d.findings if f.code == "val_below_train")
    assert below.remedies[0].startswith("Usually harmless: a booster has no dropout"), below
    fixed = fitwatch.diagnose({"loss": [1.2722] * 30, "val_loss": [9.2886] * 30}, context={"model": "boosting"})
    given = {r for f in fixed.findings for r in f.remedies}
    assert not {CATALOGUE["optimizer_state"], CATALOGUE["loss_fit"]} & given, fixed


def test_the_attack_on_the_fifth_trials_fixes_stays_fixed():
    """An attack on this stop's changes: validation alone blowing up by a quarter an epoch is diverged, not a
    memorised training set; a loss that moved at 5e-7 (DPO's rate) gets no "far too small to move a model";
    a training loss logged at epochs 0-69 beside validation to 99 is not held flat over 70-99 (a plateau it
    never showed); a booster's binary log loss is not "the no-skill level the run states"."""
    blow = {"val_loss": (0.99 * 1.25 ** np.arange(20.0)).tolist()}
    d = fitwatch.diagnose(blow)
    assert d.verdict == "diverged" and d.findings[0].remedies[0] == CATALOGUE["lr_down"], d
    e = np.arange(12.0)
    dpo = {"loss": (0.693 - 0.25 * (1 - np.exp(-e / 8))).tolist(), "lr": [5e-7] * 12}
    assert "lr_too_low" not in [f.code for f in fitwatch.diagnose(dpo).findings if f.severity == "warning"]
    e = np.arange(100.0)
    val = (0.2 + 0.8 * np.exp(-e / 40)).tolist()
    train = [v - 0.05 if i < 70 else None for i, v in enumerate(val)]
    d = fitwatch.diagnose({"loss": train, "val_loss": val})
    assert not any("interpolated" in n for n in d.notes), d.notes
    flat = {"loss": [0.6526, 0.651, 0.649, 0.647, 0.645, 0.644, 0.642, 0.641, 0.64, 0.639, 0.638, 0.637],
            "val_loss": [0.678, 0.676, 0.674, 0.672, 0.671, 0.669, 0.668, 0.666, 0.665, 0.664, 0.663, 0.662]}
    msg = fitwatch.diagnose(flat, context={"model": "boosting", "loss_metric": "binary_logloss"}).findings[0].message
    assert "the run states" not in msg, msg


def test_a_short_run_still_training_is_not_told_to_train_longer_nor_that_its_validation_is_noisy():
    """A sixth trial: a run diagnosed 4 epochs in, falling steeply at each (validation 1.754 -> 0.308), was told by
    too_few_epochs to "train for more epochs", and that validation data may have leaked (validation below an
    epoch-averaged training loss falling that fast is its half-epoch lag); 3 epochs in, that its validation set
    is small. The signs need a run long enough to settle; a running run is not told to train longer at all."""
    import dataclasses

    from fitwatch.diagnosis.curves import Curves
    curves = Curves.from_history({"loss": [2.12, 1.17, 0.48, 0.31], "val_loss": [1.754, 0.698, 0.405, 0.308]})
    d = fitwatch.diagnose_curves(dataclasses.replace(curves, context={"in_progress": True}))
    codes, given = [f.code for f in d.findings], [r for f in d.findings for r in f.remedies]
    assert "val_below_train" not in codes and "noisy_validation" not in codes, d
    assert not any("more epochs" in r or "Train longer" in r for r in given), d
    assert "still training" in next(f for f in d.findings if f.code == "too_few_epochs").message


def test_a_regression_pinned_at_the_mean_by_a_huge_weight_decay_is_told_to_weaken_it():
    """A sixth trial: AdamW with weight_decay=50 (config), a regression at its baseline throughout, was told
    "smooth but flat: a learning rate far too small" and to raise the rate first; never to weaken the decay."""
    loss = [1.001, 0.99, 0.982, 0.976, 0.971, 0.968, 0.966, 0.965, 0.9652, 0.9648, 0.9647, 0.9647]
    d = fitwatch.diagnose({"loss": loss, "val_loss": [v + 0.018 for v in loss]},
                          context={"weight_decay": 50.0, "baseline": 0.9978})
    assert d.verdict == "not_learning" and "lr_too_low" not in [f.code for f in d.findings], d
    assert d.findings[0].remedies[0] in in_all_words("less_regularisation"), d


def test_the_attack_on_the_sixth_trials_fixes_stays_fixed():
    """An attack on this stop's later changes: AdamW's usual weight_decay=0.1 beside a run that did not learn at a
    tiny rate is not told to weaken it first; a leak beside dropout 0.05 is not explained away; a short run whose
    slow fall cannot explain validation at 0.4 of training keeps its leak warning, and one whose validation jumps
    about keeps noisy_validation; a training loss near 0 halving beside a flat validation is still a plateau."""
    flat = [2.31, 2.305, 2.30, 2.297, 2.295, 2.293, 2.291, 2.289, 2.288, 2.287, 2.286, 2.285]
    d = fitwatch.diagnose({"loss": flat, "val_loss": [v + 0.01 for v in flat]}, context={"weight_decay": 0.1})
    assert d.verdict == "not_learning" and d.findings[0].remedies[0] == CATALOGUE["lr_up"], d
    e = np.arange(20.0)
    train = (1.9 * np.exp(-e / 25)).tolist()
    leak = fitwatch.diagnose({"loss": train, "val_loss": [0.57 * v for v in train]}, context={"dropout": 0.05})
    below = next(f for f in leak.findings if f.code == "val_below_train")
    assert below.remedies[0] == CATALOGUE["leakage"], below
    slow = fitwatch.diagnose({"loss": [1.0, 0.982, 0.965, 0.948], "val_loss": [0.4, 0.395, 0.39, 0.385]})
    assert "val_below_train" in [f.code for f in slow.findings], slow
    jumpy = fitwatch.diagnose({"loss": [1.0, 0.982, 0.965, 0.948], "val_loss": [0.95, 1.45, 0.8, 1.4]})
    assert "noisy_validation" in [f.code for f in jumpy.findings], jumpy
    head = [2.30, 1.20, 0.60, 0.30, 0.15, 0.08, 0.05, 0.035, 0.028, 0.022]
    val = [2.25, 1.25, 0.70, 0.45, 0.33, 0.27, 0.24, 0.225, 0.218, 0.215] + [0.214, 0.216, 0.213, 0.215] * 7 + [0.214, 0.214]
    d = fitwatch.diagnose({"loss": head + np.linspace(0.020, 0.010, 30).tolist(), "val_loss": val})
    assert "plateau" in [f.code for f in d.findings], d


def test_the_last_attack_on_this_stops_fixes_stays_fixed():
    """A third attack: a validation with a high floor reached at epoch 30 plateaued "from epoch 11", in the
    training loss's name; a 4-epoch run falling 40 % an epoch lost its leak warning at validation 0.62 of
    training; weight_decay=1 at a logged lr of 3e-6 (a rate too small) was told to weaken the decay."""
    e = np.arange(45)
    train = (0.9 + 1.4 * np.exp(-e / 1.2)).round(4).tolist()
    val = (np.where(e < 30, 1.5 - 0.5 * e / 30, 1.0) + 0.003 * np.cos(e * 2.1)).round(4).tolist()
    p = next(f for f in fitwatch.diagnose({"loss": train, "val_loss": val}).findings if f.code == "plateau")
    assert p.evidence["epoch"] >= 28 and p.message.startswith("Validation loss"), p
    short = [2.0, 1.2, 0.72, 0.432]
    d = fitwatch.diagnose({"loss": short, "val_loss": [0.62 * v for v in short]})
    assert "val_below_train" in [f.code for f in d.findings], d
    flat = [2.31, 2.305, 2.30, 2.297, 2.295, 2.293, 2.291, 2.289, 2.288, 2.287, 2.286, 2.285]
    d = fitwatch.diagnose({"loss": flat, "val_loss": [v + 0.01 for v in flat], "lr": [3e-6] * 12},
                          context={"weight_decay": 1.0})
    assert d.findings[0].remedies[0] == CATALOGUE["lr_up"] and "lr_too_low" in [f.code for f in d.findings], d


def test_equal_accuracies_do_not_turn_dropout_into_a_leak_suspect():
    """A seventh trial: dropout 0.5, validation loss at 0.62 of training's, was explained by the dropout, until the
    run also logged its accuracies (0.98 and 0.98), which then gave the leak warning first. Equal accuracies say
    nothing against dropout; a training accuracy ahead of validation's does (an attack's case), and keeps it."""
    e = np.arange(30)
    train = (0.1 + 1.5 * np.exp(-e / 5)).round(4)
    val = (0.62 * train).round(4).tolist()
    acc = (0.98 - 0.6 * np.exp(-e / 5)).round(4)

    def below(**more):
        d = fitwatch.diagnose({"loss": train.tolist(), "val_loss": val, **more}, context={"dropout": 0.5})
        return next(f for f in d.findings if f.code == "val_below_train")

    for f in (below(), below(accuracy=acc.tolist(), val_accuracy=acc.tolist())):
        assert "dropout 0.5" in f.message and f.remedies[0] == CATALOGUE["val_below_train_ok"], f
    ahead = below(accuracy=acc.tolist(), val_accuracy=(acc - 0.05).tolist())
    assert "dropout 0.5" not in ahead.message and ahead.remedies[0] == CATALOGUE["leakage"], ahead
