"""The monthly summary made faster counts exactly what it counted before: every indicator's
value, the previous month's value beside it and the records behind each cell (the drill-down),
compared with the plain counting kept in ``monthly_reference.py``, on a demo station (a few
thousand patients over three years: visits, chronic care, pregnancies, births, deaths,
vaccinations, follow-up calls, prescriptions and stock) and on the hand-built months of the
other report tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from station_app import clock
from station_app.demo import generate
from station_app.domain import accounts
from station_app.domain.monthly import Month, MonthlySummary
from station_app.reports import monthly
from station_app.store import Store, open_store
from tests.reports import monthly_reference
from tests.reports.test_monthly_medicines import october  # noqa: F401  (the hand-built October, a fixture)

DEMO_DAY = dt.datetime(2026, 2, 10, 10, 0)  # three years of records up to here
DEMO_PATIENTS = 2500


def flat(summary: MonthlySummary) -> dict[str, tuple[int, int | None, list[int]]]:
    """``indicator/line/column`` → (value, previous value, ids of the records behind the value), for
    the indicators the reference counts (``monthly_reference.COUNTED``)."""
    return {key: (cell.value, cell.previous, cell.record_ids()) for key, cell in summary.cells()
            if key.split("/", 1)[0] in monthly_reference.COUNTED}


def whole(summary: MonthlySummary) -> dict:
    """The summary as its JSON with the records, the reference's indicators only."""
    data = summary.to_dict(records=True)
    for block in data["blocks"]:
        block["indicators"] = [ind for ind in block["indicators"] if ind["code"] in monthly_reference.COUNTED]
    return data


def assert_same(store: Store, month: Month, previous_month: bool = True) -> dict[str, tuple]:
    expected = monthly_reference.compute(store, month, previous_month=previous_month)
    found = monthly.compute(store, month, previous_month=previous_month)
    want, got = flat(expected), flat(found)
    assert list(got) == list(want), f"{month.key}: other cells, or in another order"
    differ = [key for key in want if got[key] != want[key]]
    assert not differ, f"{month.key}: {len(differ)} cells differ: " + "; ".join(
        f"{key} value {want[key][0]} → {got[key][0]}, previous {want[key][1]} → {got[key][1]}, "
        f"records missing {sorted(set(want[key][2]) - set(got[key][2]))[:5]}, "
        f"extra {sorted(set(got[key][2]) - set(want[key][2]))[:5]}" for key in differ[:5])
    # Labels, lines, columns, blocks and the visits per day: the whole summary, ids included.
    assert whole(found) == whole(expected)
    return want


@pytest.fixture(scope="module")
def demo_station(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("same-numbers") / "demo.sqlite3"
    with clock.pinned(DEMO_DAY), pytest.MonkeyPatch.context() as cheap:
        cheap.setattr(accounts, "SCRYPT_N", 2**10)
        generate(path, patients=DEMO_PATIENTS, seed=3)
    return path


@pytest.fixture
def demo(demo_station: Path) -> Iterator[Store]:
    with clock.pinned(DEMO_DAY):
        store = open_store(demo_station, create=False)
        try:
            yield store
        finally:
            store.close()


@pytest.mark.parametrize("period", ["2026-01", "2025-12", "2025-11", "2025-06", "2026-02", "2025", "2024"])
def test_every_number_and_record_of_the_demo_station(demo: Store, period: str) -> None:
    cells = assert_same(demo, Month.parse(period))
    # (a month of a busy station: the comparison is not of empty tables)
    if period in ("2026-01", "2025-12", "2025"):
        for code in ("consult.visits", "med.prescriptions", "med.lines", "ncd.managed", "fu.month_end",
                     "epi.doses", "epi.coverage_given", "morb.chapters"):
            assert any(value for key, (value, _previous, _ids) in cells.items() if key.startswith(code + "/")), code
        assert any(previous for _value, previous, _ids in cells.values())


def test_the_demo_month_without_the_month_before(demo: Store) -> None:
    """(As when the month before is final: its values come from the copy sent.)"""
    assert_same(demo, Month(2026, 1), previous_month=False)


@pytest.mark.parametrize("period", ["2026-03", "2026-02", "2026-04", "2026"])
def test_every_number_and_record_of_the_hand_built_march(march: Store, period: str) -> None:
    assert_same(march, Month.parse(period))


@pytest.mark.parametrize("period", ["2025-10", "2025-11", "2025"])
def test_every_number_and_record_of_the_medicines_october(october, period: str) -> None:  # noqa: F811
    store, _ids = october
    with clock.pinned(dt.datetime(2025, 12, 2, 9, 0)):
        assert_same(store, Month.parse(period))
