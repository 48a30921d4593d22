"""Saving a station's history (``domain.history_import``): each row's patient found in the
registry, then every row in ONE transaction — all of it, or nothing.

A row names its patient by record number, citizen ID, insurance number, or full name with date
of birth; a row that matches no patient, or more than one, is an error naming its row. A row
already held (the same dose of the same child; a visit of the same patient at the same minute
with the same diagnosis) is skipped, so importing a file twice adds nothing.

Vaccine doses count for the schedule wherever they were given, and the child is enrolled in the
vaccination programme (whatever their age within the schedule), so the doses still missing appear
on the work list. Visits are saved as the visit form saves them (``visits.insert``), in date
order: they close and schedule follow-ups and enrol in programmes as a visit entered by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from station_app import clock
from station_app.domain.accounts import Permission
from station_app.domain.dates import PartialDate
from station_app.domain.history_import import HistoryPreview, HistoryRow, PatientRef
from station_app.domain.problems import Problem
from station_app.domain.text import fold
from station_app.i18n import N_
from station_app.store import audit, followups, lifespan, visits
from station_app.store.bulk_import import ImportRefused
from station_app.store.database import Store, now_text


@dataclass
class HistoryOutcome:
    added: int = 0  # doses or visits saved
    already: list[int] = field(default_factory=list)  # rows already held (skipped)
    patients: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class _Person:
    id: int
    label: str  # "name (record no.)"
    birth: PartialDate | None


class _Registry:
    """The registry's patients by each way a row may name them (read once for the file)."""

    def __init__(self, store: Store) -> None:
        self.by_record: dict[str, list[_Person]] = {}
        self.by_citizen: dict[str, list[_Person]] = {}
        self.by_insurance: dict[str, list[_Person]] = {}
        self.by_name: dict[str, list[_Person]] = {}
        for pid, record_no, name, citizen, insurance, year, month, day in store.conn.execute(
            "SELECT id, record_no, full_name, citizen_id, insurance_no, birth_year, birth_month, birth_day "
            "FROM patients WHERE merged_into IS NULL"
        ):
            birth = PartialDate(year, month, day if month else None) if year else None
            person = _Person(pid, f"{name} ({record_no})", birth)
            self.by_record.setdefault(record_no, []).append(person)
            if citizen:
                self.by_citizen.setdefault(citizen, []).append(person)
            if insurance:
                self.by_insurance.setdefault("".join(insurance.split()).upper(), []).append(person)
            self.by_name.setdefault(_name_key(name), []).append(person)

    def find(self, ref: PatientRef) -> tuple[_Person | None, Problem | None]:
        """The one patient ``ref`` names, or the problem (none, several, or identifiers that
        name different patients)."""
        named: dict[int, _Person] = {}
        for value, table, message in (
            (ref.record_no, self.by_record, N_("No registered patient has the record number {value}.")),
            (ref.citizen_id, self.by_citizen, N_("No registered patient has the citizen ID {value}.")),
            (ref.insurance_no, self.by_insurance, N_("No registered patient has the insurance number {value}.")),
        ):
            if not value:
                continue
            found = table.get(value, [])
            if not found:
                return None, Problem("patient", message, params={"value": value})
            if len(found) > 1:
                return None, _several(found)
            named[found[0].id] = found[0]
        if not named:
            found = [p for p in self.by_name.get(_name_key(ref.full_name), []) if _same_birth(p.birth, ref.birth)]
            if not found:
                return None, Problem("patient", N_("No registered patient is called {name} born {birth}."),
                                     params={"name": ref.full_name, "birth": ref.birth.display() if ref.birth else ""})
            if len(found) > 1:
                return None, _several(found)
            named[found[0].id] = found[0]
        if len(named) > 1:
            return None, Problem("patient", N_("The row's identifiers name different patients: {others}."),
                                 params={"others": "; ".join(p.label for p in named.values())})
        return next(iter(named.values())), None


def _several(found: list[_Person]) -> Problem:
    return Problem("patient", N_("The row matches several patients ({others}): give the record number."),
                   params={"others": "; ".join(p.label for p in found[:5])})


def _name_key(name: str) -> str:
    return " ".join(fold(name).split())


def _same_birth(held: PartialDate | None, written: PartialDate | None) -> bool:
    """The birth date written matches the one held, as far as both are known."""
    if held is None or written is None:
        return False
    if held.year != written.year:
        return False
    if held.month and written.month and held.month != written.month:
        return False
    return not (held.day and written.day and held.day != written.day)


def find_patients(store: Store, preview: HistoryPreview) -> dict[int, int]:
    """``{row number: patient id}`` for the rows whose patient is found; a row that names no
    patient or several gets the problem (an error naming its row), as does a dose or a visit
    dated before the patient's birth or after their recorded death. Run for the preview, and again
    by ``apply`` inside its write (a problem found both times is listed once)."""
    registry = _Registry(store)
    found: dict[int, int] = {}
    for row in preview.rows:
        if not row.patient.named:
            continue
        person, problem = registry.find(row.patient)
        if problem is not None:
            _add_problems(row, [problem])
            continue
        assert person is not None
        found[row.number] = person.id
        day = row.given_on or (row.visit.visit_at.date() if row.visit else None)
        if person.birth and day and day < person.birth.earliest():
            _add_problems(row, [Problem("date" if row.given_on else "visit_at",
                                        N_("The date is before the patient's date of birth ({birth})."),
                                        params={"birth": person.birth.display()})])
        if day:
            _add_problems(row, lifespan.after_death(store, person.id, day, "date" if row.given_on else "visit_at",
                                                    "dose" if row.given_on else "visit"))
    return found


def _add_problems(row: HistoryRow, problems: list[Problem]) -> None:
    row.problems += [p for p in problems if p not in row.problems]


def _require(store: Store) -> None:
    """Importing records of care: the right to import and to record visits (the head of station)."""
    store.require(Permission.IMPORT)
    store.require(Permission.RECORD_VISITS)


def apply(store: Store, preview: HistoryPreview, source: str = "",
          progress: Callable[[int, int], None] | None = None) -> HistoryOutcome:
    """Save every row in one transaction; refused (nothing saved) when any row is wrong. Each row's
    patient, and the patient's death, are found again inside the write (``store.lifespan``): a death
    or a merge saved since the preview was checked refuses the rows it concerns."""
    _require(store)
    outcome = HistoryOutcome()
    with store.write(Permission.RECORD_VISITS):  # (and IMPORT, checked by _require)
        patients = find_patients(store, preview)
        if preview.invalid:
            raise ImportRefused(
                N_("{rows} rows are invalid: nothing was imported. Correct them and import the file again."),
                rows=len(preview.invalid),
            )
        if preview.what == "vaccinations":
            _save_doses(store, preview.rows, patients, outcome, progress)
        else:
            _save_visits(store, preview.rows, patients, outcome, progress)
        audit.record(store, audit.IMPORT, preview.what, {
            "file": source, "what": preview.what, "imported": outcome.added, "skipped": len(outcome.already),
            "patients": len(outcome.patients),
        })
    followups.clear_cache(store)
    return outcome


def _save_doses(store: Store, rows: list[HistoryRow], patients: dict[int, int], outcome: HistoryOutcome,
                progress: Callable[[int, int], None] | None) -> None:
    held = {
        (pid, series, dose)
        for pid, series, dose in store.conn.execute("SELECT patient_id, series, dose FROM vaccine_doses")
    }
    station = followups.vi("this station")
    first: dict[int, dt.date] = {}
    ordered = sorted(rows, key=lambda r: (r.given_on or dt.date.min, r.number))
    for index, row in enumerate(ordered, start=1):
        pid = patients[row.number]
        assert row.dose is not None and row.given_on is not None
        series, dose = row.dose
        if (pid, series, dose) in held:
            outcome.already.append(row.number)
            continue
        held.add((pid, series, dose))
        store.conn.execute(
            "INSERT INTO vaccine_doses (patient_id, series, dose, given_on, place, from_booklet, created_at) "
            "VALUES (?, ?, ?, ?, ?, 0, ?)",
            (pid, series, dose, row.given_on.isoformat(), station if row.at_station else row.place, now_text()),
        )
        outcome.added += 1
        outcome.patients.add(pid)
        first[pid] = min(first.get(pid, row.given_on), row.given_on)
        if progress and index % 200 == 0:
            progress(index, len(ordered))
    today = clock.today()
    for pid, since in first.items():
        # In the programme whatever the child's age within the schedule; the next dose of each
        # series, and the ones still missing, become the child's open items.
        followups.enrol(store, pid, "vaccination", since)
        followups.sync_vaccination(store, pid, today)


def _save_visits(store: Store, rows: list[HistoryRow], patients: dict[int, int], outcome: HistoryOutcome,
                 progress: Callable[[int, int], None] | None) -> None:
    held = {
        (pid, at[:16], code)
        for pid, at, code in store.conn.execute("SELECT patient_id, visit_at, diagnosis_code FROM visits")
    }
    ordered = sorted(rows, key=lambda r: (r.visit.visit_at if r.visit else dt.datetime.min, r.number))
    for index, row in enumerate(ordered, start=1):
        pid = patients[row.number]
        assert row.visit is not None
        visit = replace(row.visit, patient_id=pid)
        stamp = (pid, visit.visit_at.isoformat(sep=" ", timespec="minutes"), visit.diagnosis_code)
        if stamp in held:
            outcome.already.append(row.number)
            continue
        held.add(stamp)
        visits.insert(store, visit, followups.VisitFeeds())
        outcome.added += 1
        outcome.patients.add(pid)
        if progress and index % 200 == 0:
            progress(index, len(ordered))
