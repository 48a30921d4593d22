"""An area whose feature is still to come: it says what will be there, it is not blank."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from station_app.i18n import tr
from station_app.ui.widgets import heading


class PlaceholderView(QWidget):
    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(tr(title)))
        body = QLabel(tr(text))
        body.setWordWrap(True)
        body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(body)
        layout.addStretch(1)

    def activate(self) -> None:
        pass
