"""The command line's way in and out: ``import`` (CSV or XLSX: patients, a chronic-disease
register, a vaccination register or a visit history), ``export`` (registry, visit log, follow-up
list, referral book as CSV or XLSX) and ``print patient-summary``::

    main.py import --db FILE PATIENTS.(csv|xlsx) [--mapping MAP.json] [--what patients|chronic]
    main.py import --db FILE VACCINATIONS.(csv|xlsx) --what vaccinations
    main.py import --db FILE VISITS.(csv|xlsx) --what visits
    main.py import --db FILE F.(csv|xlsx) --what births|deaths
    main.py export --db FILE --what patients|visits|followups|referrals [--from DATE --to DATE]
                   --format csv|xlsx --out FILE [--no-identifiers]
    main.py print patient-summary --db FILE --id ID --out FILE.pdf

The import keeps the foundation's contract: every row is checked first; if one is invalid
nothing is imported, each problem is listed with its row number and the exit code is non-zero;
patients already registered are reported and skipped (exit 0 when that is the only finding).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from station_app import clock
from station_app.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    CliError,
    add_date_option,
    cannot_write,
    check_range,
    err,
    note_unrecorded,
    open_existing,
    out,
    print_documents,
    record_id,
)
from station_app.i18n import N_, tr


# -- import -------------------------------------------------------------------------------------
def cmd_import(args: argparse.Namespace) -> int:
    from station_app.domain import table_import as ti
    from station_app.domain.spreadsheet import open_book
    from station_app.store import open_store
    from station_app.store.bulk_import import apply, find_matches

    what = getattr(args, "what", None) or "patients"
    source = Path(args.file)
    if not source.is_file():
        raise CliError(N_("There is no file {path}."), path=source)
    today = clock.today()
    book = open_book(source)  # (a file that is not a list: ImportFormatError, a UserError)
    if what in ("births", "deaths"):
        from station_app.cli.books import import_vital

        return import_vital(args, source, book, what)
    table = ti.read_table(book, 0, what)
    if getattr(args, "mapping", None):
        mapping = ti.mapping_from_file(args.mapping, table.headers, what)
    else:
        mapping = ti.suggest_mapping(table.headers, what, remembered={})
    if what in ti.history_import.WHATS:
        ti.check_mapping(mapping, what)
        return _import_history(args, source, table.rows, mapping, what)
    preview = ti.build_preview(table, mapping, what, today, keep_cells=False)
    table.rows.clear()  # every row is in the preview now: free the raw cells of a large list
    if preview.date_order.ambiguous:
        out(tr("Every text date in the file could be read either way: read as day/month/year."))
    elif preview.date_order.order == "mdy":
        out(tr("Text dates are read as month/day/year (values such as 12/31/1950 show it)."))
    for row in preview.invalid:
        for problem in row.errors:
            err(
                tr("Row {row}, {field}: {message}").format(
                    row=row.number, field=tr(ti.field_title(ti.problem_column(problem.field))), message=problem.text()
                )
            )
    if preview.invalid:
        err(
            tr("{rows} rows are invalid: nothing was imported. Correct them and import the file again.").format(
                rows=len(preview.invalid)
            )
        )
        return EXIT_FINDINGS
    store = open_store(Path(args.db))
    try:
        matches = find_matches(store, preview)
        outcome = apply(store, preview, matches, source=source.name)
    finally:
        store.close()
    for row in preview.rows:
        for problem in row.warnings:
            out(
                tr("Row {row}, {field} (check): {message}").format(
                    row=row.number, field=tr(ti.field_title(ti.problem_column(problem.field))), message=problem.text()
                )
            )
    for number in sorted(matches):
        match = matches[number]
        if what == "chronic" and match.existing_id is not None:
            out(tr("Row {row}: added to the registered patient {other}").format(row=number, other=match.other))
        else:
            out(tr("Row {row} skipped, duplicate: {reason}").format(row=number, reason=match.text()))
    if what == "chronic":
        out(
            tr("Registered {count} new patients; {enrolled} enrolments, {refills} refills on the follow-up list; "
               "{skipped} rows skipped.").format(
                count=outcome.imported, enrolled=outcome.enrolled, refills=outcome.refills, skipped=outcome.skipped
            )
        )
    else:
        out(
            tr("Imported {count} patients; {skipped} duplicates skipped.").format(
                count=outcome.imported, skipped=outcome.skipped
            )
        )
    return EXIT_OK


def _import_history(args: argparse.Namespace, source: Path, rows: list, mapping: dict[int, str], what: str) -> int:
    """``import --what vaccinations|visits``: every row checked (its patient found), then all saved."""
    from station_app.domain import history_import as hi
    from station_app.store import open_store
    from station_app.store.bulk_import import ImportRefused
    from station_app.store.history_import import apply, find_patients

    preview = hi.build_preview(rows, mapping, what, clock.now())
    outcome = None
    store = open_store(Path(args.db))
    try:
        find_patients(store, preview)
        if not preview.invalid:
            try:
                outcome = apply(store, preview, source=source.name)
            except ImportRefused:  # a row found wrong inside the write (a death saved meanwhile): listed below
                if not preview.invalid:
                    raise
    finally:
        store.close()
    for row in preview.rows:
        for problem in row.errors:
            err(tr("Row {row}, {field}: {message}").format(
                row=row.number, field=tr(hi.title(hi.problem_column(problem))), message=problem.text()))
    if preview.invalid or outcome is None:
        err(tr("{rows} rows are invalid: nothing was imported. Correct them and import the file again.").format(
            rows=len(preview.invalid)))
        return EXIT_FINDINGS
    for row in preview.rows:
        for problem in row.warnings:
            out(tr("Row {row}, {field} (check): {message}").format(
                row=row.number, field=tr(hi.title(hi.problem_column(problem))), message=problem.text()))
    for number in outcome.already:
        out(tr("Row {row} skipped: already recorded.").format(row=number))
    message = (tr("Imported {count} vaccine doses of {patients} children; {skipped} already recorded.")
               if what == "vaccinations" else
               tr("Imported {count} visits of {patients} patients; {skipped} already recorded."))
    out(message.format(count=outcome.added, patients=len(outcome.patients), skipped=len(outcome.already)))
    return EXIT_OK


# -- export -------------------------------------------------------------------------------------
def cmd_export(args: argparse.Namespace) -> int:
    from station_app.reports import exports

    start, end = args.date_from, args.date_to
    check_range(start, end)
    store = open_existing(args.db)
    try:
        result = exports.export(
            store,
            args.what,
            Path(args.out),
            args.format,
            start=start,
            end=end,
            identifiers=not args.no_identifiers,
            today=clock.today(),
        )
    except OSError as exc:
        raise cannot_write(args.out, exc) from exc
    finally:
        store.close()
    note_unrecorded(store)
    out(tr("{count} rows written to {path}.").format(count=result.rows, path=result.path))
    return EXIT_OK


def cmd_patient_summary(args: argparse.Namespace) -> int:
    from station_app.printing.patient_summary import write_summary

    store = open_existing(args.db)
    try:
        try:
            path = write_summary(store, args.id, Path(args.out), today=clock.today())
        except LookupError as exc:
            raise CliError(N_("There is no patient with id {id}."), id=args.id) from exc
        except OSError as exc:
            raise cannot_write(args.out, exc) from exc
    finally:
        store.close()
    note_unrecorded(store)
    out(tr("Written: {path}").format(path=path))
    return EXIT_OK if path else EXIT_FINDINGS


def add_commands(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser("import", help="import patients, registers or visits from CSV or XLSX")
    imp.add_argument("--db", required=True)
    imp.add_argument("file", metavar="PATIENTS.(csv|xlsx)")
    imp.add_argument("--mapping", metavar="MAP.json", help='columns to fields: {"Header": "field", ...}')
    imp.add_argument("--what", choices=("patients", "chronic", "vaccinations", "visits", "births", "deaths"),
                     default="patients")
    imp.set_defaults(func=cmd_import)

    export = sub.add_parser("export", help="export a list to CSV or XLSX")
    export.add_argument("--db", required=True)
    export.add_argument("--what", required=True, choices=("patients", "visits", "followups", "referrals"))
    add_date_option(export, "--from", "date_from", "first day")
    add_date_option(export, "--to", "date_to", "last day")
    export.add_argument("--format", required=True, choices=("csv", "xlsx"))
    export.add_argument("--out", required=True, metavar="FILE")
    export.add_argument("--no-identifiers", action="store_true", help="leave out citizen ID, insurance no., phone")
    export.set_defaults(func=cmd_export)

    summary = print_documents(sub).add_parser("patient-summary", help="everything held about one patient (PDF)")
    summary.add_argument("--db", required=True)
    summary.add_argument("--id", required=True, type=record_id)
    summary.add_argument("--out", required=True, metavar="FILE.pdf")
    summary.set_defaults(func=cmd_patient_summary)
