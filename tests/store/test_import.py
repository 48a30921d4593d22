"""Importing a station's patient spreadsheet (CSV): headers in English or Vietnamese, the forms
nurses write values in, all-or-nothing with row-numbered errors, and duplicates skipped."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import pytest

from station_app.domain.dates import PartialDate
from station_app.domain.identifiers import make_record_no
from station_app.domain.patient_import import ImportFormatError, decode, header_key, read_rows
from station_app.store import patients as patient_store
from station_app.store.importer import ImportReport, import_rows
from tests.io.station_sheets import to_cp1258

TODAY = dt.date(2025, 11, 20)

VIETNAMESE_HEADERS = (
    "Họ và tên,Giới tính,Ngày sinh,Số CCCD,Số thẻ BHYT,Điện thoại,Địa chỉ,Thôn/Xóm,Dân tộc,"
    "Nghề nghiệp"
)


def write_csv(
    folder: Path, text: str, *, encoding: str = "utf-8", name: str = "patients.csv"
) -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding) if encoding != "cp1258" else to_cp1258(text))
    return path


def run_import(store, path: Path) -> ImportReport:
    _mapping, rows = read_rows(decode(path.read_bytes()), TODAY)
    return import_rows(store, rows)


def all_patients(store) -> dict[str, object]:
    found = patient_store.get_many(store, patient_store.all_ids(store))
    return {p.full_name: p for p in found.values()}


# -- headers -------------------------------------------------------------------------------------
def test_english_headers(store, tmp_path):
    path = write_csv(
        tmp_path,
        (
            "full_name,sex,birth_date,citizen_id,insurance_no,phone,address,village,ethnicity,occupation\n"
            "Nguyễn Thị Hương,2,1950,025150012345,GD4250123456789,0912345678,"
            '"Thôn Đông, xã Tân Phú",Thôn Đông,Kinh,Làm ruộng\n'
        ),
    )
    report = run_import(store, path)
    assert report.ok and report.imported == 1
    (p,) = all_patients(store).values()
    assert (p.full_name, p.sex, p.birth, p.citizen_id, p.insurance_no, p.phone) == (
        "Nguyễn Thị Hương",
        "2",
        PartialDate(1950, estimated=True),
        "025150012345",
        "GD4250123456789",
        "0912345678",
    )
    assert (p.address, p.village, p.ethnicity, p.occupation) == (
        "Thôn Đông, xã Tân Phú",
        "Thôn Đông",
        "01",
        "Làm ruộng",
    )


def test_vietnamese_headers(store, tmp_path):
    path = write_csv(
        tmp_path,
        (
            VIETNAMESE_HEADERS + "\n"
            "Đặng Văn Đức,Nam,15/03/1960,025060012345,2509876543,+84 362 123 456,"
            '"Xóm Chùa, xã Tân Phú",'
            "Xóm Chùa,Tày,Công nhân\n"
        ),
    )
    report = run_import(store, path)
    assert report.ok and report.imported == 1
    p = all_patients(store)["Đặng Văn Đức"]
    assert (
        p.sex,
        p.birth,
        p.citizen_id,
        p.insurance_no,
        p.phone,
        p.village,
        p.ethnicity,
        p.occupation,
    ) == (
        "1",
        PartialDate(1960, 3, 15),
        "025060012345",
        "2509876543",
        "0362123456",
        "Xóm Chùa",
        "02",
        "Công nhân",
    )


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Họ và tên", "full_name"),
        ("ho va ten", "full_name"),
        ("HỌ VÀ TÊN", "full_name"),
        ("Họ tên", "full_name"),
        ("GIỚI TÍNH", "sex"),
        ("gioi tinh", "sex"),
        ("Ngày sinh", "birth_date"),
        ("Số CCCD", "citizen_id"),
        ("so cccd", "citizen_id"),
        ("Số thẻ BHYT", "insurance_no"),
        ("Điện thoại", "phone"),
        ("Số điện thoại", "phone"),
        ("Địa chỉ", "address"),
        ("Thôn/Xóm", "village"),
        ("thon - xom", "village"),
        ("Dân tộc", "ethnicity"),
        ("Nghề nghiệp", "occupation"),
        ("full_name", "full_name"),
        ("Full name", "full_name"),
        (" Ngày sinh ", "birth_date"),
        ("Ngày sinh:", "birth_date"),
        (unicodedata.normalize("NFD", "Giới tính"), "sex"),
    ],
)
def test_header_matching_ignores_accents_case_and_punctuation(header, key):
    assert header_key(header) == key


@pytest.mark.parametrize("header", ["STT", "Ghi chú khác", "Cân nặng", ""])
def test_unknown_headers_are_ignored(header):
    assert header_key(header) is None


def test_headers_matched_ignoring_accents_and_case_in_a_file(store, tmp_path):
    path = write_csv(tmp_path, "STT,ho va ten,GIỚI TÍNH,ngay sinh\n1,Trần Văn Bình,nam,1955\n")
    report = run_import(store, path)
    assert report.ok and report.imported == 1
    p = all_patients(store)["Trần Văn Bình"]
    assert (p.sex, p.birth.year) == ("1", 1955)  # type: ignore[union-attr]


def test_only_the_name_column(store, tmp_path):
    path = write_csv(tmp_path, "Họ và tên\nNguyễn Văn An\nTrần Thị Bình\n")
    report = run_import(store, path)
    assert report.ok and report.imported == 2
    assert report.warnings == []
    p = all_patients(store)["Trần Thị Bình"]
    assert p.sex == "3" and p.birth is None


def test_no_name_column_is_refused(tmp_path):
    path = write_csv(tmp_path, "Giới tính,Ngày sinh\nNam,1950\n")
    with pytest.raises(ImportFormatError):
        read_rows(decode(path.read_bytes()), TODAY)


def test_empty_file_is_refused():
    with pytest.raises(ImportFormatError):
        read_rows("", TODAY)


# -- values ---------------------------------------------------------------------------------------
def test_sex_in_every_form(store, tmp_path):
    lines = ["Họ và tên,Giới tính"]
    forms = {
        "1": "1",
        "2": "2",
        "3": "3",
        "Nam": "1",
        "Nữ": "2",
        "nữ": "2",
        "M": "1",
        "F": "2",
        "": "3",
    }
    for i, written in enumerate(forms):
        lines.append(f"Người Thứ {chr(ord('A') + i)},{written}")
    report = run_import(store, write_csv(tmp_path, "\n".join(lines) + "\n"))
    assert report.ok, report.errors
    saved = all_patients(store)
    for i, code in enumerate(forms.values()):
        assert saved[f"Người Thứ {chr(ord('A') + i)}"].sex == code


def test_dates_in_every_form(store, tmp_path):
    path = write_csv(
        tmp_path,
        (
            "Họ và tên,Ngày sinh\n"
            "Lê Văn Một,15/03/1948\n"
            "Lê Văn Hai,3/1948\n"
            "Lê Văn Ba,1948\n"
            "Lê Văn Bốn,1948-03-15\n"
            "Lê Văn Năm,05.06.1970\n"
        ),
    )
    report = run_import(store, path)
    assert report.ok, report.errors
    saved = all_patients(store)
    assert saved["Lê Văn Một"].birth.iso() == "1948-03-15"
    assert saved["Lê Văn Hai"].birth.iso() == "1948-03"
    assert saved["Lê Văn Ba"].birth.iso() == "1948"
    assert saved["Lê Văn Ba"].birth.display() == "~1948"
    assert saved["Lê Văn Bốn"].birth.iso() == "1948-03-15"
    assert saved["Lê Văn Năm"].birth.iso() == "1970-06-05"


def test_identifiers_keep_their_leading_zeros(store, tmp_path):
    path = write_csv(
        tmp_path,
        (
            "Họ và tên,Số CCCD,Số thẻ BHYT,Điện thoại\n"
            "Hà Văn Khải,001090000123,0100000123,0912000001\n"
            "Hà Thị Lụa,002190000456,TE1010000000456,024 3825 1234\n"
        ),
    )
    report = run_import(store, path)
    assert report.ok, report.errors
    saved = all_patients(store)
    assert saved["Hà Văn Khải"].citizen_id == "001090000123"
    assert saved["Hà Văn Khải"].insurance_no == "0100000123"
    assert saved["Hà Văn Khải"].phone == "0912000001"
    assert saved["Hà Thị Lụa"].citizen_id == "002190000456"
    assert saved["Hà Thị Lụa"].insurance_no == "TE1010000000456"
    assert saved["Hà Thị Lụa"].phone == "02438251234"


def test_ethnic_group_by_code_or_name(store, tmp_path):
    path = write_csv(
        tmp_path,
        (
            "Họ và tên;Dân tộc\n"
            "Lò Văn Sáng;Thái\n"
            "Giàng A Páo;H'Mông\n"
            "Hoàng Thị Dịu;02\n"
            "Triệu Văn Lìn;9\n"
            "Y Bih Niê;Ê-đê\n"
            "Nguyễn Văn Tư;\n"
        ),
    )
    report = run_import(store, path)
    assert report.ok, report.errors
    saved = all_patients(store)
    assert {name: p.ethnicity for name, p in saved.items()} == {
        "Lò Văn Sáng": "03",
        "Giàng A Páo": "08",
        "Hoàng Thị Dịu": "02",
        "Triệu Văn Lìn": "09",
        "Y Bih Niê": "12",
        "Nguyễn Văn Tư": "01",
    }


def test_imported_patients_can_be_found(store, tmp_path):
    path = write_csv(tmp_path, "Họ và tên,Điện thoại\nNguyễn Thị Hương,0912 345 678\n")
    run_import(store, path)
    assert [p.full_name for p in patient_store.search(store, "huong nguyen")] == [
        "Nguyễn Thị Hương"
    ]
    assert [p.full_name for p in patient_store.search(store, "+84912345678")] == [
        "Nguyễn Thị Hương"
    ]


# -- all or nothing --------------------------------------------------------------------------------
def test_one_bad_row_imports_nothing_and_every_bad_row_is_reported(store, tmp_path):
    path = write_csv(
        tmp_path,
        (
            "Họ và tên,Giới tính,Ngày sinh,Số CCCD,Điện thoại\n"
            "Nguyễn Văn An,Nam,1950,,\n"  # row 2: fine
            "Trần Thị Bình,X,1960,,\n"  # row 3: sex
            "Lê Văn Cường,Nam,31/02/1970,,\n"  # row 4: date
            "Phạm Thị Dung,Nữ,1980,12345,\n"  # row 5: citizen ID
            ",Nam,1990,,\n"  # row 6: no name
            "Vũ Văn Em,Nam,1975,,12345\n"  # row 7: phone
            "Đỗ Văn Giang,Nam,2030,,\n"  # row 8: birth in the future
        ),
    )
    report = run_import(store, path)
    assert not report.ok
    assert report.imported == 0
    assert patient_store.count(store) == 0
    assert store.scalar("SELECT count(*) FROM patient_search") == 0
    assert {(row, problem.field) for row, problem in report.errors} == {
        (3, "sex"),
        (4, "birth"),
        (5, "citizen_id"),
        (6, "full_name"),
        (7, "phone"),
        (8, "birth"),
    }
    for _row, problem in report.errors:
        assert problem.text("vi") != problem.text("en")
    (sex_problem,) = [p for row, p in report.errors if row == 3]
    assert '"X"' in sex_problem.text("vi")
    (date_problem,) = [p for row, p in report.errors if row == 4]
    assert "31/02/1970" in date_problem.text("vi")


def test_row_numbers_count_the_header_and_skipped_blank_lines(store, tmp_path):
    path = write_csv(tmp_path, "Họ và tên,Giới tính\nNguyễn Văn An,1\n,\n\nTrần Thị Bình,9\n")
    report = run_import(store, path)
    assert [(row, p.field) for row, p in report.errors] == [(5, "sex")]


def test_birth_column_with_an_empty_cell_is_an_error(store, tmp_path):
    path = write_csv(tmp_path, "Họ và tên,Ngày sinh\nNguyễn Văn An,1950\nTrần Thị Bình,\n")
    report = run_import(store, path)
    assert [(row, p.field) for row, p in report.errors] == [(3, "birth")]
    assert patient_store.count(store) == 0


def test_warnings_do_not_block_the_import(store, tmp_path):
    path = write_csv(tmp_path, "Họ và tên,Ngày sinh\nHương,1950\nLê Minh Khang,2020\n")
    report = run_import(store, path)
    assert report.ok and report.imported == 2
    assert {(row, p.field) for row, p in report.warnings} == {
        (2, "full_name"),
        (3, "guardian_name"),
    }


# -- duplicates ------------------------------------------------------------------------------------
def test_duplicates_of_existing_patients_are_skipped(store, tmp_path, add_patient):
    huong = add_patient("Nguyễn Thị Hương", birth="1950", citizen_id="025150012345")
    duc = add_patient("Đặng Văn Đức", sex="1", birth="1960")
    path = write_csv(
        tmp_path,
        (
            "Họ và tên,Ngày sinh,Số CCCD,Số hồ sơ\n"
            "Nguyễn T Hương,1950,025150012345,\n"  # row 2: same citizen ID
            f"Đặng V Đức,1960,,{duc.record_no}\n"  # row 3: same record number
            "Lê Văn Mới,1970,,\n"  # row 4: new
        ),
    )
    report = run_import(store, path)
    assert report.ok
    assert report.imported == 1
    assert [(d.row, d.reason) for d in report.duplicates] == [
        (2, "same citizen ID as {other}"),
        (3, "record number {other} already exists"),
    ]
    assert huong.record_no in report.duplicates[0].other
    assert patient_store.count(store) == 3
    assert sorted(all_patients(store)) == ["Lê Văn Mới", "Nguyễn Thị Hương", "Đặng Văn Đức"]


def test_duplicates_within_the_file_are_skipped(store, tmp_path):
    record = make_record_no(40)
    path = write_csv(
        tmp_path,
        (
            "Họ và tên,Ngày sinh,Số CCCD,Số hồ sơ\n"
            f"Nguyễn Thị Hương,1950,025150012345,\n"
            f"Nguyễn Thị Hương,1950,025 150 012 345,\n"  # same citizen ID as row 2
            f"Trần Văn Bình,1960,,{record}\n"
            f"Trần Văn Bình,1960,,{record.replace('-', '')}\n"  # same record number as row 4
        ),
    )
    report = run_import(store, path)
    assert report.imported == 2
    assert [(d.row, d.reason, d.other) for d in report.duplicates] == [
        (3, "same citizen ID as row {other}", "2"),
        (5, "same record number as row {other}", "4"),
    ]
    assert patient_store.count(store) == 2
    assert patient_store.by_record_no(store, record).full_name == "Trần Văn Bình"  # type: ignore[union-attr]


def test_importing_the_same_file_twice_adds_nobody(store, tmp_path):
    path = write_csv(
        tmp_path,
        (
            "Họ và tên,Ngày sinh,Số CCCD\n"
            "Nguyễn Thị Hương,1950,025150012345\n"
            "Đặng Văn Đức,1960,025060012345\n"
        ),
    )
    assert run_import(store, path).imported == 2
    second = run_import(store, path)
    assert second.ok and second.imported == 0 and len(second.duplicates) == 2
    assert patient_store.count(store) == 2


def test_record_numbers_in_the_file_are_kept_and_new_ones_do_not_collide(store, tmp_path):
    # A row without a number comes first: the number it would get is taken by a later row.
    path = write_csv(
        tmp_path,
        (
            "Họ và tên,Ngày sinh,Số hồ sơ\n"
            "Nguyễn Văn An,1950,\n"
            f"Trần Thị Bình,1960,{make_record_no(1)}\n"
            f"Lê Văn Cường,1970,{make_record_no(2)}\n"
        ),
    )
    report = run_import(store, path)
    assert report.ok and report.imported == 3
    saved = all_patients(store)
    assert saved["Trần Thị Bình"].record_no == make_record_no(1)
    assert saved["Lê Văn Cường"].record_no == make_record_no(2)
    assert saved["Nguyễn Văn An"].record_no not in {make_record_no(1), make_record_no(2)}


def test_wrong_record_number_check_digit_is_an_error(store, tmp_path):
    good = make_record_no(12)
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    path = write_csv(tmp_path, f"Họ và tên,Số hồ sơ\nNguyễn Văn An,{wrong}\n")
    report = run_import(store, path)
    assert [(row, p.field) for row, p in report.errors] == [(2, "record_no")]


# -- encodings and separators ----------------------------------------------------------------------
def test_cp1258_file(store, tmp_path):
    text = (
        VIETNAMESE_HEADERS + ",Ghi chú\r\n"
        'Nguyễn Thị Hương,Nữ,1948,,,,"Thôn Đông, xã Tân Phú",Thôn Đông,Kinh,Làm ruộng,'
        "Hay quên lịch hẹn\r\n"
        "Đặng Văn Đức,Nam,03/1950,,,,,Xóm Chùa,Mường,Hưu trí,\r\n"
    )
    path = write_csv(tmp_path, text, encoding="cp1258")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    report = run_import(store, path)
    assert report.ok and report.imported == 2, report.errors
    saved = all_patients(store)
    assert set(saved) == {"Nguyễn Thị Hương", "Đặng Văn Đức"}  # stored as NFC
    huong = saved["Nguyễn Thị Hương"]
    for value in (huong.full_name, huong.address, huong.village, huong.occupation, huong.notes):
        assert value == unicodedata.normalize("NFC", value)
    assert huong.notes == "Hay quên lịch hẹn"
    assert saved["Đặng Văn Đức"].ethnicity == "06"
    assert [p.full_name for p in patient_store.search(store, "Hương")] == ["Nguyễn Thị Hương"]


def test_utf8_with_bom(store, tmp_path):
    path = write_csv(tmp_path, "Họ và tên,Giới tính\nNguyễn Văn An,Nam\n", encoding="utf-8-sig")
    report = run_import(store, path)
    assert report.ok and report.imported == 1


def test_semicolon_separated_file(store, tmp_path):
    path = write_csv(
        tmp_path,
        (
            "Họ và tên;Giới tính;Ngày sinh;Địa chỉ;Thôn/Xóm\n"
            "Nguyễn Thị Hương;Nữ;15/03/1950;Thôn Đông, xã Tân Phú, tỉnh Phú Thọ;Thôn Đông\n"
            "Đặng Văn Đức;Nam;1960;Xóm Chùa, xã Tân Phú;Xóm Chùa\n"
        ),
    )
    report = run_import(store, path)
    assert report.ok and report.imported == 2, report.errors
    huong = all_patients(store)["Nguyễn Thị Hương"]
    assert huong.address == "Thôn Đông, xã Tân Phú, tỉnh Phú Thọ"
    assert huong.village == "Thôn Đông"
    assert huong.birth == PartialDate(1950, 3, 15)


def test_tab_separated_file(store, tmp_path):
    path = write_csv(tmp_path, "Họ và tên\tGiới tính\nNguyễn Thị Hương\tNữ\nĐặng Văn Đức\tNam\n")
    report = run_import(store, path)
    assert report.ok and report.imported == 2


def test_progress_is_reported(store, tmp_path):
    lines = ["Họ và tên"] + [
        f"Nguyễn Văn {chr(ord('A') + i % 26)}{chr(ord('a') + i // 26)}" for i in range(450)
    ]
    _mapping, rows = read_rows("\n".join(lines) + "\n", TODAY)
    calls: list[tuple[int, int]] = []
    report = import_rows(store, rows, progress=lambda done, total: calls.append((done, total)))
    assert report.imported == 450
    assert calls[-1] == (450, 450)
    assert all(total == 450 for _, total in calls)


def test_excel_unicode_text_file(store, tmp_path):
    """Excel's "Unicode text" export: UTF-16 with a byte order mark, tab-separated."""
    path = write_csv(
        tmp_path,
        "Họ và tên\tGiới tính\tNgày sinh\r\nNguyễn Thị Hương\tNữ\t1950\r\n",
        encoding="utf-16",
    )
    report = run_import(store, path)
    assert report.ok and report.imported == 1
    assert "Nguyễn Thị Hương" in all_patients(store)


@pytest.mark.parametrize(
    "data", [b"PK\x03\x04" + bytes(range(256)) * 4, b"\xd0\xcf\x11\xe0" + b"\x00" * 64]
)
def test_binary_file_is_refused_as_not_csv(data):
    with pytest.raises(ImportFormatError) as caught:
        decode(data)
    assert "CSV" in caught.value.message
