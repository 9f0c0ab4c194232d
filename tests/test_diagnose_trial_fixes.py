"""Four wrong diagnoses from a new user's trial, on the real files they were found on: a validation loss
the run never computed (a placeholder 0 or inf from the first evaluation), SGD at lr 8 whose loss sat far
above the no-skill level from its first epoch, a run too short to have settled, and "train longer"
after a logged learning-rate schedule had already decayed to about 0."""

import math
from pathlib import Path

import numpy as np

import fitwatch
from fitwatch.diagnosis.curves import Curves
from fitwatch.diagnosis.remedies import CATALOGUE

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
        assert f.remedies[0] == CATALOGUE["lr_restart"], f.remedies
        assert CATALOGUE["more_epochs"] not in remedies(d)


def test_a_schedule_still_at_a_useful_rate_keeps_train_longer():
    x = np.arange(30)
    loss = list(np.exp(-x / 20))
    d = fitwatch.diagnose({"loss": loss, "val_loss": [v + 0.05 for v in loss], "lr": list(np.linspace(1e-3, 2e-4, 30))})
    assert d.verdict == "still_improving" and d.findings[0].message.endswith("Train longer.")
    assert d.findings[0].remedies[0] == CATALOGUE["more_epochs"]
