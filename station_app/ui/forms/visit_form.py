"""Record a visit: vitals with plausible ranges, complaint, ICD-10 diagnosis, treatment, clinician,
next follow-up, referral. Keyboard only: Tab walks the fields in reading order, Ctrl+S saves.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re

from PySide6.QtCore import QDateTime, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from station_app import clock
from station_app.domain.births import after_death
from station_app.domain.dates import add_months
from station_app.domain.patient import Patient
from station_app.domain.problems import Problem
from station_app.domain.visit import VITALS, ExtraDiagnosis, Visit, validate
from station_app.i18n import N_, tr
from station_app.store import StoreError, users, visits
from station_app.store.station import staff
from station_app.ui import dialogs
from station_app.ui.context import AppContext, Change
from station_app.ui.forms.discard import DiscardGuard
from station_app.ui.forms.icd_picker import Icd10Picker
from station_app.ui.forms.prescription import PrescriptionEditor
from station_app.ui.forms.programme_feeds import ProgrammeFeeds
from station_app.ui.models import birth_text
from station_app.ui.widgets import DateEdit, FieldBox, heading, keep_on_screen, py_datetime, qt_datetime, shortcut

_BP = re.compile(r"^\s*(\d{2,3})\s*[/\s-]\s*(\d{2,3})\s*$")


def _number(text: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    return float(text)


class TextBox(QPlainTextEdit):
    """A multi-line text where Tab moves on, as in every other field."""

    def __init__(self, lines: int = 2) -> None:
        super().__init__()
        self.setTabChangesFocus(True)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * lines + 14)

    def text(self) -> str:
        return self.toPlainText()

    def setText(self, text: str) -> None:
        self.setPlainText(text)


class DateTimeBox(QDateTimeEdit):
    """The visit's date and time: Tab leaves it, as every other field (the arrows move between
    day, month, year, hour and minute)."""

    def focusNextPrevChild(self, next: bool) -> bool:
        return QWidget.focusNextPrevChild(self, next)


class VisitForm(QDialog):
    saved = Signal(object)

    def __init__(self, ctx: AppContext, patient: Patient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.patient = patient
        self.result_visit: Visit | None = None
        self.setWindowTitle(tr("New visit — {name}").format(name=patient.full_name))
        self.setMinimumWidth(900)

        title = heading(patient.full_name)
        facts = [patient.record_no or "", birth_text(patient), patient.village]
        subtitle = QLabel("  ·  ".join(x for x in facts if x))

        self.visit_at = DateTimeBox(QDateTime.currentDateTime())
        self.visit_at.setDisplayFormat("dd/MM/yyyy HH:mm")
        self.visit_at.setDateTime(qt_datetime(clock.now()))
        self.visit_at.setCalendarPopup(True)

        self.bp = QLineEdit()
        self.bp.setPlaceholderText("120/80")
        self.pulse = QLineEdit()
        self.temperature = QLineEdit()
        self.temperature.setPlaceholderText(tr("37.0"))  # the decimal mark of the language
        self.spo2 = QLineEdit()
        self.weight = QLineEdit()
        self.height_edit = QLineEdit()  # (``height`` is QWidget's own)
        self.glucose = QLineEdit()
        self.complaint = TextBox(2)
        self.examination = TextBox(2)
        self.diagnosis = Icd10Picker(ctx.store)
        self.diagnosis.setPlaceholderText(tr('Type a name or a code: "tang huyet ap", "I10"'))
        self.extra_diagnosis = Icd10Picker(ctx.store)
        self.extra_diagnosis.setPlaceholderText(tr("Another diagnosis (optional)"))
        self.treatment = TextBox(3)
        self.clinician = QComboBox()
        for member in staff(ctx.store, clinicians=True):
            self.clinician.addItem(member.full_name, member.id)
        # The person logged in examined the patient, unless they choose another.
        mine = self.clinician.findData(users.staff_id(ctx.store, ctx.store.actor.user_id))
        if mine >= 0:
            self.clinician.setCurrentIndex(mine)
        self.insurance_paid = QCheckBox(tr("Paid by health insurance"))
        today = clock.today()
        self.insurance_paid.setChecked(bool(patient.insurance_no) and not patient.insurance_expired(today))
        self.follow_up = DateEdit()
        self.referred = QCheckBox(tr("Refer to another facility"))

        self.boxes: dict[str, FieldBox] = {}

        def box(name: str, editor: QWidget) -> FieldBox:
            self.boxes[name] = FieldBox(editor)
            return self.boxes[name]

        vitals = QGroupBox(tr("Vital signs"))
        vgrid = QGridLayout(vitals)
        cells = [
            (tr("Blood pressure (mmHg)"), "bp", self.bp),
            (tr("Pulse (beats/min)"), "pulse", self.pulse),
            (tr("Temperature (°C)"), "temperature", self.temperature),
            (tr("SpO2 (%)"), "spo2", self.spo2),
            (tr("Weight (kg)"), "weight", self.weight),
            (tr("Height (cm)"), "height", self.height_edit),
            (tr("Blood glucose (mmol/L)"), "glucose", self.glucose),
        ]
        for i, (label, name, editor) in enumerate(cells):
            row, col = divmod(i, 4)
            cell = QWidget()
            cell_layout = QVBoxLayout(cell)
            cell_layout.setContentsMargins(0, 0, 0, 0)
            cell_layout.addWidget(QLabel(label))
            cell_layout.addWidget(box(name, editor))
            vgrid.addWidget(cell, row, col)

        clinical = QGroupBox(tr("Consultation"))
        cform = QFormLayout(clinical)
        cform.addRow(tr("Date and time"), box("visit_at", self.visit_at))
        cform.addRow(tr("Complaint"), box("complaint", self.complaint))
        cform.addRow(tr("Examination"), box("examination", self.examination))
        cform.addRow(tr("Diagnosis (ICD-10)") + " (Ctrl+D)", box("diagnosis_code", self.diagnosis))
        cform.addRow(tr("Other diagnosis"), box("extra", self.extra_diagnosis))
        cform.addRow(tr("Treatment"), box("treatment", self.treatment))

        self.prescription = PrescriptionEditor(ctx.store, int(patient.id or 0), today, self._diagnosis_code)
        self.prescription.copied.connect(self._prescription_copied)

        plan = QGroupBox(tr("After the visit"))
        pform = QFormLayout(plan)
        pform.addRow(tr("Clinician"), box("clinician_name", self.clinician))
        follow_row = QWidget()
        follow_layout = QHBoxLayout(follow_row)
        follow_layout.setContentsMargins(0, 0, 0, 0)
        follow_layout.addWidget(self.follow_up, 1)
        follow_row.setFocusProxy(self.follow_up)  # a refused date puts the cursor in the date
        self.quick_buttons = []
        for label, days, months in ((N_("7 days"), 7, 0), (N_("1 month"), 0, 1), (N_("3 months"), 0, 3)):
            button = QPushButton(tr(label))
            button.setAutoDefault(False)
            button.clicked.connect(lambda _c=False, d=days, m=months: self._quick_follow_up(d, m))
            follow_layout.addWidget(button)
            self.quick_buttons.append(button)
        pform.addRow(tr("Next follow-up"), box("follow_up_date", follow_row))
        checks = QWidget()
        checks_layout = QHBoxLayout(checks)
        checks_layout.setContentsMargins(0, 0, 0, 0)
        checks_layout.addWidget(self.insurance_paid)
        checks_layout.addWidget(self.referred)
        checks_layout.addStretch(1)
        pform.addRow("", checks)
        self.programmes = ProgrammeFeeds(ctx.store, patient, clock.today(), self.diagnosis)
        pform.addRow(tr("Programmes"), self.programmes)

        self.save_button = QPushButton(tr("Save") + " (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        self.save_button.setAutoDefault(False)
        cancel = QPushButton(tr("Cancel"))
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)

        # The fields scroll, the name and the buttons stay: the whole form is taller than a
        # 1366×768 laptop's screen (780 px at normal text size, 1,000 at the largest).
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addWidget(vitals)
        body_layout.addWidget(clinical)
        body_layout.addWidget(self.prescription)
        body_layout.addWidget(plan)
        self.scroll_area = QScrollArea()
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from field to field, never to the frame
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(body)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addWidget(self.scroll_area, 1)
        layout.addLayout(buttons)
        self._fit_screen(body)
        shortcut(QKeySequence.StandardKey.Save, self, self.save)
        # From the blood pressure straight to the diagnosis, past the vitals not measured.
        shortcut(QKeySequence("Ctrl+D"), self, self.diagnosis.setFocus)
        self.prescription.install_shortcut(self)

        # Tab order = reading order: the vitals, then the consultation from its date down.
        order = [
            self.bp,
            self.pulse,
            self.temperature,
            self.spo2,
            self.weight,
            self.height_edit,
            self.glucose,
            self.visit_at,
            self.complaint,
            self.examination,
            self.diagnosis,
            self.extra_diagnosis,
            self.treatment,
            *self.prescription.focus_order(),
            self.clinician,
            self.follow_up,
            *self.quick_buttons,
            self.insurance_paid,
            self.referred,
            *self.programmes.focus_order(),
            cancel,
            self.save_button,
        ]
        for a, b in itertools.pairwise(order):
            QWidget.setTabOrder(a, b)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.refresh)
        for editor in (
            self.bp,
            self.pulse,
            self.temperature,
            self.spo2,
            self.weight,
            self.height_edit,
            self.glucose,
            self.follow_up,
        ):
            editor.textChanged.connect(self._timer.start)
        self.bp.setFocus()
        self._guard = DiscardGuard(self)

    def showEvent(self, event: QShowEvent) -> None:  # Qt's name
        super().showEvent(event)
        keep_on_screen(self)  # the Save row on the screen, wherever the window under it is

    def reject(self) -> None:
        if self._guard.may_close():
            super().reject()

    def _fit_screen(self, body: QWidget) -> None:
        """Open as large as the fields need, within the screen."""
        own = self.layout()
        assert own is not None
        margins = own.contentsMargins()
        width = (
            body.sizeHint().width()
            + margins.left()
            + margins.right()
            + self.scroll_area.verticalScrollBar().sizeHint().width()
        )
        # The name, the buttons and the margins around the scrolled fields:
        chrome = self.sizeHint().height() - self.scroll_area.sizeHint().height()
        height = chrome + body.sizeHint().height()
        available = self.screen().availableGeometry()
        self.resize(min(max(width, self.minimumWidth()), available.width()), min(height, available.height() - 40))

    def _diagnosis_code(self) -> str:
        chosen = self.diagnosis.diagnosis
        return chosen.code if chosen else ""

    def _prescription_copied(self, diagnosis_code: str) -> None:
        """"Same as last time" brings the diagnosis it was prescribed for, when none is written yet."""
        if diagnosis_code and not self.diagnosis.text().strip():
            self.diagnosis.set_code(diagnosis_code)
            self.diagnosis.chosen.emit(self.diagnosis.diagnosis)

    def _quick_follow_up(self, days: int, months: int) -> None:
        base = py_datetime(self.visit_at.dateTime()).date()
        self.follow_up.set_date(add_months(base, months) + dt.timedelta(days=days))

    def visit(self) -> tuple[Visit, list[Problem]]:
        problems: list[Problem] = []
        values: dict[str, float | int | None] = {}
        sys_bp = dia_bp = None
        if self.bp.text().strip():
            match = _BP.match(self.bp.text())
            if match:
                sys_bp, dia_bp = int(match[1]), int(match[2])
            else:
                problems.append(Problem("bp", N_("Write the blood pressure as 120/80.")))
        editors = {"pulse": self.pulse, "temperature": self.temperature, "spo2": self.spo2, "weight": self.weight,
                   "height": self.height_edit, "glucose": self.glucose}
        for name, editor in editors.items():
            try:
                values[name] = _number(editor.text())
            except ValueError:
                values[name] = None
                problems.append(Problem(name, N_("Write a number.")))
        for name in ("pulse", "spo2"):
            if values[name] is not None:
                values[name] = round(values[name])  # type: ignore[arg-type]
        follow = None
        try:
            follow = self.follow_up.date()
        except ValueError:
            problems.append(Problem("follow_up_date", N_("Write the date as dd/mm/yyyy.")))
        diagnosis = self.diagnosis.resolve()
        if self.diagnosis.text().strip() and diagnosis is None:
            problems.append(
                Problem("diagnosis_code", N_("Choose a diagnosis from the list (or type its ICD-10 code)."))
            )
        extra = self.extra_diagnosis.resolve()
        v = Visit(
            patient_id=int(self.patient.id or 0),
            visit_at=py_datetime(self.visit_at.dateTime()).replace(second=0, microsecond=0),
            complaint=self.complaint.text().strip(),
            examination=self.examination.text().strip(),
            bp_systolic=sys_bp,
            bp_diastolic=dia_bp,
            pulse=values["pulse"],  # type: ignore[arg-type]
            temperature=values["temperature"],
            weight=values["weight"],
            height=values["height"],
            spo2=values["spo2"],  # type: ignore[arg-type]
            glucose=values["glucose"],
            diagnosis_code=diagnosis.code if diagnosis else "",
            diagnosis_text=diagnosis.name_vi if diagnosis else "",
            extra_diagnoses=[ExtraDiagnosis(extra.code, extra.name_vi)] if extra else [],
            treatment=self.treatment.text().strip(),
            clinician_id=self.clinician.currentData(),
            clinician_name=self.clinician.currentText(),
            insurance_paid=self.insurance_paid.isChecked(),
            follow_up_date=follow,
            referred=self.referred.isChecked(),
        )
        return v, problems

    def refresh(self, show_all: bool = False) -> list[Problem]:
        v, problems = self.visit()
        seen = {p.field for p in problems}
        birth = self.patient.birth.earliest() if self.patient.birth else None
        found = validate(v, clock.now(), birth, self.patient.insurance_valid_to)
        found += after_death("visit_at", "visit", v.visit_at.date(), self.patient.deceased_date)
        for problem in found:
            name = "bp" if problem.field in ("bp_systolic", "bp_diastolic") else problem.field
            if name not in seen:
                problems.append(Problem(name, problem.message, problem.severity, problem.params))
        problems += self.prescription.problems()
        for name, field_box in self.boxes.items():
            mine = [p for p in problems if p.field == name]
            if not show_all and name in ("complaint", "diagnosis_code"):
                mine = []  # said only on saving: while typing, the list is still being chosen from
            field_box.set_problems(mine)
        return problems

    def save(self) -> None:
        self._timer.stop()
        problems = self.refresh(show_all=True)
        errors = [p for p in problems if p.is_error]
        if errors:
            target = self.boxes.get(errors[0].field)
            if target:
                target.editor.setFocus()
            elif errors[0].field.startswith("line"):
                self.scroll_area.ensureWidgetVisible(self.prescription)
                self.prescription.table.setFocus()
            return
        warnings = [p for p in problems if not p.is_error]
        if warnings and not dialogs.ask(
            self,
            tr("Check before saving"),
            "\n".join(f"{tr(VITALS[p.field].label) if p.field in VITALS else ''} {p.text()}".strip() for p in warnings)
            + "\n\n"
            + tr("Save anyway?"),
        ):
            return
        v, _ = self.visit()
        try:
            saved = visits.insert(self.ctx.store, v, self.programmes.feeds(), self.prescription.lines())
        except StoreError as exc:
            dialogs.error(self, tr("Not saved"), exc.text())
            return
        self.result_visit = saved
        self.ctx.notify({Change.VISITS, Change.FOLLOWUPS}, self)
        self.saved.emit(saved)
        self.accept()
