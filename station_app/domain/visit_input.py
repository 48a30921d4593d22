"""A visit given as JSON (``main.py visit add``): the shape checked and the values parsed, before
the store looks up the patient, the diagnoses and the drugs::

    {"patient": {"record_no" | "citizen_id" | "id": …}, "visit_at": "YYYY-MM-DDTHH:MM",
     "complaint", "bp": "150/95", "pulse", "temperature", "weight", "diagnosis_codes": ["I10", …],
     "treatment", "follow_up_date", "insurance_paid": true,
     "prescription": [{"drug": CODE, "quantity": 30, "per_dose": "1 viên", "times_per_day": 1,
                       "days": 30, "instructions": "…"}]}
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from station_app.domain.medicines import PrescriptionLine
from station_app.i18n import N_, translate

_BP = re.compile(r"^\s*(\d{2,3})\s*/\s*(\d{2,3})\s*$")
KNOWN = {
    "patient",
    "visit_at",
    "complaint",
    "examination",
    "bp",
    "pulse",
    "temperature",
    "weight",
    "height",
    "spo2",
    "glucose",
    "diagnosis_codes",
    "treatment",
    "follow_up_date",
    "insurance_paid",
    "referred",
    "clinician",
    "notes",
    "prescription",
}
LINE_KEYS = {"drug", "quantity", "per_dose", "times_per_day", "days", "instructions"}


class VisitInputError(ValueError):
    def __init__(self, message: str, number: int = 0, **params: object) -> None:
        self.message = message
        self.number = number
        self.params = params
        super().__init__(self.text("en"))

    def text(self, lang: str | None = None) -> str:
        body = translate(self.message, lang).format(**self.params)
        return (translate(N_("Visit {n}: "), lang).format(n=self.number) + body) if self.number else body


@dataclass
class VisitEntry:
    patient_key: str  # record_no, citizen_id or id
    patient_value: str
    visit_at: dt.datetime
    values: dict[str, object] = field(default_factory=dict)  # vitals and texts, parsed
    diagnosis_codes: list[str] = field(default_factory=list)
    follow_up_date: dt.date | None = None
    prescription: list[PrescriptionLine] = field(default_factory=list)
    number: int = 0


def _number(data: dict[str, object], key: str, n: int, *, whole: bool = False) -> float | int | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise VisitInputError(N_("{key} must be a number."), n, key=key)
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        raise VisitInputError(N_("{key} must be a number, not {value}."), n, key=key, value=value) from None
    if whole:
        if not number.is_integer():
            raise VisitInputError(N_("{key} must be a whole number, not {value}."), n, key=key, value=value)
        return int(number)
    return number


def _text(data: dict[str, object], key: str, n: int) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise VisitInputError(N_("{key} must be text."), n, key=key)
    return value.strip()


def parse_visit(data: object, n: int = 0) -> VisitEntry:
    if not isinstance(data, dict):
        raise VisitInputError(N_("A visit must be a JSON object."), n)
    unknown = sorted(set(data) - KNOWN)
    if unknown:
        raise VisitInputError(N_("Unknown key {key}."), n, key=unknown[0])
    patient = data.get("patient")
    if not isinstance(patient, dict) or not patient:
        raise VisitInputError(N_('"patient" must be an object with record_no, citizen_id or id.'), n)
    key = next((k for k in ("id", "record_no", "citizen_id") if k in patient), None)
    if key is None or patient[key] in (None, ""):
        raise VisitInputError(N_('"patient" must be an object with record_no, citizen_id or id.'), n)
    try:
        visit_at = dt.datetime.fromisoformat(str(data.get("visit_at", "")))
    except ValueError:
        raise VisitInputError(
            N_("visit_at must be a date and time written YYYY-MM-DDTHH:MM, not {value}."), n, value=data.get("visit_at")
        ) from None
    values: dict[str, object] = {}
    bp = _text(data, "bp", n)
    if bp:
        match = _BP.match(bp)
        if not match:
            raise VisitInputError(N_("bp must be written 150/95, not {value}."), n, value=bp)
        values["bp_systolic"], values["bp_diastolic"] = int(match[1]), int(match[2])
    for name in ("pulse", "spo2"):
        values[name] = _number(data, name, n, whole=True)
    for name in ("temperature", "weight", "height", "glucose"):
        values[name] = _number(data, name, n)
    for name in ("complaint", "examination", "treatment", "clinician", "notes"):
        values[name] = _text(data, name, n)
    for name in ("insurance_paid", "referred"):
        flag = data.get(name, False)
        if not isinstance(flag, bool):
            raise VisitInputError(N_("{key} must be true or false."), n, key=name)
        values[name] = flag
    codes = data.get("diagnosis_codes", [])
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise VisitInputError(N_("diagnosis_codes must be a list of ICD-10 codes."), n)
    follow = None
    if data.get("follow_up_date"):
        try:
            follow = dt.date.fromisoformat(str(data["follow_up_date"]))
        except ValueError:
            raise VisitInputError(
                N_("follow_up_date must be a date written YYYY-MM-DD, not {value}."), n, value=data["follow_up_date"]
            ) from None
    lines = data.get("prescription", [])
    if not isinstance(lines, list):
        raise VisitInputError(N_("prescription must be a list of lines."), n)
    prescription = []
    for number, line in enumerate(lines, start=1):
        if not isinstance(line, dict) or not isinstance(line.get("drug"), str) or not line["drug"].strip():
            raise VisitInputError(N_("Prescription line {line}: give the drug's formulary code."), n, line=number)
        extra = sorted(set(line) - LINE_KEYS)
        if extra:
            raise VisitInputError(N_("Prescription line {line}: unknown key {key}."), n, line=number, key=extra[0])
        quantity = _number(line, "quantity", n)
        if quantity is None:
            raise VisitInputError(N_("Prescription line {line}: give the quantity."), n, line=number)
        prescription.append(
            PrescriptionLine(
                drug_code=line["drug"].strip().upper(),
                quantity=float(quantity),
                per_dose=_text(line, "per_dose", n),
                times_per_day=_number(line, "times_per_day", n, whole=True),  # type: ignore[arg-type]
                days=_number(line, "days", n, whole=True),  # type: ignore[arg-type]
                instructions=_text(line, "instructions", n),
            )
        )
    return VisitEntry(
        key,
        str(patient[key]).strip(),
        visit_at.replace(second=0, microsecond=0),
        values,
        [c.strip().upper() for c in codes if c.strip()],
        follow,
        prescription,
        n,
    )


def parse_visits(data: object) -> list[VisitEntry]:
    """One visit (an object) or several (a list); numbered from 1 when there are several."""
    if isinstance(data, list):
        if not data:
            raise VisitInputError(N_("The list of visits is empty."))
        return [parse_visit(item, n) for n, item in enumerate(data, start=1)]
    return [parse_visit(data)]
