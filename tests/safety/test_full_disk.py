"""A really full disk (a small file system filled to the last byte): opening and saving say that
the disk is full and what to free, never "not a Trạm database" or "damaged", and nothing suggests
restoring a backup. SQLite's failures are told apart by their error code, not by their words."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from station_app.domain.accounts import Permission
from station_app.domain.dates import PartialDate
from station_app.domain.patient import Patient
from station_app.store import errors, open_store
from station_app.store import patients as patient_store
from tests.safety.conftest import fingerprint, integrity

ROOT = Path(__file__).resolve().parents[2]
RESTORE_WORDS = ("restore", "backup", "damaged", "not a Trạm database")


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "16m") -> Iterator[Path]:
    """A small file system of its own (tmpfs) at ``folder``; skipped where mounting is not allowed."""
    folder.mkdir()
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root on Linux")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("this machine does not allow mounting a small file system")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(folder: Path) -> Path:
    """Fill the file system of ``folder`` to the last byte with one file (its path)."""
    filler = folder / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for chunk in (1 << 20, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * chunk)
    finally:
        os.close(fd)
    assert shutil.disk_usage(folder).free == 0
    return filler


def says_disk_full(error: errors.StoreError) -> None:
    assert isinstance(error, errors.DiskFull), type(error).__name__
    english, vietnamese = error.text("en"), error.text("vi")
    assert "disk is full" in english and "Free" in english
    assert "đầy" in vietnamese and vietnamese != english
    for words in RESTORE_WORDS:
        assert words not in english


@pytest.fixture
def full_disk(station: Path, tmp_path: Path) -> Iterator[Path]:
    """The station's file on a small disk (the app has closed it), then the disk filled up."""
    with small_disk(tmp_path / "disk") as disk:
        db = disk / "tram.sqlite3"
        shutil.copyfile(station, db)
        yield db


def test_opening_on_a_full_disk_says_the_disk_is_full(full_disk):
    filler = fill(full_disk.parent)
    before = fingerprint(full_disk)
    with pytest.raises(errors.StoreError) as caught:
        open_store(full_disk)
    says_disk_full(caught.value)
    assert fingerprint(full_disk) == before
    filler.unlink()  # space freed, as the message says: the file opens, whole
    open_store(full_disk).close()
    assert integrity(full_disk) == ["ok"]


def test_saving_on_a_full_disk_says_the_disk_is_full_and_keeps_nothing_half_saved(full_disk):
    store = open_store(full_disk)
    try:
        before = store.scalar("SELECT count(*) FROM patients")
        filler = fill(full_disk.parent)
        with pytest.raises(errors.StoreError) as caught, store.write(Permission.EDIT_PATIENTS):
            for i in range(400):
                patient_store.insert(store, Patient(f"Trần Thị Đầy {i} " + "x" * 300, "2", PartialDate(1960)))
        says_disk_full(caught.value)
        assert not store.conn.in_transaction
        assert store.scalar("SELECT count(*) FROM patients") == before
        filler.unlink()
        patient_store.insert(store, Patient("Trần Thị Sau", "2", PartialDate(1960)))
        assert store.scalar("SELECT count(*) FROM patients") == before + 1
    finally:
        store.close()
    assert integrity(full_disk) == ["ok"]


def test_the_command_line_on_a_full_disk_says_the_disk_is_full(full_disk):
    fill(full_disk.parent)
    done = subprocess.run([sys.executable, "main.py", "--lang", "en", "find", "--db", str(full_disk), "Nguyễn"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert "disk is full" in done.stderr and "Traceback" not in done.stderr
    for words in RESTORE_WORDS:
        assert words not in done.stderr


# -- telling SQLite's failures apart by their code ------------------------------------------------
def failure(code: int, name: str, words: str = "some words SQLite may change") -> sqlite3.Error:
    exc = sqlite3.OperationalError(words)
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    exc.sqlite_errorname = name  # type: ignore[attr-defined]
    return exc


@pytest.mark.parametrize(
    ("code", "name", "kind"),
    [
        (13, "SQLITE_FULL", errors.DiskFull),
        (11, "SQLITE_CORRUPT", errors.Corrupt),
        (267, "SQLITE_CORRUPT_VTAB", errors.Corrupt),
        (26, "SQLITE_NOTADB", errors.NotADatabase),
        (8, "SQLITE_READONLY", errors.ReadOnly),
        (264, "SQLITE_READONLY_RECOVERY", errors.ReadOnly),
        (5, "SQLITE_BUSY", errors.Locked),
        (517, "SQLITE_BUSY_SNAPSHOT", errors.Locked),
        (6, "SQLITE_LOCKED", errors.Locked),
        (14, "SQLITE_CANTOPEN", errors.ReadOnly),
        (778, "SQLITE_IOERR_WRITE", errors.DiskProblem),
        (266, "SQLITE_IOERR_READ", errors.DiskProblem),
    ],
)
def test_sqlite_failures_are_told_apart_by_their_code(tmp_path, code, name, kind):
    found = errors.classify(failure(code, name, "database disk image is malformed or disk is full"), tmp_path / "x")
    assert type(found) is kind


def test_a_failure_without_an_environmental_code_is_a_bug_not_a_message(tmp_path):
    assert errors.classify(failure(1, "SQLITE_ERROR", "database or disk is full"), tmp_path) is None
    assert errors.classify(sqlite3.ProgrammingError("Cannot operate on a closed database."), tmp_path) is None


def test_an_input_output_error_on_a_full_disk_is_a_full_disk(full_disk):
    fill(full_disk.parent)
    found = errors.classify(failure(4874, "SQLITE_IOERR_SHMSIZE", "disk I/O error"), full_disk)
    assert found is not None
    says_disk_full(found)
