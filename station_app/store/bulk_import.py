"""Saving a checked spreadsheet (``domain.table_import.Preview``): duplicates against the registry
with a choice per row, then everything in one transaction — all of it, or nothing.

A row is a duplicate of a patient already registered when it has the same citizen ID, the same
record number, or the same name (ignoring accents) and birth year in a compatible village. For
each the user chooses: skip the row, merge it into the existing record (the file fills the
record's empty fields; nothing held is overwritten), or import it as a new patient — only with a
reason, which is kept in the new record's notes. A second patient with the same citizen ID is
never created. Rows that repeat a citizen ID or record number of an earlier row of the same file
are skipped, as are rows the user left out because they are invalid; all of these are listed in
the rejected-rows report.

The chronic-disease register attaches each row's programmes (hypertension, diabetes) to the
patient — found in the registry, or registered from the row — with the date detected and the
last refill, and puts the next refill on the follow-up list, so the list is right from day one.
Importing the same file again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from station_app import clock
from station_app.domain import same_person
from station_app.domain.accounts import Permission
from station_app.domain.chronic import refill_due
from station_app.domain.followup import Kind
from station_app.domain.identifiers import make_record_no
from station_app.domain.patient import Patient
from station_app.domain.table_import import Preview, PreviewRow, field_title
from station_app.domain.text import fold
from station_app.errors import UserError
from station_app.i18n import N_, translate
from station_app.store import audit, followups, patients
from station_app.store.database import Store, now_text

PROGRAMME_CODES = {"hypertension": "I10", "diabetes": "E11"}
IMPORT_CACHE_KIB = -65536  # SQLite page cache while importing: 64 MB (negative: KiB)


class Choice(StrEnum):
    SKIP = "skip"
    MERGE = "merge"
    NEW = "new"

    @property
    def title(self) -> str:  # type: ignore[override]  # the translated name, not str.title()
        return translate(_CHOICE_TITLES[self])


_CHOICE_TITLES = {
    Choice.SKIP: N_("Skip this row"),
    Choice.MERGE: N_("Merge into the existing patient"),
    Choice.NEW: N_("Import as a new patient"),
}


@dataclass(frozen=True)
class Match:
    """A row that may be a patient already registered (or an earlier row of the file)."""

    row: int
    reason: str  # English source text with {other}
    other: str  # the existing patient ("name (record no.)"), or the earlier row's number
    existing_id: int | None = None  # None: a repeat of an earlier row of the file (always skipped)
    new_allowed: bool = True  # False for the same citizen ID: one person, one record

    def text(self, lang: str | None = None) -> str:
        return translate(self.reason, lang).format(other=self.other)


@dataclass(frozen=True)
class Decision:
    choice: Choice
    reason: str = ""  # required for Choice.NEW


@dataclass(frozen=True)
class Rejected:
    """A row left out: its number, the field at fault ("" for the whole row) and why."""

    row: int
    field: str
    reason: str


@dataclass
class Outcome:
    imported: int = 0
    merged: int = 0
    skipped: int = 0
    enrolled: int = 0  # programme enrolments made (chronic register)
    refills: int = 0  # refill follow-ups put on the list or moved
    rejected: list[Rejected] = field(default_factory=list)
    patient_ids: list[int] = field(default_factory=list)


class ImportRefused(UserError, ValueError):
    """The choices do not allow the import (invalid rows kept, a new patient without reason)."""


def _name_key(name: str) -> str:
    return " ".join(fold(name).split())


def _same_person_key(p: Patient) -> tuple[object, ...]:
    if p.citizen_id:
        return ("id", p.citizen_id)
    return ("name", _name_key(p.full_name), p.birth.year if p.birth else None, fold(p.village))


@dataclass
class _Registry:
    by_citizen: dict[str, tuple[int, str]]
    by_record: dict[str, tuple[int, str]]
    labels: dict[int, str]


def _registry(store: Store) -> _Registry:
    reg = _Registry({}, {}, {})
    for pid, record_no, name, citizen_id in store.conn.execute(
        "SELECT id, record_no, full_name, citizen_id FROM patients"
    ):
        label = f"{name} ({record_no})"
        if citizen_id:
            reg.by_citizen[citizen_id] = (pid, label)
        reg.by_record[record_no] = (pid, label)
        reg.labels[pid] = label
    return reg


_REASON_TEXTS = {
    "citizen_id": N_("same citizen ID as {other}"),
    "insurance_no": N_("same insurance card number as {other}"),
    "name": N_("same name and birth year as {other}"),
    "phone": N_("same phone number as {other}"),
    "guardian_phone": N_("same guardian's phone as {other}"),
}
_ROW_REASON_TEXTS = {
    "citizen_id": N_("same citizen ID as row {other}"),
    "insurance_no": N_("same insurance card number as row {other}"),
    "name": N_("same name and birth year as row {other}"),
    "phone": N_("same phone number as row {other}"),
    "guardian_phone": N_("same guardian's phone as row {other}"),
}


def find_matches(store: Store, preview: Preview) -> dict[int, Match]:
    """``{row number: match}`` for every valid row that may already be registered, or that is the
    same person as an earlier row of the file, by the rule of ``domain.same_person`` (the one the
    registration form uses). Rows of one person are listed, never multiplied: the default keeps
    the first (``default_decisions``); importing them all is a choice, with a reason."""
    reg = _registry(store)
    people = patients.registry_people(store)
    found: dict[int, Match] = {}
    seen_records: dict[str, int] = {}
    chronic = preview.what == "chronic"
    today = clock.today()
    for row in preview.valid:
        p = row.parsed.patient
        assert p is not None
        if p.citizen_id and p.citizen_id in reg.by_citizen:
            pid, label = reg.by_citizen[p.citizen_id]
            found[row.number] = Match(row.number, N_("same citizen ID as {other}"), label, pid, False)
            continue
        if p.record_no and p.record_no in reg.by_record:
            pid, label = reg.by_record[p.record_no]
            found[row.number] = Match(row.number, N_("record number {other} already exists"), p.record_no, pid)
            continue
        if not chronic and p.record_no and p.record_no in seen_records:
            found[row.number] = Match(
                row.number, N_("same record number as row {other}"), str(seen_records[p.record_no]), None, False
            )
            continue
        if p.record_no:
            seen_records.setdefault(p.record_no, row.number)
        me = patients.person_of(p, -row.number, today)  # rows of the file: negative keys
        candidates = [c for c in people.candidates(me, limit=5, first_name_match=True) if same_person.one_person(c)]
        if candidates:
            best = candidates[0]
            if best.key > 0:
                found[row.number] = Match(row.number, _REASON_TEXTS[best.reason], reg.labels[best.key], best.key,
                                          best.reason != "citizen_id")
                continue
            if not chronic:  # a register lists a person once per programme: repeats are the same patient
                found[row.number] = Match(row.number, _ROW_REASON_TEXTS[best.reason], str(-best.key), None,
                                          best.reason != "citizen_id")
                continue
        people.add(me)
    return found


def default_decisions(preview: Preview, matches: dict[int, Match]) -> dict[int, Decision]:
    """Skip what is already registered; in a chronic register, attach the row to that patient."""
    choice = Choice.MERGE if preview.what == "chronic" else Choice.SKIP
    return {n: Decision(choice if m.existing_id is not None else Choice.SKIP) for n, m in matches.items()}


def check_decisions(preview: Preview, matches: dict[int, Match], decisions: dict[int, Decision]) -> None:
    for number, decision in decisions.items():
        match = matches.get(number)
        if decision.choice is Choice.NEW:
            if match is not None and not match.new_allowed:
                raise ImportRefused(
                    N_("Row {row}: a patient with this citizen ID is already registered; skip or merge the row."),
                    row=number,
                )
            if not decision.reason.strip():
                raise ImportRefused(
                    N_("Row {row}: say why it is imported as a new patient although it looks like {other}."),
                    row=number,
                    other=match.other if match else "",
                )
        if decision.choice is Choice.MERGE and (match is None or match.existing_id is None):
            raise ImportRefused(N_("Row {row}: there is no registered patient to merge it into."), row=number)


def rejected_rows(preview: Preview) -> list[Rejected]:
    """Every invalid cell of the file: (row, field, reason)."""
    out = []
    for row in preview.invalid:
        for problem in row.errors:
            out.append(Rejected(row.number, translate(field_title(_column(problem.field))), problem.text()))
    return out


def _column(problem_field: str) -> str:
    from station_app.domain.table_import import problem_column

    return problem_column(problem_field)


# -- merging ---------------------------------------------------------------------------------------
_MERGE_TEXT = (
    "citizen_id", "insurance_no", "insurance_facility", "phone", "address", "village", "occupation",
    "guardian_name", "notes",
)


def merged(existing: Patient, incoming: Patient, columns: set[str]) -> Patient:
    """``existing`` with its empty fields filled from ``incoming`` (only the file's columns)."""
    changes: dict[str, Any] = {}  # (field name → value of that field's type)
    for name in _MERGE_TEXT:
        if name in columns and not getattr(existing, name) and getattr(incoming, name):
            changes[name] = getattr(incoming, name)
    if "insurance_valid_to" in columns and incoming.insurance_valid_to and (
        existing.insurance_valid_to is None or incoming.insurance_valid_to > existing.insurance_valid_to
    ):
        changes["insurance_valid_to"] = incoming.insurance_valid_to
    if "birth_date" in columns and incoming.birth is not None:
        old = existing.birth
        if old is None or (old.year == incoming.birth.year and not old.is_full and incoming.birth.is_full):
            changes["birth"] = incoming.birth
    if "sex" in columns and existing.sex == "3" and incoming.sex in ("1", "2"):
        changes["sex"] = incoming.sex
    if "ethnicity" in columns and not existing.ethnicity and incoming.ethnicity:
        changes["ethnicity"] = incoming.ethnicity
    # The claims codes: filled where the record has none (a Vietnamese record's nationality is
    # "Việt Nam" without a code until it is confirmed)
    if "nationality" in columns and not existing.nationality_code and incoming.nationality_code:
        changes["nationality"], changes["nationality_code"] = incoming.nationality, incoming.nationality_code
    if "commune_code" in columns and not existing.commune_code and incoming.commune_code:
        changes["province_code"], changes["commune_code"] = incoming.province_code, incoming.commune_code
    if {"occupation", "occupation_code"} & columns and not existing.occupation_code and incoming.occupation_code:
        changes["occupation_code"] = incoming.occupation_code
    return replace(existing, **changes) if changes else existing


# -- saving ---------------------------------------------------------------------------------------
class _Inserter:
    """New patients saved as ``patients.insert`` saves them (same columns, record numbers, search
    index, vaccination enrolment of young children) but inside the import's one transaction and
    without a query per row to find the next id or free record number: a 100,000-row list must
    not take 100,000 full scans. The import as a whole is one audit entry."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.next_id = int(store.scalar("SELECT coalesce(max(id), 0) + 1 FROM patients"))
        self.taken = {r[0] for r in store.conn.execute("SELECT record_no FROM patients")}
        self.highest = max((_sequence(r) for r in self.taken), default=0)
        self.sql = ""
        self.first_id: int | None = None
        self.today = clock.today()

    def _record_no(self, pid: int) -> str:
        candidate = make_record_no(pid)
        if candidate in self.taken:
            candidate = make_record_no(self.highest + 1)
        return candidate

    def insert(self, p: Patient) -> int:
        """Save ``p`` (already normalised, as every parsed row is); returns its id."""
        stamp = now_text()
        pid = self.next_id
        record_no = p.record_no or self._record_no(pid)
        values = patients._values(p)
        values.update(id=pid, record_no=record_no, created_at=stamp, updated_at=stamp)
        if not self.sql:
            self.sql = (f"INSERT INTO patients ({', '.join(values)}) "
                        f"VALUES ({', '.join(':' + k for k in values)})")
        try:
            self.store.conn.execute(self.sql, values)
        except sqlite3.IntegrityError as exc:
            if "citizen_id" in str(exc):
                raise patients.DuplicateCitizenId(other=p.citizen_id) from exc
            raise
        self.next_id += 1
        self.taken.add(record_no)
        self.highest = max(self.highest, _sequence(record_no))
        if self.first_id is None:
            self.first_id = pid
        words = patients.index_words(p.full_name, record_no, p.citizen_id, p.insurance_no, (p.phone, p.guardian_phone))
        self.store.conn.execute("INSERT INTO patient_search (rowid, words) VALUES (?, ?)", (pid, words))
        # What followups.on_patient_registered does, asked only for the young children it concerns.
        if p.birth is not None and not p.deceased and (
            (self.today - p.birth.midpoint()).days < followups.VACCINATION_AGE_LIMIT_DAYS
        ):
            followups.on_patient_registered(self.store, replace(p, id=pid, record_no=record_no))
        return pid


def _sequence(record_no: str) -> int:
    head = record_no.split("-", 1)[0]
    return int(head) if head.isdigit() else 0


def apply(
    store: Store,
    preview: Preview,
    matches: dict[int, Match] | None = None,
    decisions: dict[int, Decision] | None = None,
    *,
    leave_out_invalid: bool = False,
    source: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> Outcome:
    """Save the file's rows in ONE transaction: on any failure nothing is saved.

    Invalid rows refuse the whole import unless ``leave_out_invalid``; then they are left out and
    listed in ``Outcome.rejected`` with the skipped duplicates.
    """
    store.require(Permission.IMPORT)  # head of station or administrator
    if preview.invalid and not leave_out_invalid:
        raise ImportRefused(
            N_("{rows} rows are invalid: nothing was imported. Correct them and import the file again."),
            rows=len(preview.invalid),
        )
    matches = find_matches(store, preview) if matches is None else matches
    chosen = default_decisions(preview, matches)
    chosen.update(decisions or {})
    check_decisions(preview, matches, chosen)
    outcome = Outcome(rejected=rejected_rows(preview))
    columns = set(preview.mapping.values())
    # Rows that bring their own record number go first: a number given to a row without one must
    # not take the number a later row of the same file carries.
    rows = sorted(preview.valid, key=lambda r: not (r.parsed.patient and r.parsed.patient.record_no))
    # A large list touches every page of the registry's indexes: give SQLite room to keep them.
    cache = store.scalar("PRAGMA cache_size")
    store.conn.execute(f"PRAGMA cache_size = {IMPORT_CACHE_KIB}")
    try:
        _save_all(store, preview, rows, matches, chosen, columns, outcome, progress, source)
    finally:
        store.conn.execute(f"PRAGMA cache_size = {int(cache or -2000)}")
    if progress:
        progress(len(rows), len(rows))
    outcome.rejected.sort(key=lambda r: r.row)
    return outcome


def _save_all(store: Store, preview: Preview, rows: list[PreviewRow], matches: dict[int, Match],
              chosen: dict[int, Decision], columns: set[str], outcome: Outcome,
              progress: Callable[[int, int], None] | None, source: str) -> None:
    today = clock.today()
    total = len(rows)
    people: dict[tuple[object, ...], int] = {}  # a register's rows of one person → one patient
    with store.write(Permission.IMPORT):
        inserter = _Inserter(store)
        for index, row in enumerate(rows, start=1):
            pid = _save_row(inserter, row, matches.get(row.number), chosen.get(row.number), columns, outcome,
                            people)
            if pid is not None and row.chronic is not None:
                _attach_programmes(store, pid, row, today, outcome)
            if progress and index % 200 == 0:
                progress(index, total)
        audit.record(
            store,
            audit.IMPORT,
            "patients",
            {
                "file": source,
                "what": preview.what,
                "imported": outcome.imported,
                "merged": outcome.merged,
                "skipped": outcome.skipped,
                "first_id": inserter.first_id,
                "last_id": inserter.next_id - 1 if inserter.first_id else None,
            },
        )


def _save_row(
    inserter: _Inserter,
    row: PreviewRow,
    match: Match | None,
    decision: Decision | None,
    columns: set[str],
    outcome: Outcome,
    people: dict[tuple[object, ...], int],
) -> int | None:
    store = inserter.store
    p = row.parsed.patient
    assert p is not None
    if match is not None:
        choice = decision.choice if decision else Choice.SKIP
        if choice is Choice.SKIP:
            outcome.skipped += 1
            outcome.rejected.append(
                Rejected(row.number, "", translate(N_("Skipped, duplicate: {reason}")).format(reason=match.text()))
            )
            return None
        if choice is Choice.MERGE:
            assert match.existing_id is not None
            existing = patients.get(store, match.existing_id)
            assert existing is not None
            updated = merged(existing, p, columns)
            if updated != existing:
                patients.update(store, updated)
            outcome.merged += 1
            return match.existing_id
        note = translate(N_("Imported as a new patient although it looked like {other}: {reason}")).format(
            other=match.other, reason=decision.reason.strip() if decision else ""
        )
        p = replace(
            p,
            notes=(p.notes + "\n" + note).strip(),
            record_no=None if p.record_no and match.reason.startswith("record") else p.record_no,
        )
    elif row.chronic is not None:
        key = _same_person_key(p)
        if key in people:
            return people[key]
    pid = inserter.insert(p)
    outcome.imported += 1
    outcome.patient_ids.append(pid)
    if row.chronic is not None:
        people[_same_person_key(p)] = pid
    return pid


def _attach_programmes(store: Store, pid: int, row: PreviewRow, today: dt.date, outcome: Outcome) -> None:
    facts = row.chronic
    assert facts is not None
    for programme in facts.programmes:
        before = store.scalar(
            "SELECT id FROM enrolments WHERE patient_id = ? AND programme = ? AND closed_on IS NULL", (pid, programme)
        )
        enrolment = followups.enrol(
            store, pid, programme, facts.detected_on or today, detected_on=facts.detected_on or today
        )
        if before is None:
            outcome.enrolled += 1
        elif facts.detected_on:
            store.conn.execute(
                "UPDATE enrolments SET detected_on = ? WHERE id = ? AND (detected_on IS NULL OR detected_on > ?)",
                (facts.detected_on.isoformat(), enrolment, facts.detected_on.isoformat()),
            )
        if facts.last_refill:
            store.conn.execute(
                "UPDATE enrolments SET last_visit_on = ? WHERE id = ? AND (last_visit_on IS NULL OR last_visit_on < ?)",
                (facts.last_refill.isoformat(), enrolment, facts.last_refill.isoformat()),
            )
        due = refill_due(facts.last_refill, facts.days_supplied) if facts.last_refill else today
        rule = f"chronic:{programme}"
        open_item = store.conn.execute(
            "SELECT id, due_date FROM followups WHERE patient_id = ? AND rule = ? AND status = 'open' "
            "ORDER BY due_date DESC LIMIT 1",
            (pid, rule),
        ).fetchone()
        if open_item is None:
            label = followups.vi("Medicine refill") + " — " + PROGRAMME_CODES[programme]
            followups.add_item(store, pid, Kind.CHRONIC_REFILL, label, due, "import", rule, None, today)
            outcome.refills += 1
        elif facts.last_refill and dt.date.fromisoformat(open_item[1]) < due:
            store.conn.execute("UPDATE followups SET due_date = ? WHERE id = ?", (due.isoformat(), open_item[0]))
            outcome.refills += 1
