"""A visit closes (or replaces) its programme's open item whatever the item's due date, and one
patient never has two open items of the same programme and kind (issue 17, §1)."""

from __future__ import annotations

import datetime as dt

import pytest

from station_app import clock
from station_app.domain.dates import PartialDate
from station_app.domain.followup import Kind, Status
from station_app.domain.monthly import Month
from station_app.domain.patient import Patient
from station_app.domain.visit import Visit
from station_app.reports.monthly import compute
from station_app.store import followups, patients, visits


def _visit(pid: int, when: dt.datetime, **fields) -> Visit:
    return Visit(pid, when, complaint=fields.pop("complaint", "Tái khám"), **fields)


def _open(store, pid: int, kind: Kind) -> list:
    return [i for i in followups.patient_items(store, pid, open_only=True) if i.kind is kind]


@pytest.fixture
def hypertensive(store):
    """A patient whose last refill (I10, 05/12/2026) left an open refill item due 04/01/2027."""
    with clock.pinned(dt.datetime(2026, 12, 5, 9)):
        pid = patients.insert(store, Patient("Hoàng Văn Lợi", "1", PartialDate(1956))).id
        visits.insert(store, _visit(pid, dt.datetime(2026, 12, 5, 9), diagnosis_code="I10",
                                    follow_up_date=dt.date(2027, 1, 4)),
                      followups.VisitFeeds(refill_days=30))
    [item] = _open(store, pid, Kind.CHRONIC_REFILL)
    assert item.due_date == dt.date(2027, 1, 4)
    return pid, item


def test_the_issues_case_a_refill_a_month_early_leaves_one_open_refill(store, hypertensive) -> None:
    pid, first = hypertensive
    # He came back a month early (the due date was 04/01/2027); next visit in one month.
    with clock.pinned(dt.datetime(2026, 12, 5, 15)):
        visits.insert(store, _visit(pid, dt.datetime(2026, 12, 5, 15), diagnosis_code="I10",
                                    follow_up_date=dt.date(2027, 1, 5)),
                      followups.VisitFeeds(refill_days=30))
    [item] = _open(store, pid, Kind.CHRONIC_REFILL)
    assert item.due_date == dt.date(2027, 1, 5)
    assert followups.get_item(store, int(first.id)).status is Status.DONE


@pytest.mark.parametrize(
    ("came", "entered"),
    [
        (dt.datetime(2026, 12, 20, 9), dt.datetime(2026, 12, 20, 9)),  # two weeks early
        (dt.datetime(2027, 1, 4, 9), dt.datetime(2027, 1, 4, 9)),  # on the day
        (dt.datetime(2027, 2, 10, 9), dt.datetime(2027, 2, 10, 9)),  # five weeks late
        (dt.datetime(2026, 12, 28, 9), dt.datetime(2027, 1, 20, 9)),  # entered three weeks afterwards
    ],
    ids=["early", "on time", "late", "entered afterwards"],
)
def test_a_visit_of_the_programme_closes_its_item_whatever_its_due_date(store, hypertensive, came, entered) -> None:
    pid, first = hypertensive
    with clock.pinned(entered):
        visits.insert(store, _visit(pid, came, diagnosis_code="I10.0"), followups.VisitFeeds(refill_days=30))
    closed = followups.get_item(store, int(first.id))
    assert closed.status is Status.DONE and closed.last_outcome.recorded_at == came.date()
    [item] = _open(store, pid, Kind.CHRONIC_REFILL)
    assert item.due_date == came.date() + dt.timedelta(days=30)


def test_a_visit_entered_later_than_a_newer_one_does_not_add_a_second_refill(store, hypertensive) -> None:
    pid, first = hypertensive
    # The paper book of November is copied in afterwards: an older visit than the one held.
    with clock.pinned(dt.datetime(2026, 12, 10, 9)):
        visits.insert(store, _visit(pid, dt.datetime(2026, 11, 5, 9), diagnosis_code="I10"),
                      followups.VisitFeeds(refill_days=30))
    assert [i.id for i in _open(store, pid, Kind.CHRONIC_REFILL)] == [first.id]


def test_a_visit_of_another_programme_leaves_the_refill_open(store, hypertensive) -> None:
    pid, _first = hypertensive
    with clock.pinned(dt.datetime(2026, 12, 20, 9)):
        visits.insert(store, _visit(pid, dt.datetime(2026, 12, 20, 9), diagnosis_code="E11"),
                      followups.VisitFeeds(refill_days=30))
    refills = _open(store, pid, Kind.CHRONIC_REFILL)
    assert sorted(i.due_date for i in refills) == [dt.date(2027, 1, 4), dt.date(2027, 1, 19)]
    assert {followups.rule_of(store, int(i.id)) for i in refills} == {"chronic:hypertension", "chronic:diabetes"}


def test_a_new_revisit_replaces_the_open_one(store) -> None:
    with clock.pinned(dt.datetime(2026, 12, 1, 9)):
        pid = patients.insert(store, Patient("Đỗ Thị Thu", "2", PartialDate(1990))).id
        visits.insert(store, _visit(pid, dt.datetime(2026, 12, 1, 9), diagnosis_code="J20.9",
                                    follow_up_date=dt.date(2026, 12, 29)))
    with clock.pinned(dt.datetime(2026, 12, 8, 9)):
        visits.insert(store, _visit(pid, dt.datetime(2026, 12, 8, 9), diagnosis_code="J20.9",
                                    follow_up_date=dt.date(2026, 12, 15)))
    [item] = _open(store, pid, Kind.REVISIT)
    assert item.due_date == dt.date(2026, 12, 15)


def test_follow_ups_done_count_the_items_closed_by_visits(store) -> None:
    """"Hẹn đã thực hiện" of a month: every refill a hypertension visit of the month closed."""
    people = []
    with clock.pinned(dt.datetime(2026, 2, 1, 8)):
        for n in range(3):
            people.append(patients.insert(store, Patient(f"Bệnh Nhân {n}", "1", PartialDate(1950 + n))).id)
    # February: each has a refill visit; March: each comes back, two early and one late.
    for pid, back in zip(people, (dt.date(2026, 3, 2), dt.date(2026, 3, 20), dt.date(2026, 3, 31)), strict=True):
        with clock.pinned(dt.datetime(2026, 2, 15, 9)):
            visits.insert(store, _visit(pid, dt.datetime(2026, 2, 15, 9), diagnosis_code="I10"),
                          followups.VisitFeeds(refill_days=30))
        with clock.pinned(dt.datetime.combine(back, dt.time(9))):
            visits.insert(store, _visit(pid, dt.datetime.combine(back, dt.time(9)), diagnosis_code="I10"),
                          followups.VisitFeeds(refill_days=30))
    with clock.pinned(dt.datetime(2026, 4, 2, 9)):
        summary = compute(store, Month(2026, 3))
    result = summary.result("fu.done")
    line = next(ln for ln in result.lines if ln.key == "chronic_refill")
    assert [line.cells[c].value for c in result.columns] == [3]
    assert len(summary.cell("fu.done/chronic_refill/total").record_ids()) == 3


def test_a_child_with_je_dose_2_on_10_11_2025_is_due_dose_3_a_year_later(store) -> None:
    """The issue's child showed "Viêm não Nhật Bản mũi 3" due on 01/01/2026."""
    with clock.pinned(dt.datetime(2025, 12, 1, 9)):
        pid = patients.insert(store, Patient("Vũ Gia Bảo", "1", PartialDate(2024, 1, 1))).id
        followups.record_dose(store, pid, "je", 1, dt.date(2025, 11, 3), "Trạm Y tế", from_booklet=True)
        followups.record_dose(store, pid, "je", 2, dt.date(2025, 11, 10), "Trạm Y tế", from_booklet=True)
    rules = [(followups.rule_of(store, int(i.id)), i.due_date) for i in _open(store, pid, Kind.VACCINE_DOSE)]
    assert [r for r in rules if r[0].startswith("vaccine:je")] == [("vaccine:je:3", dt.date(2026, 11, 10))]


def test_a_refill_without_a_code_is_for_the_patients_own_programme(store) -> None:
    with clock.pinned(dt.datetime(2026, 11, 2, 9)):
        pid = patients.insert(store, Patient("Mai Thị Chín", "2", PartialDate(1957))).id
        visits.insert(store, _visit(pid, dt.datetime(2026, 11, 2, 9), diagnosis_code="E11.9"),
                      followups.VisitFeeds(refill_days=30))
    with clock.pinned(dt.datetime(2026, 11, 25, 9)):
        visits.insert(store, _visit(pid, dt.datetime(2026, 11, 25, 9), complaint="Lĩnh thuốc"),
                      followups.VisitFeeds(refill_days=60))
    [item] = _open(store, pid, Kind.CHRONIC_REFILL)
    assert followups.rule_of(store, int(item.id)) == "chronic:diabetes"
    assert item.due_date == dt.date(2027, 1, 24)
