"""``python -m fitwatch.cli``: the command line, as ``fitwatch`` and ``python -m fitwatch``."""

import sys

from fitwatch.cli.main import main

sys.exit(main())
