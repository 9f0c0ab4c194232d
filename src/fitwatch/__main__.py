"""``python -m fitwatch``: the ``fitwatch`` command line."""

import sys

from fitwatch.cli.main import main

sys.exit(main())
