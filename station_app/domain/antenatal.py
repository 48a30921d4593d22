"""Antenatal care: enrolment by LMP or expected delivery date, gestational age, the next contact
and the tetanus doses.

The contact schedule is data (``resources/data/antenatal_schedule.json``; WHO's 8 contacts by
default, the national schedule being unverified). Each contact is a week of gestation counted
from the last menstrual period (LMP); a contact is due *by* that week. Dates follow the expected
delivery date (EDD) when the pregnancy was dated by ultrasound, since EDD = LMP + 280 days.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache
from pathlib import Path

from station_app.domain.dates import add_months
from station_app.i18n import N_, tr
from station_app.resources import data_file

SCHEDULE_FILE = "antenatal_schedule.json"
DAYS_LMP_TO_EDD = 280  # Naegele's rule: 40 weeks from the first day of the last period
MAX_GESTATION_DAYS = 44 * 7  # beyond this an enrolment date is a typing mistake


@dataclass(frozen=True)
class AntenatalSchedule:
    version: str
    source: str
    contact_weeks: tuple[int, ...]
    tetanus_doses: int = 2
    tetanus_interval_months: int = 1
    tetanus_latest_days_before_edd: int = 14


def parse_schedule(data: dict) -> AntenatalSchedule:
    weeks = tuple(int(w) for w in data["contacts"])
    if not weeks or list(weeks) != sorted(set(weeks)) or weeks[0] < 1:
        raise ValueError("antenatal contacts must be increasing weeks of gestation")
    tetanus = data.get("tetanus", {})
    return AntenatalSchedule(
        version=str(data["version"]),
        source=str(data.get("source", "")),
        contact_weeks=weeks,
        tetanus_doses=int(tetanus.get("doses", 2)),
        tetanus_interval_months=int(tetanus.get("dose2_min_interval_months", 1)),
        tetanus_latest_days_before_edd=int(tetanus.get("dose2_latest_days_before_edd", 14)),
    )


def load_schedule(path: Path | None = None) -> AntenatalSchedule:
    """The schedule shipped in ``resources/data`` (or the file at ``path``)."""
    if path is None:
        return _default_schedule()
    with path.open(encoding="utf-8") as fh:
        return parse_schedule(json.load(fh))


@cache
def _default_schedule() -> AntenatalSchedule:
    with data_file(SCHEDULE_FILE).open(encoding="utf-8") as fh:
        return parse_schedule(json.load(fh))


class Closure(StrEnum):
    """How a pregnancy left the antenatal list."""

    DELIVERED = "delivered"
    LOSS = "loss"  # miscarriage, abortion, stillbirth before delivery care…

    @property
    def title(self) -> str:  # type: ignore[override]  # the translated name, not str.title()
        return tr(_CLOSURE_TITLES[self])


_CLOSURE_TITLES = {Closure.DELIVERED: N_("Delivered"), Closure.LOSS: N_("Pregnancy loss")}


class PregnancyDateError(ValueError):
    """LMP, expected delivery and enrolment dates that cannot belong to one pregnancy."""


@dataclass(frozen=True)
class GestationalAge:
    """Completed days since the (dating) LMP."""

    total_days: int

    @property
    def weeks(self) -> int:
        return self.total_days // 7

    @property
    def days(self) -> int:
        return self.total_days % 7

    @property
    def trimester(self) -> int:
        """1 up to 13 weeks 6 days, 2 up to 27 weeks 6 days, then 3."""
        return 1 if self.weeks < 14 else 2 if self.weeks < 28 else 3

    def display(self) -> str:
        """Weeks and days for people: "12 weeks 3 days" / "12 tuần 3 ngày"."""
        return tr("{weeks} weeks {days} days").format(weeks=self.weeks, days=self.days)


@dataclass(frozen=True)
class Pregnancy:
    """An enrolled pregnancy. ``edd`` always dates it; ``lmp`` is what the woman reported."""

    enrolled_on: dt.date
    edd: dt.date
    lmp: dt.date | None = None
    closed_on: dt.date | None = None
    closure: Closure | None = None

    @property
    def dating_lmp(self) -> dt.date:
        """The LMP the dates count from: the reported one unless an EDD overrode it."""
        return self.edd - dt.timedelta(days=DAYS_LMP_TO_EDD)

    def gestational_age(self, on: dt.date) -> GestationalAge:
        return GestationalAge((on - self.dating_lmp).days)

    def is_open(self, on: dt.date | None = None) -> bool:
        """True until it is closed (or, with ``on``, when it was not yet closed on that day)."""
        return self.closed_on is None or (on is not None and on < self.closed_on)


def enrol(
    enrolled_on: dt.date, *, lmp: dt.date | None = None, edd: dt.date | None = None
) -> Pregnancy:
    """Enrol a pregnancy from the LMP, the EDD, or both (then the EDD dates it, as from a scan)."""
    if edd is None:
        if lmp is None:
            raise PregnancyDateError("a pregnancy needs its last menstrual period or its due date")
        edd = lmp + dt.timedelta(days=DAYS_LMP_TO_EDD)
    pregnancy = Pregnancy(enrolled_on=enrolled_on, edd=edd, lmp=lmp)
    if lmp is not None and lmp > enrolled_on:
        raise PregnancyDateError("the last menstrual period is after the enrolment date")
    age = pregnancy.gestational_age(enrolled_on).total_days
    if age < 0:
        raise PregnancyDateError("the expected delivery date is too far after the enrolment date")
    if age > MAX_GESTATION_DAYS:
        raise PregnancyDateError("the expected delivery date is too long before the enrolment date")
    return pregnancy


def close(pregnancy: Pregnancy, on: dt.date, closure: Closure) -> Pregnancy:
    """The pregnancy closed by a delivery or a loss on ``on``: nothing more is due for it."""
    if on < pregnancy.dating_lmp:
        raise PregnancyDateError("the pregnancy cannot end before it began")
    return replace(pregnancy, closed_on=on, closure=Closure(closure))


def gestational_age(pregnancy: Pregnancy, on: dt.date) -> GestationalAge:
    """Weeks and days of gestation on ``on``."""
    return pregnancy.gestational_age(on)


@dataclass(frozen=True)
class ContactDue:
    """A scheduled antenatal contact: number (from 1), its week and the date it is due by."""

    number: int
    week: int
    due_date: dt.date

    @property
    def label(self) -> str:
        return tr("Antenatal visit {number} (week {week})").format(
            number=self.number, week=self.week
        )


def contacts(pregnancy: Pregnancy, schedule: AntenatalSchedule | None = None) -> list[ContactDue]:
    """Every contact of the schedule with its date for this pregnancy."""
    schedule = schedule or load_schedule()
    start = pregnancy.dating_lmp
    return [
        ContactDue(index + 1, week, start + dt.timedelta(weeks=week))
        for index, week in enumerate(schedule.contact_weeks)
    ]


def _contact_index(planned: list[ContactDue], on: dt.date) -> int:
    """The contact whose window holds ``on``: the first one due on or after it (else the last)."""
    for index, contact in enumerate(planned):
        if on <= contact.due_date:
            return index
    return len(planned) - 1


def next_visit(
    pregnancy: Pregnancy,
    visits: Iterable[dt.date],
    schedule: AntenatalSchedule | None = None,
) -> ContactDue | None:
    """The next antenatal contact due, given the dates of the visits done; ``None`` when closed
    or when the last contact has been made.

    A visit counts for the contact whose window it falls in (after the previous contact's week,
    up to its own). The next contact follows the last one made, and stays due (overdue) until
    she comes: missed contacts are not asked one by one. Contacts whose week had passed before
    she was enrolled are not asked either.
    """
    if not pregnancy.is_open():
        return None
    planned = contacts(pregnancy, schedule)
    made = [_contact_index(planned, v) for v in visits if pregnancy.dating_lmp <= v]
    following = max(made) + 1 if made else 0
    first_after_enrolment = _contact_index(planned, pregnancy.enrolled_on)
    if planned[first_after_enrolment].due_date < pregnancy.enrolled_on:
        first_after_enrolment += 1  # enrolled after the last contact's week
    index = max(following, first_after_enrolment)
    return planned[index] if index < len(planned) else None


def visits_by_trimester(pregnancy: Pregnancy, visits: Iterable[dt.date]) -> dict[int, int]:
    """``{1: n, 2: n, 3: n}``: visits during the pregnancy, for "≥ 4 visits in 3 trimesters"."""
    table = {1: 0, 2: 0, 3: 0}
    for visit in visits:
        if visit < pregnancy.dating_lmp or not pregnancy.is_open(visit):
            continue
        table[pregnancy.gestational_age(visit).trimester] += 1
    return table


@dataclass(frozen=True)
class TetanusDue:
    """The next tetanus dose for a pregnant woman: due from ``due_date``, and by ``latest``."""

    dose: int
    due_date: dt.date
    latest: dt.date | None = None

    @property
    def label(self) -> str:
        return tr("Tetanus dose {dose} (pregnancy)").format(dose=self.dose)


def tetanus_next(
    pregnancy: Pregnancy,
    given: Iterable[dt.date],
    schedule: AntenatalSchedule | None = None,
) -> TetanusDue | None:
    """The next tetanus dose during this pregnancy, from the dates of the doses given in it.

    Dose 1 is due at enrolment. Dose 2 is due a calendar month after dose 1 and must be given
    no later than 2 weeks before the EDD; when that window cannot be met, ``None`` (it no longer
    protects the newborn). ``None`` too when the pregnancy is closed or both doses are given.
    Earlier immunisation (a woman fully vaccinated before) is the nurse's call, not computed.
    """
    schedule = schedule or load_schedule()
    if not pregnancy.is_open():
        return None
    doses = sorted(given)
    if len(doses) >= schedule.tetanus_doses:
        return None
    latest = pregnancy.edd - dt.timedelta(days=schedule.tetanus_latest_days_before_edd)
    if not doses:
        return TetanusDue(1, pregnancy.enrolled_on)
    due = add_months(doses[-1], schedule.tetanus_interval_months)
    if due > latest:
        return None
    return TetanusDue(len(doses) + 1, due, latest)
