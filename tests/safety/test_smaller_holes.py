"""The smaller holes an outside attack found (issue 15, point 10), each as it was found:

* a read-only file, or a file on a read-only medium, can still be checked, searched, listed,
  exported and printed (opened read-only) and is left unchanged; what is listed, exported or
  printed from it cannot be recorded in its audit log, and each command says so;
* an SQLite file of another program with no tables is never adopted (only a new file gets the
  schema, built beside its name and moved into place);
* the copies a restore keeps aside are rotated;
* out-of-range values (``--limit 1e23``, ``--id`` >= 2^63, ``--as-of 9999-12-31``, a CSV cell over
  131,072 characters, ``demo --patients -5``) are one-line refusals, never the crash path;
* a demo stopped half-way leaves nothing at its target (or the old file, whole).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from station_app import clock, paths
from station_app.cli import EXIT_ERROR, main
from station_app.domain.accounts import SYSTEM
from station_app.store import backup, errors, open_store
from tests.safety.conftest import fingerprint, integrity
from tests.safety.test_faults import read_only

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse refusing a value (one line, see cli._Parser)
        code = exc.code if isinstance(exc.code, int) else EXIT_ERROR
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused_in_one_line(code: int, err: str) -> None:
    assert code == EXIT_ERROR, err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    assert not paths.error_log().exists(), paths.error_log().read_text()[-1500:]


def reading_commands(db: Path, out: Path, referral_id: int) -> list[list[str]]:
    d = str(db)
    return [
        ["find", "--db", d, "nguyen", "--limit", "3"],
        ["check", "--db", d],
        ["audit", "verify", "--db", d],
        ["audit", "log", "--db", d, "--limit", "5"],
        ["followups", "--db", d, "--as-of", "2025-11-20"],
        ["referrals", "--db", d],
        ["export", "--db", d, "--what", "patients", "--format", "csv", "--out", str(out / "patients.csv")],
        ["export", "--db", d, "--what", "visits", "--format", "xlsx", "--out", str(out / "visits.xlsx")],
        ["print", "referral", "--db", d, "--id", str(referral_id), "--out", str(out / "slip.pdf")],
        ["print", "patient-summary", "--db", d, "--id", "1", "--out", str(out / "summary.pdf")],
        ["report", "monthly", "--db", d, "--month", "2025-10", "--format", "json", "--out", str(out / "m.json")],
        ["print", "visit-book", "--db", d, "--from", "2025-10-01", "--to", "2025-10-02", "--out", str(out / "b.pdf")],
    ]


@pytest.fixture
def demo_station(demo_copy: Path, tmp_path: Path) -> tuple[Path, int]:
    """The demo station alone in its own folder (the medium made read-only), and a referral id."""
    folder = tmp_path / "medium"
    folder.mkdir()
    db = folder / "tram.sqlite3"
    shutil.move(demo_copy, db)
    conn = sqlite3.connect(db)
    try:
        referral_id = conn.execute("SELECT min(id) FROM referrals").fetchone()[0]
    finally:
        conn.close()
    return db, referral_id


@pytest.mark.parametrize("what", ["file", "medium"])
def test_a_read_only_station_can_still_be_checked_searched_and_exported(capsys, demo_station, tmp_path, what):
    db, referral_id = demo_station
    out = tmp_path / "out"
    out.mkdir()
    before = fingerprint(db)
    listing = sorted(p.name for p in db.parent.iterdir())
    with clock.pinned(dt.date(2025, 11, 20)), read_only(db if what == "file" else db.parent):
        for argv in reading_commands(db, out, referral_id):
            code, stdout, err = run(capsys, *argv)
            assert code == 0, (argv, err)
            if argv[0] == "check" or argv[:2] == ["audit", "verify"]:
                assert err == "", (argv, err)  # (nothing leaves the program: nothing to record)
            else:  # a list, an export or a print, audited: here it cannot be, and says so once
                assert err.count("nhật ký truy cập") == 1, (argv, err)
                assert stdout, argv
    assert fingerprint(db) == before
    if what == "medium":
        assert sorted(p.name for p in db.parent.iterdir()) == listing  # not even a log file beside it
    assert len(list(out.iterdir())) == 6
    assert not paths.error_log().exists()


def test_the_checks_change_nothing_in_a_writable_file_and_a_list_only_adds_its_audit_entry(
        capsys, demo_station, tmp_path):
    db, referral_id = demo_station
    commands = reading_commands(db, tmp_path, referral_id)[:6]
    checks = [argv for argv in commands if argv[0] == "check" or argv[:2] == ["audit", "verify"]]
    before = fingerprint(db)
    for argv in checks:
        assert run(capsys, *argv)[0] == 0, argv
    assert fingerprint(db) == before
    for argv in (argv for argv in commands if argv not in checks):  # find, audit log, followups, referrals
        entries = audit_entries(db)
        assert run(capsys, *argv)[0] == 0, argv
        assert audit_entries(db) == entries + 1, argv


def audit_entries(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    finally:
        conn.close()


def test_an_older_file_on_a_read_only_medium_is_a_clear_refusal(capsys, tmp_path):
    folder = tmp_path / "medium"
    folder.mkdir()
    db = folder / "old.sqlite3"
    shutil.copyfile(ROOT / "tests" / "data" / "schema-1.sqlite3", db)
    with read_only(folder):
        code, _out, err = run(capsys, "find", "--db", str(db), "a")
    assert_refused_in_one_line(code, err)
    assert "older version" in err or "phiên bản Trạm cũ" in err


# -- another program's empty SQLite file -----------------------------------------------------------
def empty_sqlite(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("DROP TABLE t")  # an SQLite file with a header and no table at all
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("argv", [["find", "--db", "{db}", "a"], ["check", "--db", "{db}"],
                                  ["followups", "--db", "{db}"], ["audit", "verify", "--db", "{db}"],
                                  ["export", "--db", "{db}", "--what", "patients", "--format", "csv", "--out", "{out}"],
                                  ["import", "--db", "{db}", "{csv}"]])
def test_a_foreign_sqlite_file_without_tables_is_never_adopted(capsys, tmp_path, argv):
    db = empty_sqlite(tmp_path / "other.sqlite3")
    patients = tmp_path / "p.csv"
    patients.write_text("full_name,sex,birth_date\nNguyễn Thị Hương,2,1950\n", encoding="utf-8")
    before = fingerprint(db)
    code, _out, err = run(capsys, *(a.format(db=db, out=tmp_path / "x.csv", csv=patients) for a in argv))
    assert_refused_in_one_line(code, err)
    assert "another program" in err or "chương trình khác" in err
    assert fingerprint(db) == before
    with pytest.raises(errors.NotOurDatabase):
        open_store(db)  # the app does not adopt it either


def test_a_new_database_appears_whole_or_not_at_all(tmp_path):
    db = tmp_path / "tram.sqlite3"
    leftover = tmp_path / ".tram.sqlite3.new"
    empty_sqlite(leftover)  # what a start killed while building the file left
    open_store(db).close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tram.sqlite3"]
    assert integrity(db) == ["ok"]


# -- rotation of the copies kept aside -----------------------------------------------------------------
def test_the_copies_kept_aside_by_restores_are_rotated(station, tmp_path):
    made = backup.make_backup(station, tmp_path / "backups")
    folder = station.parent
    stamps = [dt.datetime(2025, 11, 20, 9) - dt.timedelta(hours=6 * i) for i in range(1, 200)]
    for when in stamps:  # restores made every six hours for fifty days
        shutil.copyfile(made, folder / f"tram.before-restore-{when:%Y%m%d-%H%M%S}.sqlite3")
    (folder / f"tram.before-restore-{stamps[-1]:%Y%m%d-%H%M%S}.sqlite3-wal").write_bytes(b"")
    with clock.pinned(dt.datetime(2025, 11, 20, 10)):
        aside = backup.restore(station, made, by=SYSTEM)
    assert aside is not None
    kept = backup.kept_aside(station)
    names = [b.made for b in kept]
    # The newest three stay whatever their dates; then one a day, a week, a month
    assert names[:3] == [dt.datetime(2025, 11, 20, 10), *stamps[:2]]
    assert len(kept) <= 3 + 7 + 4 + 12
    assert len({b.made.date() for b in kept if b.made >= dt.datetime(2025, 11, 14)}) == 7
    assert len({b.made.isocalendar()[:2] for b in kept}) >= 4
    assert (stamps[-1].year, stamps[-1].month) in {(b.made.year, b.made.month) for b in kept}
    assert stamps[-1] not in names and len(kept) < len(stamps)
    on_disk = sorted(p.name for p in folder.iterdir() if ".before-restore-" in p.name)
    assert on_disk == sorted(b.path.name for b in kept)  # the removed copies' logs went with them


# -- values out of range -----------------------------------------------------------------------------
OUT_OF_RANGE = [
    ["find", "--db", "{db}", "a", "--limit", "1e23"],
    ["find", "--db", "{db}", "a", "--limit", str(10**23)],
    ["find", "--db", "{db}", "a", "--limit", "-1"],
    ["print", "referral", "--db", "{db}", "--id", str(2**63), "--out", "{out}"],
    ["print", "patient-summary", "--db", "{db}", "--id", str(2**63), "--out", "{out}"],
    ["audit", "log", "--db", "{db}", "--patient", str(2**63)],
    ["audit", "log", "--db", "{db}", "--limit", str(2**63)],
    ["followups", "--db", "{db}", "--as-of", "9999-12-31"],
    ["followups", "--db", "{db}", "--as-of", "0001-01-01"],
    ["referrals", "--db", "{db}", "--from", "0001-01-01", "--to", "9999-12-31"],
    ["export", "--db", "{db}", "--what", "visits", "--from", "0001-01-01", "--format", "csv", "--out", "{out}"],
    ["export", "--db", "{db}", "--what", "visits", "--to", "31/12/9999", "--format", "csv", "--out", "{out}"],
    ["report", "monthly", "--db", "{db}", "--month", "9999-12", "--format", "json", "--out", "{out}"],
    ["print", "visit-book", "--db", "{db}", "--from", "9999-12-31", "--to", "9999-12-31", "--out", "{out}"],
    ["print", "visit-book", "--db", "{db}", "--from", "0001-01-01", "--to", "0001-01-02", "--out", "{out}"],
    ["demo", "--db", "{out}", "--patients", "-5"],
    ["demo", "--db", "{out}", "--patients", str(10**12)],
    ["demo", "--db", "{out}", "--visits-per-patient", "nan"],
]


@pytest.mark.parametrize("argv", OUT_OF_RANGE, ids=lambda a: " ".join(a[:1] + a[3:]))
def test_values_out_of_range_are_refused_in_one_line(capsys, station, tmp_path, argv):
    out = tmp_path / "out.file"
    code, _out, err = run(capsys, *(a.format(db=station, out=out) for a in argv))
    assert_refused_in_one_line(code, err)
    assert not out.exists()


def test_a_csv_cell_over_131072_characters_is_a_clear_refusal(capsys, station, tmp_path):
    big = tmp_path / "big.csv"
    big.write_text("full_name,sex,birth_date,address\nNguyễn Thị Hương,2,1950," + "x" * 140_000 + "\n",
                   encoding="utf-8")
    before = fingerprint(station)
    code, _out, err = run(capsys, "import", "--db", str(station), str(big))
    assert_refused_in_one_line(code, err)
    assert "131,072" in err
    assert fingerprint(station) == before


# -- the demo builder ---------------------------------------------------------------------------------
def _kill_demo_midway(target: Path, *extra: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TRAM_DATA_DIR": str(target.parent / "data")}
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "demo", "--db", str(target), "--patients",
                             "200000", *extra], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    building = target.with_name(f".{target.name}.building")
    try:
        deadline = time.monotonic() + 120
        while not building.exists() or building.stat().st_size < 2_000_000:
            assert proc.poll() is None, "the demo ended before it could be stopped"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def test_a_demo_killed_half_way_leaves_no_file_at_its_target(tmp_path):
    target = tmp_path / "demo.sqlite3"
    _kill_demo_midway(target)
    assert not target.exists()
    assert main(["demo", "--db", str(target), "--patients", "30"]) == 0  # the next one cleans up and works
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "data") == ["demo.sqlite3"]
    assert integrity(target) == ["ok"]


def test_a_forced_demo_killed_half_way_leaves_the_old_file_whole(tmp_path):
    target = tmp_path / "demo.sqlite3"
    assert main(["demo", "--db", str(target), "--patients", "30"]) == 0
    before = fingerprint(target)
    _kill_demo_midway(target, "--force")
    assert fingerprint(target) == before
    assert integrity(target) == ["ok"]


# -- outputs that are not files ----------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["folder", "pipe"])
def test_an_output_that_is_a_folder_or_a_device_is_refused_never_replaced(capsys, demo_station, tmp_path, kind):
    db, referral_id = demo_station
    target = tmp_path / "target"
    if kind == "folder":
        target.mkdir()
    else:
        os.mkfifo(target)  # (as /dev/null or /dev/full: root would otherwise replace the device by a file)
    for argv in [
        ["export", "--db", str(db), "--what", "patients", "--format", "csv", "--out", str(target)],
        ["print", "referral", "--db", str(db), "--id", str(referral_id), "--out", str(target)],
        ["print", "patient-summary", "--db", str(db), "--id", "1", "--out", str(target)],
        ["report", "monthly", "--db", str(db), "--month", "2025-10", "--format", "json", "--out", str(target)],
        ["demo", "--db", str(target), "--force", "--patients", "3"],
    ]:
        code, _out, err = run(capsys, *argv)
        assert_refused_in_one_line(code, err)
        assert target.is_dir() if kind == "folder" else target.is_fifo(), argv
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("data")) == ["medium", "target"]
