"""Child vaccination: ages from the birth date, minimum intervals, late series, the card."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station_app import clock, i18n
from station_app.domain import vaccination as vx
from station_app.domain.dates import add_months
from station_app.domain.vaccination import DoseState, GivenDose

D = dt.date


@pytest.fixture
def lang():
    """Set the language for one test and put the previous one back."""
    previous = i18n.language()
    yield i18n.set_language
    i18n.set_language(previous)


def due_of(birth, given, series, today):
    due = vx.next_dose(birth, given, series, today)
    return None if due is None else due.due_date


def line_of(lines, series, dose):
    return next(x for x in lines if x.series.key == series and x.dose.number == dose)


# --- calendar months ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2026, 1, 15), 2, D(2026, 3, 15)),
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # leap year
        (D(2026, 1, 31), 2, D(2026, 3, 31)),
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 8, 31), 3, D(2026, 11, 30)),
        (D(2026, 11, 30), 2, D(2027, 1, 30)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2026, 5, 10), 0, D(2026, 5, 10)),
    ],
)
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months(start, months) == expected


@given(st.dates(D(2000, 1, 1), D(2090, 12, 31)), st.integers(0, 60))
def test_add_months_keeps_the_day_or_ends_the_month(start, months):
    result = add_months(start, months)
    assert (result.year - start.year) * 12 + result.month - start.month == months
    assert result.day == start.day or (result + dt.timedelta(days=1)).day == 1


# --- the schedule file ----------------------------------------------------------------------


def test_schedule_file_loads_with_every_series():
    schedule = vx.load_schedule()
    assert schedule.min_interval_days == 28
    assert schedule.valid_to is None
    assert schedule.version
    assert "unverified" in schedule.source
    assert [s.key for s in schedule.series] == [
        "hepb0", "bcg", "dpt_vgb_hib", "opv", "rota", "ipv", "measles", "je", "mr", "dpt_booster",
    ]
    for series in schedule.series:
        assert series.names["vi"] and series.names["en"]
    assert schedule.covers(D(2026, 1, 15))
    assert not schedule.covers(schedule.valid_from - dt.timedelta(days=1))


def test_schedule_ages_follow_the_table():
    schedule = vx.load_schedule()
    birth = D(2026, 1, 15)

    def age(series, dose):
        return schedule.get(series).dose(dose).age.reached_on(birth)

    assert age("hepb0", 1) == birth
    assert age("bcg", 1) == D(2026, 2, 15)
    for series in ("dpt_vgb_hib", "opv"):
        assert [age(series, n) for n in (1, 2, 3)] == [
            D(2026, 3, 15), D(2026, 4, 15), D(2026, 5, 15),
        ]
    assert [age("rota", n) for n in (1, 2)] == [D(2026, 3, 15), D(2026, 4, 15)]
    assert [age("ipv", n) for n in (1, 2)] == [D(2026, 6, 15), D(2026, 10, 15)]
    assert age("measles", 1) == D(2026, 10, 15)
    assert [age("je", n) for n in (1, 2, 3)] == [D(2027, 1, 15), D(2027, 1, 22), D(2028, 1, 15)]
    assert age("mr", 1) == D(2027, 7, 15)
    assert age("dpt_booster", 4) == D(2027, 7, 15)


def test_labels_are_what_a_nurse_reads(lang):
    schedule = vx.load_schedule()
    lang("vi")
    assert schedule.get("dpt_vgb_hib").label(1) == "DPT-VGB-Hib mũi 1"
    assert schedule.get("opv").label(2) == "OPV lần 2"  # oral: "lần", not "mũi"
    assert schedule.get("bcg").label(1) == "BCG"
    assert schedule.get("dpt_booster").label(4) == "DPT mũi 4"
    lang("en")
    assert schedule.get("dpt_vgb_hib").label(1) == "DPT-HepB-Hib dose 1"
    assert schedule.get("opv").label(2) == "OPV dose 2"
    assert schedule.get("je").label(3) == "Japanese encephalitis dose 3"
    # an explicit language wins over the current one
    assert schedule.get("je").label(3, "vi") == "Viêm não Nhật Bản mũi 3"


def _minimal(series):
    return {"version": "t", "valid_from": "2024-01-01", "min_interval_days": 28, "series": series}


def _series(key, after=None):
    dose = {"dose": 1, "age": {"months": 2}}
    if after:
        dose["after"] = after
    return {"key": key, "name": {"vi": key, "en": key}, "doses": [dose]}


def test_schedule_errors_are_caught():
    with pytest.raises(ValueError, match="twice"):
        vx.parse_schedule(_minimal([_series("a"), _series("a")]))
    with pytest.raises(ValueError, match="unknown series"):
        vx.parse_schedule(_minimal([_series("a", [{"series": "b", "dose": 1}]), _series("b")]))
    with pytest.raises(ValueError, match="unknown age"):
        vx.Age.from_json({"weeks": 6})


def test_load_schedule_from_another_file(tmp_path):
    path = tmp_path / "schedule.json"
    path.write_text(json.dumps(_minimal([_series("x")])), encoding="utf-8")
    schedule = vx.load_schedule(path)
    assert [s.key for s in schedule.series] == ["x"]
    assert due_of(D(2026, 1, 31), [], "x", D(2026, 1, 31)) is None  # not the shipped table
    assert vx.next_doses(D(2026, 1, 31), [], D(2026, 1, 31), schedule)[0].due_date == D(2026, 3, 31)


# --- due dates ------------------------------------------------------------------------------


def test_worked_example_from_the_domain_notes():
    birth = D(2026, 1, 15)
    assert due_of(birth, [], "dpt_vgb_hib", D(2026, 2, 1)) == D(2026, 3, 15)
    given = [GivenDose("dpt_vgb_hib", 1, D(2026, 4, 20), "Trạm Y tế xã")]
    # birth + 3 months is 15/04, but 28 days after the late dose 1 is 18/05
    assert due_of(birth, given, "dpt_vgb_hib", D(2026, 4, 20)) == D(2026, 5, 18)


def test_birth_on_31_january():
    birth = D(2026, 1, 31)
    today = birth
    assert due_of(birth, [], "bcg", today) == D(2026, 2, 28)
    assert due_of(birth, [], "dpt_vgb_hib", today) == D(2026, 3, 31)
    given = [GivenDose("dpt_vgb_hib", 1, D(2026, 3, 31))]
    assert due_of(birth, given, "dpt_vgb_hib", today) == D(2026, 4, 30)  # 3 months, clamped
    assert due_of(D(2028, 1, 31), [], "bcg", D(2028, 1, 31)) == D(2028, 2, 29)


def test_a_late_series_continues_and_never_restarts():
    birth = D(2026, 1, 15)
    dose1 = D(2026, 8, 1)  # 6½ months: very late
    given = [GivenDose("opv", 1, dose1)]
    today = D(2026, 8, 1)
    assert due_of(birth, given, "opv", today) == dose1 + dt.timedelta(days=28)
    dose2 = D(2026, 9, 10)
    given.append(GivenDose("opv", 2, dose2))
    assert due_of(birth, given, "opv", today) == dose2 + dt.timedelta(days=28)
    lines = vx.card(birth, given, today)
    assert line_of(lines, "opv", 1).state is DoseState.GIVEN
    assert line_of(lines, "opv", 2).state is DoseState.GIVEN
    given.append(GivenDose("opv", 3, D(2026, 10, 20)))
    assert due_of(birth, given, "opv", today) is None  # complete: nothing asked again


def test_a_dose_given_is_never_asked_again():
    birth = D(2026, 1, 15)
    today = D(2026, 12, 1)
    # booklet copy and a second record of the same dose: the earliest counts, nothing re-asked
    given = [
        GivenDose("ipv", 1, D(2026, 6, 20), "Bệnh viện huyện", from_booklet=True),
        GivenDose("ipv", 1, D(2026, 6, 15), "Trạm Y tế xã"),
    ]
    due = vx.next_dose(birth, given, "ipv", today)
    assert due is not None and due.number == 2
    assert due.due_date == D(2026, 10, 15)  # 9 months; 28 days after 15/06 is earlier
    assert line_of(vx.card(birth, given, today), "ipv", 1).given.given_on == D(2026, 6, 15)


def test_missing_earlier_doses_are_not_asked():
    birth = D(2026, 1, 15)
    today = D(2026, 7, 1)
    given = [GivenDose("dpt_vgb_hib", 2, D(2026, 5, 1), "Phòng khám tư")]
    lines = vx.card(birth, given, today)
    assert line_of(lines, "dpt_vgb_hib", 1).state is DoseState.NOT_RECORDED
    due = vx.next_dose(birth, given, "dpt_vgb_hib", today)
    assert (due.number, due.due_date) == (3, D(2026, 5, 29))


def test_japanese_encephalitis_second_dose_one_to_two_weeks_later():
    birth = D(2026, 1, 15)
    given = [GivenDose("je", 1, D(2027, 1, 20))]
    assert due_of(birth, given, "je", D(2027, 1, 20)) == D(2027, 1, 27)  # 7-day override
    given.append(GivenDose("je", 2, D(2027, 1, 27)))
    # Dose 3 one year after dose 2 (not at 24 months of age: 15/01/2028 would be too early).
    assert due_of(birth, given, "je", D(2027, 1, 27)) == D(2028, 1, 27)


def test_japanese_encephalitis_third_dose_a_year_after_a_late_second_dose():
    """The issue's child: JE dose 2 on 10/11/2025 at 22 months; dose 3 is due on 10/11/2026,
    not on 01/01/2026 (24 months of age, 28 days after dose 2)."""
    birth = D(2024, 1, 1)
    given = [GivenDose("je", 1, D(2025, 11, 3)), GivenDose("je", 2, D(2025, 11, 10))]
    due = vx.next_dose(birth, given, "je", D(2025, 12, 1))
    assert (due.number, due.due_date, due.earliest) == (3, D(2026, 11, 10), D(2026, 11, 10))
    line = line_of(vx.card(birth, given, D(2025, 12, 1)), "je", 3)
    assert line.state is DoseState.NOT_YET_DUE


# Every dose's minimum interval after the dose before it (follow-up.md: 28 days between doses of
# one series unless the series says otherwise; JE dose 2 one to two weeks after dose 1, dose 3 one
# year after dose 2; MR after measles dose 1 and the DPT booster after the third DPT-VGB-Hib dose
# by the same 28 days). Each case gives the earlier dose late, so the interval, not the age, decides.
INTERVALS = [
    # (series of the dose before, its number, given on; the next series and dose, due on)
    ("dpt_vgb_hib", 1, D(2026, 9, 1), "dpt_vgb_hib", 2, D(2026, 9, 29)),
    ("dpt_vgb_hib", 2, D(2026, 9, 1), "dpt_vgb_hib", 3, D(2026, 9, 29)),
    ("opv", 1, D(2026, 9, 1), "opv", 2, D(2026, 9, 29)),
    ("opv", 2, D(2026, 9, 1), "opv", 3, D(2026, 9, 29)),
    ("rota", 1, D(2026, 5, 1), "rota", 2, D(2026, 5, 29)),
    ("ipv", 1, D(2026, 11, 1), "ipv", 2, D(2026, 11, 29)),
    ("je", 1, D(2027, 5, 1), "je", 2, D(2027, 5, 8)),
    ("je", 2, D(2027, 5, 8), "je", 3, D(2028, 5, 8)),
    ("measles", 1, D(2027, 7, 10), "mr", 1, D(2027, 8, 7)),
    ("dpt_vgb_hib", 3, D(2027, 7, 10), "dpt_booster", 4, D(2027, 8, 7)),
]


@pytest.mark.parametrize(("before", "number", "given_on", "series", "dose", "due"), INTERVALS,
                         ids=[f"{c[3]} {c[4]}" for c in INTERVALS])
def test_each_dose_waits_its_minimum_interval(before, number, given_on, series, dose, due):
    birth = D(2026, 1, 15)
    given = [GivenDose(before, n, given_on - dt.timedelta(days=60 * (number - n))) for n in range(1, number + 1)]
    if series == "dpt_booster":
        given = [GivenDose("dpt_vgb_hib", n, given_on - dt.timedelta(days=28 * (3 - n))) for n in (1, 2, 3)]
    found = vx.next_dose(birth, given, series, given_on)
    assert (found.number, found.due_date, found.earliest) == (dose, due, due)


@pytest.mark.parametrize("series", ["hepb0", "bcg", "measles"])
def test_single_dose_series_ask_nothing_more_once_given(series):
    birth = D(2026, 1, 15)
    assert vx.next_dose(birth, [GivenDose(series, 1, D(2026, 1, 20))], series, D(2026, 2, 1)) is None


def test_every_series_has_an_interval_case():
    """A new series in the schedule data needs its interval checked here too."""
    checked = {c[3] for c in INTERVALS} | {"hepb0", "bcg", "measles"}
    assert checked == {s.key for s in vx.load_schedule().series}


def test_booster_waits_for_the_primary_series():
    birth = D(2026, 1, 15)
    today = D(2027, 8, 1)
    primary = [
        GivenDose("dpt_vgb_hib", 1, D(2026, 3, 15)),
        GivenDose("dpt_vgb_hib", 2, D(2026, 4, 15)),
    ]
    assert due_of(birth, primary, "dpt_booster", today) is None
    line = line_of(vx.card(birth, primary, today), "dpt_booster", 4)
    assert line.state is DoseState.NOT_YET_DUE and line.waiting_for
    complete = [*primary, GivenDose("dpt_vgb_hib", 3, D(2027, 7, 1))]  # third dose late
    assert due_of(birth, complete, "dpt_booster", today) == D(2027, 7, 29)


def test_mr_follows_measles_only_when_measles_was_given():
    birth = D(2026, 1, 15)
    today = D(2027, 7, 15)
    assert due_of(birth, [], "mr", today) == D(2027, 7, 15)
    late_measles = [GivenDose("measles", 1, D(2027, 7, 1))]
    assert due_of(birth, late_measles, "mr", today) == D(2027, 7, 29)


def test_doses_past_their_maximum_age_are_not_asked():
    birth = D(2026, 1, 15)
    today = D(2026, 8, 1)  # past 6 months
    assert due_of(birth, [], "rota", today) is None
    lines = vx.card(birth, [], today)
    assert line_of(lines, "rota", 1).state is DoseState.TOO_OLD
    assert line_of(lines, "rota", 2).state is DoseState.TOO_OLD
    assert line_of(lines, "hepb0", 1).state is DoseState.TOO_OLD
    # still young enough
    assert due_of(birth, [], "rota", D(2026, 7, 1)) == D(2026, 3, 15)
    # dose 2 could only come after the maximum age: not asked
    late = [GivenDose("rota", 1, D(2026, 6, 25))]
    assert due_of(birth, late, "rota", D(2026, 6, 26)) is None


def test_bcg_can_be_given_from_birth_and_is_due_by_one_month():
    birth = D(2026, 1, 15)
    line = line_of(vx.card(birth, [], D(2026, 1, 20)), "bcg", 1)
    assert line.state is DoseState.DUE
    assert (line.earliest, line.due_date) == (birth, D(2026, 2, 15))
    assert not line.overdue
    assert not vx.is_behind(birth, [GivenDose("hepb0", 1, birth)], D(2026, 1, 20))


def test_is_behind():
    birth = D(2026, 1, 15)
    on_time = [
        GivenDose("hepb0", 1, birth),
        GivenDose("bcg", 1, D(2026, 1, 16)),
        *(GivenDose(s, 1, D(2026, 3, 15)) for s in ("dpt_vgb_hib", "opv", "rota")),
    ]
    assert not vx.is_behind(birth, on_time, D(2026, 4, 15))  # dose 2s due today: not late
    assert vx.is_behind(birth, on_time, D(2026, 4, 16))
    overdue = vx.overdue_doses(birth, on_time, D(2026, 4, 16))
    assert {d.series_key for d in overdue} == {"dpt_vgb_hib", "opv", "rota"}
    with clock.pinned(D(2026, 3, 14)):
        assert not vx.is_behind(birth, on_time)


def test_card_lists_every_dose_with_a_sentence(lang):
    birth = D(2026, 1, 15)
    given = [
        GivenDose("hepb0", 1, birth, "Bệnh viện huyện", from_booklet=True),
        GivenDose("dpt_vgb_hib", 1, D(2026, 4, 20), "Trạm Y tế xã"),
        GivenDose("opv", 1, D(2026, 4, 20)),
        GivenDose("hpv", 1, D(2026, 4, 20)),  # unknown to this schedule: ignored
    ]
    today = D(2026, 5, 18)
    lines = vx.card(birth, given, today)
    schedule = vx.load_schedule()
    assert len(lines) == sum(len(s.doses) for s in schedule.series)
    lang("en")
    assert line_of(lines, "hepb0", 1).describe() == (
        "Given on 15/01/2026 at Bệnh viện huyện (from the booklet)"
    )
    assert line_of(lines, "dpt_vgb_hib", 2).describe() == "Due on 18/05/2026"
    assert line_of(lines, "ipv", 1).describe() == "Not yet due (due on 15/06/2026)"
    assert line_of(lines, "dpt_vgb_hib", 3).describe() == (
        "Not yet due: after DPT-HepB-Hib dose 2, about 15/06/2026"
    )
    lang("vi")
    assert line_of(lines, "dpt_vgb_hib", 1).describe() == "Đã tiêm ngày 20/04/2026 tại Trạm Y tế xã"
    assert line_of(lines, "opv", 1).describe() == "Đã uống ngày 20/04/2026"
    assert line_of(lines, "dpt_vgb_hib", 2).describe() == "Đến hẹn ngày 18/05/2026"


def test_later_doses_count_from_today_when_the_next_one_is_late():
    birth = D(2026, 1, 15)
    today = D(2026, 6, 1)  # nothing given; DPT-VGB-Hib 1 late since 15/03
    lines = vx.card(birth, [], today)
    assert line_of(lines, "dpt_vgb_hib", 1).due_date == D(2026, 3, 15)
    assert line_of(lines, "dpt_vgb_hib", 1).overdue
    assert line_of(lines, "dpt_vgb_hib", 2).due_date == D(2026, 6, 29)
    assert line_of(lines, "dpt_vgb_hib", 3).due_date == D(2026, 7, 27)


# --- properties -----------------------------------------------------------------------------

SERIES = [s.key for s in vx.load_schedule().series]


@settings(max_examples=200, deadline=None)
@given(
    birth=st.dates(D(2020, 1, 1), D(2030, 12, 31)),
    series=st.sampled_from(SERIES),
    delays=st.lists(st.integers(0, 400), min_size=0, max_size=3),
)
def test_next_due_respects_age_and_interval(birth, series, delays):
    """Give doses on or after their due dates; the next due date is never before the
    recommended age nor within the minimum interval (28 days unless overridden)."""
    schedule = vx.load_schedule()
    given: list[GivenDose] = []
    today = birth
    for delay in delays:
        due = vx.next_dose(birth, given, series, today, schedule)
        if due is None:
            break
        today = max(due.earliest, today) + dt.timedelta(days=delay)
        given.append(GivenDose(series, due.number, today))
    due = vx.next_dose(birth, given, series, today, schedule)
    if due is None:
        return
    assert due.due_date >= due.dose.age.reached_on(birth)
    assert due.number not in {g.dose for g in given}
    if given:
        previous = max(g.given_on for g in given)
        assert due.due_date >= schedule.interval(due.dose).reached_on(previous)
        assert due.due_date >= previous + dt.timedelta(days=7)
        if due.dose.min_interval_days is None:
            assert due.due_date >= previous + dt.timedelta(days=28)
        assert due.number == max(g.dose for g in given) + 1
