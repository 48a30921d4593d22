"""The export dialog: which list (registry, visit log, follow-up list, referral book), which
period, CSV or XLSX, and whether to leave out citizen ID, insurance number and phone; the file is
written off the GUI thread by ``reports.exports`` (which records it in the audit log)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from station_app import clock
from station_app.domain.dates import DateFormatError
from station_app.i18n import N_, tr
from station_app.reports import exports
from station_app.store import Store
from station_app.ui import dialogs, operations
from station_app.ui.context import AppContext
from station_app.ui.operations import Progress
from station_app.ui.qt_i18n import fmt_int
from station_app.ui.widgets import DateEdit

# In tests: a function (parent, suggested path) -> chosen path, instead of the save dialog.
ask_save_path: Callable[[QWidget, str], str] | None = None

WHAT_NAMES = {
    "patients": N_("Patient registry (every patient)"),
    "visits": N_("Visit log of a period"),
    "followups": N_("Follow-up list (as of today)"),
    "referrals": N_("Referral book of a period"),
}
FORMAT_NAMES = {"xlsx": N_("Excel workbook (.xlsx)"), "csv": N_("CSV for any program (.csv, UTF-8)")}


class ExportDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None, what: str = "patients") -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(tr("Export a list"))
        self.what = QComboBox()
        for key in exports.WHATS:
            self.what.addItem(tr(WHAT_NAMES[key]), key)
        self.what.setCurrentIndex(max(self.what.findData(what), 0))
        today = clock.today()
        self.start = DateEdit()
        self.start.set_date(today.replace(day=1))
        self.end = DateEdit()
        self.end.set_date(today)
        self.format = QComboBox()
        for key in exports.FORMATS[::-1]:
            self.format.addItem(tr(FORMAT_NAMES[key]), key)
        self.no_identifiers = QCheckBox(tr("Leave out citizen ID, insurance card number and phone"))
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b3261e;")
        form = QFormLayout()
        form.addRow(tr("Which list") + ":", self.what)
        form.addRow(tr("From") + ":", self.start)
        form.addRow(tr("Until (inclusive)") + ":", self.end)
        form.addRow(tr("File format") + ":", self.format)
        form.addRow(self.no_identifiers)
        buttons = dialogs.DialogButtons(self, tr("Export to Excel…"), tr("Cancel"), self.export)
        self.save_button = buttons.accept_button
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.what.currentIndexChanged.connect(self._period_shown)
        self._period_shown()
        self._op: operations.Operation | None = None
        self.result_path: Path | None = None

    def reject(self) -> None:
        if self._op is not None and self._op.running:
            return  # the file is being written: the dialog closes by itself when it is done
        super().reject()

    def _period_shown(self) -> None:
        dated = self.what.currentData() in ("visits", "referrals")
        self.start.setEnabled(dated)
        self.end.setEnabled(dated)

    def _path(self, suggested: str) -> str:
        if ask_save_path is not None:
            return ask_save_path(self, suggested)
        fmt = self.format.currentData()
        pattern = tr("Excel workbook (*.xlsx)") if fmt == "xlsx" else tr("CSV (*.csv)")
        path, _ = QFileDialog.getSaveFileName(self, tr("Export a list"), suggested, pattern)
        return path

    def export(self) -> None:
        what, fmt = str(self.what.currentData()), str(self.format.currentData())
        start = end = None
        if what in ("visits", "referrals"):
            try:
                start, end = self.start.date(), self.end.date()
            except DateFormatError:
                self.problem.setText(tr("Write the dates as dd/mm/yyyy."))
                return
            if start and end and end < start:
                self.problem.setText(tr("The end of the period is before its start."))
                return
        self.problem.clear()
        stem = {"patients": "benh-nhan", "visits": "luot-kham", "followups": "nhac-hen", "referrals": "chuyen-tuyen"}
        chosen = self._path(str(Path.home() / f"{stem[what]}-{clock.today():%Y%m%d}.{fmt}"))
        if not chosen:
            return
        if not chosen.lower().endswith("." + fmt):
            chosen += "." + fmt
        identifiers = not self.no_identifiers.isChecked()
        today = clock.today()

        def work(store: Store, _progress: Progress) -> exports.ExportResult:
            return exports.export(store, what, chosen, fmt, start=start, end=end, identifiers=identifiers,
                                  today=today)

        self.save_button.setEnabled(False)
        self._op = operations.run_op(self, self.ctx, tr("Exporting…"), work, self._done, on_error=self._failed)

    def _done(self, result: exports.ExportResult) -> None:
        self.save_button.setEnabled(True)
        self.result_path = result.path
        dialogs.info(self, tr("Export a list"), tr("{count} rows written to {path}.").format(
            count=fmt_int(result.rows), path=result.path))
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        dialogs.error(self, tr("Export a list"), tr("The list was not exported: {reason}").format(reason=reason))


def open_dialog(ctx: AppContext, parent: QWidget | None = None, what: str = "patients") -> ExportDialog:
    dialog = ExportDialog(ctx, parent, what)
    dialog.open()
    return dialog
