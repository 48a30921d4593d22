"""Starting the desktop app: Qt application, fonts, language, the database, the main window."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QDialog

from station_app import APP_NAME, paths
from station_app.domain.accounts import Actor
from station_app.errors import UserError
from station_app.i18n import tr
from station_app.resources import FONTS
from station_app.store import Store, StoreError, open_store
from station_app.store.database import CheckInBackground
from station_app.store.errors import Corrupt
from station_app.ui import background, dialogs, qt_i18n
from station_app.ui.background import Operation
from station_app.ui.context import AppContext, Change, settings
from station_app.ui.main_window import MainWindow

BASE_POINT_SIZE = 11.0
UI_FONT_FILES = ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "NotoSans-Italic.ttf")
_family: str | None = None


def load_fonts() -> str:
    """Register the shipped UI font (full Vietnamese coverage) and return its family."""
    global _family
    if _family is None:
        families: list[str] = []
        for name in UI_FONT_FILES:
            font_id = QFontDatabase.addApplicationFont(str(FONTS / name))
            if font_id >= 0:
                families += QFontDatabase.applicationFontFamilies(font_id)
        _family = families[0] if families else QFont().family()
    return _family


def apply_font(app: QApplication, scale: float) -> None:
    font = QFont(load_fonts())
    font.setPointSizeF(BASE_POINT_SIZE * scale)
    app.setFont(font)
    from station_app.ui.widgets import FOCUS_STYLE

    app.setStyleSheet(FOCUS_STYLE)  # every control shows when it has the keyboard


def ensure_app() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    return app  # type: ignore[return-value]


class LoginCancelled(Exception):
    """The person quit at the login."""


class Session:
    """The running app: the window, and what changing the language or text size rebuilds."""

    def __init__(self, app: QApplication, db: Path, lang: str | None = None,
                 login: Callable[[Store], Actor | None] | None = None, hint: str = "") -> None:
        # Every page of the file is checked on a worker thread (about 1 s on a 100,000-patient
        # station) while the app starts and the person logs in and begins work; damage found there
        # stops the app with the offer to restore the latest intact backup (``watch_check``).
        check = CheckInBackground(Path(db)) if Path(db).exists() and Path(db).stat().st_size else None
        self.check = check
        self.damage: StoreError | None = None
        from station_app.ui import login as login_ui
        from station_app.ui.views import users
        from station_app.ui.wiring import WIRING
        self.app = app
        self.login = login
        s = settings()
        self.lang = lang or str(s.value("ui/language", "vi"))
        if self.lang not in ("vi", "en"):
            self.lang = "vi"
        self.font_scale = float(str(s.value("ui/font_scale", 1.0)))
        qt_i18n.install(app, self.lang)
        apply_font(app, self.font_scale)
        try:
            self.store = open_store(db, verify=check is None)
        except BaseException:
            if check is not None:
                check.wait()
            raise
        try:
            # The GUI always has a logged-in person (the command line runs as the local operator).
            # Damage the check finds meanwhile closes the login: the start offers a backup instead.
            watch = self._watch_login()
            try:
                actor = (login or (lambda store: login_ui.ask(store, hint)))(self.store)
            finally:
                watch.stop()
            self.raise_damage()
            if actor is None:
                raise LoginCancelled
        except BaseException:
            if check is not None:
                check.wait()  # the worker reads the file: let it finish before the file is closed
            self.store.close()
            raise
        self.ctx = AppContext(self.store)
        self.window = MainWindow(self.ctx, WIRING, self.font_scale, self.set_language, self.set_font_scale)
        self.backup_op: Operation | None = None  # the automatic backup at start-up, while it runs
        # A restore reopens the app on the restored file: every view is rebuilt on the new connection.
        self.ctx.subscribe(self.window, {Change.STORE}, self._store_replaced)
        self.idle_lock = users.attach(self.ctx, self.window, self.switch_user)

    def _store_replaced(self) -> None:
        self.store = self.ctx.store
        self.window.build()
        self.window.show_area("settings")

    def found_damage(self) -> StoreError | None:
        """The damage the start-up check has found (and confirmed), once it has ended; else None.
        Only damage counts: a check that could not read the file (a full disk…) stops nothing."""
        check = self.check
        if check is None or not check.done() or not isinstance(check.error, Corrupt):
            return None
        return check.error

    def raise_damage(self) -> None:
        """Raise the damage the start-up check has found by now (the app then offers a backup)."""
        found = self.found_damage()
        if found is not None:
            raise found

    def _watch_login(self) -> QTimer:
        """While the person logs in: damage found by the check closes the login dialog."""
        from station_app.ui import login as login_ui

        timer = QTimer()
        timer.setInterval(100)

        def poll() -> None:
            if self.found_damage() is None:
                return
            timer.stop()
            for widget in QApplication.topLevelWidgets():
                if isinstance(widget, (login_ui.LoginDialog, login_ui.FirstAccountDialog)):
                    widget.done(QDialog.DialogCode.Rejected)

        timer.timeout.connect(poll)
        timer.start()
        return timer

    def watch_check(self, on_damage: Callable[[StoreError], None]) -> None:
        """Call ``on_damage`` (once, on the GUI thread) if the start-up check finds the file damaged."""
        check = self.check
        if check is None:
            return
        timer = QTimer(self.window)
        timer.setInterval(100)

        def poll() -> None:
            if not check.done():
                return
            timer.stop()
            found = self.found_damage()
            if found is not None:
                self.damage = found
                on_damage(found)

        timer.timeout.connect(poll)
        timer.start()
        poll()

    def stop_for_damage(self, exc: StoreError) -> None:
        """Damage found while the app runs: every window closes and the event loop ends; ``run``
        then offers the latest intact backup. (A quit asked for before the loop runs would be
        lost: the loop ends through a timer, so it ends even then.)"""
        self.damage = exc
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                widget.done(QDialog.DialogCode.Rejected)
        self.window.hide()
        QTimer.singleShot(0, self.app.quit)

    def damage_reported(self, exc: StoreError) -> bool:
        """A read or a save met a damaged page (``Corrupt``) while the person worked: confirmed by a
        check of the whole file, it stops the app as the start-up check does. False (the file is
        whole after all): the caller reports the error as any other."""
        from PySide6.QtGui import QGuiApplication

        from station_app.store import database

        if self.damage is not None:
            return True
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            database.quick_check(Path(self.store.path))
        except Corrupt as found:
            self.stop_for_damage(found)
            return True
        except StoreError:
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        return False

    def switch_user(self) -> None:
        """Log the person out and show the login ("Switch user" on the lock, "Log out" in the status
        bar). Their open forms close unsaved, and their operations still running end unseen: nothing
        of theirs is left to the next person. Nobody logs in: Trạm closes."""
        from station_app.store import users
        from station_app.ui import login as login_ui

        background.end_session()  # what their operations still have to say is not the next person's
        for widget in QApplication.topLevelWidgets():
            if widget is not self.window and isinstance(widget, QDialog) and widget.isVisible():
                widget.done(QDialog.DialogCode.Rejected)
        store = self.ctx.store  # (a restore replaces the connection)
        try:
            users.logout(store)
        except StoreError as exc:  # (the file busy or full: logged out all the same, the entry missing)
            with contextlib.suppress(OSError):
                paths.log_error(f"The log-out entry of a switch of user could not be written: {exc}")
        self.window.hide()
        actor = (self.login or (lambda store: login_ui.ask(store)))(store)
        if actor is None:
            QApplication.quit()
            return
        self.window.build()  # what the new person's role shows
        self.window.show()
        self.window.activateWindow()

    def close(self) -> None:
        """Close the file (after the start-up check, which reads it, has finished)."""
        if self.check is not None:
            self.check.wait()
        self.store.close()

    def set_language(self, lang: str) -> None:
        if lang == self.lang:
            return
        self.lang = lang
        s = settings()
        s.setValue("ui/language", lang)
        s.sync()
        qt_i18n.install(self.app, lang)
        self.window.build()  # every view is rebuilt in the new language, no restart
        self.window.show_area("settings")

    def set_font_scale(self, scale: float) -> None:
        self.font_scale = scale
        s = settings()
        s.setValue("ui/font_scale", scale)
        s.sync()
        apply_font(self.app, scale)
        self.window.font_scale = scale
        self.window.build()
        self.window.show_area("settings")


def _demo_hint() -> str:
    from station_app.demo import DEMO_ACCOUNTS
    from station_app.domain.accounts import role_name

    lines = [f"  {name} / {password}  ({role_name(role)})" for name, _full, role, password in DEMO_ACCOUNTS]
    return "\n".join([tr("Demo accounts (user name / password):"), *lines])


def _demo_database() -> Path:
    """The demo station in the data folder (``tram-demo.sqlite3``), kept between starts so that what
    was tried stays; made when missing (2,000 patients, about 20,000 visits) on a worker thread
    while a progress dialog shows. ``main.py demo --db FILE --force`` makes it again."""
    from PySide6.QtCore import QEventLoop

    from station_app.demo import generate
    from station_app.ui import background

    path = paths.demo_database()
    if path.exists() and path.stat().st_size:
        return path
    loop = QEventLoop()
    failure: list[BaseException] = []

    def failed(exc: BaseException) -> None:
        failure.append(exc)
        loop.quit()

    op = background.run(
        None, tr("Making the demo station…"),
        lambda progress: generate(path, patients=2000, seed=1, force=True, progress=progress),
        lambda _result: loop.quit(), failed,
    )
    if op.running:
        loop.exec()
    if failure:
        raise failure[0]
    return path


def run(db: Path | None = None, demo: bool = False, lang: str | None = None) -> int:
    app = ensure_app()
    if lang:
        qt_i18n.install(app, lang)
    else:
        qt_i18n.install(app, str(settings().value("ui/language", "vi")))
    apply_font(app, float(str(settings().value("ui/font_scale", 1.0))))
    try:
        if demo:
            db = _demo_database()
        session = Session(app, db or paths.default_database(), lang, hint=_demo_hint() if demo else "")
    except LoginCancelled:
        return 0
    except StoreError as exc:
        return _not_opened(exc, lang)
    from station_app.ui.views import backups

    # The file's pages are still being checked: damage found (now or later) closes every window,
    # and the person is offered the latest intact backup below.
    session.watch_check(session.stop_for_damage)
    if session.damage is None:
        session.window.show()
        session.backup_op = backups.start(session.store, session.window)  # when the last one is a day old
        if not session.ctx.profile.name:
            # First run: the station's name and header are printed on every form.
            session.window.show_area("settings")
            dialogs.info(session.window, tr("Welcome to Trạm"), tr(
                "Fill in the station profile (name, governing body, commune) and the staff list first: "
                "they are printed on referral slips and reports."))
    # An error no window handled is a message (and a line in error.log), never a traceback on screen.
    sys.excepthook = functools.partial(_report_error, Path(session.store.path), session.damage_reported)
    code = app.exec()
    # Work still running (Trạm closed after a log-out with nobody logging in, or by the lock): it
    # ends before the file closes, its thread is not destroyed under it; nobody is told of it now.
    background.end_session()
    background.wait_all()
    if session.damage is not None:
        return _damaged(session, lang)
    backups.finish(session.backup_op, session.store)  # and again at exit, if the app ran past a day
    from station_app.store import users

    users.logout(session.store)
    session.close()
    return int(code)


def _damage_confirmed(path: Path) -> bool:
    """A damaged page met by one read is confirmed by a check of the whole file before a backup is
    offered: a healthy file is never replaced."""
    from PySide6.QtGui import QGuiApplication

    from station_app.store import database, errors

    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        database.quick_check(path)
    except (errors.Corrupt, errors.NotADatabase):
        return True
    except StoreError:
        return False
    finally:
        QGuiApplication.restoreOverrideCursor()
    return False


def _not_opened(exc: StoreError, lang: str | None, confirmed: bool = False) -> int:
    """The file could not be opened: a damaged one (``confirmed`` by a check of every page, or
    checked now) is offered its latest intact backup, anything else is said in one window; then the
    app ends (no window is left behind)."""
    from station_app.ui.views import backups

    if isinstance(exc, Corrupt) and (confirmed or _damage_confirmed(Path(exc.path))):
        if backups.offer_restore(None, Path(exc.path), exc):
            return run(Path(exc.path), lang=lang)  # the restored file
    else:
        dialogs.error(None, tr("Cannot open the database"), exc.text())
    sys.stderr.write(exc.text() + "\n")
    return 2


def _report_error(db: Path, damaged: Callable[[StoreError], bool] | None,
                  kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """What the app does with an error no window handled (the one place the app catches every
    ``UserError``): the details go to ``error.log`` in the data folder, the person gets a message
    saying what to do (a ``UserError``'s own message), or that something went wrong. ``damaged``
    takes a damaged page met while working (True: it stopped the app to offer a backup)."""
    import sqlite3
    import traceback

    from station_app.store import errors

    with contextlib.suppress(OSError):  # a full disk must not hide the message below
        paths.log_error("".join(traceback.format_exception(kind, exc, tb)))
    if isinstance(exc, sqlite3.DatabaseError):
        exc = errors.classify(exc, db) or exc
    if isinstance(exc, Corrupt) and damaged is not None and damaged(exc):
        return
    if isinstance(exc, StoreError):
        dialogs.error(None, tr("The database reported a problem"), exc.text())
    elif isinstance(exc, UserError):
        dialogs.error(None, tr("Not done"), exc.text())
    elif not isinstance(exc, KeyboardInterrupt):
        dialogs.error(None, tr("Something went wrong"), tr(
            "This action did not finish; what was saved before it is safe. "
            "The details are in {log} for the district's IT person.").format(log=paths.error_log()))


def _damaged(session: Session, lang: str | None) -> int:
    """Damage was found while the app ran (the start-up check, or a read confirmed by a check): close
    the file, offer the latest intact backup."""
    from PySide6.QtCore import QCoreApplication, QThread

    op = session.backup_op
    while op is not None and op.running:  # the start-up backup (refused: its copy fails the check)
        QCoreApplication.processEvents()
        QThread.msleep(10)
    exc = session.damage
    assert exc is not None
    session.close()
    return _not_opened(exc, lang, confirmed=True)
