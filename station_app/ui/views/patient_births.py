"""The patient page's "Births and deaths" tab: a woman's deliveries (record one, correct one), a
child's own birth, and the patient's death (record it, correct it).

The dialogs save through ``station_app.store.births`` (which checks the role and the fields): a
refused entry stays open with the store's message, naming the fields, under the form.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from station_app import clock
from station_app.domain import births as domain
from station_app.domain.accounts import Permission
from station_app.domain.births import Attendant, Baby, Death, Delivery, Outcome, Place
from station_app.domain.identifiers import SEX_CODES
from station_app.domain.patient import Patient
from station_app.i18n import N_, tr
from station_app.store import StoreError, patients
from station_app.store import births as store_births
from station_app.ui import dialogs
from station_app.ui.context import AppContext, Change
from station_app.ui.forms.icd_picker import Icd10Picker
from station_app.ui.qt_i18n import fmt_date
from station_app.ui.widgets import DateEdit, error_label, heading

TAB_TITLE = N_("Births and deaths")
RECORD_DELIVERY = N_("Record a delivery…")
RECORD_DEATH = N_("Record the death…")
CORRECT = N_("Correct…")
OPEN_BABY = N_("Open the baby's record")
REASON = N_("Reason for the correction")
NO_DELIVERIES = N_("No delivery recorded.")
DELIVERY_LINE = N_("{at} · {place} · {attendant} · {babies}")
BABY_LINE = N_("{outcome}, {sex}, {weight} g")
BORN_HERE = N_("Born {at} · {place} · {weight} g")
DIED_LINE = N_("Died {date} · {place} · {cause}")
DELIVERY_TITLE = N_("Delivery")
DEATH_TITLE = N_("Death")
BABY_NAME = N_("Baby's name (may be left empty)")
GIVEN_AT = N_("Given at")
CAUSE_HINT = N_("A code or words, e.g. I21 or nhồi máu, then Enter")
CAUSE_UNKNOWN = N_("“{text}” is not in the ICD-10 list: choose the cause from the list, or write it in words below.")


def _datetime_edit(value: dt.datetime) -> QDateTimeEdit:
    edit = QDateTimeEdit(QDateTime(value.year, value.month, value.day, value.hour, value.minute, 0))
    edit.setDisplayFormat("dd/MM/yyyy HH:mm")
    edit.setCalendarPopup(True)
    return edit


def _value(edit: QDateTimeEdit) -> dt.datetime:
    q = edit.dateTime()
    d, t = q.date(), q.time()
    return dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())


def _name_place_when(place: QComboBox, name: QLineEdit, places: tuple[Place, ...]) -> None:
    """The facility's name is asked only for the places that have one (not "this station", not home)."""

    def update() -> None:
        name.setEnabled(place.currentData() in {str(p) for p in places})

    place.currentIndexChanged.connect(lambda _i: update())
    update()


def _combo(choices: list[tuple[str, str]], current: str = "") -> QComboBox:
    box = QComboBox()
    for key, title in choices:
        box.addItem(tr(title), key)
    if current:
        box.setCurrentIndex(max(box.findData(current), 0))
    return box


class _EntryDialog(QDialog):
    """A small form that saves itself on OK; a refusal shows under the form and keeps it open."""

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None, correcting: bool) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.problem = error_label()
        self.reason = QLineEdit()
        self.correcting = correcting
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("Save"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.saved: object = None

    def add_reason(self) -> None:
        if self.correcting:
            self.form.addRow(tr(REASON), self.reason)

    def save(self) -> object:
        raise NotImplementedError

    def accept(self) -> None:
        try:
            self.saved = self.save()
        except StoreError as exc:
            self.problem.setText(exc.text())
            return
        super().accept()


class DeliveryDialog(_EntryDialog):
    def __init__(self, ctx: AppContext, mother: Patient, parent: QWidget | None = None,
                 existing: Delivery | None = None) -> None:
        super().__init__(ctx, tr(DELIVERY_TITLE) + " — " + mother.full_name, parent, existing is not None)
        self.mother = mother
        self.existing = existing
        now = clock.now().replace(second=0, microsecond=0)
        d = existing or Delivery(mother.id or 0, now, Place.STATION, babies=(Baby(sex="2"),))
        baby = d.babies[0]
        self.delivered_at = _datetime_edit(d.delivered_at)
        self.place = _combo([(str(p), domain.PLACE_TITLES[p]) for p in domain.DELIVERY_PLACES], str(d.place))
        self.place_name = QLineEdit(d.place_name)
        self.attendant = QLineEdit(d.attendant)
        self.attendant_kind = _combo([(str(a), t) for a, t in domain.ATTENDANT_TITLES.items()], str(d.attendant_kind))
        self.outcome = _combo([(str(o), t) for o, t in domain.OUTCOME_TITLES.items()], str(baby.outcome))
        self.sex = _combo([(k, v) for k, v in SEX_CODES.items()], baby.sex)
        self.weight = QSpinBox()
        self.weight.setRange(0, domain.WEIGHT_POSSIBLE[1] + 1000)
        self.weight.setSingleStep(50)
        self.weight.setSuffix(" g")
        self.weight.setSpecialValueText("—")  # 0: not weighed
        self.weight.setValue(baby.weight_grams or 0)
        self.name = QLineEdit(baby.name)
        self.form.addRow(tr("Date and time of birth"), self.delivered_at)
        self.form.addRow(tr("Place of birth"), self.place)
        self.form.addRow(tr("Health facility"), self.place_name)
        _name_place_when(self.place, self.place_name, (Place.FACILITY,))
        self.form.addRow(tr("Attendant"), self.attendant)
        self.form.addRow(tr("Attendant's training"), self.attendant_kind)
        self.form.addRow(tr("Outcome"), self.outcome)
        self.form.addRow(tr("Sex"), self.sex)
        self.form.addRow(tr("Weight (g)"), self.weight)
        self.hepb = QCheckBox(tr("Hepatitis B birth dose"))
        self.hepb_at = _datetime_edit(d.delivered_at)
        self.bcg = QCheckBox(tr("BCG"))
        self.bcg_at = _datetime_edit(d.delivered_at)
        if existing is None:
            self.form.addRow(tr(BABY_NAME), self.name)
            for check, edit in ((self.hepb, self.hepb_at), (self.bcg, self.bcg_at)):
                row = QHBoxLayout()
                row.addWidget(check)
                row.addWidget(QLabel(tr(GIVEN_AT)))
                row.addWidget(edit, 1)
                edit.setEnabled(False)
                check.toggled.connect(edit.setEnabled)
                self.form.addRow(row)
        self.add_reason()

    def delivery(self) -> Delivery:
        weight = self.weight.value() or None
        old = self.existing.babies[0] if self.existing else None
        baby = Baby(
            sex=str(self.sex.currentData()),
            weight_grams=weight,
            outcome=Outcome(self.outcome.currentData()),
            name=self.name.text().strip(),
            hepb_at=_value(self.hepb_at) if self.hepb.isChecked() else None,
            bcg_at=_value(self.bcg_at) if self.bcg.isChecked() else None,
            child_id=old.child_id if old else None,
            id=old.id if old else None,
        )
        return Delivery(
            mother_id=self.mother.id or 0,
            delivered_at=_value(self.delivered_at),
            place=Place(self.place.currentData()),
            place_name=self.place_name.text().strip() if self.place_name.isEnabled() else "",
            attendant=self.attendant.text().strip(),
            attendant_kind=Attendant(self.attendant_kind.currentData()),
            babies=(baby, *(self.existing.babies[1:] if self.existing else ())),
            id=self.existing.id if self.existing else None,
        )

    def save(self) -> object:
        if self.existing is not None:
            return store_births.correct_delivery(self.ctx.store, self.delivery(), self.reason.text())
        return store_births.record_delivery(self.ctx.store, self.delivery())


class DeathDialog(_EntryDialog):
    def __init__(self, ctx: AppContext, patient: Patient, parent: QWidget | None = None,
                 existing: Death | None = None) -> None:
        super().__init__(ctx, tr(DEATH_TITLE) + " — " + patient.full_name, parent, existing is not None)
        self.patient = patient
        self.existing = existing
        d = existing or Death(patient.id or 0, patient.deceased_date or clock.today(), Place.HOME)
        self.died_on = DateEdit()
        self.died_on.set_date(d.died_on)
        self.place = _combo([(str(p), domain.PLACE_TITLES[p]) for p in domain.DEATH_PLACES], str(d.place))
        self.place_name = QLineEdit(d.place_name)
        # The cause chosen from the catalogue as in a visit: a code or the nurse's words, then Enter.
        self.cause_code = Icd10Picker(ctx.store)
        self.cause_code.set_code(d.cause_code)
        if d.cause_code and self.cause_code.diagnosis is None:
            self.cause_code.setText(d.cause_code)  # an old code the catalogue no longer has
        self.cause_code.setPlaceholderText(tr(CAUSE_HINT))
        self.cause_text = QLineEdit(d.cause_text)
        self.form.addRow(tr("Date of death"), self.died_on)
        self.form.addRow(tr("Place of death"), self.place)
        self.form.addRow(tr("Health facility"), self.place_name)
        _name_place_when(self.place, self.place_name, (Place.FACILITY, Place.OTHER))
        self.form.addRow(tr("Cause of death") + " (ICD-10)", self.cause_code)
        self.form.addRow(tr("Cause of death"), self.cause_text)
        self.add_reason()

    def accept(self) -> None:
        typed = self.cause_code.text().strip()
        if typed and self.cause_code.resolve() is None and typed != (self.existing and self.existing.cause_code):
            self.problem.setText(tr(CAUSE_UNKNOWN).format(text=typed))
            self.cause_code.setFocus()
            return
        super().accept()

    def death(self) -> Death:
        chosen = self.cause_code.resolve()
        return Death(
            patient_id=self.patient.id or 0,
            died_on=self.died_on.date() or clock.today(),
            place=Place(self.place.currentData()),
            place_name=self.place_name.text().strip() if self.place_name.isEnabled() else "",
            cause_code=chosen.code if chosen else self.cause_code.text().strip(),
            cause_text=self.cause_text.text().strip(),
            id=self.existing.id if self.existing else None,
        )

    def save(self) -> object:
        if self.existing is not None:
            return store_births.correct_death(self.ctx.store, self.death(), self.reason.text())
        return store_births.record_death(self.ctx.store, self.death())


def _delivery_text(d: Delivery) -> str:
    babies = "; ".join(
        tr(BABY_LINE).format(outcome=tr(domain.OUTCOME_TITLES[b.outcome]), sex=tr(SEX_CODES.get(b.sex, "")),
                             weight=b.weight_grams or "?")
        for b in d.babies
    )
    place = d.place_name if d.place is Place.FACILITY else domain.place_title(d.place)
    return tr(DELIVERY_LINE).format(at=d.delivered_at.strftime("%d/%m/%Y %H:%M"), place=place,
                                    attendant=d.attendant or "—", babies=babies)


class BirthsDeathsTab(QWidget):
    def __init__(self, ctx: AppContext, patient: Patient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.patient = patient
        self.dialog: QDialog | None = None
        layout = QVBoxLayout(self)
        self.born = QLabel()
        layout.addWidget(self.born)
        self.deliveries: list[Delivery] = []
        self.delivery_lines = QLabel()
        self.delivery_lines.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.record_delivery_button = QPushButton(tr(RECORD_DELIVERY))
        self.record_delivery_button.clicked.connect(self.record_delivery)
        self.correct_delivery_button = QPushButton(tr(CORRECT))
        self.correct_delivery_button.clicked.connect(self.correct_delivery)
        self.baby_button = QPushButton(tr(OPEN_BABY))
        self.baby_button.clicked.connect(self.open_baby)
        if patient.sex == "2":
            layout.addWidget(heading(tr("Deliveries"), 1.1))
            layout.addWidget(self.delivery_lines)
            row = QHBoxLayout()
            row.addWidget(self.record_delivery_button)
            row.addWidget(self.correct_delivery_button)
            row.addWidget(self.baby_button)
            row.addStretch(1)
            layout.addLayout(row)
        layout.addWidget(heading(tr(DEATH_TITLE), 1.1))
        self.death_line = QLabel()
        layout.addWidget(self.death_line)
        self.record_death_button = QPushButton(tr(RECORD_DEATH))
        self.record_death_button.clicked.connect(self.record_death)
        self.correct_death_button = QPushButton(tr(CORRECT))
        self.correct_death_button.clicked.connect(self.correct_death)
        row = QHBoxLayout()
        row.addWidget(self.record_death_button)
        row.addWidget(self.correct_death_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)
        self.reload()

    def reload(self) -> None:
        store = self.ctx.store
        pid = self.patient.id or 0
        can_record = store.actor.can(Permission.RECORD_VISITS)
        can_amend = store.actor.can(Permission.AMEND_RECORDS)
        own = store_births.birth_of(store, pid)
        if own is not None:
            baby = next(b for b in own.babies if b.child_id == pid)
            place = own.place_name if own.place is Place.FACILITY else domain.place_title(own.place)
            self.born.setText(tr(BORN_HERE).format(at=own.delivered_at.strftime("%d/%m/%Y %H:%M"), place=place,
                                                   weight=baby.weight_grams or "?"))
        self.born.setVisible(own is not None)
        self.deliveries = store_births.deliveries_of(store, pid)
        self.delivery_lines.setText("\n".join(_delivery_text(d) for d in self.deliveries) or tr(NO_DELIVERIES))
        self.record_delivery_button.setEnabled(can_record and not self.patient.deceased)
        self.correct_delivery_button.setVisible(bool(self.deliveries) and can_amend)
        self.baby_button.setVisible(self.baby_id() is not None)
        death = store_births.death_of(store, pid)
        self.death = death
        if death is not None:
            place = death.place_name or domain.place_title(death.place)
            cause = " ".join(x for x in (death.cause_code, death.cause_text) if x)
            self.death_line.setText(tr(DIED_LINE).format(date=fmt_date(death.died_on), place=place, cause=cause))
        elif self.patient.deceased:
            self.death_line.setText(tr("Date of death") + ": " + (fmt_date(self.patient.deceased_date) or "?"))
        else:
            self.death_line.setText("")
        self.record_death_button.setVisible(death is None)
        self.record_death_button.setEnabled(can_record)
        self.correct_death_button.setVisible(death is not None and can_amend)

    def _run(self, dialog: QDialog) -> None:
        self.dialog = dialog
        if dialogs.run(dialog):
            self.ctx.notify({Change.PATIENTS, Change.FOLLOWUPS, Change.VISITS})
            self.patient = patients.get(self.ctx.store, self.patient.id or 0) or self.patient
            self.reload()

    def record_delivery(self) -> None:
        self._run(DeliveryDialog(self.ctx, self.patient, self))

    def correct_delivery(self) -> None:
        if self.deliveries:
            self._run(DeliveryDialog(self.ctx, self.patient, self, existing=self.deliveries[0]))

    def baby_id(self) -> int | None:
        """The record of the last baby born alive (its vaccinations are entered there)."""
        for d in self.deliveries:
            for baby in d.babies:
                if baby.child_id is not None:
                    return baby.child_id
        return None

    def open_baby(self) -> None:
        child = self.baby_id()
        if child is not None:
            self.ctx.open_patient.emit(child)

    def record_death(self) -> None:
        self._run(DeathDialog(self.ctx, self.patient, self))

    def correct_death(self) -> None:
        if self.death is not None:
            self._run(DeathDialog(self.ctx, self.patient, self, existing=self.death))
