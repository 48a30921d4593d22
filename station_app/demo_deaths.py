"""Deaths, notifications and the yearly targets of the demo station, made once its people, visits
and follow-ups are in.

- The death book (A6): each death's cause by age and sex as in a rural Vietnamese commune
  (strokes, heart disease, cancers of the liver, lung and stomach, chronic lung disease, diabetes;
  road traffic and drowning among the young; old age for the oldest; a few infections), a stroke
  or heart disease more often for people treated for hypertension; where they died (most at home,
  injuries on the way or at hospital).
- Notifications of communicable diseases (TT 15/2026): every visit or death with a listed disease
  has its notification, as the visit form and the death entry make it, sent within hours except
  the last day's.
- The head's target population of immunisation for each year of records: the commune's people on
  1 January times its birth rate.

Deterministic for a seed and a "today".
"""

from __future__ import annotations

import datetime as dt
import random

from station_app import clock
from station_app.domain import notifiable
from station_app.domain.accounts import ANYONE
from station_app.domain.births import Place
from station_app.domain.visit import Visit
from station_app.store import epi_targets, notifications
from station_app.store.database import Store
from station_app.store.station import load_profile

# (code, weight, sex: "" both, "1" men, "2" women) by age at death.
NEONATAL = (("P07.3", 35, ""), ("P21.9", 25, ""), ("P36.9", 20, ""), ("Q24.9", 20, ""))
INFANT = (("J18.9", 35, ""), ("Q24.9", 25, ""), ("A09", 10, ""), ("P36.9", 10, ""), ("W80", 10, ""),
          ("W74", 10, ""))
CHILD = (("W69", 30, ""), ("W74", 10, ""), ("V89.2", 20, ""), ("W19", 8, ""), ("J18.9", 10, ""),
         ("C95.9", 10, ""), ("Q24.9", 7, ""), ("W87", 5, ""))
YOUNG = (("V29.9", 26, "1"), ("V89.2", 10, ""), ("W69", 5, ""), ("W19", 6, "1"), ("W87", 4, "1"),
         ("X70", 6, ""), ("X68", 3, ""), ("C22.9", 7, ""), ("C16.9", 3, ""), ("C53.9", 3, "2"), ("I21.9", 5, ""),
         ("I61", 5, ""), ("A16.2", 4, ""), ("B20", 3, ""), ("K74.6", 3, "1"), ("R99", 5, ""))
MIDDLE = (("C22.9", 12, ""), ("C34.9", 9, ""), ("C16.9", 6, ""), ("C15.9", 3, "1"), ("C18.9", 3, ""),
          ("C50.9", 4, "2"), ("C53.9", 3, "2"), ("I64", 10, ""), ("I61", 6, ""), ("I21.9", 7, ""),
          ("V29.9", 7, "1"), ("V89.2", 3, ""), ("K70.3", 5, "1"), ("K74.6", 3, ""), ("E11.7", 3, ""),
          ("A16.2", 3, ""), ("J44.9", 2, ""), ("W19", 3, ""), ("X70", 2, ""), ("N18.5", 2, ""), ("R99", 3, ""))
OLDER = (("I64", 16, ""), ("I61", 6, ""), ("I63.9", 4, ""), ("I21.9", 8, ""), ("I25.9", 4, ""),
         ("C22.9", 8, ""), ("C34.9", 8, ""), ("C16.9", 4, ""), ("C18.9", 2, ""), ("C15.9", 2, "1"),
         ("J44.9", 8, ""), ("E11.7", 5, ""), ("J18.9", 4, ""), ("N18.5", 3, ""), ("I11.9", 3, ""),
         ("K74.6", 3, ""), ("A16.2", 2, ""), ("V89.2", 2, ""), ("W19", 2, ""), ("R99", 3, ""))
OLD = (("R54", 22, ""), ("I64", 16, ""), ("I61", 3, ""), ("I21.9", 6, ""), ("I50.9", 6, ""), ("I25.9", 4, ""),
       ("J44.9", 10, ""), ("J18.9", 7, ""), ("C34.9", 4, ""), ("C22.9", 4, ""), ("C16.9", 3, ""),
       ("E11.7", 4, ""), ("N18.5", 3, ""), ("W19", 3, ""), ("R99", 3, ""), ("A16.2", 1, ""))
# A person treated for hypertension or diabetes dies of it (or its stroke) more often.
HYPERTENSION = (("I64", 45, ""), ("I61", 15, ""), ("I63.9", 10, ""), ("I11.9", 10, ""), ("I21.9", 12, ""),
                ("I50.9", 8, ""))
DIABETES = (("E11.7", 45, ""), ("E11.2", 15, ""), ("I64", 25, ""), ("I21.9", 15, ""))
HOSPITALS = ("Bệnh viện Đa khoa tỉnh Phú Thọ", "Trung tâm Y tế khu vực Tân Sơn", "Bệnh viện Sản Nhi tỉnh Phú Thọ")


def _table(age_days: int) -> tuple[tuple[str, int, str], ...]:
    years = age_days / 365.25
    if age_days < 28:
        return NEONATAL
    if years < 1:
        return INFANT
    for lowest, table in ((75, OLD), (60, OLDER), (40, MIDDLE), (15, YOUNG)):
        if years >= lowest:
            return table
    return CHILD


def _pick(rng: random.Random, table: tuple[tuple[str, int, str], ...], sex: str) -> str:
    allowed = [(code, weight) for code, weight, only in table if not only or only == sex]
    roll = rng.random() * sum(w for _c, w in allowed)
    for code, weight in allowed:
        roll -= weight
        if roll < 0:
            return code
    return allowed[-1][0]


def _place(rng: random.Random, code: str, age_days: int) -> tuple[Place, str]:
    roll = rng.random()
    if code[0] in "VWX":  # an injury: on the spot, or at the hospital it was taken to
        return (Place.OTHER, "") if roll < 0.55 else (Place.FACILITY, HOSPITALS[0]) if roll < 0.9 else (Place.HOME, "")
    if age_days < 28:
        if roll < 0.75:
            return Place.FACILITY, HOSPITALS[2]
        return (Place.HOME, "") if roll < 0.95 else (Place.STATION, "")
    if roll < 0.64:
        return Place.HOME, ""  # (most are brought home to die)
    if roll < 0.98:
        return Place.FACILITY, HOSPITALS[0] if roll < 0.85 else HOSPITALS[1]
    return Place.STATION, ""


def add_death_records(store: Store, stamp: str) -> None:
    """The death book's entry of each person marked deceased: cause (ICD-10) and place."""
    conn = store.conn
    rng = random.Random(int(conn.execute("SELECT count(*) FROM patients WHERE deceased = 1").fetchone()[0]))
    names = dict(conn.execute("SELECT code, name_vi FROM icd10").fetchall())
    rows = []
    for pid, sex, year, month, day, died, hypertension, diabetes in conn.execute(
        "SELECT p.id, p.sex, p.birth_year, coalesce(p.birth_month, 7), coalesce(p.birth_day, 1), p.deceased_date, "
        "EXISTS (SELECT 1 FROM enrolments e WHERE e.patient_id = p.id AND e.programme = 'hypertension'), "
        "EXISTS (SELECT 1 FROM enrolments e WHERE e.patient_id = p.id AND e.programme = 'diabetes') "
        "FROM patients p WHERE p.deceased = 1 AND p.deceased_date IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM deaths d WHERE d.patient_id = p.id) ORDER BY p.id"
    ).fetchall():
        age_days = (dt.date.fromisoformat(died) - dt.date(year, month, day)).days
        table = _table(age_days)
        if hypertension and rng.random() < 0.5:
            table = HYPERTENSION
        elif diabetes and rng.random() < 0.45:
            table = DIABETES
        code = _pick(rng, table, sex)
        place, place_name = _place(rng, code, age_days)
        rows.append((pid, died, str(place), place_name, code, names.get(code, ""), stamp, stamp))
    conn.executemany(
        "INSERT INTO deaths (patient_id, died_on, place, place_name, cause_code, cause_text, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def add_notifications(store: Store, seed: int, now: dt.datetime) -> int:
    """The notification of each visit and death of a listed communicable disease, made as the app
    makes them; all but those of the last day reported a few hours later. Returns how many."""
    rng = random.Random(seed * 29 + 1)
    conn = store.conn
    head = load_profile(store).head_name
    made: list[int] = []
    with store.write(ANYONE):  # invented rows of a demo file being built
        codes = [code for (code,) in conn.execute("SELECT DISTINCT diagnosis_code FROM visits").fetchall()
                 if code and any(notifiable.match(code, day) for day in _list_days(now.date()))]
        for vid, pid, at, code in conn.execute(
            f"SELECT id, patient_id, visit_at, diagnosis_code FROM visits WHERE diagnosis_code IN "
            f"({','.join('?' * len(codes)) or 'NULL'}) ORDER BY visit_at",
            codes,
        ).fetchall():
            visit = Visit(patient_id=pid, visit_at=dt.datetime.fromisoformat(at), id=vid, diagnosis_code=code)
            made += notifications.after_visit(store, visit)
        for death_id, pid, code, died in conn.execute(
            "SELECT id, patient_id, cause_code, died_on FROM deaths ORDER BY died_on"
        ).fetchall():
            day = dt.date.fromisoformat(died)
            with clock.pinned(dt.datetime.combine(min(day + dt.timedelta(days=1), now.date()), dt.time(9, 0))):
                found = notifications.after_death(store, pid, death_id, code, day)
            if found:
                made.append(found)
        sent = []
        for nid, detected in conn.execute(
            f"SELECT id, detected_at FROM notifications WHERE id IN ({','.join(map(str, made)) or 'NULL'})"
        ).fetchall():
            at = dt.datetime.fromisoformat(detected) + dt.timedelta(minutes=rng.randint(30, 8 * 60))
            if at < now - dt.timedelta(hours=20):
                sent.append((at.isoformat(sep=" ", timespec="minutes"), head, nid))
        conn.executemany(
            "UPDATE notifications SET status = 'sent', sent_at = ?, sent_by = ?, "
            "sent_note = 'Đã báo cáo trên hệ thống giám sát bệnh truyền nhiễm' WHERE id = ?",
            sent,
        )
    return len(made)


def _list_days(today: dt.date) -> list[dt.date]:
    """A day of each list of notifiable diseases valid during the records."""
    start = today - dt.timedelta(days=3 * 365)
    return [max(start, found.valid_from) for found in notifiable.lists()
            if found.valid_from <= today and (found.valid_to is None or found.valid_to >= start)]


def add_targets(store: Store, today: dt.date, per_1000: float = 16.0) -> None:
    """The target populations the head enters each year of records: children under 1 = the
    commune's people on 1 January times the birth rate; pregnant women a few more."""
    first = (today - dt.timedelta(days=3 * 365)).year
    for year in range(first, today.year + 1):
        jan1 = f"{year:04d}-01-01"
        people = int(store.scalar(
            "SELECT count(*) FROM patients WHERE printf('%04d-%02d-%02d', birth_year, coalesce(birth_month, 1), "
            "coalesce(birth_day, 1)) < ? AND (deceased_date IS NULL OR deceased_date >= ?) AND merged_into IS NULL",
            (jan1, jan1)) or 0)
        infants = round(people * per_1000 / 1000)
        if infants:
            epi_targets.save_targets(store, year, {"u1": infants, "pregnant": round(infants * 1.05)})
