"""Hôm nay's panel of notifiable diseases: each open notification (patient, disease, group, found,
due by — overdue in red) until someone marks it sent; the case report opens in the PDF preview."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from station_app import clock
from station_app.domain.accounts import Permission
from station_app.i18n import N_, tr
from station_app.store import StoreError, audit, notifications
from station_app.ui import dialogs
from station_app.ui.context import AppContext, Change
from station_app.ui.extensions import TodayPanelWidget
from station_app.ui.widgets import ERROR_COLOUR, heading

TITLE = N_("Communicable diseases to report ({count})")
COLUMNS = (N_("Patient"), N_("Disease"), N_("Group"), N_("Detected at"), N_("Report due by"), N_("Status"))
MARK_SENT = N_("Mark as reported")
CASE_REPORT = N_("Case report (PDF)…")
MARK_SENT_QUESTION = N_("Has the case of {disease} of {name} been reported to the district health centre?")


class NotificationsPanel(TodayPanelWidget):
    """Hidden while there is nothing to report."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = heading("", 1.1)
        self.title.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([tr(c) for c in COLUMNS])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setMaximumHeight(160)
        self.table.verticalHeader().setVisible(False)
        self.table.itemActivated.connect(self._open_patient)
        self.sent_button = QPushButton(tr(MARK_SENT))
        self.sent_button.clicked.connect(self.mark_sent)
        self.report_button = QPushButton(tr(CASE_REPORT))
        self.report_button.clicked.connect(self.case_report)
        buttons = QHBoxLayout()
        buttons.addWidget(self.report_button)
        buttons.addWidget(self.sent_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.shown: list[notifications.Notification] = []
        self.preview: QWidget | None = None
        ctx.subscribe(self, {Change.VISITS, Change.PATIENTS}, self.refresh)

    def refresh(self) -> None:
        try:
            self.shown = notifications.listing(self.ctx.store, open_only=True)
        except StoreError:
            self.shown = []
        now = clock.now()
        self.title.setText(tr(TITLE).format(count=len(self.shown)))
        self.table.setRowCount(len(self.shown))
        for row, n in enumerate(self.shown):
            status = n.status(now)
            cells = [n.full_name, f"{n.disease_name} ({n.code})", n.group, n.detected_at.strftime("%d/%m/%Y %H:%M"),
                     n.due_by.strftime("%d/%m/%Y %H:%M"), tr(notifications.STATUS_TITLES[status])]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, n.id)
                if status == notifications.OVERDUE:
                    item.setForeground(QBrush(QColor(ERROR_COLOUR)))
                self.table.setItem(row, col, item)
        if self.shown and self.table.currentRow() < 0:
            self.table.selectRow(0)
        self.sent_button.setEnabled(self.ctx.store.actor.can(Permission.RECORD_VISITS))
        self.setVisible(bool(self.shown))

    def current(self) -> notifications.Notification | None:
        row = self.table.currentRow()
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def _open_patient(self, item: QTableWidgetItem) -> None:
        found = self.current()
        if found is not None:
            self.ctx.open_patient.emit(found.patient_id)

    def mark_sent(self) -> None:
        found = self.current()
        if found is None:
            return
        # Marked sent, the case leaves Hôm nay for good: a slip of the key must not do it.
        if not dialogs.ask(self, tr(MARK_SENT), tr(MARK_SENT_QUESTION).format(
                disease=found.disease_name, name=found.full_name), yes=tr(MARK_SENT)):
            return
        try:
            notifications.mark_sent(self.ctx.store, found.id)
        except StoreError as exc:
            dialogs.error(self, tr(MARK_SENT), exc.text())
        self.refresh()

    def case_report(self) -> None:
        from station_app.printing.case_report import case_report_pdf
        from station_app.ui.pdf_preview import show_pdf

        found = self.current()
        if found is None:
            return
        store = self.ctx.store

        def printed() -> str:
            audit.record_output(store, Permission.PRINT, audit.PRINT, ("notification", found.id),
                                {"document": "case_report"}, patient_id=found.patient_id)
            return ""

        data = case_report_pdf(store, found.id)
        self.preview = show_pdf(self, data, f"{found.disease_name} — {found.full_name}",
                                f"bao-cao-ca-benh-{found.id}.pdf", printed,
                                can_print=store.actor.can(Permission.PRINT))
