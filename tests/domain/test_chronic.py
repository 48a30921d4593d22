"""Hypertension and diabetes: refill dates, control status, the high-risk rule."""

from __future__ import annotations

import datetime as dt

import pytest

from station_app import i18n
from station_app.domain import chronic
from station_app.domain.chronic import BloodPressure, Control, Programme

D = dt.date


def bp(text: str) -> BloodPressure:
    systolic, diastolic = text.split("/")
    return BloodPressure(int(systolic), int(diastolic))


def test_refill_due_is_dispense_date_plus_days_supplied():
    assert chronic.refill_due(D(2026, 1, 15)) == D(2026, 2, 14)
    assert chronic.refill_due(D(2026, 1, 15), 90) == D(2026, 4, 15)
    assert chronic.refill_due(D(2026, 12, 20), 14) == D(2027, 1, 3)


@pytest.mark.parametrize("days", [0, -5, 91])
def test_refill_days_supplied_is_bounded(days):
    with pytest.raises(ValueError):
        chronic.refill_due(D(2026, 1, 15), days)


@pytest.mark.parametrize(
    ("reading", "diabetes", "expected"),
    [
        ("139/89", False, Control.CONTROLLED),
        ("140/80", False, Control.UNCONTROLLED),
        ("120/90", False, Control.UNCONTROLLED),
        ("129/79", True, Control.CONTROLLED),
        ("130/70", True, Control.UNCONTROLLED),
        ("125/80", True, Control.UNCONTROLLED),
        ("135/85", True, Control.UNCONTROLLED),
        ("135/85", False, Control.CONTROLLED),
    ],
)
def test_bp_control(reading, diabetes, expected):
    assert chronic.bp_control(bp(reading), has_diabetes=diabetes) is expected


def test_bp_control_without_a_reading():
    assert chronic.bp_control(None) is Control.UNKNOWN


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5.4, Control.CONTROLLED), (6.99, Control.CONTROLLED), (7.0, Control.UNCONTROLLED),
     (11.2, Control.UNCONTROLLED), (None, Control.UNKNOWN)],
)
def test_glucose_control(value, expected):
    assert chronic.glucose_control(value) is expected


def test_implausible_values_are_refused():
    with pytest.raises(ValueError):
        BloodPressure(80, 120)
    with pytest.raises(ValueError):
        BloodPressure(400, 90)
    with pytest.raises(ValueError):
        chronic.glucose_control(0)


@pytest.mark.parametrize(
    ("reading", "history", "expected"),
    [
        ("160/90", False, True),
        ("150/100", False, True),
        ("159/99", False, False),
        ("145/85", True, True),
        ("130/92", True, True),
        ("139/89", True, False),
        ("185/110", True, True),
    ],
)
def test_high_risk(reading, history, expected):
    assert chronic.is_high_risk(bp(reading), stroke_or_heart_attack=history) is expected


def test_no_reading_is_not_high_risk():
    assert chronic.is_high_risk(None, stroke_or_heart_attack=True) is False


def test_hypertension_threshold():
    assert chronic.meets_hypertension_threshold(bp("140/85"))
    assert chronic.meets_hypertension_threshold(bp("135/90"))
    assert not chronic.meets_hypertension_threshold(bp("139/89"))
    assert str(bp("139/89")) == "139/89"


def test_titles_are_translated():
    previous = i18n.language()
    try:
        i18n.set_language("vi")
        assert Programme.HYPERTENSION.title == "Tăng huyết áp"
        assert Programme.DIABETES.title == "Đái tháo đường"
        assert Control.UNKNOWN.title == "Chưa có số đo"
        i18n.set_language("en")
        assert Control.UNCONTROLLED.title == "Not controlled"
    finally:
        i18n.set_language(previous)
