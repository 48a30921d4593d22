"""The work list reads only the items it can show: the open items due after this week with no
call outcome are left out in SQL, and the list and the counts are exactly what the full item
list gives (the one definition, ``classify``, decides every section either way)."""

from __future__ import annotations

import datetime as dt

import pytest

from station_app.domain.followup import Section, classify, counts, work_list
from station_app.store import followups, open_store

from tests.conftest import TODAY

DAYS = [TODAY - dt.timedelta(days=200), TODAY - dt.timedelta(days=30), TODAY, TODAY + dt.timedelta(days=10),
        TODAY + dt.timedelta(days=400)]


@pytest.fixture
def demo_store(demo_db):
    store = open_store(demo_db, create=False)
    try:
        yield store
    finally:
        store.close()


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_the_items_left_out_are_all_upcoming(demo_store, day) -> None:
    every = {i.id: i for i in followups.list_items(demo_store, day)}
    shown = {i.id: i for i in followups.list_items(demo_store, day, upcoming=False)}
    assert set(shown) <= set(every)
    left_out = [every[i] for i in set(every) - set(shown)]
    assert left_out, "the demo station has items due later than this week"
    assert all(classify(item, day) is Section.UPCOMING for item in left_out)
    assert all(not item.outcomes for item in left_out)
    assert followups._upcoming_left_out(demo_store, day) == len(left_out)


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_list_and_counts_are_those_of_every_item(demo_store, day) -> None:
    every = followups.list_items(demo_store, day)
    assert followups.section_counts(demo_store, day) == counts(every, day)

    risky = followups.high_risk_patients(demo_store, every, day)
    expected = [i.id for i in work_list(every, day, None, risky)
                if classify(i, day) not in (Section.DONE, Section.UPCOMING)]
    rows = followups.work_rows(demo_store, day)
    assert [r.item.id for r in rows] == expected
    assert all(r.section is classify(r.item, day) for r in rows)
    assert {r.patient_id for r in rows if r.high_risk} == {r.patient_id for r in rows} & risky
    for section in Section:
        if section is Section.DONE:
            continue
        wanted = [i.id for i in work_list(every, day, section, risky)]
        assert [r.item.id for r in followups.work_rows(demo_store, day, section)] == wanted, section
