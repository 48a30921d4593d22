"""The command-line contract of backups: ``backup --db FILE [--to DIR] [--encrypt]`` prints the path
of the backup; ``restore --db FILE --from BACKUP`` refuses a damaged or foreign backup and leaves the
database untouched. Errors are one line, never a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from station_app import paths
from station_app.cli import EXIT_ERROR, EXIT_OK, main
from station_app.store import backup, open_store
from tests.safety.conftest import add_people, content, fingerprint, integrity, rows
from tests.safety.test_backups import damage_pages

ROOT = Path(__file__).resolve().parents[2]
PASS = "một cụm mật khẩu dài"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str) -> str:
    assert code == EXIT_ERROR
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_backup_prints_the_path_of_a_checked_backup(capsys, station, tmp_path):
    expected = content(station)
    code, out, err = run(capsys, "backup", "--db", str(station), "--to", str(tmp_path / "usb"))
    assert code == EXIT_OK, err
    made = Path(out.strip())
    assert out.count("\n") == 1 and made.parent == tmp_path / "usb" and made.exists()
    assert integrity(made) == ["ok"] and content(made) == expected
    # The backup is in the audit log (after the copy was made: the copy does not hold its own entry).
    last = audit_rows(station)[-1]
    assert last["action"] == "backup" and made.name in last["details"]


def test_backup_goes_to_the_data_folder_by_default(capsys, station):
    code, out, _ = run(capsys, "backup", "--db", str(station))
    assert code == EXIT_OK
    assert Path(out.strip()).parent == paths.backups_dir()


def test_encrypted_backup_and_restore_from_the_command_line(capsys, station, tmp_path, monkeypatch):
    monkeypatch.setenv("TRAM_BACKUP_PASSPHRASE", PASS)
    code, out, err = run(capsys, "backup", "--db", str(station), "--to", str(tmp_path / "usb"), "--encrypt")
    assert code == EXIT_OK, err
    sealed = Path(out.strip())
    assert sealed.suffix == ".trambak" and backup.is_encrypted(sealed)
    expected = {t: rows(sealed_plain(sealed, tmp_path), t) for t in ("patients", "visits")}
    store = open_store(station)
    add_people(store, 2, start=50)
    store.close()
    code, out, err = run(capsys, "restore", "--db", str(station), "--from", str(sealed))
    assert code == EXIT_OK, err
    assert {t: rows(station, t) for t in ("patients", "visits")} == expected
    actions = [r["action"] for r in audit_rows(station)]
    assert actions[-1] == "restore"
    assert "before-restore" in out  # says where the replaced file was kept

    monkeypatch.setenv("TRAM_BACKUP_PASSPHRASE", "sai mật khẩu rồi")
    before = fingerprint(station)
    code, _, err = run(capsys, "restore", "--db", str(station), "--from", str(sealed))
    assert "Cụm mật khẩu sai" in one_line_error(code, err)  # Vietnamese by default
    assert fingerprint(station) == before


def sealed_plain(sealed: Path, tmp_path: Path) -> Path:
    return backup.decrypt_file(sealed, tmp_path / "opened.sqlite3", PASS)


def audit_rows(path: Path) -> list[dict]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM audit_log ORDER BY id")]
    finally:
        conn.close()


def test_encrypt_without_a_passphrase_or_a_terminal_is_a_clear_error(capsys, station, tmp_path, monkeypatch):
    monkeypatch.delenv("TRAM_BACKUP_PASSPHRASE", raising=False)
    monkeypatch.setattr(sys, "stdin", open("/dev/null"))  # noqa: SIM115 - closed by pytest's monkeypatch undo
    try:
        code, _, err = run(capsys, "--lang", "en", "backup", "--db", str(station), "--to", str(tmp_path), "--encrypt")
    finally:
        sys.stdin.close()
    assert "TRAM_BACKUP_PASSPHRASE" in one_line_error(code, err)
    assert list(tmp_path.glob("*.trambak")) == []


def test_short_passphrase_is_refused(capsys, station, tmp_path, monkeypatch):
    monkeypatch.setenv("TRAM_BACKUP_PASSPHRASE", "ngắn")
    code, _, err = run(capsys, "backup", "--db", str(station), "--to", str(tmp_path / "x"), "--encrypt")
    one_line_error(code, err)
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").iterdir())


def make_foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("kind", ["foreign", "damaged", "text", "missing"])
def test_restore_refuses_a_bad_backup_and_leaves_the_database_untouched(capsys, station, tmp_path, kind):
    bad = tmp_path / "bad.sqlite3"
    if kind == "foreign":
        make_foreign(bad)
    elif kind == "damaged":
        bad = backup.make_backup(station, tmp_path / "b")
        damage_pages(bad)
    elif kind == "text":
        bad.write_text("not a database\n" * 100)
    before = fingerprint(station)
    listing = sorted(p.name for p in station.parent.iterdir())
    code, out, err = run(capsys, "--lang", "en", "restore", "--db", str(station), "--from", str(bad))
    message = one_line_error(code, err)
    assert out == ""
    if kind != "missing":
        assert "not changed" in message
    assert str(bad) in message
    assert fingerprint(station) == before
    assert sorted(p.name for p in station.parent.iterdir()) == listing


def test_backup_of_a_foreign_or_missing_file(capsys, tmp_path):
    foreign = tmp_path / "contacts.sqlite3"
    make_foreign(foreign)
    before = fingerprint(foreign)
    code, _, err = run(capsys, "--lang", "en", "backup", "--db", str(foreign), "--to", str(tmp_path / "b"))
    assert "another program" in one_line_error(code, err)
    assert fingerprint(foreign) == before
    code, _, err = run(capsys, "backup", "--db", str(tmp_path / "none.sqlite3"))
    one_line_error(code, err)


def test_the_commands_as_a_station_would_type_them(station, tmp_path):
    """``uv run main.py backup …`` in a real process: the printed path, exit codes."""
    env = {**os.environ, "TRAM_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "main.py", "backup", "--db", str(station), "--to", str(tmp_path / "b")],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=env,
    )
    assert done.returncode == 0, done.stderr
    made = Path(done.stdout.strip())
    assert made.exists()
    done = subprocess.run(
        [sys.executable, "main.py", "restore", "--db", str(station), "--from", str(made)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=env,
    )
    assert done.returncode == 0, done.stderr
    assert integrity(station) == ["ok"]
