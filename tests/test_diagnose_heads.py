"""``head_overfits``: which head of a multi-task model overfits, beside an overfitting verdict on the summed loss
(``checks/heads.py``), on an attack's real two-head run of stop 49 (a shared trunk, a classification head and a
regression head, their losses logged apart and summed)."""

import json
from pathlib import Path

import fitwatch

RUN = json.loads((Path(__file__).parent / "data" / "trial_curves.json").read_text())[
    "attack_two_heads_regression_head_overfits"]


def test_the_head_whose_validation_rose_is_named():
    """val_reg_loss 1.09 -> 1.37 after the summed loss's turn while val_cls_loss held at 0.16-0.23: the run was told
    only that its summed loss overfits, with remedies for the whole model."""
    d = fitwatch.diagnose(RUN)
    f = next(f for f in d.findings if f.code == "head_overfits")
    assert d.verdict == "overfitting" and list(f.evidence["rose"]) == ["val_reg_loss"], f
    assert list(f.evidence["held"]) == ["val_cls_loss"] and "--monitor val_reg_loss" in f.message, f.message


def test_no_head_is_named_when_every_head_rose_or_one_is_judged():
    both = {**RUN, "val_cls_loss": RUN["val_reg_loss"], "cls_loss": RUN["reg_loss"]}
    assert "head_overfits" not in [f.code for f in fitwatch.diagnose(both).findings]
    alone = fitwatch.diagnose(RUN, monitor="val_reg_loss")
    assert "head_overfits" not in [f.code for f in alone.findings]
