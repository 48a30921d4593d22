"""Accounts in the app: the login (a wrong password said in place, the lockout), the first head
account of a new station, what a nurse does not get, managing users, the audit log view, a
patient's access history, amending a visit, merging duplicates, and the idle lock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel

from station_app.domain.dates import PartialDate
from station_app.domain.patient import Patient
from station_app.store import audit, corrections, open_store, patients, users, visits
from station_app.ui import dialogs
from station_app.ui.app import LoginCancelled, Session, ensure_app
from station_app.ui.login import FirstAccountDialog, LockDialog, LoginDialog
from station_app.ui.views.amendments import AmendVisitDialog, CorrectionsTab, VisitHistoryDialog
from station_app.ui.views.audit_log import AccessHistoryTab, AuditLogDialog
from station_app.ui.views.merge import MergeDialog
from station_app.ui.views.users import NewUserDialog, UsersSection

WRONG = "Sai tên đăng nhập hoặc mật khẩu."


@pytest.fixture
def demo_store(demo_copy: Path):
    store = open_store(demo_copy)
    yield store
    store.close()


def _try(nurse, dialog: LoginDialog, username: str, password: str) -> None:
    dialog.username.clear()
    dialog.password.clear()
    nurse.type(dialog.username, username)
    nurse.type(dialog.password, password)
    nurse.click(dialog.ok_button)


def new_nurse_account(dialog: QDialog) -> None:
    """Fill the new-account dialog for Lê Thị Hồng, a nurse, as the head would."""
    assert isinstance(dialog, NewUserDialog)
    dialog.full_name.setText("Lê Thị Hồng")
    dialog.username.setText("hong.nhs")
    dialog.role.setCurrentIndex(dialog.role.findData("nurse"))
    dialog.password.setText("hong-2025-x")


def test_wrong_password_is_said_in_the_dialog_which_stays_open(qtbot, nurse, demo_store) -> None:
    dialog = LoginDialog(demo_store)
    qtbot.addWidget(dialog)
    dialog.open()
    _try(nurse, dialog, "yta.mai", "not-it")
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.message.isVisible() and dialog.message.text() == WRONG
    assert dialog.password.text() == "" and dialog.user is None
    _try(nurse, dialog, "nobody", "demo-yta")
    assert dialog.message.text() == WRONG  # an unknown name reads the same
    _try(nurse, dialog, "yta.mai", "demo-yta")
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Accepted
    assert demo_store.actor.username == "yta.mai"


def test_five_wrong_passwords_lock_the_account(qtbot, nurse, demo_store, now: dt.datetime) -> None:
    dialog = LoginDialog(demo_store)
    qtbot.addWidget(dialog)
    dialog.open()
    for _ in range(4):
        _try(nurse, dialog, "truong", "guess")
        assert dialog.message.text() == WRONG
    _try(nurse, dialog, "truong", "guess")
    until = (now + dt.timedelta(minutes=5)).strftime("%H:%M")
    assert dialog.message.text() == f"Nhập sai mật khẩu quá nhiều lần: tài khoản bị khóa đến {until}. Hãy thử lại sau."
    _try(nurse, dialog, "truong", "demo-truong")  # the right one, while locked
    assert dialog.isVisible() and "bị khóa" in dialog.message.text()
    failed = audit.entries(demo_store, audit.Filter(action=audit.FAILED_LOGIN))
    assert len(failed) == 6 and failed[0].details["reason"] == "locked"


def _started(make_session, session: Session) -> Session:
    make_session.started.append(session)  # closed with the others at the end of the test
    session.window.show()
    return session


def test_the_app_opens_after_the_login(make_session, demo_copy: Path, read_log) -> None:
    def fill(dialog: QDialog) -> bool:
        assert isinstance(dialog, LoginDialog)
        dialog.username.setText("yta.mai")
        dialog.password.setText("demo-yta")
        return True

    dialogs.fill = fill
    try:
        session = _started(make_session, Session(ensure_app(), demo_copy, "vi"))
    finally:
        dialogs.fill = None
    assert session.store.actor.username == "yta.mai"
    badge = session.window.findChild(QLabel, "user_badge")
    assert badge.text() == "Người dùng: Trần Thị Mai (Điều dưỡng / y sĩ)"
    assert read_log(session.store)[0].action == audit.LOGIN


def test_quitting_at_the_login_opens_nothing(qapp, demo_copy: Path) -> None:
    dialogs.fill = lambda dialog: False
    try:
        with pytest.raises(LoginCancelled):
            Session(ensure_app(), demo_copy, "vi")
    finally:
        dialogs.fill = None


def test_a_new_station_creates_the_head_account_first(make_session, tmp_path: Path) -> None:
    path = tmp_path / "new-station.sqlite3"
    asked: list[str] = []

    def fill(dialog: QDialog) -> bool:
        assert isinstance(dialog, FirstAccountDialog)
        dialog.full_name.setText("Hoàng Thị Lan")
        dialog.username.setText("lan.truong")
        dialog.password.setText("mat-khau-tram")
        dialog.repeat.setText("mat-khau-tram" if asked else "khac-han")
        asked.append(dialog.message.text())
        return True

    dialogs.fill = fill
    try:
        with pytest.raises(LoginCancelled):  # the two passwords differ: refused
            Session(ensure_app(), path, "vi")
        session = _started(make_session, Session(ensure_app(), path, "vi"))
    finally:
        dialogs.fill = None
    assert session.store.actor.username == "lan.truong" and session.store.actor.role == "head"
    [user] = users.all_users(session.store)
    assert user.full_name == "Hoàng Thị Lan"


def test_a_nurse_gets_no_user_management_merge_or_amendment(make_session, demo_copy: Path, answers,
                                                            nurse) -> None:
    session = make_session(demo_copy, role="nurse")
    assert session.store.actor.role == "nurse"
    settings_view = session.window.show_area("settings")
    assert not settings_view.findChildren(UsersSection)
    registry = session.window.show_area("patients")
    assert "Merge duplicates…" not in registry.list.action_buttons  # not offered, not refused after a click
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, MergeDialog) and w.isVisible()]
    patient_id = visits.recent_patient_ids(session.store, 1)[0]
    registry.open_patient(patient_id)
    registry.page.history.selectRow(0)
    assert "Amend…" not in registry.page.visit_buttons
    assert answers.asked == []


def test_the_head_adds_and_deactivates_an_account(session, answers, nurse) -> None:
    section = session.window.show_area("settings").findChild(UsersSection)
    assert section is not None
    names = [section.table.item(r, 0).text() for r in range(section.table.rowCount())]
    assert names == ["quantri", "truong", "yta.mai"]

    def fill(dialog: QDialog) -> bool:
        new_nurse_account(dialog)
        return True

    dialogs.fill = fill
    try:
        nurse.click(section.buttons["add"])
    finally:
        dialogs.fill = None
    row = [section.table.item(r, 0).text() for r in range(section.table.rowCount())].index("hong.nhs")
    assert section.table.item(row, 2).text() == "Điều dưỡng / y sĩ"
    section.table.selectRow(row)
    answers.yes = True
    nurse.click(section.buttons["active"])
    row = [section.table.item(r, 0).text() for r in range(section.table.rowCount())].index("hong.nhs")
    assert section.table.item(row, 3).text() == "đã khóa"
    assert not users.by_username(session.store, "hong.nhs").active  # type: ignore[union-attr]
    changes = [e.details["change"] for e in audit.entries(session.store, audit.Filter(action=audit.MANAGE_USERS))]
    assert changes[:2] == ["deactivated", "created"]


def test_the_audit_log_view_filters_and_finds_an_edit(session, nurse, adult, qtbot) -> None:
    session.ctx.open_patient.emit(adult.id)
    section = session.window.show_area("settings").findChild(UsersSection)
    nurse.click(section.audit_button)
    dialog = nurse.dialog(AuditLogDialog)
    view = dialog.view
    view.action.setCurrentIndex(view.action.findData(audit.VIEW_PATIENT))
    assert view.table.rowCount() >= 1
    assert {view.table.item(r, 3).text() for r in range(view.table.rowCount())} == {"Xem hồ sơ người bệnh"}
    view.action.setCurrentIndex(0)
    nurse.type(view.patient, adult.record_no or "")
    nurse.click(view.apply_button)
    assert view.table.rowCount() >= 1
    assert {view.table.item(r, 5).text() for r in range(view.table.rowCount())} == {
        f"{adult.record_no} {adult.full_name}"}
    view.user.setCurrentIndex(view.user.findData("yta.mai"))
    assert view.table.rowCount() == 0
    nurse.click(view.verify_button)  # on a worker thread
    qtbot.waitUntil(lambda: "nguyên vẹn" in view.status.text())
    assert view.verify_button.isEnabled()
    # Someone with the file edits an entry behind the app's back.
    conn = session.store.conn
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET username = 'khac' WHERE id = 3")
    nurse.click(view.verify_button)
    qtbot.waitUntil(lambda: "đã bị sửa" in view.status.text())
    assert view.status.text() == "Nhật ký truy cập đã bị sửa tại mục 3: nội dung đã bị sửa sau khi ghi."


def test_a_list_the_command_line_printed_is_in_the_audit_log_view(session, nurse, capsys) -> None:
    from station_app.cli import main

    assert main(["referrals", "--db", str(session.store.path), "--from", "2025-01-01", "--to", "2025-11-20"]) == 0
    rows = len(capsys.readouterr().out.splitlines())
    section = session.window.show_area("settings").findChild(UsersSection)
    nurse.click(section.audit_button)
    view = nurse.dialog(AuditLogDialog).view
    view.action.setCurrentIndex(view.action.findData(audit.EXPORT))
    latest = [view.table.item(0, c).text() for c in range(view.table.columnCount())]
    assert latest[1:5] == ["system", "Người vận hành tại máy (dòng lệnh)", "Xuất dữ liệu", "dòng lệnh referrals"]
    assert {"từ ngày: 01/01/2025", "đến ngày: 20/11/2025", f"số dòng: {rows}"} <= set(latest[6].split("; "))


def test_the_patient_sees_who_opened_their_record(session, adult) -> None:
    session.ctx.open_patient.emit(adult.id)
    page = session.window.views["patients"].page
    titles = [page.tabs.tabText(i) for i in range(page.tabs.count())]
    tab = page.tabs.widget(titles.index("Lịch sử truy cập"))
    assert isinstance(tab, AccessHistoryTab)
    first = [tab.table.item(0, c).text() for c in range(tab.table.columnCount())]
    assert first[1:4] == ["truong", "Trạm trưởng", "Xem hồ sơ người bệnh"]


def test_amending_a_visit_keeps_the_old_one_readable(session, nurse, adult) -> None:
    session.ctx.open_patient.emit(adult.id)
    page = session.window.views["patients"].page
    page.history.selectRow(0)
    visit_id = page.selected_visit_id()
    before = visits.get(session.store, visit_id)
    assert before is not None

    def amend(dialog: QDialog) -> bool:
        assert isinstance(dialog, AmendVisitDialog)
        dialog.edits["treatment"].setText("Paracetamol 500mg x 3 ngày")
        dialog.reason.setPlainText("Ghi thiếu thuốc đã cấp")
        return True

    dialogs.fill = amend
    try:
        nurse.click(page.visit_buttons["Amend…"])
    finally:
        dialogs.fill = None
    assert visits.get(session.store, visit_id).treatment == "Paracetamol 500mg x 3 ngày"  # type: ignore[union-attr]
    assert page.history.item(0, 4).text() == "Paracetamol 500mg x 3 ngày"  # the page shows the new version
    assert page.history.item(0, 0).text().endswith(" ✎")  # and that it was corrected
    assert page.history.item(0, 0).toolTip() == "Đã đính chính 1 lần: xem Lịch sử…"
    assert not page.history.item(1, 0).text().endswith("✎")
    seen: list[list[str]] = []

    def read(dialog: QDialog) -> bool:
        assert isinstance(dialog, VisitHistoryDialog)
        seen.extend([dialog.table.item(r, c).text() for c in range(dialog.table.columnCount())]
                    for r in range(dialog.table.rowCount()))
        return False

    dialogs.fill = read
    page.history.selectRow(0)
    try:
        nurse.click(page.visit_buttons["History…"])
    finally:
        dialogs.fill = None
    assert seen == [["2", seen[0][1], "Nguyễn Văn Hùng", "Ghi thiếu thuốc đã cấp", "Điều trị",
                     before.treatment or "—", "Paracetamol 500mg x 3 ngày"]]
    # The patient's Corrections tab lists it too.
    titles = [page.tabs.tabText(i) for i in range(page.tabs.count())]
    tab = page.tabs.widget(titles.index("Đính chính"))
    assert isinstance(tab, CorrectionsTab) and tab.table.rowCount() == 1
    row = [tab.table.item(0, c).text() for c in range(tab.table.columnCount())]
    assert row[1].startswith("lượt khám ") and row[2:] == [
        "Nguyễn Văn Hùng", "Ghi thiếu thuốc đã cấp", "Điều trị", before.treatment or "—", "Paracetamol 500mg x 3 ngày"]


def test_a_reason_is_needed_to_amend(session, adult) -> None:
    visit = visits.for_patient(session.store, adult.id)[0]
    dialog = AmendVisitDialog(session.ctx, visit, session.window)
    dialog.edits["pulse"].setText("bảy mươi")
    dialog.accept()
    assert dialog.message.text() == "Mạch: hãy nhập một số."
    dialog.edits["pulse"].setText("72")
    dialog.accept()
    assert dialog.message.text() == "Ghi lý do đính chính."
    dialog.reject()


def test_merging_two_records_from_the_registry_and_undoing_it(session, nurse, answers) -> None:
    store = session.store
    kept_id, duplicate_id = visits.recent_patient_ids(store, 2)
    kept, duplicate = patients.get(store, kept_id), patients.get(store, duplicate_id)
    assert kept and duplicate
    moved_visits = {v.id for v in visits.for_patient(store, duplicate_id)}
    registry = session.window.show_area("patients")
    count = patients.count(store)
    nurse.click(registry.list.action_buttons["Merge duplicates…"])
    dialog = nurse.dialog(MergeDialog)
    dialog.kept.setText(kept.record_no or "")
    dialog.duplicate.setText(duplicate.record_no or "")
    assert dialog.kept_label.text().startswith(kept.full_name)
    dialog.reason.setText("Đăng ký hai lần")
    answers.yes = True
    nurse.click(dialog.merge_button)
    nurse.closed(dialog)
    assert patients.count(store) == count - 1
    assert registry.list.model.rowCount() == count - 1
    assert moved_visits <= {v.id for v in visits.for_patient(store, kept_id)}

    nurse.click(registry.list.action_buttons["Merge duplicates…"])
    dialog = nurse.dialog(MergeDialog)
    assert dialog.undo_table.rowCount() == 1
    dialog.undo_table.selectRow(0)
    dialog.reason.setText("Hai người khác nhau")
    nurse.click(dialog.undo_button)
    assert patients.count(store) == count
    assert {v.id for v in visits.for_patient(store, duplicate_id)} == moved_visits
    assert corrections.recent_merges(store) == []
    dialog.reject()


def test_find_duplicates_lists_a_slipped_registration_and_fills_the_merge(session, nurse, answers) -> None:
    store = session.store
    found = [p for p in patients.search(store, "Trần Thị Thủy") if p.full_name == "Trần Thị Thủy"]
    # (registered when the demo's draw of names has not made her)
    meant = found[0] if found else patients.insert(store, Patient("Trần Thị Thủy", "2", PartialDate(1975)))
    assert meant.birth is not None
    slipped = patients.insert(store, Patient("Tran Thi Thuyr", "2", PartialDate(meant.birth.year)))
    registry = session.window.show_area("patients")
    nurse.click(registry.list.action_buttons["Merge duplicates…"])
    dialog = nurse.dialog(MergeDialog)
    assert not dialog.found_table.isVisible()
    nurse.click(dialog.find_button)
    table = dialog.found_table
    assert table.isVisible() and table.rowCount() >= 1
    rows = [[table.item(r, c).text() for c in range(3)] for r in range(table.rowCount())]
    row = next(r for r, cells in enumerate(rows) if "Tran Thi Thuyr" in cells[1])
    assert rows[row][0].startswith(meant.record_no or "") and "Trần Thị Thủy" in rows[row][0]
    assert rows[row][2] == "Trùng họ tên (kể cả gõ sai một chữ), cùng năm sinh"
    table.selectRow(row)
    assert dialog.kept.text() == meant.record_no and dialog.duplicate.text() == slipped.record_no
    dialog.reject()


def test_the_idle_lock_asks_for_the_password_again(session, qtbot) -> None:
    lock = session.idle_lock
    assert lock.minutes == 10  # the default
    asked: list[str] = []

    def fill(dialog: QDialog) -> bool:
        assert isinstance(dialog, LockDialog)
        asked.append(dialog.windowTitle())
        dialog.password.setText("demo-truong")
        return True

    dialogs.fill = fill
    try:
        lock.timer.start(5)  # as if ten quiet minutes had passed
        qtbot.waitUntil(lambda: bool(asked))
    finally:
        dialogs.fill = None
    assert asked == ["Đã khóa — Trạm"] and not lock.locked and lock.timer.isActive()
    # Activity starts the quiet time again.
    lock.timer.start(60_000)
    qtbot.keyClick(session.window, Qt.Key.Key_Shift)
    assert lock.timer.remainingTime() > 60_000 * 5


def test_lock_now_from_the_status_bar(session, nurse) -> None:
    from PySide6.QtWidgets import QPushButton

    session.idle_lock.set_minutes(0)  # even with the idle lock off
    asked: list[QDialog] = []

    def fill(dialog: QDialog) -> bool:
        asked.append(dialog)
        dialog.password.setText("demo-truong")  # type: ignore[attr-defined]
        return True

    dialogs.fill = fill
    try:
        nurse.click(session.window.findChild(QPushButton, "lock_now"))
    finally:
        dialogs.fill = None
    assert len(asked) == 1 and isinstance(asked[0], LockDialog)
    assert not session.idle_lock.timer.isActive()


def test_a_wrong_password_does_not_open_the_lock(session) -> None:
    dialog = LockDialog(session.store, session.window)
    dialog.password.setText("no")
    dialog.accept()
    dialog.reject()  # Esc does nothing either
    assert dialog.message.text() == WRONG and dialog.result() != QDialog.DialogCode.Accepted
    dialog.password.setText("demo-truong")
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_a_referral_correction_keeps_the_old_slip_with_its_reason(session, nurse) -> None:
    from station_app.store import referrals
    from station_app.ui.forms.referral_form import ReferralForm, edit_referral

    store = session.store
    row = next(r for r in referrals.book(store) if r.status == "issued")
    old = referrals.get(store, row.id)
    assert old is not None
    form = edit_referral(session.ctx, row.id, session.window)
    nurse.dialog(ReferralForm)
    form.preview_after_save = False
    assert form.correction_reason.isVisible()
    nurse.type(form.correction_reason, "Ghi nhầm hướng điều trị")
    form.direction.clear()
    nurse.type(form.direction, "Khám chuyên khoa thận")
    nurse.ctrl(form.direction, Qt.Key.Key_S)
    nurse.closed(form)
    [fix] = [a for a in corrections.for_patient(store, row.patient_id) if a.entity == "referral"]
    assert (fix.label, fix.reason, fix.author) == (row.number, "Ghi nhầm hướng điều trị", "Nguyễn Văn Hùng")
    assert ("direction", old.direction, "Khám chuyên khoa thận") in fix.changes


def test_changing_ones_own_password_from_the_status_bar(session, nurse, answers) -> None:
    from PySide6.QtWidgets import QPushButton

    from station_app.ui.login import ChangePasswordDialog

    tries: list[str] = []

    def fill(dialog: QDialog) -> bool:
        assert isinstance(dialog, ChangePasswordDialog) and dialog.own
        dialog.current.setText("wrong" if not tries else "demo-truong")
        dialog.new.setText("mat-khau-moi-1")
        dialog.repeat.setText("mat-khau-moi-1")
        tries.append(dialog.message.text())
        return True

    button = session.window.findChild(QPushButton, "change_password")
    dialogs.fill = fill
    try:
        nurse.click(button)  # the current password is wrong: refused, nothing changes
        nurse.click(button)
    finally:
        dialogs.fill = None
    assert answers.asked[-1][2] == "Đã đổi mật khẩu."
    users.logout(session.store)
    with pytest.raises(users.LoginFailed):
        users.login(session.store, "truong", "demo-truong")
    users.login(session.store, "truong", "mat-khau-moi-1")


def test_the_idle_time_is_set_in_the_settings(session, nurse) -> None:
    section = session.window.show_area("settings").findChild(UsersSection)
    section.idle.setValue(3)
    nurse.click(section.buttons["idle"])
    assert users.idle_lock_minutes(session.store) == 3
    assert session.idle_lock.minutes == 3 and session.idle_lock.timer.interval() == 3 * 60_000
    section.idle.setValue(0)
    nurse.click(section.buttons["idle"])
    assert not session.idle_lock.timer.isActive()
    assert section.idle.text() == "không khóa"


def test_a_new_diagnosis_code_brings_its_name(session, adult) -> None:
    visit = visits.for_patient(session.store, adult.id)[0]
    dialog = AmendVisitDialog(session.ctx, visit, session.window)
    dialog.edits["diagnosis_code"].setText("j06.9" if visit.diagnosis_code != "J06.9" else "i10")
    dialog.reason.setPlainText("Chọn nhầm mã")
    dialog.accept()
    saved = dialog.saved
    assert saved is not None and dialog.result() == QDialog.DialogCode.Accepted
    from station_app.store import icd10

    assert saved.diagnosis_text == icd10.get(session.store, saved.diagnosis_code).name_vi  # type: ignore[union-attr]


def test_someone_else_at_a_locked_screen_switches_user(session, monkeypatch) -> None:
    """(The lock itself: tests/ui/test_screen_lock.py.) Nobody logs in after "Switch user": Trạm closes."""
    quits: list[bool] = []
    monkeypatch.setattr(QApplication, "quit", staticmethod(lambda: quits.append(True)))
    session.login = lambda store: None

    def fill(dialog: QDialog) -> bool:
        assert isinstance(dialog, LockDialog)
        dialog.switch_button.click()
        return False

    dialogs.fill = fill
    try:
        session.idle_lock.lock()
    finally:
        dialogs.fill = None
    assert quits == [True]
