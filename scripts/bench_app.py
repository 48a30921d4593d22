"""Benchmark what a station feels on a large database: opening the app with the registry usable,
building the follow-up work list, and rendering a referral slip.

    uv run python scripts/bench_app.py [--db bench-data/app.sqlite3] [--patients 100000] [--reuse]

Builds (or reuses) a demo database with follow-up data, then prints a Markdown table. Timings are
wall-clock on this machine; nothing here is a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from station_app import clock, paths  # noqa: E402
from station_app.demo import generate  # noqa: E402

TODAY = dt.datetime(2026, 11, 23, 10, 0)


def timed(fn, repeat: int = 7) -> tuple[float, float, object]:
    """(median ms, max ms, last result)."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times), result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=str(ROOT / "bench-data" / "app.sqlite3"))
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    db = Path(args.db)
    db.parent.mkdir(parents=True, exist_ok=True)
    clock.pin(TODAY)
    paths.set_data_dir(tempfile.mkdtemp(prefix="tram-bench-"))
    rows: list[tuple[str, str]] = []
    if not (args.reuse and db.exists()):
        summary = generate(db, patients=args.patients, seed=7, force=True)
        rows.append(("demo generation (with follow-ups and referrals)",
                     f"{summary.seconds:.1f} s for {summary.patients:,} patients, {summary.visits:,} visits"))

    from station_app.store import followups, open_store

    store = open_store(db)
    n_items = store.scalar("SELECT count(*) FROM followups WHERE status = 'open'")
    median, worst, result = timed(lambda: followups.work_rows(store, TODAY.date()))
    rows.append(("follow-up work list, all sections (work_rows)",
                 f"median {median:.0f} ms, max {worst:.0f} ms — {len(result):,} rows from {n_items:,} open items"))  # type: ignore[arg-type]
    median, worst, _ = timed(lambda: followups.section_counts(store, TODAY.date()))
    rows.append(("follow-up counts (section_counts, Today view)", f"median {median:.0f} ms, max {worst:.0f} ms"))
    median, worst, result = timed(lambda: followups.work_rows(store, TODAY.date(), followups.Section.OVERDUE))
    rows.append(("one section (overdue)", f"median {median:.0f} ms, max {worst:.0f} ms — {len(result):,} rows"))  # type: ignore[arg-type]

    # The referral slip, fonts already loaded.
    from station_app.printing.referral_slip import render_referral_bytes
    from station_app.store import referrals
    from station_app.store.station import load_profile

    book = referrals.book(store)
    if book:
        slip = referrals.get(store, book[-1].id)
        station = referrals.station_for_print(load_profile(store))
        render_referral_bytes(slip, station)
        median, worst, _ = timed(lambda: render_referral_bytes(slip, station), repeat=20)
        rows.append(("referral slip PDF (fonts loaded)", f"median {median:.0f} ms, max {worst:.0f} ms"))
    store.close()

    # The GUI: from nothing to the registry listing every patient, first rows on screen.
    from PySide6.QtWidgets import QApplication

    from station_app.ui.app import Session, ensure_app

    app = ensure_app()
    start = time.perf_counter()
    session = Session(app, db, "vi")
    session.window.show()
    registry = session.window.show_area("patients")
    QApplication.processEvents()
    model = registry.list.model  # type: ignore[attr-defined]
    first = model.index(0, 1).data()
    elapsed = (time.perf_counter() - start) * 1000
    rows.append(("GUI open → registry usable (window, all patients listed, first rows drawn)",
                 f"{elapsed:.0f} ms — {model.rowCount():,} rows, first: {first}"))
    start = time.perf_counter()
    registry.list.table.scrollToBottom()  # type: ignore[attr-defined]
    QApplication.processEvents()
    rows.append(("scroll to the last patient", f"{(time.perf_counter() - start) * 1000:.0f} ms"))
    start = time.perf_counter()
    registry.list.search.setText("nguyen thi huong")  # type: ignore[attr-defined]
    registry.list.run_search()  # type: ignore[attr-defined]
    QApplication.processEvents()
    rows.append(("search as you type (\"nguyen thi huong\") → table refreshed",
                 f"{(time.perf_counter() - start) * 1000:.0f} ms"))
    start = time.perf_counter()
    session.window.show_area("followups")
    QApplication.processEvents()
    rows.append(("open the Nhắc hẹn area", f"{(time.perf_counter() - start) * 1000:.0f} ms"))
    session.store.close()

    print(f"| measure ({args.patients:,} patients) | figure |")
    print("|---|---|")
    for name, figure in rows:
        print(f"| {name} | {figure} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
