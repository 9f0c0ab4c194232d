"""``python -m fitwatch``: the ``fitwatch`` command line."""

import sys

from .cli import main

sys.exit(main())
