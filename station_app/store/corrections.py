"""Corrections, not overwrites: amending visits (with their diagnoses) and referral slips, and
merging duplicate patients — each reversible or readable afterwards.

An amendment keeps the version it replaces in ``amendments`` (its full data as JSON, the new
data, the reason, the author and the time); the table refuses ``UPDATE`` and ``DELETE``, like
the audit log. A visit's history is its current row plus every earlier version.

A patient is never deleted. Two records of one person are merged: every row that names the
duplicate — by its ``patient_id``, or by another column pointing at ``patients`` (a delivery's
mother, a birth's child) — moves to the kept record, the duplicate is marked ``merged_into`` and
leaves the registry and the search, and the list of what moved is kept in ``patient_merges`` —
undoing the merge moves exactly those rows back.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace

from station_app import clock
from station_app.domain.accounts import Permission
from station_app.domain.visit import FIELD_LABELS, Visit, validate
from station_app.i18n import N_, translate
from station_app.store import audit, errors, json_cells, lifespan
from station_app.store.database import Row, Store, now_text


class CorrectionRefused(errors.StoreError):
    message = N_("The correction was refused.")

    def __init__(self, message: str, **params: object) -> None:
        self.message = message
        super().__init__("", "", **params)


@dataclass(frozen=True)
class Version:
    """One version of an entry: ``data`` as stored; for earlier versions who replaced it, when, why."""

    number: int
    data: dict[str, object]
    replaced_at: dt.datetime | None = None
    replaced_by: str = ""
    author: str = ""
    reason: str = ""

    @property
    def current(self) -> bool:
        return self.replaced_at is None


def _reason(reason: str) -> str:
    text = " ".join(reason.split())
    if len(text) < 3:
        raise CorrectionRefused(N_("Write the reason for the correction."))
    return text[:500]


def _save_version(store: Store, entity: str, entity_id: int, old: dict[str, object], new: dict[str, object],
                  reason: str) -> int:
    actor = store.actor
    version = int(store.scalar(
        "SELECT coalesce(max(version), 0) + 1 FROM amendments WHERE entity = ? AND entity_id = ?",
        (entity, entity_id),
    ))
    store.conn.execute(
        "INSERT INTO amendments (entity, entity_id, version, old_data, new_data, reason, user_id, username, author, "
        "role, amended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entity,
            entity_id,
            version,
            json.dumps(old, ensure_ascii=False, sort_keys=True, default=str),
            json.dumps(new, ensure_ascii=False, sort_keys=True, default=str),
            reason,
            actor.user_id,
            actor.username,
            actor.full_name,
            str(actor.role),
            now_text(),
        ),
    )
    return version


def versions(store: Store, entity: str, entity_id: int, current: dict[str, object]) -> list[Version]:
    """Every version of an entry, oldest first; the last is ``current``."""
    rows = store.query(
        "SELECT version, old_data, username, author, reason, amended_at FROM amendments "
        "WHERE entity = ? AND entity_id = ? ORDER BY version",
        (entity, entity_id),
    )
    found = [
        Version(
            number=int(r["version"]),
            data=json_cells.read(r["old_data"], dict) or {},  # (a damaged version: its fields unknown)
            replaced_at=dt.datetime.fromisoformat(str(r["amended_at"])),
            replaced_by=str(r["username"]),
            author=str(r["author"]),
            reason=str(r["reason"]),
        )
        for r in rows
    ]
    return [*found, Version(number=len(found) + 1, data=current)]


def amendment_counts(store: Store, entity: str, ids: list[int]) -> dict[int, int]:
    """How many times each of ``ids`` was amended (absent: never)."""
    if not ids:
        return {}
    rows = store.conn.execute(
        "SELECT entity_id, count(*) FROM amendments WHERE entity = ? AND entity_id IN "
        "(SELECT value FROM json_each(?)) GROUP BY entity_id",
        (entity, json.dumps(ids)),
    )
    return {int(r[0]): int(r[1]) for r in rows}


# -- visits -------------------------------------------------------------------------------------
AMENDABLE_VISIT_FIELDS = (
    "visit_at", "complaint", "examination", "bp_systolic", "bp_diastolic", "pulse", "temperature", "weight",
    "height", "spo2", "glucose", "diagnosis_code", "diagnosis_text", "extra_diagnoses", "treatment",
    "follow_up_date", "notes",
)


def changed_fields(old: dict[str, object], new: dict[str, object]) -> list[str]:
    return [k for k in new if k in old and old[k] != new[k]]


def field_label(name: str) -> str:
    """The N_() label of a visit field (its name when it has none)."""
    return FIELD_LABELS.get(name, {"extra_diagnoses": N_("Other diagnoses"), "notes": N_("Notes")}.get(name, name))


def amend_visit(store: Store, amended: Visit, reason: str) -> Visit:
    """Replace a visit's clinical content by ``amended``, keeping the old version with the reason.

    Needs ``AMEND_RECORDS``. The patient, clinician and creation time stay; the amended data is
    checked like a new visit (impossible values refused)."""
    from station_app.store import visits

    reason = _reason(reason)
    visit_id = amended.id
    if visit_id is None:
        raise ValueError("amend_visit needs a saved visit")
    with store.write(Permission.AMEND_RECORDS):
        current = visits.get(store, visit_id)
        if current is None:
            raise CorrectionRefused(N_("The visit no longer exists."))
        errors_found = [p for p in validate(amended, clock.now()) if p.severity == "error"]
        if amended.visit_at.date() != current.visit_at.date():  # (its date unchanged: nothing to bound)
            errors_found += lifespan.after_death(store, current.patient_id, amended.visit_at.date(), "visit_at",
                                                 "visit")
        if errors_found:
            first = errors_found[0]
            raise CorrectionRefused(N_("Not corrected. {field}: {problem}"), field=translate(field_label(first.field)),
                                    problem=first.text())
        cell = store.scalar("SELECT extra_diagnoses FROM visits WHERE id = ?", (visit_id,))
        if visits.read_extra_diagnoses(cell) is None and amended.extra_diagnoses == current.extra_diagnoses:
            # (saving the text shown for a damaged cell would make it a diagnosis, and lift the claim's hold)
            raise CorrectionRefused(N_("Not corrected. {field}: {problem}"),
                                    field=translate(field_label("extra_diagnoses")),
                                    problem=translate(N_("they could not be read from the file: enter them again.")))
        if amended.diagnosis_code and amended.diagnosis_code != current.diagnosis_code:
            from station_app.store import icd10

            if icd10.get(store, amended.diagnosis_code) is None:
                raise CorrectionRefused(N_("{code} is not an ICD-10 code (for example I10 or E11.9)."),
                                        code=amended.diagnosis_code)
        amended = replace(amended, patient_id=current.patient_id, clinician_id=current.clinician_id,
                          clinician_name=current.clinician_name, insurance_paid=current.insurance_paid,
                          referred=current.referred, created_at=current.created_at)
        old = {k: v for k, v in visits.to_values(current).items() if k in AMENDABLE_VISIT_FIELDS}
        new = {k: v for k, v in visits.to_values(amended).items() if k in AMENDABLE_VISIT_FIELDS}
        fields = changed_fields(old, new)
        if not fields:
            raise CorrectionRefused(N_("Nothing was changed."))
        version = _save_version(store, "visit", visit_id, old, new, reason)
        assignments = ", ".join(f"{k} = :{k}" for k in new)
        store.conn.execute(
            f"UPDATE visits SET {assignments}, updated_at = :updated_at WHERE id = :id",
            {**new, "updated_at": now_text(), "id": amended.id},
        )
        audit.record(store, audit.AMEND, ("visit", amended.id),
                     {"fields": fields, "version": version + 1, "reason": reason}, patient_id=current.patient_id)
        from station_app.store import notifications

        notifications.after_visit(store, amended)  # a diagnosis corrected to a notifiable disease
    saved = visits.get(store, visit_id)
    assert saved is not None
    return saved


def visit_versions(store: Store, visit_id: int) -> list[Version]:
    from station_app.store import visits

    current = visits.get(store, visit_id)
    if current is None:
        return []
    data = {k: v for k, v in visits.to_values(current).items() if k in AMENDABLE_VISIT_FIELDS}
    return versions(store, "visit", visit_id, data)


# -- referral slips -----------------------------------------------------------------------------
def keep_referral_version(store: Store, referral_id: int, new_data: dict[str, object], reason: str) -> int | None:
    """Inside the slip's update: keep the data it replaces. Returns the new version number, or
    None when nothing changed. (Called by ``referrals.update_slip``.)"""
    store.inside_write("a referral's version")
    old_text = store.scalar("SELECT data FROM referrals WHERE id = ?", (referral_id,))
    if old_text is None:
        raise CorrectionRefused(N_("The referral no longer exists."))
    old = json_cells.read(old_text, dict) or {}
    if not changed_fields(old, new_data):
        return None
    return _save_version(store, "referral", referral_id, old, new_data, reason.strip()[:500]) + 1


def referral_versions(store: Store, referral_id: int) -> list[Version]:
    text = store.scalar("SELECT data FROM referrals WHERE id = ?", (referral_id,))
    if text is None:
        return []
    return versions(store, "referral", referral_id, json_cells.read(text, dict) or {})


# -- merging duplicate patients -----------------------------------------------------------------
_NOT_MOVED = {"audit_log", "patient_merges", "amendments", "patients", "patient_search"}


def _patient_columns(store: Store) -> list[tuple[str, str]]:
    """Every column that names a patient, as (table, column): each ``patient_id``, and each column
    whose foreign key is ``patients`` (``deliveries.mother_id``, ``births.child_id``); tables and
    columns added later are included. The ledgers (audit, merges, amendments) keep what they say."""
    tables = [
        r[0]
        for r in store.conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    found = []
    for table in tables:
        if table in _NOT_MOVED:
            continue
        columns = [c[1] for c in store.conn.execute(f'PRAGMA table_info("{table}")')]
        if "id" not in columns:
            continue
        named = {"patient_id"} & set(columns)
        named |= {fk[3] for fk in store.conn.execute(f'PRAGMA foreign_key_list("{table}")') if fk[2] == "patients"}
        found += [(table, column) for column in sorted(named)]
    return found


def _moved_key(table: str, column: str) -> str:
    """The key of ``patient_merges.moved`` for rows moved by ``column``: the table's name for its
    ``patient_id`` (as merges have always been kept), ``table.column`` for another column."""
    return table if column == "patient_id" else f"{table}.{column}"


@dataclass(frozen=True)
class Merge:
    id: int
    kept_id: int
    merged_id: int
    moved: dict[str, list[int]] | None  # None: the list kept is damaged in the database file
    reason: str
    username: str
    merged_at: dt.datetime
    undone_at: dt.datetime | None


def merge_patients(store: Store, kept_id: int, duplicate_id: int, reason: str) -> Merge:
    """Move everything of ``duplicate_id`` to ``kept_id`` (head only), in one transaction."""
    reason = _reason(reason)
    if kept_id == duplicate_id:
        raise CorrectionRefused(N_("Choose two different patients."))
    with store.write(Permission.MERGE_PATIENTS):
        rows = {
            r["id"]: r
            for r in store.query(
                "SELECT id, record_no, full_name, merged_into FROM patients WHERE id IN (?, ?)", (kept_id, duplicate_id)
            )
        }
        if len(rows) != 2:
            raise CorrectionRefused(N_("One of the two patients does not exist."))
        if rows[kept_id]["merged_into"] is not None or rows[duplicate_id]["merged_into"] is not None:
            raise CorrectionRefused(N_("This patient was already merged into another record."))
        _deaths_agree(store, kept_id, duplicate_id)
        # The duplicate's current card goes with its visits (they may have been made on it): kept as
        # an earlier card of its record, it moves with the rest and back on an undo.
        store.conn.execute(
            "INSERT INTO insurance_cards (patient_id, card_no, valid_from, valid_to, facility, card_group, benefit, "
            "area, replaced_at) SELECT id, insurance_no, insurance_valid_from, insurance_valid_to, insurance_facility, "
            "insurance_group, insurance_benefit, insurance_area, ? FROM patients WHERE id = ? AND insurance_no <> ''",
            (now_text(), duplicate_id),
        )
        moved: dict[str, list[int]] = {}
        for table, column in _patient_columns(store):
            ids = [r[0] for r in store.conn.execute(f'SELECT id FROM "{table}" WHERE "{column}" = ? ORDER BY id',
                                                    (duplicate_id,))]
            if ids:
                store.conn.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE "{column}" = ?', (kept_id, duplicate_id))
                moved[_moved_key(table, column)] = ids
        stamp = now_text()
        store.conn.execute("UPDATE patients SET merged_into = ?, updated_at = ? WHERE id = ?",
                           (kept_id, stamp, duplicate_id))
        store.conn.execute("DELETE FROM patient_search WHERE rowid = ?", (duplicate_id,))
        cursor = store.conn.execute(
            "INSERT INTO patient_merges (kept_id, merged_id, moved, reason, username, merged_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (kept_id, duplicate_id, json.dumps(moved, sort_keys=True), reason, store.actor.username, stamp),
        )
        merge_id = int(cursor.lastrowid or 0)
        details = {
            "merge": merge_id,
            "kept": rows[kept_id]["record_no"],
            "merged": rows[duplicate_id]["record_no"],
            "moved": {t: len(ids) for t, ids in moved.items()},
            "reason": reason,
        }
        audit.record(store, audit.MERGE, ("patient", kept_id), details, patient_id=kept_id)
        audit.record(store, audit.MERGE, ("patient", duplicate_id), details, patient_id=duplicate_id)
    found = get_merge(store, merge_id)
    assert found is not None
    return found


def _deaths_agree(store: Store, kept_id: int, duplicate_id: int) -> None:
    """Refuse a merge that would leave a record of care after the person's death, or two deaths:
    the record kept is the one with the death, and none of the duplicate's care is after it."""
    kept_died = lifespan.death_day(store, kept_id)
    duplicate_died = lifespan.death_day(store, duplicate_id)
    if kept_died is not None and duplicate_died is not None:
        raise CorrectionRefused(N_("Both records have a recorded death: correct one of them before merging."))
    if duplicate_died is not None:
        raise CorrectionRefused(N_("The duplicate has a recorded death ({date}): keep that record and merge the "
                                   "other into it."), date=duplicate_died.strftime("%d/%m/%Y"))
    if kept_died is not None:
        problems = lifespan.death_before_care(store, duplicate_id, kept_died)
        if problems:
            raise CorrectionRefused(N_("Not merged: {problem}"), problem=problems[0].text())


def unmerge(store: Store, merge_id: int, reason: str) -> Merge:
    """Undo a merge: move back exactly the rows it moved, and bring the duplicate back."""
    from station_app.store import patients

    reason = _reason(reason)
    with store.write(Permission.MERGE_PATIENTS):
        merge = get_merge(store, merge_id)
        if merge is None:
            raise CorrectionRefused(N_("There is no such merge."))
        if merge.undone_at is not None:
            raise CorrectionRefused(N_("This merge was already undone."))
        columns = {_moved_key(table, column): (table, column) for table, column in _patient_columns(store)}
        if merge.moved is None or not set(merge.moved) <= set(columns):
            # what moved is not known: nothing can be moved back exactly
            raise json_cells.Damaged(N_("The list of the records this merge moved"))
        if store.scalar("SELECT merged_into FROM patients WHERE id = ?", (merge.kept_id,)) is not None:
            # (what this merge moved went on with the later one: undone now, it would come back empty)
            raise CorrectionRefused(N_("The record kept was merged into another since: undo that merge first."))
        for key, ids in merge.moved.items():
            table, column = columns[key]
            store.conn.execute(
                f'UPDATE "{table}" SET "{column}" = ? WHERE "{column}" = ? '
                "AND id IN (SELECT value FROM json_each(?))",
                (merge.merged_id, merge.kept_id, json.dumps(ids)),
            )
        store.conn.execute("UPDATE patients SET merged_into = NULL, updated_at = ? WHERE id = ?",
                           (now_text(), merge.merged_id))
        restored = patients.get(store, merge.merged_id)
        if restored is not None:
            store.conn.execute("DELETE FROM patient_search WHERE rowid = ?", (merge.merged_id,))
            store.conn.execute("INSERT INTO patient_search (rowid, words) VALUES (?, ?)",
                               (merge.merged_id, patients.search_words(restored)))
        store.conn.execute("UPDATE patient_merges SET undone_at = ?, undone_by = ? WHERE id = ?",
                           (now_text(), store.actor.username, merge_id))
        details = {"merge": merge_id, "moved_back": {t: len(ids) for t, ids in merge.moved.items()}, "reason": reason}
        audit.record(store, audit.UNMERGE, ("patient", merge.kept_id), details, patient_id=merge.kept_id)
        audit.record(store, audit.UNMERGE, ("patient", merge.merged_id), details, patient_id=merge.merged_id)
    found = get_merge(store, merge_id)
    assert found is not None
    return found


def _merge(row: Row) -> Merge:
    return Merge(
        id=int(row["id"]),
        kept_id=int(row["kept_id"]),
        merged_id=int(row["merged_id"]),
        moved=json_cells.read(row["moved"], dict),
        reason=str(row["reason"]),
        username=str(row["username"]),
        merged_at=dt.datetime.fromisoformat(str(row["merged_at"])),
        undone_at=dt.datetime.fromisoformat(str(row["undone_at"])) if row["undone_at"] else None,
    )


_MERGE_COLUMNS = "id, kept_id, merged_id, moved, reason, username, merged_at, undone_at"


def get_merge(store: Store, merge_id: int) -> Merge | None:
    rows = store.query(f"SELECT {_MERGE_COLUMNS} FROM patient_merges WHERE id = ?", (merge_id,))
    return _merge(rows[0]) if rows else None


def merges_of(store: Store, patient_id: int) -> list[Merge]:
    """The merges a patient took part in (kept or merged), newest first."""
    rows = store.query(
        f"SELECT {_MERGE_COLUMNS} FROM patient_merges WHERE kept_id = ? OR merged_id = ? ORDER BY id DESC",
        (patient_id, patient_id),
    )
    return [_merge(r) for r in rows]


def recent_merges(store: Store, limit: int = 50) -> list[Merge]:
    """Merges not undone, newest first (what the merge dialog offers to undo)."""
    rows = store.query(
        f"SELECT {_MERGE_COLUMNS} FROM patient_merges WHERE undone_at IS NULL ORDER BY id DESC LIMIT ?", (limit,)
    )
    return [_merge(r) for r in rows]


@dataclass(frozen=True)
class Amendment:
    """One correction of one of a patient's entries, with what it changed."""

    entity: str  # "visit" or "referral"
    entity_id: int
    label: str  # the visit's time, or the slip's number
    version: int  # the version it made
    amended_at: dt.datetime
    author: str
    reason: str
    changes: list[tuple[str, object, object]]  # (field, before, after)


def for_patient(store: Store, patient_id: int) -> list[Amendment]:
    """Every correction of the patient's visits and referral slips, newest first."""
    rows = store.query(
        "SELECT a.entity, a.entity_id, a.version, a.old_data, a.new_data, a.reason, a.username, a.author, "
        "a.amended_at, coalesce(v.visit_at, r.number, '') AS label FROM amendments a "
        "LEFT JOIN visits v ON a.entity = 'visit' AND v.id = a.entity_id "
        "LEFT JOIN referrals r ON a.entity = 'referral' AND r.id = a.entity_id "
        "WHERE coalesce(v.patient_id, r.patient_id) = ? ORDER BY a.id DESC",
        (patient_id,),
    )
    found = []
    for r in rows:
        old, new = json_cells.read(r["old_data"], dict) or {}, json_cells.read(r["new_data"], dict) or {}
        found.append(Amendment(
            entity=str(r["entity"]),
            entity_id=int(r["entity_id"]),
            label=str(r["label"]),
            version=int(r["version"]) + 1,
            amended_at=dt.datetime.fromisoformat(str(r["amended_at"])),
            author=str(r["author"] or r["username"]),
            reason=str(r["reason"]),
            changes=[(k, old.get(k), new.get(k)) for k in changed_fields(old, new)],
        ))
    return found
