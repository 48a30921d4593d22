"""Preview a PDF in the app (QtPdf), print it through the system print dialog, or save it.

The PDF arrives as bytes (the printing modules render without Qt). Printing draws each page,
rendered by QtPdf at ``PRINT_DPI``, into the printer's painter, so it works with any printer
driver. After a print the ``printed`` callback runs (the referral store counts it: a reprint is
a copy).

Two seams keep tests from blocking on a modal dialog: ``print_dialog`` (a function
``(printer, parent) -> bool`` that sets up the printer instead of the system dialog) and
``choose_path`` (``(parent, title, suggested) -> str`` instead of the file dialog).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRect, QSize, QStandardPaths, Qt
from PySide6.QtGui import QKeySequence, QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from station_app.domain.accounts import Permission
from station_app.files import write_atomic
from station_app.i18n import tr
from station_app.store import Store, StoreError, audit
from station_app.ui import dialogs
from station_app.ui.widgets import shortcut

PRINT_DPI = 300

# In tests: (printer, parent) -> bool, set up the printer (e.g. to a PDF file) instead of showing
# the system print dialog; False = the dialog was cancelled.
print_dialog: Callable[[QPrinter, QWidget | None], bool] | None = None
# In tests: (parent, title, suggested path) -> the chosen path ("" = cancelled).
choose_path: Callable[[QWidget | None, str, str], str] | None = None


def _ask_print(printer: QPrinter, parent: QWidget | None) -> bool:
    if print_dialog is not None:
        return print_dialog(printer, parent)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(tr("Print"))
    return dialog.exec() == QDialog.DialogCode.Accepted


def _ask_path(parent: QWidget | None, title: str, suggested: str) -> str:
    if choose_path is not None:
        return choose_path(parent, title, suggested)
    path, _chosen = QFileDialog.getSaveFileName(
        parent, title, suggested, tr("PDF files (*.pdf)"), options=QFileDialog.Option.DontUseNativeDialog
    )
    return path


class PdfPreviewDialog(QDialog):
    """A PDF on screen with Print… (Ctrl+P), Save PDF… (Ctrl+Shift+S) and Close (Esc)."""

    def __init__(
        self,
        data: bytes,
        title: str,
        file_name: str,
        parent: QWidget | None = None,
        printed: Callable[[], str] | None = None,
        can_print: bool = True,
        saved: Callable[[Path], str] | None = None,
    ) -> None:
        """``file_name`` is the suggested name for Save PDF…; ``printed`` runs after each print
        and returns a line for the status (e.g. "Printed as a copy"), ``saved`` after each PDF
        saved (both record it in the audit log: see ``audited``). Without ``can_print`` (the
        person's role may not print) the document can be looked at only."""
        super().__init__(parent)
        self.data = data
        self.file_name = file_name
        self._printed = printed
        self._saved = saved
        self.setWindowTitle(title)

        self._bytes = QByteArray(data)
        self._buffer = QBuffer(self)
        self._buffer.setData(self._bytes)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument(self)
        self.document.load(self._buffer)

        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setPageSpacing(12)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.whole_page = QCheckBox(tr("Whole page"))
        self.whole_page.toggled.connect(self._zoom)
        self.print_button = QPushButton(tr("Print…") + " (Ctrl+P)")
        self.print_button.clicked.connect(lambda: self.print_document())
        self.save_button = QPushButton(tr("Save PDF…"))
        self.save_button.clicked.connect(lambda: self.save_pdf())
        self.close_button = QPushButton(tr("Close") + " (Esc)")
        self.close_button.clicked.connect(self.reject)
        for button in (self.print_button, self.save_button, self.close_button):
            button.setAutoDefault(False)
        self.print_button.setDefault(True)
        self.can_print = can_print
        for button in (self.print_button, self.save_button):
            button.setEnabled(can_print)
            if not can_print:
                button.setToolTip(tr("Your role may not print documents."))

        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.whole_page)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.print_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        shortcut(QKeySequence.StandardKey.Print, self, lambda: self.print_document())
        shortcut("Ctrl+Shift+S", self, lambda: self.save_pdf())
        QWidget.setTabOrder(self.print_button, self.save_button)
        QWidget.setTabOrder(self.save_button, self.close_button)
        QWidget.setTabOrder(self.close_button, self.whole_page)

        pages = self.document.pageCount()
        self.status.setText(tr("{pages} pages").format(pages=pages) if pages != 1 else tr("1 page"))
        self._fit_screen()
        self.print_button.setFocus()

    def _zoom(self, whole: bool) -> None:
        """The whole page in sight (to check the layout) or the page's width (to read it)."""
        self.view.setZoomMode(QPdfView.ZoomMode.FitInView if whole else QPdfView.ZoomMode.FitToWidth)

    def _fit_screen(self) -> None:
        """A page as wide as it reads well, as tall as the screen allows."""
        available = self.screen().availableGeometry()
        size = self.document.pagePointSize(0) if self.document.pageCount() else None
        landscape = size is not None and size.width() > size.height()
        width = 1100 if landscape else 820
        self.resize(min(width, available.width() - 40), max(available.height() - 60, 400))

    # -- printing --------------------------------------------------------------------------------
    def page_count(self) -> int:
        return self.document.pageCount()

    def print_document(self) -> bool:
        """Ask for a printer and print every page; True when it was printed."""
        if self.page_count() == 0 or not self.can_print:
            return False
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.windowTitle())
        first = self.document.pagePointSize(0)
        orientation = (
            QPageLayout.Orientation.Landscape if first.width() > first.height() else QPageLayout.Orientation.Portrait
        )
        printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        printer.setPageOrientation(orientation)
        printer.setFromTo(1, self.page_count())
        if not _ask_print(printer, self):
            return False
        if not self._paint(printer):
            dialogs.error(self, tr("Not printed"), tr("The printer could not be started."))
            return False
        note = self._printed() if self._printed else ""
        self.status.setText(note or tr("Sent to the printer."))
        return True

    def _pages(self, printer: QPrinter) -> list[int]:
        first, last = printer.fromPage(), printer.toPage()
        count = self.page_count()
        if printer.printRange() == QPrinter.PrintRange.PageRange and first > 0:
            return list(range(first - 1, min(last or count, count)))
        return list(range(count))

    def _paint(self, printer: QPrinter) -> bool:
        painter = QPainter()
        if not painter.begin(printer):
            return False
        try:
            pages = self._pages(printer)
            for n, page in enumerate(pages):
                if n:
                    printer.newPage()
                points = self.document.pagePointSize(page)
                pixels = QSize(round(points.width() / 72 * PRINT_DPI), round(points.height() / 72 * PRINT_DPI))
                image = self.document.render(page, pixels)
                target = printer.pageLayout().paintRectPixels(printer.resolution())
                # the page scaled into the printable area, centred, keeping its proportions
                scale = min(target.width() / pixels.width(), target.height() / pixels.height())
                w, h = round(pixels.width() * scale), round(pixels.height() * scale)
                origin = QPointF((target.width() - w) / 2, (target.height() - h) / 2)
                painter.drawImage(QRect(round(origin.x()), round(origin.y()), w, h), image)
        finally:
            painter.end()
        return True

    # -- saving ----------------------------------------------------------------------------------
    def suggested_path(self) -> str:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        return str(Path(folder) / self.file_name) if folder else self.file_name

    def save_pdf(self, path: str | os.PathLike[str] | None = None) -> Path | None:
        """Write the PDF (asks where when ``path`` is None); the written path, or None."""
        if not self.can_print:
            return None
        if path is None:
            path = _ask_path(self, tr("Save PDF"), self.suggested_path())
            if not path:
                return None
        target = Path(path)
        if target.suffix.lower() != ".pdf":
            target = target.with_name(target.name + ".pdf")
        try:
            written = write_atomic(target, self.data)
        except OSError as exc:
            dialogs.error(self, tr("Not saved"), tr("The file could not be written: {error}").format(
                error=exc.strerror or str(exc)))
            return None
        note = self._saved(written) if self._saved else ""
        self.status.setText(note or tr("Saved to {path}.").format(path=written))
        return written


def show_pdf(
    parent: QWidget | None,
    data: bytes,
    title: str,
    file_name: str,
    printed: Callable[[], str] | None = None,
    can_print: bool = True,
    saved: Callable[[Path], str] | None = None,
) -> PdfPreviewDialog:
    """Open the preview (window-modal, without blocking) and return it."""
    dialog = PdfPreviewDialog(data, title, file_name, parent, printed, can_print, saved)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def audited(store: Callable[[], Store], target: audit.Target, details: dict[str, object],
            patient_id: int | None = None) -> dict[str, Any]:
    """``printed`` and ``saved`` for ``show_pdf`` that record the print, or the PDF saved, in the
    audit log (``PRINT``) as ``target``; a refusal or a failure to record is the status line."""

    def record(where: dict[str, object]) -> str:
        try:
            audit.record_output(store(), Permission.PRINT, audit.PRINT, target, {**details, **where},
                                patient_id=patient_id)
        except StoreError as exc:
            return exc.text()
        return ""

    return {
        "printed": lambda: record({"output": "printer"}),
        "saved": lambda path: record({"file": path.name}),
        "can_print": store().actor.can(Permission.PRINT),
    }
