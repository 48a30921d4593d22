"""Take screenshots of the main views at 1366×768 from a demo database, for the README.

Run under a real (virtual) screen so the window manager-less rendering matches a desktop::

    xvfb-run -s "-screen 0 1366x768x24" uv run python scripts/screenshots.py

It writes ``docs/screenshots/*.png``. The demo database and settings go to a temporary folder.
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


def settle(app: QApplication, ms: int = 300) -> None:
    end = dt.datetime.now() + dt.timedelta(milliseconds=ms)
    while dt.datetime.now() < end:
        app.processEvents()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--lang", default="vi")
    parser.add_argument("--patients", type=int, default=2000)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tram-shots-"))
    paths.set_data_dir(work)
    clock.pin(dt.datetime(2026, 11, 23, 10, 30))
    db = work / "demo.sqlite3"
    generate(db, patients=args.patients, seed=1, force=True)
    app = ensure_app()
    session = Session(app, db, args.lang, login=as_role("head"))
    window = session.window
    window.resize(1366, 768)
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

    shots = getattr(sys.modules[__name__], "SHOTS", None) or default_shots
    shots(session, shot, app)
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


if __name__ == "__main__":
    sys.exit(main())
