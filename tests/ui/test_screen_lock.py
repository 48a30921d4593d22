"""The screen lock ("Khóa màn hình" in the status bar, and the lock after a quiet while): every
window's content is covered (no name or phone shows behind the lock, not even in a title bar); the
lock says who locked it and whether by hand or after inactivity; it opens with that person's
password, or "Switch user" logs them out and shows the login. "Log out" is in the status bar too."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QPushButton, QWidget

from station_app.store import audit, open_store, users
from station_app.store.database import Store
from station_app.ui import dialogs, login
from station_app.ui.login import LockCover, LockDialog


def log_as_operator(store: Store) -> list[audit.Entry]:
    """The audit log read as the local operator (the nurse now logged in may not read it)."""
    other = open_store(store.path, verify=False)
    try:
        return audit.entries(other)
    finally:
        other.close()


def covered(window: QWidget) -> None:
    """Nothing of ``window`` shows: every point of it is an opaque cover; its title names no one."""
    covers = [c for c in window.findChildren(LockCover, options=Qt.FindChildOption.FindDirectChildrenOnly)
              if c.isVisible()]
    assert len(covers) == 1, window
    cover = covers[0]
    assert cover.geometry() == window.rect()
    assert cover.autoFillBackground()
    step, area = 25, window.rect()  # (a form's own "height" field hides QWidget.height)
    for x in range(0, area.width(), step):
        for y in range(0, area.height(), step):
            found = window.childAt(QPoint(x, y))
            assert found is not None and (found is cover or cover.isAncestorOf(found)), (x, y, found)
    assert window.windowTitle() == LockCover.title()


def visible_windows(but: QWidget | None = None) -> list[QWidget]:
    return [w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not but]


def lock_with(session, action: Callable[[LockDialog], bool], by_hand: bool = True) -> list[LockDialog]:
    """Lock the screen (by hand, or as after the quiet time) and let ``action`` answer the lock."""
    seen: list[LockDialog] = []

    def fill(dialog: QDialog) -> bool:
        if not isinstance(dialog, LockDialog):
            return login_fill(dialog)
        seen.append(dialog)
        return action(dialog)

    dialogs.fill = fill
    try:
        if by_hand:
            session.window.findChild(QPushButton, "lock_now").click()
        else:
            session.idle_lock.lock()
    finally:
        dialogs.fill = None
    return seen


def login_fill(dialog: QDialog) -> bool:
    raise AssertionError(f"unexpected dialog {dialog!r}")


def test_the_lock_covers_every_window_and_says_who_locked_it_by_hand(session, visit_form, adult, nurse) -> None:
    nurse.type(visit_form.complaint, "Ho khan")
    head = session.store.actor
    windows = visible_windows()
    assert session.window in windows and visit_form in windows
    assert any(adult.full_name in w.windowTitle() for w in windows)  # (until the lock)

    def check(dialog: LockDialog) -> bool:
        for window in visible_windows(but=dialog):
            covered(window)
        said = dialog.reason.text()
        assert head.full_name in said
        assert dialog.by_hand and dialog.reason.text() == dialog.reason_text()
        dialog.password.setText("demo-truong")
        return True

    (dialog,) = lock_with(session, check)
    assert "khóa" in dialog.reason.text().lower()
    # Open again: the windows show as they were, the typing kept.
    assert not [c for w in visible_windows() for c in w.findChildren(LockCover) if c.isVisible()]
    assert visit_form.isVisible() and visit_form.complaint.text() == "Ho khan"
    assert session.window.windowTitle().startswith("Trạm — ")
    assert session.store.actor.username == head.username


def test_the_lock_after_a_quiet_while_says_so(session) -> None:
    def check(dialog: LockDialog) -> bool:
        covered(session.window)
        assert not dialog.by_hand
        assert "10" in dialog.reason.text()  # "after 10 minutes without activity"
        dialog.password.setText("demo-truong")
        return True

    (dialog,) = lock_with(session, check, by_hand=False)
    by_hand_text = LockDialog(session.store, session.window, by_hand=True).reason_text()
    assert dialog.reason_text() != by_hand_text


def test_the_lock_texts_in_english(make_session, demo_copy) -> None:
    session = make_session(demo_copy, lang="en")
    name = session.store.actor.full_name
    by_hand = LockDialog(session.store, session.window, by_hand=True).reason_text()
    idle = LockDialog(session.store, session.window, by_hand=False, minutes=10).reason_text()
    assert f"locked by {name}" in by_hand and "inactivity" not in by_hand
    assert "after 10 minutes without activity" in idle and name in idle


def test_switch_user_logs_out_and_shows_the_login(session, visit_form) -> None:
    head = session.store.actor
    session.login = login.as_role("nurse")  # the next person at the desk

    def switch(dialog: LockDialog) -> bool:
        dialog.switch_button.click()
        return False

    lock_with(session, switch)
    nurse_actor = session.store.actor
    assert nurse_actor.role == "nurse" and nurse_actor.username != head.username
    assert not visit_form.isVisible()  # the head's open form is gone, not handed to the nurse
    assert session.window.isVisible()
    badge = session.window.findChild(QLabel, "user_badge")
    assert nurse_actor.full_name in badge.text() and head.full_name not in badge.text()
    entries = log_as_operator(session.store)
    logouts = [e for e in entries if e.action == audit.LOGOUT]
    assert logouts and logouts[0].username == head.username


def test_log_out_from_the_status_bar(session) -> None:
    head = session.store.actor
    session.login = login.as_role("nurse")
    session.window.findChild(QPushButton, "log_out").click()
    assert session.store.actor.role == "nurse"
    assert next(e for e in log_as_operator(session.store) if e.action == audit.LOGOUT).username == head.username


def test_nobody_logs_in_after_switching_the_app_ends(session, monkeypatch) -> None:
    quits: list[bool] = []
    monkeypatch.setattr(QApplication, "quit", staticmethod(lambda: quits.append(True)))
    session.login = lambda store: None  # "Quit" at the login

    def switch(dialog: LockDialog) -> bool:
        dialog.switch_button.click()
        return False

    lock_with(session, switch)
    assert quits == [True]
    assert not session.window.isVisible()
    assert session.store.actor.user_id is None  # logged out
    assert users.all_users(session.store)  # (nothing else changed)


def test_what_an_operation_says_when_it_ends_while_locked_waits_for_the_unlock(session, qtbot, answers) -> None:
    """A background operation (a month of claims written, a backup) that ends while the screen is
    locked opens nothing above the lock: its message (the names of what it did) waits, and shows
    once the person who locked it has unlocked."""
    from station_app.store import patients
    from station_app.ui import operations

    def work(store: Store, progress: Callable[[int, int], None]) -> int:
        return patients.count(store)

    def done(count: int) -> None:
        dialogs.info(session.window, "Xong", f"Đã ghi {count} tệp của tháng")

    seen_while_locked: list[tuple[str, str, str]] = []

    def while_locked(dialog: LockDialog) -> bool:
        op = operations.run_op(session.window, session.ctx, "…", work, done)
        qtbot.waitUntil(lambda: not op.running)
        QApplication.processEvents()
        seen_while_locked.extend(answers.asked)
        for window in visible_windows(but=dialog):
            covered(window)  # (and nothing new on screen that is not covered)
        dialog.password.setText("demo-truong")
        return True

    lock_with(session, while_locked)
    assert seen_while_locked == []
    qtbot.waitUntil(lambda: bool(answers.asked))
    assert answers.asked == [("info", "Xong", f"Đã ghi {patients.count(session.store)} tệp của tháng")]


def test_a_window_that_opens_while_locked_is_covered_too(session, qtbot) -> None:
    """Whatever opens a window while the screen is locked (not only an operation that ends), the
    window shows nothing: it is covered like the others until the lock opens."""
    late = QDialog(session.window)
    late.setWindowTitle("Nguyễn Văn An — 0905 000 000")
    late.resize(400, 300)
    QLabel("Nguyễn Văn An, 0905 000 000", late)

    def while_locked(dialog: LockDialog) -> bool:
        late.show()
        qtbot.waitExposed(late)
        covered(late)
        dialog.password.setText("demo-truong")
        return True

    lock_with(session, while_locked)
    assert late.isVisible() and late.windowTitle() == "Nguyễn Văn An — 0905 000 000"
    assert not [c for c in late.findChildren(LockCover) if c.isVisible()]
    late.close()


def test_what_an_operation_says_is_not_shown_to_the_next_person_after_a_switch(session, qtbot, answers) -> None:
    """The head's operation ends while the screen is locked; a nurse then switches in: what it had
    to say was the head's, and is not shown to the nurse (the views are built again for her)."""
    from station_app.store import patients
    from station_app.ui import operations

    session.login = login.as_role("nurse")

    def switch(dialog: LockDialog) -> bool:
        op = operations.run_op(session.window, session.ctx, "…", lambda store, progress: patients.count(store),
                               lambda count: dialogs.info(session.window, "Xong", f"Đã ghi {count} tệp"))
        qtbot.waitUntil(lambda: not op.running)
        dialog.switch_button.click()
        return False

    lock_with(session, switch)
    assert session.store.actor.role == "nurse"
    QApplication.processEvents()
    assert answers.asked == []
