"""Causes inside the model: gradients that vanish or explode, dead or saturated units, a poor
initialisation, a learning rate too high or too low. Each rule reads :class:`Inside` and returns a
:class:`Finding` with its evidence (layers, numbers, the step), or None."""

from __future__ import annotations

import numpy as np

from fitwatch.diagnosis.causes import limits as L
from fitwatch.diagnosis.causes.view import View, cause, fmt
from fitwatch.diagnosis.findings import Finding
from fitwatch.diagnosis.inside import unscaled_cut


def _first_last(v: View) -> tuple[str, str] | None:
    layers = [n for n in v.inside.layers if v.inside.has(n, "grad_norm")]
    return (layers[0], layers[-1]) if len(layers) >= 3 else None


def grads_not_zeroed(v: View) -> Finding | None:
    """Between two steps of the optimizer, no backward pass found the gradient cleared (``grad_carried``, median of
    the checks, above ``CARRIED_GRAD``): ``zero_grad()`` is missing, and every step applies the sum of all earlier
    gradients. A tenth trial's loop without it diverged and was told to lower its learning rate. Gradient
    accumulation clears them after each step, and a GAN's own pass clears what the other model's added: 0."""
    steps, carried = v.inside.pooled("grad_carried")
    if carried.size < 2 or float(np.median(carried)) < L.CARRIED_GRAD:
        return None
    last = int(np.argmax(steps))
    ev = {"grad_carried": float(np.median(carried)), "grad_carried_last": float(carried[last]),
          "last_step": int(steps[last]), "checks": int(carried.size)}
    return cause("grads_not_zeroed", v, ev,
                 f"The gradients are not cleared between optimizer steps: every backward pass between two steps added "
                 f"to the gradient left from before ({fmt(ev['grad_carried'])} times the new one's at least, typically; "
                 f"{fmt(ev['grad_carried_last'])} times at step {ev['last_step']}), so every step applies the sum of "
                 f"all earlier gradients and the steps grow as the run goes: optimizer.zero_grad() is missing.",
                 ["zero_grad"])


def grads_cleared(v: View) -> Finding | None:
    """The optimizer stepped with no gradient: at every sampled step (2 or more) the gradient its step took was 0
    (``grad_at_step``) while the backward pass had computed one (a layer's ``grad_norm`` above 0): ``zero_grad()``
    runs between ``loss.backward()`` and ``optimizer.step()`` (an attack's loop was told its rate was too low)."""
    ins = v.inside
    _, at = ins.pooled("grad_at_step")
    grads = [g for n in ins.layers if (g := ins.typical(n, "grad_norm")) is not None]
    if at.size < 2 or np.any(at > 0) or not grads or max(grads) <= 0:
        return None
    return cause("grads_cleared", v, {"grad_at_step": 0.0, "checks": int(at.size), "grad_norm": max(grads)},
                 f"The optimizer steps with no gradient: at each of {at.size} sampled steps the gradient its step took "
                 f"was 0, while the backward pass had computed one (norm {fmt(max(grads))}): zero_grad() runs between "
                 f"loss.backward() and optimizer.step(), so the weights never move.",
                 ["zero_grad_order"])


def no_eval_mode(v: View) -> Finding | None:
    """Validation ran with the model in training mode: more of its validation values were logged after forward passes
    without gradients in training mode (``val_in_train_mode``, counted) than after one in evaluation mode (one final
    eval() no longer hides the rest), in a model whose dropout or batch norm acts differently in training (a tenth
    trial's loop without model.eval() got no word of it; a FixMatch loop's pseudo-labels under no_grad, validated on its
    EMA model in eval(), is no such loop)."""
    m = v.inside.meta
    train, evals = int(m.get("val_in_train_mode") or 0), int(m.get("val_in_eval_mode") or 0)  # (counts; True: 1)
    if train <= evals or v.val is None:
        return None
    what = []
    if m.get("dropout"):
        what.append(f"dropout (p={m['dropout']:g}) still drops units")
    if m.get("batch_norm"):
        what.append("batch norm normalises each validation batch by its own statistics and moves its running "
                    "averages with it")
    if not what:
        return None
    grad = bool(m.get("val_with_grad"))  # no torch.no_grad() either: each pass also builds a graph never used
    passes = ("with gradients on and no backward pass through them" if grad else "without gradients")
    also = " (and torch.no_grad(), which saves the memory of a graph never used)" if grad else ""
    never = "never after one in evaluation mode" if not evals else f"{train} of {train + evals} times"
    return cause("no_eval_mode", v, {"dropout": m.get("dropout"), "batch_norm": bool(m.get("batch_norm")),
                                     "with_gradients": grad, "val_in_train_mode": train, "val_in_eval_mode": evals},
                 f"Validation ran with the model in training mode: its values were logged after forward passes "
                 f"{passes} with model.training on, {never}, so "
                 f"{' and '.join(what)}. The validation loss is noisier, and usually higher, than the model's: "
                 f"model.eval() is missing{also}.",
                 ["eval_mode"])


def no_train_mode(v: View) -> Finding | None:
    """The model trained in evaluation mode: at 2 or more sampled forward passes in evaluation mode with gradients on,
    in a model with no frozen parameter whose dropout modules were all in evaluation mode (or, without dropout, its
    batch norm, never run in training mode and its running mean still 0: otherwise frozen on purpose, or loaded from a
    checkpoint without its counter), a backward pass went through the output and an optimizer holding the model stepped before the next
    forward pass (``eval_mode_steps``; what was off: ``eval_mode_off``). An eleventh trial's loop that called
    model.eval() for validation and never model.train() again (dropout 0.5) got no word of it."""
    m = v.inside.meta
    steps, off = m.get("eval_mode_steps") or 0, m.get("eval_mode_off") or {}
    fresh = np.concatenate([v.inside.series("input", "bn_batches"), v.inside.series("input", "bn_mean")])
    if steps < 2 or not off.get("dropout") and (fresh.size < 2 or fresh.max() > 0):  # batch norm alone: as made
        return None
    what = []
    if off.get("dropout"):
        what.append(f"dropout (p={off['dropout']:g}) dropped nothing")
    if off.get("batch_norm"):
        what.append("batch norm normalised by running statistics that training never updated")
    if not what:
        return None
    return cause("no_train_mode", v, {"eval_mode_steps": steps, **off},
                 f"The model trained in evaluation mode: at {steps} of the sampled forward passes, model.training "
                 f"was off and a backward pass and optimizer.step() followed, so {' and '.join(what)}. "
                 f"model.train() is missing before training (each epoch, after validation's model.eval()).",
                 ["train_mode"])


def weight_decay_too_high(v: View) -> Finding | None:
    """Weight decay held the weights near 0: in a run with weight decay that did not learn (``not_learning`` or
    ``underfitting``), the layers' weights ended (median over the last half of the sampled steps) at
    ``WEIGHTS_SHRUNK`` (a fifth) of their initial size or less, the median over layers. An eleventh trial's
    weight_decay=0.5 was told to lower its learning rate; SGD at 0.5 here stuck at chance, told to raise it."""
    ins = v.inside
    decay = ins.meta.get("weight_decay") or 0
    if decay <= 0 or v.verdict not in ("not_learning", "underfitting"):
        return None
    shrunk = {}
    for n in ins.layers:
        first, late = ins.first(n, "weight_norm"), ins.late(n, "weight_norm")
        if first and late is not None and ins.series(n, "weight_norm").size >= 3:
            shrunk[n] = late / first
    if not shrunk or float(np.median(list(shrunk.values()))) > L.WEIGHTS_SHRUNK:
        return None
    share = float(np.median(list(shrunk.values())))
    lr = ins.late("optimizer", "lr")
    return cause("weight_decay_too_high", v, {"weight_decay": decay, "weight_shrink": share, "lr": lr,
                                              "optimizer": ins.meta.get("optimizer")},
                 f"Weight decay holds the weights near 0: at weight_decay={fmt(decay)}"
                 + (f" (lr={fmt(lr)})" if lr is not None else "")
                 + f" the layers' weights shrank to {100 * share:.2g}% of their initial size (median over layers) "
                 f"while the loss stayed high: the decay outweighs the loss's gradient.", ["weight_decay_down"])


def small_batch_norm(v: View) -> Finding | None:
    """Batch norm over tiny batches: the model's first batch-norm module, in training mode, normalised batches of
    ``BN_SMALL_BATCH`` (4) samples or fewer (the median over the sampled training steps of its input's first
    dimension, ``bn_batch``), in a run that went wrong (not ``good_fit``, ``still_improving`` nor ``overfitting``, whose
    small-batch noise regularises if anything). An eleventh trial's BatchNorm at batch 2 was told its gradients
    exploded."""
    batch, values = v.inside.typical("input", "bn_batch"), v.inside.typical("input", "bn_values")
    if batch is None or batch > L.BN_SMALL_BATCH or v.verdict in ("good_fit", "still_improving", "overfitting"):
        return None
    return cause("small_batch_norm", v, {"batch_size": batch, "values_per_channel": values},
                 f"Batch norm over batches of {batch:g}: each training batch is normalised by the mean and variance "
                 f"of {batch:g} samples, noise that the running averages used in evaluation do not have"
                 + (" (over 2 values every feature becomes -1 or +1, whatever its values)" if values == 2 else "")
                 + ". Train on larger batches, or normalise without the batch.", ["bn_batch"])


def schedule_too_fast(v: View) -> Finding | None:
    """The learning rate died early under a schedule stepped at each batch: the optimizer's rate fell between two
    sampled steps of the same epoch (an epoch's scheduler changes it only between epochs:
    ReduceLROnPlateau's cuts after a run converged are no fault), and it was under ``LR_GONE`` (1/100) of its peak on
    ``LR_GONE_SHARE`` (half) or more of the sampled steps (4 or more). A StepLR stepped at each batch, its step_size
    and gamma meant for epochs, plateaued at epoch 3 of 20 and was told to use a learning-rate schedule."""
    ins = v.inside
    key = next((k for k in ins.values if k[1] == "lr" and k[0].endswith("optimizer")), None)
    if key is None:
        return None
    steps, epochs, lr = (np.asarray(ins.values[key][c]) for c in ("step", "epoch", "value"))
    order = np.argsort(steps, kind="stable")
    steps, epochs, lr = steps[order], epochs[order], lr[order].astype(float)
    if lr.size < 4 or not np.all(np.isfinite(lr)) or lr.max() <= 0:
        return None
    within = int(np.sum((epochs[1:] == epochs[:-1]) & (lr[1:] < lr[:-1] * (1 - 1e-9))))
    gone = lr <= L.LR_GONE * lr.max() * (1 + 1e-6)  # (1/100 of it, as MultiStepLR's two cuts by 0.1 give, counts)
    if within < 1 or gone.mean() < L.LR_GONE_SHARE:
        return None
    at = int(steps[np.argmax(gone)])
    return cause("schedule_too_fast", v, {"lr_peak": float(lr.max()), "lr_end": float(lr[-1]), "gone_from_step": at,
                                          "share_gone": float(gone.mean()), "cuts_within_epochs": within},
                 f"The learning rate died early: it fell from {fmt(float(lr.max()))} to under {L.LR_GONE:g} of that by "
                 f"step {at}, falling within epochs, and ends at {fmt(float(lr[-1]))}; {100 * gone.mean():.0f}% of the "
                 f"sampled steps ran at such a rate and changed little. A scheduler stepped at each batch when its "
                 f"settings count epochs?", ["schedule_per_epoch"])


#: optimizers whose step is (about) the same whatever the gradient's scale (names lowercased, as substrings)
_SCALE_FREE = ("adam", "rmsprop", "adagrad", "adadelta", "adafactor", "lion", "sophia", "lamb", "lars", "rprop")


def clip_too_tight(v: View) -> Finding | None:
    """Gradient clipping made the steps too small: the evidence of ``lr_too_low`` (updates under ``UPDATE_LOW`` of the
    weights a step, the loss barely moving), with the optimizer stepping at 3 or more sampled steps after the first
    with one gradient norm (within ``CLIP_STEADY``: clip_grad_norm_'s max_norm) while the backward pass computed one
    ``CLIP_CUT`` times larger or more (median ``grad_scale``), under an optimizer whose step grows with the gradient
    (SGD, not Adam's family). An eleventh trial's clip at 1e-4 was told to raise its learning rate."""
    typical = _typical_update(v)
    if typical is None or typical >= L.UPDATE_LOW or v.verdict not in ("not_learning", "still_improving",
                                                                      "underfitting"):
        return None
    if any(k in (v.inside.meta.get("optimizer") or "").lower() for k in _SCALE_FREE):
        return None  # (Adam's step does not grow with the gradient's norm: a clip does not shrink it)
    steps, at = v.inside.pooled("grad_at_step")
    cut_steps, cut = v.inside.pooled("grad_scale")
    at = at[steps >= 1]
    by = dict(zip(*(a.tolist() for a in v.inside.pooled("loss_scale"))))  # the scaler's factor at each step
    aligned = np.array([by.get(int(t), np.nan) for t in cut_steps]) if by else None
    times = unscaled_cut(cut, bool(v.inside.meta.get("loss_scaler")), aligned)
    if at.size < 3 or at.min() <= 0 or at.max() / at.min() > L.CLIP_STEADY or times is None or times < L.CLIP_CUT:
        return None
    norm = float(np.median(at))
    return cause("clip_too_tight", v, {"grad_at_step": norm, "clipped_by": times, "update_ratio": typical,
                                       "lr": v.inside.late("optimizer", "lr")},
                 f"Gradient clipping cuts every step: at {at.size} sampled steps the optimizer stepped with a gradient "
                 f"of norm {fmt(norm)} (the clipping threshold's) while the backward pass computed one "
                 f"{fmt(times)} times larger (median), so each step changes the weights by {fmt(typical)} of their "
                 f"size (about 1e-3 is healthy). The learning rate is not what is too low.", ["clip_looser"])


def _later_updates(ins, n: str) -> np.ndarray:
    """A layer's update ratios at every sampled step after the first (the first may come before any step)."""
    u = ins.series(n, "update_ratio")
    return u[~np.isnan(u)][1:] if u.size else u


def not_updated(v: View) -> Finding | None:
    """Layers whose gradients are there (a norm above 0, and within ``VANISH_GRAD_RATIO`` of the moving layers': a
    vanishing gradient can leave a float32 weight unchanged too) but whose weights never move (an update of exactly 0
    at every sampled step after the first), beside a layer that does move: they are left out of
    the optimizer (or frozen after backward). A tenth trial's optimizer given the last layer only was told its
    gradients vanish and to use ReLU, in an all-ReLU model."""
    ins = v.inside
    moving, still = [], []
    for n in ins.layers:
        u = _later_updates(ins, n)
        g = ins.typical(n, "grad_norm")
        if u.size >= 2 and g is not None and g > 0:
            (still if bool(np.all(u == 0)) else moving).append(n)
    # ...and gradients no vanishing makes too small to move a float32 weight: within VANISH_GRAD_RATIO of the moving ones'
    top = max((ins.typical(n, "grad_norm") or 0.0 for n in moving), default=0.0)
    still = [n for n in still if ins.typical(n, "grad_norm") >= L.VANISH_GRAD_RATIO * top]
    if still and not moving and "optimizer" not in ins.meta and len(still) == len(ins.layers):
        ev = {"layers": still, "grad_norms": [ins.typical(n, "grad_norm") for n in still]}
        return cause("not_updated", v, ev,  # (an eleventh trial's kind of slip: optimizer.step() forgotten)
                     f"No layer ever moves (an update of exactly 0 at every sampled step) though every one gets "
                     f"gradients (norm {fmt(ev['grad_norms'][0])}), and no optimizer step was seen: optimizer.step() "
                     f"is missing, or the update goes to copies of the weights.", ["optimizer_step"])
    if not still or not moving:
        return None
    ev = {"layers": still, "moving_layers": moving, "grad_norms": [ins.typical(n, "grad_norm") for n in still]}
    return cause("not_updated", v, ev,
                 f"{'Layers' if len(still) > 1 else 'Layer'} {', '.join(still)} get{'' if len(still) > 1 else 's'} "
                 f"gradients (norm {fmt(ev['grad_norms'][0])}) but {'their' if len(still) > 1 else 'its'} weights never "
                 f"move (an update of exactly 0 at every sampled step), while {', '.join(moving)} learn: "
                 f"{'they are' if len(still) > 1 else 'it is'} not in the optimizer, in a param group at learning rate "
                 f"0, or frozen after backward.",
                 ["optimizer_params"])


def no_gradient(v: View) -> Finding | None:
    """Layers whose gradient is exactly 0 (or never recorded) at every sampled step and whose weights never move: no
    gradient reaches them (the forward runs them under torch.no_grad(), an output detached before the loss, their
    requires_grad off). An eleventh trial's no_grad around a model's body was told its gradients vanish and to use
    ReLU; its detached output, to raise the rate. Dead or symmetric units get no gradient either: they hide this."""
    ins = v.inside
    still, moving = [], []
    for n in ins.layers:
        u = _later_updates(ins, n)
        g = ins.series(n, "grad_norm")
        g = g[~np.isnan(g)]
        if u.size >= 2 and np.all(u == 0) and not np.any(g > 0):
            still.append(n)
        elif u.size >= 2 and np.any(u > 0):
            moving.append(n)
    if not still or "optimizer" not in ins.meta:  # (no optimizer step seen: not_updated's reading)
        return None
    ev = {"layers": still, "moving_layers": moving or None}
    whole = not moving and len(still) == len(ins.layers)
    msg = ("No gradient reaches the model: every layer's gradient is 0 and its weights never move. The loss is not "
           "connected to the model's output (out.detach(), .item() or .numpy() on it, a tensor rebuilt from it, the "
           "forward under torch.no_grad()); loss.requires_grad_(True) silences the error torch would raise."
           if whole else
           f"No gradient reaches {'layers' if len(still) > 1 else 'layer'} {', '.join(still)}: "
           f"{'their' if len(still) > 1 else 'its'} gradient is 0 at every sampled step and {'their' if len(still) > 1 else 'its'} "
           f"weights never move{', while ' + ', '.join(moving) + ' learn' if moving else ''}. The forward runs "
           f"{'them' if len(still) > 1 else 'it'} under torch.no_grad(), detaches {'their' if len(still) > 1 else 'its'} "
           f"output (.detach(), .data), or requires_grad is off.")
    if ins.activations_unseen:  # (compiled: dead units give the same zeros, and its activations were not sampled)
        msg += " Or its units are dead for every sample: this model's activations were not sampled (compiled)."
    return cause("no_gradient", v, ev, msg, ["connect_graph"])


def vanishing_gradient(v: View) -> Finding | None:
    """The layers near the input get gradients orders of magnitude smaller than the last one's:
    AT's ratio (first/last gradient norm < 1e-3, first < 1e-4), or the first layer's updates under
    1e-4 of its weights and 100 times smaller than the last layer's; not when the first layer's
    gradients are mostly exactly 0 (dead or symmetric units: other causes)."""
    ins = v.inside
    ends = _first_last(v)
    if ends is None:
        return None
    first, last = ends
    g1, g2 = ins.typical(first, "grad_norm"), ins.typical(last, "grad_norm")
    u1, u2 = ins.typical(first, "update_ratio"), ins.typical(last, "update_ratio")
    zero = ins.typical(first, "zero_grad") or 0.0
    if g1 is None or g2 is None or zero > L.ZERO_GRAD or g2 <= 0:
        return None
    by_grad = g1 / g2 < L.VANISH_GRAD_RATIO and g1 < L.VANISH_GRAD_FIRST
    by_update = (u1 is not None and u2 is not None and u2 > 0 and u1 < L.VANISH_UPDATE_FIRST
                 and u1 / u2 < L.VANISH_UPDATE_RATIO)
    if not (by_grad or by_update):
        return None
    ev = {"first_layer": first, "last_layer": last, "first_grad_norm": g1, "last_grad_norm": g2,
          "grad_ratio": g1 / g2, "first_update_ratio": u1, "last_update_ratio": u2}
    return cause("vanishing_gradient", v, ev,
                 f"Gradients vanish towards the input: layer {first} gets a gradient norm of {fmt(g1)}, "
                 f"{fmt(g1 / g2)} of the last layer's ({last}: {fmt(g2)}), so its weights move by "
                 f"{fmt(u1)} of their size a step and the early layers barely learn.",
                 ["relu", "init", "batch_norm", "residual"])


def exploding_gradient(v: View) -> Finding | None:
    """Gradients far larger than the weights at the very first step (10 times or more: nothing has
    been updated yet, so the architecture or initialisation makes them), or NaN/infinite gradients
    from a model whose first gradients were already large; with inputs at a normal scale (else the
    input is the cause)."""
    ins = v.inside
    if v.input_scale is not None and v.input_scale > L.INPUT_SCALE:
        return None
    worst, where = 0.0, None
    for n in ins.layers:
        g, w = ins.first(n, "grad_norm"), ins.first(n, "weight_norm")
        if g is not None and w is not None and w > 0 and g / w > worst:
            worst, where = g / w, n
    bad = sum(float(np.nansum(ins.values[(n, "grad_nonfinite")]["value"])) for n in ins.layers
              if ins.has(n, "grad_nonfinite"))
    if where is None or worst < L.EXPLODE_GRAD_TO_WEIGHT:
        return None
    ev = {"layer": where, "grad_to_weight_at_start": worst, "grad_norm": ins.first(where, "grad_norm"),
          "weight_norm": ins.first(where, "weight_norm"), "nonfinite_gradients": bad}
    if ins.broken_at is not None:
        ev["broken_at_step"] = ins.broken_at
    return cause("exploding_gradient", v, ev,
                 f"Gradients explode: at the first step, before any update, layer {where}'s gradient norm is "
                 f"{fmt(worst)} times its weights' ({fmt(ev['grad_norm'])} against {fmt(ev['weight_norm'])})"
                 + (f"; gradients became NaN or infinite from step {ins.broken_at}" if ins.broken_at is not None
                    else "") + ".",
                 ["gradient_clipping", "init", "batch_norm", "lr_down"])


def dead_relu(v: View) -> Finding | None:
    """A ReLU-family layer with more than half its units dead (never active over a sampled batch),
    over the last half of the run (SM DeadRelu), in a run that went wrong; 70 % or more (DD) in any run."""
    ins = v.inside
    rows = [(ins.late(a, "dead"), a) for a in ins.activations if ins.late(a, "dead") is not None]
    share, where = max(rows, key=lambda r: r[0], default=(None, None))  # the first of equal shares
    went_wrong = v.verdict not in ("good_fit", "overfitting", "still_improving")
    if share is None or share <= L.DEAD_SHARE or (share <= L.DEAD_SHARE_ALONE and not went_wrong):
        return None
    dead = [a for a in ins.activations if (ins.late(a, "dead") or 0) > L.DEAD_SHARE]
    first = ins.first(where, "dead")
    ev = {"layer": where, "dead_share": share, "dead_at_start": first, "layers": dead}
    when = ("from the first step (the initialisation or the inputs put them below 0)" if first is not None
            and first > L.DEAD_SHARE else "during training (a large update pushed them below 0)")
    return cause("dead_relu", v, ev,
                 f"{100 * share:.0f}% of the units of {where} ({ins.activations[where]}) are dead, "
                 f"{when}: they output 0 for every sample and get no gradient"
                 + (f"; {len(dead)} layers are so" if len(dead) > 1 else "") + ".",
                 ["leaky_relu", "init", "lr_down", "batch_norm"])


def saturated_activation(v: View) -> Finding | None:
    """A sigmoid/tanh layer (not the model's output) with more than half its outputs within 1 % of
    their bounds over the last half of the run (SM SaturatedActivation)."""
    ins = v.inside
    out = ins.meta.get("output_activation")
    rows = [(ins.late(a, "saturated"), a) for a in ins.activations
            if a != out and ins.activations[a] not in ("Softmax", "LogSoftmax", "Softmin")
            and ins.late(a, "saturated") is not None]
    share, where = max(rows, default=(None, None))
    if share is None or share <= L.SATURATED_SHARE:
        return None
    first = ins.first(where, "saturated")
    ev = {"layer": where, "saturated_share": share, "saturated_at_start": first}
    return cause("saturated_activation", v, ev,
                 f"{100 * share:.0f}% of the outputs of {where} ({ins.activations[where]}) sit at its bounds"
                 f"{' from the first step' if first is not None and first > L.SATURATED_SHARE else ''}: "
                 f"there its gradient is nearly 0, so the layers before it barely learn.",
                 ["init", "relu", "batch_norm", "normalise_inputs"])


def poor_init(v: View) -> Finding | None:
    """Units alike as initialised: a layer (with several units, not the last) whose weights are all
    zero or whose units are copies of each other (their spread under 1e-3 of their size): they get
    the same gradient and stay alike."""
    ins = v.inside
    layers = [n for n in ins.layers if ins.has(n, "unit_spread")]
    for n in layers[:-1] if len(layers) > 1 else []:
        spread, w = ins.first(n, "unit_spread"), ins.first(n, "weight_norm")
        if spread is not None and spread < L.UNIT_SPREAD:
            ev = {"layer": n, "unit_spread": spread, "weight_norm": w}
            what = "all zero" if (w or 0) == 0 else "the same for every unit"
            return cause("poor_init", v, ev,
                         f"The weights of layer {n} start {what}: its units compute the same thing, get the "
                         f"same gradient and never become different (symmetry is not broken).",
                         ["init_random", "init"])
    relus = [a for a in ins.activations if ins.has(a, "dead") and ins.first(a, "std") is not None]  # ReLU family
    if len(relus) >= 2:  # weights too small: the signal shrinks layer by layer from the start
        s0, s1 = ins.first(relus[0], "std"), ins.first(relus[-1], "std")
        alive = (ins.first(relus[-1], "dead") or 0.0) < L.DEAD_SHARE  # units dead from the start: dead_relu's
        if s0 > 0 and s1 / s0 < L.SIGNAL_COLLAPSE and alive:
            ev = {"first_activation": relus[0], "last_activation": relus[-1], "std_first": s0, "std_last": s1}
            return cause("poor_init", v, ev,
                         f"The initial weights are too small: at the first step the activations' spread shrinks "
                         f"from {fmt(s0)} at {relus[0]} to {fmt(s1)} at {relus[-1]}, so the last layers see almost "
                         f"nothing and their gradients vanish.", ["init"])
    return None


def _early_update(v: View) -> float | None:
    """The median over layers of each layer's median update-to-weight ratio over steps 1-16."""
    ins = v.inside
    per = [float(np.median(e)) for n in ins.layers if (e := ins.early(n, "update_ratio")).size]
    return float(np.median(per)) if per else None


def _first_update(v: View) -> float | None:
    """The median over layers of the very first update's size relative to the weights (step 0's
    optimizer step); layers whose weights start at 0 have no such ratio and are left out."""
    ins = v.inside
    per = [float(u[0]) for n in ins.layers if (u := ins.series(n, "update_ratio")).size
           and ins.steps(n, "update_ratio")[0] == 0 and (ins.first(n, "weight_norm") or 0.0) > 0]
    return float(np.median(per)) if per else None


def _killed(v: View) -> tuple[str, float] | None:
    """The ReLU-family layer with most units dead late in the run that were alive at its start."""
    ins = v.inside
    rows = [(late, a) for a in ins.activations if (late := ins.late(a, "dead")) is not None
            and late > L.DEAD_SHARE and (ins.first(a, "dead") or 0.0) <= L.DEAD_SHARE]
    share, where = max(rows, key=lambda r: r[0], default=(None, None))
    return (where, share) if where is not None else None


def _typical_update(v: View) -> float | None:
    """The median over layers that learn (gradients mostly non-zero) of their typical update ratio."""
    ins = v.inside
    per = [u for n in ins.layers if (u := ins.typical(n, "update_ratio")) is not None
           and (ins.typical(n, "zero_grad") or 0.0) <= L.ZERO_GRAD]
    return float(np.median(per)) if per else None


def lr_too_high(v: View) -> Finding | None:
    """The first updates move the weights by a large share of their size: the very first update as
    large as the weights themselves, or half of them over steps 1-16 (alone); a tenth or more (TDC)
    with the curves' symptom of a learning rate too high (unstable, diverged, or a training loss that
    rose above its start); or a hundredth or more in a run that diverged (NaN or infinite weights or
    gradients) from normal first gradients (exploding_gradient is tried first)."""
    early, first = _early_update(v), _first_update(v)
    if early is None:
        return None
    symptom = v.verdict in ("unstable", "diverged") or v.loss_rose
    diverged = v.verdict == "diverged" or v.inside.broken_at is not None
    if not (early >= L.UPDATE_HIGH_ALONE or (first is not None and first >= L.UPDATE_REPLACES)
            or (early >= L.UPDATE_HIGH and symptom) or (early >= L.UPDATE_HIGH_DIVERGED and diverged)):
        return None
    lr = v.inside.late("optimizer", "lr")
    ev = {"early_update_ratio": early, "first_update_ratio": first, "lr": lr,
          "optimizer": v.inside.meta.get("optimizer")}
    killed = _killed(v)
    if killed is not None:
        ev.update(killed_layer=killed[0], dead_share=killed[1])
    return cause("lr_too_high", v, ev,
                 f"The learning rate is too high: the first updates change the weights by {fmt(early)} of "
                 f"their size a step (about 1e-3 is healthy"
                 + (f"; the very first by {fmt(first)}" if first is not None and first >= L.UPDATE_HIGH else "")
                 + ")" + (f", at lr={fmt(lr)}" if lr is not None else "")
                 + (f"; such steps killed {100 * killed[1]:.0f}% of the units of {killed[0]} (alive at the start)"
                    if killed is not None else "") + ".", ["lr_down", "lr_schedule", "gradient_clipping"])


def lr_too_low(v: View) -> Finding | None:
    """Updates under 1e-4 of the weights a step in the layers that learn (TDC), while the loss barely
    moves (not_learning, still_improving or underfitting)."""
    typical = _typical_update(v)
    if typical is None or typical >= L.UPDATE_LOW or v.verdict not in ("not_learning", "still_improving",
                                                                      "underfitting"):
        return None
    lr = v.inside.late("optimizer", "lr")
    ev = {"update_ratio": typical, "lr": lr, "optimizer": v.inside.meta.get("optimizer")}
    return cause("lr_too_low", v, ev,
                 f"The learning rate is too low: each step changes the weights by {fmt(typical)} of their "
                 f"size (about 1e-3 is healthy)" + (f", at lr={fmt(lr)}" if lr is not None else "") + ".",
                 ["lr_up", "lr_range_test"])


def confirmed_lr(v: View, code: str) -> bool:
    """Whether the probes back a learning-rate finding the curves alone made (``lr_too_high`` of an
    unstable or diverged run, ``lr_too_low`` of a smooth flat one): with probes, it stays only when
    the updates agree."""
    if code == "lr_too_high":
        early = _early_update(v)
        return early is not None and early >= L.UPDATE_HIGH
    typical = _typical_update(v)
    return typical is not None and typical < L.UPDATE_LOW
