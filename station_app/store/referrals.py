"""The referral book in the database: numbering (next of the year, never reused, safe when two
slips are saved at once), the slip's full data, cancellation, outcome, and the "did they go?"
follow-up item.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from station_app import clock
from station_app.domain.accounts import Permission
from station_app.domain.followup import Kind
from station_app.domain.identifiers import ethnic_groups
from station_app.domain.patient import Patient
from station_app.domain.referral import EarlierTreatment, Referral, load_holidays
from station_app.domain.visit import Visit
from station_app.i18n import N_, translate
from station_app.store import audit, errors, json_cells
from station_app.store.database import Store, now_text
from station_app.store.station import StationProfile

OUTCOMES = ("sent", "arrived", "feedback", "not_gone")
SLIP = N_("The referral slip {number}")
POST_REFERRAL_DAYS = 7


def _json_default(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value))


def to_json(r: Referral) -> str:
    return json.dumps(dataclasses.asdict(r), default=_json_default, ensure_ascii=False)


def from_json(text: object) -> Referral | None:
    """A slip from its kept data; None when the data is damaged (not JSON, or not a slip's)."""
    data: dict[str, Any] | None = json_cells.read(text, dict)
    if not data:
        return None
    try:
        return _slip(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _slip(data: dict[str, Any]) -> Referral:
    hints = {f.name: f.type for f in dataclasses.fields(Referral)}
    for name, value in list(data.items()):
        if name not in hints:
            del data[name]
            continue
        kind = str(hints[name])
        if value is None:
            continue
        if "datetime" in kind:
            data[name] = dt.datetime.fromisoformat(value)
        elif "date" in kind and "datetime" not in kind:
            data[name] = dt.date.fromisoformat(value)
    data["earlier_treatments"] = [
        EarlierTreatment(
            t["place"],
            dt.date.fromisoformat(t["from_date"]) if t.get("from_date") else None,
            dt.date.fromisoformat(t["to_date"]) if t.get("to_date") else None,
        )
        for t in data.get("earlier_treatments", [])
    ]
    return Referral(**data)


def prefill(patient: Patient, visit: Visit | None, profile: StationProfile, today: dt.date) -> Referral:
    """A new slip filled from the patient, the visit and the station profile (all editable)."""
    group = ethnic_groups().get(patient.ethnicity)
    birth_year = patient.birth.year if patient.birth else None
    now = clock.now()
    vitals = []
    if visit is not None:
        if visit.bp_text:
            vitals.append(f"Huyết áp {visit.bp_text} mmHg")
        if visit.pulse:
            vitals.append(f"mạch {visit.pulse} lần/phút")
        if visit.temperature:
            vitals.append(f"nhiệt độ {visit.temperature:g} °C".replace(".", ","))
        if visit.spo2:
            vitals.append(f"SpO2 {visit.spo2}%")
    signs = "; ".join(
        x for x in ((visit.complaint if visit else ""), (visit.examination if visit else ""), ", ".join(vitals)) if x
    )
    return Referral(
        patient_id=patient.id,
        record_no=patient.record_no or "",
        sending_station=profile.name,
        sending_facility_code=profile.facility_code,
        patient_name=patient.full_name,
        sex=patient.sex,
        birth_year=birth_year,
        birth_date=patient.birth.earliest() if patient.birth and patient.birth.is_full else None,
        address=patient.address or ", ".join(x for x in (patient.village, profile.commune, profile.province) if x),
        ethnicity=group.name if group else "",
        nationality=patient.nationality or "Việt Nam",
        occupation=patient.occupation,
        workplace=patient.workplace,
        insurance_no=patient.insurance_no,
        insurance_valid_to=patient.insurance_valid_to,
        insurance_expired=patient.insurance_expired(today),
        insurance_validity_unknown=bool(patient.insurance_no) and patient.insurance_valid_to is None,
        admitted_at=visit.visit_at if visit else None,
        clinical_signs=signs,
        diagnosis=visit.diagnosis_text if visit else "",
        icd_main=visit.diagnosis_code if visit else "",
        icd_extra=[d.code for d in visit.extra_diagnoses] if visit else [],
        treatment=visit.treatment if visit else "",
        transfer_at=now.replace(second=0, microsecond=0),
        clinician_name=visit.clinician_name if visit else "",
        signer_name=profile.head_name,
        signer_title=profile.head_title,
        signed_on=now.date(),
    )


@dataclass(frozen=True)
class BookRow:
    id: int
    number: str
    patient_id: int
    full_name: str
    issued_at: dt.datetime
    to_facility: str
    reason: str
    diagnosis: str
    status: str
    outcome: str
    valid_until: dt.date | None
    printed_count: int


def issue(store: Store, referral: Referral, visit_id: int | None = None) -> Referral:
    """Save a new slip with the next number of its year, in one transaction, and open the
    "did they go?" follow-up item. Two slips saved at the same moment never share a number:
    the number is taken inside the write lock (BEGIN IMMEDIATE) and is UNIQUE in the table."""
    transfer = referral.transfer_at or clock.now()
    year = transfer.year
    for _attempt in range(5):
        try:
            with store.write(Permission.RECORD_VISITS):
                seq = int(store.scalar("SELECT coalesce(max(seq), 0) + 1 FROM referrals WHERE year = ?", (year,)))
                r = dataclasses.replace(
                    referral,
                    seq=seq,
                    year=year,
                    book_no=referral.book_no or str(seq),
                    transfer_at=transfer,
                    status="issued",
                )
                valid = r.valid_until(load_holidays())
                stamp = now_text()
                cursor = store.conn.execute(
                    "INSERT INTO referrals (patient_id, visit_id, year, seq, number, book_no, issued_at, to_facility, "
                    "to_facility_code, diagnosis, icd_main, reason, one_year, valid_until, data, created_at, "
                    "updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        r.patient_id,
                        visit_id,
                        year,
                        seq,
                        r.number,
                        r.book_no,
                        transfer.isoformat(sep=" ", timespec="minutes"),
                        r.receiving_facility,
                        r.receiving_facility_code,
                        r.diagnosis,
                        r.icd_main,
                        r.reason or "",
                        int(bool(r.one_year)),
                        valid.isoformat() if valid else None,
                        "{}",
                        stamp,
                        stamp,
                    ),
                )
                r = dataclasses.replace(r, id=cursor.lastrowid)
                store.conn.execute("UPDATE referrals SET data = ? WHERE id = ?", (to_json(r), r.id))
                if visit_id is not None:
                    store.conn.execute("UPDATE visits SET referred = 1 WHERE id = ?", (visit_id,))
                if r.patient_id is not None:
                    from station_app.store import followups

                    label = translate("Did they go to {facility}?", "vi").format(facility=r.receiving_facility)
                    followups.add_item(
                        store,
                        r.patient_id,
                        Kind.POST_REFERRAL,
                        label[:160],
                        transfer.date() + dt.timedelta(days=POST_REFERRAL_DAYS),
                        f"referral:{r.id}",
                        f"referral:{r.id}",
                        visit_id,
                        transfer.date(),
                    )
                audit.record(store, audit.CREATE, ("referral", r.id), {"number": r.number}, patient_id=r.patient_id)
            return r
        except sqlite3.IntegrityError:
            continue  # another writer took the number between our read and insert: take the next
        except errors.Locked:
            continue
    raise errors.Locked(store.path)


def get(store: Store, referral_id: int) -> Referral | None:
    """The slip as issued (and corrected), with what came of it; ``json_cells.Damaged`` naming the
    slip when its kept data cannot be read (it cannot be opened or printed then)."""
    row = store.conn.execute(
        "SELECT data, status, cancel_reason, cancelled_at, outcome, arrived_on, feedback_on, feedback, patient_id "
        "FROM referrals WHERE id = ?",
        (referral_id,),
    ).fetchone()
    if not row:
        return None
    r = from_json(row[0])
    if r is None:
        raise json_cells.Damaged(SLIP, number=store.scalar("SELECT number FROM referrals WHERE id = ?",
                                                            (referral_id,)))
    return dataclasses.replace(
        r,
        patient_id=row[8],  # (the data keeps the id it was issued to: a merge moves the slip by its column)
        status=row[1],
        cancel_reason=row[2],
        cancelled_at=dt.datetime.fromisoformat(row[3]) if row[3] else None,
        outcome=row[4],
        arrived_on=dt.date.fromisoformat(row[5]) if row[5] else None,
        feedback_on=dt.date.fromisoformat(row[6]) if row[6] else None,
        feedback=row[7],
    )


def for_book(store: Store, referral_id: int) -> Referral | None:
    """The slip as the printed book shows it: :func:`get`, or, when the slip's data is damaged,
    what the book's own columns keep (number, facility, diagnosis, reason, validity, what came of
    it) with the patient as registered now and the clinical signs marked unreadable."""
    try:
        return get(store, referral_id)
    except json_cells.Damaged as damaged:
        unreadable = damaged.text()
    row = store.query(
        "SELECT r.*, p.record_no, p.full_name, p.sex, p.birth_year, p.address, p.insurance_no "
        "FROM referrals r JOIN patients p ON p.id = r.patient_id WHERE r.id = ?", (referral_id,))[0]
    issued = dt.datetime.fromisoformat(str(row["issued_at"]))
    return Referral(
        id=referral_id, patient_id=row["patient_id"], year=row["year"], seq=row["seq"], book_no=str(row["book_no"]),
        record_no=str(row["record_no"]), patient_name=str(row["full_name"]), sex=str(row["sex"]),
        birth_year=row["birth_year"], address=str(row["address"]), insurance_no=str(row["insurance_no"]),
        receiving_facility=str(row["to_facility"]), receiving_facility_code=str(row["to_facility_code"] or ""),
        diagnosis=str(row["diagnosis"]), icd_main=str(row["icd_main"] or ""), reason=row["reason"] or None,
        one_year=bool(row["one_year"]), transfer_at=issued, signed_on=issued.date(), clinical_signs=unreadable,
        status=str(row["status"]), cancel_reason=str(row["cancel_reason"] or ""),
        cancelled_at=dt.datetime.fromisoformat(row["cancelled_at"]) if row["cancelled_at"] else None,
        outcome=str(row["outcome"]), arrived_on=dt.date.fromisoformat(row["arrived_on"]) if row["arrived_on"] else None,
        feedback_on=dt.date.fromisoformat(row["feedback_on"]) if row["feedback_on"] else None,
        feedback=str(row["feedback"] or ""),
    )


def id_of_number(store: Store, number: str) -> int | None:
    """The id of the slip numbered ``number`` ("12/2025/PCCSKBCB"; case and spaces ignored)."""
    found = store.scalar("SELECT id FROM referrals WHERE number = ?", ("".join(number.split()).upper(),))
    return int(found) if found is not None else None


def update_slip(store: Store, referral: Referral, reason: str = "") -> None:
    """Correct the slip's data (its number and book entry stay); the replaced version is kept
    with the reason, the author and the time (``corrections.referral_versions``)."""
    from station_app.store import corrections

    referral_id = referral.id
    assert referral_id is not None
    with store.write(Permission.AMEND_RECORDS):
        # The entry goes in the history of whoever holds the slip now (a merge moves it by its
        # column); its data keeps the record it was issued to, so a merge is no change of the slip.
        owner = store.scalar("SELECT patient_id FROM referrals WHERE id = ?", (referral_id,))
        issued = json_cells.read(store.scalar("SELECT data FROM referrals WHERE id = ?", (referral_id,)), dict)
        referral = dataclasses.replace(referral, patient_id=(issued or {}).get("patient_id", owner))
        version = corrections.keep_referral_version(store, referral_id, json.loads(to_json(referral)), reason)
        if version is None:
            return
        audit.record(store, audit.AMEND, ("referral", referral_id),
                     {"number": referral.number, "version": version, "reason": reason.strip()},
                     patient_id=owner)
        store.conn.execute(
            "UPDATE referrals SET to_facility = ?, diagnosis = ?, icd_main = ?, reason = ?, one_year = ?, data = ?, "
            "updated_at = ? WHERE id = ?",
            (
                referral.receiving_facility,
                referral.diagnosis,
                referral.icd_main,
                referral.reason or "",
                int(bool(referral.one_year)),
                to_json(referral),
                now_text(),
                referral.id,
            ),
        )


def cancel(store: Store, referral_id: int, reason: str) -> None:
    """Cancel a slip: it stays in the book with its number, which is never given again."""
    with store.write(Permission.RECORD_VISITS):
        row = store.conn.execute("SELECT number, patient_id FROM referrals WHERE id = ?", (referral_id,)).fetchone()
        audit.record(store, audit.CANCEL, ("referral", referral_id),
                     {"number": row[0] if row else "", "reason": reason.strip()}, patient_id=row[1] if row else None)
        store.conn.execute(
            "UPDATE referrals SET status = 'cancelled', cancel_reason = ?, cancelled_at = ?, updated_at = ?"
            " WHERE id = ?",
            (reason.strip(), now_text(), now_text(), referral_id),
        )
        _close_followup(store, referral_id, "removed", "other", reason)


def record_outcome(store: Store, referral_id: int, outcome: str, on: dt.date, feedback: str = "") -> None:
    """What came of the referral: arrived, counter-referral received (with its summary), not gone."""
    if outcome not in OUTCOMES:
        raise ValueError(outcome)
    with store.write(Permission.RECORD_VISITS):
        patient_id = store.scalar("SELECT patient_id FROM referrals WHERE id = ?", (referral_id,))
        audit.record(store, audit.UPDATE, ("referral", referral_id), {"outcome": outcome, "on": on.isoformat()},
                     patient_id=patient_id)
        store.conn.execute(
            "UPDATE referrals SET outcome = ?, arrived_on = CASE WHEN ? IN ('arrived', 'feedback') "
            "THEN coalesce(arrived_on, ?) ELSE arrived_on END, feedback_on = CASE WHEN ? = 'feedback' THEN ? "
            "ELSE feedback_on END, feedback = CASE WHEN ? = 'feedback' THEN ? ELSE feedback END, updated_at = ? "
            "WHERE id = ?",
            (
                outcome,
                outcome,
                on.isoformat(),
                outcome,
                on.isoformat(),
                outcome,
                feedback.strip(),
                now_text(),
                referral_id,
            ),
        )
        if outcome in ("arrived", "feedback"):
            _close_followup(store, referral_id, "done", None, feedback)
        elif outcome == "not_gone":
            _close_followup(store, referral_id, "removed", "refused", "")


def _close_followup(store: Store, referral_id: int, kind: str, reason: str | None, note: str) -> None:
    today = clock.today().isoformat()
    # The item belongs to the referral's patient (a merge moves both together): looking among that
    # patient's open items uses their index instead of reading every follow-up of the station.
    for (item_id,) in store.conn.execute(
        "SELECT id FROM followups WHERE patient_id = (SELECT patient_id FROM referrals WHERE id = ?) "
        "AND status = 'open' AND rule = ?",
        (referral_id, f"referral:{referral_id}"),
    ).fetchall():
        store.conn.execute(
            "INSERT INTO followup_outcomes (followup_id, kind, recorded_at, note, reason, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (item_id, kind, today, note[:500], reason, now_text()),
        )
        store.conn.execute(
            "UPDATE followups SET status = ?, closed_on = ? WHERE id = ?",
            ("done" if kind == "done" else "removed", today, item_id),
        )


def mark_printed(store: Store, referral_id: int) -> int:
    """Count a print; returns how many times it was printed before (> 0: this one is a copy)."""
    with store.write(Permission.PRINT):
        before = int(store.scalar("SELECT printed_count FROM referrals WHERE id = ?", (referral_id,)) or 0)
        row = store.conn.execute("SELECT number, patient_id FROM referrals WHERE id = ?", (referral_id,)).fetchone()
        audit.record(store, audit.PRINT, ("referral", referral_id),
                     {"number": row[0] if row else "", "copy": before > 0}, patient_id=row[1] if row else None)
        store.conn.execute("UPDATE referrals SET printed_count = printed_count + 1 WHERE id = ?", (referral_id,))
    return before


def book(store: Store, start: dt.date | None = None, end: dt.date | None = None) -> list[BookRow]:
    """The referral book for a period (all of it without dates), in issue order."""
    clauses, params = [], []
    if start:
        clauses.append("r.issued_at >= ?")
        params.append(start.isoformat())
    if end:
        clauses.append("r.issued_at < ?")
        params.append((end + dt.timedelta(days=1)).isoformat())
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = store.conn.execute(
        "SELECT r.id, r.number, r.patient_id, p.full_name, r.issued_at, r.to_facility, r.reason, r.diagnosis, "
        f"r.status, r.outcome, r.valid_until, r.printed_count FROM referrals r JOIN patients p ON p.id = r.patient_id "
        f"{where} ORDER BY r.issued_at, r.year, r.seq",
        params,
    ).fetchall()
    return [
        BookRow(
            r[0],
            r[1],
            r[2],
            r[3],
            dt.datetime.fromisoformat(r[4]),
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            dt.date.fromisoformat(r[10]) if r[10] else None,
            r[11],
        )
        for r in rows
    ]


def for_patient(store: Store, patient_id: int) -> list[BookRow]:
    return [r for r in book(store) if r.patient_id == patient_id]


def station_for_print(profile: StationProfile) -> dict[str, str]:
    return {
        "name": profile.name,
        "governing_body": profile.governing_body,
        "commune": profile.commune,
        "province": profile.province,
        "facility_code": profile.facility_code,
    }
