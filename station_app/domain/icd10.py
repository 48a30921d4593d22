"""The ICD-10 catalogue shipped with Trạm: codes with Vietnamese and English names, and chapters.

The tables live in ``resources/data`` (``icd10_vi.tsv`` and ``icd10_chapters.tsv``, built by
``scripts/build_icd10.py`` from GNU Health's ICD-10 module) and are read once, on first use.
Codes are written the WHO way: a letter, two digits, then a dot and one or two more digits for a
subdivision (``I10``, ``E11.9``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from station_app.resources import data_file

CATALOGUE_FILE = "icd10_vi.tsv"
CHAPTERS_FILE = "icd10_chapters.tsv"
LANGUAGES = ("vi", "en")

# What a person may type: "i10", "E119", "e11.9", " J06.9 ", "E11,9" (a Vietnamese decimal comma).
_INPUT = re.compile(r"([A-Z])(\d{2})(?:[.,]?(\d{1,2}))?[.,]?")
CODE_PATTERN = re.compile(r"[A-Z]\d{2}(?:\.\d{1,2})?")


@dataclass(frozen=True)
class Icd10Entry:
    code: str
    name_vi: str
    name_en: str
    chapter: str


@dataclass(frozen=True)
class Icd10Chapter:
    chapter: str  # roman numeral, I..XXII
    first: str  # first 3-character category of the chapter, e.g. "I00"
    last: str  # last one, e.g. "I99"
    name_vi: str
    name_en: str

    def contains(self, category: str) -> bool:
        return self.first <= category <= self.last


def _read_tsv(name: str, header: tuple[str, ...]) -> list[tuple[str, ...]]:
    path = data_file(name)
    with open(path, encoding="utf-8", newline="") as fh:
        lines = fh.read().splitlines()
    if not lines or tuple(lines[0].split("\t")) != header:
        raise ValueError(f"{path}: expected the header {header}")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        cells = tuple(line.split("\t"))
        if len(cells) != len(header):
            raise ValueError(f"{path}:{number}: expected {len(header)} columns, got {len(cells)}")
        rows.append(cells)
    return rows


@cache
def _catalogue() -> tuple[Icd10Entry, ...]:
    rows = _read_tsv(CATALOGUE_FILE, ("code", "name_vi", "name_en", "chapter"))
    return tuple(Icd10Entry(*row) for row in rows)


@cache
def _by_code() -> dict[str, Icd10Entry]:
    return {entry.code: entry for entry in _catalogue()}


@cache
def _chapters() -> tuple[Icd10Chapter, ...]:
    rows = _read_tsv(CHAPTERS_FILE, ("chapter", "first", "last", "name_vi", "name_en"))
    return tuple(Icd10Chapter(*row) for row in rows)


def load_catalogue() -> list[Icd10Entry]:
    """Every code of the catalogue, sorted by code (read from disk once, then cached)."""
    return list(_catalogue())


def load_chapters() -> list[Icd10Chapter]:
    """The 22 chapters in order (I..XXII)."""
    return list(_chapters())


def normalise_code(text: str | None) -> str | None:
    """The code ``text`` stands for in its written form, or None when it is not an ICD-10 code.

    "i10" → "I10", "E119" → "E11.9", " e11.9 " → "E11.9", "hello" → None. Only the form is
    checked: the code need not be in the catalogue (see :func:`lookup`).
    """
    if text is None:
        return None
    match = _INPUT.fullmatch(text.strip().upper())
    if not match:
        return None
    letter, digits, subdivision = match.groups()
    category = letter + digits
    return f"{category}.{subdivision}" if subdivision else category


def lookup(code: str | None) -> Icd10Entry | None:
    """The catalogue entry for ``code`` (in any form :func:`normalise_code` accepts), or None."""
    normalised = normalise_code(code)
    return _by_code().get(normalised) if normalised else None


def chapter_of(code: str | None) -> str | None:
    """Roman numeral of the chapter whose range holds ``code`` ("I10" → "IX"), or None."""
    normalised = normalise_code(code)
    if normalised is None:
        return None
    category = normalised[:3]
    for chapter in _chapters():
        if chapter.contains(category):
            return chapter.chapter
    return None


def name(entry: Icd10Entry, lang: str) -> str:
    """The entry's name in ``lang`` ("vi" or "en")."""
    if lang == "vi":
        return entry.name_vi
    if lang == "en":
        return entry.name_en
    raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
