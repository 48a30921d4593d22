"""A station's history brought in from a spreadsheet: its vaccination register (one dose a row)
and its visit book (one visit a row), read into checked rows. Nothing here touches the database:
``store.history_import`` finds each row's patient and saves all or nothing.

The columns are the English keys of the command line's contract, or the Vietnamese headers a
station writes (matched ignoring accents, case and punctuation, as for the patient list):

* vaccinations: ``record_no, citizen_id, insurance_no, full_name, birth_date, vaccine, date, place``;
* visits: ``record_no, citizen_id, insurance_no, full_name, birth_date, visit_at, complaint,
  diagnosis_code, treatment, bp, pulse, temperature, weight, height, glucose, follow_up_date,
  clinician, insurance_paid``.

A row names its patient by any one of record number, citizen ID, insurance number, or full name
with birth date. A vaccine is written as on the child's card ("BCG", "VGB sơ sinh",
"DPT-VGB-Hib 1", "OPV 2", "Sởi", "VNNB 3"): the names are data (``resources/data/vaccine_names.json``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from station_app.domain import icd10, vaccination
from station_app.domain.dates import DateFormatError, PartialDate, parse_date, parse_partial_date
from station_app.domain.identifiers import parse_record_no
from station_app.domain.problems import Problem, WithProblems
from station_app.domain.spreadsheet import cell_text, is_empty, serial_date
from station_app.domain.text import fold
from station_app.domain.visit import ExtraDiagnosis, Visit, validate
from station_app.i18n import N_
from station_app.resources import data_file

VACCINE_NAMES_FILE = "vaccine_names.json"
WHATS = ("vaccinations", "visits")

PATIENT_KEYS: tuple[str, ...] = ("record_no", "citizen_id", "insurance_no", "full_name", "birth_date")
FIELDS: dict[str, tuple[str, ...]] = {
    "vaccinations": (*PATIENT_KEYS, "vaccine", "date", "place"),
    "visits": (
        *PATIENT_KEYS, "visit_at", "complaint", "diagnosis_code", "treatment", "bp", "pulse", "temperature",
        "weight", "height", "glucose", "follow_up_date", "clinician", "insurance_paid",
    ),
}
REQUIRED: dict[str, tuple[str, ...]] = {"vaccinations": ("vaccine", "date"), "visits": ("visit_at",)}

# Accepted headers per field, folded ("Ngày tiêm" → "ngay tiem"); each field's key and its title
# in both languages are accepted too.
_PATIENT_HEADERS: dict[str, tuple[str, ...]] = {
    "record_no": ("record no", "so ho so", "ma benh nhan", "ma bn", "ma ho so", "ma tre"),
    "citizen_id": ("citizen id", "so cccd", "cccd", "so dinh danh", "so dinh danh ca nhan", "ma dinh danh"),
    "insurance_no": ("insurance no", "so the bhyt", "the bhyt", "ma the bhyt", "bhyt", "ma the"),
    "full_name": ("full name", "ho va ten", "ho ten", "ten", "name", "ho ten tre", "ten tre", "ho ten benh nhan",
                  "ho va ten benh nhan", "ho va ten tre"),
    "birth_date": ("birth date", "ngay sinh", "ngay thang nam sinh", "nam sinh", "dob", "date of birth"),
}
HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "vaccinations": {
        **_PATIENT_HEADERS,
        "vaccine": ("vaccine", "vac xin", "vacxin", "ten vac xin", "loai vac xin", "mui tiem", "vac xin mui"),
        "date": ("date", "date given", "ngay tiem", "ngay uong", "ngay tiem uong", "ngay tiem chung", "ngay"),
        "place": ("place", "noi tiem", "dia diem", "dia diem tiem", "co so tiem", "noi tiem chung"),
    },
    "visits": {
        **_PATIENT_HEADERS,
        "visit_at": ("visit at", "visit date", "ngay kham", "ngay gio kham", "thoi gian kham", "ngay", "ngay gio"),
        "complaint": ("complaint", "ly do kham", "ly do den kham", "trieu chung", "trieu chung chinh"),
        "diagnosis_code": ("diagnosis code", "ma icd", "ma icd10", "ma icd 10", "icd", "icd10", "icd 10",
                           "ma benh", "chan doan icd", "ma chan doan"),
        "treatment": ("treatment", "dieu tri", "xu tri", "dieu tri xu tri", "thuoc", "don thuoc",
                      "phuong phap dieu tri"),
        "bp": ("bp", "blood pressure", "huyet ap", "ha"),
        "pulse": ("pulse", "mach", "nhip tim"),
        "temperature": ("temperature", "nhiet do", "than nhiet"),
        "weight": ("weight", "can nang", "can nang kg"),
        "height": ("height", "chieu cao", "chieu cao cm"),
        "glucose": ("glucose", "duong huyet", "duong mau", "glucose mau"),
        "follow_up_date": ("follow up date", "ngay hen", "ngay tai kham", "hen tai kham", "ngay hen tai kham"),
        "clinician": ("clinician", "nguoi kham", "bac si", "y bac si", "can bo kham", "y si"),
        "insurance_paid": ("insurance paid", "bhyt chi tra", "bhyt thanh toan", "kham bhyt", "doi tuong bhyt"),
    },
}

TITLES: dict[str, str] = {
    "record_no": N_("Record number"),
    "citizen_id": N_("Citizen ID"),
    "insurance_no": N_("Insurance card number"),
    "full_name": N_("Full name"),
    "birth_date": N_("Date of birth"),
    "vaccine": N_("Vaccine and dose"),
    "date": N_("Date given"),
    "place": N_("Place given"),
    "visit_at": N_("Date and time"),
    "complaint": N_("Complaint"),
    "diagnosis_code": N_("Diagnosis (ICD-10)"),
    "treatment": N_("Treatment"),
    "bp": N_("Blood pressure"),
    "pulse": N_("Pulse"),
    "temperature": N_("Temperature"),
    "weight": N_("Weight"),
    "height": N_("Height"),
    "glucose": N_("Blood glucose"),
    "follow_up_date": N_("Next follow-up"),
    "clinician": N_("Clinician"),
    "insurance_paid": N_("Paid by insurance"),
    "patient": N_("Patient"),
}
_VISIT_FIELD = {"bp_systolic": "bp", "bp_diastolic": "bp", "clinician_name": "clinician"}
DATE_KEYS = frozenset({"birth_date", "date", "visit_at", "follow_up_date"})
_STATION_PLACES = frozenset({"tram", "tai tram", "tram y te", "tyt", "tram yt", "tai tram y te", "station",
                             "this station", "here", "tai cho"})
_YES = frozenset({"1", "x", "co", "yes", "y", "true", "bhyt", "v", "dung"})
_NO = frozenset({"", "0", "khong", "no", "n", "false", "dich vu", "thu phi", "vien phi"})


def key(text: str) -> str:
    """A header or name as matched: accents, case and punctuation ignored."""
    return re.sub(r"[^a-z0-9]+", " ", fold(str(text).replace("_", " "))).strip()


def title(field_key: str) -> str:
    field_key = _VISIT_FIELD.get(field_key, field_key)
    return TITLES.get(field_key, field_key)


# -- vaccine names ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class VaccineName:
    series: str
    dose: int | None  # None: the dose is the number written after the name


@cache
def vaccine_names() -> dict[str, VaccineName]:
    """Folded name → its series (and its fixed dose), from the data file."""
    with data_file(VACCINE_NAMES_FILE).open(encoding="utf-8") as fh:
        data = json.load(fh)
    schedule = vaccination.load_schedule()
    known = {s.key for s in schedule.series}
    table: dict[str, VaccineName] = {}
    for entry in data["names"]:
        series = str(entry["series"])
        if series not in known:
            raise ValueError(f"{VACCINE_NAMES_FILE}: unknown series {series!r}")
        dose = entry.get("dose")
        for name in entry["names"]:
            table[key(name)] = VaccineName(series, None if dose is None else int(dose))
    return table


_DOSE_WORDS = re.compile(r"\b(mui|lan|lieu|dose|so)\s*(?=\d)")
_TRAILING_NUMBER = re.compile(r"^(.*?)\s*(\d{1,2})$")


def parse_vaccine(text: str) -> tuple[str, int] | Problem:
    """``(series, dose)`` for a vaccine written as on the card, or the problem with it."""
    names = vaccine_names()
    folded = key(text)
    if not folded:
        return Problem("vaccine", N_("Write the vaccine and its dose (e.g. \"DPT-VGB-Hib 1\")."))
    number: int | None = None
    found = names.get(folded)
    if found is None:
        match = _TRAILING_NUMBER.match(_DOSE_WORDS.sub("", folded).strip())
        if match and match[1].strip() in names:
            found, number = names[match[1].strip()], int(match[2])
    if found is None:
        return Problem("vaccine", N_('"{value}" is not a vaccine of the schedule (write it as on the card: '
                                    '"BCG", "DPT-VGB-Hib 1", "OPV 2", "VNNB 3"…).'), params={"value": text})
    series = vaccination.load_schedule().get(found.series)
    numbers = [d.number for d in series.doses]
    if found.dose is not None:
        if number is not None and number != found.dose:
            return Problem("vaccine", N_('"{value}": {vaccine} has no dose {dose}.'),
                           params={"value": text, "vaccine": series.name("vi"), "dose": number})
        return found.series, found.dose
    if number is None:
        if len(numbers) == 1:
            return found.series, numbers[0]
        return Problem("vaccine", N_('"{value}": write which dose of {vaccine} ({doses}).'),
                       params={"value": text, "vaccine": series.name("vi"), "doses": ", ".join(map(str, numbers))})
    if number not in numbers:
        return Problem("vaccine", N_('"{value}": {vaccine} has no dose {dose}.'),
                       params={"value": text, "vaccine": series.name("vi"), "dose": number})
    return found.series, number


# -- cells ------------------------------------------------------------------------------------------
_SLASHED = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")


def date_order(rows: Iterable[dict[int, object]], columns: Iterable[int]) -> str:
    """``dmy`` or ``mdy``: how the file's text dates are written (a first number above 12 can
    only be a day); day first when nothing tells."""
    dmy = mdy = 0
    wanted = list(columns)
    for cells in rows:
        for column in wanted:
            value = cells.get(column)
            if isinstance(value, str) and (m := _SLASHED.match(value)):
                first, second = int(m[1]), int(m[2])
                dmy += first > 12 >= second
                mdy += second > 12 >= first
    return "mdy" if mdy > dmy else "dmy"


def _text_date(text: str, order: str) -> str:
    """A text date written ``mm/dd/yyyy`` in a month-first file, as ``dd/mm/yyyy``."""
    m = _SLASHED.match(text)
    if m and order == "mdy":
        return f"{m[2]}/{m[1]}/{m[3]}" + text[m.end():]
    return text


def cell_date(value: object, order: str) -> dt.date:
    """A cell holding a full date (an Excel date, a serial number, or text)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        day = serial_date(float(value))
        if day is None:
            raise DateFormatError(str(value))
        return day
    text = cell_text(value)
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        day = serial_date(float(text))
        if day is not None:
            return day
    return parse_date(_text_date(text, order).split()[0] if text else text)


_TIME = re.compile(r"^(\d{1,2})\s*[:hg]\s*(\d{2})?(?::\d{2})?\s*(?:p|ph|phut)?$")


def cell_datetime(value: object, order: str) -> dt.datetime:
    """A cell holding a date and maybe a time ("15/03/2026 08:30", "15/03/2026 8h30"); a date
    alone is the start of the day."""
    if isinstance(value, dt.datetime):  # (to the nearest minute: Excel keeps times as fractions of a day)
        return (value + dt.timedelta(seconds=30)).replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        day = serial_date(float(value))
        if day is None:
            raise DateFormatError(str(value))
        minutes = round((float(value) % 1) * 24 * 60)
        return dt.datetime.combine(day, dt.time(0)) + dt.timedelta(minutes=minutes)
    text = cell_text(value)
    parts = text.replace("T", " ").split(maxsplit=1)
    if not parts:
        raise DateFormatError(text)
    day = cell_date(parts[0], order)
    if len(parts) == 1:
        return dt.datetime.combine(day, dt.time(0))
    m = _TIME.match(fold(parts[1]).strip())
    if not m or int(m[1]) > 23 or int(m[2] or 0) > 59:
        raise DateFormatError(text)
    return dt.datetime.combine(day, dt.time(int(m[1]), int(m[2] or 0)))


def _number(text: str) -> float:
    return float(text.strip().replace(",", "."))


def identifier(field_key: str, value: object) -> str:
    """An identifier cell as text (a number Excel stripped of a citizen ID's leading zero gets it back)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = cell_text(value)
    if field_key == "citizen_id" and isinstance(value, int) and 9 <= len(text) < 12:
        return text.zfill(12)
    if field_key == "insurance_no":
        return re.sub(r"\s+", "", text).upper()
    return text


# -- rows -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PatientRef:
    """How a row names its patient: any one of these."""

    record_no: str = ""
    citizen_id: str = ""
    insurance_no: str = ""
    full_name: str = ""
    birth: PartialDate | None = None

    @property
    def named(self) -> bool:
        return bool(self.record_no or self.citizen_id or self.insurance_no or (self.full_name and self.birth))

    def describe(self) -> str:
        if self.record_no:
            return self.record_no
        if self.citizen_id:
            return self.citizen_id
        if self.insurance_no:
            return self.insurance_no
        return f"{self.full_name}, {self.birth.display() if self.birth else ''}"


@dataclass
class HistoryRow(WithProblems):
    """One row of the file, as it will be imported, with its problems."""

    number: int
    patient: PatientRef
    dose: tuple[str, int] | None = None  # vaccinations: (series, dose)
    given_on: dt.date | None = None
    place: str = ""  # as written; "" for this station (or when not written)
    at_station: bool = False  # the place says the dose was given at this station
    visit: Visit | None = None  # visits: with patient_id 0 until the patient is found
    problems: list[Problem] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict)  # field → the cell as the file shows it

    def problems_in(self, column: str) -> list[Problem]:
        return [p for p in self.problems if problem_column(p) == column]


def problem_column(problem: Problem) -> str:
    """The column a problem is about (a visit's field names the column it came from)."""
    return _VISIT_FIELD.get(problem.field, problem.field)


def check_mapping(mapping: dict[int, str], what: str) -> Problem | None:
    """The problem with a mapping (a required column missing, a field given twice), or None."""
    keys = list(mapping.values())
    for required in REQUIRED[what]:
        if required not in keys:
            return Problem(required, N_("No {field} column: the file needs one."), params={"field": title(required)},
                           translated=("field",))
    if not ({"record_no", "citizen_id", "insurance_no"} & set(keys)) and not {"full_name", "birth_date"} <= set(keys):
        return Problem("patient", N_("No column names the patient: the file needs a record number, citizen ID, "
                                     "insurance number, or full name and date of birth."))
    for found in set(keys):
        if keys.count(found) > 1:
            return Problem(found, N_("Two columns are mapped to {field}."), params={"field": title(found)},
                           translated=("field",))
    return None


def _values(cells: Sequence[object], mapping: dict[int, str]) -> dict[str, object]:
    return {name: (cells[column] if column < len(cells) else None) for column, name in mapping.items()}


def _patient(values: dict[str, object], order: str, problems: list[Problem]) -> PatientRef:
    def text(name: str) -> str:
        value = values.get(name)
        return "" if is_empty(value) else identifier(name, value)

    record_no = text("record_no")
    if record_no and parse_record_no(record_no) is None:
        problems.append(Problem("record_no", N_('"{value}" is not a record number of this station (its check digit '
                                                'is wrong).'), params={"value": record_no}))
    birth = None
    raw = values.get("birth_date")
    if not is_empty(raw):
        try:
            year = isinstance(raw, (int, float)) and float(raw).is_integer() and 1900 <= raw <= 2100
            if isinstance(raw, (dt.date, int, float)) and not isinstance(raw, bool) and not year:
                birth = PartialDate.from_date(cell_date(raw, order))
            else:
                birth = parse_partial_date(_text_date(cell_text(raw), order))
        except (DateFormatError, ValueError):
            problems.append(Problem("birth_date", N_('"{value}" is not a date: write dd/mm/yyyy, mm/yyyy or yyyy.'),
                                    params={"value": cell_text(raw)}))
    ref = PatientRef(parse_record_no(record_no) or record_no if record_no else "", text("citizen_id"),
                     text("insurance_no"), " ".join(text("full_name").split()), birth)
    if not ref.named and not any(p.field in ("record_no", "birth_date") for p in problems):
        problems.append(Problem("patient", N_("Name the patient: a record number, citizen ID, insurance number, or "
                                              "full name with date of birth.")))
    return ref


def vaccination_row(number: int, cells: Sequence[object], mapping: dict[int, str], order: str,
                    today: dt.date) -> HistoryRow:
    values = _values(cells, mapping)
    problems: list[Problem] = []
    row = HistoryRow(number, _patient(values, order, problems), problems=problems)
    found = parse_vaccine(cell_text(values.get("vaccine")))
    if isinstance(found, Problem):
        problems.append(found)
    else:
        row.dose = found
    raw = values.get("date")
    if is_empty(raw):
        problems.append(Problem("date", N_("Write the date the dose was given.")))
    else:
        try:
            row.given_on = cell_date(raw, order)
        except (DateFormatError, ValueError):
            problems.append(Problem("date", N_('"{value}" is not a date: write dd/mm/yyyy.'),
                                    params={"value": cell_text(raw)}))
        else:
            if row.given_on > today:
                problems.append(Problem("date", N_("The date is in the future.")))
    place = cell_text(values.get("place"))
    row.at_station = key(place) in _STATION_PLACES
    row.place = "" if row.at_station else place
    return row


def _measure(values: dict[str, object], name: str, problems: list[Problem], whole: bool = False) -> float | None:
    raw = values.get(name)
    if is_empty(raw):
        return None
    try:
        value = float(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else _number(cell_text(raw))
    except ValueError:
        problems.append(Problem(name, N_('"{value}" is not a number.'), params={"value": cell_text(raw)}))
        return None
    if whole:
        return float(round(value))
    return value


def visit_row(number: int, cells: Sequence[object], mapping: dict[int, str], order: str,
              now: dt.datetime) -> HistoryRow:
    values = _values(cells, mapping)
    problems: list[Problem] = []
    row = HistoryRow(number, _patient(values, order, problems), problems=problems)
    raw = values.get("visit_at")
    visit_at = None
    if is_empty(raw):
        problems.append(Problem("visit_at", N_("Write the date of the visit.")))
    else:
        try:
            visit_at = cell_datetime(raw, order)
        except (DateFormatError, ValueError):
            problems.append(Problem("visit_at", N_('"{value}" is not a date and time: write dd/mm/yyyy hh:mm.'),
                                    params={"value": cell_text(raw)}))
    codes: list[str] = []
    for part in re.split(r"[;,]", cell_text(values.get("diagnosis_code"))):
        if not part.strip():
            continue
        entry = icd10.lookup(part)
        if entry is None:
            problems.append(Problem("diagnosis_code", N_('"{value}" is not an ICD-10 code of the catalogue.'),
                                    params={"value": part.strip()}))
        else:
            codes.append(entry.code)
    systolic = diastolic = None
    bp = cell_text(values.get("bp"))
    if bp:
        m = re.fullmatch(r"\s*(\d{2,3})\s*/\s*(\d{2,3})\s*(mmhg)?\s*", bp.lower())
        if m:
            systolic, diastolic = int(m[1]), int(m[2])
        else:
            problems.append(Problem("bp", N_('"{value}" is not a blood pressure: write it as 150/95.'),
                                    params={"value": bp}))
    follow_up = None
    raw = values.get("follow_up_date")
    if not is_empty(raw):
        try:
            follow_up = cell_date(raw, order)
        except (DateFormatError, ValueError):
            problems.append(Problem("follow_up_date", N_('"{value}" is not a date: write dd/mm/yyyy.'),
                                    params={"value": cell_text(raw)}))
    paid_text = key(cell_text(values.get("insurance_paid")))
    if paid_text not in _YES and paid_text not in _NO:
        problems.append(Problem("insurance_paid", N_('"{value}" is not yes or no: write Có or Không.'),
                                params={"value": cell_text(values.get("insurance_paid"))}))
    pulse = _measure(values, "pulse", problems, whole=True)
    measures = {name: _measure(values, name, problems) for name in ("temperature", "weight", "height", "glucose")}
    if visit_at is None:
        return row
    main = codes[0] if codes else ""
    visit = Visit(
        patient_id=0,
        visit_at=visit_at,
        complaint=cell_text(values.get("complaint")),
        bp_systolic=systolic,
        bp_diastolic=diastolic,
        pulse=None if pulse is None else int(pulse),
        temperature=measures["temperature"],
        weight=measures["weight"],
        height=measures["height"],
        glucose=measures["glucose"],
        diagnosis_code=main,
        diagnosis_text=_icd_name(main),
        extra_diagnoses=[ExtraDiagnosis(code, _icd_name(code)) for code in codes[1:]],
        treatment=cell_text(values.get("treatment")),
        clinician_name=cell_text(values.get("clinician")),
        insurance_paid=paid_text in _YES,
        follow_up_date=follow_up,
    )
    seen = {p.field for p in problems}
    for problem in validate(visit, now):
        if problem_column(problem) not in seen:
            problems.append(problem)
    row.visit = visit
    return row


def _icd_name(code: str) -> str:
    entry = icd10.lookup(code) if code else None
    return icd10.name(entry, "vi") if entry else ""


# -- the whole file -----------------------------------------------------------------------------
@dataclass
class HistoryPreview:
    what: str
    mapping: dict[int, str]
    order: str  # how text dates are written: "dmy" or "mdy"
    rows: list[HistoryRow]

    @property
    def invalid(self) -> list[HistoryRow]:
        return [r for r in self.rows if not r.ok]

    @property
    def valid(self) -> list[HistoryRow]:
        return [r for r in self.rows if r.ok]


def guess_order(rows: Sequence[tuple[int, Sequence[object]]], mapping: dict[int, str]) -> str:
    """How the text dates of the mapped date columns are written: ``dmy`` or ``mdy``."""
    dates = [column for column, name in mapping.items() if name in DATE_KEYS]
    return date_order(({c: cells[c] for c in dates if c < len(cells)} for _n, cells in rows), dates)


def build_preview(rows: Sequence[tuple[int, Sequence[object]]], mapping: dict[int, str], what: str,
                  now: dt.datetime, order: str | None = None, keep_cells: bool = False) -> HistoryPreview:
    """Every row checked (``rows``: the sheet's row numbers and cells under its header); text
    dates read in ``order`` (guessed from the file when not given). ``keep_cells``: keep each
    cell as written, for a screen to show."""
    if what not in WHATS:
        raise ValueError(f"unknown history {what!r}")
    order = order or guess_order(rows, mapping)
    parsed = []
    for number, cells in rows:
        row = (vaccination_row(number, cells, mapping, order, now.date()) if what == "vaccinations"
               else visit_row(number, cells, mapping, order, now))
        if keep_cells:
            row.cells = {name: cell_text(cells[c]) if c < len(cells) else "" for c, name in mapping.items()}
        parsed.append(row)
    return HistoryPreview(what, mapping, order, parsed)


def suggest_mapping(headers: Sequence[str], what: str) -> dict[int, str]:
    """``{column: field}`` from the headers (English keys, Vietnamese headers, titles)."""
    aliases = header_aliases(what)
    mapping: dict[int, str] = {}
    for column, header in enumerate(headers):
        folded = key(header)
        found = aliases.get(folded)
        if found is None and folded:  # a known header inside a longer one ("Ngày tiêm (dd/mm/yyyy)")
            padded = f" {folded} "
            longest = max((a for a in aliases if " " in a and f" {a} " in padded), key=len, default=None)
            found = aliases[longest] if longest else None
        if found and found not in mapping.values():
            mapping[column] = found
    return mapping


def header_aliases(what: str) -> dict[str, str]:
    """Folded header → field for ``what``: the known headers, each key and its titles."""
    from station_app.i18n import translate

    table: dict[str, str] = {}
    for name, aliases in HEADERS[what].items():
        table.setdefault(key(name), name)
        for alias in aliases:
            table.setdefault(alias, name)
        for lang in ("vi", "en"):
            table.setdefault(key(translate(title(name), lang)), name)
    return table
