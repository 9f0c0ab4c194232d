"""What an optimizer step does, read by the PyTorch probes (:class:`StepProbe`, a part of
:class:`fitwatch.probes.torch_watch.TorchWatcher`).

On a sampled training step, the next step of the model's torch optimizer (a global step pre-hook, and a
post-hook) records:

* the learning rate of the param group that holds the model (``lr``), and the norm of the model's gradient
  as the step takes it (``grad_at_step``: 0 when ``zero_grad()`` ran between ``backward()`` and ``step()``,
  so the step applied nothing), and the backward pass's gradient norm over it (``grad_scale``: a power of 2
  when a loss scaler, ``torch.amp.GradScaler``, scaled the loss and unscaled the gradients before the step);
* over every backward pass until that optimizer's next step, what the pass found left of the same parameter's
  gradient (``grad_carried``: the smallest ratio of the old gradient's norm to the new one's over the window; 0
  once any ``zero_grad()`` cleared it, above 0 when none did: a forgotten ``zero_grad()``). A GAN's passes through
  a model stepped just before add to its gradient harmlessly, and its own pass clears it: the window's smallest is 0;
* once the step has run (the post-hook: a closure, as Lightning and LBFGS pass, runs inside ``step``), the update
  of each layer at the next forward pass (``update_ratio``), and whether a torch optimizer stepped over the
  measured stretch (``stepped``: under gradient accumulation a micro-batch takes no step, and its update of exactly
  0 is no evidence of a rate too small; the diagnosis leaves such samples out once the run shows it steps).

Every value stays a tensor on its device (no host synchronisation).
"""

from __future__ import annotations

import sys

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook

from fitwatch.probes.names import INPUT, OPTIMIZER, PER_LAYER
from fitwatch.probes.regularisation import optimizer_weight_decay

__all__ = ["StepProbe"]


def _grad_scaler(depth: int = 16):
    """The loss scaler (``torch.amp.GradScaler``, enabled) whose ``step`` called this optimizer step, else None: read
    off the stack, at a sampled step only."""
    f = sys._getframe(1)
    for _ in range(depth):
        if f is None:
            return None
        if f.f_code.co_filename.endswith("grad_scaler.py"):
            scaler = f.f_locals.get("self")
            return scaler if getattr(scaler, "_enabled", False) and getattr(scaler, "_scale", None) is not None \
                else None
        f = f.f_back
    return None


class _Carry:
    """One ``grad_carried`` check: the hook on its parameter, the optimizer whose next step ends it, the smallest
    ratio seen so far."""

    __slots__ = ("handle", "opt", "step", "low", "done")

    def __init__(self, opt, step: int):
        self.handle, self.opt, self.step, self.low, self.done = None, opt, step, None, False


class StepProbe:
    """The optimizer side of the watcher: it reads ``self._param_ids``, ``self._params``, ``self._snap`` and
    records through ``self._put``."""

    meta: dict
    _temp: list  # the watcher's hook handles of a sampled pass, removed at the next forward pass
    _dropouts: list  # the model's dropout modules with p > 0, and its batch norms with running statistics: what
    _batch_norms: list  # eval() switches
    _eval_off: dict | None = None  # an armed evaluation-mode pass with gradients: what it had switched off
    model: object
    step: int
    _opt_hooks: tuple = ()  # the global pre- and post-hooks of the sampled step's optimizer step
    _stepped = False  # that optimizer stepped since the sampled step (its update can be measured)
    _opt_seen = False  # a torch optimizer stepped this model once (else updates are hand-written, or Keras's)
    _lr_step: int | None = None  # the sampled step whose learning rate the next optimizer step gives
    _step_opt = None  # the optimizer whose step is under way (its post-hook sets _stepped)
    _carry: _Carry | None = None
    _grad_total = None  # (step, the norm of its whole backward gradient): set by the watcher's gradient statistics

    def _arm_step(self, step: int) -> None:
        """The sampled step ``step``: its optimizer's next step is to be read."""
        self._lr_step = step
        self._stepped = False
        for h in self._opt_hooks:
            h.remove()
        self._opt_hooks = (register_optimizer_step_pre_hook(lambda opt, a, kw: self._optimizer(opt)),
                           register_optimizer_step_post_hook(lambda opt, a, kw: self._optimizer_done(opt)))

    def _arm_eval_step(self) -> None:
        """A sampled forward pass in evaluation mode with gradients on, in a model whose dropout modules are all in
        evaluation mode (or, without dropout, its batch norm) and none of whose parameters is frozen (a linear probe
        on a frozen backbone in eval() is deliberate): if a backward pass goes through its output (``_post``) and a
        step of an optimizer holding the model follows before the next forward pass, it was a training step in
        evaluation mode (``eval_mode_steps``; what was off: ``eval_mode_off``)."""
        drops, norms = self._dropouts, self._batch_norms
        if not self._params or not drops and not norms or any(m.training for m in (*drops, *norms)) \
                or any(not q.requires_grad for q in self.model.parameters()):
            return
        self._eval_off = {"dropout": max(float(m.p) for m in drops) if drops else None, "batch_norm": bool(norms)}
        if not drops:  # batch norm alone in eval(): frozen on purpose, unless it never saw a batch in training mode
            self._put(self.step, INPUT, "bn_batches", norms[0].num_batches_tracked.detach().float())
            self._put(self.step, INPUT, "bn_mean", norms[0].running_mean.detach().abs().max().float())  # (0: as made)

    def _arm_eval_output(self, out) -> None:
        """The armed evaluation-mode pass's output: its backward and the optimizer's next step count it."""
        off, self._eval_off = self._eval_off, None
        if off is None or out is None or not out.requires_grad:
            return
        seen: list = []
        self._temp.append(out.register_hook(lambda g: seen.append(True)))
        self._temp.append(register_optimizer_step_pre_hook(lambda opt, a, kw: self._eval_stepped(opt, seen, off)))

    def _eval_stepped(self, opt, seen: list, off: dict) -> None:
        if seen and any(id(q) in self._param_ids for g in opt.param_groups for q in g["params"]):
            seen.clear()
            self.meta["eval_mode_steps"] = self.meta.get("eval_mode_steps", 0) + 1
            self.meta["eval_mode_off"] = off

    def _clear_step(self) -> None:
        """At a forward pass: the hooks whose work is done go (not while torch iterates over them)."""
        carry = self._carry
        if carry is not None and carry.done:
            if carry.handle is not None:
                carry.handle.remove()
            self._carry = carry = None
        if self._stepped and carry is None and self._opt_hooks:
            for h in self._opt_hooks:
                h.remove()
            self._opt_hooks = ()

    def _measurable(self) -> bool:
        """The sampled step's update can be measured now: its optimizer stepped since, or no torch optimizer was
        ever seen stepping the model (a hand-written update, a Keras model's own; ``stepped`` says which)."""
        return self._stepped or not self._opt_seen

    def _optimizer(self, opt) -> None:
        self._end_carry(opt)
        step, self._lr_step = self._lr_step, None
        if step is None:
            return
        for group in opt.param_groups:
            if any(id(p) in self._param_ids for p in group["params"]):
                self.meta.setdefault("optimizer", type(opt).__name__)
                scaler = _grad_scaler()
                if scaler is not None:  # its factor is in the backward's gradients: the one it scaled this step by
                    self.meta["loss_scaler"] = True
                    self._put(step, OPTIMIZER, "loss_scale", scaler._scale.detach().float().reshape(()))
                if "weight_decay" not in self.meta and (decay := optimizer_weight_decay(opt)) > 0:
                    self.meta["weight_decay"] = decay
                self.meta["regularisation_watched"] = True  # its dropout modules and weight decay are known
                lr = group.get("lr")
                if isinstance(lr, torch.Tensor):
                    lr = lr.detach()
                if lr is not None:
                    self._put(step, OPTIMIZER, "lr", lr)
                self._step_opt = opt
                self._arm_carried(step, opt, group)
                return
        self._lr_step = step  # another optimizer (a GAN's other model): wait for this model's

    def _optimizer_done(self, opt) -> None:
        if opt is self._step_opt:
            self._step_opt = None
            self._stepped = self._opt_seen = True

    @torch.no_grad()
    def _arm_carried(self, step: int, opt, group: dict) -> None:
        """The step's gradient, and the check of what the backward passes until this optimizer's next step find left
        of it (unless the last check is still under way)."""
        mine = [q for q in group["params"] if id(q) in self._param_ids]
        if not mine:
            return
        grads = [q.grad.detach().float() for g in opt.param_groups for q in g["params"]
                 if id(q) in self._param_ids and q.grad is not None and not q.grad.is_sparse]
        at = torch.stack(torch._foreach_norm(grads)).norm() if grads else 0.0
        self._put(step, OPTIMIZER, "grad_at_step", at)
        total = self._grad_total
        if grads and total is not None and total[0] == step:  # backward's gradient over the step's: a loss scaler's
            self._put(step, OPTIMIZER, "grad_scale", total[1] / at.clamp_min(1e-30))  # factor (GradScaler unscales)
        p = next((q for q in mine if q.requires_grad), None)
        if p is None:
            return  # all frozen this step (a GAN's discriminator during the generator's)
        if self._carry is not None:
            if not self._carry.done:
                return  # the last check's window is still open
            self._carry.handle.remove()  # (done; an optimizer hook may remove a tensor hook)
        carry = self._carry = _Carry(opt, step)
        carry.handle = p.register_hook(lambda new, p=p: self._carried(p, new))

    @torch.no_grad()
    def _carried(self, p, new: torch.Tensor) -> None:
        carry = self._carry
        if carry is None or carry.done:
            return
        old = p.grad
        if old is None or old.is_sparse or new.is_sparse:
            ratio = new.new_zeros((), dtype=torch.float32)
        else:
            ratio = torch.linalg.vector_norm(old.detach().float()) / \
                torch.linalg.vector_norm(new.detach().float()).clamp_min(1e-30)
        carry.low = ratio if carry.low is None else torch.minimum(carry.low, ratio)

    def _end_carry(self, opt) -> None:
        """This optimizer's next step: the check's window ends; its smallest ratio is recorded."""
        carry = self._carry
        if carry is not None and not carry.done and carry.opt is opt:
            carry.done = True
            if carry.low is not None:
                self._put(carry.step, OPTIMIZER, "grad_carried", carry.low)

    @torch.no_grad()
    def _updates(self) -> None:
        """Each layer's update-to-weight ratio over the sampled step: ``||w' - w|| / ||w||``, and whether a torch
        optimizer stepped over it."""
        snap, step = self._snap, self._snap_step
        self._snap = None
        if self._grads:  # a backward pass that did not reach every parameter: what it reached
            self._grad_stats(step)
        diff = torch.stack(torch._foreach_norm(torch._foreach_sub([p.detach() for p in self._params], snap))).float()
        weights = self._per_layer(self._snap_norms).clamp_min(1e-30)
        self._put(step, PER_LAYER, "update_ratio", self._per_layer(diff) / weights)
        self._put(step, OPTIMIZER, "stepped", 1.0 if self._stepped else 0.0)

    def _close_step(self) -> None:
        if self._carry is not None:
            self._carry.done = True
        self._stepped = True
        self._clear_step()
