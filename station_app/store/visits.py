"""Visits in the database: record one, a patient's history, the visit log for a period."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from station_app.domain.accounts import Permission
from station_app.domain.visit import FIELD_LABELS, ExtraDiagnosis, Visit
from station_app.i18n import N_, translate
from station_app.store import json_cells
from station_app.store.database import Row, Store, now_text
from station_app.store.icd10 import shipped_version

if TYPE_CHECKING:
    from station_app.domain.medicines import PrescriptionLine
    from station_app.store.followups import VisitFeeds

COLUMNS = (
    "id, patient_id, visit_at, complaint, examination, bp_systolic, bp_diastolic, pulse, "
    "temperature, weight, height, spo2, glucose, diagnosis_code, diagnosis_text, extra_diagnoses, "
    "treatment, clinician_id, clinician_name, insurance_paid, follow_up_date, referred, notes, created_at"
)
UNREADABLE = N_("unreadable (damaged in the database file): {text}")
_VALUE_FIELDS = [c.strip() for c in COLUMNS.split(",") if c.strip() not in ("id", "created_at")]


def from_row(row: Row) -> Visit:
    values = dict(row)
    values["visit_at"] = dt.datetime.fromisoformat(str(row["visit_at"]))
    values["created_at"] = dt.datetime.fromisoformat(str(row["created_at"])) if row["created_at"] else None
    values["follow_up_date"] = dt.date.fromisoformat(str(row["follow_up_date"])) if row["follow_up_date"] else None
    values["extra_diagnoses"] = extra_diagnoses(row["extra_diagnoses"])
    values["insurance_paid"] = bool(row["insurance_paid"])
    values["referred"] = bool(row["referred"])
    return Visit(**values)


def read_extra_diagnoses(cell: object) -> list[ExtraDiagnosis] | None:
    """A visit's other diagnoses as kept; None when the cell is damaged (not a list of objects)."""
    found = json_cells.read(cell, list)
    if found is None or not all(isinstance(d, dict) for d in found):
        return None
    return [ExtraDiagnosis(str(d.get("code") or ""), str(d.get("text") or "")) for d in found]


def extra_diagnoses(cell: object) -> list[ExtraDiagnosis]:
    """A visit's other diagnoses as kept; a damaged cell is one diagnosis without a code that shows
    the cell's text (the rest of the visit reads; a correction of the visit writes it anew)."""
    found = read_extra_diagnoses(cell)
    if found is None:
        return [ExtraDiagnosis("", translate(UNREADABLE).format(text=str(cell)[:200]))]
    return found


def to_values(v: Visit) -> dict[str, object]:
    values = {name: getattr(v, name) for name in _VALUE_FIELDS}
    values["visit_at"] = v.visit_at.isoformat(sep=" ", timespec="minutes")
    values["follow_up_date"] = v.follow_up_date.isoformat() if v.follow_up_date else None
    values["extra_diagnoses"] = json.dumps(
        [{"code": d.code, "text": d.text} for d in v.extra_diagnoses], ensure_ascii=False
    )
    values["insurance_paid"] = int(v.insurance_paid)
    values["referred"] = int(v.referred)
    return values


def insert(store: Store, visit: Visit, feeds: VisitFeeds | None = None,
           prescription: Sequence[PrescriptionLine] = ()) -> Visit:
    """Record a visit in one transaction with what it changes in the follow-ups and programmes
    (items it closes, the next ones it schedules) and its prescription (lines saved and dispensed
    from the stock; a chronic programme's refill falls due when the medicine runs out, replacing
    the programme's open refill reminder); returns it with its id. Nothing is saved when any
    part is refused (a visit dated after the patient's recorded death is)."""
    from station_app.store import audit, followups, lifespan, notifications, prescriptions

    feeds = feeds or followups.VisitFeeds()
    refill = None
    if prescription:
        store.require(Permission.DISPENSE)
        refill = prescriptions.refill_for(store, visit, prescription)
        if refill:
            feeds = replace(feeds, refill_days=min(refill.days, 90), refill_on=refill.due,
                            refill_programme=refill.programme)
    values = to_values(visit)
    stamp = now_text()
    values.update(
        created_at=stamp,
        updated_at=stamp,
        icd10_version=shipped_version(),
        refill_days=feeds.refill_days,
        antenatal=int(feeds.antenatal),
        tetanus=int(feeds.tetanus),
    )
    names = ", ".join(values)
    marks = ", ".join(f":{k}" for k in values)
    with store.write(Permission.RECORD_VISITS):
        lifespan.refuse(lifespan.after_death(store, visit.patient_id, visit.visit_at.date(), "visit_at", "visit"),
                        FIELD_LABELS)
        cursor = store.conn.execute(f"INSERT INTO visits ({names}) VALUES ({marks})", values)
        saved = replace(visit, id=cursor.lastrowid, created_at=dt.datetime.fromisoformat(stamp))
        followups.after_visit(store, saved, feeds)
        if prescription:
            prescriptions.record(store, saved, prescription)
            if refill:
                prescriptions.replace_open_refills(store, saved, refill.programme)
        notifications.after_visit(store, saved)
        audit.record(store, audit.CREATE, ("visit", saved.id),
                     {"visit_at": values["visit_at"], "diagnosis": visit.diagnosis_code}, patient_id=visit.patient_id)
    return saved


def get(store: Store, visit_id: int) -> Visit | None:
    rows = store.query(f"SELECT {COLUMNS} FROM visits WHERE id = ?", (visit_id,))
    return from_row(rows[0]) if rows else None


def for_patient(store: Store, patient_id: int) -> list[Visit]:
    rows = store.query(
        f"SELECT {COLUMNS} FROM visits WHERE patient_id = ? ORDER BY visit_at DESC, id DESC", (patient_id,)
    )
    return [from_row(r) for r in rows]


@dataclass(frozen=True)
class LogFilter:
    start: dt.date
    end: dt.date  # inclusive
    diagnosis: str = ""  # ICD-10 code prefix ("I10", "E11")
    clinician: str = ""
    insurance: bool | None = None


def _log_where(f: LogFilter) -> tuple[str, list[object]]:
    clauses = ["v.visit_at >= ?", "v.visit_at < ?"]
    params: list[object] = [f.start.isoformat(), (f.end + dt.timedelta(days=1)).isoformat()]
    if f.diagnosis:
        clauses.append("v.diagnosis_code LIKE ?")
        params.append(f.diagnosis.strip().upper() + "%")
    if f.clinician:
        clauses.append("v.clinician_name = ?")
        params.append(f.clinician)
    if f.insurance is not None:
        clauses.append("v.insurance_paid = ?")
        params.append(int(f.insurance))
    return " AND ".join(clauses), params


def log_ids(store: Store, f: LogFilter) -> list[int]:
    where, params = _log_where(f)
    return [
        r[0] for r in store.conn.execute(f"SELECT v.id FROM visits v WHERE {where} ORDER BY v.visit_at, v.id", params)
    ]


@dataclass(frozen=True)
class LogTotals:
    visits: int
    patients: int
    insured: int
    referred: int


def log_totals(store: Store, f: LogFilter) -> LogTotals:
    where, params = _log_where(f)
    row = store.conn.execute(
        f"SELECT count(*), count(DISTINCT patient_id), coalesce(sum(insurance_paid), 0), "
        f"coalesce(sum(referred), 0) FROM visits v WHERE {where}",
        params,
    ).fetchone()
    return LogTotals(*row)


def log_rows(store: Store, ids: list[int]) -> dict[int, Row]:
    """Visit-book rows (visit joined with its patient) for the given visit ids."""
    found: dict[int, Row] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = store.query(
            "SELECT v.id, v.patient_id, v.visit_at, v.complaint, v.diagnosis_code, v.diagnosis_text, "
            "v.treatment, v.clinician_name, v.insurance_paid, v.referred, v.notes, v.bp_systolic, "
            "v.bp_diastolic, p.record_no, p.full_name, p.sex, p.birth_year, p.birth_month, p.birth_day, "
            "p.birth_estimated, p.citizen_id, p.insurance_no, p.address, p.village, p.ethnicity, "
            f"p.occupation FROM visits v JOIN patients p ON p.id = v.patient_id WHERE v.id IN ({marks})",
            chunk,
        )
        for row in rows:
            found[row["id"]] = row
    return found


def count_on(store: Store, day: dt.date) -> int:
    return int(
        store.scalar(
            "SELECT count(*) FROM visits WHERE visit_at >= ? AND visit_at < ?",
            (day.isoformat(), (day + dt.timedelta(days=1)).isoformat()),
        )
    )


def recent_patient_ids(store: Store, limit: int = 10) -> list[int]:
    """The last patients seen, most recent first."""
    rows = store.conn.execute(
        "SELECT patient_id FROM visits WHERE visit_at <= ? ORDER BY visit_at DESC LIMIT ?",
        (now_text(), limit * 20),
    )
    return list(dict.fromkeys(r[0] for r in rows))[:limit]


def clinicians(store: Store) -> list[str]:
    return [
        r[0]
        for r in store.conn.execute("SELECT DISTINCT clinician_name FROM visits WHERE clinician_name <> '' ORDER BY 1")
    ]


__all__ = [
    "LogFilter",
    "LogTotals",
    "count_on",
    "for_patient",
    "from_row",
    "get",
    "insert",
    "log_ids",
    "log_rows",
    "log_totals",
    "now_text",
]
