"""Entry point for ``python -m cli``."""
from __future__ import annotations

import sys

from cli.main import main

if __name__ == "__main__":  # only when run, never when imported (e.g. by a spawned worker process)
    sys.exit(main())
