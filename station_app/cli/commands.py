"""Reading the command line and running one command: the app by default (a contract)::

    main.py [--db FILE | --demo] [--lang vi|en] [--data-dir DIR]

Each group of commands (``GROUPS``) adds its own sub-commands. Errors are one line on stderr and
a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from station_app import i18n, paths
from station_app.cli import (
    audit,
    backups,
    books,
    check,
    claims,
    demo,
    followups,
    io,
    medicines,
    patients,
    referrals,
    reports,
    users,
)
from station_app.cli.common import EXIT_BROKEN_PIPE, EXIT_ERROR, OneLineParser, err
from station_app.errors import UserError
from station_app.i18n import tr

log = logging.getLogger(__name__)

# The command groups, in the order ``--help`` lists them; each adds its sub-commands.
GROUPS = (demo, io, patients, check, followups, referrals, backups, audit, reports, books, medicines, claims, users)


# -- the app ------------------------------------------------------------------------------------
def cmd_gui(args: argparse.Namespace) -> int:
    from station_app.ui.app import run

    return run(db=Path(args.db) if args.db else None, demo=args.demo, lang=args.lang)


# -- parser -------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="main.py",
        description="Trạm — offline records for a commune health station.",
    )
    parser.add_argument("--db", help="database file (default: the user data folder)")
    parser.add_argument("--demo", action="store_true", help="open the demo station (made on first use, then kept)")
    parser.add_argument("--lang", choices=i18n.LANGUAGES, help="language of the interface (vi, en)")
    parser.add_argument("--data-dir", help="use this folder instead of the user data folder")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    # The language before the rest: a date option is read (and may be refused) while parsing.
    early, _rest = _language_option().parse_known_args(argv)
    if early.lang in i18n.LANGUAGES:
        i18n.set_language(early.lang)
    try:
        args = parser.parse_args(argv)
        if args.data_dir:
            paths.set_data_dir(args.data_dir)
        if args.command is None:
            return cmd_gui(args)
        code = int(args.func(args))
        if sys.stdout is not None:  # (None when started without a console, as pythonw does)
            sys.stdout.flush()  # (here, so that a reader gone away is caught below, not at exit)
        return code
    except BrokenPipeError:
        # What reads the output closed it (``main.py followups --json | head -3``): stop there,
        # quietly, as a command ended by SIGPIPE does; no error, nothing in the log.
        _output_to_null()
        return EXIT_BROKEN_PIPE
    except UserError as exc:  # a missing file, a damaged database, a refused import…: one line
        err(tr("Error: {message}").format(message=exc.text()))
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one line for the user, the traceback in the log file
        log_path = paths.log_error(traceback.format_exc())
        err(tr("Error: {message} (details in {log})").format(message=str(exc) or type(exc).__name__, log=log_path))
        return EXIT_ERROR


def _language_option() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--lang")
    return parser


def _output_to_null() -> None:
    """Standard output sent to the null device: what is still buffered for a pipe whose reader
    has gone would otherwise fail once more when Python flushes it at exit."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):  # (no file descriptor: output captured in the process)
        pass
