"""Who is at the keyboard: the login at start, the first head account of a new station, changing
one's password, and the idle lock that asks for the password again after a quiet while.

The checks (password, lockout, permissions) live in ``station_app.store.users``; these dialogs
only ask. ``Session`` (``ui/app.py``) takes a ``login`` callable: :func:`ask` in the app,
:func:`as_role` in tests and scripts (they hold the file already, like the command line).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from station_app import APP_NAME, paths
from station_app.domain.accounts import ROLE_NAMES, Actor, Role
from station_app.i18n import tr
from station_app.store import Store, StoreError, errors, users
from station_app.ui import background, dialogs
from station_app.ui.widgets import ERROR_COLOUR, heading

LOCK_COLOUR = "#1f4e5f"  # (the navigation's colour)

Login = Callable[[Store], Actor | None]


def _password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setMaxLength(200)
    return edit


def _message_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {ERROR_COLOUR}; font-weight: bold;")
    label.hide()
    return label


class LoginDialog(QDialog):
    """User name and password; a wrong one is said in the dialog, which stays open."""

    def __init__(self, store: Store, parent: QWidget | None = None, hint: str = "", station: str = "") -> None:
        super().__init__(parent)
        self.store = store
        self.user: users.User | None = None
        self.damage: errors.Corrupt | None = None
        self.setWindowTitle(tr("Log in") + " — " + APP_NAME)
        self.setMinimumWidth(420)
        title = heading(APP_NAME, 1.6)
        subtitle = QLabel(station or tr("Commune health station records"))
        self.username = QLineEdit()
        self.username.setMaxLength(64)
        self.password = _password_edit()
        form = QFormLayout()
        form.addRow(tr("User name"), self.username)
        form.addRow(tr("Password"), self.password)
        self.message = _message_label()
        buttons = dialogs.DialogButtons(self, tr("Log in"), tr("Quit"))
        self.ok_button, self.quit_button = buttons.accept_button, buttons.reject_button
        self.ok_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addSpacing(8)
        layout.addLayout(form)
        layout.addWidget(self.message)
        if hint:
            hint_label = QLabel(hint)
            hint_label.setStyleSheet("color: #555;")
            layout.addWidget(hint_label)
        layout.addWidget(buttons)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # grows when a message shows
        self.username.setFocus()

    def say(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def accept(self) -> None:
        if not self.username.text().strip():
            self.say(tr("Write your user name."))
            self.username.setFocus()
            return
        try:
            self.user = users.login(self.store, self.username.text(), self.password.text())
        except errors.Corrupt as exc:
            self.damage = exc  # not a message in the login: the start offers the latest intact backup
            self.done(QDialog.DialogCode.Rejected)
            return
        except StoreError as exc:
            self.say(exc.text())
            self.password.clear()
            self.password.setFocus()
            return
        super().accept()


class FirstAccountDialog(QDialog):
    """A new station: the head of station's own account, before anything else."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.user: users.User | None = None
        self.setWindowTitle(tr("Welcome to Trạm"))
        self.setMinimumWidth(520)
        intro = QLabel(tr(
            "This station has no account yet. Create the account of the head of station first: the head then "
            "creates an account for each member of staff (Settings → Users and access). Each person logs in with "
            "their own account."))
        intro.setWordWrap(True)
        self.full_name = QLineEdit()
        self.username = QLineEdit()
        self.username.setPlaceholderText(tr("for example truong"))
        self.password = _password_edit()
        self.repeat = _password_edit()
        form = QFormLayout()
        form.addRow(tr("Full name"), self.full_name)
        form.addRow(tr("User name"), self.username)
        form.addRow(tr("Password (at least 8 characters)"), self.password)
        form.addRow(tr("Password again"), self.repeat)
        self.message = _message_label()
        buttons = dialogs.DialogButtons(self, tr("Create the account"), tr("Quit"))
        self.ok_button = buttons.accept_button
        layout = QVBoxLayout(self)
        layout.addWidget(heading(tr("Welcome to Trạm")))
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def accept(self) -> None:
        if self.password.text() != self.repeat.text():
            self.message.setText(tr("The two passwords differ: type the same password twice."))
            self.message.show()
            return
        try:
            users.create_first_head(self.store, self.username.text(), self.full_name.text(), self.password.text())
            self.user = users.login(self.store, self.username.text(), self.password.text())
        except StoreError as exc:
            self.message.setText(exc.text())
            self.message.show()
            return
        super().accept()


class ChangePasswordDialog(QDialog):
    """Change one's own password (the current one is asked), or set another person's (head, admin)."""

    def __init__(self, store: Store, user: users.User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.target = user
        self.own = store.actor.user_id == user.id
        self.setWindowTitle(tr("Change the password") + " — " + user.username)
        self.current = _password_edit()
        self.new = _password_edit()
        self.repeat = _password_edit()
        form = QFormLayout()
        form.addRow(tr("Account"), QLabel(f"{user.full_name} ({user.username})"))
        if self.own:
            form.addRow(tr("Current password"), self.current)
        form.addRow(tr("New password"), self.new)
        form.addRow(tr("New password again"), self.repeat)
        self.message = _message_label()
        buttons = dialogs.DialogButtons(self, tr("Change the password"), tr("Cancel"))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def accept(self) -> None:
        if self.new.text() != self.repeat.text():
            self.message.setText(tr("The two passwords differ: type the same password twice."))
            self.message.show()
            return
        try:
            users.change_password(self.store, self.target.id, self.current.text() if self.own else None,
                                  self.new.text())
        except StoreError as exc:
            self.message.setText(exc.text())
            self.message.show()
            return
        super().accept()


class LockCover(QWidget):
    """An opaque sheet over the whole of one window while the screen is locked: nothing of the
    window shows (its title names no one either); ``remove()`` gives the window back as it was."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window_under = window
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(LOCK_COLOUR))
        palette.setColor(QPalette.ColorRole.WindowText, QColor("white"))
        self.setPalette(palette)
        label = QLabel(APP_NAME + " — " + tr("Locked"), self)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setStyleSheet("color: white; font-size: 22pt; font-weight: bold;")
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        self._title = window.windowTitle()
        window.setWindowTitle(self.title())
        self.setGeometry(window.rect())
        window.installEventFilter(self)
        self.show()
        self.raise_()

    @staticmethod
    def title() -> str:
        return tr("Locked") + " — " + APP_NAME

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window_under:
            if event.type() == QEvent.Type.Resize:
                self.setGeometry(self.window_under.rect())
            elif event.type() == QEvent.Type.ChildAdded:
                QTimer.singleShot(0, self.raise_)  # a view made meanwhile stays under the cover
        return False

    def remove(self) -> None:
        self.window_under.removeEventFilter(self)
        if self.window_under.windowTitle() == self.title():
            self.window_under.setWindowTitle(self._title)
        self.hide()
        self.deleteLater()

    @classmethod
    def cover_all(cls) -> list[LockCover]:
        """A cover on every window on screen (the main window, open forms and dialogs)."""
        kinds = (Qt.WindowType.Window, Qt.WindowType.Dialog)
        return [cls(w) for w in QApplication.topLevelWidgets() if w.isVisible() and w.windowType() in kinds]


class LockDialog(QDialog):
    """The locked screen's own window: who locked it, how (by hand, or after the quiet time) and
    when; the same person's password opens it, "Switch user" logs them out for another person."""

    def __init__(self, store: Store, parent: QWidget | None = None, by_hand: bool = True, minutes: int = 0) -> None:
        super().__init__(parent)
        from station_app import clock

        self.store = store
        self.by_hand = by_hand
        self.minutes = minutes
        self.when = clock.now()
        self.switching = False
        self.setWindowTitle(tr("Locked") + " — " + APP_NAME)
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setMinimumWidth(520)
        self.reason = QLabel(self.reason_text())
        self.reason.setWordWrap(True)
        self.reason.setObjectName("lock_reason")
        how = QLabel(self.how_text())
        how.setWordWrap(True)
        self.password = _password_edit()
        form = QFormLayout()
        form.addRow(tr("Password"), self.password)
        self.message = _message_label()
        buttons = QDialogButtonBox()
        self.unlock_button = buttons.addButton(tr("Unlock"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.unlock_button.setDefault(True)
        self.switch_button = buttons.addButton(tr("Switch user"), QDialogButtonBox.ButtonRole.DestructiveRole)
        self.switch_button.setObjectName("switch_user")
        self.switch_button.clicked.connect(self.switch_user)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(tr("Locked")))
        layout.addWidget(self.reason)
        layout.addWidget(how)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.password.setFocus()

    def _who(self) -> tuple[str, str]:
        actor = self.store.actor
        try:
            role = tr(ROLE_NAMES[Role(actor.role)])
        except ValueError:
            role = actor.role
        return actor.full_name or actor.username, role

    def reason_text(self) -> str:
        """Who locked the screen, when, and whether by hand or after the quiet time."""
        name, role = self._who()
        time = self.when.strftime("%H:%M")
        if self.by_hand:
            return tr("Trạm was locked by {name} ({role}) at {time}.").format(name=name, role=role, time=time)
        return tr("Trạm locked itself at {time} after {minutes} minutes without activity; {name} ({role}) "
                  "is logged in.").format(time=time, minutes=self.minutes, name=name, role=role)

    def how_text(self) -> str:
        name, _role = self._who()
        return tr("{name}: type your password to continue. Someone else: “Switch user” logs {name} "
                  "out (what was not saved is lost) and opens the login.").format(name=name)

    def reject(self) -> None:  # Esc does not open the lock
        pass

    def switch_user(self) -> None:
        self.switching = True
        super().reject()

    def accept(self) -> None:
        user_id = self.store.actor.user_id
        if user_id is None:
            super().accept()
            return
        if not users.check_password(self.store, user_id, self.password.text()):
            user = users.get(self.store, user_id)
            until = user.locked_until() if user else None
            self.message.setText(
                tr("Too many wrong passwords: this account is locked until {until}. Try again later.").format(
                    until=until.strftime("%H:%M")) if until else tr("Wrong user name or password."))
            self.message.show()
            self.password.clear()
            return
        super().accept()


class IdleLock(QObject):
    """Locks the screen after ``minutes`` without a key press or a mouse action (0: never), or at
    once (``lock(force=True)``): every window is covered while the lock is shown. ``on_switch``:
    what "Switch user" does (log out, then the login); without it, Trạm closes."""

    ACTIVITY = (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel)

    def __init__(self, store: Callable[[], Store], window: QWidget, minutes: int,
                 on_switch: Callable[[], None] | None = None) -> None:
        super().__init__(window)
        self.store_of = store  # the current connection (a restore replaces it)
        self.window = window
        self.on_switch = on_switch
        self.locked = False
        self._covers: list[LockCover] = []
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.lock)
        self.set_minutes(minutes)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        window.destroyed.connect(self._detach)

    def _detach(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.timer.stop()

    def set_minutes(self, minutes: int) -> None:
        self.minutes = max(0, int(minutes))
        self.restart()

    def restart(self) -> None:
        """Start the quiet time again (every key press or mouse action does)."""
        if self.minutes:
            self.timer.start(self.minutes * 60_000)
        else:
            self.timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.locked and self.minutes and event.type() in self.ACTIVITY:
            self.restart()
        elif self.locked and event.type() == QEvent.Type.Show and isinstance(watched, QWidget):
            self._cover_late(watched)
        return False

    def _cover_late(self, window: QWidget) -> None:
        """A window that opens while the screen is locked is covered as the others are."""
        kinds = (Qt.WindowType.Window, Qt.WindowType.Dialog)
        if (not window.isWindow() or window.windowType() not in kinds or isinstance(window, LockDialog)
                or any(c.window_under is window for c in self._covers)):
            return
        self._covers.append(LockCover(window))

    def lock(self, force: bool = False) -> None:
        """Cover every window and ask for the password again (``force``: by hand, now, even with the
        idle lock off; else after the quiet time)."""
        if self.locked or not (self.minutes or force):
            return
        self.locked = True
        background.set_locked(True)  # (an operation that ends meanwhile waits to say so)
        self._covers = LockCover.cover_all()
        try:
            dialog = LockDialog(self.store_of(), self.window, by_hand=force, minutes=self.minutes)
            dialogs.run(dialog)
            if dialog.switching:
                if self.on_switch is not None:
                    try:
                        self.on_switch()  # (the windows stay covered until the next person is in)
                    except Exception as exc:
                        with contextlib.suppress(OSError):
                            paths.log_error(f"A switch of user failed; Trạm closes: {exc!r}")
                        QApplication.quit()
                else:
                    QApplication.quit()
        finally:
            for cover in self._covers:
                if isValid(cover):  # (a window closed meanwhile took its cover with it)
                    cover.remove()
            self._covers = []
            self.locked = False
            background.set_locked(False)  # (after a switch, the next person hears nothing of the last's)
            self.restart()


# -- login functions for Session ---------------------------------------------------------------
def ask(store: Store, hint: str = "") -> Actor | None:
    """The app's login: the first head account on a new station, else the login dialog.
    None when the person quits."""
    from station_app.store.station import load_profile

    if not users.has_accounts(store):
        first = FirstAccountDialog(store)
        if not dialogs.run(first) or first.user is None:
            return None
        return first.user.actor
    dialog = LoginDialog(store, hint=hint, station=load_profile(store).name)
    accepted = dialogs.run(dialog)
    if dialog.damage is not None:
        raise dialog.damage
    if not accepted or dialog.user is None:
        return None
    return dialog.user.actor


TEST_PASSWORD = "test-password"


def as_role(role: Role | str = Role.HEAD) -> Login:
    """For tests and scripts (which hold the file already): log in as the first active account of
    ``role``, creating one (password ``test-password``) when the station has none."""

    def login(store: Store) -> Actor:
        wanted = Role(role)

        def of_role() -> list[users.User]:
            return [u for u in users.all_users(store, active_only=True) if u.role == wanted]

        found = of_role()
        if not found:
            if not users.all_users(store):
                users.create_first_head(store, "test.head", "Người dùng thử", TEST_PASSWORD)
            if not of_role():
                name = {Role.HEAD: "test.head2", Role.NURSE: "test.nurse", Role.ADMIN: "test.admin"}[wanted]
                users.create(store, name, "Người dùng thử", TEST_PASSWORD, wanted)
            found = of_role()
        user = found[0]
        store.actor = user.actor
        from station_app.store import audit

        audit.record(store, audit.LOGIN, ("user", user.id), {"method": "trusted"})
        return store.actor

    return login
