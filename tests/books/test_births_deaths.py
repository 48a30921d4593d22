"""Deliveries register the baby with its schedule and birth doses; deaths close follow-ups and
programmes; both audited, both corrected by the head with a reason, the roles checked in the store."""

from __future__ import annotations

import datetime as dt

import pytest

from station_app.domain.accounts import Actor, Role
from station_app.domain.births import Attendant, Baby, Death, Delivery, Outcome, Place
from station_app.domain.followup import Kind
from station_app.store import Store, audit, births, followups, patients
from station_app.store.errors import NotPermitted

NURSE = Actor(2, "yta.mai", "Trần Thị Mai", Role.NURSE)
ADMIN = Actor(3, "quantri", "Quản trị", Role.ADMIN)
BORN = dt.datetime(2025, 11, 18, 22, 40)


@pytest.fixture
def mother(store: Store, add_patient, today: dt.date):
    woman = add_patient("Lò Thị Hoa", sex="2", birth="1998", phone="0912345678", village="Bản Mòng",
                        ethnicity="03")
    followups.enrol(store, woman.id, "antenatal", dt.date(2025, 4, 1), lmp=dt.date(2025, 2, 10))
    return woman


def _delivery(mother_id: int, **changes) -> Delivery:
    baby = changes.pop("baby", Baby(sex="1", weight_grams=3100, hepb_at=BORN + dt.timedelta(hours=10),
                                    bcg_at=BORN + dt.timedelta(hours=30)))
    values = {"mother_id": mother_id, "delivered_at": BORN, "place": Place.FACILITY,
                  "place_name": "Trung tâm Y tế huyện Mường Tè", "attendant": "Hà Thị Liên",
                  "attendant_kind": Attendant.HEALTH_STAFF, "babies": (baby,)}
    values.update(changes)
    return Delivery(**values)


def test_a_delivery_registers_the_baby_with_its_mother_as_guardian_and_its_birth_doses(store: Store, mother) -> None:
    saved = births.record_delivery(store, _delivery(mother.id))
    child_id = saved.babies[0].child_id
    child = patients.get(store, child_id)
    assert child.full_name == "Con bà Lò Thị Hoa"
    assert (child.sex, child.birth.year, child.birth.month, child.birth.day) == ("1", 2025, 11, 18)
    assert (child.guardian_name, child.guardian_phone, child.guardian_relation) == ("Lò Thị Hoa", "0912345678", "Mẹ")
    assert (child.village, child.ethnicity) == ("Bản Mòng", "03")
    doses = {d.series: d for d in followups.given_doses(store, child_id)}
    assert set(doses) == {"hepb0", "bcg"}
    assert doses["hepb0"].place == "Trung tâm Y tế huyện Mường Tè"
    assert store.scalar("SELECT given_at FROM vaccine_doses WHERE patient_id = ? AND series = 'hepb0'",
                        (child_id,)) == "2025-11-19 08:40"
    # enrolled in the schedule: the birth doses are done, the 2-month doses are next
    assert [e.programme for e in followups.enrolments(store, child_id)] == ["vaccination"]
    open_rules = {store.scalar("SELECT rule FROM followups WHERE id = ?", (i.id,))
                  for i in followups.patient_items(store, child_id, open_only=True)}
    assert "vaccine:hepb0:1" not in open_rules and "vaccine:bcg:1" not in open_rules
    assert "vaccine:dpt_vgb_hib:1" in open_rules
    # the pregnancy is closed by the delivery
    assert followups.enrolments(store, mother.id) == []
    closure = store.scalar("SELECT closure FROM enrolments WHERE patient_id = ?", (mother.id,))
    assert closure == "delivered"
    entry = audit.entries(store)[0]
    assert (entry.action, entry.target_type, entry.patient_id) == ("create", "delivery", mother.id)


def test_a_baby_born_at_home_without_birth_doses_joins_the_schedule_with_them_due(store: Store, mother) -> None:
    home = _delivery(mother.id, place=Place.HOME, place_name="", attendant_kind=Attendant.OTHER,
                     attendant="Bà ngoại", baby=Baby(sex="2", weight_grams=2900))
    child_id = births.record_delivery(store, home).babies[0].child_id
    assert [e.programme for e in followups.enrolments(store, child_id)] == ["vaccination"]
    open_rules = {store.scalar("SELECT rule FROM followups WHERE id = ?", (i.id,))
                  for i in followups.patient_items(store, child_id, open_only=True)}
    assert {"vaccine:hepb0:1", "vaccine:bcg:1"} <= open_rules


def test_the_baby_is_named_later_and_a_stillbirth_registers_no_one(store: Store, mother) -> None:
    twins = _delivery(mother.id, babies=(Baby(sex="2", weight_grams=2300, name="Lò Thị Mai"),
                                         Baby(sex="1", weight_grams=1900, outcome=Outcome.STILLBIRTH)))
    saved = births.record_delivery(store, twins)
    assert patients.get(store, saved.babies[0].child_id).full_name == "Lò Thị Mai"
    assert saved.babies[1].child_id is None
    back = births.get_delivery(store, saved.id)
    assert [(b.outcome, b.weight_grams, b.low_weight) for b in back.babies] == [
        (Outcome.LIVE, 2300, True), (Outcome.STILLBIRTH, 1900, True)]


def test_a_delivery_with_wrong_fields_is_refused_and_names_them(store: Store, mother) -> None:
    wrong = _delivery(mother.id, place_name="", delivered_at=dt.datetime(2026, 1, 1, 8, 0),
                      baby=Baby(sex="1", weight_grams=90))
    before = patients.count(store)
    with pytest.raises(births.InvalidEntry) as refused:
        births.record_delivery(store, wrong)
    text = refused.value.text("vi")
    assert "Tên cơ sở y tế" in text and "tương lai" in text and "90 g" in text
    assert patients.count(store) == before
    with pytest.raises(births.NotAWoman):
        births.record_delivery(store, _delivery(patients.insert(store, patients.Patient("Lò Văn Sáng", "1", None)).id))


def test_a_second_delivery_of_one_mother_weeks_apart_is_refused_twins_are_one_delivery(store: Store, mother) -> None:
    """Saved twice (the form, then a late entry of the same birth), or a twin entered as a delivery of
    its own: the book and the report would count two deliveries."""
    births.record_delivery(store, _delivery(mother.id))
    before = (patients.count(store), store.scalar("SELECT count(*) FROM deliveries"))
    for later in (-dt.timedelta(minutes=15), -dt.timedelta(days=30), dt.timedelta(0)):
        with pytest.raises(births.DeliveryTooClose) as refused:
            births.record_delivery(store, _delivery(mother.id, delivered_at=BORN + later, baby=Baby(sex="2")))
        assert "18/11/2025" in refused.value.text("vi")
    assert (patients.count(store), store.scalar("SELECT count(*) FROM deliveries")) == before
    # an earlier pregnancy is recorded
    births.record_delivery(store, _delivery(mother.id, delivered_at=BORN - dt.timedelta(days=400), baby=Baby(sex="2")))
    assert store.scalar("SELECT count(*) FROM deliveries") == 2


def test_a_correction_of_a_delivery_needs_the_head_and_a_reason_and_keeps_both_versions(store: Store, mother) -> None:
    saved = births.record_delivery(store, _delivery(mother.id))
    fixed = _delivery(mother.id, id=saved.id, delivered_at=dt.datetime(2025, 11, 17, 23, 50),
                      babies=(Baby(sex="2", weight_grams=3150),))
    store.actor = NURSE
    with pytest.raises(NotPermitted):
        births.correct_delivery(store, fixed, "Ghi nhầm ngày")
    store.actor = Actor(1, "truong", "Nguyễn Văn Hùng", Role.HEAD)
    with pytest.raises(births.ReasonMissing):
        births.correct_delivery(store, fixed, " ")
    births.correct_delivery(store, fixed, "Ghi nhầm ngày")
    child = patients.get(store, saved.babies[0].child_id)
    assert (child.sex, child.birth.day) == ("2", 17)
    due = {i.due_date for i in followups.patient_items(store, child.id, open_only=True)}
    assert dt.date(2026, 1, 17) in due, "the 2-month doses count from the corrected birthday"
    entry = audit.entries(store)[0]
    assert entry.action == "amend" and entry.details["reason"] == "Ghi nhầm ngày"
    assert entry.details["before"]["delivered_at"] == "2025-11-18 22:40"
    assert entry.details["fields"] == ["babies", "delivered_at"]
    assert births.get_delivery(store, saved.id).babies[0].weight_grams == 3150


def test_an_administrator_records_no_delivery_nor_death(store: Store, mother) -> None:
    store.actor = ADMIN
    with pytest.raises(NotPermitted):
        births.record_delivery(store, _delivery(mother.id))
    with pytest.raises(NotPermitted):
        births.record_death(store, Death(mother.id, dt.date(2025, 11, 19), Place.HOME, cause_code="I21"))
    assert store.scalar("SELECT count(*) FROM deliveries") == 0


def test_a_death_closes_follow_ups_and_programmes_and_keeps_the_record(store: Store, add_patient, today) -> None:
    man = add_patient("Đinh Văn Tâm", sex="1", birth="1950")
    followups.enrol(store, man.id, "hypertension", dt.date(2025, 1, 5))
    followups.add_item(store, man.id, Kind.CHRONIC_REFILL, "Cấp thuốc", dt.date(2025, 12, 1),
                       rule="chronic:hypertension")
    death = births.record_death(store, Death(man.id, dt.date(2025, 11, 19), Place.HOME, cause_code="i21.9"))
    assert death.cause_code == "I21.9" and death.cause_text  # the catalogue's name
    kept = patients.get(store, man.id)
    assert kept.deceased and kept.deceased_date == dt.date(2025, 11, 19)
    assert followups.patient_items(store, man.id, open_only=True) == []
    assert followups.enrolments(store, man.id) == []
    assert store.scalar("SELECT closure FROM enrolments WHERE patient_id = ?", (man.id,)) == "died"
    with pytest.raises(births.DeathAlreadyRecorded):
        births.record_death(store, Death(man.id, dt.date(2025, 11, 19), Place.HOME, cause_code="I21"))
    entry = audit.entries(store)[0]
    assert (entry.action, entry.target_type, entry.patient_id) == ("create", "death", man.id)


def test_a_death_is_corrected_by_the_head_with_a_reason(store: Store, add_patient, today) -> None:
    man = add_patient("Đinh Văn Tâm", sex="1", birth="1950")
    death = births.record_death(store, Death(man.id, dt.date(2025, 11, 19), Place.HOME, cause_code="I21"))
    with pytest.raises(births.InvalidEntry):
        births.correct_death(store, Death(man.id, dt.date(2025, 12, 30), Place.HOME, cause_code="I21", id=death.id),
                             "sai ngày")
    store.actor = NURSE
    with pytest.raises(NotPermitted):
        births.correct_death(store, Death(man.id, dt.date(2025, 11, 18), Place.STATION, cause_code="I64",
                                          id=death.id), "sai ngày")
    store.actor = Actor(1, "truong", "Nguyễn Văn Hùng", Role.HEAD)
    births.correct_death(store, Death(man.id, dt.date(2025, 11, 18), Place.STATION, cause_code="I64", id=death.id),
                         "Gia đình báo lại ngày mất")
    assert births.death_of(store, man.id).cause_code == "I64"
    assert patients.get(store, man.id).deceased_date == dt.date(2025, 11, 18)
    entry = audit.entries(store)[0]
    assert entry.details["before"]["died_on"] == "2025-11-19"
    assert entry.details["fields"] == ["cause_code", "cause_text", "died_on", "place"]


def test_a_death_needs_a_cause_and_a_date_not_in_the_future(store: Store, add_patient, today) -> None:
    man = add_patient("Đinh Văn Tâm", sex="1", birth="1950")
    with pytest.raises(births.InvalidEntry) as refused:
        births.record_death(store, Death(man.id, dt.date(2025, 12, 1), Place.HOME))
    assert {p.field for p in refused.value.problems} == {"died_on", "cause_code"}
    assert not patients.get(store, man.id).deceased
