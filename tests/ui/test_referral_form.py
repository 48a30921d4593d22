"""The referral slip form: opened after a visit marked "refer", prefilled from the visit and the
patient, checked field by field in Vietnamese, saved in one go with the next number of the year,
then previewed (QtPdf), printed through the print dialog's seam and saved as a PDF."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication

from station_app import clock
from station_app.domain.referral import format_number
from station_app.store import referrals, visits
from station_app.ui import pdf_preview
from station_app.ui.forms.referral_form import ReferralForm, edit_referral, new_referral
from station_app.ui.forms.visit_form import VisitForm
from station_app.ui.pdf_preview import PdfPreviewDialog

FACILITY = "Bệnh viện Đa khoa tỉnh Phú Thọ"


def pdf_text(path: Path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return " ".join(unicodedata.normalize("NFC", "\n".join(p.extract_text() for p in reader.pages)).split())


def next_number(store) -> str:
    year = clock.today().year
    seqs = [int(r.number[:6]) for r in referrals.book(store) if r.number.endswith(f"/{year}/PCCSKBCB")]
    return format_number(max(seqs, default=0) + 1, year)


@pytest.fixture
def printed_to(tmp_path: Path):
    """The print dialog answered by printing to a PDF file; yields the files printed."""
    files: list[Path] = []

    def answer(printer: QPrinter, parent) -> bool:
        target = tmp_path / f"printed-{len(files) + 1}.pdf"
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(target))
        files.append(target)
        return True

    pdf_preview.print_dialog = answer
    try:
        yield files
    finally:
        pdf_preview.print_dialog = None


def test_a_visit_marked_refer_opens_the_slip_prefilled_and_saving_numbers_it(
    session, nurse, visit_form: VisitForm, adult, answers
) -> None:
    store = session.store
    expected = next_number(store)
    form = visit_form
    nurse.type(form.bp, "185/115")
    nurse.type(form.complaint, "Đau đầu dữ dội, nhìn mờ")
    nurse.type(form.diagnosis, "I10")
    nurse.click(form.referred)
    assert form.referred.isChecked()
    answers.yes = True  # "save anyway?" for the very high blood pressure
    nurse.ctrl(form.diagnosis, Qt.Key.Key_S)
    nurse.qtbot.waitUntil(lambda: not form.isVisible())
    visit = visits.for_patient(store, adult.id)[0]
    assert visit.referred

    slip = nurse.dialog(ReferralForm)
    assert slip.visit_id == visit.id
    # Prefilled from the patient and the visit, all editable.
    assert slip.patient_name.text() == adult.full_name
    assert slip.icd_main.text() == "I10"
    assert slip.diagnosis.text() == visit.diagnosis_text
    assert "Đau đầu dữ dội, nhìn mờ" in slip.clinical_signs.text()
    assert "185/115" in slip.clinical_signs.text()
    assert slip.birth_year.text() == str(adult.birth.year)
    assert slip.transfer_at.dateTime().toPython() == clock.now()
    assert QApplication.focusWidget() is slip.receiving_facility

    nurse.type(slip.receiving_facility.lineEdit(), FACILITY)
    nurse.click(slip.reason_buttons["1b"])
    nurse.type(slip.condition, "Tỉnh, huyết áp 180/110 mmHg")
    nurse.ctrl(slip.condition, Qt.Key.Key_S)
    nurse.closed(slip)

    saved = slip.result_referral
    assert saved is not None and saved.number == expected
    stored = referrals.get(store, saved.id)
    assert stored.receiving_facility == FACILITY
    assert stored.reason == "1b"
    assert stored.condition == "Tỉnh, huyết áp 180/110 mmHg"
    assert stored.patient_id == adult.id

    # The slip opens in the preview, one A4 page.
    preview = nurse.dialog(PdfPreviewDialog)
    assert preview.page_count() == 1
    assert expected in preview.windowTitle()
    preview.reject()

    # The book shows the new slip; the patient's page has it on its Referrals tab.
    book = session.window.show_area("referrals")
    numbers = [r.number for r in book.model.rows()]
    assert expected in numbers
    page = session.window.views["patients"].page
    tab = next(page.tabs.widget(i) for i in range(page.tabs.count()) if page.tabs.tabText(i) == "Chuyển tuyến")
    assert tab.model.rows()[0].number == expected


def test_missing_fields_are_named_beside_them_in_vietnamese(session, nurse, adult) -> None:
    before = len(referrals.book(session.store))
    form = new_referral(session.ctx, adult, None, session.window)
    nurse.dialog(ReferralForm)
    form.preview_after_save = False
    nurse.ctrl(form.patient_name, Qt.Key.Key_S)
    assert form.isVisible(), "nothing is saved while fields are missing"
    assert len(referrals.book(session.store)) == before
    facility = form.boxes["receiving_facility"].problem
    reason = form.boxes["reason"].problem
    diagnosis = form.boxes["diagnosis"].problem
    assert facility.isVisible() and "Nhập cơ sở khám bệnh, chữa bệnh nơi chuyển người bệnh đến." in facility.text()
    assert reason.isVisible() and "Chọn lý do chuyển cơ sở khám bệnh, chữa bệnh." in reason.text()
    assert diagnosis.isVisible() and "Nhập chẩn đoán." in diagnosis.text()
    assert QApplication.focusWidget() is form.receiving_facility, "the cursor goes to the first problem"
    assert "3" in form.summary.text()

    nurse.type(form.receiving_facility.lineEdit(), FACILITY)
    nurse.type(form.diagnosis, "Đau bụng cấp")
    nurse.type(form.icd_main, "R10.0")
    form.birth_year.clear()
    nurse.type(form.birth_year, "19x5")
    nurse.click(form.reason_buttons["2"])
    nurse.ctrl(form.diagnosis, Qt.Key.Key_S)
    assert form.isVisible()
    assert "Ghi năm sinh bằng bốn chữ số" in form.boxes["birth_year"].problem.text()
    form.birth_year.clear()
    nurse.type(form.birth_year, "1975")
    nurse.ctrl(form.diagnosis, Qt.Key.Key_S)
    nurse.closed(form)
    assert len(referrals.book(session.store)) == before + 1
    assert form.result_referral.reason == "2" and form.result_referral.birth_year == 1975


def test_a_wrong_icd_code_is_refused(session, nurse, adult) -> None:
    form = new_referral(session.ctx, adult, None, session.window)
    nurse.dialog(ReferralForm)
    nurse.type(form.icd_main, "XYZ")
    form.refresh()
    assert "XYZ không phải là mã ICD-10" in form.boxes["diagnosis"].problem.text()
    nurse.ctrl(form.icd_main, Qt.Key.Key_S)
    assert form.isVisible() and form.result_referral is None
    nurse.qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    focus = QApplication.focusWidget()
    assert focus is form.receiving_facility  # the first problem: no facility yet
    nurse.type(form.receiving_facility.lineEdit(), FACILITY)
    nurse.type(form.diagnosis, "Sốt xuất huyết")
    nurse.click(form.reason_buttons["1a"])
    nurse.ctrl(form.icd_main, Qt.Key.Key_S)
    assert QApplication.focusWidget() is form.icd_main, "the wrong code is the problem left"


def test_escape_asks_before_throwing_away_changes(session, nurse, adult, answers) -> None:
    form = new_referral(session.ctx, adult, None, session.window)
    nurse.dialog(ReferralForm)
    nurse.type(form.receiving_facility.lineEdit(), "Bệnh viện huyện")
    answers.yes = False
    nurse.press(form.receiving_facility, Qt.Key.Key_Escape)
    assert answers.titles("question") == ["Bỏ phiếu đang nhập?"]
    assert form.isVisible()
    answers.yes = True
    nurse.press(form.receiving_facility, Qt.Key.Key_Escape)
    nurse.closed(form)
    assert not form.isVisible()

    untouched = new_referral(session.ctx, adult, None, session.window)
    nurse.dialog(ReferralForm)
    asked = len(answers.asked)
    nurse.press(untouched.receiving_facility, Qt.Key.Key_Escape)
    nurse.closed(untouched)
    assert len(answers.asked) == asked, "nothing typed: Esc closes without a question"


def test_tab_walks_the_fields_in_the_forms_order(session, nurse, adult) -> None:
    form = new_referral(session.ctx, adult, None, session.window)
    nurse.dialog(ReferralForm)
    expected = [form.receiving_facility_code, form.patient_name, form.sex, form.birth_year, form.ethnicity,
                form.address, form.nationality]
    for widget in expected:
        nurse.press(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is widget
    form.diagnosis.setFocus()
    for widget in (form.icd_main, form.icd_extra, form.procedures):
        nurse.press(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is widget, QApplication.focusWidget().placeholderText()


def test_a_correction_keeps_the_number(session, nurse) -> None:
    store = session.store
    row = next(r for r in referrals.book(store) if r.status == "issued")
    count = len(referrals.book(store))
    form = edit_referral(session.ctx, row.id, session.window)
    nurse.dialog(ReferralForm)
    form.preview_after_save = False
    assert row.number in form.windowTitle()
    form.direction.clear()
    nurse.type(form.direction, "Khám chuyên khoa tim mạch")
    nurse.ctrl(form.direction, Qt.Key.Key_S)
    nurse.closed(form)
    stored = referrals.get(store, row.id)
    assert stored.number == row.number
    assert stored.direction == "Khám chuyên khoa tim mạch"
    assert len(referrals.book(store)) == count, "a correction is not a new slip"


def test_preview_prints_through_the_dialog_seam_and_counts_copies(
    session, nurse, printed_to, tmp_path: Path
) -> None:
    store = session.store
    row = next(r for r in referrals.book(store) if r.status == "issued")
    before = row.printed_count
    view = session.window.show_area("referrals")
    view.set_period(None, None)
    view.select(row.id)
    preview = view.preview()
    assert nurse.dialog(PdfPreviewDialog) is preview
    assert preview.document.pageCount() == 1
    assert preview.view.zoomMode() == QPdfView.ZoomMode.FitToWidth
    nurse.click(preview.whole_page)
    assert preview.view.zoomMode() == QPdfView.ZoomMode.FitInView

    nurse.ctrl(preview.print_button, Qt.Key.Key_P)
    assert len(printed_to) == 1 and printed_to[0].read_bytes().startswith(b"%PDF")
    assert PdfReader(io.BytesIO(printed_to[0].read_bytes())).pages, "the printer got a page"
    after = next(r for r in referrals.book(store) if r.id == row.id)
    assert after.printed_count == before + 1
    nurse.click(preview.print_button)
    assert len(printed_to) == 2
    assert "bản sao" in preview.status.text()

    target = tmp_path / "slip.pdf"
    pdf_preview.choose_path = lambda parent, title, suggested: str(target)
    try:
        nurse.click(preview.save_button)
    finally:
        pdf_preview.choose_path = None
    text = pdf_text(target)
    assert row.full_name in text and row.number in text
    assert "PHIẾU CHUYỂN CƠ SỞ KHÁM BỆNH, CHỮA BỆNH BẢO HIỂM Y TẾ" in text


def test_new_referral_from_the_patient_page_tab(session, nurse, adult) -> None:
    from station_app.store.station import staff

    session.ctx.open_patient.emit(adult.id)
    page = session.window.views["patients"].page
    titles = [page.tabs.tabText(i) for i in range(page.tabs.count())]
    tab = page.tabs.widget(titles.index("Chuyển tuyến"))
    page.tabs.setCurrentWidget(tab)
    nurse.click(tab.new_button)
    form = nurse.dialog(ReferralForm)
    assert form.patient_name.text() == adult.full_name
    today = [v for v in visits.for_patient(session.store, adult.id) if v.visit_at.date() == clock.today()]
    assert form.visit_id == (max(today, key=lambda v: v.visit_at).id if today else None)
    names = [form.clinician_name.itemText(i) for i in range(form.clinician_name.count())]
    assert {m.full_name for m in staff(session.store, clinicians=True)} <= set(names)
    assert form.signer_name.text() == session.ctx.profile.head_name
