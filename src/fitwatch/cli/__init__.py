"""The ``fitwatch`` command line and its demo: it parses arguments and delegates; it may import every other
layer (it is the top one), and frameworks only inside the demo. ``fitwatch.cli.main`` is the command
(the console script's entry point); the parser and the commands live in :mod:`fitwatch.cli.commands`."""

from fitwatch.cli.commands import (
    EXIT_USAGE,
    UserError,
    build_parser,
    cmd_demo,
    cmd_diagnose,
    cmd_plot,
    cmd_report,
    cmd_runs,
    cmd_serve,
    cmd_show,
    main,
    open_store,
)

__all__ = ["EXIT_USAGE", "UserError", "build_parser", "cmd_demo", "cmd_diagnose", "cmd_plot", "cmd_report",
           "cmd_runs", "cmd_serve", "cmd_show", "main", "open_store"]
