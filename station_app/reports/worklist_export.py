"""The follow-up work list (Nhắc hẹn) as a file: CSV and XLSX exports. The cell texts the screen,
the exports and the printed call sheet share (age, due, since when, last outcome) are in
``station_app.presentation``.

Exports take the rows the nurse sees (``store.followups.work_rows``, with her filters) and keep
one line per follow-up item, with its section (the status) and its last call outcome, so a
list taken on a home-visit round can be read back and compared. Files are written atomically and
privately (``0600``); a text cell never becomes a formula in a spreadsheet.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Sequence
from pathlib import Path

from station_app.domain.accounts import Permission
from station_app.domain.spreadsheet import csv_rows, no_formulas, sheet_text
from station_app.files import write_atomic
from station_app.i18n import N_, tr
from station_app.presentation import age_text, display_date, outcome_summary, phone_text, sex_text
from station_app.store import Store, audit
from station_app.store.followups import WorkRow

# (key, header): the columns of the CSV and XLSX files, in order.
COLUMNS = (
    ("section", N_("Status")),
    ("name", N_("Full name")),
    ("age", N_("Age")),
    ("sex", N_("Sex")),
    ("village", N_("Village")),
    ("phone", N_("Phone")),
    ("kind", N_("Kind of follow-up")),
    ("label", N_("What is due")),
    ("due_date", N_("Due date")),
    ("days_overdue", N_("Days overdue")),
    ("high_risk", N_("High risk")),
    ("last_outcome", N_("Last outcome")),
    ("outcome_date", N_("Outcome date")),
)


# -- the table -----------------------------------------------------------------------------------
def table(rows: Sequence[WorkRow], today: dt.date) -> list[dict[str, object]]:
    """One dict per row, keyed like ``COLUMNS``; dates stay dates and numbers numbers."""
    out: list[dict[str, object]] = []
    for row in rows:
        last = row.item.last_outcome
        out.append({
            "section": row.section.title,
            "name": row.full_name,
            "age": age_text(row, today),
            "sex": sex_text(row),
            "village": row.village,
            "phone": phone_text(row.phone),
            "kind": row.item.kind.title,
            "label": row.item.label,
            "due_date": row.item.due_date,
            "days_overdue": row.days_overdue,
            "high_risk": tr("Yes") if row.high_risk else "",
            "last_outcome": outcome_summary(last),
            "outcome_date": last.recorded_at if last else None,
        })
    return out


def _text(value: object) -> str:
    if isinstance(value, dt.date):
        return display_date(value)
    return "" if value is None else str(value)


def csv_bytes(rows: Sequence[WorkRow], today: dt.date) -> bytes:
    """The list as CSV, UTF-8 with a byte-order mark so Excel shows Vietnamese right."""
    buffer = io.BytesIO()
    records = ([record[key] for key, _header in COLUMNS] for record in table(rows, today))
    csv_rows(buffer, [tr(header) for _key, header in COLUMNS], records, _text)
    return buffer.getvalue()


def write_csv(store: Store, rows: Sequence[WorkRow], path: str | os.PathLike[str], today: dt.date) -> Path:
    """The list shown, as a CSV file: an export (EXPORT, audited)."""
    store.require(Permission.EXPORT)
    written = write_atomic(path, csv_bytes(rows, today))
    _audit(store, written, "csv", rows)
    return written


def _audit(store: Store, written: Path, fmt: str, rows: Sequence[WorkRow]) -> None:
    audit.record_output(store, Permission.EXPORT, audit.EXPORT, "followups",
                        {"file": written.name, "format": fmt, "rows": len(rows), "identifiers": True})


def xlsx_bytes(rows: Sequence[WorkRow], today: dt.date, title: str = "") -> bytes:
    """The list as an Excel workbook: one sheet, a bold frozen header with filters, real dates."""
    # openpyxl is imported here, not at the top: the Nhắc hẹn view imports this module at start-up.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = (title or tr("Follow-ups"))[:31]
    sheet.append([tr(header) for _key, header in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    records = table(rows, today)
    for record in records:
        sheet.append([sheet_text(record[key]) for key, _header in COLUMNS])
    for index, (key, header) in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        if key in ("due_date", "outcome_date"):
            for cell in sheet[letter][1:]:
                cell.number_format = "DD/MM/YYYY"
        longest = max([len(tr(header))] + [len(_text(r[key])) for r in records])
        sheet.column_dimensions[letter].width = min(max(longest + 2, 8), 60)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    no_formulas(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_xlsx(store: Store, rows: Sequence[WorkRow], path: str | os.PathLike[str], today: dt.date,
               title: str = "") -> Path:
    """The list shown, as an Excel workbook: an export (EXPORT, audited)."""
    store.require(Permission.EXPORT)
    written = write_atomic(path, xlsx_bytes(rows, today, title))
    _audit(store, written, "xlsx", rows)
    return written
