"""The claims codes on the registration form: nationality, occupation from the official list
(found without accents, free words kept), commune of residence (the station's by default), saved
with the rest of the record; the fast registration needs no more keys; the codes reach XML1."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from station_app import clock
from station_app.domain import claims_xml
from station_app.domain.visit import Visit
from station_app.reports import claims as claims_report
from station_app.store import audit, patients, visits
from station_app.store import claims as store_claims
from station_app.store import station as station_store
from station_app.ui.forms.patient_form import PatientForm
from tests.ui.test_patient_form import fill, open_registration

STATION_COMMUNE = "08566"  # the demo's (Xã Tân Sơn, Phú Thọ)


def choose(nurse, box, typed: str) -> None:
    """Type into a completing list without accents and take the first match with Enter."""
    line = box.lineEdit()
    line.setFocus()
    line.selectAll()
    nurse.type(line, typed)
    nurse.press(line, Qt.Key.Key_Return)


def test_the_fast_registration_gets_the_default_codes(session, nurse, answers) -> None:
    assert store_claims.station_info(session.store).commune_code == STATION_COMMUNE
    form = open_registration(session, nurse)
    fill(nurse, form, name="Nguyễn Thị Hương", sex="2", birth="03/05/1985", village="Thôn Tây")
    nurse.ctrl(form.full_name, Qt.Key.Key_S)
    nurse.closed(form)
    assert answers.asked == []
    stored = patients.get(session.store, form.result_patient.id)
    assert stored is not None
    assert (stored.nationality, stored.nationality_code) == ("Việt Nam", "000")
    assert (stored.province_code, stored.commune_code) == ("25", STATION_COMMUNE)
    assert (stored.occupation, stored.occupation_code) == ("", "")


def test_occupation_commune_and_nationality_chosen_from_the_lists(session, nurse, answers) -> None:
    form = open_registration(session, nurse)
    fill(nurse, form, name="Lò Văn Pọm", sex="1", birth="1979", village="Thôn Tây")
    choose(nurse, form.occupation, "lam ruong")  # a word nurses write, no accents
    assert form.isVisible(), "Enter in a list chooses; it does not save"
    assert form.occupation.currentText() == "Nông dân (trồng trọt)"
    choose(nurse, form.commune, "lai dong")
    assert form.commune.currentText() == "Xã Lai Đồng, Phú Thọ"
    form.nationality.setFocus()
    nurse.type(form.nationality, "L")  # a list without typing: its first letter chooses
    assert form.nationality.currentText() == "Lào"
    nurse.ctrl(form.full_name, Qt.Key.Key_S)
    nurse.closed(form)
    stored = patients.get(session.store, form.result_patient.id)
    assert stored is not None
    assert (stored.occupation, stored.occupation_code) == ("Nông dân (trồng trọt)", "61110")
    assert (stored.province_code, stored.commune_code) == ("25", "08560")
    assert (stored.nationality, stored.nationality_code) == ("Lào", "418")
    # One saved record, one audit entry: the codes went in with the rest.
    entries = [e for e in audit.entries(session.store) if (e.target_type, e.target_id) == ("patient", str(stored.id))]
    assert [e.action for e in entries if e.action != audit.VIEW_PATIENT] == [audit.CREATE]


def test_a_commune_not_in_the_list_is_refused_beside_its_field(session, nurse, answers) -> None:
    before = patients.count(session.store)
    form = open_registration(session, nurse)
    fill(nurse, form, name="Trần Thị Lan", sex="2", birth="1990")
    choose(nurse, form.commune, "khong co xa nay")
    nurse.ctrl(form.full_name, Qt.Key.Key_S)
    assert form.isVisible()
    assert patients.count(session.store) == before
    label = form.boxes["commune_code"].problem
    assert label.isVisible()
    assert "Chọn xã/phường trong danh sách (gõ một phần tên)." in label.text()


def test_editing_keeps_free_words_and_codes_entered_elsewhere(session, nurse, answers) -> None:
    store = session.store
    row = store.query("SELECT id FROM patients WHERE occupation = 'Tự do' AND deceased = 0 ORDER BY id LIMIT 1")
    patient_id = int(row[0]["id"])
    store_claims.save_patient_claim_fields(store, patient_id, district_code="227")  # from the claims register
    before = patients.get(store, patient_id)
    assert before is not None and before.occupation_code == ""
    form = PatientForm(session.ctx, before, parent=session.window)
    form.show()
    form.refresh()
    hint = form.boxes["occupation"].problem
    assert hint.isVisible() and "00000" in hint.text(), "a word outside the list is said, not refused"
    form.save()
    assert answers.asked == [], "…and not asked about on saving"
    after = patients.get(store, patient_id)
    assert after is not None
    assert (after.occupation, after.occupation_code, after.district_code) == ("Tự do", "", "227")
    assert (after.commune_code, after.nationality_code) == (before.commune_code, "000")
    # A code given to those words in the claims register stays when the words do not change.
    store_claims.save_patient_claim_fields(store, patient_id, occupation_code="93290")
    form = PatientForm(session.ctx, patients.get(store, patient_id), parent=session.window)
    form.show()
    form.save()
    again = patients.get(store, patient_id)
    assert again is not None and (again.occupation, again.occupation_code) == ("Tự do", "93290")


def test_codes_entered_in_the_form_are_those_of_xml1(session, nurse, answers, tmp_path) -> None:
    store = session.store
    form = open_registration(session, nurse)
    fill(nurse, form, name="Hà Thị Mai", sex="2", birth="12/04/1970", village="Thôn Tây")
    nurse.type(form.address, "Thôn Tây, xã Thu Cúc")
    nurse.type(form.insurance_no, "GD4251234567891")
    nurse.type(form.insurance_valid_from, "01/01/2025")
    nurse.type(form.insurance_valid_to, "31/12/2025")
    nurse.type(form.insurance_facility, "25123")
    choose(nurse, form.occupation, "giao vien tieu")
    choose(nurse, form.commune, "thu cuc")
    nurse.ctrl(form.full_name, Qt.Key.Key_S)
    nurse.closed(form)
    patient_id = form.result_patient.id
    staff = next(s for s in station_store.staff(store) if s.id)
    day = clock.today()
    visits.insert(store, Visit(
        patient_id=patient_id, visit_at=dt.datetime.combine(day, dt.time(9, 0)), complaint="Đau đầu",
        diagnosis_code="I10", diagnosis_text="Tăng huyết áp", clinician_id=staff.id, insurance_paid=True, weight=55.0,
    ))
    outcomes = [o for o in claims_report.run(store, day, day, tmp_path) if o.patient_id == patient_id]
    assert [(o.status, o.problems) for o in outcomes] == [("written", [])]
    read = claims_xml.read_envelope((tmp_path / f"{outcomes[0].ma_lk}.xml").read_text(encoding="utf-8"))
    tables = claims_xml.field_tables(day)
    xml1 = dict(read.files)["XML1"]
    (record,) = claims_xml.read_records(tables, "XML1", xml1)
    assert (record["MA_QUOCTICH"], record["MA_DANTOC"], record["MA_NGHE_NGHIEP"]) == ("000", "01", "23410")
    assert (record["MATINH_CU_TRU"], record["MAXA_CU_TRU"]) == ("25", "08545")
    assert record["MAHUYEN_CU_TRU"] == store_claims.station_info(store).district_code  # the station's (unverified rule)
