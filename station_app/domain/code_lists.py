"""The official lists a patient's claims codes come from, read from versioned data: nationalities
(Phụ lục 2 TT 07/2016/TT-BCA, ``nationalities.csv``), occupations (QĐ 34/2020/QĐ-TTg, the subset a
commune station uses, ``occupations.csv``) and the provinces and communes since 01/07/2025
(``admin_units_2025.csv``, built by ``scripts/build_admin_units.py``). Each is looked up by code or
by name as typed, accents and case ignored. Rows not confirmed against the official text carry
``status = unverified`` (see ``resources/data/SOURCES.md``).

District codes (MAHUYEN_CU_TRU) have no list: the district level was abolished on 01/07/2025 and
how the claims field is filled now is unverified, so a patient's own (if entered) or the station's
is written, else nothing (``domain.claims``)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache

from station_app.domain.text import fold, nfc
from station_app.resources import data_file

VIETNAM = "000"  # MA_QUOCTICH of a Vietnamese citizen (the claims note's complete example)
NO_OCCUPATION = "00000"  # MA_NGHE_NGHIEP when there is none


def _key(text: str) -> str:
    """A name as compared: folded, without spaces, dashes or apostrophes ("Cam-pu-chia" = "campuchia")."""
    return re.sub(r"[\s'\-.,()]", "", fold(nfc(text)))


@dataclass(frozen=True)
class Nationality:
    code: str
    name: str
    aliases: tuple[str, ...]
    status: str

    @property
    def label(self) -> str:
        return self.name


@dataclass(frozen=True)
class Occupation:
    name: str  # what the form shows and the record keeps as its text
    code: str  # MA_NGHE_NGHIEP, 5 characters
    aliases: tuple[str, ...]
    status: str


@dataclass(frozen=True)
class Commune:
    code: str  # 5 digits
    name: str  # "Xã Hòa Tiến"
    province_code: str  # 2 digits
    province_name: str

    @property
    def label(self) -> str:
        return f"{self.name}, {self.province_name}"


def _rows(name: str) -> list[dict[str, str]]:
    with data_file(name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _aliases(text: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in text.split(";") if a.strip())


@cache
def nationalities() -> dict[str, Nationality]:
    return {
        r["code"]: Nationality(r["code"], nfc(r["name_vi"]), _aliases(r["aliases"]), r["status"])
        for r in _rows("nationalities.csv")
    }


@cache
def _nationality_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for n in nationalities().values():
        for name in (n.name, *n.aliases):
            index.setdefault(_key(name), n.code)
    return index


def nationality_for(text: str) -> Nationality | None:
    """A nationality from its code (``000``, ``418``) or its name as typed (``viet nam``, ``Lào``)."""
    value = text.strip()
    if value in nationalities():
        return nationalities()[value]
    code = _nationality_index().get(_key(value))
    return nationalities()[code] if code else None


@cache
def occupations() -> tuple[Occupation, ...]:
    return tuple(
        Occupation(nfc(r["name_vi"]), r["code"], _aliases(r["aliases"]), r["status"])
        for r in _rows("occupations.csv")
    )


@cache
def occupation_codes() -> frozenset[str]:
    return frozenset(o.code for o in occupations())


@cache
def _occupation_index() -> dict[str, Occupation]:
    index: dict[str, Occupation] = {}
    for o in occupations():
        index.setdefault(_key(o.name), o)
    for o in occupations():
        for alias in o.aliases:
            index.setdefault(_key(alias), o)
    return index


def occupation_for(text: str) -> Occupation | None:
    """The list's occupation a written one stands for (its name or a common way of writing it:
    "làm ruộng" is the farmer's), or None when it is not in the list."""
    return _occupation_index().get(_key(text)) if text.strip() else None


@cache
def communes() -> dict[str, Commune]:
    return {
        r["commune_code"]: Commune(r["commune_code"], r["commune_name"], r["province_code"], r["province_name"])
        for r in _rows("admin_units_2025.csv")
    }


@cache
def provinces() -> dict[str, str]:
    return {c.province_code: c.province_name for c in communes().values()}


def province_code(text: str) -> str | None:
    """A province's 2-digit code from its code or name ("25", "Phú Thọ", "tp ho chi minh")."""
    value = text.strip()
    if value.isdigit() and len(value) <= 2 and f"{int(value):02d}" in provinces():
        return f"{int(value):02d}"
    wanted = _key(re.sub(r"^(thành phố|tp\.?|tỉnh)\s+", "", nfc(value), flags=re.IGNORECASE))
    for code, name in provinces().items():
        if _key(re.sub(r"^Thành phố\s+", "", name)) == wanted:
            return code
    return None


@cache
def _commune_labels() -> dict[str, str]:
    return {_key(c.label): c.code for c in communes().values()}


def commune_for(text: str, province: str = "") -> Commune | None:
    """A commune from its 5-digit code, its label ("Xã Hòa Tiến, Thành phố Đà Nẵng") or, within
    ``province`` (a 2-digit code), its name alone ("Hòa Tiến", "xa hoa tien")."""
    value = text.strip()
    if value.isdigit() and len(value) <= 5:
        return communes().get(f"{int(value):05d}")
    if code := _commune_labels().get(_key(value)):
        return communes()[code]
    if not province:
        return None
    wanted = _key(value)
    found = [
        c for c in communes().values()
        if c.province_code == province and wanted in (_key(c.name), _key(c.name.split(" ", 1)[-1]))
    ]
    if len(found) > 1:  # "Phường X" and "Xã X" in one province: only the full name decides
        found = [c for c in found if _key(c.name) == wanted]
    return found[0] if len(found) == 1 else None
