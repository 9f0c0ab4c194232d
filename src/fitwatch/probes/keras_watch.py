"""Probes on a Keras 3 model running on the torch backend (``KERAS_BACKEND=torch``).

There a Keras model, and each of its layers, is a ``torch.nn.Module`` whose weights are torch
``Parameter`` s, and ``model.fit`` calls each layer through ``torch.nn.Module.__call__``: the hooks of
:class:`~fitwatch.probes.torch_watch.TorchWatcher` work as they are. What differs:

* the layers are Keras's (``model.layers``, nested models walked into), each with its own trainable
  weights, named as Keras names them (``dense``, ``conv2d_1``...);
* an activation is usually inside a layer (``Dense(64, activation="relu")``): such a layer is also
  an activation of that type, read from its output (a ReLU-family output is > 0 exactly where its
  input is); ``keras.layers.ReLU``, ``Activation("tanh")``, ``Softmax``... are activations too;
* a training step is a forward pass with gradients on (Keras evaluates under ``torch.no_grad``);
* the loss is Keras's, not a ``torch.nn`` loss module: no class counts and no loss/output checks
  (``meta["loss"]`` names the compiled loss); the learning rate is the optimizer's
  ``learning_rate`` variable, read on the device.

Example:
    >>> import os; os.environ.setdefault("KERAS_BACKEND", "torch")
    'torch'
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu", name="hidden"),
    ...                           keras.layers.Dense(1, name="out")])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> w = KerasWatcher(model, every=10)
    >>> _ = model.fit(np.random.rand(32, 4), np.random.rand(32, 1), epochs=1, batch_size=16, verbose=0)
    >>> sorted({(layer, stat) for _, layer, stat, _ in w.collect() if stat in ("grad_norm", "dead")})
    [('hidden', 'dead'), ('hidden', 'grad_norm'), ('out', 'grad_norm')]
    >>> w.close()
"""

from __future__ import annotations

import torch

from fitwatch.probes.names import OPTIMIZER
from fitwatch.probes.torch_watch import TorchWatcher

#: Keras activation names -> the probes' activation types
_KINDS = {"relu": "ReLU", "relu6": "ReLU6", "leaky_relu": "LeakyReLU", "elu": "ELU", "selu": "SELU", "gelu": "GELU",
          "silu": "SiLU", "swish": "SiLU", "mish": "Mish", "hard_swish": "Hardswish", "sigmoid": "Sigmoid",
          "tanh": "Tanh", "hard_sigmoid": "Hardsigmoid", "softsign": "Softsign", "softmax": "Softmax"}
_LAYER_KINDS = {"ReLU": "ReLU", "LeakyReLU": "LeakyReLU", "ELU": "ELU", "PReLU": "PReLU", "Softmax": "Softmax"}


def is_keras_model(model) -> bool:
    """``model`` is a Keras 3 model (or layer)."""
    return any((c.__module__ or "").startswith("keras.") for c in type(model).__mro__)


def _leaves(layer):
    for sub in getattr(layer, "layers", None) or []:
        if getattr(sub, "layers", None):
            yield from _leaves(sub)
        else:
            yield sub


def _kind(layer) -> str | None:
    kind = _LAYER_KINDS.get(type(layer).__name__)
    if kind:
        return kind
    fn = getattr(layer, "activation", None)
    name = getattr(fn, "__name__", None) if fn is not None else None
    return _KINDS.get(name) if name else None


class KerasWatcher(TorchWatcher):
    """Probe a Keras 3 model on the torch backend (see the module's docstring).

    Raises:
        TypeError: Keras runs on another backend (the message says to set ``KERAS_BACKEND=torch``).
    """

    def __init__(self, model, every: int | None = None):
        if not isinstance(model, torch.nn.Module):
            import keras

            raise TypeError(f"fitwatch: watching a Keras model needs Keras's torch backend; this one runs on "
                            f"{keras.backend.backend()!r}: set KERAS_BACKEND=torch before importing keras")
        super().__init__(model, every)
        loss = getattr(model, "loss", None)
        if loss is not None:
            self.meta["loss"] = loss if isinstance(loss, str) else type(loss).__name__

    @staticmethod
    def _parts(model):
        layers, acts = {}, {}
        for layer in _leaves(model):
            params = [v.value for v in getattr(layer, "trainable_weights", [])
                      if isinstance(getattr(v, "value", None), torch.Tensor) and v.value.requires_grad]
            if params:
                layers[layer.name] = (type(layer).__name__, params)
            kind = _kind(layer)
            if kind is not None and isinstance(layer, torch.nn.Module):
                acts[layer.name] = (layer, kind)
        return layers, acts

    def _training(self, module, args) -> bool:
        return torch.is_grad_enabled()  # Keras never calls model.train()/eval(); it evaluates without gradients

    def _arm(self, step: int, args, compiled: bool = False) -> None:
        super()._arm(step, args, compiled)
        opt = getattr(self.model, "optimizer", None)
        if opt is None:
            return
        self.meta.setdefault("optimizer", type(opt).__name__)
        lr = getattr(getattr(opt, "learning_rate", None), "value", None)
        if isinstance(lr, torch.Tensor):
            self._put(step, OPTIMIZER, "lr", lr.detach().clone())  # read with the rest, once an epoch
