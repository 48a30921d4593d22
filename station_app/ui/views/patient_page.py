"""A patient's page: identity, insurance validity, visit history; "New visit" at hand."""

from __future__ import annotations

import contextlib

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from station_app import clock
from station_app.domain import code_lists
from station_app.domain.accounts import Permission
from station_app.domain.identifiers import SEX_CODES, ethnic_groups
from station_app.domain.patient import Patient
from station_app.errors import UserError
from station_app.i18n import N_, tr
from station_app.presentation import CHILD_MONTHS, months_between
from station_app.store import StoreError, audit, claims, patients, visits
from station_app.ui import dialogs
from station_app.ui.context import AppContext, Change
from station_app.ui.extensions import PatientPageParts, VisitAction
from station_app.ui.models import birth_text
from station_app.ui.qt_i18n import fmt_date, fmt_datetime
from station_app.ui.widgets import ERROR_COLOUR, OK_COLOUR, heading, shortcut

HISTORY_COLUMNS = (
    N_("Date"),
    N_("BP"),
    N_("Complaint"),
    N_("Diagnosis"),
    N_("Treatment"),
    N_("Clinician"),
    N_("Next follow-up"),
)



class PatientPage(QWidget):
    back = Signal()
    edit_requested = Signal(int)

    def __init__(self, ctx: AppContext, parts: PatientPageParts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.parts = parts
        self.patient: Patient | None = None

        self.back_button = QPushButton("← " + tr("Back to the list") + " (Esc)")
        self.back_button.clicked.connect(self.back.emit)
        self.title = heading("", 1.6)
        self.subtitle = QLabel()
        self.new_visit_button = QPushButton(tr("New visit") + " (Ctrl+N)")
        self.new_visit_button.setStyleSheet("font-weight: bold; padding: 6px 14px;")
        self.new_visit_button.clicked.connect(self._new_visit)
        self.edit_button = QPushButton(tr("Edit") + " (F2)")
        self.edit_button.clicked.connect(lambda: self.patient and self.edit_requested.emit(self.patient.id))

        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addStretch(1)
        top.addWidget(self.edit_button)
        top.addWidget(self.new_visit_button)

        self.identity = QGroupBox(tr("Identity"))
        self.identity_form = QFormLayout(self.identity)
        self.insurance = QGroupBox(tr("Health insurance"))
        self.insurance_form = QFormLayout(self.insurance)
        self.insurance_state = QLabel()
        self.earlier_cards: QLabel | None = None  # the cards kept from before the current one
        cards = QHBoxLayout()
        cards.addWidget(self.identity, 3)
        cards.addWidget(self.insurance, 2)

        self.history = QTableWidget(0, len(HISTORY_COLUMNS))
        self.history.setHorizontalHeaderLabels([tr(c) for c in HISTORY_COLUMNS])
        self.history.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.history.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.history.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.history.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.history.setWordWrap(False)
        self.tabs = QTabWidget()
        history_tab = QWidget()
        history_layout = QVBoxLayout(history_tab)
        history_layout.setContentsMargins(0, 0, 0, 0)
        self.no_visits = QLabel(tr("No visits recorded yet. Ctrl+N records the first."))
        self.no_visits.setContentsMargins(6, 6, 6, 6)
        self.no_visits.hide()
        history_layout.addWidget(self.no_visits)
        history_layout.addWidget(self.history, 1)
        self.visit_buttons: dict[str, QPushButton] = {}
        if parts.visit_actions:
            actions = QHBoxLayout()
            for action in parts.visit_actions:
                if action.permission is not None and not ctx.store.actor.can(action.permission):
                    continue
                button = QPushButton(tr(action.title))
                button.clicked.connect(lambda _checked=False, act=action: self._visit_action(act))
                self.visit_buttons[action.title] = button
                actions.addWidget(button)
            actions.addStretch(1)
            history_layout.addLayout(actions)
        self.tabs.addTab(history_tab, tr("Visits"))

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addLayout(cards)
        layout.addWidget(self.tabs, 1)

        shortcut("Ctrl+N", self, self._new_visit)
        shortcut("F2", self, self._edit)
        shortcut(Qt.Key.Key_Escape, self, self.back.emit)
        ctx.subscribe(self, {Change.VISITS, Change.PATIENTS}, self.reload)

    def show_patient(self, patient_id: int) -> None:
        self.patient = patients.get(self.ctx.store, patient_id)
        if self.patient is not None:
            # Opening a record is an access the audit log keeps (a full or locked disk must not hide
            # the record from the nurse).
            with contextlib.suppress(StoreError):
                audit.record(self.ctx.store, audit.VIEW_PATIENT, ("patient", patient_id))
        self.reload()

    def station_commune(self) -> str:
        return claims.station_info(self.ctx.store).commune_code

    def reload(self) -> None:
        if self.patient is None or self.patient.id is None:
            return
        p = patients.get(self.ctx.store, self.patient.id) or self.patient
        self.patient = p
        today = clock.today()
        self.title.setText(p.full_name + ("  †" if p.deceased else ""))
        age = p.age_on(today)
        bits = [p.record_no or "", tr(SEX_CODES.get(p.sex, "")), birth_text(p)]
        months = months_between(p.birth.earliest(), today) if p.birth is not None and p.birth.is_full else None
        if months is not None and 0 <= months < CHILD_MONTHS:
            bits.append(tr("{months} months old").format(months=months))  # a baby is "4 tháng tuổi", not "0 tuổi"
        elif age is not None:
            bits.append(tr("{age} years old").format(age=age))
        self.subtitle.setText("  ·  ".join(b for b in bits if b))

        _clear(self.identity_form)
        group = ethnic_groups().get(p.ethnicity)
        rows = [
            (tr("Citizen ID"), p.citizen_id),
            (tr("Phone"), p.phone),
            (tr("Village"), p.village),
            (tr("Address"), p.address),
            (tr("Commune of residence"), residence_text(p, self.station_commune())),
            (tr("Ethnic group"), group.name if group else p.ethnicity),
            (tr("Nationality"), nationality_text(p)),
            (tr("Occupation"), occupation_text(p)),
            (tr("Guardian"), " ".join(x for x in (p.guardian_name, p.guardian_phone) if x)),
            (tr("Notes"), p.notes),
        ]
        if p.deceased:
            rows.append((tr("Date of death"), fmt_date(p.deceased_date) or tr("Deceased")))
        for label, value in rows:
            if value:
                value_label = QLabel(value)
                value_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.identity_form.addRow(label + ":", value_label)

        _clear(self.insurance_form)
        if p.insurance_no:
            self.insurance_form.addRow(tr("Card no.") + ":", QLabel(p.insurance_no))
            if p.insurance_valid_to:
                self.insurance_form.addRow(tr("Valid to") + ":", QLabel(fmt_date(p.insurance_valid_to)))
            if p.insurance_facility:
                self.insurance_form.addRow(tr("Registered facility") + ":", QLabel(p.insurance_facility))
            state = QLabel()
            if p.insurance_expired(today):
                state.setText(tr("Expired"))
                state.setStyleSheet(f"color: {ERROR_COLOUR}; font-weight: bold;")
            elif p.insurance_valid_to:
                state.setText(tr("Valid"))
                state.setStyleSheet(f"color: {OK_COLOUR}; font-weight: bold;")
            else:
                state.setText(tr("Validity unknown"))
            self.insurance_state = state
            self.insurance_form.addRow(tr("Status") + ":", state)
        else:
            self.insurance_state = QLabel(tr("No insurance card recorded"))
            self.insurance_form.addRow(self.insurance_state)
        earlier = claims.earlier_cards(self.ctx.store, p.id)  # type: ignore[arg-type]
        self.earlier_cards = None
        if earlier:
            # (kept when a new card replaced them: the visits made on them are claimed on them)
            lines = [card_line(c) for c in earlier]
            self.earlier_cards = QLabel()
            metrics = self.earlier_cards.fontMetrics()
            if max(metrics.horizontalAdvance(line) for line in lines[:3]) > EARLIER_CARDS_WIDTH:
                # (a large text size: the dates under each number, never cut off)
                shown = [line.replace(" (", "\n    (", 1) for line in lines[:3]]
            else:
                shown = lines[:3]
            if len(lines) > 3:
                shown.append(tr("… and {count} more").format(count=len(lines) - 3))
            self.earlier_cards.setText("\n".join(shown))
            self.earlier_cards.setToolTip("\n".join(lines))
            self.earlier_cards.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.insurance_form.addRow(tr("Earlier cards") + ":", self.earlier_cards)
            if self.ctx.store.actor.can(Permission.AMEND_RECORDS):  # (a card that was never one: the head)
                set_aside = QPushButton(tr("Set aside an earlier card…"))
                set_aside.clicked.connect(lambda _checked=False, cards=earlier: self._set_aside(cards))
                self.insurance_form.addRow("", set_aside)

        history = visits.for_patient(self.ctx.store, p.id)  # type: ignore[arg-type]
        self.no_visits.setVisible(not history)
        self.history.setRowCount(len(history))
        for row, v in enumerate(history):
            cells = [
                fmt_datetime(v.visit_at),
                v.bp_text,
                v.complaint,
                v.diagnosis_display,
                v.treatment,
                v.clinician_name,
                fmt_date(v.follow_up_date),
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, v.id)
                self.history.setItem(row, col, item)
        for hook in self.parts.history_hooks:
            hook(self.ctx, self.history, history)
        self.tabs.setTabText(0, tr("Visits ({count})").format(count=len(history)))
        # The tabs after "Visits" (follow-ups, referrals…), rebuilt for this patient.
        while self.tabs.count() > 1:
            widget = self.tabs.widget(1)
            self.tabs.removeTab(1)
            if widget is not None:
                widget.deleteLater()
        for tab in self.parts.tabs:
            self.tabs.addTab(tab.make(self.ctx, p), tr(tab.title))

    def selected_visit_id(self) -> int | None:
        item = self.history.item(max(self.history.currentRow(), 0), 0)
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _visit_action(self, action: VisitAction) -> None:
        visit_id = self.selected_visit_id()
        if visit_id is not None:
            action.run(self.ctx, visit_id, self)

    def _set_aside(self, cards: list[claims.EarlierCard]) -> None:
        dialog = SetAsideCardDialog(cards, self)
        if not dialogs.run(dialog):
            return
        try:
            claims.set_aside_card(self.ctx.store, dialog.card_id(), dialog.reason.text())
        except UserError as exc:
            dialogs.error(self, tr("Set aside an earlier card"), exc.text())
            return
        self.ctx.notify({Change.PATIENTS}, None)

    def _edit(self) -> None:
        if self.patient and self.patient.id is not None:
            self.edit_requested.emit(self.patient.id)

    def _new_visit(self) -> None:
        if self.patient and self.patient.id is not None:
            self.ctx.new_visit.emit(self.patient.id)


EARLIER_CARDS_WIDTH = 300  # px an earlier card's line may take beside its label before it is split


def card_line(card: claims.EarlierCard) -> str:
    """An earlier card as the page and the set-aside dialog list it: its number and validity."""
    return f"{card.card_no} ({fmt_date(card.valid_from) or '?'} – {fmt_date(card.valid_to) or '?'})"


class SetAsideCardDialog(QDialog):
    """The head chooses a kept card that was never the person's (a renewal typed a year off, a card
    of someone else) and says why; no visit is claimed on it afterwards."""

    def __init__(self, cards: list[claims.EarlierCard], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Set aside an earlier card"))
        self.setMinimumWidth(460)
        self.cards = cards
        self.list = QListWidget()
        for c in cards:
            self.list.addItem(card_line(c))
        self.list.setCurrentRow(0)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(tr("Why (e.g. typed a year off)"))
        self.problem = QLabel()
        self.problem.setStyleSheet(f"color: {ERROR_COLOUR};")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(tr("Set aside"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        note = QLabel(tr("No visit is claimed on the card set aside. It stays in the file, with the reason."))
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addWidget(self.list)
        layout.addWidget(QLabel(tr("Reason") + ":"))
        layout.addWidget(self.reason)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.reason.setFocus()

    def card_id(self) -> int:
        return self.cards[max(self.list.currentRow(), 0)].id

    def accept(self) -> None:
        if not self.reason.text().strip():
            self.problem.setText(tr("Write why the card is set aside."))
            self.reason.setFocus()
            return
        super().accept()


def _clear(form: QFormLayout) -> None:
    while form.rowCount():
        form.removeRow(0)


def residence_text(p: Patient, station_commune: str) -> str:
    """The commune of residence as the claim will send it: the patient's, else the station's."""
    commune = code_lists.communes().get(p.commune_code or station_commune)
    if commune is None:
        return p.commune_code
    text = f"{commune.label} ({commune.code})"
    return text if p.commune_code else tr("{commune} — the station's").format(commune=text)


def nationality_text(p: Patient) -> str:
    nation = code_lists.nationalities().get(p.nationality_code)
    return f"{nation.name} ({nation.code})" if nation else p.nationality


def occupation_text(p: Patient) -> str:
    if p.occupation_code and p.occupation:
        return f"{p.occupation} ({p.occupation_code})"
    return p.occupation
