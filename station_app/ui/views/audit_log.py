"""The audit log in the app: the log itself (Settings → Users and access, filtered by user, action,
dates or patient; "Check the chain"), and a patient's "Access history" tab."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from station_app.domain.accounts import role_name
from station_app.domain.dates import DateFormatError
from station_app.domain.patient import Patient
from station_app.i18n import N_, tr
from station_app.store import Store, StoreError, audit, backup, corrections, patients, users
from station_app.ui.context import AppContext
from station_app.ui.tables import fill_table, read_only_table
from station_app.ui.widgets import ERROR_COLOUR, DateEdit, heading

ALL_ACTIONS = ""
# What "Check the chain" finds: the chain itself, and the log against each backup's recorded head.
ChainResult = tuple[audit.ChainReport, list[backup.ChainAgainstBackup]]


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
    "format": N_("format"),
    "rows": N_("rows"),
    "query": N_("search"),
}
# ``from`` and ``to`` are a role changed on an account, and the first and last day of anything else.
PERIOD_LABELS = {"from": N_("from"), "to": N_("to")}
TARGET_NAMES = {
    "patient": N_("patient"),
    "visit": N_("visit"),
    "referral": N_("referral"),
    "followup": N_("follow-up"),
    "user": N_("account"),
    "command_line": N_("command line"),
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
    ("change", "outcome undone"): N_("call outcome undone"),
}


def _value(entry: audit.Entry, key: str, value: object) -> str:
    from station_app.domain.followup import OutcomeKind
    from station_app.ui.views.referrals import OUTCOMES

    if isinstance(value, bool):
        return tr("yes") if value else tr("no")
    if isinstance(value, list):
        return ", ".join(tr(corrections.field_label(str(v))) for v in value)
    if isinstance(value, dict):  # (values by name, e.g. the yearly targets entered)
        return ", ".join(f"{k}: {v}" for k, v in value.items())
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
        if key in PERIOD_LABELS and entry.target_type != "user":
            label = tr(PERIOD_LABELS[key])
        else:
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
        self.table = read_only_table([tr(c) for c in AUDIT_COLUMNS], stretch=(6,))
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
        fill_table(self.table, [
            [e.at.strftime("%d/%m/%Y %H:%M:%S"), e.username, entry_role(e), action_text(e.action), target_text(e),
             names.get(e.patient_id, "") if e.patient_id is not None else "", details_text(e)]
            for e in self.entries
        ], [e.id for e in self.entries])
        self.status.setStyleSheet("")
        self.status.setText(tr("{count} entries").format(count=len(self.entries)))

    def verify(self) -> None:
        """Check the whole chain on a worker thread (its own connection), and compare it with the
        heads recorded in the station's backups; the result below."""
        from station_app.ui import operations
        from station_app.ui.views.backups import backup_folder, second_folder

        db = self.ctx.db_path
        folders = [backup_folder()]
        second = second_folder()
        if second is not None and second.is_dir():
            folders.append(second)

        def work(store: Store, progress: operations.Progress) -> ChainResult:
            return audit.verify(store, progress), backup.compare_chain(store.conn, db, folders)

        def failed(exc: BaseException) -> None:
            self.verify_button.setEnabled(True)
            self.status.setStyleSheet(f"color: {ERROR_COLOUR};")
            self.status.setText(exc.text() if isinstance(exc, StoreError) else str(exc))

        self.verify_button.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText(tr("Checking the chain…"))
        self._verify_op = operations.run_op(self, self.ctx, tr("Checking the chain…"), work, self.show_report,
                                            on_error=failed)

    def show_report(self, result: ChainResult) -> None:
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
        self.table = read_only_table([tr(c) for c in (N_("Time"), N_("User"), N_("Role"), N_("Action"), N_("Record"),
                                              N_("Details"))], stretch=(5,))
        fill_table(self.table, [
            [e.at.strftime("%d/%m/%Y %H:%M"), e.username, entry_role(e), action_text(e.action), target_text(e),
             details_text(e)]
            for e in entries
        ])
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
