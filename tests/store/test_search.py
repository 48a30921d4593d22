"""Finding patients as nurses type: accents optional, any word order, prefixes, phone and card
numbers in any form; possible duplicates before saving; one patient per citizen ID."""

from __future__ import annotations

import dataclasses
import unicodedata

import pytest

from station_app.domain.dates import PartialDate
from station_app.domain.patient import Patient
from station_app.store import patients as patient_store
from station_app.store.patients import DuplicateCitizenId, possible_duplicates


def names(store, query: str, limit: int = 50) -> list[str]:
    return [p.full_name for p in patient_store.search(store, query, limit)]


# -- names ---------------------------------------------------------------------------------------
def test_folded_query_finds_the_marked_name(people, store):
    assert "Nguyễn Thị Hương" in names(store, "nguyen thi huong")
    assert names(store, "dang") == ["Đặng Văn Đức"]
    assert names(store, "duc") == ["Đặng Văn Đức"]
    assert names(store, "DANG VAN DUC") == ["Đặng Văn Đức"]


def test_folded_query_finds_both_look_alikes(people, store):
    assert set(names(store, "nguyen thi huong")) == {"Nguyễn Thị Hương", "Nguyễn Thị Hường"}


def test_any_word_order(people, store):
    assert set(names(store, "huong nguyen")) == {"Nguyễn Thị Hương", "Nguyễn Thị Hường"}
    assert set(names(store, "thi huong tran")) == {"Trần Thị Hương"}


def test_word_prefixes(people, store):
    assert set(names(store, "ng t huong")) == {"Nguyễn Thị Hương", "Nguyễn Thị Hường"}
    assert set(names(store, "ngu hu")) == {"Nguyễn Thị Hương", "Nguyễn Thị Hường"}
    assert names(store, "pha ho") == ["Phạm Thị Hoa"]


def test_every_word_must_match(people, store):
    assert names(store, "nguyen hoa") == []
    assert names(store, "xyz") == []


def test_decomposed_input(people, store):
    typed = unicodedata.normalize("NFD", "Nguyễn Thị Hương")
    assert typed != "Nguyễn Thị Hương"
    assert names(store, typed)[0] == "Nguyễn Thị Hương"
    assert names(store, unicodedata.normalize("NFD", "Đặng")) == ["Đặng Văn Đức"]


def test_marked_query_ranks_exact_diacritics_first(people, store):
    assert names(store, "Hương")[:2] == ["Nguyễn Thị Hương", "Trần Thị Hương"]
    assert names(store, "Hương")[2] == "Nguyễn Thị Hường"
    assert names(store, "Hường")[0] == "Nguyễn Thị Hường"
    assert names(store, "Nguyễn Thị Hương")[0] == "Nguyễn Thị Hương"
    assert names(store, "Nguyễn Thị Hường")[0] == "Nguyễn Thị Hường"
    assert names(store, "nguyen thi Hường")[0] == "Nguyễn Thị Hường"


def test_whole_word_before_prefix(people, store):
    assert names(store, "an")[0] == "Lê Văn An"
    assert "Lê Văn Anh" in names(store, "an")
    assert names(store, "le van an")[0] == "Lê Văn An"
    assert names(store, "anh") == ["Lê Văn Anh"]


def test_limit(people, store):
    assert len(patient_store.search(store, "thi", limit=2)) == 2
    assert len(patient_store.search(store, "thi", limit=10)) == 4


def test_empty_query_finds_nothing(people, store):
    assert names(store, "") == []
    assert names(store, "  ,. ") == []


@pytest.mark.parametrize(
    "query", ['"', "huong*", "huong AND", "NOT huong", "(huong", "a'b", "huong:1", "-"]
)
def test_query_syntax_characters_are_not_errors(people, store, query):
    patient_store.search(store, query)  # never raises an FTS syntax error


# -- numbers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        "0912345678",
        "+84 912 345 678",
        "+84912345678",
        "84912345678",
        "0912.345.678",
        "0912 345 678",
        "912345678",
        "0912-345-678",
    ],
)
def test_phone_in_any_form(people, store, query):
    assert names(store, query) == ["Nguyễn Thị Hương"]


def test_guardian_phone_finds_the_child(people, store):
    assert names(store, "0987 654 321") == ["Phạm Thị Hoa"]


def test_citizen_id(people, store):
    assert names(store, "025150012345") == ["Nguyễn Thị Hương"]
    assert names(store, "025 150 012 345") == ["Nguyễn Thị Hương"]


def test_insurance_card_legacy_form_and_last_ten_digits(people, store):
    assert names(store, "GD4250123456789") == ["Nguyễn Thị Hường"]
    assert names(store, "gd4250123456789") == ["Nguyễn Thị Hường"]
    assert names(store, "GD4-25-0123456789") == ["Nguyễn Thị Hường"]
    assert names(store, "0123456789") == ["Nguyễn Thị Hường"]
    assert names(store, "2509876543") == ["Đặng Văn Đức"]


def test_record_number_with_or_without_dash_and_zeros(people, store):
    dang = people["dang"]
    record = dang.record_no  # "00004-x"
    body, check = record.split("-")
    for typed in (record, body + check, body.lstrip("0") + check, f"{body.lstrip('0')}-{check}"):
        assert names(store, typed)[0] == "Đặng Văn Đức", typed


# -- possible duplicates ---------------------------------------------------------------------------
def test_same_citizen_id_blocks(people, store):
    new = Patient("Nguyễn Hương", "2", PartialDate(1950), citizen_id="025150012345")
    (candidate,) = possible_duplicates(store, new)
    assert candidate.patient.id == people["huong"].id
    assert candidate.reason == "citizen_id"
    assert candidate.blocks


def test_similar_name_same_year_same_village_warns(people, store):
    new = Patient("Nguyen Thi Huong", "2", PartialDate(1950, 5, 1), village="Thôn Đông")
    (candidate,) = possible_duplicates(store, new)
    assert candidate.patient.id == people["huong"].id
    assert candidate.reason == "name"
    assert not candidate.blocks


def test_same_family_and_given_name_other_middle_name_warns(people, store):
    new = Patient("Nguyễn Ngọc Hương", "2", PartialDate(1950), village="Thôn Đông")
    assert [c.patient.id for c in possible_duplicates(store, new)] == [people["huong"].id]


def test_same_phone_warns(people, store):
    new = Patient("Lê Thị Mai", "2", PartialDate(1985), phone="+84 912 345 678")
    (candidate,) = possible_duplicates(store, new)
    assert candidate.patient.id == people["huong"].id
    assert candidate.reason == "phone"
    assert not candidate.blocks


def test_unrelated_patient_is_not_a_candidate(people, store):
    assert (
        possible_duplicates(
            store, Patient("Vũ Văn Long", "1", PartialDate(1950), village="Thôn Đông")
        )
        == []
    )
    # Same name two years apart: different people (a year apart counts when a date is estimated).
    assert (
        possible_duplicates(
            store, Patient("Nguyễn Thị Hương", "2", PartialDate(1952, 3, 1), village="Thôn Đông")
        )
        == []
    )


def test_same_name_in_another_village_or_none_is_still_a_candidate_ranked_after(people, store, add_patient):
    # Issue 17: the village only ranks the candidates; it never hides one.
    other_village = add_patient("Nguyễn Thị Hương", birth="1950", village="Xóm Chùa")
    for village in ("Xóm Chùa", "", "Thôn Bắc"):
        found = possible_duplicates(store, Patient("Nguyễn Thị Hương", "2", PartialDate(1950), village=village))
        assert {c.patient.id for c in found} == {people["huong"].id, other_village.id}, village
    found = possible_duplicates(store, Patient("Nguyễn Thị Hương", "2", PartialDate(1950), village="Xóm Chùa"))
    assert [c.patient.id for c in found] == [other_village.id, people["huong"].id]


def test_a_saved_patient_is_not_its_own_duplicate(people, store):
    assert possible_duplicates(store, people["huong"]) == []


def test_blocking_candidate_comes_first(people, store):
    new = Patient(
        "Nguyễn Thị Hương",
        "2",
        PartialDate(1950),
        village="Thôn Đông",
        citizen_id="025150012345",
        phone="0362123456",
    )
    reasons = [(c.reason, c.patient.full_name) for c in possible_duplicates(store, new)]
    assert reasons == [("citizen_id", "Nguyễn Thị Hương"), ("phone", "Lê Văn An")]


def test_second_patient_with_the_same_citizen_id_is_refused_and_nothing_saved(people, store):
    before = patient_store.count(store)
    index_before = store.scalar("SELECT count(*) FROM patient_search")
    with pytest.raises(DuplicateCitizenId) as caught:
        patient_store.insert(
            store, Patient("Nguyễn Hương", "2", PartialDate(1950), citizen_id="025 150 012 345")
        )
    assert patient_store.count(store) == before
    assert store.scalar("SELECT count(*) FROM patient_search") == index_before
    assert names(store, "025150012345") == ["Nguyễn Thị Hương"]
    message = caught.value.text("vi")
    assert "Nguyễn Thị Hương" in message and people["huong"].record_no in message
    assert message != caught.value.text("en")


def test_editing_another_patient_to_an_existing_citizen_id_is_refused(people, store):
    other = people["tran_huong"]
    changed = Patient(**{**other.__dict__, "citizen_id": "025150012345"})
    with pytest.raises(DuplicateCitizenId):
        patient_store.update(store, changed)
    assert patient_store.get(store, other.id).citizen_id == ""  # type: ignore[arg-type, union-attr]


def test_update_reindexes_the_search_words(people, store):
    dang = people["dang"]
    renamed = Patient(**{**dang.__dict__, "full_name": "Đặng Văn Đạt", "phone": "0911 222 333"})
    patient_store.update(store, renamed)
    assert names(store, "dat") == ["Đặng Văn Đạt"]
    assert names(store, "duc") == []
    assert names(store, "0911222333") == ["Đặng Văn Đạt"]


def test_new_patients_get_sequential_record_numbers(store, add_patient):
    first = add_patient("Nguyễn Văn Một", sex="1")
    second = add_patient("Nguyễn Văn Hai", sex="1")
    assert first.record_no.startswith("00001-")  # type: ignore[union-attr]
    assert second.record_no.startswith("00002-")  # type: ignore[union-attr]
    assert patient_store.get(store, second.id).record_no == second.record_no  # type: ignore[arg-type, union-attr]
    assert patient_store.by_record_no(store, first.record_no).full_name == "Nguyễn Văn Một"  # type: ignore[arg-type, union-attr]


def test_saved_patient_reads_back_identically(store, add_patient):
    saved = add_patient(
        "Nguyễn Thị Hương",
        birth="03/1950",
        citizen_id="025150012345",
        phone="0912345678",
        insurance_no="GD4250123456789",
        village="Thôn Đông",
        ethnicity="08",
        notes="Dị ứng penicillin",
    )
    loaded = patient_store.get(store, saved.id)  # type: ignore[arg-type]
    assert loaded is not None and loaded.birth is not None
    # A month/year birth date reads back flagged as estimated (shown "~03/1950" either way).
    assert (loaded.birth.year, loaded.birth.month, loaded.birth.day) == (1950, 3, None)
    assert loaded.birth.display() == "~03/1950"
    assert dataclasses.replace(loaded, birth=saved.birth) == saved


def test_all_ids_in_vietnamese_name_order(store, add_patient):
    for name in ("Trần Thị Hường", "Nguyễn Thị Hương", "Lê Văn Anh", "Đỗ Văn An", "Bùi Thị Ánh"):
        add_patient(name)
    listed = patient_store.get_many(store, patient_store.all_ids(store))
    ordered = [listed[i].full_name for i in patient_store.all_ids(store)]
    assert ordered == [
        "Đỗ Văn An",
        "Lê Văn Anh",
        "Bùi Thị Ánh",
        "Nguyễn Thị Hương",
        "Trần Thị Hường",
    ]
