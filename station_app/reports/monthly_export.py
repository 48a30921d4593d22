"""The monthly summary as files: XLSX (one sheet per block, numbers as numbers), the summary JSON,
and DHIS2 ``dataValueSets`` JSON for the district's aggregate system.

The DHIS2 file is made by ``station_app.reports.dhis2`` (its ids come from
``resources/data/dhis2_mapping.json``, or from a ``dhis2_mapping.json`` the district gives the
station, placed in the station's data folder).
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from station_app.domain.indicators import INDICATOR, PREVIOUS, THIS_MONTH, pick
from station_app.domain.monthly import MonthlySummary
from station_app.domain.spreadsheet import no_formulas, sheet_text
from station_app.errors import UserError
from station_app.files import write_atomic
from station_app.i18n import N_, tr

INFO_SHEET = N_("Information")
CODE = N_("Code")
LINE = N_("Line")
NOTE = N_("Note")
STATION = N_("Station")
PERIOD = N_("Period")
STATUS = N_("Status")
DEFINITIONS = N_("Indicator definitions")
DEFINITION = N_("Definition")
CORRECTION_NOTE = N_("computed {computed}, corrected by {by}: {reason}")


class ExportError(UserError, ValueError):
    """An export that cannot be made; ``text()`` says why, in the current language."""


# -- JSON ------------------------------------------------------------------------------------------
def summary_json(summary: MonthlySummary, status: str = "draft") -> bytes:
    data = summary.to_dict()
    data["status"] = status
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


# -- XLSX ------------------------------------------------------------------------------------------
def _sheet_title(text: str, used: set[str]) -> str:
    clean = "".join(ch for ch in text if ch not in '[]:*?/\\')[:31].strip() or "Sheet"
    title, n = clean, 2
    while title in used:
        suffix = f" ({n})"
        title, n = clean[: 31 - len(suffix)] + suffix, n + 1
    used.add(title)
    return title


def xlsx_bytes(summary: MonthlySummary, status: str) -> bytes:
    """The workbook: an information sheet, then one sheet per block."""
    defs = summary.definitions
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E6EBF2")
    book = Workbook()
    info = book.active
    used: set[str] = set()
    info.title = _sheet_title(tr(INFO_SHEET), used)
    station = summary.station
    for label, value in ((STATION, station.get("name", "")), (PERIOD, summary.month.display()),
                         (STATUS, status), (CODE, station.get("facility_code", ""))):
        info.append([tr(label), sheet_text(value)])
    info.append([])
    info.append([tr(DEFINITIONS)])
    info.cell(info.max_row, 1).font = bold
    info.append([tr(CODE), tr(INDICATOR), tr(DEFINITION)])
    for ind in defs.indicators(summary.month.start):
        info.append([ind.code, pick(ind.name), pick(ind.definition)])
    for column, width in zip("ABC", (26, 48, 100), strict=True):
        info.column_dimensions[column].width = width
    for code, name in summary.blocks:
        results = summary.results(code)
        sheet = book.create_sheet(_sheet_title(pick(name), used))
        columns: list[str] = []
        for result in results:
            columns += [c for c in result.columns if c not in columns]
        header = [tr(CODE), tr(INDICATOR), tr(LINE), tr(THIS_MONTH), tr(PREVIOUS)]
        header += [defs.column_label(c) for c in columns[1:]] + [tr(NOTE)]
        sheet.append(header)
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for result in results:
            for line in result.lines:
                total = line.cells["total"]
                values: list[object] = [result.code, pick(result.indicator.name),
                                        pick(line.label) if line.key else "", total.reported, total.previous]
                notes = []
                for column in columns[1:]:
                    cell = line.cells.get(column)
                    values.append(cell.reported if cell is not None else None)
                for column in columns:
                    cell = line.cells.get(column)
                    if cell is not None and cell.correction:
                        fix = cell.correction
                        notes.append(f"{defs.column_label(column)}: " + tr(CORRECTION_NOTE).format(
                            computed=fix.computed, by=fix.by, reason=fix.reason))
                values.append("; ".join(notes))
                sheet.append([sheet_text(v) for v in values])  # (a correction's reason is typed)
        for index, width in enumerate([24, 44, 40, 11, 11] + [10] * (len(columns) - 1) + [50], start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "D2"
    for sheet in book.worksheets:  # (a station name or a correction's reason is never a formula)
        no_formulas(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- DHIS2 -----------------------------------------------------------------------------------------
def load_mapping() -> dict:
    """The station's own mapping (data folder) if there is one, else the shipped one; checked
    (``station_app.reports.dhis2``)."""
    from station_app.reports import dhis2

    return dhis2.load_mapping()


def dhis2_payload(summary: MonthlySummary, complete_date: str | None = None,
                  mapping: dict | None = None) -> dict[str, object]:
    """``dataValueSets`` JSON a DHIS2 server accepts (see ``station_app.reports.dhis2``)."""
    from station_app.reports import dhis2

    return dhis2.payload(summary, complete_date, mapping)


def dhis2_bytes(summary: MonthlySummary, complete_date: str | None = None) -> bytes:
    return (json.dumps(dhis2_payload(summary, complete_date), ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def write(path: str | os.PathLike[str], data: bytes) -> Path:
    return write_atomic(path, data)
