"""Importing a patient list: all rows validated first, then all saved in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from station_app.domain.accounts import Permission
from station_app.domain.patient_import import ImportRow
from station_app.domain.problems import Problem
from station_app.i18n import N_
from station_app.store import patients
from station_app.store.database import Store


@dataclass(frozen=True)
class Duplicate:
    row: int
    reason: str  # English source text with {other}
    other: str


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[tuple[int, Problem]] = field(default_factory=list)
    warnings: list[tuple[int, Problem]] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def import_rows(
    store: Store,
    rows: list[ImportRow],
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Save the valid, new rows — or nothing at all when any row is invalid."""
    report = ImportReport()
    for row in rows:
        for problem in row.problems:
            (report.errors if problem.is_error else report.warnings).append((row.number, problem))
    if report.errors:
        return report

    seen_ids: dict[str, int] = {}
    seen_records: dict[str, int] = {}
    to_save = []
    for row in rows:
        p = row.patient
        assert p is not None
        if p.citizen_id:
            if p.citizen_id in seen_ids:
                report.duplicates.append(
                    Duplicate(row.number, N_("same citizen ID as row {other}"), str(seen_ids[p.citizen_id]))
                )
                continue
            existing = store.query("SELECT full_name, record_no FROM patients WHERE citizen_id = ?", (p.citizen_id,))
            if existing:
                report.duplicates.append(
                    Duplicate(
                        row.number,
                        N_("same citizen ID as {other}"),
                        f"{existing[0]['full_name']} ({existing[0]['record_no']})",
                    )
                )
                continue
            seen_ids[p.citizen_id] = row.number
        if p.record_no:
            if p.record_no in seen_records:
                report.duplicates.append(
                    Duplicate(row.number, N_("same record number as row {other}"), str(seen_records[p.record_no]))
                )
                continue
            existing = store.query("SELECT full_name FROM patients WHERE record_no = ?", (p.record_no,))
            if existing:
                report.duplicates.append(Duplicate(row.number, N_("record number {other} already exists"), p.record_no))
                continue
            seen_records[p.record_no] = row.number
        to_save.append(p)
    # Rows that bring their own record number go first: a number given to a row without one must
    # not take the number a later row of the same file carries.
    to_save.sort(key=lambda p: not p.record_no)

    if not to_save:
        return report
    with store.write(Permission.IMPORT):  # each patient's entry is written by ``patients.insert``
        for index, p in enumerate(to_save, start=1):
            patients.insert(store, p)
            if progress and index % 200 == 0:
                progress(index, len(to_save))
    report.imported = len(to_save)
    if progress:
        progress(len(to_save), len(to_save))
    return report
