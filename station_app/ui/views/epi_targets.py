"""Cài đặt › Chỉ tiêu tiêm chủng: the head enters each year's target population (children under 1,
pregnant women) that the report's immunisation coverage is measured against."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QPushButton, QSpinBox, QWidget

from station_app import clock
from station_app.domain.accounts import Permission
from station_app.domain.coverage import MAX_TARGET, TARGET_GROUPS, TARGET_TITLES
from station_app.errors import UserError
from station_app.i18n import tr
from station_app.store import epi_targets
from station_app.ui import dialogs
from station_app.ui.context import AppContext, Change


class EpiTargetsBox(QGroupBox):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(tr("Immunisation targets (for coverage in the report)"), parent)
        self.ctx = ctx
        form = QFormLayout(self)
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(clock.today().year)
        self.year.valueChanged.connect(lambda _y: self.load())
        form.addRow(tr("Year"), self.year)
        self.counts: dict[str, QSpinBox] = {}
        for group in TARGET_GROUPS:
            spin = QSpinBox()
            spin.setRange(0, MAX_TARGET)
            spin.setGroupSeparatorShown(True)
            if ctx.store.actor.can(Permission.EDIT_STATION):
                spin.lineEdit().returnPressed.connect(self.save)  # Enter saves, as the button does
            self.counts[group] = spin
            form.addRow(tr(TARGET_TITLES[group]), spin)
        self.save_button = QPushButton(tr("Save the targets"))
        self.save_button.clicked.connect(self.save)
        form.addRow("", self.save_button)
        if not ctx.store.actor.can(Permission.EDIT_STATION):
            self.save_button.hide()
            for spin in self.counts.values():
                spin.setReadOnly(True)
            note = QLabel(tr("Only the head of station enters the targets."))
            note.setWordWrap(True)
            form.addRow(note)
        self.load()

    def load(self) -> None:
        found = epi_targets.targets(self.ctx.store, self.year.value())
        for group, spin in self.counts.items():
            spin.setValue(found.get(group, 0))

    def save(self) -> None:
        values = {group: spin.value() for group, spin in self.counts.items()}
        try:
            epi_targets.save_targets(self.ctx.store, self.year.value(), values)
        except UserError as exc:
            dialogs.error(self, tr("Not saved"), exc.text())
            return
        self.ctx.notify({Change.PROFILE}, self)
        dialogs.info(self, tr("Immunisation targets"), tr("Saved."))
