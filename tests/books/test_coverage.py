"""Immunisation coverage against the target population the head enters each year, on the
hand-built November 2025 (``conftest.py``), every value worked out by hand.

Doses from 1 January 2025 to the end of November (booklet copies excluded): BCG — Páo (12/01), Hoa's
baby (19/11 at the district centre): 2; hepatitis B birth dose — Hoa's baby (19/11), Dợ's baby (04/11):
2; DPT-VGB-Hib 3 and OPV 3 — Páo (12/05): 1 each; measles 1 — Páo (12/11): 1; fully immunised — Páo: 1;
pregnant women given tetanus — Hoa (05/09 and 03/11): 1.
Targets entered for 2025: 8 children under 1, 3 pregnant women."""

from __future__ import annotations

import datetime as dt

import pytest

from station_app import clock
from station_app.domain.accounts import SYSTEM, Actor, Role
from station_app.domain.monthly import Month
from station_app.reports.monthly import compute
from station_app.store import epi_targets
from station_app.store.epi_targets import InvalidTarget
from station_app.store.errors import NotPermitted

NOVEMBER = Month(2025, 11)
LINES = ("bcg", "hepb0", "dpt_vgb_hib3", "opv3", "measles1", "full_u1", "tetanus_pregnant")


def values(summary, code: str) -> dict[str, int]:
    return {line.key: line.cells["total"].value for line in summary.result(code).lines}


@pytest.fixture
def with_targets(station):
    with clock.pinned(dt.datetime(2025, 12, 3, 9, 0)):
        epi_targets.save_targets(station.store, 2025, {"u1": 8, "pregnant": 3})
    return station


def test_people_vaccinated_since_january_against_the_years_target(with_targets) -> None:
    with clock.pinned(dt.datetime(2025, 12, 3, 9, 0)):
        november = compute(with_targets.store, NOVEMBER)
    assert values(november, "epi.target") == {"u1": 8, "pregnant": 3}
    assert values(november, "epi.coverage_given") == dict(zip(LINES, (2, 2, 1, 1, 1, 1, 1), strict=True))
    # 2/8 = 25 %; 1/8 = 12.5 % rounds to 13 %; 1/3 = 33.3 % rounds to 33 %
    assert values(november, "epi.coverage") == dict(zip(LINES, (25, 25, 13, 13, 13, 13, 33), strict=True))
    # beside: October, cumulative to 31/10 — BCG, DPT 3, OPV 3 of Páo and Hoa's tetanus of 05/09
    before = {line.key: line.cells["total"].previous for line in november.result("epi.coverage_given").lines}
    assert before == dict(zip(LINES, (1, 0, 1, 1, 0, 0, 1), strict=True))
    given = november.cell("epi.coverage_given/hepb0/total").record_ids()
    assert given == sorted([with_targets.hoa_baby, with_targets.do_baby])
    # the existing codes keep their meaning: doses and the fully immunised of the month alone
    assert {ln.key: ln.cells["total"].value for ln in november.result("epi.doses").lines}["bcg"] == 1
    assert november.result("epi.full_u1").lines[0].cells["total"].value == 1


def test_the_yearly_report_and_a_year_without_targets(with_targets) -> None:
    with clock.pinned(dt.datetime(2026, 1, 5, 9, 0)):
        year = compute(with_targets.store, Month.year_of(2025))
        march = compute(with_targets.store, Month(2026, 3))
    assert values(year, "epi.coverage") == dict(zip(LINES, (25, 25, 13, 13, 13, 13, 33), strict=True))
    # 2026: nothing given yet, no target entered: 0, not a division by zero
    assert values(march, "epi.target") == {"u1": 0, "pregnant": 0}
    assert set(values(march, "epi.coverage").values()) == {0}


def test_the_targets_are_the_heads_entry_audited_and_checked(station, read_log) -> None:
    store = station.store
    with clock.pinned(dt.datetime(2025, 12, 3, 9, 0)):
        epi_targets.save_targets(store, 2025, {"u1": 8})
        epi_targets.save_targets(store, 2025, {"pregnant": 3})
        assert epi_targets.targets(store, 2025) == {"u1": 8, "pregnant": 3}
        assert epi_targets.targets(store, 2024) == {}
        changes = [(e.details["before"], e.details["after"]) for e in read_log(store) if e.target_type == "epi_targets"]
        assert sorted(changes, key=str) == sorted([({}, {"u1": 8}), ({"u1": 8}, {"u1": 8, "pregnant": 3})], key=str)
        with pytest.raises(InvalidTarget) as refused:
            epi_targets.save_targets(store, 2025, {"u1": -1})
        assert "Đối tượng đích" in refused.value.text("vi")
        store.actor = Actor(99, "yta.lan", "Lò Thị Lan", Role.NURSE)
        try:
            with pytest.raises(NotPermitted):
                epi_targets.save_targets(store, 2025, {"u1": 100})
        finally:
            store.actor = SYSTEM
        assert epi_targets.targets(store, 2025)["u1"] == 8
