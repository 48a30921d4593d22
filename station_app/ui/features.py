"""Where feature modules plug into the main window, the Today view and the patient's page.

Imported once by ``ui.app.Session`` (before the main window is built), so the registrations
below are active in the app and in every test that starts a ``Session``.
"""

from __future__ import annotations

import datetime as dt
import importlib

from PySide6.QtWidgets import QWidget

from station_app.domain.followup import Section
from station_app.i18n import N_
from station_app.store import Store, followups
from station_app.ui.context import AppContext
from station_app.ui.main_window import VIEW_FACTORIES
from station_app.ui.views import patient_page, today
from station_app.ui.views.patient_followups import FollowUpsTab, ProgrammesTab


def _due_count(store: Store, on: dt.date) -> int:
    return followups.section_counts(store, on)[Section.DUE]


def _overdue_count(store: Store, on: dt.date) -> int:
    return followups.section_counts(store, on)[Section.OVERDUE]


# -- Nhắc hẹn (follow-ups) ----------------------------------------------------------------------
def _followups_view(ctx: AppContext) -> QWidget:
    """Imported when the area is first opened (with its PDF and spreadsheet exports)."""
    from station_app.ui.views.followups import FollowUpsView

    return FollowUpsView(ctx)


VIEW_FACTORIES["followups"] = _followups_view
# The same counts as the sections of the Follow-ups view (both come from section_counts).
today.COUNTERS.append((N_("Follow-ups due today / this week"), _due_count))
today.COUNTERS.append((N_("Overdue follow-ups to call"), _overdue_count))
patient_page.EXTRA_TABS.append((N_("Follow-ups"), FollowUpsTab))
patient_page.EXTRA_TABS.append((N_("Programmes"), ProgrammesTab))

# The feature areas register themselves on import, in this order (the order of the patient-page tabs):
# Chuyển tuyến (book, form, patient tab); import wizard, exports and the record summary; accounts, audit
# log, corrections and merges; Báo cáo (monthly summary, visit book); Thuốc (stock, formulary, prescriptions).
for _area in ("referrals", "io", "accounts", "reports", "medicines"):
    importlib.import_module(f"station_app.ui.features_{_area}")
