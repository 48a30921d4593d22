"""A visit given as data (``main.py visit add``) made into a ``Visit`` and its prescription: the
patient found by id, record number or citizen ID, the diagnoses looked up in ICD-10, the values
checked by the same rules as the visit form."""

from __future__ import annotations

import datetime as dt

from station_app.domain.medicines import PrescriptionLine
from station_app.domain.visit import ExtraDiagnosis, Visit, validate
from station_app.domain.visit_input import VisitEntry, VisitInputError
from station_app.i18n import N_
from station_app.store import icd10, patients
from station_app.store.database import Store

# A visit field named by the key of `visit add`'s JSON that carries it (the others have one name).
JSON_KEYS = {"bp_systolic": "bp", "bp_diastolic": "bp", "diagnosis_code": "diagnosis_codes",
             "clinician_name": "clinician"}


def _patient_id(store: Store, entry: VisitEntry) -> int:
    if entry.patient_key == "id":
        row = store.scalar(
            "SELECT id FROM patients WHERE id = ? AND merged_into IS NULL",
            (int(entry.patient_value) if entry.patient_value.isdigit() else -1,),
        )
    elif entry.patient_key == "record_no":
        row = store.scalar(
            "SELECT id FROM patients WHERE record_no = ? AND merged_into IS NULL", (entry.patient_value,)
        )
    else:
        row = store.scalar(
            "SELECT id FROM patients WHERE citizen_id = ? AND merged_into IS NULL", (entry.patient_value,)
        )
    if row is None:
        raise VisitInputError(
            N_("No patient with {key} {value}."), entry.number, key=entry.patient_key, value=entry.patient_value
        )
    return int(row)


def resolve(store: Store, entry: VisitEntry, now: dt.datetime) -> tuple[Visit, list[PrescriptionLine]]:
    pid = _patient_id(store, entry)
    patient = patients.get(store, pid)
    diagnoses = []
    for code in entry.diagnosis_codes:
        found = icd10.get(store, code)
        if found is None:
            raise VisitInputError(N_("{code} is not an ICD-10 code."), entry.number, code=code)
        diagnoses.append(found)
    values = entry.values
    visit = Visit(
        patient_id=pid,
        visit_at=entry.visit_at,
        complaint=str(values.get("complaint", "")),
        examination=str(values.get("examination", "")),
        bp_systolic=values.get("bp_systolic"),  # type: ignore[arg-type]
        bp_diastolic=values.get("bp_diastolic"),  # type: ignore[arg-type]
        pulse=values.get("pulse"),  # type: ignore[arg-type]
        temperature=values.get("temperature"),  # type: ignore[arg-type]
        weight=values.get("weight"),  # type: ignore[arg-type]
        height=values.get("height"),  # type: ignore[arg-type]
        spo2=values.get("spo2"),  # type: ignore[arg-type]
        glucose=values.get("glucose"),  # type: ignore[arg-type]
        diagnosis_code=diagnoses[0].code if diagnoses else "",
        diagnosis_text=diagnoses[0].name_vi if diagnoses else "",
        extra_diagnoses=[ExtraDiagnosis(d.code, d.name_vi) for d in diagnoses[1:]],
        treatment=str(values.get("treatment", "")),
        clinician_name=str(values.get("clinician", "")),
        insurance_paid=bool(values.get("insurance_paid", False)),
        follow_up_date=entry.follow_up_date,
        referred=bool(values.get("referred", False)),
        notes=str(values.get("notes", "")),
    )
    birth = patient.birth.earliest() if patient and patient.birth else None
    errors = [p for p in validate(visit, now, birth) if p.is_error]
    if errors:
        field = JSON_KEYS.get(errors[0].field, errors[0].field)
        raise VisitInputError(N_("{field}: {problem}"), entry.number, field=field, problem=errors[0].text())
    return visit, entry.prescription
