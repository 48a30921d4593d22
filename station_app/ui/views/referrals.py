"""Chuyển tuyến: the referral book. Every slip of a period (this month to start with) with its
number, date, patient, destination, reason, validity, status and outcome.

From the selected row: record what came of the referral (arrived, the receiving facility's
feedback with its summary, did not go), cancel the slip with a reason (it stays in the book, its
number is never given again), correct it, open the patient, or preview and reprint the slip.
The book of the period prints as an A4 landscape PDF, previewed in the same dialog.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from station_app import clock
from station_app.domain.accounts import Permission
from station_app.domain.dates import DateFormatError, add_months
from station_app.domain.patient import Patient
from station_app.i18n import N_, tr
from station_app.store import StoreError, referrals, visits
from station_app.store.referrals import BookRow
from station_app.ui import background, dialogs
from station_app.ui.context import AppContext, Change
from station_app.ui.forms.referral_form import edit_referral, new_referral, preview_slip
from station_app.ui.forms.visit_form import TextBox
from station_app.ui.pdf_preview import PdfPreviewDialog, audited, show_pdf
from station_app.ui.qt_i18n import fmt_date, fmt_datetime, fmt_int
from station_app.ui.widgets import ERROR_COLOUR, OK_COLOUR, DateEdit, heading, shortcut

Index = QModelIndex | QPersistentModelIndex
ID_ROLE = Qt.ItemDataRole.UserRole + 1
PATIENT_ROLE = Qt.ItemDataRole.UserRole + 2

OUTCOMES = {
    "sent": N_("Sent"),
    "arrived": N_("Arrived"),
    "feedback": N_("Feedback received"),
    "not_gone": N_("Did not go"),
}
REASON_TIPS = {
    "1a": N_("1a) Eligible: in line with the rules on transfer between technical levels"),
    "1b": N_("1b) Eligible: beyond what this facility can provide"),
    "2": N_("2) At the request of the patient or the patient's legal representative"),
}
CANCELLED = QColor("#6b6b6b")


def status_text(row: BookRow) -> str:
    return tr("Cancelled") if row.status == "cancelled" else tr("Issued")


def outcome_text(row: BookRow) -> str:
    if row.status == "cancelled":
        return ""
    return tr(OUTCOMES.get(row.outcome, row.outcome))


# -- the table ------------------------------------------------------------------------------------
class ReferralBookModel(QAbstractTableModel):
    """The rows of ``referrals.book`` for a period. A station issues tens of slips a month, so the
    rows are held whole; ``data()`` switches on the role, the texts come from small functions."""

    NUMBER, DATE, PATIENT, DIAGNOSIS, DESTINATION, REASON, VALID, STATUS, OUTCOME = range(9)
    columns = (N_("Slip number"), N_("Date"), N_("Patient"), N_("Diagnosis"), N_("Referred to"), N_("Reason"),
               N_("Valid until"), N_("Status"), N_("Outcome"))

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[BookRow] = []
        self._today = clock.today()

    def set_rows(self, rows: list[BookRow], today: dt.date | None = None) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._today = today or clock.today()
        self.endResetModel()

    def rows(self) -> list[BookRow]:
        return list(self._rows)

    def row_at(self, row: int) -> BookRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, referral_id: int) -> int | None:
        for index, row in enumerate(self._rows):
            if row.id == referral_id:
                return index
        return None

    # -- Qt API ---------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return tr(self.columns[section])
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._rows):
            return str(section + 1)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None or not 0 <= index.column() < len(self.columns):
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(row, column)
        if role == Qt.ItemDataRole.FontRole and row.status == "cancelled" and column == self.NUMBER:
            font = QFont()
            font.setStrikeOut(True)
            return font
        if role == ID_ROLE:
            return row.id
        if role == PATIENT_ROLE:
            return row.patient_id
        return None

    def cell(self, row: BookRow, column: int) -> str:
        match column:
            case self.NUMBER:
                return row.number
            case self.DATE:
                return fmt_datetime(row.issued_at)
            case self.PATIENT:
                return row.full_name
            case self.DIAGNOSIS:
                return row.diagnosis
            case self.DESTINATION:
                return row.to_facility
            case self.REASON:
                return row.reason
            case self.VALID:
                return fmt_date(row.valid_until) if row.status != "cancelled" else ""
            case self.STATUS:
                return status_text(row)
            case self.OUTCOME:
                return outcome_text(row)
        return ""

    def tooltip(self, row: BookRow, column: int) -> str | None:
        if column == self.REASON and row.reason in REASON_TIPS:
            return tr(REASON_TIPS[row.reason])
        if column in (self.DIAGNOSIS, self.DESTINATION, self.PATIENT):
            return self.cell(row, column) or None
        if column == self.VALID and self.expired(row):
            return tr("The slip is no longer valid: a new slip is needed.")
        if column == self.NUMBER and row.printed_count:
            return tr("Printed {count} times").format(count=row.printed_count)
        return None

    def expired(self, row: BookRow) -> bool:
        return (row.status != "cancelled" and row.outcome == "sent" and row.valid_until is not None
                and row.valid_until < self._today)

    def foreground(self, row: BookRow, column: int) -> QBrush | None:
        if row.status == "cancelled":
            return QBrush(CANCELLED)
        if column == self.VALID and self.expired(row):
            return QBrush(QColor(ERROR_COLOUR))
        if column == self.OUTCOME and row.outcome in ("arrived", "feedback"):
            return QBrush(QColor(OK_COLOUR))
        if column == self.OUTCOME and row.outcome == "not_gone":
            return QBrush(QColor(ERROR_COLOUR))
        return None


# -- the small dialogs ------------------------------------------------------------------------------
def _buttons(dialog: QDialog) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class OutcomeDialog(QDialog):
    """What came of a referral: arrived, feedback received (with its summary), did not go."""

    def __init__(self, row: BookRow, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row = row
        self.today = today
        self.setWindowTitle(tr("Outcome of the referral"))
        self.choices: dict[str, QRadioButton] = {}
        group = QButtonGroup(self)
        for key in ("arrived", "feedback", "not_gone"):
            button = QRadioButton(tr(OUTCOMES[key]))
            group.addButton(button)
            self.choices[key] = button
        self.choices[row.outcome if row.outcome in self.choices else "arrived"].setChecked(True)
        self.date = DateEdit()
        self.date.set_date(today)
        self.summary = TextBox(4)
        self.summary.setPlaceholderText(tr("Summary of the feedback (counter-referral) from the receiving facility"))
        self.problem = QLabel()
        self.problem.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.problem.setWordWrap(True)
        self.problem.hide()
        date_row = QHBoxLayout()
        date_row.addWidget(QLabel(tr("On")))
        date_row.addWidget(self.date)
        date_row.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Slip {number} — {name}, to {place}").format(
            number=row.number, name=row.full_name, place=row.to_facility)))
        for button in self.choices.values():
            layout.addWidget(button)
        layout.addLayout(date_row)
        layout.addWidget(self.summary)
        layout.addWidget(self.problem)
        layout.addWidget(_buttons(self))
        for button in self.choices.values():
            button.toggled.connect(lambda _c: self._update())
        self._update()
        self.setMinimumWidth(520)

    def _update(self) -> None:
        self.summary.setEnabled(self.choices["feedback"].isChecked())

    def choose(self, outcome: str, on: dt.date | None = None, summary: str = "") -> None:
        self.choices[outcome].setChecked(True)
        if on is not None:
            self.date.set_date(on)
        self.summary.setText(summary)

    def outcome(self) -> str:
        return next(key for key, b in self.choices.items() if b.isChecked())

    def accept(self) -> None:
        try:
            on = self.date.date()
        except DateFormatError:
            on = None
        if on is None:
            self._refuse(tr("Write the date as dd/mm/yyyy."), self.date)
            return
        if on < self.row.issued_at.date():
            self._refuse(tr("The date cannot be before the slip was issued ({date}).").format(
                date=fmt_date(self.row.issued_at.date())), self.date)
            return
        if on > self.today:
            self._refuse(tr("The date cannot be in the future."), self.date)
            return
        if self.outcome() == "feedback" and not self.summary.text().strip():
            self._refuse(tr("Write the summary of the feedback."), self.summary)
            return
        super().accept()

    def _refuse(self, text: str, field: QWidget) -> None:
        self.problem.setText(text)
        self.problem.show()
        field.setFocus()

    def on(self) -> dt.date:
        return self.date.date() or self.today


class CancelDialog(QDialog):
    """Cancel a slip, with the reason (the slip keeps its number in the book)."""

    def __init__(self, row: BookRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Cancel the slip"))
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(tr("Reason for cancelling (required)"))
        self.problem = QLabel(tr("Give the reason for cancelling the slip."))
        self.problem.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.problem.hide()
        layout = QVBoxLayout(self)
        text = QLabel(tr("Cancel slip {number} ({name})? It stays in the referral book and its number is "
                         "not given again.").format(number=row.number, name=row.full_name))
        text.setWordWrap(True)
        layout.addWidget(text)
        layout.addWidget(self.reason)
        layout.addWidget(self.problem)
        layout.addWidget(_buttons(self))
        self.setMinimumWidth(480)
        self.reason.setFocus()

    def accept(self) -> None:
        if not self.reason.text().strip():
            self.problem.show()
            self.reason.setFocus()
            return
        super().accept()


# -- the table widget shared by the view and the patient's tab --------------------------------------
def book_table(model: ReferralBookModel) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 10)
    header = table.horizontalHeader()
    m = ReferralBookModel
    for column in range(len(m.columns)):
        stretch = column in (m.PATIENT, m.DIAGNOSIS, m.DESTINATION)
        header.setSectionResizeMode(
            column, QHeaderView.ResizeMode.Stretch if stretch else QHeaderView.ResizeMode.ResizeToContents)
    return table


class ReferralActions:
    """Outcome, cancellation, correction and reprint of the selected slip: the same in the book
    and on a patient's tab."""

    ctx: AppContext
    table: QTableView
    model: ReferralBookModel
    status: QLabel

    def current_row(self) -> BookRow | None:
        return self.model.row_at(self.table.currentIndex().row())

    def reload(self) -> None:  # pragma: no cover - each widget has its own
        raise NotImplementedError

    def select(self, referral_id: int) -> None:
        row = self.model.row_of(referral_id)
        if row is not None:
            self.table.setCurrentIndex(self.model.index(row, 0))

    def record_outcome(self) -> bool:
        row = self.current_row()
        if row is None or row.status == "cancelled" or not self.ctx.store.actor.can(Permission.RECORD_VISITS):
            return False
        dialog = OutcomeDialog(row, clock.today(), self.table.window())
        if not dialogs.run(dialog):
            return False
        outcome = dialog.outcome()
        try:
            referrals.record_outcome(self.ctx.store, row.id, outcome, dialog.on(),
                                     dialog.summary.text() if outcome == "feedback" else "")
        except StoreError as exc:
            dialogs.error(self.table.window(), tr("Not saved"), exc.text())
            return False
        self._after_change(row.id, tr("Slip {number}: {outcome}.").format(
            number=row.number, outcome=tr(OUTCOMES[outcome])))
        return True

    def cancel_slip(self) -> bool:
        row = self.current_row()
        if row is None or row.status == "cancelled" or not self.ctx.store.actor.can(Permission.RECORD_VISITS):
            return False
        dialog = CancelDialog(row, self.table.window())
        if not dialogs.run(dialog):
            return False
        try:
            referrals.cancel(self.ctx.store, row.id, dialog.reason.text())
        except StoreError as exc:
            dialogs.error(self.table.window(), tr("Not saved"), exc.text())
            return False
        self._after_change(row.id, tr("Slip {number} cancelled; its number stays in the book.").format(
            number=row.number))
        return True

    def edit_slip(self) -> None:
        row = self.current_row()
        if row is None or row.status == "cancelled" or not self.ctx.store.actor.can(Permission.AMEND_RECORDS):
            return
        edit_referral(self.ctx, row.id, self.table.window())

    def preview(self) -> PdfPreviewDialog | None:
        row = self.current_row()
        if row is None:
            return None
        return preview_slip(self.ctx, row.id, self.table.window())

    def open_patient(self) -> None:
        row = self.current_row()
        if row is not None:
            self.ctx.open_patient.emit(row.patient_id)

    def _after_change(self, referral_id: int, text: str) -> None:
        self.reload()
        self.select(referral_id)
        self.ctx.notify({Change.REFERRALS, Change.FOLLOWUPS}, self)  # (this view is up to date)
        self.status.setText(text)


# -- the view ---------------------------------------------------------------------------------------
class ReferralsView(QWidget, ReferralActions):
    """The referral book of a period, with the actions on the selected slip."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._stale = False
        self._operation: background.Operation | None = None
        self.book_preview: PdfPreviewDialog | None = None

        self.title = heading(tr("Referral book"))
        self.start = DateEdit()
        self.end = DateEdit()
        for edit in (self.start, self.end):
            edit.setMaximumWidth(120)
            edit.returnPressed.connect(lambda: self.reload())
        self.show_button = QPushButton(tr("Show"))
        self.show_button.clicked.connect(lambda: self.reload())
        self.month_button = QPushButton(tr("This month"))
        self.month_button.clicked.connect(lambda: self.show_month())
        self.year_button = QPushButton(tr("This year"))
        self.year_button.clicked.connect(lambda: self.show_year())
        self.period_problem = QLabel()
        self.period_problem.setStyleSheet(f"color: {ERROR_COLOUR};")
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(QLabel(tr("From")))
        top.addWidget(self.start)
        top.addWidget(QLabel(tr("to")))
        top.addWidget(self.end)
        top.addWidget(self.show_button)
        top.addWidget(self.month_button)
        top.addWidget(self.year_button)

        self.model = ReferralBookModel(self)
        self.table = book_table(self.model)
        self.table.activated.connect(lambda _index: self.open_patient())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())

        self.outcome_button = QPushButton(tr("Record outcome…") + " (Ctrl+R)")
        self.outcome_button.clicked.connect(lambda: self.record_outcome())
        self.cancel_button = QPushButton(tr("Cancel slip…"))
        self.cancel_button.clicked.connect(lambda: self.cancel_slip())
        self.edit_button = QPushButton(tr("Correct slip…"))
        self.edit_button.clicked.connect(lambda: self.edit_slip())
        self.preview_button = QPushButton(tr("Preview / reprint slip…") + " (Ctrl+P)")
        self.preview_button.clicked.connect(lambda: self.preview())
        self.open_button = QPushButton(tr("Open the patient") + " (Enter)")
        self.open_button.clicked.connect(lambda: self.open_patient())
        self.book_button = QPushButton(tr("Print the book (PDF)…"))
        self.book_button.clicked.connect(lambda: self.print_book())
        actions = QHBoxLayout()
        for button in (self.outcome_button, self.cancel_button, self.edit_button, self.preview_button):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.open_button)
        self.status = QLabel()
        self.status.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.period_problem)
        bottom.addWidget(self.book_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addLayout(bottom)

        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        shortcut("Ctrl+R", self, lambda: self.record_outcome(), context)
        shortcut(QKeySequence.StandardKey.Print, self, lambda: self.preview(), context)
        ctx.subscribe(self, {Change.REFERRALS, Change.PATIENTS}, self._changed)
        self.show_month(reload=False)
        self.reload()

    # -- the period -----------------------------------------------------------------------------
    def show_month(self, reload: bool = True) -> None:
        today = clock.today()
        first = today.replace(day=1)
        self.start.set_date(first)
        self.end.set_date(add_months(first, 1) - dt.timedelta(days=1))
        if reload:
            self.reload()

    def show_year(self) -> None:
        today = clock.today()
        self.start.set_date(dt.date(today.year, 1, 1))
        self.end.set_date(dt.date(today.year, 12, 31))
        self.reload()

    def set_period(self, start: dt.date | None, end: dt.date | None) -> None:
        self.start.set_date(start)
        self.end.set_date(end)
        self.reload()

    def period(self) -> tuple[dt.date | None, dt.date | None] | None:
        """The period typed, or None (and a message) when a date cannot be read."""
        try:
            start, end = self.start.date(), self.end.date()
        except DateFormatError:
            self.period_problem.setText(tr("Write the dates as dd/mm/yyyy."))
            return None
        if start and end and end < start:
            self.period_problem.setText(tr("The period ends before it starts."))
            return None
        self.period_problem.clear()
        return start, end

    # -- what is shown ----------------------------------------------------------------------------
    def activate(self) -> None:
        if self._stale:
            self.reload()
        self.table.setFocus()

    def _changed(self) -> None:
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    def reload(self) -> None:
        period = self.period()
        if period is None:
            return
        self._stale = False
        current = self.current_row()
        rows = referrals.book(self.ctx.store, *period)
        self.model.set_rows(rows, clock.today())
        if current is not None and self.model.row_of(current.id) is not None:
            self.select(current.id)
        elif rows:
            self.table.setCurrentIndex(self.model.index(len(rows) - 1, 0))
        cancelled = sum(1 for r in rows if r.status == "cancelled")
        waiting = sum(1 for r in rows if r.status != "cancelled" and r.outcome == "sent")
        self.status.setText(tr("{count} slips · {cancelled} cancelled · {waiting} without news").format(
            count=fmt_int(len(rows)), cancelled=fmt_int(cancelled), waiting=fmt_int(waiting)))
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.current_row()
        live = row is not None and row.status != "cancelled"
        actor = self.ctx.store.actor
        for button in (self.outcome_button, self.cancel_button):
            button.setEnabled(live and actor.can(Permission.RECORD_VISITS))
        amend = actor.can(Permission.AMEND_RECORDS)
        self.edit_button.setEnabled(live and amend)
        self.edit_button.setToolTip("" if amend else tr("Only the head of the station can correct an issued slip."))
        self.preview_button.setEnabled(row is not None)
        self.open_button.setEnabled(row is not None)

    # -- the printed book ---------------------------------------------------------------------------
    def print_book(self) -> background.Operation | None:
        """Render the book of the period off the GUI thread, then preview it."""
        period = self.period()
        if period is None or (self._operation is not None and self._operation.running):
            return None
        start, end = period
        rows = referrals.book(self.ctx.store, start, end)
        slips = [s for r in rows if (s := referrals.for_book(self.ctx.store, r.id)) is not None]
        station = referrals.station_for_print(self.ctx.profile)
        today = clock.today()

        def work(progress: Any) -> bytes:
            from station_app.printing.referral_book import referral_book_bytes  # reportlab, when first printing

            progress(0, 1)
            return referral_book_bytes(slips, station, start=start, end=end, printed_on=today)

        def done(data: bytes) -> None:
            name = "so-chuyen-tuyen"
            if start:
                name += f"-{start:%Y%m%d}"
            if end:
                name += f"-{end:%Y%m%d}"
            self.book_preview = show_pdf(self.window(), data, tr("Referral book"), name + ".pdf",
                                         **audited(lambda: self.ctx.store, "referral_book", {
                                             "from": start.isoformat() if start else None,
                                             "to": end.isoformat() if end else None}))

        def failed(exc: BaseException) -> None:
            dialogs.error(self, tr("Not printed"), tr("The referral book could not be made: {error}").format(
                error=str(exc)))

        self._operation = background.run(self, tr("Preparing the referral book…"), work, done, failed)
        return self._operation


# -- the patient's tab ------------------------------------------------------------------------------
class PatientReferralsTab(QWidget, ReferralActions):
    """A patient's slips, newest first, with "New referral…" and the same actions as the book."""

    def __init__(self, ctx: AppContext, patient: Patient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.patient = patient
        self.model = ReferralBookModel(self)
        self.table = book_table(self.model)
        self.table.setColumnHidden(ReferralBookModel.PATIENT, True)
        self.table.activated.connect(lambda _index: self.preview())
        self.new_button = QPushButton(tr("New referral…"))
        self.new_button.clicked.connect(lambda: self.new_referral())
        self.preview_button = QPushButton(tr("Preview / reprint slip…"))
        self.preview_button.clicked.connect(lambda: self.preview())
        self.outcome_button = QPushButton(tr("Record outcome…"))
        self.outcome_button.clicked.connect(lambda: self.record_outcome())
        self.status = QLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.outcome_button)
        buttons.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        ctx.subscribe(self, {Change.REFERRALS}, self.reload)
        self.reload()

    def reload(self) -> None:
        if self.patient.id is None:
            return
        rows = sorted(referrals.for_patient(self.ctx.store, self.patient.id), key=lambda r: r.issued_at,
                      reverse=True)
        self.model.set_rows(rows, clock.today())
        if rows:
            self.table.setCurrentIndex(self.model.index(0, 0))
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.current_row()
        records = self.ctx.store.actor.can(Permission.RECORD_VISITS)
        self.preview_button.setEnabled(row is not None)
        self.outcome_button.setEnabled(row is not None and row.status != "cancelled" and records)
        self.new_button.setEnabled(records)

    def new_referral(self) -> None:
        """A new slip from today's latest visit of the patient (or from the record alone)."""
        today = clock.today()
        latest = [v for v in visits.for_patient(self.ctx.store, self.patient.id or 0) if v.visit_at.date() == today]
        visit = max(latest, key=lambda v: v.visit_at) if latest else None
        new_referral(self.ctx, self.patient, visit, self.window())


def referrals_tab(ctx: AppContext, patient: Patient) -> QWidget:
    """The patient page's Referrals tab (declared in ``ui/wiring.py``)."""
    return PatientReferralsTab(ctx, patient)
