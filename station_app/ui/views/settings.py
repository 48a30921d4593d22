"""Cài đặt: language and text size, the station profile printed on forms, staff, villages."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from station_app import i18n
from station_app.domain.accounts import Permission
from station_app.i18n import N_, tr
from station_app.store import StoreError
from station_app.store.schema import SCHEMA_VERSION
from station_app.store.station import (
    StaffMember,
    StationProfile,
    load_profile,
    save_profile,
    save_staff,
    save_villages,
    staff,
    villages,
)
from station_app.ui import dialogs
from station_app.ui.context import FONT_SCALES, AppContext, Change
from station_app.ui.extensions import SettingsSection
from station_app.ui.views.epi_targets import EpiTargetsBox

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
SIZE_NAMES = (N_("Normal"), N_("Large"), N_("Larger"), N_("Largest"))
PROFILE_FIELDS = (
    ("name", N_("Station name")),
    ("governing_body", N_("Governing body (printed header)")),
    ("commune", N_("Commune")),
    ("province", N_("Province")),
    ("facility_code", N_("Facility code")),
    ("address", N_("Address")),
    ("phone", N_("Phone")),
    ("head_name", N_("Head of station")),
    ("head_title", N_("Head's title")),
)


class SettingsView(QWidget):
    language_chosen = Signal(str)
    font_scale_chosen = Signal(float)

    def __init__(self, ctx: AppContext, font_scale: float, sections: tuple[SettingsSection, ...] = (),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx

        display = QGroupBox(tr("Display"))
        dform = QFormLayout(display)
        self.language = QComboBox()
        for code in i18n.LANGUAGES:
            self.language.addItem(LANGUAGE_NAMES[code], code)
        self.language.setCurrentIndex(self.language.findData(i18n.language()))
        self.language.currentIndexChanged.connect(lambda _i: self.language_chosen.emit(self.language.currentData()))
        self.text_size = QComboBox()
        for scale, name in zip(FONT_SCALES, SIZE_NAMES, strict=True):
            self.text_size.addItem(tr(name), scale)
        closest = min(range(len(FONT_SCALES)), key=lambda i: abs(FONT_SCALES[i] - font_scale))
        self.text_size.setCurrentIndex(closest)
        self.text_size.currentIndexChanged.connect(
            lambda _i: self.font_scale_chosen.emit(float(self.text_size.currentData())))
        dform.addRow(tr("Language"), self.language)
        dform.addRow(tr("Text size"), self.text_size)

        station = QGroupBox(tr("Station profile (printed on forms)"))
        sform = QFormLayout(station)
        self.profile_edits: dict[str, QLineEdit] = {}
        profile = load_profile(ctx.store)
        for name, label in PROFILE_FIELDS:
            edit = QLineEdit(getattr(profile, name))
            self.profile_edits[name] = edit
            sform.addRow(tr(label), edit)
        save_station = QPushButton(tr("Save the station profile"))
        save_station.clicked.connect(self.save_profile)
        sform.addRow("", save_station)

        staff_box = QGroupBox(tr("Staff"))
        staff_layout = QVBoxLayout(staff_box)
        # One list of people: each row is a person, with their login when they have one (accounts
        # are made under Users and access, and are always one of these people).
        self.staff_table = QTableWidget(0, 3)
        self.staff_table.setHorizontalHeaderLabels([tr("Full name"), tr("Title"), tr("Login")])
        self.staff_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.staff_table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.staff_table.setMinimumHeight(160)
        staff_buttons = QHBoxLayout()
        add_staff = QPushButton(tr("Add a person"))
        add_staff.clicked.connect(self._add_staff_row)
        save_staff_button = QPushButton(tr("Save the staff list"))
        save_staff_button.clicked.connect(self.save_staff)
        staff_buttons.addWidget(add_staff)
        staff_buttons.addStretch(1)
        staff_buttons.addWidget(save_staff_button)
        staff_layout.addWidget(self.staff_table)
        staff_layout.addLayout(staff_buttons)
        self._staff_ids: list[int | None] = []
        self._load_staff()
        ctx.subscribe(self, {Change.PROFILE}, self._load_staff)  # a new login shows at once

        village_box = QGroupBox(tr("Villages (one per line)"))
        village_layout = QVBoxLayout(village_box)
        self.villages = QPlainTextEdit("\n".join(villages(ctx.store)))
        self.villages.setMinimumHeight(120)
        save_villages_button = QPushButton(tr("Save the villages"))
        save_villages_button.clicked.connect(self.save_villages)
        village_layout.addWidget(self.villages)
        village_layout.addWidget(save_villages_button)
        # The profile (the head's name is on every signature line), staff and villages are the
        # head's: for another role they are shown, read-only, without their buttons.
        self.station_buttons = (save_station, add_staff, save_staff_button, save_villages_button)
        if not ctx.store.actor.can(Permission.EDIT_STATION):
            for button in self.station_buttons:
                button.hide()
            for edit in self.profile_edits.values():
                edit.setReadOnly(True)
            self.staff_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            self.villages.setReadOnly(True)
            note = QLabel(tr("Only the head of station changes the station profile, staff and villages."))
            note.setWordWrap(True)
            sform.addRow(note)

        database = QGroupBox(tr("Database"))
        db_form = QFormLayout(database)
        path_label = QLabel(str(ctx.db_path))
        path_label.setWordWrap(True)
        db_form.addRow(tr("File"), path_label)
        db_form.addRow(tr("Schema version"), QLabel(str(SCHEMA_VERSION)))

        content = QWidget()
        outer = QVBoxLayout(content)
        columns = QHBoxLayout()
        outer.addLayout(columns)
        left = QVBoxLayout()
        left.addWidget(display)
        left.addWidget(station)
        left.addWidget(database)
        from station_app.ui.views.backups import BackupsBox

        self.backups = BackupsBox(ctx)
        left.addWidget(self.backups)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(staff_box)
        right.addWidget(village_box)
        right.addWidget(EpiTargetsBox(ctx))
        right.addStretch(1)
        # The sections of other features (import and export, users and access) take the whole
        # width under the two columns: their tables and rows of buttons are never squeezed.
        for make in sections:
            section = make(ctx)
            if section is not None:
                outer.addWidget(section)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        self.scroll_area = scroll
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

    def show_place(self, place: str) -> None:
        """A section brought into sight with the keyboard in it: ``claims/staff`` is the section
        named ``claims`` (its objectName), told to focus its part ``staff``; ``profile/facility_code``
        a field of the station profile."""
        name, _slash, part = place.partition("/")
        if name == "profile" and part in self.profile_edits:  # the station profile's own field
            self.scroll_area.ensureWidgetVisible(self.profile_edits[part])
            self.profile_edits[part].setFocus()
            return
        section = self.findChild(QWidget, name)
        if section is None:
            return
        self.scroll_area.ensureWidgetVisible(section, 0, 0)
        focus = getattr(section, "focus_part", None)
        if focus is not None:
            widget = focus(part)
            if widget is not None:
                self.scroll_area.ensureWidgetVisible(widget)

    def activate(self) -> None:
        pass

    def _load_staff(self) -> None:
        members = staff(self.ctx.store)
        self.staff_table.setRowCount(len(members))
        self._staff_ids = [m.id for m in members]
        for row, m in enumerate(members):
            self.staff_table.setItem(row, 0, QTableWidgetItem(m.full_name))
            self.staff_table.setItem(row, 1, QTableWidgetItem(m.title))
            login = QTableWidgetItem(m.username or tr("no login"))
            login.setFlags(login.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.staff_table.setItem(row, 2, login)

    def _add_staff_row(self) -> None:
        row = self.staff_table.rowCount()
        self.staff_table.insertRow(row)
        self._staff_ids.append(None)
        name = QTableWidgetItem("")
        self.staff_table.setItem(row, 0, name)
        self.staff_table.setItem(row, 1, QTableWidgetItem(""))
        login = QTableWidgetItem(tr("no login"))
        login.setFlags(login.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.staff_table.setItem(row, 2, login)
        self.staff_table.editItem(name)

    def save_profile(self) -> None:
        profile = StationProfile(**{name: edit.text() for name, edit in self.profile_edits.items()})
        if not profile.name.strip():
            dialogs.warning(self, tr("Station profile"), tr("Write the station's name: it is printed on every form."))
            return
        try:
            save_profile(self.ctx.store, profile)
        except StoreError as exc:
            dialogs.error(self, tr("Not saved"), exc.text())
            return
        self.ctx.notify({Change.PROFILE}, self)
        dialogs.info(self, tr("Station profile"), tr("Saved."))

    def save_staff(self) -> None:
        try:
            for row in range(self.staff_table.rowCount()):
                name_item = self.staff_table.item(row, 0)
                title_item = self.staff_table.item(row, 1)
                name = name_item.text().strip() if name_item else ""
                title = title_item.text().strip() if title_item else ""
                member_id = self._staff_ids[row]
                if not name and member_id is None:
                    continue
                save_staff(self.ctx.store, StaffMember(name, title, active=bool(name), id=member_id))
        except StoreError as exc:
            dialogs.error(self, tr("Not saved"), exc.text())
            return
        self._load_staff()
        self.ctx.notify({Change.PROFILE}, self)

    def save_villages(self) -> None:
        names = [line.strip() for line in self.villages.toPlainText().splitlines() if line.strip()]
        try:
            save_villages(self.ctx.store, names)
        except StoreError as exc:
            dialogs.error(self, tr("Not saved"), exc.text())
            return
        self.ctx.notify({Change.PROFILE}, self)
