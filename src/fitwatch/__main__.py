"""``python -m fitwatch``: the ``fitwatch`` command line."""

import sys

from fitwatch.cli.commands import main

sys.exit(main())
