"""The main screens around one damaged JSON cell (the cases of tests/safety/test_damaged_json.py):
the patient page, the visit book, the claims register, the referral book and its slip, the monthly
report. Each shows its records; the one thing that cannot be read is said by name in a message.
Nothing reaches error.log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from station_app import paths
from station_app.domain.monthly import Month
from station_app.ui.forms.referral_form import preview_slip
from station_app.ui.views.claims import ClaimsView
from station_app.ui.views.referrals import ReferralsView
from station_app.ui.views.reports import ReportsView
from station_app.ui.views.visit_log import VisitLogView
from tests.safety.test_damaged_json import REFERRAL, SENT, damage_demo


@pytest.fixture
def damaged(make_session, demo_copy: Path, tmp_path: Path):
    ids = damage_demo(demo_copy, tmp_path)
    session = make_session(demo_copy)
    yield session, ids
    assert not paths.error_log().exists(), paths.error_log().read_text()[-2000:]


def test_the_patient_page_shows_every_visit(damaged) -> None:
    session, ids = damaged
    session.ctx.open_patient.emit(ids["patient"])
    page = session.window.views["patients"].page
    count = int(session.store.scalar("SELECT count(*) FROM visits WHERE patient_id = ?", (ids["patient"],)))
    assert page.history.rowCount() == count > 0


def test_the_visit_book_lists_the_visit(damaged) -> None:
    session, ids = damaged
    view = session.window.show_area("visits")
    assert isinstance(view, VisitLogView)
    view.start.setDate(dt.date(2025, 10, 28))
    view.end.setDate(dt.date(2025, 10, 28))
    view.refresh()
    assert ids["patient"] in [view.model.patient_id_at(row) for row in range(view.model.rowCount())]


def test_the_claims_register_says_to_check_again(damaged) -> None:
    session, ids = damaged
    view = session.window.show_area("claims")
    assert isinstance(view, ClaimsView)
    view.reload()
    reasons = {view.rows[n].visit_id: view.table.item(n, 6).text() for n in range(view.table.rowCount())}
    assert "Không đọc được kết quả kiểm tra lần trước" in reasons[ids["claimed"]]


def test_the_referral_book_prints_and_the_damaged_slip_is_named(damaged, answers, qtbot) -> None:
    session, ids = damaged
    view = session.window.show_area("referrals")
    assert isinstance(view, ReferralsView)
    view.set_period(dt.date(2025, 10, 1), dt.date(2025, 10, 31))
    assert REFERRAL in [r.number for r in view.model.rows()]
    assert preview_slip(session.ctx, ids["referral"], view) is None
    [(kind, _title, text)] = answers.asked
    assert kind == "error" and REFERRAL in text and "bị hỏng" in text
    operation = view.print_book()
    assert operation is not None
    qtbot.waitUntil(lambda: view.book_preview is not None, timeout=20000)


def test_the_monthly_report_names_the_damaged_copy_and_computes_the_next_month(damaged, answers, qtbot) -> None:
    session, _ids = damaged
    view = session.window.show_area("reports")
    assert isinstance(view, ReportsView)
    view.set_month(SENT)
    with qtbot.waitSignal(view.failed, timeout=20000) as failed:
        view.generate()
    assert "09/2025" in failed.args[0] and "bị hỏng" in failed.args[0]
    view.set_month(Month(2025, 10))
    with qtbot.waitSignal(view.loaded, timeout=20000):
        view.generate()
    assert view.summary is not None and view.summary.month == Month(2025, 10)
