"""The code values a claim takes from official lists (``resources/data/claims_codes.json``), each with
where it was checked: the referral reason → MA_LYDO_CT, the cost groups (MA_NHOM), and the
placeholders kept until a list is read (the station's examination code, its department code, the
route codes, how the district of residence is written since districts were abolished). A value
marked unverified is shown to the head of station as "mã chưa đối chiếu"."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from station_app.resources import data_file

CODES_FILE = "claims_codes.json"


@dataclass(frozen=True)
class CodeEntry:
    key: str
    field: str  # where the value goes in the claims files
    value: Any  # a code, a mapping of codes, or a sentence saying how the field is filled
    verified: bool
    source: str
    evidence: str = ""  # for a verified value: primary, or secondary and why it is trusted
    tried: str = ""  # for an unverified value: what was looked at
    otherwise: str = ""  # the value for anything the mapping does not name


@functools.cache
def entries() -> dict[str, CodeEntry]:
    """Every entry of the code table, by key."""
    with data_file(CODES_FILE).open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return {
        key: CodeEntry(
            key=key,
            field=str(item["field"]),
            value=item["value"],
            verified=bool(item["verified"]),
            source=str(item["source"]),
            evidence=str(item.get("evidence", "")),
            tried=str(item.get("tried", "")),
            otherwise=str(item.get("otherwise", "")),
        )
        for key, item in loaded["codes"].items()
    }


def unverified() -> list[CodeEntry]:
    """The placeholders still to be checked against their lists."""
    return [e for e in entries().values() if not e.verified]


def _mapping(key: str) -> Mapping[str, str]:
    value = entries()[key].value
    return {str(k): str(v) for k, v in value.items()}


def referral_reason_code(slip_reason: str) -> str:
    """MA_LYDO_CT of XML13 for the referral slip's reason (``1a``, ``1b``, ``2``; '' when none is
    ticked): 1 meets the referral rules, 2 beyond what the station can do, 3 the patient's wish."""
    return _mapping("referral_reasons").get(slip_reason, "")


def cost_groups() -> Mapping[str, str]:
    """MA_NHOM codes and their names (PL3 QĐ 5937, 19 added by QĐ 4750)."""
    return _mapping("cost_groups")


def route_code(route: str) -> str:
    """The placeholder DUONG_DUNG for a route written in words (``uống``…): unverified codes, for
    the demo station; a real station enters each drug's code in the formulary."""
    entry = entries()["routes"]
    return _mapping("routes").get(route.strip().lower(), entry.otherwise)


def placeholder(key: str) -> str:
    """The unverified placeholder code of ``key`` (``exam_service``, ``department``)."""
    return str(entries()[key].value)


def is_unchecked(key: str, code: str) -> bool:
    """Whether ``code`` is the unverified placeholder of ``key``: a code a station typed in itself
    (from its social-insurance office) is its own; the placeholder is not checked against the list."""
    entry = entries()[key]
    return not entry.verified and code.strip() != "" and code.strip() == str(entry.value)


def unchecked_in_use(department_code: str, exam_codes: list[str]) -> list[str]:
    """The placeholder codes a station still writes in its claims (its department code, its
    examination codes), each once, in that order."""
    found = [department_code] if is_unchecked("department", department_code) else []
    found += [c for c in exam_codes if is_unchecked("exam_service", c)]
    return list(dict.fromkeys(c.strip() for c in found))
