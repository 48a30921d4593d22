"""``main.py report monthly`` and ``main.py print visit-book`` (a contract)::

    main.py report monthly --db FILE --month YYYY-MM --format pdf|xlsx|json|dhis2 --out FILE
    main.py report monthly --db FILE --period YYYY --format pdf|xlsx|json|dhis2 --out FILE   (the year)
    main.py print visit-book --db FILE --from YYYY-MM-DD --to YYYY-MM-DD --out FILE.pdf

A finalised month is written as it was sent (its frozen copy); any other month as a draft
computed now. ``json`` is the summary object: every indicator with its value, the previous
month's and the breakdown.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from station_app.cli.common import (
    EXIT_OK,
    CliError,
    add_date_option,
    cannot_write,
    check_range,
    day_in_range,
    note_unrecorded,
    open_existing,
    out,
    parse_month,
    print_documents,
    report_kinds,
)
from station_app.i18n import N_, tr

FORMATS = ("pdf", "xlsx", "json", "dhis2")


def _period(text: str):
    """``--period``: a year (YYYY, the yearly report) or a month (YYYY-MM)."""
    from station_app.domain.monthly import Month

    try:
        month = Month.parse(text)
    except ValueError:
        raise CliError(N_("--period must be a year written YYYY or a month written YYYY-MM, not {value}."),
                       value=text) from None
    day_in_range(month.start, "--period")
    return month


def cmd_report_monthly(args: argparse.Namespace) -> int:
    from station_app.domain.accounts import Permission
    from station_app.printing.monthly_report import render_monthly_report
    from station_app.reports import monthly, monthly_export
    from station_app.store import audit, reports

    month = _period(args.period) if args.period else parse_month(args.month)
    store = open_existing(args.db, reading=True)
    target = Path(args.out)
    try:
        summary, status = monthly.current(store, month)
        state = reports.state(store, month)
        final = None
        if status == reports.FINAL:
            latest = state.snapshots[0]
            final = (latest.version, latest.finalised_at, latest.finalised_by)
        try:
            if args.format == "pdf":
                render_monthly_report(summary, target, final)
            elif args.format == "xlsx":
                label = tr("final") if final else tr("draft")
                monthly_export.write(target, monthly_export.xlsx_bytes(summary, label))
            elif args.format == "json":
                monthly_export.write(target, monthly_export.summary_json(summary, status))
            else:
                complete = final[1][:10] if final else None
                monthly_export.write(target, monthly_export.dhis2_bytes(summary, complete))
        except OSError as exc:
            raise cannot_write(target, exc) from exc
        # The file leaves the program: in the audit log (the local operator holds every permission).
        printed = args.format == "pdf"
        audit.record_output(store, Permission.PRINT if printed else Permission.EXPORT,
                            audit.PRINT if printed else audit.EXPORT, ("report", month.key),
                            {"format": args.format, "file": target.name, "final": final is not None})
    finally:
        store.close()
    note_unrecorded(store)
    if month.is_year:
        message = tr("Final yearly report {year} written to {path}.") if final else tr(
            "Draft yearly report {year} written to {path}.")
        out(message.format(year=month.display(), path=target))
    else:
        message = tr("Final monthly report {month} written to {path}.") if final else tr(
            "Draft monthly report {month} written to {path}.")
        out(message.format(month=month.display(), path=target))
    return EXIT_OK


def cmd_print_visit_book(args: argparse.Namespace) -> int:
    from station_app.printing.visit_book import render_visit_book

    start, end = args.start, args.end
    check_range(start, end)
    store = open_existing(args.db, reading=True)
    target = Path(args.out)
    try:
        render_visit_book(store, start, end, target)
    except OSError as exc:
        raise cannot_write(target, exc) from exc
    finally:
        store.close()
    note_unrecorded(store)
    out(tr("Visit book {start} – {end} written to {path}.").format(
        start=start.strftime("%d/%m/%Y"), end=end.strftime("%d/%m/%Y"), path=target))
    return EXIT_OK


def add_commands(sub: argparse._SubParsersAction) -> None:
    monthly = report_kinds(sub).add_parser("monthly", help="the monthly summary of one month")
    monthly.add_argument("--db", required=True)
    when = monthly.add_mutually_exclusive_group(required=True)
    when.add_argument("--month", help="YYYY-MM")
    when.add_argument("--period", help="YYYY for the yearly report (or YYYY-MM)")
    monthly.add_argument("--format", required=True, choices=FORMATS)
    monthly.add_argument("--out", required=True, help="the file to write")
    monthly.set_defaults(func=cmd_report_monthly)

    what = print_documents(sub)
    book = what.add_parser("visit-book", help="the visit book (A1) for a date range")
    book.add_argument("--db", required=True)
    add_date_option(book, "--from", "start", "first day", required=True)
    add_date_option(book, "--to", "end", "last day", required=True)
    book.add_argument("--out", required=True, help="the PDF file to write")
    book.set_defaults(func=cmd_print_visit_book)
