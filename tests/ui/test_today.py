"""Hôm nay (Today): the search box has the keyboard on start, today's visit count, the last
patients seen — followed through a whole visit, search to save."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from station_app import clock
from station_app.store import visits
from station_app.ui.forms.visit_form import VisitForm
from station_app.ui.qt_i18n import fmt_int
from station_app.ui.views.today import TodayView


def visits_today_card(view: TodayView):
    """The count card of today's visits (the first card; feature modules add theirs after it)."""
    card, _fn = view.cards[0]
    return card


def test_search_box_has_the_keyboard_on_start(session, qtbot) -> None:
    window = session.window
    assert window.current_area() == "today"
    view = window.views["today"]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view.search)
    assert clock.today().strftime("%d/%m/%Y") in view.greeting.text()


def test_a_visit_from_search_to_save(session, nurse, qtbot, adult) -> None:
    window = session.window
    view: TodayView = window.views["today"]
    before = visits.count_on(session.store, clock.today())
    assert visits_today_card(view).value.text() == fmt_int(before)

    # Type the name with its accents, Enter opens the (only) match.
    nurse.type(view.search, adult.full_name)
    qtbot.waitUntil(lambda: view.results.isVisible() and view.results.count() > 0)
    assert adult.full_name in view.results.item(0).text()
    nurse.press(view.search, Qt.Key.Key_Return)
    registry = window.views["patients"]
    assert window.current_area() == "patients"
    assert registry.stack.currentWidget() is registry.page
    assert registry.page.patient is not None and registry.page.patient.id == adult.id

    # Ctrl+N, a complaint, Ctrl+S.
    nurse.ctrl(registry.page.new_visit_button, Qt.Key.Key_N)
    form = nurse.dialog(VisitForm)
    nurse.type(form.bp, "130/80")
    nurse.type(form.complaint, "Ho, sốt nhẹ")
    nurse.ctrl(form.complaint, Qt.Key.Key_S)
    nurse.closed(form)

    # Today counts it at once, and the patient heads the last patients seen.
    assert visits.count_on(session.store, clock.today()) == before + 1
    assert visits_today_card(view).value.text() == fmt_int(before + 1)
    nurse.press(window.nav, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    assert window.current_area() == "today"
    first = view.recent.item(0)
    assert adult.full_name in first.text()
    assert first.data(Qt.ItemDataRole.UserRole) == adult.id
    assert QApplication.focusWidget() is view.search, "back on Today, ready for the next patient"


def test_recent_patient_opens_with_enter(session, nurse) -> None:
    window = session.window
    view: TodayView = window.views["today"]
    assert view.recent.count() > 0
    view.recent.setFocus()
    view.recent.setCurrentRow(0)
    patient_id = view.recent.item(0).data(Qt.ItemDataRole.UserRole)
    nurse.press(view.recent, Qt.Key.Key_Return)
    registry = window.views["patients"]
    assert window.current_area() == "patients"
    assert registry.page.patient is not None and registry.page.patient.id == patient_id

