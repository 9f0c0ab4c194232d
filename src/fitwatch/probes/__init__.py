"""Probes: what happens inside a model while it trains, read at sampled steps.

:class:`TorchWatcher` hooks a ``torch.nn.Module`` (``Run.watch(model)`` attaches one): per layer,
the gradient norm, the weight norm, the update-to-weight ratio and the share of exactly-zero
gradients; per activation module, the share of dead and of saturated units, their mean and
spread; the input batch's per-feature scale, the output's range and whether it already is a
probability, and, at the loss, the labels' class counts and what the model predicted. Hooks are
attached on sampled steps only; values stay on their device until :meth:`TorchWatcher.collect`
reads them, once an epoch. :class:`KerasWatcher` does the same for a Keras 3 model on the torch
backend.

This layer knows neither runs nor stores: it hands rows ``(step, layer, stat, value)`` and a
description of the model (:attr:`TorchWatcher.meta`) to whoever collects them. torch is imported
only when a model is watched.
"""

from __future__ import annotations

from fitwatch.probes.names import ACTIVATIONS, RELU_FAMILY, SATURATING, check_every, default_every

__all__ = ["TorchWatcher", "KerasWatcher", "ACTIVATIONS", "RELU_FAMILY", "SATURATING", "check_every", "default_every"]


def __getattr__(name: str):
    if name == "TorchWatcher":  # imports torch: only when a model is watched
        from fitwatch.probes.torch_watch import TorchWatcher

        return TorchWatcher
    if name == "KerasWatcher":
        from fitwatch.probes.keras_watch import KerasWatcher

        return KerasWatcher
    raise AttributeError(f"module 'fitwatch.probes' has no attribute {name!r}")
