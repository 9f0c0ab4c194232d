"""The model side of the pre-flight checks, each on a private copy of the model: the loss at
initialisation against the no-skill level, one small batch overfitted, the outputs against the loss,
and evaluation mode (dropout and batch norm switched off by ``eval()``)."""

from __future__ import annotations

import math

import numpy as np

from fitwatch.diagnosis.causes.data import mismatch
from fitwatch.preflight.findings import finding
from fitwatch.preflight.state import forward, loss_of
from fitwatch.preflight.task import BINARY, CLASSIFICATION, REGRESSION, Task, loss_name

#: the initial loss is named when it is this many times the no-skill level and 1 (nat, or target
#: variance) above it: a random network's outputs start near the no-skill level (CS231n: ln C)
INIT_TIMES = 2.0
INIT_ABOVE = 1.0
#: the one-batch overfit (Karpathy's "overfit one batch"; CS231n: a tiny subset to ~0 loss): this many
#: samples, up to this many Adam steps at each of these rates (the second only when the first fails;
#: a rate is given up once 40 steps gain less than 5 %), and the loss to reach as a share of the
#: batch's no-skill level
OVERFIT_SAMPLES = 8
OVERFIT_STEPS = 200
OVERFIT_LRS = (1e-2, 1e-3)
OVERFIT_SHARE = 0.1


def initial_loss(value: float, task: Task) -> object | None:
    """``initial_loss``: the untrained model's loss far above what it should start at: a uniform guess
    for a classifier (ln C; ln 2 for binary: what a random initialisation gives, whatever the class
    prior), the targets' spread for a regression (predicting their mean)."""
    level = expected_start(task)
    if level is None or not math.isfinite(value):
        return None
    if not (value > INIT_TIMES * level and value > level + INIT_ABOVE):
        return None
    what = {"binary": "ln 2, a guess of one half", "regression": "predicting the targets' mean"}
    if task.kind == "classification" and task.classes:
        what["classification"] = f"ln C for {task.classes} classes is {math.log(task.classes):.3g}"
    ev = {"initial_loss": value, "no_skill_loss": level, "times": value / level if level else None,
          "task": task.kind, "loss": task.loss}
    fixes = ["output_init", "normalise_inputs", "init"]
    if task.kind == "regression":
        fixes = ["standardise_targets", "output_init", "normalise_inputs"]
    return finding("initial_loss", "warning", ev,
                   f"The loss starts at {value:.3g}, {value / level if level else float('inf'):.3g} times the "
                   f"no-skill level {level:.3g} ({what.get(task.kind, 'a constant guess')}): the untrained model "
                   "is confidently wrong, which costs the first epochs (or, for regression, the targets are "
                   "far from the outputs' scale).", fixes)


def summed_over(loss_fn, out, y) -> int | None:
    """How many terms a loss summed over the batch adds up (``reduction='sum'``): the samples of a classification
    loss given class ids or class probabilities, every target element of the others; None for a mean."""
    if getattr(loss_fn, "reduction", None) != "sum" or y is None or not hasattr(y, "numel"):
        return None
    probs = y.is_floating_point() and out is not None and hasattr(out, "shape") and y.shape == out.shape
    if loss_name(loss_fn) in ("CrossEntropyLoss", "NLLLoss") and probs and y.dim() >= 2:
        return max(1, int(y.numel() // y.shape[1]))
    return max(1, int(y.numel()))


def loss_summed(value: float, terms: int, task: Task) -> object:
    """``loss_summed`` (information): the loss sums ``terms`` per-sample (or per-element) terms, so its value and its
    gradients grow with the batch size; the initial loss is read per term."""
    return finding("loss_summed", "info", {"initial_loss": value, "terms": terms, "per_term": value / terms,
                                           "loss": task.loss},
                   f"The loss is summed over the batch (reduction='sum'): the first batch's {value:.4g} is {terms} "
                   f"terms of {value / terms:.3g} each, so the loss and its gradients grow with the batch size (the "
                   "learning rate that works depends on it). The initial loss is read per term.", ["loss_mean"])


def first_step_loss(twin, loss_fn, x, y) -> float | None:
    """The loss on batch ``(x, y)`` as the first training step computes it: in training mode (batch norm
    on the batch's own statistics, dropout on, seeded), on a copy of ``twin`` (whose batch-norm running
    statistics stay as they were). In evaluation mode an untrained batch norm divides by its initial
    running variance of 1 instead, which can hide an output layer 50 times too large (a start of 2.6
    instead of 23 on ``benchmarks/preflight_checks.py``'s BatchNorm MLP). None when it cannot be
    computed (a batch norm given one sample, say)."""
    import copy

    import torch

    probe = copy.deepcopy(twin)
    probe.train()
    try:
        with torch.no_grad():
            torch.manual_seed(0)
            value = float(loss_of(loss_fn, forward(probe, x), y))
    except (RuntimeError, ValueError, IndexError, TypeError):
        return None
    return value if math.isfinite(value) else None


def expected_start(task: Task) -> float | None:
    """The loss an untrained model should start near: ln C for C classes, ln 2 for binary (a uniform
    guess, whatever the class prior), the no-skill level of a regression (predicting the targets' mean)."""
    if task.kind == "classification":
        return math.log(task.classes) if task.classes and task.classes > 1 else None
    return math.log(2) if task.kind == "binary" else task.no_skill


def loss_output(loss: str, out, target) -> object | None:
    """``loss_output_mismatch``: what the model outputs is not what the loss expects (softmax before
    CrossEntropyLoss, no log_softmax before NLLLoss, a sigmoid before BCEWithLogitsLoss, class ids as
    regression targets), the same cases as the probes."""
    from fitwatch.probes.torch_loss import probability_rows

    x, t = out.detach().float(), target.detach().float()
    in01, prob, logprob = probability_rows(x)
    rows = prob is not None  # rows of 2 or more outputs: class scores
    in01, probs, logprobs = bool(in01), rows and bool(prob), rows and bool(logprob)
    what = mismatch(loss, probs=probs, not_logprobs=not logprobs, in01=in01,
                    varied=float(x.std()) > 1e-3 if x.numel() > 1 else False,
                    whole=bool((t == t.round()).all()), lo=float(t.min()), hi=float(t.max()))
    if what is None and loss in REGRESSION and tuple(x.shape) != tuple(t.shape):
        what = (f"{loss} is given outputs of shape {tuple(x.shape)} and targets of shape {tuple(t.shape)}: torch "
                f"broadcasts them against each other, so every output is compared with every target; make the "
                f"targets {tuple(x.shape)} (y.reshape(-1, 1), or y.unsqueeze(1))")
    if what is None and loss == "KerasCrossEntropy" and rows and not probs:
        what = ("a Keras categorical cross-entropy (from_logits=False) is given raw scores, not probabilities: "
                "add a softmax to the last layer, or use from_logits=True")
    if what is None and loss == "BCELoss" and x.numel() > 1 and bool((x == 1).all()):  # (an attack: the classic slip)
        what = ("the model outputs exactly 1 for every input: a softmax over a single output unit, which is always 1 "
                "(softmax normalises across units); use a sigmoid for one binary output, or two units with a softmax "
                "and a categorical cross-entropy")
    if what is None and loss == "BCELoss" and not bool(x.min() >= 0 and x.max() <= 1):
        what = ("a binary cross-entropy on probabilities (BCELoss, from_logits=False) is given raw scores: add a "
                "sigmoid, or use BCEWithLogitsLoss / from_logits=True")
    if what is None:
        return None
    ev = {"loss": loss, "output_min": float(x.min()), "output_max": float(x.max()),
          "target_min": float(t.min()), "target_max": float(t.max())}
    return finding("loss_output_mismatch", "critical", ev, f"The loss does not fit the model's output: {what}.",
                   ["loss_fit"])


def loss_error(loss: str, error: Exception) -> object:
    """``loss_output_mismatch`` from the loss refusing what it was given (BCELoss on raw outputs...)."""
    text = str(error).strip().splitlines()[0][:200].rstrip(".")
    hint = " (BCELoss wants probabilities: use BCEWithLogitsLoss on raw outputs)" if loss == "BCELoss" else ""
    fixes = ["loss_fit"]
    if "Long" in text and "dtype" in text or "expected scalar type Long" in text:
        hint, fixes = " (class ids must be integers: y.long())", ["long_labels", "loss_fit"]
    return finding("loss_output_mismatch", "critical", {"loss": loss, "error": text},
                   f"The loss cannot be computed on the model's output: {text}{hint}.", fixes)


def overfit_batch(model, loss_fn, x, y, task: Task, *, learn_only: bool = False) -> tuple[object | None, dict]:
    """``cannot_overfit_batch``: Adam, at 1e-2 and then at 1e-3, cannot bring the loss of a few
    samples near 0 (a label smoothing's floor) in 200 steps; or the model has nothing to train (also
    with ``learn_only``, when the loss itself cannot be computed). Trains deep copies of ``model``;
    returns the finding (or None) and what was measured."""
    from fitwatch.preflight.state import copy_setup

    n = min(OVERFIT_SAMPLES, len(y))
    xb = tuple(v[:n] for v in x) if isinstance(x, tuple) else x[:n]
    yb = y[:n]
    frozen = _cannot_learn(model)
    if frozen is not None:
        return finding("cannot_overfit_batch", "critical", {"samples": n}, frozen, ["overfit_bug"]), {}
    if learn_only:
        return None, {}
    level = _batch_no_skill(task, yb)
    if level is None or level <= task.floor:
        return None, {"skipped": f"no no-skill level known for {task.loss}"}
    goal = task.floor + OVERFIT_SHARE * (level - task.floor)  # label smoothing: the floor is not 0
    tries = []
    for lr in OVERFIT_LRS:
        twin = copy_setup(model, None)[0]
        got = _fit_few(twin, loss_fn, xb, yb, lr, goal)
        if isinstance(got, str):
            ev = {"samples": n}
            return finding("cannot_overfit_batch", "critical", ev, got, ["overfit_bug"]), ev
        tries.append((lr, *got))
        if got[1] <= goal:
            return None, {"samples": n, "lr": lr, "start_loss": got[0], "end_loss": got[1], "steps": got[2]}
    lr, first, end, steps = min(tries, key=lambda t: t[2] if math.isfinite(t[2]) else math.inf)
    ev = {"samples": n, "steps": steps, "start_loss": first, "end_loss": end, "no_skill_loss": level,
          "optimizer": "Adam", "lrs_tried": list(OVERFIT_LRS)}
    if task.floor:
        ev["lowest_possible_loss"] = task.floor
    reach = f"about {task.floor:.3g} (the label smoothing's floor)" if task.floor else "about 0"
    if not all(math.isfinite(v) for v in (first, end)):
        return finding("cannot_overfit_batch", "warning", ev,
                       f"The loss of {n} training samples is {first:.3g} at the start and {end:.3g} after {steps} "
                       "Adam steps: not a number, so nothing can be learned (NaN or infinite inputs or targets, "
                       "or a loss that overflows).", ["check_data", "overfit_bug"]), ev
    return finding("cannot_overfit_batch", "warning", ev,
                   f"The model cannot fit {n} samples: after {steps} Adam steps (at lr 1e-2 and at 1e-3) their loss "
                   f"went from {first:.3g} to {end:.3g} at best ({100 * end / level:.0f}% of the no-skill level "
                   f"{level:.3g}), where a working set-up reaches {reach}.",
                   ["overfit_bug", "loss_fit", "larger_model"]), ev


def _cannot_learn(model) -> str | None:
    """Why ``model`` cannot learn whatever the loss: no parameters (layers kept in a plain list or
    dict are not registered), or every one frozen; None when some parameter trains."""
    params = list(model.parameters())
    if not params:
        return ("The model has no parameters: model.parameters() is empty, so no optimizer can train it. Layers "
                "kept in a plain Python list or dict are not registered: use nn.ModuleList / nn.ModuleDict "
                "(or nn.Sequential).")
    if not any(p.requires_grad for p in params):
        return "The model has no trainable parameters (every requires_grad is False): it cannot learn."
    return None


def _fit_few(twin, loss_fn, xb, yb, lr: float, target: float):
    """Train ``twin`` on one batch: (first loss, final loss in eval mode, steps), or why it cannot learn."""
    import torch

    opt = torch.optim.Adam([p for p in twin.parameters() if p.requires_grad], lr=lr)
    first, steps, mark = None, 0, None
    for steps in range(1, OVERFIT_STEPS + 1):
        twin.train()
        opt.zero_grad(set_to_none=True)
        loss = loss_of(loss_fn, forward(twin, xb), yb)
        if not loss.requires_grad:
            return "The loss has no gradient (the output is detached from the model's parameters): nothing is learned."
        value = float(loss.detach())
        first = value if first is None else first
        if not math.isfinite(value):
            break
        loss.backward()
        opt.step()
        if steps % 40 == 0:  # done, or stuck: no 5 % gained over the last 40 steps
            if value <= target * 0.5 or (mark is not None and value > 0.95 * mark):
                break
            mark = value
    twin.eval()
    with torch.no_grad():
        end = float(loss_of(loss_fn, forward(twin, xb), yb))
    return first, end if math.isfinite(end) else math.inf, steps


def _batch_no_skill(task: Task, yb) -> float | None:
    """The loss of the batch's best constant prediction: its targets' variance for a regression; for
    a classifier the start a uniform guess gives (:func:`expected_start`)."""
    if task.kind == "regression":
        y = yb.detach().float().cpu().numpy()
        return float(np.var(y.reshape(len(y), -1), axis=0).mean())
    return expected_start(task)


def eval_mode(twin, x, tol: float = 1e-3) -> object | None:
    """``eval_mode``: in evaluation mode the output is random (dropout left on: ``F.dropout`` without
    ``training=self.training``) or one sample's output depends on the others in its batch (batch norm
    using the batch's statistics). ``tol``: the share of the outputs' mean size they may differ by (a
    matrix product of another batch size rounds differently, by 1e-5 of it; dropout or batch statistics
    change outputs by tenths)."""
    import torch

    n = len(x[0]) if isinstance(x, tuple) else len(x)
    if n < 4:
        return None
    twin.eval()
    with torch.no_grad():
        torch.manual_seed(1)
        a = forward(twin, x)
        torch.manual_seed(2)
        b = forward(twin, x)
        half = tuple(v[:n // 2] for v in x) if isinstance(x, tuple) else x[:n // 2]
        torch.manual_seed(1)
        c = forward(twin, half)
    if not (isinstance(a, torch.Tensor) and isinstance(c, torch.Tensor)):
        return None
    scale = float(a.float().abs().mean()) + 1e-12
    random_diff = float((a.float() - b.float()).abs().max()) / scale
    batch_diff = float((a[:n // 2].float() - c.float()).abs().max()) / scale
    kinds = sorted({type(m).__name__ for m in twin.modules()
                    if "Dropout" in type(m).__name__ or "BatchNorm" in type(m).__name__})
    ev = {"random_in_eval": random_diff, "batch_dependence_in_eval": batch_diff, "modules": kinds or None}
    if random_diff > tol:
        return finding("eval_mode", "warning", ev,
                       f"In evaluation mode (model.eval()) the same batch gives different outputs twice (they "
                       f"differ by {random_diff:.3g} of their size): dropout stays on in evaluation, so the "
                       "validation loss is noisy and too high.", ["eval_dropout"])
    if batch_diff > tol:
        return finding("eval_mode", "warning", ev,
                       f"In evaluation mode a sample's output depends on the other samples of its batch (it "
                       f"changes by {batch_diff:.3g} of the outputs' size with half the batch): batch norm uses "
                       "the batch's statistics in evaluation, so validation results depend on the batch size.",
                       ["eval_dropout"])
    return None


__all__ = ["BINARY", "CLASSIFICATION", "REGRESSION", "eval_mode", "initial_loss", "loss_error", "loss_output",
           "loss_summed", "overfit_batch", "summed_over"]


def _layer_names(names: list[str]) -> list[str]:
    """Parameter names -> their modules' names, in order, once each (``(model)`` for the model's own)."""
    return list(dict.fromkeys(n.rpartition(".")[0] or "(model)" for n in names))


def optimizer_params(model, optimizer) -> object | None:
    """``not_updated``: parameters that train (``requires_grad``) but that the optimizer does not hold, or holds in
    a param group at learning rate 0: they get gradients and never move (a tenth trial's optimizer given the last
    layer only passed every check). None without an optimizer that lists its parameters."""
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list):
        return None
    lr_of = {id(p): _stays_at_zero(g) for g in groups if isinstance(g, dict) for p in g.get("params", ())}
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    missing = [n for n, p in trainable if id(p) not in lr_of]
    still = [n for n, p in trainable if lr_of.get(id(p)) is True]
    if not trainable or not (missing or still):
        return None
    size = {n: p.numel() for n, p in trainable}
    left = sum(size[n] for n in missing + still)
    layers = _layer_names(missing + still)
    ev = {"layers": layers, "not_in_optimizer": _layer_names(missing) or None, "at_lr_0": _layer_names(still) or None,
          "parameters_left": left, "parameters_trainable": sum(size.values())}
    where = ("not in the optimizer" if not still else "in a param group at learning rate 0" if not missing
             else "not in the optimizer or at learning rate 0")
    return finding("not_updated", "warning", ev,
                   f"{'Layers' if len(layers) > 1 else 'Layer'} {', '.join(layers[:6])}"
                   f"{' and more' if len(layers) > 6 else ''} ({left:,} of {sum(size.values()):,} trainable "
                   f"parameters) {'are' if len(layers) > 1 else 'is'} {where}: "
                   f"{'they get' if len(layers) > 1 else 'it gets'} gradients and will never move.",
                   ["optimizer_params"])


def _stays_at_zero(group: dict) -> bool:
    """A param group's learning rate is 0 and no scheduler will raise it: a warm-up from 0 (``LambdaLR`` at
    ``step / warmup``, Hugging Face's linear schedule) sets ``lr`` to 0 and keeps the rate it rises to in
    ``initial_lr`` (an attack: every such optimizer was told its layers would never move)."""
    def value(x):
        try:
            return float(x)  # (a tensor learning rate too)
        except (TypeError, ValueError, RuntimeError):
            return None
    return value(group.get("lr")) == 0 and not (value(group.get("initial_lr")) or 0) > 0


def frozen_layers(model) -> object | None:
    """``frozen_layers`` (information): parameters with ``requires_grad=False``, which never train: what a fine-tune
    of a pretrained backbone means to do, and a slip otherwise (a tenth trial's two frozen layers got a generic
    'cannot overfit a batch')."""
    named = list(model.named_parameters())
    frozen = [(n, p.numel()) for n, p in named if not p.requires_grad]
    if not frozen or len(frozen) == len(named):
        return None
    total, left = sum(p.numel() for _, p in named), sum(k for _, k in frozen)
    layers = _layer_names([n for n, _ in frozen])
    return finding("frozen_layers", "info", {"layers": layers, "parameters_frozen": left, "parameters": total},
                   f"{'Layers' if len(layers) > 1 else 'Layer'} {', '.join(layers[:6])}{' and more' if len(layers) > 6 else ''} "
                   f"({left:,} of {total:,} parameters) {'are' if len(layers) > 1 else 'is'} frozen "
                   f"(requires_grad=False): never trained. Fine when you meant it (a pretrained backbone).",
                   ["unfreeze"])
