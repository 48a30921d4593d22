"""Reading a station's patient spreadsheet (CSV) into patient records, row by row.

Headers may be the English keys or the Vietnamese column names a station's own spreadsheet
uses, matched ignoring accents, case and punctuation. Nothing here touches the database: the
store decides what is a duplicate and saves all or nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from station_app.domain import code_lists
from station_app.domain.dates import DateFormatError, parse_date, parse_partial_date
from station_app.domain.identifiers import parse_ethnicity, parse_record_no, parse_sex
from station_app.domain.patient import FIELD_LABELS, Patient, normalised, validate
from station_app.domain.problems import Problem
from station_app.domain.text import fold
from station_app.errors import UserError
from station_app.i18n import N_

# Accepted headers per field, in their folded form ("Thôn/Xóm" → "thon xom").
HEADERS: dict[str, tuple[str, ...]] = {
    "full_name": ("full name", "ho va ten", "ho ten", "ten", "name", "ho va ten benh nhan", "ho ten benh nhan"),
    "sex": ("sex", "gioi tinh", "gioi", "gender"),
    "birth_date": ("birth date", "ngay sinh", "ngay thang nam sinh", "nam sinh", "dob", "date of birth"),
    "citizen_id": ("citizen id", "so cccd", "cccd", "so dinh danh", "so dinh danh ca nhan", "cccd cmnd"),
    "insurance_no": ("insurance no", "so the bhyt", "the bhyt", "ma the bhyt", "bhyt", "ma the"),
    "insurance_valid_to": ("insurance valid to", "han the", "han the bhyt", "gia tri den", "han su dung"),
    "insurance_facility": ("insurance facility", "noi dang ky kcb", "noi dang ky kcb ban dau", "ma kcb"),
    "phone": ("phone", "dien thoai", "so dien thoai", "sdt", "dt"),
    "address": ("address", "dia chi"),
    "village": ("village", "thon xom", "thon", "xom", "ap", "ban", "to dan pho"),
    "ethnicity": ("ethnicity", "dan toc"),
    "occupation": ("occupation", "nghe nghiep"),
    # Optional claims codes (a name or alias also works for the nationality; a commune by its code
    # or its full name with the province, "Xã Tân Sơn, Phú Thọ")
    "nationality": ("nationality", "quoc tich", "ma quoc tich"),
    "occupation_code": ("occupation code", "ma nghe nghiep"),
    "commune_code": ("commune code", "ma xa", "ma xa cu tru", "xa cu tru", "xa phuong cu tru"),
    "record_no": ("record no", "so ho so", "ma benh nhan", "ma bn"),
    "guardian_name": ("guardian name", "nguoi giam ho", "ho ten bo me", "cha me"),
    "notes": ("notes", "ghi chu"),
}
_HEADER_INDEX = {alias: key for key, aliases in HEADERS.items() for alias in aliases}


def header_key(header: str) -> str | None:
    """The field a column header stands for, or None if it is not one we read."""
    folded = re.sub(r"[^a-z0-9]+", " ", fold(header.replace("_", " "))).strip()
    return _HEADER_INDEX.get(folded)


@dataclass
class ImportRow:
    number: int  # the row number in the spreadsheet (the header is row 1)
    patient: Patient | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


class ImportFormatError(UserError, ValueError):
    """The file cannot be read as a patient list at all (no name column, not text)."""


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else Windows
    Vietnamese (cp1258), as Excel saves it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    not_text = ImportFormatError(
        N_("This is not a CSV text file: save the spreadsheet as CSV (UTF-8) and import that file.")
    )
    if b"\x00" in data:  # an .xlsx, .xls or other binary file
        raise not_text
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1258")
    except UnicodeDecodeError:
        raise not_text from None


def read_rows(text: str, today: dt.date) -> tuple[dict[str, str], list[ImportRow]]:
    """Parse and validate every row; returns the header mapping and the rows."""
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # newline="": a lone "\r" (old Mac files) ends a line instead of stopping the reader.
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportFormatError(N_("The file is empty.")) from None
    except csv.Error as exc:
        raise _unreadable(1, exc) from exc
    columns: dict[int, str] = {}
    mapping: dict[str, str] = {}
    for index, header in enumerate(headers):
        key = header_key(header)
        if key and key not in mapping:
            columns[index] = key
            mapping[key] = header
    if "full_name" not in mapping:
        raise ImportFormatError(N_('No name column: the first row must name the columns (e.g. "Họ và tên").'))
    rows: list[ImportRow] = []
    number = 1
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            values = {key: (cells[i].strip() if i < len(cells) else "") for i, key in columns.items()}
            rows.append(parse_row(number, values, today))
    except csv.Error as exc:  # a cell over csv's size limit, a quote never closed…
        raise _unreadable(number + 1, exc) from exc
    return mapping, rows


def _unreadable(row: int, exc: csv.Error) -> ImportFormatError:
    return ImportFormatError(
        N_("Row {row} cannot be read as CSV ({reason}): save the spreadsheet as CSV (UTF-8) and import again."),
        row=row, reason=str(exc))


def parse_row(number: int, values: dict[str, str], today: dt.date) -> ImportRow:
    problems: list[Problem] = []

    def bad(field_name: str, message: str, **params: object) -> None:
        problems.append(Problem(field_name, message, "error", params))

    sex = "3"
    if values.get("sex"):
        sex = parse_sex(values["sex"]) or ""
        if not sex:
            bad("sex", N_('"{value}" is not a sex: write 1/2/3, Nam/Nữ or M/F.'), value=values["sex"])
    birth = None
    if values.get("birth_date"):
        try:
            birth = parse_partial_date(values["birth_date"])
        except DateFormatError:
            bad("birth", N_('"{value}" is not a date: write dd/mm/yyyy, mm/yyyy or yyyy.'), value=values["birth_date"])
    valid_to = None
    if values.get("insurance_valid_to"):
        try:
            valid_to = parse_date(values["insurance_valid_to"])
        except DateFormatError:
            bad(
                "insurance_valid_to",
                N_('"{value}" is not a date: write dd/mm/yyyy.'),
                value=values["insurance_valid_to"],
            )
    ethnicity = "01"
    if values.get("ethnicity"):
        ethnicity = parse_ethnicity(values["ethnicity"]) or ""
        if not ethnicity:
            bad("ethnicity", N_('Unknown ethnic group "{value}".'), value=values["ethnicity"])
    nation = code_lists.nationality_for("Việt Nam")
    if values.get("nationality"):
        nation = code_lists.nationality_for(values["nationality"])
        if nation is None:
            bad("nationality", N_('Unknown nationality "{value}".'), value=values["nationality"])
    commune = None
    if values.get("commune_code"):
        commune = code_lists.commune_for(values["commune_code"])
        if commune is None:
            bad("commune_code", N_('"{value}" is not a commune code of the list (since 07/2025).'),
                value=values["commune_code"])
    occupation_code = values.get("occupation_code", "").strip()
    if not occupation_code and (listed := code_lists.occupation_for(values.get("occupation", ""))):
        occupation_code = listed.code
    record_no = None
    if values.get("record_no"):
        record_no = parse_record_no(values["record_no"])
        if record_no is None:
            bad(
                "record_no",
                N_('"{value}" is not a record number of this station (its check digit is wrong).'),
                value=values["record_no"],
            )
    patient = normalised(
        Patient(
            full_name=values.get("full_name", ""),
            sex=sex or "3",
            birth=birth,
            record_no=record_no,
            citizen_id=values.get("citizen_id", ""),
            insurance_no=values.get("insurance_no", ""),
            insurance_valid_to=valid_to,
            insurance_facility=values.get("insurance_facility", ""),
            phone=values.get("phone", ""),
            address=values.get("address", ""),
            village=values.get("village", ""),
            ethnicity=ethnicity or "01",
            occupation=values.get("occupation", ""),
            occupation_code=occupation_code,
            nationality=nation.name if nation else values.get("nationality", ""),
            nationality_code=nation.code if nation else "",
            province_code=commune.province_code if commune else "",
            commune_code=commune.code if commune else "",
            guardian_name=values.get("guardian_name", ""),
            notes=values.get("notes", ""),
        )
    )
    seen = {p.field for p in problems}
    for problem in validate(patient, today, require_birth="birth_date" in values):
        if problem.field not in seen:
            problems.append(problem)
    return ImportRow(number, patient, problems)


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)
