"""What the screens show at first sight: Báo cáo computed on opening, a patient without visits
said so, the chart's diagnoses named, status messages beside (never under) the station's name,
dialogs kept on the screen."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout

from station_app import clock
from station_app.domain.patient import Patient
from station_app.store import patients
from station_app.store.icd10 import get as icd10_get
from station_app.ui.views.reports import MonthChart, ReportsView
from station_app.ui.widgets import keep_on_screen


def test_reports_compute_the_chosen_month_when_opened(session, qtbot) -> None:
    view = session.window.views["reports"]  # made, not yet shown
    assert view.summary is None
    with qtbot.waitSignal(view.loaded, timeout=30000):
        session.window.show_area("reports")
    assert isinstance(view, ReportsView)
    assert view.summary is not None, "no F5 needed"
    assert view.summary.month == view.selected_month()
    # The chart names the top diagnoses with the catalogue's names.
    top = view.summary.top_diagnoses(3)
    assert top
    code, name, _n = top[0]
    catalogue = icd10_get(session.store, code)
    assert catalogue is not None and catalogue.name_vi in MonthChart.top_label(code, name)


def test_a_patient_without_visits_says_so(session, qtbot) -> None:
    store = session.store
    with clock.pinned(clock.now()):
        saved = patients.insert(store, Patient(full_name="Đinh Thị Mới", sex="2", birth=None))
    session.ctx.open_patient.emit(saved.id)
    page = session.window.views["patients"].page
    assert page.no_visits.isVisible()
    assert "Ctrl+N" in page.no_visits.text()
    row = store.query("SELECT patient_id FROM visits LIMIT 1")[0]
    session.ctx.open_patient.emit(row["patient_id"])
    assert not page.no_visits.isVisible()


def test_a_long_status_message_stops_before_the_station_name(session) -> None:
    window = session.window
    bar = window.statusBar()
    long_path = "/home/yta/.local/share/Tram/backups/" + "x" * 200 + "/tram-20251120-103000.sqlite3"
    bar.showMessage("Đã sao lưu và kiểm tra: " + long_path, 15000)
    shown = bar.currentMessage()
    assert shown != bar.toolTip() and "…" in shown, "shortened"
    assert bar.toolTip().endswith("103000.sqlite3"), "whole in the tooltip"
    station = window.status_station
    assert bar.fontMetrics().horizontalAdvance(shown) < station.geometry().x()


def test_a_dialog_low_on_the_screen_is_moved_up(qapp, qtbot) -> None:
    dialog = QDialog()
    qtbot.addWidget(dialog)
    layout = QVBoxLayout(dialog)
    layout.addWidget(QLabel("Lưu"))
    available: QRect = dialog.screen().availableGeometry()
    dialog.resize(400, min(500, available.height()))
    dialog.move(available.left() + 10, available.bottom() - 100)
    dialog.show()
    keep_on_screen(dialog)
    frame = dialog.frameGeometry()
    assert available.contains(frame.topLeft()) and available.contains(frame.bottomRight() - QPoint(0, 0))
