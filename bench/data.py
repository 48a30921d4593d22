"""The large demo database the suite measures, built once per seed and size and kept under
``bench-data/`` (git-ignored); and the description of the machine the figures come from."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench-data"
VISITS_PER_PATIENT = 10.0


def cached_path(patients: int, seed: int, folder: Path = CACHE) -> Path:
    return folder / f"demo-{patients}-s{seed}.sqlite3"


def _info_path(db: Path) -> Path:
    return db.with_name(db.name + ".json")


def _file_version(db: Path) -> int:
    from station_app.store.database import inspect_file

    return inspect_file(db)[1]


def reusable(db: Path, patients: int, seed: int) -> dict[str, Any] | None:
    """The build record of ``db`` when it is a finished build of that size and seed at the
    current schema (an older schema would be migrated in place — rebuild instead)."""
    from station_app.store.schema import SCHEMA_VERSION

    try:
        info = json.loads(_info_path(db).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not db.exists() or info.get("patients") != patients or info.get("seed") != seed:
        return None
    try:
        if _file_version(db) != SCHEMA_VERSION:
            return None
    except Exception:
        return None
    return info


def build(db: Path, patients: int, seed: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Generate the demo database at ``db`` with ``station_app.demo.generate``, timed.

    It is written beside ``db`` and moved into place when finished: a run that has the old file
    open keeps reading it, and no run ever sees a half-built file.
    """
    from station_app import clock
    from station_app.demo import generate

    db.parent.mkdir(parents=True, exist_ok=True)
    part = db.with_name(f"{db.stem}.building-{os.getpid()}.sqlite3")
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 10 or done == total:
            last[0] = now
            log(f"  generated {done:,}/{total:,} patients")

    log(f"Building {db} ({patients:,} patients, seed {seed})…")
    started, started_cpu = time.perf_counter(), os.times()
    try:
        summary = generate(part, patients=patients, seed=seed, visits_per_patient=VISITS_PER_PATIENT,
                           force=True, progress=progress)
        seconds = time.perf_counter() - started
        ended_cpu = os.times()
        cpu_seconds = (ended_cpu.user - started_cpu.user) + (ended_cpu.system - started_cpu.system)
        _info_path(db).unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        part.replace(db)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(str(part) + suffix).unlink(missing_ok=True)
    info = {"patients": summary.patients, "visits": summary.visits, "seed": seed,
            "seconds": round(seconds, 2), "cpu_seconds": round(cpu_seconds, 2), "today": clock.today().isoformat(),
            "built_at": dt.datetime.now().isoformat(timespec="seconds"),
            "size_mb": round(file_size(db) / 1e6, 1)}
    _info_path(db).write_text(json.dumps(info, indent=1), encoding="utf-8")
    log(f"  {summary.patients:,} patients, {summary.visits:,} visits in {seconds:.1f} s")
    return info


def prepare(patients: int, seed: int, reuse: bool, folder: Path, log: Callable[[str], None]
            ) -> tuple[Path, dict[str, Any], bool]:
    """(database, build record, whether it was reused). Runs sharing ``folder`` build one at a time."""
    db = cached_path(patients, seed, folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(db.with_name(db.name + ".lock"), "w") as lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - not on Linux: no lock
            pass
        if reuse:
            info = reusable(db, patients, seed)
            if info is not None:
                log(f"Reusing {db} (built {info.get('built_at')}, {info.get('seconds')} s)")
                return db, info, True
            log(f"No finished build of {patients:,} patients with seed {seed} at the current schema: building.")
        return db, build(db, patients, seed, log), False


def file_size(path: Path) -> int:
    files = [Path(str(path) + suffix) for suffix in ("", "-wal")]
    return sum(f.stat().st_size for f in files if f.exists())


# -- the machine ----------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    cpu = platform.processor() or "?"
    ram = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
                break
    except OSError:
        pass
    try:
        import PySide6
        from PySide6 import QtCore

        pyside = f"{PySide6.__version__} (Qt {QtCore.qVersion()})"
    except ImportError:  # pragma: no cover
        pyside = "not installed"
    import reportlab

    return {
        "cpu": cpu,
        "cores": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()),
        "ram": ram,
        "system": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "sqlite": sqlite3.sqlite_version,
        "pyside6": pyside,
        "reportlab": reportlab.Version,
        "executable": sys.executable,
        "load": " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?",
        "probe": f"{speed_probe():.0f} ms",
    }


def speed_probe() -> float:
    """CPU milliseconds of a fixed piece of pure Python that makes and drops a few hundred thousand
    small objects, like the app's lists do (the best of 5): how fast the machine is running right
    now. On a shared host the same code runs up to twice as slow from one minute to the next
    (other machines on the host compete for the memory and its caches more than for the
    processor); runs compare fairly only at a similar probe."""
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        rows = [(n, str(n), n * 0.5) for n in range(100_000)]
        index = {row[1]: row for row in rows}
        rows.sort(key=lambda row: row[1])
        del rows, index
        best = min(best, time.process_time() - started)
    return best * 1000
