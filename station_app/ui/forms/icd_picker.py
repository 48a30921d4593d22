"""The ICD-10 picker: type "tang huyet ap" or "I10", choose from the list, get code + name."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
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

    def _edited(self, _text: str) -> None:
        self.diagnosis = None
        self._timer.start()

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
