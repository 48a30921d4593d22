"""Import and the same-person rule (issue 17, "one person, one record"): rows of a file that are
one person are listed for the person importing (keep one, keep all), never multiplied; rows that
are a registered patient by the registration's rule (slips in the name, a year apart when
estimated, the same card or phone) are found whatever the village."""

from __future__ import annotations

import csv
import subprocess
import sys

from station_app.cli import EXIT_OK, main
from station_app.domain import table_import as ti
from station_app.domain.spreadsheet import open_book
from station_app.store import open_store
from station_app.store import patients as patient_store
from station_app.store.bulk_import import Choice, Decision, apply, find_matches


def preview_of(path, today, what="patients"):
    table = ti.read_table(open_book(path), 0, what)
    return ti.build_preview(table, ti.suggest_mapping(table.headers, what), what, today)


def write_csv(path, rows, headers=("Họ và tên", "Giới tính", "Ngày sinh", "Thôn/Xóm", "Điện thoại", "Số thẻ BHYT")):
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def test_repeated_rows_of_one_person_are_listed_and_one_is_kept(store, tmp_path, today):
    path = write_csv(tmp_path / "ds.csv", [
        ("Nguyễn Văn A", "1", "1980", "Thôn Đông", "", ""),
        ("Nguyễn Văn A", "1", "1980", "Thôn Đông", "", ""),
        ("Nguyen Van A", "1", "1981", "", "", ""),  # folded, estimated year one apart, no village
        ("Lê Thị Bình", "2", "12/03/1975", "", "0912345678", ""),
        ("Le Thi Binh", "2", "1975", "Xóm Chùa", "", ""),
        ("Lê Văn Cường", "1", "1990", "", "0912345678", ""),  # same phone, another person: kept
    ])
    preview = preview_of(path, today)
    matches = find_matches(store, preview)
    assert {n: (m.other, m.existing_id) for n, m in matches.items()} == {3: ("2", None), 4: ("2", None),
                                                                          6: ("5", None)}
    assert matches[3].text("en") == "same name and birth year as row 2"
    outcome = apply(store, preview, matches)
    assert (outcome.imported, outcome.skipped) == (3, 3)
    assert sorted(p.full_name for p in patient_store.get_many(store, outcome.patient_ids).values()) == [
        "Lê Thị Bình", "Lê Văn Cường", "Nguyễn Văn A"]


def test_keep_all_is_a_choice_with_a_reason(store, tmp_path, today):
    path = write_csv(tmp_path / "ds.csv", [("Nguyễn Văn A", "1", "1980", "", "", "")] * 3)
    preview = preview_of(path, today)
    matches = find_matches(store, preview)
    assert sorted(matches) == [3, 4]
    keep_all = {n: Decision(Choice.NEW, "hai người trùng tên, khác cha mẹ") for n in matches}
    outcome = apply(store, preview, matches, keep_all)
    assert outcome.imported == 3


def test_a_registered_patient_is_found_by_the_registration_rule(store, add_patient, tmp_path, today):
    thuy = add_patient("Nguyễn Thị Thủy", birth="1980", village="Thôn Đông")
    card = add_patient("Trần Văn Bảo", sex="1", birth="1962", insurance_no="GD4250123456789")
    path = write_csv(tmp_path / "ds.csv", [
        ("Ngyuen Thi Thuy", "2", "1980", "", "", ""),  # a slip, no village
        ("Nguyễn Thị Thủy", "2", "1981", "Xóm Chùa", "", ""),  # estimated, a year apart, another village
        ("Trần Bảo", "1", "1962", "", "", "GD4250123456789"),  # the same card
    ])
    matches = find_matches(store, preview_of(path, today))
    assert {n: m.existing_id for n, m in matches.items()} == {2: thuy.id, 3: thuy.id, 4: card.id}
    assert matches[4].text("en").startswith("same insurance card number as Trần Văn Bảo")


def test_a_file_of_one_row_repeated_imports_one_patient_and_lists_the_rest(tmp_path, capsys, today):
    rows = 20_000
    path = write_csv(tmp_path / "big.csv", [("Nguyễn Văn A", "1", "1980", "", "", "")] * rows)
    db = tmp_path / "tram.sqlite3"
    code = main(["--lang", "en", "import", "--db", str(db), str(path)])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    assert f"Imported 1 patients; {rows - 1} duplicates skipped." in out
    assert "Row 3 skipped, duplicate: same name and birth year as row 2" in out
    store = open_store(db)
    try:
        assert patient_store.count(store) == 1
    finally:
        store.close()


def test_memory_of_a_large_repeated_file_stays_bounded(tmp_path):
    """The rule keeps one entry per person, not per row: 50,000 identical rows are checked with
    a few MB more than 1,000 (the parsed rows themselves are what a file costs)."""
    script = (
        "import csv, resource, sys, datetime as dt\n"
        "from station_app.domain import table_import as ti\n"
        "from station_app.domain.spreadsheet import open_book\n"
        "from station_app.store import open_store\n"
        "from station_app.store.bulk_import import find_matches\n"
        "path, db = sys.argv[1], sys.argv[2]\n"
        "table = ti.read_table(open_book(path), 0, 'patients')\n"
        "preview = ti.build_preview(table, ti.suggest_mapping(table.headers, 'patients'), 'patients',"
        " dt.date(2025, 11, 20), keep_cells=False)\n"
        "table.rows.clear()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "matches = find_matches(open_store(db), preview)\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(len(matches), after - before)\n"
    )
    growth = {}
    for rows in (1_000, 50_000):
        path = write_csv(tmp_path / f"r{rows}.csv", [("Nguyễn Văn A", "1", "1980", "", "", "")] * rows)
        done = subprocess.run([sys.executable, "-c", script, str(path), str(tmp_path / f"r{rows}.sqlite3")],
                              capture_output=True, text=True, check=True)
        found, kib = map(int, done.stdout.split())
        assert found == rows - 1
        growth[rows] = kib
    assert growth[50_000] - growth[1_000] < 64 * 1024, growth  # KiB: the matches list, not a copy per row
