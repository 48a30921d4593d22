"""The prescription part of the visit form: a drug picker showing the stock on hand, lines of dose,
times a day, days, quantity (computed, can be changed) and instructions, the warnings as they
arise, and "Như lần trước" (F4): the patient's last prescription of the programme in one key.

Keyboard: type a drug's name (accents optional), Enter adds it; Tab walks the line's cells;
Delete removes the selected line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from station_app.domain.medicines import (
    Drug,
    PrescriptionLine,
    quantity_for,
    quantity_text,
    rules,
    search,
    validate_lines,
)
from station_app.domain.problems import Problem
from station_app.i18n import N_, tr
from station_app.store import Store, formulary, prescriptions, stock, visits
from station_app.store.followups import chronic_programme
from station_app.ui.widgets import ProblemLabel, shortcut

SAME_AS_LAST_KEY = "F4"
COLUMNS = ("drug", "stock", "per_dose", "times", "days", "quantity", "instructions")
EDITABLE = {"per_dose", "times", "days", "quantity", "instructions"}


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


def _float(text: str) -> float | None:
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return None


class DrugPicker(QLineEdit):
    """Type "amlo", "paracetamol 500", "kem" — choose from the formulary, each with its stock."""

    chosen = Signal(object)  # Drug

    def __init__(
        self, drugs: list[Drug], on_hand: Callable[[], dict[str, float]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.drugs = drugs
        self._read_stock = on_hand
        self.on_hand: dict[str, float] = {}
        self._choices: dict[str, Drug] = {}
        self._model = QStringListModel(self)
        self._completer = QCompleter(self._model, self)
        self._completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self._completer.setMaxVisibleItems(12)
        self._completer.activated.connect(self._activated)
        self.setCompleter(self._completer)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(80)
        self._timer.timeout.connect(self.lookup)
        self.textEdited.connect(lambda _t: self._timer.start())
        self.returnPressed.connect(self._enter)

    def label(self, drug: Drug) -> str:
        balance = self.on_hand.get(drug.code, 0.0)
        return tr("{drug} — {form} · in stock {stock} {unit}").format(
            drug=drug.name, form=drug.form, stock=quantity_text(balance), unit=drug.unit
        )

    def lookup(self) -> list[Drug]:
        self.on_hand = self._read_stock()  # (read as the drug is picked: another desk may have given some)
        found = search(self.drugs, self.text())[:20] if self.text().strip() else []
        self._choices = {self.label(d): d for d in found}
        self._model.setStringList(list(self._choices))
        if found and self.hasFocus():
            self._completer.complete()
        return found

    def _activated(self, text: str) -> None:
        drug = self._choices.get(text)
        if drug:
            QTimer.singleShot(0, lambda: self._choose(drug))

    def _enter(self) -> None:
        popup = self._completer.popup()
        if popup is not None and popup.isVisible() and popup.currentIndex().isValid():
            return  # (the popup's own Enter chooses the highlighted drug)
        found = self.lookup()
        if found:
            self._choose(found[0])

    def _choose(self, drug: Drug) -> None:
        self.clear()
        popup = self._completer.popup()
        if popup is not None:
            popup.hide()
        self.chosen.emit(drug)


class LinesTable(QTableWidget):
    """The lines; Delete removes the current one."""

    remove_requested = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        editing = self.state() == QAbstractItemView.State.EditingState
        if event.key() == Qt.Key.Key_Delete and not editing and self.currentRow() >= 0:
            self.remove_requested.emit(self.currentRow())
            return
        super().keyPressEvent(event)


class PrescriptionEditor(QGroupBox):
    """``lines()`` gives the prescription; ``problems()`` its errors and warnings."""

    changed = Signal()
    copied = Signal(str)  # "same as last time" copied a prescription made with this diagnosis

    def __init__(
        self,
        store: Store,
        patient_id: int,
        on: dt.date,
        diagnosis_code: Callable[[], str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(tr("Prescription"), parent)
        self.store = store
        self.patient_id = patient_id
        self.on = on
        self.diagnosis_code = diagnosis_code
        self.drugs = formulary.by_code(store)
        self.on_hand = stock.on_hand(store, on)
        self._lines: list[PrescriptionLine] = []
        self._typed_quantity: list[bool] = []
        self._filling = False
        self.copied_from: int | None = None  # the visit "same as last time" copied
        self.copied_diagnosis = ""

        self.picker = DrugPicker([d for d in self.drugs.values() if d.active], self.refresh_stock)
        self.picker.setPlaceholderText(tr('Add a drug: type its name ("amlo", "paracetamol 500")'))
        self.picker.chosen.connect(self.add_drug)
        self.same_button = QPushButton(tr("Same as last time") + f" ({SAME_AS_LAST_KEY})")
        self.same_button.setAutoDefault(False)
        self.same_button.clicked.connect(self.same_as_last_time)
        top = QHBoxLayout()
        top.addWidget(self.picker, 1)
        top.addWidget(self.same_button)

        self.table = LinesTable(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(
            [
                tr("Drug"),
                tr("In stock"),
                tr("Dose per time"),
                tr("Times a day"),
                tr("Days"),
                tr("Quantity"),
                tr("Instructions"),
            ]
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        for col in range(1, 6):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.setTabKeyNavigation(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.table.setFixedHeight(self.table.fontMetrics().lineSpacing() * 8)
        self.table.itemChanged.connect(self._cell_changed)
        self.table.remove_requested.connect(self.remove_line)
        self.table.setAccessibleName(tr("Prescription lines"))

        self.problem_label = ProblemLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        layout.addWidget(self.problem_label)
        self.hint = QLabel(tr("Enter adds the drug · Tab moves along the line · Delete removes a line"))
        self.hint.setObjectName("hint")
        layout.addWidget(self.hint)

    def refresh_stock(self) -> dict[str, float]:
        self.on_hand = stock.on_hand(self.store, self.on)
        return self.on_hand

    def install_shortcut(self, window: QWidget) -> None:
        shortcut(SAME_AS_LAST_KEY, window, self.same_as_last_time)

    def focus_order(self) -> list[QWidget]:
        return [self.picker, self.same_button, self.table]

    # -- lines ------------------------------------------------------------------------------------
    def _defaults(self, drug: Drug) -> PrescriptionLine:
        chronic = bool(drug.programme)
        days = 30 if chronic else 5
        times = 1 if chronic else 2
        per_dose = f"1 {drug.unit}"
        return PrescriptionLine(drug.code, quantity_for(per_dose, times, days) or 0, per_dose, times, days)

    def add_drug(self, drug: Drug) -> None:
        self._append(self._defaults(drug), typed=False)
        self.table.setCurrentCell(len(self._lines) - 1, COLUMNS.index("per_dose"))
        self._changed()

    def set_lines(self, lines: list[PrescriptionLine]) -> None:
        self._lines = []
        self._typed_quantity = []
        self.table.setRowCount(0)
        for line in lines:
            self._append(line, typed=True)
        self._changed()

    def _append(self, line: PrescriptionLine, *, typed: bool) -> None:
        drug = self.drugs.get(line.drug_code)
        row = len(self._lines)
        self._lines.append(
            PrescriptionLine(
                line.drug_code, line.quantity, line.per_dose, line.times_per_day, line.days, line.instructions
            )
        )
        computed = quantity_for(line.per_dose, line.times_per_day, line.days)
        self._typed_quantity.append(typed and computed is not None and computed != line.quantity)
        self._filling = True
        self.table.insertRow(row)
        values = {
            "drug": drug.name if drug else line.drug_code,
            "stock": f"{quantity_text(self.on_hand.get(line.drug_code, 0.0))} {drug.unit if drug else ''}".strip(),
            "per_dose": line.per_dose,
            "times": str(line.times_per_day or ""),
            "days": str(line.days or ""),
            "quantity": quantity_text(line.quantity) if line.quantity else "",
            "instructions": line.instructions,
        }
        for col, name in enumerate(COLUMNS):
            item = QTableWidgetItem(values[name])
            if name not in EDITABLE:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            if name in ("stock", "times", "days", "quantity"):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, col, item)
        self._filling = False

    def remove_line(self, row: int) -> None:
        if 0 <= row < len(self._lines):
            del self._lines[row]
            del self._typed_quantity[row]
            self.table.removeRow(row)
            self._changed()

    def _cell_changed(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        row, name = item.row(), COLUMNS[item.column()]
        line = self._lines[row]
        text = item.text()
        if name == "per_dose":
            line.per_dose = text.strip()
        elif name == "times":
            line.times_per_day = _int(text)
        elif name == "days":
            line.days = _int(text)
        elif name == "instructions":
            line.instructions = text.strip()
        elif name == "quantity":
            line.quantity = _float(text) or 0.0
            self._typed_quantity[row] = True
        if name in ("per_dose", "times", "days") and not self._typed_quantity[row]:
            computed = quantity_for(line.per_dose, line.times_per_day, line.days)
            if computed is not None:
                line.quantity = computed
                self._filling = True
                cell = self.table.item(row, COLUMNS.index("quantity"))
                if cell is not None:
                    cell.setText(quantity_text(computed))
                self._filling = False
        self._changed()

    def _changed(self) -> None:
        self.problem_label.show_problems(self.problems())
        self.changed.emit()

    # -- reading ----------------------------------------------------------------------------------
    def lines(self) -> list[PrescriptionLine]:
        return [
            PrescriptionLine(x.drug_code, x.quantity, x.per_dose, x.times_per_day, x.days, x.instructions)
            for x in self._lines
        ]

    def form_value(self) -> tuple[PrescriptionLine, ...]:
        """The lines, for the form's "discard what you typed?" check."""
        return tuple(self.lines())

    def problems(self) -> list[Problem]:
        if not self._lines:
            return []
        code = self.diagnosis_code() or self.copied_diagnosis
        return validate_lines(self._lines, self.drugs, self.on_hand, rules().max_days_for([code]))

    # -- same as last time ---------------------------------------------------------------------------
    def programme(self) -> str | None:
        code = self.diagnosis_code()
        found = chronic_programme(code) if code else None
        if found:
            return found
        enrolled = prescriptions.last_visit_of_patient_programmes(self.store, self.patient_id)
        return enrolled[0] if enrolled else None

    def same_as_last_time(self) -> bool:
        """Copy the patient's last prescription of the programme (the diagnosis's, else the one the
        patient is enrolled in). False, with a message under the lines, when there is none."""
        programme = self.programme()
        found = None
        for name in ([programme] if programme else []) + ["hypertension", "diabetes"]:
            found = prescriptions.last_for_programme(self.store, self.patient_id, name)
            if found:
                break
        if not found:
            self.problem_label.show_problems(
                [Problem("", N_("No earlier prescription of a programme to copy."), "warning")]
            )
            return False
        visit_id, lines = found
        self.copied_from = visit_id
        earlier = visits.get(self.store, visit_id)
        self.copied_diagnosis = earlier.diagnosis_code if earlier else ""
        self.set_lines(lines)
        self.copied.emit(self.copied_diagnosis)
        return True
