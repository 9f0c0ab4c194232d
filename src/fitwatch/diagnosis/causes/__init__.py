"""Causes: why a run went the way its curves say, from what the probes saw inside the model.

:func:`find_causes` runs the rules of :mod:`~fitwatch.diagnosis.causes.model` (gradients,
activations, initialisation, learning rate) and :mod:`~fitwatch.diagnosis.causes.data` (inputs,
loss, classes, labels, epochs) on a run's :class:`~fitwatch.diagnosis.inside.Inside` and returns
the cause findings, placed after the verdict. A cause is named only when its evidence is there; a
root cause hides the causes that follow from it (units killed by exploding gradients are not
reported as a second cause), and so does a hidden cause whose evidence is there (the gradients that
vanish behind those dead units are not a cause either). The thresholds and their sources:
:mod:`fitwatch.diagnosis.causes.limits`
and docs/probes.md.
"""

from __future__ import annotations

import numpy as np

from fitwatch.diagnosis.causes import data, model
from fitwatch.diagnosis.causes.view import View
from fitwatch.diagnosis.findings import CAUSES, Finding
from fitwatch.diagnosis.inside import Inside

__all__ = ["CAUSES", "find_causes", "ruled_out", "view", "weigh_curve_causes"]

#: a cause found hides these (they follow from it)
_HIDES = {
    "no_gradient": ("vanishing_gradient", "lr_too_low", "too_few_epochs"),
    "grads_cleared": ("lr_too_low", "vanishing_gradient", "not_updated", "too_few_epochs"),
    # every step applies the sum of all earlier gradients: the large steps, the units they kill, follow from it
    "grads_not_zeroed": ("exploding_gradient", "lr_too_high", "dead_relu", "saturated_activation", "vanishing_gradient",
                         "lr_too_low", "too_few_epochs"),
    "weight_decay_too_high": ("lr_too_high", "lr_too_low", "vanishing_gradient", "dead_relu", "saturated_activation",
                              "too_few_epochs", "no_gradient"),
    "small_batch_norm": ("exploding_gradient", "dead_relu", "saturated_activation", "vanishing_gradient", "lr_too_high",
                         "lr_too_low", "too_few_epochs"),
    "schedule_too_fast": ("lr_too_low", "vanishing_gradient", "too_few_epochs", "not_updated"),
    "clip_too_tight": ("lr_too_low", "vanishing_gradient", "too_few_epochs"),
    "unnormalised_input": ("exploding_gradient", "dead_relu", "saturated_activation", "lr_too_high"),
    "not_updated": ("vanishing_gradient", "lr_too_low", "too_few_epochs"),
    # (not exploding_gradient: gradients that blow up are its effect, named after it; its remedy leads)
    "unnormalised_target": ("dead_relu", "saturated_activation", "lr_too_high", "lr_too_low"),
    "loss_output_mismatch": ("exploding_gradient", "lr_too_high", "saturated_activation", "lr_too_low"),
    "exploding_gradient": ("dead_relu", "saturated_activation", "lr_too_high"),
    "poor_init": ("vanishing_gradient", "dead_relu", "saturated_activation", "lr_too_low", "no_gradient"),
    "lr_too_high": ("dead_relu", "saturated_activation"),
    "dead_relu": ("vanishing_gradient", "lr_too_low", "no_gradient"),
    "saturated_activation": ("vanishing_gradient", "lr_too_low"),
    "vanishing_gradient": ("lr_too_low",),
    "lr_too_low": ("too_few_epochs",),
}
#: in this order: a root cause first, so that what it hides is known when its followers are tried
_RULES = (model.no_train_mode, model.grads_not_zeroed, model.grads_cleared, model.weight_decay_too_high,
          model.small_batch_norm, model.schedule_too_fast, model.clip_too_tight, data.unnormalised_input,
          data.unnormalised_target, model.not_updated, data.loss_output_mismatch, model.poor_init,
          model.exploding_gradient, model.lr_too_high, model.dead_relu, model.saturated_activation, model.no_gradient,
          model.vanishing_gradient, model.lr_too_low, data.class_imbalance)
#: tried only when nothing above was found: a healthy model stopped too soon, or labels it cannot learn
_FALLBACK = (data.too_few_epochs, data.label_problem)
#: the verdict's remedies (catalogue keys) a cause found rules out
_RULES_OUT = {
    # more epochs, a larger model or a higher rate cannot reach what the output cannot
    "loss_output_mismatch": ("more_epochs", "larger_model", "lr_up"),
    # it has a schedule, one too fast: a StepLR stepped per batch was told to use one
    "schedule_too_fast": ("lr_schedule", "lr_plateau", "lr_up"),
    "clip_too_tight": ("lr_up",),  # (an eleventh trial's clip at 1e-4 was told to raise its rate)
    # SGD at weight_decay=0.5, stuck at chance, was told to raise its rate
    "weight_decay_too_high": ("lr_up", "larger_model", "more_epochs"),
}
#: said beside whatever else is found: how the loop validates, not why the curves went as they did
_ASIDE = (model.no_eval_mode,)


def view(inside: Inside, verdict: str, loss, val, span, acc=None, vacc=None) -> View:
    """The :class:`View` of a run: its probes, verdict and judged curves."""
    scale = inside.late("input", "scale_max")
    rose = False
    if loss is not None:
        finite = loss[np.isfinite(loss)]
        rose = finite.size >= 2 and bool(np.any(finite[1:] > finite[0] * 1.05))
    return View(inside=inside, verdict=verdict, loss=loss, val=val, span=list(span), input_scale=scale,
                loss_rose=rose, acc=acc, vacc=vacc)


def find_causes(v: View) -> list[Finding]:
    """The cause findings of a probed run, root causes first."""
    found: list[Finding] = []
    hidden: set[str] = set()
    for rule in _RULES:
        code = rule.__name__
        f = rule(v)
        if f is None:
            continue
        if code not in hidden:
            found.append(f)
        hidden.update(_HIDES.get(code, ()))  # a hidden cause found still hides what follows from it
    aside = [f for f in (rule(v) for rule in _ASIDE) if f is not None]
    for rule in _FALLBACK if not found else ():
        f = rule(v)
        if f is not None:
            return [f, *aside]
    root = next((f for f in found if f.code == "unnormalised_target"), None)
    for f in found if root is not None else ():  # the targets' scale makes the gradients large: its cure, not clipping's
        if f.code == "exploding_gradient":  # (a ninth trial: Adam with clipping took its R2 from -0.32 to -9)
            f.message += " The targets' scale makes them that large: standardise the targets before clipping."
            f.remedies = root.remedies[:1] + [r for r in f.remedies if r.startswith("Clip")]
    return found + aside


def ruled_out(causes: list[Finding]) -> set[str]:
    """The verdict's remedies, in every framework's words, that a cause found rules out: more epochs of a loss that does
    not fit the model's output (a tenth trial's NLLLoss on raw scores, falling without bound below 0, was told to train
    longer beside the cause), and the others of :data:`_RULES_OUT`."""
    from fitwatch.diagnosis.remedies import in_all_words

    return {r for f in causes for key in _RULES_OUT.get(f.code, ()) for r in in_all_words(key)}


def weigh_curve_causes(v: View, findings: list[Finding], causes: list[Finding]) -> list[Finding]:
    """The curves' own learning-rate findings (``lr_too_high`` of an unstable run, ``lr_too_low`` of
    a smooth flat one) kept only when the probes back them and no cause found explains them, and not
    twice; the curves' ``too_few_epochs`` left to the probes' rule; the rest as they are."""
    named = {f.code for f in causes}
    hidden = {h for c in named for h in _HIDES.get(c, ())}
    out = []
    for f in findings:
        if f.code in ("lr_too_high", "lr_too_low") and (f.code in named | hidden or not model.confirmed_lr(v, f.code)):
            continue
        if f.code == "too_few_epochs":  # the probes' rule says whether the run stopped too soon
            continue
        if f.code == "softmax_twice" and "loss_output_mismatch" in named:  # the probes saw it: their cause says it
            continue
        out.append(f)
    return out
