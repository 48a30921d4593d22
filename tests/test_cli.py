"""The command line contract: demo, import, find, check; exit codes; one-line errors."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from station_app.cli import EXIT_BROKEN_PIPE, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, main
from station_app.domain.dates import PartialDate
from station_app.domain.patient import Patient
from station_app.store import open_store
from station_app.store import patients as patient_store

ROOT = Path(__file__).resolve().parent.parent


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str) -> None:
    assert code == EXIT_ERROR
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    """A database with full, month/year and year-only birth dates."""
    path = tmp_path / "small.sqlite3"
    store = open_store(path)
    try:
        patient_store.insert(
            store,
            Patient(
                "Nguyễn Thị Hương",
                "2",
                PartialDate(1950),
                citizen_id="025150012345",
                insurance_no="GD4250123456789",
                phone="0912345678",
                village="Thôn Đông",
            ),
        )
        patient_store.insert(
            store, Patient("Nguyễn Văn Đức", "1", PartialDate(1962, 3), village="Xóm Chùa")
        )
        patient_store.insert(
            store, Patient("Nguyễn Thị Hường", "2", PartialDate(1971, 8, 9), phone="0362123456")
        )
        patient_store.insert(store, Patient("Trần Văn Bình", "1", PartialDate(1980, 1, 1)))
    finally:
        store.close()
    return path


# -- demo ------------------------------------------------------------------------------------------
def test_demo_writes_a_database_and_refuses_to_overwrite(capsys, tmp_path, today):
    db = tmp_path / "demo.sqlite3"
    code, out, err = run(capsys, "demo", "--db", str(db), "--patients", "40", "--seed", "3")
    assert code == EXIT_OK, err
    assert str(db) in out and "40" in out
    store = open_store(db)
    try:
        assert patient_store.count(store) == 40
        assert store.integrity_problems() == []
    finally:
        store.close()

    before = sha(db)
    code, out, err = run(capsys, "demo", "--db", str(db), "--patients", "10")
    assert_one_line_error(code, err)
    assert "--force" in err
    assert sha(db) == before

    code, out, err = run(capsys, "demo", "--db", str(db), "--patients", "10", "--force")
    assert code == EXIT_OK, err
    store = open_store(db)
    try:
        assert patient_store.count(store) == 10
    finally:
        store.close()


# -- import ----------------------------------------------------------------------------------------
def test_import_ok(capsys, tmp_path, today):
    db = tmp_path / "station.sqlite3"
    csv_file = tmp_path / "patients.csv"
    csv_file.write_text(
        "Họ và tên,Giới tính,Ngày sinh\nNguyễn Văn An,Nam,1950\nTrần Thị Bình,Nữ,03/1960\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "--lang", "en", "import", "--db", str(db), str(csv_file))
    assert code == EXIT_OK, err
    assert "Imported 2 patients; 0 duplicates skipped." in out
    assert err == ""


def test_import_only_duplicates_is_still_success(capsys, tmp_path, today):
    db = tmp_path / "station.sqlite3"
    csv_file = tmp_path / "patients.csv"
    csv_file.write_text(
        "Họ và tên,Ngày sinh,Số CCCD\nNguyễn Thị Hương,1950,025150012345\n", encoding="utf-8"
    )
    assert run(capsys, "import", "--db", str(db), str(csv_file))[0] == EXIT_OK
    code, out, err = run(capsys, "--lang", "en", "import", "--db", str(db), str(csv_file))
    assert code == EXIT_OK, err
    assert "Row 2 skipped, duplicate: same citizen ID as Nguyễn Thị Hương" in out
    assert "Imported 0 patients; 1 duplicates skipped." in out
    store = open_store(db)
    try:
        assert patient_store.count(store) == 1
    finally:
        store.close()


def test_import_with_bad_rows_imports_nothing(capsys, tmp_path, today):
    db = tmp_path / "station.sqlite3"
    csv_file = tmp_path / "patients.csv"
    csv_file.write_text(
        "Họ và tên,Giới tính,Ngày sinh\nNguyễn Văn An,Nam,1950\nTrần Thị Bình,X,1960\n"
        "Lê Văn Cường,Nam,31/02/1970\n",
        encoding="utf-8",
    )
    code, _out, err = run(capsys, "--lang", "en", "import", "--db", str(db), str(csv_file))
    assert code == EXIT_FINDINGS
    assert code != EXIT_OK
    lines = err.splitlines()
    assert lines[0].startswith("Row 3, Sex: ")
    assert lines[1].startswith("Row 4, Date of birth: ")
    assert "31/02/1970" in lines[1]
    assert "nothing was imported" in lines[-1]
    assert "Traceback" not in err
    store = open_store(db)
    try:
        assert patient_store.count(store) == 0
    finally:
        store.close()


def test_import_errors_in_vietnamese_by_default(capsys, tmp_path, today):
    db = tmp_path / "station.sqlite3"
    csv_file = tmp_path / "patients.csv"
    csv_file.write_text("Họ và tên,Giới tính\nTrần Thị Bình,X\n", encoding="utf-8")
    code, _out, err = run(capsys, "import", "--db", str(db), str(csv_file))
    assert code == EXIT_FINDINGS
    first = err.splitlines()[0]
    assert "2" in first and "Giới tính" in first
    assert "Row" not in err and "Sex" not in err


def test_import_of_a_missing_file(capsys, tmp_path):
    code, _out, err = run(
        capsys, "import", "--db", str(tmp_path / "x.sqlite3"), str(tmp_path / "nope.csv")
    )
    assert_one_line_error(code, err)
    assert "nope.csv" in err


def test_import_of_a_file_without_a_name_column(capsys, tmp_path):
    csv_file = tmp_path / "patients.csv"
    csv_file.write_text("STT,Giới tính\n1,Nam\n", encoding="utf-8")
    code, _out, err = run(capsys, "import", "--db", str(tmp_path / "x.sqlite3"), str(csv_file))
    assert_one_line_error(code, err)


def test_import_of_a_spreadsheet_that_is_not_csv(capsys, tmp_path):
    fake_xlsx = tmp_path / "patients.xlsx"
    fake_xlsx.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    code, _out, err = run(capsys, "import", "--db", str(tmp_path / "x.sqlite3"), str(fake_xlsx))
    assert_one_line_error(code, err)
    assert "CSV" in err
    assert "codec" not in err


def test_import_of_a_binary_file_with_nul_bytes(capsys, tmp_path):
    fake_xls = tmp_path / "patients.xls"
    fake_xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    code, _out, err = run(capsys, "import", "--db", str(tmp_path / "x.sqlite3"), str(fake_xls))
    assert_one_line_error(code, err)
    assert "CSV" in err


# -- find ------------------------------------------------------------------------------------------
def test_find_json(capsys, small_db):
    code, out, err = run(capsys, "find", "--db", str(small_db), "--json", "nguyen")
    assert code == EXIT_OK, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 3
    by_name = {r["full_name"]: r for r in rows}
    for row in rows:
        assert {
            "id",
            "record_no",
            "full_name",
            "sex",
            "birth_date",
            "citizen_id",
            "insurance_no",
            "phone",
            "village",
        } <= set(row)
    huong = by_name["Nguyễn Thị Hương"]
    assert huong["birth_date"] == "1950"
    assert huong["sex"] == "2"
    assert huong["citizen_id"] == "025150012345"
    assert huong["insurance_no"] == "GD4250123456789"
    assert huong["phone"] == "0912345678"
    assert huong["village"] == "Thôn Đông"
    assert huong["record_no"] == "00001-" + huong["record_no"][-1]
    assert isinstance(huong["id"], int)
    assert by_name["Nguyễn Văn Đức"]["birth_date"] == "1962-03"
    assert by_name["Nguyễn Thị Hường"]["birth_date"] == "1971-08-09"


def test_find_json_limit_and_ranking(capsys, small_db):
    code, out, _err = run(capsys, "find", "--db", str(small_db), "--json", "--limit", "1", "Hường")
    assert code == EXIT_OK
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["full_name"] == "Nguyễn Thị Hường"


def test_find_by_phone_text_output(capsys, small_db):
    code, out, _err = run(capsys, "find", "--db", str(small_db), "+84 912 345 678")
    assert code == EXIT_OK
    (line,) = out.splitlines()
    assert "Nguyễn Thị Hương" in line and "~1950" in line


def test_find_nothing(capsys, small_db):
    code, out, err = run(capsys, "find", "--db", str(small_db), "--json", "zzz")
    assert (code, out) == (EXIT_OK, "")
    code, out, err = run(capsys, "find", "--db", str(small_db), "zzz")
    assert code == EXIT_OK and out == "" and "zzz" in err


def records(db: Path) -> dict[str, list[tuple]]:
    """Every table's rows but the audit log's (and its head, kept in the settings)."""
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
        return {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"' + (
            " WHERE key <> 'audit_head'" if t == "settings" else "")))) for t in tables if t != "audit_log"}
    finally:
        conn.close()


def test_find_changes_nothing_but_its_audit_entry(capsys, small_db):
    before, entries = records(small_db), audit_count(small_db)
    run(capsys, "find", "--db", str(small_db), "nguyen")
    assert records(small_db) == before
    assert audit_count(small_db) == entries + 1


def audit_count(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    finally:
        conn.close()


# -- check -----------------------------------------------------------------------------------------
def test_check_healthy(capsys, demo_copy):
    code, out, err = run(capsys, "--lang", "en", "check", "--db", str(demo_copy))
    assert code == EXIT_OK, err
    assert "Integrity: ok" in out
    assert "Patients: 300" in out
    assert err == ""
    code, out, _err = run(capsys, "--lang", "vi", "check", "--db", str(demo_copy))
    assert "Bệnh nhân: 300" in out and "patients" not in out, "Vietnamese, not the tables' names"


def test_check_unhealthy(capsys, small_db):
    conn = sqlite3.connect(small_db)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute(
        "INSERT INTO visits (patient_id, visit_at, created_at, updated_at) "
        "VALUES (999, '2025-01-01 09:00', '2025-01-01 09:00', '2025-01-01 09:00')"
    )
    conn.commit()
    conn.close()
    code, _out, err = run(capsys, "check", "--db", str(small_db))
    assert code == EXIT_FINDINGS
    assert "visits" in err


# -- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [["find", "--json", "nguyen"], ["check"]])
def test_missing_database(capsys, tmp_path, command):
    db = tmp_path / "missing.sqlite3"
    code, out, err = run(capsys, command[0], "--db", str(db), *command[1:])
    assert_one_line_error(code, err)
    assert str(db) in err
    assert out == ""
    assert not db.exists()


@pytest.mark.parametrize("command", [["find", "nguyen"], ["check"], ["import", "PATIENTS"]])
def test_not_a_database(capsys, tmp_path, command):
    db = tmp_path / "notes.sqlite3"
    db.write_text("Đây không phải cơ sở dữ liệu\n" * 10, encoding="utf-8")
    before = sha(db)
    csv_file = tmp_path / "patients.csv"
    csv_file.write_text("Họ và tên\nNguyễn Văn An\n", encoding="utf-8")
    argv = [a if a != "PATIENTS" else str(csv_file) for a in command[1:]]
    code, _out, err = run(capsys, command[0], "--db", str(db), *argv)
    assert_one_line_error(code, err)
    assert str(db) in err
    assert sha(db) == before


def test_database_of_a_newer_version(capsys, small_db):
    conn = sqlite3.connect(small_db)
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()
    code, _out, err = run(capsys, "--lang", "en", "find", "--db", str(small_db), "nguyen")
    assert_one_line_error(code, err)
    assert "newer version" in err


def test_unexpected_error_is_one_line_and_logged(capsys, tmp_path, tmp_data_dir, monkeypatch):
    def broken(*_args: object, **_kwargs: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(patient_store, "search", broken)
    db = tmp_path / "x.sqlite3"
    open_store(db).close()
    code, _out, err = run(capsys, "find", "--db", str(db), "nguyen")
    assert_one_line_error(code, err)
    assert "boom" in err
    assert "Traceback" in (tmp_data_dir / "error.log").read_text(encoding="utf-8")


# -- the real program ------------------------------------------------------------------------------
def test_main_py_find_json_smoke(demo_copy, tmp_path):
    env = {**os.environ, "TRAM_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [
            "uv",
            "run",
            "main.py",
            "find",
            "--db",
            str(demo_copy),
            "--json",
            "--limit",
            "5",
            "nguyen",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 5
    assert all(r["full_name"].startswith("Nguyễn") for r in rows)


def test_main_py_error_has_no_traceback(tmp_path):
    env = {**os.environ, "TRAM_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "main.py", "check", "--db", str(tmp_path / "missing.sqlite3")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == EXIT_ERROR
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_find_on_a_damaged_patient_list_says_so_in_one_line(capsys, small_db):
    from tests.safety.test_backups import damage_pages

    with sqlite3.connect(small_db) as conn:
        pages = [n - 1 for (n,) in conn.execute("SELECT pageno FROM dbstat WHERE name LIKE 'patients%'")]
    conn.close()
    damage_pages(small_db, pages)
    assert main(["find", "--db", str(small_db), "nguyen"]) == EXIT_ERROR
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert main(["check", "--db", str(small_db)]) != EXIT_OK


def test_main_py_stops_quietly_when_its_reader_goes_away(demo_copy, tmp_path):
    """``main.py followups --json | head -1``: the command ends with SIGPIPE's status, without an
    error line or an entry in the error log."""
    fcntl = pytest.importorskip("fcntl")
    if not hasattr(fcntl, "F_SETPIPE_SZ"):
        pytest.skip("the pipe's size cannot be set here")
    data = tmp_path / "data"
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)  # (smaller than the output, so writing waits)
    process = subprocess.Popen(
        [sys.executable, "main.py", "followups", "--db", str(demo_copy), "--as-of", "2026-06-01", "--json"],
        cwd=ROOT,
        stdout=write_end,
        stderr=subprocess.PIPE,
        env={**os.environ, "TRAM_DATA_DIR": str(data)},
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        first = reader.readline()
    _out, err = process.communicate(timeout=120)
    assert json.loads(first)["full_name"]
    assert process.returncode == EXIT_BROKEN_PIPE, err.decode()
    assert err == b""
    assert not (data / "error.log").exists()


# -- dates: one reading for every date option --------------------------------------------------------
DATE_OPTIONS = [
    (["export", "--what", "visits", "--format", "csv", "--out", "{out}.csv", "--to", "2025-12-31"], "--from"),
    (["export", "--what", "referrals", "--format", "csv", "--out", "{out}.csv", "--from", "2025-01-01"], "--to"),
    (["followups", "--json"], "--as-of"),
    (["referrals", "--json"], "--from"),
    (["referrals", "--json"], "--to"),
    (["print", "visit-book", "--to", "2025-12-31", "--out", "{out}.pdf"], "--from"),
    (["print", "visit-book", "--from", "2025-01-01", "--out", "{out}.pdf"], "--to"),
]


@pytest.mark.parametrize(("argv", "option"), DATE_OPTIONS, ids=lambda v: v if isinstance(v, str) else v[0])
@pytest.mark.parametrize("written", ["2025-11-01", "01/11/2025", "1/11/2025"])
def test_every_date_option_reads_iso_and_day_month_year(capsys, small_db, tmp_path, argv, option, written):
    args = [a.format(out=tmp_path / "out") for a in argv]
    code, _out, err = run(capsys, args[0], *args[1:], "--db", str(small_db), option, written)
    assert (code, err) == (EXIT_OK, "")


@pytest.mark.parametrize(("argv", "option"), DATE_OPTIONS, ids=lambda v: v if isinstance(v, str) else v[0])
def test_every_date_option_refuses_the_same_way(capsys, small_db, tmp_path, argv, option):
    args = [a.format(out=tmp_path / "out") for a in argv]
    code, _out, err = run(capsys, "--lang", "en", *args, "--db", str(small_db), option, "1 Nov")
    assert_one_line_error(code, err)
    assert err == f'Error: {option}: "1 Nov" is not a date (write YYYY-MM-DD or dd/mm/yyyy).\n'


def test_audit_log_refuses_an_action_that_does_not_exist(capsys, small_db):
    """`--action exprot` (a slip) is said, not answered with an empty log that looks like "nothing exported"."""
    code, out, err = run(capsys, "--lang", "en", "audit", "log", "--db", str(small_db), "--action", "exprot")
    assert_one_line_error(code, err)
    assert "exprot" in err and "export" in err and out == ""
    code, out, err = run(capsys, "audit", "log", "--db", str(small_db), "--action", "export")
    assert code == EXIT_OK, err


@pytest.mark.parametrize(("argv", "said", "english"), [
    (["print", "book", "--db", "x", "--book", "A9", "--from", "2025-01-01", "--to", "2025-01-31", "--out", "b.pdf"],
     "không hợp lệ", "invalid choice"),
    (["claims", "--db", "x", "--from", "2025-01-01", "--to", "2025-01-31"], "cần có", "the following arguments"),
    (["notifications", "--db", "x", "--jsn"], "không nhận ra", "unrecognized arguments"),
    (["report", "monthly", "--db", "x", "--month", "2025-01", "--period", "2025", "--format", "json", "--out", "m"],
     "không dùng cùng", "not allowed with"),
])
def test_a_mistyped_command_is_one_vietnamese_line(capsys, argv, said, english):
    """argparse's own refusals (a book not in the list, a required option left out, an option that
    does not exist) in the person's language, like every other error of the command line."""
    with pytest.raises(SystemExit) as ended:
        main(["--lang", "vi", *argv])
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err and english not in err, err
