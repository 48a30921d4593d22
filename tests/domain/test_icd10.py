"""The shipped ICD-10 catalogue (resources/data/icd10_vi.tsv) and the helpers around it."""

from __future__ import annotations

import dataclasses
import itertools
import re
import unicodedata

import pytest

from station_app.domain import icd10
from station_app.domain.icd10 import Icd10Entry, chapter_of, normalise_code
from station_app.domain.text import fold

ROMAN = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI",
    "XII", "XIII", "XIV", "XV", "XVI", "XVII", "XVIII", "XIX", "XX", "XXI", "XXII",
]  # fmt: skip
CODE = re.compile(r"^[A-Z]\d{2}(\.\d{1,2})?$")


@pytest.fixture(scope="module")
def catalogue() -> list[Icd10Entry]:
    return icd10.load_catalogue()


@pytest.fixture(scope="module")
def by_code(catalogue) -> dict[str, Icd10Entry]:
    return {entry.code: entry for entry in catalogue}


def test_catalogue_is_large(catalogue):
    assert len(catalogue) > 10_000


def test_most_codes_have_a_vietnamese_name(catalogue):
    translated = [e for e in catalogue if e.name_vi != e.name_en]
    assert len(translated) > 0.9 * len(catalogue)


def test_hypertension_has_its_vietnamese_name(by_code):
    entry = by_code["I10"]
    assert "tăng huyết áp" in entry.name_vi.lower()
    assert "hypertension" in entry.name_en.lower()
    assert entry.chapter == "IX"


@pytest.mark.parametrize("code", ["E11.9", "J06.9", "A09", "I10", "E11", "U07.1"])
def test_common_codes_are_present_with_the_dot(by_code, code):
    assert code in by_code
    assert by_code[code].name_vi
    assert by_code[code].name_en


def test_codes_without_the_dot_are_absent(by_code):
    assert "E119" not in by_code
    assert "J069" not in by_code


def test_no_duplicate_codes(catalogue):
    codes = [entry.code for entry in catalogue]
    assert len(codes) == len(set(codes))


def test_sorted_by_code(catalogue):
    codes = [entry.code for entry in catalogue]
    assert codes == sorted(codes)


def test_every_code_has_the_icd10_form(catalogue):
    bad = [entry.code for entry in catalogue if not CODE.match(entry.code)]
    assert bad == []


def test_every_subdivision_has_its_category(by_code):
    orphans = [code for code in by_code if "." in code and code[:3] not in by_code]
    assert orphans == []


def test_names_are_nfc_trimmed_and_collapsed(catalogue):
    for entry in catalogue:
        for text in (entry.name_vi, entry.name_en):
            assert text
            assert unicodedata.is_normalized("NFC", text), entry.code
            assert text == " ".join(text.split()), entry.code


def test_no_private_use_or_mojibake_characters(catalogue):
    odd = [
        entry.code
        for entry in catalogue
        for ch in entry.name_vi + entry.name_en
        if unicodedata.category(ch) in {"Co", "Cc", "Cf"} or "\u2500" <= ch <= "\u257f"
    ]
    assert odd == []


def test_untranslated_codes_fall_back_to_english(by_code):
    # W26.0 has a blank Vietnamese entry in the source .po.
    assert by_code["W26.0"].name_vi == by_code["W26.0"].name_en


def test_chapter_column_agrees_with_the_chapter_ranges(catalogue):
    wrong = [e.code for e in catalogue if chapter_of(e.code) != e.chapter]
    assert wrong == []


def test_every_chapter_is_used(catalogue):
    assert {entry.chapter for entry in catalogue} == set(ROMAN)


def test_folded_search_finds_hypertension(catalogue):
    hits = [e.code for e in catalogue if "tang huyet ap" in fold(e.name_vi)]
    assert "I10" in hits


def test_entries_are_frozen(by_code):
    with pytest.raises(dataclasses.FrozenInstanceError):
        by_code["I10"].name_vi = "x"  # type: ignore[misc]


def test_load_catalogue_returns_a_copy():
    first = icd10.load_catalogue()
    first.clear()
    assert len(icd10.load_catalogue()) > 10_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("i10", "I10"),
        ("I10", "I10"),
        ("E119", "E11.9"),
        ("e11.9", "E11.9"),
        (" J06.9 ", "J06.9"),
        ("E11,9", "E11.9"),
        ("a09", "A09"),
        ("S72.00", "S72.00"),
        ("s7200", "S72.00"),
        ("E11.", "E11"),
    ],
)
def test_normalise_code(text, expected):
    assert normalise_code(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "hello", "tăng huyết áp", "I1", "110", "II0", "E11.123", "E11900", "E11..9",
     "E 11.9", "E11.X", "I10X", ".I10", None],
)  # fmt: skip
def test_normalise_code_rejects_garbage(text):
    assert normalise_code(text) is None


def test_lookup_accepts_typed_forms():
    entry = icd10.lookup(" e119 ")
    assert entry is not None
    assert entry.code == "E11.9"
    assert icd10.lookup("Z99.99") is None
    assert icd10.lookup("garbage") is None


@pytest.mark.parametrize(
    ("code", "chapter"),
    [
        ("I10", "IX"),
        ("J06.9", "X"),
        ("A09", "I"),
        ("B99", "I"),
        ("D48.9", "II"),
        ("D50.0", "III"),
        ("H59", "VII"),
        ("H60", "VIII"),
        ("T98.3", "XIX"),
        ("V01", "XX"),
        ("Z99.9", "XXI"),
        ("U07.1", "XXII"),
        ("e119", "IV"),
    ],
)
def test_chapter_of(code, chapter):
    assert chapter_of(code) == chapter


@pytest.mark.parametrize("code", ["D49", "H96", "U99", "V00", "garbage", ""])
def test_chapter_of_outside_every_chapter(code):
    assert chapter_of(code) is None


def test_chapters():
    chapters = icd10.load_chapters()
    assert [c.chapter for c in chapters] == ROMAN
    circulatory = chapters[8]
    assert (circulatory.first, circulatory.last) == ("I00", "I99")
    assert "tuần hoàn" in circulatory.name_vi
    assert circulatory.name_en == "Diseases of the circulatory system"
    for chapter in chapters:
        assert chapter.first <= chapter.last
        assert chapter.name_vi and chapter.name_en
        assert unicodedata.is_normalized("NFC", chapter.name_vi)
        assert not chapter.name_vi.startswith(chapter.chapter + " ")


def test_chapter_ranges_do_not_overlap():
    ranges = sorted((c.first, c.last) for c in icd10.load_chapters())
    for (_, last), (first, _) in itertools.pairwise(ranges):
        assert last < first


def test_name_by_language(by_code):
    entry = by_code["J06.9"]
    assert icd10.name(entry, "vi") == entry.name_vi
    assert icd10.name(entry, "en") == "Acute upper respiratory infection, unspecified"
    assert icd10.name(entry, "vi") != icd10.name(entry, "en")
    with pytest.raises(ValueError):
        icd10.name(entry, "fr")
