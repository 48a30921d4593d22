"""Báo cáo in the app: the monthly summary (draft → final, print, export) and the visit book."""

from __future__ import annotations

from station_app.ui.main_window import VIEW_FACTORIES
from station_app.ui.views.reports import ReportsView

VIEW_FACTORIES["reports"] = lambda ctx: ReportsView(ctx)
