"""A background operation belongs to the person who started it. When that person logs out
("Log out", or "Switch user" on the lock) while it still runs, nothing of it reaches the next person
at the screen: not its progress, not its result ("file written to …"), not its error. What it wrote
is audited under the name of the person who started it; a failure goes to error.log. The same person
unlocking the screen still hears of their own operation."""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication, QDialog, QProgressDialog, QPushButton, QWidget

from station_app import paths
from station_app.domain.accounts import Actor
from station_app.store import audit, open_store, patients
from station_app.store.database import Store
from station_app.ui import background, data_io, dialogs, export_dialog, login, operations
from station_app.ui.app import Session
from station_app.ui.context import Change
from station_app.ui.login import LockDialog
from station_app.ui.views import backups
from tests.ui.conftest import summary_tab

WAIT = 30  # seconds a gate waits at most (a test that fails must not hang)


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """Holds the test's operation until the test releases it (released at the end in any case)."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture(autouse=True)
def _no_file_dialogs() -> Iterator[None]:
    yield
    export_dialog.ask_save_path = None
    data_io.ask_summary_path = None


def audit_entries(store: Store, action: str) -> list[audit.Entry]:
    """The audit log read as the local operator (the nurse now logged in may not read it), newest first."""
    other = open_store(store.path, verify=False)
    try:
        return audit.entries(other, audit.Filter(action=action))
    finally:
        other.close()


def log_out_for_nurse(session: Session) -> Actor:
    """The head clicks "Log out" in the status bar; a nurse logs in."""
    session.login = login.as_role("nurse")
    session.window.findChild(QPushButton, "log_out").click()
    assert session.store.actor.role == "nurse"
    return session.store.actor


def lock_and(session: Session, answer: Callable[[LockDialog], bool]) -> None:
    """"Khóa màn hình" clicked; ``answer`` does what the person at the lock does (True: accept)."""

    def fill(dialog: QDialog) -> bool:
        assert isinstance(dialog, LockDialog), dialog
        return answer(dialog)

    dialogs.fill = fill
    try:
        session.window.findChild(QPushButton, "lock_now").click()
    finally:
        dialogs.fill = None


def switch_on_the_lock_for_nurse(session: Session) -> Actor:
    """The head locks the screen; a nurse comes, "Switch user", logs in."""
    session.login = login.as_role("nurse")
    lock_and(session, lambda dialog: dialog.switch_button.click() or False)
    assert session.store.actor.role == "nurse"
    return session.store.actor


def progress_shown() -> list[QProgressDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QProgressDialog) and w.isVisible()]


def held(fn: Callable[..., object], gate: threading.Event) -> Callable[..., object]:
    """``fn``, waiting for ``gate`` first (the slow part of a long operation)."""

    def wait_then(*args: object, **kwargs: object) -> object:
        assert gate.wait(WAIT)
        return fn(*args, **kwargs)

    return wait_then


def test_the_record_summary_saved_after_the_head_logged_out_is_not_announced_to_the_nurse(
        session, nurse, qtbot, tmp_path, monkeypatch, answers, gate) -> None:
    """The head saves a patient's record summary as PDF, and logs out while it is written: the
    nurse who logs in is not told "File saved: …/ho-so-….pdf"; the head, logging in again later,
    neither (it was their session's); the print is audited under the head's name."""
    from station_app.printing import patient_summary

    head = session.store.actor
    pid, tab = summary_tab(session)
    target = tmp_path / "ho-so.pdf"
    data_io.ask_summary_path = lambda parent, suggested: str(target)
    monkeypatch.setattr(patient_summary, "write_summary", held(patient_summary.write_summary, gate))
    nurse.click(tab.button)
    assert tab._op.running

    log_out_for_nurse(session)
    gate.set()
    qtbot.waitUntil(lambda: not tab._op.running, timeout=20_000)
    QApplication.processEvents()
    assert target.exists()  # the work was done…
    assert answers.asked == []  # …and the nurse is told nothing of it
    assert not progress_shown()
    entry = audit_entries(session.store, audit.PRINT)[0]
    assert (entry.username, entry.target) == (head.username, f"patient {pid}")

    session.login = login.as_role("head")  # the head again, later: a new session, nothing pops up
    session.window.findChild(QPushButton, "log_out").click()
    QApplication.processEvents()
    assert answers.asked == []


def test_an_export_failing_after_a_switch_on_the_lock_goes_to_error_log_not_to_the_nurse(
        session, nurse, qtbot, tmp_path, monkeypatch, answers, gate) -> None:
    """The head exports the patient list to a USB stick, locks the screen while it runs; a nurse
    switches in; the export then fails (the stick is full): the nurse sees no error about the head's
    file; the failure is in error.log."""
    from station_app.reports import exports

    target = tmp_path / "usb" / "benh-nhan-cua-truong-tram.xlsx"
    export_dialog.ask_save_path = lambda parent, suggested: str(target)

    def stick_full(*args: object, **kwargs: object) -> exports.ExportResult:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    monkeypatch.setattr(exports, "export", held(stick_full, gate))
    dialog = data_io.start_export(session.ctx, session.window)
    nurse.click(dialog.save_button)
    assert dialog._op.running

    switch_on_the_lock_for_nurse(session)
    gate.set()
    qtbot.waitUntil(lambda: not dialog._op.running, timeout=20_000)
    QApplication.processEvents()
    assert answers.asked == []
    assert not progress_shown()
    logged = paths.error_log().read_text(encoding="utf-8")
    assert "Đang xuất…" in logged and os.strerror(errno.ENOSPC) in logged


def test_the_progress_of_the_heads_operation_is_not_shown_to_the_nurse(
        session, qtbot, monkeypatch, answers, gate) -> None:
    """A slow operation's progress dialog (its title says what the head is doing) closes at the
    switch and does not come back while the operation goes on for the nurse."""
    monkeypatch.setattr(background, "SHOW_AFTER_MS", 0)  # (slow at once: the dialog is due now)
    reported, further = threading.Event(), threading.Event()

    def work(store: Store, progress: operations.Progress) -> int:
        progress(1, 3)
        assert gate.wait(WAIT)
        progress(2, 3)
        reported.set()
        assert further.wait(WAIT)
        return patients.count(store)

    op = operations.run_op(session.window, session.ctx, "Đang ghi 312 hồ sơ…", work,
                           lambda count: dialogs.info(session.window, "Xong", f"{count} hồ sơ"))
    log_out_for_nurse(session)
    QApplication.processEvents()
    assert not progress_shown()
    gate.set()  # more progress, after the switch
    assert reported.wait(WAIT)
    QApplication.processEvents()  # (the progress reported is handled)
    assert not progress_shown()
    further.set()
    qtbot.waitUntil(lambda: not op.running, timeout=20_000)
    QApplication.processEvents()
    assert not progress_shown() and answers.asked == []


def test_a_view_rebuilt_at_the_switch_leaves_its_operation_running_and_the_nurses_views_hear_the_change(
        session, qtbot, answers, gate) -> None:
    """The views are built afresh for the next person: the head's view that started the work is
    deleted meanwhile. The work still ends (the app does not stop), says nothing, and the views the
    nurse has open reload with what it changed."""
    view = session.window.stack.currentWidget()
    assert view is not None

    def work(store: Store, progress: operations.Progress) -> int:
        assert gate.wait(WAIT)
        return patients.count(store)

    op = operations.run_op(view, session.ctx, "…", work,
                           lambda count: dialogs.info(None, "Xong", f"{count} bệnh nhân"),
                           changes={Change.PATIENTS})
    log_out_for_nurse(session)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # the head's views are gone
    heard: list[str] = []
    nurses_view = QWidget()
    session.ctx.subscribe(nurses_view, {Change.PATIENTS}, lambda: heard.append("reload"))
    gate.set()
    qtbot.waitUntil(lambda: not op.running, timeout=20_000)
    QApplication.processEvents()
    assert answers.asked == []
    assert heard == ["reload"]


def test_the_automatic_backup_ending_after_a_switch_is_audited_as_the_person_logged_in_when_it_began(
        session, qtbot, monkeypatch, gate) -> None:
    """The start-up backup runs while the head logs out and a nurse logs in: its audit entry names
    the head (who was logged in when it began), and the nurse's status bar says nothing of it."""
    head = session.store.actor
    monkeypatch.setattr(backups, "run_backup", held(backups.run_backup, gate))
    op = session.backup_op = backups.start(session.store, session.window)
    assert op is not None

    log_out_for_nurse(session)
    gate.set()
    qtbot.waitUntil(lambda: not op.running, timeout=20_000)
    QApplication.processEvents()
    entry = audit_entries(session.store, "backup")[0]
    assert entry.username == head.username and entry.details["automatic"] is True
    made = Path(str(entry.details["file"]))
    assert made.name not in session.window.statusBar().currentMessage()


def test_the_same_person_unlocking_still_hears_of_their_operation(session, qtbot, answers, gate) -> None:
    """(Kept as it was.) An operation still running when its person locks the screen, ending after
    that person unlocked it, says what it has to say to them."""

    def work(store: Store, progress: operations.Progress) -> int:
        assert gate.wait(WAIT)
        return patients.count(store)

    op = operations.run_op(session.window, session.ctx, "…", work,
                           lambda count: dialogs.info(session.window, "Xong", f"Đã ghi {count} tệp"))

    lock_and(session, lambda dialog: dialog.password.setText("demo-truong") or True)  # (the head unlocks)
    gate.set()
    qtbot.waitUntil(lambda: not op.running, timeout=20_000)
    qtbot.waitUntil(lambda: bool(answers.asked))
    assert answers.asked == [("info", "Xong", f"Đã ghi {patients.count(session.store)} tệp")]


def test_a_restore_checked_after_a_switch_asks_the_nurse_nothing_and_its_staged_copy_is_deleted(
        session, qtbot, monkeypatch, answers, gate) -> None:
    """The head chose a backup to restore; while it is checked the head logs out and a nurse logs
    in: the nurse is not asked to replace the station's records with it, nothing is replaced, and
    the checked copy of the backup (every patient's record) does not stay on the disk."""
    from station_app.store import backup

    made = backups.run_backup(session.ctx.db_path, None).path
    staged: list[Path] = []
    real_stage = backup.stage_restore

    def stage(*args: object, **kwargs: object) -> Path:
        assert gate.wait(WAIT)
        path = real_stage(*args, **kwargs)  # type: ignore[arg-type]
        staged.append(path)
        return path

    monkeypatch.setattr(backup, "stage_restore", stage)
    asked: list[QDialog] = []
    monkeypatch.setattr(dialogs, "fill", lambda dialog: bool(asked.append(dialog)))
    store_before = session.ctx.store
    op = backups.restore_with_progress(session.window, session.ctx, made, None)

    log_out_for_nurse(session)
    gate.set()
    qtbot.waitUntil(lambda: not op.running, timeout=20_000)
    QApplication.processEvents()
    assert asked == [] and answers.asked == []
    assert session.ctx.store is store_before  # nothing restored
    assert staged and not staged[0].exists()


def test_a_switch_of_user_while_the_file_is_busy_still_logs_the_last_person_out(session, monkeypatch) -> None:
    """The log-out entry cannot be written (the file busy with a long import past the wait): the
    head is logged out all the same and the nurse logs in; the screen is never left open as the head."""
    from station_app.store import errors
    from station_app.store import users as users_store

    real = users_store.audit.record

    def busy(store, action, *args, **kwargs):  # type: ignore[no-untyped-def]
        if action == audit.LOGOUT:
            raise errors.Locked(store.path)
        return real(store, action, *args, **kwargs)

    monkeypatch.setattr(users_store.audit, "record", busy)
    nurse = switch_on_the_lock_for_nurse(session)
    assert nurse.role == "nurse" and session.window.isVisible()
    assert "log-out entry" in paths.error_log().read_text(encoding="utf-8")


def test_an_import_running_at_a_switch_of_user_is_saved_whole(session, nurse, qtbot, tmp_path, monkeypatch,
                                                               gate) -> None:
    """The wizard closes at the switch; the import it started (one write for the whole list) goes
    on and is saved whole, not rolled back by its closed page, and the nurse's views hear of it."""
    from openpyxl import load_workbook
    from PySide6.QtWidgets import QWizard

    from station_app.ui import import_wizard
    from station_app.ui.import_wizard import ImportWizard
    from tests.ui.test_import_wizard import next_page, station_list

    store = session.ctx.store
    registered = next(p for p in patients.get_many(store, patients.all_ids(store)).values() if p.citizen_id and p.birth)
    before = patients.count(store)
    source = station_list(tmp_path / "danh-sach.xlsx", registered)
    book = load_workbook(source)
    for n in range(450):  # (more than one chunk of progress inside the write)
        name = "Nguyễn Văn Thử " + "".join("abcdefghik"[int(d)] for d in f"{n:03d}")
        book["DS 2025"].append([10 + n, name, "Nam", "01/01/1990", "", "", "Thôn Mới", ""])
    book.save(source)
    monkeypatch.setattr(import_wizard, "ask_open_path", lambda parent: str(source))
    real_apply = import_wizard.apply
    monkeypatch.setattr(import_wizard, "apply", lambda *a, **k: gate.wait(WAIT) and real_apply(*a, **k))
    data_io.start_import(session.ctx, session.window)
    wizard = nurse.dialog(ImportWizard)
    wizard.file_page._browse()
    for page in (ImportWizard.SHEET, ImportWizard.ROWS, ImportWizard.MAPPING, ImportWizard.DATES,
                 ImportWizard.PREVIEW):
        next_page(nurse, qtbot, wizard, page)
    qtbot.waitUntil(lambda: wizard.preview is not None)
    wizard.preview_page.leave_out.setChecked(True)
    next_page(nurse, qtbot, wizard, ImportWizard.DUPLICATES)
    nurse.click(wizard.button(QWizard.WizardButton.NextButton))
    op = wizard.run_page._op
    assert op is not None and op.running
    switch_on_the_lock_for_nurse(session)
    heard: list[object] = []
    session.ctx.changed.connect(lambda kinds, initiator: heard.append(kinds))
    gate.set()
    qtbot.waitUntil(lambda: not op.running, timeout=20_000)
    qtbot.waitUntil(lambda: bool(heard))
    assert patients.count(session.store) > before + 400  # (saved, not rolled back; a few rows are held as look-alikes)
    assert not paths.error_log().exists()
