"""Partial birth dates (year only, month and year), their display, ages, and month arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest

from station_app.domain.dates import (
    DateFormatError,
    PartialDate,
    add_months,
    display_date,
    parse_date,
    parse_partial_date,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/03/1948", PartialDate(1948, 3, 15)),
        ("5/3/1948", PartialDate(1948, 3, 5)),
        ("05.03.1948", PartialDate(1948, 3, 5)),
        ("05-03-1948", PartialDate(1948, 3, 5)),
        (" 15/03/1948 ", PartialDate(1948, 3, 15)),
        ("03/1948", PartialDate(1948, 3)),
        ("3/1948", PartialDate(1948, 3)),
        ("1948", PartialDate(1948)),
        ("1948-03-15", PartialDate(1948, 3, 15)),
        ("1948-03", PartialDate(1948, 3)),
    ],
)
def test_parse_partial_date(text, expected):
    assert parse_partial_date(text) == expected


def test_day_comes_before_month():
    # Vietnamese order: 02/03 is the 2nd of March, never February 3rd.
    assert parse_partial_date("02/03/2020") == PartialDate(2020, 3, 2)


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2020",
        "29/02/2023",
        "31/04/2021",
        "00/01/2020",
        "13/2020",
        "00/2020",
        "32/01/2020",
        "2020-13",
        "2020-02-30",
        "",
        "abc",
        "15/03/48",
        "1948/03/15",
        "0000",
        "15 tháng 3 1948",
    ],
)
def test_invalid_dates_are_refused(text):
    with pytest.raises(DateFormatError):
        parse_partial_date(text)


def test_leap_day_is_a_date():
    assert parse_partial_date("29/02/2024") == PartialDate(2024, 2, 29)


def test_estimated_flag_is_kept():
    assert parse_partial_date("1950", estimated=True).estimated
    assert parse_partial_date("15/03/1950", estimated=True).display() == "~15/03/1950"


def test_display_never_invents_a_day():
    assert PartialDate(1948).display() == "~1948"
    assert PartialDate(1948, 3).display() == "~03/1948"
    assert PartialDate(1948, 3, 5).display() == "05/03/1948"


def test_iso_forms():
    assert PartialDate(1948).iso() == "1948"
    assert PartialDate(1948, 3).iso() == "1948-03"
    assert PartialDate(1948, 3, 5).iso() == "1948-03-05"


@pytest.mark.parametrize(
    "value", [PartialDate(1948), PartialDate(1948, 3), PartialDate(2001, 12, 31)]
)
def test_iso_round_trip(value):
    assert parse_partial_date(value.iso()) == value
    assert parse_partial_date(value.display().lstrip("~")) == value


def test_span_of_a_partial_date():
    assert PartialDate(1948).earliest() == dt.date(1948, 1, 1)
    assert PartialDate(1948).latest() == dt.date(1948, 12, 31)
    assert PartialDate(2024, 2).latest() == dt.date(2024, 2, 29)
    assert PartialDate(2023, 2).latest() == dt.date(2023, 2, 28)


def test_age_of_a_full_date_changes_on_the_birthday():
    born = PartialDate(1950, 3, 15)
    assert born.age_on(dt.date(2025, 3, 14)) == 74
    assert born.age_on(dt.date(2025, 3, 15)) == 75


def test_age_of_a_leap_day_baby():
    born = PartialDate(2000, 2, 29)
    assert born.age_on(dt.date(2025, 2, 28)) == 24
    assert born.age_on(dt.date(2025, 3, 1)) == 25


def test_age_from_year_only_is_consistent_and_within_one_year():
    born = PartialDate(1950)
    ages = {born.age_on(dt.date(2025, 1, 1) + dt.timedelta(days=d)) for d in range(365)}
    assert ages <= {74, 75}
    # Every real birthday in 1950 gives 74 on 1 January 2025 and 75 on 31 December 2025.
    assert born.age_on(dt.date(2025, 12, 31)) == 75
    assert born.age_on(dt.date(2025, 1, 1)) == 74


def test_age_from_month_and_year():
    born = PartialDate(2024, 3)
    assert born.age_on(dt.date(2025, 2, 28)) == 0
    assert born.age_on(dt.date(2025, 4, 1)) == 1


def test_age_is_never_negative():
    assert PartialDate(2030).age_on(dt.date(2025, 1, 1)) == 0


def test_parse_date_needs_a_full_date():
    assert parse_date("01/07/2025") == dt.date(2025, 7, 1)
    assert parse_date("2025-07-01") == dt.date(2025, 7, 1)
    with pytest.raises(DateFormatError):
        parse_date("07/2025")
    with pytest.raises(DateFormatError):
        parse_date("2025")


def test_display_date():
    assert display_date(dt.date(2025, 7, 1)) == "01/07/2025"
    assert display_date(None) == ""


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2025, 3, 31), 1, dt.date(2025, 4, 30)),
        (dt.date(2025, 1, 15), 1, dt.date(2025, 2, 15)),
        (dt.date(2025, 11, 30), 3, dt.date(2026, 2, 28)),
        (dt.date(2025, 12, 31), 1, dt.date(2026, 1, 31)),
        (dt.date(2025, 5, 31), 12, dt.date(2026, 5, 31)),
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2025, 3, 31), -1, dt.date(2025, 2, 28)),
        (dt.date(2025, 1, 10), -1, dt.date(2024, 12, 10)),
        (dt.date(2025, 1, 10), 0, dt.date(2025, 1, 10)),
    ],
)
def test_add_months_clamps_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected
