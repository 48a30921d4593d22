"""The referral slip form: every field of Phụ lục VI (Thông tư 01/2025/TT-BYT) in the form's order,
prefilled from the visit and the patient (``store.referrals.prefill``) and all editable.

Saving issues the slip in one transaction (``referrals.issue``: the next number of the year, the
book entry, the "did they go?" follow-up) or corrects an issued slip (``referrals.update_slip``:
its number stays). Problems are named beside their field, in the app's language. Keyboard only:
Tab walks the fields in reading order, Ctrl+S saves, Esc closes (asking first when something
was changed). After saving, the slip opens in the preview, ready to print.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
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
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from station_app import clock
from station_app.domain.accounts import Permission
from station_app.domain.dates import DateFormatError
from station_app.domain.identifiers import SEX_CODES, ethnic_groups
from station_app.domain.patient import Patient
from station_app.domain.problems import Problem
from station_app.domain.referral import EarlierTreatment, Referral, load_holidays, validate
from station_app.domain.visit import Visit
from station_app.i18n import N_, tr
from station_app.store import StoreError, patients, referrals
from station_app.store.station import staff
from station_app.ui import dialogs
from station_app.ui.context import AppContext, Change
from station_app.ui.forms.visit_form import TextBox
from station_app.ui.pdf_preview import PdfPreviewDialog, audited, show_pdf
from station_app.ui.qt_i18n import fmt_date
from station_app.ui.widgets import (
    ERROR_COLOUR,
    DateEdit,
    FieldBox,
    heading,
    keep_on_screen,
    py_datetime,
    qt_datetime,
    shortcut,
)

# The reasons of the form, in its order: (code, text as the form prints it).
REASONS = (
    ("1a", N_("1a) Eligible: in line with the rules on transfer between technical levels")),
    ("1b", N_("1b) Eligible: beyond what this facility can provide")),
    ("2", N_("2) At the request of the patient or the patient's legal representative")),
)
# Problems of a field shown in the box of the row it sits in: field -> box.
SHOWN_IN = {"icd_main": "diagnosis", "insurance_validity_unknown": "insurance_expired"}
# Usual means of transport (the field stays free text).
TRANSPORT = (N_("Family motorbike"), N_("Ambulance"), N_("Taxi"), N_("On foot / by themselves"))


class ReferralForm(QDialog):
    """A new slip (``referral`` without an id) or the correction of an issued one."""

    saved = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        referral: Referral,
        visit_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.original = referral
        self.visit_id = visit_id
        self.result_referral: Referral | None = None
        self.preview_after_save = True
        self.preview: PdfPreviewDialog | None = None
        self._touched: set[str] = set()
        editing = referral.id is not None
        name = referral.patient_name
        self.setWindowTitle(
            tr("Referral slip {number} — {name}").format(number=referral.number, name=name)
            if editing else tr("New referral slip — {name}").format(name=name)
        )
        self.setMinimumWidth(960)

        title = heading(tr("Referral slip (health insurance)"))
        if editing:
            note = tr("Slip {number}: a correction keeps the number and the book entry.").format(
                number=referral.number)
        else:
            note = tr("The slip gets the next number of the year when it is saved.")
        subtitle = QLabel(note)
        subtitle.setWordWrap(True)

        self.boxes: dict[str, FieldBox] = {}

        def box(field: str, editor: QWidget) -> FieldBox:
            self.boxes[field] = FieldBox(editor)
            return self.boxes[field]

        # -- Kính gửi ----------------------------------------------------------------------------
        self.receiving_facility = QComboBox()
        self.receiving_facility.setEditable(True)
        self.receiving_facility.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.receiving_facility.addItem("")
        for destination in self._destinations():
            self.receiving_facility.addItem(destination)
        facility_text = self.receiving_facility.lineEdit()
        assert facility_text is not None  # (editable)
        facility_text.setPlaceholderText(tr("e.g. Bệnh viện Đa khoa tỉnh"))
        self.receiving_facility_code = QLineEdit()
        self.receiving_facility_code.setMaxLength(5)
        self.receiving_facility_code.setPlaceholderText(tr("5 digits"))
        self.receiving_facility_code.setMaximumWidth(110)
        to = QGroupBox(tr("To (receiving facility)"))
        to_layout = QGridLayout(to)
        to_layout.addWidget(QLabel(tr("Facility") + " *"), 0, 0)
        to_layout.addWidget(box("receiving_facility", self.receiving_facility), 0, 1)
        to_layout.addWidget(QLabel(tr("Facility code")), 0, 2)
        to_layout.addWidget(box("receiving_facility_code", self.receiving_facility_code), 0, 3)
        to_layout.setColumnStretch(1, 1)

        # -- the patient -------------------------------------------------------------------------
        self.patient_name = QLineEdit()
        self.sex = QComboBox()
        self.sex.addItem("", "")
        for code, label in SEX_CODES.items():
            self.sex.addItem(tr(label), code)
        self.birth_year = QLineEdit()
        self.birth_year.setMaxLength(4)
        self.birth_year.setPlaceholderText(tr("yyyy"))
        self.address = QLineEdit()
        self.ethnicity = QComboBox()
        self.ethnicity.setEditable(True)
        self.ethnicity.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.ethnicity.addItems([g.name for g in ethnic_groups().values()])
        self.nationality = QLineEdit()
        self.occupation = QLineEdit()
        self.workplace = QLineEdit()
        self.insurance_no = QLineEdit()
        self.insurance_valid_to = DateEdit()
        self.insurance_expired = QCheckBox(tr("Card expired"))
        self.insurance_validity_unknown = QCheckBox(tr("Validity cannot be determined"))
        card_checks = QWidget()
        checks_layout = QHBoxLayout(card_checks)
        checks_layout.setContentsMargins(0, 0, 0, 0)
        checks_layout.addWidget(self.insurance_expired)
        checks_layout.addWidget(self.insurance_validity_unknown)
        checks_layout.addStretch(1)
        card_checks.setFocusProxy(self.insurance_expired)

        patient = QGroupBox(tr("Patient"))
        grid = QGridLayout(patient)
        cells: list[tuple[str, str, QWidget, int]] = [
            (tr("Full name") + " *", "patient_name", self.patient_name, 1),
            (tr("Sex"), "sex", self.sex, 1),
            (tr("Year of birth"), "birth_year", self.birth_year, 1),
            (tr("Ethnic group"), "ethnicity", self.ethnicity, 1),
            (tr("Address"), "address", self.address, 3),
            (tr("Nationality"), "nationality", self.nationality, 1),
            (tr("Occupation"), "occupation", self.occupation, 1),
            (tr("Workplace"), "workplace", self.workplace, 3),
            (tr("Insurance card no."), "insurance_no", self.insurance_no, 1),
            (tr("Card valid to"), "insurance_valid_to", self.insurance_valid_to, 1),
            ("", "insurance_expired", card_checks, 3),
        ]
        row = col = 0
        for label, field, editor, span in cells:
            if col + 1 + span > 4:
                row, col = row + 1, 0
            grid.addWidget(QLabel(label), row, col)
            grid.addWidget(box(field, editor), row, col + 1, 1, span)
            col += 1 + span
            if col >= 4:
                row, col = row + 1, 0
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(3, 2)

        # -- examined and treated before -------------------------------------------------------
        earlier = QGroupBox(tr("Examined and treated before"))
        earlier_rows = QWidget()
        egrid = QGridLayout(earlier_rows)
        self.earlier: list[tuple[QLineEdit, DateEdit, DateEdit]] = []
        for index in range(2):
            place, start, end = QLineEdit(), DateEdit(), DateEdit()
            place.setPlaceholderText(tr("At (facility)"))
            for date in (start, end):
                date.setMaximumWidth(130)
            egrid.addWidget(QLabel(tr("At")), index, 0)
            egrid.addWidget(place, index, 1)
            egrid.addWidget(QLabel(tr("from")), index, 2)
            egrid.addWidget(start, index, 3)
            egrid.addWidget(QLabel(tr("to")), index, 4)
            egrid.addWidget(end, index, 5)
            self.earlier.append((place, start, end))
        egrid.setColumnStretch(1, 1)
        egrid.setContentsMargins(0, 0, 0, 0)
        earlier_rows.setFocusProxy(self.earlier[0][0])
        QVBoxLayout(earlier).addWidget(box("earlier_treatments", earlier_rows))

        # -- clinical summary ------------------------------------------------------------------
        self.clinical_signs = TextBox(2)
        self.test_results = TextBox(2)
        self.diagnosis = QLineEdit()
        self.icd_main = QLineEdit()
        self.icd_main.setMaximumWidth(110)
        self.icd_main.setPlaceholderText("I10")
        self.icd_extra = QLineEdit()
        self.icd_extra.setPlaceholderText(tr("Other codes, separated by commas"))
        self.procedures = TextBox(2)
        self.treatment = TextBox(2)
        self.condition = TextBox(2)
        diagnosis_row = QWidget()
        drow = QHBoxLayout(diagnosis_row)
        drow.setContentsMargins(0, 0, 0, 0)
        drow.addWidget(self.diagnosis, 3)
        drow.addWidget(QLabel(tr("ICD-10")))
        drow.addWidget(self.icd_main)
        drow.addWidget(self.icd_extra, 2)
        diagnosis_row.setFocusProxy(self.diagnosis)
        summary = QGroupBox(tr("Clinical summary"))
        sform = QFormLayout(summary)
        sform.addRow(tr("Clinical signs"), box("clinical_signs", self.clinical_signs))
        sform.addRow(tr("Main test results"), box("test_results", self.test_results))
        sform.addRow(tr("Diagnosis") + " *", box("diagnosis", diagnosis_row))
        sform.addRow(tr("Procedures done (if any)"), box("procedures", self.procedures))
        sform.addRow(tr("Main treatment and drugs used"), box("treatment", self.treatment))
        sform.addRow(tr("Condition at transfer"), box("condition", self.condition))

        # -- the transfer ------------------------------------------------------------------------
        self.reason_group = QButtonGroup(self)
        self.reason_buttons: dict[str, QRadioButton] = {}
        reasons = QWidget()
        rlayout = QVBoxLayout(reasons)
        rlayout.setContentsMargins(0, 0, 0, 0)
        rlayout.setSpacing(2)
        for code, text in REASONS:
            button = QRadioButton(tr(text))
            self.reason_group.addButton(button)
            self.reason_buttons[code] = button
            rlayout.addWidget(button)
        reasons.setFocusProxy(self.reason_buttons["1a"])
        self.direction = TextBox(2)
        self.transfer_at = QDateTimeEdit()
        self.transfer_at.setDisplayFormat("dd/MM/yyyy HH:mm")
        self.transfer_at.setCalendarPopup(True)
        self.one_year = QCheckBox(tr("Valid for one year (disease of Phụ lục III)"))
        self.valid_label = QLabel()
        when_row = QWidget()
        wrow = QHBoxLayout(when_row)
        wrow.setContentsMargins(0, 0, 0, 0)
        wrow.addWidget(self.transfer_at)
        wrow.addSpacing(12)
        wrow.addWidget(self.one_year)
        wrow.addSpacing(12)
        wrow.addWidget(self.valid_label, 1)
        when_row.setFocusProxy(self.transfer_at)
        self.transport = QComboBox()
        self.transport.setEditable(True)
        self.transport.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.transport.addItem("")
        self.transport.addItems([tr(t) for t in TRANSPORT])
        self.escort_name = QLineEdit()
        self.escort_name.setPlaceholderText(tr("Full name"))
        self.escort_title = QLineEdit()
        self.escort_title.setPlaceholderText(tr("Title (e.g. nurse)"))
        escort_row = QWidget()
        erow = QHBoxLayout(escort_row)
        erow.setContentsMargins(0, 0, 0, 0)
        erow.addWidget(self.escort_name, 3)
        erow.addWidget(self.escort_title, 2)
        escort_row.setFocusProxy(self.escort_name)
        transfer = QGroupBox(tr("Transfer"))
        tform = QFormLayout(transfer)
        tform.addRow(tr("Reason") + " *", box("reason", reasons))
        tform.addRow(tr("Direction of treatment"), box("direction", self.direction))
        tform.addRow(tr("Transferred at") + " *", box("transfer_at", when_row))
        tform.addRow(tr("Transport"), box("transport", self.transport))
        tform.addRow(tr("Escort (if any)"), box("escort_name", escort_row))

        # -- signatures --------------------------------------------------------------------------
        self.clinician_name = QComboBox()
        self.clinician_name.setEditable(True)
        self.clinician_name.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.clinician_name.addItem("")
        for member in staff(ctx.store, clinicians=True):
            self.clinician_name.addItem(member.full_name)
        self.signer_name = QLineEdit()
        self.signer_title = QLineEdit()
        self.signer_title.setPlaceholderText(tr("Title (e.g. Head of station)"))
        signer_row = QWidget()
        srow = QHBoxLayout(signer_row)
        srow.setContentsMargins(0, 0, 0, 0)
        srow.addWidget(self.signer_name, 3)
        srow.addWidget(self.signer_title, 2)
        signer_row.setFocusProxy(self.signer_name)
        self.signed_on = DateEdit()
        self.signed_on.setMaximumWidth(130)
        signatures = QGroupBox(tr("Signatures"))
        gform = QFormLayout(signatures)
        gform.addRow(tr("Examining clinician"), box("clinician_name", self.clinician_name))
        gform.addRow(tr("Signing head of the station"), box("signer_name", signer_row))
        gform.addRow(tr("Signed on"), box("signed_on", self.signed_on))

        # -- buttons -----------------------------------------------------------------------------
        self.summary = QLabel()
        self.summary.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.cancel_button = QPushButton(tr("Cancel") + " (Esc)")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.save_button = QPushButton(tr("Save and preview") + " (Ctrl+S)")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(lambda: self.save())
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        for group in (to, patient, earlier, summary, transfer, signatures):
            body_layout.addWidget(group)
        body_layout.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from field to field, never to the frame
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(body)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        # A correction keeps the slip it replaces, with this reason (store.corrections).
        self.correction_reason = QLineEdit()
        self.correction_reason.setPlaceholderText(tr("Reason for the correction"))
        self.correction_reason.setVisible(editing)
        layout.addWidget(self.correction_reason)
        layout.addWidget(self.scroll_area, 1)
        layout.addLayout(buttons)
        shortcut(QKeySequence.StandardKey.Save, self, lambda: self.save())

        # Tab order = reading order.
        order: list[QWidget] = [
            self.receiving_facility,
            self.receiving_facility_code,
            self.patient_name,
            self.sex,
            self.birth_year,
            self.ethnicity,
            self.address,
            self.nationality,
            self.occupation,
            self.workplace,
            self.insurance_no,
            self.insurance_valid_to,
            self.insurance_expired,
            self.insurance_validity_unknown,
            *[w for row in self.earlier for w in row],
            self.clinical_signs,
            self.test_results,
            self.diagnosis,
            self.icd_main,
            self.icd_extra,
            self.procedures,
            self.treatment,
            self.condition,
            *self.reason_buttons.values(),
            self.direction,
            self.transfer_at,
            self.one_year,
            self.transport,
            self.escort_name,
            self.escort_title,
            self.clinician_name,
            self.signer_name,
            self.signer_title,
            self.signed_on,
            self.cancel_button,
            self.save_button,
        ]
        for a, b in itertools.pairwise(order):
            QWidget.setTabOrder(a, b)

        self.fill(referral)
        self._initial = self._snapshot()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(lambda: self.refresh())
        self._watch()
        self.refresh()
        self._sized = False
        self.receiving_facility.setFocus()

    # -- helpers -------------------------------------------------------------------------------
    def _destinations(self) -> list[str]:
        """Facilities this station referred to before, most used first."""
        counts: dict[str, int] = {}
        for row in referrals.book(self.ctx.store):
            if row.to_facility.strip():
                counts[row.to_facility] = counts.get(row.to_facility, 0) + 1
        return sorted(counts, key=lambda name: (-counts[name], name))

    def showEvent(self, event: QShowEvent) -> None:
        """Size the form the first time it shows, once its widgets are styled."""
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            self._fit_screen(self.scroll_area.widget() or self.scroll_area)
            keep_on_screen(self)  # its Save row on the screen, wherever the window under it is

    def _fit_screen(self, body: QWidget) -> None:
        own = self.layout()
        assert own is not None
        margins = own.contentsMargins()
        width = (
            max(body.sizeHint().width(), body.minimumSizeHint().width())
            + margins.left()
            + margins.right()
            + self.scroll_area.verticalScrollBar().sizeHint().width()
            + 8
        )
        chrome = self.sizeHint().height() - self.scroll_area.sizeHint().height()
        available = self.screen().availableGeometry()
        self.resize(
            min(max(width, self.minimumWidth()), available.width()),
            min(chrome + body.sizeHint().height(), available.height() - 40),
        )

    def _watch(self) -> None:
        """Each edit marks its field as reached and re-checks the form a moment later."""

        def touch(name: str) -> None:
            self._touched.add(name)
            self._timer.start()

        for name, editor in (
            ("receiving_facility", self.receiving_facility),
            ("clinician_name", self.clinician_name),
            ("transport", self.transport),
            ("ethnicity", self.ethnicity),
        ):
            editor.currentTextChanged.connect(lambda _t, n=name: touch(n))
        self.sex.currentIndexChanged.connect(lambda _i: touch("sex"))
        for name in ("receiving_facility_code", "patient_name", "birth_year", "address", "nationality",
                     "occupation", "workplace", "insurance_no", "insurance_valid_to", "diagnosis", "icd_main",
                     "escort_name", "escort_title", "signer_name", "signer_title", "signed_on"):
            getattr(self, name).textChanged.connect(lambda _t, n=name: touch(n))
        self.icd_extra.textChanged.connect(lambda _t: touch("icd_main"))  # shown with the diagnosis
        for name in ("clinical_signs", "test_results", "procedures", "treatment", "condition", "direction"):
            getattr(self, name).textChanged.connect(lambda n=name: touch(n))
        for check in (self.insurance_expired, self.insurance_validity_unknown):
            check.toggled.connect(lambda _c: touch("insurance_expired"))
        for place, start, end in self.earlier:
            for line in (place, start, end):
                line.textChanged.connect(lambda _t: touch("earlier_treatments"))
        self.reason_group.buttonToggled.connect(lambda *_: touch("reason"))
        self.transfer_at.dateTimeChanged.connect(lambda _d: touch("transfer_at"))
        self.one_year.toggled.connect(lambda _c: touch("one_year"))

    # -- reading and writing the fields ----------------------------------------------------------
    def fill(self, r: Referral) -> None:
        self.receiving_facility.setCurrentText(r.receiving_facility)
        self.receiving_facility_code.setText(r.receiving_facility_code)
        self.patient_name.setText(r.patient_name)
        self.sex.setCurrentIndex(max(self.sex.findData(r.sex), 0))
        self.birth_year.setText(str(r.birth_year) if r.birth_year else "")
        self.address.setText(r.address)
        self.ethnicity.setCurrentText(r.ethnicity)
        self.nationality.setText(r.nationality)
        self.occupation.setText(r.occupation)
        self.workplace.setText(r.workplace)
        self.insurance_no.setText(r.insurance_no)
        self.insurance_valid_to.set_date(r.insurance_valid_to)
        self.insurance_expired.setChecked(r.insurance_expired)
        self.insurance_validity_unknown.setChecked(r.insurance_validity_unknown)
        for (place, start, end), item in itertools.zip_longest(self.earlier, r.earlier_treatments[:2]):
            place.setText(item.place if item else "")
            start.set_date(item.from_date if item else None)
            end.set_date(item.to_date if item else None)
        self.clinical_signs.setText(r.clinical_signs)
        self.test_results.setText(r.test_results)
        self.diagnosis.setText(r.diagnosis)
        self.icd_main.setText(r.icd_main)
        self.icd_extra.setText(", ".join(r.icd_extra))
        self.procedures.setText(r.procedures)
        self.treatment.setText(r.treatment)
        self.condition.setText(r.condition)
        self.reason_group.setExclusive(False)
        for code, button in self.reason_buttons.items():
            button.setChecked(code == r.reason)
        self.reason_group.setExclusive(True)
        self.direction.setText(r.direction)
        transfer = r.transfer_at or clock.now().replace(second=0, microsecond=0)
        self.transfer_at.setDateTime(qt_datetime(transfer))
        self.one_year.setChecked(bool(r.one_year))
        self.transport.setCurrentText(r.transport)
        self.escort_name.setText(r.escort_name)
        self.escort_title.setText(r.escort_title)
        self.clinician_name.setCurrentText(r.clinician_name)
        self.signer_name.setText(r.signer_name)
        self.signer_title.setText(r.signer_title)
        self.signed_on.set_date(r.signed_on)

    def referral(self) -> tuple[Referral, list[Problem]]:
        """The slip as typed, and the problems found while reading the fields."""
        problems: list[Problem] = []
        birth_year = None
        text = self.birth_year.text().strip()
        if text:
            if text.isdigit() and 1880 <= int(text) <= clock.today().year:
                birth_year = int(text)
            else:
                problems.append(Problem("birth_year", N_("Write the year of birth with four digits (e.g. 1960).")))

        def date_of(editor: DateEdit, field: str) -> dt.date | None:
            try:
                return editor.date()
            except DateFormatError:
                if not any(p.field == field for p in problems):
                    problems.append(Problem(field, N_("Write the date as dd/mm/yyyy.")))
                return None

        earlier = []
        for place, start, end in self.earlier:
            begin, finish = date_of(start, "earlier_treatments"), date_of(end, "earlier_treatments")
            if place.text().strip():
                earlier.append(EarlierTreatment(place.text().strip(), begin, finish))
            elif begin or finish:
                problems.append(Problem("earlier_treatments", N_("Write where the patient was treated.")))
        reason = next((code for code, b in self.reason_buttons.items() if b.isChecked()), None)
        extra = [c.strip().upper() for c in self.icd_extra.text().replace(";", ",").split(",") if c.strip()]
        transfer = py_datetime(self.transfer_at.dateTime()).replace(second=0, microsecond=0)
        r = dataclasses.replace(
            self.original,
            receiving_facility=self.receiving_facility.currentText().strip(),
            receiving_facility_code=self.receiving_facility_code.text().strip(),
            patient_name=self.patient_name.text().strip(),
            sex=self.sex.currentData() or "",
            birth_year=birth_year,
            address=self.address.text().strip(),
            ethnicity=self.ethnicity.currentText().strip(),
            nationality=self.nationality.text().strip(),
            occupation=self.occupation.text().strip(),
            workplace=self.workplace.text().strip(),
            insurance_no=self.insurance_no.text().strip(),
            insurance_valid_to=date_of(self.insurance_valid_to, "insurance_valid_to"),
            insurance_expired=self.insurance_expired.isChecked(),
            insurance_validity_unknown=self.insurance_validity_unknown.isChecked(),
            earlier_treatments=earlier,
            clinical_signs=self.clinical_signs.text().strip(),
            test_results=self.test_results.text().strip(),
            diagnosis=self.diagnosis.text().strip(),
            icd_main=self.icd_main.text().strip().upper(),
            icd_extra=extra,
            procedures=self.procedures.text().strip(),
            treatment=self.treatment.text().strip(),
            condition=self.condition.text().strip(),
            reason=reason,
            direction=self.direction.text().strip(),
            transfer_at=transfer,
            one_year=self.one_year.isChecked(),
            transport=self.transport.currentText().strip(),
            escort_name=self.escort_name.text().strip(),
            escort_title=self.escort_title.text().strip(),
            clinician_name=self.clinician_name.currentText().strip(),
            signer_name=self.signer_name.text().strip(),
            signer_title=self.signer_title.text().strip(),
            signed_on=date_of(self.signed_on, "signed_on"),
        )
        if r.signed_on and r.signed_on < transfer.date() - dt.timedelta(days=1):
            problems.append(Problem("signed_on", N_("The slip cannot be signed before the transfer.")))
        return r, problems

    def _snapshot(self) -> str:
        return referrals.to_json(self.referral()[0])

    def is_changed(self) -> bool:
        return self._snapshot() != self._initial

    # -- checking --------------------------------------------------------------------------------
    def refresh(self, show_all: bool = False) -> list[Problem]:
        r, problems = self.referral()
        seen = {p.field for p in problems}
        problems += [p for p in validate(r) if p.field not in seen or p.field == "icd_main"]
        for name, field_box in self.boxes.items():
            mine = [p for p in problems if SHOWN_IN.get(p.field, p.field) == name]
            reached = name in self._touched or any(f in self._touched for f, n in SHOWN_IN.items() if n == name)
            field_box.set_problems(mine if show_all or reached else [])
        valid = r.valid_until(load_holidays())
        self.valid_label.setText(tr("Valid until {date}").format(date=fmt_date(valid)) if valid else "")
        errors = [p for p in problems if p.is_error and self._placed(p)]
        self.summary.setText(
            tr("{count} fields to correct").format(count=len(errors)) if errors and show_all else ""
        )
        return problems

    def _placed(self, problem: Problem) -> bool:
        """A problem this form can show beside a field (the record's life is not edited here)."""
        return SHOWN_IN.get(problem.field, problem.field) in self.boxes

    # -- saving ----------------------------------------------------------------------------------
    def save(self) -> Referral | None:
        """Check, then issue the slip (or save the correction) in one transaction."""
        self._timer.stop()
        problems = [p for p in self.refresh(show_all=True) if self._placed(p)]
        errors = [p for p in problems if p.is_error]
        if errors:
            field = errors[0].field
            first = self.boxes[SHOWN_IN.get(field, field)]
            self.scroll_area.ensureWidgetVisible(first)
            target = getattr(self, field, None) if field in SHOWN_IN else None
            (target or first.editor.focusProxy() or first.editor).setFocus()
            return None
        warnings = [p for p in problems if not p.is_error]
        if warnings and not dialogs.ask(
            self, tr("Check before saving"), "\n".join(p.text() for p in warnings) + "\n\n" + tr("Save anyway?")
        ):
            return None
        r, _ = self.referral()
        try:
            if r.id is None:
                saved = referrals.issue(self.ctx.store, r, self.visit_id)
            else:
                referrals.update_slip(self.ctx.store, r, self.correction_reason.text())
                saved = referrals.get(self.ctx.store, r.id) or r
        except StoreError as exc:
            dialogs.error(self, tr("Not saved"), exc.text())
            return None
        self.result_referral = saved
        self._initial = self._snapshot()
        changes = {Change.REFERRALS, Change.FOLLOWUPS} | ({Change.VISITS} if self.visit_id is not None else set())
        self.ctx.notify(changes, self)
        self.saved.emit(saved)
        self.accept()
        if self.preview_after_save and saved.id is not None:
            self.preview = preview_slip(self.ctx, saved.id, self.parentWidget())
        return saved

    def reject(self) -> None:
        """Esc and Cancel: ask before throwing away what was typed."""
        if self.result_referral is None and self.is_changed() and not dialogs.ask(
            self, tr("Discard the slip?"), tr("The referral slip has changes that are not saved. Close it anyway?")
        ):
            return
        super().reject()


# -- opening the form and the preview --------------------------------------------------------------
def new_referral(
    ctx: AppContext,
    patient: Patient,
    visit: Visit | None,
    parent: QWidget | None = None,
) -> ReferralForm:
    """Open the form for a new slip, prefilled from ``patient`` and ``visit`` (window-modal)."""
    slip = referrals.prefill(patient, visit, ctx.profile, clock.today())
    form = ReferralForm(ctx, slip, visit.id if visit else None, parent)
    form.open()
    return form


def refer_after_visit(ctx: AppContext, visit: Visit, window: QWidget) -> None:
    """A visit saved with "refer" ticked: once the visit form has closed, the slip prefilled from it
    (a child of ``window``, which keeps it)."""
    patient = patients.get(ctx.store, visit.patient_id)
    if patient is not None:
        QTimer.singleShot(0, window, lambda: new_referral(ctx, patient, visit, window))


def _slip(ctx: AppContext, referral_id: int, parent: QWidget | None) -> Referral | None:
    """The slip, or None after saying why it cannot be opened (its data damaged in the file)."""
    try:
        return referrals.get(ctx.store, referral_id)
    except StoreError as exc:
        dialogs.error(parent, tr("Not done"), exc.text())
        return None


def edit_referral(ctx: AppContext, referral_id: int, parent: QWidget | None = None) -> ReferralForm | None:
    """Open the form to correct an issued slip (its number stays)."""
    slip = _slip(ctx, referral_id, parent)
    if slip is None:
        return None
    form = ReferralForm(ctx, slip, None, parent)
    form.open()
    return form


def slip_file_name(r: Referral) -> str:
    number = (r.number or "").replace("/", "-")
    return f"phieu-chuyen-{number}.pdf" if number else "phieu-chuyen.pdf"


def preview_slip(ctx: AppContext, referral_id: int, parent: QWidget | None = None) -> PdfPreviewDialog | None:
    """The slip in the preview dialog; each print is counted (the second and later are copies)."""
    slip = _slip(ctx, referral_id, parent)
    if slip is None:
        return None
    from station_app.printing.referral_slip import render_referral_bytes  # reportlab: loaded when first printed

    data = render_referral_bytes(slip, referrals.station_for_print(ctx.profile))

    def printed() -> str:
        try:
            before = referrals.mark_printed(ctx.store, referral_id)
        except StoreError as exc:
            return exc.text()
        ctx.notify({Change.REFERRALS})
        if before:
            return tr("Printed as a copy (printed {count} times before).").format(count=before)
        return tr("Printed.")

    title = tr("Referral slip {number} — {name}").format(number=slip.number, name=slip.patient_name)
    saved = audited(lambda: ctx.store, ("referral", referral_id), {"number": slip.number}, slip.patient_id)
    return show_pdf(parent, data, title, slip_file_name(slip), printed, ctx.store.actor.can(Permission.PRINT),
                    saved["saved"])
