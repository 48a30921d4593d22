"""The audit log: appended in the transaction of the change, append-only, hash-chained; and
``main.py audit verify`` / ``check`` finding an edited, removed or truncated entry."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from station_app.cli import main
from station_app.domain.accounts import ANYONE, SYSTEM, Actor, Role
from station_app.store import Store, audit, open_store


def _fill(store: Store, n: int = 6) -> None:
    store.actor = Actor(7, "yta.mai", "Trần Thị Mai", Role.NURSE)
    for i in range(n):
        audit.record(store, audit.VIEW_PATIENT, ("patient", i + 1), {"n": i})
    store.actor = SYSTEM  # the log is read (and its chain checked) by whoever may


def test_record_chains_each_entry_to_the_previous(store: Store, read_log) -> None:
    _fill(store, 3)
    entries = list(reversed(read_log(store)))
    assert [e.id for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == audit.GENESIS
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    assert entries[0].patient_id == 1 and entries[0].username == "yta.mai" and entries[0].role == "nurse"
    assert audit.verify(store).ok


def test_an_entry_is_written_only_with_its_change(store: Store, read_log) -> None:
    with pytest.raises(RuntimeError), store.write(ANYONE):
        audit.record(store, audit.CREATE, ("visit", 1))
        raise RuntimeError("the save failed")
    assert read_log(store) == []


def test_the_table_refuses_update_and_delete(store: Store) -> None:
    _fill(store, 2)
    for sql in ("UPDATE audit_log SET username = 'x' WHERE id = 1", "DELETE FROM audit_log WHERE id = 2"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.conn.execute(sql)
    assert audit.verify(store).ok


def _tamper(path: Path, *statements: str) -> None:
    """What an attacker with the file would do: drop the trigger, edit, leave."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("DROP TRIGGER audit_log_no_delete")
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


@pytest.fixture
def logged(tmp_path: Path) -> Path:
    path = tmp_path / "station.sqlite3"
    store = open_store(path)
    _fill(store, 6)
    store.close()
    return path


def test_verify_passes_an_intact_log(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "en", "audit", "verify", "--db", str(logged)]) == 0
    assert "6 entries, chain intact" in capsys.readouterr().out


def test_verify_names_the_edited_entry(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tamper(logged, "UPDATE audit_log SET username = 'someone.else' WHERE id = 4")
    assert main(["--lang", "en", "audit", "verify", "--db", str(logged)]) == 1
    err = capsys.readouterr().err
    assert "BROKEN at entry 4:" in err and "content was changed" in err


def test_verify_names_the_entry_after_a_removed_one(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tamper(logged, "DELETE FROM audit_log WHERE id = 3")
    assert main(["--lang", "en", "audit", "verify", "--db", str(logged)]) == 1
    assert "BROKEN at entry 4:" in capsys.readouterr().err


def test_verify_sees_a_rehashed_edit_at_the_next_entry(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Recomputing the edited entry's own hash does not help: the next entry still points at the old one."""
    _tamper(logged, "UPDATE audit_log SET details = '{}' WHERE id = 2")
    conn = sqlite3.connect(logged)
    row = dict(zip(
        ["id", "at", "user_id", "username", "role", "action", "target_type", "target_id", "patient_id", "details",
         "prev_hash"],
        conn.execute("SELECT id, at, user_id, username, role, action, target_type, target_id, patient_id, details, "
                     "prev_hash FROM audit_log WHERE id = 2").fetchone(), strict=True))
    conn.execute("UPDATE audit_log SET hash = ? WHERE id = 2", (audit.entry_hash(row),))
    conn.commit()
    conn.close()
    assert main(["--lang", "en", "audit", "verify", "--db", str(logged)]) == 1
    assert "BROKEN at entry 3:" in capsys.readouterr().err


def test_verify_sees_a_cut_off_end(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tamper(logged, "DELETE FROM audit_log WHERE id >= 5")
    assert main(["--lang", "en", "audit", "verify", "--db", str(logged)]) == 1
    assert "BROKEN at entry 5:" in capsys.readouterr().err


def test_check_reports_the_broken_chain(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "en", "check", "--db", str(logged)]) == 0
    assert "chain intact" in capsys.readouterr().out
    _tamper(logged, "UPDATE audit_log SET action = 'login' WHERE id = 1")
    assert main(["--lang", "en", "check", "--db", str(logged)]) == 1
    err = capsys.readouterr().err
    assert "BROKEN at entry 1:" in err and "NOT healthy" in err


def test_verify_in_vietnamese_and_missing_file(logged: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    _tamper(logged, "UPDATE audit_log SET at = '2020-01-01 00:00:00' WHERE id = 6")
    assert main(["audit", "verify", "--db", str(logged)]) == 1
    assert "Nhật ký truy cập BỊ HỎNG tại mục 6" in capsys.readouterr().err
    assert main(["audit", "verify", "--db", str(tmp_path / "none.sqlite3")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_command_line_entries_name_the_os_account(store: Store, read_log) -> None:
    audit.record(store, audit.EXPORT, "database")
    entry = read_log(store)[0]
    assert entry.role == "system" and entry.username == "system"
    assert "os_user" in entry.details


def test_audit_log_command_lists_entries(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "en", "audit", "log", "--db", str(logged), "--patient", "2"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "Viewed a patient" in out[0] and "yta.mai" in out[0]


def test_two_writers_keep_one_unbroken_chain(tmp_path: Path, read_log) -> None:
    """Two app instances on one file: entries are appended under the write lock, so the chain
    never forks (no two entries claim the same previous one)."""
    import threading

    path = tmp_path / "shared.sqlite3"
    open_store(path).close()
    failures: list[BaseException] = []

    def writer(name: str) -> None:
        store = open_store(path)
        store.actor = Actor(None, name, name, Role.NURSE)
        try:
            for i in range(60):
                audit.record(store, audit.VIEW_PATIENT, ("patient", i))
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    store = open_store(path)
    try:
        report = audit.verify(store)
        assert report.ok and report.entries == 120
        assert {e.username for e in read_log(store)} == {"a", "b"}
    finally:
        store.close()
