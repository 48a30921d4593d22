"""Births for the demo station, made after its patients and visits through the store's own
functions (``store.births``), so the rules apply as in the app: each delivery closes the mother's
pregnancy, registers the baby and gives it its schedule and birth doses.

The rate of a Vietnamese commune: about 15 births per 1,000 people a year, over the whole of the
records, so every child born since the records began is the baby of a delivery in the book (A4)
and the yearly target population of immunisation matches the births. Each mother is followed in
pregnancy (most from the first trimester, four visits or more in the three trimesters, tetanus
doses), most deliver at a facility with the birth doses given there, and most are seen in the
week after. A few babies die in their first year (about 12 per 1,000 born alive). The babies'
own visits and, in ``demo_followups``, their vaccinations follow. Deterministic for a seed and a
"today".
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from station_app import clock
from station_app.domain import code_lists
from station_app.domain.accounts import ANYONE
from station_app.domain.births import Attendant, Baby, Delivery, Outcome, Place
from station_app.store import births, followups
from station_app.store.bulk import insert_rows
from station_app.store.database import Store


class _Draw(Protocol):
    """What the births take from the demo's draw of people and visits (``demo._Draw``)."""

    visit_columns: tuple[str, ...]
    stamp: str
    today: int
    history_start: int
    now_time: str
    clinicians: list[tuple[int | None, str]]
    moved: dict[int, dt.date]

    def _visits(self, visits: list[tuple[object, ...]], pid: int, age: float, sex: str, birth: int, first_day: int,
                span: int, insured_until: int) -> None: ...

BIRTHS_PER_1000 = 15.0
RECORD_YEARS = 3  # (as the demo's records: the births of all of them)
BIRTH_FACILITIES = ("Trung tâm Y tế khu vực Tân Sơn", "Bệnh viện Sản Nhi tỉnh Phú Thọ")
MIDWIVES = {  # (each birth facility's own)
    BIRTH_FACILITIES[0]: ("Nguyễn Thị Hằng", "Đỗ Thị Thu"),
    BIRTH_FACILITIES[1]: ("Phạm Thị Lan", "Hoàng Thị Bích", "Trần Thị Ngọc"),
}
CHILD_OCCUPATION = "Trẻ em"  # (as the register writes a young child's)
STATION_MIDWIFE, STATION_DOCTOR = "Lê Thị Hồng", "Nguyễn Văn Hùng"  # (the demo station's staff)
# Babies born alive who die before their first birthday (per 1,000), most of them in the first week.
INFANT_DEATHS_PER_1000 = 12.0
# A mother's age at delivery: how likely a woman of that age is to be the one (relative).
MOTHER_AGES = ((18, 0.3), (20, 0.8), (25, 1.0), (30, 0.7), (35, 0.3), (40, 0.05), (43, 0.0))


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
    # Per baby, the day of life it dies on (None: it lives).
    dies_on_day: tuple[int | None, ...] = ()


@dataclass(frozen=True)
class Plan:
    """The deliveries of the years of records, drawn before the people are made so that the
    babies are part of the number of patients asked for (``demo --patients N`` gives N records)."""

    deliveries: tuple[PlannedDelivery, ...]

    @property
    def babies(self) -> int:
        return sum(1 for d in self.deliveries for b in d.babies if b.outcome is Outcome.LIVE)


def plan(seed: int, people: int, now: dt.datetime, name_of: Callable[[random.Random, str], str]) -> Plan:
    """About 15 births per 1,000 people a year, on days spread over the years of records; the
    babies named with ``name_of(rng, sex)``, but for the last weeks' (named later)."""
    rng = random.Random(seed * 13 + 5)
    today = now.date()
    planned = []
    count = round(people * BIRTHS_PER_1000 / 1000 * RECORD_YEARS)
    span = 365 * RECORD_YEARS - 1
    for n in range(count):  # (spread evenly: about as many each year, each month)
        day = today - dt.timedelta(days=1 + int((n + rng.random()) * span / count))
        at = dt.datetime.combine(day, dt.time(rng.randint(0, 23), rng.choice((0, 10, 20, 30, 40, 50))))
        lmp = day - dt.timedelta(days=rng.randint(266, 290))
        # Most come in the first trimester; some only in the second.
        enrolled = lmp + dt.timedelta(days=rng.randint(49, 90) if rng.random() < 0.88 else rng.randint(100, 170))
        roll = rng.random()
        if roll < 0.86:
            place, name, kind = Place.FACILITY, rng.choice(BIRTH_FACILITIES), Attendant.HEALTH_STAFF
        elif roll < 0.97:
            place, name, kind = Place.STATION, "", Attendant.HEALTH_STAFF
        else:
            place, name, kind = Place.HOME, "", Attendant.OTHER
        babies = [_baby(rng, at, place, now, name_of)]
        if rng.random() < 0.012:  # twins
            babies.append(_baby(rng, at, place, now, name_of))
        dies = tuple(_infant_death(rng, b) for b in babies)
        if place is Place.STATION:  # the station's midwife, or its doctor
            attendant = rng.choice((STATION_MIDWIFE, STATION_MIDWIFE, STATION_DOCTOR))
        else:
            attendant = rng.choice(MIDWIVES[name]) if kind is Attendant.HEALTH_STAFF else "Mẹ chồng"
        planned.append(PlannedDelivery(at, lmp, enrolled, place, name, attendant, kind, tuple(babies), dies))
    planned.sort(key=lambda d: d.at)
    if people - sum(1 for d in planned for b in d.babies if b.outcome is Outcome.LIVE) < 10 * len(planned):
        return Plan(())  # (a tiny demo: no room for mothers)
    return Plan(tuple(planned))


def _infant_death(rng: random.Random, baby: Baby) -> int | None:
    if baby.outcome is not Outcome.LIVE:
        return None
    small = baby.weight_grams is not None and baby.weight_grams < 2500
    if rng.random() >= INFANT_DEATHS_PER_1000 / 1000 * (4 if small else 0.85):
        return None
    roll = rng.random()
    return rng.randint(0, 6) if roll < 0.5 else rng.randint(7, 27) if roll < 0.7 else rng.randint(28, 364)


def add_births(store: Store, seed: int, today: dt.date, planned: Plan, draw: _Draw) -> int:
    """Record the planned deliveries with the mothers' antenatal and postnatal visits, the babies'
    deaths and visits; returns the number of visits added."""
    rng = random.Random(seed * 17 + 11)
    made = _deliveries(store, rng, planned, set(draw.moved))
    with store.write(ANYONE):  # invented rows of a demo file being built
        cards = _cards(store, rng, made)
        return _mothers_visits(store, rng, made, draw) + _babies(store, today, made, draw, cards)


@dataclass(frozen=True)
class _Made:
    mother_id: int
    planned: PlannedDelivery
    children: tuple[tuple[int, str, int | None], ...]  # (child id, sex, day of life it dies on)


def _mothers(store: Store, rng: random.Random, planned: Plan, moved: set[int]) -> list[int | None]:
    """A mother for each delivery: a woman living in the commune, of an age to have a baby on that
    day (most often in her twenties), not pregnant now, one delivery each."""
    women = [
        (pid, dt.date(y, m or 7, d or 1))
        for pid, y, m, d in store.conn.execute(
            "SELECT id, birth_year, birth_month, birth_day FROM patients p WHERE sex = '2' AND deceased_date IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.patient_id = p.id AND v.diagnosis_code = 'Z34.9') "
            "ORDER BY id"
        )
        if pid not in moved
    ]
    used: set[int] = set()
    chosen: list[int | None] = []
    for d in planned.deliveries:
        found = None
        for _try in range(400):
            pid, birth = women[int(rng.random() * len(women))] if women else (0, d.at.date())
            if pid in used or not women:
                continue
            age = (d.at.date() - birth).days / 365.25
            weight = next((w for lowest, w in reversed(MOTHER_AGES) if age >= lowest), 0.0)
            if rng.random() < weight:
                found = pid
                break
        if found is not None:
            used.add(found)
        chosen.append(found)
    return chosen


def _deliveries(store: Store, rng: random.Random, planned: Plan, moved: set[int]) -> list[_Made]:
    """Each to a woman followed in pregnancy from her first visit (too few women, in a tiny demo:
    fewer deliveries)."""
    mothers = _mothers(store, rng, planned, moved)
    now = clock.now()
    made = []
    for mother_id, d in zip(mothers, planned.deliveries, strict=True):
        if mother_id is None:
            continue
        with clock.pinned(dt.datetime.combine(d.enrolled, dt.time(9, 0))):
            followups.enrol(store, mother_id, "antenatal", d.enrolled, lmp=d.lmp)
        entered = max([d.at, *(t for b in d.babies for t in (b.hepb_at, b.bcg_at) if t is not None)])
        with clock.pinned(min(entered + dt.timedelta(hours=1), now)):
            saved = births.record_delivery(store, Delivery(mother_id, d.at, d.place, d.place_name, d.attendant,
                                                           d.attendant_kind, d.babies))
        children = tuple((b.child_id, b.sex, dies) for b, dies in zip(saved.babies, d.dies_on_day, strict=True)
                         if b.child_id is not None)
        made.append(_Made(mother_id, d, children))
    return made


# Weeks of pregnancy of the antenatal visits after the first (a visit is kept 9 times in 10).
ANC_WEEKS = ((16, 22), (24, 28), (30, 33), (35, 38))


def _mothers_visits(store: Store, rng: random.Random, made: list[_Made], draw: _Draw) -> int:
    """The antenatal visits of each pregnancy (the first on the day of enrolment, then about one a
    trimester and more in the third, some missed; tetanus at two of them for most first-protected
    women, one for the others, none for a few already protected) and a postnatal visit in the
    first week for most mothers."""
    names = dict(store.conn.execute("SELECT code, name_vi FROM icd10 WHERE code IN ('Z34.9', 'Z39.2')").fetchall())
    cards = {
        pid: (number, valid_to)
        for pid, number, valid_to in store.conn.execute(
            "SELECT id, insurance_no, insurance_valid_to FROM patients WHERE id IN (SELECT mother_id FROM deliveries)"
        )
    }
    rows: list[tuple[object, ...]] = []
    history_start = dt.date.fromordinal(draw.history_start)
    for m in made:
        d = m.planned
        delivered = d.at.date()
        days = [d.enrolled]
        for low, high in ANC_WEEKS:
            day = d.lmp + dt.timedelta(days=7 * rng.randint(low, high) + rng.randint(0, 6))
            if d.enrolled < day < delivered and rng.random() < 0.9:
                days.append(day)
        if rng.random() < 0.05:  # came once or twice only
            days = days[: rng.randint(1, 2)]
        tetanus_roll = rng.random()
        tetanus_at = {1, 2} if tetanus_roll < 0.55 else {1} if tetanus_roll < 0.9 else set()
        number, valid_to = cards.get(m.mother_id, ("", None))
        base_weight = 45 + rng.random() * 12
        for n, day in enumerate(days):
            if day < history_start or day > delivered:
                continue
            week = (day - d.lmp).days // 7
            systolic = int(108 + 10 * rng.gauss(0, 1))
            diastolic = int(systolic * 0.62 + 5 * rng.gauss(0, 1))
            rows.append(_visit_row(
                draw, rng, m.mother_id, day, "Khám thai định kỳ", (systolic, diastolic),
                round(base_weight + max(0, week - 12) * 0.4, 1), "Z34.9", names.get("Z34.9", "Z34.9"),
                "Viên sắt - acid folic x 30 viên", number, valid_to, antenatal=1, tetanus=int(n in tetanus_at)))
        if rng.random() < (0.85 if d.place is Place.STATION else 0.7):
            day = delivered + dt.timedelta(days=rng.randint(1, 7))
            if day <= dt.date.fromordinal(draw.today):
                rows.append(_visit_row(
                    draw, rng, m.mother_id, day, "Khám sau sinh", (112, 72), round(base_weight + 4, 1), "Z39.2",
                    names.get("Z39.2", "Z39.2"), "Tư vấn nuôi con bằng sữa mẹ, vệ sinh sau sinh", number, valid_to))
    rows.sort(key=lambda r: str(r[1]))
    insert_rows(store, "visits", (*draw.visit_columns, "tetanus"), rows)
    return len(rows)


def _visit_row(draw: _Draw, rng: random.Random, pid: int, day: dt.date, complaint: str, bp: tuple[int, int],
               weight: float, code: str, text: str, treatment: str, card: str, valid_to: str | None,
               antenatal: int = 0, tetanus: int = 0) -> tuple[object, ...]:
    clinician_id, clinician_name = draw.clinicians[int(rng.random() * len(draw.clinicians))]
    at = f"{day.isoformat()} {7 + rng.randint(0, 3):02d}:{rng.randint(0, 59):02d}"
    if day.toordinal() == draw.today:
        at = min(at, f"{day.isoformat()} {draw.now_time}")
    insured = int(bool(card) and valid_to is not None and day.isoformat() <= valid_to)
    return (pid, at, complaint, bp[0], bp[1], 70 + rng.randint(0, 20), round(36.4 + rng.random() * 0.6, 1), weight,
            None, code, text, treatment, clinician_id, clinician_name, insured, None, 0, None, antenatal,
            draw.stamp, draw.stamp, tetanus)


def _cards(store: Store, rng: random.Random, made: list[_Made]) -> dict[int, int]:
    """Each baby's children's health insurance card (TE, valid from birth to the sixth birthday),
    as the family brings it, and its occupation as the register writes a young child's; returns
    the last day of each card (an ordinal) by child."""
    from station_app.store.patients import index_words

    ids = [child_id for m in made for child_id, _sex, _dies in m.children]
    listed = code_lists.occupation_for(CHILD_OCCUPATION)
    child_code = listed.code if listed else ""
    last: dict[int, int] = {}
    rows, words = [], []
    for pid, name, record_no, citizen_id, phone, guardian_phone, year, month, day in store.conn.execute(
        f"SELECT id, full_name, record_no, citizen_id, phone, guardian_phone, birth_year, birth_month, birth_day "
        f"FROM patients WHERE id IN ({','.join(map(str, ids)) or 'NULL'})"
    ).fetchall():
        born = dt.date(year, month, day)
        until = (dt.date(year + 6, month, 28 if (month, day) == (2, 29) else day) - dt.timedelta(days=1))
        number = f"TE125{25 * 10**8 + int(rng.random() * 10**8):010d}"
        rows.append((number, born.isoformat(), until.isoformat(), pid))
        words.append((pid, index_words(name, record_no, citizen_id, number, (phone, guardian_phone))))
        last[pid] = until.toordinal()
    store.conn.executemany(
        "UPDATE patients SET insurance_no = ?, insurance_valid_from = ?, insurance_valid_to = ?, "
        "insurance_facility = '25123', occupation = ?, occupation_code = ? WHERE id = ?",
        [(*row[:-1], CHILD_OCCUPATION, child_code, row[-1]) for row in rows],
    )
    store.conn.executemany("DELETE FROM patient_search WHERE rowid = ?", [(pid,) for pid, _w in words])
    store.conn.executemany("INSERT INTO patient_search (rowid, words) VALUES (?, ?)", words)
    return last


def _babies(store: Store, today: dt.date, made: list[_Made], draw: _Draw, cards: dict[int, int]) -> int:
    """The babies who die in their first year (marked deceased on that day, their death recorded
    with the others'), and every baby's visits up to today or that day."""
    rows: list[tuple[object, ...]] = []
    dead: list[tuple[str, int]] = []
    for m in made:
        born = m.planned.at.date()
        for child_id, sex, dies in m.children:
            last = today.toordinal()
            if dies is not None and born.toordinal() + dies < today.toordinal():
                last = born.toordinal() + dies
                dead.append((dt.date.fromordinal(last).isoformat(), child_id))
            age = (today - born).days / 365.25
            if last > born.toordinal():
                draw._visits(rows, child_id, age, sex, born.toordinal(), born.toordinal(), last - born.toordinal(),
                             cards.get(child_id, -1))
    store.conn.executemany("UPDATE patients SET deceased = 1, deceased_date = ? WHERE id = ?", dead)
    insert_rows(store, "visits", draw.visit_columns, rows)
    return len(rows)


def _baby(rng: random.Random, at: dt.datetime, place: Place, now: dt.datetime,
          name_of: Callable[[random.Random, str], str]) -> Baby:
    weight = max(1200, min(4800, int(rng.gauss(3100, 420)) // 10 * 10))
    sex = "1" if rng.random() < 0.53 else "2"  # (the birth sex ratio of Vietnam)
    if rng.random() < 0.005:
        return Baby(sex, weight, outcome=Outcome.STILLBIRTH)
    # Named when the delivery is recorded, except the last weeks' babies (named later).
    name = name_of(rng, sex) if now - at > dt.timedelta(days=21) else ""
    if place is Place.HOME:  # a home birth: the doses at the station later (the schedule lists them)
        return Baby(sex, weight, name=name)
    hepb = at + dt.timedelta(minutes=rng.randint(30, 20 * 60)) if rng.random() < 0.9 else None
    bcg = at + dt.timedelta(hours=rng.randint(2, 40)) if place is Place.FACILITY and rng.random() < 0.8 else None
    return Baby(sex, weight, name=name, hepb_at=hepb if hepb and hepb < now else None,
                bcg_at=bcg if bcg and bcg < now else None)
