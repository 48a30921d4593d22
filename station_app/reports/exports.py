"""Lists for the district and for Excel: the registry, the visit log of a period, the follow-up
list and the referral book, as CSV (UTF-8 with a byte-order mark, so Excel shows Vietnamese
right) or XLSX (typed cells: dates are dates, numbers are numbers, identifiers are text; a bold
frozen header row; columns as wide as their content).

Citizen ID, insurance card number and phone can be left out (``identifiers=False``) when a
list leaves the station. The registry's headers are the field names the importer reads, so an
exported registry imports back unchanged. Every export is recorded in the audit log when the
database keeps one. Files are written atomically.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from station_app.domain.identifiers import SEX_CODES, ethnic_groups
from station_app.i18n import N_, tr
from station_app.printing.pdf import write_atomic
from station_app.reports import worklist_export
from station_app.store import Store, patients, referrals, visits
from station_app.store.bulk_import import Rejected, audit
from station_app.store.followups import work_rows

WHATS = ("patients", "visits", "followups", "referrals")
FORMATS = ("csv", "xlsx")
IDENTIFIER_KEYS = frozenset({"citizen_id", "insurance_no", "phone"})
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
MAX_WIDTH = 60


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # English source text, translated when written
    kind: str = "text"  # "text", "date", "datetime", "int"


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int


TITLES = {
    "patients": N_("Patients of the station"),
    "visits": N_("Visits of the period"),
    "followups": N_("Follow-ups to do"),
    "referrals": N_("Referral slips"),
}

# -- the registry ---------------------------------------------------------------------------------
PATIENT_COLUMNS = (
    Column("record_no", N_("Record no.")),
    Column("full_name", N_("Full name")),
    Column("sex", N_("Sex")),
    Column("birth_date", N_("Date of birth"), "date"),
    Column("citizen_id", N_("Citizen ID")),
    Column("insurance_no", N_("Insurance card no.")),
    Column("insurance_valid_to", N_("Insurance valid to"), "date"),
    Column("insurance_facility", N_("Registered facility")),
    Column("phone", N_("Phone")),
    Column("address", N_("Address")),
    Column("village", N_("Village")),
    Column("ethnicity", N_("Ethnic group")),
    Column("occupation", N_("Occupation")),
    Column("guardian_name", N_("Guardian")),
    Column("notes", N_("Notes")),
)


def _sex(code: str) -> str:
    return tr(SEX_CODES[code]) if code in SEX_CODES else ""


def patient_records(store: Store) -> list[dict[str, object]]:
    """One record per patient, in Vietnamese name order. A partial birth date stays text
    ("03/1950", "1948"): a spreadsheet date would invent the day."""
    groups = ethnic_groups()
    out: list[dict[str, object]] = []
    ids = patients.all_ids(store)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found = patients.get_many(store, chunk)
        for pid in chunk:
            p = found[pid]
            birth: object = None
            if p.birth is not None:
                birth = p.birth.earliest() if p.birth.is_full else p.birth.display().lstrip("~")
            group = groups.get(p.ethnicity)
            out.append({
                "record_no": p.record_no or "",
                "full_name": p.full_name,
                "sex": _sex(p.sex),
                "birth_date": birth,
                "citizen_id": p.citizen_id,
                "insurance_no": p.insurance_no,
                "insurance_valid_to": p.insurance_valid_to,
                "insurance_facility": p.insurance_facility,
                "phone": p.phone,
                "address": p.address,
                "village": p.village,
                "ethnicity": group.name if group else p.ethnicity,
                "occupation": p.occupation,
                "guardian_name": p.guardian_name,
                "notes": p.notes,
            })
    return out


# -- the visit log --------------------------------------------------------------------------------
VISIT_COLUMNS = (
    Column("visit_at", N_("Date and time"), "datetime"),
    Column("record_no", N_("Record no.")),
    Column("full_name", N_("Full name")),
    Column("sex", N_("Sex")),
    Column("birth_year", N_("Year of birth"), "int"),
    Column("citizen_id", N_("Citizen ID")),
    Column("insurance_no", N_("Insurance card no.")),
    Column("village", N_("Village")),
    Column("complaint", N_("Complaint")),
    Column("bp", N_("BP (mmHg)")),
    Column("diagnosis_code", N_("Diagnosis code (ICD-10)")),
    Column("diagnosis_text", N_("Diagnosis")),
    Column("treatment", N_("Treatment")),
    Column("clinician", N_("Clinician")),
    Column("insurance_paid", N_("Insurance paid the visit")),
    Column("referred", N_("Referred")),
)


def visit_records(store: Store, start: dt.date, end: dt.date) -> list[dict[str, object]]:
    ids = visits.log_ids(store, visits.LogFilter(start, end))
    rows = visits.log_rows(store, ids)
    out: list[dict[str, object]] = []
    for vid in ids:
        r = rows[vid]
        bp = f"{r['bp_systolic']}/{r['bp_diastolic']}" if r["bp_systolic"] and r["bp_diastolic"] else ""
        out.append({
            "visit_at": dt.datetime.fromisoformat(str(r["visit_at"])),
            "record_no": r["record_no"],
            "full_name": r["full_name"],
            "sex": _sex(str(r["sex"])),
            "birth_year": r["birth_year"],
            "citizen_id": r["citizen_id"] or "",
            "insurance_no": r["insurance_no"] or "",
            "village": r["village"] or "",
            "complaint": r["complaint"] or "",
            "bp": bp,
            "diagnosis_code": r["diagnosis_code"] or "",
            "diagnosis_text": r["diagnosis_text"] or "",
            "treatment": r["treatment"] or "",
            "clinician": r["clinician_name"] or "",
            "insurance_paid": tr("Yes") if r["insurance_paid"] else "",
            "referred": tr("Yes") if r["referred"] else "",
        })
    return out


# -- the follow-up list ----------------------------------------------------------------------------
def _followup_columns() -> tuple[Column, ...]:
    kinds = {"due_date": "date", "outcome_date": "date", "days_overdue": "int"}
    return tuple(Column(key, header, kinds.get(key, "text")) for key, header in worklist_export.COLUMNS)


def followup_records(store: Store, today: dt.date) -> list[dict[str, object]]:
    """The Nhắc hẹn list as the nurse sees it (the cells of ``worklist_export``)."""
    rows = work_rows(store, today)
    return worklist_export.table(rows, today, worklist_export.birth_dates(store, rows))


# -- the referral book -----------------------------------------------------------------------------
REFERRAL_COLUMNS = (
    Column("number", N_("Referral slip no.")),
    Column("issued_on", N_("Slip issued on"), "date"),
    Column("full_name", N_("Full name")),
    Column("to_facility", N_("Referred to")),
    Column("diagnosis", N_("Diagnosis")),
    Column("reason", N_("Reason")),
    Column("status", N_("Status")),
    Column("valid_until", N_("Valid until"), "date"),
    Column("printed", N_("Printed (times)"), "int"),
)
REFERRAL_STATES = {
    "issued": N_("Referral issued"),
    "cancelled": N_("Referral cancelled"),
    "sent": N_("Patient sent"),
    "arrived": N_("Arrived at the facility"),
    "feedback": N_("Feedback from the facility"),
    "not_gone": N_("Did not go to the facility"),
}


def referral_records(store: Store, start: dt.date | None, end: dt.date | None) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for r in referrals.book(store, start, end):
        state = r.status if r.status == "cancelled" else r.outcome
        out.append({
            "number": r.number,
            "issued_on": r.issued_at.date(),
            "full_name": r.full_name,
            "to_facility": r.to_facility,
            "diagnosis": r.diagnosis,
            "reason": r.reason,
            "status": tr(REFERRAL_STATES[state]) if state in REFERRAL_STATES else state,
            "valid_until": r.valid_until,
            "printed": r.printed_count,
        })
    return out


# -- writing ----------------------------------------------------------------------------------------
def cell_text(value: object, kind: str = "text") -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def csv_bytes(columns: Sequence[Column], records: Iterable[dict[str, object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([tr(c.header) for c in columns])
    for record in records:
        writer.writerow([cell_text(record.get(c.key), c.kind) for c in columns])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(columns: Sequence[Column], records: Sequence[dict[str, object]], title: str = "") -> bytes:
    """A workbook written in streaming mode (a 100,000-row registry stays small in memory)."""
    # openpyxl is imported here, not at the top: the app imports this module at start-up.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet((title or "Trạm")[:31])
    widths = [len(tr(c.header)) for c in columns]
    for record in records:
        for index, c in enumerate(columns):
            widths[index] = max(widths[index], len(cell_text(record.get(c.key), c.kind)))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), MAX_WIDTH)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for c in columns:
        cell = WriteOnlyCell(sheet, value=tr(c.header))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for record in records:
        line = []
        for c in columns:
            value = record.get(c.key)
            if value is None or value == "":
                line.append(None)
                continue
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, dt.datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(value, dt.date):
                cell.number_format = DATE_FORMAT
            elif isinstance(value, str):
                cell.data_type = "s"  # identifiers stay text (leading zeros), never a formula
            line.append(cell)
        sheet.append(line)
    if records:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(records) + 1}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def table_for(store: Store, what: str, *, start: dt.date | None = None, end: dt.date | None = None,
              today: dt.date | None = None) -> tuple[tuple[Column, ...], list[dict[str, object]]]:
    today = today or dt.date.today()
    if what == "patients":
        return PATIENT_COLUMNS, patient_records(store)
    if what == "visits":
        return VISIT_COLUMNS, visit_records(store, start or dt.date(1900, 1, 1), end or today)
    if what == "followups":
        return _followup_columns(), followup_records(store, today)
    if what == "referrals":
        return REFERRAL_COLUMNS, referral_records(store, start, end)
    raise ValueError(f"unknown export {what!r}")


def export(
    store: Store,
    what: str,
    path: str | os.PathLike[str],
    fmt: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    identifiers: bool = True,
    today: dt.date | None = None,
) -> ExportResult:
    """Write one list to ``path`` as ``fmt`` ("csv" or "xlsx"); returns how many rows."""
    columns, records = table_for(store, what, start=start, end=end, today=today)
    if not identifiers:
        columns = tuple(c for c in columns if c.key not in IDENTIFIER_KEYS)
    if fmt == "csv":
        data = csv_bytes(columns, records)
    elif fmt == "xlsx":
        data = xlsx_bytes(columns, records, tr(TITLES[what]))
    else:
        raise ValueError(f"unknown format {fmt!r}")
    target = write_atomic(path, data)
    audit(
        store,
        "export",
        what,
        {
            "file": Path(path).name,
            "format": fmt,
            "rows": len(records),
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
            "identifiers": identifiers,
        },
    )
    return ExportResult(target, len(records))


# -- the rejected rows of an import ------------------------------------------------------------------
REJECTED_COLUMNS = (
    Column("row", N_("Row in the file"), "int"),
    Column("field", N_("Field at fault")),
    Column("reason", N_("Reason")),
)


def write_rejected(rejected: Sequence[Rejected], path: str | os.PathLike[str]) -> Path:
    """The rows an import left out, as CSV or XLSX (by the file's extension)."""
    records = [{"row": r.row, "field": r.field, "reason": r.reason} for r in rejected]
    if str(path).lower().endswith(".xlsx"):
        return write_atomic(path, xlsx_bytes(REJECTED_COLUMNS, records, tr("Rows not imported")))
    return write_atomic(path, csv_bytes(REJECTED_COLUMNS, records))
