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
    assert followups._upcoming_left_out(demo_store, day, list(shown.values())) == len(left_out)


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_list_and_counts_are_those_of_every_item(demo_store, day) -> None:
    facts: dict = {}
    every = followups.list_items(demo_store, day, facts=facts)
    assert followups.section_counts(demo_store, day) == counts(every, day)

    risky = followups.high_risk_patients(demo_store, every, day, [facts[i.id] for i in every])
    expected = [i.id for i in work_list(every, day, None, risky)
                if classify(i, day) not in (Section.DONE, Section.UPCOMING)]
    rows = followups.work_rows(demo_store, day)
    assert [r.item.id for r in rows] == expected
    assert all(r.section is classify(r.item, day) for r in rows)
    assert {r.patient_id for r in rows if r.high_risk} == {r.patient_id for r in rows} & risky
    # The same rows (facts, flags and all) whether the list is read first, with its patients'
    # facts in the same statement, or after the counts, the facts then read by patient.
    followups.clear_cache(demo_store)
    read_together = followups.work_rows(demo_store, day)
    followups.clear_cache(demo_store)
    followups.section_counts(demo_store, day)
    assert followups.work_rows(demo_store, day) == read_together
    for first in ("the whole list", "the section alone"):
        if first == "the section alone":
            followups.clear_cache(demo_store)  # (each section then made on its own)
        for section in Section:
            if section is Section.DONE:
                continue
            wanted = [i.id for i in work_list(every, day, section, risky)]
            assert [r.item.id for r in followups.work_rows(demo_store, day, section)] == wanted, (first, section)


def test_the_items_read_are_reused_until_the_file_changes(demo_copy) -> None:
    """The list and its counts read the items once; a change through this connection or any
    other one (a second window, a worker thread) is seen at the next read."""
    from station_app.domain.followup import Outcome, OutcomeKind

    here, there = open_store(demo_copy, create=False), open_store(demo_copy, create=False)
    try:
        rows = followups.work_rows(here, TODAY, Section.OVERDUE)
        assert followups.list_items(here, TODAY, upcoming=False, facts={}) is not None
        assert followups.work_rows(here, TODAY, Section.OVERDUE) == rows  # read again from the cache
        first = rows[0].item
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(there, "require", lambda *_: None)  # the permission check is not the point here
            followups.record_outcome(there, int(first.id), Outcome(OutcomeKind.AGREED, TODAY))
        assert first.id not in [r.item.id for r in followups.work_rows(here, TODAY, Section.OVERDUE)]
        assert first.id in [r.item.id for r in followups.work_rows(here, TODAY, Section.AGREED)]
        counts_before = followups.section_counts(here, TODAY)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(here, "require", lambda *_: None)
            followups.record_outcome(here, int(rows[1].item.id), Outcome(OutcomeKind.AGREED, TODAY))
        counts_after = followups.section_counts(here, TODAY)
        assert counts_after[Section.AGREED] == counts_before[Section.AGREED] + 1
        assert counts_after[Section.OVERDUE] == counts_before[Section.OVERDUE] - 1
    finally:
        here.close()
        there.close()


@pytest.mark.parametrize("kind", ["agreed", "later", "removed", "done"])
def test_after_a_call_outcome_the_kept_list_is_what_a_fresh_read_gives(demo_copy, kind) -> None:
    """A call outcome refreshes the one item in the items kept (no full read again), and the list
    and counts are exactly those read afresh from the file."""
    from station_app.domain.followup import Outcome, OutcomeKind, RemovalReason

    outcomes = {
        "agreed": Outcome(OutcomeKind.AGREED, TODAY),
        "later": Outcome(OutcomeKind.REMIND_LATER, TODAY, until=TODAY + dt.timedelta(days=14)),
        "removed": Outcome(OutcomeKind.REMOVED, TODAY, reason=RemovalReason.MOVED_AWAY),
        "done": Outcome(OutcomeKind.DONE, TODAY),
    }
    store = open_store(demo_copy, create=False)
    try:
        store.require = lambda *_: None  # the permission check is not the point here
        followups.section_counts(store, TODAY)
        overdue = followups.work_rows(store, TODAY, Section.OVERDUE)
        followups.work_rows(store, TODAY, Section.UPCOMING)  # the list with every open item, kept too
        for row in (overdue[0], overdue[len(overdue) // 2]):
            followups.record_outcome(store, int(row.item.id), outcomes[kind])
            assert any(key[0] == "listed" for key in followups._LISTED[store][1]), "kept, refreshed"
            assert any(key[0] == "facts" for key in followups._LISTED[store][1]), "the patients' facts kept too"
            kept = (followups.work_rows(store, TODAY, s) for s in Section)  # (whole rows: facts, flags…)
            kept_counts = followups.section_counts(store, TODAY)
            kept_lists = list(kept)
            followups.clear_cache(store)
            assert followups.section_counts(store, TODAY) == kept_counts
            assert [followups.work_rows(store, TODAY, s) for s in Section] == kept_lists
            moved = {r.item.id: r.section for r in followups.work_rows(store, TODAY)}
            expected = {"agreed": Section.AGREED, "later": Section.LATER, "removed": Section.REMOVED}
            if kind in expected:
                assert moved[row.item.id] is expected[kind]
            else:
                assert row.item.id not in moved  # done: off the list
    finally:
        store.close()


def test_a_call_about_an_item_due_later_brings_it_into_the_kept_list(demo_copy) -> None:
    """An item due after this week is not among the items kept for the list until a call
    outcome; then it comes in at its place, with its patient's facts, as a fresh read gives it."""
    from station_app.domain.followup import Outcome, OutcomeKind

    store = open_store(demo_copy, create=False)
    try:
        store.require = lambda *_: None
        followups.section_counts(store, TODAY)
        shown = followups.work_rows(store, TODAY)
        later = [r for r in followups.work_rows(store, TODAY, Section.UPCOMING) if not r.item.outcomes]
        # (one early in the list of ids and one late, of patients with nothing else on the list)
        on_list = {r.patient_id for r in shown}
        picked = [r for r in later if r.patient_id not in on_list]
        for row in (picked[0], picked[-1]):
            followups.record_outcome(store, int(row.item.id), Outcome(OutcomeKind.AGREED, TODAY))
            assert any(key[0] == "facts" for key in followups._LISTED[store][1]), "kept, refreshed"
            kept = [followups.work_rows(store, TODAY, s) for s in Section]
            followups.clear_cache(store)
            assert [followups.work_rows(store, TODAY, s) for s in Section] == kept
            [moved] = [r for r in followups.work_rows(store, TODAY, Section.AGREED) if r.item.id == row.item.id]
            assert (moved.full_name, moved.village) == (row.full_name, row.village)
            followups.section_counts(store, TODAY)
            followups.work_rows(store, TODAY)
            followups.work_rows(store, TODAY, Section.UPCOMING)
    finally:
        store.close()
