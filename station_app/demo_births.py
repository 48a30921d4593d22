"""Births for the demo station, made after its patients, visits and follow-ups through the store's
own functions (``store.births``), so the rules apply as in the app: each delivery closes the mother's
pregnancy, registers the baby and gives it its schedule and birth doses. (The deaths are made with
the people's history, in ``demo`` and ``demo_followups``.)

The rate of a Vietnamese commune over the past year: about 15 births per 1,000 people, each mother
followed in pregnancy, then delivered, mostly at a facility with the birth doses given there.
Deterministic for a seed and a "today".
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from station_app import clock
from station_app.domain.births import Attendant, Baby, Delivery, Outcome, Place
from station_app.store import births, followups
from station_app.store.database import Store

BIRTHS_PER_1000 = 15.0
BIRTH_FACILITIES = ("Trung tâm Y tế khu vực Tân Sơn", "Bệnh viện Sản Nhi tỉnh Phú Thọ")
MIDWIVES = ("Nguyễn Thị Hằng", "Đỗ Thị Thu", "Phạm Văn Long")


@dataclass(frozen=True)
class PlannedDelivery:
    at: dt.datetime
    lmp: dt.date
    enrolled: dt.date
    place: Place
    place_name: str
    attendant: str
    attendant_kind: Attendant
    babies: tuple[Baby, ...]


@dataclass(frozen=True)
class Plan:
    """The past year's deliveries, drawn before the people are made so that the babies are part
    of the number of patients asked for (``demo --patients N`` gives N records)."""

    deliveries: tuple[PlannedDelivery, ...]

    @property
    def babies(self) -> int:
        return sum(1 for d in self.deliveries for b in d.babies if b.outcome is Outcome.LIVE)


def plan(seed: int, people: int, now: dt.datetime) -> Plan:
    """About 15 births per 1,000 people a year, on days spread over the past year."""
    rng = random.Random(seed * 13 + 5)
    today = now.date()
    planned = []
    for _ in range(round(people * BIRTHS_PER_1000 / 1000)):
        day = today - dt.timedelta(days=rng.randint(1, 365))
        at = dt.datetime.combine(day, dt.time(rng.randint(0, 23), rng.choice((0, 10, 20, 30, 40, 50))))
        lmp = day - dt.timedelta(days=rng.randint(266, 290))
        enrolled = lmp + dt.timedelta(days=rng.randint(56, 90))
        roll = rng.random()
        if roll < 0.70:
            place, name, kind = Place.FACILITY, rng.choice(BIRTH_FACILITIES), Attendant.HEALTH_STAFF
        elif roll < 0.92:
            place, name, kind = Place.STATION, "", Attendant.HEALTH_STAFF
        else:
            place, name, kind = Place.HOME, "", Attendant.OTHER
        babies = [_baby(rng, at, place, now)]
        if rng.random() < 0.012:  # twins
            babies.append(_baby(rng, at, place, now))
        attendant = rng.choice(MIDWIVES) if kind is Attendant.HEALTH_STAFF else "Mẹ chồng"
        planned.append(PlannedDelivery(at, lmp, enrolled, place, name, attendant, kind, tuple(babies)))
    if people - sum(1 for d in planned for b in d.babies if b.outcome is Outcome.LIVE) < 10 * len(planned):
        return Plan(())  # (a tiny demo: no room for mothers)
    return Plan(tuple(planned))


def add_births(store: Store, seed: int, today: dt.date, planned: Plan) -> int:
    """Record the planned deliveries; returns how many."""
    return _deliveries(store, random.Random(seed * 17 + 11), today, planned)


def _deliveries(store: Store, rng: random.Random, today: dt.date, planned: Plan) -> int:
    """Each to a woman of 19 to 40 not pregnant now, followed in pregnancy from about the tenth week.
    (Too few such women, in a tiny demo: fewer deliveries.)"""
    women = [r[0] for r in store.conn.execute(
        "SELECT id FROM patients p WHERE sex = '2' AND deceased_date IS NULL AND birth_year BETWEEN ? AND ? "
        "AND NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.patient_id = p.id AND e.programme = 'antenatal') "
        "ORDER BY id",
        (today.year - 40, today.year - 19),
    )]
    mothers = rng.sample(women, min(len(planned.deliveries), len(women)))
    now = clock.now()
    for mother_id, d in zip(mothers, planned.deliveries, strict=False):
        with clock.pinned(dt.datetime.combine(d.enrolled, dt.time(9, 0))):
            followups.enrol(store, mother_id, "antenatal", d.enrolled, lmp=d.lmp)
        entered = max([d.at, *(t for b in d.babies for t in (b.hepb_at, b.bcg_at) if t is not None)])
        with clock.pinned(min(entered + dt.timedelta(hours=1), now)):
            births.record_delivery(store, Delivery(mother_id, d.at, d.place, d.place_name, d.attendant,
                                                   d.attendant_kind, d.babies))
    return min(len(mothers), len(planned.deliveries))


def _baby(rng: random.Random, at: dt.datetime, place: Place, now: dt.datetime) -> Baby:
    weight = max(1200, min(4800, int(rng.gauss(3100, 420)) // 10 * 10))
    sex = "1" if rng.random() < 0.53 else "2"  # (the birth sex ratio of Vietnam)
    if rng.random() < 0.005:
        return Baby(sex, weight, outcome=Outcome.STILLBIRTH)
    if place is Place.HOME:  # a home birth: the doses at the station later (the schedule lists them)
        return Baby(sex, weight)
    hepb = at + dt.timedelta(minutes=rng.randint(30, 20 * 60)) if rng.random() < 0.9 else None
    bcg = at + dt.timedelta(hours=rng.randint(2, 40)) if place is Place.FACILITY and rng.random() < 0.8 else None
    return Baby(sex, weight, hepb_at=hepb if hepb and hepb < now else None, bcg_at=bcg if bcg and bcg < now else None)
