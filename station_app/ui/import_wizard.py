"""The import wizard: a station's Excel or CSV list into the registry (or its chronic-disease
register onto the follow-up list, or its vaccination register and visit history into the
patients' records), step by step.

File → sheet → first rows (the header row) → columns mapped to fields (suggested, remembered) →
day order of text dates → preview with every invalid cell highlighted and explained →
duplicates with a choice per row → the import, off the GUI thread with a progress bar, in one
transaction → the result, with the rejected rows report to save. The checking and saving are
``domain.table_import`` and ``store.bulk_import`` (``domain.history_import`` and
``store.history_import`` for vaccinations and visits: no duplicates step, each row's patient must
be registered, all or nothing); nothing here runs SQL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from station_app import clock
from station_app.domain import history_import as hi
from station_app.domain import table_import as ti
from station_app.domain.patient_import import ImportFormatError
from station_app.domain.problems import Problem
from station_app.domain.spreadsheet import HEADER_SCAN_ROWS, Book, cell_text, open_book
from station_app.i18n import N_, tr
from station_app.reports.exports import write_rejected
from station_app.store import history_import as history_store
from station_app.store import open_store
from station_app.store.bulk_import import (
    Choice,
    Decision,
    ImportRefused,
    Match,
    Outcome,
    Rejected,
    apply,
    check_decisions,
    default_decisions,
    find_matches,
    rejected_rows,
)
from station_app.ui import background, dialogs
from station_app.ui.context import AppContext, Change
from station_app.ui.qt_i18n import fmt_int

FIRST_ROWS = HEADER_SCAN_ROWS  # the header is looked for among these rows, and may be chosen among them
SHOWN_DUPLICATES = 500  # rows with their own choice; the rest follow the "every row" choice
ERROR_FILL = QColor("#f8d7d5")
WARNING_FILL = QColor("#fff3cd")

# In tests: functions answering the file dialogs instead of showing them.
ask_open_path: Callable[[QWidget], str] | None = None
ask_save_path: Callable[[QWidget, str], str] | None = None

WHAT_TITLES = {
    "patients": N_("Patient list"),
    "chronic": N_("Chronic-disease register (hypertension, diabetes)"),
    "vaccinations": N_("Vaccination register (doses given here or elsewhere)"),
    "visits": N_("Visit history (the visit book)"),
}


def open_path(parent: QWidget) -> str:
    if ask_open_path is not None:
        return ask_open_path(parent)
    path, _ = QFileDialog.getOpenFileName(
        parent, tr("Choose the list to import"), "", tr("Spreadsheets (*.xlsx *.csv);;All files (*)")
    )
    return path


def save_path(parent: QWidget, suggested: str) -> str:
    if ask_save_path is not None:
        return ask_save_path(parent, suggested)
    path, _ = QFileDialog.getSaveFileName(
        parent, tr("Save the rejected rows report"), suggested, tr("Excel workbook (*.xlsx);;CSV (*.csv)")
    )
    return path


class _Bridge(QObject):
    """Carries the worker's progress to the GUI thread (a queued signal)."""

    moved = Signal(int, int)


# -- 1. the file -------------------------------------------------------------------------------------
class FilePage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(tr("Choose the file"))
        self.setSubTitle(tr("An Excel workbook (.xlsx) or a CSV file (UTF-8 or Windows Vietnamese)."))
        self.path = QLineEdit()
        self.path.setPlaceholderText(tr("Path of the .xlsx or .csv file"))
        browse = QPushButton(tr("Choose the file…"))
        browse.clicked.connect(self._browse)
        self.what = QComboBox()
        for key in ti.WHATS:
            self.what.addItem(tr(WHAT_TITLES[key]), key)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b3261e;")
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow(tr("File") + ":", row)
        form.addRow(tr("What the file holds") + ":", self.what)
        form.addRow(self.problem)
        self.path.textChanged.connect(self.completeChanged)

    def _browse(self) -> None:
        chosen = open_path(self)
        if chosen:
            self.path.setText(chosen)

    def isComplete(self) -> bool:
        return bool(self.path.text().strip())

    def validatePage(self) -> bool:
        path = Path(self.path.text().strip())
        if not path.is_file():
            self.problem.setText(tr("There is no file {path}.").format(path=path))
            return False
        try:
            book = open_book(path)
        except ImportFormatError as exc:
            self.problem.setText(tr(exc.message).format(**exc.params))
            return False
        except OSError as exc:
            self.problem.setText(tr("Cannot read {path}: {reason}").format(path=path, reason=exc.strerror or exc))
            return False
        self.problem.clear()
        self.w.book = book
        self.w.what = str(self.what.currentData())
        return True


# -- 2. the sheet ------------------------------------------------------------------------------------
class SheetPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(tr("Choose the sheet"))
        self.sheets = QListWidget()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("The workbook has several sheets: which one holds the list?")))
        layout.addWidget(self.sheets)

    def initializePage(self) -> None:
        self.sheets.clear()
        assert self.w.book is not None
        for sheet in self.w.book.sheets:
            self.sheets.addItem(sheet.name)
        self.sheets.setCurrentRow(0)

    def validatePage(self) -> bool:
        self.w.sheet = max(self.sheets.currentRow(), 0)
        return True


# -- 3. the first rows -------------------------------------------------------------------------------
class RowsPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(tr("The first rows"))
        self.setSubTitle(tr("Check that this is the right list and which row names the columns."))
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.header_row = QSpinBox()
        self.header_row.setRange(1, FIRST_ROWS)
        self.header_row.valueChanged.connect(self._mark_header)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b3261e;")
        row = QHBoxLayout()
        row.addWidget(QLabel(tr("The column names are on row")))
        row.addWidget(self.header_row)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.problem)
        self._rows: list[list[object]] = []

    def initializePage(self) -> None:
        assert self.w.book is not None
        try:
            self._rows = list(self.w.book.rows(self.w.sheet, limit=FIRST_ROWS))
        except ImportFormatError as exc:
            self.problem.setText(tr(exc.message).format(**exc.params))
            self._rows = []
        width = max((len(r) for r in self._rows), default=0)
        self.table.setRowCount(len(self._rows))
        self.table.setColumnCount(width)
        for r, cells in enumerate(self._rows):
            for c, value in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(cell_text(value)))
        try:
            found = ti.find_header_row(self._rows, self.w.what) + 1 if self._rows else 1
        except ImportFormatError:
            found = 1
        self.header_row.setMaximum(max(len(self._rows), 1))
        self.header_row.setValue(found)
        self._mark_header()

    def _mark_header(self) -> None:
        chosen = self.header_row.value() - 1
        for r in range(self.table.rowCount()):
            for c in range(self.table.columnCount()):
                item = self.table.item(r, c)
                if item is not None:
                    font = item.font()
                    font.setBold(r == chosen)
                    item.setFont(font)
        self.table.selectRow(chosen)

    def validatePage(self) -> bool:
        assert self.w.book is not None
        try:
            self.w.table = ti.read_table(self.w.book, self.w.sheet, self.w.what, self.header_row.value())
        except ImportFormatError as exc:
            self.problem.setText(tr(exc.message).format(**exc.params))
            return False
        return True


# -- 4. the columns ----------------------------------------------------------------------------------
class MappingPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(tr("Columns and fields"))
        self.setSubTitle(tr("Each column of the file goes into a field of Trạm, or is left out."))
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([tr("Column of the file"), tr("First value"), tr("Goes into")])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b3261e;")
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.problem)
        self.combos: list[QComboBox] = []

    def initializePage(self) -> None:
        table = self.w.table
        assert table is not None
        suggested = ti.suggest_mapping(table.headers, self.w.what)
        first = table.rows[0][1] if table.rows else []
        self.table.setRowCount(len(table.headers))
        self.combos = []
        for column, header in enumerate(table.headers):
            self.table.setItem(column, 0, QTableWidgetItem(header))
            sample = cell_text(first[column]) if column < len(first) else ""
            self.table.setItem(column, 1, QTableWidgetItem(sample))
            combo = QComboBox()
            combo.addItem(tr("— leave out —"), "")
            for key in ti.fields_for(self.w.what):
                combo.addItem(tr(ti.field_title(key)), key)
            combo.setCurrentIndex(max(combo.findData(suggested.get(column, "")), 0))
            self.table.setCellWidget(column, 2, combo)
            self.combos.append(combo)

    def mapping(self) -> dict[int, str]:
        return {c: str(combo.currentData()) for c, combo in enumerate(self.combos) if combo.currentData()}

    def set_field(self, column: int, key: str) -> None:
        combo = self.combos[column]
        combo.setCurrentIndex(combo.findData(key))

    def validatePage(self) -> bool:
        mapping = self.mapping()
        try:
            ti.check_mapping(mapping, self.w.what)
        except ImportFormatError as exc:
            self.problem.setText(tr(exc.message).format(**exc.params))
            return False
        self.problem.clear()
        self.w.mapping = mapping
        assert self.w.table is not None
        ti.remember(self.w.table.headers, mapping, self.w.what)
        return True


# -- 5. the day order --------------------------------------------------------------------------------
class DatesPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(tr("How the dates are written"))
        self.explain = QLabel()
        self.explain.setWordWrap(True)
        self.dmy = QRadioButton(tr("Day first: 05/04/1960 is 5 April 1960"))
        self.mdy = QRadioButton(tr("Month first: 05/04/1960 is 4 May 1960"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.explain)
        layout.addWidget(self.dmy)
        layout.addWidget(self.mdy)
        layout.addStretch(1)

    def initializePage(self) -> None:
        assert self.w.table is not None
        guess = ti.guess_date_order(self.w.table, self.w.mapping)
        if self.w.history:
            order = hi.guess_order(self.w.table.rows, self.w.mapping)
            guess = ti.DateOrder(order, mdy_only=int(order == "mdy"))
        if guess.mixed:
            text = tr("Some dates are written day first and others month first: the rows that do not fit the "
                      "order chosen here will be shown as invalid.")
        elif guess.ambiguous:
            text = tr("The dates of this file can be read either way (no day above 12): choose how they are "
                      "written.")
        elif guess.mdy_only:
            text = tr("The dates of this file are written month first (for example 12/31/1950).")
        else:
            text = tr("The dates of this file are read day first (dd/mm/yyyy), as usual in Vietnam.")
        self.explain.setText(text)
        (self.mdy if guess.order == "mdy" else self.dmy).setChecked(True)

    def validatePage(self) -> bool:
        self.w.date_order = "mdy" if self.mdy.isChecked() else "dmy"
        return True


# -- 6. the preview ----------------------------------------------------------------------------------
class PreviewModel(QAbstractTableModel):
    """Every row of the file (or only the invalid ones), its cells as written; an invalid cell
    is red and its tooltip says what is wrong; a cell to check is yellow."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.preview: ti.Preview | hi.HistoryPreview | None = None
        self.rows: list[ti.PreviewRow] | list[hi.HistoryRow] = []
        self.keys: list[str] = []

    def set_preview(self, preview: ti.Preview | hi.HistoryPreview, invalid_only: bool = False) -> None:
        self.beginResetModel()
        self.preview = preview
        self.keys = [preview.mapping[c] for c in sorted(preview.mapping)]
        self.rows = preview.invalid if invalid_only else preview.rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.keys) + 1

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Vertical:
            return str(self.rows[section].number) if section < len(self.rows) else ""
        if section == 0:
            return tr("What is wrong")
        return tr(ti.field_title(self.keys[section - 1]))

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if index.column() == 0:
            problems = row.problems
            if role == Qt.ItemDataRole.DisplayRole:
                return "; ".join(f"{tr(ti.field_title(_column(row, p)))}: {p.text()}" for p in problems)
            if role == Qt.ItemDataRole.BackgroundRole and row.errors:
                return QBrush(ERROR_FILL)
            return None
        key = self.keys[index.column() - 1]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.cells.get(key, "")
        problems = row.problems_in(key)
        if role == Qt.ItemDataRole.ToolTipRole and problems:
            return "\n".join(p.text() for p in problems)
        if role == Qt.ItemDataRole.BackgroundRole and problems:
            return QBrush(ERROR_FILL if any(p.is_error for p in problems) else WARNING_FILL)
        return None


def _column(row: ti.PreviewRow | hi.HistoryRow, problem: Problem) -> str:
    """The column of the file a problem of ``row`` is about."""
    return hi.problem_column(problem) if isinstance(row, hi.HistoryRow) else ti.problem_column(problem.field)


class PreviewPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(tr("Preview of every row"))
        self.setSubTitle(tr("Every row as it will be imported. Red cells are invalid: point at one to see why."))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.model = PreviewModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAlternatingRowColors(True)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.invalid_only = QCheckBox(tr("Show only the invalid rows"))
        self.invalid_only.toggled.connect(self._refresh)
        self.leave_out = QCheckBox(tr("Import the valid rows and leave out the invalid ones"))
        self.leave_out.toggled.connect(self.completeChanged)
        self.save_report = QPushButton(tr("Save the list of problems…"))
        self.save_report.clicked.connect(lambda: self.w.save_report())
        bottom = QHBoxLayout()
        bottom.addWidget(self.invalid_only)
        bottom.addStretch(1)
        bottom.addWidget(self.save_report)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.leave_out)
        self._op: background.Operation | None = None

    def initializePage(self) -> None:
        table, mapping, what, order = self.w.table, self.w.mapping, self.w.what, self.w.date_order
        assert table is not None
        today = clock.today()
        self.w.preview = None
        self.summary.setText(tr("Checking every row…"))
        self.completeChanged.emit()
        if self.w.history:
            now = clock.now()
            self._op = background.run(
                self, tr("Checking every row…"),
                lambda _progress: hi.build_preview(table.rows, mapping, what, now, order, keep_cells=True),
                self._checked, self._failed,
            )
            return
        self._op = background.run(
            self,
            tr("Checking every row…"),
            lambda progress: ti.build_preview(table, mapping, what, today, order, progress),
            self._checked,
            self._failed,
        )

    def _checked(self, preview: ti.Preview | hi.HistoryPreview) -> None:
        if isinstance(preview, hi.HistoryPreview):
            history_store.find_patients(self.w.ctx.store, preview)  # (each row's patient, on this thread)
        self.w.preview = preview
        bad = len(preview.invalid)
        text = tr("{rows} rows to import, {bad} of them invalid.").format(
            rows=fmt_int(len(preview.rows)), bad=fmt_int(bad)
        )
        if bad and self.w.history:
            text += " " + tr("Correct the file and import it again: a history is imported whole or not at all.")
        elif bad:
            text += " " + tr("Correct the file and import it again, or leave the invalid rows out.")
        self.summary.setText(text)
        self.leave_out.setVisible(bool(bad) and not self.w.history)
        self.save_report.setEnabled(bool(bad))
        self.invalid_only.setChecked(bool(bad))
        self._refresh()
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        message = tr(exc.message).format(**exc.params) if isinstance(exc, ImportFormatError) else str(exc)
        self.summary.setText(message)
        dialogs.error(self, tr("Import a list from Excel or CSV"), message)

    def _refresh(self) -> None:
        if self.w.preview is not None:
            self.model.set_preview(self.w.preview, self.invalid_only.isChecked())
            self.view.resizeColumnsToContents()

    def isComplete(self) -> bool:
        preview = self.w.preview
        if preview is None or not preview.rows:
            return False
        if self.w.history:
            return not preview.invalid
        return not preview.invalid or (self.leave_out.isChecked() and bool(preview.valid))


# -- 7. the duplicates --------------------------------------------------------------------------------
class DuplicatesPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(tr("Already registered?"))
        self.setSubTitle(tr("These rows look like patients Trạm already has. Choose for each row."))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.every = QComboBox()
        self.every.addItem(Choice.SKIP.title, Choice.SKIP.value)
        self.every.addItem(Choice.MERGE.title, Choice.MERGE.value)
        apply_all = QPushButton(tr("Choose this for every row"))
        apply_all.clicked.connect(self._apply_all)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(
            [tr("Row in the file"), tr("Name in the file"), tr("Looks like"), tr("What to do"),
             tr("Reason (for a new patient)")]
        )
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b3261e;")
        top = QHBoxLayout()
        top.addWidget(QLabel(tr("For every row") + ":"))
        top.addWidget(self.every)
        top.addWidget(apply_all)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.problem)
        self.numbers: list[int] = []
        self.choices: list[QComboBox] = []
        self.reasons: list[QLineEdit] = []

    def initializePage(self) -> None:
        preview = self.w.preview
        assert isinstance(preview, ti.Preview)
        self.w.matches = find_matches(self.w.ctx.store, preview)
        defaults = default_decisions(preview, self.w.matches)
        # Rows past the first SHOWN_DUPLICATES follow "every row": it starts at the default choice.
        usual = Choice.MERGE if preview.what == "chronic" else Choice.SKIP
        self.every.setCurrentIndex(self.every.findData(usual.value))
        names = {r.number: r.cells.get("full_name", "") for r in preview.rows}
        shown = sorted(self.w.matches)[:SHOWN_DUPLICATES]
        self.summary.setText(
            tr("{count} rows may already be registered.").format(count=fmt_int(len(self.w.matches)))
            if self.w.matches else tr("No row of the file is already registered.")
        )
        self.table.setRowCount(len(shown))
        self.numbers, self.choices, self.reasons = [], [], []
        for r, number in enumerate(shown):
            match = self.w.matches[number]
            self.table.setItem(r, 0, QTableWidgetItem(str(number)))
            self.table.setItem(r, 1, QTableWidgetItem(names.get(number, "")))
            self.table.setItem(r, 2, QTableWidgetItem(match.text()))
            combo = QComboBox()
            for choice in self._choices_for(match):
                combo.addItem(choice.title, choice.value)
            combo.setCurrentIndex(max(combo.findData(defaults[number].choice.value), 0))
            reason = QLineEdit()
            reason.setPlaceholderText(tr("Why this is another person"))
            combo.currentIndexChanged.connect(lambda _i, c=combo, e=reason: e.setEnabled(c.currentData() == "new"))
            reason.setEnabled(combo.currentData() == "new")
            self.table.setCellWidget(r, 3, combo)
            self.table.setCellWidget(r, 4, reason)
            self.numbers.append(number)
            self.choices.append(combo)
            self.reasons.append(reason)

    @staticmethod
    def _choices_for(match: Match) -> list[Choice]:
        if match.existing_id is None:  # the same person as an earlier row: keep one, or keep all
            return [Choice.SKIP] + ([Choice.NEW] if match.new_allowed else [])
        return [Choice.SKIP, Choice.MERGE] + ([Choice.NEW] if match.new_allowed else [])

    def _apply_all(self) -> None:
        for combo in self.choices:
            index = combo.findData(self.every.currentData())
            if index >= 0:
                combo.setCurrentIndex(index)

    def decisions(self) -> dict[int, Decision]:
        assert self.w.preview is not None
        every = Choice(str(self.every.currentData()))
        chosen = {
            n: Decision(every if m.existing_id is not None else Choice.SKIP)
            for n, m in self.w.matches.items()
        }
        for number, combo, reason in zip(self.numbers, self.choices, self.reasons, strict=True):
            chosen[number] = Decision(Choice(str(combo.currentData())), reason.text().strip())
        return chosen

    def choose(self, number: int, choice: Choice, reason: str = "") -> None:
        r = self.numbers.index(number)
        self.choices[r].setCurrentIndex(self.choices[r].findData(choice.value))
        self.reasons[r].setText(reason)

    def validatePage(self) -> bool:
        assert isinstance(self.w.preview, ti.Preview)
        decisions = self.decisions()
        try:
            check_decisions(self.w.preview, self.w.matches, decisions)
        except ImportRefused as exc:
            self.problem.setText(exc.text())
            return False
        self.problem.clear()
        self.w.decisions = decisions
        return True


# -- 8. the import -----------------------------------------------------------------------------------
class RunPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(tr("Importing the rows"))
        self.setSubTitle(tr("Everything is saved together: if anything fails, nothing is saved."))
        self.bar = QProgressBar()
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.bridge = _Bridge(self)
        self.bridge.moved.connect(self._moved)
        self.done = False
        self._op: background.Operation | None = None

    def initializePage(self) -> None:
        self.done = False
        self.bar.setRange(0, 0)
        self.status.setText(tr("Importing the rows…"))
        preview, matches, decisions = self.w.preview, self.w.matches, self.w.decisions
        assert preview is not None
        leave_out = self.w.preview_page.leave_out.isChecked()
        db = self.w.ctx.db_path
        actor = getattr(self.w.ctx.store, "actor", None)
        source = self.w.book.path.name if self.w.book else ""
        bridge = self.bridge

        def work(progress: Callable[[int, int], None]) -> Outcome | history_store.HistoryOutcome:
            def moved(done: int, total: int) -> None:
                progress(done, total)
                with contextlib.suppress(RuntimeError):  # (the page closed meanwhile: the import goes on)
                    bridge.moved.emit(done, total)

            store = open_store(db)  # this thread's own connection
            if actor is not None:
                store.actor = actor
            try:
                if isinstance(preview, hi.HistoryPreview):
                    return history_store.apply(store, preview, source=source, progress=moved)
                return apply(store, preview, matches, decisions, leave_out_invalid=leave_out, source=source,
                             progress=moved)
            finally:
                store.close()

        # The page has its own progress bar: no progress dialog on top.
        self._op = background.Operation(self, tr("Importing the rows…"), work, quiet=True)
        self._op.done.connect(self._finished)
        self._op.error.connect(self._failed)
        # The views hear of the rows saved even when the wizard was closed meanwhile (a switch of user).
        changes = {Change.PATIENTS, Change.FOLLOWUPS} | ({Change.VISITS} if self.w.what == "visits" else set())
        ctx = self.w.ctx
        self._op.settled.connect(lambda: ctx.notify(changes, None))
        self._op.start()
        self.completeChanged.emit()

    def _moved(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(min(done, total))

    def _finished(self, outcome: Outcome | history_store.HistoryOutcome) -> None:
        self.w.outcome = outcome
        self.done = True
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.status.setText(tr("All rows saved."))
        self.completeChanged.emit()
        self.w.next()

    def _failed(self, exc: BaseException) -> None:
        message = exc.text() if isinstance(exc, ImportRefused) else str(exc)
        self.status.setText(tr("Nothing was imported: {reason}").format(reason=message))
        dialogs.error(self, tr("Import a list from Excel or CSV"),
                      tr("Nothing was imported: {reason}").format(reason=message))

    def isComplete(self) -> bool:
        return self.done


# -- 9. the result -----------------------------------------------------------------------------------
class ResultPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(tr("Import finished"))
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.save = QPushButton(tr("Save the rejected rows report…"))
        self.save.clicked.connect(lambda: self.w.save_report())
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.save)
        layout.addStretch(1)

    def initializePage(self) -> None:
        o = self.w.outcome
        assert o is not None
        if isinstance(o, history_store.HistoryOutcome):
            saved = (tr("Vaccine doses imported: {count} (of {patients} children)") if self.w.what == "vaccinations"
                     else tr("Visits imported: {count} (of {patients} patients)"))
            self.text.setText("\n".join([
                saved.format(count=fmt_int(o.added), patients=fmt_int(len(o.patients))),
                tr("Rows already recorded (skipped): {count}").format(count=fmt_int(len(o.already))),
            ]))
            self.save.setEnabled(False)
            return
        lines = [
            tr("New patients: {count}").format(count=fmt_int(o.imported)),
            tr("Merged into registered patients: {count}").format(count=fmt_int(o.merged)),
            tr("Rows skipped or left out: {count}").format(count=fmt_int(len({r.row for r in o.rejected}))),
        ]
        if self.w.what == "chronic":
            lines.append(tr("Programme enrolments: {count}; refills on the follow-up list: {refills}").format(
                count=fmt_int(o.enrolled), refills=fmt_int(o.refills)))
        self.text.setText("\n".join(lines))
        self.save.setEnabled(bool(o.rejected))


class ImportWizard(QWizard):
    """The wizard; its state (book, table, mapping, preview, choices, outcome) lives here."""

    FILE, SHEET, ROWS, MAPPING, DATES, PREVIEW, DUPLICATES, RUN, RESULT = range(9)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(tr("Import a list from Excel or CSV"))
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        for button, text in (
            (QWizard.WizardButton.BackButton, tr("< Previous step")),
            (QWizard.WizardButton.NextButton, tr("Next step >")),
            (QWizard.WizardButton.FinishButton, tr("Finish the import")),
            (QWizard.WizardButton.CancelButton, tr("Cancel")),
        ):
            self.setButtonText(button, text)
        self.book: Book | None = None
        self.what = "patients"
        self.sheet = 0
        self.table: ti.Table | None = None
        self.mapping: dict[int, str] = {}
        self.date_order = "dmy"
        self.preview: ti.Preview | hi.HistoryPreview | None = None
        self.matches: dict[int, Match] = {}
        self.decisions: dict[int, Decision] = {}
        self.outcome: Outcome | history_store.HistoryOutcome | None = None
        self.file_page = FilePage(self)
        self.sheet_page = SheetPage(self)
        self.rows_page = RowsPage(self)
        self.mapping_page = MappingPage(self)
        self.dates_page = DatesPage(self)
        self.preview_page = PreviewPage(self)
        self.duplicates_page = DuplicatesPage(self)
        self.run_page = RunPage(self)
        self.result_page = ResultPage(self)
        for page_id, page in enumerate((
            self.file_page, self.sheet_page, self.rows_page, self.mapping_page, self.dates_page,
            self.preview_page, self.duplicates_page, self.run_page, self.result_page,
        )):
            self.setPage(page_id, page)
        self.resize(960, 640)

    @property
    def history(self) -> bool:
        """A vaccination register or a visit history (not a list of patients)."""
        return self.what in hi.WHATS

    def nextId(self) -> int:
        current = self.currentId()
        if current == self.FILE and self.book is not None and len(self.book.sheets) < 2:
            return self.ROWS
        if current == self.PREVIEW and self.history:
            return self.RUN  # no duplicates: every row names a registered patient
        return super().nextId()

    def busy(self) -> bool:
        """Whether rows are being checked or saved on the worker thread right now."""
        return any(op is not None and op.running for op in (self.preview_page._op, self.run_page._op))

    def reject(self) -> None:
        # Closing while the worker runs would destroy its thread under it: wait until it is done.
        if self.busy():
            dialogs.info(self, tr("Import a list from Excel or CSV"),
                         tr("Please wait until the rows are checked or saved."))
            return
        super().reject()

    def rejected_rows(self) -> list[Rejected]:
        if isinstance(self.outcome, Outcome):
            return self.outcome.rejected
        if isinstance(self.preview, hi.HistoryPreview):
            return [Rejected(row.number, tr(hi.title(hi.problem_column(p))), p.text())
                    for row in self.preview.invalid for p in row.errors]
        return rejected_rows(self.preview) if self.preview is not None else []

    def save_report(self) -> Path | None:
        rows = self.rejected_rows()
        if not rows:
            return None
        stem = self.book.path.stem if self.book else "import"
        chosen = save_path(self, str(Path.home() / f"{stem}-{tr('rows not imported')}.xlsx"))
        if not chosen:
            return None
        try:
            path = write_rejected(rows, chosen)
        except OSError as exc:
            dialogs.error(self, tr("Import a list from Excel or CSV"), tr("Cannot write {path}: {reason}").format(
                path=chosen, reason=exc.strerror or exc))
            return None
        dialogs.info(self, tr("Import a list from Excel or CSV"), tr("File saved: {path}").format(path=path))
        return path


def open_wizard(ctx: AppContext, parent: QWidget | None = None) -> ImportWizard:
    wizard = ImportWizard(ctx, parent)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.open()
    return wizard
