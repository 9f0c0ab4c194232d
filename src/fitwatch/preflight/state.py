"""Leave the user's things as they were: a private copy of the model and optimizer to train, and
every random-number generator the checks draw from saved and restored.

:func:`copy_setup` gives a deep copy of a model with a fresh optimizer of the same class and
hyper-parameters over the copy's parameters (the user's optimizer is never stepped); :func:`kept_rng`
is a context manager that restores Python's, numpy's and torch's generators (CPU and CUDA) and the
generators of the data loaders it is given, so that iterating a shuffled loader or running dropout
inside it changes nothing the user's training will draw.
"""

from __future__ import annotations

import contextlib
import copy
import random

import numpy as np


def copy_setup(model, optimizer, lr: float | None = None):
    """A deep copy of ``model`` and a new optimizer of ``optimizer``'s class over the copy's
    parameters, its param groups' hyper-parameters copied (their learning rate set to ``lr`` when
    given, keeping the groups' ratios). With ``optimizer=None`` only the model is copied."""
    twin = copy.deepcopy(model)
    if optimizer is None:
        return twin, None
    mapping = {id(p): q for p, q in zip(model.parameters(), twin.parameters())}
    groups, base = [], None
    for g in optimizer.param_groups:
        params = [mapping.get(id(p)) for p in g["params"]]
        if any(q is None for q in params):
            raise ValueError("fitwatch: the optimizer holds parameters that are not the model's; "
                             "pass the optimizer built over model.parameters()")
        hyper = {k: copy.deepcopy(v) for k, v in g.items() if k != "params"}
        if lr is not None and "lr" in hyper:
            base = base if base is not None else (float(hyper["lr"]) or 1.0)
            hyper["lr"] = lr * (float(hyper["lr"]) / base if base else 1.0)
        groups.append({"params": params, **hyper})
    try:
        return twin, type(optimizer)(groups)
    except TypeError as e:
        raise TypeError(f"fitwatch: cannot build a second {type(optimizer).__name__} from the first one's "
                        f"param groups ({e}); pass a torch.optim optimizer") from None


def _loader_generators(loaders) -> list:
    gens = []
    for ld in loaders:
        if ld is None:
            continue
        for obj in (ld, getattr(ld, "sampler", None), getattr(ld, "batch_sampler", None),
                    getattr(getattr(ld, "batch_sampler", None), "sampler", None)):
            g = getattr(obj, "generator", None)
            if g is not None and hasattr(g, "get_state") and all(g is not h for h in gens):
                gens.append(g)
    return gens


@contextlib.contextmanager
def kept_rng(*loaders):
    """Run the block, then put every random-number generator back as it was before it."""
    import torch

    py, np_state, cpu = random.getstate(), np.random.get_state(), torch.get_rng_state()
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else None
    gens = _loader_generators(loaders)
    states = [g.get_state() for g in gens]
    try:
        yield
    finally:
        random.setstate(py)
        np.random.set_state(np_state)
        torch.set_rng_state(cpu)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)
        for g, s in zip(gens, states):
            g.set_state(s)


def batches(loader):
    """The loader's batches, round and round (a new pass when one ends); stops on an empty loader."""
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            return


def split_batch(batch, device):
    """``(inputs, target)`` of a batch on ``device``: a pair (or a longer tuple: inputs, target first)
    or a dict with ``x``/``input(s)`` and ``y``/``label(s)``/``target``."""
    if isinstance(batch, dict):
        x = next((batch[k] for k in ("x", "input", "inputs", "features") if k in batch), None)
        y = next((batch[k] for k in ("y", "label", "labels", "target", "targets") if k in batch), None)
    elif isinstance(batch, (tuple, list)) and len(batch) >= 2:
        x, y = batch[0], batch[1]
    else:
        x, y = None, None
    if x is None or y is None:
        got = (f"a dict with keys {', '.join(map(repr, list(batch)[:8]))}" if isinstance(batch, dict)
               else type(batch).__name__)
        raise ValueError("fitwatch: a batch must be (inputs, target), or a dict with the inputs under 'x', 'input', "
                         "'inputs' or 'features' and the target under 'y', 'label', 'labels', 'target' or "
                         f"'targets'; this loader gives {got}")
    if isinstance(x, list):  # several inputs, as the default collate gives ((xa, xb), y): model(xa, xb)
        x = tuple(x)
    return _to(x, device), _to(y, device)


def _to(x, device):
    if hasattr(x, "to"):
        return x.to(device, non_blocking=True)
    if isinstance(x, (tuple, list)):
        return type(x)(_to(v, device) for v in x)
    return x


def forward(model, x):
    """The model's output for inputs ``x`` (a tuple of tensors is passed as several arguments).

    Raises:
        TypeError: the model does not take them, with the batch layout fitwatch reads.
    """
    try:
        return model(*x) if isinstance(x, tuple) else model(x)
    except TypeError as e:
        if "argument" not in str(e):
            raise
        raise TypeError(f"fitwatch: the model does not take the batch's inputs ({e}); batches are read as "
                        "(inputs, target): a model of several inputs wants ((xa, xb), y), and a batch "
                        "(xa, xb, y) of three is read as inputs xa and target xb") from None


_LOADER_EXAMPLE = "e.g. DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)"


def check_arguments(where: str, model, train_loader, loss_fn, optimizer, *, val_loader=None,
                    need_optimizer: bool = False) -> None:
    """The arguments of ``preflight`` and ``lr_find``, checked before anything runs.

    Raises:
        TypeError, ValueError: one line naming the argument and the fix.
    """
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{where}: model must be a torch.nn.Module, got {type(model).__name__}; the arguments are "
                        "(model, train_loader, loss_fn, ...)")
    for name, ld in (("train_loader", train_loader), ("val_loader", val_loader)):
        if ld is None and name == "val_loader":
            continue
        if isinstance(ld, torch.Tensor) or (isinstance(ld, (tuple, list)) and ld and isinstance(ld[0], torch.Tensor)):
            raise TypeError(f"{where}: {name} must be a DataLoader of (inputs, target) batches, got "
                            f"{type(ld).__name__} of tensors; {_LOADER_EXAMPLE}")
        if isinstance(ld, torch.utils.data.Dataset):
            raise TypeError(f"{where}: {name} must be a DataLoader, got a {type(ld).__name__} (a dataset gives one "
                            f"sample at a time): wrap it, e.g. DataLoader(dataset, batch_size=64, shuffle=True)")
        if isinstance(ld, torch.nn.Module) or not hasattr(ld, "__iter__"):
            raise TypeError(f"{where}: {name} must be a DataLoader of (inputs, target) batches, got "
                            f"{type(ld).__name__}; the arguments are (model, train_loader, loss_fn, ...)")
    if isinstance(loss_fn, type):
        raise TypeError(f"{where}: loss_fn must be a loss, not the class {loss_fn.__name__}: pass {loss_fn.__name__}()")
    if isinstance(loss_fn, str) or not callable(loss_fn):
        raise TypeError(f"{where}: loss_fn must be callable, loss_fn(model(inputs), target), e.g. "
                        f"nn.CrossEntropyLoss() or F.cross_entropy; got {loss_fn!r}")
    if optimizer is None and need_optimizer:
        raise TypeError(f"{where}: needs the optimizer you will train with, e.g. torch.optim.Adam(model.parameters(), "
                        "lr=1e-3): a new one of its class and settings trains a copy")
    if isinstance(optimizer, type):
        raise TypeError(f"{where}: optimizer must be an optimizer, not the class {optimizer.__name__}: pass "
                        f"{optimizer.__name__}(model.parameters(), lr=...)")
    if optimizer is not None and not hasattr(optimizer, "param_groups"):
        raise TypeError(f"{where}: optimizer must be a torch.optim optimizer, got {type(optimizer).__name__}")
    if need_optimizer and isinstance(optimizer, torch.optim.LBFGS):
        raise ValueError(f"{where}: LBFGS steps with a closure and searches its own step size; a learning-rate "
                         "sweep does not apply to it")


def loss_of(loss_fn, out, y):
    """``loss_fn(out, y)`` as one number (a tensor): the mean of a per-sample loss
    (``reduction="none"``), as the training loop that averages it takes."""
    loss = loss_fn(out, y)
    return loss.mean() if hasattr(loss, "dim") and loss.dim() else loss


def device_of(model):
    import torch

    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")
