"""The monthly summary as data: a calendar month, and the summary of one (every indicator with its
lines and cells, each cell's value, the previous month's, the head's correction and the ids of
the records behind it), as plain data and back (a finalised report is stored that way).

Computing a summary from the records is ``station_app.reports.monthly``; storing drafts,
corrections and finalised copies is ``station_app.store.reports``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from station_app.domain.dates import add_months
from station_app.domain.indicators import Definitions, Indicator, load, pick

FORMAT = "tram-monthly-summary"
FORMAT_VERSION = 1
Progress = Callable[[int, int], None]


# -- the month ---------------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Month:
    """A reporting period: a calendar month, or (``months=12`` from January) a calendar year —
    the yearly report is computed from the same definitions over the twelve months."""

    year: int
    month: int
    months: int = 1  # 1: a month; 12: the year starting in January

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1900 <= self.year <= 9999:
            raise ValueError(f"not a month: {self.year}-{self.month}")
        if self.months not in (1, 12) or (self.months == 12 and self.month != 1):
            raise ValueError(f"not a reporting period: {self.months} months from {self.year}-{self.month}")

    @classmethod
    def year_of(cls, year: int) -> Month:
        """The calendar year ``year`` as one period."""
        return cls(year, 1, 12)

    @property
    def is_year(self) -> bool:
        return self.months == 12

    @classmethod
    def parse(cls, text: str) -> Month:
        """``YYYY-MM`` (also ``MM/YYYY``); ``YYYY`` for a year."""
        text = text.strip()
        if m := re.fullmatch(r"(\d{4})", text):
            return cls.year_of(int(m[1]))
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
            return cls(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"(\d{1,2})/(\d{4})", text):
            return cls(int(m[2]), int(m[1]))
        raise ValueError(f"not a month: {text!r}")

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def next_start(self) -> dt.date:
        return add_months(self.start, self.months)

    @property
    def end(self) -> dt.date:
        """The last day of the month."""
        return self.next_start - dt.timedelta(days=1)

    def previous(self) -> Month:
        return Month(self.year - 1, 1, 12) if self.is_year else Month.of(add_months(self.start, -1))

    def following(self) -> Month:
        return Month(self.year + 1, 1, 12) if self.is_year else Month.of(self.next_start)

    @property
    def key(self) -> str:
        return f"{self.year:04d}" if self.is_year else f"{self.year:04d}-{self.month:02d}"

    @property
    def period(self) -> str:
        """The DHIS2 period: ``YYYYMM`` for a month, ``YYYY`` for a year."""
        return f"{self.year:04d}" if self.is_year else f"{self.year:04d}{self.month:02d}"

    def display(self) -> str:
        return f"{self.year:04d}" if self.is_year else f"{self.month:02d}/{self.year:04d}"

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.next_start - self.start).days)]


# -- the summary object ------------------------------------------------------------------------
@dataclass
class Correction:
    """A cell the head changed before finalising: the computed value stays visible."""

    computed: int
    corrected: int
    by: str
    reason: str
    at: str


@dataclass
class Cell:
    value: int = 0  # computed from the records
    previous: int | None = None  # the previous month's computed (or corrected) value
    chunks: list[str] = field(default_factory=list, repr=False)  # comma-separated record ids
    correction: Correction | None = None

    @property
    def reported(self) -> int:
        """The value the report shows and sends: the correction when there is one."""
        return self.correction.corrected if self.correction else self.value

    def record_ids(self) -> list[int]:
        """The ids of the records behind the computed value (sorted, each once)."""
        ids = {int(x) for chunk in self.chunks for x in chunk.split(",") if x}
        return sorted(ids)


@dataclass
class Line:
    key: str  # "" for an indicator with one line; else a chapter, a programme, an antigen…
    label: dict[str, str]
    cells: dict[str, Cell]


@dataclass
class IndicatorResult:
    indicator: Indicator
    columns: list[str]
    lines: list[Line]

    @property
    def code(self) -> str:
        return self.indicator.code


@dataclass
class MonthlySummary:
    month: Month
    definitions_version: str
    generated_at: str
    station: dict[str, str]
    blocks: list[tuple[str, dict[str, str]]]
    indicators: list[IndicatorResult]
    visits_per_day: list[tuple[str, int]]
    definitions: Definitions = field(repr=False)

    @property
    def previous_month(self) -> Month:
        return self.month.previous()

    def results(self, block: str) -> list[IndicatorResult]:
        return [r for r in self.indicators if r.indicator.block == block]

    def cells(self) -> Iterable[tuple[str, Cell]]:
        """``(key, cell)`` of every cell; a key is ``indicator/line/column``."""
        for result in self.indicators:
            for line in result.lines:
                for column in result.columns:
                    yield cell_key(result.code, line.key, column), line.cells[column]

    def cell(self, key: str) -> Cell:
        code, line_key, column = split_key(key)
        for result in self.indicators:
            if result.code == code:
                for line in result.lines:
                    if line.key == line_key:
                        return line.cells[column]
        raise KeyError(key)

    def result(self, code: str) -> IndicatorResult:
        return next(r for r in self.indicators if r.code == code)

    def unit_of(self, key: str) -> str:
        return self.result(split_key(key)[0]).indicator.unit

    def apply_corrections(self, corrections: dict[str, Correction]) -> None:
        for key, correction in corrections.items():
            try:
                self.cell(key).correction = correction
            except KeyError:
                continue  # a cell of an indicator that no longer exists

    def visit_bars(self) -> list[tuple[int, int]]:
        """The visits chart's bars: ``(day, visits)`` of a month, ``(month, visits)`` of a year (a
        year's 365 days are too many bars to read, and their labels run into each other)."""
        if not self.month.is_year:
            return [(int(day[8:10]), n) for day, n in self.visits_per_day]
        months = [0] * 12
        for day, n in self.visits_per_day:
            months[int(day[5:7]) - 1] += n
        return [(number, n) for number, n in enumerate(months, start=1)]

    def top_diagnoses(self, limit: int = 10) -> list[tuple[str, str, int]]:
        """(code, label, visits) of the top diagnoses, for the chart."""
        found = []
        for result in self.indicators:
            if result.indicator.rows == "top_diagnoses":
                found = [(ln.key, label(ln.label), ln.cells["total"].reported) for ln in result.lines]
        return found[:limit]

    # -- JSON -------------------------------------------------------------------------------
    def to_dict(self, records: bool = False) -> dict[str, object]:
        """The summary as plain data (``records=True`` adds the ids behind each cell)."""
        blocks = []
        for code, name in self.blocks:
            indicators = []
            for result in self.results(code):
                ind = result.indicator
                rows = []
                for line in result.lines:
                    cells = {}
                    for column in result.columns:
                        c = line.cells[column]
                        entry: dict[str, object] = {"value": c.reported, "previous": c.previous}
                        if c.correction:
                            entry["computed"] = c.value
                            entry["correction"] = {
                                "corrected": c.correction.corrected,
                                "by": c.correction.by,
                                "reason": c.correction.reason,
                                "at": c.correction.at,
                            }
                        if records:
                            entry["records"] = c.record_ids()
                        cells[column] = entry
                    rows.append({"key": line.key, "label": line.label, "cells": cells})
                indicators.append(
                    {
                        "code": ind.code,
                        "name": ind.name,
                        "definition": ind.definition,
                        "unit": ind.unit,
                        "columns": result.columns,
                        "rows": rows,
                    }
                )
            blocks.append({"code": code, "name": name, "indicators": indicators})
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "period": self.month.key,
            "previous_period": self.previous_month.key,
            "definitions_version": self.definitions_version,
            "generated_at": self.generated_at,
            "station": self.station,
            "blocks": blocks,
            "visits_per_day": [{"date": day, "visits": n} for day, n in self.visits_per_day],
        }

    @classmethod
    def from_dict(cls, data: dict, definitions: Definitions | None = None) -> MonthlySummary:
        """A summary read back from :meth:`to_dict` (a stored snapshot)."""
        defs = definitions or load()
        known = {ind.code: ind for ind in defs.indicators()}
        blocks, results = [], []
        for block in data["blocks"]:
            blocks.append((block["code"], block["name"]))
            for item in block["indicators"]:
                # Names and definitions as they were when the summary was made (a frozen copy keeps
                # its own words even if the definitions file changes later).
                same = known.get(item["code"])
                ind = Indicator(
                    code=item["code"], block=block["code"], rows=same.rows if same else "single", unit=item["unit"],
                    dimensions=same.dimensions if same else (), name=dict(item["name"]),
                    definition=dict(item["definition"]), valid_from=same.valid_from if same else dt.date.min,
                    valid_to=same.valid_to if same else None, options=same.options if same else {},
                )
                lines = []
                for row in item["rows"]:
                    cells = {}
                    for column, entry in row["cells"].items():
                        computed = entry.get("computed", entry["value"])
                        correction = None
                        if "correction" in entry:
                            fix = entry["correction"]
                            correction = Correction(computed, fix["corrected"], fix["by"], fix["reason"], fix["at"])
                        chunks = [",".join(str(i) for i in entry.get("records", []))]
                        cells[column] = Cell(computed, entry.get("previous"), chunks, correction)
                    lines.append(Line(row["key"], row["label"], cells))
                results.append(IndicatorResult(ind, list(item["columns"]), lines))
        return cls(
            month=Month.parse(data["period"]),
            definitions_version=data["definitions_version"],
            generated_at=data["generated_at"],
            station=dict(data["station"]),
            blocks=blocks,
            indicators=results,
            visits_per_day=[(d["date"], int(d["visits"])) for d in data["visits_per_day"]],
            definitions=defs,
        )


def cell_key(code: str, line: str, column: str) -> str:
    return f"{code}/{line}/{column}"


def split_key(key: str) -> tuple[str, str, str]:
    code, line, column = key.split("/", 2)
    return code, line, column


def label(names: dict[str, str], lang: str | None = None) -> str:
    return pick(names, lang)
