"""Validation of a consultation: impossible vitals refused, unusual ones flagged, in Vietnamese."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from station_app.domain.problems import Problem
from station_app.domain.visit import FIELD_LABELS, Visit, validate
from station_app.i18n import has_translation

NOW = dt.datetime(2025, 11, 20, 10, 30)


def visit(**changes: object) -> Visit:
    base = Visit(
        patient_id=1,
        visit_at=dt.datetime(2025, 11, 20, 9, 15),
        complaint="Ho, sốt nhẹ",
        bp_systolic=130,
        bp_diastolic=85,
        pulse=80,
        temperature=37.5,
        weight=52.0,
    )
    return dataclasses.replace(base, **changes)


def fields(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.field, p.severity) for p in problems]


def test_ordinary_visit_has_no_problem():
    assert validate(visit(), NOW) == []


def test_visit_in_the_future():
    assert fields(validate(visit(visit_at=NOW + dt.timedelta(hours=1)), NOW)) == [
        ("visit_at", "error")
    ]
    assert (
        validate(visit(visit_at=NOW + dt.timedelta(minutes=5)), NOW) == []
    )  # clocks differ a little


def test_visit_before_birth():
    problems = validate(visit(), NOW, birth_earliest=dt.date(2025, 11, 21))
    assert fields(problems) == [("visit_at", "error")]


@pytest.mark.parametrize(
    ("name", "value", "severity"),
    [
        ("bp_systolic", 400, "error"),
        ("bp_systolic", 210, "warning"),
        ("pulse", 10, "error"),
        ("pulse", 160, "warning"),
        ("temperature", 47.0, "error"),
        ("temperature", 40.5, "warning"),
        ("temperature", 34.0, "warning"),
        ("spo2", 101, "error"),
        ("spo2", 88, "warning"),
        ("weight", 0.1, "error"),
        ("glucose", 25.0, "warning"),
    ],
)
def test_vitals_out_of_range(name, value, severity):
    problems = validate(visit(**{name: value}), NOW)
    assert fields(problems) == [(name, severity)]


def test_blood_pressure_needs_both_numbers_in_order():
    assert fields(validate(visit(bp_diastolic=None), NOW)) == [("bp_diastolic", "error")]
    assert fields(validate(visit(bp_systolic=None), NOW)) == [("bp_systolic", "error")]
    assert fields(validate(visit(bp_systolic=90, bp_diastolic=95), NOW)) == [
        ("bp_diastolic", "error")
    ]


def test_a_complaint_or_diagnosis_is_needed():
    assert fields(validate(visit(complaint=" "), NOW)) == [("complaint", "error")]
    assert validate(visit(complaint="", diagnosis_code="I10"), NOW) == []


def test_follow_up_after_the_visit():
    assert fields(validate(visit(follow_up_date=dt.date(2025, 11, 20)), NOW)) == [
        ("follow_up_date", "error")
    ]
    assert validate(visit(follow_up_date=dt.date(2025, 12, 20)), NOW) == []


def test_every_visit_problem_is_named_and_translated():
    wrong = [
        visit(visit_at=NOW + dt.timedelta(days=1)),
        visit(pulse=300),
        visit(pulse=160),
        visit(bp_diastolic=None),
        visit(bp_systolic=80, bp_diastolic=90),
        visit(complaint=""),
        visit(follow_up_date=dt.date(2025, 1, 1)),
    ]
    for record in wrong:
        for problem in validate(record, NOW, birth_earliest=dt.date(2025, 12, 1)):
            assert problem.field in FIELD_LABELS
            assert has_translation(FIELD_LABELS[problem.field], "vi")
            assert has_translation(problem.message, "vi"), problem.message
            assert problem.text("vi") != problem.text("en")


def test_unit_in_the_message_is_translated():
    (problem,) = validate(visit(pulse=300), NOW)
    assert "beats/min" in problem.text("en")
    assert "beats/min" not in problem.text("vi")
    assert "300" in problem.text("vi")
