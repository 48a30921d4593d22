"""Identifiers and code sets: citizen ID (CCCD), insurance card (BHYT), phone, sex, ethnic group,
and the station's own patient record number with its check digit.

All identifiers are text (leading zeros matter). Normalisers return the stored form; checkers
return ``None`` when the value is acceptable, else an English source message for ``tr()``.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from functools import cache

from station_app.domain.text import fold
from station_app.i18n import N_
from station_app.resources import data_file

SEX_CODES = {"1": N_("Male"), "2": N_("Female"), "3": N_("Undetermined")}
_SEX_WORDS = {
    "1": "1",
    "nam": "1",
    "m": "1",
    "male": "1",
    "trai": "1",
    "2": "2",
    "nu": "2",
    "f": "2",
    "female": "2",
    "gai": "2",
    "3": "3",
    "chua xac dinh": "3",
    "khac": "3",
    "u": "3",
    "undetermined": "3",
}

MOBILE = re.compile(r"^0(3[2-9]|5[25689]|7[06-9]|8[1-9]|9[0-9])[0-9]{7}$")
LANDLINE = re.compile(r"^02[0-9]{9}$")
INSURANCE_LEGACY = re.compile(r"^[A-Z]{2}[1-5][0-9]{2}[0-9]{10}$")
INSURANCE_SOCIAL = re.compile(r"^[0-9]{10}$")
CITIZEN_ID = re.compile(r"^[0-9]{12}$")
FACILITY_CODE = re.compile(r"^[0-9A-Z]{5}$")

# Province-of-registration codes used in citizen IDs (the 63 pre-2025 provinces).
CITIZEN_ID_PROVINCES = frozenset(
    [
        "001",
        "002",
        "004",
        "006",
        "008",
        "010",
        "011",
        "012",
        "014",
        "015",
        "017",
        "019",
        "020",
        "022",
        "024",
        "025",
        "026",
        "027",
        "030",
        "031",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "042",
        "044",
        "045",
        "046",
        "048",
        "049",
        "051",
        "052",
        "054",
        "056",
        "058",
        "060",
        "062",
        "064",
        "066",
        "067",
        "068",
        "070",
        "072",
        "074",
        "075",
        "077",
        "079",
        "080",
        "082",
        "083",
        "084",
        "086",
        "087",
        "089",
        "091",
        "092",
        "093",
        "094",
        "095",
        "096",
    ]
)


def parse_sex(text: str) -> str | None:
    """``1``/``2``/``3``, ``Nam``/``Nữ``, ``M``/``F`` (any case, accents optional) → code."""
    return _SEX_WORDS.get(fold(text).strip())


def normalise_phone(text: str) -> str:
    """Digits only, with ``+84``/``84`` turned back into the leading ``0``."""
    raw = text.strip()
    number = re.sub(r"\D", "", raw)
    if raw.startswith("+84") or (number.startswith("84") and len(number) in (11, 12)):
        number = "0" + number[2:]
    return number


def check_phone(number: str) -> str | None:
    if MOBILE.match(number) or LANDLINE.match(number):
        return None
    if not number.startswith("0"):
        return N_("A phone number starts with 0 (or +84).")
    return N_("Not a Vietnamese phone number: a mobile has 10 digits, a landline 11 starting 02.")


def normalise_insurance(text: str) -> str:
    """Upper case without the separators printed on cards (``GD4-79-…`` → ``GD479…``)."""
    return re.sub(r"[\s.\-/]", "", text).upper()


@cache
def insurance_groups() -> dict[str, tuple[int, ...]]:
    """Beneficiary group code → the benefit digits its cards may carry (resources/data)."""
    data = json.loads(data_file("insurance_groups.json").read_text(encoding="utf-8"))
    return {code: tuple(digits) for code, digits in data["groups"].items()}


def check_insurance(number: str) -> str | None:
    """The first thing wrong with a card number (its form, then the 15-character card's group
    code, benefit digit and province), or None. :func:`insurance_problem` gives its details."""
    problem = insurance_problem(number)
    return problem[0] if problem else None


def insurance_problem(number: str) -> tuple[str, dict[str, object]] | None:
    """(message, its parameters) for a card number that cannot be right, or None."""
    if INSURANCE_SOCIAL.match(number):
        return None
    if not INSURANCE_LEGACY.match(number):
        return N_(
            "An insurance card number is 15 characters (2 letters, a benefit digit 1–5, 2 province "
            "digits, 10 digits) or the 10-digit social insurance number."
        ), {}
    group, digit, province = number[:2], int(number[2]), number[3:5]
    allowed = insurance_groups().get(group)
    if allowed is None:
        return N_("{group} is not a beneficiary group code of an insurance card (the first 2 letters)."), {
            "group": group}
    if digit not in allowed:
        return N_("A {group} card carries the benefit digit {allowed}, not {digit} (the 3rd character)."), {
            "group": group, "allowed": " / ".join(str(d) for d in allowed), "digit": digit}
    if "0" + province not in CITIZEN_ID_PROVINCES:
        return N_("{province} is not a province code (the 4th and 5th characters of the card)."), {
            "province": province}
    return None


def normalise_citizen_id(text: str) -> str:
    return re.sub(r"[\s.\-]", "", text)


def check_citizen_id(number: str) -> str | None:
    if CITIZEN_ID.match(number):
        return None
    if re.fullmatch(r"[0-9]{9}", number):
        return N_("The old 9-digit ID card (CMND) is no longer valid: write it in the notes.")
    return N_("A citizen ID has exactly 12 digits.")


@dataclass(frozen=True)
class CitizenIdFacts:
    province: str
    male: bool | None
    century_start: int
    year: int


def citizen_id_facts(number: str) -> CitizenIdFacts:
    """What a valid 12-digit citizen ID tells: province, sex, birth year."""
    digit = int(number[3])
    century_start = 1900 + 100 * (digit // 2)
    return CitizenIdFacts(
        province=number[:3],
        male=digit % 2 == 0,
        century_start=century_start,
        year=century_start + int(number[4:6]),
    )


@dataclass(frozen=True)
class EthnicGroup:
    code: str
    name: str
    aliases: tuple[str, ...]


@cache
def ethnic_groups() -> dict[str, EthnicGroup]:
    with data_file("ethnic_groups.csv").open(encoding="utf-8") as fh:
        return {
            row["code"]: EthnicGroup(row["code"], row["name_vi"], tuple(a for a in row["aliases"].split(";") if a))
            for row in csv.DictReader(fh)
        }


def parse_ethnicity(text: str) -> str | None:
    """An ethnic group code from its code (``1``, ``01``) or name (``Kinh``, ``thai``, ``H'Mông``)."""
    value = text.strip()
    if value.isascii() and value.isdigit():  # not "²" or "٣": digits int() would refuse
        if len(value) > 3:  # the codes run 01–54 (a pasted number of thousands of digits is not one)
            return None
        code = f"{int(value):02d}"
        return code if code in ethnic_groups() else None

    def key(name: str) -> str:
        return re.sub(r"[\s'\-]", "", fold(name))

    wanted = key(value)
    for group in ethnic_groups().values():
        if wanted in {key(group.name), *(key(a) for a in group.aliases)}:
            return group.code
    return None


# --- the station's record number ------------------------------------------------------------
# Damm's algorithm: one check digit that catches every single-digit error and every swap of two
# adjacent digits, the two mistakes people make when copying a number by hand.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm_digit(number: str) -> int:
    interim = 0
    for ch in number:
        interim = _DAMM[interim][int(ch)]
    return interim


def make_record_no(sequence: int) -> str:
    """The printed record number of the ``sequence``-th patient: ``00127-4`` style."""
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    body = f"{sequence:05d}"
    return f"{body}-{damm_digit(body)}"


def parse_record_no(text: str) -> str | None:
    """A typed record number (``127-4``, ``001274``, ``00127 4``) → its stored form, if valid."""
    number = re.sub(r"[^0-9]", "", text)
    if not 2 <= len(number) <= 12:  # a record number is a few digits, not a pasted page of them
        return None
    body, check = number[:-1], number[-1]
    if damm_digit(body) != int(check):
        return None
    sequence = int(body)
    return make_record_no(sequence) if sequence >= 1 else None
