"""What every command shares: exit codes, the one-line error, output, opening the station's file,
and the one way a date option is read (``YYYY-MM-DD`` or ``dd/mm/yyyy``, the same everywhere).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import sys
from pathlib import Path

from station_app.domain.dates import DateFormatError, parse_date
from station_app.errors import UserError
from station_app.i18n import N_
from station_app.store import Store, open_store

EXIT_OK = 0
EXIT_FINDINGS = 1  # the command ran but found problems (invalid rows, unhealthy database)
EXIT_ERROR = 2  # the command could not run
EXIT_BROKEN_PIPE = 141  # what reads the output stopped reading (``… --json | head``): 128 + SIGPIPE


class CliError(UserError):
    """A command that cannot run as asked (a missing file, a date written wrongly…)."""


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def err(text: str) -> None:
    sys.stderr.write(text + "\n")


def open_existing(path: str, *, reading: bool = False) -> Store:
    """The station's file, which must exist. ``reading``: the command only reads (find, lists,
    reports), so the page-by-page check of the whole file (a second on a large station) is left to
    ``check`` and the app; a damaged page such a command touches is still reported as damage."""
    db = Path(path)
    if not db.exists():
        raise CliError(N_("There is no database at {path}."), path=db)
    return open_store(db, create=False, verify=not reading)


def cannot_write(path: object, exc: OSError) -> CliError:
    """The error for a file that could not be written."""
    return CliError(N_("Cannot write {path}: {reason}"), path=path, reason=exc.strerror or exc)


# -- dates --------------------------------------------------------------------------------------
def parse_day(text: str, option: str) -> dt.date:
    """A date option's value: ``YYYY-MM-DD`` or ``dd/mm/yyyy``; else the one-line error naming it."""
    try:
        return parse_date(text)
    except DateFormatError as exc:
        raise CliError(N_('{option}: "{value}" is not a date (write YYYY-MM-DD or dd/mm/yyyy).'), option=option,
                       value=text) from exc


def add_date_option(parser: argparse.ArgumentParser, option: str, dest: str, help: str, *,
                    required: bool = False) -> None:
    """``option DATE`` on ``parser``, read by :func:`parse_day` (argparse gives the date)."""
    parser.add_argument(option, dest=dest, metavar="DATE", required=required, help=help,
                        type=functools.partial(parse_day, option=option))


def check_range(start: dt.date | None, end: dt.date | None) -> None:
    if start and end and end < start:
        raise CliError(N_("--to is before --from."))


# -- sub-commands shared by several groups -----------------------------------------------------
def print_documents(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The sub-commands of ``main.py print`` (created once; each group adds its documents)."""
    printer = sub.choices.get("print")
    if printer is None:
        printer = sub.add_parser("print", help="print a document to PDF")
        printer.add_subparsers(dest="document", metavar="DOCUMENT", required=True)
    return next(a for a in printer._actions if isinstance(a, argparse._SubParsersAction))
