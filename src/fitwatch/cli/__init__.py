"""The ``fitwatch`` command line and its demo: it parses arguments and delegates; it may import every other
layer (it is the top one), and frameworks only inside the demo."""

from fitwatch.cli.main import main

__all__ = ["main"]
