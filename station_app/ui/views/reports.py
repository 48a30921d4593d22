"""Báo cáo: the monthly summary for the station head, and the visit book for any range.

Pick a month and press Compute: the draft is computed off the GUI thread (a progress dialog when it is slow).
Each block is a table (this month, the previous month beside it, the breakdown); a chart tab
shows visits per day and the top diagnoses. Enter (or a double click) on a cell lists the
patients or visits behind it; a cell can be corrected with a reason (the computed value stays
visible); the head finalises the month, after which the stored copy is shown as it was sent and
can be reopened only with a reason. The report prints (PDF preview) and exports (Excel, DHIS2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QRectF, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from station_app import clock
from station_app.domain.accounts import Permission
from station_app.domain.indicators import INDICATOR, PREVIOUS, THIS_MONTH, pick
from station_app.domain.monthly import Month, MonthlySummary, cell_key
from station_app.i18n import N_, tr
from station_app.printing.monthly_report import (
    LAST_YEAR,
    THIS_YEAR,
    monthly_report_bytes,
    number_text,
    status_line,
    when_text,
)
from station_app.printing.visit_book import visit_book_bytes
from station_app.reports import monthly, monthly_export
from station_app.store import Store, StoreError, audit, reports
from station_app.ui import dialogs, operations, pdf_preview
from station_app.ui.context import AppContext, Change
from station_app.ui.operations import Progress
from station_app.ui.widgets import heading, shortcut

KEY_ROLE = Qt.ItemDataRole.UserRole
CORRECTED_COLOUR = QColor("#fff4c2")
BAR_COLOUR = QColor("#2e6699")
UNIT_TITLES = {
    "visit": N_("Visits behind this number"),
    "patient": N_("Patients behind this number"),
    "enrolment": N_("People behind this number"),
    "referral": N_("Referrals behind this number"),
    "dose": N_("Vaccine doses behind this number"),
    "followup": N_("Follow-up items behind this number"),
    "outcome": N_("Call outcomes behind this number"),
    "prescription_line": N_("Prescription lines behind this number"),
    "drug": N_("Drugs behind this number"),
    "lot": N_("Lots behind this number"),
}

# In tests: (parent, title, suggested path, filter) -> the chosen path ("" = cancelled).
choose_save_path: Callable[[QWidget | None, str, str, str], str] | None = None


def _save_path(parent: QWidget | None, title: str, suggested: str, file_filter: str) -> str:
    if choose_save_path is not None:
        return choose_save_path(parent, title, suggested, file_filter)
    path, _chosen = QFileDialog.getSaveFileName(parent, title, suggested, file_filter,
                                                options=QFileDialog.Option.DontUseNativeDialog)
    return path


def _qdate(value: dt.date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _date(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


def _file_stem(month: Month) -> str:
    return f"bao-cao-nam-{month.key}" if month.is_year else f"bao-cao-thang-{month.key}"


def default_month() -> Month:
    """The month a head reports on: the one that just ended."""
    return Month.of(clock.today()).previous()


# -- the chart ---------------------------------------------------------------------------------------
class MonthChart(QWidget):
    """Visits per day, or per month for a year (bars), and the top diagnoses (horizontal bars), drawn with QPainter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.per_day: list[tuple[int, int]] = []  # (day, visits), or (month, visits) for a year
        self.yearly = False
        self.top: list[tuple[str, str, int]] = []
        self.setMinimumHeight(260)

    def show_summary(self, summary: MonthlySummary | None) -> None:
        self.per_day = summary.visit_bars() if summary else []
        self.yearly = bool(summary and summary.month.is_year)
        self.top = summary.top_diagnoses(10) if summary else []
        self.update()

    @staticmethod
    def top_label(code: str, name: str) -> str:
        """A top diagnosis as the chart names it: its code and the catalogue's name."""
        return name if name.startswith(code) else f"{code} {name}".strip()

    def paintEvent(self, _event: Any) -> None:  # Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width, height = self.width(), self.height()
        half = width / 2
        metrics = painter.fontMetrics()
        line = metrics.height()
        bold = QFont(painter.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.drawText(QRectF(0, 0, half, line + 4), Qt.AlignmentFlag.AlignCenter,
                         tr("Visits per month") if self.yearly else tr("Visits per day"))
        painter.drawText(QRectF(half, 0, half, line + 4), Qt.AlignmentFlag.AlignCenter,
                         tr("Top diagnoses (visits)"))
        painter.setFont(self.font())
        # Visits per day.
        left, top, bottom = 40.0, line + 10.0, height - line - 8.0
        right = half - 16.0
        values = [n for _, n in self.per_day]
        peak = max(values or [0]) or 1
        painter.drawText(QRectF(0, top - line / 2, left - 6, line), Qt.AlignmentFlag.AlignRight, number_text(peak))
        painter.drawText(QRectF(0, bottom - line / 2, left - 6, line), Qt.AlignmentFlag.AlignRight, "0")
        painter.drawLine(int(left), int(bottom), int(right), int(bottom))
        if values:
            step = (right - left) / len(values)
            painter.setBrush(QBrush(BAR_COLOUR))
            painter.setPen(Qt.PenStyle.NoPen)
            for i, n in enumerate(values):
                h = (bottom - top) * n / peak
                painter.drawRect(QRectF(left + i * step + 1, bottom - h, max(step - 2, 1), h))
            painter.setPen(self.palette().text().color())
            for i, (at, _) in enumerate(self.per_day):
                if self.yearly or at in (1, 10, 20) or i == len(values) - 1:
                    painter.drawText(QRectF(left + i * step - 10, bottom + 2, step + 20, line),
                                     Qt.AlignmentFlag.AlignHCenter, str(at))
        # Top diagnoses.
        if self.top:
            # The code and the catalogue's name (cut with "…" when long), then the bar.
            label_width = max(metrics.horizontalAdvance("M00.0") + 12, (width - half) * 0.45)
            x0, x1 = half + label_width, width - 60.0
            row = (bottom - top) / len(self.top)
            biggest = max(n for _, _, n in self.top) or 1
            for i, (code, name, n) in enumerate(self.top):
                y = top + i * row
                painter.setPen(self.palette().text().color())
                text = metrics.elidedText(self.top_label(code, name), Qt.TextElideMode.ElideRight,
                                          int(label_width - 8))
                painter.drawText(QRectF(half, y, label_width - 6, row), Qt.AlignmentFlag.AlignRight
                                 | Qt.AlignmentFlag.AlignVCenter, text)
                length = (x1 - x0) * n / biggest
                painter.fillRect(QRectF(x0, y + row * 0.15, length, row * 0.7), BAR_COLOUR)
                painter.drawText(QRectF(x0 + length + 4, y, 60, row), Qt.AlignmentFlag.AlignVCenter, number_text(n))
        painter.end()


# -- small dialogs ---------------------------------------------------------------------------------
class CorrectionDialog(QDialog):
    """Correct one cell: the computed value is shown; the new value and the reason are asked."""

    def __init__(self, title: str, computed: int, current: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Correct a value"))
        self.value = QSpinBox()
        self.value.setRange(0, 10_000_000)
        self.value.setValue(current)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(tr("Why is the computed value wrong?"))
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b3261e;")
        form = QFormLayout()
        form.addRow(QLabel(title))
        form.addRow(tr("Computed value"), QLabel(number_text(computed)))
        form.addRow(tr("Corrected value"), self.value)
        form.addRow(tr("Reason"), self.reason)
        form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def accept(self) -> None:
        if not self.reason.text().strip():
            self.problem.setText(tr("Write the reason."))
            self.reason.setFocus()
            return
        super().accept()


class ReasonDialog(QDialog):
    """A reason for reopening a finalised month."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Reopen the report"))
        self.reason = QLineEdit()
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b3261e;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        label = QLabel(text)
        label.setWordWrap(True)
        layout.addWidget(label)
        layout.addWidget(self.reason)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def accept(self) -> None:
        if not self.reason.text().strip():
            self.problem.setText(tr("Write the reason."))
            return
        super().accept()


VISIT_BOOK = N_("Visit book")


class RangeDialog(QDialog):
    """The book (A1 the visit book, A2.1 … A6) and the dates to print."""

    def __init__(self, start: dt.date, end: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Print the visit book"))
        from station_app.domain import books

        self.book = QComboBox()
        self.book.addItem(f"A1 — {tr(VISIT_BOOK)}", "A1")
        for code, definition in books.definitions().items():
            self.book.addItem(f"{code} — {pick(definition.title).capitalize()}", code)
        self.start = QDateEdit(_qdate(start))
        self.end = QDateEdit(_qdate(end))
        for edit in (self.start, self.end):
            edit.setDisplayFormat("dd/MM/yyyy")
            edit.setCalendarPopup(True)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b3261e;")
        form = QFormLayout()
        form.addRow(tr("Book"), self.book)
        form.addRow(tr("From"), self.start)
        form.addRow(tr("to"), self.end)
        form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def range(self) -> tuple[dt.date, dt.date]:
        return _date(self.start.date()), _date(self.end.date())

    def accept(self) -> None:
        start, end = self.range()
        if end < start:
            self.problem.setText(tr("The last day is before the first day."))
            return
        super().accept()


class RecordsDialog(QDialog):
    """The records behind one number; Enter on a row opens the patient."""

    open_patient = Signal(int)

    def __init__(self, title: str, rows: list[reports.Record], total: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.rows = rows
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels([tr("Date"), tr("Full name"), tr("Details")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        for i, record in enumerate(rows):
            for j, text in enumerate((when_text(record.date), record.full_name, record.detail)):
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.activated.connect(lambda index: self._open(index.row()))
        note = tr("{count} records").format(count=number_text(total))
        if total > len(rows):
            note = tr("{shown} of {count} records shown").format(shown=number_text(len(rows)),
                                                                  count=number_text(total))
        close = QPushButton(tr("Close") + " (Esc)")
        close.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(note))
        layout.addWidget(self.table, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        self.resize(760, 480)

    def _open(self, row: int) -> None:
        if 0 <= row < len(self.rows) and self.rows[row].patient_id:  # a drug or a lot has no patient
            self.open_patient.emit(self.rows[row].patient_id)
            self.accept()


# -- the view ----------------------------------------------------------------------------------------
class ReportsView(QWidget):
    """Báo cáo."""

    loaded = Signal()  # a month's report is on screen
    failed = Signal(str)
    book_ready = Signal(object)  # the visit book's preview dialog

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.summary: MonthlySummary | None = None
        self.status = ""
        self.state: reports.ReportState | None = None
        self._operation: operations.Operation | None = None
        self._computed_month: Month | None = None
        self._dialogs: list[QDialog] = []

        self.month = QDateEdit(_qdate(default_month().start))
        self.month.setDisplayFormat("MM/yyyy")
        self.month.setCalendarPopup(True)
        # a month, or the calendar year (the yearly report, from the same definitions)
        self.period_kind = QComboBox()
        self.period_kind.addItem(tr("Month"), "month")
        self.period_kind.addItem(tr("Year"), "year")
        self.period_kind.currentIndexChanged.connect(self._period_kind_changed)
        self.generate_button = QPushButton(tr("Compute the report") + " (F5)")
        self.generate_button.clicked.connect(self.generate)
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        top = QHBoxLayout()
        self.title = heading(tr("Monthly summary"))
        top.addWidget(self.title)
        top.addSpacing(16)
        top.addWidget(self.period_kind)
        top.addWidget(self.month)
        top.addWidget(self.generate_button)
        top.addStretch(1)

        self.tabs = QTabWidget()
        self.chart = MonthChart()
        self.tables: dict[str, QTableWidget] = {}

        self.details_button = QPushButton(tr("Records behind the number") + " (Enter)")
        self.details_button.clicked.connect(self.drill_down)
        self.correct_button = QPushButton(tr("Correct the value…"))
        self.correct_button.clicked.connect(self.correct_cell)
        self.finalise_button = QPushButton(tr("Finalise the report…"))
        self.finalise_button.clicked.connect(self.finalise)
        self.reopen_button = QPushButton(tr("Reopen…"))
        self.reopen_button.clicked.connect(self.reopen)
        self.pdf_button = QPushButton(tr("Print / PDF…"))
        self.pdf_button.clicked.connect(self.preview_pdf)
        self.xlsx_button = QPushButton(tr("Excel…"))
        self.xlsx_button.clicked.connect(lambda: self.export("xlsx"))
        self.dhis2_button = QPushButton(tr("DHIS2…"))
        self.dhis2_button.clicked.connect(lambda: self.export("dhis2"))
        self.book_button = QPushButton(tr("Print the books…"))
        self.book_button.clicked.connect(self.print_visit_book)
        actions = QHBoxLayout()
        for button in (self.details_button, self.correct_button, self.finalise_button, self.reopen_button):
            actions.addWidget(button)
        actions.addStretch(1)
        outputs = QHBoxLayout()
        for button in (self.pdf_button, self.xlsx_button, self.dhis2_button, self.book_button):
            outputs.addWidget(button)
        outputs.addStretch(1)
        # What the person's role may not do is not offered (the store refuses it anyway): the
        # head corrects, finalises and reopens; prints need PRINT, the files for the district EXPORT.
        actor = ctx.store.actor
        for button, permission in ((self.correct_button, Permission.FINALISE_REPORT),
                                   (self.finalise_button, Permission.FINALISE_REPORT),
                                   (self.reopen_button, Permission.FINALISE_REPORT),
                                   (self.pdf_button, Permission.PRINT), (self.book_button, Permission.PRINT),
                                   (self.xlsx_button, Permission.EXPORT), (self.dhis2_button, Permission.EXPORT)):
            if not actor.can(permission):
                button.hide()
        self.hint = QLabel(tr("Choose the month, then press “Compute the report” (F5)."))
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tabs.addTab(self.hint, tr("Monthly summary"))

        self.sent = QTableWidget(0, 5)
        self.sent.setHorizontalHeaderLabels([tr("Month"), tr("Version"), tr("Finalised on"), tr("By"),
                                             tr("Reopened")])
        self.sent.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.sent.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.sent.verticalHeader().setVisible(False)
        self.sent.horizontalHeader().setStretchLastSection(True)
        self.sent.activated.connect(self._open_sent)
        sent_box = QWidget()
        sent_layout = QVBoxLayout(sent_box)
        sent_layout.setContentsMargins(0, 0, 0, 0)
        sent_layout.addWidget(QLabel(tr("Finalised reports")))
        self.sent_empty = QLabel(tr("No report finalised yet. When a month's numbers are checked, "
                                    "“Finalise the report…” keeps that copy as the one sent to the district."))
        self.sent_empty.setWordWrap(True)
        sent_layout.addWidget(self.sent_empty)
        sent_layout.addWidget(self.sent)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.tabs)
        splitter.addWidget(sent_box)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([560, 140])

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.state_label)
        layout.addLayout(actions)
        layout.addLayout(outputs)
        layout.addWidget(splitter, 1)
        shortcut("F5", self, self.generate)
        ctx.subscribe(self, {Change.STORE}, self._forget)
        ctx.subscribe(self, {Change.VISITS, Change.PATIENTS, Change.FOLLOWUPS, Change.REFERRALS}, self._records_changed)
        self._update_buttons()

    # -- loading ---------------------------------------------------------------------------------
    def activate(self) -> None:
        self.fill_sent()
        # Opening Báo cáo shows the chosen month computed (with its progress), not an empty page;
        # started a moment later, and only if the person stayed here (passing through the areas
        # with Alt+1…7 starts no computation).
        if self.summary is None or self._computed_month != self.selected_month():
            QTimer.singleShot(250, self, self._compute_if_shown)  # (not after the view is gone)

    def _compute_if_shown(self) -> None:
        if self.isVisible() and (self.summary is None or self._computed_month != self.selected_month()):
            self.generate()

    def selected_month(self) -> Month:
        """The chosen period: a month, or the whole calendar year."""
        day = _date(self.month.date())
        return Month.year_of(day.year) if self.period_kind.currentData() == "year" else Month.of(day)

    def set_month(self, month: Month) -> None:
        self.period_kind.setCurrentIndex(self.period_kind.findData("year" if month.is_year else "month"))
        self.month.setDate(_qdate(month.start))

    def _period_kind_changed(self) -> None:
        yearly = self.period_kind.currentData() == "year"
        self.month.setDisplayFormat("yyyy" if yearly else "MM/yyyy")
        self.title.setText(tr("Yearly summary") if yearly else tr("Monthly summary"))

    def generate(self) -> None:
        """Compute (or load the finalised copy of) the chosen month, off the GUI thread."""
        if self._operation is not None and self._operation.running:
            return
        month = self.selected_month()

        def work(store: Store, progress: Progress) -> tuple[MonthlySummary, str, reports.ReportState]:
            summary, status = monthly.current(store, month, progress)
            return summary, status, reports.state(store, month)

        self.generate_button.setEnabled(False)
        self._computed_month = month
        self._operation = operations.run_op(self, self.ctx, tr("Computing the monthly report…"), work, self._loaded,
                                            on_error=self._failed)

    def _loaded(self, result: tuple[MonthlySummary, str, reports.ReportState]) -> None:
        self.summary, self.status, self.state = result
        self._operation = None
        self.generate_button.setEnabled(True)
        self._fill()
        self.fill_sent()
        self.loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        self._operation = None
        self.generate_button.setEnabled(True)
        text = exc.text() if isinstance(exc, StoreError) else str(exc) or type(exc).__name__
        dialogs.error(self, tr("The report could not be computed"), text)
        self.failed.emit(text)

    def _records_changed(self) -> None:
        """Records changed under a draft on screen: say that F5 brings it up to date."""
        if self.summary is not None and not (self.state and self.state.is_final):
            self.state_label.setText(self._state_text() + " " + tr("Records have changed since: press F5 to "
                                                                 "compute again."))

    def _forget(self) -> None:
        self.summary = None
        self.tabs.clear()
        self.tables.clear()

    # -- showing -----------------------------------------------------------------------------------
    def _state_text(self) -> str:
        if self.summary is None or self.state is None:
            return ""
        if self.state.is_final and self.state.snapshots:
            latest = self.state.snapshots[0]
            return tr("Finalised (version {version}) on {at} by {by}: shown as it was sent.").format(
                version=latest.version, at=when_text(latest.finalised_at), by=latest.finalised_by)
        text = tr("Draft computed on {at}.").format(at=when_text(self.summary.generated_at))
        reopened = [s for s in self.state.snapshots if s.reopened_at]
        if reopened:
            text += " " + tr("Reopened on {at} by {by}: {reason}").format(
                at=when_text(reopened[0].reopened_at or ""), by=reopened[0].reopened_by,
                reason=reopened[0].reopen_reason)
        return text

    def _fill(self) -> None:
        current = self.tabs.currentIndex()
        self.tabs.clear()
        self.tables.clear()
        summary = self.summary
        if summary is None:
            return
        for code, name in summary.blocks:
            table = self._block_table(summary, code)
            self.tables[code] = table
            self.tabs.addTab(table, pick(name))
        self.chart.show_summary(summary)
        self.tabs.addTab(self.chart, tr("Chart"))
        self.tabs.setCurrentIndex(max(current, 0))
        self.state_label.setText(self._state_text())
        self._update_buttons()

    def _block_table(self, summary: MonthlySummary, block: str) -> QTableWidget:
        results = summary.results(block)
        columns: list[str] = []
        for result in results:
            columns += [c for c in result.columns if c not in columns]
        now, before = (THIS_YEAR, LAST_YEAR) if summary.month.is_year else (THIS_MONTH, PREVIOUS)
        headers = [tr(INDICATOR), tr(now), tr(before)] + [summary.definitions.column_label(c)
                                                                    for c in columns[1:]]
        rows: list[tuple[str, str | None, dict]] = []
        for result in results:
            multi = len(result.lines) > 1 or bool(result.lines and result.lines[0].key)
            if multi:
                rows.append((pick(result.indicator.name), None, {}))
            for line in result.lines:
                label = ("    " + pick(line.label)) if multi else pick(result.indicator.name)
                rows.append((label, result.code, {"line": line, "definition": pick(result.indicator.definition)}))
        table = QTableWidget(len(rows), len(headers))
        table.setHorizontalHeaderLabels(headers)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().setVisible(False)
        table.setAlternatingRowColors(True)
        bold = QFont(table.font())
        bold.setBold(True)
        for i, (label, code, info) in enumerate(rows):
            item = QTableWidgetItem(label)
            if code is None:
                item.setFont(bold)
            else:
                item.setToolTip(info["definition"])
            table.setItem(i, 0, item)
            if code is None:
                continue
            line = info["line"]
            for j, column in enumerate(columns):
                cell = line.cells.get(column)
                if cell is None:
                    continue
                target = 1 if column == "total" else j + 2
                item = QTableWidgetItem(number_text(cell.reported) + ("*" if cell.correction else ""))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setData(KEY_ROLE, cell_key(code, line.key, column))
                if cell.correction:
                    fix = cell.correction
                    item.setBackground(CORRECTED_COLOUR)
                    item.setToolTip(tr("Computed {computed}, corrected to {corrected} by {by}: {reason}").format(
                        computed=number_text(fix.computed), corrected=number_text(fix.corrected), by=fix.by,
                        reason=fix.reason))
                table.setItem(i, target, item)
                if column == "total":
                    previous = QTableWidgetItem(number_text(cell.previous))
                    previous.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    previous.setForeground(QBrush(QColor("#555555")))
                    table.setItem(i, 2, previous)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for j in range(1, len(headers)):
            header.setSectionResizeMode(j, QHeaderView.ResizeMode.ResizeToContents)
        table.activated.connect(lambda _index: self.drill_down())
        table.currentCellChanged.connect(lambda *_args: self._update_buttons())
        return table

    def fill_sent(self) -> None:
        rows = reports.finalised(self.ctx.store)
        self.sent.setRowCount(len(rows))
        for i, snap in enumerate(rows):
            month = Month.parse(snap.period)
            reopened = ""
            if snap.reopened_at:
                reopened = tr("{at} by {by}: {reason}").format(at=when_text(snap.reopened_at), by=snap.reopened_by,
                                                              reason=snap.reopen_reason)
            for j, text in enumerate((month.display(), str(snap.version), when_text(snap.finalised_at),
                                      snap.finalised_by, reopened)):
                item = QTableWidgetItem(text)
                item.setData(KEY_ROLE, snap.period)
                self.sent.setItem(i, j, item)
        self.sent.resizeColumnsToContents()
        self.sent_empty.setVisible(not rows)
        self.sent.setVisible(bool(rows))

    def _open_sent(self, index: Any) -> None:
        item = self.sent.item(index.row(), 0)
        if item is not None:
            self.set_month(Month.parse(str(item.data(KEY_ROLE))))
            self.generate()

    def _update_buttons(self) -> None:
        has = self.summary is not None
        final = bool(self.state and self.state.is_final)
        key = self.current_key()
        for button in (self.pdf_button, self.xlsx_button, self.dhis2_button):
            button.setEnabled(has)
        self.details_button.setEnabled(key is not None)
        self.correct_button.setEnabled(key is not None and not final)
        self.finalise_button.setEnabled(has and not final)
        self.reopen_button.setEnabled(has and final)

    # -- the selected cell -------------------------------------------------------------------------
    def current_table(self) -> QTableWidget | None:
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, QTableWidget) else None

    def current_key(self) -> str | None:
        table = self.current_table()
        item = table.currentItem() if table is not None else None
        key = item.data(KEY_ROLE) if item is not None else None
        return str(key) if key else None

    def select_cell(self, key: str) -> None:
        """Make the cell ``indicator/line/column`` current (its block's tab shown)."""
        for code, table in self.tables.items():
            for row in range(table.rowCount()):
                for column in range(table.columnCount()):
                    item = table.item(row, column)
                    if item is not None and item.data(KEY_ROLE) == key:
                        self.tabs.setCurrentWidget(self.tables[code])
                        table.setCurrentCell(row, column)
                        self._update_buttons()
                        return
        raise KeyError(key)

    def _cell_title(self, key: str) -> str:
        assert self.summary is not None
        code, line_key, column = key.split("/", 2)
        result = self.summary.result(code)
        parts = [pick(result.indicator.name)]
        if line_key:
            line = next(ln for ln in result.lines if ln.key == line_key)
            parts.append(pick(line.label))
        parts.append(self.summary.definitions.column_label(column))
        return " — ".join(parts)

    def drill_down(self) -> QDialog | None:
        key = self.current_key()
        if key is None or self.summary is None:
            return None
        cell = self.summary.cell(key)
        unit = self.summary.unit_of(key)
        ids = cell.record_ids()
        rows = reports.records(self.ctx.store, unit, ids)
        title = tr(UNIT_TITLES.get(unit, UNIT_TITLES["visit"])) + ": " + self._cell_title(key)
        dialog = RecordsDialog(title, rows, len(ids), self)
        dialog.open_patient.connect(self.ctx.open_patient.emit)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def correct_cell(self) -> bool:
        key = self.current_key()
        if key is None or self.summary is None:
            return False
        cell = self.summary.cell(key)
        dialog = CorrectionDialog(self._cell_title(key), cell.value, cell.reported, self)
        if not dialogs.run(dialog):
            return False
        value = dialog.value.value()
        try:
            reports.correct(self.ctx.store, self.summary, key, None if value == cell.value else value,
                            dialog.reason.text())
        except StoreError as exc:
            dialogs.error(self, tr("Not corrected"), exc.text())
            return False
        self._fill()
        self.select_cell(key)
        return True

    # -- finalising ----------------------------------------------------------------------------------
    def finalise(self) -> bool:
        if self.summary is None:
            return False
        month = self.summary.month
        if not dialogs.ask(self, tr("Finalise the report"), tr(
                "Finalise the report for {month}? It is then kept exactly as it is now; to change it later "
                "it must be reopened with a reason.").format(month=month.display())):
            return False
        try:
            reports.finalise(self.ctx.store, self.summary)
        except StoreError as exc:
            dialogs.error(self, tr("Not finalised"), exc.text())
            return False
        self.state = reports.state(self.ctx.store, month)
        self.status = reports.FINAL
        self._fill()
        self.fill_sent()
        return True

    def reopen(self) -> bool:
        if self.summary is None:
            return False
        month = self.summary.month
        dialog = ReasonDialog(tr("Why must the report for {month} be changed? The finalised copy is kept.").format(
            month=month.display()), self)
        if not dialogs.run(dialog):
            return False
        try:
            reports.reopen(self.ctx.store, month, dialog.reason.text())
        except StoreError as exc:
            dialogs.error(self, tr("Not reopened"), exc.text())
            return False
        self.fill_sent()
        self.generate()
        return True

    # -- printing and exporting ----------------------------------------------------------------------
    def _final_info(self) -> tuple[int, str, str] | None:
        if self.state and self.state.is_final and self.state.snapshots:
            latest = self.state.snapshots[0]
            return latest.version, latest.finalised_at, latest.finalised_by
        return None

    def preview_pdf(self) -> QDialog | None:
        if self.summary is None:
            return None
        data = monthly_report_bytes(self.summary, status_line(self.summary, self._final_info()))
        month = self.summary.month
        title = (tr("Yearly report {year}").format(year=month.display()) if month.is_year
                 else tr("Monthly summary {month}").format(month=month.display()))
        dialog = pdf_preview.show_pdf(self, data, title, f"{_file_stem(month)}.pdf",
                                      **pdf_preview.audited(lambda: self.ctx.store, ("report", month.key),
                                                            {"document": "monthly_report"}))
        self._dialogs.append(dialog)
        return dialog

    def export(self, kind: str) -> Path | None:
        if self.summary is None:
            return None
        month = self.summary.month
        if kind == "xlsx":
            name, file_filter = f"{_file_stem(month)}.xlsx", tr("Excel workbooks (*.xlsx)")
        else:
            name, file_filter = f"dhis2-{month.period}.json", tr("JSON files (*.json)")
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        path = _save_path(self, tr("Export the report"), str(Path(folder) / name) if folder else name, file_filter)
        if not path:
            return None
        final = self._final_info()
        try:
            self.ctx.store.require(Permission.EXPORT)
            if kind == "xlsx":
                data = monthly_export.xlsx_bytes(self.summary, tr("final") if final else tr("draft"))
            else:
                data = monthly_export.dhis2_bytes(self.summary, final[1][:10] if final else None)
            written = monthly_export.write(path, data)
            audit.record_output(self.ctx.store, Permission.EXPORT, audit.EXPORT, ("report", month.key),
                                {"format": kind, "file": written.name})
        except StoreError as exc:
            dialogs.error(self, tr("Not exported"), exc.text())
            return None
        except monthly_export.ExportError as exc:
            dialogs.error(self, tr("Not exported"), exc.text())
            return None
        except OSError as exc:
            dialogs.error(self, tr("Not exported"), tr("Could not write {path}: {reason}").format(
                path=path, reason=exc.strerror or exc))
            return None
        dialogs.info(self, tr("Exported"), tr("Saved to {path}.").format(path=written))
        return written

    def print_visit_book(self, start: dt.date | None = None, end: dt.date | None = None, book: str = "A1") -> None:
        """Ask for the book and the dates (unless given), render off the GUI thread, then preview."""
        if start is None or end is None:
            month = self.selected_month()
            dialog = RangeDialog(month.start, month.end, self)
            if not dialogs.run(dialog):
                return
            start, end = dialog.range()
            book = str(dialog.book.currentData())
        first, last, code = start, end, book

        def work(store: Store, progress: Progress) -> bytes:
            if code == "A1":
                return visit_book_bytes(store, first, last, progress)
            from station_app.printing.books import book_bytes

            return book_bytes(store, code, first, last)

        def done(data: bytes) -> None:
            self._operation = None
            dates = {"start": first.strftime("%d/%m/%Y"), "end": last.strftime("%d/%m/%Y")}
            title = (tr("Visit book {start} – {end}").format(**dates) if code == "A1"
                     else tr("Book {book} {start} – {end}").format(book=code, **dates))
            name = f"so-kham-benh-{first}-{last}.pdf" if code == "A1" else f"so-{code}-{first}-{last}.pdf"
            target = "visit_book" if code == "A1" else ("book", code)
            preview = pdf_preview.show_pdf(self, data, title, name,
                                           **pdf_preview.audited(lambda: self.ctx.store, target, {
                                               "from": first.isoformat(), "to": last.isoformat()}))
            self._dialogs.append(preview)
            self.book_ready.emit(preview)

        self._operation = operations.run_op(self, self.ctx, tr("Preparing the visit book…"), work, done,
                                            on_error=self._failed)
