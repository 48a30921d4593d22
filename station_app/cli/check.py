"""``main.py check`` (a contract)::

    main.py check --db FILE            integrity, schema, counts, audit chain
"""

from __future__ import annotations

import argparse

from station_app.cli.audit import chain_lines
from station_app.cli.common import EXIT_FINDINGS, EXIT_OK, err, open_existing, out
from station_app.i18n import N_, tr

# The counts' lines, in the language of the output (never the tables' English names).
COUNT_LINES = {
    "patients": N_("Patients: {count}"),
    "visits": N_("Visits: {count}"),
    "icd10": N_("ICD-10 codes: {count}"),
    "staff": N_("Staff: {count}"),
}


def cmd_check(args: argparse.Namespace) -> int:
    from station_app.store.schema import SCHEMA_VERSION

    store = open_existing(args.db, only_reads=True)
    try:
        problems = store.integrity_problems()
        counts = {
            table: store.scalar(f"SELECT count(*) FROM {table}") for table in ("patients", "visits", "icd10", "staff")
        }
        version = store.schema_version
        chain_ok, chain_report = chain_lines(store)
    finally:
        store.close()
    out(tr("Database: {path}").format(path=args.db))
    out(tr("Schema version: {version} (this program: {known})").format(version=version, known=SCHEMA_VERSION))
    for table, n in counts.items():
        out(tr(COUNT_LINES[table]).format(count=n))
    for line in chain_report:
        (out if chain_ok else err)(line)
    if problems or not chain_ok:
        for problem in problems[:20]:
            err(problem)
        err(tr("The database is NOT healthy: restore a backup."))
        return EXIT_FINDINGS
    out(tr("Integrity: ok"))
    return EXIT_OK


def add_commands(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser("check", help="integrity check, schema version, counts")
    check.add_argument("--db", required=True)
    check.set_defaults(func=cmd_check)
