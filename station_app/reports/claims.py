"""The claims run: every insured visit of a period built, checked, and written as its own
``GIAMDINHHS`` file named by its MA_LK (or held back with its reasons), entered in the claims
register and audited; the month's claims totals (visits, cost, what the fund and patients pay) as
JSON and XLSX. The facility's digital signature is not put on here: the files are signed with the
portal's signing tool before they are sent."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from station_app import clock
from station_app.domain import claims as domain
from station_app.domain import claims_xml
from station_app.domain.accounts import Permission
from station_app.domain.claims import Claim
from station_app.errors import UserError, os_reason
from station_app.files import StagedFiles
from station_app.i18n import N_
from station_app.store import claims as store_claims
from station_app.store.claims import Gathered, MonthTotals, RunEntry
from station_app.store.database import Store
from station_app.store.errors import ReadOnly


@dataclass(frozen=True)
class Outcome:
    """What became of one insured visit: ``written`` (to ``file``), ``ready`` (passes, but a check wrote
    nothing) or ``held`` (its ``problems``)."""

    visit_id: int
    ma_lk: str
    patient_id: int
    full_name: str
    status: str
    problems: list[str] = field(default_factory=list)
    file: str = ""

    def as_json(self) -> dict[str, object]:
        return {
            "visit_id": self.visit_id,
            "ma_lk": self.ma_lk,
            "patient_id": self.patient_id,
            "full_name": self.full_name,
            "status": self.status,
            "problems": self.problems,
        }


def file_name(ma_lk: str) -> str:
    """The file of a claim: its MA_LK (characters a file name cannot hold replaced)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in ma_lk)
    return f"{safe}.xml"


def build_each(store: Store, first: dt.date, last: dt.date) -> Iterator[tuple[Gathered, Claim]]:
    """The claims of the insured visits from ``first`` to ``last``, built and checked one by one
    (a month of a large station is never held in memory at once)."""
    station = store_claims.station_info(store)
    for gathered in store_claims.gather(store, first, last):
        tables = claims_xml.field_tables(gathered.visit.visit_at.date())
        yield gathered, domain.build(gathered.visit, station, tables)


def build_all(store: Store, first: dt.date, last: dt.date) -> list[tuple[Gathered, Claim]]:
    return list(build_each(store, first, last))


def run(
    store: Store,
    first: dt.date,
    last: dt.date,
    out_dir: Path | None,
    progress: Callable[[int, int], None] | None = None,
    before_writing: Callable[[], None] | None = None,
) -> list[Outcome]:
    """Check the period's insured visits; with ``out_dir``, write each one that passes to its own
    file (0600, in a folder made 0700 when new) and enter the run in the register (one audited
    write). Without ``out_dir`` (a check) nothing is written anywhere. ``progress(done, total)`` is
    told of each visit handled. ``before_writing()``, when given, runs once every file is staged and
    before any is put in place or the register is written: the page check of the file, run beside
    the building, can still stop the run there (its files discarded). A check reads what anyone who
    sees the records sees (a nurse checks her own visits and fixes them); writing the files is an
    export."""
    store.require(Permission.EXPORT_CLAIMS if out_dir is not None else Permission.VIEW_RECORDS)
    if last < first:
        raise UserError(N_("The end of the period is before its start."))
    made_on = clock.today()
    station = store_claims.station_info(store)
    if out_dir is not None:
        if store.read_only:  # (the register could not say which files were written: none is)
            raise ReadOnly(store.path)
        _make_folder(out_dir)
    total = store_claims.count_insured(store, first, last) if progress is not None else 0
    outcomes: list[Outcome] = []
    entries: list[RunEntry] = []
    # The files appear together once all are written, then the register says so: a full disk or a
    # kill half-way leaves neither half a month in the folder nor a register ahead of the files.
    with StagedFiles() as files:
        for number, (gathered, claim) in enumerate(build_each(store, first, last), start=1):
            problems = [p.text() for p in claim.problems if p.is_error]
            target: str | None = None
            if not problems and out_dir is not None:
                tables = claims_xml.field_tables(gathered.visit.visit_at.date())
                text = claims_xml.envelope(station.facility_code, made_on, claim.documents(tables))
                path = out_dir / file_name(claim.ma_lk)
                _writing(path, files.add, path, text.encode("utf-8"))
                target = str(path)
            entries.append(store_claims.run_entry(gathered, claim, target))
            status = "held" if problems else "written" if out_dir is not None else "ready"
            outcomes.append(
                Outcome(claim.visit_id, claim.ma_lk, claim.patient_id, claim.full_name, status, problems, target or "")
            )
            if progress is not None and (number % PROGRESS_EVERY == 0 or number == total):
                progress(number, total)
        if out_dir is not None:
            if before_writing is not None:
                before_writing()
            _writing(out_dir, files.commit)
            store_claims.record(store, entries, f"{first.isoformat()}..{last.isoformat()}", str(out_dir))
    return outcomes


PROGRESS_EVERY = 100  # visits between two reports of progress
T = TypeVar("T")


def _writing(path: Path, write: Callable[..., T], *args: object) -> T:
    """``write(*args)``, its failure told as the file (or folder) that could not be written and why."""
    try:
        return write(*args)
    except OSError as exc:
        raise UserError(N_("Cannot write {path}: {reason}"), path=exc.filename or path, reason=os_reason(exc)) from exc


def _make_folder(folder: Path) -> None:
    """The run's folder, made ``0700`` when new; temporary files a killed run left there removed."""
    if folder.exists() and not folder.is_dir():
        raise UserError(N_("{path} is a file, not a folder: choose a folder for the claims files."), path=folder)
    if not folder.exists():
        _writing(folder, folder.mkdir, 0o700, True)
        folder.chmod(0o700)  # (mkdir's mode is masked by the umask)
    StagedFiles.remove_stale(folder, ".xml")


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def totals_json(totals: MonthTotals) -> bytes:
    """The month as one JSON object: counts, money (exact decimals as strings) and one row per visit."""
    data = {
        "month": totals.month,
        "visits": totals.visits,
        "written": totals.written,
        "held": totals.held,
        "unchecked": totals.unchecked,
        "accepted": totals.accepted,
        "refused": totals.refused,
        "total_cost": _money(totals.total),
        "insurance_pays": _money(totals.fund),
        "patients_pay": _money(totals.patient),
        "claims": [
            {
                "visit_id": r.visit_id,
                "visit_at": r.visit_at,
                "patient_id": r.patient_id,
                "full_name": r.full_name,
                "ma_lk": r.ma_lk,
                "status": r.status or "unchecked",
                "problems": r.problems,
                "written_at": r.written_at,
                "resubmission": r.resubmission,
                "answer": r.answer,
                "answer_reason": r.answer_reason,
                "total_cost": _money(r.total),
                "insurance_pays": _money(r.fund),
                "patients_pay": _money(r.patient),
            }
            for r in totals.rows
        ],
    }
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def totals_xlsx(totals: MonthTotals) -> bytes:
    """The month's claims as a workbook: the totals, then one row per insured visit."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    from station_app.domain.spreadsheet import no_formulas, sheet_text
    from station_app.i18n import tr

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = tr("Claims")
    sheet.append([tr("Insurance claims, month {month}").format(month=totals.month)])
    sheet["A1"].font = Font(bold=True, size=13)
    for label, value in (
        (tr("Insured visits"), totals.visits),
        (tr("Written"), totals.written),
        (tr("Held back"), totals.held),
        (tr("Not checked yet"), totals.unchecked),
        (tr("Total cost (đồng)"), totals.total),
        (tr("Insurance pays (đồng)"), totals.fund),
        (tr("Patients pay (đồng)"), totals.patient),
    ):
        sheet.append([label, value])
    sheet.append([])
    header = [
        tr("Visit"),
        tr("Date"),
        tr("Patient"),
        "MA_LK",
        tr("Status"),
        tr("Total cost (đồng)"),
        tr("Insurance pays (đồng)"),
        tr("Patients pay (đồng)"),
        tr("Portal's answer"),
        tr("Reasons"),
    ]
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for r in totals.rows:
        sheet.append(
            [
                sheet_text(value)
                for value in (
                    r.visit_id,
                    r.visit_at[:10],
                    r.full_name,
                    r.ma_lk,
                    r.status_label(),
                    r.total,
                    r.fund,
                    r.patient,
                    r.answer_label(),
                    "; ".join(r.problems),
                )
            ]
        )
    no_formulas(sheet)  # (a name or a typed reason is never a formula)
    for column, width in zip("ABCDEFGHIJ", (8, 11, 26, 26, 16, 14, 14, 14, 24, 60), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
