"""Dates as a station writes them: partial birth dates, dd/mm/yyyy parsing and display, ages.

Elderly patients often know only their year of birth (or month and year): a ``PartialDate``
keeps exactly what is known and never invents a day.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_DMY = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s*$")
_MY = re.compile(r"^\s*(\d{1,2})[/.\-](\d{4})\s*$")
_Y = re.compile(r"^\s*(\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})(?:-(\d{2}))?\s*$")


class DateFormatError(ValueError):
    """Text that is not a date in any accepted form."""


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date of which only the year, or the month and year, may be known."""

    year: int
    month: int | None = None
    day: int | None = None
    estimated: bool = False

    def __post_init__(self) -> None:
        if not dt.MINYEAR <= self.year <= dt.MAXYEAR:
            raise ValueError("year out of range")
        if self.day is not None and self.month is None:
            raise ValueError("a day needs a month")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError("month out of range")
        if self.day is not None:
            dt.date(self.year, self.month or 1, self.day)  # raises on 31/02

    @classmethod
    def from_date(cls, value: dt.date, estimated: bool = False) -> PartialDate:
        return cls(value.year, value.month, value.day, estimated)

    @property
    def is_full(self) -> bool:
        return self.day is not None

    def earliest(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> dt.date:
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year, month)[1]
        return dt.date(self.year, month, day)

    def midpoint(self) -> dt.date:
        """The date used for age arithmetic: the day itself, else the middle of the span."""
        if self.day is not None:
            return self.earliest()
        if self.month is not None:
            return dt.date(self.year, self.month, 15)
        return dt.date(self.year, 7, 1)

    def iso(self) -> str:
        """``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``."""
        if self.day is not None:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month is not None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    def display(self) -> str:
        """``dd/mm/yyyy``, ``mm/yyyy`` or ``yyyy``, prefixed with ``~`` when not exact."""
        if self.day is not None:
            text = f"{self.day:02d}/{self.month:02d}/{self.year:04d}"
        elif self.month is not None:
            text = f"{self.month:02d}/{self.year:04d}"
        else:
            text = f"{self.year:04d}"
        return ("~" + text) if (self.estimated or self.day is None) else text

    def age_on(self, on: dt.date) -> int:
        """Whole years of age on ``on`` (from the midpoint when the date is partial)."""
        born = self.midpoint()
        years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        return max(years, 0)


def parse_partial_date(text: str, estimated: bool = False) -> PartialDate:
    """Parse ``dd/mm/yyyy``, ``mm/yyyy``, ``yyyy`` or ISO (``YYYY-MM-DD``, ``YYYY-MM``)."""
    try:
        if m := _DMY.match(text):
            return PartialDate(int(m[3]), int(m[2]), int(m[1]), estimated)
        if m := _MY.match(text):
            return PartialDate(int(m[2]), int(m[1]), None, estimated)
        if m := _Y.match(text):
            return PartialDate(int(m[1]), None, None, estimated)
        if m := _ISO.match(text):
            return PartialDate(int(m[1]), int(m[2]), int(m[3]) if m[3] else None, estimated)
    except ValueError as exc:
        raise DateFormatError(text) from exc
    raise DateFormatError(text)


def parse_date(text: str) -> dt.date:
    """A full date from ``dd/mm/yyyy`` or ``YYYY-MM-DD``."""
    value = parse_partial_date(text)
    if not value.is_full:
        raise DateFormatError(text)
    return value.earliest()


def display_date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def add_months(start: dt.date, months: int) -> dt.date:
    """Calendar months later, clamped to the month's end (31/01 + 1 month = 28 or 29/02)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)
