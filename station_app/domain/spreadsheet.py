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
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree as ET
from xml.parsers import expat

from station_app.domain.patient_import import ImportFormatError
from station_app.domain.text import xml_safe
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
# The sheet XML is streamed with the standard library's parser: openpyxl's read-only mode reads
# a 100,000-row sheet several times slower (and scans it whole just to size it).
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
# Built-in number formats that show a date or a time (ECMA-376 §18.8.30, and the CJK ones).
_DATE_FORMAT_IDS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36,
                              45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58})
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def _not_a_workbook() -> ImportFormatError:
    return ImportFormatError(
        N_("This file cannot be read: it is neither an Excel workbook (.xlsx) nor a CSV text file.")
    )


@dataclass(frozen=True)
class _Parts:
    sheets: list[tuple[str, str]]  # (name, path inside the zip)
    epoch: dt.datetime


def _parts(archive: zipfile.ZipFile) -> _Parts:
    book = ET.fromstring(archive.read("xl/workbook.xml"))
    rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    sheets = []
    for sheet in book.iter(_MAIN + "sheet"):
        target = targets.get(sheet.get(_DOC_REL + "id"), "")
        path = target.lstrip("/") if target.startswith("/") else "xl/" + target
        sheets.append((sheet.get("name", ""), path))
    pr = book.find(_MAIN + "workbookPr")
    date1904 = pr is not None and pr.get("date1904") in ("1", "true")
    epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    return _Parts(sheets, epoch)


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    try:
        source = archive.open("xl/sharedStrings.xml")
    except KeyError:
        return []
    strings: list[str] = []
    with source:
        for _event, elem in ET.iterparse(source):
            if elem.tag == _MAIN + "si":
                strings.append("".join(t.text or "" for t in elem.iter(_MAIN + "t") if not _phonetic(elem, t)))
                elem.clear()
    return strings


def _phonetic(si: ET.Element, t: ET.Element) -> bool:
    return any(t in list(ph.iter(_MAIN + "t")) for ph in si.findall(_MAIN + "rPh"))


def _date_styles(archive: zipfile.ZipFile) -> set[int]:
    """Indexes of the cell formats that show a date."""
    try:
        styles = ET.fromstring(archive.read("xl/styles.xml"))
    except KeyError:
        return set()
    custom = {}
    formats = styles.find(_MAIN + "numFmts")
    for fmt in formats if formats is not None else ():
        code = _QUOTED.sub("", fmt.get("formatCode", "")).lower()
        custom[int(fmt.get("numFmtId", "0"))] = bool(re.search(r"[dmy]", code))
    found = set()
    xfs = styles.find(_MAIN + "cellXfs")
    for index, xf in enumerate(xfs if xfs is not None else ()):
        fmt_id = int(xf.get("numFmtId", "0"))
        if fmt_id in _DATE_FORMAT_IDS or custom.get(fmt_id, False):
            found.add(index)
    return found


_DIGITS = "0123456789"


@lru_cache(maxsize=4096)
def _letters_column(letters: str) -> int:
    return _column(letters)


def _column(ref: str) -> int:
    number = 0
    for ch in ref:
        if ch.isalpha():
            number = number * 26 + (ord(ch.upper()) - 64)
        else:
            break
    return number - 1


def _open_xlsx(path: Path) -> Book:
    try:
        with zipfile.ZipFile(path) as archive:
            parts = _parts(archive)
    except (zipfile.BadZipFile, KeyError, OSError, ET.ParseError) as exc:
        raise _not_a_workbook() from exc
    if not parts.sheets:
        raise _not_a_workbook()
    return Book(path, "xlsx", [Sheet(name, i) for i, (name, _) in enumerate(parts.sheets)])


def _xlsx_rows(path: Path, index: int, limit: int | None) -> Iterator[list[object]]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _not_a_workbook() from exc
    try:
        try:
            parts = _parts(archive)
            strings = _shared_strings(archive)
            dates = _date_styles(archive)
            source = archive.open(parts.sheets[index][1])
        except (KeyError, IndexError, ET.ParseError) as exc:
            raise _not_a_workbook() from exc
        with source:
            yield from _sheet_rows(source, strings, dates, parts.epoch, limit)
    finally:
        archive.close()


class _SheetParser:
    """Streams the cells of one sheet's XML (expat callbacks: no element tree is built)."""

    def __init__(self, strings: list[str], dates: set[int], epoch: dt.datetime) -> None:
        self.strings, self.dates, self.epoch = strings, dates, epoch
        self.rows: list[tuple[int, list[object]]] = []  # finished rows not yet handed out
        self.cells: list[object] = []
        self.row_number = 0
        self.kind = "n"
        self.style = 0
        self.column = 0
        self.text: list[str] = []
        self.collect = False
        self.in_inline = False
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.data

    @staticmethod
    def _local(name: str) -> str:
        return name.rsplit(":", 1)[-1] if ":" in name else name

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = self._local(name)
        if tag == "c":
            ref = attrs.get("r")
            self.column = _letters_column(ref.rstrip(_DIGITS)) if ref else len(self.cells)
            self.kind = attrs.get("t", "n")
            self.style = int(attrs.get("s", "0"))
            self.text = []
        elif tag == "v" or (tag == "t" and self.in_inline):
            self.collect = True
        elif tag == "is":
            self.in_inline = True
        elif tag == "row":
            self.row_number = int(attrs.get("r") or self.row_number + 1)
            self.cells = []

    def data(self, text: str) -> None:
        if self.collect:
            self.text.append(text)

    def end(self, name: str) -> None:
        tag = self._local(name)
        if tag in ("v", "t"):
            self.collect = False
        elif tag == "is":
            self.in_inline = False
        elif tag == "c":
            while len(self.cells) < self.column:
                self.cells.append(None)
            self.cells.append(self._value())
        elif tag == "row":
            self.rows.append((self.row_number, self.cells))

    def _value(self) -> object:
        kind = self.kind
        if not self.text and kind != "inlineStr":
            return None
        text = "".join(self.text)
        if kind == "s":
            return self.strings[int(text)]
        if kind in ("inlineStr", "str", "e"):
            return text
        if kind == "b":
            return text == "1"
        number = float(text)
        if self.style in self.dates:
            return self.epoch + dt.timedelta(days=number)
        if number.is_integer() and "." not in text and "e" not in text.lower():
            return int(text)
        return number


def _sheet_rows(source: IO[bytes], strings: list[str], dates: set[int], epoch: dt.datetime,
                limit: int | None) -> Iterator[list[object]]:
    sheet = _SheetParser(strings, dates, epoch)
    expected = 1
    try:
        while True:
            chunk = source.read(1 << 16)
            sheet.parser.Parse(chunk, not chunk)
            for number, cells in sheet.rows:
                while expected < number:  # rows Excel left out of the file are empty rows
                    yield []
                    if limit is not None and expected >= limit:
                        return
                    expected += 1
                yield cells
                if limit is not None and expected >= limit:
                    return
                expected = number + 1
            sheet.rows.clear()
            if not chunk:
                return
    except (expat.ExpatError, ValueError, IndexError) as exc:
        raise _not_a_workbook() from exc


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
    """The rows of a CSV text. A cell Trạm (or a careful spreadsheet) wrote as ``'=…`` to keep it
    from being a formula (``inert_text``) is read back as ``=…``, so an exported list imports back
    unchanged. A cell longer than the csv module reads (131,072 characters) refuses the file."""
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return [[_uninert(cell) for cell in row] for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise ImportFormatError(
                N_("A cell of this file has more than {limit} characters: it is not a list of patients."),
                limit=f"{csv.field_size_limit():,}",
            ) from exc
        raise ImportFormatError(N_("This CSV file cannot be read: {reason}."), reason=str(exc)) from exc


# -- text cells that stay text ------------------------------------------------------------------
# A spreadsheet reads a cell that starts with one of these as a formula (or as the start of one):
# "=HYPERLINK(…)", "+…", "-…", "@…", and a tab or carriage return before them. An address or a
# note typed so, exported as it is, would run in the spreadsheet of whoever opens the list.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_text(text: str) -> str:
    """A text cell for a CSV file that any spreadsheet shows as text, never runs as a formula: one
    that starts like a formula gets a leading apostrophe (``'=1+2``), as a spreadsheet shows a
    text typed so. Only for text: numbers written as numbers (``-5``) stay numbers."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_rows(fh: IO[bytes], header: Sequence[str], rows: Iterable[Sequence[object]],
              cell: Callable[[object], str]) -> int:
    """Every CSV Trạm writes: UTF-8 with a byte-order mark (so a spreadsheet shows Vietnamese right),
    lines ended CRLF, ``header`` then ``rows``; text cells ``inert_text``, the others written by
    ``cell`` (a date, a number: a negative number stays a number). The number of rows."""
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([inert_text(h) for h in header])
    count = 0
    for values in rows:
        writer.writerow([inert_text(v) if isinstance(v, str) else cell(v) for v in values])
        count += 1
    text.flush()
    text.detach()
    return count


def _uninert(cell: str) -> str:
    return cell[1:] if cell[:1] == "'" and cell[1:2] and cell[1:].startswith(FORMULA_STARTS) else cell


def sheet_text(value: object) -> object:
    """A value for an openpyxl cell: text without the characters a workbook (XML) cannot hold,
    which openpyxl refuses; anything else as it is. (``no_formulas`` then keeps text text.)"""
    return xml_safe(value) if isinstance(value, str) else value


def no_formulas(sheet: Any) -> None:
    """Every text cell of an openpyxl worksheet kept as text: openpyxl takes a string that starts
    with ``=`` for a formula; such a cell is turned back into a string and marked as typed text
    (``quotePrefix``), so the workbook holds no formula at all."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
                cell.quotePrefix = True


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
