"""The command line: ``import`` of XLSX (patients or a chronic register, with a mapping file),
``export`` of every list, ``print patient-summary``; exit codes and one-line errors."""

from __future__ import annotations

import json

import pypdf
import pytest
from openpyxl import load_workbook

from station_app.cli import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, main
from station_app.store import followups, open_store
from station_app.store import patients as patient_store


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str) -> None:
    assert code == EXIT_ERROR
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err


def count(db) -> int:
    store = open_store(db)
    try:
        return patient_store.count(store)
    finally:
        store.close()


def test_import_xlsx_twice(capsys, tmp_path, registry_xlsx, today):
    db = tmp_path / "tram.sqlite3"
    code, out, err = run(capsys, "--lang", "en", "import", "--db", str(db), str(registry_xlsx))
    assert code == EXIT_OK, err
    assert "Imported 4 patients; 0 duplicates skipped." in out
    code, out, err = run(capsys, "--lang", "en", "import", "--db", str(db), str(registry_xlsx))
    assert code == EXIT_OK, err
    assert "Row 5 skipped, duplicate: same citizen ID as Nguyễn Thị Hương" in out
    assert "Row 9 skipped, duplicate: same name and birth year as Trần Văn An" in out
    assert "Imported 0 patients; 4 duplicates skipped." in out
    assert count(db) == 4


def test_import_xlsx_with_an_invalid_row_imports_nothing(capsys, tmp_path, make_workbook, today):
    path = make_workbook(headers=("Họ và tên", "Giới tính"), rows=(("Nguyễn Văn An", "Nam"), ("Lê Bình", "X")),
                         blank_every=0)
    db = tmp_path / "tram.sqlite3"
    code, _out, err = run(capsys, "--lang", "en", "import", "--db", str(db), str(path))
    assert code == EXIT_FINDINGS
    assert err.splitlines()[0].startswith("Row 6, Sex: ")
    assert "nothing was imported" in err.splitlines()[-1]
    assert count(db) == 0


def test_import_with_a_mapping_file(capsys, tmp_path, make_workbook, today):
    path = make_workbook(headers=("Tên người bệnh", "ĐT nhà"), rows=(("Nguyễn Văn An", "0912345678"),), blank_every=0)
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"Tên người bệnh": "full_name", "ĐT nhà": "phone"}, ensure_ascii=False),
                       encoding="utf-8")
    db = tmp_path / "tram.sqlite3"
    code, _out, err = run(capsys, "import", "--db", str(db), str(path))
    assert_one_line_error(code, err)  # no name column without the mapping
    code, _out, err = run(capsys, "import", "--db", str(db), str(path), "--mapping", str(mapping))
    assert code == EXIT_OK, err
    store = open_store(db)
    try:
        (p,) = patient_store.search(store, "an")
        assert p.phone == "0912345678"
    finally:
        store.close()


def test_import_with_a_broken_mapping_file(capsys, tmp_path, registry_xlsx):
    mapping = tmp_path / "map.json"
    mapping.write_text("{not json", encoding="utf-8")
    code, _out, err = run(capsys, "import", "--db", str(tmp_path / "t.sqlite3"), str(registry_xlsx),
                          "--mapping", str(mapping))
    assert_one_line_error(code, err)
    assert "map.json" in err


def test_import_chronic_register(capsys, tmp_path, make_workbook, today):
    path = make_workbook(
        headers=("Họ và tên", "Năm sinh", "Bệnh", "Ngày phát hiện", "Ngày cấp thuốc gần nhất"),
        rows=(("Nguyễn Văn An", 1950, "THA", "2018", "15/10/2025"), ("Lê Thị Bình", 1960, "ĐTĐ", "2020", "")),
        blank_every=0,
    )
    db = tmp_path / "tram.sqlite3"
    code, out, err = run(capsys, "--lang", "en", "import", "--db", str(db), str(path), "--what", "chronic")
    assert code == EXIT_OK, err
    assert "Registered 2 new patients; 2 enrolments, 2 refills" in out
    store = open_store(db)
    try:
        rows = followups.work_rows(store, today)
        assert sorted((r.full_name, r.programme) for r in rows) == [
            ("Lê Thị Bình", "diabetes"), ("Nguyễn Văn An", "hypertension")
        ]
    finally:
        store.close()
    code, out, err = run(capsys, "--lang", "en", "import", "--db", str(db), str(path), "--what", "chronic")
    assert code == EXIT_OK, err
    assert "Row 5: added to the registered patient Nguyễn Văn An" in out
    assert "Registered 0 new patients; 0 enrolments, 0 refills" in out


def test_import_of_an_undecidable_csv(capsys, tmp_path):
    path = tmp_path / "ds.csv"
    path.write_bytes("Họ và tên\r\nMüller Straße\r\n".encode().replace("ü".encode(), b"\xfc"))
    code, _out, err = run(capsys, "import", "--db", str(tmp_path / "t.sqlite3"), str(path))
    assert_one_line_error(code, err)
    assert "CSV UTF-8" in err


@pytest.mark.parametrize("what", ["patients", "visits", "followups", "referrals"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_every_list(capsys, demo_copy, tmp_path, what, fmt, today):
    out_file = tmp_path / f"{what}.{fmt}"
    code, out, err = run(capsys, "--lang", "en", "export", "--db", str(demo_copy), "--what", what,
                         "--from", "2024-01-01", "--to", "2025-11-20", "--format", fmt, "--out", str(out_file))
    assert code == EXIT_OK, err
    assert out.startswith(tuple("123456789")) and f"rows written to {out_file}" in out
    rows = int(out.split()[0])
    if fmt == "xlsx":
        assert load_workbook(out_file).active.max_row == rows + 1
    else:
        assert out_file.read_bytes().startswith(b"\xef\xbb\xbf")
        assert len(out_file.read_text(encoding="utf-8-sig").splitlines()) >= rows + 1


def test_export_without_identifiers(capsys, demo_copy, tmp_path):
    out_file = tmp_path / "so.xlsx"
    code, _out, err = run(capsys, "export", "--db", str(demo_copy), "--what", "patients", "--format", "xlsx",
                          "--out", str(out_file), "--no-identifiers")
    assert code == EXIT_OK, err
    header = [c.value for c in load_workbook(out_file).active[1]]
    assert "Họ và tên" in header
    assert not {"Số CCCD", "Số thẻ BHYT", "Điện thoại"} & set(header)


def test_export_errors_are_one_line(capsys, demo_copy, tmp_path):
    code, _out, err = run(capsys, "export", "--db", str(demo_copy), "--what", "visits", "--from", "31/02/2025",
                          "--to", "2025-03-01", "--format", "csv", "--out", str(tmp_path / "x.csv"))
    assert_one_line_error(code, err)
    assert "31/02/2025" in err
    code, _out, err = run(capsys, "export", "--db", str(tmp_path / "none.sqlite3"), "--what", "visits",
                          "--format", "csv", "--out", str(tmp_path / "x.csv"))
    assert_one_line_error(code, err)


def test_print_patient_summary(capsys, demo_copy, tmp_path):
    store = open_store(demo_copy)
    try:
        pid, number = store.conn.execute("SELECT patient_id, number FROM referrals ORDER BY id LIMIT 1").fetchone()
        patient = patient_store.get(store, pid)
    finally:
        store.close()
    out_file = tmp_path / "tom-tat.pdf"
    code, _out, err = run(capsys, "print", "patient-summary", "--db", str(demo_copy), "--id", str(pid),
                         "--out", str(out_file))
    assert code == EXIT_OK, err
    text = "".join(page.extract_text() for page in pypdf.PdfReader(out_file).pages)
    assert "Tóm tắt hồ sơ người bệnh" in text
    assert patient.full_name in text
    assert patient.record_no in text
    assert "Lượt khám" in text and "Các chẩn đoán đã ghi" in text
    assert "Những người đã mở hoặc sửa hồ sơ này" in text  # the audit log's part
    assert number.split("/")[0] in text
    code, _out, err = run(capsys, "print", "patient-summary", "--db", str(demo_copy), "--id", "999999",
                          "--out", str(tmp_path / "x.pdf"))
    assert_one_line_error(code, err)
    assert not (tmp_path / "x.pdf").exists()


def test_exports_imports_and_summaries_are_in_the_audit_log(capsys, demo_copy, tmp_path, registry_xlsx):
    from station_app.store import audit

    assert run(capsys, "export", "--db", str(demo_copy), "--what", "patients", "--format", "csv",
               "--out", str(tmp_path / "a.csv"), "--no-identifiers")[0] == EXIT_OK
    assert run(capsys, "import", "--db", str(demo_copy), str(registry_xlsx))[0] == EXIT_OK
    assert run(capsys, "print", "patient-summary", "--db", str(demo_copy), "--id", "1",
               "--out", str(tmp_path / "s.pdf"))[0] == EXIT_OK
    store = open_store(demo_copy)
    try:
        found = {e.action: e for e in audit.entries(store) if e.action in ("export", "import", "print")}
        assert audit.verify(store).ok
    finally:
        store.close()
    assert found["export"].details["identifiers"] is False and "patients" in found["export"].target
    assert found["import"].details["imported"] == 4 and found["import"].details["file"] == registry_xlsx.name
    assert found["print"].patient_id == 1


def test_ambiguous_text_dates_are_reported(capsys, tmp_path, make_workbook, today):
    path = make_workbook(headers=("Họ và tên", "Ngày sinh"), rows=(("Nguyễn Văn An", "05/04/1960"),),
                         blank_every=0)
    code, out, err = run(capsys, "--lang", "en", "import", "--db", str(tmp_path / "t.sqlite3"), str(path))
    assert code == EXIT_OK, err
    assert "could be read either way: read as day/month/year" in out
