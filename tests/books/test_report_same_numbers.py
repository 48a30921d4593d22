"""The faster monthly summary counts what the plain counting (``tests/reports/monthly_reference.py``)
counts on the hand-built November 2025 of the books: births, deliveries, deaths, notifiable
diseases, vaccinations and coverage against the year's targets, for the month, the month after
and the year."""

from __future__ import annotations

import datetime as dt

import pytest

from station_app import clock
from station_app.domain.monthly import Month
from station_app.store import epi_targets
from tests.reports.test_monthly_same_numbers import assert_same


@pytest.mark.parametrize("period", ["2025-11", "2025-12", "2025-01", "2025"])
def test_every_number_and_record_of_the_hand_built_november(station, period: str) -> None:
    with clock.pinned(dt.datetime(2025, 12, 3, 9, 0)):
        epi_targets.save_targets(station.store, 2025, {"u1": 8, "pregnant": 3})
        assert_same(station.store, Month.parse(period))
