"""The ICD-10 picker: type "tang huyet ap" or "I10", choose from the list, get code + name."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

from station_app.i18n import language
from station_app.store import Store
from station_app.store.icd10 import Diagnosis, get, search


class Icd10Picker(QLineEdit):
    """A line edit completing ICD-10 codes and names from the shipped catalogue."""

    chosen = Signal(object)  # Diagnosis

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.diagnosis: Diagnosis | None = None
        self._choices: dict[str, Diagnosis] = {}
        self._model = QStringListModel(self)
        self._completer = QCompleter(self._model, self)
        self._completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._completer.setMaxVisibleItems(12)
        self._completer.activated.connect(self._activated)
        self.setCompleter(self._completer)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self._lookup)
        self.textEdited.connect(self._edited)
        self.textChanged.connect(self._changed)
        popup = self._completer.popup()
        assert popup is not None
        self._popup = popup
        popup.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Enter in the open list with nothing highlighted takes the first match.
        if (
            watched is self._popup
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)  # type: ignore[attr-defined]
            and not self._popup.currentIndex().isValid()
        ):
            self._popup.hide()
            self.take_first()
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter before the list has opened (typed fast) takes the first match too; it never
        # reaches the form (no accidental save).
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        ):
            if self._popup.isVisible() and self._popup.currentIndex().isValid():
                event.ignore()  # the line chosen in the list: the list takes it
                return
            if self.diagnosis is None and self.text().strip():
                self.take_first()
            event.accept()
            return
        super().keyPressEvent(event)

    def take_first(self) -> None:
        """Choose the first match of what is typed (the exact code when one is typed)."""
        self._timer.stop()
        if self.resolve() is not None:
            self.chosen.emit(self.diagnosis)
            return
        found = search(self.store, self.text(), limit=1)
        if found:
            self.set_diagnosis(found[0])
            self.chosen.emit(found[0])

    def _edited(self, _text: str) -> None:
        self.diagnosis = None
        self._timer.start()

    def _changed(self, text: str) -> None:
        # Text put in by the program (a correction form filled in) is no longer the chosen diagnosis.
        if self.diagnosis is not None and text != self._label(self.diagnosis):
            self.diagnosis = None

    def _label(self, d: Diagnosis) -> str:
        return f"{d.code}  {d.name(language())}"

    def _lookup(self) -> None:
        found = search(self.store, self.text(), limit=25)
        self._choices = {self._label(d): d for d in found}
        self._model.setStringList(list(self._choices))
        if found and self.hasFocus():
            self._completer.complete()

    def _activated(self, text: str) -> None:
        d = self._choices.get(text)
        if d:
            self.set_diagnosis(d)
            self.chosen.emit(d)

    def set_diagnosis(self, d: Diagnosis | None) -> None:
        self.diagnosis = d
        self.blockSignals(True)
        self.setText(self._label(d) if d else "")
        self.blockSignals(False)

    def set_code(self, code: str) -> None:
        self.set_diagnosis(get(self.store, code) if code else None)

    def resolve(self) -> Diagnosis | None:
        """The chosen diagnosis, or the one whose exact code was typed."""
        if self.diagnosis:
            return self.diagnosis
        text = self.text().strip().split()
        if text:
            from station_app.domain.icd10 import normalise_code

            code = normalise_code(text[0])
            if code:
                found = get(self.store, code)
                if found:
                    self.set_diagnosis(found)
                    return found
        return None
