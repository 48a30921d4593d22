"""Antenatal care: dating, gestational age, the next contact, tetanus doses, closing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station_app import i18n
from station_app.domain import antenatal as anc
from station_app.domain.antenatal import Closure, PregnancyDateError

D = dt.date
LMP = D(2026, 1, 1)
EDD = D(2026, 10, 8)  # LMP + 280 days


def week(n: int, days: int = 0) -> dt.date:
    return LMP + dt.timedelta(weeks=n, days=days)


@pytest.fixture
def lang():
    previous = i18n.language()
    yield i18n.set_language
    i18n.set_language(previous)


def test_schedule_file_defaults_to_who_eight_contacts():
    schedule = anc.load_schedule()
    assert schedule.contact_weeks == (12, 20, 26, 30, 34, 36, 38, 40)
    assert "unverified" in schedule.source
    assert "1139" in schedule.source
    assert (schedule.tetanus_interval_months, schedule.tetanus_latest_days_before_edd) == (1, 14)


def test_a_schedule_from_another_file(tmp_path):
    path = tmp_path / "anc.json"
    path.write_text(json.dumps({"version": "t", "contacts": [12, 24, 32, 36]}), encoding="utf-8")
    schedule = anc.load_schedule(path)
    pregnancy = anc.enrol(week(8), lmp=LMP)
    assert [c.due_date for c in anc.contacts(pregnancy, schedule)] == [
        week(12), week(24), week(32), week(36),
    ]
    with pytest.raises(ValueError, match="increasing"):
        anc.parse_schedule({"version": "t", "contacts": [20, 12]})


def test_enrol_by_lmp_or_edd():
    by_lmp = anc.enrol(week(8), lmp=LMP)
    assert by_lmp.edd == EDD
    assert by_lmp.dating_lmp == LMP
    by_edd = anc.enrol(week(8), edd=EDD)
    assert by_edd.lmp is None
    assert by_edd.dating_lmp == LMP
    # an ultrasound EDD wins over the reported LMP
    scanned = anc.enrol(week(10), lmp=LMP, edd=EDD + dt.timedelta(days=5))
    assert scanned.lmp == LMP
    assert scanned.dating_lmp == LMP + dt.timedelta(days=5)


def test_enrolment_dates_are_checked():
    with pytest.raises(PregnancyDateError):
        anc.enrol(week(8))
    with pytest.raises(PregnancyDateError):
        anc.enrol(LMP - dt.timedelta(days=1), lmp=LMP)
    with pytest.raises(PregnancyDateError):
        anc.enrol(week(8), edd=EDD + dt.timedelta(weeks=20))
    with pytest.raises(PregnancyDateError):
        anc.enrol(week(45), lmp=LMP)


def test_gestational_age(lang):
    pregnancy = anc.enrol(week(6), lmp=LMP)
    age = anc.gestational_age(pregnancy, week(12, 3))
    assert (age.weeks, age.days, age.total_days) == (12, 3, 87)
    assert anc.gestational_age(pregnancy, EDD).weeks == 40
    lang("vi")
    assert age.display() == "12 tuần 3 ngày"
    lang("en")
    assert age.display() == "12 weeks 3 days"


@pytest.mark.parametrize(
    ("on", "trimester"),
    [(week(13, 6), 1), (week(14), 2), (week(27, 6), 2), (week(28), 3), (week(41), 3)],
)
def test_trimesters(on, trimester):
    assert anc.enrol(week(6), lmp=LMP).gestational_age(on).trimester == trimester


def test_contacts_are_dated_from_the_lmp():
    pregnancy = anc.enrol(week(8), lmp=LMP)
    planned = anc.contacts(pregnancy)
    assert [c.number for c in planned] == list(range(1, 9))
    assert planned[0].due_date == D(2026, 3, 26)  # 12 weeks
    assert planned[-1].due_date == EDD  # 40 weeks


def test_next_visit_follows_the_visits_made():
    pregnancy = anc.enrol(week(8), lmp=LMP)
    first = anc.next_visit(pregnancy, [])
    assert (first.number, first.due_date) == (1, week(12))
    second = anc.next_visit(pregnancy, [week(8)])
    assert (second.number, second.due_date) == (2, week(20))
    # a visit at 29 weeks counts for the 30-week contact: next is 34 weeks
    assert anc.next_visit(pregnancy, [week(8), week(29)]).week == 34
    # a missed contact stays due (overdue) until she comes; not one item per missed contact
    assert anc.next_visit(pregnancy, [week(8)]).week == 20
    # two visits in one window count once
    assert anc.next_visit(pregnancy, [week(8), week(10)]).week == 20
    everything = [week(w) for w in (12, 20, 26, 30, 34, 36, 38, 40)]
    assert anc.next_visit(pregnancy, everything) is None


def test_late_enrolment_skips_contacts_already_past():
    pregnancy = anc.enrol(week(25), lmp=LMP)
    due = anc.next_visit(pregnancy, [])
    assert (due.number, due.week) == (3, 26)
    assert anc.next_visit(anc.enrol(week(40, 3), lmp=LMP), []) is None


def test_closed_pregnancy_asks_nothing(lang):
    pregnancy = anc.enrol(week(8), lmp=LMP)
    delivered = anc.close(pregnancy, week(39), Closure.DELIVERED)
    assert not delivered.is_open()
    assert delivered.is_open(week(38))
    assert anc.next_visit(delivered, [week(8)]) is None
    assert anc.tetanus_next(delivered, []) is None
    lost = anc.close(pregnancy, week(10), "loss")
    assert lost.closure is Closure.LOSS
    lang("en")
    assert lost.closure.title == "Pregnancy loss"
    with pytest.raises(PregnancyDateError):
        anc.close(pregnancy, LMP - dt.timedelta(days=1), Closure.LOSS)


def test_visits_by_trimester():
    pregnancy = anc.close(anc.enrol(week(8), lmp=LMP), week(39), Closure.DELIVERED)
    before = LMP - dt.timedelta(days=30)  # not this pregnancy
    visits = [before, week(8), week(12), week(20), week(30), week(36), week(40)]  # 40: after
    assert anc.visits_by_trimester(pregnancy, visits) == {1: 2, 2: 1, 3: 2}


def test_tetanus_doses(lang):
    pregnancy = anc.enrol(D(2026, 1, 31), lmp=D(2025, 12, 1))
    first = anc.tetanus_next(pregnancy, [])
    assert (first.dose, first.due_date) == (1, D(2026, 1, 31))
    second = anc.tetanus_next(pregnancy, [D(2026, 1, 31)])
    assert second.dose == 2
    assert second.due_date == D(2026, 2, 28)  # a calendar month, clamped to the month's end
    assert second.latest == pregnancy.edd - dt.timedelta(days=14)
    assert anc.tetanus_next(pregnancy, [D(2026, 1, 31), D(2026, 3, 1)]) is None
    lang("vi")
    assert second.label == "Uốn ván mũi 2 (phụ nữ có thai)"


def test_tetanus_second_dose_dropped_when_it_cannot_be_two_weeks_before_delivery():
    pregnancy = anc.enrol(week(34), lmp=LMP)
    dose1 = week(34)
    # dose 1 + 1 month is about 38½ weeks: later than 2 weeks before the EDD
    assert anc.tetanus_next(pregnancy, [dose1]) is None
    just_in_time = anc.enrol(week(33), lmp=LMP)
    # 33 weeks + 1 month ≈ 37 weeks 3 days; the latest day is 38 weeks
    assert anc.tetanus_next(just_in_time, [week(33)]).dose == 2


@given(st.integers(0, 40 * 7), st.lists(st.integers(0, 42 * 7), max_size=8))
def test_next_visit_is_after_every_contact_made(enrolled_day, visit_days):
    pregnancy = anc.enrol(LMP + dt.timedelta(days=enrolled_day), lmp=LMP)
    visits = [LMP + dt.timedelta(days=d) for d in visit_days]
    due = anc.next_visit(pregnancy, visits)
    if due is None:
        return
    assert due.due_date >= pregnancy.enrolled_on  # contacts before enrolment are not asked
    for visit in visits:
        assert due.due_date > visit  # never asks again for a window already used
