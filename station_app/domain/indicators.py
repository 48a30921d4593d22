"""The indicator definitions of the monthly summary, read from ``resources/data/indicators.json``.

The file is versioned data: each indicator has a code, Vietnamese and English names, a one-line
definition, the dimensions it is broken down by, and the dates it is valid for. Age bands, the
emergency and notifiable-disease lists and the "fully immunised" doses are data too.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from station_app import i18n
from station_app.i18n import N_
from station_app.resources import data_file

DEFINITIONS_FILE = "indicators.json"
TOTAL = N_("Total (all)")
# Column headings shared by the PDF and the workbook.
INDICATOR = N_("Indicator")
THIS_MONTH = N_("This month")
PREVIOUS = N_("Last month")


def pick(names: dict[str, str], lang: str | None = None) -> str:
    """The text of a ``{"vi": …, "en": …}`` pair in ``lang`` (the current language by default)."""
    code = lang or i18n.language()
    return names.get(code) or names.get("vi") or next(iter(names.values()), "")


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


@dataclass(frozen=True)
class AgeBand:
    key: str
    min: int
    max: int | None  # exclusive; None = no upper limit
    label: dict[str, str]

    def contains(self, age: int) -> bool:
        return age >= self.min and (self.max is None or age < self.max)


@dataclass(frozen=True)
class Indicator:
    code: str
    block: str
    rows: str  # how the indicator is split in lines: single, icd_chapter, programme, antigen…
    unit: str  # the kind of record behind each value: visit, patient, enrolment, referral, dose…
    dimensions: tuple[str, ...]  # "sex", "age": extra columns beside the total
    name: dict[str, str]
    definition: dict[str, str]
    valid_from: dt.date
    valid_to: dt.date | None
    options: dict[str, object]

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Block:
    code: str
    name: dict[str, str]
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Definitions:
    version: str
    source: str
    age_bands: tuple[AgeBand, ...]
    sexes: tuple[tuple[str, dict[str, str]], ...]
    emergency_prefixes: tuple[str, ...]
    notifiable: tuple[tuple[str, tuple[str, ...], dict[str, str]], ...]
    fully_immunised: dict[str, int]
    postnatal_days: int
    blocks: tuple[Block, ...]

    def indicators(self, month_start: dt.date | None = None) -> list[Indicator]:
        """Every indicator (valid on the month's first day, when given), block by block."""
        return [
            ind
            for block in self.blocks
            for ind in block.indicators
            if month_start is None or ind.valid_on(month_start)
        ]

    def indicator(self, code: str) -> Indicator:
        for ind in self.indicators():
            if ind.code == code:
                return ind
        raise KeyError(code)

    def columns(self, indicator: Indicator) -> list[str]:
        """The column keys of an indicator: ``total``, then ``sex:1``, ``sex:2``, ``age:lt5``…"""
        columns = ["total"]
        if "sex" in indicator.dimensions:
            columns += [f"sex:{key}" for key, _ in self.sexes]
        if "age" in indicator.dimensions:
            columns += [f"age:{band.key}" for band in self.age_bands]
        return columns

    def column_label(self, column: str, lang: str | None = None) -> str:
        kind, _, key = column.partition(":")
        if kind == "sex":
            return pick(dict(self.sexes)[key], lang)
        if kind == "age":
            return pick(next(b.label for b in self.age_bands if b.key == key), lang)
        return i18n.translate(TOTAL, lang)


def parse(data: dict) -> Definitions:
    blocks = []
    codes: set[str] = set()
    for block in data["blocks"]:
        indicators = []
        for item in block["indicators"]:
            if item["code"] in codes:
                raise ValueError(f"indicator {item['code']} is defined twice")
            codes.add(item["code"])
            known = {"code", "rows", "unit", "dimensions", "name", "definition", "valid_from", "valid_to"}
            indicators.append(
                Indicator(
                    code=item["code"],
                    block=block["code"],
                    rows=item["rows"],
                    unit=item["unit"],
                    dimensions=tuple(item.get("dimensions", ())),
                    name=dict(item["name"]),
                    definition=dict(item["definition"]),
                    valid_from=_date(item["valid_from"]) or dt.date.min,
                    valid_to=_date(item.get("valid_to")),
                    options={k: v for k, v in item.items() if k not in known},
                )
            )
        blocks.append(Block(block["code"], dict(block["name"]), tuple(indicators)))
    bands = tuple(AgeBand(b["key"], int(b["min"]), b["max"], dict(b["label"])) for b in data["age_bands"])
    return Definitions(
        version=str(data["version"]),
        source=str(data.get("source", "")),
        age_bands=bands,
        sexes=tuple((s["key"], dict(s["label"])) for s in data["sexes"]),
        emergency_prefixes=tuple(data["emergency_icd10"]["prefixes"]),
        notifiable=tuple(
            (d["key"], tuple(d["icd10"]), dict(d["name"])) for d in data["notifiable"]["diseases"]
        ),
        fully_immunised={k: int(v) for k, v in data["fully_immunised_under1"]["doses"].items()},
        postnatal_days=int(data.get("postnatal_days", 7)),
        blocks=tuple(blocks),
    )


def load(path: Path | None = None) -> Definitions:
    """The shipped definitions (or those in the file at ``path``)."""
    if path is None:
        return _shipped()
    with path.open(encoding="utf-8") as fh:
        return parse(json.load(fh))


@cache
def _shipped() -> Definitions:
    with data_file(DEFINITIONS_FILE).open(encoding="utf-8") as fh:
        return parse(json.load(fh))
