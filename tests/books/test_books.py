"""The books A2.1, A2.2, A3, A4, A6 printed from the hand-built November: their columns, rows and
page totals read back from the PDFs; A4 landscape; fonts embedded; print book on the command line
(A1 too, as the visit book)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from station_app.cli import EXIT_OK, main
from station_app.domain import books as definitions
from station_app.printing.books import render_book
from station_app.store import audit
from tests.books.conftest import NOVEMBER


def _pdf(station, tmp_path: Path, code: str) -> tuple[PdfReader, str]:
    path = render_book(station.store, code, *NOVEMBER, tmp_path / f"{code}.pdf")
    reader = PdfReader(path)
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _totals(text: str) -> list[str]:
    """The numbers of the page-total row."""
    found = re.search(r"Cộng trang ((?:\d+ )+)", _flat(text))
    assert found, "no page-total row"
    return found.group(1).split()


def test_every_book_is_a4_landscape_with_its_fonts_embedded_and_is_audited(station, tmp_path: Path) -> None:
    for code in ("A2.1", "A2.2", "A3", "A4", "A6"):
        reader, _text = _pdf(station, tmp_path, code)
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (842, 595), code
        fonts = {str(f["/BaseFont"]) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
        assert fonts and all("+" in name for name in fonts), (code, fonts)
        entry = audit.entries(station.store)[0]
        assert (entry.action, entry.target_id, entry.details["start"]) == ("print", code, "2025-11-01")


@pytest.mark.parametrize("code", ["A2.1", "A2.2", "A3", "A4", "A6"])
def test_each_book_prints_its_columns_in_order(station, tmp_path: Path, code: str) -> None:
    _reader, text = _pdf(station, tmp_path, code)
    flat = _flat(text)
    book = definitions.definitions()[code]
    assert book.form in flat
    assert book.title["vi"] in flat
    packed = flat.replace(" ", "")  # (a heading wider than its column is cut across lines)
    at = packed.index(book.form)
    for column in book.columns:  # each heading, in the book's order
        heading = column.title["vi"].replace(" ", "")
        found = packed.find(heading, at)
        assert found >= 0, (code, column.title["vi"])
        at = found + len(heading)
    assert "Từ ngày 01/11/2025 đến ngày 30/11/2025" in flat


def test_the_delivery_book_has_a_row_per_baby_and_its_page_totals(station, tmp_path: Path) -> None:
    _reader, text = _pdf(station, tmp_path, "A4")
    flat = _flat(text)
    # in order of birth: Dợ's twins (02/11), then Hoa's boy (18/11)
    assert flat.index("Mùa Thị Dợ") < flat.index("Lò Thị Hoa")
    assert flat.count("Mùa Thị Dợ") == 2
    assert "Thai chết lưu" in flat and "Đẻ sống" in flat
    assert "22:40 18/11/2025" in flat and "Trung tâm Y tế huyện Mường Tè" in flat
    assert "Hà Thị Liên, Cán bộ y tế" in flat
    # page totals: < 2,500 g: the girl (2,300) and the stillborn boy (1,900); hep B ≤ 24 h: Hoa's boy only
    assert _totals(text) == ["2", "1"]
    assert "Cộng dồn: 3 dòng" in flat


def test_the_childrens_immunisation_book_shows_each_dose_and_counts_the_periods(station, tmp_path: Path) -> None:
    _reader, text = _pdf(station, tmp_path, "A2.1")
    flat = _flat(text)
    # the three children: born in November (two babies) and Páo with his measles dose in November
    for name in ("Con bà Lò Thị Hoa", "Con bà Mùa Thị Dợ", "Giàng A Páo"):
        assert name in flat
    assert "12/03/25" in flat and "12/11/25" in flat  # dd/mm/yy in the narrow dose columns
    assert "10/01/2025" in flat  # Páo's date of birth, in the "Nam" column
    # page totals per column: BCG 1 (Hoa's boy; Páo's was in January), HepB ≤ 24 h 1 (Hoa's boy), > 24 h 1
    # (Dợ's girl, 04/11), DPT 1-3, OPV 1-3 and IPV 0 (all before November), measles 1, fully immunised 1 (Páo),
    # the boosters 0; printed in the order of the book's columns
    expected = {"bcg": 1, "hepb0_24h": 1, "hepb0_late": 1, "measles:1": 1, "full": 1}
    book = definitions.definitions()["A2.1"]
    assert _totals(text) == [str(expected.get(c.key, 0)) for c in book.columns if c.total]


def test_the_tetanus_antenatal_and_death_books(station, tmp_path: Path) -> None:
    flat = _flat(_pdf(station, tmp_path, "A2.2")[1])
    assert "Lò Thị Hoa" in flat and "05/09/2025" in flat and "03/11/2025" in flat
    assert _totals(_pdf(station, tmp_path, "A2.2")[1]) == ["0", "1", "0", "0", "0"], "the 2nd dose is November's"
    a3 = _flat(_pdf(station, tmp_path, "A3")[1])
    # one antenatal visit in November: the 4th of the pregnancy, at 38 weeks
    assert "03/11/2025" in a3 and "10/02/2025" in a3 and "17/11/2025" in a3
    assert re.search(r"Lò Thị Hoa 03/11/2025 27 Bản Mòng 10/02/2025 38 17/11/2025 4 55 110/70 x", a3), a3
    a6 = _flat(_pdf(station, tmp_path, "A6")[1])
    assert a6.index("Đinh Văn Tâm") < a6.index("Lò Văn Pành") < a6.index("Hà Văn Ót")
    assert "Lao phổi A15" in a6 and "Bệnh viện huyện" in a6 and "I64" in a6
    assert "Cộng trang" not in a6, "the death book has no page totals"


def test_print_book_on_the_command_line_and_a1_as_the_visit_book(station, tmp_path: Path, capsys) -> None:
    db = str(station.store.path)
    out = tmp_path / "a4.pdf"
    code = main(["print", "book", "--db", db, "--book", "A4", "--from", "2025-11-01", "--to", "30/11/2025",
                 "--out", str(out)])
    assert code == EXIT_OK and out.exists()
    a1 = tmp_path / "a1.pdf"
    assert main(["print", "book", "--db", db, "--book", "A1", "--from", "2025-11-01", "--to", "2025-11-30",
                 "--out", str(a1)]) == EXIT_OK
    assert "SỔ KHÁM BỆNH" in PdfReader(a1).pages[0].extract_text()
    capsys.readouterr()
    with pytest.raises(SystemExit) as refused:  # argparse names the books it knows, on one line
        main(["print", "book", "--db", db, "--book", "A9", "--from", "2025-11-01", "--to", "2025-11-30",
              "--out", str(out)])
    err = capsys.readouterr().err
    assert refused.value.code == 2 and "A2.1" in err and err.count("\n") == 1
    assert main(["print", "book", "--db", db, "--book", "A4", "--from", "2025-11-30", "--to", "2025-11-01",
                 "--out", str(out)]) != EXIT_OK
    assert capsys.readouterr().err.count("\n") == 1


def test_a_book_wider_than_the_page_is_refused_on_load() -> None:
    with pytest.raises(ValueError, match="wider"):
        definitions.parse({"version": "x", "books": {"A6": {"form": "A6", "title": {"vi": "x"}, "columns": [
            {"key": "a", "title": {"vi": "a"}, "width": 200}, {"key": "b", "title": {"vi": "b"}, "width": 100}]}}})


def test_the_books_are_empty_but_printed_for_a_quiet_period(station, tmp_path: Path) -> None:
    path = render_book(station.store, "A6", dt.date(2024, 1, 1), dt.date(2024, 1, 31), tmp_path / "none.pdf")
    assert "Không có ghi chép nào" in PdfReader(path).pages[0].extract_text()


def test_page_totals_are_per_page_and_the_running_total_runs_across_pages(store, add_patient, tmp_path: Path) -> None:
    from station_app import clock
    from station_app.domain.births import Attendant, Baby, Delivery, Place
    from station_app.store import births

    with clock.pinned(dt.datetime(2025, 11, 28, 12, 0)):
        for number in range(45):
            mother = add_patient(f"Lò Thị Số {chr(65 + number % 26)}{number}", sex="2", birth="1995")
            births.record_delivery(store, Delivery(
                mother.id, dt.datetime(2025, 11, 1, 6, 0) + dt.timedelta(hours=number), Place.FACILITY,
                "Trung tâm Y tế huyện Mường Tè", "Hà Thị Liên", Attendant.HEALTH_STAFF,
                (Baby("2", 2400 if number % 3 == 0 else 3000),)))
        path = render_book(store, "A4", dt.date(2025, 11, 1), dt.date(2025, 11, 30), tmp_path / "a4.pdf")
    pages = [page.extract_text() for page in PdfReader(path).pages]
    assert len(pages) > 1
    per_page = [int(_totals(text)[0]) for text in pages]  # < 2,500 g on each page
    assert sum(per_page) == 15 and all(n > 0 for n in per_page)
    rows = [int(m) for text in pages for m in re.findall(r"Cộng dồn: (\d+) dòng", _flat(text))]
    assert rows[-1] == 45 and rows == sorted(rows)
