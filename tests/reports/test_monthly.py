"""The monthly summary of the hand-built March 2026 station: every expected number below was
worked out by hand from the story in ``station_march.py``."""

from __future__ import annotations

import datetime as dt

import pytest

from station_app import clock
from station_app.domain.dates import PartialDate
from station_app.domain.followup import Kind, Outcome, OutcomeKind, RemovalReason
from station_app.domain.indicators import load
from station_app.domain.monthly import Month
from station_app.domain.patient import Patient
from station_app.reports.monthly import compute
from station_app.store import followups, patients

MARCH = Month(2026, 3)
BY_SEX_AGE = ("total", "sex:1", "sex:2", "age:lt5", "age:lt6", "age:lt15", "age:15-59", "age:ge60")


def row(summary, code: str, line: str = "") -> tuple[int, ...]:
    result = summary.result(code)
    found = next(ln for ln in result.lines if ln.key == line)
    return tuple(found.cells[c].value for c in result.columns)


def previous(summary, code: str, line: str = "") -> int | None:
    return summary.cell(f"{code}/{line}/total").previous


@pytest.fixture
def summary(march):
    return compute(march, MARCH)


def test_the_month_runs_from_midnight_on_the_first_to_midnight_after_the_last_day() -> None:
    assert MARCH.start == dt.date(2026, 3, 1) and MARCH.end == dt.date(2026, 3, 31)
    assert MARCH.previous() == Month(2026, 2) and Month(2026, 1).previous() == Month(2025, 12)
    assert Month.parse("2026-03") == MARCH == Month.parse("03/2026")
    assert MARCH.period == "202603"
    with pytest.raises(ValueError):
        Month.parse("2026-13")


def test_consultations_by_sex_and_age_at_the_visit(summary) -> None:
    # The visit at 23:59 on 31/03 counts; the one at 00:00 on 01/04 does not. Bình was 4 on
    # 10/03 and 5 on 20/03: one visit under 5, both under 6. Cúc (born "1966", estimated) was 59.
    assert summary.result("consult.visits").columns == list(BY_SEX_AGE)
    assert row(summary, "consult.visits") == (8, 2, 6, 1, 2, 2, 5, 1)
    assert previous(summary, "consult.visits") == 2
    assert row(summary, "consult.insured") == (2, 1, 1, 0, 1, 1, 1, 0)
    assert row(summary, "consult.emergencies") == (1, 0, 1, 0, 0, 0, 0, 1)
    assert row(summary, "consult.new_patients") == (3, 2, 1, 2, 2, 2, 1, 0)
    assert previous(summary, "consult.new_patients") == 0
    assert row(summary, "consult.referrals") == (1, 1, 0, 0, 0, 0, 1, 0)  # the cancelled slip is not counted
    assert row(summary, "consult.referral_feedback") == (1, 1, 0, 0, 0, 0, 1, 0)
    assert row(summary, "consult.deaths") == (1, 0, 1, 0, 0, 0, 0, 1)


def test_each_value_names_the_records_behind_it(summary, march_ids) -> None:
    visits = summary.cell("consult.visits//total").record_ids()
    assert march_ids["v_an_last"] in visits and march_ids["v_an_april"] not in visits
    assert march_ids["v_an_feb"] not in visits and len(visits) == 8
    assert summary.cell("consult.visits//age:lt5").record_ids() == [march_ids["v_binh_4"]]
    assert summary.cell("consult.deaths//total").record_ids() == [march_ids["em"]]
    assert summary.cell("consult.new_patients//total").record_ids() == sorted(
        [march_ids["giang"], march_ids["oanh"], march_ids["phuc"]]
    )


def test_morbidity(summary) -> None:
    chapters = {ln.key: ln.cells["total"].value for ln in summary.result("morb.chapters").lines}
    assert {k: v for k, v in chapters.items() if v} == {"I": 2, "IV": 1, "IX": 1, "X": 1, "XIX": 1, "XXI": 2}
    assert row(summary, "morb.chapters", "I") == (2, 0, 2, 1, 2, 2, 0, 0)
    top = summary.result("morb.top10").lines
    assert [ln.key for ln in top] == ["A09", "E11", "I10", "J06", "S61", "Z34", "Z39"]
    assert top[0].cells["total"].value == 2
    assert row(summary, "morb.notifiable", "diarrhoea")[0] == 2
    assert row(summary, "morb.notifiable", "dengue")[0] == 0


def test_chronic_disease_uses_the_follow_up_lists_definition(summary) -> None:
    assert row(summary, "ncd.managed", "hypertension") == (3,)  # Cúc, Dũng, Hà
    assert previous(summary, "ncd.managed", "hypertension") == 2  # Cúc was detected in March
    assert row(summary, "ncd.managed", "diabetes") == (1,)
    assert row(summary, "ncd.new", "hypertension") == (1,) and row(summary, "ncd.new", "diabetes") == (1,)
    assert row(summary, "ncd.seen", "hypertension") == (1,) and row(summary, "ncd.seen", "diabetes") == (1,)
    assert row(summary, "ncd.controlled", "hypertension") == (1,)  # Dũng's last reading, 130/80
    assert row(summary, "ncd.controlled", "diabetes") == (1,)  # Giang, 6.5 mmol/L
    assert row(summary, "ncd.overdue", "hypertension") == (1,)  # Dũng: 273 days
    assert row(summary, "ncd.lost", "hypertension") == (1,)  # Hà: 455 days
    assert previous(summary, "ncd.lost", "hypertension") == 1
    assert row(summary, "ncd.overdue", "diabetes") == (0,)


def test_mother_and_child_and_immunisation(summary) -> None:
    assert row(summary, "mch.pregnancies") == (1,)
    assert row(summary, "mch.anc_visits") == (1,) and previous(summary, "mch.anc_visits") == 1
    assert row(summary, "mch.deliveries") == (1,)
    assert row(summary, "mch.anc4_3t") == (1,)  # five visits, one in the first trimester
    assert row(summary, "mch.postnatal_w1") == (1,)
    assert row(summary, "epi.doses", "measles") == (2,)
    assert row(summary, "epi.doses", "hepb0") == (2,)
    assert row(summary, "epi.doses", "dpt_vgb_hib") == (0,)
    assert row(summary, "epi.full_u1") == (1,)  # Khang at 11 months; Nam was 13 months
    assert row(summary, "epi.hepb_24h") == (1,)  # Oanh the day after birth; Phúc 4 days late


def test_visits_per_day_for_the_chart(summary) -> None:
    per_day = dict(summary.visits_per_day)
    assert len(per_day) == 31
    assert per_day["2026-03-31"] == 1 and per_day["2026-03-10"] == 1 and per_day["2026-03-02"] == 0
    assert sum(per_day.values()) == 8


def test_follow_up_work(store) -> None:
    with clock.pinned(dt.date(2026, 3, 1)):
        pid = patients.insert(store, Patient("Cao Văn Tú", "1", PartialDate(1980))).id
    on = dt.date(2026, 3, 1)
    a = followups.add_item(store, pid, Kind.REVISIT, "A", dt.date(2026, 3, 10), created_on=on)
    b = followups.add_item(store, pid, Kind.CUSTOM, "B", dt.date(2026, 3, 5), created_on=on)
    c = followups.add_item(store, pid, Kind.REVISIT, "C", dt.date(2026, 3, 20), created_on=on)
    followups.add_item(store, pid, Kind.REVISIT, "D", dt.date(2025, 1, 15), created_on=dt.date(2024, 12, 1))
    e = followups.add_item(store, pid, Kind.CUSTOM, "E", dt.date(2026, 3, 15), created_on=on)
    followups.add_item(store, pid, Kind.REVISIT, "F", dt.date(2026, 4, 2), created_on=on)
    followups.record_outcome(store, b, Outcome(OutcomeKind.AGREED, dt.date(2026, 3, 28)))
    followups.record_outcome(store, c, Outcome(OutcomeKind.DONE, dt.date(2026, 3, 21)))
    followups.record_outcome(store, e, Outcome(OutcomeKind.REMOVED, dt.date(2026, 3, 16),
                                               reason=RemovalReason.REFUSED))
    summary = compute(store, MARCH)
    assert row(summary, "fu.due", "revisit") == (2,) and row(summary, "fu.due", "custom") == (2,)
    assert row(summary, "fu.done", "revisit") == (1,)
    assert row(summary, "fu.month_end", "overdue") == (1,)
    assert summary.cell("fu.month_end/overdue/total").record_ids() == [a]
    assert row(summary, "fu.month_end", "agreed") == (1,)
    assert row(summary, "fu.month_end", "lost") == (1,)
    assert previous(summary, "fu.month_end", "lost") == 1
    assert previous(summary, "fu.month_end", "overdue") == 0
    assert row(summary, "fu.outcomes", "agreed") == (1,)
    assert row(summary, "fu.outcomes", "removed:refused") == (1,)


def test_json_round_trip_keeps_values_and_records(summary) -> None:
    data = summary.to_dict(records=True)
    again = type(summary).from_dict(data)
    assert again.to_dict(records=True) == data
    plain = summary.to_dict()
    first = plain["blocks"][0]["indicators"][0]
    assert first["code"] == "consult.visits" and first["rows"][0]["cells"]["total"] == {"value": 8, "previous": 2}


def test_every_block_of_the_issue_is_defined() -> None:
    defs = load()
    assert [b.code for b in defs.blocks] == [
        "consultations", "morbidity", "chronic", "maternal", "immunisation", "followup", "medicines",
    ]
    for ind in defs.indicators():
        assert ind.name["vi"] and ind.name["en"] and ind.definition["vi"] and ind.definition["en"]
        assert ind.valid_from <= dt.date(2026, 3, 1)
    assert [b.key for b in defs.age_bands] == ["lt5", "lt6", "lt15", "15-59", "ge60"]


def test_a_merged_duplicate_is_not_a_second_new_patient(march, march_ids) -> None:
    from station_app.store import corrections

    corrections.merge_patients(march, march_ids["giang"], march_ids["phuc"], "the same person registered twice")
    merged = compute(march, MARCH)
    assert row(merged, "consult.new_patients")[0] == 2
    assert merged.cell("consult.new_patients//total").record_ids() == sorted([march_ids["giang"], march_ids["oanh"]])
