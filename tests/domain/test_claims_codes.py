"""The code values the claims take from official lists (resources/data/claims_codes.json): each says
where it was checked, a placeholder says what was tried, the verified mappings are the ones the
files use (referral reason → MA_LYDO_CT, the cost groups), and the README names every value still
unverified."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from station_app.domain import claims, claims_codes, claims_xml, referral
from station_app.domain.claims import ReferralInfo
from station_app.i18n import translate

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_code_says_where_it_was_checked_or_what_was_tried() -> None:
    entries = claims_codes.entries()
    assert {"exam_service", "department", "referral_reasons", "routes", "cost_groups", "residence_district",
            "demo_drug_codes", "inner_roots", "field_sizes_3176"} <= set(entries)
    for entry in entries.values():
        assert entry.field and entry.source, entry.key
        if entry.verified:
            assert entry.evidence, entry.key
        else:
            assert entry.tried, entry.key


def test_the_placeholders_the_note_marks_unverified_stay_unverified() -> None:
    unverified = {e.key for e in claims_codes.unverified()}
    assert {"exam_service", "department", "routes", "residence_district", "demo_drug_codes",
            "field_sizes_3176"} <= unverified
    assert claims_codes.placeholder("exam_service") == "MA_KHAM_TYT"
    assert claims_codes.placeholder("department") == "K01"


@pytest.mark.parametrize(
    ("slip_reason", "code"),
    [("1a", "1"), ("1b", "2"), ("2", "3"), ("", ""), ("9", "")],
)
def test_the_slips_reason_gives_ma_lydo_ct_as_qd_4750_defines_it(slip_reason: str, code: str) -> None:
    # QĐ 4750 Bảng 13 field 32: 1 meets the referral rules, 2 the facility cannot meet the need,
    # 3 the patient's (or representative's) request — the slip's 1a, 1b and 2 (TT 01/2025 PL VI).
    assert claims_codes.referral_reason_code(slip_reason) == code


def test_the_claims_and_the_printed_slip_code_the_reasons_the_same_way() -> None:
    form = referral.load_form()
    for reason in form.reasons:
        assert claims_codes.referral_reason_code(reason["code"]) == str(form.reason_standard_code(reason["code"]))


def test_the_cost_groups_include_16_to_19_and_a_procedure_is_18() -> None:
    groups = claims_codes.cost_groups()
    assert set(groups) == {str(n) for n in range(1, 20)}
    assert (groups["8"], groups["13"], groups["16"], groups["17"], groups["18"]) == (
        "Phẫu thuật",
        "Khám bệnh",
        "Ngày giường lưu",
        "Chế phẩm máu",
        "Thủ thuật",
    )
    # The portal's own rules name the same groups: no tender for blood (7, 17), a performer for 1, 2, 3, 8, 18.
    tables = claims_xml.field_tables(dt.date(2026, 3, 10))
    performer = next(f for f in tables.tables["XML3"] if f.tag == "NGUOI_THUC_HIEN")
    assert set(performer.required["when"]["MA_NHOM"]) == {"1", "2", "3", "8", "18"}


def test_the_inner_roots_of_xml13_and_xml14_are_the_ones_the_field_tables_write() -> None:
    roots = claims_codes.entries()["inner_roots"].value
    tables = claims_xml.field_tables(dt.date(2026, 3, 10))
    assert (tables.roots["XML13"][0], tables.roots["XML14"][0]) == (roots["XML13"], roots["XML14"])


def test_route_codes_are_placeholders_by_the_route_in_words() -> None:
    assert claims_codes.route_code("uống") == "1.01"
    assert claims_codes.route_code(" Uống ") == "1.01"
    assert claims_codes.route_code("tiêm") == claims_codes.entries()["routes"].otherwise == "2.10"


@pytest.mark.parametrize(
    ("key", "code", "unchecked"),
    [("department", "K01", True), ("department", " K01 ", True), ("department", "K33", False),
     ("department", "", False), ("exam_service", "MA_KHAM_TYT", True), ("exam_service", "02.03.1897", False)],
)
def test_only_the_placeholder_itself_is_marked_unchecked(key: str, code: str, unchecked: bool) -> None:
    assert claims_codes.is_unchecked(key, code) is unchecked


def test_the_placeholders_a_station_still_writes_are_named_once() -> None:
    assert claims_codes.unchecked_in_use("K01", ["MA_KHAM_TYT", "MA_KHAM_TYT", "02.1897"]) == ["K01", "MA_KHAM_TYT"]
    assert claims_codes.unchecked_in_use("K33", ["02.1897"]) == []


def test_a_referral_without_its_reason_is_held_back_in_the_nurses_words() -> None:
    from tests.domain.test_claims import STATION, TABLES, VISIT

    slip = ReferralInfo(
        "000123/PCCSKBCB",
        "12",
        "48001",
        dt.datetime(2026, 3, 10, 8, 40),
        signs="HA 190/110",
        direction="Điều trị tăng huyết áp",
        transport="Xe cứu thương",
        reason_code="",
    )
    claim = claims.build(dataclasses.replace(VISIT, referral=slip), STATION, TABLES)
    messages = [p.text("vi") for p in claim.problems if p.is_error]
    assert messages == [translate("The referral slip {number} has no reason ticked.", "vi").format(number=slip.number)]
    with_reason = claims.build(
        dataclasses.replace(VISIT, referral=dataclasses.replace(slip, reason_code="2")), STATION, TABLES
    )
    assert not with_reason.held
    assert with_reason.records["XML13"][0]["MA_LYDO_CT"] == "2"


def test_the_readme_lists_every_unverified_claims_code() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("Unverified claims codes") :]
    section = section[: section.index("\n\n", section.index("|"))]
    for entry in claims_codes.unverified():
        assert f"`{entry.key}`" in section, entry.key
