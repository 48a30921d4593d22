"""The patient page's "Births and deaths" tab: a nurse records a delivery (the baby appears with its
schedule) and a death; a refused entry stays open with the fields named; the head corrects."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import QDialog

from station_app.store import births, followups, patients
from station_app.ui import dialogs
from station_app.ui.views.patient_births import BirthsDeathsTab, DeathDialog, DeliveryDialog


def _tab(session, patient_id: int) -> BirthsDeathsTab:
    session.ctx.open_patient.emit(patient_id)
    page = session.window.views["patients"].page
    titles = [page.tabs.tabText(i) for i in range(page.tabs.count())]
    tab = page.tabs.widget(titles.index("Sinh đẻ, tử vong"))
    assert isinstance(tab, BirthsDeathsTab)
    return tab


def _woman(session) -> int:
    row = session.store.query(
        "SELECT id FROM patients p WHERE sex = '2' AND deceased = 0 AND birth_year BETWEEN 1990 AND 2000 "
        "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.mother_id = p.id) ORDER BY id LIMIT 1")
    return int(row[0]["id"])


def _filling(check):  # type: ignore[no-untyped-def]
    def fill(dialog: QDialog) -> bool:
        check(dialog)
        return True

    return fill


def test_a_nurse_records_a_delivery_and_the_baby_gets_its_record_and_schedule(make_session, demo_copy, now) -> None:
    session = make_session(demo_copy, role="nurse")
    mother_id = _woman(session)
    tab = _tab(session, mother_id)
    assert tab.delivery_lines.text() == "Chưa ghi cuộc đẻ nào."
    assert tab.correct_delivery_button.isHidden(), "a nurse does not correct"
    assert tab.baby_button.isHidden()
    born = now - dt.timedelta(hours=5)

    def fill(dialog: QDialog) -> bool:
        assert isinstance(dialog, DeliveryDialog)
        dialog.delivered_at.setDateTime(QDateTime(born.year, born.month, born.day, born.hour, born.minute, 0))
        dialog.place.setCurrentIndex(dialog.place.findData("station"))
        dialog.attendant.setText("Hà Thị Liên")
        dialog.sex.setCurrentIndex(dialog.sex.findData("1"))
        dialog.weight.setValue(3200)
        dialog.hepb.setChecked(True)
        dialog.hepb_at.setDateTime(QDateTime(born.year, born.month, born.day, born.hour + 2, 0, 0))
        return True

    dialogs.fill = fill
    try:
        tab.record_delivery()
    finally:
        dialogs.fill = None
    tab = _tab(session, mother_id)
    assert "Tại trạm · Hà Thị Liên · Đẻ sống, Nam, 3200 g" in tab.delivery_lines.text()
    delivery = births.deliveries_of(session.store, mother_id)[0]
    child_id = delivery.babies[0].child_id
    child = patients.get(session.store, child_id)
    assert child.full_name.startswith("Con bà ") and child.guardian_relation == "Mẹ"
    assert [d.series for d in followups.given_doses(session.store, child_id)] == ["hepb0"]
    assert not tab.baby_button.isHidden()
    tab.baby_button.click()  # the baby's record, where its vaccinations go, from the mother's
    assert session.window.views["patients"].page.patient.id == child_id
    child_tab = _tab(session, child_id)
    assert child_tab.born.text().endswith("Tại trạm · 3200 g")


def test_a_refused_death_stays_open_naming_the_field_then_the_head_corrects_it(make_session, demo_copy, now) -> None:
    session = make_session(demo_copy, role="head")
    man = session.store.query("SELECT id FROM patients WHERE sex = '1' AND deceased = 0 ORDER BY id LIMIT 1")
    pid = int(man[0]["id"])
    tab = _tab(session, pid)
    seen: list[str] = []

    def no_cause(dialog: QDialog) -> bool:
        assert isinstance(dialog, DeathDialog)
        dialog.died_on.set_date(now.date())
        dialog.accept()  # refused: no cause
        seen.append(dialog.problem.text())
        assert dialog.isVisible() or dialog.result() != QDialog.DialogCode.Accepted
        dialog.cause_code.setText("I21")
        return True

    dialogs.fill = no_cause
    try:
        tab.record_death()
    finally:
        dialogs.fill = None
    assert "Nguyên nhân tử vong" in seen[0]
    assert births.death_of(session.store, pid).cause_code == "I21"
    tab = _tab(session, pid)
    assert tab.death_line.text().startswith("Mất ngày")
    assert not tab.correct_death_button.isHidden() and tab.record_death_button.isHidden()

    def correct(dialog: QDialog) -> bool:
        assert isinstance(dialog, DeathDialog)
        dialog.cause_code.setText("I64")
        dialog.cause_text.setText("")
        dialog.reason.setText("Giấy báo tử ghi đột quỵ")
        return True

    dialogs.fill = correct
    try:
        tab.correct_death()
    finally:
        dialogs.fill = None
    assert births.death_of(session.store, pid).cause_code == "I64"


def test_the_death_cause_is_chosen_from_the_icd10_list_and_an_unknown_code_is_refused(
    make_session, demo_copy, now, nurse, qtbot
) -> None:
    """A code the catalogue does not have (A90, retired for A97) was saved as typed and counted nowhere;
    the nurse's words find the code as in a visit; the facility's name is asked only for a facility."""
    from PySide6.QtCore import Qt

    from station_app.domain.births import Place

    session = make_session(demo_copy, role="head")
    man = session.store.query("SELECT id FROM patients WHERE sex = '1' AND deceased = 0 ORDER BY id LIMIT 1")
    pid = int(man[0]["id"])
    tab = _tab(session, pid)
    dialog = DeathDialog(session.ctx, tab.patient, tab)
    dialog.open()
    dialog.place.setCurrentIndex(dialog.place.findData(str(Place.HOME)))
    assert not dialog.place_name.isEnabled()
    dialog.place.setCurrentIndex(dialog.place.findData(str(Place.FACILITY)))
    assert dialog.place_name.isEnabled()
    dialog.place.setCurrentIndex(dialog.place.findData(str(Place.HOME)))
    dialog.cause_code.setText("A90")
    dialog.accept()
    assert dialog.isVisible() and "A90" in dialog.problem.text() and "ICD-10" in dialog.problem.text()
    assert births.death_of(session.store, pid) is None
    dialog.cause_code.clear()
    dialog.cause_code.setFocus()
    nurse.type(dialog.cause_code, "A97")
    nurse.press(dialog.cause_code, Qt.Key.Key_Return)  # Enter takes the match, it does not save
    assert dialog.isVisible() and dialog.cause_code.text().startswith("A97")
    dialog.accept()
    assert not dialog.isVisible()
    death = births.death_of(session.store, pid)
    assert death is not None and death.cause_code == "A97" and death.place_name == ""
