"""Starting the desktop app: Qt application, fonts, language, the database, the main window."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from station_app import APP_NAME, paths
from station_app.domain.accounts import Actor
from station_app.i18n import tr
from station_app.resources import FONTS
from station_app.store import Store, StoreError, open_store
from station_app.store.database import CheckInBackground
from station_app.ui import dialogs, qt_i18n
from station_app.ui.context import AppContext, settings
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
        # station) while the views are imported, the file is opened and the person logs in; damage
        # stops the start-up before any view reads the file.
        check = CheckInBackground(Path(db)) if Path(db).exists() and Path(db).stat().st_size else None
        import station_app.ui.features  # noqa: F401 - registers the feature views, counters, tabs
        from station_app.ui import features_accounts
        from station_app.ui import login as login_ui
        self.app = app
        s = settings()
        self.lang = lang or str(s.value("ui/language", "vi"))
        if self.lang not in ("vi", "en"):
            self.lang = "vi"
        self.font_scale = float(s.value("ui/font_scale", 1.0))
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
            if check is not None:
                check.result()
        except BaseException:
            if check is not None:
                check.wait()  # the worker reads the file: let it finish before the file is closed
            self.store.close()
            raise
        self.ctx = AppContext(self.store)
        self.window = MainWindow(self.ctx, self.font_scale, self.set_language, self.set_font_scale)
        from station_app.ui.views import backups

        backups.attach(self)  # a restore reopens the app on the restored file
        features_accounts.attach(self)

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
    from station_app.ui.features_accounts import role_name

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
    apply_font(app, float(settings().value("ui/font_scale", 1.0)))
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

    backups.start(session)  # the automatic backup when the last one is a day old (worker thread)
    if not session.ctx.profile.name:
        # First run: the station's name and header are printed on every form.
        session.window.show_area("settings")
        dialogs.info(session.window, tr("Welcome to Trạm"), tr(
            "Fill in the station profile (name, governing body, commune) and the staff list first: "
            "they are printed on referral slips and reports."))
    code = app.exec()
    backups.finish(session)  # and again at exit, if the app ran past a day
    from station_app.store import users

    users.logout(session.store)
    session.store.close()
    return int(code)
