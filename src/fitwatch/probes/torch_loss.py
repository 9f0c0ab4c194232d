"""What the loss is given, read by the PyTorch probes (:class:`LossProbe`, a part of
:class:`fitwatch.probes.torch_watch.TorchWatcher`): on a sampled training step, whether the loss's input
is a probability or a log-probability and what its targets are; on training and sampled validation
passes, the labels' class counts, the predicted classes and the hits. Values stay tensors on their
device (no host synchronisation).

Example:
    >>> import torch
    >>> in01, prob, logprob = probability_rows(torch.softmax(torch.randn(4, 3), 1))
    >>> bool(in01), bool(prob), bool(logprob)
    (True, True, False)
"""

from __future__ import annotations

import torch
from torch.nn.modules.loss import _Loss

from fitwatch.probes.names import LABELS, LOSS, loss_kind

__all__ = ["LossProbe", "first_tensor", "probability_rows"]

_MAX_CLASSES = 1000  # per-class counts are kept up to this many classes


def first_tensor(x):
    """The first tensor in ``x`` (a tensor, or nested tuples, lists and dicts of them), else None."""
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, (tuple, list)):
        for v in x:
            t = first_tensor(v)
            if t is not None:
                return t
    if isinstance(x, dict):
        for v in x.values():
            t = first_tensor(v)
            if t is not None:
                return t
    return None


def probability_rows(x: torch.Tensor):
    """``(in01, prob, logprob)`` of outputs ``x``, as 0-dim bool tensors (read where they are: no host
    synchronisation): every value in [0, 1]; the rows (along dim 1, of 2 entries or more) are
    probabilities (>= 0, summing to 1 within 1e-3) or log-probabilities (<= 0, their logsumexp 0
    within 1e-3). ``prob`` and ``logprob`` are None for outputs of another shape. The probes and
    ``fitwatch.preflight`` read what a loss is given with it."""
    in01 = (x.min() >= 0) & (x.max() <= 1)
    if x.dim() < 2 or x.shape[1] < 2:
        return in01, None, None
    prob = ((x.sum(1) - 1).abs().max() < 1e-3) & (x.min() >= 0)
    logprob = (x.max() <= 0) & (torch.logsumexp(x, 1).abs().max() < 1e-3)
    return in01, prob, logprob


class LossProbe:
    """The loss side of the watcher: it reads ``self._loss_split`` (the split whose loss call is awaited) and
    records through ``self._put`` and ``self._full`` (this sample also reads the loss's inputs)."""

    _loss_split: str | None
    _full: bool
    meta: dict

    def _loss(self, step: int, mod, args) -> None:
        if self._loss_split is None or not isinstance(mod, _Loss) or len(args) < 2:
            return
        split, self._loss_split = self._loss_split, None  # the first loss called after the output
        kind = loss_kind(mod)
        self.meta.setdefault("loss", kind)
        if kind != type(mod).__name__:
            self.meta.setdefault("loss_class", type(mod).__name__)
        inp, target = first_tensor(args[0]), first_tensor(args[1])
        if inp is None or target is None:
            return
        with torch.no_grad():
            self._loss_inputs(step, split, kind, inp.detach(), target.detach())

    def _loss_inputs(self, step: int, split: str, kind: str, inp: torch.Tensor, target: torch.Tensor) -> None:
        x = inp.float()
        if split == "train" and self._full:
            in01, prob, logprob = probability_rows(x)
            self._put(step, LOSS, "input_in01", in01.float())
            self._put(step, LOSS, "input_min", x.min())  # (what the loss is given: the model's output, or a scaling
            self._put(step, LOSS, "input_max", x.max())  # of it outside the model, 2 * tanh)
            if prob is not None:
                self._put(step, LOSS, "input_prob", prob.float())
                self._put(step, LOSS, "input_logprob", logprob.float())
            t = target.float()
            self._put(step, LOSS, "target_whole", (t == t.round()).all().float())
            self._put(step, LOSS, "target_min", t.min())
            self._put(step, LOSS, "target_max", t.max())
            self._put(step, LOSS, "target_float", float(target.is_floating_point()))
        classes = self._classes(kind, x, target)
        if classes is None:
            return
        k, truth, pred = classes
        ones = torch.ones(truth.numel(), device=truth.device)
        z = lambda: torch.zeros(k, device=truth.device)  # noqa: E731
        layer = LABELS[split]
        self._put(step, layer, "count", z().index_add_(0, truth, ones))
        self._put(step, layer, "pred", z().index_add_(0, pred, ones))
        self._put(step, layer, "hit", z().index_add_(0, truth, (pred == truth).float()))

    @staticmethod
    def _classes(kind: str, x: torch.Tensor, target: torch.Tensor):
        """``(k, true classes, predicted classes)`` of a classification loss, else None."""
        if kind in ("CrossEntropyLoss", "NLLLoss") and x.dim() >= 2 and 2 <= x.shape[1] <= _MAX_CLASSES:
            k = x.shape[1]
            pred = x.argmax(1).reshape(-1)
            if target.is_floating_point() and target.shape == x.shape:  # class probabilities
                truth = target.argmax(1).reshape(-1)
            elif not target.is_floating_point():
                truth = target.reshape(-1).long()
                keep = (truth >= 0) & (truth < k)  # ignore_index (-100) and the like
                truth, pred = torch.where(keep, truth, pred), pred
            else:
                return None
            return k, truth.clamp(0, k - 1), pred
        if kind in ("BCELoss", "BCEWithLogitsLoss") and x.shape == target.shape and (x.dim() <= 1 or x.shape[-1] == 1):
            cut = 0.5 if kind == "BCELoss" else 0.0
            return 2, (target.reshape(-1) >= 0.5).long(), (x.reshape(-1) > cut).long()
        return None
