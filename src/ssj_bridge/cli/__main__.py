"""`python -m ssj_bridge.cli`: the console script."""

import os

from ssj_bridge.cli import main

if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
