"""Register or edit a patient: validates as you type, names each problem beside its field,
shows possible duplicates before saving, saves in one transaction.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from station_app import clock
from station_app.domain import code_lists
from station_app.domain.dates import DateFormatError, parse_partial_date
from station_app.domain.identifiers import SEX_CODES, ethnic_groups
from station_app.domain.patient import Patient, normalised, validate
from station_app.domain.problems import Problem
from station_app.domain.text import nfc
from station_app.i18n import N_, tr
from station_app.store import StoreError, claims, patients
from station_app.store.patients import DuplicateCandidate
from station_app.store.station import villages
from station_app.ui import dialogs
from station_app.ui.context import AppContext, Change
from station_app.ui.forms.discard import DiscardGuard
from station_app.ui.widgets import (
    WARNING_COLOUR,
    DateEdit,
    FieldBox,
    ListBox,
    VillageBox,
    keep_on_screen,
    shortcut,
)

# What a phone number may contain besides its digits: separators and the +84 prefix.
_PHONE_TYPO = re.compile(r"[^\d\s.\-+()]")

# How a duplicate candidate was found, as the form says it.
_REASONS = {
    "citizen_id": N_("Same citizen ID"),
    "insurance_no": N_("Same insurance card number"),
    "name": N_("Same name (as search reads it), same birth year"),
    "phone": N_("Same phone number"),
    "guardian_phone": N_("Same guardian's phone"),
}


class PatientForm(QDialog):
    """The registration form; ``saved`` carries the patient once stored."""

    saved = Signal(object)
    open_existing = Signal(int)

    def __init__(self, ctx: AppContext, patient: Patient | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.original = patient
        self.result_patient: Patient | None = None
        self.setWindowTitle(tr("Edit patient") if patient else tr("Register a patient"))
        self.setMinimumWidth(880)
        self._candidates: list[DuplicateCandidate] = []
        self._problems: list[Problem] = []

        self.full_name = QLineEdit()
        self.full_name.setPlaceholderText(tr("e.g. Nguyễn Thị Hương"))
        self.sex = QComboBox()
        for code, label in SEX_CODES.items():
            self.sex.addItem(tr(label), code)
        self.sex.setCurrentIndex(-1)
        self.birth = QLineEdit()
        self.birth.setPlaceholderText(tr("dd/mm/yyyy, mm/yyyy or yyyy"))
        self.birth_estimated = QCheckBox(tr("Estimated"))
        self.age_label = QLabel()
        self.citizen_id = QLineEdit()
        self.citizen_id.setPlaceholderText(tr("12 digits"))
        self.citizen_id.setMaxLength(14)
        self.insurance_no = QLineEdit()
        self.insurance_no.setPlaceholderText(tr("15 characters or 10 digits"))
        self.insurance_valid_from = DateEdit()
        self.insurance_valid_to = DateEdit()
        self.insurance_facility = QLineEdit()
        self.insurance_facility.setMaxLength(5)
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("09xx xxx xxx")
        self.address = QLineEdit()
        self.village = VillageBox(villages(ctx.store))
        self.ethnicity = QComboBox()
        for group in ethnic_groups().values():
            self.ethnicity.addItem(f"{group.code} {group.name}", group.code)
        self.nationality = QComboBox()
        for nation in code_lists.nationalities().values():
            self.nationality.addItem(nation.name, nation.code)
        occupations = code_lists.occupations()
        self.occupation = ListBox([o.name for o in occupations], {o.name: o.aliases for o in occupations})
        self.occupation.setToolTip(tr("The list of occupations (QĐ 34/2020/QĐ-TTg) gives the claim its code; "
                                      "other words are kept as written."))
        # The commune of residence: the station's own province first, its commune by default.
        self.station_commune = code_lists.communes().get(claims.station_info(ctx.store).commune_code)
        home = self.station_commune.province_code if self.station_commune else ""
        ordered = sorted(code_lists.communes().values(), key=lambda c: (c.province_code != home, c.province_code))
        self._communes = {c.label: c for c in ordered}
        self.commune = ListBox(list(self._communes))
        for long_list in (self.occupation, self.commune):  # as wide as the column, not as the longest name
            long_list.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            long_list.setMinimumContentsLength(16)
        line = self.commune.lineEdit()
        if self.station_commune and line is not None:
            line.setPlaceholderText(tr("Station's commune: {commune}").format(commune=self.station_commune.label))
        self.guardian_name = QLineEdit()
        self.guardian_phone = QLineEdit()
        self.deceased = QCheckBox(tr("Deceased"))
        self.deceased_date = DateEdit()
        self.notes = QLineEdit()

        self.boxes: dict[str, FieldBox] = {}

        def box(name: str, editor: QWidget) -> FieldBox:
            self.boxes[name] = FieldBox(editor)
            return self.boxes[name]

        identity = QGroupBox(tr("Identity"))
        form = QFormLayout(identity)
        form.addRow(tr("Full name") + " *", box("full_name", self.full_name))
        form.addRow(tr("Sex") + " *", box("sex", self.sex))
        birth_row = QWidget()
        birth_layout = QHBoxLayout(birth_row)
        birth_layout.setContentsMargins(0, 0, 0, 0)
        birth_layout.addWidget(self.birth, 1)
        birth_layout.addWidget(self.birth_estimated)
        birth_layout.addWidget(self.age_label)
        birth_row.setFocusProxy(self.birth)  # a refused birth date puts the cursor in the date
        form.addRow(tr("Date of birth") + " *", box("birth", birth_row))
        form.addRow(tr("Citizen ID"), box("citizen_id", self.citizen_id))
        form.addRow(tr("Ethnic group"), box("ethnicity", self.ethnicity))
        form.addRow(tr("Nationality"), box("nationality", self.nationality))
        form.addRow(tr("Occupation"), box("occupation", self.occupation))

        contact = QGroupBox(tr("Address and contact"))
        cform = QFormLayout(contact)
        cform.addRow(tr("Village"), box("village", self.village))
        cform.addRow(tr("Commune of residence"), box("commune_code", self.commune))
        cform.addRow(tr("Address"), box("address", self.address))
        cform.addRow(tr("Phone"), box("phone", self.phone))
        cform.addRow(tr("Guardian"), box("guardian_name", self.guardian_name))
        cform.addRow(tr("Guardian's phone"), box("guardian_phone", self.guardian_phone))

        insurance = QGroupBox(tr("Health insurance"))
        iform = QFormLayout(insurance)
        iform.addRow(tr("Insurance card no."), box("insurance_no", self.insurance_no))
        iform.addRow(tr("Insurance valid from"), box("insurance_valid_from", self.insurance_valid_from))
        iform.addRow(tr("Insurance valid to"), box("insurance_valid_to", self.insurance_valid_to))
        iform.addRow(tr("Registered facility"), box("insurance_facility", self.insurance_facility))

        other = QGroupBox(tr("Other"))
        oform = QFormLayout(other)
        death_row = QWidget()
        death_layout = QHBoxLayout(death_row)
        death_layout.setContentsMargins(0, 0, 0, 0)
        death_layout.addWidget(self.deceased)
        death_layout.addWidget(self.deceased_date, 1)
        death_row.setFocusProxy(self.deceased_date)
        oform.addRow(tr("Date of death"), box("deceased_date", death_row))
        oform.addRow(tr("Notes"), box("notes", self.notes))

        self.duplicates_box = QGroupBox(tr("Possible duplicates"))
        self.duplicates_box.setStyleSheet(f"QGroupBox {{ color: {WARNING_COLOUR}; }}")
        dup_layout = QVBoxLayout(self.duplicates_box)
        self.duplicates_list = QListWidget()
        self.duplicates_list.setMaximumHeight(110)
        self.duplicates_list.itemActivated.connect(self._open_candidate)
        dup_layout.addWidget(QLabel(tr("Is this one of these patients? Double-click to open the existing record.")))
        dup_layout.addWidget(self.duplicates_list)
        self.duplicates_box.hide()

        grid = QGridLayout()
        grid.addWidget(identity, 0, 0)
        grid.addWidget(contact, 0, 1)
        grid.addWidget(insurance, 1, 0)
        grid.addWidget(other, 1, 1)
        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.addLayout(grid)
        content_layout.addWidget(self.duplicates_box)
        scroll = QScrollArea()
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from field to field, never to the frame
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)

        self.save_button = QPushButton(tr("Save") + " (Ctrl+S)")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        cancel = QPushButton(tr("Cancel"))
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        self.summary = QLabel()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        shortcut(QKeySequence.StandardKey.Save, self, self.save)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.refresh)
        for editor in (self.full_name, self.birth, self.citizen_id, self.insurance_no, self.insurance_facility,
                       self.phone, self.address, self.guardian_name, self.guardian_phone,
                       self.notes, self.insurance_valid_from, self.insurance_valid_to, self.deceased_date):
            editor.textChanged.connect(self._timer.start)
        for combo in (self.sex, self.ethnicity, self.nationality):
            combo.currentIndexChanged.connect(self._timer.start)
        for box_with_text in (self.village, self.occupation, self.commune):
            box_with_text.currentTextChanged.connect(self._timer.start)
        # The occupation's hint waits until the nurse has left the field (not at every letter typed).
        self._typing_occupation = False
        occupation_line = self.occupation.lineEdit()
        if occupation_line is not None:
            occupation_line.textEdited.connect(lambda _text: setattr(self, "_typing_occupation", True))
            occupation_line.editingFinished.connect(self._occupation_left)
        for check in (self.birth_estimated, self.deceased):
            check.toggled.connect(self._timer.start)
        self._touched: set[str] = set()
        if patient:
            self._fill(patient)
            self._touched = set(self.boxes)
        elif self.station_commune:
            self.commune.setCurrentText(self.station_commune.label)
        self.full_name.setFocus()
        self._guard = DiscardGuard(self)

    def _occupation_left(self) -> None:
        self._typing_occupation = False
        self._timer.start()

    def showEvent(self, event: QShowEvent) -> None:  # Qt's name
        super().showEvent(event)
        keep_on_screen(self)  # the Save row on the screen, wherever the window under it is

    def reject(self) -> None:
        if self._guard.may_close():
            super().reject()

    # -- reading and writing the fields ----------------------------------------------------
    def _fill(self, p: Patient) -> None:
        self.full_name.setText(p.full_name)
        self.sex.setCurrentIndex(self.sex.findData(p.sex))
        if p.birth:
            self.birth.setText(p.birth.display().lstrip("~"))
            self.birth_estimated.setChecked(p.birth.estimated)
        self.citizen_id.setText(p.citizen_id)
        self.insurance_no.setText(p.insurance_no)
        self.insurance_valid_from.set_date(p.insurance_valid_from)
        self.insurance_valid_to.set_date(p.insurance_valid_to)
        self.insurance_facility.setText(p.insurance_facility)
        self.phone.setText(p.phone)
        self.address.setText(p.address)
        self.village.setCurrentText(p.village)
        self.ethnicity.setCurrentIndex(max(0, self.ethnicity.findData(p.ethnicity)))
        self.occupation.setCurrentText(p.occupation)
        nation = code_lists.nationalities().get(p.nationality_code) or code_lists.nationality_for(p.nationality)
        if nation is not None:
            self.nationality.setCurrentIndex(self.nationality.findData(nation.code))
        elif p.nationality:  # written before the list: kept as it is, without a code
            self.nationality.addItem(p.nationality, "")
            self.nationality.setCurrentIndex(self.nationality.count() - 1)
        commune = code_lists.communes().get(p.commune_code)
        self.commune.setCurrentText(commune.label if commune else p.commune_code)
        self.guardian_name.setText(p.guardian_name)
        self.guardian_phone.setText(p.guardian_phone)
        self.deceased.setChecked(p.deceased)
        self.deceased_date.set_date(p.deceased_date)
        self.notes.setText(p.notes)

    def patient(self) -> tuple[Patient, list[Problem]]:
        """The record as typed, and the problems found while reading the fields."""
        problems: list[Problem] = []
        birth = None
        if self.birth.text().strip():
            try:
                birth = parse_partial_date(self.birth.text(), self.birth_estimated.isChecked())
            except DateFormatError:
                problems.append(Problem("birth", N_("Write the date as dd/mm/yyyy, mm/yyyy or yyyy.")))
        dates = {}
        for name in ("insurance_valid_from", "insurance_valid_to", "deceased_date"):
            editor: DateEdit = getattr(self, name)
            try:
                dates[name] = editor.date()
            except DateFormatError:
                dates[name] = None
                problems.append(Problem(name, N_("Write the date as dd/mm/yyyy.")))
        for name in ("phone", "guardian_phone"):
            # Saving drops every non-digit: a letter typed by mistake must not vanish silently.
            if _PHONE_TYPO.search(getattr(self, name).text()):
                problems.append(Problem(name, N_("A phone number has only digits (and spaces, dots or dashes).")))
        base = self.original
        occupation = nfc(self.occupation.currentText())
        listed = code_lists.occupation_for(occupation)
        occupation_code = listed.code if listed else ""
        if listed is None and base is not None and occupation == base.occupation:
            occupation_code = base.occupation_code  # (given in the claims register to words outside the list)
        commune_text = self.commune.currentText().strip()
        commune = self._communes.get(commune_text) or code_lists.commune_for(
            commune_text, self.station_commune.province_code if self.station_commune else "")
        if commune_text and commune is None:
            problems.append(Problem("commune_code", N_("Choose the commune from the list (type a part of its name).")))
        nationality_code = self.nationality.currentData() or ""
        p = Patient(
            id=base.id if base else None,
            record_no=base.record_no if base else None,
            created_at=base.created_at if base else None,
            full_name=self.full_name.text(),
            sex=self.sex.currentData() or "",
            birth=birth,
            citizen_id=self.citizen_id.text(),
            insurance_no=self.insurance_no.text(),
            insurance_valid_from=dates["insurance_valid_from"],
            insurance_valid_to=dates["insurance_valid_to"],
            insurance_facility=self.insurance_facility.text(),
            phone=self.phone.text(),
            address=self.address.text(),
            village=self.village.currentText(),
            ethnicity=self.ethnicity.currentData() or "01",
            occupation=occupation,
            occupation_code=occupation_code,
            nationality=self.nationality.currentText(),
            nationality_code=nationality_code,
            province_code=commune.province_code if commune else "",
            district_code=base.district_code if base else "",
            commune_code=commune.code if commune else "",
            guardian_name=self.guardian_name.text(),
            guardian_phone=self.guardian_phone.text(),
            deceased=self.deceased.isChecked(),
            deceased_date=dates["deceased_date"],
            notes=self.notes.text(),
            workplace=base.workplace if base else "",
            guardian_relation=base.guardian_relation if base else "",
        )
        if occupation and not occupation_code and not self._typing_occupation:
            problems.append(Problem("occupation", N_(
                "Not in the list of occupations: kept as written, and the claim sends 00000 (none)."), "warning"))
        return normalised(p), problems

    # -- live validation -------------------------------------------------------------------
    def refresh(self, show_all: bool = False) -> list[Problem]:
        p, problems = self.patient()
        seen = {pr.field for pr in problems}
        problems += [pr for pr in validate(p, clock.today()) if pr.field not in seen]
        self._problems = problems
        # Only complain about fields the nurse has reached, unless saving.
        for name, field_box in self.boxes.items():
            if self._has_input(name):
                self._touched.add(name)
            visible = show_all or name in self._touched
            field_box.set_problems([pr for pr in problems if pr.field == name] if visible else [])
        if p.birth:
            age = p.birth.age_on(clock.today())
            self.age_label.setText(tr("{age} years old").format(age=age))
        else:
            self.age_label.clear()
        self._update_duplicates(p)
        errors = [pr for pr in problems if pr.is_error]
        self.summary.setText(tr("{count} fields to correct").format(count=len(errors)) if errors and show_all else "")
        return problems

    def _has_input(self, name: str) -> bool:
        editor = self.boxes[name].editor
        if isinstance(editor, QLineEdit):
            return bool(editor.text().strip())
        if isinstance(editor, ListBox):
            return bool(editor.currentText().strip())
        if name == "birth":
            return bool(self.birth.text().strip())
        if name == "deceased_date":
            return bool(self.deceased_date.text().strip())
        return False

    def _update_duplicates(self, p: Patient) -> None:
        if not (p.full_name and (p.birth or p.phone or p.citizen_id)):
            self._candidates = []
        else:
            self._candidates = patients.possible_duplicates(self.ctx.store, p)
        self.duplicates_list.clear()
        for candidate in self._candidates:
            c = candidate.patient
            text = "  ·  ".join(x for x in (
                c.record_no or "", c.full_name, c.birth.display() if c.birth else "", c.village, c.phone,
                tr(_REASONS[candidate.reason]),
            ) if x)
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, c.id)
            self.duplicates_list.addItem(item)
        self.duplicates_box.setVisible(bool(self._candidates))

    def _open_candidate(self, item: QListWidgetItem) -> None:
        patient_id = item.data(Qt.ItemDataRole.UserRole)
        self.reject()
        self.open_existing.emit(int(patient_id))

    # -- saving ----------------------------------------------------------------------------
    def save(self) -> None:
        self._timer.stop()
        self._typing_occupation = False
        problems = self.refresh(show_all=True)
        errors = [pr for pr in problems if pr.is_error]
        if errors:
            first = self.boxes.get(errors[0].field)
            if first:
                first.editor.setFocus()
            return
        p, _ = self.patient()
        blocking = [c for c in self._candidates if c.blocks]
        if blocking:
            other = blocking[0].patient
            dialogs.warning(self, tr("Duplicate patient"), tr(
                "{name} ({record}) already has this citizen ID. Open that record instead of registering "
                "the same person twice.").format(name=other.full_name, record=other.record_no))
            self.boxes["citizen_id"].editor.setFocus()
            return
        if self._candidates and not dialogs.ask(
            self, tr("Possible duplicate"),
            tr("{count} existing patients look like this one. Save a new record anyway?").format(
                count=len(self._candidates)),
        ):
            return
        # (a child without a guardian's name, an occupation outside the list: said beside the field, not asked)
        warnings = [pr for pr in problems if not pr.is_error and pr.field not in ("guardian_name", "occupation")]
        if warnings and not dialogs.ask(
            self, tr("Check before saving"),
            "\n".join(pr.text() for pr in warnings) + "\n\n" + tr("Save anyway?"),
        ):
            return
        try:
            saved = patients.update(self.ctx.store, p) if p.id else patients.insert(self.ctx.store, p)
        except StoreError as exc:
            dialogs.error(self, tr("Not saved"), exc.text())
            return
        self.result_patient = saved
        self.ctx.notify({Change.PATIENTS}, self)
        self.saved.emit(saved)
        self.accept()
