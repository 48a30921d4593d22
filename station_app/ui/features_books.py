"""Births, deaths, notifiable diseases and the station's books in the app: the patient page's
"Births and deaths" tab and Hôm nay's notifications panel (registered here, built when used)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from station_app.domain.patient import Patient
from station_app.i18n import N_
from station_app.ui.context import AppContext
from station_app.ui.views import patient_page, today


def _births_tab(ctx: AppContext, patient: Patient) -> QWidget:
    from station_app.ui.views.patient_births import BirthsDeathsTab

    return BirthsDeathsTab(ctx, patient)


def _notifications_panel(ctx: AppContext) -> QWidget:
    from station_app.ui.views.notifications import NotificationsPanel

    return NotificationsPanel(ctx)


patient_page.EXTRA_TABS.append((N_("Births and deaths"), _births_tab))
today.PANELS.append(_notifications_panel)
