"""The station's record books (TT 23/2025/TT-BYT Phụ lục III) other than A1, as versioned data:
``resources/data/books.json`` gives each book's form code, title and columns (key, heading,
width, page total). The columns are unverified against the 2025 forms and are corrected there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from station_app.resources import data_file

DATA_FILE = "books.json"
BOOKS = ("A1", "A2.1", "A2.2", "A3", "A4", "A6")  # A1 is the visit book (printing/visit_book.py)
PAGE_WIDTH_MM = 273  # A4 landscape between 12 mm margins
TOTALS = ("count", "count_period")


@dataclass(frozen=True)
class Column:
    key: str
    title: dict[str, str]
    width: float  # mm
    total: str | None  # None, "count" (filled cells), "count_period" (dates within the period)

    def heading(self, lang: str = "vi") -> str:
        return self.title.get(lang) or self.title.get("vi", self.key)


@dataclass(frozen=True)
class BookDefinition:
    code: str  # A2.1…
    form: str  # A2.1/CSYT
    title: dict[str, str]
    rows: str  # what one row is (documentation)
    columns: tuple[Column, ...]
    version: str
    verified: bool

    @property
    def has_totals(self) -> bool:
        return any(c.total for c in self.columns)


def parse(data: dict) -> dict[str, BookDefinition]:
    found = {}
    for code, item in data["books"].items():
        columns = tuple(Column(c["key"], dict(c["title"]), float(c["width"]), c.get("total")) for c in item["columns"])
        keys = [c.key for c in columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"book {code}: a column is listed twice")
        if any(c.total not in (None, *TOTALS) for c in columns):
            raise ValueError(f"book {code}: unknown kind of page total")
        if sum(c.width for c in columns) > PAGE_WIDTH_MM + 0.5:
            raise ValueError(f"book {code}: the columns are wider than the page ({PAGE_WIDTH_MM} mm)")
        found[code] = BookDefinition(code, str(item["form"]), dict(item["title"]), str(item.get("rows", "")),
                                     columns, str(data["version"]), bool(data.get("verified", False)))
    return found


@cache
def definitions() -> dict[str, BookDefinition]:
    with data_file(DATA_FILE).open(encoding="utf-8") as fh:
        return parse(json.load(fh))
