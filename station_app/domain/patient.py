"""The patient record and its validation.

Every wrong field is named with a message in the current language (Vietnamese by default);
inconsistencies that may still be true (a citizen ID that disagrees with the recorded sex) are
warnings, not refusals.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field, replace

from station_app.domain import code_lists
from station_app.domain.dates import PartialDate
from station_app.domain.identifiers import (
    CITIZEN_ID_PROVINCES,
    FACILITY_CODE,
    SEX_CODES,
    check_citizen_id,
    check_phone,
    citizen_id_facts,
    ethnic_groups,
    insurance_problem,
    normalise_citizen_id,
    normalise_insurance,
    normalise_phone,
)
from station_app.domain.problems import Problem
from station_app.domain.text import nfc
from station_app.i18n import N_

# Field names, as shown beside the form's inputs and in import reports.
FIELD_LABELS = {
    "record_no": N_("Record no."),
    "full_name": N_("Full name"),
    "sex": N_("Sex"),
    "birth": N_("Date of birth"),
    "citizen_id": N_("Citizen ID"),
    "insurance_no": N_("Insurance card no."),
    "insurance_valid_from": N_("Insurance valid from"),
    "insurance_valid_to": N_("Insurance valid to"),
    "insurance_facility": N_("Registered facility"),
    "phone": N_("Phone"),
    "address": N_("Address"),
    "village": N_("Village"),
    "ethnicity": N_("Ethnic group"),
    "nationality": N_("Nationality"),
    "occupation": N_("Occupation"),
    "workplace": N_("Workplace"),
    "guardian_name": N_("Guardian"),
    "guardian_phone": N_("Guardian's phone"),
    "deceased_date": N_("Date of death"),
    "notes": N_("Notes"),
    "commune_code": N_("Commune code"),
    "occupation_code": N_("Occupation code"),
}

_NAME_CHARS = re.compile(r"^[^\W\d_]+(?:[ '\-][^\W\d_]+)*$", re.UNICODE)
GUARDIAN_AGE = 16


@dataclass
class Patient:
    full_name: str
    sex: str
    birth: PartialDate | None
    id: int | None = None
    record_no: str | None = None
    citizen_id: str = ""
    insurance_no: str = ""
    insurance_valid_from: dt.date | None = None
    insurance_valid_to: dt.date | None = None
    insurance_facility: str = ""
    phone: str = ""
    address: str = ""
    village: str = ""
    ethnicity: str = "01"
    nationality: str = "Việt Nam"
    occupation: str = ""
    workplace: str = ""
    # Claims codes (XML1): nationality (MA_QUOCTICH), occupation (MA_NGHE_NGHIEP), residence
    # (MATINH_/MAHUYEN_/MAXA_CU_TRU); empty when not recorded (the claim then uses the defaults).
    nationality_code: str = ""
    occupation_code: str = ""
    province_code: str = ""
    district_code: str = ""
    commune_code: str = ""
    guardian_name: str = ""
    guardian_phone: str = ""
    guardian_relation: str = ""
    deceased: bool = False
    deceased_date: dt.date | None = None
    notes: str = ""
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def age_on(self, on: dt.date) -> int | None:
        return self.birth.age_on(on) if self.birth else None

    def insurance_expired(self, on: dt.date) -> bool:
        return self.insurance_valid_to is not None and self.insurance_valid_to < on

    @property
    def sex_label(self) -> str:
        return SEX_CODES.get(self.sex, "")


def normalised(patient: Patient) -> Patient:
    """The stored form: NFC text, trimmed; identifiers without separators."""
    return replace(
        patient,
        full_name=nfc(patient.full_name),
        citizen_id=normalise_citizen_id(patient.citizen_id),
        insurance_no=normalise_insurance(patient.insurance_no),
        insurance_facility=patient.insurance_facility.strip().upper(),
        phone=normalise_phone(patient.phone) if patient.phone.strip() else "",
        guardian_phone=normalise_phone(patient.guardian_phone) if patient.guardian_phone else "",
        address=nfc(patient.address),
        village=nfc(patient.village),
        occupation=nfc(patient.occupation),
        workplace=nfc(patient.workplace),
        guardian_name=nfc(patient.guardian_name),
        guardian_relation=nfc(patient.guardian_relation),
        nationality=nfc(patient.nationality),
        nationality_code=patient.nationality_code.strip() or _nationality_code(patient.nationality),
        occupation_code=patient.occupation_code.strip(),
        province_code=patient.province_code.strip(),
        district_code=patient.district_code.strip(),
        commune_code=patient.commune_code.strip(),
        notes=unicodedata.normalize("NFC", patient.notes).strip(),
    )


def _nationality_code(name: str) -> str:
    """The code of a nationality written by name ("Việt Nam" → 000), or "" if it is not in the list."""
    found = code_lists.nationality_for(name) if name.strip() else None
    return found.code if found else ""


def validate(patient: Patient, today: dt.date, *, require_birth: bool = True) -> list[Problem]:
    """Every problem of a (normalised) patient record; empty when it may be saved as is.

    ``require_birth=False`` accepts an unknown birth date (an imported list without the column).
    """
    p = patient
    problems: list[Problem] = []

    def error(field_name: str, message: str, **params: object) -> None:
        problems.append(Problem(field_name, message, "error", params))

    def warn(field_name: str, message: str, translated: tuple[str, ...] = (), **params: object) -> None:
        problems.append(Problem(field_name, message, "warning", params, translated))

    # Name
    if not p.full_name:
        error("full_name", N_("Enter the patient's full name."))
    elif not _NAME_CHARS.match(p.full_name):
        error("full_name", N_("A name has only letters and spaces (no digits or symbols)."))
    elif len(p.full_name.split()) < 2:
        warn("full_name", N_("Only one word: write the family name and the given name."))

    if p.sex not in SEX_CODES:
        error("sex", N_("Choose the sex: male, female or undetermined."))

    # Birth date
    if p.birth is None:
        if require_birth:
            error("birth",     N_("Enter the date of birth (the year alone is enough if that is all that is known)."))
    else:
        if p.birth.earliest() > today:
            error("birth", N_("The date of birth is in the future."))
        elif p.birth.year < 1900:
            error("birth", N_("The year of birth is before 1900."))
        elif p.birth.age_on(today) > 115:
            warn("birth", N_("Older than 115 years: check the year of birth."))

    # Citizen ID and its consistency with the record
    if p.citizen_id:
        if message := check_citizen_id(p.citizen_id):
            error("citizen_id", message)
        else:
            facts = citizen_id_facts(p.citizen_id)
            if facts.province not in CITIZEN_ID_PROVINCES:
                warn("citizen_id", N_("The first 3 digits ({code}) are not a province code."), code=facts.province)
            if p.sex in ("1", "2") and facts.male != (p.sex == "1"):
                warn(
                    "citizen_id",
                    N_("The 4th digit of the citizen ID says {sex}, but the record says otherwise."),
                    sex=SEX_CODES["1" if facts.male else "2"],
                    translated=("sex",),
                )
            if p.birth is not None and facts.year != p.birth.year:
                warn(
                    "citizen_id",
                    N_("The citizen ID says born in {year}, but the date of birth says {birth}."),
                    year=facts.year,
                    birth=p.birth.year,
                )

    # Insurance
    if p.insurance_no and (card := insurance_problem(p.insurance_no)):
        error("insurance_no", card[0], **card[1])
    if p.insurance_valid_from and p.insurance_valid_to and p.insurance_valid_to < p.insurance_valid_from:
        error("insurance_valid_to", N_("The card's end date is before its start date."))
    if (p.insurance_valid_to or p.insurance_valid_from) and not p.insurance_no:
        warn("insurance_no", N_("Card dates given without a card number."))
    if p.insurance_facility and not FACILITY_CODE.match(p.insurance_facility):
        error("insurance_facility", N_("A facility code has 5 letters or digits."))

    # Phones
    if p.phone and (message := check_phone(p.phone)):
        error("phone", message)
    if p.guardian_phone and (message := check_phone(p.guardian_phone)):
        error("guardian_phone", message)

    if p.ethnicity and p.ethnicity not in ethnic_groups():
        error("ethnicity", N_("Unknown ethnic group code {code}."), code=p.ethnicity)

    problems += code_problems(p)

    if p.birth is not None and not p.deceased and p.birth.age_on(today) < GUARDIAN_AGE and not p.guardian_name:
        warn("guardian_name", N_("A child: write the name of a parent or guardian."))

    # Death
    if p.deceased_date and not p.deceased:
        error("deceased_date", N_("A date of death is given but the patient is not marked deceased."))
    if p.deceased_date:
        if p.deceased_date > today:
            error("deceased_date", N_("The date of death is in the future."))
        elif p.birth is not None and p.deceased_date < p.birth.earliest():
            error("deceased_date", N_("The date of death is before the date of birth."))

    return problems


def code_problems(p: Patient) -> list[Problem]:
    """The claims codes that are not in their lists (nationality, occupation, commune of residence
    and its province), each named beside its field."""
    problems: list[Problem] = []

    def error(field_name: str, message: str, **params: object) -> None:
        problems.append(Problem(field_name, message, "error", params))

    if p.nationality_code and p.nationality_code not in code_lists.nationalities():
        error("nationality", N_("The nationality code {code} is not in the list."), code=p.nationality_code)
    if p.occupation_code and p.occupation_code not in code_lists.occupation_codes():
        error("occupation", N_("The occupation code {code} is not in the list."), code=p.occupation_code)
    commune = code_lists.communes().get(p.commune_code) if p.commune_code else None
    if p.commune_code and commune is None:
        error("commune_code", N_("The commune code {code} is not in the list of communes (since 07/2025)."),
              code=p.commune_code)
    elif p.province_code and p.province_code not in code_lists.provinces():
        error("commune_code", N_("The province code {code} is not in the list of provinces."), code=p.province_code)
    elif commune is not None and p.province_code and commune.province_code != p.province_code:
        error("commune_code", N_("{commune} is not in the province with code {code}."),
              commune=commune.label, code=p.province_code)
    return problems
