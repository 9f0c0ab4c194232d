"""Import paths that moved: ``fitwatch.report``, ``fitwatch.readers``, ``fitwatch.keras``... name the
modules that now live in the layer packages, so that code written against the flat layout (and the
documented paths such as ``from fitwatch.report import write_report``) keeps working.

An old path is the *same module object* as the new one (as ``pathlib.Path`` is ``PosixPath``'s
home), imported only when first asked for: ``import fitwatch`` imports none of them.

Example:
    >>> import fitwatch.smoothing, fitwatch.show.smoothing
    >>> fitwatch.smoothing is fitwatch.show.smoothing
    True
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

#: old path (under ``fitwatch.``) -> where the module lives now
MOVED = {
    "analyze": "diagnosis.analyze",
    "caller": "core.caller",
    "curves": "diagnosis.curves",
    "dashboard": "show.dashboard",
    "dashboard.app": "show.dashboard.app",
    "dashboard.data": "show.dashboard.data",
    "dashboard.series": "show.dashboard.series",
    "demo": "cli.demo",
    "integrations.weights": "stopping.weights",
    "keeper": "stopping.keeper",
    "keras": "integrations.keras",
    "names": "core.names",
    "plot": "show.plot",
    "progress": "record.progress",
    "remedies": "diagnosis.remedies",
    "readers": "diagnosis.readers",
    "report": "show.report",
    "run": "record.run",
    "rundata": "store.rundata",
    "smoothing": "show.smoothing",
    "style": "show.style",
    "tables": "show.tables",
    "thresholds": "diagnosis.thresholds",
}


class _Loader(importlib.abc.Loader):
    """Loads an old path by importing the new module and handing back that very object."""

    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        self._spec = module.__spec__
        return module

    def exec_module(self, module) -> None:
        # the new module ran when it was imported; the import system has just set its __spec__ to the
        # old path's: give it its own back (reload, pickling and doctest read it)
        module.__spec__ = self._spec


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        head, _, rest = fullname.partition(".")
        if head != "fitwatch" or rest not in MOVED:
            return None
        new = f"fitwatch.{MOVED[rest]}"
        return importlib.util.spec_from_loader(fullname, _Loader(new))


def install() -> None:
    """Put the finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())


def moved(name: str):
    """The module that the old attribute ``fitwatch.<name>`` names, imported now; None if ``name`` is not an old path."""
    if name not in MOVED:
        return None
    return importlib.import_module(f"fitwatch.{name}")
