"""Small shared widgets: field rows with their problem text, headings, the date entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QDate, QDateTime, QEvent, QObject, QSize, QStringListModel, Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QPainter, QPaintEvent, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFrame,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QStatusBar,
    QVBoxLayout,
    QWidget,
)

from station_app.domain.dates import DateFormatError, parse_date
from station_app.domain.problems import Problem
from station_app.domain.text import fold, nfc

ERROR_COLOUR = "#b3261e"
FOCUS_COLOUR = "#0b57d0"
# Where the keyboard is, visible at a glance on every control (the platform's own focus frame is a
# faint line on buttons and check boxes): a blue frame, and a tint on the choices.
FOCUS_STYLE = f"""
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus, QAbstractSpinBox:focus, QComboBox:focus {{
    border: 2px solid {FOCUS_COLOUR}; border-radius: 3px; background: #fffdf2;
}}
QPushButton:focus {{
    border: 2px solid {FOCUS_COLOUR}; border-radius: 3px; background: #e8f0fe; padding: 0px 2px;
}}
QCheckBox:focus, QRadioButton:focus {{ background: #d3e3fd; border: 1px solid {FOCUS_COLOUR}; border-radius: 3px; }}
QAbstractItemView:focus {{ border: 2px solid {FOCUS_COLOUR}; }}
"""
WARNING_COLOUR = "#8a5a00"
OK_COLOUR = "#1e6b35"


def heading(text: str, scale: float = 1.35) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(True)
    label.setFont(font)
    return label


def error_label() -> QLabel:
    """A dialog's message line for what went wrong: red, wrapped, empty until told."""
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {ERROR_COLOUR};")
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


class VillageBox(QComboBox):
    """The village: one of the station's villages, completed from what is typed without accents
    ("thon t" offers "Thôn Tây" first); Enter takes the first match and never submits the form."""

    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.names = [n for n in names if n]
        self.addItem("")
        self.addItems(self.names)
        self._model = QStringListModel(self)
        self._completer = QCompleter(self._model, self)
        self._completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self._completer.activated.connect(self.setCurrentText)  # (the text chosen)
        line = self.lineEdit()
        assert line is not None
        line.setCompleter(self._completer)
        line.textEdited.connect(self._edited)
        line.installEventFilter(self)

    def matches(self, typed: str) -> list[str]:
        """The villages whose name starts with the typed text, then those with a word that does;
        accents and case ignored."""
        key = fold(nfc(typed))
        if not key:
            return []
        first = [n for n in self.names if fold(n).startswith(key)]
        then = [
            n for n in self.names
            if n not in first and any(" ".join(fold(n).split()[i:]).startswith(key) for i in range(len(n.split())))
        ]
        return first + then

    def _edited(self, text: str) -> None:
        found = self.matches(text)
        self._model.setStringList(found)
        if found and self.hasFocus():
            self._completer.complete()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.lineEdit()
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)  # type: ignore[attr-defined]
        ):
            popup = self._completer.popup()
            if popup is not None and popup.isVisible() and popup.currentIndex().isValid():
                return False  # the line chosen in the list
            if popup is not None:
                popup.hide()
            text = self.currentText()
            if text.strip() and text not in self.names and (found := self.matches(text)):
                self.setCurrentText(found[0])
            return True  # never the form's Save
        return super().eventFilter(watched, event)


class ListBox(VillageBox):
    """A choice from an official list, completed as the village is (accents and case ignored, a
    name's start first, then a word's), that also finds a name by the other ways it is written
    (``aliases``: "lam ruong" offers the farmer). Free text stays possible; ``exact`` tells whether
    the text is one of the list's names."""

    def __init__(
        self, names: list[str], aliases: dict[str, tuple[str, ...]] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(names, parent)
        self._folded = [(n, fold(nfc(n))) for n in self.names]
        self._aliases = [
            (name, fold(nfc(alias))) for name, several in (aliases or {}).items() for alias in several
        ]
        self._known = set(self.names)

    def matches(self, typed: str) -> list[str]:
        key = fold(nfc(typed)).strip()
        if not key:
            return []
        first = [n for n, f in self._folded if f.startswith(key)]
        seen = set(first)
        then = [n for n, f in self._folded if n not in seen and f" {key}" in f" {f}"]
        seen.update(then)
        also: list[str] = []
        for name, alias in self._aliases:
            if name not in seen and (alias.startswith(key) or f" {key}" in f" {alias}"):
                also.append(name)
                seen.add(name)
        return first + then + also

    def exact(self) -> bool:
        return self.currentText() in self._known


def keep_on_screen(window: QWidget) -> None:
    """Move a window so that all of it, title bar included, is on its screen's available area (a
    dialog centred over a window low on a 1366×768 screen would put its buttons below the edge).
    Its size is its own business (the forms fit themselves to the screen and scroll inside); one
    taller or wider than the screen is put at its top left."""
    screen = window.screen()
    if screen is None:
        return
    available = screen.availableGeometry()
    frame = window.frameGeometry()
    x = max(min(frame.x(), available.right() + 1 - frame.width()), available.left())
    y = max(min(frame.y(), available.bottom() + 1 - frame.height()), available.top())
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)


class StatusBar(QStatusBar):
    """A status bar whose messages never run under its permanent widgets (the station's name, the
    patient count, the lock): a long message is shortened in the middle, whole in its tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # As QMainWindow's own: the bar never makes the window wider than the screen.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._permanent: list[QWidget] = []

    def addPermanentWidget(self, widget: QWidget, stretch: int | None = 0) -> None:
        self._permanent.append(widget)
        super().addPermanentWidget(widget, stretch or 0)

    def room(self) -> int:
        """The width a message has, left of the first permanent widget shown."""
        shown = [w.geometry().x() for w in self._permanent if w.isVisible()]
        return max((min(shown) if shown else self.width()) - 16, 40)

    def showMessage(self, text: str, timeout: int | None = 0) -> None:
        self.setToolTip(text)
        shown = self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle, self.room())
        super().showMessage(shown, timeout or 0)


class ElidedLabel(QLabel):
    """A one-line label that gives up its width first: shortened in the middle ("…") when there is
    no room, whole in its tooltip (the database's path beside the station's name)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:  # Qt's name
        super().setText(text)
        self.setToolTip(text)

    def minimumSizeHint(self) -> QSize:  # Qt's name
        return QSize(40, super().minimumSizeHint().height())

    def shown_text(self) -> str:
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideMiddle, max(self.width(), 0))

    def paintEvent(self, _event: QPaintEvent) -> None:  # Qt's name
        painter = QPainter(self)
        painter.setPen(self.palette().windowText().color())
        left_middle = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        painter.drawText(self.rect(), left_middle, self.shown_text())
        painter.end()


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
