"""``python -m fitwatch.cli``: the command line, as ``fitwatch`` and ``python -m fitwatch``."""

import sys

from fitwatch.cli.commands import main

sys.exit(main())
