"""Importing patients with the optional claims-code columns (nationality, occupation code,
commune code): codes from their lists saved with the record, a wrong one refused by row."""

from __future__ import annotations

from station_app.cli import EXIT_FINDINGS, EXIT_OK, main
from station_app.store import open_store
from station_app.store import patients as patient_store

HEADER = "Họ và tên,Giới tính,Ngày sinh,Nghề nghiệp,Quốc tịch,Mã nghề nghiệp,Mã xã cư trú\n"


def imported(db) -> dict[str, tuple[str, ...]]:
    store = open_store(db)
    try:
        found = patient_store.get_many(store, patient_store.all_ids(store)).values()
        return {
            p.full_name: (p.nationality, p.nationality_code, p.occupation, p.occupation_code, p.province_code,
                          p.commune_code)
            for p in found
        }
    finally:
        store.close()


def test_optional_code_columns_are_read(capsys, tmp_path, today) -> None:
    path = tmp_path / "ds.csv"
    path.write_text(
        HEADER
        + "Nguyễn Văn An,Nam,1960,Làm ruộng,,,08566\n"
        + 'Lò Thị Xuân,Nữ,1985,Buôn bán,Lào,,"Xã Hòa Tiến, Thành phố Đà Nẵng"\n'
        + "Trần Văn Bình,Nam,1990,Thợ mộc,Việt Nam,71150,20332\n",
        encoding="utf-8",
    )
    db = tmp_path / "tram.sqlite3"
    assert main(["--lang", "en", "import", "--db", str(db), str(path)]) == EXIT_OK, capsys.readouterr().err
    assert imported(db) == {
        "Nguyễn Văn An": ("Việt Nam", "000", "Làm ruộng", "61110", "25", "08566"),  # the code from the words
        "Lò Thị Xuân": ("Lào", "418", "Buôn bán", "52210", "48", "20332"),  # a commune by its full name
        "Trần Văn Bình": ("Việt Nam", "000", "Thợ mộc", "71150", "48", "20332"),
    }


def test_a_code_outside_its_list_refuses_the_file_by_row(capsys, tmp_path, today) -> None:
    path = tmp_path / "ds.csv"
    path.write_text(
        HEADER + "Nguyễn Văn An,Nam,1960,Làm ruộng,,,08116\n" + "Lò Thị Xuân,Nữ,1985,,Atlantis,12345,\n",
        encoding="utf-8",
    )
    db = tmp_path / "tram.sqlite3"
    assert main(["--lang", "vi", "import", "--db", str(db), str(path)]) == EXIT_FINDINGS
    err = capsys.readouterr().err
    assert '"08116" không phải mã xã trong danh mục (từ 07/2025).' in err
    assert 'Không rõ quốc tịch "Atlantis".' in err
    assert "Mã nghề nghiệp 12345 không có trong danh mục." in err
    assert imported(db) == {}
