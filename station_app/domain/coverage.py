"""The target populations a station's immunisation coverage is measured against: the head
enters them once a year (the commune's expected children under 1, pregnant women)."""

from __future__ import annotations

from station_app.i18n import N_

TARGET_GROUPS: tuple[str, ...] = ("u1", "pregnant")
TARGET_TITLES = {"u1": N_("Children under 1"), "pregnant": N_("Pregnant women")}
MAX_TARGET = 1_000_000


def percent(given: int, target: int) -> int:
    """Coverage in whole percent, rounded half up; 0 when no target is entered."""
    if target <= 0:
        return 0
    return (200 * given + target) // (2 * target)
