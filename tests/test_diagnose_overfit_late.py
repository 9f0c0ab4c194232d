"""Verdicts read late in a run: overfitting (``checks/overfitting.py``), a steady rise after a wild start judged
against the scatter since the turn (``late_noise``) and a model memorising its training set while validation drifts a
little lower (``_memorised_plateau``); and jumps that stopped long before the end (``checks/instability.py``). On
tune-half real logs, stop 50's attacks' real runs and a LCBench curve."""

import json
import math
from pathlib import Path

import numpy as np

import fitwatch

DATA = Path(__file__).parent / "data"
RUNS = json.loads((DATA / "trial_curves.json").read_text())


def test_a_steady_rise_after_a_wild_start_is_overfitting():
    """keras/k1722.csv (tune half): validation 1.1-3.95 over its first 12 epochs, its best 0.458 at epoch 17, then
    up at nearly every epoch to 0.663 while training fell to 2e-4 (accuracy 1.0 against 0.94). The whole run's
    scatter, 0.29, hid the rise: good_fit, "validation stays close to its best"."""
    d = fitwatch.diagnose(DATA / "real" / "keras" / "k1722.csv")
    assert d.verdict == "overfitting", d.findings[0].message
    assert 17 <= d.onset_epoch <= 20 and "rose from" in d.findings[0].message, d.findings[0].message


def test_a_small_rise_on_a_quiet_end_is_not_overfitting():
    """A LCBench curve that hardly learned (validation 0.624 -> 0.596 -> 0.614, flat at its end) rises 3 %: within
    what its whole run's scatter allows; the late scatter is used only for a rise of 5 % of the level or more."""
    d = fitwatch.diagnose(RUNS["lcbench_blood_1195_flat_end_small_rise"])
    assert d.verdict == "underfitting", d.findings[0].message


def test_a_model_memorising_30_images_overfits():
    """An attack's autoencoder on 30 images: validation 0.046 at epoch 28, 0.041 from epoch 45 to 300 (2 % lower over
    the last 75), training down to 1e-6, 28,000 times below it. It was good_fit: validation's small drift after its
    plateau was read as progress beyond its noise."""
    d = fitwatch.diagnose(RUNS["attack_autoencoder_30_images_memorises"])
    assert d.verdict == "overfitting" and "memorises" in d.findings[0].message, d.findings[0].message
    # the onset is where validation had made 99 % of its progress (epoch 42, 0.0418), not 95 % (epoch 28, 0.0463:
    # validation lost 12 % of its level after it, and "the lowest epoch came after it within the noise" was false)
    assert 35 <= d.onset_epoch <= 50 and "95% of its progress by epoch 28" in d.findings[0].message
    assert "Get more" in d.findings[0].remedies[0]


def test_validation_still_falling_by_a_third_after_its_plateau_point_is_not_memorising():
    """The same attack's two-head run, judged on its classification head: val_cls_loss 0.262 at the plateau point,
    0.162 at the end, still falling over its last 22 epochs, training's 10 times lower. Still improving, as before."""
    d = fitwatch.diagnose(RUNS["attack_two_heads_cls_head_still_falling"], monitor="val_cls_loss")
    assert d.verdict == "still_improving", d.findings[0].message


def test_a_regression_on_raw_targets_memorising_its_noise_overfits():
    """A stop-50 attack's MLP on 300 rows of make_regression with raw targets (noise 5, variance 25): its MSE falls
    from 2.9e4 to 53 and sits there for the second half while training falls to 0.4, far below the noise itself.
    99 % of the drop measured on a linear scale came at epoch 14 (a loss of about 400), not on the plateau: good_fit.
    A curve falling by orders of magnitude has its progress read on a log scale."""
    d = fitwatch.diagnose(RUNS["attack_regression_raw_targets_memorises_noise"])
    assert d.verdict == "overfitting" and "memorises" in d.findings[0].message, d.findings[0].message
    assert d.onset_epoch > 60, d.onset_epoch


def test_a_training_error_already_0_is_said_so():
    """The same attack's digits model on 40 rows, judged on val_accuracy: training accuracy 1.0 from about epoch 20,
    validation flat at 0.80. Overfitting, and the message said training's error "fell on from 0 to 0"."""
    d = fitwatch.diagnose(RUNS["attack_digits_40_rows_training_accuracy_1"], monitor="val_accuracy")
    assert d.verdict == "overfitting", d.findings[0].message
    assert "was already at 0" in d.findings[0].message and "from 0 to 0" not in d.findings[0].message


def test_a_late_stretch_with_no_scatter_measures_no_noise():
    """A validation error on a small set moves one example at a time: its late steps are mostly 0, their scatter 0,
    and a one-example wobble would clear it. Such a stretch gives no late noise (infinite), and error curves are not
    read this way at all."""
    from fitwatch.diagnosis.checks.context import CurveStats
    from fitwatch.diagnosis.checks.overfitting import late_noise
    from fitwatch.diagnosis.thresholds import DEFAULT

    y = np.array([0.6, 0.3, 0.2, 0.15, 0.12, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.133, 0.133])
    cv = CurveStats(y, 3)
    assert late_noise(cv, 5, DEFAULT) == math.inf
    # k1722's shape: wild for 13 epochs, then its best and a steady rise: the late scatter is a seventh of the run's
    steady = CurveStats(np.array([1.2, 1.8, 3.2, 1.2, 1.1, 1.4, 3.5, 1.1, 3.9, 2.4, 1.9, 1.7, 1.8, 0.8, 0.82, 0.62,
                                  1.27, 0.458, 0.52, 0.526, 0.603, 0.631, 0.655, 0.665, 0.663]), 5)
    assert 0 < late_noise(steady, steady.imin, DEFAULT) < DEFAULT.noise_k * steady.sigma / 7


def test_a_late_plateau_a_little_above_a_dip_is_no_overfit():
    """hf/h1718.csv (a held-out run looked at at stop 50, moved to the tune half): a YOLO pose run whose val/box_loss
    holds 1.20-1.24 over its last 12 of 128 epochs, 6 % above a dip at epoch 111. The late scatter made it overfitting
    when any rise of 5 % of the level could be read against it; it takes 10 % (``LATE_RISE``)."""
    d = fitwatch.diagnose(DATA / "real" / "hf" / "h1718.csv", monitor="val/box_loss")
    assert d.verdict != "overfitting", d.findings[0].message


def test_a_memorised_plateau_reached_after_six_tenths_of_the_run():
    """lightning/l1708.csv (a held-out run looked at at stop 50, moved to the tune half), judged on its val_auc:
    0.747 at epoch 16 and 0.736-0.746 after it while training's AUC reaches 0.9998. Its 99 % point comes at epoch 13
    of 21: the flat stretch may start up to three quarters of the way in."""
    d = fitwatch.diagnose(DATA / "real" / "lightning" / "l1708.csv", monitor="val_auc")
    assert d.verdict == "overfitting" and "memorises" in d.findings[0].message, d.findings[0].message


def test_jumps_that_stopped_a_quarter_of_the_run_ago_settled():
    """A stop-50 attack's regression on raw targets at Adam 0.5 for 36 of 60 epochs, then 1e-3: validation jumps 5
    times by more than 50 % at epochs 30-36, then falls smoothly and sits at 90-92 for its last 20 epochs. It was
    unstable, "keeps jumping around instead of settling: its scatter in the second half is 0% of its level"."""
    run = RUNS["attack_regression_jumps_then_settled"]
    d = fitwatch.diagnose(run)
    assert d.verdict != "unstable", d.findings[0].message
    # the same jumps up to the last epochs: still unstable
    late = {"loss": run["loss"][:30] + run["loss"][24:36] * 2 + run["loss"][-6:],
            "val_loss": run["val_loss"][:30] + run["val_loss"][24:36] * 2 + run["val_loss"][-6:]}
    assert fitwatch.diagnose(late).verdict == "unstable"


def test_an_accuracy_gap_of_one_example_is_no_widening_gap():
    """A stop-50 attack's wine MLP judged on val_accuracy: training 1.0 from epoch 20, validation flat at 0.9775 (one
    example of 89 wrong). It was overfitting, "the gap widened from 0.01124 to 0.02247": a widening judged as a ratio
    to a training error of 0. An error curve's gap is read in its own units."""
    d = fitwatch.diagnose(RUNS["attack_wine_accuracy_1_against_0.9775"], monitor="val_accuracy")
    assert d.verdict == "good_fit", d.findings[0].message


def test_a_smooth_plateau_still_creeping_a_little_is_memorisation():
    """A second stop-50 attack's MLP on 60 rows of raw regression targets, full batch, 400 epochs: validation 1.4e5 ->
    3.4e4 by epoch 175, then 3.33e4 at its end (3 % lower over 200 epochs), training 0.29. A curve that smooth has a
    noise of a few units: its creep was read as progress, and the run was good_fit."""
    d = fitwatch.diagnose(RUNS["attack_regression_60_rows_full_batch_memorises"])
    assert d.verdict == "overfitting" and "memorises" in d.findings[0].message, d.findings[0].message


def test_an_accuracy_one_example_lower_after_its_peak_did_not_turn_up():
    """A third stop-50 attack's breast-cancer MLP judged on val_accuracy: validation 96.9 % at its peak, 96.5 % after
    it and flat, training 100 %. It was overfitting, "rose from 0.0307 to 0.03509 (+14%)": one example of 228. An
    error curve must rise by ERROR_RISE, two points of accuracy."""
    d = fitwatch.diagnose(RUNS["attack_breast_cancer_accuracy_one_example_lower"], monitor="val_accuracy")
    assert d.verdict == "good_fit", d.findings[0].message


def test_a_curve_bouncing_to_the_end_has_not_settled():
    """The same attack's regression at a constant Adam 0.03 for 120 epochs: its last jump of more than 50 % came at
    epoch 89, a quarter of the run before the end, but it went on bouncing by 10 % of its level (0.056-0.084). The
    first form of the settled test (the time since the last jump alone) called it good_fit, "both losses fell and
    settled"; the values since the last jump must also scatter by under half the unstable roughness."""
    d = fitwatch.diagnose(RUNS["attack_regression_adam_0.03_bouncing_to_the_end"])
    assert d.verdict == "unstable", d.findings[0].message
