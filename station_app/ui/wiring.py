"""What the app is assembled from, in order: the areas of the navigation bar, the patient page's
tabs and visit buttons, the patient list's buttons, the settings' sections, the Today counts, and
what follows a saved visit.

Each part is made when first used: the module of an area or a tab is imported when the area is
first opened or the tab first made, so the start-up loads only what the first screen shows. A
new feature adds its parts here (and its files beside their peers: see README "Architecture").
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QTableWidget, QWidget

from station_app.domain.accounts import Permission
from station_app.domain.followup import Section
from station_app.domain.patient import Patient
from station_app.domain.visit import Visit
from station_app.i18n import N_
from station_app.store import Store, followups, stock, visits
from station_app.ui.context import AppContext
from station_app.ui.extensions import (
    AfterVisit,
    Area,
    AreaHost,
    Counter,
    ListAction,
    PatientPageParts,
    PatientTab,
    SettingsSection,
    TodayPanel,
    TodayPanelWidget,
    VisitAction,
    Wiring,
)


# -- the Today counts ------------------------------------------------------------------------------
def due_count(store: Store, on: dt.date) -> int:
    return followups.section_counts(store, on)[Section.DUE]


def overdue_count(store: Store, on: dt.date) -> int:
    return followups.section_counts(store, on)[Section.OVERDUE]


def low_stock_count(store: Store, on: dt.date) -> int:
    return len(stock.low_stock(store, on))


def expiring_count(store: Store, on: dt.date) -> int:
    return len(stock.expiring(store, on))


TODAY_COUNTERS = (
    Counter(N_("Visits today"), visits.count_on),
    # The same counts as the sections of the Follow-ups view (both come from section_counts).
    Counter(N_("Follow-ups due today / this week"), due_count),
    Counter(N_("Overdue follow-ups to call"), overdue_count),
    Counter(N_("Medicines running low"), low_stock_count),
    Counter(N_("Lots expiring within 60 days"), expiring_count),
)


def _notifications_panel(ctx: AppContext) -> TodayPanelWidget:
    from station_app.ui.views.notifications import NotificationsPanel

    return NotificationsPanel(ctx)


# Communicable diseases to notify by their due time (24 or 48 hours), until marked reported.
TODAY_PANELS: tuple[TodayPanel, ...] = (_notifications_panel,)


# -- the patient's page -----------------------------------------------------------------------------
def _followups_tab(ctx: AppContext, patient: Patient) -> QWidget:
    from station_app.ui.views.patient_followups import FollowUpsTab

    return FollowUpsTab(ctx, patient)


def _programmes_tab(ctx: AppContext, patient: Patient) -> QWidget:
    from station_app.ui.views.patient_followups import ProgrammesTab

    return ProgrammesTab(ctx, patient)


def _referrals_tab(ctx: AppContext, patient: Patient) -> QWidget:
    from station_app.ui.views.referrals import PatientReferralsTab

    return PatientReferralsTab(ctx, patient)


def _summary_tab(ctx: AppContext, patient: Patient) -> QWidget:
    from station_app.ui.data_io import SummaryTab

    return SummaryTab(ctx, patient)


def _access_tab(ctx: AppContext, patient: Patient) -> QWidget:
    from station_app.ui.views.audit_log import AccessHistoryTab

    return AccessHistoryTab(ctx, patient)


def _corrections_tab(ctx: AppContext, patient: Patient) -> QWidget:
    from station_app.ui.views.amendments import CorrectionsTab

    return CorrectionsTab(ctx, patient)


def _amend(ctx: AppContext, visit_id: int, page: QWidget) -> None:
    from station_app.ui.views.amendments import amend_visit_action

    amend_visit_action(ctx, visit_id, page)


def _visit_history(ctx: AppContext, visit_id: int, page: QWidget) -> None:
    from station_app.ui.views.amendments import visit_history_action

    visit_history_action(ctx, visit_id, page)


def _births_tab(ctx: AppContext, patient: Patient) -> QWidget:
    from station_app.ui.views.patient_births import BirthsDeathsTab

    return BirthsDeathsTab(ctx, patient)


def _mark_amended(ctx: AppContext, table: QTableWidget, shown: list[Visit]) -> None:
    from station_app.ui.views.amendments import mark_amended

    mark_amended(ctx, table, shown)


def _print_prescription(ctx: AppContext, visit_id: int, page: QWidget) -> None:
    from station_app.ui.views.stock import print_prescription

    print_prescription(ctx, visit_id, page)


PATIENT_PAGE = PatientPageParts(
    tabs=(
        PatientTab(N_("Follow-ups"), _followups_tab),
        PatientTab(N_("Programmes"), _programmes_tab),
        PatientTab(N_("Referrals"), _referrals_tab),
        PatientTab(N_("Record summary (PDF)"), _summary_tab),
        PatientTab(N_("Access history"), _access_tab),
        PatientTab(N_("Corrections"), _corrections_tab),
        PatientTab(N_("Births and deaths"), _births_tab),
    ),
    visit_actions=(
        VisitAction(N_("Amend…"), _amend, Permission.AMEND_RECORDS),
        VisitAction(N_("History…"), _visit_history),
        VisitAction(N_("Print the prescription…"), _print_prescription),
    ),
    history_hooks=(_mark_amended,),
)


# -- the patient list and the settings ---------------------------------------------------------------
def _import(ctx: AppContext, parent: QWidget) -> object:
    from station_app.ui.data_io import start_import

    return start_import(ctx, parent)


def _export(ctx: AppContext, parent: QWidget) -> object:
    from station_app.ui.data_io import start_export

    return start_export(ctx, parent)


def _merge(ctx: AppContext, parent: QWidget) -> None:
    from station_app.ui.views.merge import merge_action

    merge_action(ctx, parent)


LIST_ACTIONS = (
    ListAction(N_("Import from Excel…"), _import, Permission.IMPORT),
    ListAction(N_("Export to Excel…"), _export, Permission.EXPORT),
    ListAction(N_("Merge duplicates…"), _merge, Permission.MERGE_PATIENTS),
)


def _data_section(ctx: AppContext) -> QWidget | None:
    from station_app.ui.data_io import data_section

    return data_section(ctx)


def _users_section(ctx: AppContext) -> QWidget | None:
    from station_app.ui.views.users import users_section

    return users_section(ctx)


def _claims_section(ctx: AppContext) -> QWidget | None:
    from station_app.ui.views.claims_settings import claims_section

    return claims_section(ctx)


SETTINGS_SECTIONS: tuple[SettingsSection, ...] = (_data_section, _users_section, _claims_section)


# -- after a visit ----------------------------------------------------------------------------------
def _refer_after_visit(ctx: AppContext, visit: Visit, window: QWidget) -> None:
    """A visit marked "refer": its referral slip, prefilled from it, once the visit form has closed."""
    if visit.referred:
        from station_app.ui.forms.referral_form import refer_after_visit

        refer_after_visit(ctx, visit, window)


AFTER_VISIT: tuple[AfterVisit, ...] = (_refer_after_visit,)


# -- the areas --------------------------------------------------------------------------------------
def _today(host: AreaHost) -> QWidget:
    from station_app.ui.views.today import TodayView

    return TodayView(host.ctx, TODAY_COUNTERS, TODAY_PANELS)


def _patients(host: AreaHost) -> QWidget:
    from station_app.ui.views.registry import RegistryView

    return RegistryView(host.ctx, LIST_ACTIONS, PATIENT_PAGE)


def _visits(host: AreaHost) -> QWidget:
    from station_app.ui.views.visit_log import VisitLogView

    return VisitLogView(host.ctx)


def _followups(host: AreaHost) -> QWidget:
    """Imported when the area is first opened (with its PDF and spreadsheet exports)."""
    from station_app.ui.views.followups import FollowUpsView

    return FollowUpsView(host.ctx)


def _referrals(host: AreaHost) -> QWidget:
    from station_app.ui.views.referrals import ReferralsView

    return ReferralsView(host.ctx)


def _reports(host: AreaHost) -> QWidget:
    """Imported when the area is first opened: its PDF and Excel libraries cost a quarter of a
    second that the start-up does not need to pay."""
    from station_app.ui.views.reports import ReportsView

    return ReportsView(host.ctx)


def _settings(host: AreaHost) -> QWidget:
    from station_app.ui.views.settings import SettingsView

    view = SettingsView(host.ctx, host.font_scale, SETTINGS_SECTIONS)
    host.connect_settings(view)
    return view


def _medicines(host: AreaHost) -> QWidget:
    from station_app.ui.views.stock import StockView

    return StockView(host.ctx)


def _claims(host: AreaHost) -> QWidget:
    from station_app.ui.views.claims import ClaimsView

    return ClaimsView(host.ctx)


AREAS = (
    Area("today", N_("Today"), _today),
    Area("patients", N_("Patients"), _patients),
    Area("visits", N_("Visits"), _visits),
    Area("followups", N_("Follow-ups"), _followups),
    Area("referrals", N_("Referrals"), _referrals),
    Area("reports", N_("Reports"), _reports),
    Area("medicines", N_("Medicines"), _medicines),
    Area("claims", N_("Insurance"), _claims),
    Area("settings", N_("Settings"), _settings),
)

WIRING = Wiring(
    areas=AREAS,
    patient_page=PATIENT_PAGE,
    list_actions=LIST_ACTIONS,
    settings_sections=SETTINGS_SECTIONS,
    today_counters=TODAY_COUNTERS,
    after_visit=AFTER_VISIT,
)
