"""The patient registry: search as you type over every patient, register, open a patient's page."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from station_app.i18n import tr
from station_app.store import patients
from station_app.ui.context import AppContext, Change
from station_app.ui.extensions import ListAction, PatientPageParts
from station_app.ui.models import PatientTableModel
from station_app.ui.qt_i18n import fmt_int
from station_app.ui.views.patient_page import PatientPage
from station_app.ui.widgets import shortcut

SEARCH_LIMIT = 500

class RegistryList(QWidget):
    def __init__(self, ctx: AppContext, registry: RegistryView, actions: tuple[ListAction, ...] = ()) -> None:
        super().__init__()
        self.ctx = ctx
        self.registry = registry
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("Search: name (accents optional), record no., citizen ID, card or phone"))
        self.search.setClearButtonEnabled(True)
        self.register_button = QPushButton(tr("Register a patient") + " (Ctrl+R)")
        self.register_button.clicked.connect(registry.register)
        self.count_label = QLabel()
        # "gần đúng": shown when some of the patients listed were found only with the query read
        # with a typing slip, so the nurse knows the name was not found as typed.
        self.approx_label = QLabel()
        self.approx_label.setObjectName("approximate")
        self.approx_label.setStyleSheet("QLabel#approximate { background: #fff3cd; color: #664d03;"
                                        " border: 1px solid #e0c36a; border-radius: 3px; padding: 1px 6px; }")
        self.approx_label.setToolTip(tr("Not found as typed: these names differ by a letter or two, words "
                                        "run together, or Telex/VNI keys left in. Check the name."))
        self.approx_label.hide()
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.register_button)
        self.action_buttons: dict[str, QPushButton] = {}
        for action in actions:
            if action.permission is not None and not ctx.store.actor.can(action.permission):
                continue
            button = QPushButton(tr(action.title))
            button.clicked.connect(lambda _checked=False, act=action: act.run(ctx, self))
            self.action_buttons[action.title] = button
            top.addWidget(button)

        self.model = PatientTableModel(ctx.store, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 12)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        widths = (90, 240, 80, 110, 140, 120)
        for column, width in enumerate(widths):
            self.table.setColumnWidth(column, int(width * self.table.fontMetrics().height() / 17))
        self.table.activated.connect(lambda index: registry.open_patient(self.model.id_at(index.row())))

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label)
        bottom.addWidget(self.approx_label)
        bottom.addStretch(1)
        layout.addLayout(bottom)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(self._timer.start)
        self.search.returnPressed.connect(self._open_current)
        self.search.installEventFilter(self)
        self.table.installEventFilter(self)
        shortcut("Ctrl+N", self.table, self._visit_current, Qt.ShortcutContext.WidgetShortcut)
        shortcut("Ctrl+F", self, self.focus_search)
        self._all_ids: list[int] | None = None
        ctx.subscribe(self, {Change.PATIENTS}, self._data_changed)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Down arrow from the search box goes into the results.
        if watched is self.search and event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Down:  # type: ignore[attr-defined]
            self.table.setFocus()
            if self.model.rowCount():
                self.table.selectRow(max(self.table.currentIndex().row(), 0))
            return True
        # Typing a name in the results starts a new search: the old text is replaced, not added to.
        if watched is self.table and event.type() == QEvent.Type.KeyPress:
            text = event.text()  # type: ignore[attr-defined]
            modifiers = event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier  # type: ignore[attr-defined]
            if text and text.isprintable() and not text.isspace() and modifiers == Qt.KeyboardModifier.NoModifier:
                self.focus_search()
                self.search.insert(text)
                return True
        return super().eventFilter(watched, event)

    def _data_changed(self) -> None:
        self._all_ids = None
        self.run_search()

    def run_search(self) -> None:
        text = self.search.text().strip()
        if text:
            found = patients.find(self.ctx.store, text, limit=SEARCH_LIMIT)
            ids = found.ids
            self.model.set_ids(ids)
            close = len(ids) - found.exact
            self.approx_label.setText(tr("{count} close matches, not as typed").format(count=fmt_int(close)))
            self.approx_label.setVisible(close > 0)
            if len(ids) >= SEARCH_LIMIT:
                self.count_label.setText(tr("The first {count} matches; type more to narrow down.").format(
                    count=fmt_int(len(ids))))
            else:
                self.count_label.setText(tr("{count} patients found").format(count=fmt_int(len(ids))))
        else:
            if self._all_ids is None:
                self._all_ids = patients.all_ids(self.ctx.store)
            self.model.set_ids(self._all_ids)
            self.count_label.setText(tr("{count} patients").format(count=fmt_int(len(self._all_ids))))
            self.approx_label.hide()
        if self.model.rowCount():
            self.table.selectRow(0)

    def current_id(self) -> int | None:
        index = self.table.currentIndex()
        row = index.row() if index.isValid() else 0
        return self.model.id_at(row)

    def _open_current(self) -> None:
        self._timer.stop()
        self.run_search()
        patient_id = self.current_id()
        if patient_id is not None:
            self.registry.open_patient(patient_id)

    def _visit_current(self) -> None:
        patient_id = self.current_id()
        if patient_id is not None:
            self.ctx.new_visit.emit(patient_id)


class RegistryView(QWidget):
    """The Bệnh nhân area: the list, and a patient's page in its place when one is opened."""

    def __init__(self, ctx: AppContext, actions: tuple[ListAction, ...] = (),
                 page: PatientPageParts | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.stack = QStackedWidget()
        self.list = RegistryList(ctx, self, actions)
        self.page = PatientPage(ctx, page or PatientPageParts())
        self.page.back.connect(self.show_list)
        self.page.edit_requested.connect(self.edit)
        self.stack.addWidget(self.list)
        self.stack.addWidget(self.page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        shortcut("Ctrl+R", self, self.register)

    def activate(self) -> None:
        if self.list.model.rowCount() == 0 and not self.list.search.text():
            self.list.run_search()
        if self.stack.currentWidget() is self.list:
            self.list.focus_search()

    def show_list(self) -> None:
        self.stack.setCurrentWidget(self.list)
        self.list.table.setFocus()

    def open_patient(self, patient_id: int | None) -> None:
        if patient_id is None:
            return
        self.page.show_patient(patient_id)
        self.stack.setCurrentWidget(self.page)
        self.page.new_visit_button.setFocus()

    def register(self) -> None:
        from station_app.ui.forms.patient_form import PatientForm

        form = PatientForm(self.ctx, parent=self)
        form.saved.connect(lambda p: self.open_patient(p.id))
        form.open_existing.connect(self.open_patient)
        name = self.list.search.text().strip()
        if name and not any(ch.isdigit() for ch in name):
            form.full_name.setText(name)
        form.open()

    def edit(self, patient_id: int) -> None:
        from station_app.ui.forms.patient_form import PatientForm

        patient = patients.get(self.ctx.store, patient_id)
        if patient is None:
            return
        form = PatientForm(self.ctx, patient, parent=self)
        form.open()
