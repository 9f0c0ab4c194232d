"""What every cause rule reads (:class:`View`), and how a cause finding is made (:func:`cause`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fitwatch.diagnosis.findings import Finding
from fitwatch.diagnosis.inside import Inside

#: what to do about each cause, best first (catalogue keys of fitwatch.diagnosis.remedies, and these)
CAUSE_REMEDIES = {
    "zero_grad": "Clear the gradients once per optimizer step: optimizer.zero_grad() before loss.backward() (with "
                 "gradient accumulation, right after optimizer.step()).",
    "connect_graph": "Keep the loss connected to the model: no .detach(), .item(), .numpy() or torch.no_grad() between "
                     "the layers that should learn and the loss (and never loss.requires_grad_(True) to silence the "
                     "error); if freezing them is what you meant, set requires_grad=False on purpose.",
    "optimizer_step": "Call optimizer.step() after loss.backward() (once per batch, or per accumulation window).",
    "zero_grad_order": "Clear the gradients before loss.backward() (or right after optimizer.step()), never between "
                       "backward() and step(): the step then applies a zero gradient.",
    "eval_mode": "Call model.eval() before the validation loop and model.train() before training resumes: dropout "
                 "off and batch norm on its running statistics while validating.",
    "train_mode": "Call model.train() at the start of each epoch's training loop (validation's model.eval() stays "
                  "on until then): dropout on and batch norm on each batch's statistics while training (to freeze batch "
                  "norm on purpose, put only its modules in eval()).",
    "weight_decay_down": "Lower the weight decay (about 1e-4..5e-4 with SGD, 1e-2..0.1 with AdamW; Adam's "
                         "weight_decay is an L2 term, AdamW's the decoupled one), or turn it off to see the model learn "
                         "first.",
    "clip_looser": "Raise the clipping threshold (clip_grad_norm_'s max_norm, about 1.0, or clip_grad_value_'s "
                   "clip_value; gradient_clip_val in Lightning, max_grad_norm in Hugging Face): clipping should cut only "
                   "the rare spikes, not every step.",
    "linear_output": "End a regression model in a plain linear layer (no ReLU, sigmoid or tanh after it), or "
                     "scale the targets into the activation's range (and back for predictions).",
    "bn_batch": "Train on batches of 16 or more samples (gradient accumulation does not help batch norm), or "
                "replace BatchNorm with GroupNorm or LayerNorm, which do not depend on the batch.",
    "schedule_per_epoch": "Call scheduler.step() once per epoch for a schedule whose settings count epochs (StepLR's "
                          "step_size, MultiStepLR's milestones, ExponentialLR's gamma), or set them in batches; a "
                          "schedule should reach its lowest rates near the end of training, not a few epochs in.",
    "optimizer_params": "Give the optimizer every parameter that should learn (torch.optim.Adam(model.parameters()), "
                        "or each param group), unless freezing those layers is what you meant.",
    "scale_targets": "Standardise the regression targets (subtract their mean, divide by their std, from the "
                     "training split) and undo it for predictions: the model's outputs start near 0, about 1 apart.",
    "relu": "Use ReLU-family activations (ReLU, LeakyReLU, GELU) in the hidden layers instead of sigmoid/tanh.",
    "residual": "Add skip (residual) connections, or use fewer layers.",
    "leaky_relu": "Use LeakyReLU/GELU (no dead zone), or a smaller learning rate; initialise biases at 0.",
    "init_random": "Initialise the weights randomly (the framework's default, or He/Xavier): never all "
                   "zeros or one constant.",
    "lr_range_test": "Run a learning-rate range test (fitwatch's, or torch-lr-finder) and start from its "
                     "steepest fall.",
    "class_weights": "Weigh the classes in the loss (CrossEntropyLoss(weight=...), pos_weight for "
                     "BCEWithLogitsLoss) or resample the minority class; judge by per-class recall or F1, "
                     "not accuracy.",
    "relabel": "Check the labels: are they aligned with the inputs (not shuffled apart), and how many are "
               "wrong? Fit one small batch to zero loss first: a model that cannot do that cannot learn these labels.",
}


@dataclass
class View:
    """What the cause rules read: the probes (:class:`Inside`), the verdict and the curves' facts.

    Attributes:
        inside: the probe values.
        verdict: the curve verdict (``good_fit``...).
        loss, val: the training and validation loss curves judged (None when absent).
        span: the run's ``[first, last]`` epoch.
        input_scale: the largest input feature's root mean square (median over samples), or None.
        loss_rose: the training loss went above its first epoch's value at some later epoch.
        acc, vacc: the training and validation accuracy curves, when logged.
    """

    inside: Inside
    verdict: str
    loss: np.ndarray | None
    val: np.ndarray | None
    span: list
    input_scale: float | None
    loss_rose: bool
    acc: np.ndarray | None = None
    vacc: np.ndarray | None = None


def cause(code: str, v: View, evidence: dict, message: str, remedies: list[str]) -> Finding:
    """A cause finding: a warning over the whole run, with its remedies as sentences."""
    from fitwatch.diagnosis.remedies import CATALOGUE

    text = [CAUSE_REMEDIES.get(k) or CATALOGUE.get(k) for k in remedies]
    evidence = {k: x for k, x in evidence.items() if x is not None}
    evidence["source"] = "probes"
    return Finding(code, "warning", list(v.span), evidence, message, [t for t in text if t])


def fmt(x) -> str:
    """A number as evidence prints it: 3 significant digits (an exact 0 as "0, nothing at all")."""
    if x is None:
        return "?"
    if x == 0:
        return "0 (nothing at all)"
    return f"{x:.3g}"
