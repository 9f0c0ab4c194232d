"""A watched model under ``torch.compile``: the watcher's hooks at the model's entry and exit run eagerly.

``torch.compile(model)`` (or ``model.compile()``) traces the model's forward pass with its hooks. The watcher's
bookkeeping traced there broke the graph into pieces and its loss hook, added and removed at sampled steps, changed
a dict torch's guards check: a watched MLP made 31 graphs instead of 2 and reached torch's recompilation limit. So the
hooks the watcher registers at the model's entry and exit are two functions torch never traces nor compiles (one
graph break at each end), shared by every watcher, which find the watcher's hook by the module they are called for and
tell it whether torch's compiler is active for the call. The watcher then samples no activation inside the model
(docs/probes.md, "A compiled model").

Example:
    >>> import torch
    >>> model = torch.nn.Linear(2, 1)
    >>> seen = []
    >>> handle = model.register_forward_pre_hook(eager_hook(model, "pre", lambda m, a, compiled=False: seen.append(compiled)))
    >>> _ = model(torch.ones(1, 2))
    >>> seen
    [False]
    >>> handle.remove(); forget(model)
"""

from __future__ import annotations

import weakref

import torch
from torch._dynamo.decorators import skip

#: a watched module -> its watcher's hooks by name ("pre", "post")
_HOOKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiling() -> bool:
    """Whether torch's compiler is active for this call: the hook was called from a compiled call (a graph break in
    the model's traced forward pass, or its frame left to run eagerly while the forward it calls is compiled)."""
    callback = _get_callback()
    return callback is not None and callback is not False


_get_callback = getattr(torch._C._dynamo.eval_frame, "get_eval_frame_callback", lambda: None)


def _dispatch(name: str, module, args: tuple, compiled: bool):
    hook = _HOOKS.get(module, {}).get(name)
    if hook is None:
        return None
    return hook(module, *args, compiled=True) if compiled else hook(module, *args)


_run = torch.compiler.disable(_dispatch)  # the watcher's bookkeeping, with torch's compiler off


def _pre(module, args):
    return _run("pre", module, (args,), _compiling())


def _post(module, args, output):
    return _run("post", module, (args, output), _compiling())


# one of each for every watcher: torch never traces them (a graph break where the model calls them) nor compiles
# their frames (they read whether its compiler is active before turning it off for the bookkeeping), and a compiled
# forward pass torch reuses for another model of the class finds that model's watcher
_ENTRY = {"pre": skip(_pre), "post": skip(_post)}


def eager_hook(module, name: str, hook):
    """The hook to register as ``module``'s ``name`` hook ("pre" or "post") for ``hook``, which is called with
    ``compiled=True`` when the call comes from a compiled forward pass."""
    _HOOKS.setdefault(module, {})[name] = hook
    return _ENTRY[name]


def forget(*modules) -> None:
    """The watcher of ``modules`` is closed: their hooks are no longer looked up."""
    for m in modules:
        if m is not None:
            _HOOKS.pop(m, None)


def uncompiled(model):
    """The module ``torch.compile(model)`` wraps (its hooks run inside the compiled forward pass), else ``model``."""
    orig = getattr(model, "_orig_mod", None)
    return orig if type(model).__name__ == "OptimizedModule" and isinstance(orig, torch.nn.Module) else model
