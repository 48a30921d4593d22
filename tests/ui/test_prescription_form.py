"""Prescriptions in the visit form: a returning hypertension patient with the same medicines in
at most 15 keystrokes from the patient's page; the drug picker with its stock; quantity computed;
warnings; nothing saved when the stock is short."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from station_app import clock
from station_app.domain.medicines import PrescriptionLine, ReceiptLine
from station_app.domain.visit import Visit
from station_app.store import followups, prescriptions, stock, visits
from station_app.ui.forms.visit_form import VisitForm

KEYSTROKE_TARGET = 15


class CountingNurse:
    """The ``nurse`` whose every key is counted (a character typed is one key, Ctrl+S is one)."""

    def __init__(self, nurse) -> None:
        self.nurse = nurse
        self.keys = 0

    def type(self, widget, text: str) -> None:
        self.keys += len(text)
        self.nurse.type(widget, text)

    def press(self, widget, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
        self.keys += 1
        self.nurse.press(widget, key, modifier)

    def ctrl(self, widget, key) -> None:
        self.keys += 1
        self.nurse.ctrl(widget, key)


@pytest.fixture
def returning(session, adult):
    """The adult, treated for hypertension 28 days ago with amlodipine and losartan, and stock."""
    store = session.store
    today = clock.today()
    stock.receive(
        store,
        [
            ReceiptLine("AMLO5", "AM-T1", today + dt.timedelta(days=300), 500, 300),
            ReceiptLine("LOSA50", "LO-T1", today + dt.timedelta(days=300), 500, 700),
        ],
        today - dt.timedelta(days=40),
    )
    earlier = visits.insert(
        store,
        Visit(
            patient_id=int(adult.id or 0),
            visit_at=dt.datetime.combine(today - dt.timedelta(days=28), dt.time(8)),
            diagnosis_code="I10",
            diagnosis_text="Tăng huyết áp vô căn (nguyên phát)",
            bp_systolic=160,
            bp_diastolic=95,
        ),
        prescription=[
            PrescriptionLine("AMLO5", 30, "1 viên", 1, 30, "uống buổi sáng"),
            PrescriptionLine("LOSA50", 30, "1 viên", 1, 30, "uống buổi tối"),
        ],
    )
    return earlier


def test_a_returning_hypertension_patient_in_at_most_15_keystrokes(session, nurse, adult, returning) -> None:
    store = session.store
    keys = CountingNurse(nurse)
    session.ctx.open_patient.emit(adult.id)
    page = session.window.views["patients"].page
    before = stock.on_hand(store, clock.today())

    keys.ctrl(page.new_visit_button, Qt.Key.Key_N)  # from the patient's page
    form = nurse.dialog(VisitForm)
    keys.type(form.bp, "150/90")
    keys.press(form.bp, Qt.Key.Key_F4)  # "Như lần trước"
    assert [x.drug_code for x in form.prescription.lines()] == ["AMLO5", "LOSA50"]
    assert form.diagnosis.text().startswith("I10")
    keys.ctrl(form.bp, Qt.Key.Key_S)
    nurse.closed(form)

    assert keys.keys <= KEYSTROKE_TARGET, f"{keys.keys} keystrokes"
    saved = visits.for_patient(store, int(adult.id or 0))[0]
    assert saved.id != returning.id and (saved.bp_systolic, saved.bp_diastolic) == (150, 90)
    assert saved.diagnosis_code == "I10"
    lines = prescriptions.for_visit(store, int(saved.id or 0))
    assert [(x.drug_code, x.quantity, x.per_dose, x.days, x.instructions) for x, _d in lines] == [
        ("AMLO5", 30, "1 viên", 30, "uống buổi sáng"),
        ("LOSA50", 30, "1 viên", 30, "uống buổi tối"),
    ]
    after = stock.on_hand(store, clock.today())
    assert (before["AMLO5"] - after["AMLO5"], before["LOSA50"] - after["LOSA50"]) == (30, 30)
    refills = [
        i for i in followups.patient_items(store, int(adult.id or 0), open_only=True) if i.kind == "chronic_refill"
    ]
    assert [i.due_date for i in refills] == [clock.today() + dt.timedelta(days=27)]
    print(f"keystrokes: {keys.keys}")


def test_pick_a_drug_with_its_stock_and_the_quantity_follows_the_days(session, nurse, visit_form, today) -> None:
    store = session.store
    stock.receive(
        store, [ReceiptLine("IBU400", "P-T1", today + dt.timedelta(days=300), 12, 200)], today - dt.timedelta(days=3)
    )
    form = visit_form
    picker = form.prescription.picker
    picker.setFocus()
    nurse.type(picker, "ibupro 400")
    labels = [form.prescription.picker.label(d) for d in form.prescription.picker.lookup()]
    assert any("Ibuprofen 400 mg" in label and "12" in label for label in labels)
    nurse.press(picker, Qt.Key.Key_Escape)
    picker.setFocus()
    nurse.press(picker, Qt.Key.Key_Return)
    lines = form.prescription.lines()
    assert [(x.drug_code, x.per_dose, x.times_per_day, x.days, x.quantity) for x in lines] == [
        ("IBU400", "1 viên", 2, 5, 10)
    ]
    table = form.prescription.table
    table.item(0, 4).setText("7")  # days: 1 × 2 × 7 = 14, more than the 12 in stock
    assert form.prescription.lines()[0].quantity == 14
    texts = [p.text("en") for p in form.prescription.problems()]
    assert texts == ["Line 1: only 12 viên of Ibuprofen 400 mg in stock."]
    nurse.type(form.complaint, "Sốt")
    nurse.ctrl(form.bp, Qt.Key.Key_S)
    assert form.isVisible(), "a prescription beyond the stock is not saved"
    table.item(0, 5).setText("12")  # the quantity typed over the computed one
    assert form.prescription.lines()[0].quantity == 12 and form.prescription.problems() == []
    nurse.ctrl(form.bp, Qt.Key.Key_S)
    nurse.closed(form)
    assert stock.on_hand(store, today).get("IBU400", 0) == 0


def test_same_as_last_time_without_an_earlier_prescription_says_so(session, nurse) -> None:
    row = session.store.query(
        "SELECT p.id FROM patients p WHERE p.deceased = 0 AND p.birth_year < 2000 AND NOT EXISTS "
        "(SELECT 1 FROM visits v JOIN prescription_lines l ON l.visit_id = v.id WHERE v.patient_id = p.id) LIMIT 1")
    session.ctx.open_patient.emit(row[0]["id"])
    page = session.window.views["patients"].page
    nurse.ctrl(page.new_visit_button, Qt.Key.Key_N)
    visit_form = nurse.dialog(VisitForm)
    nurse.press(visit_form.bp, Qt.Key.Key_F4)
    assert visit_form.prescription.lines() == []
    assert (
        "No earlier prescription" in visit_form.prescription.problem_label.text()
        or "Chưa có đơn" in visit_form.prescription.problem_label.text()
    )


def test_escape_asks_before_throwing_away_prescription_lines(session, nurse, adult, returning, answers) -> None:
    """Only the lines were touched (a drug added, a cell changed): Esc asks; all lines removed
    again: nothing to lose, Esc closes."""
    from station_app.i18n import tr

    page = session.window.views["patients"].page
    had = [v.id for v in visits.for_patient(session.store, int(adult.id or 0))]
    assert returning.id in had
    session.ctx.open_patient.emit(adult.id)
    nurse.ctrl(page.new_visit_button, Qt.Key.Key_N)
    form = nurse.dialog(VisitForm)
    form.prescription.add_drug(form.prescription.drugs["AMLO5"])  # as picked from the list
    assert len(form.prescription.lines()) == 1 and form.prescription.picker.text() == ""
    nurse.press(form.bp, Qt.Key.Key_Escape)
    assert answers.titles("question") == [tr("Discard what you typed?")]
    assert form.isVisible(), "answered No: the line stays"
    assert len(form.prescription.lines()) == 1

    form.prescription.remove_line(0)
    nurse.press(form.bp, Qt.Key.Key_Escape)
    nurse.closed(form)
    assert len(answers.titles("question")) == 1

    nurse.ctrl(page.new_visit_button, Qt.Key.Key_N)
    form = nurse.dialog(VisitForm)
    form.prescription.set_lines([PrescriptionLine("AMLO5", 30, "1 viên", 1, 30)])
    form._guard.mark_clean()  # as a form opened with a line already in it
    form.prescription.table.item(0, 4).setText("60")  # days: the quantity follows
    assert form.prescription.lines()[0].quantity == 60
    nurse.press(form.bp, Qt.Key.Key_Escape)
    assert len(answers.titles("question")) == 2 and form.isVisible()
    answers.yes = True
    nurse.press(form.bp, Qt.Key.Key_Escape)
    nurse.closed(form)
    assert [v.id for v in visits.for_patient(session.store, int(adult.id or 0))] == had  # nothing saved
