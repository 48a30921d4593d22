"""The audit log: who did what to which record, when — append-only and hash-chained.

Every entry carries the SHA-256 of the entry before it (``prev_hash``) and its own hash over a
canonical serialisation of all its fields, so editing, inserting or removing an entry in the
middle breaks the chain at that entry; triggers refuse ``UPDATE`` and ``DELETE`` on the table.
The newest entry's id and hash are also kept in ``settings`` (``audit_head``): a log that ends
before or after it, or a head that is missing or garbled, is a finding too. Someone who holds the
file can still rewrite the whole chain and its head; the heads recorded in the station's backups
are the check on that (``backup.compare_chain``).

Use from any write path, inside the transaction of the change it records::

    from station_app.store import audit
    with store.write(Permission.RECORD_VISITS):
        ...
        audit.record(store, audit.CREATE, ("visit", visit.id), {"diagnosis": "I10"}, patient_id=pid)

(a write under a permission that commits without its entry is rolled back, see ``Store.write``).
``record`` joins the open transaction (or opens its own), so the entry is written if and only if
the change is. The entry's author is ``store.actor`` (the logged-in person; the command line's
local operator otherwise).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from station_app.domain.accounts import ANYONE, Actor, Permission
from station_app.i18n import N_
from station_app.store import json_cells
from station_app.store.database import Row, Store, now_text

# The actions (stored as these codes; shown translated).
LOGIN = "login"
LOGOUT = "logout"
FAILED_LOGIN = "failed_login"
VIEW_PATIENT = "view_patient"
CREATE = "create"
UPDATE = "update"
AMEND = "amend"
CANCEL = "cancel"
PRINT = "print"
EXPORT = "export"
BACKUP = "backup"
RESTORE = "restore"
IMPORT = "import"
FINALISE_REPORT = "finalise_report"
MERGE = "merge"
UNMERGE = "unmerge"
MANAGE_USERS = "manage_users"

ACTION_NAMES = {
    LOGIN: N_("Logged in"),
    LOGOUT: N_("Logged out"),
    FAILED_LOGIN: N_("Failed login"),
    VIEW_PATIENT: N_("Viewed a patient"),
    CREATE: N_("Record created"),
    UPDATE: N_("Record updated"),
    AMEND: N_("Record amended"),
    CANCEL: N_("Record cancelled"),
    PRINT: N_("Document printed"),
    EXPORT: N_("Data exported"),
    BACKUP: N_("Backup made"),
    RESTORE: N_("Backup restored"),
    IMPORT: N_("Data imported"),
    FINALISE_REPORT: N_("Finalised a report"),
    MERGE: N_("Merged patients"),
    UNMERGE: N_("Undid a merge"),
    MANAGE_USERS: N_("Changed an account"),
}

GENESIS = "0" * 64
HEAD_KEY = "audit_head"

Target = tuple[str, object] | str | None


@dataclass(frozen=True)
class Entry:
    id: int
    at: dt.datetime
    user_id: int | None
    username: str
    role: str
    action: str
    target_type: str
    target_id: str
    patient_id: int | None
    details: dict[str, object]
    prev_hash: str
    hash: str

    @property
    def target(self) -> str:
        return f"{self.target_type} {self.target_id}".strip()


_FIELDS = "id, at, user_id, username, role, action, target_type, target_id, patient_id, details, prev_hash, hash"


def entry_hash(row: Row) -> str:
    """SHA-256 (hex) of the canonical serialisation of an entry: its fields in a fixed order,
    JSON with sorted keys and no spaces, UTF-8. ``details`` is the stored JSON text as is."""
    canonical = json.dumps(
        [
            row["id"],
            row["at"],
            row["user_id"],
            row["username"],
            row["role"],
            row["action"],
            row["target_type"],
            row["target_id"],
            row["patient_id"],
            row["details"],
            row["prev_hash"],
        ],
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _split_target(target: Target) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, tuple):
        kind, ident = target
        return str(kind), "" if ident is None else str(ident)
    return str(target), ""


def record(
    store: Store,
    action: str,
    target: Target = None,
    details: dict[str, object] | None = None,
    *,
    patient_id: int | None = None,
) -> int:
    """Append an entry for ``action`` on ``target`` (``("visit", 12)``, ``"database"``…) by the
    store's current actor; returns its id. Joins the open transaction, if any. A store opened
    read-only (a command reading a file on a read-only medium) cannot record it: the action is
    listed in ``store.unrecorded`` for the command to say so, and 0 returned."""
    if store.read_only:
        store.unrecorded.append(action)
        return 0
    actor = store.actor
    target_type, target_id = _split_target(target)
    if patient_id is None and target_type == "patient" and target_id.isdigit():
        patient_id = int(target_id)
    info = dict(details or {})
    if actor.user_id is None and actor.full_name and "os_user" not in info:
        info["os_user"] = actor.full_name
    if store.conn.in_transaction:  # the change's own transaction (no savepoint needed: all or nothing)
        return _append(store, actor, action, target_type, target_id, patient_id, info)
    with store.write(ANYONE):  # an entry of its own (a record opened): any actor's, as a login is
        return _append(store, actor, action, target_type, target_id, patient_id, info)


def record_output(
    store: Store,
    permission: Permission,
    action: str,
    target: Target,
    details: dict[str, object] | None = None,
    *,
    patient_id: int | None = None,
) -> int:
    """The entry of something that leaves the program (a print, an export, a PDF or list saved),
    written under the permission it needs (``NotPermitted`` otherwise). The caller checks the same
    permission (``store.require``) before it builds the file, so nothing is made for a refused role."""
    if store.read_only:  # nothing can be written: the entry is noted as missing (see ``record``)
        store.require(permission)
        return record(store, action, target, details, patient_id=patient_id)
    with store.write(permission):
        return record(store, action, target, details, patient_id=patient_id)


def _append(store: Store, actor: Actor, action: str, target_type: str, target_id: str, patient_id: int | None,
            info: dict[str, object]) -> int:
    last = store.conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    row: dict[str, object] = {
        "id": (last[0] + 1) if last else 1,
        "at": now_text(),
        "user_id": actor.user_id,
        "username": actor.username,
        "role": str(actor.role),
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "patient_id": patient_id,
        "details": json.dumps(info, ensure_ascii=False, sort_keys=True, default=str),
        "prev_hash": last[1] if last else GENESIS,
    }
    row["hash"] = entry_hash(row)
    names = ", ".join(row)
    marks = ", ".join(f":{k}" for k in row)
    store.conn.execute(f"INSERT INTO audit_log ({names}) VALUES ({marks})", row)
    store.mark_audited()
    store.conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (HEAD_KEY, f"{row['id']}:{row['hash']}"),
    )
    return int(row["id"])  # type: ignore[call-overload]


# -- checking the chain -------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainProblem:
    entry_id: int | None  # the first entry that does not fit (None: the end of the log is missing)
    reason: str  # an N_() source (may use {expected}, {found})
    params: dict[str, object]


@dataclass(frozen=True)
class ChainReport:
    entries: int
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(store: Store, progress: Callable[[int, int], None] | None = None) -> ChainReport:
    """Walk the log in id order; the first entry whose link or content does not fit.
    ``progress(done, total)`` is called every few thousand entries. Reading the log needs VIEW_AUDIT."""
    store.require(Permission.VIEW_AUDIT)
    previous_hash = GENESIS
    previous_id = 0
    count = 0
    total = int(store.scalar("SELECT count(*) FROM audit_log") or 0) if progress else 0
    cursor = store.conn.execute(f"SELECT {_FIELDS} FROM audit_log ORDER BY id")
    columns = [c[0] for c in cursor.description]
    for values in cursor:
        row = dict(zip(columns, values, strict=True))
        count += 1
        if progress and count % 5000 == 0:
            progress(count, total)
        entry_id = int(row["id"])
        if entry_id != previous_id + 1:
            return ChainReport(count, ChainProblem(entry_id, N_(
                "entries before it are missing (the previous one is {expected})."),
                {"id": entry_id, "expected": previous_id}))
        if row["prev_hash"] != previous_hash:
            return ChainReport(count, ChainProblem(entry_id, N_(
                "it does not follow the entry before it (the log was changed at or before it)."),
                {"id": entry_id}))
        if entry_hash(row) != row["hash"]:
            return ChainReport(count, ChainProblem(entry_id, N_(
                "its content was changed after it was written."), {"id": entry_id}))
        previous_hash = str(row["hash"])
        previous_id = entry_id
    head = store.scalar("SELECT value FROM settings WHERE key = ?", (HEAD_KEY,))
    problem = _head_problem(None if head is None else str(head), previous_id, previous_hash)
    return ChainReport(count, problem)


def read_head(text: str | None) -> tuple[int, str] | None:
    """The head kept in ``settings`` ("id:hash"), or None when it is missing or garbled."""
    head_id, _, head_hash = (text or "").partition(":")
    if not head_id.isdigit() or len(head_hash) != 64:
        return None
    return int(head_id), head_hash


def _head_problem(text: str | None, last_id: int, last_hash: str) -> ChainProblem | None:
    """The chain read from the file must end where the program last wrote it (``audit_head``)."""
    if text is None:
        if last_id == 0:
            return None  # a log nothing was written to yet
        return ChainProblem(last_id, N_(
            "the record of the log's last entry (audit_head) is missing: entries at the end may have been "
            "removed with it."), {"id": last_id})
    head = read_head(text)
    if head is None:
        return ChainProblem(last_id, N_(
            "the record of the log's last entry (audit_head) is garbled: the end of the log cannot be trusted."),
            {"id": last_id})
    head_id, head_hash = head
    if head_id > last_id:
        return ChainProblem(last_id + 1, N_(
            "the log ends at entry {found}, but entries up to {expected} were written: the end was removed."),
            {"found": last_id, "expected": head_id})
    if head_id < last_id:
        return ChainProblem(head_id + 1, N_(
            "the program's last entry was {expected}: the entries after it were added outside the program."),
            {"expected": head_id, "found": last_id})
    if head_hash != last_hash:
        return ChainProblem(last_id, N_("its content was changed after it was written."), {"id": last_id})
    return None


# -- reading ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filter:
    username: str = ""
    action: str = ""
    start: dt.date | None = None
    end: dt.date | None = None  # inclusive
    patient_id: int | None = None
    limit: int = 2000


def _entry(row: Row) -> Entry:
    details = json_cells.read(row["details"], dict)  # (the chain is checked on the text as written)
    if details is None:
        details = {"text": row["details"]}
    return Entry(
        id=int(row["id"]),
        at=dt.datetime.fromisoformat(str(row["at"])),
        user_id=row["user_id"],
        username=str(row["username"]),
        role=str(row["role"]),
        action=str(row["action"]),
        target_type=str(row["target_type"]),
        target_id=str(row["target_id"]),
        patient_id=row["patient_id"],
        details=details if isinstance(details, dict) else {"value": details},
        prev_hash=str(row["prev_hash"]),
        hash=str(row["hash"]),
    )


def entries(store: Store, f: Filter | None = None) -> list[Entry]:
    """Entries matching ``f``, newest first (VIEW_AUDIT)."""
    store.require(Permission.VIEW_AUDIT)
    return _select(store, f or Filter())


def _select(store: Store, f: Filter) -> list[Entry]:
    clauses: list[str] = []
    params: list[object] = []
    if f.username:
        clauses.append("username = ?")
        params.append(f.username)
    if f.action:
        clauses.append("action = ?")
        params.append(f.action)
    if f.start:
        clauses.append("at >= ?")
        params.append(f.start.isoformat())
    if f.end:
        clauses.append("at < ?")
        params.append((f.end + dt.timedelta(days=1)).isoformat())
    if f.patient_id is not None:
        clauses.append("patient_id = ?")
        params.append(f.patient_id)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = store.query(f"SELECT {_FIELDS} FROM audit_log {where} ORDER BY id DESC LIMIT ?", [*params, f.limit])
    return [_entry(r) for r in rows]


def usernames(store: Store) -> list[str]:
    """Everyone who has an entry (VIEW_AUDIT: the filter of the log)."""
    store.require(Permission.VIEW_AUDIT)
    return [r[0] for r in store.conn.execute("SELECT DISTINCT username FROM audit_log ORDER BY 1")]


def patient_history(store: Store, patient_id: int, limit: int = 500) -> list[Entry]:
    """Who saw or changed this patient's record, newest first (the patient's access history, shown
    on the patient's page to whoever may see the record)."""
    store.require(Permission.VIEW_RECORDS)
    return _select(store, Filter(patient_id=patient_id, limit=limit))
