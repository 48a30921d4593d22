"""Hôm nay shows a dengue visit's notification until it is marked reported; the case report opens
in the preview."""

from __future__ import annotations

import datetime as dt

from station_app.domain.visit import Visit
from station_app.store import notifications, visits
from station_app.ui.context import Change
from station_app.ui.pdf_preview import PdfPreviewDialog
from station_app.ui.views.notifications import NotificationsPanel


def test_a_dengue_visit_shows_on_today_until_marked_reported(session, nurse, adult, now, answers) -> None:
    today_view = session.window.show_area("today")
    panel = today_view.findChild(NotificationsPanel)
    today_view.refresh()
    assert panel.isHidden(), "nothing to report: no panel"
    visits.insert(session.store, Visit(patient_id=adult.id, visit_at=now - dt.timedelta(hours=2),
                                       complaint="Sốt cao", diagnosis_code="A90"))
    session.ctx.notify({Change.VISITS})
    assert not panel.isHidden()
    assert panel.title.text() == "Bệnh truyền nhiễm phải báo cáo (1)"
    row = [panel.table.item(0, c).text() for c in range(panel.table.columnCount())]
    assert row[0] == adult.full_name and row[1].endswith("(A90)") and row[2] == "B"
    assert row[5] == "Cần báo cáo"
    nurse.click(panel.report_button)
    preview = nurse.dialog(PdfPreviewDialog)
    assert preview.document.pageCount() == 1
    preview.reject()
    nurse.click(panel.sent_button)  # asked first ("No" here): still to report
    assert not panel.isHidden() and answers.asked[-1][0] == "question" and adult.full_name in answers.asked[-1][2]
    answers.yes = True
    nurse.click(panel.sent_button)
    assert panel.isHidden()
    assert notifications.listing(session.store)[0].status() == "sent"
