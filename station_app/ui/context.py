"""What every view shares: the open database, the user's settings, and app-wide signals.

A change to the records is announced once, by whoever made it, as ``ctx.notify(kinds, initiator)``;
every view that shows those records subscribes with ``ctx.subscribe(view, kinds, slot)`` and is
not called back for its own changes (it is the initiator)::

    ctx.subscribe(self, {Change.PATIENTS, Change.VISITS}, self.reload)
    ...
    patients.update(ctx.store, patient)
    ctx.notify({Change.PATIENTS}, self)
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
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


class Change(enum.StrEnum):
    """What a change touched (a view reloads when it shows any of it)."""

    PATIENTS = "patients"  # a patient added, edited, merged
    VISITS = "visits"  # a visit recorded or amended
    FOLLOWUPS = "followups"  # the follow-up list
    REFERRALS = "referrals"  # a referral slip issued, printed, its outcome
    PROFILE = "profile"  # the station profile, staff, villages
    STOCK = "stock"  # medicines received, counted or adjusted; the formulary
    CLAIMS = "claims"  # insurance claims written (the claims register)
    STORE = "store"  # a backup was restored: ``ctx.store`` is a new connection, views rebuild


class _Subscription(QObject):
    """One view's interest in some kinds of change; a child of the view, so it ends with it."""

    def __init__(self, owner: QObject, kinds: frozenset[Change], slot: Callable[[], object]) -> None:
        super().__init__(owner)
        self.owner = owner
        self.kinds = kinds
        self.slot = slot

    def deliver(self, kinds: frozenset[Change], initiator: object) -> None:
        if initiator is not self.owner and kinds & self.kinds:
            self.slot()


class AppContext(QObject):
    """The GUI thread's database connection, what changed, and the requests views make."""

    changed = Signal(object, object)  # (frozenset of Change, who made the change or None)
    open_patient = Signal(int)  # show a patient's page
    new_visit = Signal(int)  # start a visit for a patient
    edit_patient = Signal(int)  # the patient's form (their card, their identity), over their page
    show_place = Signal(str, str)  # an area, and the place in it to show ("settings", "claims")

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self._profile: StationProfile | None = None

    def notify(self, kinds: Iterable[Change], initiator: object = None) -> None:
        """Tell every view that these records changed (``initiator``, if it is a view, already knows)."""
        found = frozenset(kinds)
        if found & {Change.PROFILE, Change.STORE}:
            self._profile = None
        self.changed.emit(found, initiator)

    def subscribe(self, owner: QObject, kinds: Iterable[Change], slot: Callable[[], object]) -> None:
        """Call ``slot`` after each change of these kinds made by anyone but ``owner``, while
        ``owner`` lives."""
        subscription = _Subscription(owner, frozenset(kinds), slot)
        self.changed.connect(subscription.deliver)

    @property
    def db_path(self) -> Path:
        return self.store.path

    @property
    def profile(self) -> StationProfile:
        if self._profile is None:
            self._profile = load_profile(self.store)
        return self._profile
