"""Accounts, the audit log and corrections in the app.

- the logged-in person in the status bar, "Change my password", the idle lock (``attach``);
- Settings → "Users and access" (head, admin): accounts, roles, deactivation, password reset,
  unlocking, the idle-lock time, and the audit log (filter by user, action, date, patient;
  check the chain);
- a patient's page: the "Access history" tab (who saw or changed this record), and under the
  visit history "Amend…" (a new version with the reason; the old one is kept) and "History…";
- the registry: "Merge duplicates…" (head) and undoing a merge.

Everything is checked again in the store (``store.require``): hiding a button is a courtesy.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from station_app.domain.accounts import ACCOUNT_ROLES, ROLE_NAMES, Permission, role_name
from station_app.domain.dates import DateFormatError
from station_app.domain.patient import Patient
from station_app.domain.visit import ExtraDiagnosis, Visit
from station_app.i18n import N_, tr
from station_app.store import StoreError, audit, backup, corrections, icd10, patients, users, visits
from station_app.ui import dialogs
from station_app.ui.context import AppContext
from station_app.ui.login import ChangePasswordDialog, IdleLock
from station_app.ui.qt_i18n import fmt_datetime
from station_app.ui.views import patient_page, registry, settings
from station_app.ui.widgets import ERROR_COLOUR, DateEdit, heading

ALL_ACTIONS = ""


def _table(headers: list[str], stretch: tuple[int, ...] = ()) -> QTableWidget:
    """A read-only table; the ``stretch`` columns share the width left (long texts elided, full
    text in the tooltip)."""
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    for column in stretch:
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
    header.setStretchLastSection(not stretch)
    return table


def _fill(table: QTableWidget, rows: list[list[str]], keys: list[object] | None = None) -> None:
    table.setRowCount(len(rows))
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if len(text) > 20:
                item.setToolTip(text)
            if keys is not None:
                item.setData(Qt.ItemDataRole.UserRole, keys[r])
            table.setItem(r, c, item)


def _selected_key(table: QTableWidget) -> object | None:
    row = table.currentRow()
    item = table.item(row, 0) if row >= 0 else None
    return item.data(Qt.ItemDataRole.UserRole) if item is not None else None


# -- what an audit entry says --------------------------------------------------------------------
DETAIL_LABELS = {
    "reason": N_("reason"),
    "fields": N_("fields"),
    "number": N_("number"),
    "copy": N_("copy"),
    "outcome": N_("outcome"),
    "record_no": N_("record no."),
    "username": N_("user"),
    "role": N_("role"),
    "change": N_("change"),
    "version": N_("version"),
    "attempt": N_("attempt"),
    "diagnosis": N_("diagnosis"),
    "merged": N_("merged record"),
    "kept": N_("kept record"),
    "from": N_("previous role"),
    "to": N_("new role"),
    "note": N_("note"),
    "idle_lock_minutes": N_("lock after (minutes)"),
}
TARGET_NAMES = {
    "patient": N_("patient"),
    "visit": N_("visit"),
    "referral": N_("referral"),
    "followup": N_("follow-up"),
    "user": N_("account"),
}


def target_text(entry: audit.Entry) -> str:
    kind = tr(TARGET_NAMES[entry.target_type]) if entry.target_type in TARGET_NAMES else entry.target_type
    return f"{kind} {entry.target_id}".strip()


# Codes stored in the details, and what they say.
VALUE_NAMES = {
    ("reason", "wrong password"): N_("wrong password"),
    ("reason", "locked"): N_("account locked"),
    ("reason", "unknown or inactive account"): N_("unknown or deactivated account"),
    ("change", "created"): N_("account created"),
    ("change", "password"): N_("own password changed"),
    ("change", "password reset"): N_("password set by the head or admin"),
    ("change", "role"): N_("role changed"),
    ("change", "deactivated"): N_("account deactivated"),
    ("change", "reactivated"): N_("account reactivated"),
    ("change", "unlocked"): N_("account unlocked"),
}


def _value(entry: audit.Entry, key: str, value: object) -> str:
    from station_app.domain.followup import OutcomeKind
    from station_app.ui.views.referrals import OUTCOMES

    if isinstance(value, bool):
        return tr("yes") if value else tr("no")
    if isinstance(value, list):
        return ", ".join(tr(corrections.field_label(str(v))) for v in value)
    if (key, value) in VALUE_NAMES:
        return tr(VALUE_NAMES[(key, value)])  # type: ignore[index]
    if key in ("role", "from", "to"):
        return role_name(str(value))
    if key == "outcome" and entry.target_type == "referral" and value in OUTCOMES:
        return tr(OUTCOMES[str(value)])
    if key == "outcome" and entry.target_type == "followup" and value in set(OutcomeKind):
        return OutcomeKind(str(value)).title
    return str(value)


def details_text(entry: audit.Entry) -> str:
    parts = []
    for key, value in entry.details.items():
        if key in ("before", "os_user", "method", "moved", "moved_back", "merge", "on", "visit_at"):
            continue
        value = _value(entry, key, value)
        label = tr(DETAIL_LABELS[key]) if key in DETAIL_LABELS else key
        parts.append(f"{label}: {value}")
    return "; ".join(parts)


def entry_role(entry: audit.Entry) -> str:
    """The role of an entry's author; none for a login attempt with an unknown user name."""
    if entry.username == "?":
        return ""
    return role_name(entry.role)


def action_text(action: str) -> str:
    return tr(audit.ACTION_NAMES[action]) if action in audit.ACTION_NAMES else action


# -- the status bar and the idle lock ------------------------------------------------------------
def attach(ctx: AppContext, window: QMainWindow) -> IdleLock:
    """The logged-in person in the status bar; "Change my password"; the idle lock (returned)."""
    store = ctx.store
    actor = store.actor
    badge = QLabel(tr("Logged in: {name} ({role})").format(
        name=actor.full_name or actor.username, role=role_name(actor.role)))
    badge.setObjectName("user_badge")
    change = QPushButton(tr("Change my password"))
    change.setFlat(True)
    change.setObjectName("change_password")

    def change_own() -> None:
        store = ctx.store  # (a restore replaces the connection)
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
    window.statusBar().addPermanentWidget(badge)
    window.statusBar().addPermanentWidget(change)
    window.statusBar().addPermanentWidget(lock_now)
    lock = IdleLock(lambda: ctx.store, window, users.idle_lock_minutes(store))
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
        self.username = QLineEdit()
        self.username.setPlaceholderText(tr("for example yta.mai"))
        self.role = QComboBox()
        for role in ACCOUNT_ROLES:
            self.role.addItem(tr(ROLE_NAMES[role]), str(role))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow(tr("Full name"), self.full_name)
        form.addRow(tr("User name"), self.username)
        form.addRow(tr("Role"), self.role)
        form.addRow(tr("Password (at least 8 characters)"), self.password)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {ERROR_COLOUR};")
        buttons = QDialogButtonBox()
        buttons.addButton(tr("Create the account"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(tr("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
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
        self.table = _table([tr(c) for c in USER_COLUMNS])
        self.table.setMinimumHeight(170)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for key, title, slot in (
            ("add", N_("New account…"), self.add),
            ("password", N_("Set a password…"), self.set_password),
            ("role", N_("Change the role…"), self.change_role),
            ("active", N_("Deactivate / reactivate"), self.toggle_active),
            ("unlock", N_("Unlock"), self.unlock),
        ):
            button = QPushButton(tr(title))
            button.clicked.connect(slot)
            button.setEnabled(self.can_manage)
            self.buttons[key] = button
            row.addWidget(button)
        row.addStretch(1)
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
        idle_row.addWidget(self.audit_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(row)
        layout.addLayout(idle_row)
        self.load()

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
        _fill(self.table, rows, [u.id for u in self.accounts])

    def selected(self) -> users.User | None:
        user_id = _selected_key(self.table)
        return next((u for u in self.accounts if u.id == user_id), None)

    def _do(self, action) -> None:  # type: ignore[no-untyped-def]
        try:
            action()
        except StoreError as exc:
            dialogs.error(self, tr("Users and access"), exc.text())
        self.load()

    def add(self) -> None:
        dialog = NewUserDialog(self.ctx, self)
        if dialogs.run(dialog):
            self.load()

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
        for role in ACCOUNT_ROLES:
            combo.addItem(tr(ROLE_NAMES[role]), str(role))
        combo.setCurrentIndex(combo.findData(str(user.role)))
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


def _session_lock(widget: QWidget) -> IdleLock | None:
    window = widget.window()
    found = window.findChildren(IdleLock)
    return found[0] if found else None


def users_section(ctx: AppContext) -> QWidget | None:
    actor = ctx.store.actor
    if not (actor.can(Permission.MANAGE_USERS) or actor.can(Permission.VIEW_AUDIT)):
        return None
    return UsersSection(ctx)


# -- the audit log -------------------------------------------------------------------------------
AUDIT_COLUMNS = (N_("Time"), N_("User"), N_("Role"), N_("Action"), N_("Record"), N_("Patient"), N_("Details"))


class AuditLogView(QWidget):
    """The audit log, newest first, filtered by user, action, dates and patient record no."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        store = ctx.store
        self.user = QComboBox()
        self.user.addItem(tr("All users"), "")
        for name in sorted(set(audit.usernames(store)) | {u.username for u in users.all_users(store)}):
            self.user.addItem(name, name)
        self.action = QComboBox()
        self.action.addItem(tr("All actions"), ALL_ACTIONS)
        for code, title in audit.ACTION_NAMES.items():
            self.action.addItem(tr(title), code)
        self.start = DateEdit()
        self.end = DateEdit()
        self.patient = QLineEdit()
        self.patient.setPlaceholderText(tr("record no."))
        self.patient.setMaximumWidth(140)
        self.apply_button = QPushButton(tr("Filter"))
        self.apply_button.clicked.connect(self.reload)
        self.patient.returnPressed.connect(self.reload)
        self.verify_button = QPushButton(tr("Check the chain"))
        self.verify_button.clicked.connect(self.verify)
        filters = QHBoxLayout()
        for label, widget in ((N_("User"), self.user), (N_("Action"), self.action), (N_("From"), self.start),
                              (N_("To"), self.end), (N_("Patient"), self.patient)):
            filters.addWidget(QLabel(tr(label)))
            filters.addWidget(widget)
        filters.addWidget(self.apply_button)
        filters.addStretch(1)
        filters.addWidget(self.verify_button)
        self.table = _table([tr(c) for c in AUDIT_COLUMNS], stretch=(6,))
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self.user.currentIndexChanged.connect(self.reload)
        self.action.currentIndexChanged.connect(self.reload)
        self.reload()

    def current_filter(self) -> audit.Filter | None:
        try:
            start, end = self.start.date(), self.end.date()
        except DateFormatError:
            self.status.setText(tr("Write the dates as dd/mm/yyyy."))
            self.status.setStyleSheet(f"color: {ERROR_COLOUR};")
            return None
        patient_id: int | None = None
        record_no = self.patient.text().strip()
        if record_no:
            found = patients.by_record_no(self.ctx.store, record_no) or next(
                iter(patients.search(self.ctx.store, record_no, limit=1)), None)
            if found is None:
                self.status.setText(tr("No patient has the record no. {record}.").format(record=record_no))
                self.status.setStyleSheet(f"color: {ERROR_COLOUR};")
                return None
            patient_id = found.id
        return audit.Filter(username=self.user.currentData() or "", action=self.action.currentData() or "",
                            start=start, end=end, patient_id=patient_id, limit=5000)

    def reload(self) -> None:
        f = self.current_filter()
        if f is None:
            return
        self.entries = audit.entries(self.ctx.store, f)
        names = {}
        ids = sorted({e.patient_id for e in self.entries if e.patient_id is not None})
        for pid, p in patients.get_many(self.ctx.store, ids).items():
            names[pid] = f"{p.record_no} {p.full_name}"
        _fill(self.table, [
            [e.at.strftime("%d/%m/%Y %H:%M:%S"), e.username, entry_role(e), action_text(e.action), target_text(e),
             names.get(e.patient_id, "") if e.patient_id is not None else "", details_text(e)]
            for e in self.entries
        ], [e.id for e in self.entries])
        self.status.setStyleSheet("")
        self.status.setText(tr("{count} entries").format(count=len(self.entries)))

    def verify(self) -> None:
        """Check the whole chain on a worker thread (its own connection), and compare it with the
        heads recorded in the station's backups; the result below."""
        from station_app.store import open_store
        from station_app.ui import background
        from station_app.ui.views.backups import backup_folder, second_folder

        db = self.ctx.db_path
        folders = [backup_folder()]
        second = second_folder()
        if second is not None and second.is_dir():
            folders.append(second)

        def work(progress):  # type: ignore[no-untyped-def]
            store = open_store(db, create=False)
            try:
                return audit.verify(store, progress), backup.compare_chain(store.conn, db, folders)
            finally:
                store.close()

        def failed(exc: BaseException) -> None:
            self.verify_button.setEnabled(True)
            self.status.setStyleSheet(f"color: {ERROR_COLOUR};")
            self.status.setText(exc.text() if isinstance(exc, StoreError) else str(exc))

        self.verify_button.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText(tr("Checking the chain…"))
        self._verify_op = background.run(self, tr("Checking the chain…"), work, self.show_report, failed)

    def show_report(self, result: tuple[audit.ChainReport, list[backup.ChainAgainstBackup]]) -> None:
        from station_app.presentation import backup_chain_texts

        report, compared = result
        extended, texts = backup_chain_texts(compared)
        findings = [text for finding, text in texts if finding]
        notes = [text for finding, text in texts if not finding]
        self.verify_button.setEnabled(True)
        if report.ok and not findings:
            self.status.setStyleSheet("")
            lines = [tr("The audit log is intact: {count} entries, each linked to the one before.").format(
                count=report.entries),
                tr("Audit log compared with {count} backup(s) of the station: it extends each of them.").format(
                    count=extended)]
            self.status.setText("\n".join(lines + notes))
            return
        lines = []
        if not report.ok:
            problem = report.problem
            assert problem is not None
            lines.append(tr("The audit log was changed at entry {id}: {reason}").format(
                id=problem.entry_id, reason=tr(problem.reason).format(**problem.params)))
        self.status.setStyleSheet(f"color: {ERROR_COLOUR}; font-weight: bold;")
        self.status.setText("\n".join(lines + findings + notes))


class AuditLogDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Audit log"))
        self.resize(1200, 640)
        self.view = AuditLogView(ctx, self)
        buttons = QDialogButtonBox()
        buttons.addButton(tr("Close"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(tr("Audit log")))
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)


# -- a patient's access history ----------------------------------------------------------------
class AccessHistoryTab(QWidget):
    """Who saw or changed this patient's record, and when (what the patient may ask for)."""

    def __init__(self, ctx: AppContext, patient: Patient) -> None:
        super().__init__()
        entries = audit.patient_history(ctx.store, patient.id) if patient.id is not None else []
        self.table = _table([tr(c) for c in (N_("Time"), N_("User"), N_("Role"), N_("Action"), N_("Record"),
                                              N_("Details"))], stretch=(5,))
        _fill(self.table, [
            [e.at.strftime("%d/%m/%Y %H:%M"), e.username, entry_role(e), action_text(e.action), target_text(e),
             details_text(e)]
            for e in entries
        ])
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)


# -- corrections of a visit ----------------------------------------------------------------------
_NUMBERS = (
    ("bp_systolic", int), ("bp_diastolic", int), ("pulse", int), ("temperature", float), ("weight", float),
    ("height", float), ("spo2", int), ("glucose", float),
)
_TEXTS = ("complaint", "examination", "diagnosis_code", "diagnosis_text", "treatment", "notes")


class AmendVisitDialog(QDialog):
    """A corrected version of a visit; the reason is required; the old version is kept."""

    def __init__(self, ctx: AppContext, visit: Visit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.visit = visit
        self.saved: Visit | None = None
        self.setWindowTitle(tr("Amend the visit of {date}").format(date=fmt_datetime(visit.visit_at)))
        self.edits: dict[str, QLineEdit] = {}
        form = QFormLayout()
        for name in ("complaint", "examination"):
            self.edits[name] = QLineEdit(getattr(visit, name))
            form.addRow(tr(corrections.field_label(name)), self.edits[name])
        for name, _kind in _NUMBERS:
            value = getattr(visit, name)
            self.edits[name] = QLineEdit("" if value is None else f"{value:g}")
            self.edits[name].setMaximumWidth(120)
            form.addRow(tr(corrections.field_label(name)), self.edits[name])
        for name in ("diagnosis_code", "diagnosis_text", "treatment", "notes"):
            self.edits[name] = QLineEdit(getattr(visit, name))
            form.addRow(tr(corrections.field_label(name)), self.edits[name])
        self.follow_up = DateEdit()
        self.follow_up.set_date(visit.follow_up_date)
        form.addRow(tr(corrections.field_label("follow_up_date")), self.follow_up)
        self.reason = QPlainTextEdit()
        self.reason.setFixedHeight(60)
        form.addRow(tr("Reason for the correction") + " *", self.reason)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {ERROR_COLOUR};")
        buttons = QDialogButtonBox()
        buttons.addButton(tr("Save the correction"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(tr("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("The visit as it is now is kept in its history, with your name and the reason.")))
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def amended(self) -> Visit | None:
        values: dict[str, object] = {name: self.edits[name].text().strip() for name in _TEXTS}
        for name, kind in _NUMBERS:
            text = self.edits[name].text().strip().replace(",", ".")
            try:
                values[name] = kind(text) if text else None
            except ValueError:
                self.message.setText(tr("{field}: write a number.").format(field=tr(corrections.field_label(name))))
                return None
        try:
            values["follow_up_date"] = self.follow_up.date()
        except DateFormatError:
            self.message.setText(tr("{field}: write the date as dd/mm/yyyy.").format(
                field=tr(corrections.field_label("follow_up_date"))))
            return None
        if values["diagnosis_code"] != self.visit.diagnosis_code:
            values["diagnosis_code"] = str(values["diagnosis_code"]).upper()
            found = icd10.get(self.ctx.store, str(values["diagnosis_code"]))
            if found is not None and values["diagnosis_text"] == self.visit.diagnosis_text:
                values["diagnosis_text"] = found.name_vi  # a new code with the old words: the code's name
        extra = [ExtraDiagnosis(d.code, d.text) for d in self.visit.extra_diagnoses]
        return Visit(**{**self.visit.__dict__, **values, "extra_diagnoses": extra})

    def accept(self) -> None:
        amended = self.amended()
        if amended is None:
            return
        try:
            self.saved = corrections.amend_visit(self.ctx.store, amended, self.reason.toPlainText())
        except StoreError as exc:
            self.message.setText(exc.text())
            return
        super().accept()


def _value_text(value: object) -> str:
    if value is None or value == "" or value == "[]":
        return "—"
    return str(value)


class VisitHistoryDialog(QDialog):
    """Every version of a visit, oldest first: what each correction changed, who, when, why."""

    def __init__(self, ctx: AppContext, visit_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("History of the visit"))
        self.resize(1100, 480)
        self.versions = corrections.visit_versions(ctx.store, visit_id)
        self.table = _table([tr(c) for c in (N_("Version"), N_("Changed on"), N_("By"), N_("Reason"),
                                              N_("Field"), N_("Before"), N_("After"))], stretch=(3, 5, 6))
        rows = []
        for older, newer in zip(self.versions, self.versions[1:], strict=False):
            for name in corrections.changed_fields(older.data, newer.data):
                rows.append([
                    str(older.number + 1), fmt_datetime(older.replaced_at), older.author or older.replaced_by,
                    older.reason, tr(corrections.field_label(name)), _value_text(older.data.get(name)),
                    _value_text(newer.data.get(name)),
                ])
        _fill(self.table, rows)
        summary = QLabel(
            tr("Never amended: this is the visit as first recorded.") if len(self.versions) <= 1 else
            tr("{count} corrections; the first version is kept.").format(count=len(self.versions) - 1))
        buttons = QDialogButtonBox()
        buttons.addButton(tr("Close"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)


# Labels of a referral slip's fields (the slip's own words, as on the referral form).
REFERRAL_FIELDS = {
    "receiving_facility": N_("Facility"),
    "receiving_facility_code": N_("Facility code"),
    "patient_name": N_("Full name"),
    "sex": N_("Sex"),
    "birth_year": N_("Year of birth"),
    "address": N_("Address"),
    "ethnicity": N_("Ethnic group"),
    "occupation": N_("Occupation"),
    "workplace": N_("Workplace"),
    "insurance_no": N_("Insurance card no."),
    "insurance_valid_to": N_("Card valid to"),
    "clinical_signs": N_("Clinical signs"),
    "test_results": N_("Main test results"),
    "diagnosis": N_("Diagnosis"),
    "icd_main": N_("ICD-10"),
    "procedures": N_("Procedures done (if any)"),
    "treatment": N_("Main treatment and drugs used"),
    "condition": N_("Condition at transfer"),
    "reason": N_("Reason"),
}


def _field_name(entity: str, name: str) -> str:
    if entity == "referral":
        return tr(REFERRAL_FIELDS[name]) if name in REFERRAL_FIELDS else name
    return tr(corrections.field_label(name))


class CorrectionsTab(QWidget):
    """Every correction of the patient's visits and referral slips: before, after, who, why."""

    def __init__(self, ctx: AppContext, patient: Patient) -> None:
        super().__init__()
        found = corrections.for_patient(ctx.store, patient.id) if patient.id is not None else []
        self.table = _table([tr(c) for c in (N_("Changed on"), N_("Entry"), N_("By"), N_("Reason"), N_("Field"),
                                              N_("Before"), N_("After"))], stretch=(3, 5, 6))
        rows = []
        for a in found:
            if a.entity == "visit":
                try:
                    entry = tr("visit of {date}").format(date=fmt_datetime(dt.datetime.fromisoformat(a.label)))
                except ValueError:
                    entry = a.label
            else:
                entry = tr("referral slip {number}").format(number=a.label)
            for name, before, after in a.changes or [("", None, None)]:
                rows.append([fmt_datetime(a.amended_at), entry, a.author, a.reason or "—",
                             _field_name(a.entity, name) if name else "", _value_text(before), _value_text(after)])
        _fill(self.table, rows)
        note = QLabel(tr("No entry of this patient was corrected.") if not found else tr(
            "A correction never overwrites: the version before it is kept, with who corrected it, when and why."))
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)


def mark_amended(ctx: AppContext, table: QTableWidget, shown: list[Visit]) -> None:
    """A corrected visit says so in the history (its date cell), with how many times."""
    counts = corrections.amendment_counts(ctx.store, "visit", [v.id for v in shown if v.id is not None])
    for row, v in enumerate(shown):
        times = counts.get(v.id or 0)
        item = table.item(row, 0)
        if times and item is not None:
            item.setText(item.text() + " ✎")
            item.setToolTip(tr("Corrected {count} times: see History…").format(count=times))


def amend_visit_action(ctx: AppContext, visit_id: int, page: QWidget) -> None:
    if not ctx.store.actor.can(Permission.AMEND_RECORDS):
        dialogs.warning(page, tr("Amend"), tr("Only the head of station corrects a recorded visit."))
        return
    visit = visits.get(ctx.store, visit_id)
    if visit is None:
        return
    dialog = AmendVisitDialog(ctx, visit, page)
    if dialogs.run(dialog):
        ctx.visits_changed.emit()


def visit_history_action(ctx: AppContext, visit_id: int, page: QWidget) -> None:
    dialog = VisitHistoryDialog(ctx, visit_id, page)
    dialogs.run(dialog)


# -- merging duplicate patients ------------------------------------------------------------------
class MergeDialog(QDialog):
    """Two records of one person: everything of the duplicate moves to the kept record."""

    def __init__(self, ctx: AppContext, duplicate_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.merge: corrections.Merge | None = None
        self.setWindowTitle(tr("Merge duplicate patients"))
        self.setMinimumWidth(620)
        self.kept = QLineEdit()
        self.duplicate = QLineEdit()
        for edit in (self.kept, self.duplicate):
            edit.setPlaceholderText(tr("record no."))
            edit.textChanged.connect(self.describe)
        self.kept_label = QLabel()
        self.duplicate_label = QLabel()
        self.reason = QLineEdit()
        form = QFormLayout()
        form.addRow(tr("Keep this record"), self.kept)
        form.addRow("", self.kept_label)
        form.addRow(tr("Merge this duplicate into it"), self.duplicate)
        form.addRow("", self.duplicate_label)
        form.addRow(tr("Reason") + " *", self.reason)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.undo_table = _table([tr(c) for c in (N_("Merged on"), N_("By"), N_("Kept"), N_("Merged"),
                                                   N_("Reason"))])
        self.undo_table.setMaximumHeight(150)
        self.undo_button = QPushButton(tr("Undo the selected merge"))
        self.undo_button.clicked.connect(self.undo)
        buttons = QDialogButtonBox()
        self.merge_button = buttons.addButton(tr("Merge"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(tr("Close"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr(
            "Visits, follow-ups, programmes and referrals of the duplicate move to the kept record. Nothing is "
            "deleted: the duplicate stays in the database, hidden, and the merge can be undone.")))
        layout.itemAt(0).widget().setWordWrap(True)  # type: ignore[union-attr]
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(QLabel(tr("Earlier merges")))
        layout.addWidget(self.undo_table)
        layout.addWidget(self.undo_button)
        layout.addWidget(buttons)
        if duplicate_id is not None:
            p = patients.get(ctx.store, duplicate_id)
            if p is not None:
                self.duplicate.setText(p.record_no or "")
        self.load_merges()

    def _find(self, text: str) -> Patient | None:
        text = text.strip()
        return patients.by_record_no(self.ctx.store, text) if text else None

    def describe(self) -> None:
        for edit, label in ((self.kept, self.kept_label), (self.duplicate, self.duplicate_label)):
            p = self._find(edit.text())
            if p is None:
                label.setText(tr("No patient has this record no.") if edit.text().strip() else "")
            else:
                born = p.birth.display() if p.birth else ""
                label.setText(" · ".join(x for x in (p.full_name, born, p.village, p.phone) if x))

    def load_merges(self) -> None:
        merges = corrections.recent_merges(self.ctx.store)
        people = patients.get_many(self.ctx.store, sorted({m.kept_id for m in merges} | {m.merged_id for m in merges}))

        def who(pid: int) -> str:
            p = people.get(pid)
            return f"{p.record_no} {p.full_name}" if p else str(pid)

        self.merges = merges
        _fill(self.undo_table, [
            [fmt_datetime(m.merged_at), m.username, who(m.kept_id), who(m.merged_id), m.reason] for m in merges
        ], [m.id for m in merges])

    def accept(self) -> None:
        kept, duplicate = self._find(self.kept.text()), self._find(self.duplicate.text())
        if kept is None or duplicate is None or kept.id is None or duplicate.id is None:
            self.message.setText(tr("Write the record numbers of both patients."))
            return
        if not dialogs.ask(self, tr("Merge duplicate patients"), tr(
                "Move everything of {duplicate} into {kept}?").format(
                    duplicate=f"{duplicate.record_no} {duplicate.full_name}",
                    kept=f"{kept.record_no} {kept.full_name}")):
            return
        try:
            self.merge = corrections.merge_patients(self.ctx.store, kept.id, duplicate.id, self.reason.text())
        except StoreError as exc:
            self.message.setText(exc.text())
            return
        self.ctx.patients_changed.emit()
        self.ctx.visits_changed.emit()
        super().accept()

    def undo(self) -> None:
        merge_id = _selected_key(self.undo_table)
        if merge_id is None:
            return
        reason = self.reason.text().strip()
        if not reason:
            self.message.setText(tr("Write the reason for undoing the merge in the Reason field."))
            return
        try:
            corrections.unmerge(self.ctx.store, int(merge_id), reason)  # type: ignore[call-overload]
        except StoreError as exc:
            self.message.setText(exc.text())
            return
        self.ctx.patients_changed.emit()
        self.ctx.visits_changed.emit()
        self.message.setText("")
        self.load_merges()
        dialogs.info(self, tr("Merge duplicate patients"), tr("The merge was undone."))


def merge_action(ctx: AppContext, registry_list: QWidget) -> None:
    if not ctx.store.actor.can(Permission.MERGE_PATIENTS):
        dialogs.warning(registry_list, tr("Merge duplicate patients"),
                        tr("Only the head of station merges duplicate patients."))
        return
    current = getattr(registry_list, "current_id", lambda: None)()
    dialog = MergeDialog(ctx, current, registry_list)
    dialog.open()
    registry_list._merge_dialog = dialog  # type: ignore[attr-defined]


# -- registrations -------------------------------------------------------------------------------
def _access_tab(ctx: AppContext, patient: Patient) -> QWidget:
    return AccessHistoryTab(ctx, patient)


patient_page.EXTRA_TABS.append((N_("Access history"), _access_tab))
patient_page.EXTRA_TABS.append((N_("Corrections"), CorrectionsTab))
patient_page.VISIT_ACTIONS.append((N_("Amend…"), amend_visit_action))
patient_page.VISIT_ACTIONS.append((N_("History…"), visit_history_action))
patient_page.HISTORY_HOOKS.append(mark_amended)
registry.LIST_ACTIONS.append((N_("Merge duplicates…"), merge_action))
settings.EXTRA_SECTIONS.append(users_section)
