"""Run one ``main.py`` command in this process and report its peak memory:
``python -m bench._run_cli ARG…``. Prints ``{"code": N, "peak_mb": M}`` as the last stdout line."""

from __future__ import annotations

import json
import sys

from bench._coldstart import _memory


def main() -> int:
    from station_app.cli import main as cli_main

    code = cli_main(sys.argv[1:])
    sys.stdout.write(json.dumps({"code": code, "peak_mb": _memory().get("VmHWM")}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
