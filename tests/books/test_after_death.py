"""A person's recorded death bounds their records, below the forms (so the command line and the
imports are held to it too): no delivery, visit, vaccine dose or call outcome dated after it, and
no death dated before their last visit, delivery or dose. Each refusal names the field and the
date in Vietnamese, and saves nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from station_app import clock
from station_app.cli import EXIT_OK, main
from station_app.domain.births import Attendant, Baby, Death, Delivery, Place
from station_app.domain.dates import PartialDate
from station_app.domain.followup import Kind, Outcome, OutcomeKind, RemovalReason
from station_app.domain.patient import Patient
from station_app.domain.visit import Visit
from station_app.store import Store, births, corrections, followups, open_store, patients, visits
from station_app.store.errors import StoreError

DIED = dt.date(2025, 11, 10)
NOW = dt.datetime(2025, 11, 20, 12, 0)


def _count(store: Store, table: str) -> int:
    return int(store.scalar(f"SELECT count(*) FROM {table}"))


def _snapshot(store: Store) -> dict[str, int]:
    return {t: _count(store, t) for t in ("visits", "deliveries", "births", "patients", "vaccine_doses", "deaths",
                                          "followups", "followup_outcomes", "audit_log")}


def _visit(patient_id: int, at: dt.datetime) -> Visit:
    return Visit(patient_id=patient_id, visit_at=at, complaint="Ho", diagnosis_code="J02", diagnosis_text="Viêm họng",
                 clinician_name="Trần Thị Mai")


def _delivery(mother_id: int, at: dt.datetime) -> Delivery:
    return Delivery(mother_id, at, Place.HOME, "", "Bà ngoại", Attendant.OTHER, (Baby("1", 3000),))


def _death(patient_id: int, on: dt.date) -> Death:
    return Death(patient_id, on, Place.HOME, cause_code="I64")


@pytest.fixture
def woman(store: Store) -> Patient:
    with clock.pinned(NOW):
        return patients.insert(store, Patient("Lò Thị Hoa", "2", PartialDate(1998)))


@pytest.fixture
def dead(store: Store, woman: Patient) -> Patient:
    with clock.pinned(NOW):
        births.record_death(store, _death(woman.id, DIED))
    return woman


def _refused(store: Store, call) -> str:
    before = _snapshot(store)
    with clock.pinned(NOW), pytest.raises(StoreError) as refused:
        call()
    assert _snapshot(store) == before, "nothing is saved"
    return refused.value.text("vi")


# -- nothing after the death ----------------------------------------------------------------------
def test_a_delivery_after_the_mothers_death_is_refused_naming_the_date(store: Store, dead: Patient) -> None:
    text = _refused(store, lambda: births.record_delivery(store, _delivery(dead.id, dt.datetime(2025, 11, 12, 5))))
    assert text == "Kiểm tra lại: Ngày giờ sinh: Cuộc đẻ sau ngày mất của người mẹ (10/11/2025)."


def test_a_delivery_on_the_day_the_mother_died_is_kept(store: Store, dead: Patient) -> None:
    with clock.pinned(NOW):
        saved = births.record_delivery(store, _delivery(dead.id, dt.datetime(2025, 11, 10, 3)))
    assert births.deliveries_of(store, dead.id) == [births.get_delivery(store, saved.id)]


def test_a_delivery_corrected_to_after_the_mothers_death_is_refused(store: Store, woman: Patient) -> None:
    with clock.pinned(NOW):
        saved = births.record_delivery(store, _delivery(woman.id, dt.datetime(2025, 11, 2, 5)))
        births.record_death(store, _death(woman.id, DIED))
    moved = replace(saved, delivered_at=dt.datetime(2025, 11, 15, 5))
    text = _refused(store, lambda: births.correct_delivery(store, moved, "Ghi nhầm ngày"))
    assert "Cuộc đẻ sau ngày mất của người mẹ (10/11/2025)" in text
    assert births.get_delivery(store, saved.id).delivered_at == dt.datetime(2025, 11, 2, 5)


def test_a_visit_after_the_patients_death_is_refused(store: Store, dead: Patient) -> None:
    text = _refused(store, lambda: visits.insert(store, _visit(dead.id, dt.datetime(2025, 11, 11, 9))))
    assert text == "Kiểm tra lại: Ngày giờ khám: Lần khám sau ngày mất của người bệnh (10/11/2025)."
    with clock.pinned(NOW):  # the visit of the day they died is kept
        visits.insert(store, _visit(dead.id, dt.datetime(2025, 11, 10, 9)))
    assert len(visits.for_patient(store, dead.id)) == 1


def test_a_death_learnt_on_a_call_also_refuses_later_visits(store: Store, woman: Patient) -> None:
    with clock.pinned(NOW):
        item = followups.add_item(store, woman.id, Kind.REVISIT, "Tái khám", dt.date(2025, 11, 5))
        followups.record_outcome(store, item, Outcome(OutcomeKind.REMOVED, DIED, reason=RemovalReason.DIED))
    text = _refused(store, lambda: visits.insert(store, _visit(woman.id, dt.datetime(2025, 11, 18, 9))))
    assert "(10/11/2025)" in text


def test_a_visit_corrected_to_after_the_death_is_refused(store: Store, woman: Patient) -> None:
    with clock.pinned(NOW):
        saved = visits.insert(store, _visit(woman.id, dt.datetime(2025, 11, 8, 9)))
        births.record_death(store, _death(woman.id, DIED))
    moved = replace(saved, visit_at=dt.datetime(2025, 11, 18, 9))
    with clock.pinned(NOW), pytest.raises(StoreError) as refused:
        corrections.amend_visit(store, moved, "Ghi nhầm ngày")
    assert "Lần khám sau ngày mất của người bệnh (10/11/2025)" in refused.value.text("vi")
    assert visits.get(store, saved.id).visit_at == dt.datetime(2025, 11, 8, 9)


def test_a_vaccine_dose_after_the_death_is_refused(store: Store, dead: Patient) -> None:
    text = _refused(store, lambda: followups.record_dose(store, dead.id, "vat", 1, dt.date(2025, 11, 12), "Trạm"))
    assert text == "Kiểm tra lại: Ngày tiêm/uống: Mũi tiêm sau ngày mất của người này (10/11/2025)."


def test_a_call_outcome_after_the_death_is_refused(store: Store, woman: Patient) -> None:
    with clock.pinned(NOW):
        item = followups.add_item(store, woman.id, Kind.REVISIT, "Tái khám", dt.date(2025, 11, 5))
        births.record_death(store, _death(woman.id, DIED))
    text = _refused(store, lambda: followups.record_outcome(store, item, Outcome(OutcomeKind.AGREED,
                                                                                 dt.date(2025, 11, 15))))
    assert text == "Kiểm tra lại: Ngày: Kết quả gọi sau ngày mất của người bệnh (10/11/2025)."


# -- no death before the last record of care ------------------------------------------------------
def test_a_death_before_the_last_visit_is_refused_naming_the_visit(store: Store, woman: Patient) -> None:
    with clock.pinned(NOW):
        visits.insert(store, _visit(woman.id, dt.datetime(2025, 11, 14, 9)))
        item = followups.add_item(store, woman.id, Kind.REVISIT, "Tái khám", dt.date(2025, 12, 5))
    text = _refused(store, lambda: births.record_death(store, _death(woman.id, DIED)))
    assert text == "Kiểm tra lại: Ngày tử vong: Ngày mất trước lần khám ngày 14/11/2025."
    assert not patients.get(store, woman.id).deceased
    assert followups.get_item(store, item).status == "open"
    with clock.pinned(NOW):  # dying on the day of the visit is possible
        births.record_death(store, _death(woman.id, dt.date(2025, 11, 14)))
    assert patients.get(store, woman.id).deceased_date == dt.date(2025, 11, 14)


def test_a_death_before_the_mothers_delivery_is_refused_naming_it(store: Store, woman: Patient) -> None:
    with clock.pinned(NOW):
        births.record_delivery(store, _delivery(woman.id, dt.datetime(2025, 11, 12, 5)))
    text = _refused(store, lambda: births.record_death(store, _death(woman.id, DIED)))
    assert text == "Kiểm tra lại: Ngày tử vong: Ngày mất trước cuộc đẻ ngày 12/11/2025."


def test_a_death_corrected_to_before_the_last_visit_is_refused(store: Store, woman: Patient) -> None:
    with clock.pinned(NOW):
        visits.insert(store, _visit(woman.id, dt.datetime(2025, 11, 8, 9)))
        death = births.record_death(store, _death(woman.id, DIED))
    text = _refused(store, lambda: births.correct_death(store, replace(death, died_on=dt.date(2025, 11, 1)),
                                                        "Ghi nhầm"))
    assert "Ngày mất trước lần khám ngày 08/11/2025" in text
    assert births.death_of(store, woman.id).died_on == DIED


def test_a_death_learnt_on_a_call_before_the_last_visit_is_refused(store: Store, woman: Patient) -> None:
    with clock.pinned(NOW):
        visits.insert(store, _visit(woman.id, dt.datetime(2025, 11, 14, 9)))
        item = followups.add_item(store, woman.id, Kind.REVISIT, "Tái khám", dt.date(2025, 12, 5))
    died = Outcome(OutcomeKind.REMOVED, DIED, reason=RemovalReason.DIED)
    text = _refused(store, lambda: followups.record_outcome(store, item, died))
    assert text == "Kiểm tra lại: Ngày: Ngày mất trước lần khám ngày 14/11/2025."


def test_a_date_of_death_typed_on_the_patient_form_before_the_last_visit_is_refused(
        store: Store, woman: Patient) -> None:
    with clock.pinned(NOW):
        visits.insert(store, _visit(woman.id, dt.datetime(2025, 11, 14, 9)))
    marked = replace(patients.get(store, woman.id), deceased=True, deceased_date=DIED)
    text = _refused(store, lambda: patients.update(store, marked))
    assert text == "Kiểm tra lại: Ngày tử vong: Ngày mất trước lần khám ngày 14/11/2025."
    assert not patients.get(store, woman.id).deceased


# -- the imports ----------------------------------------------------------------------------------
def test_imported_births_and_deaths_across_a_death_are_refused_by_row(store: Store, tmp_path: Path, capsys) -> None:
    with clock.pinned(NOW):
        hoa = patients.insert(store, Patient("Lò Thị Hoa", "2", PartialDate(1998)))
        tam = patients.insert(store, Patient("Đinh Văn Tâm", "1", PartialDate(1950)))
        births.record_death(store, _death(hoa.id, DIED))
        visits.insert(store, _visit(tam.id, dt.datetime(2025, 11, 14, 9)))
    store.close()
    sheets = {
        "births": "mother_record_no,sex,born_at,place,weight_grams\n"
                  f"{hoa.record_no},nam,12/11/2025 05:00,tại nhà,3000\n",
        "deaths": "record_no,died_on,place,cause_code\n"
                  f"{tam.record_no},10/11/2025,nhà,I64\n",
    }
    said = {}
    for what, text in sheets.items():
        source = tmp_path / f"{what}.csv"
        source.write_text(text, encoding="utf-8")
        with clock.pinned(NOW):
            code = main(["import", "--db", str(store.path), str(source), "--what", what])
        captured = capsys.readouterr()
        assert code != EXIT_OK and "Traceback" not in captured.err
        said[what] = captured.out + captured.err
    assert "Cuộc đẻ sau ngày mất của người mẹ (10/11/2025)" in said["births"]
    assert "Ngày mất trước lần khám ngày 14/11/2025" in said["deaths"]
    again = open_store(store.path)
    try:
        assert _count(again, "deliveries") == 0 and births.death_of(again, tam.id) is None
    finally:
        again.close()


# -- merging duplicates and correcting without changing the date (outside review) --------------------
def test_a_merge_keeps_the_record_with_the_death_and_refuses_care_after_it(store: Store, dead: Patient) -> None:
    with clock.pinned(NOW):
        twin = patients.insert(store, Patient("Lò Thị Hoa", "2", PartialDate(1998)))
        visits.insert(store, _visit(twin.id, dt.datetime(2025, 11, 15, 9, 0)))  # after the death
        before = _snapshot(store)
        with pytest.raises(corrections.CorrectionRefused) as refused:
            corrections.merge_patients(store, dead.id, twin.id, "trùng")
        assert refused.value.text().startswith("Chưa gộp") and "15/11/2025" in refused.value.text()
        with pytest.raises(corrections.CorrectionRefused) as other_way:  # the death goes with the record kept
            corrections.merge_patients(store, twin.id, dead.id, "trùng")
        assert "giữ hồ sơ đó" in other_way.value.text() and "10/11/2025" in other_way.value.text()
        assert _snapshot(store) == before
        earlier = patients.insert(store, Patient("Lò Thị Hoa", "2", PartialDate(1998)))
        visits.insert(store, _visit(earlier.id, dt.datetime(2025, 10, 1, 9, 0)))
        corrections.merge_patients(store, dead.id, earlier.id, "trùng")  # care before the death: merged
    assert visits.for_patient(store, dead.id)


def test_two_records_each_with_a_death_are_not_merged_with_an_internal_error(store: Store, dead: Patient) -> None:
    with clock.pinned(NOW):
        twin = patients.insert(store, Patient("Lò Thị Hoa", "2", PartialDate(1998)))
        births.record_death(store, _death(twin.id, DIED))
        with pytest.raises(corrections.CorrectionRefused) as refused:
            corrections.merge_patients(store, dead.id, twin.id, "trùng")
        assert refused.value.text().startswith("Cả hai hồ sơ đều đã ghi tử vong")


def test_the_cause_of_death_is_corrected_though_care_was_dated_after_it_before_the_rule(store: Store,
                                                                                        dead: Patient) -> None:
    """Data saved before the rule may hold a visit after the death: the cause and a diagnosis are
    still corrected when their dates do not change."""
    with clock.pinned(NOW):
        store.conn.execute("INSERT INTO visits (patient_id, visit_at, created_at, updated_at, complaint, "
                           "diagnosis_code, diagnosis_text) VALUES (?, '2025-11-15 09:00', '2025-11-15 09:00', "
                           "'2025-11-15 09:00', 'Ho', 'J02', 'Viêm họng')", (dead.id,))
        (death,) = [births.death_of(store, dead.id)]
        assert death is not None
        fixed = births.correct_death(store, replace(death, cause_code="I21"), "sai nguyên nhân")
        assert fixed.cause_code == "I21"
        (visit,) = visits.for_patient(store, dead.id)
        amended = corrections.amend_visit(store, replace(visit, diagnosis_code="J20"), "sai chẩn đoán")
        assert amended.diagnosis_code == "J20"
        with pytest.raises(StoreError):
            births.correct_death(store, replace(death, died_on=dt.date(2025, 11, 1)), "sai ngày")
