"""Saving an imported spreadsheet: all or nothing in one transaction, duplicates against the
registry with a choice per row, the same file twice adds nobody, the rejected-rows report, and
the chronic-disease register that puts refills on the follow-up list from day one."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from openpyxl import load_workbook

from station_app.domain import table_import as ti
from station_app.domain.followup import Kind, Section
from station_app.domain.spreadsheet import open_book
from station_app.reports.exports import write_rejected
from station_app.store import followups
from station_app.store import patients as patient_store
from station_app.store.bulk_import import Choice, Decision, ImportRefused, apply, find_matches


def preview_of(path, today, what="patients"):
    table = ti.read_table(open_book(path), 0, what)
    return ti.build_preview(table, ti.suggest_mapping(table.headers, what), what, today)


def names(store):
    return sorted(p.full_name for p in patient_store.get_many(store, patient_store.all_ids(store)).values())


def test_a_station_workbook_is_imported(store, registry_xlsx, today):
    outcome = apply(store, preview_of(registry_xlsx, today))
    assert (outcome.imported, outcome.skipped, outcome.rejected) == (4, 0, [])
    assert names(store) == sorted(["Nguyễn Thị Hương", "Đặng Văn Đức", "Lò Thị Mai", "Trần Văn An"])
    huong = patient_store.search(store, "huong")[0]
    assert huong.citizen_id == "001150012345" and huong.phone == "0912345678"


def test_one_invalid_row_imports_nothing(store, make_workbook, today):
    path = make_workbook(
        headers=("Họ và tên", "Giới tính"), rows=(("Nguyễn Văn An", "Nam"), ("Trần Thị Bình", "X")), blank_every=0
    )
    preview = preview_of(path, today)
    with pytest.raises(ImportRefused) as caught:
        apply(store, preview)
    assert "1" in caught.value.text()
    assert patient_store.count(store) == 0


def test_invalid_rows_can_be_left_out_and_are_reported(store, make_workbook, today, tmp_path):
    path = make_workbook(
        headers=("Họ và tên", "Giới tính", "Ngày sinh"),
        rows=(("Nguyễn Văn An", "Nam", "1950"), ("Trần Thị Bình", "X", "31/02/1960")),
        blank_every=0,
    )
    outcome = apply(store, preview_of(path, today), leave_out_invalid=True)
    assert outcome.imported == 1 and names(store) == ["Nguyễn Văn An"]
    assert {(r.row, r.field) for r in outcome.rejected} == {(6, "Giới tính"), (6, "Ngày sinh")}
    report = write_rejected(outcome.rejected, tmp_path / "loi.csv")
    lines = list(csv.reader(report.read_text(encoding="utf-8-sig").splitlines()))
    assert lines[0] == ["Dòng trong tệp", "Trường bị lỗi", "Lý do"]
    assert {tuple(line[:2]) for line in lines[1:]} == {("6", "Giới tính"), ("6", "Ngày sinh")}
    assert "31/02/1960" in " ".join(line[2] for line in lines[1:])
    xlsx = write_rejected(outcome.rejected, tmp_path / "loi.xlsx")
    sheet = load_workbook(xlsx).active
    assert sheet["A2"].value == 6 and sheet.freeze_panes == "A2"


def test_a_failure_while_saving_leaves_nothing_behind(store, registry_xlsx, today, monkeypatch):
    real = patient_store.index_words
    calls = []

    def failing(*args):  # called after each patient row is written, for the search index
        calls.append(args)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(*args)

    monkeypatch.setattr(patient_store, "index_words", failing)
    with pytest.raises(OSError):
        apply(store, preview_of(registry_xlsx, today))
    assert len(calls) == 3
    assert patient_store.count(store) == 0
    assert store.scalar("SELECT count(*) FROM patient_search") == 0


def test_importing_the_same_file_twice_adds_nobody(store, registry_xlsx, today):
    first = apply(store, preview_of(registry_xlsx, today))
    second_preview = preview_of(registry_xlsx, today)
    matches = find_matches(store, second_preview)
    assert sorted(matches) == [5, 6, 8, 9]  # those without citizen ID are found by name and birth year
    second = apply(store, second_preview, matches)
    assert (first.imported, second.imported, second.skipped) == (4, 0, 4)
    assert patient_store.count(store) == 4
    assert all("Bỏ qua, trùng" in r.reason for r in second.rejected)


def test_merge_fills_empty_fields_and_keeps_what_is_held(store, add_patient, make_workbook, today):
    held = add_patient("Nguyễn Thị Hương", birth="1950", citizen_id="001150012345", village="Thôn Đông")
    path = make_workbook(
        headers=("Họ và tên", "Ngày sinh", "Số CCCD", "Điện thoại", "Thôn/Xóm"),
        rows=(("Nguyễn Thị Hương", "15/03/1950", "001150012345", "0912345678", "Xóm Khác"),),
        blank_every=0,
    )
    preview = preview_of(path, today)
    matches = find_matches(store, preview)
    assert matches[5].existing_id == held.id and not matches[5].new_allowed
    outcome = apply(store, preview, matches, {5: Decision(Choice.MERGE)})
    assert (outcome.imported, outcome.merged) == (0, 1)
    merged = patient_store.get(store, held.id)
    assert merged.phone == "0912345678"  # filled in
    assert merged.village == "Thôn Đông"  # kept
    assert merged.birth.is_full and merged.birth.day == 15  # a year made precise
    assert patient_store.count(store) == 1


def test_import_as_new_needs_a_reason_and_never_for_the_same_citizen_id(store, add_patient, make_workbook, today):
    add_patient("Nguyễn Văn An", sex="1", birth="1950", village="Thôn Đông")
    add_patient("Lê Thị Cúc", birth="1960", citizen_id="001160012345")
    path = make_workbook(
        headers=("Họ và tên", "Giới tính", "Ngày sinh", "Thôn/Xóm", "Số CCCD"),
        rows=(("Nguyễn Văn An", "Nam", "1950", "Thôn Đông", ""), ("Lê Thị Cúc", "Nữ", "1960", "", "001160012345")),
        blank_every=0,
    )
    preview = preview_of(path, today)
    matches = find_matches(store, preview)
    assert set(matches) == {5, 6}
    with pytest.raises(ImportRefused):
        apply(store, preview, matches, {5: Decision(Choice.NEW)})
    with pytest.raises(ImportRefused):
        apply(store, preview, matches, {6: Decision(Choice.NEW, "khác người")})
    assert patient_store.count(store) == 2
    outcome = apply(store, preview, matches, {5: Decision(Choice.NEW, "Hai người trùng tên, khác bố mẹ")})
    assert outcome.imported == 1 and outcome.skipped == 1
    twins = patient_store.search(store, "nguyen van an")
    assert len(twins) == 2
    assert any("Hai người trùng tên" in p.notes for p in twins)


def test_chronic_register_puts_refills_on_the_follow_up_list(store, add_patient, make_workbook, today):
    known = add_patient("Nguyễn Thị Hương", birth="1950", citizen_id="001150012345")
    path = make_workbook(
        headers=("Họ và tên", "Năm sinh", "Số CCCD", "Bệnh", "Ngày phát hiện", "Ngày cấp thuốc gần nhất"),
        rows=(
            ("Nguyễn Thị Hương", 1950, "001150012345", "THA", "2019", "05/11/2025"),
            ("Đặng Văn Đức", 1955, "", "Đái tháo đường", "03/2020", "01/10/2025"),
            ("Đặng Văn Đức", 1955, "", "Tăng huyết áp", "2021", "01/10/2025"),
            ("Lò Văn Sáng", 1960, "", "THA + ĐTĐ", "15/06/2022", ""),
        ),
        blank_every=0,
    )
    preview = preview_of(path, today, "chronic")
    assert preview.invalid == []
    outcome = apply(store, preview)
    assert outcome.imported == 2  # Đức once for his two rows, Sáng; Hương was registered
    assert outcome.enrolled == 5
    huong = followups.enrolments(store, known.id)
    assert [(e.programme, e.detected_on, e.last_visit_on) for e in huong] == [
        ("hypertension", dt.date(2019, 1, 1), dt.date(2025, 11, 5))
    ]
    items = followups.patient_items(store, known.id, open_only=True)
    assert [(i.kind, i.due_date) for i in items] == [(Kind.CHRONIC_REFILL, dt.date(2025, 12, 5))]
    rows = followups.work_rows(store, today)
    overdue = {(r.full_name, r.programme) for r in rows if r.section is Section.OVERDUE}
    assert overdue == {("Đặng Văn Đức", "diabetes"), ("Đặng Văn Đức", "hypertension")}  # due 31/10/2025
    due = {(r.full_name, r.programme) for r in rows if r.section is Section.DUE}
    assert due == {("Lò Văn Sáng", "hypertension"), ("Lò Văn Sáng", "diabetes")}  # no refill known: due now
    # The same register again changes nothing.
    again = apply(store, preview_of(path, today, "chronic"))
    assert (again.imported, again.enrolled, again.refills) == (0, 0, 0)
    assert patient_store.count(store) == 3
    assert len(followups.work_rows(store, today)) == len(rows)


def test_chronic_register_errors(make_workbook, today):
    path = make_workbook(
        headers=("Họ và tên", "Bệnh", "Ngày phát hiện", "Ngày cấp thuốc gần nhất"),
        rows=(
            ("Nguyễn Văn An", "Hen phế quản", "2019", "05/11/2025"),
            ("Trần Văn Bình", "THA", "2024", "05/11/2023"),
            ("Lê Văn Cường", "THA", "2019", "05/12/2026"),
        ),
        blank_every=0,
    )
    preview = preview_of(path, today, "chronic")
    fields = {r.number: {p.field for p in r.errors} for r in preview.invalid}
    assert fields == {5: {"programme"}, 6: {"last_refill"}, 7: {"last_refill"}}
