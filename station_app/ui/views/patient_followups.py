"""The follow-up tabs of a patient's page.

"Follow-ups": the patient's items with the section each is in today and the history of its
calls; a custom follow-up (a date and what for) is added from here. "Programmes": the
enrolments (hypertension, diabetes, antenatal care, vaccination), enrolling and closing; for a
child, the vaccination card (every dose of the schedule with its state) and recording a dose,
also one copied from the paper booklet.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from station_app import clock
from station_app.domain import antenatal, vaccination
from station_app.domain.accounts import Permission
from station_app.domain.chronic import Programme
from station_app.domain.dates import DateFormatError
from station_app.domain.followup import Kind, RemovalReason, Section, classify
from station_app.domain.patient import Patient
from station_app.i18n import N_, tr
from station_app.store import StoreError, followups
from station_app.ui import dialogs
from station_app.ui.context import AppContext, Change
from station_app.ui.qt_i18n import fmt_date, fmt_float
from station_app.ui.widgets import ERROR_COLOUR, OK_COLOUR, WARNING_COLOUR, DateEdit, error_label

CHILD_YEARS = 6  # the vaccination card is shown below this age (or when enrolled)
PREGNANCY_AGES = (12, 55)
PROGRAMME_TITLES = {
    "hypertension": Programme.HYPERTENSION,
    "diabetes": Programme.DIABETES,
    "antenatal": N_("Antenatal care"),
    "vaccination": N_("Vaccination"),
}
# How a programme other than antenatal care ends: (closure stored, title).
CLOSURES = (
    (RemovalReason.MOVED_AWAY.value, RemovalReason.MOVED_AWAY),
    (RemovalReason.TREATED_ELSEWHERE.value, RemovalReason.TREATED_ELSEWHERE),
    (RemovalReason.OTHER.value, RemovalReason.OTHER),
)
SECTION_COLOURS = {Section.OVERDUE: ERROR_COLOUR, Section.LOST: ERROR_COLOUR,
                   Section.DUE: WARNING_COLOUR, Section.DONE: OK_COLOUR}


def programme_title(key: str) -> str:
    title = PROGRAMME_TITLES.get(key)
    if isinstance(title, Programme):
        return title.title
    return tr(title) if title else key


def closure_title(key: str) -> str:
    if key in {c.value for c in antenatal.Closure}:
        return antenatal.Closure(key).title
    if key in {r.value for r in RemovalReason}:
        return RemovalReason(key).title
    return key


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def _set_row(table: QTableWidget, row: int, cells: list[str], colour: str | None = None) -> None:
    for column, text in enumerate(cells):
        item = QTableWidgetItem(text)
        if colour and column == 0:
            item.setForeground(QBrush(QColor(colour)))
        table.setItem(row, column, item)


def _buttons(dialog: QDialog) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                           | QDialogButtonBox.StandardButton.Cancel)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class _FormDialog(QDialog):
    """A small form with a problem line above OK/Cancel; ``check()`` says what is wrong."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.problem = error_label()
        self.problem.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.problem)
        layout.addWidget(_buttons(self))

    def check(self) -> str:
        return ""

    def accept(self) -> None:
        try:
            problem = self.check()
        except DateFormatError:
            problem = tr("Write the date as dd/mm/yyyy.")
        if problem:
            self.problem.setText(problem)
            self.problem.show()
            return
        super().accept()


def _date_edit(value: dt.date | None = None) -> DateEdit:
    edit = DateEdit()
    edit.set_date(value)
    return edit


# -- Follow-ups tab -------------------------------------------------------------------------------
class AddFollowUpDialog(_FormDialog):
    """A follow-up the nurse schedules by hand: a date and what it is for."""

    def __init__(self, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(tr("Add a follow-up"), parent)
        self.today = today
        self.due = _date_edit(today + dt.timedelta(days=7))
        self.text = QLineEdit()
        self.text.setPlaceholderText(tr("e.g. Check the wound, bring the test results"))
        self.text.setMinimumWidth(320)
        self.form.addRow(tr("Date"), self.due)
        self.form.addRow(tr("What for"), self.text)

    def check(self) -> str:
        if self.due.date() is None:
            return tr("Write the date as dd/mm/yyyy.")
        if not self.text.text().strip():
            return tr("Write what the follow-up is for.")
        return ""


class FollowUpsTab(QWidget):
    """The patient's follow-up items, the section of each today and its call history."""

    def __init__(self, ctx: AppContext, patient: Patient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.patient = patient
        self.table = _table([tr("Status"), tr("Due date"), tr("What is due"),
                             tr("Kind of follow-up"), tr("Call history")])
        self.add_button = QPushButton(tr("Add a follow-up…"))
        self.add_button.clicked.connect(lambda: self.add_followup())
        self.add_button.setEnabled(not patient.deceased)
        if not ctx.store.actor.can(Permission.RECORD_VISITS):
            self.add_button.hide()
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        ctx.subscribe(self, {Change.FOLLOWUPS}, self.reload)
        self.reload()

    def reload(self) -> None:
        today = clock.today()
        items = followups.patient_items(self.ctx.store, int(self.patient.id or 0))
        self.table.setRowCount(len(items))
        for row, item in enumerate(items):
            section = classify(item, today)
            history = " · ".join(o.describe() for o in item.outcomes)
            _set_row(self.table, row, [section.title, fmt_date(item.due_date), item.label,
                                       item.kind.title, history], SECTION_COLOURS.get(section))

    def add_followup(self) -> bool:
        today = clock.today()
        dialog = AddFollowUpDialog(today, self)
        if not dialogs.run(dialog):
            return False
        due = dialog.due.date()
        assert due is not None
        try:
            followups.add_item(self.ctx.store, int(self.patient.id or 0), Kind.CUSTOM,
                               dialog.text.text().strip(), due, "manual", created_on=today)
        except StoreError as exc:
            dialogs.error(self, tr("Not saved"), exc.text())
            return False
        self.ctx.notify({Change.FOLLOWUPS})  # (this tab reloads too)
        return True


# -- Programmes tab -------------------------------------------------------------------------------
class EnrolDialog(_FormDialog):
    """Enrol in hypertension or diabetes (date detected, stroke/heart attack) or antenatal care
    (last menstrual period or expected delivery date)."""

    def __init__(self, patient: Patient, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(tr("Enrol in a programme"), parent)
        self.today = today
        self.programme = QComboBox()
        for key in ("hypertension", "diabetes"):
            self.programme.addItem(programme_title(key), key)
        age = patient.age_on(today)
        if patient.sex == "2" and (age is None or PREGNANCY_AGES[0] <= age <= PREGNANCY_AGES[1]):
            self.programme.addItem(programme_title("antenatal"), "antenatal")
        self.detected = _date_edit(today)
        self.cvd = QCheckBox(tr("History of stroke or heart attack"))
        self.lmp = _date_edit()
        self.edd = _date_edit()
        self.form.addRow(tr("Programme"), self.programme)
        self.form.addRow(tr("Date detected"), self.detected)
        self.form.addRow("", self.cvd)
        self.form.addRow(tr("Last menstrual period"), self.lmp)
        self.form.addRow(tr("Expected delivery date"), self.edd)
        self.programme.currentIndexChanged.connect(lambda _i: self._show_fields())
        self._show_fields()

    def key(self) -> str:
        return str(self.programme.currentData())

    def _show_fields(self) -> None:
        pregnancy = self.key() == "antenatal"
        for widget, shown in ((self.detected, not pregnancy), (self.cvd, not pregnancy),
                              (self.lmp, pregnancy), (self.edd, pregnancy)):
            self.form.setRowVisible(widget, shown)

    def check(self) -> str:
        if self.key() == "antenatal":
            lmp, edd = self.lmp.date(), self.edd.date()
            if lmp is None and edd is None:
                return tr("Write the last menstrual period or the expected delivery date.")
            try:
                antenatal.enrol(self.today, lmp=lmp, edd=edd)
            except antenatal.PregnancyDateError:
                return tr("These dates cannot belong to one pregnancy: check the last menstrual "
                          "period and the expected delivery date.")
            return ""
        detected = self.detected.date()
        if detected is None:
            return tr("Write the date as dd/mm/yyyy.")
        if detected > self.today:
            return tr("The date cannot be in the future.")
        return ""


class CloseProgrammeDialog(_FormDialog):
    """Close an open programme: a pregnancy by delivery or loss, another by its reason."""

    def __init__(self, enrolments: list[followups.Enrolment], today: dt.date,
                 parent: QWidget | None = None) -> None:
        super().__init__(tr("Close a programme"), parent)
        self.today = today
        self.enrolments = {e.id: e for e in enrolments}
        self.which = QComboBox()
        for e in enrolments:
            self.which.addItem(f"{programme_title(e.programme)} ({fmt_date(e.enrolled_on)})", e.id)
        self.on = _date_edit(today)
        self.closure = QComboBox()
        self.note = QLineEdit()
        self.form.addRow(tr("Programme"), self.which)
        self.form.addRow(tr("Date"), self.on)
        self.form.addRow(tr("Reason"), self.closure)
        self.form.addRow(tr("Note"), self.note)
        self.which.currentIndexChanged.connect(lambda _i: self._fill_closures())
        self._fill_closures()

    def enrolment(self) -> followups.Enrolment:
        return self.enrolments[int(self.which.currentData())]

    def _fill_closures(self) -> None:
        self.closure.clear()
        if self.enrolment().programme == "antenatal":
            for closure in antenatal.Closure:
                self.closure.addItem(closure.title, closure.value)
        else:
            for key, reason in CLOSURES:
                self.closure.addItem(reason.title, key)

    def closure_text(self) -> str:
        """What is stored: the closure key, with the note for "other"."""
        key = str(self.closure.currentData())
        note = self.note.text().strip()
        return note if key == RemovalReason.OTHER.value and note else key

    def check(self) -> str:
        on = self.on.date()
        if on is None:
            return tr("Write the date as dd/mm/yyyy.")
        if on > self.today:
            return tr("The date cannot be in the future.")
        if on < self.enrolment().enrolled_on:
            return tr("The programme cannot end before it began.")
        if self.closure.currentData() == RemovalReason.OTHER.value and not self.note.text().strip():
            return tr("Write the reason in the note.")
        return ""


class RecordDoseDialog(_FormDialog):
    """A vaccine dose given here, elsewhere, or copied from the child's paper booklet."""

    def __init__(self, birth: dt.date | None, given: list[vaccination.GivenDose],
                 today: dt.date, place: str, parent: QWidget | None = None) -> None:
        super().__init__(tr("Record a vaccine dose"), parent)
        self.today = today
        self.birth = birth
        self.schedule = vaccination.load_schedule()
        self.series = QComboBox()
        for series in self.schedule.series:
            self.series.addItem(series.name(), series.key)
        self.dose = QComboBox()
        self.given_on = _date_edit(today)
        self.place = QLineEdit(place)
        self.booklet = QCheckBox(tr("Copied from the paper booklet"))
        self.form.addRow(tr("Vaccine"), self.series)
        self.form.addRow(tr("Dose"), self.dose)
        self.form.addRow(tr("Date given"), self.given_on)
        self.form.addRow(tr("Place"), self.place)
        self.form.addRow("", self.booklet)
        self._next: dict[str, int] = {}
        if birth is not None:
            due = vaccination.next_doses(birth, given, today)
            self._next = {d.series_key: d.number for d in due}
        self.series.currentIndexChanged.connect(lambda _i: self._fill_doses())
        first_due = next((i for i in range(self.series.count())
                          if self.series.itemData(i) in self._next), 0)
        self.series.setCurrentIndex(first_due)
        self._fill_doses()

    def _fill_doses(self) -> None:
        series = self.schedule.get(str(self.series.currentData()))
        self.dose.clear()
        for dose in series.doses:
            self.dose.addItem(series.label(dose.number), dose.number)
        wanted = self._next.get(series.key)
        if wanted is not None:
            self.dose.setCurrentIndex(max(self.dose.findData(wanted), 0))

    def choose(self, series: str, dose: int) -> None:
        self.series.setCurrentIndex(self.series.findData(series))
        self.dose.setCurrentIndex(self.dose.findData(dose))

    def check(self) -> str:
        given = self.given_on.date()
        if given is None:
            return tr("Write the date as dd/mm/yyyy.")
        if given > self.today:
            return tr("The date cannot be in the future.")
        if self.birth is not None and given < self.birth:
            return tr("The date is before the child's birth.")
        return ""


class ProgrammesTab(QWidget):
    """Enrolments, and for a child the vaccination card."""

    def __init__(self, ctx: AppContext, patient: Patient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.patient = patient
        self.enrolments = _table([tr("Programme"), tr("Enrolled on"), tr("Date detected"),
                                  tr("Details"), tr("Closed")])
        self.enrol_button = QPushButton(tr("Enrol in a programme…"))
        self.enrol_button.clicked.connect(lambda: self.enrol())
        self.close_button = QPushButton(tr("Close a programme…"))
        self.close_button.clicked.connect(lambda: self.close_programme())
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.enrol_button)
        buttons.addWidget(self.close_button)

        self.card_box = QGroupBox(tr("Vaccination card"))
        self.card = _table([tr("Vaccine dose"), tr("State")])
        self.dose_button = QPushButton(tr("Record a dose…"))
        self.dose_button.clicked.connect(lambda: self.record_dose())
        card_buttons = QHBoxLayout()
        card_buttons.addStretch(1)
        card_buttons.addWidget(self.dose_button)
        # Programmes and doses are clinical entries: not offered to a role that may not record them.
        for button in (self.enrol_button, self.close_button, self.dose_button):
            if not ctx.store.actor.can(Permission.RECORD_VISITS):
                button.hide()
        card_layout = QVBoxLayout(self.card_box)
        card_layout.addWidget(self.card, 1)
        card_layout.addLayout(card_buttons)

        # The enrolments and the card scroll together when the page is short (a small screen, large
        # text): the patient's page never needs more than the screen's height.
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(self.enrolments)
        layout.addLayout(buttons)
        layout.addWidget(self.card_box, 3)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidget(content)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll_area)
        ctx.subscribe(self, {Change.FOLLOWUPS}, self.reload)
        self.reload()

    @property
    def patient_id(self) -> int:
        return int(self.patient.id or 0)

    def birth(self) -> dt.date | None:
        birth = self.patient.birth
        return birth.midpoint() if birth is not None else None

    def is_child(self, enrolled: list[followups.Enrolment] | None = None) -> bool:
        age = self.patient.age_on(clock.today())
        if age is not None and age < CHILD_YEARS:
            return True
        return any(e.programme == "vaccination" for e in enrolled or [])

    def reload(self) -> None:
        today = clock.today()
        all_enrolments = followups.enrolments(self.ctx.store, self.patient_id, open_only=False)
        self.enrolments.setRowCount(len(all_enrolments))
        for row, e in enumerate(all_enrolments):
            closed = ""
            if e.closed_on:
                closed = f"{fmt_date(e.closed_on)} — {closure_title(e.closure)}"
            _set_row(self.enrolments, row, [programme_title(e.programme), fmt_date(e.enrolled_on),
                                            fmt_date(e.detected_on), self._details(e, today),
                                            closed])
        self.enrolments.setFixedHeight(
            self.enrolments.horizontalHeader().height()
            + self.enrolments.verticalHeader().defaultSectionSize() * max(len(all_enrolments), 2)
            + 6)
        open_ones = [e for e in all_enrolments if e.closed_on is None]
        living = not self.patient.deceased
        self.enrol_button.setEnabled(living)
        self.close_button.setEnabled(living and bool(open_ones))
        child = self.is_child(all_enrolments)
        self.card_box.setVisible(child)
        if child:
            self._fill_card(today)

    def _details(self, e: followups.Enrolment, today: dt.date) -> str:
        bits = []
        if e.programme == "antenatal" and e.edd:
            bits.append(tr("Expected delivery {date}").format(date=fmt_date(e.edd)))
            if e.closed_on is None:
                pregnancy = antenatal.Pregnancy(enrolled_on=e.enrolled_on, edd=e.edd, lmp=e.lmp)
                bits.append(pregnancy.gestational_age(today).display())
        if e.last_bp:
            bits.append(tr("Last BP {bp}").format(bp=f"{e.last_bp[0]}/{e.last_bp[1]}"))
        if e.last_glucose is not None:
            bits.append(tr("Last glucose {value} mmol/L").format(value=fmt_float(e.last_glucose)))
        if e.history_cvd:
            bits.append(tr("History of stroke or heart attack"))
        return " · ".join(bits)

    def _fill_card(self, today: dt.date) -> None:
        birth = self.birth()
        if birth is None:
            self.card.setRowCount(0)
            return
        lines = vaccination.card(birth, followups.given_doses(self.ctx.store, self.patient_id),
                                 today)
        self.card.setRowCount(len(lines))
        for row, line in enumerate(lines):
            colour = None
            if line.state is vaccination.DoseState.GIVEN:
                colour = OK_COLOUR
            elif line.overdue:
                colour = ERROR_COLOUR
            elif line.state is vaccination.DoseState.DUE:
                colour = WARNING_COLOUR
            _set_row(self.card, row, [line.label, line.describe()], colour)

    # -- actions ----------------------------------------------------------------------------------
    def _saved(self) -> None:
        self.ctx.notify({Change.FOLLOWUPS})  # (this tab reloads too)

    def enrol(self) -> bool:
        today = clock.today()
        dialog = EnrolDialog(self.patient, today, self)
        if not dialogs.run(dialog):
            return False
        key = dialog.key()
        try:
            if key == "antenatal":
                followups.enrol(self.ctx.store, self.patient_id, key, today,
                                lmp=dialog.lmp.date(), edd=dialog.edd.date())
            else:
                followups.enrol(self.ctx.store, self.patient_id, key, today,
                                detected_on=dialog.detected.date(),
                                history_cvd=dialog.cvd.isChecked())
        except StoreError as exc:
            dialogs.error(self, tr("Not saved"), exc.text())
            return False
        self._saved()
        return True

    def close_programme(self) -> bool:
        open_ones = followups.enrolments(self.ctx.store, self.patient_id)
        if not open_ones:
            return False
        dialog = CloseProgrammeDialog(open_ones, clock.today(), self)
        if not dialogs.run(dialog):
            return False
        on = dialog.on.date()
        assert on is not None
        try:
            followups.close_enrolment(self.ctx.store, dialog.enrolment().id, on,
                                      dialog.closure_text())
        except StoreError as exc:
            dialogs.error(self, tr("Not saved"), exc.text())
            return False
        self._saved()
        return True

    def record_dose(self) -> bool:
        today = clock.today()
        given = followups.given_doses(self.ctx.store, self.patient_id)
        place = self.ctx.profile.name or ""
        dialog = RecordDoseDialog(self.birth(), given, today, place, self)
        if not dialogs.run(dialog):
            return False
        given_on = dialog.given_on.date()
        assert given_on is not None
        try:
            followups.record_dose(self.ctx.store, self.patient_id, str(dialog.series.currentData()),
                                  int(dialog.dose.currentData()), given_on,
                                  dialog.place.text().strip(), dialog.booklet.isChecked())
        except StoreError as exc:
            dialogs.error(self, tr("Not saved"), exc.text())
            return False
        self._saved()
        return True
