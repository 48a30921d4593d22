"""Hồ sơ BHYT, the claims register in the app: last month's insured visits, "Check" naming what
holds a visit back, writing the files into a folder, the portal's answer typed in, the month's
totals saved; a nurse sees the register and checks it but cannot write claims."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from station_app import clock
from station_app.reports import claims as claims_report
from station_app.reports.claims import file_name
from station_app.store import claims as store_claims
from station_app.store.errors import NotPermitted
from station_app.ui.context import Change
from station_app.ui.views.claims import ClaimsView


@pytest.fixture
def register(session) -> ClaimsView:
    view = session.window.show_area("claims")
    assert isinstance(view, ClaimsView)
    return view


def column(view: ClaimsView, n: int) -> list[str]:
    return [view.table.item(row, n).text() for row in range(view.table.rowCount())]


def test_check_write_answer_and_the_months_totals(register: ClaimsView, tmp_path: Path, monkeypatch, qtbot) -> None:
    view = register
    assert view.table.rowCount() == len(view.rows) > 0
    assert set(column(view, 3)) == {"Chưa kiểm tra"}
    with qtbot.waitSignal(view.checked_all, timeout=30000):
        view.check_button.click()
        assert not view.check_button.isEnabled()  # off the GUI thread: the register waits for it
    statuses = column(view, 3)
    assert "Sẵn sàng" in statuses
    assert all(s in ("Sẵn sàng", "Giữ lại") for s in statuses)
    for status, reason in zip(statuses, column(view, 6), strict=True):
        assert bool(reason) == (status == "Giữ lại")  # a held-back visit says why, in Vietnamese
    # Checking writes nothing, not even in the register.
    assert {r.status for r in store_claims.register(view.ctx.store, view.start.date(), view.end.date())} == {""}

    folder = tmp_path / "claims"
    monkeypatch.setattr(view, "choose_folder", lambda: str(folder))
    heard: list[object] = []
    view.ctx.changed.connect(lambda kinds, who: heard.append(kinds))
    with qtbot.waitSignal(view.written, timeout=30000):
        view.write_button.click()
    assert any(Change.CLAIMS in kinds for kinds in heard)  # other views hear of the register's change
    written = [r for r in view.rows if r.status == "written"]
    assert written and sorted(p.name for p in folder.iterdir()) == sorted(file_name(r.ma_lk) for r in written)
    assert all(s in ("Đã xuất", "Giữ lại") for s in column(view, 3))

    row = next(n for n, r in enumerate(view.rows) if r.status == "written")
    view.table.selectRow(row)
    monkeypatch.setattr(view, "ask_reason", lambda: "Sai mã bệnh")
    view.refused_button.click()
    assert column(view, 6)[row] == "Bị từ chối: Sai mã bệnh"
    (saved,) = [r for r in store_claims.register(view.ctx.store, view.start.date(), view.end.date())
                if r.visit_id == view.rows[row].visit_id]
    assert (saved.answer, saved.answer_reason) == ("refused", "Sai mã bệnh")

    opened: list[int] = []
    view.ctx.open_patient.connect(opened.append)
    view.open_button.click()  # a card to correct: the patient's page
    assert opened == [view.rows[row].patient_id]

    pdf = tmp_path / "month.pdf"
    monkeypatch.setattr(view, "choose_file", lambda suffix: str(pdf))
    view.pdf_button.click()
    assert pdf.read_bytes().startswith(b"%PDF")


def test_a_nurse_checks_the_claims_and_sees_why_one_is_held_but_writes_no_file(
        make_session, demo_copy: Path, qtbot) -> None:
    session = make_session(demo_copy, role="nurse")
    view = session.window.show_area("claims")
    assert isinstance(view, ClaimsView)
    assert view.table.rowCount() > 0
    assert not view.write_button.isVisible() and view.check_button.isVisible()
    qtbot.keyClick(view, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: bool(view.checked), timeout=20000)
    held = [problems for problems, *_rest in view.checked.values() if problems]
    assert held and all("XML" not in p for problems in held for p in problems)
    checked = claims_report.run(session.store, *view.period(), None)  # the command's --check, as the nurse
    assert {o.status for o in checked} == {"ready", "held"}
    with pytest.raises(NotPermitted):  # the files stay the head's and the administrator's
        claims_report.run(session.store, *view.period(), demo_copy.parent / "claims-out")
    assert not (demo_copy.parent / "claims-out").exists()


def test_the_head_enters_staff_numbers_and_a_new_price_in_settings(session, monkeypatch) -> None:
    from PySide6.QtWidgets import QTableWidgetItem

    from station_app.ui.views.claims_settings import ClaimsSettings

    view = session.window.show_area("settings")
    (section,) = view.findChildren(ClaimsSettings)
    section.staff.setItem(0, 1, QTableWidgetItem("009999/PT-CCHN"))
    section.save_staff()
    assert session.store.scalar("SELECT cchn FROM staff WHERE id = ?", (section.staff.item(0, 0).data(0x0100),)) == (
        "009999/PT-CCHN"
    )
    before = len(store_claims.services(session.store, with_history=True))
    section.code.setText("MA_KHAM_TYT")
    section.name.setText("Khám bệnh tại Trạm Y tế xã")
    section.price.setValue(38000)
    section.valid_from.set_date(clock.today() + dt.timedelta(days=1))
    section.save_service()
    history = store_claims.services(session.store, with_history=True)
    assert len(history) == before + 1 and section.services.rowCount() == len(history)
    assert [s.price for s in store_claims.services(session.store) if s.code == "MA_KHAM_TYT"] == [38000]


def test_unchecked_placeholder_codes_are_marked_in_the_claims_settings(session) -> None:
    from station_app.ui.views.claims_settings import ClaimsSettings

    view = session.window.show_area("settings")
    (section,) = view.findChildren(ClaimsSettings)
    department, district = section.unchecked["department_code"], section.unchecked["district_code"]
    assert section.fields["department_code"].text() == "K01"  # the demo station keeps the placeholder
    assert department.text() == "mã chưa đối chiếu" and department.isVisibleTo(section)
    assert "K01" in department.toolTip() and "BHXH" in department.toolTip()
    assert district.isVisibleTo(section) and "01/07/2025" in district.toolTip()
    exam = [section.services.item(n, 0) for n in range(section.services.rowCount())]
    marked = [item.text() for item in exam if "mã chưa đối chiếu" in item.text()]
    assert marked and all(text.startswith("MA_KHAM_TYT") for text in marked)
    assert not [item.text() for item in exam if item.text().startswith("MA_THAYBANG") and "chưa" in item.text()]
    section.fields["department_code"].setText("K33")  # the code the social-insurance office gave
    assert not department.isVisibleTo(section)
    section.save_codes()
    assert store_claims.station_info(session.store).department_code == "K33"
    assert district.isVisibleTo(section)  # how districts are written since 2025 is still unchecked


def test_the_register_says_which_placeholder_codes_the_files_carry(register: ClaimsView) -> None:
    view = register
    assert view.unchecked.isVisibleTo(view)
    assert "K01, MA_KHAM_TYT" in view.unchecked.text() and "chưa đối chiếu" in view.unchecked.text()
    store_claims.save_settings(view.ctx.store, department_code="K33")
    view.reload()
    assert "K01" not in view.unchecked.text() and "MA_KHAM_TYT" in view.unchecked.text()


def test_a_ten_digit_card_and_the_visit_category_are_fixed_from_the_register(
    register: ClaimsView, monkeypatch, qtbot
) -> None:
    view = register
    store = view.ctx.store
    row = 0
    visit_id, patient_id = view.rows[row].visit_id, view.rows[row].patient_id
    store.conn.execute(
        "UPDATE patients SET insurance_no = '2512345678', insurance_group = '', insurance_benefit = '' WHERE id = ?",
        (patient_id,),
    )
    with qtbot.waitSignal(view.checked_all, timeout=30000):
        view.check()
    assert "chỉ có mã số 10 chữ số" in view.table.item(row, 6).text()
    view.table.selectRow(row)
    monkeypatch.setattr(view, "ask_card", lambda current: "gd4")
    with qtbot.waitSignal(view.checked_all, timeout=30000):  # checked again at once
        view.card_button.click()
    card = store.scalar("SELECT insurance_group || insurance_benefit FROM patients WHERE id = ?", (patient_id,))
    assert card == "GD4"
    assert view.table.item(row, 3).text() == "Sẵn sàng"

    view.table.selectRow(row)
    monkeypatch.setattr(view, "ask_category", lambda choices, current: choices[0])  # 1.1, at the card's rate
    with qtbot.waitSignal(view.checked_all, timeout=30000):
        view.category_button.click()
    assert store.scalar("SELECT claim_category FROM visits WHERE id = ?", (visit_id,)) == "1.1"


def test_a_folder_that_cannot_be_written_is_said_and_the_register_stays_usable(
    register: ClaimsView, tmp_path: Path, monkeypatch, qtbot
) -> None:
    from station_app.ui import dialogs

    view = register
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(view, "choose_folder", lambda: str(blocker / "claims"))
    with qtbot.waitSignal(view.failed, timeout=30000) as failed:
        view.write_button.click()
    assert "a-file" in failed.args[0]
    assert dialogs.shown[-1][0] == "error"
    assert view.write_button.isEnabled() and view.check_button.isEnabled()
    assert {r.status for r in store_claims.register(view.ctx.store, view.start.date(), view.end.date())} == {""}


def _held_row(view: ClaimsView, visit_id: int) -> int:
    row = next(n for n, r in enumerate(view.rows) if r.visit_id == visit_id)
    view.table.selectRow(row)
    return row


def test_a_missing_cchn_is_fixed_in_one_step_from_the_message(register: ClaimsView, nurse, qtbot) -> None:
    """F2 on a visit held back for its clinician's CCHN: Cài đặt, the CCHN column of the staff table."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from station_app.ui.views.claims_settings import ClaimsSettings

    view = register
    store = view.ctx.store
    store.conn.execute("UPDATE staff SET cchn = ''")
    with qtbot.waitSignal(view.checked_all, timeout=30000):
        view.check()
    row = _held_row(view, view.rows[0].visit_id)
    assert "CCHN" in view.table.item(row, 6).text()
    assert view.detail.text().startswith("Giữ lại vì: ") and "CCHN" in view.detail.text()  # the whole message
    assert view.fix_button.text() == "Nhập số CCHN trong Cài đặt… (F2)"
    view.table.setFocus()
    nurse.press(view.table, Qt.Key.Key_F2)
    window = view.window()
    assert window.current_area() == "settings"
    (section,) = window.views["settings"].findChildren(ClaimsSettings)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is section.staff)
    assert section.staff.currentColumn() == 1  # the CCHN number, ready to be typed


def test_an_expired_card_opens_the_patients_form_and_held_rows_can_be_shown_alone(
    register: ClaimsView, nurse, qtbot
) -> None:
    from PySide6.QtCore import Qt

    from station_app.ui.forms.patient_form import PatientForm

    view = register
    store = view.ctx.store
    target = view.rows[3]
    store.conn.execute("UPDATE patients SET insurance_valid_to = '2020-12-31' WHERE id = ?", (target.patient_id,))
    with qtbot.waitSignal(view.checked_all, timeout=30000):
        view.check()
    view.held_only.setChecked(True)
    assert view.table.rowCount() == len(view.rows) > 0
    assert set(column(view, 3)) == {"Giữ lại"}  # only the visits to fix
    assert "lượt khám BHYT" in view.summary.text()  # the totals are still the period's
    _held_row(view, target.visit_id)
    assert "31/12/2020" in view.detail.text()
    assert view.fix_button.text() == "Sửa thẻ BHYT trong hồ sơ bệnh nhân… (F2)"
    nurse.press(view.table, Qt.Key.Key_F2)
    form = nurse.dialog(PatientForm)
    assert form.original is not None and form.original.id == target.patient_id
    form.reject()


def test_a_visit_held_in_an_earlier_run_is_checked_again_then_fixed(
    register: ClaimsView, tmp_path: Path, monkeypatch, qtbot
) -> None:
    """The register remembers only the message of a visit held in an earlier run: "Fix…" checks the
    period again and then leads to the fix, still in one step."""
    view = register
    store = view.ctx.store
    target = view.rows[0]
    store.conn.execute(
        "UPDATE patients SET insurance_no = '2512345678', insurance_group = '', insurance_benefit = '' WHERE id = ?",
        (target.patient_id,),
    )
    monkeypatch.setattr(view, "choose_folder", lambda: str(tmp_path / "claims"))
    with qtbot.waitSignal(view.written, timeout=30000):
        view.write_files()
    view.checked = {}
    view.fix_fields = {}
    view.reload()
    _held_row(view, target.visit_id)
    assert view.fix_button.text() == "Sửa lỗi… (F2)" and view.fix_button.isEnabled()
    # The longest of the fix button's words still leaves the window within a 1366-pixel screen.
    from station_app.i18n import tr
    from station_app.ui.views.claims import FIX_TITLES

    window = view.window()
    for title in FIX_TITLES.values():
        view.fix_button.setText(tr(title) + " (F2)")
        assert window.minimumSizeHint().width() <= 1366 - 200, title  # (with room for a larger text size)
    view._update_buttons()
    asked: list[str] = []
    monkeypatch.setattr(view, "ask_card", lambda current: asked.append(current) or "HN4")
    with qtbot.waitSignal(view.checked_all, timeout=30000):
        view.fix_button.click()
    qtbot.waitUntil(lambda: bool(asked))  # the card's dialog, once the check said what to fix
    qtbot.waitUntil(lambda: not view.busy(), timeout=30000)  # and checked again once fixed
    card = store.scalar("SELECT insurance_group || insurance_benefit FROM patients WHERE id = ?", (target.patient_id,))
    assert card == "HN4"


def test_a_new_price_is_typed_with_thousands_separators_in_dong(session) -> None:
    from station_app.ui.views.claims_settings import ClaimsSettings

    (section,) = session.window.show_area("settings").findChildren(ClaimsSettings)
    section.price.setValue(38000)
    assert section.price.text() == "38.000 đồng"


def test_the_claims_settings_show_whole_names_codes_and_the_facility_code(session) -> None:
    """Names, CCHN numbers and service names were cut ("Nguyễn Vă…", "000001/PT-…") beside a wide
    empty last column; the facility code the claims need is shown with where it is changed."""
    from station_app.ui.views.claims_settings import ClaimsSettings

    (section,) = session.window.show_area("settings").findChildren(ClaimsSettings)
    session.window.resize(1366, 768)
    for table, columns in ((section.staff, (0, 1)), (section.services, (0, 1))):
        metrics = table.fontMetrics()
        for row in range(table.rowCount()):
            for column in columns:
                text = table.item(row, column).text()
                assert table.columnWidth(column) >= metrics.horizontalAdvance(text), text
    code = store_claims.station_info(session.store).facility_code
    assert section.facility.text().startswith(code) and "Thông tin trạm" in section.facility.text()
