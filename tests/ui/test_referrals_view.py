"""Chuyển tuyến, the referral book view: this month by default, every slip of a period with its
number, outcome and status; recording an outcome and cancelling from the view; opening the
patient; reprinting a slip; the book of the period as a PDF previewed in the app."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter

from station_app import clock
from station_app.domain.referral import parse_number
from station_app.store import referrals
from station_app.store.station import load_profile
from station_app.ui import dialogs, pdf_preview
from station_app.ui.context import Change
from station_app.ui.pdf_preview import PdfPreviewDialog
from station_app.ui.views.referrals import CancelDialog, OutcomeDialog, ReferralBookModel, ReferralsView


@pytest.fixture
def book(session) -> ReferralsView:
    view = session.window.show_area("referrals")
    assert isinstance(view, ReferralsView)
    view.set_period(None, None)  # the whole book: the demo's slips are spread over the years
    return view


@pytest.fixture
def fill():
    """``fill(fn)``: answer the next small dialog with ``fn(dialog) -> bool`` instead of showing it."""
    def use(fn) -> None:
        dialogs.fill = fn

    yield use
    dialogs.fill = None


def issue_today(session, adult, facility: str = "Bệnh viện Đa khoa tỉnh Phú Thọ") -> referrals.Referral:
    slip = referrals.prefill(adult, None, load_profile(session.store), clock.today())
    slip = dataclasses.replace(slip, receiving_facility=facility, diagnosis="Đau ngực", icd_main="R07.4",
                               reason="1a")
    issued = referrals.issue(session.store, slip)
    session.ctx.notify({Change.REFERRALS})
    return issued


def cells(view: ReferralsView, referral_id: int) -> list[str]:
    row = view.model.row_of(referral_id)
    assert row is not None, "the slip is not in the book shown"
    return [view.model.index(row, c).data() for c in range(view.model.columnCount())]


def test_the_model_passes_the_model_tester(session, qtmodeltester) -> None:
    model = ReferralBookModel()
    model.set_rows(referrals.book(session.store), clock.today())
    assert model.rowCount() >= 3
    qtmodeltester.check(model, force_py=True)
    model.set_rows([], clock.today())
    qtmodeltester.check(model, force_py=True)


def test_opens_on_this_month_with_the_number_patient_and_outcome(session, adult) -> None:
    view = session.window.show_area("referrals")
    today = clock.today()
    assert view.start.date() == today.replace(day=1)
    assert view.end.date().month == today.month and (view.end.date() + dt.timedelta(days=1)).day == 1
    assert all(r.issued_at.date().month == today.month for r in view.model.rows())

    issued = issue_today(session, adult)
    m = ReferralBookModel
    row = cells(view, issued.id)
    assert row[m.NUMBER] == issued.number
    assert row[m.PATIENT] == adult.full_name
    assert row[m.DESTINATION] == "Bệnh viện Đa khoa tỉnh Phú Thọ"
    assert row[m.REASON] == "1a"
    assert row[m.STATUS] == "Đã cấp"
    assert row[m.OUTCOME] == "Đã chuyển"
    assert row[m.VALID] == issued.valid_until().strftime("%d/%m/%Y")
    assert [view.model.headerData(c, Qt.Orientation.Horizontal) for c in (m.NUMBER, m.OUTCOME)] == [
        "Số phiếu", "Kết quả"]


def test_record_feedback_from_the_view_and_see_the_row_change(session, book, adult, nurse, fill) -> None:
    issued = issue_today(session, adult)
    book.select(issued.id)
    m = ReferralBookModel

    def feedback(dialog: OutcomeDialog) -> bool:
        dialog.choose("feedback", clock.today(), "Đã mổ ruột thừa, ra viện ổn định")
        return True

    fill(feedback)
    nurse.ctrl(book.table, Qt.Key.Key_R)
    assert cells(book, issued.id)[m.OUTCOME] == "Đã nhận phản hồi"
    stored = referrals.get(session.store, issued.id)
    assert (stored.outcome, stored.feedback, stored.feedback_on) == (
        "feedback", "Đã mổ ruột thừa, ra viện ổn định", clock.today())
    assert "Đã nhận phản hồi" in book.status.text()
    # the "did they go?" follow-up is done
    assert not session.store.query(
        "SELECT id FROM followups WHERE rule = ? AND status = 'open'", (f"referral:{issued.id}",))


def test_feedback_needs_its_summary_and_a_date_not_before_the_slip(session, book, adult, fill) -> None:
    issued = issue_today(session, adult)
    book.select(issued.id)
    seen: list[str] = []

    def no_summary(dialog: OutcomeDialog) -> bool:
        dialog.choose("feedback", clock.today(), "")
        dialog.accept()
        seen.append(dialog.problem.text())
        dialog.choose("arrived", clock.today() - dt.timedelta(days=3))
        dialog.accept()
        seen.append(dialog.problem.text())
        return False  # then Cancel

    fill(no_summary)
    assert not book.record_outcome()
    assert seen[0] == "Ghi tóm tắt thông tin phản hồi."
    assert seen[1].startswith("Ngày này không thể trước ngày cấp phiếu")
    assert referrals.get(session.store, issued.id).outcome == "sent"


def test_arrived_and_not_gone(session, book, adult, fill) -> None:
    m = ReferralBookModel
    first = issue_today(session, adult)
    second = issue_today(session, adult, "Trung tâm Y tế khu vực")
    book.select(first.id)
    fill(lambda d: d.choose("arrived") or True)
    assert book.record_outcome()
    book.select(second.id)
    fill(lambda d: d.choose("not_gone") or True)
    assert book.record_outcome()
    assert cells(book, first.id)[m.OUTCOME] == "Đã đến nơi"
    assert cells(book, second.id)[m.OUTCOME] == "Không đi"
    assert referrals.get(session.store, first.id).arrived_on == clock.today()


def test_cancel_keeps_the_number_and_the_next_slip_does_not_reuse_it(session, book, adult, fill) -> None:
    m = ReferralBookModel
    issued = issue_today(session, adult)
    book.select(issued.id)
    fill(lambda d: d.accept() or False)  # OK with no reason: refused, then Cancel
    assert not book.cancel_slip()
    assert referrals.get(session.store, issued.id).status == "issued"

    def with_reason(dialog: CancelDialog) -> bool:
        dialog.reason.setText("Người bệnh xin điều trị tại trạm")
        return True

    fill(with_reason)
    assert book.cancel_slip()
    row = cells(book, issued.id)
    assert row[m.NUMBER] == issued.number
    assert row[m.STATUS] == "Đã hủy"
    assert row[m.OUTCOME] == ""
    stored = referrals.get(session.store, issued.id)
    assert stored.status == "cancelled" and stored.cancel_reason == "Người bệnh xin điều trị tại trạm"
    assert not book.outcome_button.isEnabled() and not book.cancel_button.isEnabled()
    assert book.preview_button.isEnabled(), "a cancelled slip can still be looked at"

    after = issue_today(session, adult)
    seq, year = parse_number(issued.number)
    assert parse_number(after.number) == (seq + 1, year)


def test_enter_opens_the_patient(session, book, adult, nurse) -> None:
    issued = issue_today(session, adult)
    book.select(issued.id)
    book.table.setFocus()
    nurse.press(book.table, Qt.Key.Key_Return)
    registry = session.window.views["patients"]
    assert session.window.current_area() == "patients"
    assert registry.stack.currentWidget() is registry.page
    assert registry.page.patient.id == adult.id


def test_print_the_book_of_the_period_as_a_pdf(session, book, nurse, qtbot, tmp_path: Path) -> None:
    rows = referrals.book(session.store)
    years = sorted({r.issued_at.year for r in rows})
    start, end = dt.date(years[-1], 1, 1), dt.date(years[-1], 12, 31)
    book.set_period(start, end)
    shown = book.model.rows()
    assert shown and all(start <= r.issued_at.date() <= end for r in shown)
    nurse.click(book.book_button)
    preview = nurse.dialog(PdfPreviewDialog)
    assert preview.page_count() >= 1
    target = tmp_path / "so.pdf"
    pdf_preview.choose_path = lambda parent, title, suggested: str(target)
    try:
        nurse.click(preview.save_button)
    finally:
        pdf_preview.choose_path = None
    reader = PdfReader(io.BytesIO(target.read_bytes()))
    text = " ".join(unicodedata.normalize("NFC", "\n".join(p.extract_text() for p in reader.pages)).split())
    assert "SỔ CHUYỂN CƠ SỞ KHÁM BỆNH, CHỮA BỆNH" in text
    assert f"Từ ngày 01/01/{years[-1]} đến ngày 31/12/{years[-1]}" in text
    names = {r.full_name for r in shown}
    assert any(not n.isascii() for n in names), "the demo's names have diacritics"
    for name in names:
        assert name in text
    for r in shown:  # the number prints as "000001/2025/" over "PCCSKBCB"
        assert r.number.rsplit("/", 1)[0] + "/" in text
    outside = [r for r in rows if r.issued_at.year != years[-1]]
    assert outside and all(r.number.rsplit("/", 1)[0] + "/" not in text for r in outside)


def test_reprint_from_the_book_is_counted_as_a_copy(session, book, nurse, tmp_path: Path) -> None:
    row = next(r for r in book.model.rows() if r.status == "issued")
    book.select(row.id)
    def to_file(printer: QPrinter, parent) -> bool:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(tmp_path / "p.pdf"))
        return True

    pdf_preview.print_dialog = to_file
    try:
        nurse.ctrl(book.table, Qt.Key.Key_P)
        preview = nurse.dialog(PdfPreviewDialog)
        assert preview.print_document()
        assert preview.print_document()
    finally:
        pdf_preview.print_dialog = None
    assert "bản sao" in preview.status.text()
    assert next(r for r in referrals.book(session.store) if r.id == row.id).printed_count == row.printed_count + 2
    assert (tmp_path / "p.pdf").read_bytes().startswith(b"%PDF")


def test_the_patient_tab_lists_the_patients_slips(session, adult, nurse) -> None:
    issued = issue_today(session, adult)
    session.ctx.open_patient.emit(adult.id)
    page = session.window.views["patients"].page
    titles = [page.tabs.tabText(i) for i in range(page.tabs.count())]
    assert "Chuyển tuyến" in titles
    tab = page.tabs.widget(titles.index("Chuyển tuyến"))
    assert tab.model.rows()[0].number == issued.number
    assert all(r.patient_id == adult.id for r in tab.model.rows())


def test_a_nurse_records_outcomes_but_only_the_head_corrects_a_slip(make_session, demo_copy) -> None:
    nurse_session = make_session(demo_copy, role="nurse")
    view = nurse_session.window.show_area("referrals")
    view.set_period(None, None)
    row = next(r for r in view.model.rows() if r.status == "issued")
    view.select(row.id)
    assert view.outcome_button.isEnabled() and view.cancel_button.isEnabled()
    assert not view.edit_button.isEnabled()
    assert view.edit_button.toolTip() == "Chỉ trạm trưởng mới được sửa phiếu đã cấp."
    preview = view.preview()
    assert preview.print_button.isEnabled(), "a nurse prints slips"
