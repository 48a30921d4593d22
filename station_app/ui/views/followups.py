"""Nhắc hẹn: who is due or overdue, section by section, and what came of each call.

The sections and their counts come from ``store.followups`` (``work_rows`` and
``section_counts``), which both use ``domain.followup.classify``: the number beside a section
is the number of rows it holds. The nurse picks a row and records the call with one key:
1 = agreed to come, 2 = remind later, 3 = remove from the list (with a reason), 4 = could not be
reached (called again in a few days), Ctrl+Z takes back the last outcome recorded, Enter opens
the patient. An outcome applies to the item chosen; "all of the person's items" (Ctrl+A) records
it for every item of that person in the section shown (all of a child's due doses). The list as
shown (section and filters) prints as a call sheet or exports to CSV/XLSX.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QStandardPaths,
    Qt,
    QUrl,
)
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QStyle,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from station_app import clock, presentation
from station_app.domain.accounts import Permission
from station_app.domain.dates import DateFormatError
from station_app.domain.followup import (
    NO_ANSWER_DAYS,
    REMIND_LATER_DAYS,
    Outcome,
    OutcomeKind,
    RemovalReason,
    Section,
)
from station_app.i18n import N_, tr
from station_app.reports import worklist_export as export
from station_app.store import StoreError, followups
from station_app.store.followups import WorkRow
from station_app.store.station import villages
from station_app.ui import dialogs
from station_app.ui.context import AppContext, Change
from station_app.ui.qt_i18n import fmt_int
from station_app.ui.widgets import ERROR_COLOUR, DateEdit, heading, shortcut

# The sections a nurse works through, in this order (upcoming and done items are not listed).
SECTIONS = (
    Section.DUE,
    Section.OVERDUE,
    Section.AGREED,
    Section.LATER,
    Section.REMOVED,
    Section.LOST,
)
# Programme filter: (key given to work_rows, title). "other" = items of no programme.
PROGRAMMES = (
    ("", N_("All programmes")),
    ("vaccination", N_("Vaccination")),
    ("antenatal", N_("Antenatal care")),
    ("hypertension", N_("Hypertension")),
    ("diabetes", N_("Diabetes")),
    ("referral", N_("After referral")),
    ("other", N_("Other follow-up")),
)
RISK_COLOUR = QColor(ERROR_COLOUR)
ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
PATIENT_ROLE = Qt.ItemDataRole.UserRole + 2
Index = QModelIndex | QPersistentModelIndex


# -- the table ------------------------------------------------------------------------------------
class FollowUpModel(QAbstractTableModel):
    """The rows of one section as ``work_rows`` returns them (already sorted by risk, then days
    overdue). Rows are few (one station's list), so they are held whole."""

    RISK, NAME, AGE, VILLAGE, PHONE, DUE, SINCE, OUTCOME = range(8)
    columns = ("!", N_("Full name"), N_("Age"), N_("Village"), N_("Phone"), N_("What is due"),
               N_("Since"), N_("Last outcome"))
    PERSON = (RISK, NAME, AGE, VILLAGE, PHONE)  # written on a person's first row only

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[WorkRow] = []
        self._today = clock.today()

    def set_rows(self, rows: list[WorkRow], today: dt.date) -> None:
        """Show ``rows``, each person's items together (people in the order of their first
        item, so the list's order, risk then days overdue, holds for people)."""
        self.beginResetModel()
        self._rows = by_person(rows)
        self._today = today
        self.endResetModel()

    def rows(self) -> list[WorkRow]:
        return list(self._rows)

    def row_at(self, row: int) -> WorkRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def block(self, row: int) -> tuple[int, int]:
        """The first and last rows of the person at ``row``."""
        if self.row_at(row) is None:
            return row, row
        pid = self._rows[row].patient_id
        first = last = row
        while first > 0 and self._rows[first - 1].patient_id == pid:
            first -= 1
        while last + 1 < len(self._rows) and self._rows[last + 1].patient_id == pid:
            last += 1
        return first, last

    def continues(self, row: int) -> bool:
        """True when ``row`` is another item of the person on the row above."""
        return row > 0 and self._rows[row - 1].patient_id == self._rows[row].patient_id

    # -- Qt API ---------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return tr(self.columns[section]) if section else self.columns[section]
        if role == Qt.ItemDataRole.ToolTipRole and section == self.RISK:
            return tr("High risk")
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None or not 0 <= index.column() < len(self.columns):
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column in self.PERSON and self.continues(index.row()):
                return ""
            return self.cell(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(row, column)
        if role == Qt.ItemDataRole.FontRole and column in (self.RISK, self.NAME):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.RISK, self.AGE):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == ITEM_ROLE:
            return int(row.item.id)  # type: ignore[arg-type]
        if role == PATIENT_ROLE:
            return row.patient_id
        return None

    def cell(self, row: WorkRow, column: int) -> str:
        match column:
            case self.RISK:
                return "!" if row.high_risk else ""
            case self.NAME:
                return row.full_name
            case self.AGE:
                return presentation.age_text(row, self._today)
            case self.VILLAGE:
                return row.village
            case self.PHONE:
                return presentation.phone_text(row.phone)
            case self.DUE:
                return row.item.label
            case self.SINCE:
                return presentation.due_text(row, self._today)
            case self.OUTCOME:
                last = row.item.last_outcome
                return last.describe() if last else ""
        return ""

    def tooltip(self, row: WorkRow, column: int) -> str | None:
        if column == self.RISK and row.high_risk:
            return tr("High risk: call first")
        if column == self.OUTCOME and row.item.outcomes:
            return "\n".join(o.describe() for o in row.item.outcomes)
        if column == self.DUE:
            return f"{row.item.kind.title}: {row.item.label}"
        if column in self.PERSON:
            return row.full_name
        return None

    def foreground(self, row: WorkRow, column: int) -> QBrush | None:
        late = row.days_overdue > 0 and row.section in (Section.OVERDUE, Section.LOST)
        if column == self.RISK or (column == self.SINCE and late):
            return QBrush(RISK_COLOUR)
        return None


# -- the small dialogs of a call outcome ----------------------------------------------------------
class RemindLaterDialog(QDialog):
    """Remind in 30 days (Enter), or on a date the nurse types; an optional note."""

    def __init__(self, name: str, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.today = today
        self.setWindowTitle(tr("Remind later"))
        default = today + dt.timedelta(days=REMIND_LATER_DAYS)
        self.in_30 = QRadioButton(tr("In {days} days ({date})").format(
            days=REMIND_LATER_DAYS, date=presentation.display_date(default)))
        self.on_date = QRadioButton(tr("On this date:"))
        group = QButtonGroup(self)
        group.addButton(self.in_30)
        group.addButton(self.on_date)
        self.in_30.setChecked(True)
        self.date = DateEdit()
        self.date.textEdited.connect(lambda _text: self.on_date.setChecked(True))
        self.note = QLineEdit()
        self.note.setPlaceholderText(tr("Note (optional)"))
        self.problem = QLabel()
        self.problem.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.problem.hide()
        buttons = _buttons(self)

        date_row = QHBoxLayout()
        date_row.addWidget(self.on_date)
        date_row.addWidget(self.date, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("When should {name} be called again?").format(name=name)))
        layout.addWidget(self.in_30)
        layout.addLayout(date_row)
        layout.addWidget(self.note)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def until(self) -> dt.date | None:
        """The chosen date, or None for the default (30 days)."""
        if self.in_30.isChecked():
            return None
        return self.date.date()

    def accept(self) -> None:
        try:
            until = self.until()
            if self.on_date.isChecked() and until is None:
                raise DateFormatError("")
        except DateFormatError:
            self._refuse(tr("Write the date as dd/mm/yyyy."))
            return
        if until is not None and until <= self.today:
            self._refuse(tr("The date must be after today."))
            return
        super().accept()

    def _refuse(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()
        self.date.setFocus()

    def outcome(self) -> Outcome:
        return Outcome(OutcomeKind.REMIND_LATER, self.today, note=self.note.text().strip(),
                       until=self.until())


class RemoveDialog(QDialog):
    """Remove from the list, with one of the reasons (and a note, required for "other")."""

    def __init__(self, name: str, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.today = today
        self.setWindowTitle(tr("Remove from the list"))
        self.reasons = QListWidget()
        for reason in RemovalReason:
            item = QListWidgetItem(reason.title)
            item.setData(Qt.ItemDataRole.UserRole, reason.value)
            self.reasons.addItem(item)
        self.reasons.setCurrentRow(0)
        rows = self.reasons.count()
        self.reasons.setFixedHeight(self.reasons.sizeHintForRow(0) * rows + 8)
        self.note = QLineEdit()
        self.note.setPlaceholderText(tr("Note (required for another reason)"))
        self.problem = QLabel()
        self.problem.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.problem.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Why is {name} removed from the list?").format(name=name)))
        layout.addWidget(self.reasons)
        layout.addWidget(self.note)
        layout.addWidget(self.problem)
        layout.addWidget(_buttons(self))
        self.reasons.setFocus()

    def reason(self) -> RemovalReason:
        item = self.reasons.currentItem()
        return RemovalReason(item.data(Qt.ItemDataRole.UserRole)) if item else RemovalReason.OTHER

    def choose(self, reason: RemovalReason, note: str = "") -> None:
        self.reasons.setCurrentRow(list(RemovalReason).index(reason))
        self.note.setText(note)

    def accept(self) -> None:
        if self.reason() is RemovalReason.OTHER and not self.note.text().strip():
            self.problem.setText(tr("Write the reason in the note."))
            self.problem.show()
            self.note.setFocus()
            return
        super().accept()

    def outcome(self) -> Outcome:
        return Outcome(OutcomeKind.REMOVED, self.today, note=self.note.text().strip(),
                       reason=self.reason())


def by_person(rows: list[WorkRow]) -> list[WorkRow]:
    """``rows`` with each person's items brought together after the first one."""
    people: dict[int, list[WorkRow]] = {}
    for row in rows:
        people.setdefault(row.patient_id, []).append(row)
    return [row for items in people.values() for row in items]


def _buttons(dialog: QDialog) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                           | QDialogButtonBox.StandardButton.Cancel)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


# -- the view -------------------------------------------------------------------------------------
class FollowUpsView(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.today = clock.today()
        self.counts: dict[Section, int] = {}
        self._stale = True

        self.title = heading(tr("Follow-ups"))
        self.date_label = QLabel()
        self.programme = QComboBox()
        for key, title in PROGRAMMES:
            self.programme.addItem(tr(title), key)
        self.village = QComboBox()
        self.village.setMinimumContentsLength(12)
        self.print_button = QPushButton(tr("Print call sheet (PDF)"))
        self.print_button.clicked.connect(lambda: self.print_call_sheet())
        self.export_button = QPushButton(tr("Export CSV/XLSX"))
        self.export_button.clicked.connect(lambda: self.export_list())
        # A role that may not print or export does not see the buttons (the store refuses anyway).
        if not ctx.store.actor.can(Permission.PRINT):
            self.print_button.hide()
        if not ctx.store.actor.can(Permission.EXPORT):
            self.export_button.hide()
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.date_label)
        top.addStretch(1)
        top.addWidget(QLabel(tr("Programme")))
        top.addWidget(self.programme)
        top.addSpacing(8)
        top.addWidget(QLabel(tr("Village")))
        top.addWidget(self.village)

        # The sections as tabs, each with its count: the table keeps the window's whole width.
        self.sections = QTabBar()
        self.sections.setExpanding(False)
        self.sections.setUsesScrollButtons(True)
        self.sections.setDrawBase(False)
        for section in SECTIONS:
            self.sections.setTabData(self.sections.addTab(section.title), section.value)

        self.model = FollowUpModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        # Everything fits the width (no sideways scrolling): the person's columns take what they
        # need, what is due and the outcome share the rest (cut with "…", whole in the tooltip).
        # Columns of short, alike texts fit the first rows (about a screen: Qt would otherwise
        # ask a thousand rows for every cell, half a second); names and villages fit the longest
        # in the list. (Not 0, "the rows on screen": before the table is shown that means all.)
        header = self.table.horizontalHeader()
        header.setResizeContentsPrecision(60)
        m = FollowUpModel
        for column in range(m.RISK, m.OUTCOME + 1):
            mode = QHeaderView.ResizeMode.ResizeToContents
            if column in (m.DUE, m.OUTCOME):
                mode = QHeaderView.ResizeMode.Stretch
            elif column in (m.NAME, m.VILLAGE):
                mode = QHeaderView.ResizeMode.Fixed
            header.setSectionResizeMode(column, mode)
        self.table.activated.connect(lambda _index: self.open_patient())

        self.agreed_button = QPushButton(tr("Agreed to come") + " (1)")
        self.agreed_button.clicked.connect(lambda: self.mark_agreed())
        self.later_button = QPushButton(tr("Remind later…") + " (2)")
        self.later_button.clicked.connect(lambda: self.remind_later())
        self.remove_button = QPushButton(tr("Remove from the list…") + " (3)")
        self.remove_button.clicked.connect(lambda: self.remove())
        self.no_answer_button = QPushButton(tr("Could not be reached") + " (4)")
        self.no_answer_button.clicked.connect(lambda: self.no_answer())
        self.no_answer_button.setToolTip(tr("Back on the list to call again in {days} days.").format(
            days=NO_ANSWER_DAYS))
        self.open_button = QPushButton(tr("Open the patient") + " (Enter)")
        self.open_button.clicked.connect(lambda: self.open_patient())
        self.whole_person = QCheckBox(tr("All of the person's items") + " (Ctrl+A)")
        self.whole_person.setToolTip(tr("Record the outcome for every item of this person in the list "
                                        "(all of a child's due doses), not only the item chosen."))
        self.whole_person.toggled.connect(lambda _on: self._current_changed())
        self.undo_button = QPushButton(tr("Undo the last outcome") + " (Ctrl+Z)")
        self.undo_button.clicked.connect(lambda: self.undo())
        self.undo_button.setEnabled(False)
        self._last_recorded: list[int] = []  # the outcomes the last action recorded (to undo)
        self.status = QLabel()
        self.status.setWordWrap(True)
        # Three short rows rather than two long ones: at the largest text size every button still
        # fits a 1366 px screen beside the navigation.
        actions = QHBoxLayout()
        actions.addWidget(QLabel(tr("After the call:")))
        for button in self.outcome_buttons():
            actions.addWidget(button)
        actions.addStretch(1)
        person = QHBoxLayout()
        person.addWidget(self.whole_person)
        person.addWidget(self.undo_button)
        person.addStretch(1)
        person.addWidget(self.open_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.print_button)
        bottom.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.sections)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addLayout(person)
        layout.addLayout(bottom)

        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        keys: tuple[tuple[str, Callable[[], object]], ...] = (
            ("1", self.mark_agreed), ("2", self.remind_later), ("3", self.remove), ("4", self.no_answer),
            ("Ctrl+Z", self.undo), ("Ctrl+A", self.whole_person.toggle))
        for key, action in keys:
            shortcut(key, self, action, context)

        self._fill_villages()
        self.sections.setCurrentIndex(SECTIONS.index(Section.OVERDUE))
        self.sections.currentChanged.connect(lambda _index: self.reload(keep_row=False))
        self.programme.currentIndexChanged.connect(lambda _i: self.reload(keep_row=False))
        self.village.currentIndexChanged.connect(lambda _i: self.reload(keep_row=False))
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._current_changed())
        self.table.installEventFilter(self)
        ctx.subscribe(self, {Change.FOLLOWUPS, Change.VISITS, Change.PATIENTS}, self._changed)
        self.reload()

    # -- what is shown ----------------------------------------------------------------------------
    def activate(self) -> None:
        if self._stale:
            self._fill_villages()
            self.reload()
        self.table.setFocus()

    def _changed(self) -> None:
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    def _fill_villages(self) -> None:
        current = self.village.currentData()
        self.village.blockSignals(True)
        self.village.clear()
        self.village.addItem(tr("All villages"), "")
        for name in villages(self.ctx.store):
            self.village.addItem(name, name)
        self.village.setCurrentIndex(max(self.village.findData(current), 0))
        self.village.blockSignals(False)

    def section(self) -> Section:
        index = self.sections.currentIndex()
        return SECTIONS[index] if 0 <= index < len(SECTIONS) else Section.OVERDUE

    def show_section(self, section: Section) -> None:
        self.sections.setCurrentIndex(SECTIONS.index(section))

    def filters_text(self) -> str:
        """What narrows the list, for the call sheet ("Village: Thôn Đông")."""
        bits = []
        if self.programme.currentData():
            bits.append(tr("Programme: {name}").format(name=self.programme.currentText()))
        if self.village.currentData():
            bits.append(tr("Village: {name}").format(name=self.village.currentText()))
        return " · ".join(bits)

    def load_rows(self, today: dt.date) -> list[WorkRow]:
        """The rows of the chosen section with the filters applied, in work-list order."""
        programme = self.programme.currentData() or ""
        rows = followups.work_rows(
            self.ctx.store, today, self.section(),
            "" if programme == "other" else programme, self.village.currentData() or "",
        )
        if programme == "other":
            rows = [r for r in rows if not r.programme]
        return rows

    def reload(self, keep_row: bool = True) -> None:
        self._stale = False
        self.today = clock.today()
        self.date_label.setText(presentation.display_date(self.today))
        row = self.table.currentIndex().row() if keep_row else 0
        with followups.cycle_collection_paused():  # (the counts and the rows: one pause, see there)
            self.counts = followups.section_counts(self.ctx.store, self.today)
            rows = self.load_rows(self.today)
        for index, section in enumerate(SECTIONS):
            count = fmt_int(self.counts.get(section, 0))
            self.sections.setTabText(index, f"{section.title} ({count})")
        self.model.set_rows(rows, self.today)
        self._fit_people_columns(rows)
        if rows:
            self.table.setCurrentIndex(self.model.index(min(max(row, 0), len(rows) - 1), 1))
        total = self.counts.get(self.section(), 0)
        if len(rows) == total:
            shown = tr("{count} items").format(count=fmt_int(total))
        else:
            shown = tr("{shown} of {count} items (filtered)").format(
                shown=fmt_int(len(rows)), count=fmt_int(total))
        self.print_button.setEnabled(bool(rows))
        self.export_button.setEnabled(bool(rows))
        self._shown_text = shown
        self.status.setText(shown)
        self._update_buttons()

    def _fit_people_columns(self, rows: list[WorkRow]) -> None:
        """Widen the name and village columns to the longest of the list (measured among the
        texts with the most letters), within a third of the table each."""
        header = self.table.horizontalHeader()
        limit = max(self.table.viewport().width() // 3, 120)
        padding = 2 * self.table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 12
        bold = QFont(self.table.font())
        bold.setBold(True)
        m = FollowUpModel
        for column, texts, font in ((m.NAME, {r.full_name for r in rows}, bold),
                                    (m.VILLAGE, {r.village for r in rows}, self.table.font())):
            metrics = QFontMetrics(font)
            longest = heapq.nlargest(20, texts, key=len)
            wanted = max((metrics.horizontalAdvance(text) for text in longest), default=0) + padding
            header.resizeSection(column, min(max(wanted, header.sectionSizeHint(column)), limit))

    def current_row(self) -> WorkRow | None:
        return self.model.row_at(self.table.currentIndex().row())

    def select_patient(self, patient_id: int) -> bool:
        """Select the first row of ``patient_id`` in the list shown; False when absent."""
        for index, row in enumerate(self.model.rows()):
            if row.patient_id == patient_id:
                self.table.setCurrentIndex(self.model.index(index, 1))
                return True
        return False

    def outcome_buttons(self) -> tuple[QPushButton, ...]:
        return (self.agreed_button, self.later_button, self.remove_button, self.no_answer_button)

    def _current_changed(self) -> None:
        """Select the item chosen, or the whole person when the outcome is for all of the
        person's items."""
        row = self.table.currentIndex().row()
        if row >= 0:
            first, last = self.model.block(row) if self.whole_person.isChecked() else (row, row)
            whole = QItemSelection(self.model.index(first, 0),
                                   self.model.index(last, self.model.columnCount() - 1))
            flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect
                     | QItemSelectionModel.SelectionFlag.Rows)
            self.table.selectionModel().select(whole, flags)
        self._update_buttons()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt's name
        """Up and Down move from person to person when the outcome is for the whole person."""
        if watched is self.table and event.type() == QEvent.Type.KeyPress and self.whole_person.isChecked():
            key = event.key()  # type: ignore[attr-defined]
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and not event.modifiers():  # type: ignore[attr-defined]
                row = self.table.currentIndex().row()
                first, last = self.model.block(max(row, 0))
                if key == Qt.Key.Key_Down:
                    target = last + 1 if row >= 0 else 0
                else:
                    target = self.model.block(first - 1)[0] if first > 0 else first
                if 0 <= target < self.model.rowCount():
                    self.table.setCurrentIndex(self.model.index(target, 1))
                return True
        return super().eventFilter(watched, event)

    def _update_buttons(self) -> None:
        row = self.current_row()
        can_record = (row is not None and row.section is not Section.REMOVED
                      and self.ctx.store.actor.can(Permission.RECORD_VISITS))
        for button in self.outcome_buttons():
            button.setEnabled(can_record)
        self.open_button.setEnabled(row is not None)

    # -- recording a call -------------------------------------------------------------------------
    def _person_rows(self, row: WorkRow) -> list[WorkRow]:
        """The items an outcome is recorded for: the item chosen, or all of the selected
        person's items in the list shown when "all of the person's items" is ticked."""
        if not self.whole_person.isChecked():
            return [row]
        return [r for r in self.model.rows()
                if r.patient_id == row.patient_id and r.section is row.section]

    def record(self, outcome: Outcome) -> bool:
        """Save ``outcome`` for the item chosen (or the person's items); the rows move section."""
        row = self.current_row()
        if row is None or row.section is Section.REMOVED:
            return False
        items = self._person_rows(row)
        recorded: list[int] = []
        try:
            for item in items:
                recorded.append(followups.record_outcome(self.ctx.store, int(item.item.id), outcome))  # type: ignore[arg-type]
                if outcome.records_death:
                    break  # the death closed the person's other items
        except StoreError as exc:
            dialogs.error(self, tr("Not saved"), exc.text())
            return False
        finally:
            if recorded:
                self._last_recorded = recorded
                self.undo_button.setEnabled(not outcome.records_death)
        self.reload()
        self.select_patient(row.patient_id)  # the person's other items, when some are left here
        done = tr("Recorded for {name}: {outcome}").format(
            name=row.full_name, outcome=presentation.outcome_summary(outcome))
        self.status.setText(self._shown_text + "  ·  " + done)
        self.ctx.notify({Change.FOLLOWUPS, Change.PATIENTS} if outcome.records_death else {Change.FOLLOWUPS}, self)
        return True

    def mark_agreed(self) -> bool:
        if not self._can_record():
            return False
        return self.record(Outcome(OutcomeKind.AGREED, clock.today()))

    def no_answer(self) -> bool:
        """The call was not answered: the item comes back to be called again in a few days."""
        if not self._can_record():
            return False
        return self.record(Outcome(OutcomeKind.NO_ANSWER, clock.today()))

    def undo(self) -> bool:
        """Take back the outcome recorded last in this view (for each item it was recorded for)."""
        if not self._last_recorded:
            return False
        try:
            followups.undo_outcomes(self.ctx.store, self._last_recorded)
        except StoreError as exc:
            dialogs.error(self, tr("Not undone"), exc.text())
            return False
        finally:
            self._last_recorded = []
            self.undo_button.setEnabled(False)
        self.reload()
        self.status.setText(self._shown_text + "  ·  " + tr("The last outcome was undone."))
        self.ctx.notify({Change.FOLLOWUPS}, self)  # (this view is up to date)
        return True

    def remind_later(self) -> bool:
        row = self.current_row()
        if not self._can_record() or row is None:
            return False
        dialog = RemindLaterDialog(row.full_name, clock.today(), self)
        if not dialogs.run(dialog):
            return False
        return self.record(dialog.outcome())

    def remove(self) -> bool:
        row = self.current_row()
        if not self._can_record() or row is None:
            return False
        dialog = RemoveDialog(row.full_name, clock.today(), self)
        if not dialogs.run(dialog):
            return False
        outcome = dialog.outcome()
        if outcome.records_death and not dialogs.ask(
            self, tr("Record a death"),
            tr("Record that {name} has died? The patient will be marked as deceased everywhere "
               "and removed from every follow-up list.").format(name=row.full_name),
        ):
            return False
        return self.record(outcome)

    def _can_record(self) -> bool:
        row = self.current_row()
        return row is not None and row.section is not Section.REMOVED

    def open_patient(self) -> None:
        row = self.current_row()
        if row is not None:
            self.ctx.open_patient.emit(row.patient_id)

    # -- printing and exporting -------------------------------------------------------------------
    def _default_name(self, suffix: str) -> str:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        name = f"nhac-hen-{self.section().value}-{self.today:%Y-%m-%d}.{suffix}"
        return str(Path(folder) / name) if folder else name

    def _ask_path(self, title: str, suffix: str, filters: str) -> str:
        path, _chosen = QFileDialog.getSaveFileName(
            self, title, self._default_name(suffix), filters,
            options=QFileDialog.Option.DontUseNativeDialog,
        )
        return path

    def print_call_sheet(self, path: str | Path | None = None) -> Path | None:
        """Write the call sheet of the rows shown (asks where when ``path`` is None)."""
        if path is None:
            path = self._ask_path(tr("Print call sheet (PDF)"), "pdf", tr("PDF files (*.pdf)"))
            if not path:
                return None
            opening = True
        else:
            opening = False
        from station_app.printing.call_sheet import render_call_sheet  # reportlab: loaded when first printing

        rows = self.model.rows()
        try:
            written = render_call_sheet(
                self.ctx.store, rows, path, station=self.ctx.profile.name, today=self.today,
                list_name=self.section().title, filters=self.filters_text(),
            )
        except OSError as exc:
            dialogs.error(self, tr("Not saved"), tr("The file could not be written: {error}")
                          .format(error=exc.strerror or str(exc)))
            return None
        if opening and not QDesktopServices.openUrl(QUrl.fromLocalFile(str(written))):
            dialogs.info(self, tr("Call sheet saved"),
                         tr("The call sheet was saved to {path}.").format(path=written))
        return written

    def export_list(self, path: str | Path | None = None) -> Path | None:
        """Export the rows shown as XLSX or CSV, by the suffix (asks when ``path`` is None)."""
        if path is None:
            path = self._ask_path(tr("Export CSV/XLSX"), "xlsx",
                                  tr("Excel workbook (*.xlsx);;CSV file (*.csv)"))
            if not path:
                return None
            asked = True
        else:
            asked = False
        target = Path(path)
        if target.suffix.lower() not in (".csv", ".xlsx"):
            target = target.with_suffix(".xlsx")
        rows = self.model.rows()
        try:
            if target.suffix.lower() == ".csv":
                written = export.write_csv(self.ctx.store, rows, target, self.today)
            else:
                written = export.write_xlsx(self.ctx.store, rows, target, self.today, title=self.section().title)
        except OSError as exc:
            dialogs.error(self, tr("Not saved"), tr("The file could not be written: {error}")
                          .format(error=exc.strerror or str(exc)))
            return None
        if asked:
            dialogs.info(self, tr("Exported"),
                         tr("The list was saved to {path}.").format(path=written))
        return written
