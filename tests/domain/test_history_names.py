"""Reading a station's history: vaccine names as written on the child's card, dates and times."""

from __future__ import annotations

import datetime as dt

import pytest

from station_app.domain import history_import as hi
from station_app.domain.problems import Problem


@pytest.mark.parametrize(("written", "expected"), [
    ("BCG", ("bcg", 1)),
    ("VGB sơ sinh", ("hepb0", 1)),
    ("vgb so sinh", ("hepb0", 1)),
    ("DPT-VGB-Hib 1", ("dpt_vgb_hib", 1)),
    ("DPT-VGB-Hib mũi 3", ("dpt_vgb_hib", 3)),
    ("5 trong 1 lần 2", ("dpt_vgb_hib", 2)),
    ("OPV 2", ("opv", 2)),
    ("Sởi", ("measles", 1)),
    ("Sởi 2", ("mr", 1)),
    ("MR", ("mr", 1)),
    ("VNNB 3", ("je", 3)),
    ("Viêm não Nhật Bản mũi 1", ("je", 1)),
    ("IPV 2", ("ipv", 2)),
    ("Rota 1", ("rota", 1)),
    ("DPT 4", ("dpt_booster", 4)),
])
def test_vaccines_as_written_on_the_card(written, expected) -> None:
    assert hi.parse_vaccine(written) == expected


@pytest.mark.parametrize(("written", "says"), [
    ("OPV", "write which dose of OPV (1, 2, 3)"),
    ("OPV 4", "OPV has no dose 4"),
    ("BCG 2", "BCG has no dose 2"),
    ("Vitamin A", "is not a vaccine of the schedule"),
])
def test_a_vaccine_that_cannot_be_placed_says_why(written, says) -> None:
    problem = hi.parse_vaccine(written)
    assert isinstance(problem, Problem) and says in problem.text("en")


def test_every_name_of_the_data_names_a_series_of_the_schedule() -> None:
    assert len(hi.vaccine_names()) > 40  # (loading checks each series against the schedule)


@pytest.mark.parametrize(("cell", "order", "expected"), [
    ("15/03/2026 08:30", "dmy", dt.datetime(2026, 3, 15, 8, 30)),
    ("15/03/2026 8h30", "dmy", dt.datetime(2026, 3, 15, 8, 30)),
    ("03/15/2026 14:05", "mdy", dt.datetime(2026, 3, 15, 14, 5)),
    ("2026-03-15 07:00", "dmy", dt.datetime(2026, 3, 15, 7, 0)),
    ("15/03/2026", "dmy", dt.datetime(2026, 3, 15, 0, 0)),
    (46096.5, "dmy", dt.datetime(2026, 3, 15, 12, 0)),
    (dt.datetime(2026, 3, 15, 8, 29, 59, 990000), "dmy", dt.datetime(2026, 3, 15, 8, 30)),
])
def test_visit_date_and_time_cells(cell, order, expected) -> None:
    assert hi.cell_datetime(cell, order) == expected
