"""Backups: made while the app writes, checked, rotated, copied to a second folder, encrypted,
and restored — atomically, with the current file kept aside, refusing anything doubtful."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

import pytest

from station_app import clock
from station_app.domain.accounts import SYSTEM
from station_app.store import backup, errors, open_store
from station_app.store import patients as patient_store
from station_app.store.schema import SCHEMA_VERSION
from tests.safety.conftest import add_people, add_visit, content, fingerprint, integrity, rows

PASS = "mật khẩu trạm 2025"


def side_files(folder: Path) -> list[str]:
    leftovers = (".part", "-wal", "-shm", "-journal", ".restoring")
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(leftovers))


# -- making a backup -------------------------------------------------------------------------------
def test_a_backup_is_a_checked_self_contained_copy(station, tmp_path):
    folder = tmp_path / "backups"
    steps: list[tuple[int, int]] = []
    made = backup.make_backup(station, folder, progress=lambda d, t: steps.append((d, t)))
    assert made.parent == folder and made.name.startswith("tram-") and made.suffix == ".sqlite3"
    assert integrity(made) == ["ok"]
    assert content(made) == content(station)
    assert side_files(folder) == []  # no .part, no -wal: one file, renamed into place when complete
    conn = sqlite3.connect(made)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    assert steps and steps[-1][0] == steps[-1][1]  # progress reached the end
    assert backup.verify_plain(made) == SCHEMA_VERSION


def test_a_backup_made_while_another_thread_writes_restores_row_for_row(station, tmp_path, monkeypatch):
    """The writer commits visits non-stop on its own connection; the backup, copied in small steps,
    is the state of one moment: a whole prefix of the writer's visits, identical to the source."""
    monkeypatch.setattr(backup, "STEP_PAGES", 2)  # many steps, so writes land between them
    store = open_store(station)
    (pid,) = add_people(store, 1, start=100)
    committed: list[int] = []
    stop = threading.Event()
    started = threading.Event()

    def writer() -> None:
        mine = open_store(station)
        try:
            while not stop.is_set():
                committed.append(add_visit(mine, pid, "Khám lại " * 200))
                started.set()
        finally:
            mine.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert started.wait(10)
        before = len(committed)
        made = backup.make_backup(station, tmp_path / "backups")
        during = len(committed) - before
    finally:
        stop.set()
        thread.join()
    assert during > 0, "the writer was not writing while the backup ran"
    assert integrity(made) == ["ok"]
    source_visits = {r[0]: r for r in rows(station, "visits")}
    copied = rows(made, "visits")
    copied_ids = [r[0] for r in copied]
    assert copied_ids == list(range(1, len(copied) + 1))  # a prefix: no gap, nothing half-written
    assert all(source_visits[r[0]] == r for r in copied)
    # Restored: the database equals the backup row for row.
    expected = content(made)
    store.close()
    aside = backup.restore(station, made, by=SYSTEM)
    assert aside is not None and aside.exists()
    assert content(station) == expected
    assert len(rows(aside, "visits")) == len(source_visits)  # what the writer added after is kept aside
    reopened = open_store(station)
    try:
        assert reopened.integrity_problems() == []
        assert reopened.scalar("SELECT count(*) FROM visits") == len(copied)
    finally:
        reopened.close()


def test_backup_of_a_missing_or_foreign_file(tmp_path):
    with pytest.raises(errors.FileMissing):
        backup.make_backup(tmp_path / "none.sqlite3", tmp_path / "b")
    foreign = tmp_path / "contacts.sqlite3"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(errors.NotOurDatabase):
        backup.make_backup(foreign, tmp_path / "b")
    assert side_files(tmp_path / "b") == [] and backup.backups(tmp_path / "b", foreign) == []


def test_backup_into_a_folder_that_cannot_be_made_is_a_clear_error(station, tmp_path):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    with pytest.raises(backup.BackupFailed) as caught:
        backup.make_backup(station, blocker / "backups")
    assert str(blocker) in caught.value.text("vi")
    assert caught.value.text("vi") != caught.value.text("en")


def test_second_destination_gets_a_checked_copy(station, tmp_path):
    made = backup.make_backup(station, tmp_path / "backups")
    usb = tmp_path / "usb" / "Tram"
    copied = backup.copy_backup(made, usb, station)
    assert copied == usb / made.name
    assert copied.read_bytes() == made.read_bytes()
    assert side_files(usb) == []


def test_names_never_collide_within_a_second(station, tmp_path):
    with clock.pinned(dt.datetime(2025, 11, 20, 8, 0, 0)):
        first = backup.make_backup(station, tmp_path / "b", rotate_after=False)
        second = backup.make_backup(station, tmp_path / "b", rotate_after=False)
    assert first != second and first.exists() and second.exists()
    assert [b.path for b in backup.backups(tmp_path / "b", station)] == [second, first]
    backup.rotate(tmp_path / "b", station)  # the newest of the day stays
    assert [b.path for b in backup.backups(tmp_path / "b", station)] == [second]


def test_backups_of_another_database_in_the_same_folder_are_left_alone(station, tmp_path):
    folder = tmp_path / "b"
    demo = station.with_name("tram-demo.sqlite3")
    open_store(demo).close()
    with clock.pinned(dt.datetime(2024, 1, 1, 8, 0)):
        demo_backup = backup.make_backup(demo, folder)
    for day in range(0, 60, 5):  # enough days for the rotation to delete some of the station's own
        with clock.pinned(dt.datetime(2025, 6, 1, 8, 0) + dt.timedelta(days=day)):
            backup.make_backup(station, folder)
    assert demo_backup.exists()
    assert [b.path for b in backup.backups(folder, demo)] == [demo_backup]


# -- rotation and when a backup is due -------------------------------------------------------------
def fake(folder: Path, when: dt.datetime) -> backup.BackupFile:
    path = folder / f"tram-{when:%Y%m%d-%H%M%S}.sqlite3"
    path.write_bytes(b"")
    return backup.BackupFile(path, when, False)


def test_rotation_keeps_7_daily_4_weekly_12_monthly(tmp_path):
    db = tmp_path / "tram.sqlite3"
    start = dt.datetime(2024, 1, 1, 7, 30)
    made = [fake(tmp_path, start + dt.timedelta(days=d, hours=h)) for d in range(500) for h in (0, 9)]
    removed = backup.rotate(tmp_path, db)
    kept = backup.backups(tmp_path, db)
    assert len(removed) + len(kept) == len(made)
    newest = made[-1].made
    kept_days = sorted({b.made.date() for b in kept}, reverse=True)
    # Each kept backup is the last of its day, and the last 7 days are all there.
    assert all(b.made.hour == 16 for b in kept)
    assert kept_days[:7] == [newest.date() - dt.timedelta(days=i) for i in range(7)]
    months = {(b.made.year, b.made.month) for b in kept}
    assert len(months) == 12 and (newest.year, newest.month) in months
    weeks = {b.made.isocalendar()[:2] for b in kept}
    assert len(weeks) >= 4
    assert len(kept) <= 7 + 4 + 12
    # Rotating again removes nothing more.
    assert backup.rotate(tmp_path, db) == []


def test_rotation_never_touches_other_files(tmp_path):
    db = tmp_path / "tram.sqlite3"
    for d in range(40):
        fake(tmp_path, dt.datetime(2025, 1, 1) + dt.timedelta(days=d))
    others = [
        tmp_path / "tram.before-restore-20250101-080000.sqlite3",
        tmp_path / "tram.before-schema-4.20250101-080000.sqlite3",
        tmp_path / "tram-20250101-080000.trambak",
        tmp_path / "notes.txt",
    ]
    for p in others:
        p.write_text("keep me")
    backup.rotate(tmp_path, db)
    assert all(p.exists() for p in others)


def test_a_backup_is_due_after_a_day(station, tmp_path):
    folder = tmp_path / "b"
    assert backup.is_due(folder, station)
    with clock.pinned(dt.datetime(2025, 11, 20, 8, 0)):
        backup.make_backup(station, folder)
    assert not backup.is_due(folder, station, dt.datetime(2025, 11, 21, 7, 59))
    assert backup.is_due(folder, station, dt.datetime(2025, 11, 21, 8, 0))


# -- encryption ------------------------------------------------------------------------------------
def test_encrypted_export_round_trip(station, tmp_path):
    usb = tmp_path / "usb"
    exported = backup.export_encrypted(station, usb, PASS)
    assert exported.suffix == ".trambak" and backup.is_encrypted(exported)
    data = exported.read_bytes()
    assert b"SQLite format 3" not in data and "Nguyễn Văn Số".encode() not in data
    assert sorted(p.name for p in usb.iterdir()) == [exported.name]  # no plain copy ever on the stick
    plain = backup.decrypt_file(exported, tmp_path / "plain.sqlite3", PASS)
    assert content(plain) == content(station)
    assert backup.backups(usb, station, encrypted=True)[0].path == exported


def test_encrypted_file_of_several_segments(tmp_path, monkeypatch):
    monkeypatch.setattr(backup, "SEGMENT", 4096)
    source = tmp_path / "data.bin"
    source.write_bytes(bytes(range(256)) * 100 + b"tail")  # 6 segments and a bit
    sealed = backup.encrypt_file(source, tmp_path / "data.trambak", PASS)
    assert backup.decrypt_file(sealed, tmp_path / "back.bin", PASS).read_bytes() == source.read_bytes()
    whole = sealed.read_bytes()
    cut = tmp_path / "cut.trambak"
    cut.write_bytes(whole[: 48 + 2 * (4096 + 16)])  # whole segments missing at the end
    with pytest.raises(backup.WrongPassphrase):
        backup.decrypt_file(cut, tmp_path / "x.bin", PASS)
    swapped = bytearray(whole)
    a, b = 48, 48 + 4096 + 16
    swapped[a:b], swapped[b : b + 4112] = whole[b : b + 4112], whole[a:b]  # two segments reordered
    cut.write_bytes(bytes(swapped))
    with pytest.raises(backup.WrongPassphrase):
        backup.decrypt_file(cut, tmp_path / "x.bin", PASS)


def test_wrong_passphrase_and_edited_file_are_refused_and_the_database_untouched(station, tmp_path):
    exported = backup.export_encrypted(station, tmp_path / "usb", PASS)
    before = fingerprint(station)
    with pytest.raises(backup.WrongPassphrase) as caught:
        backup.restore(station, exported, "not the passphrase", by=SYSTEM)
    assert "not changed" in caught.value.text("en") and caught.value.text("vi") != caught.value.text("en")
    with pytest.raises(backup.PassphraseNeeded):
        backup.restore(station, exported, None, by=SYSTEM)
    edited = bytearray(exported.read_bytes())
    edited[200] ^= 1
    tampered = tmp_path / "tampered.trambak"
    tampered.write_bytes(bytes(edited))
    with pytest.raises(backup.WrongPassphrase):
        backup.restore(station, tampered, PASS, by=SYSTEM)
    assert fingerprint(station) == before
    assert side_files(station.parent) == []


def test_newer_encryption_format_and_short_passphrase(station, tmp_path):
    with pytest.raises(backup.PassphraseTooShort) as caught:
        backup.export_encrypted(station, tmp_path / "usb", "short")
    assert "8" in caught.value.text("vi")
    exported = backup.export_encrypted(station, tmp_path / "usb", PASS)
    data = bytearray(exported.read_bytes())
    data[8] = 9  # format version
    exported.write_bytes(bytes(data))
    with pytest.raises(backup.UnknownFormat):
        backup.restore(station, exported, PASS, by=SYSTEM)


# -- restoring -------------------------------------------------------------------------------------
def test_restore_puts_the_backup_back_and_keeps_the_current_file_aside(station, tmp_path):
    made = backup.make_backup(station, tmp_path / "b")
    expected = content(made)
    store = open_store(station)
    add_people(store, 5, start=500)  # saved after the backup: in the WAL, not yet in the main file
    after = content(station)
    store.close()
    aside = backup.restore(station, made, by=SYSTEM)
    assert content(station) == expected
    assert aside is not None and content(aside) == after  # nothing lost: the newer state is kept aside
    assert side_files(station.parent) == []
    reopened = open_store(station)
    try:
        assert patient_store.count(reopened) == 20
    finally:
        reopened.close()


def test_restore_of_an_encrypted_backup(station, tmp_path):
    exported = backup.export_encrypted(station, tmp_path / "usb", PASS)
    expected = content(station)
    store = open_store(station)
    add_people(store, 3, start=900)
    store.close()
    backup.restore(station, exported, PASS, by=SYSTEM)
    assert content(station) == expected


def test_restore_when_the_database_file_is_gone(station, tmp_path):
    made = backup.make_backup(station, tmp_path / "b")
    station.unlink()
    assert backup.restore(station, made, by=SYSTEM) is None
    assert integrity(station) == ["ok"]


def make_foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()


def make_newer(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 1414676813")  # "TRAM"
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.execute("CREATE TABLE patients (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()


def make_text(path: Path) -> None:
    path.write_text("Họ và tên\n" * 50, encoding="utf-8")


def make_empty(path: Path) -> None:
    path.write_bytes(b"")


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (make_foreign, backup.BackupForeign),
        (make_newer, backup.BackupTooNew),
        (make_text, backup.BackupDamaged),
        (make_empty, backup.BackupDamaged),
    ],
)
def test_doubtful_backups_are_refused_and_the_database_untouched(station, tmp_path, make, error):
    bad = tmp_path / "bad.sqlite3"
    make(bad)
    before = fingerprint(station)
    listing = sorted(p.name for p in station.parent.iterdir())
    with pytest.raises(error) as caught:
        backup.restore(station, bad, by=SYSTEM)
    assert str(bad) in caught.value.text("vi")
    assert fingerprint(station) == before
    assert sorted(p.name for p in station.parent.iterdir()) == listing


def test_a_corrupt_backup_is_refused(station, tmp_path):
    made = backup.make_backup(station, tmp_path / "b")
    damage_pages(made)
    before = fingerprint(station)
    with pytest.raises(backup.BackupDamaged):
        backup.restore(station, made, by=SYSTEM)
    assert fingerprint(station) == before


def damage_pages(path: Path, pages: Iterable[int] = range(3, 12)) -> None:
    """Overwrite whole pages in the middle of the file (its header stays valid)."""
    data = bytearray(path.read_bytes())
    size = int.from_bytes(data[16:18], "big") or 65536
    for page in pages:
        start = page * size
        if start + size <= len(data):
            data[start : start + size] = b"\xa5" * size
    path.write_bytes(bytes(data))


def test_restore_refuses_while_the_database_is_open_elsewhere(station, tmp_path):
    made = backup.make_backup(station, tmp_path / "b")
    other = open_store(station)  # another app instance
    try:
        add_people(other, 1, start=700)
        expected = content(station)
        with pytest.raises(errors.Locked):
            backup.restore(station, made, by=SYSTEM)
        assert content(station) == expected
        add_people(other, 1, start=701)  # the other instance goes on working
    finally:
        other.close()
    assert integrity(station) == ["ok"]


def test_a_failure_during_the_swap_leaves_the_old_file(station, tmp_path, monkeypatch):
    made = backup.make_backup(station, tmp_path / "b")
    store = open_store(station)
    add_people(store, 2, start=800)
    store.close()
    expected = content(station)

    real_replace = Path.replace

    def refuse(self, target):  # the final rename fails (e.g. a virus scanner holds the file)
        if Path(target) == station:
            raise PermissionError(13, "Permission denied")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", refuse)
    with pytest.raises(backup.BackupFailed):
        backup.commit_restore(station, backup.stage_restore(station, made), by=SYSTEM)
    monkeypatch.undo()
    assert content(station) == expected
    assert integrity(station) == ["ok"]
    assert not any(p.name.endswith(".restoring") for p in station.parent.iterdir())


def test_only_the_head_or_the_admin_may_restore_enforced_below_the_ui(station, tmp_path):
    from station_app.domain.accounts import Actor, Role
    from station_app.store.errors import NotPermitted

    made = backup.make_backup(station, tmp_path / "b")
    store = open_store(station)
    add_people(store, 1, start=950)
    store.close()
    before = fingerprint(station)
    nurse = Actor(7, "lan", "Nguyễn Thị Lan", Role.NURSE)
    with pytest.raises(NotPermitted) as caught:
        backup.commit_restore(station, backup.stage_restore(station, made), by=nurse)
    assert caught.value.text("vi") != caught.value.text("en")
    assert fingerprint(station) == before
    assert side_files(station.parent) == []
    for role in (Role.HEAD, Role.ADMIN):
        aside = backup.commit_restore(station, backup.stage_restore(station, made), by=Actor(1, "x", "X", role))
        assert aside is not None and content(station) == content(made)
