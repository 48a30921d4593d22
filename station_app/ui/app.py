"""Starting the desktop app: Qt application, fonts, language, the database, the main window."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from station_app import APP_NAME, paths
from station_app.domain.accounts import Actor
from station_app.errors import UserError
from station_app.i18n import tr
from station_app.resources import FONTS
from station_app.store import Store, StoreError, open_store
from station_app.store.database import CheckInBackground
from station_app.ui import dialogs, qt_i18n
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
            if (login or (lambda store: login_ui.ask(store, hint)))(self.store) is None:
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
        self.idle_lock = users.attach(self.ctx, self.window)

    def _store_replaced(self) -> None:
        self.store = self.ctx.store
        self.window.build()
        self.window.show_area("settings")

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
            if check.error is not None:
                self.damage = check.error
                on_damage(check.error)

        timer.timeout.connect(poll)
        timer.start()
        poll()

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
    """A fresh demo database in the data folder (2,000 patients, about 20,000 visits), made on a
    worker thread while a progress dialog shows."""
    from PySide6.QtCore import QEventLoop

    from station_app.demo import generate
    from station_app.ui import background

    path = paths.demo_database()
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
        from station_app.store.errors import Corrupt
        from station_app.ui.views import backups

        if isinstance(exc, Corrupt) and backups.offer_restore(None, Path(exc.path), exc):
            return run(Path(exc.path), lang=lang)  # the restored file
        dialogs.error(None, tr("Cannot open the database"), exc.text())
        sys.stderr.write(exc.text() + "\n")
        return 2
    session.window.show()
    from station_app.ui.views import backups

    session.backup_op = backups.start(session.store, session.window)  # when the last one is a day old
    if not session.ctx.profile.name:
        # First run: the station's name and header are printed on every form.
        session.window.show_area("settings")
        dialogs.info(session.window, tr("Welcome to Trạm"), tr(
            "Fill in the station profile (name, governing body, commune) and the staff list first: "
            "they are printed on referral slips and reports."))
    # An error no window handled is a message (and a line in error.log), never a traceback on screen.
    sys.excepthook = functools.partial(_report_error, Path(session.store.path))
    # The file's pages are still being checked: damage found stops the app and offers a backup.
    def stop(_damage: StoreError) -> None:
        session.window.hide()
        app.quit()

    session.watch_check(stop)
    code = app.exec()
    if session.damage is not None:
        return _damaged(session, lang)
    backups.finish(session.backup_op, session.store)  # and again at exit, if the app ran past a day
    from station_app.store import users

    users.logout(session.store)
    session.close()
    return int(code)


def _report_error(db: Path, kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """What the app does with an error no window handled (the one place the app catches every
    ``UserError``): the details go to ``error.log`` in the data folder, the person gets a message
    saying what to do (a ``UserError``'s own message), or that something went wrong."""
    import sqlite3
    import traceback

    from station_app.store import errors

    with contextlib.suppress(OSError):  # a full disk must not hide the message below
        paths.log_error("".join(traceback.format_exception(kind, exc, tb)))
    if isinstance(exc, sqlite3.DatabaseError):
        exc = errors.classify(exc, db) or exc
    if isinstance(exc, StoreError):
        dialogs.error(None, tr("The database reported a problem"), exc.text())
    elif isinstance(exc, UserError):
        dialogs.error(None, tr("Not done"), exc.text())
    elif not isinstance(exc, KeyboardInterrupt):
        dialogs.error(None, tr("Something went wrong"), tr(
            "This action did not finish; what was saved before it is safe. "
            "The details are in {log} for the district's IT person.").format(log=paths.error_log()))


def _damaged(session: Session, lang: str | None) -> int:
    """The start-up check found the file damaged: close it, offer the latest intact backup."""
    from PySide6.QtCore import QCoreApplication, QThread

    from station_app.ui.views import backups

    op = session.backup_op
    while op is not None and op.running:  # the start-up backup (refused: its copy fails the check)
        QCoreApplication.processEvents()
        QThread.msleep(10)
    exc = session.damage
    assert exc is not None
    session.close()
    path = Path(session.store.path)
    if backups.offer_restore(None, path, exc):
        return run(path, lang=lang)  # the restored file
    dialogs.error(None, tr("Cannot open the database"), exc.text())
    sys.stderr.write(exc.text() + "\n")
    return 2
