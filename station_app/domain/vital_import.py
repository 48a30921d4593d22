"""Births and deaths brought in from a spreadsheet (the station's paper delivery and death books),
read into checked rows. Nothing here touches the database: ``store.vital_import`` finds each row's
person and saves all or nothing.

The columns are the command line's contract (English keys) or the Vietnamese headers below,
matched ignoring accents, case and punctuation:

* births: ``mother_record_no`` or ``citizen_id`` (the mother's), ``child_name`` (may be empty),
  ``sex``, ``born_at``, ``place``, ``attendant``, ``weight_grams``, ``hepb_at``, ``bcg_at``;
* deaths: the patient as in the other imports (``record_no, citizen_id, insurance_no, full_name,
  birth_date``), ``died_on``, ``place``, ``cause_code``.

Rows of one mother with the same time of birth are one delivery (twins). A place is "station"
(tại trạm), "home" (tại nhà), or the name of another facility.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from station_app.domain import births, icd10
from station_app.domain.births import Place
from station_app.domain.dates import DateFormatError, PartialDate, parse_partial_date
from station_app.domain.history_import import PatientRef, cell_date, cell_datetime, identifier, key
from station_app.domain.identifiers import parse_record_no
from station_app.domain.problems import Problem
from station_app.domain.spreadsheet import cell_text, is_empty
from station_app.i18n import N_

WHATS = ("births", "deaths")
FIELDS: dict[str, tuple[str, ...]] = {
    "births": ("mother_record_no", "citizen_id", "child_name", "sex", "born_at", "place", "attendant",
               "weight_grams", "hepb_at", "bcg_at"),
    "deaths": ("record_no", "citizen_id", "insurance_no", "full_name", "birth_date", "died_on", "place",
               "cause_code"),
}
HEADERS: dict[str, tuple[str, ...]] = {
    "mother_record_no": ("so ho so me", "ma ho so me", "ma benh nhan me", "record no"),
    "citizen_id": ("cccd", "so cccd", "cccd me", "so cccd me", "so dinh danh", "so dinh danh me"),
    "child_name": ("ten tre", "ho ten tre", "ho va ten tre", "ten con"),
    "sex": ("gioi", "gioi tinh", "gioi tinh tre"),
    "born_at": ("ngay gio sinh", "ngay sinh", "thoi gian sinh", "ngay gio de", "ngay de"),
    "place": ("noi sinh", "noi de", "noi tu vong", "noi mat"),
    "attendant": ("nguoi do", "nguoi do de"),
    "weight_grams": ("can nang", "can nang g", "can nang gram", "can nang so sinh"),
    "hepb_at": ("vgb so sinh", "tiem vgb", "viem gan b so sinh", "vgb"),
    "bcg_at": ("bcg", "tiem bcg"),
    "record_no": ("so ho so", "ma benh nhan", "ma bn", "ma ho so"),
    "insurance_no": ("so the bhyt", "the bhyt", "bhyt"),
    "full_name": ("ho va ten", "ho ten", "ten"),
    "birth_date": ("ngay sinh", "nam sinh", "ngay thang nam sinh"),
    "died_on": ("ngay mat", "ngay tu vong", "ngay chet"),
    "cause_code": ("ma icd", "ma icd10", "icd", "icd10", "nguyen nhan", "nguyen nhan tu vong", "ma nguyen nhan"),
}
TITLES: dict[str, str] = {
    "mother_record_no": N_("Mother's record number"),
    "citizen_id": N_("Citizen ID"),
    "child_name": N_("Baby's name"),
    "sex": N_("Sex"),
    "born_at": N_("Date and time of birth"),
    "place": N_("Place of birth or death"),
    "attendant": N_("Attendant"),
    "weight_grams": N_("Weight (g)"),
    "hepb_at": N_("Hepatitis B birth dose"),
    "bcg_at": N_("BCG"),
    "record_no": N_("Record number"),
    "insurance_no": N_("Insurance card number"),
    "full_name": N_("Full name"),
    "birth_date": N_("Date of birth"),
    "died_on": N_("Date of death"),
    "cause_code": N_("Cause of death"),
    "babies": N_("Baby"),
}
_STATION = frozenset({"station", "tram", "tai tram", "tram y te", "tyt", "tai tram y te", "this station"})
_HOME = frozenset({"home", "nha", "tai nha", "o nha"})
_OTHER = frozenset({"other", "khac", "noi khac", "tren duong", "tren duong di"})
_SEXES = {"1": "1", "nam": "1", "male": "1", "m": "1", "trai": "1", "2": "2", "nu": "2", "female": "2", "f": "2",
          "gai": "2", "3": "3", "chua xac dinh": "3"}


def header_field(header: str, what: str) -> str | None:
    folded = key(header)
    for name in FIELDS[what]:
        if folded == key(name) or folded in HEADERS.get(name, ()):
            return name
    return None


def mapping(headers: Sequence[str], what: str) -> dict[int, str]:
    found: dict[int, str] = {}
    for column, header in enumerate(headers):
        name = header_field(str(header), what)
        if name and name not in found.values():
            found[column] = name
    return found


def header_row(rows: Sequence[Sequence[object]], what: str) -> int:
    """The index of the row that reads as the most known headers (a title above it reads as none)."""
    scores = [len(mapping([cell_text(c) for c in cells], what)) for cells in rows[:10]]
    return max(range(len(scores)), key=lambda i: (scores[i], -i)) if scores else 0


@dataclass
class VitalRow:
    number: int  # the row number in the sheet
    mother: PatientRef | None = None  # births
    baby: births.Baby | None = None
    born_at: dt.datetime | None = None
    place: Place = Place.STATION
    place_name: str = ""
    attendant: str = ""
    person: PatientRef | None = None  # deaths
    death: births.Death | None = None
    errors: list[Problem] = field(default_factory=list)


def _place(text: str, deaths: bool) -> tuple[Place, str]:
    folded = key(text)
    if not folded or folded in _STATION:
        return Place.STATION, ""
    if folded in _HOME:
        return Place.HOME, ""
    if deaths and folded in _OTHER:
        return Place.OTHER, ""
    return Place.FACILITY, " ".join(text.split())


def _when(values: dict[str, object], name: str, problems: list[Problem], with_time: bool) -> dt.datetime | None:
    raw = values.get(name)
    if is_empty(raw):
        return None
    try:
        if with_time:
            return cell_datetime(raw, "dmy")
        return dt.datetime.combine(cell_date(raw, "dmy"), dt.time())
    except (DateFormatError, ValueError):
        problems.append(Problem(name, N_('"{value}" is not a date: write dd/mm/yyyy (and hh:mm).'),
                                params={"value": cell_text(raw)}))
        return None


def _text(values: dict[str, object], name: str) -> str:
    value = values.get(name)
    return "" if is_empty(value) else identifier(name, value)


def birth_row(number: int, values: dict[str, object], now: dt.datetime) -> VitalRow:
    row = VitalRow(number)
    problems = row.errors
    record_no = _text(values, "mother_record_no")
    row.mother = PatientRef(record_no=parse_record_no(record_no) or record_no, citizen_id=_text(values, "citizen_id"))
    if not row.mother.named:
        problems.append(Problem("mother_record_no", N_("Name the mother: her record number or citizen ID.")))
    sex = _SEXES.get(key(_text(values, "sex")))
    if sex is None:
        problems.append(Problem("sex", N_("Write the baby's sex: nam or nữ (1 or 2).")))
    row.born_at = _when(values, "born_at", problems, True)
    if row.born_at is None and not any(p.field == "born_at" for p in problems):
        problems.append(Problem("born_at", N_("Write the date and time of birth.")))
    weight = None
    raw_weight = _text(values, "weight_grams")
    if raw_weight:
        try:
            weight = round(float(raw_weight.replace(",", ".")))
        except ValueError:
            problems.append(Problem("weight_grams", N_('"{value}" is not a weight in grams.'),
                                    params={"value": raw_weight}))
    row.place, row.place_name = _place(_text(values, "place"), deaths=False)
    row.attendant = " ".join(_text(values, "attendant").split())
    hepb = _when(values, "hepb_at", problems, True)
    bcg = _when(values, "bcg_at", problems, True)
    row.baby = births.Baby(sex=sex or "3", weight_grams=weight, name=" ".join(_text(values, "child_name").split()),
                           hepb_at=hepb, bcg_at=bcg)
    if row.born_at is not None:
        check = births.Delivery(0, row.born_at, row.place, row.place_name, row.attendant, babies=(row.baby,))
        problems += [_as_column(p) for p in births.validate_delivery(check, now) if p.is_error]
    return row


def _as_column(problem: Problem) -> Problem:
    """A problem of ``baby1.weight_grams`` named by its column (``weight_grams``)."""
    column = problem.field.partition(".")[2] or problem.field
    column = {"delivered_at": "born_at", "place_name": "place"}.get(column, column)
    return Problem(column, problem.message, problem.severity, problem.params, problem.translated)


def death_row(number: int, values: dict[str, object], today: dt.date) -> VitalRow:
    row = VitalRow(number)
    problems = row.errors
    record_no = _text(values, "record_no")
    birth = None
    raw = values.get("birth_date")
    if not is_empty(raw):
        try:
            birth = PartialDate.from_date(raw.date() if isinstance(raw, dt.datetime) else raw) \
                if isinstance(raw, dt.date) else parse_partial_date(cell_text(raw))
        except (DateFormatError, ValueError):
            problems.append(Problem("birth_date", N_('"{value}" is not a date: write dd/mm/yyyy, mm/yyyy or yyyy.'),
                                    params={"value": cell_text(raw)}))
    row.person = PatientRef(parse_record_no(record_no) or record_no if record_no else "", _text(values, "citizen_id"),
                            _text(values, "insurance_no"), " ".join(_text(values, "full_name").split()), birth)
    if not row.person.named:
        problems.append(Problem("record_no", N_("Name the patient: a record number, citizen ID, insurance number, "
                                                "or full name with date of birth.")))
    died = _when(values, "died_on", problems, False)
    if died is None and not any(p.field == "died_on" for p in problems):
        problems.append(Problem("died_on", N_("Write the date of death.")))
    place, place_name = _place(_text(values, "place"), deaths=True)
    written = _text(values, "cause_code")
    code = icd10.normalise_code(written) or written.upper()
    if written and icd10.normalise_code(written) is None:
        problems.append(Problem("cause_code", N_("{code} is not an ICD-10 code (for example I10 or E11.9)."),
                                params={"code": code}))
    if died is not None:
        row.death = births.Death(0, died.date(), place, place_name, cause_code=code)
        problems += [p for p in births.validate_death(row.death, today) if p.is_error]
    return row


def person_problems(row: VitalRow, birth: dt.date | None, now: dt.datetime) -> list[Problem]:
    """What is wrong with ``row`` once its person is found, born on ``birth``: a child born before
    its mother, a death before the person's birth (the checks the forms make with the record)."""
    if birth is None:
        return []
    if row.death is not None:
        known = births.validate_death(row.death, now.date())
        return [p for p in births.validate_death(row.death, now.date(), birth) if p.is_error and p not in known]
    if row.born_at is None or row.baby is None:
        return []
    check = births.Delivery(0, row.born_at, row.place, row.place_name, row.attendant, babies=(row.baby,))
    known = births.validate_delivery(check, now)
    return [_as_column(p) for p in births.validate_delivery(check, now, birth) if p.is_error and p not in known]


def rows(table: Sequence[tuple[int, Sequence[object]]], columns: dict[int, str], what: str,
         now: dt.datetime) -> list[VitalRow]:
    found = []
    for number, cells in table:
        values = {name: (cells[c] if c < len(cells) else None) for c, name in columns.items()}
        found.append(birth_row(number, values, now) if what == "births" else death_row(number, values, now.date()))
    return found
