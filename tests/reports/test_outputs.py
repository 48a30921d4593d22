"""The monthly report's files read back: the PDF (pypdf) and the workbook (openpyxl) show the
same numbers as the summary JSON; the DHIS2 file has the dataValueSets shape; the visit book
has the A1 columns, running row numbers and page totals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from station_app import clock
from station_app.cli import main
from station_app.domain.accounts import Actor, Role
from station_app.domain.indicators import pick
from station_app.domain.monthly import Month
from station_app.printing.monthly_report import number_text
from station_app.reports import monthly, monthly_export
from station_app.store import open_store, reports
from station_app.store.station import load_profile, save_profile
from tests.reports.station_march import REPORT_DAY

MARCH = Month(2026, 3)
UID = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")


def font_names(path: Path) -> set[str]:
    """The fonts the PDF's pages use, and whether each is embedded."""
    found = set()
    for page in PdfReader(path).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            embedded = "/FontFile2" in descendant.get("/FontDescriptor", {})
            found.add((str(font["/BaseFont"]).split("+")[-1], embedded))
    return found


def pdf_text(path: Path) -> tuple[list[str], str]:
    pages = [page.extract_text() or "" for page in PdfReader(path).pages]
    return pages, " ".join(" ".join(pages).split())


def run(*argv: str) -> int:
    with clock.pinned(REPORT_DAY):
        return main(list(argv))


@pytest.fixture
def corrected(march_db: Path) -> Path:
    """March with one corrected cell (emergencies 1 → 2), still a draft."""
    with clock.pinned(REPORT_DAY):
        store = open_store(march_db)
        store.actor = Actor(1, "thu", "Nguyễn Thị Thu", Role.HEAD)
        draft = monthly.draft(store, MARCH)
        reports.correct(store, draft, "consult.emergencies//total", 2, "Một ca cấp cứu chưa ghi sổ")
        store.close()
    return march_db


def summary_json(db: Path, tmp_path: Path) -> dict:
    out = tmp_path / "m.json"
    assert run("report", "monthly", "--db", str(db), "--month", "2026-03", "--format", "json", "--out", str(out)) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_the_pdf_shows_the_json_values(corrected: Path, tmp_path: Path, capsys) -> None:
    data = summary_json(corrected, tmp_path)
    out = tmp_path / "m.pdf"
    assert run("report", "monthly", "--db", str(corrected), "--month", "2026-03", "--format", "pdf",
               "--out", str(out)) == 0
    assert "bản nháp" in capsys.readouterr().out
    pages, text = pdf_text(out)
    assert "BÁO CÁO TỔNG HỢP THÁNG" in text and "Tháng 03/2026" in text and "BẢN NHÁP" in text
    assert "Trạm Y tế xã Tân Hòa" in text and "Mã cơ sở: 72095" in text
    assert "Người lập biểu" in pages[-1] and "Trưởng trạm" in pages[-1] and "Nguyễn Thị Thu" in pages[-1]
    assert all(f"Trang {n}/{len(pages)}" in page for n, page in enumerate(pages, start=1))
    assert "Lượt khám theo ngày" in pages[0] and "Bệnh mắc nhiều nhất" in pages[0]
    assert font_names(out) == {("NotoSans-Regular", True), ("NotoSans-Bold", True)}  # embedded, no Helvetica
    checked = 0
    for block in data["blocks"]:
        for ind in block["indicators"]:
            for row in ind["rows"]:
                label = row["label"]["vi"] if row["key"] else ind["name"]["vi"]
                cells = row["cells"]
                values = [cells["total"]["value"], cells["total"]["previous"]]
                values += [cells[c]["value"] for c in ind["columns"][1:]]
                shown = [number_text(v) for v in values]
                if "correction" in cells["total"]:
                    shown[0] += "*"
                expected = " ".join([" ".join(label.split()), *shown])
                assert expected in text, expected
                checked += 1
    assert checked > 100
    assert "Lượt cấp cứu 2* 0" in text
    assert "số tính được 1, sửa thành 2, người sửa Nguyễn Thị Thu" in text


def test_the_workbook_holds_the_json_values_as_numbers(corrected: Path, tmp_path: Path) -> None:
    data = summary_json(corrected, tmp_path)
    out = tmp_path / "m.xlsx"
    assert run("report", "monthly", "--db", str(corrected), "--month", "2026-03", "--format", "xlsx",
               "--out", str(out)) == 0
    book = load_workbook(out)
    assert len(book.sheetnames) == 1 + len(data["blocks"])
    for block, name in zip(data["blocks"], book.sheetnames[1:], strict=True):
        assert name == block["name"]["vi"][:31]
        rows = list(book[name].iter_rows(min_row=2, values_only=True))
        expected = [(ind, row) for ind in block["indicators"] for row in ind["rows"]]
        assert len(rows) == len(expected)
        for sheet_row, (ind, row) in zip(rows, expected, strict=True):
            cells = row["cells"]
            assert sheet_row[0] == ind["code"]
            assert sheet_row[3] == cells["total"]["value"] and isinstance(sheet_row[3], int)
            assert sheet_row[4] == cells["total"]["previous"]
            for offset, column in enumerate(ind["columns"][1:], start=5):
                assert sheet_row[offset] == cells[column]["value"]
    consult = book[book.sheetnames[1]]
    emergencies = next(r for r in consult.iter_rows(values_only=True) if r[0] == "consult.emergencies")
    assert emergencies[3] == 2 and "số tính được 1" in emergencies[-1]


def test_the_dhis2_file_is_a_data_value_set(march: object, march_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.dhis2.json"
    assert run("report", "monthly", "--db", str(march_db), "--month", "2026-03", "--format", "dhis2",
               "--out", str(out)) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) == {"dataSet", "period", "orgUnit", "orgUnitIdScheme", "dataValues"}  # no completeDate: a draft
    assert data["period"] == "202603" and data["orgUnit"] == "72095" and UID.match(data["dataSet"])
    assert data["orgUnitIdScheme"] == "CODE"  # the org unit is the station's facility code
    mapping = monthly_export.load_mapping()
    visits = mapping["dataElements"]["consult.visits"]["default"]
    by_age = mapping["dataElements"]["consult.visits"]["age"]
    for value in data["dataValues"]:
        assert set(value) == {"dataElement", "categoryOptionCombo", "value"}
        assert UID.match(value["dataElement"]) and UID.match(value["categoryOptionCombo"])
        assert value["value"].isdigit()
    by_key = {(v["dataElement"], v["categoryOptionCombo"]): v["value"] for v in data["dataValues"]}
    assert by_key[(visits, "HllvX50cXC0")] == "8"
    assert by_key[(by_age, mapping["categoryCombos"]["age"]["0-4"])] == "1"
    diabetes = mapping["dataElements"]["ncd.managed/diabetes"]["default"]
    assert by_key[(diabetes, "HllvX50cXC0")] == "1"
    assert len(by_key) == len(data["dataValues"])  # each cell once


def test_every_fixed_line_has_a_dhis2_data_element(march) -> None:
    summary = monthly.draft(march, MARCH)
    mapping = monthly_export.load_mapping()
    elements, skipped = mapping["dataElements"], set(mapping["skip"])
    for result in summary.indicators:
        if result.indicator.rows == "top_diagnoses" or result.code in skipped:
            continue
        for line in result.lines:
            assert set(elements[result.code if not line.key else f"{result.code}/{line.key}"]) >= {"default"}


def test_a_final_report_is_exported_as_sent_with_its_complete_date(march_db: Path, tmp_path: Path) -> None:
    with clock.pinned(REPORT_DAY):
        store = open_store(march_db)
        reports.finalise(store, monthly.draft(store, MARCH))
        store.conn.execute("DELETE FROM vaccine_doses")  # records change after sending
        store.close()
    out = tmp_path / "m.dhis2.json"
    assert run("report", "monthly", "--db", str(march_db), "--month", "2026-03", "--format", "dhis2",
               "--out", str(out)) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["completeDate"] == "2026-04-03"
    doses = monthly_export.load_mapping()["dataElements"]["epi.doses/measles"]["default"]
    assert {v["value"] for v in data["dataValues"] if v["dataElement"] == doses} == {"2"}
    assert summary_json(march_db, tmp_path)["status"] == "final"


def test_a_station_without_facility_code_cannot_export_for_dhis2(march_db: Path, tmp_path: Path, capsys) -> None:
    with clock.pinned(REPORT_DAY):
        store = open_store(march_db)
        profile = load_profile(store)
        profile.facility_code = ""
        save_profile(store, profile)
        store.close()
    code = run("report", "monthly", "--db", str(march_db), "--month", "2026-03", "--format", "dhis2",
               "--out", str(tmp_path / "x.json"))
    err = capsys.readouterr().err
    assert code != 0 and "mã cơ sở" in err.lower() and "Traceback" not in err and err.count("\n") == 1


def test_a_station_mapping_replaces_the_shipped_one(march, tmp_data_dir: Path) -> None:
    shipped = monthly_export.load_mapping()
    own = json.loads(json.dumps(shipped))
    own["dataElements"]["consult.visits"]["default"] = "ABCDEFGHIJ1"
    (tmp_data_dir / "dhis2_mapping.json").write_text(json.dumps(own), encoding="utf-8")
    payload = monthly_export.dhis2_payload(monthly.draft(march, MARCH))
    assert any(v["dataElement"] == "ABCDEFGHIJ1" for v in payload["dataValues"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--month", "2026-13"], "--month"),
        (["--month", "03-2026"], "--month"),
    ],
)
def test_bad_months_are_one_line_errors(march_db: Path, tmp_path: Path, capsys, argv, message) -> None:
    code = run("report", "monthly", "--db", str(march_db), *argv, "--format", "json", "--out", str(tmp_path / "x"))
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


def test_a_missing_database_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    code = run("report", "monthly", "--db", str(tmp_path / "none.sqlite3"), "--month", "2026-03", "--format", "pdf",
               "--out", str(tmp_path / "x.pdf"))
    assert code == 2 and capsys.readouterr().err.count("\n") == 1


# -- the visit book --------------------------------------------------------------------------------
A1_HEADERS = ["STT", "Họ và tên", "Giới tính", "Ngày sinh", "Giấy tờ tùy thân", "Số thẻ BHYT", "Địa chỉ",
              "Dân tộc", "Nghề nghiệp", "Triệu chứng", "Chẩn đoán", "Phương pháp điều trị", "Y, bác sĩ khám",
              "Ghi chú"]


def test_the_visit_book_for_march(march_db: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "book.pdf"
    assert run("print", "visit-book", "--db", str(march_db), "--from", "2026-03-01", "--to", "2026-03-31",
               "--out", str(out)) == 0
    assert "sổ khám bệnh" in capsys.readouterr().out
    reader = PdfReader(out)
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape
    _pages, text = pdf_text(out)
    positions = [text.index(h) for h in A1_HEADERS]
    assert positions == sorted(positions), "the A1 columns in their order"
    assert "Từ ngày 01/03/2026 đến ngày 31/03/2026" in text
    assert "Ngày 31/03/2026" in text and "Ngày 01/04/2026" not in text  # 23:59 in, 00:00 the next day out
    assert "Cộng trang: 8 lượt khám · BHYT 2 · chuyển tuyến 0" in text
    assert "Lũy kế: 8 lượt khám" in text
    assert "Trần Văn An" in text and "J06.9" in text and "Trang 1/1" in text
    assert font_names(out) == {("NotoSans-Regular", True), ("NotoSans-Bold", True)}


def test_the_visit_book_numbers_rows_across_pages_with_page_totals(demo_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "book.pdf"
    assert run("print", "visit-book", "--db", str(demo_copy), "--from", "2025-10-01", "--to", "2025-10-31",
               "--out", str(out)) == 0
    pages, _ = pdf_text(out)
    assert len(pages) > 2
    totals = [int(re.search(r"Cộng trang: (\d+) lượt khám", p)[1]) for p in pages]  # type: ignore[index]
    running = [int(re.search(r"Lũy kế: (\d+) lượt khám", p)[1]) for p in pages]  # type: ignore[index]
    assert running == [sum(totals[: i + 1]) for i in range(len(totals))]
    store = open_store(demo_copy)
    try:
        count = store.scalar("SELECT count(*) FROM visits WHERE visit_at >= '2025-10-01' AND visit_at < '2025-11-01'")
    finally:
        store.close()
    assert running[-1] == count
    # The first row of page 2 follows the last row of page 1.
    first_on_two = running[0] + 1
    assert re.search(rf"(^|\s){first_on_two}\s", pages[1].split("Y, bác sĩ")[1])


def test_visit_book_dates_are_checked(march_db: Path, tmp_path: Path, capsys) -> None:
    code = run("print", "visit-book", "--db", str(march_db), "--from", "2026-03-31", "--to", "2026-03-01",
               "--out", str(tmp_path / "b.pdf"))
    assert code == 2 and "--to" in capsys.readouterr().err
    code = run("print", "visit-book", "--db", str(march_db), "--from", "31/3/26", "--to", "2026-04-01",
               "--out", str(tmp_path / "b.pdf"))
    assert code == 2 and "YYYY-MM-DD" in capsys.readouterr().err
    assert not (tmp_path / "b.pdf").exists()
    code = run("print", "visit-book", "--db", str(march_db), "--from", "31/03/2026", "--to", "2026-04-01",
               "--out", str(tmp_path / "b.pdf"))
    assert code == 0 and (tmp_path / "b.pdf").exists()


def test_pick_falls_back_to_vietnamese() -> None:
    assert pick({"vi": "Tổng", "en": ""}, "en") == "Tổng"
    assert pick({"vi": "Tổng", "en": "Total"}, "en") == "Total"


@pytest.mark.parametrize(("fmt", "action"), [("pdf", "print"), ("xlsx", "export"), ("dhis2", "export"),
                                             ("json", "export")])
def test_every_file_of_the_report_is_in_the_audit_log(march_db: Path, tmp_path: Path, fmt: str,
                                                      action: str) -> None:
    """The command line is the local operator: each file it writes is audited, marked ``system``."""
    from station_app.store import audit

    out = tmp_path / f"m.{fmt}"
    assert run("report", "monthly", "--db", str(march_db), "--month", "2026-03", "--format", fmt,
               "--out", str(out)) == 0
    store = open_store(march_db)
    try:
        entry = audit.entries(store)[0]
    finally:
        store.close()
    assert (entry.action, entry.target, entry.username) == (action, "report 2026-03", "system")
    assert entry.details["file"] == out.name and entry.details["format"] == fmt


def test_the_visit_book_printed_by_the_command_line_is_in_the_audit_log(march_db: Path, tmp_path: Path) -> None:
    from station_app.store import audit

    out = tmp_path / "book.pdf"
    assert run("print", "visit-book", "--db", str(march_db), "--from", "2026-03-01", "--to", "2026-03-31",
               "--out", str(out)) == 0
    store = open_store(march_db)
    try:
        entry = audit.entries(store)[0]
    finally:
        store.close()
    assert (entry.action, entry.target_type) == ("print", "visit_book")
    details = {k: v for k, v in entry.details.items() if k != "os_user"}
    assert details == {"from": "2026-03-01", "to": "2026-03-31", "file": "book.pdf"}


def test_the_yearly_pdf_charts_visits_per_month(march_db: Path, tmp_path: Path, capsys) -> None:
    """A year's 365 day-bars ran their labels into a black smear: the yearly report has 12 month-bars."""
    out = tmp_path / "y.pdf"
    assert run("report", "monthly", "--db", str(march_db), "--period", "2026", "--format", "pdf",
               "--out", str(out)) == 0
    assert "báo cáo năm 2026 (bản nháp)" in capsys.readouterr().out
    pages, _text = pdf_text(out)
    assert "Lượt khám theo tháng" in pages[0] and "Lượt khám theo ngày" not in pages[0]
    with clock.pinned(REPORT_DAY):
        store = open_store(march_db)
        store.actor = Actor(1, "thu", "Nguyễn Thị Thu", Role.HEAD)
        year = monthly.draft(store, Month.year_of(2026))
        month = monthly.draft(store, MARCH)
        store.close()
    bars = year.visit_bars()
    assert [m for m, _ in bars] == list(range(1, 13))
    assert bars[2][1] == sum(n for _, n in month.visit_bars()) > 0  # March's bar: March's days
    assert [d for d, _ in month.visit_bars()] == list(range(1, 32))
