"""The station's own words for diagnoses ("THA" → I10, "ĐTĐ" → E11, "tiêu chảy" → A09…), from
``resources/data/diagnosis_shortcuts.json``: searched before the ICD-10 catalogue, so the code the
station uses comes first. Only codes: the name shown is the catalogue's.
"""

from __future__ import annotations

import json
from functools import cache

from station_app.domain.text import fold
from station_app.resources import data_file

DATA_FILE = "diagnosis_shortcuts.json"


def _key(text: str) -> str:
    return " ".join(fold(text).split())


@cache
def shortcuts() -> tuple[tuple[str, str], ...]:
    """(folded word, code), in the file's order."""
    with data_file(DATA_FILE).open(encoding="utf-8") as fh:
        data = json.load(fh)
    return tuple((_key(word), item["code"]) for item in data["shortcuts"] for word in item["words"])


def codes_for(query: str) -> list[str]:
    """The codes whose word is what was typed, then those whose word begins with it (each once)."""
    typed = _key(query)
    if not typed:
        return []
    exact = [code for word, code in shortcuts() if word == typed]
    starts = [code for word, code in shortcuts() if word != typed and len(typed) >= 2 and word.startswith(typed)]
    return list(dict.fromkeys(exact + starts))
