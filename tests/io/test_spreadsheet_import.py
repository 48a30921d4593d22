"""Reading a station's spreadsheet: the header row under a merged title, empty rows, leading zeros,
dates in every form, the day order, encodings, mapping suggestions and the remembered mapping,
and the preview that explains every invalid cell."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from station_sheets import REGISTRY_HEADERS, station_workbook, to_cp1258

from station_app import paths
from station_app.domain import table_import as ti
from station_app.domain.dates import PartialDate
from station_app.domain.patient_import import ImportFormatError
from station_app.domain.spreadsheet import EXCEL_EPOCH, decode_bytes, open_book

TODAY = dt.date(2025, 11, 20)


def preview_of(path, what="patients", **kwargs):
    book = open_book(path)
    table = ti.read_table(book, 0, what)
    mapping = ti.suggest_mapping(table.headers, what)
    return ti.build_preview(table, mapping, what, TODAY, **kwargs)


# -- the sheet -----------------------------------------------------------------------------------
def test_sheets_are_listed_and_the_header_is_found_below_the_merged_title(registry_xlsx):
    book = open_book(registry_xlsx)
    assert book.kind == "xlsx"
    assert [s.name for s in book.sheets] == ["Danh sách", "Ghi chú"]
    table = ti.read_table(book, 0)
    assert table.header_row == 4
    assert table.headers == list(REGISTRY_HEADERS)
    # Four people on rows 5, 6, 8, 9: the empty rows 7 and 10 are skipped, numbers kept.
    assert [number for number, _cells in table.rows] == [5, 6, 8, 9]


def test_first_rows_for_the_wizard_are_read_without_the_whole_sheet(registry_xlsx):
    first = list(open_book(registry_xlsx).rows(0, limit=5))
    assert len(first) == 5
    assert first[0][0] == "DANH SÁCH BỆNH NHÂN TRẠM Y TẾ XÃ TÂN PHÚ"
    assert first[3][1] == "Họ và tên"


def test_identifiers_keep_their_leading_zeros_and_dates_in_every_form(registry_xlsx):
    preview = preview_of(registry_xlsx)
    assert preview.invalid == []
    people = {r.parsed.patient.full_name: r.parsed.patient for r in preview.rows}
    huong = people["Nguyễn Thị Hương"]
    assert huong.citizen_id == "001150012345"  # text cell: the zeros stay
    assert huong.insurance_no == "GD4010123456789"
    assert huong.birth == PartialDate(1950, 3, 15)  # a real Excel date
    duc = people["Đặng Văn Đức"]
    serial_day = EXCEL_EPOCH + dt.timedelta(days=18_703)
    assert duc.birth == PartialDate.from_date(serial_day)  # a serial number in a General cell
    assert duc.citizen_id == "025062000123"
    assert people["Lò Thị Mai"].birth == PartialDate(1988, 11, 5)  # text, day first
    assert people["Lò Thị Mai"].ethnicity == "03"
    assert people["Trần Văn An"].birth.year == 1948 and not people["Trần Văn An"].birth.is_full


def test_numbers_that_lost_their_leading_zero_get_it_back(make_workbook):
    path = make_workbook(
        headers=("Họ và tên", "Số CCCD", "SĐT"),
        rows=(("Nguyễn Văn Bình", 1_150_012_345, 912_345_678),),
    )
    (row,) = preview_of(path).rows
    assert row.parsed.patient.citizen_id == "001150012345"
    assert row.parsed.patient.phone == "0912345678"


def test_a_sheet_with_only_a_title_is_refused(tmp_path):
    path = station_workbook(tmp_path / "x.xlsx", headers=("Ghi chú",), rows=())
    book = open_book(path)
    table = ti.read_table(book, 0)
    with pytest.raises(ImportFormatError) as caught:
        ti.build_preview(table, ti.suggest_mapping(table.headers), "patients", TODAY)
    assert "Họ và tên" in caught.value.message


def test_a_broken_workbook_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "hong.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"garbage" * 50)
    with pytest.raises(ImportFormatError) as caught:
        open_book(path)
    assert ".xlsx" in caught.value.message and "CSV" in caught.value.message


# -- mapping -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("HỌ VÀ TÊN", "full_name"),
        ("ho va ten", "full_name"),
        ("Họ và tên người bệnh (*)", "full_name"),
        ("Full Name", "full_name"),
        ("Giới", "sex"),
        ("Date of birth", "birth_date"),
        ("NGÀY THÁNG NĂM SINH", "birth_date"),
        ("Số điện thoại liên hệ", "phone"),
        ("Số thẻ BHYT", "insurance_no"),
        ("số CCCD/CMND", "citizen_id"),
        ("Thôn / Xóm", "village"),
        ("Ethnicity", "ethnicity"),
        ("Số hồ sơ", "record_no"),
    ],
)
def test_mapping_suggested_from_vietnamese_or_english_headers(header, field):
    assert ti.suggest_mapping(["STT", header], remembered={}) == {1: field}


def test_a_field_goes_to_one_column_only():
    mapping = ti.suggest_mapping(["Họ và tên", "Họ tên", "Điện thoại", "SĐT"], remembered={})
    assert mapping == {0: "full_name", 2: "phone"}


def test_chronic_register_headers():
    headers = ["Họ và tên", "Năm sinh", "Bệnh", "Ngày phát hiện", "Ngày cấp thuốc gần nhất", "Số ngày thuốc"]
    assert ti.suggest_mapping(headers, "chronic", remembered={}) == {
        0: "full_name", 1: "birth_date", 2: "programme", 3: "detected_on", 4: "last_refill", 5: "days_supplied",
    }


def test_the_mapping_is_remembered_for_next_time():
    headers = ["Tên người bệnh", "Ghi chú riêng", "Điện thoại"]
    assert "full_name" not in ti.suggest_mapping(headers).values()
    ti.remember(headers, {0: "full_name", 2: "phone"}, "patients")  # column 1 left out on purpose
    stored = json.loads((paths.data_dir() / ti.MAPPING_FILE).read_text(encoding="utf-8"))
    assert stored["patients"]["ten nguoi benh"] == "full_name"
    # Next time, in another file, with other accents and case:
    assert ti.suggest_mapping(["TÊN NGƯỜI BỆNH", "ghi chu rieng", "Số điện thoại"]) == {0: "full_name", 2: "phone"}
    # The register keeps its own memory.
    assert ti.suggest_mapping(headers, "chronic") == {1: "notes", 2: "phone"}


def test_mapping_file_for_the_command_line(tmp_path):
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"Tên người bệnh": "full_name", "ĐT nhà": "phone", "STT": None}), encoding="utf-8")
    assert ti.mapping_from_file(path, ["STT", "TEN NGUOI BENH", "đt nhà"], "patients") == {1: "full_name", 2: "phone"}
    path.write_text(json.dumps({"Tên": "ten_goi"}), encoding="utf-8")
    with pytest.raises(ImportFormatError) as caught:
        ti.mapping_from_file(path, ["Tên"], "patients")
    assert "ten_goi" in str(caught.value)


# -- day order -------------------------------------------------------------------------------------
def _dates_table(values):
    return ti.Table(["Họ và tên", "Ngày sinh"], 1, [(n + 2, ["Nguyễn Văn A", v]) for n, v in enumerate(values)])


def test_day_first_when_a_first_number_is_above_twelve():
    order = ti.guess_date_order(_dates_table(["05/04/1960", "25/12/1970"]), {0: "full_name", 1: "birth_date"})
    assert (order.order, order.ambiguous, order.mixed) == ("dmy", False, False)


def test_month_first_when_a_second_number_is_above_twelve():
    table = _dates_table(["05/04/1960", "12/31/1970"])
    order = ti.guess_date_order(table, {0: "full_name", 1: "birth_date"})
    assert (order.order, order.ambiguous) == ("mdy", False)
    preview = ti.build_preview(table, {0: "full_name", 1: "birth_date"}, "patients", TODAY)
    assert [r.parsed.patient.birth for r in preview.rows] == [PartialDate(1960, 5, 4), PartialDate(1970, 12, 31)]


def test_ambiguous_dates_are_said_to_be_ambiguous_and_the_user_decides():
    table = _dates_table(["05/04/1960", "01/02/1970"])
    mapping = {0: "full_name", 1: "birth_date"}
    order = ti.guess_date_order(table, mapping)
    assert order.ambiguous and order.order == "dmy"
    as_mdy = ti.build_preview(table, mapping, "patients", TODAY, date_order="mdy")
    assert as_mdy.rows[0].parsed.patient.birth == PartialDate(1960, 5, 4)
    as_dmy = ti.build_preview(table, mapping, "patients", TODAY, date_order="dmy")
    assert as_dmy.rows[0].parsed.patient.birth == PartialDate(1960, 4, 5)


def test_mixed_orders_are_reported_and_the_odd_rows_are_invalid():
    table = _dates_table(["25/04/1960", "26/04/1961", "12/31/1970"])
    mapping = {0: "full_name", 1: "birth_date"}
    order = ti.guess_date_order(table, mapping)
    assert order.mixed and order.order == "dmy"
    preview = ti.build_preview(table, mapping, "patients", TODAY)
    assert [r.number for r in preview.invalid] == [4]


# -- the preview explains every invalid cell ---------------------------------------------------------
def test_preview_names_each_invalid_cell(make_workbook):
    path = make_workbook(
        headers=("Họ và tên", "Giới tính", "Ngày sinh", "Số CCCD", "Điện thoại", "Dân tộc"),
        rows=(
            ("Nguyễn Thị Hương", "Nữ", "15/03/1950", "001150012345", "0912345678", "Kinh"),
            ("Trần Văn 3", "X", "31/02/1970", "12345", "0912", "Kinh"),
            ("", "Nam", "2030", "", "", "Người sao Hỏa"),
        ),
        blank_every=0,
    )
    preview = preview_of(path)
    assert [r.number for r in preview.invalid] == [6, 7]
    bad = preview.invalid[0]
    assert {ti.problem_column(p.field) for p in bad.errors} >= {"full_name", "sex", "birth_date", "citizen_id"}
    assert "31/02/1970" in bad.problems_in("birth_date")[0].text("en")
    assert bad.problems_in("sex")[0].text("vi")  # explained in Vietnamese too
    other = preview.invalid[1]
    assert {ti.problem_column(p.field) for p in other.errors} >= {"full_name", "birth_date", "ethnicity"}
    assert preview.rows[0].ok


# -- encodings ---------------------------------------------------------------------------------------
CSV_TEXT = (
    "Họ và tên,Giới tính,Ngày sinh,Số CCCD,Thôn/Xóm,Dân tộc\r\n"
    "Nguyễn Thị Hương,Nữ,15/03/1950,001150012345,Thôn Đông,Kinh\r\n"
    ",,,,,\r\n"
    "Đặng Văn Đức,Nam,1950,,Xóm Chùa,Mường\r\n"
)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CSV_TEXT.encode("utf-8"), "utf-8"),
        (CSV_TEXT.encode("utf-8-sig"), "utf-8-sig"),
        (to_cp1258(CSV_TEXT), "cp1258"),
    ],
)
def test_csv_encodings_are_decided_from_the_bytes(tmp_path, data, encoding):
    path = tmp_path / "ds.csv"
    path.write_bytes(data)
    book = open_book(path)
    assert book.encoding == encoding
    preview = preview_of(path)
    assert [r.number for r in preview.rows] == [2, 4]
    names = [r.parsed.patient.full_name for r in preview.rows]
    assert names == ["Nguyễn Thị Hương", "Đặng Văn Đức"]
    assert preview.rows[0].parsed.patient.citizen_id == "001150012345"


def test_an_encoding_that_cannot_be_decided_is_refused_clearly():
    latin = "Name,Stadt\r\nMüller,Köln\r\nGarçon,Besançon\r\n".encode("cp1252")
    with pytest.raises(ImportFormatError) as caught:
        decode_bytes(latin)
    assert "CSV UTF-8" in caught.value.message
    assert "CP1258" in caught.value.message
