"""The examples in docstrings run as written."""

import doctest
import importlib
import tempfile

import pytest


def _modules() -> list[str]:
    """Every module of the package, found by walking it (a new module is tested without being listed),
    less those that import a framework at import time or run the command line when imported."""
    import pkgutil

    import fitwatch

    skip = ("fitwatch.integrations.", "fitwatch.__main__", "fitwatch.cli.__main__")
    names = ["fitwatch"] + [m.name for m in pkgutil.walk_packages(fitwatch.__path__, "fitwatch.")]
    return [n for n in names if not n.startswith(skip)]


MODULES = _modules()


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the examples' tempfile.mkdtemp() folders go with it
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
