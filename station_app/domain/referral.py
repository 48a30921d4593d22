"""The referral slip ("Phiếu chuyển cơ sở khám bệnh, chữa bệnh bảo hiểm y tế"): its data, number,
validity and checks.

The form itself (title, labels, numbering suffix, footnotes) is data in
``resources/data/referral_form_2025.json``, read by :func:`load_form`; the public holidays that
the validity skips are in ``resources/data/holidays_vn.csv``, read by :func:`load_holidays`.
Nothing here knows about Qt, SQL or PDF.

Validity (Thông tư 01/2025/TT-BYT, Điều 12): a slip is valid for 10 working days from the day
it is signed, or for one year for the diseases of Phụ lục III of that circular.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any, Literal

from station_app.domain.problems import Problem
from station_app.i18n import N_
from station_app.resources import data_file

FORM_FILE = "referral_form_2025.json"
HOLIDAYS_FILE = "holidays_vn.csv"

ReasonCode = Literal["1a", "1b", "2"]
Status = Literal["issued", "cancelled"]
Outcome = Literal["sent", "arrived", "feedback"]

REASON_CODES: tuple[str, ...] = ("1a", "1b", "2")
STATUSES: tuple[str, ...] = ("issued", "cancelled")
OUTCOMES: tuple[str, ...] = ("sent", "arrived", "feedback")
MAX_EARLIER_TREATMENTS = 2
WORKING_DAYS_VALID = 10

ICD10_CODE = re.compile(r"^[A-Z][0-9]{2}(?:\.[0-9A-Z]{1,2})?$")


# --------------------------------------------------------------------------------------------
# The form as data


@dataclass(frozen=True)
class ReferralForm:
    """One version of the printed form, as read from its JSON file."""

    form: str
    name: str
    title: str
    valid_from: dt.date
    valid_to: dt.date | None
    number_digits: int
    number_suffix: str
    number_separator: str
    header: Mapping[str, Any]
    labels: Mapping[str, str]  # key → text, in the order the form prints them
    reasons: tuple[Mapping[str, Any], ...]
    sex: Mapping[str, str]
    signatures: Mapping[str, Any]
    footnotes: Mapping[str, Any]
    continuation: Mapping[str, str]

    def label(self, key: str) -> str:
        return self.labels[key]

    def reason_standard_code(self, code: str) -> int | None:
        """The insurance data standard's code (1, 2, 3) of a form reason (``1a``, ``1b``, ``2``)."""
        for reason in self.reasons:
            if reason["code"] == code:
                return int(reason["standard_code"])
        return None


@cache
def load_form(name: str = FORM_FILE) -> ReferralForm:
    """The form version stored in ``resources/data/<name>`` (cached: the file never changes)."""
    with data_file(name).open(encoding="utf-8") as fh:
        raw = json.load(fh)
    number = raw["number"]
    return ReferralForm(
        form=raw["form"],
        name=raw["name"],
        title=raw["title"],
        valid_from=dt.date.fromisoformat(raw["valid_from"]),
        valid_to=dt.date.fromisoformat(raw["valid_to"]) if raw.get("valid_to") else None,
        number_digits=int(number["digits"]),
        number_suffix=number["suffix"],
        number_separator=number["separator"],
        header=MappingProxyType(raw["header"]),
        labels=MappingProxyType({item["key"]: item["text"] for item in raw["labels"]}),
        reasons=tuple(MappingProxyType(r) for r in raw["reasons"]),
        sex=MappingProxyType(raw["sex"]),
        signatures=MappingProxyType(raw["signatures"]),
        footnotes=MappingProxyType(raw["footnotes"]),
        continuation=MappingProxyType(raw["continuation"]),
    )


# --------------------------------------------------------------------------------------------
# The data behind one slip


@dataclass
class EarlierTreatment:
    """A place where the patient was examined or treated before this referral (``+ Tại: …``)."""

    place: str
    from_date: dt.date | None = None
    to_date: dt.date | None = None


@dataclass
class Referral:
    """Everything behind one referral slip: what the form prints and what the insurance data
    standard (table XML13, QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT) records.

    Patient identity is copied as printed on the day of the referral, so a later edit of the
    patient record does not change a slip already handed out.
    """

    # Numbering and the referral book
    seq: int | None = None  # sequence within the year: 1 → 000001/<year>/PCCSKBCB
    year: int | None = None
    record_no: str = ""  # "Số hồ sơ": the patient's record number
    book_no: str = ""  # "Vào sổ chuyển cơ sở khám bệnh, chữa bệnh số"
    id: int | None = None
    patient_id: int | None = None
    form: str = "TT01-2025-PL-VI"

    # Sending and receiving facilities
    sending_station: str = ""  # the station's name as printed on the day
    sending_facility_code: str = ""
    receiving_facility: str = ""
    receiving_facility_code: str = ""

    # Patient identity, as printed
    patient_name: str = ""
    sex: str = ""  # "1" male, "2" female, "3" undetermined (as in domain.identifiers)
    birth_year: int | None = None
    birth_date: dt.date | None = None  # kept for the data standard; the form prints the year
    address: str = ""
    ethnicity: str = ""  # the name as printed ("Kinh", "Tày", …)
    nationality: str = "Việt Nam"
    occupation: str = ""
    workplace: str = ""
    insurance_no: str = ""
    insurance_valid_to: dt.date | None = None
    insurance_expired: bool = False  # "Hết thời hạn" box
    insurance_validity_unknown: bool = False  # "Không xác định được thời hạn" box

    # Treatment before the referral (at most two places on the form)
    earlier_treatments: list[EarlierTreatment] = field(default_factory=list)
    admitted_at: dt.datetime | None = None  # start of the visit at the station (data standard)

    # Clinical summary
    clinical_signs: str = ""
    test_results: str = ""
    diagnosis: str = ""
    icd_main: str = ""
    icd_extra: list[str] = field(default_factory=list)
    procedures: str = ""
    treatment: str = ""  # main techniques and drugs used
    condition: str = ""  # condition at transfer

    # The transfer
    reason: str | None = None  # "1a", "1b" or "2"
    direction: str = ""  # direction of treatment
    transfer_at: dt.datetime | None = None
    one_year: bool | None = False  # valid for one year (Phụ lục III); None: not decided yet
    transport: str = ""
    escort_name: str = ""
    escort_title: str = ""

    # People
    clinician_name: str = ""
    clinician_code: str = ""
    signer_name: str = ""
    signer_title: str = ""
    signer_code: str = ""
    signed_on: dt.date | None = None  # defaults to the transfer date

    # Life of the record
    status: str = "issued"
    cancel_reason: str = ""
    cancelled_at: dt.datetime | None = None
    outcome: str = "sent"
    arrived_on: dt.date | None = None
    feedback_on: dt.date | None = None
    feedback: str = ""  # the receiving facility's answer (counter-referral)

    @property
    def number(self) -> str | None:
        """``000001/2026/PCCSKBCB``, or ``None`` while the slip has no number yet."""
        if self.seq is None or self.year is None:
            return None
        return format_number(self.seq, self.year)

    @property
    def reason_standard_code(self) -> int | None:
        """The reason as the insurance data standard codes it: 1 = 1a, 2 = 1b, 3 = 2."""
        return load_form().reason_standard_code(self.reason) if self.reason else None

    @property
    def icd_codes(self) -> list[str]:
        """The main ICD-10 code first, then the extra ones, without blanks or repeats."""
        codes: list[str] = []
        for code in [self.icd_main, *self.icd_extra]:
            code = code.strip().upper()
            if code and code not in codes:
                codes.append(code)
        return codes

    @property
    def signing_date(self) -> dt.date | None:
        if self.signed_on is not None:
            return self.signed_on
        return self.transfer_at.date() if self.transfer_at is not None else None

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    def valid_until(self, holidays: Collection[dt.date] | None = None) -> dt.date | None:
        """Last day the slip can be used, or ``None`` before it is signed."""
        signed = self.signing_date
        return valid_until(signed, bool(self.one_year), holidays) if signed else None


# --------------------------------------------------------------------------------------------
# Numbering

_NUMBER = re.compile(r"^\s*(\d{1,9})\s*/\s*(\d{4})\s*/\s*([A-Za-z]+)\s*$")


def format_number(seq: int, year: int) -> str:
    """The slip number: ``format_number(1, 2026)`` → ``"000001/2026/PCCSKBCB"``."""
    form = load_form()
    if not 1 <= seq < 10**form.number_digits:
        raise ValueError(f"slip sequence out of range: {seq}")
    if not 1000 <= year <= 9999:
        raise ValueError(f"year out of range: {year}")
    sep = form.number_separator
    return f"{seq:0{form.number_digits}d}{sep}{year:04d}{sep}{form.number_suffix}"


def parse_number(text: str) -> tuple[int, int]:
    """``"000001/2026/PCCSKBCB"`` → ``(1, 2026)``; leading zeros and spaces are optional.

    Raises ``ValueError`` for anything else, including another suffix.
    """
    form = load_form()
    match = _NUMBER.match(text)
    if not match or match[3].upper() != form.number_suffix:
        raise ValueError(f"not a referral slip number: {text!r}")
    seq, year = int(match[1]), int(match[2])
    if not 1 <= seq < 10**form.number_digits:
        raise ValueError(f"slip sequence out of range: {text!r}")
    return seq, year


# --------------------------------------------------------------------------------------------
# Holidays and validity


@dataclass(frozen=True)
class Holiday:
    date: dt.date
    name: str
    note: str = ""

    @property
    def provisional(self) -> bool:
        """Not yet decided (or the decision not verified): the table needs an update."""
        return self.note.lower().startswith("provisional")


@cache
def _holiday_table(name: str) -> Mapping[dt.date, Holiday]:
    text = data_file(name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    table: dict[dt.date, Holiday] = {}
    for row in csv.DictReader(io.StringIO("\n".join(lines))):
        day = dt.date.fromisoformat(row["date"].strip())
        table[day] = Holiday(day, row["name"].strip(), (row.get("note") or "").strip())
    return MappingProxyType(table)


def load_holidays(name: str = HOLIDAYS_FILE) -> Mapping[dt.date, Holiday]:
    """Days off from ``resources/data/holidays_vn.csv``: ``{date: Holiday}`` (read once)."""
    return _holiday_table(name)


def is_working_day(day: dt.date, holidays: Collection[dt.date]) -> bool:
    """Monday to Friday and not a day off in ``holidays``."""
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: dt.date, count: int, holidays: Collection[dt.date]) -> dt.date:
    """The ``count``-th working day after ``start`` (``start`` itself is not counted)."""
    day = start
    remaining = count
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays):
            remaining -= 1
    return day


def one_year_after(signed_on: dt.date) -> dt.date:
    """Last day of a one-year validity: the day before the same date next year.

    15/01/2026 → 14/01/2027. A slip signed on 29 February has no such date the next year: its
    year runs to the end of February (29/02/2028 → 28/02/2029), as Bộ luật Dân sự 2015 (Điều
    148) ends a period on the month's last day when the corresponding day does not exist.
    """
    try:
        anniversary = signed_on.replace(year=signed_on.year + 1)
    except ValueError:  # 29 February
        anniversary = dt.date(signed_on.year + 1, 3, 1)
    return anniversary - dt.timedelta(days=1)


def valid_until(
    signed_on: dt.date,
    one_year: bool = False,
    holidays: Collection[dt.date] | None = None,
) -> dt.date:
    """Last day on which a slip signed on ``signed_on`` can be used.

    Normally 10 working days (Thông tư 01/2025/TT-BYT, Điều 12). The signing day is **not**
    counted: a period set in days starts on the day after the event (Bộ luật Dân sự 2015,
    Điều 147), so a slip signed on Monday 05/01/2026 is valid to Monday 19/01/2026 inclusive.
    Saturdays, Sundays and the days off of ``holidays`` (default: :func:`load_holidays`) are
    skipped. Saturdays worked in exchange for a swapped day off are not counted as working days,
    which errs by a day at most in the patient's favour.

    With ``one_year`` (diseases of Phụ lục III) the slip is valid for one year:
    see :func:`one_year_after`.
    """
    if one_year:
        return one_year_after(signed_on)
    days_off = load_holidays() if holidays is None else holidays
    return add_working_days(signed_on, WORKING_DAYS_VALID, days_off)


# --------------------------------------------------------------------------------------------
# Abbreviations (Thông tư 32/2023/TT-BYT: no abbreviations on documents given to patients)

ABBREVIATIONS: Mapping[str, str] = MappingProxyType(
    {
        "BHYT": "bảo hiểm y tế",
        "BHXH": "bảo hiểm xã hội",
        "CSKCB": "cơ sở khám bệnh, chữa bệnh",
        "KCB": "khám bệnh, chữa bệnh",
        "BVĐK": "Bệnh viện Đa khoa",
        "BV": "Bệnh viện",
        "TTYT": "Trung tâm Y tế",
        "TYT": "Trạm Y tế",
        "UBND": "Ủy ban nhân dân",
    }
)
# Whole words only ("BV" in "BVĐK" or "CBV" stays), longest first; \w is Unicode-aware.
_ABBREVIATION = re.compile(
    r"(?<!\w)(" + "|".join(sorted(ABBREVIATIONS, key=len, reverse=True)) + r")(?!\w)"
)
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n\s*)$")


def expand_abbreviations(text: str) -> str:
    """``"Chuyển BV huyện, thẻ BHYT"`` → ``"Chuyển Bệnh viện huyện, thẻ bảo hiểm y tế"``.

    Only whole words in capitals are expanded; an expansion that starts a sentence gets a
    capital letter. Identifiers (card numbers, ICD-10 codes, the slip number) must not be
    passed through this.
    """
    text = unicodedata.normalize("NFC", text)

    def expand(match: re.Match[str]) -> str:
        words = ABBREVIATIONS[match[1]]
        if _SENTENCE_START.search(text, 0, match.start()):
            words = words[0].upper() + words[1:]
        return words

    return _ABBREVIATION.sub(expand, text)


# --------------------------------------------------------------------------------------------
# Validation


def validate(referral: Referral) -> list[Problem]:
    """Every problem of a referral; errors forbid printing or saving it as issued."""
    r = referral
    problems: list[Problem] = []

    def error(field_name: str, message: str, **params: object) -> None:
        problems.append(Problem(field_name, message, "error", params))

    def warn(field_name: str, message: str, **params: object) -> None:
        problems.append(Problem(field_name, message, "warning", params))

    # Required by the form
    if not r.patient_name.strip():
        error("patient_name", N_("Enter the name of the patient being referred."))
    if not r.receiving_facility.strip():
        error("receiving_facility", N_("Enter the facility the patient is referred to."))
    if not r.diagnosis.strip():
        error("diagnosis", N_("Enter the diagnosis."))
    if r.reason is None or not r.reason.strip():
        error("reason", N_("Choose the reason for the referral."))
    elif r.reason not in REASON_CODES:
        error("reason", N_("Unknown referral reason {code}: choose 1a, 1b or 2."), code=r.reason)
    if r.transfer_at is None:
        error("transfer_at", N_("Enter the date and time of the transfer."))

    # Codes and numbers
    for code in r.icd_codes:
        if not ICD10_CODE.match(code):
            error(
                "icd_main",
                N_("{code} is not an ICD-10 code (for example I10 or E11.9)."),
                code=code,
            )
    if r.diagnosis.strip() and not r.icd_main.strip():
        warn("icd_main", N_("Enter the main ICD-10 code of the diagnosis."))
    largest = 10 ** load_form().number_digits - 1
    if r.seq is not None and not 1 <= r.seq <= largest:
        error("seq", N_("The slip number must be between 1 and {largest}."), largest=largest)
    if (r.seq is None) != (r.year is None):
        error("seq", N_("A slip number needs both its sequence and its year."))

    # Insurance card
    if r.insurance_expired and r.insurance_validity_unknown:
        error(
            "insurance_expired",
            N_("Tick either 'expired' or 'cannot be determined' for the card, not both."),
        )
    valid_to, signed = r.insurance_valid_to, r.signing_date
    if valid_to and signed and valid_to < signed and not r.insurance_expired:
        warn(
            "insurance_expired",
            N_("The insurance card ended on {date}: tick 'expired'."),
            date=valid_to.strftime("%d/%m/%Y"),
        )

    # Earlier treatment
    if len(r.earlier_treatments) > MAX_EARLIER_TREATMENTS:
        error(
            "earlier_treatments",
            N_("The form has room for {count} earlier places of treatment only."),
            count=MAX_EARLIER_TREATMENTS,
        )
    for item in r.earlier_treatments:
        if item.from_date and item.to_date and item.to_date < item.from_date:
            error(
                "earlier_treatments",
                N_("Treatment at {place} ends before it starts."),
                place=item.place,
            )
        if r.transfer_at and item.from_date and item.from_date > r.transfer_at.date():
            error(
                "earlier_treatments",
                N_("Treatment at {place} starts after the transfer."),
                place=item.place,
            )

    # The record's life
    if r.status not in STATUSES:
        error("status", N_("Unknown status {status}."), status=r.status)
    if r.status == "cancelled" and not r.cancel_reason.strip():
        error("cancel_reason", N_("Give the reason for cancelling the slip."))
    if r.outcome not in OUTCOMES:
        error("outcome", N_("Unknown outcome {outcome}."), outcome=r.outcome)
    if r.transfer_at and r.arrived_on and r.arrived_on < r.transfer_at.date():
        error("arrived_on", N_("The patient cannot arrive before the transfer."))
    if r.escort_title.strip() and not r.escort_name.strip():
        warn("escort_name", N_("An escort's title is given without a name."))

    return problems
