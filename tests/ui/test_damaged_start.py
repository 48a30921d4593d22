"""A damaged file found at start-up, through the real start-up path (``main.py`` → ``cli.main`` →
``ui.app.run``): before the login, while the person logs in, or after, while they work. Each time
the person sees the offer of the newest backup that passes its check (with its date) and restores
it (the damaged file kept aside) or quits; the app never vanishes while its process runs on."""

from __future__ import annotations

import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog

from station_app import cli
from station_app.store import backup, database, errors
from station_app.ui import dialogs
from station_app.ui.login import LoginDialog
from station_app.ui.main_window import MainWindow
from station_app.ui.views import backups
from tests.safety.test_backups import damage_pages

# The longest a start may take in these tests before it counts as hung (the app waiting with no window).
HUNG_MS = 20_000


def pages_of(db: Path, table: str) -> list[int]:
    """The pages of ``table`` (numbered from 0, as ``damage_pages`` counts them)."""
    conn = sqlite3.connect(db)
    try:
        return [n - 1 for (n,) in conn.execute("SELECT pageno FROM dbstat WHERE name = ?", (table,))]
    finally:
        conn.close()


class Start:
    """Runs ``main.py --db FILE`` in this process: logs in as the demo's head, closes the window of
    an app that started on an intact file, and counts a start that outlives its windows as hung."""

    def __init__(self, qapp: QApplication, db: Path) -> None:
        self.qapp = qapp
        self.db = db
        self.logins = 0
        self.windows: list[MainWindow] = []
        self.before_login: Callable[[], None] = lambda: None

    def fill(self, dialog: QDialog) -> bool:
        if isinstance(dialog, LoginDialog):
            self.logins += 1
            self.before_login()
            dialog.username.setText("truong")
            dialog.password.setText("demo-truong")
            return True
        return False

    def __call__(self) -> int:
        hung: list[bool] = []

        def watch() -> None:
            shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
            for window in shown:
                if window not in self.windows:
                    self.windows.append(window)
                    # An app on an intact file: the person works a moment, then closes it.
                    QTimer.singleShot(300, window.close)

        def give_up() -> None:
            hung.append(True)
            self.qapp.exit(99)

        poll = QTimer()
        poll.timeout.connect(watch)
        poll.start(20)
        guard = QTimer()
        guard.setSingleShot(True)
        guard.timeout.connect(give_up)
        guard.start(HUNG_MS)
        hook = sys.excepthook
        dialogs.fill = self.fill
        try:
            code = cli.main(["--db", str(self.db), "--lang", "en"])
        finally:
            dialogs.fill = None
            sys.excepthook = hook
            poll.stop()
            guard.stop()
        assert not hung, "the app had no window left and did not end"
        assert not [w for w in QApplication.topLevelWidgets() if w.isVisible()], "a window outlived the start"
        return code


@pytest.fixture
def start(qapp, demo_copy: Path, tmp_data_dir: Path) -> Iterator[Start]:
    yield Start(qapp, demo_copy)
    for window in QApplication.topLevelWidgets():
        window.close()
        window.deleteLater()


@pytest.fixture
def good_backup(demo_copy: Path) -> backup.BackupFile:
    backup.make_backup(demo_copy, backups.backup_folder())
    (made,) = backup.backups(backups.backup_folder(), demo_copy)
    return made


def offered(answers, good: backup.BackupFile) -> str:
    """The text of the one offer to restore ``good`` (its date in it)."""
    offers = [text for kind, _title, text in answers.asked if kind == "question" and "damaged" in text]
    assert len(offers) == 1, answers.asked
    assert backups.when_text(good) in offers[0]
    return offers[0]


def restored(db: Path) -> None:
    """``db`` is whole again, and the damaged file was kept aside."""
    assert database.quick_check(db) is None
    assert [p for p in db.parent.iterdir() if ".before-restore-" in p.name]


def test_damage_found_when_the_file_is_opened_offers_the_backup_before_the_login(
        start, good_backup, answers) -> None:
    damage_pages(start.db, range(1, 80))
    answers.yes = True
    assert start() == 0
    offered(answers, good_backup)
    restored(start.db)
    assert start.logins == 1  # only on the restored file
    assert len(start.windows) == 1


def test_damage_found_while_the_person_logs_in_is_offered_not_a_vanished_app(
        start, good_backup, answers, qtbot) -> None:
    """The check of every page ends while the login is open (the way the app vanished)."""
    damage_pages(start.db, pages_of(start.db, "icd10")[1:])  # pages the login never reads

    def check_ends() -> None:
        if start.logins == 1:
            qtbot.waitUntil(lambda: not [t for t in threading.enumerate() if t.name == "quick-check"],
                            timeout=20_000)

    start.before_login = check_ends
    answers.yes = True
    assert start() == 0
    offered(answers, good_backup)
    restored(start.db)
    assert len(start.windows) == 1  # the app on the restored file (none on the damaged one)


def test_damage_found_by_the_check_while_the_person_works_is_offered(
        start, good_backup, answers, monkeypatch) -> None:
    damage_pages(start.db, pages_of(start.db, "icd10")[1:])
    window_up = threading.Event()
    real = database._quick_check_once

    def slow_check(path: Path) -> list[str]:
        window_up.wait(30)  # the check ends after the window is up (a large station's check takes a while)
        return real(path)

    monkeypatch.setattr(database, "_quick_check_once", slow_check)
    timer = QTimer()
    timer.timeout.connect(lambda: window_up.set() if any(
        isinstance(w, MainWindow) and w.isVisible() for w in QApplication.topLevelWidgets()) else None)
    timer.start(20)
    answers.yes = True
    try:
        assert start() == 0
    finally:
        timer.stop()
        window_up.set()
    offered(answers, good_backup)
    restored(start.db)
    assert len(start.windows) == 2  # the damaged file's window (closed by the offer), the restored file's


def test_damage_found_after_the_login_and_the_person_quits(start, good_backup, answers) -> None:
    damage_pages(start.db, pages_of(start.db, "icd10")[1:])
    answers.yes = False  # "Quit Trạm"
    assert start() != 0
    offered(answers, good_backup)
    with pytest.raises(errors.Corrupt):  # nothing was put in its place
        database.quick_check(start.db)
    assert not [p for p in start.db.parent.iterdir() if ".before-restore-" in p.name]


def test_damage_with_no_intact_backup_says_so_and_ends(start, answers) -> None:
    damage_pages(start.db, range(1, 80))
    assert start() != 0
    ((_kind, _title, text),) = [a for a in answers.asked if a[0] == "error"]
    assert str(backups.backup_folder()) in text


def test_damage_met_by_a_read_while_the_person_works_is_confirmed_then_offered(
        start, good_backup, answers) -> None:
    """The check found the file whole; later a read meets damaged pages (the disk failing under the
    running app). The error no window handled is confirmed by a check of the whole file, then the
    app offers the backup as at start-up, instead of a message pointing to the settings."""
    met: list[bool] = []

    def damage_while_working() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if met or not windows or [t for t in threading.enumerate() if t.name == "quick-check"]:
            return
        met.append(True)
        store = windows[0].ctx.store
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        damage_pages(start.db, pages_of(start.db, "patients")[1:])
        store.conn.execute("PRAGMA shrink_memory")
        try:
            store.query("SELECT * FROM patients ORDER BY full_name")
        except errors.Corrupt as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)  # as Qt hands an error no slot caught

    timer = QTimer()
    timer.timeout.connect(damage_while_working)
    timer.start(50)
    answers.yes = True
    try:
        assert start() == 0
    finally:
        timer.stop()
    assert met
    offered(answers, good_backup)
    assert not [t for k, t, _ in answers.asked if k == "error"]  # no message pointing to Settings → Backups
    restored(start.db)


def test_damage_found_while_the_login_waits_closes_the_login(demo_copy, tmp_data_dir, qapp) -> None:
    """Nobody types: the login stays open until the check has found the damage, then it closes by
    itself and the start raises the damage (which ``run`` offers to restore)."""
    from station_app.ui.app import Session

    damage_pages(demo_copy, pages_of(demo_copy, "icd10")[1:])
    shown: list[LoginDialog] = []

    def login(store):
        dialog = LoginDialog(store)
        shown.append(dialog)
        dialog.exec()  # the real modal login, left alone
        return None

    with pytest.raises(errors.Corrupt):
        Session(qapp, demo_copy, "en", login=login)
    assert shown and not shown[0].isVisible()


def test_a_read_that_calls_a_healthy_file_damaged_is_not_followed_by_a_restore(
        start, good_backup, answers, monkeypatch) -> None:
    """One read said "damaged" (a fault of the moment), the check of every page finds the file
    whole: no backup is offered over it."""
    from station_app.ui import app

    def glitch(path, **_options):
        raise errors.Corrupt(path, "database disk image is malformed")

    monkeypatch.setattr(app, "open_store", glitch)
    answers.yes = True
    assert start() != 0
    assert not [a for a in answers.asked if a[0] == "question"]
    assert not [p for p in start.db.parent.iterdir() if ".before-restore-" in p.name]
    database.quick_check(start.db)


def test_a_full_disk_at_start_says_so_and_offers_no_restore(qapp, demo_copy, tmp_data_dir, answers,
                                                            tmp_path) -> None:
    """A full disk is not damage: the app says the disk is full and what to free, then ends."""
    import shutil

    from tests.safety.test_full_disk import fill, small_disk

    with small_disk(tmp_path / "disk") as disk:
        db = disk / "tram.sqlite3"
        shutil.copyfile(demo_copy, db)
        filler = fill(disk)
        assert Start(qapp, db)() == 2
        filler.unlink()
    assert not [a for a in answers.asked if a[0] == "question"]
    ((_kind, _title, text),) = [a for a in answers.asked if a[0] == "error"]
    assert "disk is full" in text and "damaged" not in text and "backup" not in text
