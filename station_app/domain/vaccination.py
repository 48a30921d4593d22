"""Child vaccination (tiêm chủng mở rộng): the schedule as data, next doses and the card.

The schedule lives in ``resources/data/vaccination_schedule.json`` (versioned, with its legal
source). Everything here is computed from the child's real birth date and the doses already
given, wherever they were given (doses copied from the paper booklet count the same):

* a dose is due at ``max(birth + recommended age, previous dose of the series + min interval)``,
  the interval in days or calendar months (Japanese encephalitis dose 3: a year after dose 2);
* a late series is continued, never restarted, and a dose given is never asked again;
* ages in months are calendar months, clamped to the month's end (31/01 + 1 month = 28/29 Feb).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path

from station_app import clock
from station_app.domain.dates import add_months
from station_app.i18n import N_, language, tr, translate
from station_app.resources import data_file

SCHEDULE_FILE = "vaccination_schedule.json"

# One dose label for injected vaccines ("mũi") and one for oral ones ("lần"), told apart by context.
_DOSE_LABEL = N_("{vaccine} dose {dose}")
ORAL_CONTEXT = "oral vaccine"


@dataclass(frozen=True)
class Age:
    """An age written as calendar months plus days ("12 months + 7 days")."""

    months: int = 0
    days: int = 0

    def reached_on(self, birth: dt.date) -> dt.date:
        """The date a child born on ``birth`` reaches this age."""
        return add_months(birth, self.months) + dt.timedelta(days=self.days)

    @classmethod
    def from_json(cls, data: dict) -> Age:
        unknown = set(data) - {"months", "days"}
        if unknown:
            raise ValueError(f"unknown age fields {sorted(unknown)}")
        return cls(int(data.get("months", 0)), int(data.get("days", 0)))


@dataclass(frozen=True)
class After:
    """A dose of another series that this dose must follow by the minimum interval.

    ``required``: the dose waits until that one is given (a booster after the primary series);
    otherwise the interval only applies when it was given.
    """

    series: str
    dose: int
    required: bool = False


@dataclass(frozen=True)
class Dose:
    """One dose of a series as the schedule recommends it."""

    number: int
    age: Age
    min_age: Age | None = None
    max_age: Age | None = None
    min_interval_days: int | None = None
    after: tuple[After, ...] = ()
    note: str = ""
    min_interval_months: int | None = None  # an interval in calendar months ("one year after dose 2")


@dataclass(frozen=True)
class Series:
    """A vaccine given in one or more doses (``dpt_vgb_hib``: doses 1, 2, 3)."""

    key: str
    names: dict[str, str] = field(hash=False, compare=False)
    route: str  # "injection" or "oral"
    doses: tuple[Dose, ...]
    show_dose_number: bool = True

    def name(self, lang: str | None = None) -> str:
        """The vaccine's name in ``lang`` (the current language when omitted)."""
        code = lang or language()
        return self.names.get(code) or self.names.get("en") or self.key

    def dose(self, number: int) -> Dose:
        for dose in self.doses:
            if dose.number == number:
                return dose
        raise KeyError(f"{self.key} has no dose {number}")

    def label(self, number: int, lang: str | None = None) -> str:
        """What a nurse reads: "DPT-VGB-Hib mũi 1", "OPV lần 2", "BCG"."""
        name = self.name(lang)
        if not self.show_dose_number:
            return name
        context = ORAL_CONTEXT if self.route == "oral" else None
        return translate(_DOSE_LABEL, lang, context).format(vaccine=name, dose=number)


@dataclass(frozen=True)
class Schedule:
    """One version of the national schedule."""

    version: str
    valid_from: dt.date
    valid_to: dt.date | None
    source: str
    min_interval_days: int
    series: tuple[Series, ...]

    def get(self, key: str) -> Series:
        for series in self.series:
            if series.key == key:
                return series
        raise KeyError(f"no vaccine series {key!r}")

    def interval(self, dose: Dose) -> Age:
        """The least time after the dose before it (of the series, or one it follows): the
        dose's own interval in months and days, else the schedule's days."""
        if dose.min_interval_months is None and dose.min_interval_days is None:
            return Age(days=self.min_interval_days)
        return Age(dose.min_interval_months or 0, dose.min_interval_days or 0)

    def covers(self, on: dt.date) -> bool:
        """True when this version of the schedule was in force on ``on``."""
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


def _parse_date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _parse_dose(data: dict) -> Dose:
    def age(name: str) -> Age | None:
        return Age.from_json(data[name]) if name in data else None

    interval = data.get("min_interval_days")
    months = data.get("min_interval_months")
    return Dose(
        number=int(data["dose"]),
        age=Age.from_json(data["age"]),
        min_age=age("min_age"),
        max_age=age("max_age"),
        min_interval_days=None if interval is None else int(interval),
        after=tuple(
            After(str(a["series"]), int(a["dose"]), bool(a.get("required", False)))
            for a in data.get("after", ())
        ),
        note=str(data.get("note", "")),
        min_interval_months=None if months is None else int(months),
    )


def parse_schedule(data: dict) -> Schedule:
    """A :class:`Schedule` from the JSON structure, checked for the mistakes an editor can make."""
    series: list[Series] = []
    seen: set[str] = set()
    for item in data["series"]:
        key = str(item["key"])
        if key in seen:
            raise ValueError(f"vaccine series {key!r} appears twice")
        doses = tuple(sorted((_parse_dose(d) for d in item["doses"]), key=lambda d: d.number))
        numbers = [d.number for d in doses]
        if not doses or len(set(numbers)) != len(numbers):
            raise ValueError(f"vaccine series {key!r}: doses missing or repeated")
        for dose in doses:
            for after in dose.after:
                # a dose may only follow a series defined above it, so one pass computes all
                if after.series not in seen:
                    raise ValueError(f"{key} dose {dose.number}: unknown series {after.series!r}")
        route = str(item.get("route", "injection"))
        if route not in ("injection", "oral"):
            raise ValueError(f"vaccine series {key!r}: unknown route {route!r}")
        names = {str(k): str(v) for k, v in item["name"].items()}
        if "vi" not in names or "en" not in names:
            raise ValueError(f"vaccine series {key!r} needs a Vietnamese and an English name")
        series.append(Series(key, names, route, doses, bool(item.get("show_dose_number", True))))
        seen.add(key)
    return Schedule(
        version=str(data["version"]),
        valid_from=dt.date.fromisoformat(data["valid_from"]),
        valid_to=_parse_date(data.get("valid_to")),
        source=str(data.get("source", "")),
        min_interval_days=int(data["min_interval_days"]),
        series=tuple(series),
    )


def load_schedule(path: Path | None = None) -> Schedule:
    """The schedule shipped in ``resources/data`` (or the file at ``path``)."""
    if path is None:
        return _default_schedule()
    with path.open(encoding="utf-8") as fh:
        return parse_schedule(json.load(fh))


@cache
def _default_schedule() -> Schedule:
    with data_file(SCHEDULE_FILE).open(encoding="utf-8") as fh:
        return parse_schedule(json.load(fh))


@dataclass(frozen=True)
class GivenDose:
    """A dose the child has received, here, elsewhere, or copied from the paper booklet."""

    series: str
    dose: int
    given_on: dt.date
    place: str = ""
    from_booklet: bool = False


class DoseState(StrEnum):
    GIVEN = "given"
    DUE = "due"  # the series' next dose and it may be given today (it may be late)
    NOT_YET_DUE = "not_yet_due"  # too early still, or it waits for an earlier dose
    TOO_OLD = "too_old"  # not given and the child is past the dose's maximum age
    NOT_RECORDED = "not_recorded"  # not on record, but a later dose of the series was given


@dataclass(frozen=True)
class CardLine:
    """One dose on the child's vaccination card, as it stands on ``today``."""

    series: Series
    dose: Dose
    state: DoseState
    today: dt.date
    given: GivenDose | None = None
    due_date: dt.date | None = None  # doses not given: when it is (or would be) due
    earliest: dt.date | None = None  # doses not given: the first day it may be given
    last_date: dt.date | None = None  # the last day before the maximum age, if there is one
    waiting_for: tuple[Series, int] | None = None  # a dose that must be given first

    @property
    def label(self) -> str:
        return self.series.label(self.dose.number)

    @property
    def is_next(self) -> bool:
        """True for the dose its series asks for (now or later), with nothing to wait for."""
        return self.state in (DoseState.DUE, DoseState.NOT_YET_DUE) and self.waiting_for is None

    @property
    def overdue(self) -> bool:
        return (
            self.state is DoseState.DUE
            and self.due_date is not None
            and (self.due_date < self.today)
        )

    def describe(self) -> str:
        """One translated sentence: "Given on 20/04/2026 at Trạm Y tế xã", "Due on 15/03/2026"…"""
        if self.state is DoseState.GIVEN and self.given is not None:
            date = _display(self.given.given_on)
            context = ORAL_CONTEXT if self.series.route == "oral" else None
            if self.given.place:
                text = translate(N_("Given on {date} at {place}"), context=context).format(
                    date=date, place=self.given.place
                )
            else:
                text = translate(N_("Given on {date}"), context=context).format(date=date)
            if self.given.from_booklet:
                text = tr("{text} (from the booklet)").format(text=text)
            return text
        if self.state is DoseState.DUE and self.due_date is not None:
            if self.due_date > self.today:
                return tr("Can be given now; due by {date}").format(date=_display(self.due_date))
            return tr("Due on {date}").format(date=_display(self.due_date))
        if self.state is DoseState.NOT_YET_DUE and self.due_date is not None:
            if self.waiting_for is not None:
                series, number = self.waiting_for
                return tr("Not yet due: after {dose}, about {date}").format(
                    dose=series.label(number), date=_display(self.due_date)
                )
            return tr("Not yet due (due on {date})").format(date=_display(self.due_date))
        if self.state is DoseState.TOO_OLD:
            return tr("Not given; the child is past the age for this dose")
        return tr("Not recorded")


@dataclass(frozen=True)
class DoseDue:
    """The next dose of one series: what a follow-up item for this child asks for."""

    series: Series
    dose: Dose
    due_date: dt.date
    earliest: dt.date
    last_date: dt.date | None = None  # after this day the dose is no longer given

    @property
    def series_key(self) -> str:
        return self.series.key

    @property
    def number(self) -> int:
        return self.dose.number

    @property
    def label(self) -> str:
        return self.series.label(self.dose.number)


def _display(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _by_series(given: Iterable[GivenDose]) -> dict[str, dict[int, GivenDose]]:
    """``{series: {dose: the earliest record of it}}`` (duplicates from booklet copies collapse)."""
    table: dict[str, dict[int, GivenDose]] = {}
    for record in given:
        doses = table.setdefault(record.series, {})
        known = doses.get(record.dose)
        if known is None or record.given_on < known.given_on:
            doses[record.dose] = record
    return table


def card(
    birth: dt.date,
    given: Iterable[GivenDose],
    today: dt.date | None = None,
    schedule: Schedule | None = None,
) -> list[CardLine]:
    """Every dose of the schedule for this child, in schedule order, with its state on ``today``.

    For each series: doses on record are GIVEN; missing doses below the highest one given are
    NOT_RECORDED (never asked again: the series continues from the highest); the dose after the
    highest is the next one, due at ``max(birth + age, previous dose + interval)``; the doses
    after it get expected dates by the same rule, as if each were given on its due date (or
    today, when that date has passed).
    Records of series the schedule does not know (a private vaccine) are left out.
    """
    today = today or clock.today()
    schedule = schedule or load_schedule()
    records = _by_series(given)
    lines: list[CardLine] = []
    # the date each dose was given, or is expected: what later doses count their interval from
    dated: dict[tuple[str, int], dt.date] = {}
    for series in schedule.series:
        done = records.get(series.key, {})
        numbers = {d.number for d in series.doses}
        highest = max((n for n in done if n in numbers), default=0)
        previous: dt.date | None = None
        waiting_for: tuple[Series, int] | None = None  # once the chain passes a dose not given
        stopped = False  # a dose past its maximum age ends the series
        for dose in series.doses:
            record = done.get(dose.number)
            if record is not None:
                lines.append(CardLine(series, dose, DoseState.GIVEN, today, given=record))
                previous = dated[(series.key, dose.number)] = record.given_on
                continue
            if dose.number < highest:
                lines.append(CardLine(series, dose, DoseState.NOT_RECORDED, today))
                continue
            last = None
            if dose.max_age is not None:
                last = dose.max_age.reached_on(birth) - dt.timedelta(days=1)
            if stopped:
                lines.append(CardLine(series, dose, DoseState.TOO_OLD, today, last_date=last))
                continue
            interval = schedule.interval(dose)
            due = dose.age.reached_on(birth)
            earliest = dose.min_age.reached_on(birth) if dose.min_age else due
            blocker = waiting_for
            follows = [previous] if previous is not None else []
            for after in dose.after:
                before = dated.get((after.series, after.dose))
                before_given = after.dose in records.get(after.series, {})
                if before is not None and (before_given or after.required):
                    follows.append(before)
                if after.required and not before_given and blocker is None:
                    blocker = (schedule.get(after.series), after.dose)
            for before in follows:
                due = max(due, interval.reached_on(before))
                earliest = max(earliest, interval.reached_on(before))
            if last is not None and (earliest > last or today > last):
                lines.append(CardLine(series, dose, DoseState.TOO_OLD, today, last_date=last))
                stopped = True
                continue
            ready = blocker is None and earliest <= today
            lines.append(
                CardLine(
                    series,
                    dose,
                    DoseState.DUE if ready else DoseState.NOT_YET_DUE,
                    today,
                    due_date=due,
                    earliest=earliest,
                    last_date=last,
                    waiting_for=blocker,
                )
            )
            # later doses count from the day this one can be given at the soonest
            previous = dated[(series.key, dose.number)] = max(due, today)
            waiting_for = (series, dose.number)
    return lines


def next_doses(
    birth: dt.date,
    given: Iterable[GivenDose],
    today: dt.date | None = None,
    schedule: Schedule | None = None,
) -> list[DoseDue]:
    """For each series still open, its next dose and due date (past, today or ahead).

    A series is left out when it is complete, when its next dose waits for another dose that
    is not given yet (the DPT booster before the third primary dose), or when the child is past
    the dose's maximum age on ``today``.
    """
    return [
        DoseDue(line.series, line.dose, line.due_date, line.earliest, line.last_date)
        for line in card(birth, given, today, schedule)
        if line.is_next and line.due_date is not None and line.earliest is not None
    ]


def next_dose(
    birth: dt.date,
    given: Iterable[GivenDose],
    series: str,
    today: dt.date | None = None,
    schedule: Schedule | None = None,
) -> DoseDue | None:
    """The next dose of one series, or ``None`` when nothing more is asked of it."""
    for due in next_doses(birth, given, today, schedule):
        if due.series_key == series:
            return due
    return None


def overdue_doses(
    birth: dt.date,
    given: Iterable[GivenDose],
    today: dt.date | None = None,
    schedule: Schedule | None = None,
) -> list[DoseDue]:
    """The next doses whose due date is before ``today``."""
    today = today or clock.today()
    return [d for d in next_doses(birth, given, today, schedule) if d.due_date < today]


def is_behind(
    birth: dt.date,
    given: Iterable[GivenDose],
    today: dt.date | None = None,
    schedule: Schedule | None = None,
) -> bool:
    """True when any dose is overdue: a risk flag that puts the child first on the call list."""
    return bool(overdue_doses(birth, given, today, schedule))
