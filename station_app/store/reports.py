"""Monthly reports in the database: the draft, the head's corrections, finalising and reopening.

A month's report is a draft until the head finalises it (the draft itself is computed by
``station_app.reports.monthly.draft``): then the summary as sent (values,
corrections, the records behind each value) is stored as a snapshot that later edits of the
records never change. Reopening (head only, with a reason) makes it a draft again; the old
snapshot stays, with who reopened it, when and why, and the next finalising adds a new version.
Finalising, reopening and corrections are written to the audit log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from station_app.domain.accounts import Permission
from station_app.domain.monthly import Correction, Month, MonthlySummary
from station_app.i18n import N_
from station_app.store import audit, json_cells
from station_app.store.database import Store, now_text
from station_app.store.errors import StoreError

DRAFT = "draft"
FINAL = "final"


class ReportError(StoreError):
    """A refused report operation; the message says what to do."""

    message = N_("The report could not be changed.")

    def __init__(self, **params: object) -> None:
        super().__init__("", "", **params)


class ReportIsFinal(ReportError):
    message = N_("The report for {month} is final: reopen it first to change it.")


class ReportNotFinal(ReportError):
    message = N_("The report for {month} has not been finalised.")


class ReasonMissing(ReportError):
    message = N_("Write the reason.")


class BadValue(ReportError):
    message = N_("The corrected value must be a whole number, 0 or more.")


class UnknownCell(ReportError):
    message = N_("The report has no cell {cell}.")


@dataclass(frozen=True)
class Snapshot:
    id: int
    period: str
    version: int
    finalised_at: str
    finalised_by: str
    reopened_at: str | None
    reopened_by: str | None
    reopen_reason: str | None


@dataclass(frozen=True)
class ReportState:
    period: str
    status: str  # "" (never opened), "draft", "final"
    snapshots: tuple[Snapshot, ...]

    @property
    def is_final(self) -> bool:
        return self.status == FINAL


def _author(store: Store) -> tuple[str, int | None]:
    actor = store.actor
    return (actor.full_name or actor.username or str(actor.role)), actor.user_id


def _report_id(store: Store, month: Month, create: bool = False) -> int | None:
    found = store.scalar("SELECT id FROM monthly_reports WHERE period = ?", (month.key,))
    if found is not None or not create:
        return int(found) if found is not None else None
    stamp = now_text()
    with store.write(Permission.FINALISE_REPORT):  # (inside a correction or a finalisation)
        cursor = store.conn.execute(
            "INSERT INTO monthly_reports (period, status, created_at, updated_at) VALUES (?, 'draft', ?, ?)",
            (month.key, stamp, stamp),
        )
    return int(cursor.lastrowid or 0)


def _snapshots(store: Store, where: str, params: tuple) -> list[Snapshot]:
    rows = store.conn.execute(
        "SELECT s.id, r.period, s.version, s.finalised_at, s.finalised_by, s.reopened_at, s.reopened_by, "
        f"s.reopen_reason FROM report_snapshots s JOIN monthly_reports r ON r.id = s.report_id WHERE {where} "
        "ORDER BY r.period DESC, s.version DESC",
        params,
    ).fetchall()
    return [Snapshot(*r) for r in rows]


def state(store: Store, month: Month) -> ReportState:
    status = store.scalar("SELECT status FROM monthly_reports WHERE period = ?", (month.key,))
    return ReportState(month.key, str(status or ""), tuple(_snapshots(store, "r.period = ?", (month.key,))))


def finalised(store: Store) -> list[Snapshot]:
    """Every snapshot ever finalised, newest month first (reopened ones too, marked so)."""
    return _snapshots(store, "1 = 1", ())


def corrections(store: Store, month: Month) -> dict[str, Correction]:
    """The cells corrected in this month's report (the latest word on each cell)."""
    report = _report_id(store, month)
    if report is None:
        return {}
    found: dict[str, Correction] = {}
    for cell, computed, corrected, reason, by, at in store.conn.execute(
        "SELECT cell, computed, corrected, reason, by_name, at FROM report_corrections WHERE report_id = ? ORDER BY id",
        (report,),
    ):
        if corrected is None:  # withdrawn: the computed value stands again
            found.pop(cell, None)
        else:
            found[cell] = Correction(int(computed), int(corrected), by, reason, at)
    return found


def correction_history(store: Store, month: Month) -> list[dict[str, object]]:
    """Every correction and withdrawal of the month's report, oldest first."""
    report = _report_id(store, month)
    if report is None:
        return []
    return store.query(
        "SELECT cell, computed, corrected, reason, by_name, at FROM report_corrections WHERE report_id = ? ORDER BY id",
        (report,),
    )


def latest_data(store: Store, month: Month) -> dict | None:
    """The data of the month's current final snapshot (None unless the month is final)."""
    text = store.scalar(
        "SELECT s.data FROM report_snapshots s JOIN monthly_reports r ON r.id = s.report_id "
        "WHERE r.period = ? AND r.status = 'final' ORDER BY s.version DESC LIMIT 1",
        (month.key,),
    )
    if not text:
        return None
    return json_cells.read(text, dict) or None  # a damaged copy: the draft's "previous" is computed


def final_summary(store: Store, month: Month, version: int | None = None) -> MonthlySummary:
    """The report as it was sent (the latest version, or ``version``)."""
    sql = (
        "SELECT s.data FROM report_snapshots s JOIN monthly_reports r ON r.id = s.report_id WHERE r.period = ?"
        + (" AND s.version = ?" if version else "")
        + " ORDER BY s.version DESC LIMIT 1"
    )
    text = store.scalar(sql, (month.key, version) if version else (month.key,))
    if not text:
        raise ReportNotFinal(month=month.display())
    data = json_cells.read(text, dict)
    try:
        return MonthlySummary.from_dict(data or {})
    except (KeyError, TypeError, ValueError, AttributeError):  # a damaged cell, or not a report's data
        raise json_cells.Damaged(N_("The report of {month} as it was sent"), month=month.display()) from None


def correct(store: Store, summary: MonthlySummary, cell: str, corrected: int | None, reason: str) -> Correction | None:
    """Correct one cell of the draft (``corrected=None`` withdraws the correction). Head only."""
    month = summary.month
    if state(store, month).is_final:
        raise ReportIsFinal(month=month.display())
    if not reason.strip():
        raise ReasonMissing()
    if corrected is not None and (isinstance(corrected, bool) or not isinstance(corrected, int) or corrected < 0):
        raise BadValue()
    try:
        target = summary.cell(cell)
    except (KeyError, ValueError) as exc:
        raise UnknownCell(cell=cell) from exc
    by, user_id = _author(store)
    at = now_text()
    with store.write(Permission.FINALISE_REPORT):
        report = _report_id(store, month, create=True)
        store.conn.execute(
            "INSERT INTO report_corrections (report_id, cell, computed, corrected, reason, by_name, user_id, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (report, cell, target.value, corrected, reason.strip(), by, user_id, at),
        )
        store.conn.execute("UPDATE monthly_reports SET updated_at = ? WHERE id = ?", (at, report))
        audit.record(store, audit.UPDATE, ("report", month.key),
                     {"cell": cell, "computed": target.value, "corrected": corrected, "reason": reason.strip()})
    fix = Correction(target.value, corrected, by, reason.strip(), at) if corrected is not None else None
    target.correction = fix
    return fix


def finalise(store: Store, summary: MonthlySummary) -> Snapshot:
    """Freeze the draft as sent. Head only; written to the audit log."""
    month = summary.month
    by, user_id = _author(store)
    at = now_text()
    with store.write(Permission.FINALISE_REPORT):
        if state(store, month).is_final:
            raise ReportIsFinal(month=month.display())
        report = _report_id(store, month, create=True)
        # The corrections stored now are the ones that count, whatever the caller's copy holds.
        stored = corrections(store, month)
        for _key, cell in summary.cells():
            cell.correction = None
        summary.apply_corrections(stored)
        version = int(store.scalar(
            "SELECT coalesce(max(version), 0) + 1 FROM report_snapshots WHERE report_id = ?", (report,)
        ))
        data = json.dumps(summary.to_dict(records=True), ensure_ascii=False, separators=(",", ":"))
        cursor = store.conn.execute(
            "INSERT INTO report_snapshots (report_id, version, data, finalised_at, finalised_by, user_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (report, version, data, at, by, user_id),
        )
        store.conn.execute("UPDATE monthly_reports SET status = 'final', updated_at = ? WHERE id = ?", (at, report))
        audit.record(store, audit.FINALISE_REPORT, ("report", month.key),
                     {"version": version, "corrections": sum(1 for _, c in summary.cells() if c.correction)})
    return Snapshot(int(cursor.lastrowid or 0), month.key, version, at, by, None, None, None)


def reopen(store: Store, month: Month, reason: str) -> None:
    """Make a finalised month a draft again (head only, with a reason); the snapshot stays."""
    if not reason.strip():
        raise ReasonMissing()
    by, _user_id = _author(store)
    at = now_text()
    with store.write(Permission.FINALISE_REPORT):
        if not state(store, month).is_final:
            raise ReportNotFinal(month=month.display())
        report = _report_id(store, month)
        store.conn.execute(
            "UPDATE report_snapshots SET reopened_at = ?, reopened_by = ?, reopen_reason = ? "
            "WHERE report_id = ? AND reopened_at IS NULL",
            (at, by, reason.strip(), report),
        )
        store.conn.execute("UPDATE monthly_reports SET status = 'draft', updated_at = ? WHERE id = ?", (at, report))
        audit.record(store, audit.UPDATE, ("report", month.key), {"reopened": True, "reason": reason.strip()})


# -- drill-down: the records behind a cell ------------------------------------------------------
_RECORDS = {
    "visit": (
        "SELECT v.id, v.patient_id, p.full_name, substr(v.visit_at, 1, 16), "
        "CASE WHEN v.diagnosis_code = '' AND v.diagnosis_text = '' THEN v.complaint "
        "ELSE trim(v.diagnosis_code || ' ' || v.diagnosis_text) END "
        "FROM visits v JOIN patients p ON p.id = v.patient_id WHERE v.id IN ({marks})"
    ),
    "patient": (
        "SELECT p.id, p.id, p.full_name, coalesce(p.deceased_date, substr(p.created_at, 1, 10)), p.village "
        "FROM patients p WHERE p.id IN ({marks})"
    ),
    "enrolment": (
        "SELECT e.id, e.patient_id, p.full_name, coalesce(e.detected_on, e.enrolled_on), e.programme "
        "FROM enrolments e JOIN patients p ON p.id = e.patient_id WHERE e.id IN ({marks})"
    ),
    "referral": (
        "SELECT r.id, r.patient_id, p.full_name, substr(r.issued_at, 1, 16), r.number || ' → ' || r.to_facility "
        "FROM referrals r JOIN patients p ON p.id = r.patient_id WHERE r.id IN ({marks})"
    ),
    "dose": (
        "SELECT d.id, d.patient_id, p.full_name, d.given_on, d.series || ' ' || d.dose "
        "FROM vaccine_doses d JOIN patients p ON p.id = d.patient_id WHERE d.id IN ({marks})"
    ),
    "delivery": (
        "SELECT d.id, d.mother_id, p.full_name, substr(d.delivered_at, 1, 16), d.place || ' ' || d.place_name "
        "FROM deliveries d JOIN patients p ON p.id = d.mother_id WHERE d.id IN ({marks})"
    ),
    "birth": (
        "SELECT b.id, d.mother_id, p.full_name, substr(d.delivered_at, 1, 16), "
        "b.outcome || ' ' || b.sex || ' ' || coalesce(b.weight_grams, '') || ' g' "
        "FROM births b JOIN deliveries d ON d.id = b.delivery_id JOIN patients p ON p.id = d.mother_id "
        "WHERE b.id IN ({marks})"
    ),
    "followup": (
        "SELECT f.id, f.patient_id, p.full_name, f.due_date, f.label "
        "FROM followups f JOIN patients p ON p.id = f.patient_id WHERE f.id IN ({marks})"
    ),
    "outcome": (
        "SELECT o.id, f.patient_id, p.full_name, o.recorded_at, f.label FROM followup_outcomes o "
        "JOIN followups f ON f.id = o.followup_id JOIN patients p ON p.id = f.patient_id WHERE o.id IN ({marks})"
    ),
    "prescription_line": (
        "SELECT l.id, v.patient_id, p.full_name, substr(v.visit_at, 1, 16), "
        "d.ingredient || ' ' || d.strength || ' × ' || l.quantity || ' ' || d.unit "
        "FROM prescription_lines l JOIN visits v ON v.id = l.visit_id JOIN patients p ON p.id = v.patient_id "
        "JOIN drugs d ON d.id = l.drug_id WHERE l.id IN ({marks})"
    ),
    # Drugs and lots belong to no patient (0): their name stands in the name column.
    "drug": (
        "SELECT d.id, 0, d.ingredient || ' ' || d.strength, '', d.code || ' · ' || d.unit "
        "FROM drugs d WHERE d.id IN ({marks})"
    ),
    "lot": (
        "SELECT l.id, 0, coalesce((SELECT d.ingredient || ' ' || d.strength FROM drugs d WHERE d.code = l.drug_code "
        "AND d.superseded = 0), l.drug_code), l.expiry, l.drug_code || ' · ' || l.lot_no "
        "FROM stock_lots l WHERE l.id IN ({marks})"
    ),
}


@dataclass(frozen=True)
class Record:
    """One record behind a value: what it is, whose it is, its date and a short description."""

    id: int
    patient_id: int
    full_name: str
    date: str
    detail: str


def records(store: Store, unit: str, ids: list[int], limit: int = 5000) -> list[Record]:
    """The records of kind ``unit`` (visit, patient, enrolment…) with these ids, by date."""
    sql = _RECORDS.get(unit)
    if sql is None:
        return []  # a value with no records behind it (a sum of money, a percentage)
    found: list[Record] = []
    wanted = ids[:limit]
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        found += [Record(*row) for row in store.conn.execute(sql.format(marks=",".join("?" * len(chunk))), chunk)]
    return sorted(found, key=lambda r: (r.date or "", r.full_name, r.id))
