"""Identifiers and code sets: sex codes, phones, insurance cards, citizen IDs, ethnic groups and
the station's record number with its check digit."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station_app.domain.identifiers import (
    SEX_CODES,
    check_citizen_id,
    check_insurance,
    check_phone,
    citizen_id_facts,
    ethnic_groups,
    make_record_no,
    normalise_citizen_id,
    normalise_insurance,
    normalise_phone,
    parse_ethnicity,
    parse_record_no,
    parse_sex,
)
from station_app.i18n import has_translation


# -- sex ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1", "1"),
        ("2", "2"),
        ("3", "3"),
        ("Nam", "1"),
        ("nam", "1"),
        ("NAM", "1"),
        ("Nữ", "2"),
        ("nữ", "2"),
        ("NỮ", "2"),
        ("Nu", "2"),
        ("M", "1"),
        ("F", "2"),
        ("m", "1"),
        ("f", "2"),
        ("Male", "1"),
        ("Female", "2"),
        ("Chưa xác định", "3"),
        (" Nam ", "1"),
    ],
)
def test_parse_sex(text, code):
    assert parse_sex(text) == code


@pytest.mark.parametrize("text", ["", "0", "4", "x", "Nam Nữ", "12"])
def test_parse_sex_refuses_other_values(text):
    assert parse_sex(text) is None


def test_sex_codes_follow_the_insurance_standard():
    assert set(SEX_CODES) == {"1", "2", "3"}
    assert SEX_CODES["1"] == "Male"
    assert SEX_CODES["2"] == "Female"


# -- phone --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("0912-345-678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("84912345678", "0912345678"),
        ("(+84) 912.345.678", "0912345678"),
        ("0362 123 456", "0362123456"),
        ("024 3825 1234", "02438251234"),
        ("+84 24 3825 1234", "02438251234"),
    ],
)
def test_phone_is_stored_normalised_and_valid(typed, stored):
    assert normalise_phone(typed) == stored
    assert check_phone(stored) is None


@pytest.mark.parametrize(
    "number",
    [
        "0912345678",
        "0321234567",
        "0399999999",
        "0521234567",
        "0561234567",
        "0581234567",
        "0591234567",
        "0701234567",
        "0761234567",
        "0791234567",
        "0811234567",
        "0891234567",
        "0861234567",
        "0901234567",
        "0991234567",
    ],
)
def test_mobile_prefixes_accepted(number):
    assert check_phone(number) is None


@pytest.mark.parametrize(
    "number",
    [
        "091234567",  # 9 digits
        "09123456789",  # 11 digits, not a landline
        "0112345678",  # old 01x prefix
        "0312345678",  # 031 is not a mobile prefix
        "0212345678",  # 10 digits starting 02: neither mobile nor landline
        "0512345678",
        "0801234567",
    ],
)
def test_wrong_phone_numbers_are_refused(number):
    assert check_phone(number) is not None


def test_phone_without_leading_zero_says_so():
    message = check_phone(normalise_phone("912 345 678"))
    assert message is not None
    assert "0" in message and "+84" in message
    assert message != check_phone("091234567")


def test_landline():
    assert check_phone("02438251234") is None
    assert check_phone("0243825123") is not None  # one digit short


# -- insurance card -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("GD4797912345678", "GD4797912345678"),
        ("GD4-79-7912345678", "GD4797912345678"),
        ("gd4 79 79 123 456 78", "GD4797912345678"),
        ("HT3.01.0112345678", "HT3010112345678"),
        ("TE1250123456789", "TE1250123456789"),
        ("7912345678", "7912345678"),
        ("79 1234 5678", "7912345678"),
        ("0112345678", "0112345678"),  # leading zero kept
    ],
)
def test_insurance_numbers_accepted_in_both_forms(typed, stored):
    assert normalise_insurance(typed) == stored
    assert check_insurance(stored) is None


@pytest.mark.parametrize(
    "number",
    [
        "GD6797912345678",  # benefit level 6
        "GD0797912345678",  # benefit level 0
        "GD479791234567",  # 14 characters
        "GD47979123456789",  # 16 characters
        "G14797912345678",  # one letter
        "GDA797912345678",
        "791234567",  # 9 digits
        "79123456789",  # 11 digits
        "GD47979123456A8",
    ],
)
def test_wrong_insurance_numbers_are_refused(number):
    assert check_insurance(number) is not None


# -- citizen ID -----------------------------------------------------------------------------------
def test_citizen_id_twelve_digits():
    assert check_citizen_id("001090123456") is None
    assert normalise_citizen_id("001 090 123 456") == "001090123456"
    assert normalise_citizen_id("001.090.123.456") == "001090123456"


@pytest.mark.parametrize(
    "number", ["00109012345", "0010901234567", "00109012345A", "", "0010901234 5"]
)
def test_citizen_id_of_wrong_length_is_refused(number):
    assert check_citizen_id(number) == "A citizen ID has exactly 12 digits."


def test_old_nine_digit_cmnd_is_refused_with_its_own_message():
    message = check_citizen_id("123456789")
    assert message is not None
    assert "CMND" in message
    assert message != check_citizen_id("12345678901")


@pytest.mark.parametrize(
    ("number", "male", "year"),
    [
        ("001090123456", True, 1990),
        ("001190123456", False, 1990),
        ("079205012345", True, 2005),
        ("079305012345", False, 2005),
        ("096200000001", True, 2000),
        ("025099123456", True, 1999),
        ("025400000000", True, 2100),
    ],
)
def test_citizen_id_tells_sex_and_birth_year(number, male, year):
    facts = citizen_id_facts(number)
    assert facts.male is male
    assert facts.year == year
    assert facts.province == number[:3]


# -- ethnic groups --------------------------------------------------------------------------------
def test_ethnic_group_table():
    groups = ethnic_groups()
    assert len(groups) == 55
    assert list(groups) == [f"{n:02d}" for n in range(1, 56)]
    assert groups["01"].name == "Kinh"
    assert groups["55"].name == "Người nước ngoài"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("01", "01"),
        ("1", "01"),
        ("8", "08"),
        ("55", "55"),
        ("Kinh", "01"),
        ("kinh", "01"),
        ("KINH", "01"),
        ("Việt", "01"),
        ("Tày", "02"),
        ("Thái", "03"),
        ("thai", "03"),
        ("tay", "02"),
        ("H'Mông", "08"),
        ("Mông", "08"),
        ("Hmong", "08"),
        ("HMông", "08"),
        ("Ê-đê", "12"),
        ("Ê Đê", "12"),
        ("ede", "12"),
        ("Khmer", "05"),
        ("Khơ-me", "05"),
        ("Ba Na", "13"),
        ("Mường", "06"),
        (" Dao ", "09"),
        ("Bru-Vân Kiều", "23"),
    ],
)
def test_parse_ethnicity_by_code_or_name(text, code):
    assert parse_ethnicity(text) == code


@pytest.mark.parametrize("text", ["0", "00", "56", "99", "Xyz", "", "Kinh Tày"])
def test_unknown_ethnicity(text):
    assert parse_ethnicity(text) is None


def test_every_ethnic_group_name_and_alias_finds_its_own_code():
    # Folding must not make two groups collide (Tày/Thái, Co/Cơ-ho/Cống, La Ha/Lào…).
    for code, group in ethnic_groups().items():
        assert parse_ethnicity(group.name) == code, group.name
        for alias in group.aliases:
            assert parse_ethnicity(alias) == code, alias


# -- the station's record number -------------------------------------------------------------------
def test_record_number_form():
    number = make_record_no(127)
    assert re.fullmatch(r"00127-\d", number)
    assert make_record_no(1).startswith("00001-")
    assert re.fullmatch(r"123456-\d", make_record_no(123456))
    with pytest.raises(ValueError):
        make_record_no(0)


def test_record_number_typed_in_any_form():
    stored = make_record_no(127)
    check = stored[-1]
    for typed in (
        stored,
        f"127-{check}",
        f"127{check}",
        f"00127{check}",
        f"00127 {check}",
        f" 127 - {check} ",
    ):
        assert parse_record_no(typed) == stored, typed


def test_wrong_check_digit_is_refused():
    stored = make_record_no(127)
    wrong = (int(stored[-1]) + 1) % 10
    assert parse_record_no(f"00127-{wrong}") is None
    assert parse_record_no("") is None
    assert parse_record_no("5") is None
    assert parse_record_no("0-0") is None


def _digits(record_no: str) -> str:
    return record_no.replace("-", "")


def _as_typed(digits: str) -> str:
    return f"{digits[:-1]}-{digits[-1]}"


@settings(max_examples=300)
@given(st.integers(1, 999_999), st.data())
def test_check_digit_catches_every_single_digit_error(sequence, data):
    digits = _digits(make_record_no(sequence))
    position = data.draw(st.integers(0, len(digits) - 1))
    replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != digits[position]]))
    typo = digits[:position] + replacement + digits[position + 1 :]
    assert parse_record_no(_as_typed(typo)) is None


@settings(max_examples=300)
@given(st.integers(1, 999_999), st.data())
def test_check_digit_catches_every_adjacent_swap(sequence, data):
    digits = _digits(make_record_no(sequence))
    swappable = [i for i in range(len(digits) - 1) if digits[i] != digits[i + 1]]
    if not swappable:
        return
    i = data.draw(st.sampled_from(swappable))
    typo = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
    assert parse_record_no(_as_typed(typo)) is None


def test_check_digit_exhaustively_for_the_first_thousand_numbers():
    for sequence in range(1, 1000):
        digits = _digits(make_record_no(sequence))
        assert parse_record_no(_as_typed(digits)) == make_record_no(sequence)
        for position in range(len(digits)):
            for replacement in "0123456789":
                if replacement != digits[position]:
                    typo = digits[:position] + replacement + digits[position + 1 :]
                    assert parse_record_no(_as_typed(typo)) is None, (sequence, typo)
        for i in range(len(digits) - 1):
            if digits[i] != digits[i + 1]:
                typo = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
                assert parse_record_no(_as_typed(typo)) is None, (sequence, typo)


# -- messages -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "message",
    [
        check_phone("912345678"),
        check_phone("091234567"),
        check_insurance("X"),
        check_citizen_id("123456789"),
        check_citizen_id("1"),
        *SEX_CODES.values(),
    ],
)
def test_identifier_messages_have_a_vietnamese_translation(message):
    assert message is not None
    assert has_translation(message, "vi")


# -- the 15-character card: group code, benefit digit, province (issue 17) -------------------------
@pytest.mark.parametrize("number", ["GD4250123456789", "TE1010123456789", "HT3790123456789", "CN2250123456789",
                                    "CN3250123456789", "QN5010123456789", "2509876543"])
def test_cards_with_a_known_group_its_digit_and_a_province_pass(number):
    assert check_insurance(number) is None


@pytest.mark.parametrize(
    ("number", "says"),
    [
        ("ZZ4250123456789", "ZZ is not a beneficiary group code"),
        ("TE3250123456789", "A TE card carries the benefit digit 1, not 3"),
        ("HT1250123456789", "A HT card carries the benefit digit 3, not 1"),
        ("GD4000123456789", "00 is not a province code"),
        ("GD4030123456789", "03 is not a province code"),
    ],
)
def test_cards_with_a_wrong_group_digit_or_province_are_refused(number, says):
    from station_app.domain.identifiers import insurance_problem

    problem = insurance_problem(number)
    assert problem is not None
    assert problem[0].format(**problem[1]).startswith(says)


def test_the_group_list_is_data():
    from station_app.domain.identifiers import insurance_groups

    groups = insurance_groups()
    assert groups["TE"] == (1,) and groups["CN"] == (2, 3) and groups["LH"] == (2, 4)
    assert len(groups) >= 50
