"""The head enters 2026's target population in Cài đặt, then in Báo cáo chooses the year 2026
instead of a month: the yearly report is computed, its coverage is against that target, and it
prints and exports as a month's does.

From ``tests/reports/station_march.py`` (2026 to early April): hepatitis B birth doses — Oanh,
Phúc: 2; measles 1 — Khang, Nam: 2; fully immunised before the first birthday — Khang: 1.
Target: 40 children under 1 → 2/40 = 5 %, 1/40 = 2.5 % → 3 %."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QTableWidget

from station_app import clock
from station_app.domain.monthly import Month
from station_app.store import epi_targets
from station_app.ui.pdf_preview import PdfPreviewDialog
from station_app.ui.views import reports as reports_view
from station_app.ui.views.epi_targets import EpiTargetsBox
from station_app.ui.views.reports import KEY_ROLE, ReportsView
from tests.reports.station_march import REPORT_DAY, build


@pytest.fixture
def march_file(tmp_path: Path) -> Path:
    path = tmp_path / "march.sqlite3"
    build(path)
    return path


def value(table: QTableWidget, key: str) -> str:
    for row in range(table.rowCount()):
        for column in range(1, table.columnCount()):
            item = table.item(row, column)
            if item is not None and item.data(KEY_ROLE) == key:
                return item.text()
    raise AssertionError(key)


def test_the_head_enters_targets_and_computes_the_yearly_report(make_session, march_file, qtbot, answers,
                                                                tmp_path, monkeypatch) -> None:
    with clock.pinned(REPORT_DAY):
        session = make_session(march_file, role="head")
        settings = session.window.show_area("settings")
        box = settings.findChild(EpiTargetsBox)
        assert box is not None and box.save_button.isVisibleTo(box)
        box.year.setValue(2026)
        box.counts["u1"].setValue(40)
        box.counts["pregnant"].setValue(45)
        box.save()
        assert epi_targets.targets(session.store, 2026) == {"u1": 40, "pregnant": 45}

        view = session.window.show_area("reports")
        assert isinstance(view, ReportsView)
        view.period_kind.setCurrentIndex(view.period_kind.findData("year"))
        view.month.setDate(view.month.date().addYears(2026 - view.month.date().year()))
        assert view.selected_month() == Month.year_of(2026)
        assert view.month.displayFormat() == "yyyy"
        assert view.title.text() == "Báo cáo năm"
        with qtbot.waitSignal(view.loaded, timeout=20000):
            view.generate()
        assert view.summary is not None and view.summary.month == Month.year_of(2026)
        table = view.tables["immunisation"]
        assert [table.horizontalHeaderItem(i).text() for i in (1, 2)] == ["Năm nay", "Năm trước"]
        assert value(table, "epi.target/u1/total") == "40"
        assert value(table, "epi.coverage_given/hepb0/total") == "2"
        assert value(table, "epi.coverage_given/measles1/total") == "2"
        assert value(table, "epi.coverage/hepb0/total") == "5"
        assert value(table, "epi.coverage/full_u1/total") == "3"
        assert value(table, "epi.coverage/bcg/total") == "0"

        preview = view.preview_pdf()
        assert isinstance(preview, PdfPreviewDialog) and preview.page_count() >= 1
        assert "2026" in preview.windowTitle()
        preview.reject()
        target = tmp_path / "year.xlsx"
        monkeypatch.setattr(reports_view, "choose_save_path", lambda *_args: str(target))
        assert view.export("xlsx") == target and target.stat().st_size > 0
        assert view.export("dhis2") == target
        assert '"period": "2026"' in target.read_text(encoding="utf-8")


def test_enter_in_a_target_saves_the_targets(make_session, march_file, nurse, answers) -> None:
    from PySide6.QtCore import Qt

    session = make_session(march_file, role="head")
    box = session.window.show_area("settings").findChild(EpiTargetsBox)
    box.year.setValue(2027)
    spin = box.counts["u1"]
    spin.setFocus()
    spin.lineEdit().selectAll()
    nurse.type(spin.lineEdit(), "1234")
    nurse.press(spin.lineEdit(), Qt.Key.Key_Return)
    assert epi_targets.targets(session.store, 2027)["u1"] == 1234
    assert spin.text() == "1.234"  # thousands grouped the Vietnamese way
