"""``python -m vision``: the same as the ``vision`` command."""

import sys

from .cli import main

sys.exit(main())
