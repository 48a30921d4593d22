"""Opening the database file: a fresh file, reopening, refusing files that are not ours (without
changing them), upgrading saved older schemas, and writes that are all-or-nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from station_app.domain.accounts import ANYONE
from station_app.domain.dates import PartialDate
from station_app.domain.patient import Patient
from station_app.store import StoreError, errors, open_store
from station_app.store import patients as patient_store
from station_app.store import referrals as referral_store
from station_app.store import visits as visit_store
from station_app.store.schema import APPLICATION_ID, SCHEMA_VERSION

DATA = Path(__file__).resolve().parent.parent / "data"


def fingerprint(path: Path) -> tuple[str, int, int]:
    return (
        hashlib.sha256(path.read_bytes()).hexdigest(),
        path.stat().st_mtime_ns,
        path.stat().st_size,
    )


def folder_listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- a fresh file ----------------------------------------------------------------------------------
def test_fresh_database_settings(store):
    pragma = store.scalar
    assert str(pragma("PRAGMA journal_mode")).lower() == "wal"
    assert pragma("PRAGMA synchronous") == 2  # FULL
    assert pragma("PRAGMA foreign_keys") == 1
    assert pragma("PRAGMA user_version") == SCHEMA_VERSION
    assert store.schema_version == SCHEMA_VERSION
    assert pragma("PRAGMA application_id") == APPLICATION_ID
    assert store.integrity_problems() == []
    assert store.migration_backup is None


def test_fresh_database_has_the_tables_and_the_icd10_catalogue(store):
    tables = {r["name"] for r in store.query("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    assert {
        "settings",
        "station",
        "villages",
        "staff",
        "patients",
        "patient_search",
        "icd10",
        "visits",
    } <= tables
    assert int(store.scalar("SELECT count(*) FROM icd10")) > 10_000  # type: ignore[arg-type]
    assert store.scalar("SELECT code FROM icd10 WHERE code = 'I10'") == "I10"


def test_fresh_database_in_a_new_folder(tmp_path):
    store = open_store(tmp_path / "new" / "folder" / "tram.sqlite3")
    try:
        assert store.schema_version == SCHEMA_VERSION
    finally:
        store.close()


def test_foreign_keys_are_enforced(store):
    from station_app.domain.visit import Visit

    with pytest.raises(sqlite3.IntegrityError):
        visit_store.insert(
            store, Visit(patient_id=999, visit_at=dt.datetime(2025, 1, 1, 9, 0), complaint="Ho")
        )
    assert store.scalar("SELECT count(*) FROM visits") == 0


def test_reopening_is_idempotent(tmp_path):
    path = tmp_path / "tram.sqlite3"
    first = open_store(path)
    patient_store.insert(first, Patient("Nguyễn Thị Hương", "2", PartialDate(1950)))
    schema_before = first.query("SELECT type, name, sql FROM sqlite_schema ORDER BY name")
    migrations_before = first.query("SELECT * FROM _sqlite_migrations")
    icd_before = first.scalar("SELECT count(*) FROM icd10")
    first.close()
    for _ in range(2):
        again = open_store(path)
        try:
            assert again.schema_version == SCHEMA_VERSION
            assert again.migration_backup is None
            assert (
                again.query("SELECT type, name, sql FROM sqlite_schema ORDER BY name")
                == schema_before
            )
            assert again.query("SELECT * FROM _sqlite_migrations") == migrations_before
            assert again.scalar("SELECT count(*) FROM icd10") == icd_before
            assert patient_store.count(again) == 1
        finally:
            again.close()
    assert folder_listing(tmp_path) == [
        "tram.sqlite3"
    ]  # no backup of a file that needed no upgrade


def test_missing_file_when_not_creating(tmp_path):
    with pytest.raises(errors.FileMissing) as caught:
        open_store(tmp_path / "nothing.sqlite3", create=False)
    assert "nothing.sqlite3" in caught.value.text("en")
    assert not (tmp_path / "nothing.sqlite3").exists()


# -- refusals that leave the file exactly as it was ------------------------------------------------
def make_text_file(path: Path) -> None:
    path.write_text("Họ và tên,Giới tính\nNguyễn Thị Hương,2\n" * 20, encoding="utf-8")


def make_empty_file(path: Path) -> None:
    path.touch()  # a copy that failed: never silently a new, empty station


def make_short_text_file(path: Path) -> None:
    path.write_text("hello", encoding="utf-8")


def make_foreign_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
    conn.commit()
    conn.close()


def make_foreign_empty_tables_wal(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()


def make_newer_tram_database(path: Path) -> None:
    store = open_store(path)
    patient_store.insert(store, Patient("Nguyễn Thị Hương", "2", PartialDate(1950)))
    store.close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.commit()
    conn.close()


def make_damaged_database(path: Path) -> None:
    make_foreign_database(path)
    data = bytearray(path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)  # keep the header, destroy the pages
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (make_text_file, errors.NotADatabase, "not a Trạm database"),
        (make_short_text_file, errors.NotADatabase, "not a Trạm database"),
        (make_empty_file, errors.EmptyFile, "is empty"),
        (make_foreign_database, errors.NotOurDatabase, "another program"),
        (make_foreign_empty_tables_wal, errors.NotOurDatabase, "another program"),
        (make_newer_tram_database, errors.TooNew, "newer version"),
    ],
)
def test_refused_files_are_left_unchanged(tmp_path, make, error, words):
    path = tmp_path / "station.sqlite3"
    make(path)
    before = fingerprint(path)
    listing = folder_listing(tmp_path)
    for _ in range(2):  # the second attempt must see the same untouched file
        with pytest.raises(error) as caught:
            open_store(path)
        assert isinstance(caught.value, StoreError)
    assert fingerprint(path) == before
    assert folder_listing(tmp_path) == listing  # no -wal, -shm or backup files left beside it
    message = caught.value.text("en")
    assert words in message
    assert str(path) in message
    assert "not changed" in message
    vietnamese = caught.value.text("vi")
    assert vietnamese != message
    assert str(path) in vietnamese


@pytest.mark.parametrize("given", ["the folder", "an empty path"])
def test_a_folder_is_refused_with_its_own_message(tmp_path, monkeypatch, given):
    """A folder given as the database (or an empty path: the current folder) is named as a folder,
    in both languages, and nothing is written into it."""
    folder = tmp_path / "station"
    folder.mkdir()
    monkeypatch.chdir(folder)
    with pytest.raises(errors.IsAFolder) as caught:
        open_store(folder if given == "the folder" else "")
    assert "is a folder" in caught.value.text("en") and str(folder) in caught.value.text("en")
    assert "thư mục" in caught.value.text("vi")
    assert list(folder.iterdir()) == []


def test_too_new_says_which_versions(tmp_path):
    path = tmp_path / "newer.sqlite3"
    make_newer_tram_database(path)
    with pytest.raises(errors.TooNew) as caught:
        open_store(path)
    assert f"schema {SCHEMA_VERSION + 5}" in caught.value.text("en")
    assert str(SCHEMA_VERSION) in caught.value.text("en")
    assert str(SCHEMA_VERSION + 5) in caught.value.text("vi")


def test_damaged_file_is_refused_unchanged(tmp_path):
    path = tmp_path / "damaged.sqlite3"
    make_damaged_database(path)
    before = fingerprint(path)
    with pytest.raises(StoreError):
        open_store(path)
    assert fingerprint(path) == before


# -- saved older schemas ---------------------------------------------------------------------------
@pytest.mark.parametrize("saved", sorted(DATA.glob("schema-*.sqlite3")), ids=lambda p: p.name)
def test_saved_schema_opens_with_the_current_code(tmp_path, saved):
    path = tmp_path / "station.sqlite3"
    shutil.copy(saved, path)
    version = int(saved.stem.split("-")[1])
    store = open_store(path)
    try:
        assert store.schema_version == SCHEMA_VERSION
        assert store.integrity_problems() == []
        if version < SCHEMA_VERSION:
            assert store.migration_backup is not None and store.migration_backup.exists()
        names = sorted(
            p.full_name
            for p in patient_store.get_many(store, patient_store.all_ids(store)).values()
        )
        assert names == ["Lê Minh Khang", "Nguyễn Thị Hương", "Trần Văn Đức"]
        (huong,) = patient_store.search(store, "nguyen thi huong")
        assert huong.full_name == "Nguyễn Thị Hương"
        assert huong.citizen_id == "025150012345"
        assert (
            huong.birth is not None
            and huong.birth.iso() == "1950"
            and huong.birth.display() == "~1950"
        )
        assert patient_store.search(store, "0912345678")[0].id == huong.id
        history = visit_store.for_patient(store, huong.id)  # type: ignore[arg-type]
        assert [v.diagnosis_code for v in history] == ["I10", "I10"]
        assert history[0].bp_systolic == 150
        assert store.scalar("SELECT count(*) FROM visits") == 3
        if version >= 3:  # the slip issued under schema 3 keeps its number and its "did they go?" item
            (slip,) = referral_store.book(store)
            assert slip.number == "000001/2025/PCCSKBCB" and slip.full_name == "Trần Văn Đức"
        assert int(store.scalar("SELECT count(*) FROM icd10")) > 10_000  # type: ignore[arg-type]
        # Still writable after opening.
        patient_store.insert(store, Patient("Phạm Văn Mới", "1", PartialDate(1990)))
    finally:
        store.close()


def test_released_schema_copies_are_saved():
    assert (DATA / "schema-1.sqlite3").exists() and (DATA / "schema-3.sqlite3").exists()


# -- all or nothing --------------------------------------------------------------------------------
class Boom(Exception):
    pass


def test_failing_write_leaves_nothing_half_saved(store):
    with pytest.raises(Boom), store.write(ANYONE):
        patient_store.insert(store, Patient("Nguyễn Thị Hương", "2", PartialDate(1950)))
        patient_store.insert(store, Patient("Trần Văn Đức", "1", PartialDate(1960)))
        raise Boom
    assert patient_store.count(store) == 0
    assert store.scalar("SELECT count(*) FROM patient_search") == 0
    assert patient_store.search(store, "huong") == []
    assert not store.conn.in_transaction
    # The store is still usable and numbering starts again at 1.
    saved = patient_store.insert(store, Patient("Lê Văn Tám", "1", PartialDate(1950)))
    assert saved.id == 1


def test_failing_inner_block_rolls_back_only_itself(store):
    with store.write(ANYONE):
        patient_store.insert(store, Patient("Nguyễn Thị Hương", "2", PartialDate(1950)))
        with pytest.raises(Boom), store.write(ANYONE):
            patient_store.insert(store, Patient("Trần Văn Đức", "1", PartialDate(1960)))
            raise Boom
    assert patient_store.count(store) == 1
    assert patient_store.search(store, "duc") == []


def test_failing_sql_inside_a_write_rolls_back(store):
    with pytest.raises(sqlite3.IntegrityError), store.write(ANYONE):
        patient_store.insert(store, Patient("Nguyễn Thị Hương", "2", PartialDate(1950)))
        store.conn.execute("INSERT INTO patients (id, record_no) VALUES (1, 'x')")
    assert patient_store.count(store) == 0


def test_a_locked_database_is_a_store_error(tmp_path):
    path = tmp_path / "tram.sqlite3"
    first = open_store(path)
    second = open_store(path)
    second.conn.execute("PRAGMA busy_timeout = 50")
    try:
        with first.write(ANYONE):
            patient_store.insert(first, Patient("Nguyễn Thị Hương", "2", PartialDate(1950)))
            with pytest.raises(errors.Locked) as caught:
                patient_store.insert(second, Patient("Trần Văn Đức", "1", PartialDate(1960)))
            assert caught.value.text("vi") != caught.value.text("en")
        assert patient_store.count(second) == 1
    finally:
        first.close()
        second.close()


# -- two programs on one file -----------------------------------------------------------------------
ANOTHER_PROGRAM = """
import sys
from station_app.domain.dates import PartialDate
from station_app.domain.patient import Patient
from station_app.store import open_store, patients
store = open_store(sys.argv[1])
patients.insert(store, Patient("Trần Văn Hai", "1", PartialDate(1961)))
store.close()
"""


@pytest.mark.parametrize("second", ["worker", "read_only", "check"])
def test_a_second_connection_of_the_app_never_lets_another_program_take_the_log_from_under_it(
        tmp_path: Path, second: str) -> None:
    """The app keeps the file open; a background operation opens it once more and closes it (as
    every ``run_op`` does), then another program (a command, a second window) saves and closes.
    That program must see the app still there: it may not move the write-ahead log into the file
    and delete it, or the app's next saves go to a deleted log and what the program saved is lost."""
    import subprocess
    import sys

    from station_app.store import database

    path = tmp_path / "station.sqlite3"
    app = open_store(path)
    try:
        patient_store.insert(app, Patient("Nguyễn Văn Một", "1", PartialDate(1960)))
        if second == "worker":
            open_store(path, create=False, migrate=False, verify=False).close()
        elif second == "read_only":
            open_store(path, read_only=True).close()
        else:
            database.quick_check(path)
        done = subprocess.run([sys.executable, "-c", ANOTHER_PROGRAM, str(path)],
                              cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        patient_store.insert(app, Patient("Lê Văn Ba", "1", PartialDate(1962)))
    finally:
        app.close()
    with sqlite3.connect(path) as check:
        names = sorted(r[0] for r in check.execute("SELECT full_name FROM patients"))
    assert names == ["Lê Văn Ba", "Nguyễn Văn Một", "Trần Văn Hai"]
