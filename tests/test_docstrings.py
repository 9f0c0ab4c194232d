"""The examples in docstrings run as written."""

import doctest
import importlib

import pytest

MODULES = ["fitwatch", "fitwatch.names", "fitwatch.record", "fitwatch.store", "fitwatch.rundata", "fitwatch.run",
           "fitwatch.curves", "fitwatch.analyze", "fitwatch.diagnosis", "fitwatch.thresholds", "fitwatch.readers",
           "fitwatch.stopping", "fitwatch.keeper", "fitwatch.integrations.weights",
           "fitwatch.smoothing", "fitwatch.style", "fitwatch.plot", "fitwatch.report",
           "fitwatch.dashboard", "fitwatch.dashboard.series", "fitwatch.dashboard.data", "fitwatch.dashboard.app"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
