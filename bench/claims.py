"""The health-insurance claims of a month on the large station (issue 19): every insured visit of
the busiest month checked and written as its own file by ``main.py claims`` in a new process, its
wall clock, CPU time and peak memory (the process's ``ru_maxrss``); the same with ``--check``
(nothing written); and, when the busiest month has fewer insured visits than the issue's "about
35,000" at 100,000 patients, a longer period that has that many."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.core import Context, Figure, bench
from bench.data import ROOT
from bench.features import app_env, scratch_copy

TARGET_S = 30.0
TARGET_MB = 300.0
INSURED_PER_100K = 35_000  # the month of a 100,000-patient station


@dataclass(frozen=True)
class Run:
    """One ``main.py claims`` process: wall and CPU seconds, peak memory, exit code, what it wrote."""

    seconds: float
    cpu: float
    peak_mb: float
    code: int
    files: int
    bytes: int
    held: int
    load: float  # the 1-minute load average when it ended


def insured_by_month(db: Path) -> list[tuple[str, int]]:
    """(YYYY-MM, insured visits) of every month, the busiest first."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT substr(visit_at, 1, 7) AS m, COUNT(*) AS n FROM visits WHERE insurance_paid = 1 "
            "GROUP BY m ORDER BY n DESC, m DESC"
        ).fetchall()
    return [(str(m), int(n)) for m, n in rows]


def period_with(db: Path, first: dt.date, wanted: int, today: dt.date) -> tuple[dt.date, int]:
    """The last day of the shortest period from ``first`` that has ``wanted`` insured visits
    (or up to ``today`` when the station has fewer), with how many it has."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        days = conn.execute(
            "SELECT substr(visit_at, 1, 10) AS d, COUNT(*) FROM visits WHERE insurance_paid = 1 AND visit_at >= ? "
            "AND visit_at < ? GROUP BY d ORDER BY d",
            (first.isoformat(), (today + dt.timedelta(days=1)).isoformat()),
        ).fetchall()
    total, last = 0, first
    for day, n in days:
        total += int(n)
        last = dt.date.fromisoformat(str(day))
        if total >= wanted:
            break
    return last, total


def month_span(key: str) -> tuple[dt.date, dt.date]:
    first = dt.date.fromisoformat(key + "-01")
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def reset_register(db: Path, first: dt.date, last: dt.date) -> None:
    """Forget the period's claims on the scratch copy: each run is the month's first export."""
    with sqlite3.connect(str(db)) as conn:
        conn.execute(
            "DELETE FROM claims WHERE visit_id IN (SELECT id FROM visits WHERE visit_at >= ? AND visit_at < ?)",
            (first.isoformat(), (last + dt.timedelta(days=1)).isoformat()),
        )
    conn.close()


def run_claims(ctx: Context, db: Path, first: dt.date, last: dt.date, out: Path, check: bool) -> Run:
    """``main.py claims`` in a new process (``bench._run_cli``: what ``main.py`` runs, then the
    process's own peak memory, ``VmHWM``), waited for with ``wait4`` for its CPU time. (The
    ``ru_maxrss`` that ``wait4`` gives is no use here: Linux counts in it the memory of the process
    that started the child, this suite, as it was when the child was started.)"""
    argv = [sys.executable, "-m", "bench._run_cli", "claims", "--db", str(db), "--from", first.isoformat(),
            "--to", last.isoformat(), "--out", str(out)] + (["--check"] if check else [])
    log = ctx.work_dir / "claims-run.log"
    with log.open("wb") as stdout, (ctx.work_dir / "claims-run.err").open("wb") as stderr:
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=ROOT, env=app_env(ctx), stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    lines = log.read_text(encoding="utf-8").splitlines()
    result = json.loads(lines[-1]) if lines and lines[-1].startswith('{"code"') else {}
    code = result.get("code")
    if child.returncode != 0 or code not in (0, 1):  # 1: some visits held back, as the demo station has a few
        err = (ctx.work_dir / "claims-run.err").read_text(encoding="utf-8", errors="replace")
        raise RuntimeError(f"main.py claims ended with {code} ({child.returncode}): {err.strip()[-500:]}")
    held = sum(1 for line in lines[:-1] if line.strip())  # one line per visit held back
    files = list(out.glob("*.xml")) if out.exists() else []
    return Run(seconds, usage.ru_utime + usage.ru_stime, float(result["peak_mb"]), int(code), len(files),
               sum(f.stat().st_size for f in files), held, os.getloadavg()[0])


OUT = "claims-out"  # the runs' folders, under the work folder


def runs_of(ctx: Context, db: Path, first: dt.date, last: dt.date, check: bool, repeats: int) -> list[Run]:
    """``repeats`` runs, each into a new folder of its own. The folders are removed only when every
    run of the benchmark is done: on a disk mounted with ``discard`` (as this machine's is), creating
    files just after tens of thousands were deleted costs up to ten times as much for a minute
    after, so deleting one run's files just before the next charged the deletion to that run (a
    station does not delete a month of files just before it writes the next)."""
    found = []
    for _ in range(repeats):
        reset_register(db, first, last)
        out = ctx.work_dir / OUT / f"run-{len(list((ctx.work_dir / OUT).glob('run-*'))) + 1}"
        found.append(run_claims(ctx, db, first, last, out, check))
    reset_register(db, first, last)
    return found


def _loads(runs: list[Run]) -> str:
    lo, hi = min(r.load for r in runs), max(r.load for r in runs)
    return f"load average (1 min) {lo:.1f}" + (f"–{hi:.1f}" if hi - lo >= 0.05 else "") + " at the ends of the runs"


def figures_of(title: str, key: str, runs: list[Run], checks: list[Run] | None, insured: int, how: str) -> list[Figure]:
    written = runs[-1]
    note = (f"{insured:,} insured visits: {written.files:,} files ({written.bytes / 1e6:.0f} MB) written, "
            f"{written.held:,} held back; {_loads(runs)}")
    out = [
        Figure(key, f"{title}: checked and written (`main.py claims`)", [r.seconds for r in runs], unit="s",
               target=TARGET_S, cpu=[r.cpu for r in runs], how=how, note=note),
        Figure(f"{key}_memory", f"{title}: peak memory (RSS) of `main.py claims`", [r.peak_mb for r in runs],
               unit="MB", target=TARGET_MB,
               how="The largest resident set of the `main.py claims` process (`VmHWM` of `/proc/self/status`, "
               "read by the process itself as it ends)."),
    ]
    if checks:
        out.append(Figure(f"{key}_check", f"{title}: checked only (`main.py claims --check`)",
                          [r.seconds for r in checks], unit="s", target=TARGET_S, cpu=[r.cpu for r in checks],
                          how="The same command with `--check`: every claim built and checked, nothing written "
                          "(no file, no register entry).",
                          note=f"peak memory {max(r.peak_mb for r in checks):.0f} MB; {_loads(checks)}"))
    return out


@bench("claims_month", order=77)
def claims_month(ctx: Context) -> list[Figure]:
    """A month of insured visits checked and written as claims files (main.py claims)."""
    months = insured_by_month(ctx.db)
    if not months:
        raise RuntimeError("the demo database has no insured visit")
    key, insured = months[0]
    first, last = month_span(key)
    db = scratch_copy(ctx)
    repeats = ctx.reps(3, minimum=1)
    shutil.rmtree(ctx.work_dir / OUT, ignore_errors=True)
    try:
        return _measured(ctx, db, key, insured, first, last, repeats)
    finally:
        shutil.rmtree(ctx.work_dir / OUT, ignore_errors=True)


def _measured(ctx: Context, db: Path, key: str, insured: int, first: dt.date, last: dt.date,
              repeats: int) -> list[Figure]:
    # A warm-up: the app's modules compiled once (as an installed app has them), the file in the OS cache.
    run_claims(ctx, db, first, first, ctx.work_dir / OUT / "warm-up", True)
    how = (f"`main.py claims --db COPY --from {first} --to {last} --out DIR` in a new process each time (Python "
           "start, imports, opening the file, every insured visit gathered, built, checked and written as its own "
           "`GIAMDINHHS` file under a temporary name while the page check of the whole file runs on a second "
           "thread, its verdict, one flush of the file system, the files put in place together, the register "
           "entries), into a new folder (each run its own, all removed after the last run), the month's register "
           "entries removed before each run (every run is the month's first export). CPU: the process's user + "
           "system time.")
    title = f"Claims of the busiest month ({first:%m/%Y})"
    figures = figures_of(title, "claims_month", runs_of(ctx, db, first, last, False, repeats),
                         runs_of(ctx, db, first, last, True, repeats), insured, how)
    wanted = round(INSURED_PER_100K * ctx.patients / 100_000)
    if insured < 0.95 * wanted:
        end, scaled = period_with(ctx.db, first, wanted, ctx.today)
        if end > last:
            how = (f"As above for the period {first} to {end}: the busiest month has {insured:,} insured visits, "
                   f"fewer than the {wanted:,} a month of the issue's station has, so the period runs on until it "
                   "has that many.")
            figures += figures_of(f"Claims of {scaled:,} insured visits ({first:%d/%m}–{end:%d/%m/%Y})",
                                  "claims_scaled", runs_of(ctx, db, first, end, False, repeats),
                                  runs_of(ctx, db, first, end, True, repeats), scaled, how)
    return figures
