"""The nurse's keyboard: the README's walk-through counted key by key, the clinician who is logged
in, search text replaced on coming back, Tab in reading order, Enter in the ICD-10 picker and in
the village box."""

from __future__ import annotations

import itertools

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QWidget

from station_app import clock
from station_app.domain.text import fold
from station_app.store import patients, visits
from station_app.ui.forms.patient_form import PatientForm
from station_app.ui.forms.visit_form import VisitForm


class CountingNurse:
    """The ``nurse`` of conftest, counting every key pressed (a chord such as Ctrl+N is one)."""

    def __init__(self, nurse) -> None:
        self.nurse = nurse
        self.keys = 0

    def type(self, widget: QWidget, text: str) -> None:
        self.keys += len(text)
        self.nurse.type(widget, text)

    def press(self, widget: QWidget, key: Qt.Key) -> None:
        self.keys += 1
        self.nurse.press(widget, key)

    def ctrl(self, widget: QWidget, key: Qt.Key) -> None:
        self.keys += 1
        self.nurse.ctrl(widget, key)


def returning_hypertensive(store) -> patients.Patient:
    """A living demo patient with earlier hypertension visits, whose name no one else has."""
    row = store.query(
        "SELECT p.id FROM patients p WHERE p.deceased = 0 AND p.full_name IN "
        "(SELECT full_name FROM patients GROUP BY full_name HAVING count(*) = 1) "
        "AND EXISTS (SELECT 1 FROM visits v WHERE v.patient_id = p.id AND v.diagnosis_code = 'I10') "
        "ORDER BY p.id LIMIT 1"
    )
    assert row, "the demo has no returning hypertensive patient"
    found = patients.get(store, row[0]["id"])
    assert found is not None
    return found


def test_readme_walk_through_in_at_most_40_keys(session, nurse, qtbot) -> None:
    """Find a returning patient by their unaccented name, open them, record a visit with BP and an
    ICD-10 code found by typing Vietnamese words, save (README: "A visit in 35 keys")."""
    store = session.store
    patient = returning_hypertensive(store)
    before = len(visits.for_patient(store, patient.id))
    keys = CountingNurse(nurse)
    today = session.window.show_area("today")
    assert QApplication.focusWidget() is today.search

    keys.type(today.search, fold(patient.full_name))  # "nguyen van an": no accents
    keys.press(today.search, Qt.Key.Key_Return)
    registry = session.window.views["patients"]
    assert registry.page.patient is not None and registry.page.patient.id == patient.id
    keys.ctrl(QApplication.focusWidget(), Qt.Key.Key_N)
    form = nurse.dialog(VisitForm)
    assert QApplication.focusWidget() is form.bp
    keys.type(form.bp, "150/95")
    keys.ctrl(form.bp, Qt.Key.Key_D)
    assert QApplication.focusWidget() is form.diagnosis
    keys.type(form.diagnosis, "tang huyet")
    keys.press(form.diagnosis, Qt.Key.Key_Return)
    assert form.isVisible(), "Enter in the diagnosis chooses; it does not save"
    keys.ctrl(form.diagnosis, Qt.Key.Key_S)
    nurse.closed(form)

    saved = visits.for_patient(store, patient.id)
    assert len(saved) == before + 1
    visit = saved[0]
    assert (visit.bp_systolic, visit.bp_diastolic, visit.diagnosis_code) == (150, 95, "I10")
    assert visit.visit_at == clock.now()
    name_keys = len(fold(patient.full_name))
    # Besides the name: Enter, Ctrl+N, 6 for the BP, Ctrl+D, 10 for "tang huyet", Enter, Ctrl+S.
    assert keys.keys - name_keys == 21
    assert keys.keys <= 40, f"{keys.keys} keys for the walk-through"


def test_the_clinician_is_the_person_logged_in(make_session, demo_copy, nurse) -> None:
    session = make_session(demo_copy, role="nurse")  # yta.mai, "Trần Thị Mai" in the demo
    store = session.store
    adult = returning_hypertensive(store)
    session.ctx.open_patient.emit(adult.id)
    registry = session.window.views["patients"]
    nurse.ctrl(registry.page.new_visit_button, Qt.Key.Key_N)
    form = nurse.dialog(VisitForm)
    assert form.clinician.currentText() == store.actor.full_name == "Trần Thị Mai"
    nurse.type(form.bp, "130/80")
    nurse.type(form.diagnosis, "I10")
    nurse.ctrl(form.bp, Qt.Key.Key_S)
    nurse.closed(form)
    assert visits.for_patient(store, adult.id)[0].clinician_name == "Trần Thị Mai"

    from station_app.printing.visit_book import book_rows

    row = [r for r in book_rows(store, clock.today(), clock.today()) if r.visit_id == form.result_visit.id]
    assert row[0].cells["clinician"] == "Trần Thị Mai", "the visit book prints who examined"


def test_coming_back_to_a_search_selects_its_text(session, nurse, qtbot) -> None:
    today = session.window.show_area("today")
    nurse.type(today.search, "phan phuong nhung")
    session.window.show_area("visits")
    session.window.show_area("today")
    assert today.search.selectedText() == "phan phuong nhung"
    nurse.type(today.search, "nguyen")
    assert today.search.text() == "nguyen", "the next name replaces the last"

    registry = session.window.show_area("patients")
    nurse.type(registry.list.search, "dang")
    qtbot.waitUntil(lambda: registry.list.model.rowCount() > 0)
    session.window.show_area("today")
    session.window.show_area("patients")
    assert registry.list.search.selectedText() == "dang"
    # Typing a name while the results have the keyboard starts a new search too.
    nurse.press(registry.list.search, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is registry.list.table
    nurse.type(registry.list.table, "l")
    nurse.type(QApplication.focusWidget(), "e")
    assert QApplication.focusWidget() is registry.list.search
    assert registry.list.search.text() == "le"


def reading_order(widgets: list[QWidget]) -> list[str]:
    """The pairs of consecutive widgets where the second is drawn above, or left on the same line."""
    wrong = []
    for a, b in itertools.pairwise(widgets):
        pa, pb = a.mapToGlobal(QPoint(0, 0)), b.mapToGlobal(QPoint(0, 0))
        same_line = abs(pa.y() - pb.y()) < min(a.height(), b.height()) / 2
        if pb.y() < pa.y() - a.height() / 2 or (same_line and pb.x() <= pa.x()):
            wrong.append(f"{a.objectName() or type(a).__name__}@{pa.x()},{pa.y()} → "
                         f"{b.objectName() or type(b).__name__}@{pb.x()},{pb.y()}")
    return wrong


def tab_walk(nurse, first: QWidget, stop: QWidget) -> list[QWidget]:
    walked = [first]
    first.setFocus()
    for _ in range(60):
        nurse.press(QApplication.focusWidget(), Qt.Key.Key_Tab)
        widget = QApplication.focusWidget()
        walked.append(widget)
        if widget is stop:
            break
    return walked


def test_tab_in_the_visit_form_follows_the_layout(visit_form: VisitForm, nurse) -> None:
    form = visit_form
    walked = tab_walk(nurse, form.bp, form.treatment)
    assert walked.index(form.visit_at) == walked.index(form.glucose) + 1, "the date is drawn below the vitals"
    for widget in walked:
        form.scroll_area.ensureWidgetVisible(widget)
    form.scroll_area.verticalScrollBar().setValue(0)
    assert reading_order(walked) == []


def test_enter_in_the_diagnosis_takes_the_first_match(visit_form: VisitForm, nurse) -> None:
    form = visit_form
    nurse.ctrl(form.bp, Qt.Key.Key_D)
    nurse.type(form.diagnosis, "viem hong")
    nurse.press(form.diagnosis, Qt.Key.Key_Return)
    assert form.isVisible()
    chosen = form.diagnosis.resolve()
    assert chosen is not None and chosen.code == "J02"
    assert form.diagnosis.text().startswith("J02 ")


def test_village_completes_without_accents_and_enter_stays(session, nurse) -> None:
    registry = session.window.show_area("patients")
    nurse.ctrl(registry.list.search, Qt.Key.Key_R)
    form = nurse.dialog(PatientForm)
    assert form.village.matches("thon t")[0] == "Thôn Tây"
    assert form.village.matches("tay") == ["Thôn Tây"]
    line = form.village.lineEdit()
    line.setFocus()
    nurse.type(line, "thon t")
    nurse.press(line, Qt.Key.Key_Return)
    assert form.isVisible(), "Enter in the village does not save the registration"
    assert form.village.currentText() == "Thôn Tây"


def test_every_kind_of_control_shows_the_keyboard_focus(visit_form: VisitForm, qtbot) -> None:
    form = visit_form
    for widget in (form.bp, form.complaint, form.clinician, form.quick_buttons[0], form.insurance_paid,
                   form.save_button, form.visit_at):
        form.scroll_area.ensureWidgetVisible(widget)
        (form.pulse if widget is not form.pulse else form.bp).setFocus()
        qtbot.waitUntil(lambda w=widget: not w.hasFocus())
        without = widget.grab().toImage()
        widget.setFocus()
        qtbot.waitUntil(widget.hasFocus)
        assert widget.grab().toImage() != without, f"{type(widget).__name__} looks the same with the keyboard"


def test_english_placeholders_use_the_decimal_point(make_session, demo_copy, nurse) -> None:
    session = make_session(demo_copy, lang="en")
    session.ctx.new_visit.emit(returning_hypertensive(session.store).id)
    form = nurse.dialog(VisitForm)
    assert form.temperature.placeholderText() == "37.0"


def test_tab_goes_round_the_registration_fields_only(session, nurse) -> None:
    """Every Tab stop is a field or a button the person sees (never the scrolled frame)."""
    from PySide6.QtWidgets import QAbstractScrollArea, QPlainTextEdit

    registry = session.window.show_area("patients")
    nurse.ctrl(registry.list.search, Qt.Key.Key_R)
    form = nurse.dialog(PatientForm)
    walked = tab_walk(nurse, form.full_name, form.full_name)
    assert walked[-1] is form.full_name, "Tab comes back to the name"
    frames = [w for w in walked if isinstance(w, QAbstractScrollArea) and not isinstance(w, QPlainTextEdit)]
    assert frames == []
    assert form.save_button in walked


def test_a_new_account_is_a_person_of_the_staff_list(session, nurse) -> None:
    from PySide6.QtWidgets import QDialog

    from station_app.store.station import staff
    from station_app.ui import dialogs
    from station_app.ui.views.users import NewUserDialog, UsersSection
    from tests.ui.test_accounts_ui import new_nurse_account

    settings = session.window.show_area("settings")
    section = settings.findChild(UsersSection)
    people_before = len(staff(session.store, active_only=False))
    offered: list[str] = []

    def fill(dialog: QDialog) -> bool:
        assert isinstance(dialog, NewUserDialog)
        model = dialog.full_name.completer().model()
        offered.extend(model.index(r, 0).data() for r in range(model.rowCount()))
        new_nurse_account(dialog)
        return True

    dialogs.fill = fill
    try:
        nurse.click(section.buttons["add"])
    finally:
        dialogs.fill = None
    assert "Lê Thị Hồng" in offered and "Trần Thị Mai" not in offered, "people without a login are offered"
    assert len(staff(session.store, active_only=False)) == people_before, "the same person, not a second one"
    table = settings.staff_table
    row = [table.item(r, 0).text() for r in range(table.rowCount())].index("Lê Thị Hồng")
    assert table.item(row, 2).text() == "hong.nhs"
