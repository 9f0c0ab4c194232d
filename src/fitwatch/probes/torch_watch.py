"""Probes on a PyTorch model: hooks attached on sampled steps, values read once an epoch.

A training step is one forward pass of the watched model in training mode (``model.train()``).
Steps 0, 1, 4 and 16 (the model as initialised, its first updates) and every ``every``-th step are
sampled. On a sampled step:

* the forward pass records the input batch's per-feature scale, every activation module's dead and
  saturated shares, mean and spread, and the output's range (is it already a probability?);
* the loss module called on the output (any ``torch.nn`` loss) records what it was given: the
  labels' class counts, the predicted classes and the hits, whether its input was a probability or
  a log-probability, whether the targets are whole numbers;
* the backward pass records each layer's gradient norm, share of exactly-zero gradients and
  non-finite gradient values (tensor hooks on the parameters, removed at the next step);
* the optimizer's next step records the learning rate, the gradient it takes and what the backward
  passes until its next step find left of it (:mod:`fitwatch.probes.torch_step`: a forgotten
  ``zero_grad()``); once it has run, the next forward pass records each layer's update-to-weight
  ratio ``||w' - w|| / ||w||`` against a copy of the weights taken on the sampled step (any optimizer,
  or a hand-written update; under gradient accumulation, over the optimizer's step).

When the run logs a validation value, the mode of the model's last forward pass is noted in ``meta``
(``val_in_train_mode``: a validation loop that forgot ``model.eval()``, ``val_with_grad`` when it forgot
``torch.no_grad()`` too: a pass no backward went through, nor an evaluation-mode pass came after;
``val_in_eval_mode``). A sampled
forward pass in evaluation mode with gradients on (dropout, or batch norm, switched off; no frozen parameter),
followed by a backward pass through its output and a step of an optimizer that holds the model, before the
next forward pass, is a training step in evaluation mode (``meta["eval_mode_steps"]``, counted: a loop that
forgot ``model.train()``; :meth:`StepProbe._arm_eval_step` has the conditions).

Validation forward passes (``model.eval()``) are sampled too, one in ``max(1, every // 10)``, for the
loss's class counts only (``val_labels``): a class never predicted on validation is evidence.

Between sampled steps the only hook left is one forward pre-hook on the model that counts steps.
Every value is a tensor on its device until :meth:`TorchWatcher.collect`, which reads them all in
one transfer per device (no host synchronisation per step).

Example:
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    >>> w = TorchWatcher(model, every=10)
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
    >>> for _ in range(3):
    ...     opt.zero_grad(); torch.nn.CrossEntropyLoss()(model(x), y).backward(); opt.step()
    >>> rows = w.collect()
    >>> sorted({(layer, stat) for _, layer, stat, _ in rows if stat == "grad_norm"})
    [('0', 'grad_norm'), ('2', 'grad_norm')]
    >>> w.meta["loss"], w.meta["optimizer"]
    ('CrossEntropyLoss', 'SGD')
    >>> w.close()
"""

from __future__ import annotations

import time
import warnings

import torch
from torch.nn.modules.module import register_module_forward_hook

from fitwatch.probes.names import (INPUT, OUTPUT, PER_LAYER, RELU_FAMILY, SATURATING, SATURATION, SOFTMAX,
                                   check_every)
from fitwatch.probes.regularisation import torch_regularisation
from fitwatch.probes.torch_compile import eager_hook, forget, uncompiled
from fitwatch.probes.torch_loss import LossProbe, first_tensor, probability_rows
from fitwatch.probes.torch_step import StepProbe

_LAYERS = PER_LAYER


def _others(x: torch.Tensor) -> list[int]:
    """The dimensions of ``x`` that are samples: all but dim 1 (features, channels: the units)."""
    return [0] if x.dim() <= 1 else [d for d in range(x.dim()) if d != 1]


class TorchWatcher(LossProbe, StepProbe):
    """Probe a ``torch.nn.Module`` while it trains.

    Args:
        model: the model (any ``torch.nn.Module``).
        every: sample one training step in ``every`` (and steps 1, 4 and 16). Defaults to
            :func:`fitwatch.probes.default_every`.

    Attributes:
        meta: what the watcher knows of the model: ``every``, ``layers`` (name, type, number of
            parameters, in the model's order), ``activations`` (name, type), and, once seen,
            ``loss`` and ``optimizer`` (class names); ``dropout`` (the largest rate of its dropout
            modules) and, once seen, ``weight_decay`` (the optimizer's), which the diagnosis reads as
            regularisation the run already uses (``regularisation_watched``, once the optimizer was
            seen: neither means none, as far as modules and the optimizer show); ``batch_norm`` (it has batch norm layers); ``val_in_train_mode`` (a
            validation value was logged after a forward pass in training mode without gradients, or with
            them and no backward pass through it (``val_with_grad``): a validation loop that forgot
            ``model.eval()``) and ``val_in_eval_mode``.
        step: training steps seen so far.
        seconds: the time spent in the probes so far (every hook, and :meth:`collect`): what they
            cost the training loop, measured where it is spent.
    """

    def __init__(self, model, every: int | None = None):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"fitwatch: watch() takes a torch.nn.Module, got {type(model).__name__}; "
                            f"for Keras use fitwatch.keras.Callback(..., watch=True)")
        every = check_every(every)
        model = uncompiled(model)  # (torch.compile(model) given: the model it compiles)
        self.model, self.every, self.eval_every = model, every, max(1, every // 10)
        self.step, self.eval_step = 0, 0
        self.idle_said = False  # Run's word that the forward was never called, said once
        layers, acts = self._parts(model)
        self._layers: dict[str, list] = {n: ps for n, (_, ps) in layers.items()}
        self._acts: dict[str, tuple] = acts  # name -> (module, its activation's type: "ReLU", "Sigmoid"...)
        self.meta: dict = {
            "every": every,
            "layers": [{"name": n, "type": kind, "params": sum(p.numel() for p in ps)}
                       for n, (kind, ps) in layers.items()],
            "activations": [{"name": n, "type": kind} for n, (_, kind) in acts.items()],
            **torch_regularisation(model),  # its dropout (the optimizer's weight decay: at its first step)
        }
        self._dropouts = [m for m in model.modules() if isinstance(m, torch.nn.modules.dropout._DropoutNd) and m.p > 0]
        self._batch_norms = [m for m in model.modules()
                             if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
        if any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules()):
            self.meta["batch_norm"] = True  # (with dropout: what a validation pass in training mode changes)
        self._param_ids = {id(p) for ps in self._layers.values() for p in ps}
        # every parameter in one flat list, with its layer's index: per-layer values are computed for
        # all layers at once (fused foreach norms, one index_add), not layer by layer
        self._params = [p for ps in self._layers.values() for p in ps]
        self._owner = [i for i, ps in enumerate(self._layers.values()) for _ in ps]
        # each layer's weight (its first parameter): its share of exactly-zero gradients is read
        self._weights = {i for i, o in enumerate(self._owner) if i == 0 or self._owner[i - 1] != o}
        self._owner_t: dict = {}  # the owner index as a tensor, per device
        self._pending: list[tuple[int, str, str, object]] = []  # (step, layer, stat, tensor or float)
        self._temp: list = []  # hook handles of the sampled step, removed at the next forward
        self._snap: list[torch.Tensor] | None = None  # the weights at the sampled step (for its update)
        self._snap_norms: torch.Tensor | None = None
        self._snap_step = -1
        self._grads: dict[int, torch.Tensor] = {}  # this step's gradients, by parameter position
        # the last step whose gradients were read, its first hooked parameter, the backward passes after its own
        self._graded, self._first_live, self._extra = -1, -1, 0
        self._last_mode: bool | None | str = "unseen"  # the last forward pass's (a training step, evaluation, neither)
        self._loss_split: str | None = None
        self._loss_step = 0  # the step whose loss call is awaited
        self.seconds = 0.0  # time spent in the probes (their hooks and collect), for the overhead benchmark
        self._backed = True  # a backward pass reached the model since its last training-mode pass
        self._eval_since = False  # an evaluation-mode pass came after the last backward pass
        for hook in ("_pre", "_post", "_activation", "_grad", "_loss", "_optimizer", "_optimizer_done", "_carried",
                     "_eval_stepped", "val_logged", "collect", "_backward", "_inner_pre"):
            setattr(self, hook, self._timed(getattr(self, hook)))
        self._handles = [model.register_forward_pre_hook(eager_hook(model, "pre", self._pre)),
                         model.register_forward_hook(eager_hook(model, "post", self._post))]
        # a wrapper's wrapped model (DataParallel, DDP, a user's ``.module``), called directly to validate: its mode
        inner = getattr(model, "module", None)
        self._inner = inner if isinstance(inner, torch.nn.Module) and inner is not model else None
        self._in_wrapper = False  # inside the watched model's own forward pass
        if self._inner is not None:
            self._handles.append(self._inner.register_forward_pre_hook(eager_hook(self._inner, "pre", self._inner_pre)))
        ends = {id(p): p for p in (self._params[:1] + self._params[-1:])}.values()  # a backward reaches one of them
        self._handles += [p.register_post_accumulate_grad_hook(self._backward) for p in ends]
        self._kept_loss_hook()

    def _timed(self, fn):
        """``fn``, adding the time it takes to :attr:`seconds`."""
        clock = time.perf_counter

        def timed(*args, **kwargs):
            t = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += clock() - t

        return timed

    @staticmethod
    def _parts(model):
        """``(layers, activations)``: ``{name: (type, parameters)}`` of the modules that own
        trainable parameters, and ``{name: (module, type)}`` of the activation modules, in the
        model's order (``named_modules``; the model itself is ``(model)``)."""
        layers, acts = {}, {}
        for name, m in model.named_modules():
            kind = type(m).__name__
            params = [p for p in m.parameters(recurse=False) if p.requires_grad]
            if params:
                layers[name or "(model)"] = (kind, params)
            if kind in RELU_FAMILY or kind in SATURATING or kind in SOFTMAX:
                acts[name or "(model)"] = (m, kind)
        return layers, acts

    def _training(self, module, args) -> bool | None:
        """Whether this forward pass is a training step (True), a validation pass (False), or
        neither (a training-mode pass without gradients: None)."""
        if module.training:
            return True if torch.is_grad_enabled() else None
        return False

    # -- sampling ---------------------------------------------------------------------------
    def sampled(self, step: int) -> bool:
        """Step ``step`` is probed: steps 0, 1, 4 and 16 (the model as initialised, its first
        updates), and every ``every``-th."""
        return step % self.every == 0 or step in (1, 4, 16)

    def _clear_temp(self) -> None:
        for h in self._temp:
            h.remove()
        self._temp = []
        self._loss_split = None
        self._clear_step()

    def _pre(self, module, args, compiled: bool = False):
        if module is not self.model:  # a deep copy's (an EMA, AveragedModel) hooks: its passes are not this model's
            return
        self._in_wrapper = True
        if compiled:
            self.meta["compiled"] = True  # (its activations are not sampled: see _arm)
        self._clear_temp()
        if self._snap is not None and self._measurable():
            self._updates()
        mode = self._training(module, args)
        if mode:
            step = self.step
            self.step += 1
            if self.sampled(step):
                self._arm(step, args, compiled)
        elif mode is False:
            if self.eval_step % self.eval_every == 0:
                self._arm_loss(self.step, "val")
                if torch.is_grad_enabled():  # with gradients: is it a training step in evaluation mode?
                    self._arm_eval_step()
            self.eval_step += 1
        self._saw(mode)

    def _saw(self, mode: bool | None) -> None:
        """A forward pass in ``mode`` (:meth:`_training`) is the last one: a training-mode pass waits for a backward
        pass to reach the model's parameters (else it was validation's); an evaluation-mode one came since the last."""
        if mode:
            self._backed = False
        elif mode is False:
            self._eval_since = True
        self._last_mode = mode

    def val_logged(self) -> None:
        """The run logged a validation value: the model's last forward pass was that validation's. One in training
        mode without gradients (``meta["val_in_train_mode"]``, counted) is a validation loop that forgot ``model.eval()``,
        and one in training mode with gradients that no backward pass went through, and after no evaluation-mode
        pass since the last backward (``val_with_grad``), forgot ``torch.no_grad()`` too; one in evaluation mode
        (``val_in_eval_mode``) is the usual."""
        m = self.meta  # (counts: one validation in eval() among many in training mode hides none of them)
        if self._last_mode is None or self._last_mode is True and not self._backed and not self._eval_since:
            m["val_in_train_mode"] = int(m.get("val_in_train_mode", 0)) + 1
            if self._last_mode:  # with gradients, and no backward through it: torch.no_grad() is missing too
                m["val_with_grad"] = int(m.get("val_with_grad", 0)) + 1
        elif self._last_mode is False:
            m["val_in_eval_mode"] = int(m.get("val_in_eval_mode", 0)) + 1

    def _inner_pre(self, module, args, compiled: bool = False) -> None:
        """The wrapped model (``model.module``) called directly, not through the watched wrapper: its mode is what the
        next logged validation value was computed in (an attack's wrapper validated with ``model.module(x)`` in training
        mode and got no ``no_eval_mode``). Nothing is sampled: the wrapper's own passes are the steps."""
        if module is not self._inner or self._in_wrapper:
            return  # (a deep copy's, or a pass through the wrapper, whose hooks saw it)
        self._saw(self._training(module, args))

    def _backward(self, param) -> None:
        """A backward pass reached the model's first or last parameter: the training-mode pass before it was trained
        on (a hook on each, once: no work per forward pass)."""
        self._backed, self._eval_since = True, False

    def _post(self, module, args, output, compiled: bool = False):
        if module is not self.model:
            return
        self._in_wrapper = False
        for h in self._temp[:]:
            if getattr(h, "_fitwatch_forward", False):
                h.remove()
                self._temp.remove(h)
        if self._eval_off is not None:
            self._arm_eval_output(first_tensor(output))
        if self._sampling is not None:
            out = first_tensor(output)
            if out is not None and out.is_floating_point() and self._full:
                self._output(self._sampling, out.detach())
                last = self._last_act  # the model ends in this activation (or a view of it: Flatten, squeeze)
                if last is not None and (last[1] is out or last[1].numel() == out.numel()
                                         and last[1].data_ptr() == out.data_ptr()):
                    self.meta["output_activation"] = last[0]
            self._sampling = None
            self._last_act = None

    _sampling: int | None = None  # the step whose forward pass is being probed
    _samples = 0  # training steps probed so far
    _expected = 0  # the gradients the probed step's backward pass brings (its parameters not frozen)
    _full = True  # this sample also reads the input, the output and the loss's inputs
    _last_act: tuple | None = None  # (name, output) of the last activation module of a probed forward

    def _arm(self, step: int, args, compiled: bool = False) -> None:
        """Attach this step's hooks: activations (not in a ``compiled`` model: torch does not check its module hooks
        after compiling, so hooks added inside it at sampled steps are not seen), gradients, the loss, the optimizer."""
        self._sampling = step
        # what the pipeline feeds the model and the loss (input scale, output range, the loss's inputs)
        # does not change from step to step: read on the first 4 samples, then on one sample in 4
        self._full = self._samples < 4 or self._samples % 4 == 0
        self._samples += 1
        x = first_tensor(args)
        with torch.no_grad():
            if x is not None and x.is_floating_point() and self._full:
                self._input(step, x.detach())
            if self._params:
                params = [p.detach() for p in self._params]
                self._snap = torch._foreach_mul(params, 1.0)  # copies, in one fused call
                self._snap_norms = torch.stack(torch._foreach_norm(params)).float()
                self._snap_step = step
                self._put(step, _LAYERS, "weight_norm", self._per_layer(self._snap_norms))
                bad = (~torch.isfinite(self._snap_norms)).float()
                self._put(step, _LAYERS, "weight_nonfinite", self._by_layer(bad, self._owner_of(bad.device)))
                if step == 0:
                    self._spread(step)
        norm = None if compiled else next((m for m in self._batch_norms if m.training), None)
        if norm is not None:  # how many samples (and values a channel) its batch statistics come from
            h = norm.register_forward_pre_hook(lambda mod, a: self._bn_batch(step, mod, a))
            h._fitwatch_forward = True
            self._temp.append(h)
        for name, (m, kind) in ({} if compiled else self._acts).items():
            h = m.register_forward_hook(
                lambda mod, a, o, name=name, kind=kind: self._activation(step, name, kind, mod, o))
            h._fitwatch_forward = True
            self._temp.append(h)
        self._grads = {}
        live = [(i, p) for i, p in enumerate(self._params) if p.requires_grad]  # (frozen after watch(): no hook)
        self._expected = len(live)
        self._first_live = live[0][0] if live else -1
        for i, p in live:
            self._temp.append(p.register_hook(lambda g, i=i: self._grad(step, i, g)))
        self._arm_loss(step, "train")
        self._arm_step(step)  # its optimizer's next step: the learning rate, the gradients, the update after

    def _arm_loss(self, step: int, split: str) -> None:  # await the loss's call after this pass (_kept_loss_hook)
        self._loss_split, self._loss_step = split, step

    def _kept_loss_hook(self) -> None:
        """One global forward hook for the run, reading a loss module's inputs when a sampled pass awaits them, idle
        while torch compiles (one added at each sampled step recompiled every compiled model); torch's warning that
        global hooks fire for a compiled model's wrapper too is silenced (this one reads loss modules only)."""
        self._handles.append(register_module_forward_hook(
            lambda mod, a, o: None if torch.compiler.is_compiling() or self._loss_split is None
            else self._loss(self._loss_step, mod, a)))
        warnings.filterwarnings("ignore", message=r"Using `torch.compile\(module\)` when there are global hooks")

    # -- what each hook records -------------------------------------------------------------
    def _put(self, step: int, layer: str, stat: str, value) -> None:
        self._pending.append((step, layer, stat, value))

    @torch.no_grad()
    def _input(self, step: int, x: torch.Tensor) -> None:
        x = x.float()
        dims = _others(x)
        mean, std = x.mean(dims), x.std(dims, unbiased=False)
        scale = torch.sqrt(mean ** 2 + std ** 2)
        live = std > 0
        self._put(step, INPUT, "scale_max", scale.max())
        self._put(step, INPUT, "scale_min", torch.where(live, scale, scale.max()).min())
        self._put(step, INPUT, "mean_abs_max", mean.abs().max())
        self._put(step, INPUT, "std_max", std.max())
        self._put(step, INPUT, "std_min", torch.where(live, std, std.max()).min())
        self._put(step, INPUT, "features", float(mean.numel()))

    def _bn_batch(self, step: int, mod, args) -> None:
        x = first_tensor(args)
        if x is not None and x.dim() >= 2 and mod.training:
            self._put(step, INPUT, "bn_batch", float(x.shape[0]))
            self._put(step, INPUT, "bn_values", float(x.numel() // max(1, x.shape[1])))

    @torch.no_grad()
    def _output(self, step: int, out: torch.Tensor) -> None:
        o = out.float()
        self._put(step, OUTPUT, "min", o.min())
        self._put(step, OUTPUT, "max", o.max())
        self._put(step, OUTPUT, "std", o.std(unbiased=False))
        in01, prob, logprob = probability_rows(o)
        if prob is not None:
            self._put(step, OUTPUT, "prob", (in01 & prob).float())
            self._put(step, OUTPUT, "logprob", logprob.float())

    @torch.no_grad()
    def _activation(self, step: int, name: str, kind: str, mod, out) -> None:
        y = first_tensor(out)
        if y is None or not y.is_floating_point() or mod is not self._acts[name][0]:  # (not a deep copy's module)
            return
        self._last_act = (name, y)  # (the model's output, when no module comes after it)
        y = y.detach().float()
        if kind in RELU_FAMILY:  # every one of them is > 0 exactly where its input is > 0
            active = y.amax(_others(y)) > 0
            self._put(step, name, "dead", 1.0 - active.float().mean())
        elif kind in SATURATING:
            lo, hi = SATURATING[kind]
            margin = SATURATION * (hi - lo)
            self._put(step, name, "saturated", ((y < lo + margin) | (y > hi - margin)).float().mean())
        elif kind in ("Softmax", "Softmin"):
            dim = getattr(mod, "dim", None)  # torch's Softmax(dim=None): dim 1 of a batch
            if dim is None:
                dim = 1 if y.dim() >= 2 else 0
            elif not isinstance(dim, int):
                dim = -1
            self._put(step, name, "saturated", (y.amax(dim) > 1 - SATURATION).float().mean())
        self._put(step, name, "mean", y.mean())
        self._put(step, name, "std", y.std(unbiased=False) if y.numel() > 1 else torch.zeros((), device=y.device))

    def _grad(self, step: int, i: int, g: torch.Tensor) -> None:
        if step == self._graded:  # a backward pass after this step's, through a forward pass the watcher did not see
            if i == self._first_live:  # (once a pass, the most after one step: a second loss's backward is one too)
                self._extra += 1
                self.meta["unseen_backward"] = max(int(self.meta.get("unseen_backward", 0)), self._extra)
            return
        self._grads[i] = g
        if len(self._grads) == self._expected:  # the last gradient of this backward pass
            self._grad_stats(step)

    @torch.no_grad()
    def _grad_stats(self, step: int) -> None:
        """Each layer's gradient norm, share of exactly-zero gradients (of its weight) and non-finite
        flag, from the gradients of this step (fused: a few operations for the whole model)."""
        grads, self._grads, self._graded, self._extra = self._grads, {}, step, 0
        if not grads:
            return
        order = sorted(grads)
        norms = torch.stack(torch._foreach_norm([grads[i].detach() for i in order])).float()
        owner = self._owner_of(norms.device)[torch.tensor(order, device=norms.device)]
        finite = torch.isfinite(norms)
        squares = torch.where(finite, norms, 0.0) ** 2
        self._grad_total = (step, squares.sum().sqrt())  # (against the step's own gradient: a loss scaler's factor)
        self._put(step, _LAYERS, "grad_norm", self._by_layer(squares, owner).sqrt())
        self._put(step, _LAYERS, "grad_nonfinite", self._by_layer((~finite).float(), owner))
        zero = [(self._owner[i], (grads[i] == 0).sum() / grads[i].numel()) for i in order if i in self._weights]
        if zero:
            share = norms.new_zeros(len(self._layers)).index_put_(
                (torch.tensor([o for o, _ in zero], device=norms.device),), torch.stack([z.float() for _, z in zero]))
            self._put(step, _LAYERS, "zero_grad", share)

    def _owner_of(self, device) -> torch.Tensor:
        t = self._owner_t.get(device)
        if t is None:
            t = self._owner_t[device] = torch.tensor(self._owner, device=device)
        return t

    def _by_layer(self, values: torch.Tensor, owner: torch.Tensor) -> torch.Tensor:
        """Per-parameter values summed by layer (``owner``: each value's layer index)."""
        return values.new_zeros(len(self._layers)).index_add_(0, owner, values)

    def _per_layer(self, norms: torch.Tensor) -> torch.Tensor:
        """Every parameter's norm -> per-layer norms (the root of the sum of squares)."""
        return self._by_layer(norms ** 2, self._owner_of(norms.device)).sqrt()

    def _spread(self, step: int) -> None:
        """As initialised: how different each layer's units are (their weights' spread over units,
        relative to the weights' size; 0 for units that are copies of each other, or all zero)."""
        for n, ps in self._layers.items():
            if ps[0].dim() >= 2 and ps[0].shape[0] > 1:
                w = ps[0].detach().float().reshape(ps[0].shape[0], -1)
                self._put(step, n, "unit_spread", w.std(0, unbiased=False).mean() / w.abs().mean().clamp_min(1e-30))

    # -- reading --------------------------------------------------------------------------------
    def collect(self) -> list[tuple[int, str, str, float]]:
        """Every value recorded since the last call, as rows ``(step, layer, stat, value)``: one
        transfer per device. A per-class value becomes one row per class (``count/0``...)."""
        if self._snap is not None and not self.model.training and self._measurable():
            self._updates()  # the last sampled step's update, before validation ends the epoch
        pending, self._pending = self._pending, []
        by_device: dict = {}
        out: list[tuple[int, str, str, float]] = []
        for i, (_, _, _, v) in enumerate(pending):
            if isinstance(v, torch.Tensor):
                by_device.setdefault(v.device, []).append(i)
        flat: dict[int, list[float]] = {}
        for idx in by_device.values():
            tensors = [pending[i][3].reshape(-1).float() for i in idx]
            values = torch.cat(tensors).tolist() if tensors else []
            pos = 0
            for i, t in zip(idx, tensors):
                flat[i] = values[pos:pos + t.numel()]
                pos += t.numel()
        for i, (step, layer, stat, v) in enumerate(pending):
            vals = flat.get(i)
            if vals is None:
                out.append((step, layer, stat, float(v)))
            elif pending[i][3].dim() == 0:
                out.append((step, layer, stat, vals[0]))
            elif layer == _LAYERS:
                out.extend((step, name, stat, x) for name, x in zip(self._layers, vals))
            else:
                out.extend((step, layer, f"{stat}/{c}", x) for c, x in enumerate(vals))
        return out

    def close(self) -> None:
        """Remove every hook (the model is as it was before it was watched)."""
        self._close_step()
        self._clear_temp()
        for h in self._handles:
            h.remove()
        self._handles = []
        forget(self.model, self._inner)
        self._snap = None
