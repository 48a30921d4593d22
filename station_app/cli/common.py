"""What every command shares: exit codes, the one-line error, output, opening the station's file,
and the one way a date option is read (``YYYY-MM-DD`` or ``dd/mm/yyyy``, the same everywhere).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from station_app.domain.dates import DateFormatError, parse_date
from station_app.errors import UserError, os_reason
from station_app.i18n import N_, tr, translate
from station_app.presentation import grouped
from station_app.store import Store, open_store

if TYPE_CHECKING:  # (the month type is imported when a month is read)
    from station_app.domain.monthly import Month

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


def open_existing(path: str, *, reading: bool = False, only_reads: bool = False) -> Store:
    """The station's file, which must exist. ``reading``: the command only reads (find, lists,
    reports), so the page-by-page check of the whole file (a second on a large station) is left to
    ``check`` and the app; a damaged page such a command touches is still reported as damage.

    ``only_reads``: the command writes nothing (``check``, ``audit verify``), so the file is opened
    read-only, unless it needs upgrading to this version's schema and can be. Other commands
    (the lists, export, print, report) open a file they can write normally, to record what leaves
    the program in the audit log, and a read-only file (or medium) read-only: the output is still
    written, and ``note_unrecorded`` says that the audit log could not record it."""
    from station_app.store.database import writable
    from station_app.store.errors import NeedsUpgrade

    db = Path(path)
    if not db.exists():
        raise CliError(N_("There is no database at {path}."), path=db)
    if only_reads or not writable(db):
        try:
            return open_store(db, create=False, verify=not reading, read_only=True)
        except NeedsUpgrade:
            if not writable(db):
                raise
    return open_store(db, create=False, verify=not reading)


def note_unrecorded(store: Store) -> None:
    """Say on stderr when a read-only database could not record the command in its audit log."""
    if store.unrecorded:
        err(tr("The database is read-only: this was not recorded in its audit log."))


def record_listing(store: Store, command: str, rows: int, *, json_lines: bool, **filters: object) -> None:
    """The audit entry of a list a command prints (``find``, ``followups``, ``audit log``…): what
    it prints leaves the program as an export does, so it is recorded as one, under the person
    the command runs as — the command, the filters that chose the rows (those given), how many
    rows and in which format, never the rows. Called once the rows are read, before they are
    printed; a read-only database cannot record it (``note_unrecorded`` says so after closing)."""
    from station_app.domain.accounts import Permission
    from station_app.store import audit

    details: dict[str, object] = {"format": "json" if json_lines else "text", "rows": rows}
    for name, value in filters.items():
        if value is not None and value != "":
            details[name] = value.isoformat() if isinstance(value, dt.date) else value
    audit.record_output(store, Permission.EXPORT, audit.EXPORT, ("command_line", command), details)


def cannot_write(path: object, exc: OSError) -> CliError:
    """The error for a file that could not be written."""
    return CliError(N_("Cannot write {path}: {reason}"), path=path, reason=os_reason(exc))


# -- numbers ------------------------------------------------------------------------------------
# Checked where they are read, so a value out of range is a one-line refusal, never a crash deep
# down (an id past SQLite's integers, a date past year 9999 once a schedule adds to it).
MAX_ID = 2**63 - 1
MAX_LIMIT = 1_000_000
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``."""

    def read(text: str) -> int:
        try:
            value: int | None = int(text.strip())
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                tr("write a whole number from {low} to {high}, not {value}").format(
                    low=grouped(low), high=grouped(high), value=text[:40])
            )
        return value

    return read


record_id = whole_number(1, MAX_ID)
row_limit = whole_number(1, MAX_LIMIT)


# argparse's own refusals, in the person's language like every other error (argparse looks its
# words up through ``argparse._`` when it refuses).
ARGPARSE_WORDS = (
    N_("argument %(argument_name)s: %(message)s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"),
    N_("expected one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
)
argparse._ = translate  # type: ignore[attr-defined]


class OneLineParser(argparse.ArgumentParser):
    """argparse with its errors on one line, as every other error of the command line."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, tr("Error: {message}").format(message=f"{self.prog}: {message}") + "\n")


# -- dates --------------------------------------------------------------------------------------
def day_in_range(day: dt.date, option: str) -> dt.date:
    """``day`` if Trạm can work with it (1900 to 2199), else a one-line refusal naming ``option``."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise CliError(N_("{option}: {value} is outside the dates Trạm works with ({first} to {last})."),
                       option=option, value=day.isoformat(), first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())
    return day


def parse_day(text: str, option: str) -> dt.date:
    """A date option's value: ``YYYY-MM-DD`` or ``dd/mm/yyyy`` from 1900 to 2199; else the one-line
    error naming it."""
    try:
        day = parse_date(text)
    except DateFormatError as exc:
        raise CliError(N_('{option}: "{value}" is not a date (write YYYY-MM-DD or dd/mm/yyyy).'), option=option,
                       value=text) from exc
    return day_in_range(day, option)


def add_date_option(parser: argparse.ArgumentParser, option: str, dest: str, help: str, *,
                    required: bool = False) -> None:
    """``option DATE`` on ``parser``, read by :func:`parse_day` (argparse gives the date)."""
    parser.add_argument(option, dest=dest, metavar="DATE", required=required, help=help,
                        type=functools.partial(parse_day, option=option))


def check_range(start: dt.date | None, end: dt.date | None) -> None:
    if start and end and end < start:
        raise CliError(N_("--to is before --from."))


# -- sub-commands shared by several groups -----------------------------------------------------
def _shared_group(sub: argparse._SubParsersAction, name: str, help: str, dest: str) -> argparse._SubParsersAction:
    """The sub-commands of ``main.py NAME``, a command several groups add to (created once)."""
    parser = sub.choices.get(name)
    if parser is None:
        parser = sub.add_parser(name, help=help)
        parser.add_subparsers(dest=dest, metavar=dest.upper(), required=True)
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def print_documents(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The sub-commands of ``main.py print`` (each group adds its documents)."""
    return _shared_group(sub, "print", "print a document to PDF", "document")


def report_kinds(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The sub-commands of ``main.py report`` (each group adds its reports)."""
    return _shared_group(sub, "report", "reports (monthly summary, medicines, claims)", "report")


def parse_month(text: str) -> Month:
    """The value of a ``--month`` option: a month written YYYY-MM within the dates Trạm works with
    (a year alone is refused: the yearly report is asked with ``--period``)."""
    from station_app.domain.monthly import Month

    try:
        month = Month.parse(text)
    except ValueError:
        raise CliError(N_("--month must be a month written YYYY-MM, not {value}."), value=text) from None
    if month.is_year:
        raise CliError(N_("--month must be a month written YYYY-MM, not {value}."), value=text)
    day_in_range(month.start, "--month")
    return month
