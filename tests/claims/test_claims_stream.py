"""A month of claims is built, checked and written in one pass that holds only a few visits at a
time: what it writes does not depend on how the month is cut up. The files of a month written at
once are, name for name and byte for byte, those written day by day, and a visit keeps its MA_LK."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from station_app import clock
from station_app.reports import claims as claims_report
from station_app.reports.claims import Outcome
from station_app.store import open_store
from tests.conftest import TODAY


def _run(db: Path, days: list[tuple[dt.date, dt.date]], out: Path) -> list[Outcome]:
    store = open_store(db)
    outcomes: list[Outcome] = []
    try:
        with clock.pinned(TODAY):
            for first, last in days:
                outcomes += claims_report.run(store, first, last, out)
    finally:
        store.close()
    return outcomes


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _key(o: Outcome) -> tuple[object, ...]:
    return (o.visit_id, o.ma_lk, o.patient_id, o.full_name, o.status, tuple(o.problems), Path(o.file).name)


def test_a_month_written_at_once_is_the_month_written_day_by_day(demo_copy: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    shutil.copy(demo_copy, other)
    end = TODAY.replace(day=1) - dt.timedelta(days=1)
    start = end.replace(day=1)
    whole = _run(demo_copy, [(start, end)], tmp_path / "month")
    days = [(start + dt.timedelta(days=n),) * 2 for n in range((end - start).days + 1)]
    by_day = _run(other, days, tmp_path / "days")

    assert len(whole) > 50 and any(o.status == "written" for o in whole)
    assert [_key(o) for o in whole] == [_key(o) for o in by_day]
    month, daily = _files(tmp_path / "month"), _files(tmp_path / "days")
    assert len(month) == sum(1 for o in whole if o.status == "written")
    assert month.keys() == daily.keys() == {f"{o.ma_lk}.xml" for o in whole if o.status == "written"}
    assert all(month[name] == daily[name] for name in month)


def test_writing_a_month_again_keeps_every_key_and_every_byte(demo_copy: Path, tmp_path: Path) -> None:
    end = TODAY.replace(day=1) - dt.timedelta(days=1)
    start = end.replace(day=1)
    first = _run(demo_copy, [(start, end)], tmp_path / "first")
    again = _run(demo_copy, [(start, end)], tmp_path / "again")
    assert [_key(o) for o in first] == [_key(o) for o in again]
    assert _files(tmp_path / "first") == _files(tmp_path / "again")
