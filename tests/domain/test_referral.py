"""The referral slip's domain: number, validity (working days, holidays, one year), checks and
the abbreviations spelled out on paper."""

from __future__ import annotations

import csv
import datetime as dt
import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from station_app.domain.referral import (
    ABBREVIATIONS,
    EarlierTreatment,
    Referral,
    expand_abbreviations,
    format_number,
    load_form,
    load_holidays,
    one_year_after,
    parse_number,
    valid_until,
    validate,
)
from station_app.resources import I18N, data_file

D = dt.date


def complete_referral(**changes: object) -> Referral:
    values: dict[str, object] = {
        "seq": 3,
        "year": 2026,
        "patient_name": "Trần Văn Đức",
        "sex": "1",
        "birth_year": 1961,
        "receiving_facility": "Trung tâm Y tế huyện Định Quán",
        "diagnosis": "Tăng huyết áp vô căn",
        "icd_main": "I10",
        "icd_extra": ["E78.5"],
        "reason": "1a",
        "transfer_at": dt.datetime(2026, 1, 15, 9, 30),
        "insurance_valid_to": D(2026, 12, 31),
    }
    values.update(changes)
    return Referral(**values)  # type: ignore[arg-type]


# -- numbering --------------------------------------------------------------------------------


def test_format_number() -> None:
    assert format_number(1, 2026) == "000001/2026/PCCSKBCB"
    assert format_number(27, 2025) == "000027/2025/PCCSKBCB"
    assert format_number(999_999, 2026) == "999999/2026/PCCSKBCB"


@pytest.mark.parametrize("seq", [0, -1, 1_000_000])
def test_format_number_refuses_out_of_range(seq: int) -> None:
    with pytest.raises(ValueError):
        format_number(seq, 2026)


def test_parse_number() -> None:
    assert parse_number("000001/2026/PCCSKBCB") == (1, 2026)
    assert parse_number(" 27 / 2026 / pccskbcb ") == (27, 2026)


@pytest.mark.parametrize(
    "text",
    ["", "000001/2026", "000001/2026/GCT", "000000/2026/PCCSKBCB", "1/26/PCCSKBCB", "abc"],
)
def test_parse_number_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text)


@given(st.integers(1, 999_999), st.integers(2000, 2100))
def test_number_round_trip(seq: int, year: int) -> None:
    text = format_number(seq, year)
    assert re.fullmatch(r"\d{6}/\d{4}/PCCSKBCB", text)
    assert parse_number(text) == (seq, year)


def test_referral_number_and_standard_reason_codes() -> None:
    assert Referral().number is None
    assert complete_referral().number == "000003/2026/PCCSKBCB"
    codes = {c: complete_referral(reason=c).reason_standard_code for c in ("1a", "1b", "2")}
    assert codes == {"1a": 1, "1b": 2, "2": 3}
    assert complete_referral(icd_main=" i10 ", icd_extra=["E78.5", "I10", ""]).icd_codes == [
        "I10",
        "E78.5",
    ]


# -- the form as data ------------------------------------------------------------------------


def test_form_data() -> None:
    form = load_form()
    assert form.valid_from == D(2025, 1, 1)
    assert form.number_suffix == "PCCSKBCB"
    assert form.title == "PHIẾU CHUYỂN CƠ SỞ KHÁM BỆNH, CHỮA BỆNH BẢO HIỂM Y TẾ"
    assert form.header["motto"] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ]
    keys = list(form.labels)
    # the order of referral-slip.md
    expected = [
        "addressee", "patient_name", "sex", "birth_year", "address", "ethnicity", "nationality",
        "occupation", "workplace", "insurance_no", "insurance_valid_to", "insurance_expired",
        "insurance_undetermined", "treated", "summary", "clinical_signs", "test_results",
        "diagnosis", "procedures", "treatment", "condition", "reason", "reason_1a", "reason_1b",
        "reason_2", "direction", "transfer_at", "one_year", "transport", "escort",
    ]  # fmt: skip
    positions = [keys.index(key) for key in expected]
    assert positions == sorted(positions)
    assert [r["code"] for r in form.reasons] == ["1a", "1b", "2"]
    assert len(form.footnotes["items"]) == 2


# -- holidays ---------------------------------------------------------------------------------


def test_holiday_table() -> None:
    holidays = load_holidays()
    for year in (2024, 2025, 2026, 2027):
        for month, day in ((1, 1), (4, 30), (5, 1), (9, 2)):
            assert D(year, month, day) in holidays
        # the extra National Day holiday, before or after 2/9
        assert D(year, 9, 1) in holidays or D(year, 9, 3) in holidays
    # Giỗ Tổ Hùng Vương, 10th day of the 3rd lunar month
    for day in (D(2024, 4, 18), D(2025, 4, 7), D(2026, 4, 26), D(2027, 4, 16)):
        assert "Hùng Vương" in holidays[day].name
    # Tết Bính Ngọ 2026: 14/02–22/02, weekdays 16–20
    assert all(D(2026, 2, d) in holidays for d in range(16, 21))
    assert D(2026, 4, 27) in holidays  # Giỗ Tổ on a Sunday: Monday off
    # 2027 Tết is not decided yet
    assert holidays[D(2027, 2, 8)].provisional
    assert not holidays[D(2026, 2, 17)].provisional


def test_holiday_file_has_no_duplicate_dates() -> None:
    lines = data_file("holidays_vn.csv").read_text(encoding="utf-8").splitlines()
    rows = list(csv.DictReader(line for line in lines if not line.startswith("#")))
    assert set(rows[0]) == {"date", "name", "note"}
    dates = [row["date"] for row in rows]
    assert len(dates) == len(set(dates))
    assert dates == sorted(dates)


# -- validity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signed", "expected", "why"),
    [
        (D(2026, 1, 5), D(2026, 1, 19), "Monday: two weekends skipped, signing day not counted"),
        (D(2026, 1, 9), D(2026, 1, 23), "Friday"),
        (D(2026, 1, 10), D(2026, 1, 23), "signed on a Saturday counts from Monday"),
        (D(2026, 2, 10), D(2026, 3, 3), "across Tết 2026 (14/02–22/02)"),
        (D(2026, 2, 16), D(2026, 3, 6), "signed during Tết"),
        (D(2024, 12, 24), D(2025, 1, 8), "across the year end and New Year's Day"),
        (D(2025, 4, 25), D(2025, 5, 14), "30/4, 1/5 and the swapped 2/5 in 2025"),
        (D(2025, 8, 28), D(2025, 9, 15), "National Day 1–2/9/2025"),
    ],
)
def test_ten_working_days(signed: D, expected: D, why: str) -> None:
    assert valid_until(signed, False, load_holidays()) == expected, why
    assert valid_until(signed) == expected, why  # the shipped table by default


def test_holidays_argument_is_used() -> None:
    assert valid_until(D(2026, 2, 10), holidays=set()) == D(2026, 2, 24)
    assert valid_until(D(2026, 1, 5), holidays={D(2026, 1, 6)}) == D(2026, 1, 20)


@pytest.mark.parametrize(
    ("signed", "expected"),
    [
        (D(2026, 1, 15), D(2027, 1, 14)),
        (D(2026, 1, 1), D(2026, 12, 31)),
        (D(2026, 12, 31), D(2027, 12, 30)),
        (D(2027, 3, 1), D(2028, 2, 29)),  # the year ends on a leap day
        (D(2028, 2, 29), D(2029, 2, 28)),  # signed on a leap day
        (D(2028, 2, 28), D(2029, 2, 27)),
    ],
)
def test_one_year(signed: D, expected: D) -> None:
    assert valid_until(signed, True) == expected
    assert one_year_after(signed) == expected


def test_referral_valid_until_uses_signing_date_or_transfer_day() -> None:
    assert complete_referral().valid_until() == D(2026, 1, 29)
    assert complete_referral(signed_on=D(2026, 1, 16)).valid_until() == D(2026, 1, 30)
    assert complete_referral(one_year=True).valid_until() == D(2027, 1, 14)
    assert Referral().valid_until() is None


# -- validation -------------------------------------------------------------------------------


def test_empty_referral_names_the_required_fields() -> None:
    problems = validate(Referral())
    fields = {p.field for p in problems if p.is_error}
    assert {"receiving_facility", "diagnosis", "reason", "transfer_at", "patient_name"} <= fields


def test_complete_referral_has_no_problem() -> None:
    assert validate(complete_referral()) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": "3"}, "reason"),
        ({"reason": ""}, "reason"),
        ({"receiving_facility": "   "}, "receiving_facility"),
        ({"icd_main": "I1O"}, "icd_main"),
        ({"insurance_expired": True, "insurance_validity_unknown": True}, "insurance_expired"),
        ({"earlier_treatments": [EarlierTreatment(p) for p in "ABC"]}, "earlier_treatments"),
        ({"earlier_treatments": [EarlierTreatment("A", D(2026, 1, 10), D(2026, 1, 2))]},
         "earlier_treatments"),
        ({"status": "cancelled"}, "cancel_reason"),
        ({"seq": 5, "year": None}, "seq"),
        ({"arrived_on": D(2026, 1, 14)}, "arrived_on"),
    ],
)  # fmt: skip
def test_errors(changes: dict[str, object], field: str) -> None:
    problems = validate(complete_referral(**changes))
    assert field in {p.field for p in problems if p.is_error}


def test_warnings() -> None:
    expired = validate(complete_referral(insurance_valid_to=D(2025, 12, 31)))
    assert [(p.field, p.severity) for p in expired] == [("insurance_expired", "warning")]
    assert expired[0].text("vi") == (
        "Thẻ bảo hiểm y tế đã hết hạn ngày 31/12/2025: đánh dấu ô 'Hết thời hạn'."
    )
    ticked = complete_referral(insurance_valid_to=D(2025, 12, 31), insurance_expired=True)
    assert validate(ticked) == []
    no_code = validate(complete_referral(icd_main="", icd_extra=[]))
    assert [(p.field, p.severity) for p in no_code] == [("icd_main", "warning")]


def test_messages_in_both_languages() -> None:
    problem = next(p for p in validate(complete_referral(reason="9")) if p.field == "reason")
    assert problem.text("en") == "Unknown referral reason 9: choose 1a, 1b or 2."
    assert problem.text("vi") == "Lý do chuyển 9 không hợp lệ: chọn 1a, 1b hoặc 2."


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_has_a_vietnamese_translation_with_the_same_placeholders() -> None:
    source = (Path(__file__).parents[2] / "station_app/domain/referral.py").read_text("utf-8")
    messages = re.findall(r'N_\(\s*"((?:[^"\\]|\\.)*)"\s*\)', source)
    assert len(messages) >= 15
    with (I18N / "vi" / "referral.po").open("rb") as fh:
        catalogue = {m.id: m.string for m in read_po(fh) if m.id}
    for message in messages:
        assert catalogue.get(message), f"no Vietnamese for {message!r}"
        assert _placeholders(catalogue[message]) == _placeholders(message), message


# -- abbreviations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thẻ BHYT còn hạn", "Thẻ bảo hiểm y tế còn hạn"),
        ("BHYT còn hạn", "Bảo hiểm y tế còn hạn"),
        ("Chuyển BV huyện. BV tỉnh từ chối", "Chuyển Bệnh viện huyện. Bệnh viện tỉnh từ chối"),
        ("TTYT huyện Định Quán", "Trung tâm Y tế huyện Định Quán"),
        ("TYT xã Tân Phú", "Trạm Y tế xã Tân Phú"),
        ("đã khám tại CSKCB khác", "đã khám tại cơ sở khám bệnh, chữa bệnh khác"),
        ("(BHYT)", "(bảo hiểm y tế)"),
        ("BVĐK tỉnh", "Bệnh viện Đa khoa tỉnh"),
        ("BVX, ABV, BHYT2, xBV", "BVX, ABV, BHYT2, xBV"),  # not whole words
        ("bhyt", "bhyt"),  # only capitals are abbreviations
        ("Không viết tắt gì", "Không viết tắt gì"),
    ],
)
def test_expand_abbreviations(text: str, expected: str) -> None:
    assert expand_abbreviations(text) == expected


def test_expansion_is_idempotent() -> None:
    once = expand_abbreviations("TTYT và TYT, BV, BHYT, CSKCB")
    assert expand_abbreviations(once) == once
    assert not any(re.search(rf"\b{a}\b", once) for a in ABBREVIATIONS)
