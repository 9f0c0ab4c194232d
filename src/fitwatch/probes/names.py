"""What the probes call things: activation families, the sampling interval, row names.

Rows are ``(step, layer, stat, value)``. ``layer`` is a module's qualified name in the model
(``features.0``, ``classifier``; the model itself is ``(model)``), or one of the pseudo-layers
below; ``stat`` is one of the names listed here (a per-class statistic is ``count/3``: class 3).
"""

from __future__ import annotations

#: modules whose units die: a unit is dead when its input is <= 0 for every sample of the batch
RELU_FAMILY = ("ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish",
               "Hardswish", "Softplus")
#: modules that saturate: output within SATURATION of their bounds
SATURATING = {"Sigmoid": (0.0, 1.0), "Tanh": (-1.0, 1.0), "Hardsigmoid": (0.0, 1.0), "Hardtanh": (-1.0, 1.0),
              "Softsign": (-1.0, 1.0)}
SOFTMAX = ("Softmax", "LogSoftmax", "Softmin")
ACTIVATIONS = (*RELU_FAMILY, *SATURATING, *SOFTMAX)
#: a saturating unit's output within this share of its range from a bound: sigmoid < 0.01 or > 0.99,
#: tanh beyond +-0.98; its derivative is then under 4 % of its largest
SATURATION = 0.01

INPUT, OUTPUT, LOSS, OPTIMIZER = "input", "output", "loss", "optimizer"
#: a pending value with one entry per layer (the watcher's ``collect`` expands it into per-layer rows)
PER_LAYER = "\0layers"
LABELS = {"train": "labels", "val": "val_labels"}  # class counts, predictions and hits of each split

#: per layer with parameters
LAYER_STATS = ("grad_norm", "weight_norm", "update_ratio", "zero_grad", "grad_nonfinite", "weight_nonfinite")
#: per activation module
ACTIVATION_STATS = ("dead", "saturated", "mean", "std")

DEFAULT_EVERY = 100  # steps between two samples, besides steps 0, 1, 4 and 16


def loss_kind(mod) -> str:
    """The ``torch.nn`` loss a loss module is (``MSELoss`` for ``class MyMSE(nn.MSELoss)``), else its class name."""
    for c in type(mod).__mro__:
        if c.__module__ == "torch.nn.modules.loss" and not c.__name__.startswith("_"):
            return c.__name__
    return type(mod).__name__


def default_every() -> int:
    """The default sampling interval: one training step in :data:`DEFAULT_EVERY`."""
    return DEFAULT_EVERY


def check_every(every) -> int:
    """``every`` as given (None: :func:`default_every`), once it is a whole number of steps >= 1.

    Raises:
        ValueError: anything else, with an example of a good value.
    """
    if every is None:
        return DEFAULT_EVERY
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"fitwatch: every must be a whole number of steps >= 1, got {every!r}; e.g. every=50")
    return every
