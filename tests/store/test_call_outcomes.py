"""Call outcomes: "Không liên lạc được" (no answer: called again after a few days, counted in
the month), undoing the last outcome recorded, and an outcome kept to the item chosen."""

from __future__ import annotations

import datetime as dt

import pytest

from station_app import clock
from station_app.domain.dates import PartialDate
from station_app.domain.followup import (
    NO_ANSWER_DAYS,
    Kind,
    Outcome,
    OutcomeKind,
    RemovalReason,
    Section,
    Status,
    classify,
)
from station_app.domain.monthly import Month
from station_app.domain.patient import Patient
from station_app.reports.monthly import compute
from station_app.store import audit, followups, patients

DAY = dt.date(2026, 3, 10)


@pytest.fixture
def overdue(store):
    with clock.pinned(dt.datetime(2026, 2, 1, 9)):
        pid = patients.insert(store, Patient("Lò Văn Páo", "1", PartialDate(1960))).id
        item = followups.add_item(store, pid, Kind.CHRONIC_REFILL, "Cấp thuốc tiếp — I10", dt.date(2026, 3, 1),
                                  rule="chronic:hypertension")
    return pid, item


def _section(store, item_id: int, day: dt.date) -> Section:
    return classify(followups.get_item(store, item_id), day)


def test_no_answer_is_called_again_after_a_few_days_and_counted(store, overdue) -> None:
    _pid, item = overdue
    with clock.pinned(dt.datetime.combine(DAY, dt.time(9))):
        followups.record_outcome(store, item, Outcome(OutcomeKind.NO_ANSWER, DAY))
        assert _section(store, item, DAY) is Section.LATER
        assert [r.item.id for r in followups.work_rows(store, DAY, Section.OVERDUE)] == []
    back = DAY + dt.timedelta(days=NO_ANSWER_DAYS)
    assert _section(store, item, back - dt.timedelta(days=1)) is Section.LATER
    assert _section(store, item, back) is Section.OVERDUE  # on the call list again by itself
    assert [r.item.id for r in followups.work_rows(store, back, Section.OVERDUE)] == [item]
    assert followups.get_item(store, item).last_outcome.describe() == (
        "10/03/2026: không liên lạc được, gọi lại ngày 13/03/2026")
    with clock.pinned(dt.datetime(2026, 4, 2, 9)):
        summary = compute(store, Month(2026, 3))
    assert summary.cell("fu.outcomes/no_answer/total").value == 1


def test_undo_takes_back_the_last_outcome_only(store, overdue) -> None:
    pid, item = overdue
    with clock.pinned(dt.datetime.combine(DAY, dt.time(9))):
        first = followups.record_outcome(store, item, Outcome(OutcomeKind.AGREED, DAY))
        last = followups.record_outcome(store, item, Outcome(OutcomeKind.REMOVED, DAY, reason=RemovalReason.REFUSED))
        assert followups.get_item(store, item).status is Status.REMOVED
        with pytest.raises(followups.CannotUndo):
            followups.undo_outcome(store, first)  # not the last one
        assert followups.undo_outcome(store, last) == item
        back = followups.get_item(store, item)
        assert back.status is Status.OPEN and [o.kind for o in back.outcomes] == [OutcomeKind.AGREED]
        assert _section(store, item, DAY) is Section.AGREED
        followups.undo_outcome(store, first)
        assert followups.get_item(store, item).outcomes == ()
        assert _section(store, item, DAY) is Section.OVERDUE
    entries = [e for e in reversed(audit.entries(store, audit.Filter(patient_id=pid))) if e.details.get("change")]
    assert [(e.details["change"], e.details["outcome"]) for e in entries] == [
        ("outcome undone", "removed"), ("outcome undone", "agreed")]


def test_a_death_is_not_undone_from_the_list(store, overdue) -> None:
    _pid, item = overdue
    with clock.pinned(dt.datetime.combine(DAY, dt.time(9))):
        died = followups.record_outcome(store, item, Outcome(OutcomeKind.REMOVED, DAY, reason=RemovalReason.DIED))
        with pytest.raises(followups.CannotUndo):
            followups.undo_outcome(store, died)
