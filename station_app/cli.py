"""The command line: the GUI by default, and the same operations headless.

The command forms below are a contract (other tools and tests use them)::

    main.py [--db FILE | --demo] [--lang vi|en]          the app
    main.py demo --db FILE [--patients N] [--seed S] [--force]
    main.py import --db FILE PATIENTS.(csv|xlsx) [--mapping MAP.json] [--what patients|chronic]
    main.py find --db FILE QUERY [--limit N] [--json]
    main.py check --db FILE

Errors are one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from station_app import i18n, paths
from station_app.i18n import tr
from station_app.store import StoreError, open_store

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FINDINGS = 1  # the command ran but found problems (invalid rows, unhealthy database)
EXIT_ERROR = 2  # the command could not run
EXIT_BROKEN_PIPE = 141  # what reads the output stopped reading (``… --json | head``): 128 + SIGPIPE


class CliError(Exception):
    """A user-facing failure: printed as one line."""


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _open_existing(path: str, *, reading: bool = False):
    """The station's file, which must exist. ``reading``: the command only reads (find, lists,
    reports), so the page-by-page check of the whole file (a second on a large station) is left to
    ``check`` and the app; a damaged page such a command touches is still reported as damage."""
    db = Path(path)
    if not db.exists():
        raise CliError(tr("There is no database at {path}.").format(path=db))
    return open_store(db, create=False, verify=not reading)


# -- demo ---------------------------------------------------------------------------------------
def cmd_demo(args: argparse.Namespace) -> int:
    from station_app.demo import DemoExists, generate

    try:
        summary = generate(
            Path(args.db),
            patients=args.patients,
            seed=args.seed,
            force=args.force,
            visits_per_patient=args.visits_per_patient,
        )
    except DemoExists as exc:
        raise CliError(tr("{path} already exists: add --force to replace it.").format(path=args.db)) from exc
    _out(
        tr("Demo database written: {path} ({patients} patients, {visits} visits, {seconds} s).").format(
            path=args.db, patients=summary.patients, visits=summary.visits, seconds=f"{summary.seconds:.1f}"
        )
    )
    return EXIT_OK


# -- import -------------------------------------------------------------------------------------
def cmd_import(args: argparse.Namespace) -> int:
    """CSV or XLSX, patients or a chronic-disease register: see ``station_app.cli_io``."""
    from station_app.cli_io import run_import

    return run_import(args)


# -- find ---------------------------------------------------------------------------------------
def patient_json(p) -> dict[str, object]:
    return {
        "id": p.id,
        "record_no": p.record_no,
        "full_name": p.full_name,
        "sex": p.sex,
        "birth_date": p.birth.iso() if p.birth else None,
        "birth_estimated": bool(p.birth and (p.birth.estimated or not p.birth.is_full)),
        "citizen_id": p.citizen_id,
        "insurance_no": p.insurance_no,
        "insurance_valid_to": p.insurance_valid_to.isoformat() if p.insurance_valid_to else None,
        "phone": p.phone,
        "address": p.address,
        "village": p.village,
        "ethnicity": p.ethnicity,
        "deceased": p.deceased,
    }


def cmd_find(args: argparse.Namespace) -> int:
    from station_app.domain.identifiers import SEX_CODES
    from station_app.store import patients

    store = _open_existing(args.db, reading=True)
    try:
        found = patients.search(store, args.query, limit=args.limit)
    finally:
        store.close()
    for p in found:
        if args.json:
            _out(json.dumps(patient_json(p), ensure_ascii=False))
        else:
            _out(
                "  ".join(
                    [
                        p.record_no or "",
                        p.full_name,
                        tr(SEX_CODES.get(p.sex, "")),
                        p.birth.display() if p.birth else "",
                        p.village,
                        p.phone,
                    ]
                )
            )
    if not found and not args.json:
        _err(tr('No patient matches "{query}".').format(query=args.query))
    return EXIT_OK


# -- check --------------------------------------------------------------------------------------
def cmd_check(args: argparse.Namespace) -> int:
    from station_app.store.schema import SCHEMA_VERSION

    store = _open_existing(args.db)
    try:
        problems = store.integrity_problems()
        counts = {
            table: store.scalar(f"SELECT count(*) FROM {table}") for table in ("patients", "visits", "icd10", "staff")
        }
        version = store.schema_version
        from station_app.cli_accounts import chain_lines

        chain_ok, chain_report = chain_lines(store)
    finally:
        store.close()
    _out(tr("Database: {path}").format(path=args.db))
    _out(tr("Schema version: {version} (this program: {known})").format(version=version, known=SCHEMA_VERSION))
    for table, n in counts.items():
        _out(f"{table}: {n}")
    for line in chain_report:
        (_out if chain_ok else _err)(line)
    if problems or not chain_ok:
        for problem in problems[:20]:
            _err(problem)
        _err(tr("The database is NOT healthy: restore a backup."))
        return EXIT_FINDINGS
    _out(tr("Integrity: ok"))
    return EXIT_OK


# -- the app ------------------------------------------------------------------------------------
def cmd_gui(args: argparse.Namespace) -> int:
    from station_app.ui.app import run

    return run(db=Path(args.db) if args.db else None, demo=args.demo, lang=args.lang)


# -- parser -------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Trạm — offline records for a commune health station.",
    )
    parser.add_argument("--db", help="database file (default: the user data folder)")
    parser.add_argument("--demo", action="store_true", help="open a fresh demo database")
    parser.add_argument("--lang", choices=i18n.LANGUAGES, help="language of the interface (vi, en)")
    parser.add_argument("--data-dir", help="use this folder instead of the user data folder")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="write a demo database")
    demo.add_argument("--db", required=True, help="file to write")
    demo.add_argument("--patients", type=int, default=2000)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--visits-per-patient", type=float, default=10.0, help=argparse.SUPPRESS)
    demo.add_argument("--force", action="store_true", help="replace an existing file")
    demo.set_defaults(func=cmd_demo)

    imp = sub.add_parser("import", help="import patients from a CSV file")
    imp.add_argument("--db", required=True)
    imp.add_argument("file", metavar="PATIENTS.(csv|xlsx)")
    imp.add_argument("--mapping", metavar="MAP.json", help='columns to fields: {"Header": "field", ...}')
    imp.add_argument("--what", choices=("patients", "chronic"), default="patients")
    imp.set_defaults(func=cmd_import)

    find = sub.add_parser("find", help="find patients (accents optional)")
    find.add_argument("--db", required=True)
    find.add_argument("query")
    find.add_argument("--limit", type=int, default=20)
    find.add_argument("--json", action="store_true", help="one JSON object per line")
    find.set_defaults(func=cmd_find)

    check = sub.add_parser("check", help="integrity check, schema version, counts")
    check.add_argument("--db", required=True)
    check.set_defaults(func=cmd_check)
    return parser


_EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []


def register(add: Callable[[argparse._SubParsersAction], None]) -> Callable[[argparse._SubParsersAction], None]:
    """Let a feature module add its sub-commands (follow-ups, referrals, printing…)."""
    _EXTRA_COMMANDS.append(add)
    return add


def print_documents(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The sub-commands of ``main.py print`` (created once; each feature adds its document)."""
    printer = sub.choices.get("print")
    if printer is None:
        printer = sub.add_parser("print", help="print a document to PDF")
        printer.add_subparsers(dest="document", metavar="DOCUMENT", required=True)
    return next(a for a in printer._actions if isinstance(a, argparse._SubParsersAction))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    _load_feature_commands()
    for add in _EXTRA_COMMANDS:
        add(sub)
    args = parser.parse_args(argv)
    if args.lang:
        i18n.set_language(args.lang)
    if args.data_dir:
        paths.set_data_dir(args.data_dir)
    try:
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
    except CliError as exc:
        _err(tr("Error: {message}").format(message=str(exc)))
        return EXIT_ERROR
    except StoreError as exc:
        _err(tr("Error: {message}").format(message=exc.text()))
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one line for the user, the traceback in the log file
        log_path = paths.log_error(traceback.format_exc())
        _err(tr("Error: {message} (details in {log})").format(message=str(exc) or type(exc).__name__, log=log_path))
        return EXIT_ERROR


def _output_to_null() -> None:
    """Standard output sent to the null device: what is still buffered for a pipe whose reader
    has gone would otherwise fail once more when Python flushes it at exit."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):  # (no file descriptor: output captured in the process)
        pass


def _load_feature_commands() -> None:
    """Import the modules that register extra commands (kept lazy for a fast start)."""
    import importlib

    for module in ("station_app.cli_followups", "station_app.cli_referrals", "station_app.cli_safety",
                   "station_app.cli_accounts", "station_app.cli_io", "station_app.cli_reports",
                   "station_app.cli_medicines"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
