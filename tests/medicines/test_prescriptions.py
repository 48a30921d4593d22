"""Prescriptions in a visit: saved and dispensed with it, refused whole, the refill reminder from
the days supplied, "same as last time"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from station_app.domain.accounts import Actor, Role
from station_app.domain.medicines import PrescriptionLine, ReceiptLine, validate_lines
from station_app.domain.patient import Patient
from station_app.domain.visit import Visit
from station_app.store import Store, followups, formulary, prescriptions, stock, visits
from station_app.store.errors import NotPermitted
from station_app.store.prescriptions import PrescriptionRefused

ADMIN = Actor(3, "quantri", "Quản trị", Role.ADMIN)


@pytest.fixture
def stocked(store: Store, today: dt.date) -> Store:
    stock.receive(
        store,
        [
            ReceiptLine("AMLO5", "A-OLD", today + dt.timedelta(days=40), 20, 300),
            ReceiptLine("AMLO5", "A-NEW", today + dt.timedelta(days=400), 200, 310),
            ReceiptLine("AMLO5", "A-EXP", today - dt.timedelta(days=1), 500, 290),
            ReceiptLine("METF500", "M1", today + dt.timedelta(days=300), 100, 350),
            ReceiptLine("PARA500", "P1", today + dt.timedelta(days=300), 100, 200),
        ],
        today - dt.timedelta(days=30),
    )
    return store


def amlo(quantity: float = 30, days: int = 30) -> PrescriptionLine:
    return PrescriptionLine("AMLO5", quantity, "1 viên", 1, days, "uống sáng")


def visit_of(patient: Patient, when: dt.datetime, code: str = "I10") -> Visit:
    return Visit(patient_id=int(patient.id or 0), visit_at=when, diagnosis_code=code, bp_systolic=150, bp_diastolic=95)


def test_a_visit_saves_its_lines_and_dispenses_earliest_expiry_first(
    stocked: Store, add_patient: Callable[..., Patient], today: dt.date
) -> None:
    patient = add_patient("Nguyễn Văn An", sex="1", birth="1955")
    saved = visits.insert(stocked, visit_of(patient, dt.datetime.combine(today, dt.time(8))), prescription=[amlo(30)])
    lines = prescriptions.for_visit(stocked, int(saved.id or 0))
    assert [(line.drug_code, line.quantity, drug.name) for line, drug in lines] == [("AMLO5", 30, "Amlodipin 5 mg")]
    balances = {lot.lot_no: lot.balance for lot in stock.lots(stocked, "AMLO5", with_empty=True)}
    assert balances == {"A-EXP": 500, "A-OLD": 0, "A-NEW": 190}  # 20 from the older lot, 10 from the next


def test_a_dispense_beyond_stock_is_refused_with_nothing_saved(
    stocked: Store, add_patient: Callable[..., Patient], today: dt.date
) -> None:
    patient = add_patient("Nguyễn Văn An", sex="1", birth="1955")
    before = stock.on_hand(stocked, today)
    with pytest.raises(PrescriptionRefused) as caught:
        visits.insert(
            stocked,
            visit_of(patient, dt.datetime.combine(today, dt.time(8))),
            prescription=[amlo(221), PrescriptionLine("PARA500", 10, "1 viên", 2, 5)],
        )
    assert "only 220 viên of Amlodipin 5 mg" in caught.value.text("en")  # the expired 500 do not count
    assert visits.for_patient(stocked, int(patient.id or 0)) == []
    assert stocked.scalar("SELECT count(*) FROM prescription_lines") == 0
    assert stock.on_hand(stocked, today) == before
    assert followups.patient_items(stocked, int(patient.id or 0)) == []


def test_warnings_for_days_over_the_rule_and_the_same_ingredient_twice(stocked: Store) -> None:
    drugs = formulary.by_code(stocked)
    lines = [
        PrescriptionLine("PARA500", 10, "1 viên", 1, 35),
        PrescriptionLine("PARA500", 5, "1 viên", 1, 5),
        PrescriptionLine("AMCL625", 10, "1 viên", 2, 5),
        PrescriptionLine("AMOX500", 10, "1 viên", 2, 5),
    ]
    problems = validate_lines(lines, drugs, {"PARA500": 100, "AMCL625": 100, "AMOX500": 100}, 30)
    texts = [(p.field, p.severity, p.text("en")) for p in problems]
    assert ("line1", "warning", "Line 1: 35 days is more than the 30 days the rules allow.") in texts
    assert ("line2", "warning", "Line 2: paracetamol is already on line 1.") in texts
    assert ("line4", "warning", "Line 4: amoxicilin is already on line 3.") in texts  # in a combination
    assert not [p for p in problems if p.is_error]


def test_the_refill_falls_due_when_the_medicine_runs_out_and_replaces_the_open_one(
    stocked: Store, add_patient: Callable[..., Patient], today: dt.date
) -> None:
    patient = add_patient("Trần Thị Bình", birth="1950")
    pid = int(patient.id or 0)
    first_day = today - dt.timedelta(days=20)
    visits.insert(stocked, visit_of(patient, dt.datetime.combine(first_day, dt.time(8))), prescription=[amlo(30)])
    refills = [i for i in followups.patient_items(stocked, pid, open_only=True) if i.kind == "chronic_refill"]
    assert [i.due_date for i in refills] == [first_day + dt.timedelta(days=30 - 3)]  # 3 days' window
    # Back early (the first reminder is 7 days off), with 60 days of medicine: one reminder, the new one.
    visits.insert(stocked, visit_of(patient, dt.datetime.combine(today, dt.time(8))), prescription=[amlo(60, days=60)])
    refills = [i for i in followups.patient_items(stocked, pid, open_only=True) if i.kind == "chronic_refill"]
    assert [i.due_date for i in refills] == [today + dt.timedelta(days=57)]


def test_same_as_last_time_finds_the_programmes_last_prescription(
    stocked: Store, add_patient: Callable[..., Patient], today: dt.date
) -> None:
    patient = add_patient("Trần Thị Bình", birth="1950")
    pid = int(patient.id or 0)
    assert prescriptions.last_for_programme(stocked, pid, "hypertension") is None
    first = visits.insert(
        stocked,
        visit_of(patient, dt.datetime.combine(today - dt.timedelta(days=30), dt.time(8))),
        prescription=[amlo(30), PrescriptionLine("METF500", 60, "1 viên", 2, 30)],
    )
    visits.insert(
        stocked,
        visit_of(patient, dt.datetime.combine(today - dt.timedelta(days=5), dt.time(8)), "J00"),
        prescription=[PrescriptionLine("PARA500", 10, "1 viên", 2, 5)],
    )
    found = prescriptions.last_for_programme(stocked, pid, "hypertension")
    assert found is not None
    visit_id, lines = found
    assert visit_id == first.id and [(x.drug_code, x.quantity, x.per_dose, x.days) for x in lines] == [
        ("AMLO5", 30, "1 viên", 30),
        ("METF500", 60, "1 viên", 30),
    ]
    assert prescriptions.last_for_programme(stocked, pid, "diabetes") is not None  # (metformin)


def test_an_administrator_cannot_dispense(stocked: Store, add_patient: Callable[..., Patient], today: dt.date) -> None:
    patient = add_patient("Trần Thị Bình", birth="1950")
    stocked.actor = ADMIN
    with pytest.raises(NotPermitted):
        visits.insert(stocked, visit_of(patient, dt.datetime.combine(today, dt.time(8))), prescription=[amlo()])
