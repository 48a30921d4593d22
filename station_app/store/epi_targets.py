"""The yearly target populations of immunisation coverage, kept in ``settings`` as JSON
(``epi_targets``: year → group → count). Entering them is the head's (``Permission.EDIT_STATION``,
as the station profile), each change audited with what it replaced."""

from __future__ import annotations

import json

from station_app.domain.accounts import Permission
from station_app.domain.coverage import MAX_TARGET, TARGET_GROUPS
from station_app.errors import UserError
from station_app.i18n import N_
from station_app.store import audit, json_cells
from station_app.store.database import Store

KEY = "epi_targets"


class InvalidTarget(UserError):
    message = N_("The target population must be a whole number from 0 to {limit}.")


def _all(store: Store) -> dict[str, dict[str, int]]:
    raw = store.setting(KEY)
    return json_cells.read(raw, dict) or {}


def targets(store: Store, year: int) -> dict[str, int]:
    """The targets entered for ``year`` (group → count); a group not entered is absent."""
    found = _all(store).get(str(year), {})
    return {g: int(found[g]) for g in TARGET_GROUPS if isinstance(found, dict) and isinstance(found.get(g), int)}


def save_targets(store: Store, year: int, values: dict[str, int]) -> None:
    """Enter the targets of ``year`` (groups left out keep their value)."""
    for group, value in values.items():
        if group not in TARGET_GROUPS:
            raise KeyError(group)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TARGET:
            raise InvalidTarget(limit=MAX_TARGET)
    with store.write(Permission.EDIT_STATION):
        data = _all(store)
        before = targets(store, year)
        after = {**before, **values}
        if after == before:
            return
        data[str(year)] = after
        store.set_setting(KEY, json.dumps(data, sort_keys=True))
        audit.record(store, audit.UPDATE, "epi_targets", {"year": year, "before": before, "after": after})
