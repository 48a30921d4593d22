"""Medicines on the command line (a contract)::

    main.py visit add --db FILE VISIT.json          one visit, or a JSON list of visits; prints each new id
    main.py stock receive --db FILE RECEIPT.(csv|xlsx)
    main.py stock --db FILE [--json]                balance by drug and lot, with expiry
    main.py drugs --db FILE [--json]                the formulary
    main.py report medicines --db FILE --month YYYY-MM --format pdf|xlsx|json --out FILE
    main.py print prescription --db FILE --visit ID --out FILE.pdf

JSON output is one object per line: ``drug`` (code), ``name``, ``lot``, ``expiry`` (ISO),
``quantity``, ``unit``; the report's rows ``drug, name, unit, opening, received, dispensed,
adjusted, closing`` (quantities in the drug's unit; its lots inside). A visit goes through the
same rules as the form; any problem is one line on stderr, a non-zero exit, and nothing is saved.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from station_app import clock
from station_app.cli.common import (
    CliError,
    cannot_write,
    note_unrecorded,
    open_existing,
    out,
    parse_month,
    print_documents,
    report_kinds,
)
from station_app.i18n import tr


def _read_json(path: str) -> object:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CliError(tr("There is no file {path}.").format(path=path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(tr("Could not read {path}: {reason}").format(path=path, reason=exc)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(
            tr("{path} is not valid JSON (line {line}: {reason}).").format(path=path, line=exc.lineno, reason=exc.msg)
        ) from None


# -- visit add --------------------------------------------------------------------------------------
def cmd_visit_add(args: argparse.Namespace) -> int:
    from station_app.domain.accounts import Permission
    from station_app.domain.visit_input import VisitInputError, parse_visits
    from station_app.store import StoreError, visits
    from station_app.store.visit_lookup import resolve

    data = _read_json(args.file)
    try:
        entries = parse_visits(data)
    except VisitInputError as exc:
        raise CliError(exc.text()) from None
    store = open_existing(args.db)
    saved_ids: list[int] = []
    try:
        try:
            with store.write(Permission.RECORD_VISITS):
                for entry in entries:
                    visit, lines = resolve(store, entry, clock.now())
                    saved = visits.insert(store, visit, prescription=lines)
                    saved_ids.append(int(saved.id or 0))
        except VisitInputError as exc:
            raise CliError(exc.text()) from None
        except StoreError as exc:
            prefix = tr("Visit {n}: ").format(n=len(saved_ids) + 1) if len(entries) > 1 else ""
            raise CliError(prefix + exc.text()) from None
    finally:
        store.close()
    for visit_id in saved_ids:
        out(str(visit_id))
    return 0


# -- stock ------------------------------------------------------------------------------------------
def cmd_stock(args: argparse.Namespace) -> int:
    if getattr(args, "stock_command", None) == "receive":
        return cmd_stock_receive(args)
    if not args.db:
        raise CliError(tr("--db is required."))
    from station_app.domain.medicines import quantity_text
    from station_app.store import formulary, stock

    store = open_existing(args.db, reading=True)
    try:
        drugs = formulary.by_code(store)
        found = stock.lots(store)
        today = clock.today()
    finally:
        store.close()
    for lot in found:
        drug = drugs.get(lot.drug_code)
        name, unit = (drug.name, drug.unit) if drug else (lot.drug_code, "")
        if args.json:
            out(
                json.dumps(
                    {
                        "drug": lot.drug_code,
                        "name": name,
                        "lot": lot.lot_no,
                        "expiry": lot.expiry.isoformat(),
                        "quantity": int(lot.balance) if float(lot.balance).is_integer() else lot.balance,
                        "unit": unit,
                        "expired": lot.expiry < today,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            flag = "  " + tr("EXPIRED") if lot.expiry < today else ""
            out(
                f"{lot.drug_code:<10} {name:<40} {lot.lot_no:<14} {lot.expiry.strftime('%d/%m/%Y')} "
                f"{quantity_text(lot.balance):>8} {unit}{flag}"
            )
    return 0


def cmd_stock_receive(args: argparse.Namespace) -> int:
    from station_app.domain.receipt_import import ReceiptFileError, read_receipt
    from station_app.store import stock

    try:
        received_on, supplier, lines = read_receipt(Path(args.file), clock.today())
    except ReceiptFileError as exc:
        raise CliError(exc.text()) from None
    store = open_existing(args.db)
    try:
        try:
            stock.receive(store, lines, received_on, supplier=supplier, note=Path(args.file).name)
        except stock.StockRefused as exc:
            raise CliError(exc.text()) from None
    finally:
        store.close()
    out(tr("{n} lines received into stock on {date}.").format(n=len(lines), date=received_on.strftime("%d/%m/%Y")))
    return 0


# -- drugs ------------------------------------------------------------------------------------------
def cmd_drugs(args: argparse.Namespace) -> int:
    from station_app.store import formulary, stock

    store = open_existing(args.db, reading=True)
    try:
        drugs = formulary.drugs(store)
        on_hand = stock.on_hand(store, clock.today())
    finally:
        store.close()
    for drug in drugs:
        balance = on_hand.get(drug.code, 0.0)
        if args.json:
            out(
                json.dumps(
                    {
                        "drug": drug.code,
                        "name": drug.name,
                        "ingredient": drug.ingredient,
                        "strength": drug.strength,
                        "form": drug.form,
                        "route": drug.route,
                        "unit": drug.unit,
                        "insured": drug.insured,
                        "unit_price": drug.unit_price,
                        "dmdc_code": drug.dmdc_code,
                        "registration_no": drug.registration_no,
                        "programme": drug.programme,
                        "version": drug.version,
                        "quantity": int(balance) if float(balance).is_integer() else balance,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            out(f"{drug.code:<10} {drug.name:<40} {drug.form:<28} {drug.unit}")
    return 0


# -- report medicines / print prescription ----------------------------------------------------------
def cmd_report_medicines(args: argparse.Namespace) -> int:
    from station_app.files import write_atomic
    from station_app.printing.medicine_report import report_pdf
    from station_app.reports import medicines
    from station_app.store import audit

    month = parse_month(args.month)
    store = open_existing(args.db, reading=True)
    target = Path(args.out)
    try:
        report = medicines.compute(store, month)
        if args.format == "pdf":
            data = report_pdf(report)
        elif args.format == "xlsx":
            data = medicines.xlsx_bytes(report)
        else:
            data = medicines.json_lines(report)
        try:
            write_atomic(target, data)
        except OSError as exc:
            raise cannot_write(target, exc) from exc
        audit.record(store, audit.EXPORT, ("medicine_report", month.key), {"format": args.format})
    finally:
        store.close()
    note_unrecorded(store)
    out(tr("Medicine report {month} written to {path}.").format(month=month.key, path=target))
    return 0


def cmd_print_prescription(args: argparse.Namespace) -> int:
    from station_app.printing.prescription_slip import write_slip

    store = open_existing(args.db, reading=True)
    target = Path(args.out)
    try:
        try:
            write_slip(store, args.visit, target)
        except LookupError:
            raise CliError(tr("Visit {id} has no prescription.").format(id=args.visit)) from None
        except OSError as exc:
            raise cannot_write(target, exc) from exc
    finally:
        store.close()
    note_unrecorded(store)
    out(tr("Prescription of visit {id} written to {path}.").format(id=args.visit, path=target))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    visit = sub.add_parser("visit", help="record visits")
    visit_kinds = visit.add_subparsers(dest="visit_command", metavar="ACTION", required=True)
    add = visit_kinds.add_parser("add", help="record one visit (or a JSON list of visits)")
    add.add_argument("--db", required=True)
    add.add_argument("file", metavar="VISIT.json")
    add.set_defaults(func=cmd_visit_add)

    stock_parser = sub.add_parser("stock", help="the medicine stock by drug and lot")
    stock_parser.add_argument("--db")
    stock_parser.add_argument("--json", action="store_true", help="one JSON object per line")
    stock_parser.set_defaults(func=cmd_stock)
    stock_kinds = stock_parser.add_subparsers(dest="stock_command", metavar="ACTION")
    receive = stock_kinds.add_parser("receive", help="enter a delivery note (CSV or XLSX)")
    receive.add_argument("--db", required=True)
    receive.add_argument("file", metavar="RECEIPT.(csv|xlsx)")
    receive.set_defaults(func=cmd_stock)

    drugs = sub.add_parser("drugs", help="the formulary")
    drugs.add_argument("--db", required=True)
    drugs.add_argument("--json", action="store_true", help="one JSON object per line")
    drugs.set_defaults(func=cmd_drugs)

    report = report_kinds(sub).add_parser("medicines", help="the monthly medicine report")
    report.add_argument("--db", required=True)
    report.add_argument("--month", required=True, help="YYYY-MM")
    report.add_argument("--format", required=True, choices=("pdf", "xlsx", "json"))
    report.add_argument("--out", required=True, help="the file to write")
    report.set_defaults(func=cmd_report_medicines)

    slip = print_documents(sub).add_parser("prescription", help="the prescription slip of a visit (A5)")
    slip.add_argument("--db", required=True)
    slip.add_argument("--visit", required=True, type=int, help="the visit's id")
    slip.add_argument("--out", required=True, help="the PDF file to write")
    slip.set_defaults(func=cmd_print_prescription)
