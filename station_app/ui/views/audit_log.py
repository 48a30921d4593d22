"""The audit log in the app: the log itself (Settings → Users and access, filtered by user, action,
dates or patient; "Check the chain"), and a patient's "Access history" tab."""

from __future__ import annotations

import datetime as dt
import re

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
from station_app.ui.qt_i18n import fmt_date, fmt_datetime
from station_app.ui.tables import fill_table, read_only_table
from station_app.ui.widgets import ERROR_COLOUR, DateEdit, heading

ALL_ACTIONS = ""
# What "Check the chain" finds: the chain itself, and the log against each backup's recorded head.
ChainResult = tuple[audit.ChainReport, list[backup.ChainAgainstBackup]]


# -- what an audit entry says --------------------------------------------------------------------
# Every key an entry's details hold, as the log names it (tests/ui/test_audit_details.py finds the
# keys the code writes and fails on one missing here). ``from`` and ``to`` depend on the entry.
DETAIL_LABELS = {
    "reason": N_("reason"),
    "fields": N_("fields"),
    "number": N_("number"),
    "copy": N_("copy"),
    "outcome": N_("outcome"),
    "record_no": N_("record no."),
    "username": N_("user"),
    "user": N_("user"),
    "role": N_("role"),
    "change": N_("change"),
    "version": N_("version"),
    "attempt": N_("attempt"),
    "diagnosis": N_("diagnosis"),
    "merged": N_("merged record"),
    "kept": N_("kept record"),
    "note": N_("note"),
    "idle_lock_minutes": N_("lock after (minutes)"),
    "format": N_("format"),
    "rows": N_("rows"),
    "query": N_("search"),
    "output": N_("sent to"),
    "file": N_("file"),
    "folder": N_("folder"),
    "aside": N_("file in use kept aside as"),
    "automatic": N_("automatic backup"),
    "encrypted": N_("encrypted"),
    "damaged": N_("the file was damaged"),
    "other_station": N_("another station's backup"),
    "document": N_("document"),
    "start": N_("first day"),
    "end": N_("last day"),
    "as_of": N_("as of"),
    "section": N_("section"),
    "limit": N_("at most (rows)"),
    "action": N_("action"),
    "patient": N_("patient id"),
    "identifiers": N_("with identifiers"),
    "final": N_("finalised version"),
    "list": N_("list"),
    "filters": N_("filters"),
    "what": N_("data imported"),
    "imported": N_("imported (count)"),
    "added": N_("added (count)"),
    "skipped": N_("skipped (count)"),
    "patients": N_("patients (count)"),
    "first_id": N_("first new record id"),
    "last_id": N_("last new record id"),
    "written": N_("claims written"),
    "held": N_("claims held back"),
    "answer": N_("portal's answer"),
    "year": N_("year"),
    "after": N_("now"),
    "cell": N_("report cell"),
    "computed": N_("computed value"),
    "corrected": N_("corrected value"),
    "corrections": N_("cells corrected"),
    "reopened": N_("reopened"),
    "changed": N_("fields changed"),
    "name": N_("name"),
    "retired": N_("retired"),
    "price": N_("price"),
    "valid_from": N_("valid from"),
    "valid_to": N_("valid to"),
    "card_set_aside": N_("insurance card set aside"),
    "full_name": N_("full name"),
    "title": N_("title"),
    "disease": N_("disease"),
    "status": N_("status"),
    "lines": N_("lines received"),
    "supplier": N_("supplier"),
    "returned": N_("quantity returned"),
    "drug": N_("drug"),
    "lot": N_("lot"),
    "delta": N_("quantity change"),
    "lots": N_("lots counted"),
    "differences": N_("differences found"),
    "kind": N_("kind"),
    "label": N_("item"),
    "due": N_("due on"),
    "source": N_("source"),
    "deceased": N_("died on"),
    "died_on": N_("died on"),
    "programme": N_("programme"),
    "closed_on": N_("closed on"),
    "closure": N_("closure"),
    "given_on": N_("given on"),
    "from_booklet": N_("from the vaccination booklet"),
    "followups": N_("follow-ups renewed"),
    "delivered_at": N_("delivered at"),
    "place": N_("place"),
    "babies": N_("babies"),
    "children": N_("children's record ids"),
    "cause": N_("cause (ICD-10)"),
    "text": N_("details as written"),
}
# Details the log keeps but does not show (the values before a change, internal ids, the time of
# the visit the Record column already names…).
HIDDEN_DETAILS = frozenset({"before", "os_user", "method", "moved", "moved_back", "merge", "on", "visit_at"})
# ``from`` and ``to``: a role changed on an account; the backup a restore put in place; else a day
# (the first and last of a period: a book printed, a list exported or listed).
PERIOD_LABELS = {"from": N_("first day"), "to": N_("last day")}
ROLE_LABELS = {"from": N_("previous role"), "to": N_("new role")}
EMPTY = "—"
TARGET_NAMES = {
    "patient": N_("patient"),
    "visit": N_("visit"),
    "referral": N_("referral"),
    "followup": N_("follow-up"),
    "user": N_("account"),
    "command_line": N_("command line"),
    "database": N_("database"),
    "book": N_("book"),
    "visit_book": N_("visit book (A1)"),
    "referral_book": N_("referral book"),
    "report": N_("monthly report"),
    "claims_report": N_("claims report"),
    "claims": N_("claims"),
    "claim": N_("claim of visit"),
    "medicine_report": N_("medicine report"),
    "notification": N_("case report"),
    "call_sheet": N_("call sheet"),
    "settings": N_("settings"),
    "station": N_("station profile"),
    "staff": N_("staff member"),
    "villages": N_("villages"),
    "epi_targets": N_("vaccination targets"),
    "drug": N_("drug"),
    "stock_receipt": N_("stock receipt"),
    "priced_service": N_("priced service"),
    "claim_settings": N_("claims settings"),
    "stock_lot": N_("stock lot"),
    "stock_count": N_("stock count"),
    "prescription_line": N_("prescription line"),
    "delivery": N_("delivery"),
    "death": N_("death"),
    "enrolment": N_("programme enrolment"),
    "vaccine_dose": N_("vaccine dose"),
    "followups": N_("follow-up list"),
}


def target_text(entry: audit.Entry) -> str:
    kind = tr(TARGET_NAMES[entry.target_type]) if entry.target_type in TARGET_NAMES else entry.target_type
    ident = entry.target_id
    if re.fullmatch(r"\d{4}-\d{2}", ident):  # a month (a report): as the report names it
        ident = f"{ident[5:]}/{ident[:4]}"
    return f"{kind} {ident}".strip()


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
    ("output", "printer"): N_("the printer"),
    ("format", "text"): N_("text (one line per row)"),
    ("format", "json"): N_("JSON (one object per line)"),
    ("document", "monthly_report"): N_("monthly report"),
    ("document", "case_report"): N_("case report"),
    ("document", "prescription"): N_("prescription"),
    ("document", "patient_summary"): N_("patient summary"),
    ("what", "patients"): N_("patients"),
    ("what", "chronic"): N_("chronic-disease patients"),
    ("what", "visits"): N_("visits"),
    ("what", "vaccinations"): N_("vaccinations"),
    ("answer", "accepted"): N_("accepted"),
    ("answer", "refused"): N_("refused"),
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")


def date_value(value: object) -> str | None:
    """A day (2026-01-01) as dd/mm/yyyy, a moment (2026-01-01 08:30) as dd/mm/yyyy HH:MM; None
    for anything else."""
    if isinstance(value, dt.datetime):
        return fmt_datetime(value)
    if isinstance(value, dt.date):
        return fmt_date(value)
    if not isinstance(value, str):
        return None
    try:
        if _DATE.fullmatch(value):
            return fmt_date(dt.date.fromisoformat(value))
        if _TIME.fullmatch(value):
            return fmt_datetime(dt.datetime.fromisoformat(value))
    except ValueError:
        return None
    return None


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _value(entry: audit.Entry, key: str, value: object) -> str:
    from station_app.domain.births import place_title
    from station_app.domain.followup import Kind, OutcomeKind, Section
    from station_app.domain.medicines import ADJUST_REASON_NAMES, AdjustReason
    from station_app.ui.views.patient_followups import closure_title, programme_title
    from station_app.ui.views.referrals import OUTCOMES

    if _empty(value):
        return EMPTY
    if isinstance(value, bool):
        return tr("yes") if value else tr("no")
    if isinstance(value, list):
        if key in ("fields", "changed"):
            return ", ".join(field_name(entry, str(v)) for v in value)
        return ", ".join(_value(entry, key, v) for v in value)
    if isinstance(value, dict):  # (values by name, e.g. the yearly targets entered, a list's filters)
        return ", ".join(f"{_label(entry, str(k), v)}: {_value(entry, str(k), v)}" for k, v in value.items())
    if (key, value) in VALUE_NAMES:
        return tr(VALUE_NAMES[(key, value)])  # type: ignore[index]
    when = date_value(value)
    if when is not None:
        return when
    text = str(value)
    if key in ("from", "to") and entry.target_type == "user":
        return role_name(text)
    if key == "role":
        return role_name(text)
    if key == "action":
        return action_text(text)
    if key == "format":
        return text.upper()
    if key == "document" and re.fullmatch(r"A\d", text):
        return tr("book {code}").format(code=text)
    if key == "outcome" and entry.target_type == "referral" and text in OUTCOMES:
        return tr(OUTCOMES[text])
    if key == "outcome" and entry.target_type == "followup" and text in set(OutcomeKind):
        return OutcomeKind(text).title
    if key == "kind" and text in set(Kind):
        return Kind(text).title
    if key == "section" and text in set(Section):
        return Section(text).title
    if key == "reason" and entry.target_type == "stock_lot" and text in set(AdjustReason):
        return tr(ADJUST_REASON_NAMES[AdjustReason(text)])
    if key == "place" and entry.target_type in ("delivery", "death"):
        return place_title(text)
    if key == "programme":
        return programme_title(text)
    if key == "closure":
        return closure_title(text)
    return text


def field_name(entry: audit.Entry, name: str) -> str:
    """A field changed, as its form names it (its code when no form does)."""
    from station_app.domain import births, medicines
    from station_app.domain import patient as patient_fields

    tables: list[dict[str, str]] = {
        "patient": [patient_fields.FIELD_LABELS],
        "delivery": [births.FIELD_LABELS],
        "death": [births.FIELD_LABELS],
        "drug": [medicines.DRUG_FIELD_LABELS],
    }.get(entry.target_type, [])
    for table in tables:
        if name in table:
            return tr(table[name])
    label = corrections.field_label(name)
    return tr(label) if label != name else name


def _label(entry: audit.Entry, key: str, value: object) -> str:
    """The name of a detail: ``from``/``to`` named by what they hold (a day only when it is one)."""
    if key in ("from", "to"):
        if entry.target_type == "user":
            return tr(ROLE_LABELS[key])
        if key == "to" and value == "printer":  # (entries written before the output had a key of its own)
            return tr(DETAIL_LABELS["output"])
        if _empty(value) or date_value(value) is not None:
            return tr(PERIOD_LABELS[key])
        if key == "from" and entry.action == audit.RESTORE:
            return tr("backup restored")
        return tr("taken from") if key == "from" else tr("sent to")
    if key == "merged" and entry.action == audit.IMPORT:
        return tr("merged into existing records")
    return tr(DETAIL_LABELS[key]) if key in DETAIL_LABELS else key


def details_text(entry: audit.Entry) -> str:
    """An entry's details as the log shows them: named in the app's language, days as dd/mm/yyyy,
    "—" for one left empty."""
    parts = []
    for key, value in entry.details.items():
        if key in HIDDEN_DETAILS:
            continue
        # (entries written before the print's destination had a key of its own: "to": "printer")
        shown = _value(entry, "output" if key == "to" and value == "printer" else key, value)
        parts.append(f"{_label(entry, key, value)}: {shown}")
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
