"""The command line: the app by default, and the same operations headless, one module per group
of commands (``common`` holds what they share; ``commands`` reads the arguments and runs one).

The forms are a contract: README "Command line" lists them, and each module its own.
"""

from station_app.cli.commands import main
from station_app.cli.common import EXIT_BROKEN_PIPE, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, CliError

__all__ = ["EXIT_BROKEN_PIPE", "EXIT_ERROR", "EXIT_FINDINGS", "EXIT_OK", "CliError", "main"]
