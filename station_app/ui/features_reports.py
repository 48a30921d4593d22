"""Báo cáo in the app: the monthly summary (draft → final, print, export) and the visit book."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from station_app.ui.context import AppContext
from station_app.ui.main_window import VIEW_FACTORIES


def _reports_view(ctx: AppContext) -> QWidget:
    """Imported when the area is first opened: its PDF and Excel libraries cost a quarter of a
    second that the start-up does not need to pay."""
    from station_app.ui.views.reports import ReportsView

    return ReportsView(ctx)


VIEW_FACTORIES["reports"] = _reports_view
