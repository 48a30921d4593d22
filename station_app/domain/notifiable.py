"""Notifiable communicable diseases (groups A, B, C) mapped to ICD-10, read from the dated lists
in ``resources/data/notifiable_diseases.json``.

The list valid on the day of the event (a visit, a death) applies. A code matches a disease when
it starts with one of the disease's codes ("A90" matches A90 and A90.x); the longest match wins.
A disease with ``case_report_hours`` needs a case report within that many hours of being found
(by the list of the day: 24 or 48 hours until June 2026; 24 hours for every group A and B disease
from July 2026, TT 15/2026 Đ10 k1); the others are counted in the monthly report only.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass
from functools import cache

from station_app.resources import data_file

DATA_FILE = "notifiable_diseases.json"
GROUPS = ("A", "B", "C")


@dataclass(frozen=True)
class Disease:
    key: str
    group: str
    codes: tuple[str, ...]
    name: dict[str, str]
    case_report_hours: int | None
    list_version: str

    def title(self, lang: str = "vi") -> str:
        return self.name.get(lang) or self.name.get("vi", self.key)


@dataclass(frozen=True)
class DiseaseList:
    version: str
    valid_from: dt.date
    valid_to: dt.date | None
    verified: bool
    source: str
    groups: dict[str, dict[str, str]]  # group → its name in each language
    diseases: tuple[Disease, ...]

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def match(self, code: str) -> Disease | None:
        code = code.strip().upper()
        if not code:
            return None
        best: tuple[int, Disease] | None = None
        for disease in self.diseases:
            for prefix in disease.codes:
                if code.startswith(prefix.upper()) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), disease)
        return best[1] if best else None

    def group_title(self, group: str, lang: str = "vi") -> str:
        names = self.groups.get(group, {})
        return names.get(lang) or names.get("vi", group)


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _spans(start: dt.date, end: dt.date | None, items: list[dict]) -> list[tuple[dt.date, dt.date | None]]:
    """The consecutive spans of [start, end] between the days a disease of the list enters or leaves it."""
    cuts = {start}
    for d in items:
        since, until = _day(d.get("valid_from")), _day(d.get("valid_to"))
        if since and since > start and (end is None or since <= end):
            cuts.add(since)
        if until and until >= start and (end is None or until < end):
            cuts.add(until + dt.timedelta(days=1))
    days = sorted(cuts)
    return [(a, b - dt.timedelta(days=1)) for a, b in itertools.pairwise(days)] + [(days[-1], end)]


def _within(d: dict, start: dt.date, end: dt.date | None) -> bool:
    since, until = _day(d.get("valid_from")), _day(d.get("valid_to"))
    return (since is None or since <= start) and (until is None or (end is not None and end <= until))


def parse(data: dict) -> tuple[DiseaseList, ...]:
    """The dated lists. A disease may carry its own valid_from / valid_to inside its list (a
    decision that added it or moved it to another group): the list is then cut into consecutive
    lists at those days, each holding the diseases valid throughout it."""
    lists = []
    for item in data["lists"]:
        version = str(item["version"])
        for d in item["diseases"]:
            if d["group"] not in GROUPS:
                raise ValueError(f"{version}: disease {d['key']} has an unknown group {d['group']!r}")
        start, end = dt.date.fromisoformat(item["valid_from"]), _day(item.get("valid_to"))
        for span_start, span_end in _spans(start, end, item["diseases"]):
            diseases = []
            keys: set[str] = set()
            for d in item["diseases"]:
                if not _within(d, span_start, span_end):
                    continue
                if d["key"] in keys:
                    raise ValueError(f"{version}: disease {d['key']} is listed twice on {span_start}")
                keys.add(d["key"])
                hours = d.get("case_report_hours")
                diseases.append(Disease(d["key"], d["group"], tuple(d["icd10"]), dict(d["name"]),
                                        int(hours) if hours is not None else None, version))
            lists.append(DiseaseList(
                version=version,
                valid_from=span_start,
                valid_to=span_end,
                verified=bool(item.get("verified", False)),
                source=str(item.get("source", "")),
                groups={k: dict(v["name"]) for k, v in item["groups"].items()},
                diseases=tuple(diseases),
            ))
    return tuple(sorted(lists, key=lambda x: x.valid_from))


@cache
def lists() -> tuple[DiseaseList, ...]:
    with data_file(DATA_FILE).open(encoding="utf-8") as fh:
        return parse(json.load(fh))


def list_on(day: dt.date) -> DiseaseList | None:
    return next((x for x in reversed(lists()) if x.valid_on(day)), None)


def match(code: str, day: dt.date) -> Disease | None:
    """The notifiable disease that ICD-10 ``code`` is, by the list valid on ``day`` (None if none)."""
    found = list_on(day)
    return found.match(code) if found else None
