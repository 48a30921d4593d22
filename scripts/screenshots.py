"""Take screenshots of the main views at 1366×768 from a demo database, for the README.

Run under a real (virtual) screen so the window manager-less rendering matches a desktop::

    xvfb-run -s "-screen 0 1366x768x24" uv run python scripts/screenshots.py

It writes ``docs/screenshots/*.png`` (``--out DIR`` elsewhere). The demo database and settings go to
a temporary folder. Besides the main views it covers the claims register's held-back visits and
their fix dialogs, the portal's answer, the claims and immunisation-target settings, a delivery and
a death entered on a record, the notifications on Hôm nay with the case report, and the monthly and
yearly report with a drill-down. ``--only claims_fix_shots,report_shots`` takes some groups alone;
under ``QT_SCALE_FACTOR=1.25`` the window takes the (smaller) logical screen.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from station_app import clock, paths  # noqa: E402
from station_app.demo import generate  # noqa: E402
from station_app.ui.app import Session, ensure_app  # noqa: E402
from station_app.ui.login import as_role  # noqa: E402

SHOT_DIR = ""


def settle(app: QApplication, ms: int = 300) -> None:
    end = dt.datetime.now() + dt.timedelta(milliseconds=ms)
    while dt.datetime.now() < end:
        app.processEvents()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--lang", default="vi")
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--only", default="", help="only these groups of shots, e.g. claims_shots,report_shots")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    global SHOT_DIR
    SHOT_DIR = str(out)
    work = Path(tempfile.mkdtemp(prefix="tram-shots-"))
    paths.set_data_dir(work)
    clock.pin(dt.datetime(2026, 11, 23, 10, 30))
    db = work / "demo.sqlite3"
    generate(db, patients=args.patients, seed=1, force=True)
    app = ensure_app()
    session = Session(app, db, args.lang, login=as_role("head"))
    window = session.window
    # 1366×768, or the whole screen when it is smaller in logical pixels (QT_SCALE_FACTOR=1.25).
    screen = app.primaryScreen().availableGeometry()
    window.resize(min(1366, screen.width()), min(768, screen.height()))
    window.move(0, 0)
    window.show()
    settle(app, 800)

    def shot(name: str, widget=None) -> None:
        """Save the given widget, else the open dialog, else the main window."""
        settle(app, 400)
        target = out / f"{name}.png"
        widget = widget or QApplication.activeModalWidget() or window
        widget.grab().save(str(target))
        print(target)

    if args.only:
        for name in args.only.split(","):
            getattr(sys.modules[__name__], name)(session, shot, app)
    else:
        default_shots(session, shot, app)
    QTimer.singleShot(0, app.quit)
    return 0


def default_shots(session: Session, shot, app: QApplication) -> None:
    window = session.window
    window.show_area("today")
    shot("01-today")
    registry = window.show_area("patients")
    shot("02-registry")
    registry.list.search.setText("nguyen thi huong")
    settle(app, 400)
    shot("03-registry-search")
    # A returning patient: the first found with visits (their page shows a history).
    from station_app.store import visits

    found = [registry.list.model.id_at(row) for row in range(registry.list.model.rowCount())]
    patient_id = next((pid for pid in found if pid and visits.for_patient(session.store, pid)), found[0])
    registry.open_patient(patient_id)
    shot("04-patient-page")
    window.start_visit(patient_id)
    form = window._visit_form
    form.bp.setText("150/95")
    form.temperature.setText("37,2")
    form.diagnosis.setText("tang huyet ap")
    settle(app, 300)
    shot("05-visit-form", form)
    form.done(0)  # closed without the "discard what you typed?" question
    from station_app.ui.forms.patient_form import PatientForm

    pf = PatientForm(session.ctx, parent=window)
    pf.resize(1100, 720)
    pf.show()
    pf.full_name.setText("Nguyễn Thị Hương")
    pf.birth.setText("1985")
    pf.citizen_id.setText("0251850123")
    pf.phone.setText("+84 912 345 67")
    settle(app, 600)
    shot("06-register-form", pf)
    pf.done(0)
    log = window.show_area("visits")
    log.show_month()  # type: ignore[attr-defined]
    shot("07-visit-log")
    window.show_area("followups")
    shot("08-followups")
    window.show_area("settings")
    shot("09-settings")
    reports = window.show_area("reports")
    reports.generate()  # type: ignore[attr-defined]
    for _ in range(100):  # computed on a worker thread
        settle(app, 100)
        if reports._operation is None or not reports._operation.running:  # type: ignore[attr-defined]
            break
    shot("11-reports")
    referrals = window.show_area("referrals")
    referrals.show_year()  # type: ignore[attr-defined]
    shot("10-referrals")
    medicine_shots(session, shot, app)
    claims_shots(session, shot, app)
    claims_fix_shots(session, shot, app)
    settings_section_shots(session, shot, app)
    births_shots(session, shot, app)
    notification_shots(session, shot, app)
    report_shots(session, shot, app)


def claims_shots(session: Session, shot, app: QApplication) -> None:
    """The BHYT area: last month's claims register after "Check" (the held-back reasons shown)."""
    view = session.window.show_area("claims")
    view.check()  # type: ignore[attr-defined]
    wait_op(app, view)
    shot("14-claims")


def medicine_shots(session: Session, shot, app: QApplication) -> None:
    """The prescription of a returning hypertension patient ("Như lần trước", F4) and the Thuốc area."""
    window = session.window
    row = session.store.query(
        "SELECT v.patient_id AS id FROM visits v JOIN prescription_lines l ON l.visit_id = v.id "
        "WHERE v.diagnosis_code = 'I10' GROUP BY v.id HAVING count(*) = 2 ORDER BY v.visit_at DESC LIMIT 1"
    )
    window.open_patient(row[0]["id"])
    window.start_visit(row[0]["id"])
    form = window._visit_form
    form.bp.setText("145/90")
    form.prescription.same_as_last_time()
    settle(app, 300)
    form.scroll_area.ensureWidgetVisible(form.prescription)
    shot("12-prescription", form)
    form.done(0)
    window.show_area("medicines")
    shot("13-stock")


def modal(app: QApplication, shot, name: str, opener) -> None:
    """Run ``opener`` (which shows a modal dialog and waits) and save the dialog, then close it."""
    def grab() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(100, grab)
            return
        shot(name, dialog)
        dialog.close()

    QTimer.singleShot(300, grab)
    opener()


def wait_op(app: QApplication, view) -> None:
    for _ in range(300):
        settle(app, 100)
        if view._operation is None or not view._operation.running:
            return


def claims_fix_shots(session: Session, shot, app: QApplication) -> None:
    """The held-back visits of the claims register and the dialogs that fix them; the files written
    and the portal's answer typed in."""
    from station_app.ui import dialogs

    view = session.window.show_area("claims")
    held = [n for n, row in enumerate(view.rows) if view.checked.get(row.visit_id, ([],))[0]]
    if held:
        view.table.selectRow(held[0])
        view.table.setFocus()
        shot("15-claims-held-selected")
        view.held_only.setChecked(True)
        view.table.selectRow(0)
        shot("15-claims-held-only")
        modal(app, shot, "16-claims-card-dialog", view.edit_card)
        modal(app, shot, "17-claims-category-dialog", view.edit_category)
    view.held_only.setChecked(False)
    folder = Path(tempfile.mkdtemp(prefix="tram-claims-"))
    view.choose_folder = lambda: str(folder)
    messages: list[str] = []
    dialogs.answer = lambda kind, title, text: messages.append(text) or True
    view.write_files()
    wait_op(app, view)
    dialogs.answer = None
    print("written:", messages)
    shot("18-claims-written")
    written = [n for n, r in enumerate(view.rows) if r.status == "written"]
    if written:
        view.table.selectRow(written[0])
        modal(app, shot, "19-claims-refused-dialog", lambda: view.record_answer(False))


def settings_section_shots(session: Session, shot, app: QApplication) -> None:
    """Cài đặt: the claims codes, staff numbers and priced services; the yearly immunisation targets."""
    from PySide6.QtWidgets import QGroupBox, QScrollArea

    view = session.window.show_area("settings")
    scroll = view.findChild(QScrollArea)
    for name, title in (("20-settings-claims", "thanh toán BHYT"), ("21-settings-epi-targets", "tiêm chủng")):
        box = next((b for b in view.findChildren(QGroupBox) if title.lower() in b.title().lower()), None)
        if box is not None:
            scroll.ensureWidgetVisible(box, 0, 0)
            if box.height() < scroll.viewport().height():
                scroll.ensureWidgetVisible(box, 0, box.height())
        shot(name)


def births_shots(session: Session, shot, app: QApplication) -> None:
    """A mother's page, tab "Sinh và tử vong"; the delivery and death entries; a baby's own birth."""
    from station_app.ui.views.patient_births import BirthsDeathsTab, DeathDialog, DeliveryDialog

    store = session.store
    mother = store.query("SELECT mother_id AS id FROM deliveries ORDER BY delivered_at DESC LIMIT 1")
    window = session.window
    if mother:
        window.open_patient(mother[0]["id"])
        registry = window.show_area("patients")
        page = registry.page
        for index in range(page.tabs.count()):
            page.tabs.setCurrentIndex(index)
            if page.tabs.currentWidget().findChild(BirthsDeathsTab) or isinstance(page.tabs.currentWidget(),
                                                                                BirthsDeathsTab):
                break
        shot("22-mother-births-tab")
        dialog = DeliveryDialog(session.ctx, page.patient, window)
        dialog.open()
        shot("23-delivery-dialog", dialog)
        dialog.reject()
        dialog = DeathDialog(session.ctx, page.patient, window)
        dialog.open()
        shot("24-death-dialog", dialog)
        dialog.reject()
    child = store.query("SELECT child_id AS id FROM births WHERE child_id IS NOT NULL ORDER BY id DESC LIMIT 1")
    if child:
        window.open_patient(child[0]["id"])
        page = window.show_area("patients").page
        page.tabs.setCurrentIndex(page.tabs.count() - 1)
        shot("25-baby-births-tab")


def notification_shots(session: Session, shot, app: QApplication) -> None:
    """Two dengue visits (one overdue): the panel on Hôm nay; the case report's preview."""
    from station_app import clock as app_clock
    from station_app.domain.visit import Visit
    from station_app.store import visits as store_visits
    from station_app.ui.context import Change
    from station_app.ui.views.notifications import NotificationsPanel

    store = session.store
    ids = [r["id"] for r in store.query("SELECT id FROM patients WHERE deceased = 0 ORDER BY id LIMIT 2")]
    now = app_clock.now()
    for pid, hours in zip(ids, (2, 30), strict=False):
        store_visits.insert(store, Visit(patient_id=pid, visit_at=now - dt.timedelta(hours=hours),
                                         complaint="Sốt cao 3 ngày", diagnosis_code="A97"))
    session.ctx.notify({Change.VISITS})
    view = session.window.show_area("today")
    view.refresh()
    shot("26-today-notifications")
    panel = view.findChild(NotificationsPanel)
    panel.case_report()
    settle(app, 800)
    if panel.preview is not None:
        shot("27-case-report-preview", panel.preview)
        panel.preview.close()
    from station_app.printing.case_report import case_report_pdf
    from station_app.store import notifications as store_notifications

    first = store_notifications.listing(store, open_only=True)[0]
    (Path(SHOT_DIR) / "case-report.pdf").write_bytes(case_report_pdf(store, first.id))


def report_shots(session: Session, shot, app: QApplication) -> None:
    """Báo cáo: a block of the monthly report, its drill-down, the yearly report, the books' dialog."""
    from station_app.domain.monthly import Month

    view = session.window.show_area("reports")
    if view.summary is None:  # (run alone, with --only)
        view.generate()
        wait_op(app, view)
    for index in range(1, view.tabs.count()):
        view.tabs.setCurrentIndex(index)
        shot(f"28-report-tab-{index}")
    view.tabs.setCurrentIndex(1)
    table = view.current_table()
    if table is not None:
        for row in range(table.rowCount()):
            item = table.item(row, 1)
            if item is not None and item.text() not in ("", "0"):
                table.setCurrentCell(row, 1)
                break
        dialog = view.drill_down()
        if dialog is not None:
            shot("29-report-drilldown", dialog)
            dialog.close()
    view.set_month(Month.year_of(2026))
    view.generate()
    wait_op(app, view)
    shot("30-report-year")
    from station_app.ui.views.reports import RangeDialog

    dialog = RangeDialog(dt.date(2026, 10, 1), dt.date(2026, 10, 31), view)
    dialog.open()
    shot("31-books-dialog", dialog)
    dialog.reject()


if __name__ == "__main__":
    sys.exit(main())
