"""Chuyển tuyến in the app: the referral book view, the patient's referrals tab, and the referral
form opened after a visit saved with "Refer to another facility" ticked."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from station_app.domain.patient import Patient
from station_app.domain.visit import Visit
from station_app.i18n import N_
from station_app.store import patients
from station_app.ui.context import AppContext
from station_app.ui.main_window import AFTER_VISIT_SAVED, VIEW_FACTORIES, MainWindow
from station_app.ui.views import patient_page

# (The view, the form and their PDF preview are imported when first used, not at start.)


def _refer_after_visit(window: MainWindow, visit: object) -> None:
    """A visit marked "refer": once its form has closed, open the slip prefilled from it."""
    if not isinstance(visit, Visit) or not visit.referred:
        return
    patient = patients.get(window.ctx.store, visit.patient_id)
    if patient is None:
        return

    def open_form() -> None:
        from station_app.ui.forms.referral_form import new_referral

        window._referral_form = new_referral(window.ctx, patient, visit, window)  # type: ignore[attr-defined]

    QTimer.singleShot(0, window, open_form)


def _referrals_view(ctx: AppContext) -> QWidget:
    from station_app.ui.views.referrals import ReferralsView

    return ReferralsView(ctx)


def _referrals_tab(ctx: AppContext, patient: Patient) -> QWidget:
    from station_app.ui.views.referrals import referrals_tab

    return referrals_tab(ctx, patient)


VIEW_FACTORIES["referrals"] = _referrals_view
patient_page.EXTRA_TABS.append((N_("Referrals"), _referrals_tab))
AFTER_VISIT_SAVED.append(_refer_after_visit)
