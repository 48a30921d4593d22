"""Start Trạm: ``uv run main.py`` opens the app; ``uv run main.py --help`` lists the commands."""

import sys

from station_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
