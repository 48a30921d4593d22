"""Exports: typed XLSX cells (dates as dates, identifiers as text), a frozen header, fitted
widths, CSV with a byte-order mark, identifiers left out on request, the audit entry, and an
exported registry that imports back equal field by field."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields

import pytest
from openpyxl import load_workbook

from station_app.domain import table_import as ti
from station_app.domain.spreadsheet import open_book
from station_app.reports import exports
from station_app.store import open_store
from station_app.store import patients as patient_store
from station_app.store.bulk_import import apply

COMPARED = [
    f.name for f in fields(patient_store.Patient)
    if f.name not in ("id", "created_at", "updated_at", "extra", "insurance_valid_from", "nationality", "workplace",
                      "guardian_phone", "guardian_relation", "deceased", "deceased_date")
]


def everyone(store):
    found = patient_store.get_many(store, patient_store.all_ids(store))
    return {p.record_no: p for p in found.values()}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_registry_export_imports_back_equal_field_by_field(demo_copy, tmp_path, fmt):
    source = open_store(demo_copy)
    try:
        result = exports.export(source, "patients", tmp_path / f"so.{fmt}", fmt)
        before = everyone(source)
    finally:
        source.close()
    assert result.rows == len(before) > 100
    target = open_store(tmp_path / "new.sqlite3")
    try:
        table = ti.read_table(open_book(result.path), 0)
        preview = ti.build_preview(table, ti.suggest_mapping(table.headers, remembered={}), "patients",
                                   dt.date(2025, 11, 20))
        assert preview.invalid == []
        outcome = apply(target, preview)
        assert outcome.imported == len(before)
        after = everyone(target)
    finally:
        target.close()
    assert after.keys() == before.keys()
    for record_no, old in before.items():
        new = after[record_no]
        for name in COMPARED:
            assert getattr(new, name) == getattr(old, name), (record_no, name)


def test_xlsx_cells_are_typed_and_the_header_frozen(demo_copy, tmp_path):
    store = open_store(demo_copy)
    try:
        exports.export(store, "patients", tmp_path / "so.xlsx", "xlsx")
        exports.export(store, "visits", tmp_path / "kham.xlsx", "xlsx", start=dt.date(2025, 1, 1),
                       end=dt.date(2025, 11, 20))
    finally:
        store.close()
    sheet = load_workbook(tmp_path / "so.xlsx").active
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Số hồ sơ", "Họ và tên", "Giới tính", "Ngày sinh"]
    assert sheet["A1"].font.b
    column = {h: i for i, h in enumerate(header)}
    births = [row[column["Ngày sinh"]] for row in sheet.iter_rows(min_row=2)]
    assert any(isinstance(c.value, dt.datetime) and c.number_format == "DD/MM/YYYY" for c in births)
    assert any(isinstance(c.value, str) and c.value.isdigit() for c in births)  # a year alone stays text
    ids = [row[column["Số CCCD"]].value for row in sheet.iter_rows(min_row=2) if row[column["Số CCCD"]].value]
    assert ids and all(isinstance(v, str) and len(v) == 12 for v in ids)
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["C"].width
    visits = load_workbook(tmp_path / "kham.xlsx").active
    when = [r[0].value for r in visits.iter_rows(min_row=2)]
    assert when and all(isinstance(v, dt.datetime) and dt.datetime(2025, 1, 1) <= v < dt.datetime(2025, 11, 21)
                        for v in when)


def test_csv_has_a_bom_and_identifiers_can_be_left_out(demo_copy, tmp_path):
    store = open_store(demo_copy)
    try:
        exports.export(store, "patients", tmp_path / "a.csv", "csv")
        exports.export(store, "patients", tmp_path / "b.csv", "csv", identifiers=False)
    finally:
        store.close()
    full = (tmp_path / "a.csv").read_bytes()
    assert full.startswith(b"\xef\xbb\xbf")
    header = full.decode("utf-8-sig").splitlines()[0]
    assert "Số CCCD" in header and "Điện thoại" in header
    bare = (tmp_path / "b.csv").read_bytes().decode("utf-8-sig")
    first = bare.splitlines()[0]
    assert "Số CCCD" not in first and "Điện thoại" not in first and "Số thẻ BHYT" not in first
    assert "Họ và tên" in first
    store = open_store(demo_copy)
    try:
        some = patient_store.get_many(store, patient_store.all_ids(store)[:50]).values()
    finally:
        store.close()
    for p in some:
        for value in (p.citizen_id, p.phone, p.insurance_no):
            if value:
                assert value not in bare


@pytest.mark.parametrize("what", ["followups", "referrals", "visits"])
def test_every_list_exports(demo_copy, tmp_path, what, today):
    store = open_store(demo_copy)
    try:
        result = exports.export(store, what, tmp_path / f"{what}.xlsx", "xlsx", today=today)
    finally:
        store.close()
    assert result.rows > 0
    sheet = load_workbook(result.path).active
    assert sheet.max_row == result.rows + 1
    assert sheet.freeze_panes == "A2"
