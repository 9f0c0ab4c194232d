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
        raise ValueError("fitwatch: a batch must be (inputs, target), or a dict with 'x' and 'y'; "
                         f"this loader gives {type(batch).__name__}")
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


def device_of(model):
    import torch

    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")
