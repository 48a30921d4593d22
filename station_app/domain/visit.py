"""A consultation (one line of the A1 visit book): vitals with plausible ranges, diagnosis,
treatment, clinician, next follow-up and the referral flag.

An impossible vital sign is refused; an unusual one is a warning the nurse confirms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from station_app.domain.problems import Problem
from station_app.i18n import N_


@dataclass(frozen=True)
class VitalRange:
    label: str
    unit: str
    low: float  # below: impossible
    high: float  # above: impossible
    usual_low: float  # below: unusual
    usual_high: float  # above: unusual


VITALS: dict[str, VitalRange] = {
    "bp_systolic": VitalRange(N_("Systolic BP"), "mmHg", 50, 300, 80, 200),
    "bp_diastolic": VitalRange(N_("Diastolic BP"), "mmHg", 20, 200, 40, 130),
    "pulse": VitalRange(N_("Pulse"), N_("beats/min"), 20, 250, 40, 150),
    "temperature": VitalRange(N_("Temperature"), "°C", 30, 45, 35, 40),
    "weight": VitalRange(N_("Weight"), "kg", 0.3, 300, 2, 150),
    "height": VitalRange(N_("Height"), "cm", 20, 250, 45, 200),
    "spo2": VitalRange(N_("SpO2"), "%", 50, 100, 92, 100),
    "glucose": VitalRange(N_("Blood glucose"), "mmol/L", 1, 40, 3.9, 15),
}

FIELD_LABELS = {
    "visit_at": N_("Date and time"),
    "complaint": N_("Complaint"),
    "examination": N_("Examination"),
    "diagnosis_code": N_("Diagnosis (ICD-10)"),
    "diagnosis_text": N_("Diagnosis"),
    "treatment": N_("Treatment"),
    "clinician_name": N_("Clinician"),
    "follow_up_date": N_("Next follow-up"),
    **{key: rng.label for key, rng in VITALS.items()},
}


@dataclass
class ExtraDiagnosis:
    code: str
    text: str


@dataclass
class Visit:
    patient_id: int
    visit_at: dt.datetime
    id: int | None = None
    complaint: str = ""
    examination: str = ""
    bp_systolic: int | None = None
    bp_diastolic: int | None = None
    pulse: int | None = None
    temperature: float | None = None
    weight: float | None = None
    height: float | None = None
    spo2: int | None = None
    glucose: float | None = None
    diagnosis_code: str = ""
    diagnosis_text: str = ""
    extra_diagnoses: list[ExtraDiagnosis] = field(default_factory=list)
    treatment: str = ""
    clinician_id: int | None = None
    clinician_name: str = ""
    insurance_paid: bool = False
    follow_up_date: dt.date | None = None
    referred: bool = False
    notes: str = ""
    created_at: dt.datetime | None = None

    @property
    def bp_text(self) -> str:
        if self.bp_systolic and self.bp_diastolic:
            return f"{self.bp_systolic}/{self.bp_diastolic}"
        return ""

    @property
    def diagnosis_display(self) -> str:
        if self.diagnosis_code and self.diagnosis_text:
            return f"{self.diagnosis_code} {self.diagnosis_text}"
        return self.diagnosis_code or self.diagnosis_text


def _number(value: float) -> str:
    return f"{value:g}"


def validate(visit: Visit, now: dt.datetime, birth_earliest: dt.date | None = None,
             card_valid_to: dt.date | None = None) -> list[Problem]:
    """Every problem of a visit before it is saved (``card_valid_to``: the patient's insurance
    card's last valid day, if known)."""
    problems: list[Problem] = []
    if visit.insurance_paid and card_valid_to is not None and card_valid_to < visit.visit_at.date():
        problems.append(Problem("insurance_paid",
                                N_("Marked paid by health insurance, but the card expired on {date}."),
                                "warning", {"date": card_valid_to.strftime("%d/%m/%Y")}))
    if visit.visit_at > now + dt.timedelta(minutes=10):
        problems.append(Problem("visit_at", N_("The visit is in the future.")))
    if birth_earliest and visit.visit_at.date() < birth_earliest:
        problems.append(Problem("visit_at", N_("The visit is before the patient's date of birth.")))
    for key, rng in VITALS.items():
        value = getattr(visit, key)
        if value is None:
            continue
        params = {"value": _number(value), "unit": rng.unit, "low": _number(rng.low), "high": _number(rng.high)}
        if not rng.low <= value <= rng.high:
            problems.append(Problem(key, N_("{value} {unit} is not possible (expected {low}–{high})."), "error", params,
                                    ("unit",)))
        elif not rng.usual_low <= value <= rng.usual_high:
            problems.append(Problem(key, N_("{value} {unit} is unusual: check it."), "warning", params, ("unit",)))
    if (visit.bp_systolic is None) != (visit.bp_diastolic is None):
        field_name = "bp_diastolic" if visit.bp_diastolic is None else "bp_systolic"
        problems.append(Problem(field_name, N_("Enter both blood pressure numbers.")))
    elif visit.bp_systolic is not None and visit.bp_diastolic is not None and visit.bp_diastolic >= visit.bp_systolic:
        problems.append(Problem("bp_diastolic", N_("The diastolic pressure must be lower than the systolic.")))
    if not (visit.complaint.strip() or visit.diagnosis_code or visit.diagnosis_text.strip()):
        problems.append(Problem("complaint", N_("Write the complaint or a diagnosis.")))
    if visit.follow_up_date and visit.follow_up_date <= visit.visit_at.date():
        problems.append(Problem("follow_up_date", N_("The next follow-up must be after the visit.")))
    return problems
