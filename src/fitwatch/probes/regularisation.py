"""The regularisation a PyTorch model and its optimizer already use, as the diagnosis's context keys
(``dropout``, ``weight_decay``, ``grad_clip``): what :class:`fitwatch.lightning.Logger` and
``Run.watch(model)`` store with the run, so that an overfitting run with ``nn.Dropout(0.5)`` under
``AdamW(weight_decay=0.05)`` is not told to add either (the Keras callback's twin,
``fitwatch.integrations.keras_describe.regularisation``).

Example:
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.2), torch.nn.Linear(8, 1))
    >>> torch_regularisation(model, [torch.optim.AdamW(model.parameters(), weight_decay=0.05)], grad_clip=1.0)
    {'dropout': 0.2, 'weight_decay': 0.05, 'grad_clip': 1.0}
    >>> torch_regularisation(model, [torch.optim.SGD(model.parameters(), lr=0.1)])
    {'dropout': 0.2}
"""

from __future__ import annotations

__all__ = ["torch_regularisation", "optimizer_weight_decay"]


def torch_regularisation(model, optimizers=(), grad_clip=None) -> dict:
    """``dropout`` (the largest ``p`` of the model's dropout modules: ``nn.Dropout``, ``Dropout1d/2d/3d``,
    ``AlphaDropout``...), ``weight_decay`` (the largest of its optimizers': :func:`optimizer_weight_decay`) and
    ``grad_clip`` (as given: Lightning's ``gradient_clip_val``) and ``label_smoothing`` (an
    ``nn.CrossEntropyLoss`` the model holds as a module, a LightningModule's criterion); a key only when above 0.

    Args:
        model: a ``torch.nn.Module``.
        optimizers: the ``torch.optim.Optimizer`` objects that train it; the largest weight decay among them
            is the run's, as the largest dropout of any of its modules is (a GAN's discriminator's AdamW
            beside its generator's plain Adam: the run already uses weight decay).
        grad_clip: the clipping value the loop applies, if any.
    """
    import torch

    out: dict = {}
    dropout_types = tuple(getattr(torch.nn, n) for n in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
                                                           "AlphaDropout", "FeatureAlphaDropout") if hasattr(torch.nn, n))
    try:
        rates = [float(m.p) for m in model.modules() if isinstance(m, dropout_types)]
    except Exception:  # noqa: BLE001 - a module that cannot list its children: nothing said
        rates = []
    if rates and max(rates) > 0:
        out["dropout"] = max(rates)
    try:  # a loss module held by the model (a LightningModule's self.criterion): its smoothing sets the loss's floor
        smooth = max((float(getattr(m, "label_smoothing", 0) or 0) for m in model.modules()
                      if isinstance(m, torch.nn.CrossEntropyLoss)), default=0.0)
    except Exception:  # noqa: BLE001
        smooth = 0.0
    if 0 < smooth < 1:
        out["label_smoothing"] = smooth
    decay = max((optimizer_weight_decay(o) for o in optimizers), default=0.0)
    if decay > 0:
        out["weight_decay"] = decay
    if _positive(grad_clip):
        out["grad_clip"] = float(grad_clip)
    return out


def optimizer_weight_decay(optimizer) -> float:
    """The largest ``weight_decay`` of an optimizer's parameter groups that hold a weight matrix or kernel (a
    parameter of 2 dimensions or more; the usual recipe decays those and exempts biases and norms, and a
    decay on the biases alone is no L2 on the weights); 0 when none says one.

    Example:
        >>> import torch
        >>> layer = torch.nn.Linear(4, 2)
        >>> optimizer_weight_decay(torch.optim.AdamW([{"params": [layer.weight], "weight_decay": 0.05},
        ...                                           {"params": [layer.bias], "weight_decay": 0.0}]))
        0.05
        >>> optimizer_weight_decay(torch.optim.SGD([{"params": [layer.weight]},
        ...                                         {"params": [layer.bias], "weight_decay": 0.1}], lr=0.1))
        0.0
    """
    try:
        values = [g.get("weight_decay") for g in optimizer.param_groups
                  if any(getattr(p, "ndim", 2) >= 2 for p in g.get("params", ()))]
    except Exception:  # noqa: BLE001 - not a torch optimizer
        return 0.0
    return max((float(v) for v in values if _positive(v)), default=0.0)


def _positive(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and 0 < v < float("inf")
