"""Accounts in the app: the logged-in person in the status bar with "Change my password", "Lock",
"Log out" and the idle lock (``attach``), and Settings → "Users and access" (head, admin): accounts, roles,
deactivation, password reset, unlocking, the idle-lock time, and the way to the audit log.

Everything is checked again in the store: hiding a button is a courtesy."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from station_app.domain.accounts import ACCOUNT_ROLES, ROLE_NAMES, Actor, Permission, Role, role_name
from station_app.i18n import N_, tr
from station_app.store import StoreError, users
from station_app.store.station import staff
from station_app.ui import dialogs
from station_app.ui.context import AppContext, Change
from station_app.ui.login import ChangePasswordDialog, IdleLock
from station_app.ui.qt_i18n import fmt_datetime
from station_app.ui.tables import fill_table, read_only_table, selected_key
from station_app.ui.views.audit_log import AuditLogDialog
from station_app.ui.widgets import ElidedLabel, error_label


# -- the status bar and the idle lock ------------------------------------------------------------
def attach(ctx: AppContext, window: QMainWindow, switch_user: Callable[[], None] | None = None) -> IdleLock:
    """The logged-in person in the status bar; "Change my password", "Lock", "Log out"; the idle
    lock (returned). ``switch_user``: log the person out and show the login (the session's)."""
    store = ctx.store
    badge = ElidedLabel()  # (gives up its width before the buttons beside it on a narrow window)
    badge.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
    badge.setObjectName("user_badge")

    def show_who() -> None:
        actor = ctx.store.actor
        badge.setText(tr("Logged in: {name} ({role})").format(
            name=actor.full_name or actor.username, role=role_name(actor.role)))

    show_who()

    def switch() -> None:
        if switch_user is None:
            QApplication.quit()
            return
        switch_user()
        show_who()  # the next person

    change = QPushButton(tr("Change my password"))
    change.setFlat(True)
    change.setObjectName("change_password")

    def change_own() -> None:
        store = ctx.store  # (a restore replaces the connection)
        actor = store.actor
        if actor.user_id is None:
            return
        user = users.get(store, actor.user_id)
        if user is not None and dialogs.run(ChangePasswordDialog(store, user, window)):
            dialogs.info(window, tr("Change the password"), tr("The password was changed."))

    change.clicked.connect(change_own)
    lock_now = QPushButton(tr("Lock"))
    lock_now.setFlat(True)
    lock_now.setObjectName("lock_now")
    lock_now.setToolTip(tr("Leaving the desk: lock the screen (your password opens it again)"))
    log_out = QPushButton(tr("Log out"))
    log_out.setFlat(True)
    log_out.setObjectName("log_out")
    log_out.setToolTip(tr("Log out and let another person log in (what was not saved is lost)"))
    log_out.clicked.connect(switch)
    window.statusBar().addPermanentWidget(badge)
    window.statusBar().addPermanentWidget(change)
    window.statusBar().addPermanentWidget(lock_now)
    window.statusBar().addPermanentWidget(log_out)
    lock = IdleLock(lambda: ctx.store, window, users.idle_lock_minutes(store), on_switch=switch)
    lock_now.clicked.connect(lambda: lock.lock(force=True))
    return lock


# -- Settings → Users and access ---------------------------------------------------------------
USER_COLUMNS = (N_("User name"), N_("Full name"), N_("Role"), N_("State"), N_("Last login"))


class NewUserDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.user: users.User | None = None
        self.setWindowTitle(tr("New account"))
        self.full_name = QLineEdit()
        # An account is one of the station's people: those on the staff list without a login are
        # offered (a new name joins the staff list with the account).
        without_login = [m.full_name for m in staff(ctx.store) if not m.username]
        self.full_name.setCompleter(QCompleter(without_login, self))
        self.full_name.setPlaceholderText(tr("a person of the staff list, or a new one"))
        self.username = QLineEdit()
        self.username.setPlaceholderText(tr("for example yta.mai"))
        self.role = QComboBox()
        for role in grantable_roles(ctx.store.actor):
            self.role.addItem(tr(ROLE_NAMES[role]), str(role))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow(tr("Full name"), self.full_name)
        form.addRow(tr("User name"), self.username)
        form.addRow(tr("Role"), self.role)
        form.addRow(tr("Password (at least 8 characters)"), self.password)
        self.message = error_label()
        buttons = dialogs.DialogButtons(self, tr("Create the account"), tr("Cancel"))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def accept(self) -> None:
        try:
            self.user = users.create(self.ctx.store, self.username.text(), self.full_name.text(),
                                     self.password.text(), self.role.currentData())
        except StoreError as exc:
            self.message.setText(exc.text())
            return
        super().accept()


class UsersSection(QGroupBox):
    """Accounts of the station (head and admin)."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(tr("Users and access"))
        self.ctx = ctx
        store = ctx.store
        self.can_manage = store.actor.can(Permission.MANAGE_USERS)
        # The full name and the role share the width left: no column is cut off or scrolled away.
        self.table = read_only_table([tr(c) for c in USER_COLUMNS], stretch=(1, 2))
        self.table.setMinimumHeight(170)
        self.buttons: dict[str, QPushButton] = {}
        # Three buttons a row: the section stays narrow whatever the text size.
        row = QGridLayout()
        for index, (key, title, slot) in enumerate((
            ("add", N_("New account…"), self.add),
            ("password", N_("Set a password…"), self.set_password),
            ("role", N_("Change the role…"), self.change_role),
            ("active", N_("Deactivate / reactivate"), self.toggle_active),
            ("unlock", N_("Unlock"), self.unlock),
        )):
            button = QPushButton(tr(title))
            button.clicked.connect(slot)
            button.setEnabled(self.can_manage)
            self.buttons[key] = button
            row.addWidget(button, *divmod(index, 3))
        self.idle = QSpinBox()
        self.idle.setRange(0, 240)
        self.idle.setSuffix(" " + tr("min"))
        self.idle.setSpecialValueText(tr("never"))
        self.idle.setValue(users.idle_lock_minutes(store))
        self.idle.setEnabled(self.can_manage)
        save_idle = QPushButton(tr("Save"))
        save_idle.setEnabled(self.can_manage)
        save_idle.clicked.connect(self.save_idle)
        self.buttons["idle"] = save_idle
        idle_row = QHBoxLayout()
        idle_row.addWidget(QLabel(tr("Lock the screen after this quiet time")))
        idle_row.addWidget(self.idle)
        idle_row.addWidget(save_idle)
        idle_row.addStretch(1)
        self.audit_button = QPushButton(tr("Audit log…"))
        self.audit_button.setEnabled(store.actor.can(Permission.VIEW_AUDIT))
        self.audit_button.clicked.connect(self.show_audit)
        row.addWidget(self.audit_button, 1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(row)
        layout.addLayout(idle_row)
        self.table.itemSelectionChanged.connect(self._enable_for_selection)
        self.load()

    def _enable_for_selection(self) -> None:
        """A head's account is changed only by a head: for an administrator, the buttons that
        would change it are disabled while it is selected."""
        user = self.selected()
        may = self.can_manage and (user is None or may_change_account(self.ctx.store.actor, user.role))
        for key in ("password", "role", "active"):
            self.buttons[key].setEnabled(may)

    def load(self) -> None:
        self.accounts = users.all_users(self.ctx.store)
        rows = []
        for u in self.accounts:
            if not u.active:
                state = tr("deactivated")
            elif u.locked_until() is not None:
                state = tr("locked")
            else:
                state = tr("active")
            rows.append([u.username, u.full_name, role_name(u.role), state, fmt_datetime(u.last_login_at)])
        fill_table(self.table, rows, [u.id for u in self.accounts])
        self._enable_for_selection()

    def selected(self) -> users.User | None:
        user_id = selected_key(self.table)
        return next((u for u in self.accounts if u.id == user_id), None)

    def _do(self, action) -> None:
        try:
            action()
        except StoreError as exc:
            dialogs.error(self, tr("Users and access"), exc.text())
        self.load()

    def add(self) -> None:
        dialog = NewUserDialog(self.ctx, self)
        if dialogs.run(dialog):
            self.load()
            self.ctx.notify({Change.PROFILE}, self)  # the staff list shows the person's new login

    def set_password(self) -> None:
        user = self.selected()
        if user is not None and dialogs.run(ChangePasswordDialog(self.ctx.store, user, self)):
            dialogs.info(self, tr("Change the password"), tr("The password was changed."))
            self.load()

    def change_role(self) -> None:
        user = self.selected()
        if user is None:
            return
        dialog = QDialog(self)
        dialog.setWindowTitle(tr("Change the role"))
        combo = QComboBox()
        for role in grantable_roles(self.ctx.store.actor):
            combo.addItem(tr(ROLE_NAMES[role]), str(role))
        combo.setCurrentIndex(max(0, combo.findData(str(user.role))))
        dialog.role = combo  # type: ignore[attr-defined]
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form = QFormLayout(dialog)
        form.addRow(tr("Account"), QLabel(f"{user.full_name} ({user.username})"))
        form.addRow(tr("Role"), combo)
        form.addRow(buttons)
        if dialogs.run(dialog):
            self._do(lambda: users.set_role(self.ctx.store, user.id, combo.currentData()))

    def toggle_active(self) -> None:
        user = self.selected()
        if user is None:
            return
        if user.active and not dialogs.ask(self, tr("Deactivate"), tr(
                "Deactivate the account of {name}? They can no longer log in; their entries keep their name.").format(
                    name=user.full_name)):
            return
        self._do(lambda: users.set_active(self.ctx.store, user.id, not user.active))

    def unlock(self) -> None:
        user = self.selected()
        if user is not None:
            self._do(lambda: users.unlock(self.ctx.store, user.id))

    def save_idle(self) -> None:
        try:
            users.set_idle_lock_minutes(self.ctx.store, self.idle.value())
        except StoreError as exc:
            dialogs.error(self, tr("Users and access"), exc.text())
            return
        lock = _session_lock(self)
        if lock is not None:
            lock.set_minutes(self.idle.value())
        dialogs.info(self, tr("Users and access"), tr("Saved."))

    def show_audit(self) -> None:
        dialog = AuditLogDialog(self.ctx, self)
        dialog.open()
        self._audit_dialog = dialog


def grantable_roles(actor: Actor) -> list[Role]:
    """The roles ``actor`` may give: the head's only with MANAGE_HEADS (not an administrator)."""
    return [r for r in ACCOUNT_ROLES if r != Role.HEAD or actor.can(Permission.MANAGE_HEADS)]


def may_change_account(actor: Actor, role: Role) -> bool:
    """Whether ``actor`` may set the password, role or state of an account with ``role``."""
    return actor.can(Permission.MANAGE_USERS) and (role != Role.HEAD or actor.can(Permission.MANAGE_HEADS))


def _session_lock(widget: QWidget) -> IdleLock | None:
    window = widget.window()
    found = window.findChildren(IdleLock)
    return found[0] if found else None


def users_section(ctx: AppContext) -> QWidget | None:
    actor = ctx.store.actor
    if not (actor.can(Permission.MANAGE_USERS) or actor.can(Permission.VIEW_AUDIT)):
        return None
    return UsersSection(ctx)
