"""The referral slip PDF, read back with pypdf: labels in order, Vietnamese text intact, ticked
boxes, pagination, escaping, embedded fonts, page size, metadata and atomic writing."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import io
import re
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from station_app.domain.referral import EarlierTreatment, Referral, load_form
from station_app.printing import pdf as pdf_helpers
from station_app.printing.referral_slip import (
    MARGIN_BOTTOM,
    MARGIN_TOP,
    Station,
    render_referral,
    render_referral_bytes,
)

ROOT = Path(__file__).parents[2]
A4_WIDTH, A4_HEIGHT = 595.28, 841.89

STATION = Station(
    name="Trạm Y tế xã Tân Phú",
    governing_body="UBND xã Tân Phú",
    commune="Tân Phú",
    province="Tỉnh Đồng Nai",
    facility_code="75123",
)


def make_referral(**changes: object) -> Referral:
    referral = Referral(
        seq=27,
        year=2026,
        record_no="TP-2024-00415",
        book_no="27",
        sending_station="Trạm Y tế xã Tân Phú",
        receiving_facility="TTYT huyện Định Quán",
        receiving_facility_code="75010",
        patient_name="Nguyễn Thị Hường",
        sex="2",
        birth_year=1958,
        address="Ấp Ngọc Lâm 3, xã Tân Phú, tỉnh Đồng Nai",
        ethnicity="Kinh",
        occupation="Làm ruộng",
        workplace="Không",
        insurance_no="HT3757512345678",
        insurance_valid_to=dt.date(2026, 12, 31),
        earlier_treatments=[
            EarlierTreatment("TYT xã Tân Phú", dt.date(2024, 3, 12), dt.date(2026, 1, 14))
        ],
        clinical_signs="Đau đầu vùng chẩm, chóng mặt. Huyết áp 170/100 mmHg dù dùng thuốc đều.",
        test_results="Đường máu lúc đói 6,4 mmol/L. Điện tim: nhịp xoang.",
        diagnosis="Tăng huyết áp vô căn, chưa kiểm soát được",
        icd_main="I10",
        icd_extra=["E78.5"],
        procedures="Không",
        treatment="Amlodipin 5 mg × 1 viên/ngày; Losartan 50 mg × 1 viên/ngày.",
        condition="Tỉnh táo, huyết áp 165/100 mmHg.",
        reason="1a",
        direction="Khám chuyên khoa tim mạch, điều chỉnh phác đồ.",
        transfer_at=dt.datetime(2026, 1, 15, 9, 30),
        one_year=True,
        transport="Tự túc",
        clinician_name="Lê Văn Thành",
        signer_name="Phạm Thị Ngọc Ánh",
        signer_title="Trưởng Trạm Y tế",
        signed_on=dt.date(2026, 1, 15),
    )
    return dataclasses.replace(referral, **changes)  # type: ignore[arg-type]


def read(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def flat(text: str) -> str:
    """Extracted text with all white space runs made one space (wrapped lines join up)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def all_text(reader: PdfReader) -> str:
    return flat(" ".join(page.extract_text() for page in reader.pages))


@dataclasses.dataclass(frozen=True)
class Chunk:
    text: str
    x: float
    y: float
    size: float
    font: str


def chunks(page) -> list[Chunk]:
    """Every text-showing operation of a page with its position (reportlab uses no cm)."""
    found: list[Chunk] = []

    def visit(text, cm, tm, font, size) -> None:
        if text.strip():
            x = tm[4] * cm[0] + cm[4]
            y = tm[5] * cm[3] + cm[5]
            name = str(font.get("/BaseFont", "")) if font else ""
            found.append(Chunk(text.strip(), x, y, size * tm[0], name))

    page.extract_text(visitor_text=visit)
    return found


def printed_labels_in_order() -> list[str]:
    """Every fixed text of the form, in the order it is printed."""
    form = load_form()
    header = form.header
    sig = form.signatures
    return [
        header["number_label"],
        *header["motto"],
        header["record_label"],
        header["book_label"],
        form.title,
        *form.labels.values(),
        sig["clinician"]["heading"],
        sig["clinician"]["note"],
        sig["representative"]["heading"],
        sig["representative"]["note"],
        form.footnotes["heading"],
        *form.footnotes["items"],
    ]


def assert_in_order(text: str, needles: list[str]) -> None:
    position = 0
    for needle in needles:
        found = text.find(flat(needle), position)
        assert found >= 0, (
            f"{needle!r} missing after position {position}: …{text[position : position + 80]}…"
        )
        position = found + len(flat(needle))


# -- content ----------------------------------------------------------------------------------


def test_every_label_in_order_on_one_page() -> None:
    reader = read(render_referral_bytes(make_referral(), STATION))
    assert len(reader.pages) == 1
    assert_in_order(all_text(reader), printed_labels_in_order())


def test_blank_slip_still_prints_every_label_with_dotted_leaders() -> None:
    reader = read(render_referral_bytes(Referral(), {"name": "Trạm Y tế xã Tân Phú"}))
    text = all_text(reader)
    assert len(reader.pages) == 1
    assert_in_order(text, printed_labels_in_order())
    assert re.search(r"Địa chỉ: \.{20,}", text)
    assert "..../..../........" in text  # blank card date
    assert "…… giờ …… phút, ngày …… tháng …… năm ……" in text


def test_patient_text_with_diacritics_and_number() -> None:
    text = all_text(read(render_referral_bytes(make_referral(), STATION)))
    for expected in (
        "Nguyễn Thị Hường",
        "Ấp Ngọc Lâm 3, xã Tân Phú, tỉnh Đồng Nai",
        "Tăng huyết áp vô căn, chưa kiểm soát được (ICD-10: I10; E78.5)",
        "Số: 000027/2026/PCCSKBCB",
        "Số hồ sơ: TP-2024-00415",
        "HT3757512345678",
        "Giới tính: Nữ",
        "Năm sinh: 1958",
        "từ ngày 12/03/2024 đến ngày 14/01/2026",
        "hồi: 09 giờ 30 phút, ngày 15 tháng 01 năm 2026",
        "Tân Phú, ngày 15 tháng 01 năm 2026",
        "Lê Văn Thành",
        "Phạm Thị Ngọc Ánh",
    ):
        assert flat(expected) in text, expected


def test_abbreviations_spelled_out_in_filled_text_only() -> None:
    text = all_text(read(render_referral_bytes(make_referral(), STATION)))
    assert "Kính gửi: Trung tâm Y tế huyện Định Quán" in text
    assert "+ Tại: Trạm Y tế xã Tân Phú" in text
    assert "ỦY BAN NHÂN DÂN XÃ TÂN PHÚ" in text
    assert not re.search(r"\b(TTYT|TYT|BHYT|UBND)\b", text)
    assert "PCCSKBCB" in text  # the number is an identifier, left alone


def test_markup_in_user_text_prints_literally() -> None:
    referral = make_referral(diagnosis="Suy tim <b>& phù</b> > 2 tuần", address="A & B <i>")
    text = all_text(read(render_referral_bytes(referral, STATION)))
    assert "Suy tim <b>& phù</b> > 2 tuần" in text
    assert "A & B <i>" in text


# -- tick boxes -------------------------------------------------------------------------------


def ticked_labels(reader: PdfReader) -> set[str]:
    """The box labels whose line carries a tick ("X" drawn alone, right of the label)."""
    form = load_form()
    keys = ("insurance_expired", "insurance_undetermined", "reason_1a", "reason_1b", "yes", "no")
    found = chunks(reader.pages[0])
    ticks = [c for c in found if c.text == "X"]
    ticked = set()
    for key in keys:
        label = next(c for c in found if c.text == form.label(key))
        # the nearest tick to the right of the label on its baseline, before any other label
        others = [
            c.x
            for c in found
            if c is not label and abs(c.y - label.y) < 2 and c.x > label.x and c.text != "X"
        ]
        limit = min(others, default=A4_WIDTH)
        if any(abs(t.y - label.y) < 2 and label.x < t.x < limit for t in ticks):
            ticked.add(key)
    return ticked


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"reason": "1a", "one_year": True}, {"reason_1a", "yes"}),
        ({"reason": "1b", "one_year": False}, {"reason_1b", "no"}),
        ({"reason": "2", "one_year": False}, {"no"}),
        ({"reason": "1b", "insurance_expired": True}, {"reason_1b", "insurance_expired", "yes"}),
        ({"reason": None, "insurance_validity_unknown": True}, {"insurance_undetermined", "yes"}),
        ({"reason": None, "one_year": None}, set()),
    ],
)
def test_only_the_chosen_boxes_are_ticked(changes: dict[str, object], expected: set[str]) -> None:
    reader = read(render_referral_bytes(make_referral(**changes), STATION))
    assert ticked_labels(reader) == expected


def test_six_boxes_are_drawn() -> None:
    page = read(render_referral_bytes(make_referral(), STATION)).pages[0]
    content = page.get_contents().get_data().decode("latin-1")
    assert len(re.findall(r"\bre\b", content)) == 6


# -- long texts -------------------------------------------------------------------------------

SENTENCE = "Đau ngực trái lan lên vai, khó thở khi gắng sức, phù nhẹ hai chi dưới; đã dùng thuốc."


def body_sizes(reader: PdfReader) -> set[float]:
    form = load_form()
    return {
        round(c.size, 1)
        for page in reader.pages
        for c in chunks(page)
        if c.text.startswith(form.label("address"))
    }


def test_longer_text_shrinks_the_font_and_stays_on_one_page() -> None:
    referral = make_referral(clinical_signs=" ".join([SENTENCE] * 4), test_results=SENTENCE * 2)
    reader = read(render_referral_bytes(referral, STATION))
    assert len(reader.pages) == 1
    (size,) = body_sizes(reader)
    assert 9 <= size < 12
    assert_in_order(all_text(reader), printed_labels_in_order())


@pytest.mark.parametrize("repeat", [22, 60])
def test_very_long_text_continues_on_later_pages_with_a_header(repeat: int) -> None:
    long = " ".join([SENTENCE] * repeat)
    referral = make_referral(clinical_signs=long, treatment=long, diagnosis="Suy tim " + "x" * 150)
    reader = read(render_referral_bytes(referral, STATION))
    pages = len(reader.pages)
    assert pages >= 2
    text = all_text(reader)
    assert_in_order(text, printed_labels_in_order())
    # the text flows on across pages once the repeated header and the page numbers are left out
    body = []
    for number, page in enumerate(reader.pages, start=1):
        lines = page.extract_text().splitlines()
        lines = lines[3:] if number > 1 else lines
        body += [line for line in lines if not re.fullmatch(rf"\s*trang {number}/{pages}\s*", line)]
    body_text = flat("\n".join(body))
    assert body_text.count(SENTENCE) == 2 * repeat  # nothing clipped
    assert "x" * 150 in body_text.replace(" ", "")
    first = flat(reader.pages[0].extract_text())
    assert f"trang 1/{pages}" in first
    for number in range(2, pages + 1):
        page_text = flat(reader.pages[number - 1].extract_text())
        head = page_text[:250]
        assert "TRẠM Y TẾ XÃ TÂN PHÚ" in head
        assert "000027/2026/PCCSKBCB" in head
        assert "Nguyễn Thị Hường" in head
        assert f"trang {number}/{pages}" in head
    for page in reader.pages:  # nothing drawn in the margins or off the page
        for chunk in chunks(page):
            assert MARGIN_BOTTOM * 0.4 < chunk.y < A4_HEIGHT - MARGIN_TOP * 0.9, chunk
            assert 0 < chunk.x < A4_WIDTH


def test_a_word_wider_than_the_line_is_broken_not_clipped() -> None:
    word = "A" * 400
    reader = read(render_referral_bytes(make_referral(direction=word), STATION))
    assert word in all_text(reader).replace(" ", "")


# -- the PDF itself ---------------------------------------------------------------------------


def test_page_size_is_a4_portrait() -> None:
    reader = read(render_referral_bytes(make_referral(), STATION))
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(A4_WIDTH, abs=0.01)
    assert float(box.height) == pytest.approx(A4_HEIGHT, abs=0.01)


def test_every_font_is_embedded() -> None:
    long = " ".join([SENTENCE] * 14)
    reader = read(render_referral_bytes(make_referral(clinical_signs=long), STATION))
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, font["/BaseFont"]
            assert "/ToUnicode" in font
            names.add(str(font["/BaseFont"]).split("+")[-1])
    assert {"LiberationSerif", "LiberationSerif-Bold", "NotoSans-Bold"} <= names


def test_metadata() -> None:
    reader = read(render_referral_bytes(make_referral(), STATION))
    meta = reader.metadata
    assert meta is not None
    assert meta.title == (
        "Phiếu chuyển cơ sở khám bệnh, chữa bệnh bảo hiểm y tế – 000027/2026/PCCSKBCB"
    )
    assert meta.author == "Trạm Y tế xã Tân Phú"


def test_station_as_mapping_or_object() -> None:
    as_mapping = {"name": "Trạm Y tế xã Phú Lợi", "governing_body": "Sở Y tế tỉnh Đồng Nai"}
    referral = make_referral(sending_station="")
    text = all_text(read(render_referral_bytes(referral, as_mapping)))
    assert "TRẠM Y TẾ XÃ PHÚ LỢI" in text
    assert "SỞ Y TẾ TỈNH ĐỒNG NAI" in text
    assert "Ngày 15 tháng 01 năm 2026" in text  # no commune: no place before the date


def test_cancelled_slip_is_marked() -> None:
    referral = make_referral(status="cancelled", cancel_reason="Ghi nhầm người bệnh")
    assert "ĐÃ HỦY" in all_text(read(render_referral_bytes(referral, STATION)))
    assert "ĐÃ HỦY" not in all_text(read(render_referral_bytes(make_referral(), STATION)))


# -- writing the file -------------------------------------------------------------------------


def test_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "phieu.pdf"
    target.write_bytes(b"old content")
    result = render_referral(make_referral(), STATION, target)
    assert result == target
    assert target.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in tmp_path.iterdir()] == ["phieu.pdf"]  # no temporary file left
    assert "Nguyễn Thị Hường" in all_text(PdfReader(target))


def test_creates_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "2026" / "01" / "phieu.pdf"
    render_referral(make_referral(), STATION, target)
    assert target.read_bytes().startswith(b"%PDF-")


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "phieu.pdf"
    target.write_bytes(b"old content")

    def refuse(self: Path, other: object) -> Path:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        render_referral(make_referral(), STATION, target)
    assert target.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["phieu.pdf"]


def test_markup_text_helper() -> None:
    assert (
        pdf_helpers.markup_text("a < b & <b>c</b>\nd")
        == "a &lt; b &amp; &lt;b&gt;c&lt;/b&gt;<br/>d"
    )


# -- layers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [
        "station_app/domain/referral.py",
        "station_app/printing/fonts.py",
        "station_app/printing/pdf.py",
        "station_app/printing/referral_slip.py",
    ],
)
def test_no_qt_and_no_sql(module: str) -> None:
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"PySide6", "PyQt6", "sqlite3", "sqlite_utils"}
