"""Corrections in the app: under a patient's visit history "Amend…" (the head writes a new version
with the reason; the old one stays readable) and "History…", and the patient's "Corrections" tab."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from station_app.domain.accounts import Permission
from station_app.domain.dates import DateFormatError
from station_app.domain.patient import Patient
from station_app.domain.visit import ExtraDiagnosis, Visit
from station_app.i18n import N_, tr
from station_app.store import StoreError, corrections, icd10, visits
from station_app.ui import dialogs
from station_app.ui.context import AppContext, Change
from station_app.ui.qt_i18n import fmt_datetime
from station_app.ui.tables import fill_table, read_only_table
from station_app.ui.widgets import DateEdit, error_label

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
        self.message = error_label()
        buttons = dialogs.DialogButtons(self, tr("Save the correction"), tr("Cancel"))
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
        self.table = read_only_table([tr(c) for c in (N_("Version"), N_("Changed on"), N_("By"), N_("Reason"),
                                              N_("Field"), N_("Before"), N_("After"))], stretch=(3, 5, 6))
        rows = []
        for older, newer in zip(self.versions, self.versions[1:], strict=False):
            for name in corrections.changed_fields(older.data, newer.data):
                rows.append([
                    str(older.number + 1), fmt_datetime(older.replaced_at), older.author or older.replaced_by,
                    older.reason, tr(corrections.field_label(name)), _value_text(older.data.get(name)),
                    _value_text(newer.data.get(name)),
                ])
        fill_table(self.table, rows)
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
        headers = (N_("Changed on"), N_("Entry"), N_("By"), N_("Reason"), N_("Field"), N_("Before"), N_("After"))
        self.table = read_only_table([tr(c) for c in headers], stretch=(3, 5, 6))
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
        fill_table(self.table, rows)
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
        ctx.notify({Change.VISITS}, dialog)


def visit_history_action(ctx: AppContext, visit_id: int, page: QWidget) -> None:
    dialog = VisitHistoryDialog(ctx, visit_id, page)
    dialogs.run(dialog)
