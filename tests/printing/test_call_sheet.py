"""The follow-up call sheet (PDF) read back as text with pypdf, and the CSV/XLSX exports of the
same list: Vietnamese intact, people grouped under their village, phone numbers, status and
outcome columns, escaping, pagination, embedded fonts and atomic writing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from station_app import clock, i18n
from station_app.domain.dates import parse_partial_date
from station_app.domain.followup import Outcome, OutcomeKind, RemovalReason, Section
from station_app.domain.patient import Patient
from station_app.domain.visit import Visit
from station_app.printing.call_sheet import call_sheet_bytes, group_rows, render_call_sheet
from station_app.reports import worklist_export as export
from station_app.store import Store, followups, patients, visits

TODAY = dt.date(2025, 11, 20)
STATION = "Trạm Y tế xã Tân Phú"


def _add(store: Store, name: str, sex: str, birth: str, village: str, phone: str,
         registered: dt.date = TODAY) -> int:
    with clock.pinned(registered):
        saved = patients.insert(store, Patient(full_name=name, sex=sex,
                                               birth=parse_partial_date(birth),
                                               village=village, phone=phone))
    assert saved.id is not None
    return saved.id


def _revisit(store: Store, patient_id: int, on: dt.date, due: dt.date, code: str = "") -> None:
    with clock.pinned(on):
        visits.insert(store, Visit(patient_id, dt.datetime.combine(on, dt.time(9)),
                                   complaint="ho", diagnosis_code=code, follow_up_date=due))


@pytest.fixture
def station(store: Store) -> dict[str, int]:
    ids = {
        "huong": _add(store, "Nguyễn Thị Hương", "2", "1960", "Thôn Đông", "0912345678"),
        "duc": _add(store, "Trần Văn Đức", "1", "1955", "Thôn Tây", "0987654321"),
        "khoi": _add(store, "Lê Minh Khôi", "1", "15/01/2025", "Thôn Đông", "0901222333",
                     registered=dt.date(2025, 1, 20)),
        "yen": _add(store, "Hoàng Thị Yến", "2", "1971", "Thôn Bắc", "02513861234"),
    }
    _revisit(store, ids["huong"], dt.date(2025, 10, 1), dt.date(2025, 10, 15))
    with clock.pinned(dt.date(2025, 9, 1)):
        visits.insert(store, Visit(ids["duc"], dt.datetime(2025, 9, 1, 9), complaint="lấy thuốc",
                                   diagnosis_code="I10", bp_systolic=172, bp_diastolic=104),
                      followups.VisitFeeds(refill_days=30))
    _revisit(store, ids["yen"], dt.date(2025, 10, 20), dt.date(2025, 11, 3))
    return ids


def overdue(store: Store) -> list[followups.WorkRow]:
    return followups.work_rows(store, TODAY, Section.OVERDUE)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return unicodedata.normalize("NFC", "\n".join(p.extract_text() for p in reader.pages))


def sheet(store: Store, rows: list[followups.WorkRow], **kwargs: object) -> bytes:
    return call_sheet_bytes(rows, station=STATION, today=TODAY,
                            list_name=Section.OVERDUE.title,
                            **kwargs)  # type: ignore[arg-type]


# -- the PDF --------------------------------------------------------------------------------------


@pytest.mark.usefixtures("today")
def test_call_sheet_names_phones_and_villages(store: Store, station: dict[str, int]) -> None:
    rows = overdue(store)
    text = pdf_text(sheet(store, rows))
    for name in ("Nguyễn Thị Hương", "Trần Văn Đức", "Lê Minh Khôi", "Hoàng Thị Yến"):
        assert name in text
    for phone in ("0912 345 678", "0987 654 321", "0901 222 333", "0251 386 1234"):
        assert phone in text
    assert "DANH SÁCH GỌI NHẮC HẸN" in text and STATION in text
    assert "Ngày in: 20/11/2025" in text and "Trang 1/" in text
    assert "Kết quả" in text and "Quá hẹn — cần gọi" in text
    assert "Nguy cơ cao" in text  # the man with BP 172/104
    assert "10 tháng" in text and "65 tuổi" in text
    assert "15/10/2025" in text and "trễ 36 ngày" in text
    # villages in Vietnamese order (B, Đ, T), each with its people
    headings = re.findall(r"(Thôn \w+) — (\d+) người", text)
    assert headings == [("Thôn Bắc", "1"), ("Thôn Đông", "2"), ("Thôn Tây", "1")]
    assert text.index("Hoàng Thị Yến") < text.index("Thôn Đông —") < text.index("Lê Minh Khôi")
    assert text.index("Lê Minh Khôi") < text.index("Thôn Tây —") < text.index("Trần Văn Đức")
    # The child is one person on the sheet, with each dose due on its own line.
    assert text.count("Lê Minh Khôi") == 1
    khoi = [r for r in rows if r.patient_id == station["khoi"]]
    assert len(khoi) >= 5
    for row in khoi:
        assert row.item.label in text
    people = len({r.patient_id for r in rows})
    assert f"{people} người, {len(rows)} mục hẹn" in text


@pytest.mark.usefixtures("today")
def test_outcomes_and_sections_on_the_sheet(store: Store, station: dict[str, int]) -> None:
    (item,) = [r.item for r in overdue(store) if r.patient_id == station["huong"]]
    followups.record_outcome(store, int(item.id), Outcome(OutcomeKind.AGREED, TODAY))  # type: ignore[arg-type]
    (yen,) = [r.item for r in overdue(store) if r.patient_id == station["yen"]]
    followups.record_outcome(store, int(yen.id), Outcome(  # type: ignore[arg-type]
        OutcomeKind.REMOVED, TODAY, reason=RemovalReason.MOVED_AWAY))
    rows = [*followups.work_rows(store, TODAY, Section.AGREED),
            *followups.work_rows(store, TODAY, Section.REMOVED)]
    text = " ".join(pdf_text(call_sheet_bytes(rows, station=STATION, today=TODAY)).split())
    assert "20/11/2025: hẹn sẽ đến" in text
    assert "bỏ khỏi danh sách (Đã chuyển đi nơi khác)" in text
    # two sections on one sheet: each row says its section
    assert "Đã hẹn sẽ đến" in text and "Đã bỏ khỏi danh sách" in text


@pytest.mark.usefixtures("today")
def test_user_text_is_printed_as_typed(store: Store) -> None:
    pid = _add(store, "Trần <b>Thị</b> & Lý", "2", "1980", "Xóm <Mới> & Cũ", "0911000222")
    _revisit(store, pid, dt.date(2025, 10, 1), dt.date(2025, 10, 10))
    rows = overdue(store)
    text = pdf_text(sheet(store, rows))
    assert "Trần <b>Thị</b> & Lý" in text
    assert "Xóm <Mới> & Cũ — 1 người" in text


@pytest.mark.usefixtures("today")
def test_a_long_list_runs_over_pages_with_the_header_on_each(store: Store) -> None:
    for n in range(70):
        pid = _add(store, f"Nguyễn Văn Số {n:02d}", "1", "1950", f"Thôn {n % 3}",
                   f"09120000{n:02d}")
        _revisit(store, pid, dt.date(2025, 9, 1), dt.date(2025, 9, 15) + dt.timedelta(days=n))
    rows = overdue(store)
    assert len({r.patient_id for r in rows}) > 60
    data = sheet(store, rows)
    reader = PdfReader(io.BytesIO(data))
    pages = len(reader.pages)
    assert pages >= 3
    for number, page in enumerate(reader.pages, start=1):
        text = unicodedata.normalize("NFC", page.extract_text())
        assert "DANH SÁCH GỌI NHẮC HẸN" in text
        assert f"Trang {number}/{pages}" in text
        assert "Điện thoại" in text  # the table's header repeats
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (842, 595)  # A4 landscape
    every = pdf_text(data)
    assert all(row.full_name in every for row in rows)


@pytest.mark.usefixtures("today")
def test_fonts_are_embedded_and_never_helvetica(store: Store, station: dict[str, int]) -> None:
    reader = PdfReader(io.BytesIO(sheet(store, overdue(store))))
    fonts = set()
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            fonts.add(str(font["/BaseFont"]))
            assert "/FontFile2" in font["/FontDescriptor"].get_object(), font["/BaseFont"]
    assert fonts and not any("Helvetica" in f for f in fonts), fonts
    assert reader.metadata.title.startswith("DANH SÁCH GỌI NHẮC HẸN")


@pytest.mark.usefixtures("today")
def test_an_empty_list_says_so(store: Store) -> None:
    text = pdf_text(call_sheet_bytes([], station=STATION, today=TODAY))
    assert "Danh sách này không có ai." in text and "0 người, 0 mục hẹn" in text


@pytest.mark.usefixtures("today")
def test_written_atomically_over_an_old_file(store: Store, station: dict[str, int],
                                             tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "goi.pdf"
    target.write_bytes(b"old")
    written = render_call_sheet(store, overdue(store), target, station=STATION, today=TODAY)
    assert written == target
    assert target.read_bytes().startswith(b"%PDF")
    assert [p.name for p in folder.iterdir()] == ["goi.pdf"]


def test_people_are_grouped_by_village_then_person(store: Store, station: dict[str, int]) -> None:
    with clock.pinned(TODAY):
        groups = group_rows(overdue(store))
    assert [v for v, _ in groups] == ["Thôn Bắc", "Thôn Đông", "Thôn Tây"]
    dong = dict(groups)["Thôn Đông"]
    assert {person[0].full_name for person in dong} == {"Nguyễn Thị Hương", "Lê Minh Khôi"}


# -- CSV and XLSX ---------------------------------------------------------------------------------

HEADER_VI = ["Tình trạng", "Họ và tên", "Tuổi", "Giới tính", "Thôn/Xóm", "Điện thoại", "Loại hẹn",
             "Nội dung hẹn", "Ngày hẹn", "Số ngày quá hẹn", "Nguy cơ cao", "Kết quả gọi gần nhất",
             "Ngày ghi kết quả"]


def _agreed_rows(store: Store, station: dict[str, int]) -> list[followups.WorkRow]:
    (item,) = [r.item for r in overdue(store) if r.patient_id == station["huong"]]
    followups.record_outcome(store, int(item.id), Outcome(  # type: ignore[arg-type]
        OutcomeKind.AGREED, TODAY, note="Con trai chở đi"))
    return [*overdue(store), *followups.work_rows(store, TODAY, Section.AGREED)]


@pytest.mark.usefixtures("today")
def test_csv_has_status_and_outcome_columns(store: Store, station: dict[str, int],
                                            tmp_path: Path) -> None:
    rows = _agreed_rows(store, station)
    path = export.write_csv(store, rows, tmp_path / "list.csv", TODAY)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "a BOM, so Excel reads UTF-8"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == HEADER_VI
    records = [dict(zip(lines[0], line, strict=True)) for line in lines[1:]]
    assert len(records) == len(rows)
    huong = next(r for r in records if r["Họ và tên"] == "Nguyễn Thị Hương")
    assert huong["Tình trạng"] == "Đã hẹn sẽ đến"
    assert huong["Kết quả gọi gần nhất"] == "Đã hẹn sẽ đến — Con trai chở đi"
    assert huong["Ngày ghi kết quả"] == "20/11/2025"
    assert huong["Ngày hẹn"] == "15/10/2025" and huong["Số ngày quá hẹn"] == "36"
    duc = next(r for r in records if r["Họ và tên"] == "Trần Văn Đức")
    assert duc["Tình trạng"] == "Quá hẹn — cần gọi" and duc["Nguy cơ cao"] == "Có"
    assert duc["Kết quả gọi gần nhất"] == "" and duc["Điện thoại"] == "0987 654 321"
    khoi = [r for r in records if r["Họ và tên"] == "Lê Minh Khôi"]
    assert khoi and {r["Tuổi"] for r in khoi} == {"10 tháng"}
    assert {r["Loại hẹn"] for r in khoi} == {"Mũi tiêm chủng"}


@pytest.mark.usefixtures("today")
def test_xlsx_has_the_same_columns_with_real_dates(store: Store, station: dict[str, int],
                                                   tmp_path: Path) -> None:
    rows = _agreed_rows(store, station)
    path = export.write_xlsx(store, rows, tmp_path / "list.xlsx", TODAY, title="Nhắc hẹn")
    sheet_ = load_workbook(path).active
    assert [c.value for c in sheet_[1]] == HEADER_VI
    assert sheet_.max_row == len(rows) + 1
    assert sheet_.freeze_panes == "A2"
    records = [dict(zip(HEADER_VI, [c.value for c in line], strict=True))
               for line in sheet_.iter_rows(min_row=2)]
    huong = next(r for r in records if r["Họ và tên"] == "Nguyễn Thị Hương")
    assert huong["Ngày hẹn"] == dt.datetime(2025, 10, 15)
    assert huong["Ngày ghi kết quả"] == dt.datetime(2025, 11, 20)
    assert huong["Số ngày quá hẹn"] == 36
    assert huong["Tình trạng"] == "Đã hẹn sẽ đến"
    assert sheet_["I2"].number_format == "DD/MM/YYYY"


@pytest.mark.usefixtures("today")
def test_csv_in_english(store: Store, station: dict[str, int]) -> None:
    i18n.set_language("en")
    text = export.csv_bytes(overdue(store), TODAY).decode("utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert header[0] == "Status" and "Last outcome" in header and "Outcome date" in header
    assert "Overdue — to call" in text
