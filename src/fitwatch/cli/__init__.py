"""The ``fitwatch`` command line and its demo: it parses arguments and delegates to every other layer."""

from fitwatch.cli.main import main

__all__ = ["main"]
