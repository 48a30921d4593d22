"""Small shared widgets: field rows with their problem text, headings, the date entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QDate, QDateTime, Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QVBoxLayout, QWidget

from station_app.domain.dates import DateFormatError, parse_date
from station_app.domain.problems import Problem

ERROR_COLOUR = "#b3261e"
WARNING_COLOUR = "#8a5a00"
OK_COLOUR = "#1e6b35"


def heading(text: str, scale: float = 1.35) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(True)
    label.setFont(font)
    return label


def hline() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


class ProblemLabel(QLabel):
    """The message shown under a field: red for an error, amber for a warning."""

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.hide()

    def show_problems(self, problems: list[Problem]) -> None:
        if not problems:
            self.clear()
            self.hide()
            return
        worst = "error" if any(p.is_error for p in problems) else "warning"
        colour = ERROR_COLOUR if worst == "error" else WARNING_COLOUR
        self.setStyleSheet(f"color: {colour};")
        self.setText("\n".join(("⚠ " if not p.is_error else "✖ ") + p.text() for p in problems))
        self.show()


class FieldBox(QWidget):
    """An input with its problem label underneath."""

    def __init__(self, editor: QWidget) -> None:
        super().__init__()
        self.editor = editor
        self.problem = ProblemLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(editor)
        layout.addWidget(self.problem)

    def set_problems(self, problems: list[Problem]) -> None:
        self.problem.show_problems(problems)
        bad = any(p.is_error for p in problems)
        # A row of widgets (date, "estimated" box, age) marks its input only: a style sheet
        # set on the row would frame every child.
        target = self.editor.focusProxy() or self.editor
        target.setProperty("invalid", bad)
        target.setStyleSheet(f"border: 2px solid {ERROR_COLOUR};" if bad else "")


class DateEdit(QLineEdit):
    """A date typed as dd/mm/yyyy (fast from the keyboard); empty means no date."""

    date_changed = Signal()

    def __init__(self, placeholder: str = "dd/mm/yyyy") -> None:
        super().__init__()
        self.setPlaceholderText(placeholder)
        self.setMaxLength(10)
        self.textChanged.connect(lambda _t: self.date_changed.emit())
        self.setAlignment(Qt.AlignmentFlag.AlignLeft)

    def date(self) -> dt.date | None:
        """The date, ``None`` when empty; raises ``DateFormatError`` when not a date."""
        text = self.text().strip()
        if not text:
            return None
        return parse_date(text)

    def valid(self) -> bool:
        try:
            self.date()
        except DateFormatError:
            return False
        return True

    def set_date(self, value: dt.date | None) -> None:
        self.setText(value.strftime("%d/%m/%Y") if value else "")


def shortcut(keys: QKeySequence | QKeySequence.StandardKey | Qt.Key | str, parent: QWidget, slot: Callable[[], object],
             context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut) -> QShortcut:
    """A keyboard shortcut on ``parent`` that calls ``slot``."""
    made = QShortcut(QKeySequence(keys), parent)
    made.setContext(context)
    made.activated.connect(slot)
    return made


def qt_datetime(value: dt.datetime) -> QDateTime:
    """A Python date and time (to the second) for a Qt editor."""
    return QDateTime(value.year, value.month, value.day, value.hour, value.minute, value.second)


def py_datetime(value: QDateTime) -> dt.datetime:
    """A Qt editor's date and time as Python's."""
    found = value.toPython()
    assert isinstance(found, dt.datetime)
    return found


def py_date(value: QDate) -> dt.date:
    """A Qt editor's date as Python's."""
    return dt.date(value.year(), value.month(), value.day())
