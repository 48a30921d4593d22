"""Báo cáo: the head computes March 2026 of the hand-built station, looks behind a number,
corrects a cell with a reason, finalises, prints and exports, reopens; a nurse cannot finalise."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QTableWidget

from station_app import clock
from station_app.domain.monthly import Month
from station_app.store import reports
from station_app.ui import dialogs
from station_app.ui.context import Change
from station_app.ui.pdf_preview import PdfPreviewDialog
from station_app.ui.views import reports as reports_view
from station_app.ui.views.reports import CorrectionDialog, ReasonDialog, ReportsView
from tests.reports.station_march import REPORT_DAY, build

MARCH = Month(2026, 3)


@pytest.fixture
def march_file(tmp_path: Path) -> Path:
    path = tmp_path / "march.sqlite3"
    build(path)
    return path


@pytest.fixture
def april(now) -> Iterator[None]:
    """Early April 2026: the head reports on March."""
    with clock.pinned(REPORT_DAY):
        yield


def open_reports(make_session, db: Path, qtbot, role: str = "head") -> tuple[object, ReportsView]:
    session = make_session(db, role=role)
    view = session.window.show_area("reports")
    assert isinstance(view, ReportsView)
    with qtbot.waitSignal(view.loaded, timeout=20000):
        view.generate()
    return session, view


def cell_text(view: ReportsView, block: str, label: str, column: int) -> str:
    table: QTableWidget = view.tables[block]
    for row in range(table.rowCount()):
        if table.item(row, 0).text().strip() == label:
            return table.item(row, column).text()
    raise AssertionError(label)


@pytest.mark.usefixtures("april")
def test_the_head_reviews_corrects_and_finalises_march(make_session, march_file, qtbot, answers, tmp_path) -> None:
    session, view = open_reports(make_session, march_file, qtbot)
    assert view.selected_month() == MARCH
    assert [view.tabs.tabText(i) for i in range(view.tabs.count())][:2] == ["Khám chữa bệnh", "Tình hình bệnh tật"]
    assert view.tabs.tabText(view.tabs.count() - 1) == "Biểu đồ"
    assert cell_text(view, "consultations", "Tổng số lượt khám bệnh", 1) == "8"
    assert cell_text(view, "consultations", "Tổng số lượt khám bệnh", 2) == "2"  # February beside
    assert view.chart.per_day and view.chart.top[0][0] == "A09"
    assert view.finalise_button.isEnabled() and not view.reopen_button.isEnabled()
    assert not view.sent_empty.isHidden() and view.sent.isHidden()  # nothing finalised: says how
    assert "Chốt báo cáo…" in view.sent_empty.text()
    session.ctx.notify({Change.VISITS})  # a visit saved elsewhere: the draft says it is out of date
    assert "F5" in view.state_label.text()

    # Behind "visits of children under 5": Bình's visit of 10/03.
    view.select_cell("consult.visits//age:lt5")
    records = view.drill_down()
    assert records is not None and records.table.rowCount() == 1
    assert records.table.item(0, 1).text() == "Lê Thị Bình" and records.table.item(0, 0).text() == "10/03/2026 09:00"
    records.reject()

    # Correct emergencies 1 → 2; a correction without a reason is refused by the dialog.
    view.select_cell("consult.emergencies//total")

    def no_reason(dialog) -> bool:
        assert isinstance(dialog, CorrectionDialog)
        dialog.value.setValue(2)
        return True

    dialogs.fill = no_reason
    try:
        assert view.correct_cell() is False
    finally:
        dialogs.fill = None

    def with_reason(dialog) -> bool:
        dialog.value.setValue(2)
        dialog.reason.setText("Một ca cấp cứu chưa ghi sổ")
        return True

    dialogs.fill = with_reason
    try:
        assert view.correct_cell() is True
    finally:
        dialogs.fill = None
    assert cell_text(view, "consultations", "Lượt cấp cứu", 1) == "2*"
    assert reports.corrections(session.store, MARCH)["consult.emergencies//total"].computed == 1

    # Finalise (the question answered "yes"): frozen, listed, no more corrections.
    answers.yes = True
    assert view.finalise() is True
    assert view.sent_empty.isHidden() and not view.sent.isHidden()
    assert reports.state(session.store, MARCH).is_final
    assert not view.correct_button.isEnabled() and view.reopen_button.isEnabled()
    assert view.sent.rowCount() == 1 and view.sent.item(0, 0).text() == "03/2026"
    assert "Đã chốt" in view.state_label.text()

    # Print preview and exports.
    preview = view.preview_pdf()
    assert isinstance(preview, PdfPreviewDialog) and preview.page_count() >= 2
    preview.reject()
    target = tmp_path / "out.xlsx"
    reports_view.choose_save_path = lambda *_args: str(target)
    try:
        assert view.export("xlsx") == target and target.stat().st_size > 0
        assert view.export("dhis2") == target
        assert '"period": "202603"' in target.read_text(encoding="utf-8")
    finally:
        reports_view.choose_save_path = None

    # Reopen with a reason: a draft again, the old copy listed as reopened.
    def reason(dialog) -> bool:
        assert isinstance(dialog, ReasonDialog)
        dialog.reason.setText("Huyện yêu cầu sửa")
        return True

    dialogs.fill = reason
    try:
        with qtbot.waitSignal(view.loaded, timeout=20000):
            assert view.reopen() is True
    finally:
        dialogs.fill = None
    assert not reports.state(session.store, MARCH).is_final
    assert "Huyện yêu cầu sửa" in view.sent.item(0, 4).text()
    assert view.finalise_button.isEnabled()


@pytest.mark.usefixtures("april")
def test_a_nurse_cannot_finalise(make_session, march_file, qtbot, answers) -> None:
    session, view = open_reports(make_session, march_file, qtbot, role="nurse")
    answers.yes = True
    assert view.finalise() is False
    assert "Chưa chốt được" in answers.titles("error")
    assert not reports.state(session.store, MARCH).is_final


@pytest.mark.usefixtures("april")
def test_the_visit_book_is_printed_for_a_range(make_session, march_file, qtbot) -> None:
    _session, view = open_reports(make_session, march_file, qtbot)
    with qtbot.waitSignal(view.book_ready, timeout=20000) as ready:
        view.print_visit_book(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    preview = ready.args[0]
    assert isinstance(preview, PdfPreviewDialog) and preview.page_count() == 1
    preview.reject()


@pytest.mark.usefixtures("april")
def test_another_month_is_computed_off_the_gui_thread(make_session, march_file, qtbot) -> None:
    _session, view = open_reports(make_session, march_file, qtbot)
    view.set_month(Month(2026, 2))
    with qtbot.waitSignal(view.loaded, timeout=20000):
        view.generate()
    assert view.summary is not None and view.summary.month == Month(2026, 2)
    assert cell_text(view, "consultations", "Tổng số lượt khám bệnh", 1) == "2"


@pytest.mark.usefixtures("april")
def test_the_books_are_chosen_beside_the_visit_book(make_session, march_file, qtbot) -> None:
    from station_app.ui.views.reports import RangeDialog

    _session, view = open_reports(make_session, march_file, qtbot)
    seen: list[list[str]] = []

    def choose(dialog) -> bool:  # type: ignore[no-untyped-def]
        assert isinstance(dialog, RangeDialog)
        seen.append([dialog.book.itemData(i) for i in range(dialog.book.count())])
        dialog.book.setCurrentIndex(dialog.book.findData("A2.1"))
        return True

    dialogs.fill = choose
    try:
        with qtbot.waitSignal(view.book_ready, timeout=20000) as ready:
            view.print_visit_book()
    finally:
        dialogs.fill = None
    assert seen == [["A1", "A2.1", "A2.2", "A3", "A4", "A6"]]
    preview = ready.args[0]
    assert isinstance(preview, PdfPreviewDialog) and "A2.1" in preview.windowTitle()
    preview.reject()
