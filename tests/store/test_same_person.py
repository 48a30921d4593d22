"""One person, one record (issue 17): the same-person rule at registration and in the head's
"find duplicates" — the folded name with the birth year (±1 when estimated), or the same phone,
citizen ID, card number, or a child's guardian's phone; the village only ranks."""

from __future__ import annotations

from station_app.domain.dates import PartialDate
from station_app.domain.patient import Patient
from station_app.store import patients as patient_store
from station_app.store.patients import duplicate_groups, possible_duplicates


def test_the_issue_example_phan_phuong_nhung_with_no_village(store, add_patient):
    registered = add_patient("Phan Phương Nhung", birth="03/09/1942", village="Thôn Đông")
    new = Patient("Phan Phương Nhung", "2", PartialDate(1942), village="")
    (candidate,) = possible_duplicates(store, new)
    assert candidate.patient.id == registered.id and candidate.reason == "name"
    # a year apart, the year estimated: still her
    (candidate,) = possible_duplicates(store, Patient("Phan Phuong Nhung", "2", PartialDate(1943)))
    assert candidate.patient.id == registered.id


def test_same_card_number_warns(store, add_patient):
    registered = add_patient("Trần Văn Bảo", sex="1", birth="1962", insurance_no="GD4250123456789")
    (candidate,) = possible_duplicates(store, Patient("Trần Bảo", "1", PartialDate(1970),
                                                      insurance_no="gd4-25-0123456789"))
    assert candidate.patient.id == registered.id and candidate.reason == "insurance_no"
    assert not candidate.blocks


def test_a_childs_guardian_phone_finds_the_family_children_only(store, add_patient, today):
    child = add_patient("Lò Văn Páo", sex="1", birth="01/02/2023", guardian_phone="0912000111")
    add_patient("Lò Thị Mai", birth="1990", phone="0912000111")  # the mother: her own phone
    found = possible_duplicates(store, Patient("Lò Văn Pao", "1", PartialDate(2024, 5, 2),
                                               guardian_phone="0912 000 111"))
    assert [(c.patient.id, c.reason) for c in found] == [(child.id, "guardian_phone")]


def test_the_same_village_ranks_first(store, add_patient):
    far = add_patient("Nguyễn Thị Thủy", birth="1980", village="Xóm Chùa")
    near = add_patient("Nguyễn Thị Thuỷ", birth="1980", village="Thôn Đông")
    found = possible_duplicates(store, Patient("Ngyuen Thi Thuy", "2", PartialDate(1980), village="Thôn Đông"))
    assert [c.patient.id for c in found] == [near.id, far.id]


def test_find_duplicates_lists_the_pairs_of_the_rule(store, add_patient):
    first = add_patient("Nguyễn Thị Thủy", birth="1980")
    slipped = add_patient("Ngyuen Thi Thuy", birth="1980")
    add_patient("Nguyễn Thị Thủy", birth="1990")  # another woman
    card = add_patient("Trần Văn Bảo", sex="1", birth="1962", insurance_no="GD4250123456789")
    same_card = add_patient("Trần Bảo", sex="1", birth="1970", insurance_no="GD4250123456789")
    add_patient("Lê Văn An", sex="1", birth="1980", phone="0912345678")
    add_patient("Lê Thị Bình", birth="1982", phone="0912345678")  # a shared family phone: not listed
    groups = [[c.patient.id for c in group] for group in duplicate_groups(store)]
    assert sorted(groups) == sorted([[first.id, slipped.id], [card.id, same_card.id]])
    assert patient_store.count(store) == 7
