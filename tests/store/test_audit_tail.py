"""Issue 15, point 5: the end of the audit chain. A forged entry appended with a correct hash, the
last entries removed with the head, the head removed, and a whole chain rewritten are each found:
by the head kept in the database, and by the heads recorded in the station's backups."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from station_app import clock, paths
from station_app.cli import main
from station_app.domain.accounts import SYSTEM, Actor, Role
from station_app.store import audit, backup, open_store

ENTRIES = 20


def _fill(path: Path, n: int, start: int = 0) -> None:
    store = open_store(path)
    store.actor = Actor(7, "yta.mai", "Trần Thị Mai", Role.NURSE)
    try:
        for i in range(start, start + n):
            audit.record(store, audit.VIEW_PATIENT, ("patient", i + 1), {"n": i})
    finally:
        store.close()


@pytest.fixture
def logged(tmp_path: Path) -> Path:
    path = tmp_path / "tram.sqlite3"
    _fill(path, ENTRIES)
    return path


def _rows(conn: sqlite3.Connection) -> list[dict[str, object]]:
    cursor = conn.execute(
        "SELECT id, at, user_id, username, role, action, target_type, target_id, patient_id, details, prev_hash, "
        "hash FROM audit_log ORDER BY id")
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor]


def _open_for_tampering(path: Path) -> sqlite3.Connection:
    """What someone holding the file does: drop the triggers that refuse edits."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    return conn


def _append_forged(path: Path, *, move_head: bool) -> int:
    """An entry appended with the right link and the right SHA-256, written outside the program."""
    conn = _open_for_tampering(path)
    last = _rows(conn)[-1]
    row = dict(last, id=int(last["id"]) + 1, username="truong", role="head", action="export",  # type: ignore[call-overload]
               details=json.dumps({"file": "all.csv"}), prev_hash=last["hash"])
    row["hash"] = audit.entry_hash(row)
    conn.execute(f"INSERT INTO audit_log ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
                 list(row.values()))
    if move_head:
        conn.execute("UPDATE settings SET value = ? WHERE key = 'audit_head'", (f"{row['id']}:{row['hash']}",))
    conn.commit()
    conn.close()
    return int(row["id"])  # type: ignore[call-overload]


def _cut_tail(path: Path, n: int, head: str) -> None:
    """The last ``n`` entries deleted; ``head``: "remove" the head too, or "move" it to the new end."""
    conn = _open_for_tampering(path)
    last = int(conn.execute("SELECT max(id) FROM audit_log").fetchone()[0])
    conn.execute("DELETE FROM audit_log WHERE id > ?", (last - n,))
    if head == "remove":
        conn.execute("DELETE FROM settings WHERE key = 'audit_head'")
    else:
        new_last = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        conn.execute("UPDATE settings SET value = ? WHERE key = 'audit_head'", (f"{new_last[0]}:{new_last[1]}",))
    conn.commit()
    conn.close()


def _rewrite_chain(path: Path, from_id: int) -> None:
    """Every entry from ``from_id`` on edited and the whole chain hashed again, head included: the
    file alone cannot tell."""
    conn = _open_for_tampering(path)
    rows = _rows(conn)
    previous = audit.GENESIS
    for row in rows:
        if int(row["id"]) >= from_id:  # type: ignore[call-overload]
            row["username"] = "someone.else"
        row["prev_hash"] = previous
        row["hash"] = audit.entry_hash(row)
        conn.execute("UPDATE audit_log SET username = ?, prev_hash = ?, hash = ? WHERE id = ?",
                     (row["username"], row["prev_hash"], row["hash"], row["id"]))
        previous = str(row["hash"])
    conn.execute("UPDATE settings SET value = ? WHERE key = 'audit_head'", (f"{rows[-1]['id']}:{previous}",))
    conn.commit()
    conn.close()


def _verify(path: Path, capsys: pytest.CaptureFixture[str], command: str = "audit") -> tuple[int, str, str]:
    args = ["--lang", "en", "audit", "verify", "--db", str(path)] if command == "audit" else \
        ["--lang", "en", "check", "--db", str(path)]
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


# -- the head kept in the database ----------------------------------------------------------------
def test_an_appended_entry_with_a_correct_hash_is_found(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    forged = _append_forged(logged, move_head=False)
    code, _out, err = _verify(logged, capsys)
    assert code == 1
    assert f"BROKEN at entry {forged}:" in err and "added outside" in err


def test_the_tail_deleted_with_the_head_is_found(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _cut_tail(logged, 10, head="remove")
    code, _out, err = _verify(logged, capsys)
    assert code == 1
    assert "BROKEN at entry 10:" in err and "head" in err
    code, _out, err = _verify(logged, capsys, "check")
    assert code == 1 and "NOT healthy" in err


def test_a_removed_head_is_a_finding(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conn = sqlite3.connect(logged)
    conn.execute("DELETE FROM settings WHERE key = 'audit_head'")
    conn.commit()
    conn.close()
    code, _out, err = _verify(logged, capsys)
    assert code == 1 and f"BROKEN at entry {ENTRIES}:" in err and "missing" in err


def test_a_garbled_head_is_a_finding(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conn = sqlite3.connect(logged)
    conn.execute("UPDATE settings SET value = 'nonsense' WHERE key = 'audit_head'")
    conn.commit()
    conn.close()
    code, _out, err = _verify(logged, capsys)
    assert code == 1 and "head" in err


def test_an_empty_log_without_a_head_is_fine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tram.sqlite3"
    open_store(path).close()
    code, out, _err = _verify(path, capsys)
    assert code == 0 and "0 entries, chain intact" in out


# -- the heads recorded in backups ----------------------------------------------------------------
def test_every_backup_records_the_head_and_the_station(logged: Path) -> None:
    made = backup.make_backup(logged, paths.backups_dir())
    record = backup.read_record(made)
    conn = sqlite3.connect(logged)
    last_id, last_hash = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    conn.close()
    assert (record.head_id, record.head_hash) == (last_id, last_hash)
    assert record.patients == 0 and record.made is not None


def test_the_record_stays_in_the_backup_not_in_the_restored_database(logged: Path) -> None:
    made = backup.make_backup(logged, paths.backups_dir())
    backup.restore(logged, made, by=SYSTEM)
    for path, expected in ((made, [(backup.RECORD_TABLE,)]), (logged, [])):
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        found = conn.execute("SELECT name FROM sqlite_schema WHERE name = ?", (backup.RECORD_TABLE,)).fetchall()
        conn.close()
        assert found == expected


def test_a_tail_deleted_with_its_head_moved_is_found_by_the_backup(logged: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    made = backup.make_backup(logged, paths.backups_dir())
    _cut_tail(logged, 10, head="move")
    store = open_store(logged, create=False)
    try:
        assert audit.verify(store).ok  # the file alone cannot tell
    finally:
        store.close()
    code, _out, err = _verify(logged, capsys)
    assert code == 1
    assert made.name in err and "ends at entry 10" in err and f"up to {ENTRIES}" in err
    code, _out, err = _verify(logged, capsys, "check")
    assert code == 1 and made.name in err and "NOT healthy" in err


def test_a_rewritten_chain_is_found_by_the_backup(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = backup.make_backup(logged, paths.backups_dir())
    _fill(logged, 3, start=ENTRIES)  # the station works on after the backup
    _rewrite_chain(logged, from_id=8)
    code, _out, err = _verify(logged, capsys)
    assert code == 1
    assert made.name in err and "entry 8" in err and "rewritten" in err


def test_an_entry_forged_after_the_last_backup_with_its_head_moved_passes(
        logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What the chain cannot show (README): an entry added at the end by someone who also moves the
    head, after the last backup, looks like any other entry."""
    backup.make_backup(logged, paths.backups_dir())
    _append_forged(logged, move_head=True)
    code, out, _err = _verify(logged, capsys)
    assert code == 0 and "compared with 1 backup" in out


def test_the_second_folder_backups_are_compared_too(logged: Path, tmp_path: Path, tmp_data_dir: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    usb = tmp_path / "usb"
    made = backup.make_backup(logged, tmp_path / "elsewhere")
    backup.copy_backup(made, usb)
    (tmp_data_dir / "settings.ini").write_text(f"[backup]\nsecond_folder={usb}\n", encoding="utf-8")
    _cut_tail(logged, 5, head="move")
    code, _out, err = _verify(logged, capsys)
    assert code == 1 and str(usb / made.name) in err


def test_an_intact_log_extends_every_backup(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with clock.pinned(dt.date(2025, 11, 19)):
        backup.make_backup(logged, paths.backups_dir())
    _fill(logged, 2, start=ENTRIES)
    with clock.pinned(dt.date(2025, 11, 20)):
        backup.make_backup(logged, paths.backups_dir())
    _fill(logged, 2, start=ENTRIES + 2)
    code, out, err = _verify(logged, capsys)
    assert code == 0, err
    assert "compared with 2 backup" in out
    code, out, err = _verify(logged, capsys, "check")
    assert code == 0 and "compared with 2 backup" in out


def test_a_restore_of_an_older_backup_is_not_a_forgery(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """After a restore, the backups made after the restored one are not extended by the log — that
    is what a restore does: said, not reported as a broken chain."""
    with clock.pinned(dt.date(2025, 11, 19)):
        older = backup.make_backup(logged, paths.backups_dir())
    _fill(logged, 4, start=ENTRIES)
    with clock.pinned(dt.date(2025, 11, 20)):
        newer = backup.make_backup(logged, paths.backups_dir())
    assert main(["--lang", "en", "restore", "--db", str(logged), "--from", str(older)]) == 0
    _fill(logged, 2, start=100)
    capsys.readouterr()
    code, out, err = _verify(logged, capsys)
    assert code == 0, err
    assert newer.name in out and "restore" in out


@pytest.mark.parametrize("folder", [
    "/media/usb", "/media/USB Trạm, số 2", 'C:\\Users\\Trạm\\sao lưu "2";x', "/mnt/@@odd", "E:\\",
])
def test_the_command_line_reads_the_second_folder_the_app_chose(folder: str) -> None:
    """The app writes the second folder with Qt; the command line reads it without Qt."""
    from station_app.ui.context import SECOND_FOLDER_KEY, settings

    written = settings()
    written.setValue("language/ui", "vi")
    written.setValue(SECOND_FOLDER_KEY, folder)
    written.sync()
    assert paths.second_backup_folder() == Path(folder)
    written.setValue(SECOND_FOLDER_KEY, "")
    written.sync()
    assert paths.second_backup_folder() is None


def test_a_backup_from_before_backups_recorded_their_head_is_read_from_its_log(
        logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = backup.make_backup(logged, paths.backups_dir())
    recorded = backup.read_record(made)
    conn = sqlite3.connect(made)
    conn.execute(f"DROP TABLE {backup.RECORD_TABLE}")
    conn.commit()
    conn.close()
    older = backup.read_record(made)
    assert (older.head_id, older.head_hash) == (recorded.head_id, recorded.head_hash)
    assert older.made == recorded.made  # from its name
    _cut_tail(logged, 3, head="move")
    code, _out, err = _verify(logged, capsys)
    assert code == 1 and made.name in err
