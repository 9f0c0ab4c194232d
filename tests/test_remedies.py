"""Remedies that never contradict the evidence (issue 11, Must 4): every row of the evidence ->
remedies table (``fitwatch.diagnosis.remedies.RULES``, printed in docs/diagnosis.md) on a run that
shows the evidence, and the same run without it, where the remedy is given."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import fitwatch
from conftest import ROOT
from fitwatch.diagnosis.remedies import _KEY_OF, CATALOGUE, RULES, VARIANTS, remedies_for

N = 30
e = np.arange(N)


def _all_remedies(d) -> list[str]:
    """Every remedy, each in the catalogue's words (a framework's or the run's own wording read back)."""
    return [CATALOGUE.get(_KEY_OF.get(r, ""), r) for f in d.findings for r in f.remedies]


def _has(d, key: str) -> bool:
    return CATALOGUE[key] in _all_remedies(d)


def _spiked_at_chance():
    """SGD with lr=10 on ten classes: one step throws the loss from ln 10 to 9, and it sits at chance
    (above ln 10) from then on."""
    loss = [2.30, 9.0, 4.1, 2.6] + [2.33 + 0.01 * math.sin(i) for i in range(N - 4)]
    return {"loss": loss, "val_loss": [v + 0.01 for v in loss], "accuracy": [0.1] * N, "val_accuracy": [0.1] * N}


def _smooth_flat():
    """A learning rate far too small: a smooth curve that hardly moves (lr_up is the remedy)."""
    loss = (2.30 - 0.0005 * e).tolist()
    return {"loss": loss, "val_loss": [v + 0.02 for v in loss]}


def _flat_mse(**more):
    """A regression's mean squared error that hardly moves from 37 (no class, no chance level)."""
    loss = (37.0 - 0.01 * e).tolist()
    return {"loss": loss, "val_loss": [v + 0.3 for v in loss], **more}


def _started_high(first=9.7):
    """A classifier at chance from its first epoch on, whose first epoch's mean is 9.7, four times
    ln 10 (the spike happened inside epoch 0; no later value rose above it)."""
    loss = [first] + (2.35 - 0.0005 * e[1:]).tolist()
    return {"loss": loss, "val_loss": [v + 0.02 for v in loss[1:2]] + [v + 0.02 for v in loss[1:]],
            "accuracy": [0.1] * N, "val_accuracy": [0.1] * N}


def _collapsed(accuracy=True):
    """Weight decay far too strong: validation accuracy reached 0.26 (chance 0.1), then fell back to
    chance for good, both losses back at ln 10 (a little above their start)."""
    loss = [2.29, 2.287, 2.295, 2.300] + [2.3027] * (N - 4)
    h = {"loss": loss, "val_loss": [v - 0.008 if i < 4 else v for i, v in enumerate(loss)]}
    if accuracy:
        h.update(accuracy=[0.18, 0.22, 0.2, 0.15] + [0.1] * (N - 4), val_accuracy=[0.26, 0.2, 0.2, 0.16] + [0.1] * (N - 4))
    return h


def _exploded(grad=True):
    """A flat run whose loss became NaN at epoch 24, its logged gradient norm infinite there (NaN after)."""
    loss = (2.30 - 0.0005 * e[:24]).tolist() + [float("nan")] * (N - 24)
    h = {"loss": loss, "val_loss": [v + 0.02 for v in loss]}
    if grad:
        h["max_grad_norm"] = [1.0] * 23 + [float("inf")] + [float("nan")] * (N - 24)
    return h


def _plateau(lr=None, grad_norm=None):
    """Learned, then a long plateau: the plateau finding suggests ReduceLROnPlateau and a schedule."""
    loss = (0.3 + 1.7 * np.exp(-e / 2.0)).tolist()
    h = {"loss": loss, "val_loss": [v + 0.05 for v in loss]}
    if lr is not None:
        h["lr"] = lr
    if grad_norm is not None:
        h["grad_norm"] = grad_norm
    return h


def _unstable(grad_norm=None):
    """A loss that keeps jumping: the unstable verdict suggests clipping and a schedule."""
    rng = np.random.default_rng(3)
    loss = (1.0 + 0.8 * np.abs(rng.standard_normal(N))).tolist()
    loss[0] = 2.3
    h = {"loss": loss, "val_loss": [v * 1.05 for v in loss]}
    if grad_norm is not None:
        h["grad_norm"] = grad_norm
    return h


def _overfit():
    """A clear overfit: augmentation is among its remedies."""
    loss = (1.0 * np.exp(-e / 6.0) + 0.02).tolist()
    val = (0.8 * np.exp(-e / 5.0) + 0.3 + 0.02 * np.maximum(e - 10, 0)).tolist()
    return {"loss": loss, "val_loss": val}


def _overconfident(rises: bool, recall_falls: bool | None = None):
    """The clear overfit, its validation accuracy rising to the end (0.67 at the lowest loss, 0.91 at
    the end: the loss rises from over-confidence on the errors) or flat after the lowest loss; with
    ``recall_falls``, a validation recall logged beside it that falls from 0.70 at the lowest loss to
    0.45 (or stays at 0.70)."""
    acc = 0.5 + 0.015 * e
    recall = {} if recall_falls is None else {
        "val_recall": np.concatenate([np.linspace(0.3, 0.7, 12), np.linspace(0.7, 0.45 if recall_falls else 0.7, N - 12)])}
    return {**_overfit(), "val_accuracy": (acc if rises else np.minimum(acc, 0.68)).tolist(), **recall}


def _memorised():
    """Fits its training data (training loss down 99%, accuracy 1) and plateaus far above on validation."""
    loss = (1.0 * np.exp(-e / 3.0) + 0.001).tolist()
    val = (0.8 * np.exp(-e / 3.0) + 0.6).tolist()
    return {"loss": loss, "val_loss": val}


def _settled_high():
    """Learned a little, then settled high beside validation: underfitting, told a larger model."""
    loss = (0.27 + 0.15 * np.exp(-e / 4.0)).tolist()
    acc = 0.60 + 0.08 * (1 - np.exp(-e / 4.0))
    return {"loss": loss, "val_loss": [v * 1.1 for v in loss], "accuracy": acc.tolist(),
            "val_accuracy": (acc - 0.03).tolist()}


def _improving_to_the_end(**more):
    loss = (1.0 * np.exp(-e / 20.0)).tolist()
    return {"loss": loss, "val_loss": [v + 0.05 for v in loss], **more}


def _cut(falls=True):
    """Stuck at ln 10 for 15 epochs at lr 0.5; after a cut to 0.05, falling to 1.6 (or staying put)."""
    flat = [2.31 - 0.0005 * i for i in range(N)]
    loss = [2.4] + flat[:14] + ([1.6 + 0.6 * math.exp(-i / 1.5) for i in range(15)] if falls else flat[14:29])
    acc = [0.1] * 15 + ([0.3] * 15 if falls else [0.1] * 15)
    return {"loss": loss, "val_loss": [v + 0.05 for v in loss], "accuracy": acc, "val_accuracy": acc,
            "lr": [0.5] * 15 + [0.05] * 15}


def _frozen(lr):
    """A Trainer run at a rate too small to move it (a fifth trial: 1e-7): validation identical at every epoch."""
    return {"loss": [0.6932, 0.6931, 0.6933, 0.6932, 0.6932, 0.6931] * 2, "val_loss": [0.692771] * 12, "lr": [lr] * 12}


def _decayed_early(lr=True):
    """A fifth trial's StepLR run: falling 0.05 an epoch when the rate was cut 10x at epoch 10 and 20, then a crawl."""
    val = [2.3 - 0.05 * i for i in range(10)] + [1.8 - 0.0005 * i for i in range(1, 21)]
    more = {"lr": [0.01] * 10 + [0.001] * 10 + [0.0001] * 10} if lr else {}
    acc = [0.1 + 0.3 * (2.3 - v) for v in val]
    return {"loss": [v - 0.01 for v in val], "val_loss": val, "accuracy": acc, "val_accuracy": acc, **more}


def _rnn_spikes(spikes: bool = True):
    """A seventh trial's RNN without clipping (epoch means): the loss near its no-skill level 1.0, the gradient norm
    0.5-0.9 with peaks of 2-6.5 at 6 epochs, the loss and validation jumping with them; without the peaks, flat."""
    grad = [0.57109, 0.57603, 0.6561, 1.9928, 0.58548, 3.7396, 0.60945, 0.61436, 0.69077, 4.1957, 0.56829, 0.50346, 0.61976, 0.69653, 0.82244, 3.8712, 0.50328, 0.50506, 0.54081, 0.64503, 0.94862, 6.5278, 0.49118, 0.54412, 0.5981, 0.62371, 0.76526, 0.72792, 3.2715, 0.47488]
    return {"loss": [0.98428, 0.96363, 0.94229, 0.9171, 0.9642, 0.86137, 0.99738, 0.95381, 0.93017, 0.96676, 0.98196, 0.96239, 0.95605, 0.94139, 0.91673, 0.95455, 0.98505, 0.96157, 0.94995, 0.93734, 0.8727, 1.1175, 0.97517, 0.96507, 0.95386, 0.94574, 0.94376, 0.91732, 0.93783, 0.99202], "val_loss": [0.98312, 0.96081, 0.93415, 0.98673, 0.95507, 1.1988, 0.97482, 0.95597, 0.91055, 1.006, 0.98605, 0.97441, 0.97002, 0.96986, 0.8974, 1.054, 0.98629, 0.97643, 0.95871, 0.94111, 0.6192, 1.0055, 0.98474, 0.9763, 0.97997, 0.97962, 0.95405, 0.93066, 1.0233, 0.97763],
            "grad_norm": grad if spikes else [min(x, 0.9) for x in grad]}


def _shifted(transfers: bool = False):
    """A seventh trial's validation set shifted by 2 pixels: validation accuracy at 0.07-0.13 all run (10 classes)
    while training's rose 0.44 -> 0.99, validation loss rising from its first epoch; or, with ``transfers``, the
    same run whose validation accuracy rose to 0.6."""
    h = {'loss': [2.0869, 1.4613, 0.88943, 0.5871, 0.43605, 0.35329, 0.29096, 0.25338, 0.2242, 0.20109, 0.18164, 0.16629, 0.15177, 0.14444, 0.13232, 0.12385, 0.11706, 0.11091, 0.10662, 0.099901, 0.09625, 0.090236, 0.085548, 0.082804, 0.08128, 0.075529, 0.072165, 0.069191, 0.067064, 0.064066], 'val_loss': [2.384, 2.6333, 3.0259, 3.5322, 3.8531, 4.1158, 4.4732, 4.6801, 4.8076, 4.9879, 5.1539, 5.2695, 5.3645, 5.5984, 5.6146, 5.7036, 5.8044, 6.1093, 6.0979, 6.1635, 6.2232, 6.322, 6.4744, 6.6873, 6.6045, 6.6414, 6.7858, 6.823, 6.8579, 7.0035], 'accuracy': [0.44024, 0.83742, 0.88122, 0.90349, 0.91091, 0.91982, 0.93393, 0.94358, 0.94729, 0.94952, 0.95991, 0.96437, 0.96956, 0.96882, 0.97476, 0.97847, 0.97921, 0.98218, 0.98293, 0.98367, 0.97996, 0.98293, 0.98515, 0.98515, 0.98441, 0.98738, 0.98886, 0.98961, 0.98886, 0.99035], 'val_accuracy': [0.1, 0.066667, 0.082222, 0.071111, 0.073333, 0.071111, 0.066667, 0.08, 0.088889, 0.1, 0.1, 0.10222, 0.10444, 0.10667, 0.11333, 0.10889, 0.10889, 0.11333, 0.11333, 0.11111, 0.11333, 0.12, 0.12, 0.11556, 0.11556, 0.12222, 0.12444, 0.12, 0.12667, 0.12444]}
    if transfers:
        h["val_accuracy"] = np.linspace(0.1, 0.6, len(h["val_accuracy"])).round(4).tolist()
    return h


# each rule: (a run that shows the evidence, the remedies it forbids there, the same run without it)
CASES = {
    "spiked": (lambda: fitwatch.diagnose(_spiked_at_chance()), lambda: fitwatch.diagnose(_smooth_flat())),
    "started_high": (lambda: fitwatch.diagnose(_started_high()),
                     lambda: fitwatch.diagnose(_started_high(first=2.36))),
    # the Must 4/6 trial: SGD at lr 3 halved every 5 epochs fell only at 0.75, and was told to raise the rate
    "learned_after_cut": (lambda: fitwatch.diagnose(_cut()), lambda: fitwatch.diagnose(_cut(falls=False))),
    "scheduler": (lambda: fitwatch.diagnose(_plateau(lr=np.geomspace(1e-3, 1e-5, N).tolist())),
                  lambda: fitwatch.diagnose(_plateau(lr=[1e-3] * N))),
    "lr_decayed": (lambda: fitwatch.diagnose(_improving_to_the_end(lr=(1e-3 * (1 + np.cos(np.pi * e / N)) / 2).tolist())),
                   lambda: fitwatch.diagnose(_improving_to_the_end(lr=np.linspace(1e-3, 5e-4, N).tolist()))),
    "lr_tiny": (lambda: fitwatch.diagnose(_frozen(1e-7)), lambda: fitwatch.diagnose(_frozen(1e-3))),
    # an attack: SGD decayed 0.7x an epoch (under 1 % of its peak from epoch 13 of 30), told a larger model first
    "lr_gone_early": (lambda: fitwatch.diagnose({**_settled_high(), "lr": (0.05 * 0.7 ** e).tolist()}),
                      lambda: fitwatch.diagnose({**_settled_high(), "lr": (0.025 + 0.025 * np.cos(np.pi * e / N)).tolist()})),
    "loss_penalty": (lambda: fitwatch.diagnose(_overfit(), context={"model": "sklearn_mlp", "loss_penalty": True}),
                     lambda: fitwatch.diagnose(_overfit(), context={"model": "sklearn_mlp"})),
    "decayed_early": (lambda: fitwatch.diagnose(_decayed_early()), lambda: fitwatch.diagnose(_decayed_early(lr=False))),
    "clipped": (lambda: fitwatch.diagnose(_unstable(grad_norm=[1.0, 0.6, 1.0, 1.0, 0.8, 1.0] * 5)),
                lambda: fitwatch.diagnose(_unstable(grad_norm=np.linspace(5, 1, N).tolist()))),
    "grad_exploded": (lambda: fitwatch.diagnose(_exploded()), lambda: fitwatch.diagnose(_exploded(grad=False))),
    # a new user's trial: AdamW with weight_decay=1e-3 and Dropout(0.5), both in the config, was told to add both
    "has_dropout": (lambda: fitwatch.diagnose(_overfit(), context={"dropout": 0.5}),
                    lambda: fitwatch.diagnose(_overfit(), context={"dropout": 0})),
    "has_weight_decay": (lambda: fitwatch.diagnose(_overfit(), context={"weight_decay": 1e-3}),
                         lambda: fitwatch.diagnose(_overfit())),
    # a new user's Lightning run at weight_decay=0.1 that underfit was told to grow its model first
    "regularised": (lambda: fitwatch.diagnose(_settled_high(), context={"weight_decay": 0.1}),
                    lambda: fitwatch.diagnose(_settled_high())),
    # a new user's Keras run at SGD lr 1.0, no dropout or decay, collapsed and was told to weaken its regularisation
    "no_regularisation": (lambda: fitwatch.diagnose(_settled_high(), context={"regularisation_recorded": True}),
                          lambda: fitwatch.diagnose(_settled_high())),
    # a seventh trial: told to raise the learning rate (which made it NaN) and to grow the model
    "spiky_grads": (lambda: fitwatch.diagnose(_rnn_spikes()), lambda: fitwatch.diagnose(_rnn_spikes(spikes=False))),
    # a seventh trial: told to keep epoch 0's weights and to smooth its labels
    "no_transfer": (lambda: fitwatch.diagnose(_shifted()), lambda: fitwatch.diagnose(_shifted(transfers=True))),
    "tabular": (lambda: fitwatch.diagnose(_overfit(), context={"data": "tabular"}),
                lambda: fitwatch.diagnose(_overfit(), context={"data": "image"})),
    "boosted": (lambda: fitwatch.diagnose(_overfit(), context={"model": "boosting"}),
                lambda: fitwatch.diagnose(_overfit())),
    "linear": (lambda: fitwatch.diagnose(_overfit(), context={"model": "linear", "framework": "sklearn"}),
               lambda: fitwatch.diagnose(_overfit())),
    # an eighth trial: a PyTorch logistic regression (config model='linear') was told of fitwatch.sklearn.fit and alpha
    "linear_net": (lambda: fitwatch.diagnose(_settled_high(), context={"model": "linear", "framework": "torch"}),
                   lambda: fitwatch.diagnose(_settled_high(), context={"framework": "torch"})),
    "sklearn_mlp": (lambda: fitwatch.diagnose(_overfit(), context={"model": "sklearn_mlp"}),
                    lambda: fitwatch.diagnose(_overfit())),
    "transformers": (lambda: fitwatch.diagnose(_overfit(), context={"framework": "transformers"}),
                     lambda: fitwatch.diagnose(_overfit())),
    "text": (lambda: fitwatch.diagnose(_overfit(), context={"data": "text"}),
             lambda: fitwatch.diagnose(_overfit(), context={"data": "image"})),
    "no_classes": (lambda: fitwatch.diagnose(_flat_mse()),
                   lambda: fitwatch.diagnose(_flat_mse(), context={"classes": 10})),
    "fits_training": (lambda: fitwatch.diagnose(_memorised()),
                      lambda: fitwatch.diagnose(_settled_high())),
    "accuracy_rose_since_best": (lambda: fitwatch.diagnose(_overconfident(rises=True)),
                                 lambda: fitwatch.diagnose(_overconfident(rises=False))),
    # a sixth trial: an imbalanced run's accuracy rose as its minority recall fell, and it was told to monitor the accuracy
    "score_fell_since_best": (lambda: fitwatch.diagnose(_overconfident(rises=True, recall_falls=True)),
                              lambda: fitwatch.diagnose(_overconfident(rises=True, recall_falls=False))),
    "collapsed": (lambda: fitwatch.diagnose(_collapsed()),
                  lambda: fitwatch.diagnose(_collapsed(accuracy=False))),
    # a tenth trial: a transformer at Adam 3e-2, no dropout nor weight decay, told first to weaken its regularisation
    "collapsed_unregularised": (lambda: fitwatch.diagnose(_collapsed(), context={"regularisation_watched": True}),
                                lambda: fitwatch.diagnose(_collapsed(accuracy=False),
                                                          context={"regularisation_watched": True})),
    "best_is_last": (lambda: fitwatch.diagnose(_improving_to_the_end()),
                     lambda: fitwatch.diagnose(_overfit())),
}


def test_every_rule_has_a_case_and_a_row_in_the_docs():
    doc = (ROOT / "docs" / "diagnosis.md").read_text()
    assert {r.evidence for r in RULES} == set(CASES)
    for r in RULES:
        row = next((line for line in doc.splitlines() if line.startswith(f"| `{r.evidence}` |")), None)
        assert row is not None, f"docs/diagnosis.md has no row for {r.evidence}"
        for k in r.forbid:
            assert f"`{k}`" in row, (r.evidence, k)


@pytest.mark.parametrize("rule", RULES, ids=[r.evidence for r in RULES])
def test_a_rule_forbids_its_remedies_only_where_its_evidence_is(rule):
    shows, lacks = CASES[rule.evidence]
    d = shows()
    for key in rule.forbid:
        assert not _has(d, key), (rule.evidence, key, d.verdict)
    given = [k for k in rule.forbid if _has(lacks(), k)]
    assert given or not rule.forbid, \
        f"the run without {rule.evidence} should get one of {rule.forbid}: the rule is what removes them"
    if rule.first:  # those that fit the finding lead (nonlinear and alpha_down are underfitting's)
        lead = [CATALOGUE[k] for k in rule.first if CATALOGUE[k] in _all_remedies(d)]
        assert lead and _all_remedies(d)[:len(lead)] == lead, (rule.evidence, _all_remedies(d)[:3])
        if not rule.forbid:  # a rule that only reorders: without its evidence, the run leads otherwise
            assert _all_remedies(lacks())[:len(lead)] != lead, (rule.evidence, _all_remedies(lacks())[:3])


def test_sgd_lr_10_stuck_at_chance_is_told_to_lower_the_learning_rate():
    """Issue 11: SGD with lr=10, stuck above ln(10) at chance accuracy, was `underfitting` with "use a
    larger model" and "raise the learning rate": the opposite of the fix."""
    d = fitwatch.diagnose(_spiked_at_chance())
    assert d.verdict == "not_learning"
    assert d.findings[0].remedies[0] == CATALOGUE["lr_down"]
    assert "lr_too_high" in [f.code for f in d.findings] and "lr_too_low" not in [f.code for f in d.findings]
    assert "jumped from 2.3 to 9 at epoch 1" in d.findings[0].message
    assert any("the loss jumped above where it started" in n for n in d.notes)


def test_a_scheduler_and_clipping_in_the_logs_are_not_recommended_again():
    """Issue 11: a run with ReduceLROnPlateau and gradient clipping was told to add both."""
    lr = [1e-3] * 10 + [1e-4] * 10 + [1e-5] * 10
    d = fitwatch.diagnose(_plateau(lr=lr, grad_norm=[1.0, 0.7, 1.0, 1.0, 0.9, 1.0] * 5))
    for key in ("lr_schedule", "lr_plateau", "gradient_clipping"):
        assert not _has(d, key), key
    # Hugging Face's default: a warm-up, then a linear decay to exactly 0 (a new user's trial: the 0 hid it)
    lr = list(np.linspace(0, 5e-5, 4)[1:]) + list(np.linspace(5e-5, 0, 27))
    assert lr[-1] == 0 and not _has(fitwatch.diagnose(_plateau(lr=lr)), "lr_schedule")
    d = fitwatch.diagnose(_unstable(), context={"scheduler": "cosine", "grad_clip": 1.0})
    assert d.verdict == "unstable"
    assert not _has(d, "lr_schedule") and not _has(d, "gradient_clipping") and _has(d, "lr_down")


def test_an_inf_gradient_norm_alone_changes_nothing():
    """Mixed precision's loss scaler skips a step whose gradient norm is inf and goes on: a finite
    loss beside one inf norm is no explosion (clipping is not put first)."""
    h = _plateau(grad_norm=[1.0] * 10 + [float("inf")] + [1.0] * (N - 11))
    assert not any("gradient norm became infinite" in n for n in fitwatch.diagnose(h).notes)
    assert _all_remedies(fitwatch.diagnose(h)) == _all_remedies(fitwatch.diagnose(_plateau(grad_norm=[1.0] * N)))


def test_context_is_checked_with_an_error_that_names_the_fix():
    with pytest.raises(ValueError, match=re.escape("baseline must be a positive number")):
        fitwatch.diagnose(_plateau(), baseline=-1)
    with pytest.raises(ValueError, match="classes must be an integer >= 2"):
        fitwatch.diagnose(_plateau(), context={"classes": 1.5})
    with pytest.raises(ValueError, match=r"unknown context key\(s\) 'clases'; use any of baseline, classes"):
        fitwatch.diagnose(_plateau(), context={"clases": 10})  # a misspelt key is not evidence silently lost


def test_context_says_a_run_is_in_progress_and_names_its_loss():
    """The last stops' list: diagnose(context={"in_progress": True}) and {"loss_metric": ...}, both documented,
    were dropped on the way in (only a recorded run's status and a booster's info gave them)."""
    falling = {"loss": [2.3, 1.9, 1.6, 1.4, 1.2, 1.05, 0.9, 0.8], "val_loss": [2.2, 1.9, 1.65, 1.45, 1.3, 1.15, 1.0, 0.9]}
    done, running = fitwatch.diagnose(falling), fitwatch.diagnose(falling, context={"in_progress": True})
    assert done.verdict == running.verdict == "still_improving"
    assert CATALOGUE["more_epochs"] in _all_remedies(done) and CATALOGUE["more_epochs"] not in _all_remedies(running)
    assert "still training" in running.findings[0].message
    stuck = {"loss": [1.6124, 1.6116, 1.6139, 1.6123, 1.6104, 1.6131, 1.6159, 1.6148, 1.6099, 1.6082],
             "val_loss": [1.6091, 1.6121, 1.6081, 1.6101, 1.6112, 1.6096, 1.6079, 1.6076, 1.6085, 1.6098]}  # ln 5, or an MSE
    assert "ln(5)" in " ".join(f.message for f in fitwatch.diagnose(stuck).findings)
    named = fitwatch.diagnose(stuck, context={"loss_metric": "MSE"})
    assert "ln(5)" not in " ".join(f.message for f in named.findings), named


def test_remedies_in_the_words_of_the_framework():
    """A new user's trial (issue 15): Keras' EarlyStopping offered to Lightning, Trainer and boosting
    runs, kernel_regularizer to Lightning, dropout after the config's dropout to a Trainer run."""
    from fitwatch.diagnosis.remedies import VARIANTS

    told = lambda d: [r for f in d.findings for r in f.remedies]  # noqa: E731
    plain = told(fitwatch.diagnose(_overfit()))
    assert CATALOGUE["early_stopping"] in plain and "kernel_regularizer" in CATALOGUE["weight_decay"]
    for framework, evidence in (("lightning", "lightning"), ("transformers", "transformers")):
        got = told(fitwatch.diagnose(_overfit(), context={"framework": framework}))
        assert VARIANTS[evidence]["early_stopping"] in got and CATALOGUE["early_stopping"] not in got
        assert not any("Keras" in r or "kernel_regularizer" in r for r in got), framework
    assert CATALOGUE["dropout"] not in told(fitwatch.diagnose(_overfit(), context={"framework": "transformers"}))
    boosted = told(fitwatch.diagnose(_overfit(), context={"model": "boosting"}))
    assert VARIANTS["boosted"]["early_stopping"] in boosted and not any("Keras" in r for r in boosted)
    mlp = told(fitwatch.diagnose(_overfit(), context={"model": "sklearn_mlp"}))
    assert VARIANTS["sklearn_mlp"]["early_stopping"] in mlp and CATALOGUE["augmentation"] not in mlp


def test_a_linear_model_that_underfits_is_told_a_non_linear_one():
    """A linear SGDClassifier on two moons (a new user's trial): "train for more epochs: the curve
    is still going down" and "less dropout" led; the remedy is a non-linear model."""
    d = fitwatch.diagnose(_settled_high(), context={"model": "linear", "framework": "sklearn"})
    assert d.verdict == "underfitting" and d.findings[0].remedies[0] == CATALOGUE["nonlinear"]
    assert CATALOGUE["less_regularisation"] not in d.findings[0].remedies
    # the same in a PyTorch loop: a non-linear model first, and nothing of scikit-learn's alpha or fitwatch.sklearn.fit
    d = fitwatch.diagnose(_settled_high(), context={"model": "linear"})
    said = [r for f in d.findings for r in f.remedies]
    assert d.findings[0].remedies[0] == CATALOGUE["nonlinear"] and not [r for r in said if "alpha" in r or "sklearn" in r]


def test_a_good_fit_is_never_told_it_cannot_fit_its_training_data():
    """The plateau finding said "use a larger model: this one cannot fit the training data" beside a
    good_fit verdict (a new user's trial); only underfitting says it."""
    loss = (0.2 + 1.0 * np.exp(-e / 2.0)).tolist()  # (at 0.05 + ..., its level halved after the plateau point)
    d = fitwatch.diagnose({"loss": loss, "val_loss": [v + 0.02 for v in loss]})
    assert d.verdict == "good_fit" and "plateau" in [f.code for f in d.findings], d
    assert CATALOGUE["larger_model"] not in [r for f in d.findings for r in f.remedies]


@pytest.mark.parametrize("name", ["val_auc", "cls_loss", "val_mAP", "val_f1"])
def test_a_curve_that_names_classes_keeps_the_class_balance_remedy_in_play(name):
    """An attack on no_classes: a flat loss beside a curve named for a classifier (AUC, a class
    loss, mAP, F1) is not "no class in sight"."""
    lacks = fitwatch.diagnose(_flat_mse(**{name: np.linspace(0.5, 0.6, N).tolist()}))
    shows = fitwatch.diagnose(_flat_mse())
    assert not any("no class in sight" in n for n in lacks.notes)
    assert any("no class in sight" in n for n in shows.notes), shows.notes


def test_underfitting_names_a_noise_floor_the_curves_cannot_tell_from_a_small_model():
    """A fifth trial: a run on noisy labels settled at the noise's floor, both curves close, and was told
    only to grow its model. The verdict stands (the curves cannot tell the two apart); the remedies say so too."""
    d = fitwatch.diagnose(_settled_high())
    assert d.verdict == "underfitting" and d.findings[0].remedies[-1] == CATALOGUE["noise_floor"]
    assert d.findings[0].remedies[0] == CATALOGUE["larger_model"]


def test_a_run_that_smooths_its_labels_is_told_to_calibrate_not_to_smooth():
    """A seventh trial's label smoothing, recorded by the integrations, is not prescribed again; an attack: the whole
    remedy was dropped, temperature scaling with it."""
    from fitwatch.diagnosis.remedies import VARIANTS

    plain = _all_remedies(fitwatch.diagnose(_overconfident(rises=False)))
    smoothed = [r for f in fitwatch.diagnose(_overconfident(rises=False), context={"label_smoothing": 0.1}).findings
                for r in f.remedies]
    assert CATALOGUE["label_smoothing"] in plain and CATALOGUE["label_smoothing"] not in smoothed
    assert VARIANTS["has_label_smoothing"]["label_smoothing"] in smoothed


def test_dropout_below_strong_is_regularisation_the_keras_callback_saw():
    """An eighth trial: a Keras model with Dropout(0.45), every regulariser seen (regularisation_recorded), was
    read as having none ("none is dropout or weight decay" beside "dropout the run's config gives"): "weaken the
    regularisation" was taken away from a run whose training accuracy the dropout held at 0.54 against 0.88."""
    ctx = {"dropout": 0.45, "regularisation_recorded": True}
    d = fitwatch.diagnose(_settled_high(), context=ctx)
    assert "less_regularisation" in [_KEY_OF.get(r) for f in d.findings for r in f.remedies], d
    assert not any("none is dropout" in n for n in d.notes), d.notes


def test_a_booster_a_linear_model_and_tabular_data_get_remedies_in_their_own_words():
    """A ninth trial: a diverged LightGBM run and a diverged SGDRegressor were told of float16 and a loss scaler, an
    XGBoost run to run a learning-rate range test, a run on tabular data to scale its images, and a noisy validation
    set to use a larger batch (the gradient's noise, not the validation's)."""
    blown = {"loss": [1.0, 0.6, 40.0, 3e4, float("nan")], "val_loss": [1.1, 0.7, 45.0, 4e4, float("nan")]}
    said = lambda d: " ".join(r for f in d.findings for r in f.remedies)  # noqa: E731
    boost = fitwatch.diagnose(blown, context={"model": "boosting"})
    assert boost.verdict == "diverged" and VARIANTS["boosted"]["numerics"] in said(boost) and "float16" not in said(boost)
    lin = fitwatch.diagnose(blown, context={"model": "linear", "framework": "sklearn"})
    assert VARIANTS["linear"]["numerics"] in said(lin) and "float16" not in said(lin) and "zero_grad" not in said(lin)
    assert "float16" in said(fitwatch.diagnose(blown))  # a network's NaN may be its numerics
    slow = fitwatch.diagnose(_settled_high(), context={"model": "boosting"})
    assert "range test" not in said(slow)
    over = fitwatch.diagnose(_overfit(), context={"model": "boosting"})  # a booster's points are rounds
    assert over.unit == "round" and f"overfitting from round {over.onset_epoch}" in str(over), str(over)
    assert " epoch " not in over.findings[0].message, over.findings[0].message
    table = fitwatch.diagnose(_settled_high(), context={"data": "tabular"})
    assert VARIANTS["tabular"]["normalise_inputs"] in said(table) and "images" not in said(table)
    assert CATALOGUE["batch_size_up"] not in remedies_for("noisy_validation")
    # no validation curve: how to get one, in the framework's words (a fitted MLPClassifier was told nothing)
    alone = {"loss": [1.0 / (e + 1) for e in range(20)]}
    gap = lambda d: next(f for f in d.findings if f.code == "missing_validation").remedies  # noqa: E731
    assert gap(fitwatch.diagnose(alone)) == [CATALOGUE["add_validation"]]
    assert gap(fitwatch.diagnose(alone, context={"model": "sklearn_mlp"})) == [VARIANTS["sklearn_mlp"]["add_validation"]]
