"""Files private to the user who runs Trạm (POSIX): the data folder and its backups folder are
``0700``; the database and its side files, backups (plain, encrypted, the second folder's copy),
the copies kept aside before a schema upgrade or a restore, exports, PDFs and the error log are
``0600`` — under the usual umask 022, where a file made the ordinary way is readable by every
account on the computer."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from station_app import clock, paths
from station_app.cli import main
from station_app.domain.accounts import ANYONE, SYSTEM
from station_app.store import backup, open_store
from station_app.store.followups import work_rows

pytestmark = pytest.mark.skipif(os.name != "posix", reason="Unix permissions")

DATA = Path(__file__).resolve().parents[1] / "data"
TODAY = dt.date(2025, 11, 20)


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_private(*files: Path) -> None:
    for path in files:
        assert path.is_file(), path
        assert mode(path) == 0o600, f"{path.name}: {oct(mode(path))}"


def run(*argv: str) -> None:
    assert main(list(argv)) == 0, argv


def test_a_new_database_its_log_and_the_data_folder_are_private(tmp_path):
    folder = tmp_path / "Tram"
    paths.set_data_dir(folder)
    db = paths.default_database()
    assert mode(folder) == 0o700
    store = open_store(db)
    try:
        with store.write(ANYONE):  # (the write-ahead log and its index exist while open)
            store.set_setting("probe", "1")
        wal, shm = db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")
        assert_private(db, wal, shm)
    finally:
        store.close()
    assert mode(paths.backups_dir()) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == ["backups", "tram.sqlite3"]  # nothing half-built left


def test_an_existing_data_folder_and_database_are_made_private(tmp_path, station):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    paths.set_data_dir(folder)
    assert mode(paths.data_dir()) == 0o700
    station.chmod(0o644)  # as an older version left it
    open_store(station).close()
    assert mode(station) == 0o600


def test_a_read_only_database_stays_read_only(station):
    station.chmod(0o444)
    try:
        open_store(station, read_only=True).close()
        assert mode(station) == 0o444
    finally:
        station.chmod(0o600)


def test_backups_copies_kept_aside_and_restored_files_are_private(station, tmp_path, monkeypatch):
    usb = tmp_path / "usb"
    made = backup.make_backup(station, paths.backups_dir())
    copy = backup.copy_backup(made, usb, station)
    locked = backup.export_encrypted(station, tmp_path / "out", "mật khẩu dài đủ")
    assert_private(made, copy, locked)
    assert mode(paths.backups_dir()) == 0o700
    aside = backup.restore(station, made, by=SYSTEM)
    assert aside is not None
    assert_private(station, aside)
    aside_2 = backup.restore(station, locked, "mật khẩu dài đủ", by=SYSTEM)
    assert aside_2 is not None
    assert_private(station, aside_2)
    assert not [p for p in station.parent.iterdir() if p.name.startswith(".")]  # no staging file left
    # the command line's backup, encrypted backup and restore
    monkeypatch.setenv("TRAM_BACKUP_PASSPHRASE", "mật khẩu dài đủ")
    run("backup", "--db", str(station))
    run("backup", "--db", str(station), "--to", str(tmp_path / "cli"), "--encrypt")
    run("restore", "--db", str(station), "--from", str(copy))  # (the first backup was rotated away)
    for path in [*paths.backups_dir().iterdir(), *(tmp_path / "cli").iterdir(), *station.parent.iterdir()]:
        assert_private(path)


def test_a_backup_folder_the_program_makes_is_private_one_chosen_is_left_as_it_is(station, tmp_path, monkeypatch):
    """`backup --to DIR`, the second folder and an encrypted copy: a folder Trạm makes for them is 0700 (as
    the claims folder is), an existing folder chosen by the person keeps its mode."""
    monkeypatch.setenv("TRAM_BACKUP_PASSPHRASE", "mật khẩu dài đủ")
    run("backup", "--db", str(station), "--to", str(tmp_path / "new" / "plain"))
    run("backup", "--db", str(station), "--to", str(tmp_path / "new" / "locked"), "--encrypt")
    made = backup.make_backup(station, paths.backups_dir())
    backup.copy_backup(made, tmp_path / "new" / "usb", station)
    for name in ("plain", "locked", "usb"):
        assert mode(tmp_path / "new" / name) == 0o700, name
    chosen = tmp_path / "chosen"
    chosen.mkdir(mode=0o755)
    chosen.chmod(0o755)
    run("backup", "--db", str(station), "--to", str(chosen))
    assert mode(chosen) == 0o755


def test_the_copy_kept_before_a_schema_upgrade_is_private(tmp_path):
    old = tmp_path / "old.sqlite3"
    shutil.copyfile(DATA / "schema-1.sqlite3", old)
    old.chmod(0o644)
    store = open_store(old)
    try:
        assert store.migration_backup is not None
        assert_private(old, store.migration_backup)
    finally:
        store.close()


def test_exports_pdfs_and_reports_from_the_command_line_are_private(demo_copy, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    db = str(demo_copy)
    with clock.pinned(TODAY):
        for what in ("patients", "visits", "followups", "referrals"):
            for fmt in ("csv", "xlsx"):
                run("export", "--db", db, "--what", what, "--format", fmt, "--out", str(out / f"{what}.{fmt}"))
        for fmt in ("pdf", "xlsx", "json"):  # (dhis2: the json writer, with the station's facility code)
            run("report", "monthly", "--db", db, "--month", "2025-10", "--format", fmt, "--out",
                str(out / f"monthly.{fmt}"))
        run("print", "visit-book", "--db", db, "--from", "2025-10-01", "--to", "2025-10-03", "--out",
            str(out / "book.pdf"))
        run("print", "patient-summary", "--db", db, "--id", "1", "--out", str(out / "summary.pdf"))
        store = open_store(demo_copy)
        try:
            referral_id = store.scalar("SELECT min(id) FROM referrals")
        finally:
            store.close()
        run("print", "referral", "--db", db, "--id", str(referral_id), "--out", str(out / "slip.pdf"))
    written = sorted(out.iterdir())
    assert len(written) == 14
    assert_private(*written)


def test_the_work_list_call_sheet_and_rejected_rows_are_private(demo_copy, tmp_path):
    from station_app.printing.call_sheet import render_call_sheet
    from station_app.reports import exports, worklist_export
    from station_app.store.bulk_import import Rejected

    store = open_store(demo_copy)
    try:
        rows = work_rows(store, TODAY)
        written = [
            worklist_export.write_csv(store, rows, tmp_path / "list.csv", TODAY),
            worklist_export.write_xlsx(store, rows, tmp_path / "list.xlsx", TODAY),
            render_call_sheet(store, rows[:20], tmp_path / "calls.pdf", station="Trạm Y tế xã Tân Phú", today=TODAY),
            exports.write_rejected([Rejected(3, "full_name", "trống")], tmp_path / "rejected.csv"),
        ]
    finally:
        store.close()
    assert_private(*written)


def test_a_replaced_export_becomes_private(demo_copy, tmp_path):
    target = tmp_path / "patients.csv"
    target.write_text("old")
    target.chmod(0o644)
    run("export", "--db", str(demo_copy), "--what", "patients", "--format", "csv", "--out", str(target))
    assert_private(target)


def test_the_error_log_and_the_demo_database_are_private(tmp_path):
    log = paths.log_error("Traceback … Nguyễn Thị Hương 0912345678")
    assert_private(log)
    run("demo", "--db", str(tmp_path / "demo.sqlite3"), "--patients", "20")
    assert_private(tmp_path / "demo.sqlite3")
