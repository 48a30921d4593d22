"""The rows of the station's books A2.1, A2.2, A3, A4 and A6, read from the records (no second
entry): vaccine doses, tetanus and antenatal visits, deliveries and births, deaths.

Each row is a dict of the book's column keys (``resources/data/books.json``) to a value: text, a
number, or a date (the printer formats dates; a page total of kind ``count_period`` counts the
dates within the printed period). Reading a book needs the right to see records.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from station_app.domain import antenatal, births, indicators
from station_app.domain.accounts import Permission
from station_app.domain.dates import PartialDate
from station_app.domain.identifiers import SEX_CODES, ethnic_groups
from station_app.i18n import tr
from station_app.store.database import Store

Row = dict[str, Any]
A21_SERIES = {"bcg", "dpt_vgb_hib", "opv", "ipv", "measles", "hepb0", "dpt_booster", "mr"}


def _date(text: object) -> dt.date | None:
    return dt.date.fromisoformat(str(text)[:10]) if text else None


def _birth(row: dict[str, Any]) -> PartialDate | None:
    if not row["birth_year"]:
        return None
    return PartialDate(int(row["birth_year"]), row["birth_month"], row["birth_day"])


def _birth_date(row: dict[str, Any]) -> dt.date | None:
    b = _birth(row)
    return dt.date(b.year, b.month, b.day) if b and b.month and b.day else None


def _age(row: dict[str, Any], on: dt.date) -> str:
    b = _birth(row)
    age = b.age_on(on) if b else None
    return "" if age is None else str(age)


def _sex(code: object) -> str:
    return tr(SEX_CODES.get(str(code), ""))


def _ethnic(code: object) -> str:
    group = ethnic_groups().get(str(code))
    return group.name if group else str(code or "")


_PEOPLE = ("p.id AS pid, p.full_name, p.sex, p.birth_year, p.birth_month, p.birth_day, p.village, p.address, "
           "p.ethnicity, p.guardian_name")


def _range(start: dt.date, end: dt.date) -> tuple[str, str]:
    return start.isoformat(), (end + dt.timedelta(days=1)).isoformat()


# -- A2.1 children's immunisation -------------------------------------------------------------------
def immunisation_children(store: Store, start: dt.date, end: dt.date) -> list[Row]:
    store.require(Permission.VIEW_RECORDS)
    lo, hi = _range(start, end)
    marks = ",".join("?" * len(A21_SERIES))
    ids = {r[0] for r in store.conn.execute(
        f"SELECT DISTINCT patient_id FROM vaccine_doses WHERE given_on >= ? AND given_on < ? AND series IN ({marks})",
        (lo, hi, *sorted(A21_SERIES)))}
    ids |= {r[0] for r in store.conn.execute(
        "SELECT e.patient_id FROM enrolments e JOIN patients p ON p.id = e.patient_id WHERE e.programme = "
        "'vaccination' AND printf('%04d-%02d-%02d', p.birth_year, coalesce(p.birth_month, 1), "
        "coalesce(p.birth_day, 1)) BETWEEN ? AND ?", (start.isoformat(), end.isoformat()))}
    if not ids:
        return []
    people = {r["pid"]: r for r in store.query(
        f"SELECT {_PEOPLE} FROM patients p WHERE p.id IN ({','.join('?' * len(ids))}) AND p.merged_into IS NULL",
        sorted(ids))}
    doses: dict[int, dict[tuple[str, int], tuple[dt.date, str | None]]] = defaultdict(dict)
    for pid, series, dose, given_on, given_at in store.conn.execute(
        f"SELECT patient_id, series, dose, given_on, given_at FROM vaccine_doses WHERE patient_id IN "
        f"({','.join('?' * len(ids))}) ORDER BY given_on", sorted(ids)):
        doses[pid].setdefault((series, dose), (dt.date.fromisoformat(given_on), given_at))
    born_at = {child: dt.datetime.fromisoformat(at) for child, at in store.conn.execute(
        f"SELECT b.child_id, d.delivered_at FROM births b JOIN deliveries d ON d.id = b.delivery_id "
        f"WHERE b.child_id IN ({','.join('?' * len(ids))})", sorted(ids))}
    required = indicators.load().fully_immunised
    rows = []
    for pid, person in people.items():
        given = doses.get(pid, {})
        row: Row = {"name": person["full_name"], "sex": _sex(person["sex"]), "birth": _birth(person),
                    "guardian": person["guardian_name"], "village": person["village"], "notes": "",
                    "address": person["village"] or person["address"]}  # the commune is the station's own
        # the paper book writes the date of birth under "Nam" or "Nữ"; sex unknown: in the notes
        column = {"1": "birth_male", "2": "birth_female"}.get(str(person["sex"]))
        if column:
            row[column] = row["birth"]
        elif row["birth"]:
            row["notes"] = row["birth"].display()
        birth = _birth_date(person)
        if ("hepb0", 1) in given:
            day, at = given[("hepb0", 1)]
            if pid in born_at and at:
                on_time = births.hepb_within_24h(born_at[pid], dt.datetime.fromisoformat(at))
            else:
                on_time = birth is not None and 0 <= (day - birth).days <= 1
            row["hepb0_24h" if on_time else "hepb0_late"] = day
        for (series, number), (day, _at) in given.items():
            key = f"{series}:{number}" if series != "bcg" else "bcg"
            row.setdefault(key, day)
        wanted = [(s, n) for s, count in required.items() for n in range(1, count + 1)]
        if birth and all(w in given for w in wanted):
            last = max(given[w][0] for w in wanted)
            if last < dt.date(birth.year + 1, birth.month, min(birth.day, 28)):
                row["full"] = last
        row["_sort"] = (birth or dt.date.max, person["full_name"])
        rows.append(row)
    return sorted(rows, key=lambda r: r.pop("_sort"))


# -- A2.2 tetanus vaccination of women ---------------------------------------------------------------
def tetanus_women(store: Store, start: dt.date, end: dt.date) -> list[Row]:
    store.require(Permission.VIEW_RECORDS)
    lo, hi = _range(start, end)
    people = store.query(
        f"SELECT {_PEOPLE}, min(v.visit_at) AS first FROM visits v JOIN patients p ON p.id = v.patient_id "
        "WHERE v.tetanus = 1 AND v.visit_at >= ? AND v.visit_at < ? GROUP BY p.id ORDER BY first", (lo, hi))
    rows = []
    for person in people:
        days = [_date(r[0]) for r in store.conn.execute(
            "SELECT visit_at FROM visits WHERE patient_id = ? AND tetanus = 1 ORDER BY visit_at", (person["pid"],))]
        row: Row = {"name": person["full_name"], "birth": str(person["birth_year"] or ""),
                    "village": person["village"], "address": person["address"], "pregnant": "x", "notes": ""}
        for number, day in enumerate(days[:5], start=1):
            row[f"tt:{number}"] = day
        rows.append(row)
    return rows


# -- A3 antenatal care -----------------------------------------------------------------------------
def antenatal_visits(store: Store, start: dt.date, end: dt.date) -> list[Row]:
    store.require(Permission.VIEW_RECORDS)
    lo, hi = _range(start, end)
    visits = store.query(
        f"SELECT {_PEOPLE}, v.id AS vid, v.visit_at, v.weight, v.bp_systolic, v.bp_diastolic, v.tetanus, "
        "v.diagnosis_code, v.diagnosis_text, v.clinician_name, v.notes FROM visits v "
        "JOIN patients p ON p.id = v.patient_id WHERE v.antenatal = 1 AND v.visit_at >= ? AND v.visit_at < ? "
        "ORDER BY v.visit_at, v.id", (lo, hi))
    rows = []
    for v in visits:
        day = _date(v["visit_at"])
        assert day is not None
        pregnancy = store.conn.execute(
            "SELECT enrolled_on, lmp, edd FROM enrolments WHERE patient_id = ? AND programme = 'antenatal' "
            "AND enrolled_on <= ? AND (closed_on IS NULL OR closed_on >= ?) ORDER BY enrolled_on DESC LIMIT 1",
            (v["pid"], day.isoformat(), day.isoformat())).fetchone()
        row: Row = {"date": day, "name": v["full_name"], "age": _age(v, day), "village": v["village"],
                    "weight": f"{v['weight']:g}" if v["weight"] else "",
                    "bp": f"{v['bp_systolic']}/{v['bp_diastolic']}" if v["bp_systolic"] else "",
                    "tetanus": "x" if v["tetanus"] else "",
                    "diagnosis": " ".join(x for x in (v["diagnosis_code"], v["diagnosis_text"]) if x),
                    "clinician": v["clinician_name"], "notes": v["notes"]}
        if pregnancy and pregnancy[2]:
            p = antenatal.Pregnancy(_date(pregnancy[0]), _date(pregnancy[2]), _date(pregnancy[1]))  # type: ignore[arg-type]
            row.update(lmp=p.lmp or p.dating_lmp, edd=p.edd, weeks=str(p.gestational_age(day).weeks))
            row["contact"] = str(store.scalar(
                "SELECT count(*) FROM visits WHERE patient_id = ? AND antenatal = 1 AND visit_at >= ? "
                "AND (visit_at < ? OR (visit_at = ? AND id <= ?))",
                (v["pid"], p.dating_lmp.isoformat(), v["visit_at"], v["visit_at"], v["vid"])))
        rows.append(row)
    return rows


# -- A4 deliveries ---------------------------------------------------------------------------------
def deliveries(store: Store, start: dt.date, end: dt.date) -> list[Row]:
    store.require(Permission.VIEW_RECORDS)
    lo, hi = _range(start, end)
    found = store.query(
        f"SELECT {_PEOPLE}, d.id AS did, d.delivered_at, d.place, d.place_name, d.attendant, d.attendant_kind, "
        "d.notes, b.outcome, b.sex AS baby_sex, b.weight_grams, b.child_id FROM deliveries d "
        "JOIN births b ON b.delivery_id = d.id JOIN patients p ON p.id = d.mother_id "
        "WHERE d.delivered_at >= ? AND d.delivered_at < ? ORDER BY d.delivered_at, d.id, b.id", (lo, hi))
    rows = []
    for r in found:
        at = dt.datetime.fromisoformat(r["delivered_at"])
        since = (at.date() - dt.timedelta(days=300)).isoformat()
        anc = store.scalar("SELECT count(*) FROM visits WHERE patient_id = ? AND antenatal = 1 AND visit_at >= ? "
                           "AND visit_at < ?", (r["pid"], since, r["delivered_at"]))
        hepb = store.scalar("SELECT coalesce(given_at, given_on) FROM vaccine_doses WHERE patient_id = ? "
                            "AND series = 'hepb0' ORDER BY given_on LIMIT 1", (r["child_id"] or 0,))
        on_time = bool(hepb) and births.hepb_within_24h(at, dt.datetime.fromisoformat(str(hepb)))
        place = births.place_title(r["place"])
        if r["place_name"]:
            place = r["place_name"] if r["place"] == "facility" else f"{place} ({r['place_name']})"
        kind = births.ATTENDANT_TITLES.get(births.Attendant(r["attendant_kind"])) \
            if r["attendant_kind"] in set(births.Attendant) else None
        weight = r["weight_grams"]
        rows.append({
            "name": r["full_name"], "age": _age(r, at.date()), "ethnicity": _ethnic(r["ethnicity"]),
            "village": r["village"], "anc": str(anc or 0), "at": at, "place": place,
            "attendant": ", ".join(x for x in (r["attendant"], tr(kind) if kind else "") if x),
            "outcome": tr(births.OUTCOME_TITLES[births.Outcome(r["outcome"])]), "sex": _sex(r["baby_sex"]),
            "weight": str(weight or ""), "low_weight": "x" if weight and weight < births.LOW_BIRTH_WEIGHT else "",
            "hepb_24h": "x" if on_time else "", "notes": r["notes"],
        })
    return rows


# -- A6 deaths -------------------------------------------------------------------------------------
def deaths(store: Store, start: dt.date, end: dt.date) -> list[Row]:
    """Deaths recorded with place and cause, and patients marked deceased in the period without
    them (a death learnt on a follow-up call): cause left to complete."""
    store.require(Permission.VIEW_RECORDS)
    found = store.query(
        f"SELECT {_PEOPLE}, coalesce(d.died_on, p.deceased_date) AS died_on, d.place, d.place_name, d.cause_code, "
        "d.cause_text FROM patients p LEFT JOIN deaths d ON d.patient_id = p.id "
        "WHERE coalesce(d.died_on, p.deceased_date) BETWEEN ? AND ? AND p.merged_into IS NULL "
        "ORDER BY 11, p.sort_key", (start.isoformat(), end.isoformat()))
    rows = []
    for r in found:
        day = _date(r["died_on"])
        assert day is not None
        place = births.place_title(r["place"]) if r["place"] else ""
        if r["place_name"]:
            place = f"{place} ({r['place_name']})" if place else r["place_name"]
        rows.append({"name": r["full_name"], "age": _age(r, day), "sex": _sex(r["sex"]),
                     "ethnicity": _ethnic(r["ethnicity"]), "village": r["village"], "date": day, "place": place,
                     "cause": r["cause_text"] or "", "code": r["cause_code"] or "", "notes": ""})
    return rows


READERS = {"A2.1": immunisation_children, "A2.2": tetanus_women, "A3": antenatal_visits, "A4": deliveries,
           "A6": deaths}


def rows(store: Store, book: str, start: dt.date, end: dt.date) -> list[Row]:
    return READERS[book](store, start, end)
