"""The DHIS2 file checked against the dataValueSet rules a server applies: one category combination
per data element, disjoint age bands adding up to the known ages, the period, completeDate when
final, orgUnit by code with its id scheme; a mapping that would break them is refused on load."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from station_app import clock
from station_app.domain.monthly import Month
from station_app.reports import dhis2
from station_app.reports.monthly import compute
from station_app.store import reports

UID = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")


@pytest.fixture
def november(station):
    with clock.pinned(dt.datetime(2025, 12, 3, 9, 0)):
        return compute(station.store, Month(2025, 11))


def test_one_category_combination_per_data_element_and_disjoint_age_bands(november) -> None:
    mapping = dhis2.load_mapping()
    combos = mapping["categoryCombos"]
    combo_of_option = {uid: name for name, options in combos.items() for uid in options.values()}
    data = dhis2.payload(november, mapping=mapping)
    options_by_element: dict[str, set[str]] = defaultdict(set)
    for value in data["dataValues"]:
        assert UID.match(value["dataElement"]) and UID.match(value["categoryOptionCombo"])
        options_by_element[value["dataElement"]].add(combo_of_option[value["categoryOptionCombo"]])
    assert all(len(kinds) == 1 for kinds in options_by_element.values()), "a total mixed with its breakdown"
    pairs = [(v["dataElement"], v["categoryOptionCombo"]) for v in data["dataValues"]]
    assert len(pairs) == len(set(pairs)), "each cell once"
    bands = sorted((b["min"], b["max"]) for b in mapping["ageBands"])
    for (_lo, hi), (next_lo, _next_hi) in itertools.pairwise(bands):
        assert hi == next_lo, "the bands neither overlap nor leave a gap"
    assert bands[0][0] == 0 and bands[-1][1] is None


def test_the_age_bands_are_worked_out_from_the_reports_overlapping_columns(november) -> None:
    mapping = dhis2.load_mapping()
    data = dhis2.payload(november, mapping=mapping)
    by_key = {(v["dataElement"], v["categoryOptionCombo"]): int(v["value"]) for v in data["dataValues"]}
    ages = mapping["categoryCombos"]["age"]
    # notifiable group B: Páo (10 months) and Dình (10 years) → 0–4: 1, 5: 0, 6–14: 1, 15–59: 0, 60+: 0
    element = mapping["dataElements"]["morb.notifiable_groups/B"]["age"]
    assert [by_key[(element, ages[b])] for b in ("0-4", "5", "6-14", "15-59", "60+")] == [1, 0, 1, 0, 0]
    total = mapping["dataElements"]["morb.notifiable_groups/B"]["default"]
    assert by_key[(total, dhis2.DEFAULT_COMBO)] == 2
    sexes = mapping["categoryCombos"]["sex"]
    live = mapping["dataElements"]["mch.live_births"]["sex"]
    assert (by_key[(live, sexes["1"])], by_key[(live, sexes["2"])]) == (1, 1)


def test_the_file_names_its_period_org_unit_scheme_and_complete_date(station, november) -> None:
    data = dhis2.payload(november, "2025-12-03")
    assert (data["period"], data["orgUnit"], data["orgUnitIdScheme"], data["completeDate"]) == (
        "202511", "12345", "CODE", "2025-12-03")
    with clock.pinned(dt.datetime(2025, 12, 3, 9, 0)):
        reports.finalise(station.store, november)
    year = dhis2.payload(compute(station.store, Month.year_of(2025)))
    assert year["period"] == "2025" and "completeDate" not in year


def _write(tmp_data_dir: Path, mapping: dict) -> None:
    (tmp_data_dir / dhis2.MAPPING_FILE).write_text(json.dumps(mapping), encoding="utf-8")


def test_a_mapping_that_would_be_refused_is_refused_on_load(tmp_data_dir: Path) -> None:
    shipped = dhis2.load_mapping()
    missing = json.loads(json.dumps(shipped))
    del missing["dataElements"]["mch.live_births"]
    _write(tmp_data_dir, missing)
    with pytest.raises(dhis2.MappingError, match=r"mch\.live_births"):
        dhis2.load_mapping()
    overlapping = json.loads(json.dumps(shipped))
    overlapping["ageBands"][1] = {"key": "5", "min": 0, "max": 6}
    _write(tmp_data_dir, overlapping)
    with pytest.raises(dhis2.MappingError, match=r"ageBands\.5"):
        dhis2.load_mapping()
    mixed = json.loads(json.dumps(shipped))
    mixed["dataElements"]["consult.visits"]["age"] = mixed["dataElements"]["consult.visits"]["default"]
    _write(tmp_data_dir, mixed)
    with pytest.raises(dhis2.MappingError, match="used twice"):
        dhis2.load_mapping()
    skipped = json.loads(json.dumps(shipped))
    del skipped["dataElements"]["mch.stillbirths"]
    skipped["skip"]["mch.stillbirths"] = "not on the district's form"
    _write(tmp_data_dir, skipped)
    assert dhis2.load_mapping()["skip"]["mch.stillbirths"]
