"""The main window: the navigation bar of the station's areas, the status bar, the shortcuts."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow, QStackedWidget, QWidget

from station_app import APP_NAME
from station_app.i18n import N_, tr
from station_app.store import patients
from station_app.ui.context import AppContext, settings
from station_app.ui.qt_i18n import fmt_int
from station_app.ui.views.placeholder import PlaceholderView
from station_app.ui.views.registry import RegistryView
from station_app.ui.views.today import TodayView
from station_app.ui.views.visit_log import VisitLogView

# The areas, in the order of the navigation bar: (key, title).
AREAS = (
    ("today", N_("Today")),
    ("patients", N_("Patients")),
    ("visits", N_("Visits")),
    ("followups", N_("Follow-ups")),
    ("referrals", N_("Referrals")),
    ("reports", N_("Reports")),
    ("settings", N_("Settings")),
    ("medicines", N_("Medicines")),
)

# Until their feature lands, these areas say what will be there.
COMING = {
    "followups": (N_("Follow-ups"), N_(
        "Who is due or overdue: chronic-disease refills, child vaccinations, antenatal visits and checks "
        "after a visit, with the outcome of each call. This area is being built.")),
    "referrals": (N_("Referrals"), N_(
        "The referral book: every referral slip printed on the Ministry of Health form, its number, "
        "destination and outcome. This area is being built.")),
}

# Feature modules replace a placeholder with their view: key -> factory(ctx) -> QWidget.
VIEW_FACTORIES: dict[str, Callable[[AppContext], QWidget]] = {}
# Feature modules act on a visit just saved from the visit form: hook(window, visit).
AFTER_VISIT_SAVED: list[Callable[[MainWindow, object], None]] = []


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext, font_scale: float = 1.0,
                 on_language: Callable[[str], None] | None = None,
                 on_font_scale: Callable[[float], None] | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.font_scale = font_scale
        self._on_language = on_language
        self._on_font_scale = on_font_scale
        self.views = _Views(self)
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
        self.status_file = QLabel()
        self.status_station = QLabel()
        self.status_count = QLabel()
        self.statusBar().addWidget(self.status_file, 1)
        self.statusBar().addPermanentWidget(self.status_station)
        self.statusBar().addPermanentWidget(self.status_count)
        self.build(self._remembered_row())
        ctx.patients_changed.connect(self.update_status)
        ctx.profile_changed.connect(self.update_status)
        ctx.open_patient.connect(self.open_patient)
        ctx.new_visit.connect(self.start_visit)
        for index in range(len(AREAS)):
            QShortcut(QKeySequence(f"Alt+{index + 1}"), self, activated=lambda i=index: self.nav.setCurrentRow(i))
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
            self.stack.removeWidget(widget)
            widget.deleteLater()
        self.views = _Views(self)
        for key, title in AREAS:
            item = QListWidgetItem(tr(title))
            item.setData(Qt.ItemDataRole.UserRole, key)
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
        if key in VIEW_FACTORIES:
            return VIEW_FACTORIES[key](self.ctx)
        if key == "today":
            return TodayView(self.ctx)
        if key == "patients":
            return RegistryView(self.ctx)
        if key == "visits":
            return VisitLogView(self.ctx)
        if key == "settings":
            from station_app.ui.views.settings import SettingsView

            view = SettingsView(self.ctx, self.font_scale)
            if self._on_language:
                view.language_chosen.connect(self._on_language)
            if self._on_font_scale:
                view.font_scale_chosen.connect(self._on_font_scale)
            return view
        title, text = COMING[key]
        return PlaceholderView(title, text)

    def _switch(self, row: int) -> None:
        if row < 0:
            return
        view = self.views[AREAS[row][0]]
        self.stack.setCurrentIndex(row)
        if hasattr(view, "activate"):
            view.activate()  # type: ignore[attr-defined]

    def show_area(self, key: str) -> QWidget:
        index = [k for k, _ in AREAS].index(key)
        self.nav.setCurrentRow(index)
        return self.views[key]

    def current_area(self) -> str:
        return AREAS[self.nav.currentRow()][0]

    # -- patient actions -----------------------------------------------------------------------
    def open_patient(self, patient_id: int) -> None:
        registry = self.show_area("patients")
        registry.open_patient(patient_id)  # type: ignore[attr-defined]

    def start_visit(self, patient_id: int) -> None:
        from station_app.ui.forms.visit_form import VisitForm

        patient = patients.get(self.ctx.store, patient_id)
        if patient is None:
            return
        form = VisitForm(self.ctx, patient, parent=self)
        self._visit_form = form
        form.saved.connect(lambda visit: [hook(self, visit) for hook in AFTER_VISIT_SAVED])
        form.open()

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
        keys = [k for k, _ in AREAS]
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
        self.save_state()
        super().closeEvent(event)


class _Views(Mapping[str, QWidget]):
    """The areas' views by key, each made on first use and put in its place in the stack."""

    def __init__(self, window: MainWindow) -> None:
        self._window = window
        self._made: dict[str, QWidget] = {}

    def __getitem__(self, key: str) -> QWidget:
        if key not in self._made:
            index = [k for k, _ in AREAS].index(key)  # ValueError for an unknown area, as before
            window = self._window
            view = window._make_view(key)
            self._made[key] = view
            stand_in = window.stack.widget(index)
            current = window.stack.currentIndex()
            window.stack.insertWidget(index, view)
            window.stack.removeWidget(stand_in)
            stand_in.deleteLater()
            window.stack.setCurrentIndex(current)
        return self._made[key]

    def __iter__(self) -> Iterator[str]:
        return iter(k for k, _ in AREAS)

    def __len__(self) -> int:
        return len(AREAS)

    def made(self) -> list[str]:
        """The areas whose view exists already."""
        return list(self._made)
