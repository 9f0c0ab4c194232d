"""A watched model under ``torch.compile``: the watcher's hooks at the model's entry and exit run eagerly.

``torch.compile(model)`` (or ``model.compile()``) traces the model's forward pass with its hooks. The watcher's
bookkeeping traced there broke the graph into pieces and its loss hook, added and removed at sampled steps, changed
a dict torch's guards check: a watched MLP made 31 graphs instead of 2 and reached torch's recompilation limit. Here
the entry and exit hooks run eagerly when traced (one graph break at each end, :func:`eager_hook`), told
``compiled=True``; the watcher then samples no activation inside the model and keeps its loss hook for the whole run
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

#: a watched module -> its watcher's hooks by name ("pre", "post"), for :func:`_compiled_hook`
_HOOKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@torch.compiler.disable
def _compiled_hook(name: str, module, *args):
    """A watcher's hook called from a compiled forward pass, run eagerly. The hook is looked up by the module at each
    call: torch reuses a compiled forward pass for another instance of the model's class (a second run's model), and
    a hook it had captured would be the first watcher's."""
    hook = _HOOKS.get(module, {}).get(name)
    return None if hook is None else hook(module, *args, compiled=True)


def eager_hook(module, name: str, hook):
    """``hook`` as ``module``'s hook (``name``: which one) that ``torch.compile`` does not trace: traced, it runs
    eagerly through :func:`_compiled_hook`, told ``compiled=True``; not traced, it is called as it is."""
    _HOOKS.setdefault(module, {})[name] = hook

    def eager(mod, *args):
        if torch.compiler.is_compiling():
            return _compiled_hook(name, mod, *args)
        return hook(mod, *args)

    return eager


def forget(*modules) -> None:
    """The watcher of ``modules`` is closed: their hooks are no longer looked up."""
    for m in modules:
        if m is not None:
            _HOOKS.pop(m, None)


def uncompiled(model):
    """The module ``torch.compile(model)`` wraps (its hooks run inside the compiled forward pass, where
    :func:`eager_hook` applies; the wrapper's would arm hooks inside it at each sampled step), else ``model``."""
    orig = getattr(model, "_orig_mod", None)
    return orig if type(model).__name__ == "OptimizedModule" and isinstance(orig, torch.nn.Module) else model
