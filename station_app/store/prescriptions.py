"""Prescription lines of a visit: checked against the formulary, the stock and the rules, saved
with the visit in its transaction and dispensed from the stock (earliest-expiring lot first).

A prescription that cannot be given (unknown or retired drug, more than the usable stock, an
impossible value) is refused with the visit: nothing is saved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from station_app.domain.accounts import Permission
from station_app.domain.medicines import (
    Drug,
    NotEnoughStock,
    PrescriptionLine,
    days_supplied,
    refill_due,
    rules,
    validate_lines,
)
from station_app.domain.problems import Problem
from station_app.domain.visit import Visit
from station_app.i18n import N_, translate
from station_app.store import errors, formulary, stock
from station_app.store.database import Store


class PrescriptionRefused(errors.StoreError):
    """The prescription cannot be given as written; ``problems`` says why, line by line."""

    message = N_("The prescription was not saved.")

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("", "")

    def text(self, lang: str | None = None) -> str:
        return translate(self.message, lang) + " " + " ".join(p.text(lang) for p in self.problems)


_COLUMNS = "id, visit_id, line_no, drug_id, drug_code, per_dose, times_per_day, days, quantity, instructions"


def _line(row: Sequence[object]) -> PrescriptionLine:
    return PrescriptionLine(
        id=int(row[0]),  # type: ignore[call-overload]
        visit_id=int(row[1]),  # type: ignore[call-overload]
        line_no=int(row[2]),  # type: ignore[call-overload]
        drug_id=int(row[3]),  # type: ignore[call-overload]
        drug_code=str(row[4]),
        per_dose=str(row[5]),
        times_per_day=row[6],  # type: ignore[arg-type]
        days=row[7],  # type: ignore[arg-type]
        quantity=float(row[8]),  # type: ignore[arg-type]
        instructions=str(row[9]),
    )


def diagnosis_codes(visit: Visit) -> list[str]:
    return [visit.diagnosis_code, *(d.code for d in visit.extra_diagnoses)]


def check(store: Store, visit: Visit, lines: Sequence[PrescriptionLine]) -> list[Problem]:
    """Every problem of ``lines`` for ``visit`` (errors and warnings)."""
    drugs = formulary.by_code(store)
    on_hand = stock.on_hand(store, visit.visit_at.date())
    return validate_lines(lines, drugs, on_hand, rules().max_days_for(diagnosis_codes(visit)))


def programme_of(visit: Visit, lines: Sequence[PrescriptionLine], drugs: dict[str, Drug]) -> str | None:
    """The chronic programme a prescription refills: the visit's diagnosis, else its drugs'."""
    from station_app.store.followups import chronic_programme

    if visit.diagnosis_code:
        found = chronic_programme(visit.diagnosis_code)
        if found:
            return found
    programmes = [drugs[line.drug_code].programme for line in lines if line.drug_code in drugs]
    return next((p for p in programmes if p), None)


@dataclass(frozen=True)
class Refill:
    programme: str
    days: int
    due: dt.date


def refill_for(store: Store, visit: Visit, lines: Sequence[PrescriptionLine]) -> Refill | None:
    """The refill reminder a prescription of a chronic programme sets: due when the medicine runs out
    (visit day + days supplied, a few days early)."""
    days = days_supplied(lines)
    programme = programme_of(visit, lines, formulary.by_code(store))
    if not programme or not days:
        return None
    return Refill(programme, days, refill_due(visit.visit_at.date(), days, rules().refill_window_days))


def record(store: Store, visit: Visit, lines: Sequence[PrescriptionLine]) -> list[PrescriptionLine]:
    """Inside the visit's transaction: save the lines and dispense each from the stock."""
    store.inside_write("a prescription")
    store.require(Permission.DISPENSE)
    assert visit.id is not None
    problems = [p for p in check(store, visit, lines) if p.is_error]
    if problems:
        raise PrescriptionRefused(problems)
    drugs = formulary.by_code(store)
    saved: list[PrescriptionLine] = []
    day = visit.visit_at.date()
    with store.write(Permission.DISPENSE):
        for number, line in enumerate(lines, start=1):
            drug = drugs[line.drug_code]
            cursor = store.conn.execute(
                f"INSERT INTO prescription_lines ({_COLUMNS}) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    visit.id,
                    number,
                    drug.id,
                    drug.code,
                    line.per_dose.strip(),
                    line.times_per_day,
                    line.days,
                    line.quantity,
                    line.instructions.strip(),
                ),
            )
            line_id = int(cursor.lastrowid or 0)
            try:
                stock.dispense(store, line_id, drug.code, line.quantity, day)
            except NotEnoughStock as exc:  # (checked above: another window took the stock meanwhile)
                short = Problem(
                    f"line{number}",
                    N_("Line {n}: only {stock} {unit} of {drug} in stock."),
                    "error",
                    {"n": number, "stock": exc.usable, "unit": drug.unit, "drug": drug.name},
                )
                raise PrescriptionRefused([short]) from exc
            saved.append(replace(line, id=line_id, visit_id=visit.id, line_no=number, drug_id=drug.id))
    return saved


def replace_open_refills(store: Store, visit: Visit, programme: str) -> int:
    """Close the patient's other open refill reminders of ``programme``: the new one replaces them
    (inside the visit's transaction)."""
    from station_app.store.followups import _close

    store.inside_write("a refill reminder replaced")
    assert visit.id is not None
    rows = store.conn.execute(
        "SELECT id FROM followups WHERE patient_id = ? AND kind = 'chronic_refill' AND status = 'open' "
        "AND rule = ? AND coalesce(source_visit_id, 0) <> ?",
        (visit.patient_id, f"chronic:{programme}", visit.id),
    ).fetchall()
    for (item_id,) in rows:
        _close(store, int(item_id), visit.visit_at.date(), visit.id)
    return len(rows)


def for_visit(store: Store, visit_id: int) -> list[tuple[PrescriptionLine, Drug]]:
    """The lines of a visit with the formulary version each was prescribed from."""
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM prescription_lines WHERE visit_id = ? ORDER BY line_no", (visit_id,)
    ).fetchall()
    found = []
    for row in rows:
        line = _line(row)
        drug = formulary.version(store, int(line.drug_id or 0))
        if drug is not None:
            found.append((line, drug))
    return found


def last_for_programme(store: Store, patient_id: int, programme: str) -> tuple[int, list[PrescriptionLine]] | None:
    """The patient's last prescription of ``programme`` (its visit id and lines): the last visit
    with a diagnosis of the programme, or with a drug of it, that has prescription lines."""
    from station_app.store.followups import CHRONIC_CODES

    prefixes = CHRONIC_CODES.get(programme, ())
    rows = store.conn.execute(
        "SELECT v.id, v.diagnosis_code FROM visits v WHERE v.patient_id = ? "
        "AND EXISTS (SELECT 1 FROM prescription_lines p WHERE p.visit_id = v.id) "
        "ORDER BY v.visit_at DESC, v.id DESC LIMIT 50",
        (patient_id,),
    ).fetchall()
    drugs = formulary.by_code(store)
    for visit_id, code in rows:
        lines = [
            _line(r)
            for r in store.conn.execute(
                f"SELECT {_COLUMNS} FROM prescription_lines WHERE visit_id = ? ORDER BY line_no", (visit_id,)
            )
        ]
        by_diagnosis = bool(code) and any(str(code).startswith(p) for p in prefixes)
        by_drug = any(
            drugs.get(line.drug_code, None) and drugs[line.drug_code].programme == programme for line in lines
        )
        if by_diagnosis or by_drug:
            return int(visit_id), lines
    return None


def last_visit_of_patient_programmes(store: Store, patient_id: int) -> list[str]:
    """The chronic programmes the patient is enrolled in (open), hypertension first."""
    rows = store.conn.execute(
        "SELECT programme FROM enrolments WHERE patient_id = ? AND closed_on IS NULL "
        "AND programme IN ('hypertension', 'diabetes') ORDER BY programme DESC",
        (patient_id,),
    ).fetchall()
    return [r[0] for r in rows]
