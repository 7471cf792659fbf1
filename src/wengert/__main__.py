"""``python -m wengert``: the command line (see wengert.cli)."""

import sys

from .cli import main

sys.exit(main())
