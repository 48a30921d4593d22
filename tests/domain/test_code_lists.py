"""The official lists behind a patient's claims codes: nationalities, occupations, provinces and
communes since 07/2025, found as a nurse types them; a code outside its list refused by name."""

from __future__ import annotations

import csv
import datetime as dt
import re

import pytest

from station_app.domain import code_lists
from station_app.domain.dates import PartialDate
from station_app.domain.patient import Patient, validate
from station_app.resources import data_file

TODAY = dt.date(2026, 11, 23)


def test_the_residence_list_is_the_2025_one_two_levels() -> None:
    communes = code_lists.communes()
    assert len(code_lists.provinces()) == 34
    assert len(communes) == 3321
    assert all(re.fullmatch(r"\d{5}", c.code) and re.fullmatch(r"\d{2}", c.province_code) for c in communes.values())
    hoa_tien = communes["20332"]
    assert (hoa_tien.name, hoa_tien.province_code) == ("Xã Hòa Tiến", "48")
    assert hoa_tien.label == "Xã Hòa Tiến, Thành phố Đà Nẵng"


def test_a_commune_is_found_by_code_label_or_name_within_its_province() -> None:
    assert code_lists.commune_for("20332") == code_lists.communes()["20332"]
    assert code_lists.commune_for("8566") == code_lists.communes()["08566"]  # a spreadsheet dropped the zero
    assert code_lists.commune_for("xa hoa tien, thanh pho da nang").code == "20332"  # type: ignore[union-attr]
    assert code_lists.commune_for("Hòa Tiến", "48").code == "20332"  # type: ignore[union-attr]
    assert code_lists.commune_for("Hòa Tiến") is None  # a bare name needs its province
    assert code_lists.commune_for("Hòa Tiến", "25") is None  # not a commune of Phú Thọ
    assert code_lists.commune_for("99999") is None


def test_nationality_by_code_or_name_and_vietnam_is_000() -> None:
    assert code_lists.nationality_for("Việt Nam").code == code_lists.VIETNAM == "000"  # type: ignore[union-attr]
    assert code_lists.nationality_for("viet nam").code == "000"  # type: ignore[union-attr]
    assert code_lists.nationality_for("Cam-pu-chia").name == "Campuchia"  # type: ignore[union-attr]
    assert code_lists.nationality_for("418").name == "Lào"  # type: ignore[union-attr]
    assert code_lists.nationality_for("Atlantis") is None


def test_an_occupation_is_found_by_the_words_nurses_write() -> None:
    assert code_lists.occupation_for("làm ruộng").name == "Nông dân (trồng trọt)"  # type: ignore[union-attr]
    assert code_lists.occupation_for("Lam ruong").code == "61110"  # type: ignore[union-attr]
    assert code_lists.occupation_for("Hưu trí").code == code_lists.NO_OCCUPATION  # type: ignore[union-attr]
    assert code_lists.occupation_for("Tự do") is None  # kept as written, no code
    assert code_lists.occupation_for("") is None


@pytest.mark.parametrize(
    ("name", "pattern", "code_column"),
    [("nationalities.csv", r"\d{3}", "code"), ("occupations.csv", r"\d{5}", "code")],
)
def test_every_row_has_a_code_of_its_length_and_says_how_sure_it_is(name: str, pattern: str, code_column: str) -> None:
    with data_file(name).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for row in rows:
        assert re.fullmatch(pattern, row[code_column]), row
        assert row["status"] in ("example", "field", "unverified"), row


def patient(**codes: str) -> Patient:
    return Patient("Nguyễn Văn An", "1", PartialDate(1980, None, None), **codes)


@pytest.mark.parametrize(
    ("codes", "field", "vietnamese"),
    [
        ({"nationality_code": "999"}, "nationality", "Mã quốc tịch 999 không có trong danh mục."),
        ({"occupation_code": "12345"}, "occupation", "Mã nghề nghiệp 12345 không có trong danh mục."),
        ({"commune_code": "08116", "province_code": "25"}, "commune_code",
         "Mã xã 08116 không có trong danh mục xã, phường (từ 07/2025)."),
        ({"commune_code": "20332", "province_code": "25"}, "commune_code",
         "Xã Hòa Tiến, Thành phố Đà Nẵng không thuộc tỉnh có mã 25."),
    ],
)
def test_a_code_outside_its_list_is_refused_beside_its_field(
    codes: dict[str, str], field: str, vietnamese: str
) -> None:
    (problem,) = [p for p in validate(patient(**codes), TODAY) if p.is_error]
    assert problem.field == field
    assert problem.text("vi") == vietnamese


def test_codes_from_the_lists_pass() -> None:
    p = patient(nationality_code="000", occupation_code="61110", province_code="48", commune_code="20332")
    assert [pr for pr in validate(p, TODAY) if pr.is_error] == []
