"""Lists for the district and for Excel: the registry, the visit log of a period, the follow-up
list and the referral book, as CSV (UTF-8 with a byte-order mark, so Excel shows Vietnamese
right) or XLSX (typed cells: dates are dates, numbers are numbers, identifiers are text; a bold
frozen header row; columns as wide as their content).

Citizen ID, insurance card number and phone can be left out (``identifiers=False``) when a
list leaves the station. The registry's headers are the field names the importer reads, so an
exported registry imports back unchanged. Every export is recorded in the audit log. Files are
written atomically and privately (``0600``); a CSV text cell that would start a formula in a
spreadsheet is written as text (``'=…``).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import os
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape

from station_app.domain.accounts import Permission
from station_app.domain.identifiers import SEX_CODES, ethnic_groups
from station_app.domain.spreadsheet import csv_rows
from station_app.files import write_atomic, write_atomic_stream
from station_app.i18n import N_, tr
from station_app.presentation import REFERRAL_STATES
from station_app.reports import worklist_export
from station_app.store import Store, audit, patients, referrals, visits
from station_app.store.bulk_import import Rejected
from station_app.store.followups import work_rows

WHATS = ("patients", "visits", "followups", "referrals")
FORMATS = ("csv", "xlsx")
IDENTIFIER_KEYS = frozenset({"citizen_id", "insurance_no", "phone"})
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
MAX_WIDTH = 60
WIDTH_SAMPLE = 2000  # rows read to fit the column widths of an XLSX file



def _column_letter(number: int) -> str:
    """Excel's name of a column from 1 (A, B, … Z, AA, …): here so the app does not load openpyxl
    (a quarter of a second) at start-up just for this."""
    name = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        name = chr(ord("A") + rest) + name
    return name

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
    Column("occupation_code", N_("Occupation code")),
    Column("nationality", N_("Nationality")),
    Column("commune_code", N_("Commune code")),
    Column("guardian_name", N_("Guardian")),
    Column("notes", N_("Notes")),
)


def _sex(code: str) -> str:
    return tr(SEX_CODES[code]) if code in SEX_CODES else ""


def patient_records(store: Store) -> Iterator[dict[str, object]]:
    """One record per patient, in Vietnamese name order. A partial birth date stays text
    ("03/1950", "1948"): a spreadsheet date would invent the day."""
    groups = ethnic_groups()
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
            yield {
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
                "occupation_code": p.occupation_code,
                "nationality": p.nationality_code or p.nationality,
                "commune_code": p.commune_code,
                "guardian_name": p.guardian_name,
                "notes": p.notes,
            }


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


def visit_records(store: Store, start: dt.date, end: dt.date) -> Iterator[dict[str, object]]:
    """The visits of the period in time order, read 500 at a time (ten years are a million)."""
    ids = visits.log_ids(store, visits.LogFilter(start, end))
    for first in range(0, len(ids), 500):
        chunk = ids[first : first + 500]
        rows = visits.log_rows(store, chunk)
        yield from (_visit_record(rows[vid]) for vid in chunk)


def _visit_record(r: dict[str, object]) -> dict[str, object]:
    bp = f"{r['bp_systolic']}/{r['bp_diastolic']}" if r["bp_systolic"] and r["bp_diastolic"] else ""
    return {
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
    }


# -- the follow-up list ----------------------------------------------------------------------------
def _followup_columns() -> tuple[Column, ...]:
    kinds = {"due_date": "date", "outcome_date": "date", "days_overdue": "int"}
    return tuple(Column(key, header, kinds.get(key, "text")) for key, header in worklist_export.COLUMNS)


def followup_records(store: Store, today: dt.date) -> list[dict[str, object]]:
    """The Nhắc hẹn list as the nurse sees it (the cells of ``worklist_export``)."""
    rows = work_rows(store, today)
    return worklist_export.table(rows, today)


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


def _write_csv(fh: IO[bytes], columns: Sequence[Column], records: Iterable[dict[str, object]]) -> int:
    return csv_rows(fh, [tr(c.header) for c in columns], ([record.get(c.key) for c in columns] for record in records),
                     cell_text)


def csv_bytes(columns: Sequence[Column], records: Iterable[dict[str, object]]) -> bytes:
    buffer = io.BytesIO()
    _write_csv(buffer, columns, records)
    return buffer.getvalue()


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = dt.datetime(1899, 12, 30)
_STYLE_BOLD, _STYLE_DATE, _STYLE_DATETIME = 1, 2, 3
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    f'<numFmts count="2"><numFmt numFmtId="164" formatCode="{DATE_FORMAT}"/>'
    f'<numFmt numFmtId="165" formatCode="{DATETIME_FORMAT}"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_BOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'styles" Target="styles.xml"/></Relationships>'
)


def _xml_text(value: str) -> str:
    return escape(_XML_ILLEGAL.sub("", value), {'"': "&quot;"})


def _cell_xml(ref: str, value: object, style: int = 0) -> str:
    """One ``<c>`` element: text inline (identifiers keep their zeros), numbers and dates as
    numbers (dates with a date format), never a formula."""
    if isinstance(value, dt.datetime):
        serial = (value - _EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="{_STYLE_DATETIME}"><v>{serial:.10g}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="{_STYLE_DATE}"><v>{(value - _EPOCH.date()).days}</v></c>'
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    styled = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{styled} t="inlineStr"><is><t xml:space="preserve">{_xml_text(str(value))}</t></is></c>'


def _write_xlsx(fh: IO[bytes], columns: Sequence[Column], records: Iterable[dict[str, object]],
                title: str = "") -> int:
    """A workbook streamed straight to its XML (a year of visits never sits in memory, and it is
    written many times faster than through a general spreadsheet library): one sheet, a bold
    header row frozen with filters, column widths fitted to the header and the first rows."""
    rows = iter(records)
    first = list(itertools.islice(rows, WIDTH_SAMPLE))
    widths = [len(tr(c.header)) for c in columns]
    for record in first:
        for index, c in enumerate(columns):
            widths[index] = max(widths[index], len(cell_text(record.get(c.key), c.kind)))
    letters = [_column_letter(i) for i in range(1, len(columns) + 1)]
    name = _xml_text(re.sub(r"[\\/?*\[\]:]", " ", title or "Trạm")[:31])
    count = 0
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/_rels/workbook.xml.rels", _BOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            out.write(
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<sheetViews><sheetView workbookViewId="0">'
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                '<sheetFormatPr defaultRowHeight="15"/><cols>'
            )
            for index, width in enumerate(widths, start=1):
                fitted = min(max(width + 2, 8), MAX_WIDTH)
                out.write(f'<col min="{index}" max="{index}" width="{fitted}" customWidth="1"/>')
            out.write('</cols><sheetData><row r="1">')
            out.write("".join(_cell_xml(f"{letters[i]}1", tr(c.header), _STYLE_BOLD) for i, c in enumerate(columns)))
            out.write("</row>")
            for number, record in enumerate(itertools.chain(first, rows), start=2):
                cells = []
                for i, c in enumerate(columns):
                    value = record.get(c.key)
                    if value is not None and value != "":
                        cells.append(_cell_xml(f"{letters[i]}{number}", value))
                out.write(f'<row r="{number}">{"".join(cells)}</row>')
                count += 1
            out.write("</sheetData>")
            out.write(f'<autoFilter ref="A1:{letters[-1]}{count + 1}"/>')
            out.write("</worksheet>")
            out.flush()
            out.detach()
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets>'
            f'<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
            f"'{name}'!$A$1:${letters[-1]}${count + 1}</definedName></definedNames></workbook>",
        )
    return count


def xlsx_bytes(columns: Sequence[Column], records: Iterable[dict[str, object]], title: str = "") -> bytes:
    buffer = io.BytesIO()
    _write_xlsx(buffer, columns, records, title)
    return buffer.getvalue()


def table_for(store: Store, what: str, *, start: dt.date | None = None, end: dt.date | None = None,
              today: dt.date | None = None) -> tuple[tuple[Column, ...], Iterable[dict[str, object]]]:
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
    """Write one list to ``path`` as ``fmt`` ("csv" or "xlsx"); returns how many rows. A list
    leaving the program needs EXPORT (checked before anything is read) and is audited."""
    store.require(Permission.EXPORT)
    columns, records = table_for(store, what, start=start, end=end, today=today)
    if not identifiers:
        columns = tuple(c for c in columns if c.key not in IDENTIFIER_KEYS)
    if fmt == "csv":
        target, count = write_atomic_stream(path, lambda fh: _write_csv(fh, columns, records))
    elif fmt == "xlsx":
        target, count = write_atomic_stream(path, lambda fh: _write_xlsx(fh, columns, records, tr(TITLES[what])))
    else:
        raise ValueError(f"unknown format {fmt!r}")
    audit.record_output(
        store,
        Permission.EXPORT,
        audit.EXPORT,
        what,
        {
            "file": Path(path).name,
            "format": fmt,
            "rows": count,
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
            "identifiers": identifiers,
        },
    )
    return ExportResult(target, count)


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
