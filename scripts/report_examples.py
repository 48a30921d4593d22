"""Render the example monthly report and visit-book page shown in ``docs/``.

    uv run python scripts/report_examples.py [--db DEMO.sqlite3]

Without ``--db`` a fresh 2,000-patient demo station is generated in a temporary folder. The
monthly report is October 2026 of the demo station, finalised by the head after correcting one
cell (so the correction note shows); the visit book is the first two days of that month. Turn the
PDFs into pictures with ``pdftoppm -png -r 60``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from station_app import clock  # noqa: E402
from station_app.domain.accounts import Actor, Role  # noqa: E402
from station_app.domain.monthly import Month  # noqa: E402
from station_app.printing.monthly_report import render_monthly_report  # noqa: E402
from station_app.printing.visit_book import render_visit_book  # noqa: E402
from station_app.reports import monthly  # noqa: E402
from station_app.store import open_store, reports  # noqa: E402
from station_app.store.station import load_profile  # noqa: E402

MONTH = Month(2026, 10)
DAY = dt.datetime(2026, 11, 3, 9, 30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = args.db
        if db is None:
            from station_app.demo import generate

            db = Path(folder) / "demo.sqlite3"
            with clock.pinned(dt.date(2026, 11, 23)):
                generate(db, patients=2000, seed=1)
        with clock.pinned(DAY):
            store = open_store(db)
            try:
                profile = load_profile(store)
                store.actor = Actor(None, "truongtram", profile.head_name or "Trưởng trạm", Role.HEAD)
                if not reports.state(store, MONTH).is_final:
                    draft = monthly.draft(store, MONTH)
                    reports.correct(store, draft, "consult.emergencies//total",
                                    draft.cell("consult.emergencies//total").value + 1,
                                    "Một ca cấp cứu tai nạn giao thông chuyển thẳng, chưa ghi sổ")
                    reports.finalise(store, draft)
                latest = reports.state(store, MONTH).snapshots[0]
                render_monthly_report(reports.final_summary(store, MONTH), ROOT / "docs" / "monthly-report-example.pdf",
                                      (latest.version, latest.finalised_at, latest.finalised_by))
                render_visit_book(store, MONTH.start, MONTH.start + dt.timedelta(days=1),
                                  ROOT / "docs" / "visit-book-example.pdf")
            finally:
                store.close()
    print("docs/monthly-report-example.pdf, docs/visit-book-example.pdf")


if __name__ == "__main__":
    main()
