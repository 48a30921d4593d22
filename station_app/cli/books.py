"""Notifiable diseases and the station's books on the command line (contracts)::

    main.py notifications --db FILE [--json]                 (each listing audited, as each print is)
    main.py print case-report --db FILE --id ID --out FILE.pdf
    main.py print book --db FILE --book A1|A2.1|A2.2|A3|A4|A6 --from DATE --to DATE --out FILE.pdf
    main.py import --db FILE F.(csv|xlsx) --what births|deaths    (read here, called by cli/io.py)

``print visit-book`` stays as the A1 alias.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from station_app import clock
from station_app.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    add_date_option,
    cannot_write,
    check_range,
    err,
    note_unrecorded,
    open_existing,
    out,
    print_documents,
    record_listing,
)
from station_app.domain.books import BOOKS

if TYPE_CHECKING:
    from station_app.domain.spreadsheet import Book
from station_app.i18n import tr


def cmd_notifications(args: argparse.Namespace) -> int:
    from station_app.store import notifications

    store = open_existing(args.db, reading=True)
    try:
        found = notifications.listing(store)
        record_listing(store, "notifications", len(found), json_lines=args.json)
    finally:
        store.close()
    note_unrecorded(store)
    now = clock.now()
    for n in found:
        status = n.status(now)
        if args.json:
            out(json.dumps({
                "id": n.id,
                "patient_id": n.patient_id,
                "full_name": n.full_name,
                "disease": n.disease_name,
                "code": n.code,
                "detected_at": n.detected_at.isoformat(timespec="minutes"),
                "due_by": n.due_by.isoformat(timespec="minutes"),
                "status": status,
            }, ensure_ascii=False))
        else:
            out("  ".join([
                str(n.id), tr(notifications.STATUS_TITLES[status]), n.full_name, f"{n.disease_name} ({n.code})",
                n.detected_at.strftime("%d/%m/%Y %H:%M"), "→ " + n.due_by.strftime("%d/%m/%Y %H:%M"),
            ]))
    return EXIT_OK


def cmd_print_case_report(args: argparse.Namespace) -> int:
    from station_app.printing.case_report import write_case_report

    store = open_existing(args.db)
    try:
        try:
            path = write_case_report(store, args.id, args.out)
        except OSError as exc:
            raise cannot_write(args.out, exc) from exc
    finally:
        store.close()
    note_unrecorded(store)
    out(str(path))
    return EXIT_OK


def cmd_print_book(args: argparse.Namespace) -> int:
    from station_app.printing.books import render_book

    check_range(args.start, args.end)
    store = open_existing(args.db, reading=True)
    target = Path(args.out)
    try:
        render_book(store, args.book, args.start, args.end, target)
    except OSError as exc:
        raise cannot_write(target, exc) from exc
    finally:
        store.close()
    note_unrecorded(store)
    out(tr("Book {book} {start} – {end} written to {path}.").format(
        book=args.book, start=args.start.strftime("%d/%m/%Y"), end=args.end.strftime("%d/%m/%Y"), path=target))
    return EXIT_OK


def import_vital(args: argparse.Namespace, source: Path, book: Book, what: str) -> int:
    """``import --what births|deaths``: every row checked (its mother or patient found), then all saved."""
    from station_app.domain import vital_import as vi
    from station_app.domain.spreadsheet import cell_text, is_empty
    from station_app.store import open_store
    from station_app.store.vital_import import apply, find_people

    sheet = list(book.rows(0))
    head = vi.header_row(sheet, what)
    columns = vi.mapping([cell_text(c) for c in sheet[head]] if sheet else [], what)
    table = [(number, cells) for number, cells in enumerate(sheet, start=1)
             if number > head + 1 and any(not is_empty(c) for c in cells)]
    rows = vi.rows(table, columns, what, clock.now())
    outcome = None
    store = open_store(Path(args.db))
    try:
        people = find_people(store, rows)
        if not any(r.errors for r in rows):
            outcome = apply(store, what, rows, people, source=source.name)
    finally:
        store.close()
    bad = [r for r in rows if r.errors]
    for row in bad:
        for problem in row.errors:
            label = vi.TITLES.get(problem.field)
            err(tr("Row {row}, {field}: {message}").format(
                row=row.number, field=tr(label) if label else problem.field, message=problem.text()))
    if bad or outcome is None:
        err(tr("{rows} rows are invalid: nothing was imported. Correct them and import the file again.").format(
            rows=len(bad)))
        return EXIT_FINDINGS
    for number in outcome.already:
        out(tr("Row {row} skipped: already recorded.").format(row=number))
    message = (tr("Imported {count} deliveries ({babies} babies); {skipped} rows already recorded.")
               if what == "births" else tr("Imported {count} deaths; {skipped} rows already recorded."))
    out(message.format(count=outcome.added, babies=outcome.babies, skipped=len(outcome.already)))
    return EXIT_OK


def add_commands(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("notifications", help="notifiable communicable diseases to report, each by its due time")
    parser.add_argument("--db", required=True)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(func=cmd_notifications)
    documents = print_documents(sub)
    case = documents.add_parser("case-report", help="the case report of a notification")
    case.add_argument("--db", required=True)
    case.add_argument("--id", required=True, type=int)
    case.add_argument("--out", required=True)
    case.set_defaults(func=cmd_print_case_report)
    book = documents.add_parser("book", help="a book of the station (A1, A2.1, A2.2, A3, A4, A6) for a date range")
    book.add_argument("--db", required=True)
    book.add_argument("--book", required=True, choices=BOOKS)
    add_date_option(book, "--from", "start", "first day", required=True)
    add_date_option(book, "--to", "end", "last day", required=True)
    book.add_argument("--out", required=True, help="the PDF file to write")
    book.set_defaults(func=cmd_print_book)
