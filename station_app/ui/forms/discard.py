"""Closing a form with typed-in work asks first (Esc, Cancel and the window's close button).

A nurse who presses Esc by habit must not lose a half-typed record; a form left untouched
closes at once. The guard compares what the editors hold now with what they held when the form
was filled; an editor of lines in a table (the prescription) gives its lines (``form_value``).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from station_app.i18n import tr
from station_app.ui import dialogs


@runtime_checkable
class HoldsValue(Protocol):
    """An editor whose value is not in its child widgets (a table of lines): it gives it itself."""

    def form_value(self) -> object: ...


def _in_item_view(widget: QWidget, root: QWidget) -> bool:
    """True for a cell's editor of a table or list (it comes and goes as cells are edited)."""
    parent = widget.parentWidget()
    while parent is not None and parent is not root:
        if isinstance(parent, QAbstractItemView):
            return True
        parent = parent.parentWidget()
    return False


def form_state(root: QWidget) -> tuple[object, ...]:
    """What every editor under ``root`` holds, in a comparable form."""
    values: list[object] = []
    for child in root.findChildren(QWidget):
        if isinstance(child, HoldsValue):
            values.append(child.form_value())
        if _in_item_view(child, root):
            continue
        if isinstance(child, QLineEdit) and not isinstance(child.parent(), (QComboBox, QAbstractSpinBox)):
            values.append(child.text())
        elif isinstance(child, (QPlainTextEdit, QTextEdit)):
            values.append(child.toPlainText())
        elif isinstance(child, QComboBox):
            values.append(child.currentText())
        elif isinstance(child, QAbstractSpinBox):
            values.append(child.text())
        elif isinstance(child, QAbstractButton) and child.isCheckable():
            values.append(child.isChecked())
    return tuple(values)


class DiscardGuard:
    def __init__(self, form: QWidget) -> None:
        self.form = form
        self.clean = form_state(form)

    def mark_clean(self) -> None:
        self.clean = form_state(self.form)

    def dirty(self) -> bool:
        return form_state(self.form) != self.clean

    def may_close(self) -> bool:
        """True when nothing was typed, or the nurse agrees to throw it away."""
        if not self.dirty():
            return True
        return dialogs.ask(
            self.form,
            tr("Discard what you typed?"),
            tr("This form has changes that are not saved. Close it and lose them?"),
        )
