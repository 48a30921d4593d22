"""The monthly (or yearly) summary as a DHIS2 ``dataValueSets`` file a DHIS2 server accepts.

DHIS2's rules this file keeps:

* **one category combination per data element**: a total and its breakdowns are never sent on
  one element. Each indicator cell line has up to three elements: ``default`` (the total, DHIS2's
  default combination ``HllvX50cXC0``), ``sex`` (Nam, Nữ) and ``age`` (the age bands);
* **no overlapping age bands**: the summary's columns overlap on purpose (< 5, < 6, < 15 are
  "of which" columns, as on the paper forms); DHIS2 gets disjoint bands (0–4, 5, 6–14, 15–59, 60+)
  worked out from them (6–14 = < 15 minus < 6), listed in the mapping's ``ageBands``;
* ``period`` ``YYYYMM`` for a month, ``YYYY`` for a year; ``completeDate`` (the day the head
  finalised it) when the report is final — a draft is sent without it;
* ``orgUnit`` is the station's **facility code** (Mã cơ sở KCB), not a DHIS2 UID: the file says so
  with ``"orgUnitIdScheme": "CODE"`` (import it with ``orgUnitIdScheme=CODE`` on older servers);
  the district gives each commune station that code in DHIS2;
* the mapping (``resources/data/dhis2_mapping.json``, or the district's own in the station's data
  folder) is **checked when loaded**: every cell line of every indicator is mapped or explicitly
  skipped (``skip``), every id is a DHIS2 UID, the age bands are disjoint and can be worked out
  from the summary's columns. A mapping that fails is refused with the keys it lacks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from station_app import paths
from station_app.domain import births, icd10, notifiable, vaccination
from station_app.domain.coverage import TARGET_GROUPS
from station_app.domain.followup import Kind, RemovalReason
from station_app.domain.indicators import Definitions, Indicator, load
from station_app.domain.monthly import IndicatorResult, MonthlySummary
from station_app.errors import UserError
from station_app.i18n import N_
from station_app.reports import monthly
from station_app.resources import data_file

MAPPING_FILE = "dhis2_mapping.json"
DEFAULT_COMBO = "HllvX50cXC0"  # DHIS2's built-in default category option combo
UID = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")
ORG_UNIT_ID_SCHEME = "CODE"
NO_FACILITY = N_("The station's facility code is empty: enter it in Settings (station profile) before exporting "
                 "for DHIS2.")
BAD_MAPPING = N_("The DHIS2 mapping {file} cannot be used: {problems}")


class MappingError(UserError, ValueError):
    """A DHIS2 mapping that would make a file a server refuses."""


@dataclass(frozen=True)
class AgeBand:
    key: str
    min: int
    max: int | None  # exclusive


def fixed_lines(ind: Indicator, defs: Definitions) -> list[str] | None:
    """The line keys of an indicator ("" for a single line); None when its lines change from one
    period to the next (top diagnoses)."""
    rows = ind.rows
    if rows == "single":
        return [""]
    if rows == "icd_chapter":
        return [c.chapter for c in icd10.load_chapters()] + [monthly.NO_CODE]
    if rows == "notifiable":
        return [key for key, _, _ in defs.notifiable]
    if rows == "programme":
        return list(monthly.PROGRAMMES)
    if rows == "antigen":
        return [s.key for s in vaccination.load_schedule().series]
    if rows == "followup_kind":
        return [k.value for k in Kind]
    if rows == "section":
        return [s.value for s in monthly.MONTH_END_SECTIONS]
    if rows == "outcome":
        return [*(o.value for o in monthly.CALL_OUTCOMES), *(f"removed:{r.value}" for r in RemovalReason)]
    if rows == "notifiable_group":
        return list(notifiable.GROUPS)
    if rows == "death_place":
        return [str(p) for p in births.DEATH_PLACES] + [monthly.UNKNOWN_PLACE]
    if rows == "delivery_place":
        return [str(p) for p in births.DELIVERY_PLACES]
    if rows == "epi_target":
        return list(TARGET_GROUPS)
    if rows == "coverage":
        given = next((i for i in defs.indicators() if i.code == "epi.coverage_given"), ind)
        lines = given.options.get("lines")
        return [str(line["key"]) for line in lines if isinstance(line, dict)] if isinstance(lines, list) else []
    return None


def line_key(code: str, line: str) -> str:
    return code if not line else f"{code}/{line}"


def combos_of(ind: Indicator) -> list[str]:
    """The category combinations an indicator's lines are sent with: one data element each."""
    return ["default"] + [d for d in ("sex", "age") if d in ind.dimensions]


def _age_sources(band: AgeBand, defs: Definitions) -> tuple[str, str | None] | None:
    """How a disjoint band is worked out from the summary's (overlapping) age columns:
    ``(column, column to subtract or None)``."""
    by_range = {(b.min, b.max): b.key for b in defs.age_bands}
    if (band.min, band.max) in by_range:
        return f"age:{by_range[(band.min, band.max)]}", None
    upper = by_range.get((0, band.max))
    lower = by_range.get((0, band.min))
    if upper and lower:
        return f"age:{upper}", f"age:{lower}"
    return None


def check(mapping: dict, defs: Definitions | None = None) -> list[str]:
    """What is wrong with ``mapping`` (empty when a server will accept what it makes)."""
    defs = defs or load()
    problems: list[str] = []
    if not UID.match(str(mapping.get("dataSet", ""))):
        problems.append("dataSet")
    combos = mapping.get("categoryCombos", {})
    if combos.get("default", {}).get("total") != DEFAULT_COMBO:
        problems.append("categoryCombos.default")
    for key, _label in defs.sexes:
        if not UID.match(str(combos.get("sex", {}).get(key, ""))):
            problems.append(f"categoryCombos.sex.{key}")
    bands = [AgeBand(b["key"], int(b["min"]), b.get("max")) for b in mapping.get("ageBands", [])]
    previous_max: int | None = 0
    for band in sorted(bands, key=lambda b: b.min):
        if previous_max is None or band.min != previous_max:
            problems.append(f"ageBands.{band.key} (overlapping or leaving a gap)")
        previous_max = band.max
        if _age_sources(band, defs) is None:
            problems.append(f"ageBands.{band.key} (not worked out from the report's age columns)")
        if not UID.match(str(combos.get("age", {}).get(band.key, ""))):
            problems.append(f"categoryCombos.age.{band.key}")
    if not bands:
        problems.append("ageBands")
    elements = mapping.get("dataElements", {})
    skipped = set(mapping.get("skip", {}))
    seen: set[str] = set()
    for ind in defs.indicators():
        if ind.code in skipped:
            continue
        lines = fixed_lines(ind, defs)
        if lines is None:
            problems.append(f"{ind.code} (lines change every period: skip it)")
            continue
        for line in lines:
            key = line_key(ind.code, line)
            if key in skipped:
                continue
            entry = elements.get(key)
            for combo in combos_of(ind):
                uid = entry.get(combo) if isinstance(entry, dict) else None
                if not uid or not UID.match(str(uid)):
                    problems.append(f"dataElements.{key}.{combo}")
                elif uid in seen:
                    problems.append(f"dataElements.{key}.{combo} (an element used twice)")
                else:
                    seen.add(str(uid))
    return problems


def load_mapping(defs: Definitions | None = None) -> dict:
    """The station's own mapping (data folder) if there is one, else the shipped one; checked."""
    own = paths.data_dir() / MAPPING_FILE
    source = own if own.is_file() else data_file(MAPPING_FILE)
    with source.open(encoding="utf-8") as fh:
        mapping = json.load(fh)
    problems = check(mapping, defs)
    if problems:
        shown = ", ".join(problems[:8]) + (f" (+{len(problems) - 8})" if len(problems) > 8 else "")
        raise MappingError(BAD_MAPPING, file=str(source), problems=shown)
    return mapping


def _values(result: IndicatorResult, line_cells: dict, combo: str, mapping: dict,
            defs: Definitions) -> Iterable[tuple[str, int]]:
    """(category option combo, value) of one line in one combination."""
    combos = mapping["categoryCombos"]
    if combo == "default":
        yield DEFAULT_COMBO, line_cells["total"].reported
    elif combo == "sex":
        for key, _label in defs.sexes:
            yield combos["sex"][key], line_cells[f"sex:{key}"].reported
    else:
        for band in mapping["ageBands"]:
            found = _age_sources(AgeBand(band["key"], int(band["min"]), band.get("max")), defs)
            assert found is not None  # (checked on load)
            column, minus = found
            value = line_cells[column].reported - (line_cells[minus].reported if minus else 0)
            yield combos["age"][band["key"]], max(value, 0)


def payload(summary: MonthlySummary, complete_date: str | None = None,
            mapping: dict | None = None) -> dict[str, object]:
    """``{"dataSet", "period", "orgUnit", "orgUnitIdScheme", ["completeDate"], "dataValues": [...]}``."""
    org_unit = (summary.station.get("facility_code") or "").strip()
    if not org_unit:
        raise MappingError(NO_FACILITY)
    defs = summary.definitions or load()
    mapping = mapping or load_mapping(defs)
    elements = mapping["dataElements"]
    values = []
    for result in summary.indicators:
        for line in result.lines:
            entry = elements.get(line_key(result.code, line.key))
            if not isinstance(entry, dict):
                continue  # skipped (top diagnoses)
            for combo in combos_of(result.indicator):
                for option, value in _values(result, line.cells, combo, mapping, defs):
                    values.append({"dataElement": entry[combo], "categoryOptionCombo": option, "value": str(value)})
    data: dict[str, object] = {"dataSet": mapping["dataSet"], "period": summary.month.period, "orgUnit": org_unit,
                               "orgUnitIdScheme": ORG_UNIT_ID_SCHEME}
    if complete_date:
        data["completeDate"] = complete_date
    data["dataValues"] = values
    return data
