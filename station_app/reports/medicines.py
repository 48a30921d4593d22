"""The monthly medicine report computed from the stock ledger (rows in
``domain.medicine_report``), and written as JSON lines and XLSX."""

from __future__ import annotations

import json

from station_app.domain.medicine_report import COLUMNS, ROW_KEYS, DrugRow, LotRow, MedicineReport
from station_app.domain.monthly import Month
from station_app.store import Store, formulary, stock


def compute(store: Store, month: Month) -> MedicineReport:
    from station_app.store.station import load_profile

    drugs = formulary.by_code(store)
    by_drug: dict[str, DrugRow] = {}
    for lot in stock.period(store, month.start, month.end):
        drug = drugs.get(lot.drug_code)
        if drug is None:
            continue
        row = by_drug.setdefault(lot.drug_code, DrugRow(drug))
        row.lots.append(
            LotRow(
                lot.lot_no,
                lot.expiry,
                lot.unit_price,
                lot.opening,
                lot.received,
                lot.dispensed,
                lot.adjusted,
                lot.closing,
            )
        )
    rows = sorted(by_drug.values(), key=lambda r: (r.drug.ingredient.lower(), r.drug.code))
    return MedicineReport(month, load_profile(store).name, rows)


def json_lines(report: MedicineReport) -> bytes:
    """One JSON object per line, one line per drug (its lots inside)."""
    return "".join(json.dumps(r.as_dict(), ensure_ascii=False) + "\n" for r in report.rows).encode("utf-8")


def xlsx_bytes(report: MedicineReport) -> bytes:
    """One sheet: a line per drug (totals) and its lots beneath, numbers as numbers, header frozen."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    from station_app.i18n import tr

    book = Workbook()
    sheet = book.active
    sheet.title = tr("Medicines")[:31]
    sheet.append([report.station, tr("Month {month}").format(month=f"{report.month.month:02d}/{report.month.year}")])
    header = [tr("Code"), *map(tr, COLUMNS)]
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in report.rows:
        sheet.append(
            [
                row.drug.code,
                row.drug.name,
                row.drug.unit,
                None,
                None,
                None,
                *(row.total(k) for k in ROW_KEYS[3:]),
                row.closing_value,
            ]
        )
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for lot in row.lots:
            sheet.append(
                [
                    row.drug.code,
                    row.drug.name,
                    row.drug.unit,
                    lot.lot,
                    lot.expiry,
                    lot.unit_price,
                    *(getattr(lot, k) for k in ROW_KEYS[3:]),
                    lot.closing_value,
                ]
            )
            sheet.cell(sheet.max_row, 5).number_format = "DD/MM/YYYY"
    for cells in sheet.iter_rows():
        for cell in cells:
            if cell.data_type == "f":  # text typed as "=…" stays text, never a formula
                cell.data_type = "s"
    sheet.freeze_panes = "A3"
    for letter, width in zip("ABCDEFGHIJKL", (10, 34, 8, 14, 12, 10, 10, 10, 10, 10, 10, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
