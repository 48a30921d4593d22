"""Follow-ups in the database: what a visit closes and schedules, child enrolment, outcomes,
and the command line, all evaluated with a pinned date."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from station_app import clock
from station_app.cli import main
from station_app.domain.dates import PartialDate
from station_app.domain.followup import Kind, Outcome, OutcomeKind, RemovalReason, Section
from station_app.domain.patient import Patient
from station_app.domain.visit import Visit
from station_app.store import followups, open_store, patients, visits

NOW = dt.datetime(2026, 11, 23, 10, 0)


@pytest.fixture
def pinned():
    with clock.pinned(NOW):
        yield NOW.date()


def _visit(pid: int, when: dt.datetime, **fields) -> Visit:
    return Visit(pid, when, complaint=fields.pop("complaint", "Khám"), **fields)


def test_a_revisit_is_scheduled_and_closed_by_a_back_dated_visit(store, pinned) -> None:
    p = patients.insert(store, Patient("Phạm Văn Bình", "1", PartialDate(1980)))
    visits.insert(
        store, _visit(p.id, dt.datetime(2026, 10, 1, 9), diagnosis_code="J20.9", follow_up_date=dt.date(2026, 10, 8))
    )
    [item] = followups.patient_items(store, p.id, open_only=True)
    assert item.kind is Kind.REVISIT and item.due_date == dt.date(2026, 10, 8)
    assert [r.section for r in followups.work_rows(store, pinned)] == [Section.OVERDUE]
    # The patient came on 10/10 but it is entered only today, with its real date.
    visits.insert(store, _visit(p.id, dt.datetime(2026, 10, 10, 8, 30), diagnosis_code="J20.9"))
    assert followups.patient_items(store, p.id, open_only=True) == []
    assert followups.work_rows(store, pinned) == []


def test_a_chronic_visit_enrols_and_schedules_the_refill(store, pinned) -> None:
    p = patients.insert(store, Patient("Lê Thị Mai", "2", PartialDate(1955)))
    visits.insert(
        store,
        _visit(p.id, dt.datetime(2026, 11, 2, 9), diagnosis_code="I10", bp_systolic=168, bp_diastolic=102),
        followups.VisitFeeds(refill_days=30),
    )
    assert [e.programme for e in followups.enrolments(store, p.id)] == ["hypertension"]
    [row] = followups.work_rows(store, dt.date(2026, 12, 10))
    assert row.item.kind is Kind.CHRONIC_REFILL and row.item.due_date == dt.date(2026, 12, 2)
    assert row.high_risk  # last BP ≥ 160/100
    assert row.section is Section.OVERDUE and row.days_overdue == 8


@pytest.mark.parametrize(
    ("reading", "stroke_or_heart_attack", "first"),
    [((165, 95), False, True), ((145, 101), False, True), ((150, 92), True, True), ((150, 92), False, False),
     ((130, 80), True, False)],
    ids=["160+", "100+", "140/90 after a stroke", "140/90", "controlled after a stroke"],
)
def test_the_last_blood_pressure_puts_a_patient_first(store, pinned, reading, stroke_or_heart_attack, first) -> None:
    """Last BP ≥ 160/100, or ≥ 140/90 with a history of stroke or heart attack."""
    p = patients.insert(store, Patient("Trần Văn Tâm", "1", PartialDate(1950)))
    followups.enrol(store, p.id, "hypertension", dt.date(2026, 1, 5), history_cvd=stroke_or_heart_attack)
    systolic, diastolic = reading
    visits.insert(
        store,
        _visit(p.id, dt.datetime(2026, 11, 2, 9), diagnosis_code="I10", bp_systolic=systolic, bp_diastolic=diastolic),
        followups.VisitFeeds(refill_days=30),
    )
    [row] = followups.work_rows(store, dt.date(2026, 12, 10))
    assert row.item.kind is Kind.CHRONIC_REFILL and row.section is Section.OVERDUE
    assert row.high_risk is first


def test_a_child_under_two_is_enrolled_in_vaccination_when_registered(store, pinned) -> None:
    baby = patients.insert(store, Patient("Vũ Minh Khang", "1", PartialDate(2026, 9, 15), guardian_name="Vũ Thị Lan"))
    adult = patients.insert(store, Patient("Vũ Văn Lâm", "1", PartialDate(1990)))
    labels = {i.label for i in followups.patient_items(store, baby.id, open_only=True)}
    assert {"DPT-VGB-Hib mũi 1", "BCG"} <= labels
    assert followups.patient_items(store, adult.id) == []
    # The first DPT dose given today closes its item and schedules dose 2 at least 28 days later.
    followups.record_dose(store, baby.id, "dpt_vgb_hib", 1, pinned, "Trạm Y tế xã")
    items = {i.label: i for i in followups.patient_items(store, baby.id, open_only=True)}
    assert "DPT-VGB-Hib mũi 1" not in items
    assert items["DPT-VGB-Hib mũi 2"].due_date >= pinned + dt.timedelta(days=28)


def test_rows_show_what_is_known_of_the_birth_date_and_infants_behind_go_first(store, pinned) -> None:
    """Ages and the infant rule from a birth date known in full, to the month, or to the year
    (a month or day not known counts as the 1st for the infant rule, as 1 July for the age)."""
    born = {
        "full": PartialDate(2026, 3, 10),  # 8 months old
        "december": PartialDate(2025, 12),  # born within the year, whatever the day
        "november": PartialDate(2025, 11),  # the 1st of November 2025: more than a year ago
        "year": PartialDate(2026),
    }
    ids = {key: patients.insert(store, Patient(f"Bé {key}", "1", date, guardian_name="Mẹ")).id
           for key, date in born.items()}

    def shown(day: dt.date) -> dict:
        rows = followups.work_rows(store, day, Section.OVERDUE)
        flagged = [row.high_risk for row in rows]
        assert flagged == sorted(flagged, reverse=True)  # the infants first
        first = {}
        for row in rows:
            first.setdefault(row.patient_id, row)
        return {key: first[pid] for key, pid in ids.items()}

    # Born within the year before: from 1 December 2025 on the 1st of December 2026…
    rows = shown(dt.date(2026, 12, 1))
    assert {key: row.high_risk for key, row in rows.items()} == {
        "full": True, "december": True, "november": False, "year": True}
    assert {key: (row.age, row.birth_date, row.birth_year) for key, row in rows.items()} == {
        "full": (0, dt.date(2026, 3, 10), 2026), "december": (1, None, 2025), "november": (1, None, 2025),
        "year": (0, None, 2026)}
    assert rows["year"]._replace(today=dt.date(2027, 3, 1)).age == 0  # (born "1 July 2026")
    # …and from 1 January 2026 on the 1st of January 2027.
    rows = shown(dt.date(2027, 1, 1))
    assert {key: row.high_risk for key, row in rows.items()} == {
        "full": True, "december": False, "november": False, "year": True}


def test_call_outcomes_move_the_item_and_a_death_is_recorded_everywhere(store, pinned) -> None:
    p = patients.insert(store, Patient("Đỗ Văn Hải", "1", PartialDate(1948)))
    first = followups.add_item(store, p.id, Kind.CUSTOM, "Kiểm tra vết thương", dt.date(2026, 11, 1))
    second = followups.add_item(store, p.id, Kind.CUSTOM, "Tái khám", dt.date(2026, 11, 5))
    followups.record_outcome(store, first, Outcome(OutcomeKind.AGREED, pinned))
    sections = {r.item.id: r.section for r in followups.work_rows(store, pinned)}
    assert sections == {first: Section.AGREED, second: Section.OVERDUE}
    # Seven days later the agreement has lapsed: back to the call list.
    assert {r.item.id: r.section for r in followups.work_rows(store, pinned + dt.timedelta(days=7))}[
        first
    ] is Section.OVERDUE
    followups.record_outcome(store, second, Outcome(OutcomeKind.REMOVED, pinned, reason=RemovalReason.DIED))
    assert patients.get(store, p.id).deceased
    assert followups.patient_items(store, p.id, open_only=True) == []


def test_counts_and_list_agree_for_every_section(tmp_path) -> None:
    from station_app.demo import generate

    with clock.pinned(NOW):
        generate(tmp_path / "demo.sqlite3", patients=400, seed=5, force=True)
    store = open_store(tmp_path / "demo.sqlite3")
    try:
        for day in (NOW.date(), NOW.date() + dt.timedelta(days=20), NOW.date() + dt.timedelta(days=400)):
            counts = followups.section_counts(store, day)
            for section in (Section.DUE, Section.OVERDUE, Section.AGREED, Section.LATER, Section.REMOVED, Section.LOST):
                assert counts[section] == len(followups.work_rows(store, day, section)), (day, section)
    finally:
        store.close()


def test_followups_command_prints_the_list_as_json(tmp_path, capsys) -> None:
    db = tmp_path / "station.sqlite3"
    store = open_store(db)
    with clock.pinned(NOW):
        p = patients.insert(store, Patient("Nguyễn Thị Hương", "2", PartialDate(1960), village="Thôn Đông"))
        followups.add_item(store, p.id, Kind.REVISIT, "Tái khám", dt.date(2026, 11, 20))
    store.close()
    assert main(["followups", "--db", str(db), "--as-of", "2026-11-23", "--json"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    row = json.loads(line)
    assert row["full_name"] == "Nguyễn Thị Hương" and row["label"] == "Tái khám"
    assert (row["due_date"], row["days_overdue"], row["section"], row["kind"]) == (
        "2026-11-20",
        3,
        "overdue",
        "revisit",
    )
    assert main(["followups", "--db", str(db), "--as-of", "2026-11-15", "--section", "due", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["section"] == "due"
    assert main(["followups", "--db", str(db), "--as-of", "2028-01-01", "--section", "overdue", "--json"]) == 0
    assert capsys.readouterr().out == ""  # by then it is more than a year overdue: "lost"
