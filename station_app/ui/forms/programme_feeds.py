"""The "Programmes" row of the visit form: what a visit brings to the follow-up programmes.

Days of medicine supplied (the chronic refill reminder; 30 by default for a patient in the
hypertension or diabetes programme or with an I10–I15/E10–E14 diagnosis), an antenatal visit and
a tetanus dose (for women of 12–55), and the vaccine doses given (for a child under 6: the doses
that may be given today). ``feeds()`` hands them to ``visits.insert`` as ``VisitFeeds``.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QLabel, QSpinBox, QWidget

from station_app.domain import vaccination
from station_app.domain.chronic import DEFAULT_DAYS_SUPPLIED, MAX_DAYS_SUPPLIED
from station_app.domain.patient import Patient
from station_app.i18n import tr
from station_app.store import Store, followups
from station_app.ui.forms.icd_picker import Icd10Picker

CHILD_YEARS = 6
PREGNANCY_AGES = (12, 55)
VACCINE_COLUMNS = 3


class ProgrammeFeeds(QWidget):
    """A compact row: refill days, antenatal visit, tetanus dose, vaccine doses given."""

    def __init__(self, store: Store, patient: Patient, on: dt.date,
                 diagnosis: Icd10Picker | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.patient = patient
        pid = int(patient.id or 0)
        open_programmes = {e.programme for e in followups.enrolments(store, pid)} if pid else set()
        self.enrolled_chronic = bool(open_programmes & {"hypertension", "diabetes"})
        self._diagnosis = diagnosis
        self._touched = False  # once the nurse sets the days, the diagnosis no longer does

        self.refill = QSpinBox()
        self.refill.setRange(0, MAX_DAYS_SUPPLIED)
        self.refill.setToolTip(tr("Days of medicine supplied: the refill reminder is set for the "
                                  "day it runs out (0 = none)."))
        self._set_refill(self._default_refill())
        self.refill.valueChanged.connect(self._refill_edited)
        if diagnosis is not None:
            diagnosis.textChanged.connect(lambda _text: self._diagnosis_changed())
            diagnosis.chosen.connect(lambda _d: self._diagnosis_changed())

        age = patient.age_on(on)
        woman = patient.sex == "2" and age is not None and (
            PREGNANCY_AGES[0] <= age <= PREGNANCY_AGES[1])
        self.antenatal = QCheckBox(tr("Antenatal visit"))
        self.tetanus = QCheckBox(tr("Tetanus dose"))
        if "antenatal" not in open_programmes:
            hint = tr("Enrol her in antenatal care (Programmes tab of her page) so her next "
                      "visits are scheduled.")
            self.antenatal.setToolTip(hint)
            self.tetanus.setToolTip(hint)
        self.antenatal.setVisible(woman)
        self.tetanus.setVisible(woman)

        self.vaccines: list[tuple[QCheckBox, tuple[str, int]]] = []
        child = age is not None and age < CHILD_YEARS and patient.birth is not None
        if child and patient.birth is not None:
            given = followups.given_doses(store, pid) if pid else []
            for due in vaccination.next_doses(patient.birth.midpoint(), given, on):
                if due.earliest <= on:
                    box = QCheckBox(due.label)
                    due_on = due.due_date.strftime("%d/%m/%Y")
                    box.setToolTip(tr("Due on {date}").format(date=due_on))
                    self.vaccines.append((box, (due.series_key, due.number)))

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel(tr("Medicine supplied (days)")))
        row.addWidget(self.refill)
        row.addSpacing(12)
        row.addWidget(self.antenatal)
        row.addWidget(self.tetanus)
        row.addStretch(1)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addLayout(row, 0, 0, 1, VACCINE_COLUMNS)
        if child:
            grid.addWidget(QLabel(tr("Vaccine doses given today:") if self.vaccines
                                  else tr("No vaccine dose is due today.")),
                           1, 0, 1, VACCINE_COLUMNS)
        for index, (box, _dose) in enumerate(self.vaccines):
            line, column = divmod(index, VACCINE_COLUMNS)
            grid.addWidget(box, 2 + line, column)

    # -- the refill default ----------------------------------------------------------------------
    def _chronic_code(self) -> bool:
        picker = self._diagnosis
        if picker is None:
            return False
        code = picker.diagnosis.code if picker.diagnosis else (picker.text().split() or [""])[0]
        return followups.chronic_programme(code.upper()) is not None

    def _default_refill(self) -> int:
        return DEFAULT_DAYS_SUPPLIED if self.enrolled_chronic or self._chronic_code() else 0

    def _set_refill(self, days: int) -> None:
        self.refill.blockSignals(True)
        self.refill.setValue(days)
        self.refill.blockSignals(False)

    def _refill_edited(self, _value: int) -> None:
        self._touched = True

    def _diagnosis_changed(self) -> None:
        if not self._touched:
            self._set_refill(self._default_refill())

    # -- what the visit form uses ------------------------------------------------------------------
    def focus_order(self) -> list[QWidget]:
        """The row's inputs in reading order, for the form's tab order."""
        return [self.refill, self.antenatal, self.tetanus, *(box for box, _ in self.vaccines)]

    def feeds(self) -> followups.VisitFeeds:
        woman = not self.antenatal.isHidden()
        return followups.VisitFeeds(
            refill_days=self.refill.value() or None,
            vaccines=tuple(dose for box, dose in self.vaccines if box.isChecked()),
            antenatal=woman and self.antenatal.isChecked(),
            tetanus=woman and self.tetanus.isChecked(),
        )
