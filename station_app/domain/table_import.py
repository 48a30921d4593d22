"""From a spreadsheet's cells to checked import rows: the header row, the column mapping
(suggested from Vietnamese or English headers, remembered for next time), the day order of text
dates, and a preview of every row with each invalid cell explained.

Two kinds of list can be imported: the patient registry (the foundation's fields) and a
chronic-disease register (a patient, the programme — hypertension or diabetes —, the date the
disease was detected and the date of the last medicine refill). Nothing here touches the
database: ``store.bulk_import`` finds duplicates and saves all or nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from station_app import paths
from station_app.domain import history_import
from station_app.domain.dates import DateFormatError, parse_partial_date
from station_app.domain.patient import FIELD_LABELS
from station_app.domain.patient_import import HEADERS, ImportFormatError, ImportRow, parse_row
from station_app.domain.problems import Problem, WithProblems
from station_app.domain.spreadsheet import HEADER_SCAN_ROWS, Book, cell_text, is_empty, serial_date
from station_app.domain.text import fold
from station_app.i18n import N_, translate

WHATS = ("patients", "chronic", *history_import.WHATS)  # the last two: see ``domain.history_import``
PATIENT_FIELDS: tuple[str, ...] = tuple(HEADERS)
CHRONIC_FIELDS: tuple[str, ...] = ("programme", "detected_on", "last_refill", "days_supplied")
DATE_FIELDS = frozenset({"birth_date", "insurance_valid_to", "detected_on", "last_refill"})
MAPPING_FILE = "import-mappings.json"

CHRONIC_HEADERS: dict[str, tuple[str, ...]] = {
    "programme": (
        "programme", "program", "disease", "chronic disease", "chuong trinh", "benh", "benh man tinh",
        "loai benh", "chan doan", "benh ly", "quan ly benh",
    ),
    "detected_on": (
        "date detected", "detected on", "detected", "ngay phat hien", "ngay phat hien benh", "nam phat hien",
        "ngay chan doan", "thoi gian phat hien", "ngay phat hien benh lan dau",
    ),
    "last_refill": (
        "last refill", "last refill date", "ngay cap thuoc cuoi", "ngay cap thuoc gan nhat", "cap thuoc lan cuoi",
        "lan cap thuoc cuoi", "ngay linh thuoc", "ngay lanh thuoc", "ngay nhan thuoc", "ngay cap thuoc",
        "ngay phat thuoc",
    ),
    "days_supplied": ("days supplied", "so ngay thuoc", "so ngay cap thuoc", "so ngay"),
}

FIELD_TITLES: dict[str, str] = {
    **{key: FIELD_LABELS.get(key, key) for key in PATIENT_FIELDS},
    "birth_date": FIELD_LABELS["birth"],
    "insurance_valid_to": FIELD_LABELS["insurance_valid_to"],
    "programme": N_("Programme"),
    "detected_on": N_("Date detected"),
    "last_refill": N_("Date of last refill"),
    "days_supplied": N_("Days of medicine supplied"),
}

# Problems name the patient record's fields; a few differ from the column's field.
_PROBLEM_COLUMN = {"birth": "birth_date"}

PROGRAMME_WORDS = {
    "hypertension": ("tha", "tang huyet ap", "cao huyet ap", "huyet ap cao", "hypertension", "htn", "i10", "i11",
                     "i12", "i13", "i15"),
    "diabetes": ("dtd", "dai thao duong", "tieu duong", "diabetes", "dm", "e10", "e11", "e12", "e13", "e14"),
}


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(str(text).replace("_", " "))).strip()


def fields_for(what: str) -> tuple[str, ...]:
    if what in history_import.WHATS:
        return history_import.FIELDS[what]
    if what == "chronic":
        return PATIENT_FIELDS + CHRONIC_FIELDS
    return PATIENT_FIELDS


def field_title(key: str) -> str:
    return FIELD_TITLES.get(key) or FIELD_LABELS.get(key) or history_import.title(key)


def problem_column(problem_field: str) -> str:
    return _PROBLEM_COLUMN.get(problem_field, problem_field)


def _aliases(what: str) -> dict[str, str]:
    """Folded header → field: the known aliases, and each field's title in both languages (so a
    file exported by Trạm comes back in without any mapping)."""
    if what in history_import.WHATS:
        return history_import.header_aliases(what)
    table: dict[str, str] = {}
    sources = {**HEADERS, **(CHRONIC_HEADERS if what == "chronic" else {})}
    for key, aliases in sources.items():
        for alias in aliases:
            table.setdefault(alias, key)
    for key in fields_for(what):
        for lang in ("vi", "en"):
            table.setdefault(_key(translate(field_title(key), lang)), key)
    return table


# -- the table under the header ------------------------------------------------------------------
@dataclass
class Table:
    """A sheet's data: its header texts, the header's row number, and the non-empty rows below."""

    headers: list[str]
    header_row: int  # 1-based, as the spreadsheet numbers rows
    rows: list[tuple[int, list[object]]]  # (row number, raw cell values)
    sheet: str = ""

    @property
    def width(self) -> int:
        return len(self.headers)

    def column_values(self, column: int) -> Iterable[object]:
        for _number, cells in self.rows:
            if column < len(cells):
                yield cells[column]


def header_score(cells: Sequence[object], what: str) -> int:
    """How many cells of a row read as known column headers."""
    aliases = _aliases(what)
    found = set()
    for value in cells:
        if isinstance(value, str) and (key := _match_header(value, aliases)):
            found.add(key)
    return len(found)


def find_header_row(rows: Sequence[Sequence[object]], what: str = "patients") -> int:
    """The index (0-based) of the header row among the first rows: the one that reads as the
    most known headers (a merged title above it reads as none); else the first row with two or
    more filled cells."""
    best, best_score = None, 0
    for index, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = header_score(cells, what)
        if score > best_score:
            best, best_score = index, score
    if best is not None:
        return best
    for index, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        if sum(not is_empty(c) for c in cells) >= 2:
            return index
    raise ImportFormatError(N_("The file is empty."))


def read_table(book: Book, sheet: int | str = 0, what: str = "patients", header_row: int | None = None) -> Table:
    """The whole sheet below its header row (found automatically unless given, 1-based)."""
    rows = book.rows(sheet)
    head: list[list[object]] = []
    for cells in rows:
        head.append(cells)
        if len(head) >= HEADER_SCAN_ROWS:
            break
    if not any(not is_empty(c) for cells in head for c in cells):
        raise ImportFormatError(N_("The file is empty."))
    index = (header_row - 1) if header_row else find_header_row(head, what)
    headers = [cell_text(c) for c in head[index]] if index < len(head) else []
    while headers and not headers[-1]:
        headers.pop()
    data: list[tuple[int, list[object]]] = []
    number = 0

    def keep(number: int, cells: list[object]) -> None:
        if any(not is_empty(c) for c in cells):
            data.append((number, cells))

    for number, cells in enumerate(head, start=1):
        if number > index + 1:
            keep(number, cells)
    number = len(head)
    for number, cells in enumerate(rows, start=len(head) + 1):
        keep(number, cells)
    name = sheet if isinstance(sheet, str) else book.sheets[sheet].name
    return Table(headers, index + 1, data, name)


# -- mapping --------------------------------------------------------------------------------------
def _match_header(header: str, aliases: dict[str, str]) -> str | None:
    folded = _key(header)
    if not folded:
        return None
    if folded in aliases:
        return aliases[folded]
    # A known header inside a longer one ("Số điện thoại liên hệ", "Họ và tên (*)"): the longest wins.
    padded = f" {folded} "
    best = max((a for a in aliases if " " in a and f" {a} " in padded), key=len, default=None)
    return aliases[best] if best else None


def suggest_mapping(headers: Sequence[str], what: str = "patients",
                    remembered: dict[str, str] | None = None) -> dict[int, str]:
    """``{column: field}``: what the user chose for the same header before, else the header's
    meaning read ignoring accents, case and punctuation. A field is given to one column only."""
    aliases = _aliases(what)
    remembered = remembered if remembered is not None else load_remembered(what)
    mapping: dict[int, str] = {}
    used: set[str] = set()
    for column, header in enumerate(headers):
        folded = _key(header)
        if folded in remembered:
            key = remembered[folded]
            if key and key not in used and key in fields_for(what):
                mapping[column] = key
                used.add(key)
    for column, header in enumerate(headers):
        if column in mapping or _key(header) in remembered:
            continue
        meaning = _match_header(header, aliases)
        if meaning and meaning not in used:
            mapping[column] = meaning
            used.add(meaning)
    return mapping


def _mapping_path() -> Path:
    return paths.data_dir() / MAPPING_FILE


def load_remembered(what: str) -> dict[str, str]:
    """Folded header → field ("" for a column the user chose to leave out), from earlier imports."""
    try:
        data = json.loads(_mapping_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    table = data.get(what, {}) if isinstance(data, dict) else {}
    return {str(k): str(v) for k, v in table.items()} if isinstance(table, dict) else {}


def remember(headers: Sequence[str], mapping: dict[int, str], what: str) -> None:
    """Keep the user's mapping for next time (by header text, ignoring accents and case)."""
    path = _mapping_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    table = data.setdefault(what, {})
    for column, header in enumerate(headers):
        folded = _key(header)
        if folded:
            table[folded] = mapping.get(column, "")
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    partial.replace(path)


def mapping_from_file(path: str | Path, headers: Sequence[str], what: str) -> dict[int, str]:
    """A mapping given as JSON: ``{"Header": "field", …}`` or ``{"columns": {…}}``; headers
    matched ignoring accents and case; a field may also be a column letter's header text."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ImportFormatError(N_("The mapping file {path} cannot be read."), path=str(path)) from exc
    except ValueError as exc:
        raise ImportFormatError(N_("The mapping file {path} is not valid JSON."), path=str(path)) from exc
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        data = data["columns"]
    if not isinstance(data, dict):
        raise ImportFormatError(N_('The mapping file must be a JSON object: {{"Column header": "field", …}}.'))
    allowed = fields_for(what)
    wanted: dict[str, str] = {}
    for header, key in data.items():
        key = "" if key is None else str(key)
        if key and key not in allowed:
            raise ImportFormatError(
                N_('Unknown field "{field}" in the mapping file; known fields: {known}.'),
                field=key,
                known=", ".join(allowed),
            )
        wanted[_key(header)] = key
    mapping: dict[int, str] = {}
    for column, header in enumerate(headers):
        key = wanted.get(_key(header))
        if key:
            mapping[column] = key
    missing = [h for h in wanted if wanted[h] and h not in {_key(x) for x in headers}]
    if missing:
        raise ImportFormatError(N_('The column "{header}" of the mapping file is not in the file.'), header=missing[0])
    return mapping


# -- dates ----------------------------------------------------------------------------------------
_SLASHED = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s*$")


@dataclass(frozen=True)
class DateOrder:
    """How the text dates of a file are written: ``dmy`` (15/03/1950) or ``mdy`` (03/15/1950).

    ``ambiguous``: no value tells (every day and month ≤ 12); ``mixed``: some values only fit
    one order and others only the other.
    """

    order: str = "dmy"
    ambiguous: bool = False
    mixed: bool = False
    dmy_only: int = 0
    mdy_only: int = 0


def guess_date_order(table: Table, mapping: dict[int, str]) -> DateOrder:
    """Look at every text date of the mapped date columns: a first number above 12 can only be
    a day (dd/mm), a second above 12 only a day too (mm/dd)."""
    dmy = mdy = seen = 0
    for column, key in mapping.items():
        if key not in DATE_FIELDS:
            continue
        for value in table.column_values(column):
            if not isinstance(value, str) or not (m := _SLASHED.match(value)):
                continue
            seen += 1
            first, second = int(m[1]), int(m[2])
            if first > 12 >= second:
                dmy += 1
            elif second > 12 >= first:
                mdy += 1
    if dmy and mdy:
        return DateOrder("dmy" if dmy >= mdy else "mdy", False, True, dmy, mdy)
    if mdy:
        return DateOrder("mdy", False, False, 0, mdy)
    return DateOrder("dmy", ambiguous=bool(seen) and not dmy, dmy_only=dmy)


def date_text(value: object, order: str, partial: bool) -> str:
    """A date cell as text ``parse_partial_date`` reads (ISO), or the cell's own text when it is
    not a date (the row's check then explains it)."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 1900 <= value <= 2100 and partial:
            return str(int(value))  # a year of birth typed as a number
        day = serial_date(float(value))
        return day.isoformat() if day else cell_text(value)
    text = cell_text(value)
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # a serial number stored as text
        day = serial_date(float(text))
        return day.isoformat() if day else text
    if (m := _SLASHED.match(text)) and order == "mdy":
        month, day_no, year = int(m[1]), int(m[2]), int(m[3])
        try:
            return dt.date(year, month, day_no).isoformat()
        except ValueError:
            return text
    return text


# -- cells → values --------------------------------------------------------------------------------
def identifier_text(key: str, value: object) -> str:
    """Identifiers as text; a number Excel stripped of its leading zero gets it back (a citizen
    ID is 12 digits, a mobile number 10 starting with 0)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = cell_text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if key == "citizen_id" and 9 <= len(text) < 12:
            return text.zfill(12)
        if key == "phone" and len(text) == 9:
            return "0" + text
    return text


def row_values(cells: Sequence[object], mapping: dict[int, str], order: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for column, key in mapping.items():
        value = cells[column] if column < len(cells) else None
        if key in DATE_FIELDS:
            values[key] = "" if is_empty(value) else date_text(value, order, key in ("birth_date", "detected_on"))
        elif key in ("citizen_id", "phone", "insurance_no", "record_no", "guardian_phone"):
            values[key] = identifier_text(key, value)
        else:
            values[key] = cell_text(value)
    return values


# -- the preview -----------------------------------------------------------------------------------
@dataclass
class ChronicFacts:
    programmes: tuple[str, ...]
    detected_on: dt.date | None
    last_refill: dt.date | None
    days_supplied: int


@dataclass
class PreviewRow(WithProblems):
    """One row of the file as it will be imported, with every problem found in it."""

    number: int
    cells: dict[str, str]  # field → the cell as the file shows it
    parsed: ImportRow
    chronic: ChronicFacts | None = None
    problems: list[Problem] = field(default_factory=list)

    def problems_in(self, key: str) -> list[Problem]:
        return [p for p in self.problems if problem_column(p.field) == key]


@dataclass
class Preview:
    what: str
    table: Table
    mapping: dict[int, str]
    date_order: DateOrder
    rows: list[PreviewRow]

    @property
    def invalid(self) -> list[PreviewRow]:
        return [r for r in self.rows if not r.ok]

    @property
    def valid(self) -> list[PreviewRow]:
        return [r for r in self.rows if r.ok]


def check_mapping(mapping: dict[int, str], what: str) -> None:
    """The mapping must name the patient; a chronic register must also name the programme."""
    if what in history_import.WHATS:
        problem = history_import.check_mapping(mapping, what)
        if problem is not None:
            params = {k: translate(str(v)) if k in problem.translated else v for k, v in problem.params.items()}
            raise ImportFormatError(problem.message, **params)
        return
    keys = list(mapping.values())
    if "full_name" not in keys:
        raise ImportFormatError(N_('No name column: the first row must name the columns (e.g. "Họ và tên").'))
    if what == "chronic" and "programme" not in keys:
        raise ImportFormatError(N_('No programme column: a chronic-disease register needs one (e.g. "Bệnh").'))
    for key in set(keys):
        if keys.count(key) > 1:
            raise ImportFormatError(N_("Two columns are mapped to {field}."), field=translate(field_title(key)))


def parse_programmes(text: str) -> tuple[str, ...] | None:
    """``THA``, ``Tăng huyết áp``, ``I10`` → hypertension; ``ĐTĐ``, ``E11.9`` → diabetes; both
    may share a cell ("THA + ĐTĐ"). None when a part is not recognised."""
    found: list[str] = []
    for part in re.split(r"[,;+/&]| va | and ", fold(text)):
        part = part.strip()
        if not part:
            continue
        code = part.replace(".", "").replace(" ", "")[:3]
        hit = next(
            (name for name, words in PROGRAMME_WORDS.items() if part in words or code in words),
            None,
        )
        if hit is None:
            return None
        if hit not in found:
            found.append(hit)
    return tuple(found) or None


def _chronic(values: dict[str, str], today: dt.date, problems: list[Problem]) -> ChronicFacts | None:
    def bad(key: str, message: str, **params: object) -> None:
        problems.append(Problem(key, message, "error", params))

    programmes = parse_programmes(values.get("programme", ""))
    if not values.get("programme"):
        bad("programme", N_("Write the programme: THA (hypertension) or ĐTĐ (diabetes)."))
    elif programmes is None:
        bad("programme", N_('"{value}" is not a programme: write THA (hypertension) or ĐTĐ (diabetes).'),
            value=values["programme"])
    detected = last = None
    if values.get("detected_on"):
        try:
            detected = parse_partial_date(values["detected_on"]).earliest()
        except DateFormatError:
            bad("detected_on", N_('"{value}" is not a date: write dd/mm/yyyy, mm/yyyy or yyyy.'),
                value=values["detected_on"])
    if values.get("last_refill"):
        try:
            refill = parse_partial_date(values["last_refill"])
            if not refill.is_full:
                raise DateFormatError(values["last_refill"])
            last = refill.earliest()
        except DateFormatError:
            bad("last_refill", N_('"{value}" is not a date: write dd/mm/yyyy.'), value=values["last_refill"])
    for key, day in (("detected_on", detected), ("last_refill", last)):
        if day and day > today:
            bad(key, N_("The date is in the future."))
        elif day and day.year < 1900:
            bad(key, N_("The date is before 1900."))
    if detected and last and last < detected:
        bad("last_refill", N_("The last refill is before the date the disease was detected."))
    days = 30
    if values.get("days_supplied"):
        text = values["days_supplied"].strip()
        if not text.isdigit() or not 1 <= int(text) <= 90:
            bad("days_supplied", N_('"{value}" is not a number of days from 1 to 90.'), value=text)
        else:
            days = int(text)
    if programmes is None:
        return None
    return ChronicFacts(programmes, detected, last, days)


def build_preview(table: Table, mapping: dict[int, str], what: str, today: dt.date,
                  date_order: DateOrder | str | None = None,
                  progress=None, keep_cells: bool = True) -> Preview:
    """Check every row; the mapping must name the patient (and, for a register, the programme).

    ``keep_cells=False`` leaves out the cells as written (only a screen shows them): a 100,000-row
    list then takes less memory and time on the command line."""
    check_mapping(mapping, what)
    guess = guess_date_order(table, mapping)
    if isinstance(date_order, str):
        guess = DateOrder(date_order, False, guess.mixed, guess.dmy_only, guess.mdy_only)
    elif isinstance(date_order, DateOrder):
        guess = date_order
    rows: list[PreviewRow] = []
    total = len(table.rows)
    for index, (number, cells) in enumerate(table.rows, start=1):
        values = row_values(cells, mapping, guess.order)
        parsed = parse_row(number, {k: v for k, v in values.items() if k in HEADERS}, today)
        problems = list(parsed.problems)
        chronic = _chronic(values, today, problems) if what == "chronic" else None
        shown = (
            {key: cell_text(cells[column]) if column < len(cells) else "" for column, key in mapping.items()}
            if keep_cells else {}
        )
        rows.append(PreviewRow(number, shown, parsed, chronic, problems))
        if progress and index % 1000 == 0:
            progress(index, total)
    return Preview(what, table, mapping, guess, rows)
