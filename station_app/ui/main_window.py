"""The main window: the navigation bar of the station's areas, the status bar, the shortcuts."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow, QStackedWidget, QWidget

from station_app import APP_NAME
from station_app.domain.visit import Visit
from station_app.i18n import tr
from station_app.store import patients
from station_app.ui.context import AppContext, Change, settings
from station_app.ui.extensions import Wiring
from station_app.ui.qt_i18n import fmt_int
from station_app.ui.widgets import ElidedLabel, StatusBar, shortcut


class MainWindow(QMainWindow):
    """The areas (``wiring.areas``, in order) in a stack beside the navigation bar."""

    def __init__(self, ctx: AppContext, wiring: Wiring, font_scale: float = 1.0,
                 on_language: Callable[[str], None] | None = None,
                 on_font_scale: Callable[[float], None] | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.wiring = wiring
        self.areas = wiring.areas
        self.font_scale = font_scale
        self._on_language = on_language
        self._on_font_scale = on_font_scale
        self.views = _Views(self)
        self._close_when_idle: QTimer | None = None  # (closed while work ran: it closes once the work ends)
        self.nav = QListWidget()
        self.stack = QStackedWidget()
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.nav.currentRowChanged.connect(self._switch)
        self.setStatusBar(StatusBar(self))  # messages shortened to fit beside the station's name
        self.status_file = ElidedLabel()  # the first to give up room on a narrow screen
        self.status_station = QLabel()
        self.status_count = QLabel()
        self.statusBar().addWidget(self.status_file, 1)
        self.statusBar().addPermanentWidget(self.status_station)
        self.statusBar().addPermanentWidget(self.status_count)
        self.build(self._remembered_row())
        ctx.subscribe(self, {Change.PATIENTS, Change.PROFILE}, self.update_status)
        ctx.open_patient.connect(self.open_patient)
        ctx.new_visit.connect(self.start_visit)
        ctx.edit_patient.connect(self.edit_patient)
        ctx.show_place.connect(self.show_place)
        for index in range(len(self.areas)):
            shortcut(f"Alt+{index + 1}", self, functools.partial(self.nav.setCurrentRow, index))
        self._restore()

    # -- building (again, after a language change) ---------------------------------------------
    def build(self, row: int | None = None) -> None:
        """(Re)build the navigation and the areas; each area's view is made when first shown
        (``self.views[key]``), so opening a large station builds only the area it opens on."""
        current = self.nav.currentRow() if row is None else row
        self.nav.blockSignals(True)
        self.nav.clear()
        while self.stack.count():
            widget = self.stack.widget(0)
            assert widget is not None  # (count() > 0)
            self.stack.removeWidget(widget)
            widget.deleteLater()
        self.views = _Views(self)
        for area in self.areas:
            item = QListWidgetItem(tr(area.title))
            item.setData(Qt.ItemDataRole.UserRole, area.key)
            self.nav.addItem(item)
            self.stack.addWidget(QWidget())  # stands in for the view until it is made
        width = max(self.nav.sizeHintForColumn(0), 120) + 36
        self.nav.setFixedWidth(width)
        self.nav.setStyleSheet(
            "QListWidget { background: #1f4e5f; color: white; border: none; padding-top: 8px; }"
            "QListWidget::item { padding: 10px 12px; }"
            "QListWidget::item:selected { background: #f2f5f7; color: #1f4e5f; font-weight: bold; }"
        )
        self.nav.setCurrentRow(max(current, 0))
        self.nav.blockSignals(False)
        self._switch(self.nav.currentRow())  # once: the area's view is made and filled a single time
        self.update_status()

    def _make_view(self, key: str) -> QWidget:
        return next(a for a in self.areas if a.key == key).make(self)

    def connect_settings(self, view: QWidget) -> None:
        """The settings view changes the language and the text size through the session."""
        if self._on_language:
            view.language_chosen.connect(self._on_language)  # type: ignore[attr-defined]
        if self._on_font_scale:
            view.font_scale_chosen.connect(self._on_font_scale)  # type: ignore[attr-defined]

    def _switch(self, row: int) -> None:
        if row < 0:
            return
        view = self.views[self.areas[row].key]
        self.stack.setCurrentIndex(row)
        if hasattr(view, "activate"):
            view.activate()

    def show_area(self, key: str) -> QWidget:
        index = self.keys().index(key)
        self.nav.setCurrentRow(index)
        return self.views[key]

    def current_area(self) -> str:
        return self.areas[self.nav.currentRow()].key

    def keys(self) -> list[str]:
        return [a.key for a in self.areas]

    # -- patient actions -----------------------------------------------------------------------
    def open_patient(self, patient_id: int) -> None:
        registry = self.show_area("patients")
        registry.open_patient(patient_id)  # type: ignore[attr-defined]

    def edit_patient(self, patient_id: int) -> None:
        self.open_patient(patient_id)
        edit = getattr(self.views["patients"], "edit", None)
        if edit is not None:
            edit(patient_id)

    def show_place(self, key: str, place: str) -> None:
        """An area with one of its places shown and given the keyboard (``view.show_place``)."""
        view = self.show_area(key)
        show = getattr(view, "show_place", None)
        if place and show is not None:
            show(place)

    def start_visit(self, patient_id: int) -> None:
        from station_app.ui.forms.visit_form import VisitForm

        patient = patients.get(self.ctx.store, patient_id)
        if patient is None:
            return
        form = VisitForm(self.ctx, patient, parent=self)
        self._visit_form = form
        form.saved.connect(self._after_visit)
        form.open()

    def _after_visit(self, visit: Visit) -> None:
        for follow_on in self.wiring.after_visit:
            follow_on(self.ctx, visit, self)

    # -- status and title ----------------------------------------------------------------------
    def update_status(self) -> None:
        profile = self.ctx.profile
        name = profile.name or tr("(station name not set)")
        self.setWindowTitle(f"{APP_NAME} — {name}")
        self.status_file.setText(tr("Database: {path}").format(path=self.ctx.db_path))
        self.status_station.setText(name)
        self.status_count.setText(tr("{count} patients").format(count=fmt_int(patients.count(self.ctx.store))))

    # -- remembering size and view ----------------------------------------------------------------
    def _remembered_row(self) -> int:
        last = settings().value("window/area", "today")
        keys = self.keys()
        return keys.index(last) if last in keys else 0

    def _restore(self) -> None:
        s = settings()
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(geometry)
        else:
            self.resize(1366, 768)

    def save_state(self) -> None:
        s = settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/area", self.current_area())
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        from station_app.ui import background

        if background.busy():
            # An export, a claims run, a backup… still running: cut off, it would leave its work half
            # done (and its thread destroyed while it runs aborts Trạm). The window stays until it has
            # ended and been told as usual, then closes by itself; the status bar says why.
            event.ignore()
            self.statusBar().showMessage(tr(background.FINISHING))
            if self._close_when_idle is None:
                timer = QTimer(self)
                timer.setInterval(100)
                timer.timeout.connect(self._close_if_idle)
                timer.start()
                self._close_when_idle = timer
            return
        self.save_state()
        super().closeEvent(event)

    def _close_if_idle(self) -> None:
        from PySide6.QtWidgets import QApplication

        from station_app.ui import background

        if background.busy() or QApplication.activeModalWidget() is not None:  # (its result still being read)
            return
        assert self._close_when_idle is not None
        self._close_when_idle.stop()
        self._close_when_idle = None
        if self.isVisible():  # (unless it was hidden meanwhile: a log-out)
            self.close()


class _Views(Mapping[str, QWidget]):
    """The areas' views by key, each made on first use and put in its place in the stack."""

    def __init__(self, window: MainWindow) -> None:
        self._window = window
        self._made: dict[str, QWidget] = {}

    def __getitem__(self, key: str) -> QWidget:
        if key not in self._made:
            index = self._window.keys().index(key)  # ValueError for an unknown area, as before
            window = self._window
            view = window._make_view(key)
            self._made[key] = view
            stand_in = window.stack.widget(index)
            assert stand_in is not None  # (every area has its place)
            current = window.stack.currentIndex()
            window.stack.insertWidget(index, view)
            window.stack.removeWidget(stand_in)
            stand_in.deleteLater()
            window.stack.setCurrentIndex(current)
        return self._made[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._window.keys())

    def __len__(self) -> int:
        return len(self._window.areas)

    def made(self) -> list[str]:
        """The areas whose view exists already."""
        return list(self._made)
