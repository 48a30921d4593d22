"""Medicines in the app: the Thuốc area (stock by drug and lot, receipts, stock count, the monthly
medicine report), the Today view's low-stock and expiring-lot counts, and "Print the
prescription…" under a patient's visit history."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QWidget

from station_app.i18n import N_, tr
from station_app.store import Store, stock
from station_app.ui import dialogs
from station_app.ui.context import AppContext
from station_app.ui.main_window import VIEW_FACTORIES
from station_app.ui.views import patient_page, today


def _medicines_view(ctx: AppContext) -> QWidget:
    from station_app.ui.views.stock import StockView

    return StockView(ctx)


def _low_stock_count(store: Store, on: dt.date) -> int:
    return len(stock.low_stock(store, on))


def _expiring_count(store: Store, on: dt.date) -> int:
    return len(stock.expiring(store, on))


def print_prescription(ctx: AppContext, visit_id: int, page: QWidget) -> None:
    """The selected visit's prescription slip in the preview (Print, Save PDF); audited."""
    from station_app.printing.prescription_slip import slip_pdf
    from station_app.store import audit, visits
    from station_app.ui.pdf_preview import show_pdf

    try:
        data = slip_pdf(ctx.store, visit_id)
    except LookupError:
        dialogs.info(page, tr("Prescription"), tr("This visit has no prescription."))
        return
    visit = visits.get(ctx.store, visit_id)
    patient_id = visit.patient_id if visit else None

    def printed() -> str:
        audit.record(ctx.store, audit.PRINT, ("visit", visit_id), {"document": "prescription"},
                     patient_id=patient_id)
        return tr("Printed.")

    show_pdf(page, data, tr("Prescription"), f"don-thuoc-{visit_id}.pdf", printed)


VIEW_FACTORIES["medicines"] = _medicines_view
today.COUNTERS.append((N_("Medicines running low"), _low_stock_count))
today.COUNTERS.append((N_("Lots expiring within 60 days"), _expiring_count))
patient_page.VISIT_ACTIONS.append((N_("Print the prescription…"), print_prescription))
