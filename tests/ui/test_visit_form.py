"""Recording a visit from the patient's page: vitals, complaint, ICD-10 diagnosis typed or picked,
refusals and questions, and where the visit then appears (history, visit book, totals)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from station_app import clock
from station_app.i18n import tr
from station_app.store import visits
from station_app.store.icd10 import get as icd10_get
from station_app.ui.forms.visit_form import VisitForm
from station_app.ui.qt_i18n import fmt_int


def today_totals(store) -> visits.LogTotals:
    today = clock.today()
    return visits.log_totals(store, visits.LogFilter(start=today, end=today))


def saved_visits(store, patient_id: int) -> list[visits.Visit]:
    return visits.for_patient(store, patient_id)


def test_record_a_visit_with_a_typed_icd10_code(
    session, nurse, visit_form: VisitForm, adult
) -> None:
    store = session.store
    before = today_totals(store)
    history_before = len(saved_visits(store, adult.id))
    form = visit_form
    assert QApplication.focusWidget() is form.bp, "the form starts on the blood pressure"

    nurse.type(form.bp, "150/95")
    nurse.type(form.complaint, "Đau đầu, chóng mặt")
    nurse.type(form.diagnosis, "I10")
    nurse.ctrl(form.diagnosis, Qt.Key.Key_S)
    nurse.closed(form)

    history = saved_visits(store, adult.id)
    assert len(history) == history_before + 1
    visit = history[0]
    assert visit.id == form.result_visit.id
    assert (visit.bp_systolic, visit.bp_diastolic) == (150, 95)
    assert visit.complaint == "Đau đầu, chóng mặt"
    i10 = icd10_get(store, "I10")
    assert i10 is not None
    assert (visit.diagnosis_code, visit.diagnosis_text) == ("I10", i10.name_vi)
    assert visit.visit_at == clock.now()

    # The patient's page: the new visit heads the history.
    page = session.window.views["patients"].page
    assert page.history.rowCount() == history_before + 1
    assert page.history.item(0, 1).text() == "150/95"
    assert page.history.item(0, 3).text().startswith("I10 ")
    assert page.history.item(0, 2).text() == "Đau đầu, chóng mặt"

    # The visit book (Lượt khám) for today, and its totals footer — updated before it is even shown.
    log = session.window.views["visits"]
    after = today_totals(store)
    assert after.visits == before.visits + 1
    assert fmt_int(after.visits) in log.totals.text()
    session.window.show_area("visits")
    assert log.current_filter().start == log.current_filter().end == clock.today()
    row = log.model.row_of(visit.id)
    assert row is not None
    assert log.model.index(row, 2).data() == adult.full_name
    assert log.model.index(row, 7).data().startswith("I10 ")
    assert log.model.rowCount() == after.visits


def completions(form: VisitForm) -> list[str]:
    model = form.diagnosis.completer().model()
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def test_icd10_picker_offers_hypertension_for_folded_words(
    session, nurse, qtbot, visit_form: VisitForm, adult
) -> None:
    form = visit_form
    nurse.click(form.diagnosis)
    assert QApplication.focusWidget() is form.diagnosis
    nurse.type(form.diagnosis, "tang huyet ap")
    qtbot.waitUntil(lambda: bool(completions(form)))
    offered = completions(form)
    assert any(text.startswith("I10 ") for text in offered), offered
    assert offered[0].startswith("I1"), "the hypertension family comes first"

    # Choose from the list with the keyboard.
    popup = form.diagnosis.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    nurse.press(popup, Qt.Key.Key_Down)
    nurse.press(popup, Qt.Key.Key_Return)
    chosen = form.diagnosis.diagnosis
    assert chosen is not None and chosen.code.startswith("I1")
    assert form.diagnosis.text().startswith(chosen.code)

    nurse.ctrl(form.diagnosis, Qt.Key.Key_S)
    nurse.closed(form)
    assert saved_visits(session.store, adult.id)[0].diagnosis_code == chosen.code


def test_unknown_diagnosis_text_is_refused(
    session, nurse, qtbot, visit_form: VisitForm, adult
) -> None:
    form = visit_form
    before = len(saved_visits(session.store, adult.id))
    nurse.click(form.diagnosis)
    nurse.type(form.diagnosis, "khong co benh nay")
    nurse.ctrl(form.diagnosis, Qt.Key.Key_S)
    assert form.isVisible()
    assert form.boxes["diagnosis_code"].problem.isVisible()
    assert len(saved_visits(session.store, adult.id)) == before


@pytest.mark.parametrize(
    ("field", "text"), [("bp", "400/90"), ("temperature", "50"), ("bp", "90/150")]
)
def test_impossible_value_is_refused_beside_its_field(
    session, nurse, qtbot, answers, visit_form: VisitForm, adult, field: str, text: str
) -> None:
    form = visit_form
    before = len(saved_visits(session.store, adult.id))
    editor = getattr(form, field)
    nurse.type(form.complaint, "Sốt")
    nurse.click(editor)
    nurse.type(editor, text)
    box = form.boxes[field]
    qtbot.waitUntil(box.problem.isVisible)  # said while typing
    assert box.problem.text().strip()

    nurse.click(form.complaint)
    nurse.ctrl(form.complaint, Qt.Key.Key_S)
    assert form.isVisible()
    assert answers.asked == []
    assert len(saved_visits(session.store, adult.id)) == before
    assert box.problem.isVisible()
    assert QApplication.focusWidget() is editor, "the cursor goes to the value to correct"
    errors = [p for p in form.refresh(show_all=True) if p.is_error]
    assert [p.field for p in errors] == [field]


def test_fever_within_range_is_saved_without_asking(
    session, nurse, answers, visit_form: VisitForm, adult
) -> None:
    form = visit_form
    nurse.type(form.complaint, "Sốt cao")
    nurse.click(form.temperature)
    nurse.type(form.temperature, "39,8")
    nurse.ctrl(form.temperature, Qt.Key.Key_S)
    nurse.closed(form)
    assert answers.asked == []
    assert saved_visits(session.store, adult.id)[0].temperature == pytest.approx(39.8)


def test_unusual_value_asks_before_saving(
    session, nurse, qtbot, answers, visit_form: VisitForm, adult
) -> None:
    form = visit_form
    before = len(saved_visits(session.store, adult.id))
    nurse.type(form.complaint, "Sốt cao")
    nurse.click(form.temperature)
    nurse.type(form.temperature, "40.5")
    qtbot.waitUntil(
        form.boxes["temperature"].problem.isVisible
    )  # a warning, shown beside the field

    answers.yes = False
    nurse.ctrl(form.temperature, Qt.Key.Key_S)
    assert answers.titles("question") == [tr("Check before saving")]
    assert "40.5" in answers.asked[0][2]
    assert form.isVisible()
    assert len(saved_visits(session.store, adult.id)) == before

    answers.yes = True
    nurse.ctrl(form.temperature, Qt.Key.Key_S)
    nurse.closed(form)
    assert len(saved_visits(session.store, adult.id)) == before + 1
    assert saved_visits(session.store, adult.id)[0].temperature == pytest.approx(40.5)


def test_empty_visit_is_refused(session, nurse, answers, visit_form: VisitForm, adult) -> None:
    form = visit_form
    before = len(saved_visits(session.store, adult.id))
    nurse.ctrl(form.bp, Qt.Key.Key_S)
    assert form.isVisible()
    assert form.boxes["complaint"].problem.isVisible()
    assert QApplication.focusWidget() is form.complaint
    assert len(saved_visits(session.store, adult.id)) == before


def test_paid_by_insurance_on_an_expired_card_warns_before_saving(
    session, nurse, qtbot, answers, adult
) -> None:
    import dataclasses
    import datetime as dt

    from station_app import clock
    from station_app.store import patients as patient_store

    expired = dataclasses.replace(adult, insurance_no="GD4250123456789",
                                  insurance_valid_to=clock.today() - dt.timedelta(days=3))
    patient_store.update(session.store, expired)
    session.ctx.open_patient.emit(adult.id)
    registry = session.window.views["patients"]
    assert registry.stack.currentWidget() is registry.page
    nurse.ctrl(registry.page.new_visit_button, Qt.Key.Key_N)
    form = nurse.dialog(VisitForm)
    assert not form.insurance_paid.isChecked()  # an expired card is not ticked by itself
    before = len(saved_visits(session.store, adult.id))
    nurse.type(form.complaint, "Ho")
    form.insurance_paid.setChecked(True)
    answers.yes = False
    nurse.ctrl(form.complaint, Qt.Key.Key_S)
    assert answers.titles("question") == [tr("Check before saving")]
    when = (clock.today() - dt.timedelta(days=3)).strftime("%d/%m/%Y")
    assert f"thẻ BHYT đã hết hạn ngày {when}" in answers.asked[0][2]
    assert len(saved_visits(session.store, adult.id)) == before
    answers.yes = True
    nurse.ctrl(form.complaint, Qt.Key.Key_S)
    nurse.closed(form)
    assert len(saved_visits(session.store, adult.id)) == before + 1


def test_a_visit_of_a_patient_who_died_is_refused_beside_its_date(session, nurse) -> None:
    store = session.store
    row = store.query("SELECT id, deceased_date FROM patients WHERE deceased_date IS NOT NULL "
                      "AND deceased_date < ? ORDER BY id LIMIT 1", (clock.today().isoformat(),))
    assert row, "the demo has people who died"
    patient_id, died = int(row[0]["id"]), str(row[0]["deceased_date"])
    before = len(saved_visits(store, patient_id))
    session.ctx.new_visit.emit(patient_id)
    form = nurse.dialog(VisitForm)  # today: after the death
    nurse.type(form.complaint, "Ho")
    nurse.ctrl(form.complaint, Qt.Key.Key_S)
    assert form.isVisible(), "not saved"
    assert len(saved_visits(store, patient_id)) == before
    label = form.boxes["visit_at"].problem
    assert label.isVisible()
    day, month, year = died[8:10], died[5:7], died[:4]
    assert f"Lần khám sau ngày mất của người bệnh ({day}/{month}/{year})." in label.text()
    form.reject()
