"""The referral book PDF, read back with pypdf: A4 landscape, the station's header and the period
on every page, names and places with their diacritics, cancelled slips kept with their reason,
outcomes, user text printed literally, fonts embedded, written atomically."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import unicodedata
from pathlib import Path

from pypdf import PdfReader

from station_app.domain.referral import Referral
from station_app.printing.referral_book import referral_book_bytes, render_referral_book
from station_app.printing.referral_slip import Station

STATION = Station(name="Trạm Y tế xã Tân Phú", governing_body="Ủy ban nhân dân xã Tân Phú")
START, END = dt.date(2026, 11, 1), dt.date(2026, 11, 30)


def slip(seq: int, **changes: object) -> Referral:
    r = Referral(
        seq=seq,
        year=2026,
        book_no=str(seq),
        record_no=f"00{seq:03d}-1",
        patient_name="Nguyễn Thị Hường",
        sex="2",
        birth_year=1958,
        address="Thôn Đồng Lạc, xã Tân Phú",
        insurance_no="HT3757512345678",
        insurance_valid_to=dt.date(2026, 12, 31),
        diagnosis="Tăng huyết áp vô căn",
        icd_main="I10",
        receiving_facility="Bệnh viện Đa khoa tỉnh Phú Thọ",
        reason="1a",
        transfer_at=dt.datetime(2026, 11, 2, 9, 30) + dt.timedelta(days=seq % 25),
    )
    return dataclasses.replace(r, **changes)  # type: ignore[arg-type]


def text_of(data: bytes) -> list[str]:
    """Each page's text, NFC, with a cell's wrapped lines joined by single spaces."""
    reader = PdfReader(io.BytesIO(data))
    return [" ".join(unicodedata.normalize("NFC", page.extract_text()).split()) for page in reader.pages]


def test_the_book_lists_every_slip_with_names_diacritics_and_outcomes() -> None:
    slips = [
        slip(1),
        slip(2, patient_name="Lê Văn Đức", sex="1", outcome="arrived", arrived_on=dt.date(2026, 11, 5)),
        slip(3, patient_name="Hoàng Thị Ngọc Ánh", outcome="feedback", feedback_on=dt.date(2026, 11, 12),
             feedback="Đã mổ ruột thừa, ra viện ổn định"),
        slip(4, patient_name="Phạm Quốc Việt", status="cancelled", cancel_reason="Người bệnh xin ở lại trạm"),
        slip(5, patient_name="Đặng Thu Hà", outcome="not_gone", reason="2"),
    ]
    pages = text_of(referral_book_bytes(slips, STATION, start=START, end=END, printed_on=END))
    text = "\n".join(pages)
    for name in ("Nguyễn Thị Hường", "Lê Văn Đức", "Hoàng Thị Ngọc Ánh", "Phạm Quốc Việt", "Đặng Thu Hà"):
        assert name in text
    assert "SỔ CHUYỂN CƠ SỞ KHÁM BỆNH, CHỮA BỆNH" in text
    assert "TRẠM Y TẾ XÃ TÂN PHÚ" in text and "ỦY BAN NHÂN DÂN XÃ TÂN PHÚ" in text
    assert "Từ ngày 01/11/2026 đến ngày 30/11/2026" in text
    assert "5 phiếu, trong đó 1 phiếu đã hủy" in text
    # the slip number is split over two lines in its narrow column, never cut
    assert "000004/2026/" in text and "PCCSKBCB" in text
    assert "Người bệnh xin ở lại trạm" in text  # a cancelled slip stays, with its reason
    assert "Đã đến nơi" in text and "05/11/2026" in text
    assert "Đã nhận phản hồi" in text and "Đã mổ ruột thừa, ra viện ổn định" in text
    assert "Không đi" in text
    assert "Bệnh viện Đa khoa tỉnh Phú Thọ" in text and "(I10)" in text
    assert "nữ, 1958" in text and "nam, 1958" in text


def test_a4_landscape_fonts_embedded_and_metadata() -> None:
    data = referral_book_bytes([slip(1)], STATION, start=START, end=END)
    reader = PdfReader(io.BytesIO(data))
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (842, 595)
    names = set()
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            names.add(str(font["/BaseFont"]))
            assert "/FontFile2" in font["/FontDescriptor"].get_object(), font["/BaseFont"]
    assert names and not any("Helvetica" in n for n in names), names
    assert reader.metadata.title.startswith("SỔ CHUYỂN CƠ SỞ KHÁM BỆNH, CHỮA BỆNH")
    assert reader.metadata.author == "Trạm Y tế xã Tân Phú"


def test_user_text_is_printed_literally() -> None:
    r = slip(1, patient_name="Trần <b>Thị</b> & Lý", diagnosis="Đau ngực <cấp> & khó thở",
             receiving_facility="Bệnh viện <Tỉnh> & Khu vực")
    text = "\n".join(text_of(referral_book_bytes([r], STATION)))
    assert "Trần <b>Thị</b> & Lý" in text
    assert "Đau ngực <cấp> & khó thở" in text
    assert "Bệnh viện <Tỉnh> & Khu vực" in text
    assert "Tất cả các lần chuyển" in text  # no period: the whole book


def test_abbreviations_are_spelled_out_in_filled_in_text() -> None:
    text = "\n".join(text_of(referral_book_bytes([slip(1, receiving_facility="BVĐK tỉnh")], STATION)))
    assert "Bệnh viện Đa khoa tỉnh" in text and "BVĐK" not in text


def test_a_long_book_runs_over_pages_with_the_header_on_each() -> None:
    slips = [slip(n, patient_name=f"Nguyễn Văn Số {n:02d}") for n in range(1, 61)]
    pages = text_of(referral_book_bytes(slips, STATION, start=START, end=END))
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert "SỔ CHUYỂN CƠ SỞ KHÁM BỆNH, CHỮA BỆNH" in page
        assert "TRẠM Y TẾ XÃ TÂN PHÚ" in page
        assert f"Trang {number}/{len(pages)}" in page
        assert "Số phiếu" in page  # the table's header repeats
    every = "\n".join(pages)
    assert all(f"Nguyễn Văn Số {n:02d}" in every for n in range(1, 61))


def test_an_empty_period_says_so() -> None:
    text = "\n".join(text_of(referral_book_bytes([], STATION, start=START, end=END)))
    assert "Không có lần chuyển nào trong thời gian này." in text
    assert "0 phiếu, trong đó 0 phiếu đã hủy" in text


def test_written_atomically_over_an_old_file(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "so.pdf"
    target.write_bytes(b"old")
    written = render_referral_book([slip(1)], STATION, target, start=START, end=END)
    assert written == target
    assert target.read_bytes().startswith(b"%PDF")
    assert [p.name for p in folder.iterdir()] == ["so.pdf"]
