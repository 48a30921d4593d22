"""Corrections keep the old version (with reason, author, time); a patient is merged, never
deleted, and the merge is undone by moving back exactly what moved; every write is audited."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from station_app.domain.accounts import Actor, Role
from station_app.domain.births import Attendant, Baby, Delivery, Place
from station_app.domain.followup import Kind
from station_app.domain.patient import Patient
from station_app.domain.referral import Referral
from station_app.domain.visit import Visit
from station_app.store import Store, audit, births, books, corrections, followups, referrals, visits
from station_app.store import patients as patient_store
from station_app.store.corrections import CorrectionRefused
from station_app.store.errors import NotPermitted

HEAD = Actor(1, "truong", "Nguyễn Văn Hùng", Role.HEAD)
NURSE = Actor(2, "yta.mai", "Trần Thị Mai", Role.NURSE)


@pytest.fixture
def visit(store: Store, add_patient, today: dt.date) -> Visit:
    p = add_patient("Lê Văn Tám", sex="1", birth="1950")
    store.actor = NURSE
    return visits.insert(store, Visit(
        patient_id=p.id, visit_at=dt.datetime(2025, 11, 20, 9, 0), complaint="Đau đầu", bp_systolic=150,
        bp_diastolic=95, diagnosis_code="I10", diagnosis_text="Tăng huyết áp", treatment="Amlodipin 5mg",
    ))


def test_amending_a_visit_keeps_the_old_version(store: Store, visit: Visit, read_log) -> None:
    store.actor = HEAD
    assert visit.id is not None
    fixed = corrections.amend_visit(
        store,
        Visit(**{**visit.__dict__, "diagnosis_code": "I11.9", "diagnosis_text": "Bệnh tim do tăng huyết áp",
                 "bp_systolic": 160}),
        "Chẩn đoán ghi nhầm mã",
    )
    assert (fixed.diagnosis_code, fixed.bp_systolic) == ("I11.9", 160)
    assert fixed.clinician_name == visit.clinician_name and fixed.created_at == visit.created_at
    history = corrections.visit_versions(store, visit.id)
    assert [v.number for v in history] == [1, 2]
    old, current = history
    assert old.data["diagnosis_code"] == "I10" and old.data["bp_systolic"] == 150
    assert (old.reason, old.replaced_by, old.author) == ("Chẩn đoán ghi nhầm mã", "truong", "Nguyễn Văn Hùng")
    assert old.replaced_at is not None and not old.current
    assert current.current and current.data["diagnosis_code"] == "I11.9"
    entry = read_log(store)[0]
    assert (entry.action, entry.target, entry.patient_id, entry.username) == (
        audit.AMEND, f"visit {visit.id}", visit.patient_id, "truong")
    assert set(entry.details["fields"]) == {"diagnosis_code", "diagnosis_text", "bp_systolic"}  # type: ignore[arg-type]
    assert corrections.amendment_counts(store, "visit", [visit.id]) == {visit.id: 1}


def test_amendment_needs_a_reason_a_change_and_a_head(store: Store, visit: Visit) -> None:
    changed = Visit(**{**visit.__dict__, "treatment": "Amlodipin 10mg"})
    store.actor = NURSE
    with pytest.raises(NotPermitted):
        corrections.amend_visit(store, changed, "Sai liều")
    store.actor = HEAD
    with pytest.raises(CorrectionRefused, match="reason"):
        corrections.amend_visit(store, changed, "  ")
    with pytest.raises(CorrectionRefused, match="Nothing"):
        corrections.amend_visit(store, visit, "Không đổi gì")
    with pytest.raises(CorrectionRefused) as bad:
        corrections.amend_visit(store, Visit(**{**visit.__dict__, "pulse": 900}), "Nhập mạch")
    assert "Mạch" in bad.value.text("vi")
    with pytest.raises(CorrectionRefused) as unknown:
        corrections.amend_visit(store, Visit(**{**visit.__dict__, "diagnosis_code": "X99.99"}), "Sai mã")
    assert unknown.value.text("vi") == "X99.99 không phải là mã ICD-10 (ví dụ I10 hoặc E11.9)."
    assert corrections.visit_versions(store, visit.id)[0].current  # type: ignore[arg-type]


def test_amendments_cannot_be_rewritten(store: Store, visit: Visit) -> None:
    store.actor = HEAD
    corrections.amend_visit(store, Visit(**{**visit.__dict__, "treatment": "Nghỉ ngơi"}), "Bổ sung điều trị")
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("UPDATE amendments SET reason = 'x'")
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("DELETE FROM amendments")


def test_a_referral_correction_keeps_its_number_and_the_old_slip(store: Store, visit: Visit) -> None:
    store.actor = NURSE
    slip = referrals.issue(store, Referral(
        patient_id=visit.patient_id, patient_name="Lê Văn Tám", sex="1", receiving_facility="Bệnh viện huyện",
        diagnosis="Tăng huyết áp", icd_main="I10", reason="1a", transfer_at=dt.datetime(2025, 11, 20, 9, 30),
    ), visit.id)
    assert slip.id is not None
    with pytest.raises(NotPermitted):
        referrals.update_slip(store, Referral(**{**slip.__dict__, "receiving_facility": "Bệnh viện tỉnh"}), "Sai nơi")
    store.actor = HEAD
    referrals.update_slip(store, Referral(**{**slip.__dict__, "receiving_facility": "Bệnh viện tỉnh"}),
                          "Ghi nhầm nơi chuyển")
    again = referrals.get(store, slip.id)
    assert again is not None and again.number == slip.number and again.receiving_facility == "Bệnh viện tỉnh"
    old, current = corrections.referral_versions(store, slip.id)
    assert old.data["receiving_facility"] == "Bệnh viện huyện" and old.reason == "Ghi nhầm nơi chuyển"
    assert current.data["receiving_facility"] == "Bệnh viện tỉnh"
    actions = [e.action for e in audit.patient_history(store, visit.patient_id)]
    assert actions[:2] == [audit.AMEND, audit.CREATE]
    [listed] = corrections.for_patient(store, visit.patient_id)
    assert (listed.entity, listed.label, listed.version, listed.author) == (
        "referral", slip.number, 2, "Nguyễn Văn Hùng")
    assert ("receiving_facility", "Bệnh viện huyện", "Bệnh viện tỉnh") in listed.changes


def test_referral_cancel_and_prints_are_audited_as_copies(store: Store, visit: Visit, read_log) -> None:
    store.actor = NURSE
    slip = referrals.issue(store, Referral(
        patient_id=visit.patient_id, patient_name="Lê Văn Tám", sex="1", receiving_facility="Bệnh viện huyện",
        diagnosis="Tăng huyết áp", reason="1a", transfer_at=dt.datetime(2025, 11, 20, 9, 30),
    ))
    assert slip.id is not None
    referrals.mark_printed(store, slip.id)
    referrals.mark_printed(store, slip.id)
    referrals.cancel(store, slip.id, "Người bệnh không đồng ý")
    prints = list(read_log(store, audit.Filter(action=audit.PRINT)))
    assert [e.details["copy"] for e in reversed(prints)] == [False, True]
    cancel = read_log(store, audit.Filter(action=audit.CANCEL))[0]
    assert cancel.details["number"] == slip.number and cancel.username == "yta.mai"


@pytest.fixture
def twins(store: Store, add_patient, today: dt.date):
    """The same woman registered twice, with visits, a follow-up and a referral on the duplicate."""
    kept = add_patient("Nguyễn Thị Hoa", birth="1980", phone="0912345678")
    duplicate = add_patient("Nguyễn Thi Hoa", birth="1980")
    store.actor = NURSE
    v1 = visits.insert(store, Visit(patient_id=kept.id, visit_at=dt.datetime(2025, 10, 1, 8), complaint="Ho"))
    v2 = visits.insert(store, Visit(patient_id=duplicate.id, visit_at=dt.datetime(2025, 11, 2, 8), complaint="Sốt"))
    v3 = visits.insert(store, Visit(patient_id=duplicate.id, visit_at=dt.datetime(2025, 11, 9, 8), complaint="Ho"))
    item = followups.add_item(store, duplicate.id, Kind.REVISIT, "Khám lại",
                              dt.date(2025, 11, 25), "manual", "", v3.id)
    return kept, duplicate, [v1.id, v2.id, v3.id], item


def _owner(store: Store, table: str, row_id: int) -> int:
    return int(store.scalar(f"SELECT patient_id FROM {table} WHERE id = ?", (row_id,)))  # type: ignore[arg-type]


def test_merge_moves_everything_and_is_undone_exactly(store: Store, twins) -> None:
    kept, duplicate, (v1, v2, v3), item = twins
    store.actor = NURSE
    with pytest.raises(NotPermitted):
        corrections.merge_patients(store, kept.id, duplicate.id, "Trùng hồ sơ")
    store.actor = HEAD
    before_count = patient_store.count(store)
    merge = corrections.merge_patients(store, kept.id, duplicate.id, "Đăng ký hai lần")
    assert merge.moved["visits"] == [v2, v3] and merge.moved["followups"] == [item]
    assert [_owner(store, "visits", v) for v in (v1, v2, v3)] == [kept.id] * 3
    assert _owner(store, "followups", item) == kept.id
    # Not deleted: still there, marked, out of the registry and the search.
    assert patient_store.get(store, duplicate.id) is not None
    assert duplicate.id not in patient_store.all_ids(store)
    assert patient_store.count(store) == before_count - 1
    assert [p.id for p in patient_store.search(store, "hoa")] == [kept.id]
    again = Patient(full_name="Nguyễn Thị Hoa", sex="2", birth=kept.birth)
    assert [c.patient.id for c in patient_store.possible_duplicates(store, again)] == [kept.id]
    assert next(e.action for e in audit.patient_history(store, duplicate.id)) == audit.MERGE
    with pytest.raises(CorrectionRefused):
        corrections.merge_patients(store, kept.id, duplicate.id, "Lần nữa")

    # A visit recorded for the kept patient after the merge stays with them when it is undone.
    later = visits.insert(store, Visit(patient_id=kept.id, visit_at=dt.datetime(2025, 11, 19, 8), complaint="Mệt"))
    corrections.unmerge(store, merge.id, "Hai người khác nhau")
    assert [_owner(store, "visits", v) for v in (v1, v2, v3, later.id)] == [kept.id, duplicate.id, duplicate.id,
                                                                             kept.id]
    assert _owner(store, "followups", item) == duplicate.id
    assert duplicate.id in patient_store.all_ids(store)
    assert {p.id for p in patient_store.search(store, "hoa")} == {kept.id, duplicate.id}
    assert corrections.get_merge(store, merge.id).undone_at is not None  # type: ignore[union-attr]
    with pytest.raises(CorrectionRefused, match="already undone"):
        corrections.unmerge(store, merge.id, "Lại")
    assert next(e.action for e in audit.patient_history(store, kept.id)) == audit.UNMERGE
    assert audit.verify(store).ok


def test_a_merge_moves_the_mothers_delivery_and_the_babys_birth_and_an_undo_moves_them_back(
        store: Store, twins, add_patient) -> None:
    """A delivery is recorded on the mother (``deliveries.mother_id``) and a birth on the baby's own
    record (``births.child_id``): a merge moves them with the rest, and an undo moves them back."""
    kept, duplicate, _, _ = twins
    delivery = births.record_delivery(store, Delivery(
        duplicate.id, dt.datetime(2025, 11, 18, 22, 40), Place.HOME, "", "Bà ngoại", Attendant.OTHER,
        (Baby("1", 3000),)))
    baby = delivery.babies[0].child_id
    assert baby is not None and delivery.id is not None
    november = (dt.date(2025, 11, 1), dt.date(2025, 11, 30))
    store.actor = HEAD
    merge = corrections.merge_patients(store, kept.id, duplicate.id, "Đăng ký hai lần")
    assert merge.moved is not None and merge.moved["deliveries.mother_id"] == [delivery.id]
    assert [d.id for d in births.deliveries_of(store, kept.id)] == [delivery.id]
    assert births.deliveries_of(store, duplicate.id) == []
    assert births.birth_of(store, baby).mother_id == kept.id  # type: ignore[union-attr]
    assert [r["name"] for r in books.deliveries(store, *november)] == ["Nguyễn Thị Hoa"]  # (the kept record)
    assert audit.patient_history(store, kept.id)[0].details["moved"]["deliveries.mother_id"] == 1  # type: ignore[index]

    corrections.unmerge(store, merge.id, "Hai người khác nhau")
    assert births.deliveries_of(store, kept.id) == []
    assert [d.id for d in births.deliveries_of(store, duplicate.id)] == [delivery.id]
    assert births.birth_of(store, baby).mother_id == duplicate.id  # type: ignore[union-attr]
    assert [r["name"] for r in books.deliveries(store, *november)] == ["Nguyễn Thi Hoa"]

    # The baby registered again by the family: the birth goes with the record kept, and back.
    registered = add_patient("Nguyễn Văn Minh", sex="1", birth="18/11/2025")
    (born,) = births.get_delivery(store, delivery.id).babies  # type: ignore[union-attr]
    store.actor = HEAD
    baby_merge = corrections.merge_patients(store, registered.id, baby, "Con đăng ký hai lần")
    assert baby_merge.moved is not None and baby_merge.moved["births.child_id"] == [born.id]
    assert births.birth_of(store, registered.id).id == delivery.id  # type: ignore[union-attr]
    assert births.birth_of(store, baby) is None
    assert [b.child_id for b in births.get_delivery(store, delivery.id).babies] == [registered.id]  # type: ignore[union-attr]
    corrections.unmerge(store, baby_merge.id, "Hai trẻ khác nhau")
    assert births.birth_of(store, registered.id) is None
    assert births.birth_of(store, baby).id == delivery.id  # type: ignore[union-attr]
    assert audit.verify(store).ok


def test_a_slip_moved_by_a_merge_names_the_kept_record(store: Store, twins) -> None:
    """The slip keeps its data as issued, with the patient's id inside: read after a merge, it is
    the kept record's (a correction is in that person's history), and the duplicate's again after
    an undo."""
    kept, duplicate, (_, _, v3), _ = twins
    slip = referrals.issue(store, Referral(
        patient_id=duplicate.id, patient_name="Nguyễn Thi Hoa", sex="2", receiving_facility="Bệnh viện huyện",
        diagnosis="Viêm phổi", icd_main="J18", reason="1a", transfer_at=dt.datetime(2025, 11, 9, 9, 30)), v3)
    assert slip.id is not None
    store.actor = HEAD
    merge = corrections.merge_patients(store, kept.id, duplicate.id, "Đăng ký hai lần")
    assert referrals.get(store, slip.id).patient_id == kept.id  # type: ignore[union-attr]
    # (a copy read before the merge, corrected after it)
    referrals.update_slip(store, Referral(**{**slip.__dict__, "receiving_facility": "Bệnh viện tỉnh"}),
                          "Ghi nhầm nơi chuyển")
    assert audit.patient_history(store, kept.id)[0].action == audit.AMEND
    [listed] = corrections.for_patient(store, kept.id)
    assert [c[0] for c in listed.changes] == ["receiving_facility"]  # (the merge is no change of the slip)
    corrections.unmerge(store, merge.id, "Hai người khác nhau")
    assert referrals.get(store, slip.id).patient_id == duplicate.id  # type: ignore[union-attr]


def test_a_merge_saved_before_other_columns_moved_is_still_undone(store: Store, twins) -> None:
    """A merge saved by an earlier version lists only the tables whose ``patient_id`` moved."""
    kept, duplicate, (_, v2, v3), item = twins
    store.actor = HEAD
    merge = corrections.merge_patients(store, kept.id, duplicate.id, "Đăng ký hai lần")
    store.conn.execute("UPDATE patient_merges SET moved = ? WHERE id = ?",
                       (json.dumps({"followups": [item], "visits": [v2, v3]}), merge.id))
    corrections.unmerge(store, merge.id, "Hai người khác nhau")
    assert [_owner(store, "visits", v) for v in (v2, v3)] == [duplicate.id] * 2
    assert _owner(store, "followups", item) == duplicate.id


def test_a_merge_into_a_record_merged_since_is_not_undone_half(store: Store, twins, add_patient) -> None:
    """Undoing the first of two merges in a row would find the rows it moved gone on with the
    second: it is refused until the later merge is undone."""
    kept, duplicate, (_, v2, _), _ = twins
    third = add_patient("Nguyễn Thị Hoa", birth="1980")
    store.actor = HEAD
    first = corrections.merge_patients(store, kept.id, duplicate.id, "Đăng ký hai lần")
    second = corrections.merge_patients(store, third.id, kept.id, "Đăng ký ba lần")
    before = store.scalar("SELECT count(*) FROM audit_log")
    with pytest.raises(CorrectionRefused) as refused:
        corrections.unmerge(store, first.id, "Nhầm")
    assert "hoàn tác" in refused.value.text("vi")
    assert store.scalar("SELECT count(*) FROM audit_log") == before
    assert corrections.get_merge(store, first.id).undone_at is None  # type: ignore[union-attr]
    corrections.unmerge(store, second.id, "Nhầm")
    corrections.unmerge(store, first.id, "Nhầm")
    assert _owner(store, "visits", v2) == duplicate.id


def test_there_is_no_way_to_delete_a_patient() -> None:
    import station_app.store.patients as module

    assert not [name for name in dir(module) if "delete" in name.lower() or "remove" in name.lower()]
