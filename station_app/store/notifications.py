"""Notifications of communicable diseases (TT 15/2026/TT-BYT Đ10): a visit whose diagnosis, or a
death whose cause, is a disease of the dated list (``domain.notifiable``) creates a notification
due within the disease's hours (24); it stays on Hôm nay until someone marks it sent.

Created inside the visit's (or death's) own transaction, so a saved visit always has its
notification. Marking one sent is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from station_app import clock
from station_app.domain import notifiable
from station_app.domain.accounts import Permission
from station_app.domain.visit import Visit
from station_app.i18n import N_
from station_app.store import audit
from station_app.store.database import Store, now_text
from station_app.store.errors import StoreError

OPEN = "open"
SENT = "sent"
OVERDUE = "overdue"  # shown, not stored: open and past its due time
STATUS_TITLES = {OPEN: N_("To send"), OVERDUE: N_("Overdue"), SENT: N_("Reported")}


class NotificationMissing(StoreError):
    message = N_("There is no notification {id}.")

    def __init__(self, **params: object) -> None:
        super().__init__("", "", **params)


@dataclass(frozen=True)
class Notification:
    id: int
    patient_id: int
    full_name: str
    source: str  # visit, death
    source_id: int
    disease: str
    disease_name: str
    group: str
    code: str
    list_version: str
    detected_at: dt.datetime
    due_by: dt.datetime
    stored_status: str
    sent_at: dt.datetime | None
    sent_by: str
    sent_note: str

    def status(self, now: dt.datetime | None = None) -> str:
        if self.stored_status == SENT:
            return SENT
        return OVERDUE if (now or clock.now()) > self.due_by else OPEN


def _minutes(at: dt.datetime) -> str:
    return at.isoformat(sep=" ", timespec="minutes")


def _create(store: Store, patient_id: int, source: str, source_id: int, code: str, detected_at: dt.datetime,
            deaths: bool = False) -> int | None:
    disease = notifiable.match(code, detected_at.date())
    if disease is None or (disease.case_report_hours is None and not deaths):
        return None
    hours = disease.case_report_hours or 24
    cursor = store.conn.execute(
        "INSERT OR IGNORE INTO notifications (patient_id, source, source_id, disease, disease_name, disease_group, "
        "code, list_version, detected_at, due_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (patient_id, source, source_id, disease.key, disease.title("vi"), disease.group, code.strip().upper(),
         disease.list_version, _minutes(detected_at), _minutes(detected_at + dt.timedelta(hours=hours)), now_text()),
    )
    return int(cursor.lastrowid or 0) if cursor.rowcount else None


def after_visit(store: Store, visit: Visit) -> list[int]:
    """Inside the visit's transaction: a notification for each notifiable diagnosis of the visit."""
    store.inside_write("a visit's notification")
    codes = [visit.diagnosis_code, *(d.code for d in visit.extra_diagnoses)]
    made = []
    for code in codes:
        if code and visit.id is not None:
            found = _create(store, visit.patient_id, "visit", visit.id, code, visit.visit_at)
            if found:
                made.append(found)
    return made


def after_death(store: Store, patient_id: int, death_id: int, cause_code: str, died_on: dt.date) -> int | None:
    """Inside the death's transaction: a death from a listed communicable disease (any group) is
    notified within 24 hours of being recorded (the station learns of it then)."""
    store.inside_write("a death's notification")
    if notifiable.match(cause_code, died_on) is None:
        return None
    return _create(store, patient_id, "death", death_id, cause_code, clock.now().replace(second=0, microsecond=0),
                   deaths=True)


_COLUMNS = (
    "n.id, n.patient_id, p.full_name, n.source, n.source_id, n.disease, n.disease_name, n.disease_group, n.code, "
    "n.list_version, n.detected_at, n.due_by, n.status, n.sent_at, n.sent_by, n.sent_note"
)


def _row(r: tuple) -> Notification:
    return Notification(
        id=r[0], patient_id=r[1], full_name=r[2], source=r[3], source_id=r[4], disease=r[5], disease_name=r[6],
        group=r[7], code=r[8], list_version=r[9], detected_at=dt.datetime.fromisoformat(r[10]),
        due_by=dt.datetime.fromisoformat(r[11]), stored_status=r[12],
        sent_at=dt.datetime.fromisoformat(r[13]) if r[13] else None, sent_by=r[14], sent_note=r[15],
    )


def listing(store: Store, open_only: bool = False, patient_id: int | None = None) -> list[Notification]:
    """Notifications, the most urgent first (open ones by due time, then those sent, newest first)."""
    store.require(Permission.VIEW_RECORDS)
    where, params = ["1 = 1"], []
    if open_only:
        where.append("n.status = 'open'")
    if patient_id is not None:
        where.append("n.patient_id = ?")
        params.append(patient_id)
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM notifications n JOIN patients p ON p.id = n.patient_id WHERE {' AND '.join(where)} "
        "ORDER BY n.status = 'sent', CASE n.status WHEN 'open' THEN n.due_by END, n.detected_at DESC, n.id",
        params,
    ).fetchall()
    return [_row(r) for r in rows]


def get(store: Store, notification_id: int) -> Notification:
    store.require(Permission.VIEW_RECORDS)
    row = store.conn.execute(
        f"SELECT {_COLUMNS} FROM notifications n JOIN patients p ON p.id = n.patient_id WHERE n.id = ?",
        (notification_id,),
    ).fetchone()
    if row is None:
        raise NotificationMissing(id=notification_id)
    return _row(row)


def count_open(store: Store, _today: dt.date | None = None) -> int:
    found = store.scalar("SELECT count(*) FROM notifications WHERE status = 'open'")
    return int(found) if isinstance(found, int) else 0


def mark_sent(store: Store, notification_id: int, note: str = "") -> None:
    """Record that the notification was sent (on the surveillance system, by phone or paper)."""
    store.require(Permission.RECORD_VISITS)
    found = get(store, notification_id)
    actor = store.actor
    with store.write(Permission.RECORD_VISITS):
        store.conn.execute(
            "UPDATE notifications SET status = 'sent', sent_at = ?, sent_by = ?, sent_note = ? WHERE id = ?",
            (_minutes(clock.now()), actor.full_name or actor.username, note.strip(), notification_id),
        )
        audit.record(store, audit.UPDATE, ("notification", notification_id),
                     {"disease": found.disease, "status": SENT, "note": note.strip()}, patient_id=found.patient_id)
