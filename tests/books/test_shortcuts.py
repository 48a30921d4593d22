"""The station's words for diagnoses come first in the ICD-10 search, with the catalogue's name."""

from __future__ import annotations

from station_app.domain import icd10, shortcuts
from station_app.store import icd10 as store_icd10


def test_the_words_nurses_write_find_the_station_code_first(store) -> None:
    for typed, code in (("THA", "I10"), ("tha", "I10"), ("ĐTĐ", "E11"), ("dtd", "E11"), ("tiêu chảy", "A09"),
                        ("tieu chay", "A09"), ("viêm họng", "J02"), ("tăng huyết áp", "I10"),
                        ("SXH", "A97")):
        found = store_icd10.search(store, typed)
        assert found and found[0].code == code, (typed, [d.code for d in found[:3]])
        assert found[0].name_vi == icd10.lookup(code).name_vi, "one name per code: the catalogue's"
        assert len({d.code for d in found}) == len(found), "each code once"


def test_a_beginning_finds_the_shortcut_and_codes_still_search_the_catalogue(store) -> None:
    assert store_icd10.search(store, "viêm hợ")[0].code == "J02"
    assert [d.code for d in store_icd10.search(store, "I10")][:1] == ["I10"]
    assert store_icd10.search(store, "E11")[0].code == "E11"


def test_every_shortcut_names_a_code_of_the_catalogue() -> None:
    for word, code in shortcuts.shortcuts():
        assert icd10.lookup(code) is not None, (word, code)
