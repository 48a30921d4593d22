"""Health-insurance claims on the command line (a contract)::

    main.py claims --db FILE --from DATE --to DATE --out DIR [--check] [--json]
    main.py report claims --db FILE --month YYYY-MM --format pdf|xlsx|json --out FILE

``claims`` writes one ``GIAMDINHHS`` file per insured visit of the period into DIR, named by its
MA_LK, and prints one line per visit held back (``--json``: one object per insured visit); it
exits 0 when every insured visit was written, 1 when any was held back. ``--check`` writes
no file and no register entry (a visit that passes is ``ready``); what it prints is in the audit
log (the period, how many lines). The files are not signed: the portal's signing tool puts the
facility's digital signature on them before they are sent.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from station_app.cli.common import (
    CliError,
    add_date_option,
    cannot_write,
    check_range,
    note_unrecorded,
    open_existing,
    out,
    parse_month,
    record_listing,
    report_kinds,
)
from station_app.i18n import N_, tr

EXIT_HELD = 1


def cmd_claims(args: argparse.Namespace) -> int:
    from station_app.reports import claims
    from station_app.store.database import CheckInBackground

    check_range(args.start, args.end)
    if not args.out.strip():  # (an empty name is the current folder to the system)
        raise CliError(N_("--out: write the folder to put the claims files in."))
    # Writing files is a write: the whole file's page check runs, on a second thread beside the
    # building (SQLite checks without Python's lock), and its verdict comes before any file is put
    # in place or the register is written. A check (--check) skips it: it writes only its audit entry.
    store = open_existing(args.db, reading=True)
    pages = None if args.check else CheckInBackground(Path(args.db))
    try:
        outcomes = claims.run(store, args.start, args.end, None if args.check else Path(args.out),
                              before_writing=pages.passed if pages is not None else None)
        if args.check:  # (a run that writes is in the log already, with what it wrote and held back)
            shown = len(outcomes) if args.json else sum(1 for o in outcomes if o.status == "held")
            record_listing(store, "claims --check", shown, json_lines=args.json,
                           **{"from": args.start, "to": args.end})
    finally:
        store.close()
    note_unrecorded(store)
    for outcome in outcomes:
        if args.json:
            out(json.dumps(outcome.as_json(), ensure_ascii=False))
        elif outcome.status == "held":
            out(f"{outcome.visit_id}\t{outcome.ma_lk}\t{outcome.full_name}\t{'; '.join(outcome.problems)}")
    return EXIT_HELD if any(o.status == "held" for o in outcomes) else 0


def cmd_report_claims(args: argparse.Namespace) -> int:
    from station_app.domain.accounts import Permission
    from station_app.files import write_atomic
    from station_app.printing.claims_report import claims_pdf
    from station_app.reports import claims
    from station_app.store import audit
    from station_app.store import claims as store_claims

    month = parse_month(args.month)
    store = open_existing(args.db, reading=True)
    target = Path(args.out)
    try:
        store.require(Permission.EXPORT_CLAIMS)
        totals = store_claims.month_totals(store, month)
        if args.format == "pdf":
            data = claims_pdf(totals, store)
        elif args.format == "xlsx":
            data = claims.totals_xlsx(totals)
        else:
            data = claims.totals_json(totals)
        try:
            write_atomic(target, data)
        except OSError as exc:
            raise cannot_write(target, exc) from exc
        audit.record_output(
            store,
            Permission.EXPORT_CLAIMS,
            audit.EXPORT,
            ("claims_report", month.key),
            {"format": args.format, "file": str(target)},
        )
    finally:
        store.close()
    note_unrecorded(store)
    out(tr("Claims report {month} written to {path}.").format(month=month.key, path=target))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("claims", help="the health-insurance claims files of a period (one per insured visit)")
    parser.add_argument("--db", required=True)
    add_date_option(parser, "--from", "start", "first day of the period", required=True)
    add_date_option(parser, "--to", "end", "last day of the period", required=True)
    parser.add_argument("--out", required=True, metavar="DIR", help="the folder to write the files into")
    parser.add_argument("--check", action="store_true", help="check only: write nothing")
    parser.add_argument("--json", action="store_true", help="one JSON object per insured visit")
    parser.set_defaults(func=cmd_claims)

    report = report_kinds(sub).add_parser("claims", help="the month's claims register and totals")
    report.add_argument("--db", required=True)
    report.add_argument("--month", required=True, help="YYYY-MM")
    report.add_argument("--format", required=True, choices=("pdf", "xlsx", "json"))
    report.add_argument("--out", required=True, help="the file to write")
    report.set_defaults(func=cmd_report_claims)
