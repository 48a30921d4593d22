"""Chuyển tuyến in the app: the referral book view, the patient's referrals tab, and the referral
form opened after a visit saved with "Refer to another facility" ticked."""

from __future__ import annotations

from PySide6.QtCore import QTimer

from station_app.domain.visit import Visit
from station_app.i18n import N_
from station_app.store import patients
from station_app.ui.forms.referral_form import new_referral
from station_app.ui.main_window import AFTER_VISIT_SAVED, VIEW_FACTORIES, MainWindow
from station_app.ui.views import patient_page
from station_app.ui.views.referrals import ReferralsView, referrals_tab


def _refer_after_visit(window: MainWindow, visit: object) -> None:
    """A visit marked "refer": once its form has closed, open the slip prefilled from it."""
    if not isinstance(visit, Visit) or not visit.referred:
        return
    patient = patients.get(window.ctx.store, visit.patient_id)
    if patient is None:
        return

    def open_form() -> None:
        window._referral_form = new_referral(window.ctx, patient, visit, window)  # type: ignore[attr-defined]

    QTimer.singleShot(0, window, open_form)


VIEW_FACTORIES["referrals"] = lambda ctx: ReferralsView(ctx)
patient_page.EXTRA_TABS.append((N_("Referrals"), referrals_tab))
AFTER_VISIT_SAVED.append(_refer_after_visit)
