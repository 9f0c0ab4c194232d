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
    "demo": "cli.demo",
    "integrations.weights": "stopping.weights",
    "keeper": "stopping.keeper",
    "keras": "integrations.keras",
    "lightgbm": "integrations.lightgbm",
    "lightning": "integrations.lightning",
    "names": "core.names",
    "optuna": "integrations.optuna",
    "plot": "show.plot",
    "progress": "record.progress",
    "ray": "integrations.ray",
    "remedies": "diagnosis.remedies",
    "readers": "diagnosis.readers",
    "report": "show.report",
    "run": "record.run",
    "rundata": "store.rundata",
    "sklearn": "integrations.sklearn",
    "smoothing": "show.smoothing",
    "style": "show.style",
    "tables": "show.tables",
    "thresholds": "diagnosis.thresholds",
    "transformers": "integrations.transformers",
    "xgboost": "integrations.xgboost",
}


class _Loader(importlib.abc.Loader):
    """Loads an old path by importing the new module and handing back that very object."""

    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        self._spec = module.__spec__
        return module

    def get_code(self, fullname):
        """The new module's code, for ``python -m`` on an old path (``runpy`` asks the loader for it)."""
        spec = importlib.util.find_spec(self.target)
        return spec.loader.get_code(self.target)

    def exec_module(self, module) -> None:
        # the new module ran when it was imported; the import system has just set its __spec__ to the
        # old path's: give it its own back (reload, pickling and doctest read it)
        module.__spec__ = self._spec


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        new = new_path(fullname)
        return None if new is None else importlib.util.spec_from_loader(fullname, _Loader(new))


def new_path(fullname: str) -> str | None:
    """Where the module ``fullname`` lives now, or None if it did not move: a moved package's
    submodules moved with it (``fitwatch.dashboard.series`` -> ``fitwatch.show.dashboard.series``).

    Example:
        >>> new_path("fitwatch.dashboard.series"), new_path("fitwatch.show.plot")
        ('fitwatch.show.dashboard.series', None)
    """
    head, _, rest = fullname.partition(".")
    if head != "fitwatch":
        return None
    parts = rest.split(".")
    for i in range(len(parts), 0, -1):
        old = ".".join(parts[:i])
        if old in MOVED:
            return ".".join(["fitwatch", MOVED[old], *parts[i:]])
    return None


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once): before the path finder, which would otherwise
    load a moved package's submodule a second time, as another module, from the package's folder."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


def moved(name: str):
    """The module that the old attribute ``fitwatch.<name>`` names, imported now; None if ``name`` is not an old path."""
    if name not in MOVED:
        return None
    return importlib.import_module(f"fitwatch.{name}")
