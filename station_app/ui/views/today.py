"""Hôm nay: the quick search (focused on start), today's counts, the last patients seen."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from station_app import clock
from station_app.domain.patient import Patient
from station_app.i18n import tr
from station_app.store import patients, visits
from station_app.ui.context import AppContext, Change
from station_app.ui.extensions import Counter, TodayPanel
from station_app.ui.models import birth_text
from station_app.ui.qt_i18n import fmt_int
from station_app.ui.widgets import heading


def patient_line(p: Patient) -> str:
    return "   ".join(x for x in (p.record_no or "", p.full_name, birth_text(p), p.village, p.phone) if x)


class CountCard(QFrame):
    def __init__(self, title: str) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.value = heading("—", 2.2)
        self.title = QLabel(title)
        layout = QVBoxLayout(self)
        layout.addWidget(self.value, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.title, alignment=Qt.AlignmentFlag.AlignHCenter)


class TodayView(QWidget):
    def __init__(self, ctx: AppContext, counters: tuple[Counter, ...] = (), panels: tuple[TodayPanel, ...] = (),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.greeting = heading("")
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("Find a patient: type a name, phone or number, then Enter"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumHeight(self.search.fontMetrics().height() + 18)
        self.results = QListWidget()
        self.results.setMaximumHeight(220)
        self.results.hide()
        self.results.itemActivated.connect(self._open_item)

        self.cards: list[tuple[CountCard, Counter]] = []
        cards = QGridLayout()
        for i, counter in enumerate(counters):
            card = CountCard(tr(counter.title))
            self.cards.append((card, counter))
            cards.addWidget(card, 0, i)

        self.recent = QListWidget()
        self.recent.itemActivated.connect(self._open_item)

        layout = QVBoxLayout(self)
        layout.addWidget(self.greeting)
        layout.addWidget(self.search)
        layout.addWidget(self.results)
        layout.addLayout(cards)
        self.panels = [make(ctx) for make in panels]
        for panel in self.panels:
            layout.addWidget(panel)
        recent_header = QHBoxLayout()
        recent_header.addWidget(heading(tr("Last patients seen"), 1.1))
        recent_header.addStretch(1)
        layout.addLayout(recent_header)
        layout.addWidget(self.recent, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self._search)
        self.search.textChanged.connect(self._timer.start)
        self.search.returnPressed.connect(self._open_first)
        ctx.subscribe(self, {Change.VISITS, Change.PATIENTS, Change.FOLLOWUPS}, self.refresh)

    def activate(self) -> None:
        self.refresh()
        # Back on Hôm nay the next name typed replaces the last one searched.
        self.search.setFocus()
        self.search.selectAll()

    def refresh(self) -> None:
        today = clock.today()
        self.greeting.setText(tr("Today, {date}").format(date=today.strftime("%d/%m/%Y")))
        for card, counter in self.cards:
            value = counter.count(self.ctx.store, today)
            card.value.setText("—" if value is None else fmt_int(value))
        for panel in self.panels:
            panel.refresh()
        self.recent.clear()
        ids = visits.recent_patient_ids(self.ctx.store, 12)
        found = patients.get_many(self.ctx.store, ids)
        for patient_id in ids:
            if patient_id in found:
                item = QListWidgetItem(patient_line(found[patient_id]))
                item.setData(Qt.ItemDataRole.UserRole, patient_id)
                self.recent.addItem(item)

    def _search(self) -> None:
        text = self.search.text().strip()
        self.results.clear()
        if not text:
            self.results.hide()
            return
        for p in patients.search(self.ctx.store, text, limit=8):
            item = QListWidgetItem(patient_line(p))
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            self.results.addItem(item)
        if not self.results.count():
            self.results.addItem(QListWidgetItem(tr("No patient matches.")))
        self.results.setCurrentRow(0)
        self.results.show()

    def _open_first(self) -> None:
        self._timer.stop()
        self._search()
        item = self.results.currentItem()
        if item is not None:
            self._open_item(item)

    def _open_item(self, item: QListWidgetItem) -> None:
        patient_id = item.data(Qt.ItemDataRole.UserRole)
        if patient_id is not None:
            self.ctx.open_patient.emit(int(patient_id))
