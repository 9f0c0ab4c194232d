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

#: a watched module -> its watcher's hooks by name ("pre", "post")
_HOOKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: torch's frame evaluation, in C: reading and setting it imports nothing (torch._dynamo takes about 1.1 s to import)
_EVAL_FRAME = torch._C._dynamo.eval_frame


def _dispatch(name: str, module, args: tuple, compiled: bool):
    hook = _HOOKS.get(module, {}).get(name)
    if hook is None:
        return None
    return hook(module, *args, compiled=True) if compiled else hook(module, *args)


# The two entry hooks read whether torch's compiler is active for the call (the callback of its frame evaluation: set
# when the hook is called from a compiled call, a graph break in the model's traced forward pass, or its frame left to
# run eagerly while the forward it calls is compiled), then turn it off for the watcher's bookkeeping and back on. All
# is done in the hook's own frame with C calls: torch compiles no frame of it (a Python function called from a skipped
# frame while the compiler is on would be compiled), and a run that never compiles imports nothing of torch._dynamo.
def _pre(module, args):
    callback = _EVAL_FRAME.set_eval_frame(None)
    try:
        return _dispatch("pre", module, (args,), callback is not None and callback is not False)
    finally:
        _EVAL_FRAME.set_eval_frame(callback)


def _post(module, args, output):
    callback = _EVAL_FRAME.set_eval_frame(None)
    try:
        return _dispatch("post", module, (args, output), callback is not None and callback is not False)
    finally:
        _EVAL_FRAME.set_eval_frame(callback)


def _skip(fn):
    """``fn`` marked as a function torch never traces nor compiles (``torch._dynamo.decorators.skip``: a graph break
    where a traced call reaches it), through torch's C API where it has it (torch 2.6 and later), else by that
    decorator."""
    action, strategy = getattr(_EVAL_FRAME, "_FrameAction", None), getattr(_EVAL_FRAME, "_FrameExecStrategy", None)
    if action is None or strategy is None or not hasattr(_EVAL_FRAME, "set_code_exec_strategy"):
        from torch._dynamo.decorators import skip

        return skip(fn)
    _EVAL_FRAME.set_code_exec_strategy(fn.__code__, strategy(action.SKIP, action.DEFAULT))
    fn._torchdynamo_disable = True  # (what the decorator marks too)
    return fn


# one of each for every watcher: torch never traces them (a graph break where the model calls them) nor compiles
# their frames, and a compiled forward pass torch reuses for another model of the class finds that model's watcher
_ENTRY = {"pre": _skip(_pre), "post": _skip(_post)}


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
