"""Measurements of the station's daily work on the large database: demo generation, the follow-up
work list, a referral slip, the visit book for a month, the monthly summary, a backup and an import.

The monthly summary, the backup and the XLSX import are measured through their command-line
contracts (issues 6, 7 and 8): when the command is not there yet, the figure is reported as
pending. A helper who adds one of those features may replace the measurement with a direct call.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.core import Context, Figure, Pending, bench
from bench.data import ROOT


# -- helpers ----------------------------------------------------------------------------------------
def cli_commands() -> dict[str, set[str]]:
    """The ``main.py`` commands and, for each, its sub-commands (``report`` → ``monthly``…)."""
    from station_app.cli.commands import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found: dict[str, set[str]] = {}
    for name, command in sub.choices.items():
        inner = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]
        found[name] = set(inner[0].choices) if inner else set()
    return found


def app_env(ctx: Context) -> dict[str, str]:
    """The environment of a ``main.py`` process: a private data folder, and compiled modules kept
    (as an installed app has them; this machine's shell may say otherwise)."""
    env = dict(os.environ, TRAM_DATA_DIR=str(ctx.work_dir / "cli-data"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``main.py ARGV`` in this process: (exit code, stdout, stderr)."""
    from station_app import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def scratch_copy(ctx: Context) -> Path:
    """A copy of the large database for measurements that may write to it (made once)."""
    copy = ctx.work_dir / "scratch.sqlite3"
    if not copy.exists():
        # The cached file is in WAL mode: copy it with SQLite's backup, not byte by byte.
        source, dest = sqlite3.connect(str(ctx.db)), sqlite3.connect(str(copy))
        try:
            source.backup(dest)
        finally:
            dest.close()
            source.close()
    return copy


def last_full_month(today: dt.date) -> tuple[dt.date, dt.date]:
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


# -- generation -------------------------------------------------------------------------------------
@bench("generation", order=1)
def generation(ctx: Context) -> Figure:
    info = ctx.build_info
    when = "this run" if not info.get("reused") else f"the build of {info.get('built_at')}, reused"
    return Figure(
        "generation", f"Demo database generation, {info['patients']:,} patients / {info['visits']:,} visits",
        [float(info["seconds"])], unit="s", target=60,
        cpu=[float(info["cpu_seconds"])] if info.get("cpu_seconds") is not None else None,
        how=("`station_app.demo.generate(path, patients, seed, visits_per_patient=10)` into a new file, timed once "
             "(it is the setup of the suite; rerun without `--reuse` to time it again)."),
        note=f"from {when}; {info.get('size_mb', '?')} MB on disk")


# -- opening the file -------------------------------------------------------------------------------
@bench("open", order=15)
def open_file(ctx: Context) -> list[Figure]:
    from station_app.store import database, open_store

    def open_close() -> None:
        open_store(ctx.db, create=False).close()

    opened = ctx.time(open_close, ctx.reps(7, minimum=2))
    figures = [Figure("open_store", "Opening the large file (`open_store`: checks, WAL, schema, ICD-10)", opened,
                      how="`open_store(db)` then `close()`, as every command and the app do first.")]
    if hasattr(database, "quick_check"):
        checked = ctx.time(lambda: database.quick_check(ctx.db), ctx.reps(7, minimum=2))
        figures.append(Figure("open_quick_check", "… of which SQLite's quick check of every page", checked,
                              how="`store.database.quick_check(db)` alone (`PRAGMA quick_check`, read-only)."))
    env = app_env(ctx)
    argv = [sys.executable, "main.py", "find", "--db", str(ctx.db), "nguyen thi huong", "--json"]
    lines = [0]

    def find() -> None:
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        lines[0] = len(done.stdout.splitlines())

    found = list(ctx.time(find, ctx.reps(7, minimum=2)))  # (this process's CPU time says nothing here)
    figures.append(Figure("cli_find", '`main.py find --db … "nguyen thi huong" --json`, end to end', found,
                          how="A new process each time: Python start, imports, `open_store`, the search, JSON out.",
                          note=f"{lines[0]} lines"))
    return figures


# -- follow-ups -------------------------------------------------------------------------------------
@bench("worklist", order=40)
def worklist(ctx: Context) -> list[Figure]:
    from station_app.store import followups

    rows: list[Any] = []
    # Built from the file each time: the items read are kept until the file changes, so forget them.
    clear = getattr(followups, "clear_cache", lambda store=None: None)

    def build() -> None:
        clear(ctx.store)
        rows[:] = followups.work_rows(ctx.store, ctx.today)

    samples = ctx.time(build, ctx.reps(20, minimum=2))
    n_open = ctx.store.scalar("SELECT count(*) FROM followups WHERE status = 'open'")

    def count() -> None:
        clear(ctx.store)
        followups.section_counts(ctx.store, ctx.today)

    counts = ctx.time(count, ctx.reps(20, minimum=2))

    paused = getattr(followups, "cycle_collection_paused", contextlib.nullcontext)

    def section_after_counts() -> None:  # what the Nhắc hẹn view does on a reload
        clear(ctx.store)
        with paused():
            followups.section_counts(ctx.store, ctx.today)
            followups.work_rows(ctx.store, ctx.today, followups.Section.OVERDUE)

    reload = ctx.time(section_after_counts, ctx.reps(20, minimum=2))
    switch = ctx.time(lambda: followups.work_rows(ctx.store, ctx.today, followups.Section.DUE), ctx.reps(20, minimum=2))
    return [
        Figure("worklist", "Follow-up work list, every section (`followups.work_rows`)", samples, target=200,
               how=("`work_rows(store, today)` read from the file: open and recently removed items, risk, sections, "
                    "patients' facts."),
               note=f"{len(rows):,} rows from {n_open:,} open items"),
        Figure("worklist_counts", "Follow-up counts of the Today view (`followups.section_counts`)", counts,
               target=200, how="`section_counts(store, today)` read from the file: the same items and `classify`."),
        Figure("worklist_reload", "Nhắc hẹn view reload: counts, then the overdue section", reload, target=200,
               how=("`section_counts` then `work_rows(…, Section.OVERDUE)`, read from the file once, under one "
                    "pause of the cycle collector as the view does.")),
        Figure("worklist_switch", "Nhắc hẹn view: another section, file unchanged", switch, target=200,
               how="`work_rows(…, Section.DUE)` right after a reload: the items read are reused while the file "
                   "has not changed."),
    ]


# -- referral slip ----------------------------------------------------------------------------------
@bench("referral_slip", order=50)
def referral_slip(ctx: Context) -> list[Figure]:
    from station_app.printing import fonts
    from station_app.printing.referral_slip import render_referral_bytes
    from station_app.store import referrals
    from station_app.store.station import load_profile

    book = referrals.book(ctx.store)
    if not book:
        raise RuntimeError("the demo database has no referral")
    referral_id = book[-1].id
    station = referrals.station_for_print(load_profile(ctx.store))
    fonts.register_fonts()
    size = [0]

    def slip() -> None:
        size[0] = len(render_referral_bytes(referrals.get(ctx.store, referral_id), station))

    samples = ctx.time(slip, ctx.reps(40, minimum=2), warmup=2)
    from bench.referral_example import STATION, example_referral

    example = example_referral()
    full = ctx.time(lambda: render_referral_bytes(example, STATION), ctx.reps(40, minimum=2), warmup=2)
    return [
        Figure("referral_slip", "Referral slip PDF from the database (fonts loaded)", samples, target=100,
               how=("`referrals.get` of the last referral of the book, then `render_referral_bytes` (A4, "
                    "fonts embedded), after two warm-up slips (font registration and subsets)."),
               note=f"{size[0] / 1024:.0f} kB PDF, {len(book):,} referrals in the book"),
        Figure("referral_slip_full", "Referral slip PDF, every field filled (the docs' example)", full, target=100,
               how="`render_referral_bytes` of `bench/referral_example.py` (long clinical texts, earlier treatment)."),
    ]


# -- visit book -------------------------------------------------------------------------------------
@bench("visit_book", order=60)
def visit_book(ctx: Context) -> list[Figure]:
    from station_app.store import visits
    from station_app.ui.models import PAGE

    start, end = last_full_month(ctx.today)
    f = visits.LogFilter(start=start, end=end)
    count = [0]

    def open_month() -> None:
        ids = visits.log_ids(ctx.store, f)
        visits.log_totals(ctx.store, f)
        visits.log_rows(ctx.store, ids[:PAGE])
        count[0] = len(ids)

    opened = ctx.time(open_month, ctx.reps(20, minimum=2))

    def whole_month() -> None:
        visits.log_rows(ctx.store, visits.log_ids(ctx.store, f))

    whole = ctx.time(whole_month, ctx.reps(10, minimum=2))
    return [
        Figure("visit_book", f"Visit book (Lượt khám) for a month, opened: ids, totals, first page ({start:%m/%Y})",
               opened, target=300,
               how=("What the Lượt khám view does for a month: `visits.log_ids`, `visits.log_totals` and "
                    f"`visits.log_rows` for the first page ({PAGE} rows) that `VisitLogModel` fetches. Target: the "
                    "registry's 300 ms."),
               note=f"{count[0]:,} visits in the month"),
        Figure("visit_book_rows", "Visit book for a month, every row read (what printing it needs)", whole,
               target=1000, how="`log_rows` over every id of the month (joined with the patients). Target: 1 s."),
    ]


# -- monthly summary (issue 6) ---------------------------------------------------------------------
@bench("monthly_summary", order=70)
def monthly_summary(ctx: Context) -> list[Figure]:
    if "monthly" not in cli_commands().get("report", set()):
        raise Pending("Monthly summary for one month (issue 6)", "≤ 1 s")
    start, _end = last_full_month(ctx.today)
    db = scratch_copy(ctx)
    out = ctx.work_dir / "monthly.json"
    argv = ["report", "monthly", "--db", str(db), "--month", f"{start:%Y-%m}", "--format", "json", "--out", str(out)]

    def summary() -> None:
        code, _, err = run_cli(argv)
        if code != 0:
            raise RuntimeError(f"main.py report monthly failed: {err.strip()}")

    samples = ctx.time(summary, ctx.reps(10, minimum=2))
    from station_app.domain.monthly import Month
    from station_app.reports import monthly

    month = Month(start.year, start.month)
    computed = ctx.time(lambda: monthly.draft(ctx.store, month), ctx.reps(10, minimum=2))
    both = ctx.time(lambda: monthly.compute(ctx.store, month, previous_month=True), ctx.reps(10, minimum=2))
    sent = ("the month before was sent (finalised) early in this month, as the demo station sends each month's "
            "report, so its values are read back rather than counted")
    return [
        Figure("monthly_summary", f"Monthly summary for one month ({start:%m/%Y}), JSON", samples, target=1000,
               how=("`main.py report monthly --format json` run in-process (`station_app.cli.main`): opening the "
                    f"file, computing every indicator, writing the JSON; {sent}."),
               note=f"{out.stat().st_size / 1024:.0f} kB JSON"),
        Figure("monthly_summary_compute", f"Monthly summary for one month ({start:%m/%Y}), computed", computed,
               target=1000,
               how=("`reports.monthly.draft` on the open store: every indicator of the month with the records "
                    f"behind each value (what the Báo cáo view waits for); {sent}.")),
        Figure("monthly_summary_unsent", f"Monthly summary for one month ({start:%m/%Y}), month before not sent",
               both, target=1000,
               how=("`reports.monthly.compute` with the month before counted too: what the Báo cáo view waits for "
                    "when the head has not sent last month's report yet.")),
    ]


# -- backup (issue 7) -------------------------------------------------------------------------------
@bench("backup", order=80)
def backup(ctx: Context) -> list[Figure]:
    figures: list[Figure] = []
    db = scratch_copy(ctx)
    size_mb = db.stat().st_size / 1e6
    if "backup" in cli_commands():
        runs = []
        for i in range(ctx.reps(3, minimum=1)):
            target = ctx.work_dir / f"backups-{i}"
            started = time.perf_counter()
            code, _, err = run_cli(["backup", "--db", str(db), "--to", str(target)])
            runs.append((time.perf_counter() - started) * 1000)
            if code != 0:
                raise RuntimeError(f"main.py backup failed: {err.strip()}")
            shutil.rmtree(target, ignore_errors=True)
        figures.append(Figure("backup", f"Backup of the large file ({size_mb:.0f} MB), `main.py backup`",
                              [ms / 1000 for ms in runs], unit="s",
                              how="`main.py backup --db COPY --to DIR` run in-process, into an empty folder."))
    else:
        figures.append(Figure("backup", "Backup of the large file (issue 7)", [], pending="feature not built yet",
                              note="the command `main.py backup` is not there yet"))
    from station_app.store import open_store

    store = open_store(db, create=False)
    try:
        runs = []
        for i in range(ctx.reps(3, minimum=1)):
            target = ctx.work_dir / f"copy-{i}.sqlite3"
            started = time.perf_counter()
            store.backup_to(target)
            runs.append(time.perf_counter() - started)
            target.unlink()
    finally:
        store.close()
    figures.append(Figure("backup_copy", f"Verified copy of the large file ({size_mb:.0f} MB), `Store.backup_to`",
                          runs, unit="s",
                          how=("SQLite's online backup into a new file, then `PRAGMA integrity_check` on the copy "
                               "(the copy taken before a schema upgrade); the floor of any backup.")))
    return figures


# -- import (issue 8) -------------------------------------------------------------------------------
IMPORT_HEADERS = ("Họ và tên", "Giới tính", "Ngày sinh", "Số CCCD", "Số thẻ BHYT", "Điện thoại", "Địa chỉ",
                  "Thôn/Xóm", "Dân tộc", "Nghề nghiệp")


def import_rows_of(ctx: Context) -> list[list[str]]:
    """The large database's patients as a station's spreadsheet would hold them."""
    rows = []
    for r in ctx.store.conn.execute(
        "SELECT full_name, sex, birth_year, birth_month, birth_day, citizen_id, insurance_no, phone, address, "
        "village, ethnicity, occupation FROM patients ORDER BY id"
    ):
        name, sex, year, month, day, cid, card, phone, address, village, ethnicity, occupation = r
        born = f"{day:02d}/{month:02d}/{year}" if day else (f"{month:02d}/{year}" if month else str(year or ""))
        rows.append([name, {"1": "Nam", "2": "Nữ"}.get(sex, ""), born, cid or "", card or "", phone or "",
                     address or "", village or "", ethnicity or "", occupation or ""])
    return rows


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(IMPORT_HEADERS)
        writer.writerows(rows)


def write_xlsx(path: Path, rows: list[list[str]]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Bệnh nhân")
    sheet.append(list(IMPORT_HEADERS))
    for row in rows:
        sheet.append(row)
    book.save(path)


def timed_import(ctx: Context, source: Path) -> tuple[float, float, int, str]:
    """(seconds, peak MB, exit code, stderr) of ``main.py import`` into a new file, in a new process."""
    db = ctx.work_dir / f"import-{source.suffix[1:]}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    env = app_env(ctx)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bench._run_cli", "import", "--db", str(db), str(source)],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith('{"code"')]
    if not lines:
        raise RuntimeError(f"import ended with {done.returncode} and no result: {done.stderr[-1000:]}")
    result = json.loads(lines[-1])
    return seconds, float(result["peak_mb"]), int(result["code"]), done.stderr


@bench("import", order=90)
def import_patients(ctx: Context) -> list[Figure]:
    rows = import_rows_of(ctx)
    n = len(rows)
    figures = []
    # XLSX (issue 8): does `main.py import` read a workbook yet? Try a two-row one first.
    probe = ctx.work_dir / "probe.xlsx"
    write_xlsx(probe, rows[:2])
    _, _, code, err = timed_import(ctx, probe)
    if code == 0:
        source = ctx.work_dir / "patients.xlsx"
        write_xlsx(source, rows)
        runs, peaks = [], []
        for _ in range(ctx.reps(1, minimum=1)):
            seconds, peak, code, err = timed_import(ctx, source)
            if code != 0:
                raise RuntimeError(f"XLSX import failed: {err[-500:]}")
            runs.append(seconds)
            peaks.append(peak)
        figures.append(Figure("import_xlsx", f"Import of {n:,} patients from XLSX (`main.py import`)", runs,
                              unit="s", target=60,
                              how=("The large database's patients written as a workbook with the Vietnamese column "
                                   "names, imported into a new file by `main.py import` in a new process."),
                              note=f"peak memory {max(peaks):.0f} MB (target 500 MB)"))
    else:
        figures.append(Figure("import_xlsx", f"Import of {n:,} patients from XLSX (issue 8)", [],
                              pending="feature not built yet",
                              note="`main.py import` does not read .xlsx yet: " + err.strip().splitlines()[-1][:120]
                              if err.strip() else ""))
    source = ctx.work_dir / "patients.csv"
    write_csv(source, rows)
    runs, peaks = [], []
    for _ in range(ctx.reps(1, minimum=1)):
        seconds, peak, code, err = timed_import(ctx, source)
        if code != 0:
            raise RuntimeError(f"CSV import failed: {err[-500:]}")
        runs.append(seconds)
        peaks.append(peak)
    figures.append(Figure("import_csv", f"Import of {n:,} patients from CSV (`main.py import`)", runs, unit="s",
                          target=60,
                          how=("The same patients as a UTF-8 CSV with the Vietnamese column names, imported into a "
                               "new file by `main.py import` in a new process (Python start included). Target: the "
                               "XLSX one."),
                          note=f"peak memory {max(peaks):.0f} MB"))
    return figures
