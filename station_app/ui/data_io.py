"""Importing, exporting and the patient record summary in the app: "Import from Excel…" and
"Export…" (beside "Register a patient" in the Bệnh nhân list, and a section of the settings for the
head of station and the administrator), and the "Record summary" tab of a patient's page that saves
everything held about the person as a PDF. (Where they appear: ``ui/wiring.py``.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from station_app import clock
from station_app.domain.accounts import Permission
from station_app.domain.patient import Patient
from station_app.i18n import tr
from station_app.store import Store
from station_app.ui import dialogs, operations
from station_app.ui.context import AppContext
from station_app.ui.operations import Progress

if TYPE_CHECKING:  # (imported when first used: see start_import and start_export)
    from station_app.ui import export_dialog, import_wizard

# In tests: a function (parent, suggested path) -> chosen path, instead of the save dialog.
ask_summary_path: Callable[[QWidget, str], str] | None = None


def _may(ctx: AppContext, permission: Permission) -> bool:
    """Whether the logged-in person may import or export (the store checks it again)."""
    return ctx.store.actor.can(permission)


def start_import(ctx: AppContext, parent: QWidget | None = None) -> import_wizard.ImportWizard | None:
    if not _may(ctx, Permission.IMPORT):
        dialogs.warning(parent, tr("Import a list from Excel or CSV"),
                        tr("Only the head of station or the administrator can import lists."))
        return None
    from station_app.ui import import_wizard  # (imported when first used, not at start)

    return import_wizard.open_wizard(ctx, parent)


def start_export(ctx: AppContext, parent: QWidget | None = None) -> export_dialog.ExportDialog | None:
    if not _may(ctx, Permission.EXPORT):
        dialogs.warning(parent, tr("Export a list"),
                        tr("Only the head of station or the administrator can export lists."))
        return None
    from station_app.ui import export_dialog  # (imported when first used, not at start)

    return export_dialog.open_dialog(ctx, parent)


# -- the settings' section ---------------------------------------------------------------------------
def data_section(ctx: AppContext) -> QWidget | None:
    if not (_may(ctx, Permission.IMPORT) or _may(ctx, Permission.EXPORT)):
        return None
    box = QGroupBox(tr("Data in and out"))
    text = QLabel(tr("Bring in the station's Excel lists (patients, chronic-disease register) or give the "
                     "district a list in Excel."))
    text.setWordWrap(True)
    row = QHBoxLayout()
    importing = QPushButton(tr("Import from Excel…"))
    importing.clicked.connect(lambda: start_import(ctx, box))
    if not _may(ctx, Permission.IMPORT):
        importing.hide()
    exporting = QPushButton(tr("Export to Excel…"))
    exporting.clicked.connect(lambda: start_export(ctx, box))
    if not _may(ctx, Permission.EXPORT):
        exporting.hide()
    row.addWidget(importing)
    row.addWidget(exporting)
    row.addStretch(1)
    layout = QVBoxLayout(box)
    layout.addWidget(text)
    layout.addLayout(row)
    return box


# -- the patient's page ------------------------------------------------------------------------------
class SummaryTab(QWidget):
    """What is held about the patient, as a PDF to give them."""

    def __init__(self, ctx: AppContext, patient: Patient) -> None:
        super().__init__()
        self.ctx = ctx
        self.patient = patient
        text = QLabel(tr("A PDF of everything the station holds about this person: identity, visits, "
                         "diagnoses, programmes, follow-ups, referrals and who opened the record. Give it to "
                         "a person who asks what is kept about them."))
        text.setWordWrap(True)
        self.button = QPushButton(tr("Save the record summary as PDF…"))
        self.button.clicked.connect(self.save)
        if not ctx.store.actor.can(Permission.PRINT):
            self.button.hide()
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(row)
        layout.addStretch(1)
        self._op: operations.Operation | None = None
        self.saved: Path | None = None

    def _path(self, suggested: str) -> str:
        if ask_summary_path is not None:
            return ask_summary_path(self, suggested)
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(self, tr("Save the record summary as PDF…"), suggested, "PDF (*.pdf)")
        return path

    def save(self) -> None:
        pid = self.patient.id
        if pid is None:
            return
        record = (self.patient.record_no or str(pid)).replace("/", "-")
        chosen = self._path(str(Path.home() / f"ho-so-{record}.pdf"))
        if not chosen:
            return
        if not chosen.lower().endswith(".pdf"):
            chosen += ".pdf"
        today = clock.today()

        def work(store: Store, _progress: Progress) -> Path:
            from station_app.printing.patient_summary import write_summary

            return write_summary(store, pid, chosen, today)

        # The window owns the worker: this tab is rebuilt whenever the patient's page reloads.
        self._op = operations.run_op(self.window(), self.ctx, tr("Writing the record summary…"), work, self._done,
                                     on_error=self._failed)

    def _done(self, path: Path) -> None:
        self.saved = path
        dialogs.info(None, tr("Record summary (PDF)"), tr("File saved: {path}").format(path=path))

    def _failed(self, exc: BaseException) -> None:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        dialogs.error(None, tr("Record summary (PDF)"),
                      tr("The summary was not saved: {reason}").format(reason=reason))
