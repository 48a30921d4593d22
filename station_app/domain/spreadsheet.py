"""Reading a station's own spreadsheet: an Excel workbook (.xlsx) or a CSV file, as rows of cells.

What stations really have: a merged title ("DANH SÁCH BỆNH NHÂN…") above the header row, empty
rows between villages, identifiers typed as text to keep their leading zeros (or typed as numbers
that lost them), dates as real Excel dates, as serial numbers or as text in either day order.
This module reads the cells as they are; ``table_import`` decides what they mean.

CSV files are decoded from their bytes: UTF-8 (with or without BOM), UTF-16 with BOM (Excel's
"Unicode text") or Windows Vietnamese (CP1258). When the bytes fit none of these convincingly
the file is refused with a message that says how to save it, instead of guessing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from station_app.domain.patient_import import ImportFormatError
from station_app.i18n import N_

HEADER_SCAN_ROWS = 30  # the header row is looked for among the first rows of a sheet
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 (Excel's 1900 leap-year bug included)

# Marks Vietnamese writes with (tones, circumflex, breve, horn): a CP1258 file decodes to these.
_VIETNAMESE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u0302", "\u0306", "\u031b"}
_PUNCTUATION_OK = set("“”‘’–—…•€°«»·×")


@dataclass(frozen=True)
class Sheet:
    """One sheet (a CSV file is one sheet): its name and, lazily, its rows of raw cell values."""

    name: str
    index: int


@dataclass
class Book:
    """A spreadsheet file opened for import: its kind, its sheets, how its text was decoded."""

    path: Path
    kind: str  # "xlsx" or "csv"
    sheets: list[Sheet]
    encoding: str = ""  # for CSV: "utf-8", "utf-8-sig", "utf-16" or "cp1258"
    _csv_rows: list[list[object]] | None = None

    def rows(self, sheet: int | str = 0, limit: int | None = None) -> Iterator[list[object]]:
        """The rows of a sheet from its first row (row 1), as lists of raw values (``None``,
        text, numbers, dates). Empty rows are kept so row numbers match the spreadsheet's."""
        index = sheet if isinstance(sheet, int) else next(s.index for s in self.sheets if s.name == sheet)
        if self.kind == "csv":
            rows = self._csv_rows or []
            yield from (rows if limit is None else rows[:limit])
            return
        yield from _xlsx_rows(self.path, index, limit)


def open_book(path: str | Path) -> Book:
    """Open an .xlsx or .csv file (decided from the bytes, not the name)."""
    source = Path(path)
    with source.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(source)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFormatError(
            N_("This is an old Excel file (.xls): open it in Excel and save it as .xlsx or as CSV (UTF-8).")
        )
    text, encoding = decode_bytes(source.read_bytes())
    rows = parse_csv(text)
    return Book(source, "csv", [Sheet(source.stem, 0)], encoding, rows)


# -- XLSX ---------------------------------------------------------------------------------------
def _load(path: Path):
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it drops
        return load_workbook(path, read_only=True, data_only=True)


def _not_a_workbook() -> ImportFormatError:
    return ImportFormatError(
        N_("This file cannot be read: it is neither an Excel workbook (.xlsx) nor a CSV text file.")
    )


def _open_xlsx(path: Path) -> Book:
    try:
        book = _load(path)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise _not_a_workbook() from exc
    try:
        names = list(book.sheetnames)
    finally:
        book.close()
    return Book(path, "xlsx", [Sheet(name, i) for i, name in enumerate(names)])


def _xlsx_rows(path: Path, index: int, limit: int | None) -> Iterator[list[object]]:
    try:
        book = _load(path)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise _not_a_workbook() from exc
    try:
        sheet = book.worksheets[index]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for count, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield list(row)
                if limit is not None and count >= limit:
                    break
    finally:
        book.close()


# -- CSV ----------------------------------------------------------------------------------------
def decode_bytes(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read with; refuses what cannot be decided."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data:  # a binary file, or UTF-16 without its byte order mark
        raise ImportFormatError(
            N_("This is not a CSV text file: save the spreadsheet as CSV (UTF-8) and import that file.")
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    undecided = ImportFormatError(
        N_(
            "The character encoding of this file cannot be decided (it is neither UTF-8 nor Windows "
            "Vietnamese CP1258): in Excel, save it as \"CSV UTF-8\" and import that file."
        )
    )
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError:
        raise undecided from None
    if not looks_vietnamese(text):
        raise undecided
    return unicodedata.normalize("NFC", text), "cp1258"


def looks_vietnamese(text: str) -> bool:
    """Whether the non-ASCII characters of ``text`` are those Vietnamese is written with."""
    odd = total = 0
    for ch in unicodedata.normalize("NFD", text):
        if ch.isascii():
            continue
        total += 1
        if ch in _VIETNAMESE_MARKS or ch in "đĐ" or ch in _PUNCTUATION_OK:
            continue
        odd += 1
    return total == 0 or odd <= total * 0.02


def parse_csv(text: str) -> list[list[object]]:
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


# -- cells --------------------------------------------------------------------------------------
def is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: object) -> str:
    """A cell as the text a person sees: numbers without ``.0``, dates as ``dd/mm/yyyy``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value).strip()


def serial_date(value: float) -> dt.date | None:
    """An Excel serial day number as a date (``45000`` → 2023-03-15); None when implausible."""
    if not 1 <= value < 2958466:
        return None
    return EXCEL_EPOCH + dt.timedelta(days=int(value))
