"""What every view shares: the open database, the user's settings, and app-wide signals."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal

from station_app import paths
from station_app.store import Store
from station_app.store.station import StationProfile, load_profile

FONT_SCALES = (1.0, 1.15, 1.3, 1.5)


def settings() -> QSettings:
    """The user's settings, in the app's data folder (never the real home in tests)."""
    return QSettings(str(paths.settings_file()), QSettings.Format.IniFormat)


SECOND_FOLDER_KEY = "backup/second_folder"


def second_backup_folder() -> Path | None:
    """The second folder for backups (a USB stick) chosen in Cài đặt → Sao lưu, if any."""
    value = str(settings().value(SECOND_FOLDER_KEY, "") or "")
    return Path(value) if value else None


class AppContext(QObject):
    """The GUI thread's database connection and the signals views listen to."""

    patients_changed = Signal()  # a patient was added or edited
    visits_changed = Signal()  # a visit was recorded
    profile_changed = Signal()  # station profile or staff edited
    open_patient = Signal(int)  # show a patient's page
    new_visit = Signal(int)  # start a visit for a patient
    followups_changed = Signal()
    referrals_changed = Signal()
    store_replaced = Signal()  # a backup was restored: ``store`` is a new connection, views rebuild

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self._profile: StationProfile | None = None
        self.profile_changed.connect(self._forget_profile)

    @property
    def db_path(self) -> Path:
        return self.store.path

    @property
    def profile(self) -> StationProfile:
        if self._profile is None:
            self._profile = load_profile(self.store)
        return self._profile

    def _forget_profile(self) -> None:
        self._profile = None
