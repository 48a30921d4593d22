"""Saving births and deaths read from a spreadsheet (``domain.vital_import``): each row's mother
or patient found in the registry, then every row in ONE transaction — all of it, or nothing.

A birth is saved as the form saves it (``births.record_delivery``: the baby registered, enrolled,
its birth doses counted); rows of one mother at one time of birth are one delivery. A death as
``births.record_death`` (follow-ups and programmes closed). A delivery or death already recorded
(the same mother at the same minute; the same patient) is skipped, so a file imported twice adds
nothing. The import itself is audited besides each record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from station_app import clock
from station_app.domain import births as domain
from station_app.domain.accounts import Permission
from station_app.domain.history_import import PatientRef
from station_app.domain.problems import Problem
from station_app.domain.text import fold
from station_app.domain.vital_import import VitalRow, person_problems
from station_app.i18n import N_
from station_app.store import audit, births, lifespan, patients
from station_app.store.database import Store


@dataclass
class VitalOutcome:
    added: int = 0  # deliveries or deaths saved
    babies: int = 0
    already: list[int] = field(default_factory=list)  # rows already recorded (skipped)


def _find(store: Store, ref: PatientRef) -> tuple[int | None, Problem | None]:
    for column, value in (("record_no", ref.record_no), ("citizen_id", ref.citizen_id),
                          ("insurance_no", ref.insurance_no)):
        if value:
            ids = [r[0] for r in store.conn.execute(
                f"SELECT id FROM patients WHERE {column} = ? AND merged_into IS NULL", (value,))]
            if len(ids) == 1:
                return ids[0], None
            if ids:
                return None, Problem(column, N_("More than one patient has {value}: use the record number."),
                                     params={"value": value})
            return None, Problem(column, N_("No registered patient has {value}."), params={"value": value})
    if ref.full_name and ref.birth:
        wanted = " ".join(fold(ref.full_name).split())
        ids = [r[0] for r in store.conn.execute(
            "SELECT id FROM patients WHERE name_folded = ? AND birth_year = ? AND merged_into IS NULL",
            (wanted, ref.birth.year))]
        if len(ids) == 1:
            return ids[0], None
        message = N_("More than one patient is {value}: use the record number.") if ids else N_(
            "No registered patient is {value}.")
        return None, Problem("full_name", message, params={"value": ref.describe()})
    return None, None


def find_people(store: Store, rows: list[VitalRow]) -> dict[int, int]:
    """Row number → the patient (the mother, for a birth); a row whose person is not found, is
    not a woman for a birth, was born after the row's date, or whose date is on the wrong side of
    a death (a birth after the mother's, a death before the person's last visit), gets the
    problem."""
    found: dict[int, int] = {}
    now = clock.now()
    for row in rows:
        ref = row.mother or row.person
        if ref is None or not ref.named:
            continue
        pid, problem = _find(store, ref)
        if problem is not None:
            row.errors.append(problem)
        elif pid is not None:
            if row.mother is not None and store.scalar("SELECT sex FROM patients WHERE id = ?", (pid,)) != "2":
                row.errors.append(Problem("mother_record_no", N_("{value} is not recorded as a woman."),
                                          params={"value": ref.describe()}))
            else:
                person = patients.get(store, pid)
                birth = person.birth.earliest() if person is not None and person.birth is not None else None
                row.errors += person_problems(row, birth, now)
                if row.born_at is not None:
                    row.errors += lifespan.after_death(store, pid, row.born_at.date(), "born_at", "delivery")
                if row.death is not None and births.death_of(store, pid) is None:
                    row.errors += lifespan.death_before_care(store, pid, row.death.died_on)
                found[row.number] = pid
    _check_deliveries(store, rows, found)
    return found


def _check_deliveries(store: Store, rows: list[VitalRow], mothers: dict[int, int]) -> None:
    """Rows of one mother at one time are one delivery (twins); one at another time within
    ``MIN_DELIVERY_INTERVAL`` of a delivery recorded, or of an earlier row's, is a mistake (a twin
    given its own time, a wrong date) and gets the problem."""
    times: dict[int, list[dt.datetime]] = {}
    for row in rows:
        mother = mothers.get(row.number)
        if row.mother is None or mother is None or row.born_at is None:
            continue
        at = row.born_at.replace(second=0, microsecond=0)
        if store.scalar("SELECT 1 FROM deliveries WHERE mother_id = ? AND delivered_at = ?",
                        (mother, at.isoformat(sep=" ", timespec="minutes"))):
            continue  # recorded already: skipped when saved
        seen = times.setdefault(mother, [])
        near = [t for t in seen if t != at and abs(t - at) < domain.MIN_DELIVERY_INTERVAL]
        recorded = births.delivery_near(store, mother, at)
        if recorded is not None:
            near.append(recorded)
        if near:
            row.errors.append(Problem("born_at", N_(
                "The mother has a delivery on {date}: twins are one delivery at one time (the same date and time "
                "on each baby's row)."), params={"date": min(near, key=lambda t: abs(t - at)).strftime(
                    "%d/%m/%Y %H:%M")}))
        elif at not in seen:
            seen.append(at)


def apply(store: Store, what: str, rows: list[VitalRow], people: dict[int, int], source: str = "") -> VitalOutcome:
    """Save every row in one transaction (refused rows must have been reported first)."""
    store.require(Permission.IMPORT)
    store.require(Permission.RECORD_VISITS)  # (what is imported are records of care)
    outcome = VitalOutcome()
    with store.write(Permission.IMPORT):
        if what == "births":
            groups: dict[tuple[int, dt.datetime], list[VitalRow]] = {}
            for row in rows:
                assert row.born_at is not None and row.baby is not None
                groups.setdefault((people[row.number], row.born_at), []).append(row)
            for (mother, born_at), members in groups.items():
                if store.scalar("SELECT 1 FROM deliveries WHERE mother_id = ? AND delivered_at = ?",
                                (mother, born_at.isoformat(sep=" ", timespec="minutes"))):
                    outcome.already += [r.number for r in members]
                    continue
                first = members[0]
                kind = domain.Attendant.HEALTH_STAFF if first.place is not domain.Place.HOME else domain.Attendant.OTHER
                births.record_delivery(store, domain.Delivery(
                    mother, born_at, first.place, first.place_name, first.attendant, kind,
                    tuple(r.baby for r in members if r.baby is not None)))
                outcome.added += 1
                outcome.babies += len(members)
        else:
            for row in rows:
                assert row.death is not None
                pid = people[row.number]
                if births.death_of(store, pid) is not None:
                    outcome.already.append(row.number)
                    continue
                births.record_death(store, domain.Death(pid, row.death.died_on, row.death.place,
                                                        row.death.place_name, cause_code=row.death.cause_code))
                outcome.added += 1
        audit.record(store, audit.IMPORT, what, {"file": source, "added": outcome.added,
                                                 "skipped": len(outcome.already)})
    return outcome
