"""The kinds of part the main window and its views are assembled from (areas, the patient page's
tabs, buttons, counters…), as types. The parts themselves are declared in ``ui/wiring.py``; a
view receives the parts it shows when it is made, and never imports the modules they come from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from PySide6.QtWidgets import QFrame, QTableWidget, QWidget

from station_app.domain.accounts import Permission
from station_app.domain.patient import Patient
from station_app.domain.visit import Visit
from station_app.store import Store
from station_app.ui.context import AppContext


class AreaHost(Protocol):
    """What an area's factory gets: the main window, as far as areas need it."""

    ctx: AppContext
    font_scale: float

    def connect_settings(self, view: QWidget) -> None:
        """Let the settings view change the language and the text size."""


@dataclass(frozen=True)
class Area:
    """One area of the navigation bar (Alt+1…): its view is made when first shown."""

    key: str
    title: str  # English, translated when shown
    make: Callable[[AreaHost], QWidget]


@dataclass(frozen=True)
class PatientTab:
    """A tab of a patient's page after "Visits", made for each patient opened."""

    title: str
    make: Callable[[AppContext, Patient], QWidget]


@dataclass(frozen=True)
class VisitAction:
    """A button under a patient's visit history, acting on the selected visit; shown only to a
    role that holds ``permission`` (when given)."""

    title: str
    run: Callable[[AppContext, int, QWidget], None]
    permission: Permission | None = None


# Called when the visit history is filled: (ctx, table, the visits shown, one per row).
HistoryHook = Callable[[AppContext, QTableWidget, list[Visit]], None]


@dataclass(frozen=True)
class PatientPageParts:
    tabs: tuple[PatientTab, ...] = ()
    visit_actions: tuple[VisitAction, ...] = ()
    history_hooks: tuple[HistoryHook, ...] = ()


@dataclass(frozen=True)
class ListAction:
    """A button beside "Register a patient" in the patient list; ``run(ctx, the list)``; shown only
    to a role that holds ``permission`` (when given)."""

    title: str
    run: Callable[[AppContext, QWidget], object]
    permission: Permission | None = None


@dataclass(frozen=True)
class Counter:
    """A count on the Today view; None shows a dash."""

    title: str
    count: Callable[[Store, dt.date], int | None]


class TodayPanelWidget(QFrame):
    """A panel under the Today counts: reloads itself on ``refresh()`` (and hides while it has
    nothing to show)."""

    def refresh(self) -> None:
        raise NotImplementedError


TodayPanel = Callable[[AppContext], TodayPanelWidget]

# A section under the settings' right column, or None when the logged-in person may not see it.
SettingsSection = Callable[[AppContext], QWidget | None]
# After a visit is saved from the visit form: (ctx, the visit, the main window).
AfterVisit = Callable[[AppContext, Visit, QWidget], None]


@dataclass(frozen=True)
class Wiring:
    """Everything the main window is assembled from, in order."""

    areas: tuple[Area, ...]
    patient_page: PatientPageParts = field(default_factory=PatientPageParts)
    list_actions: tuple[ListAction, ...] = ()
    settings_sections: tuple[SettingsSection, ...] = ()
    today_counters: tuple[Counter, ...] = ()
    after_visit: tuple[AfterVisit, ...] = ()

