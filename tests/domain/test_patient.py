"""Validation of a patient record: every wrong field is named, in Vietnamese; odd but possible
values are warnings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata

import pytest

from station_app.domain.dates import PartialDate
from station_app.domain.patient import FIELD_LABELS, Patient, normalised, validate
from station_app.domain.problems import Problem, errors, warnings
from station_app.i18n import has_translation

TODAY = dt.date(2025, 11, 20)


def adult(**changes: object) -> Patient:
    """A valid adult woman; ``changes`` replace fields."""
    base = Patient(
        full_name="Nguyễn Thị Hương",
        sex="2",
        birth=PartialDate(1985, 4, 12),
        citizen_id="025185012345",
        insurance_no="GD4250123456789",
        phone="0912345678",
        village="Thôn Đông",
    )
    return dataclasses.replace(base, **changes)


def problems_of(patient: Patient, **kwargs: object) -> list[Problem]:
    return validate(normalised(patient), TODAY, **kwargs)  # type: ignore[arg-type]


def only(problems: list[Problem], field: str) -> list[Problem]:
    return [p for p in problems if p.field == field]


def test_a_complete_valid_record_has_no_problem():
    assert problems_of(adult()) == []


def test_minimal_record_name_sex_year():
    assert problems_of(Patient("Lê Văn Tám", "1", PartialDate(1950), citizen_id="")) == []


# -- name --------------------------------------------------------------------------------------
def test_missing_name_is_an_error():
    (problem,) = problems_of(adult(full_name="   "))
    assert (problem.field, problem.severity) == ("full_name", "error")


@pytest.mark.parametrize("name", ["Nguyễn Văn 3", "Nguyễn_Văn", "Trần @ Bình", "123"])
def test_digits_and_symbols_in_a_name_are_errors(name):
    (problem,) = problems_of(adult(full_name=name))
    assert (problem.field, problem.severity) == ("full_name", "error")


@pytest.mark.parametrize(
    "name", ["Lê Thị H'Mai", "Nguyễn-Trần Văn An", "Tôn Nữ Thị Ngọc Lan", "Y Bih Niê"]
)
def test_apostrophes_hyphens_and_long_names_are_fine(name):
    assert problems_of(adult(full_name=name)) == []


def test_one_word_name_is_only_a_warning():
    (problem,) = problems_of(adult(full_name="Hương"))
    assert (problem.field, problem.severity) == ("full_name", "warning")


def test_name_is_stored_as_nfc_without_extra_spaces():
    typed = unicodedata.normalize("NFD", "  Nguyễn   Thị Hương ")
    assert normalised(adult(full_name=typed)).full_name == "Nguyễn Thị Hương"


# -- sex ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("sex", ["", "0", "4", "Nam"])
def test_sex_must_be_a_code(sex):
    (problem,) = problems_of(adult(sex=sex, citizen_id=""))
    assert (problem.field, problem.severity) == ("sex", "error")


# -- birth -------------------------------------------------------------------------------------
def test_birth_in_the_future_is_an_error():
    for birth in (PartialDate(2025, 11, 21), PartialDate(2025, 12), PartialDate(2026)):
        (problem,) = problems_of(adult(birth=birth, citizen_id="", guardian_name="Nguyễn Văn A"))
        assert (problem.field, problem.severity) == ("birth", "error")


def test_born_today_or_this_year_is_fine():
    for birth in (PartialDate(2025, 11, 20), PartialDate(2025, 11), PartialDate(2025)):
        assert problems_of(adult(birth=birth, citizen_id="", guardian_name="Nguyễn Văn A")) == []


def test_birth_before_1900_is_an_error():
    (problem,) = problems_of(adult(birth=PartialDate(1899, 12, 31), citizen_id=""))
    assert (problem.field, problem.severity) == ("birth", "error")
    assert problems_of(adult(birth=PartialDate(1910), citizen_id="")) == []


def test_very_old_is_a_warning():
    (problem,) = problems_of(adult(birth=PartialDate(1905), citizen_id=""))
    assert (problem.field, problem.severity) == ("birth", "warning")


def test_unknown_birth():
    (problem,) = problems_of(adult(birth=None))
    assert (problem.field, problem.severity) == ("birth", "error")
    assert problems_of(adult(birth=None), require_birth=False) == []


# -- citizen ID ----------------------------------------------------------------------------------
def test_citizen_id_of_eleven_digits_is_an_error():
    (problem,) = problems_of(adult(citizen_id="02518501234"))
    assert (problem.field, problem.severity) == ("citizen_id", "error")


def test_old_cmnd_is_an_error_that_says_so():
    (problem,) = problems_of(adult(citizen_id="123456789"))
    assert (problem.field, problem.severity) == ("citizen_id", "error")
    assert "CMND" in problem.text("en")
    assert "CMND" in problem.text("vi")


def test_citizen_id_typed_with_spaces_is_accepted():
    assert normalised(adult(citizen_id="025 185 012 345")).citizen_id == "025185012345"
    assert problems_of(adult(citizen_id="025 185 012 345")) == []


def test_citizen_id_of_a_man_on_a_womans_record_is_a_warning():
    (problem,) = problems_of(adult(citizen_id="025085012345"))
    assert (problem.field, problem.severity) == ("citizen_id", "warning")
    assert "Male" in problem.text("en") or "male" in problem.text("en")
    # The sex named in the Vietnamese message is Vietnamese too.
    assert "Nam" in problem.text("vi")
    assert "Male" not in problem.text("vi")


def test_citizen_id_of_a_woman_on_a_mans_record_is_a_warning():
    (problem,) = problems_of(adult(sex="1", citizen_id="025185012345"))
    assert (problem.field, problem.severity) == ("citizen_id", "warning")
    assert "Nữ" in problem.text("vi")


def test_citizen_id_with_another_birth_year_is_a_warning():
    (problem,) = problems_of(adult(citizen_id="025186012345"))
    assert (problem.field, problem.severity) == ("citizen_id", "warning")
    assert "1986" in problem.text("vi") and "1985" in problem.text("vi")


def test_person_born_in_the_2000s():
    # Century/sex digit 3 = woman born 2000–2099.
    young = adult(birth=PartialDate(2005, 6, 1), citizen_id="025305012345")
    assert problems_of(young) == []
    # The same digits with the 1900s digit (1) say 1905: a warning, not silence.
    (problem,) = problems_of(adult(birth=PartialDate(2005, 6, 1), citizen_id="025105012345"))
    assert (problem.field, problem.severity) == ("citizen_id", "warning")
    assert "1905" in problem.text("vi")
    # A man born in 2003 has digit 2.
    assert problems_of(adult(sex="1", birth=PartialDate(2003), citizen_id="001203999999")) == []


def test_unknown_province_code_is_a_warning():
    (problem,) = problems_of(adult(citizen_id="099185012345"))
    assert (problem.field, problem.severity) == ("citizen_id", "warning")
    assert "099" in problem.text("vi")


def test_undetermined_sex_does_not_contradict_the_citizen_id():
    assert problems_of(adult(sex="3")) == []


# -- insurance ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "number", ["GD4-25-0123456789", "gd4 25 01234 56789", "0123456789", "2501234567"]
)
def test_insurance_card_in_both_forms(number):
    assert problems_of(adult(insurance_no=number)) == []


def test_insurance_number_keeps_leading_zeros():
    assert normalised(adult(insurance_no="0123456789")).insurance_no == "0123456789"


@pytest.mark.parametrize("number", ["GD9250123456789", "GD425012345678", "012345678", "ABC"])
def test_wrong_insurance_card_is_an_error(number):
    (problem,) = problems_of(adult(insurance_no=number))
    assert (problem.field, problem.severity) == ("insurance_no", "error")


def test_card_ending_before_it_starts_is_an_error():
    (problem,) = problems_of(
        adult(insurance_valid_from=dt.date(2025, 1, 1), insurance_valid_to=dt.date(2024, 12, 31))
    )
    assert (problem.field, problem.severity) == ("insurance_valid_to", "error")


def test_card_dates_without_a_number_are_a_warning():
    (problem,) = problems_of(adult(insurance_no="", insurance_valid_to=dt.date(2026, 1, 1)))
    assert (problem.field, problem.severity) == ("insurance_no", "warning")


def test_expired_card_is_not_a_validation_problem_but_is_known():
    patient = adult(insurance_valid_to=dt.date(2025, 6, 30))
    assert problems_of(patient) == []
    assert patient.insurance_expired(TODAY)
    assert not patient.insurance_expired(dt.date(2025, 6, 30))


@pytest.mark.parametrize(
    ("code", "ok"), [("25123", True), ("01a05", True), ("2512", False), ("25-12", False)]
)
def test_facility_code(code, ok):
    problems = problems_of(adult(insurance_facility=code))
    if ok:
        assert problems == []
    else:
        (problem,) = problems
        assert (problem.field, problem.severity) == ("insurance_facility", "error")


# -- phones ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed", ["+84 912 345 678", "84912345678", "0912.345.678", "0912 345 678"]
)
def test_phone_forms_are_normalised(typed):
    patient = normalised(adult(phone=typed))
    assert patient.phone == "0912345678"
    assert validate(patient, TODAY) == []


def test_landline_is_fine():
    assert problems_of(adult(phone="0210 3871 234")) == []


@pytest.mark.parametrize("phone", ["12345", "0112345678", "912345678"])
def test_wrong_phone_is_an_error(phone):
    (problem,) = problems_of(adult(phone=phone))
    assert (problem.field, problem.severity) == ("phone", "error")


def test_wrong_guardian_phone_is_an_error_on_its_own_field():
    (problem,) = problems_of(adult(guardian_phone="0123"))
    assert (problem.field, problem.severity) == ("guardian_phone", "error")


# -- ethnic group ---------------------------------------------------------------------------------
def test_unknown_ethnic_group_code_is_an_error():
    (problem,) = problems_of(adult(ethnicity="99"))
    assert (problem.field, problem.severity) == ("ethnicity", "error")
    assert "99" in problem.text("vi")


def test_known_ethnic_group_code():
    assert problems_of(adult(ethnicity="08")) == []


# -- children and guardians ------------------------------------------------------------------------
def test_a_child_without_guardian_is_a_warning():
    child = adult(
        full_name="Lê Minh Khang",
        sex="1",
        birth=PartialDate(2020, 5, 1),
        citizen_id="",
        insurance_no="TE1250123456789",
        phone="",
    )
    (problem,) = problems_of(child)
    assert (problem.field, problem.severity) == ("guardian_name", "warning")
    assert problems_of(dataclasses.replace(child, guardian_name="Lê Thị Lan")) == []


def test_a_sixteen_year_old_needs_no_guardian():
    assert problems_of(adult(birth=PartialDate(2009, 11, 20), citizen_id="025309012345")) == []
    (problem,) = problems_of(adult(birth=PartialDate(2009, 11, 21), citizen_id="025309012345"))
    assert problem.field == "guardian_name"


# -- death -----------------------------------------------------------------------------------------
def test_date_of_death_without_deceased_is_an_error():
    (problem,) = problems_of(adult(deceased_date=dt.date(2025, 1, 1)))
    assert (problem.field, problem.severity) == ("deceased_date", "error")


def test_date_of_death_in_the_future_is_an_error():
    (problem,) = problems_of(adult(deceased=True, deceased_date=dt.date(2025, 11, 21)))
    assert (problem.field, problem.severity) == ("deceased_date", "error")


def test_date_of_death_before_birth_is_an_error():
    (problem,) = problems_of(adult(deceased=True, deceased_date=dt.date(1985, 4, 11)))
    assert (problem.field, problem.severity) == ("deceased_date", "error")


def test_deceased_with_a_valid_date_or_no_date():
    assert problems_of(adult(deceased=True, deceased_date=dt.date(2025, 3, 1))) == []
    assert problems_of(adult(deceased=True)) == []


def test_a_deceased_child_needs_no_guardian_warning():
    child = adult(
        birth=PartialDate(2024, 1, 1),
        citizen_id="",
        deceased=True,
        deceased_date=dt.date(2024, 6, 1),
    )
    assert problems_of(child) == []


# -- every problem: a field and a Vietnamese message -----------------------------------------------
ALL_WRONG = [
    adult(full_name=""),
    adult(full_name="Nguyễn 3"),
    adult(full_name="Hương"),
    adult(sex="9", citizen_id=""),
    adult(birth=None),
    adult(birth=PartialDate(2030), citizen_id=""),
    adult(birth=PartialDate(1890), citizen_id=""),
    adult(birth=PartialDate(1905), citizen_id=""),
    adult(citizen_id="123456789"),
    adult(citizen_id="12345"),
    adult(citizen_id="099085012345"),  # province and sex disagree
    adult(citizen_id="025186012345"),  # year disagrees
    adult(insurance_no="X1"),
    adult(insurance_valid_from=dt.date(2025, 2, 1), insurance_valid_to=dt.date(2025, 1, 1)),
    adult(insurance_no="", insurance_valid_to=dt.date(2025, 1, 1)),
    adult(insurance_facility="1"),
    adult(phone="912345678"),
    adult(phone="0912"),
    adult(guardian_phone="1"),
    adult(ethnicity="77"),
    adult(birth=PartialDate(2022), citizen_id=""),
    adult(deceased_date=dt.date(2025, 1, 1)),
    adult(deceased=True, deceased_date=dt.date(2026, 1, 1)),
    adult(deceased=True, deceased_date=dt.date(1980, 1, 1)),
]


def test_the_wrong_records_above_cover_every_patient_message():
    """Guard for the next test: it sees every message validate() can give."""
    import ast
    import inspect

    from station_app.domain import identifiers, patient

    seen = {p.message for record in ALL_WRONG for p in problems_of(record)}
    source = ast.parse(inspect.getsource(patient.validate))
    messages = {
        node.args[0].value
        for node in ast.walk(source)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_"
    }
    messages |= {
        identifiers.check_phone("1"),
        identifiers.check_phone("912345678"),
        identifiers.check_insurance("1"),
        identifiers.check_citizen_id("1"),
        identifiers.check_citizen_id("123456789"),
    }
    assert messages - seen == set()


@pytest.mark.parametrize("record", ALL_WRONG, ids=lambda p: repr(p)[:60])
def test_every_problem_names_its_field_and_is_translated(record):
    problems = problems_of(record)
    assert problems
    for problem in problems:
        assert problem.field in FIELD_LABELS
        assert has_translation(FIELD_LABELS[problem.field], "vi")
        assert has_translation(problem.message, "vi"), problem.message
        english, vietnamese = problem.text("en"), problem.text("vi")
        assert vietnamese != english
        assert "{" not in vietnamese and "{" not in english


def test_errors_and_warnings_split():
    problems = problems_of(adult(full_name="Hương", phone="1"))
    assert [p.field for p in errors(problems)] == ["phone"]
    assert [p.field for p in warnings(problems)] == ["full_name"]
