"""Spreadsheets as stations really keep them, made with openpyxl in the tests: a merged title
above the header, Vietnamese headers, empty rows, identifiers typed as text (leading zeros),
dates as Excel dates, as serial numbers and as text; and a CSV saved by Excel in CP1258."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

REGISTRY_HEADERS = (
    "STT", "Họ và tên", "Giới tính", "Ngày sinh", "Số CCCD", "Số thẻ BHYT", "Điện thoại", "Địa chỉ",
    "Thôn/Xóm", "Dân tộc", "Nghề nghiệp",
)

# (STT, name, sex, birth, citizen ID, card, phone, address, village, ethnic group, occupation)
REGISTRY_ROWS: tuple[tuple[object, ...], ...] = (
    (1, "Nguyễn Thị Hương", "Nữ", dt.datetime(1950, 3, 15), "001150012345", "GD4010123456789", "0912345678",
     "Thôn Đông, xã Tân Phú", "Thôn Đông", "Kinh", "Làm ruộng"),
    (2, "Đặng Văn Đức", "Nam", 18_703, "025062000123", "", "0389123456", "", "Xóm Chùa", "Mường", "Hưu trí"),
    (3, "Lò Thị Mai", "2", "05/11/1988", "", "", "", "", "Bản Mòng", "Thái", ""),
    (4, "Trần Văn An", "M", 1948, "", "", "", "", "Thôn Đông", "01", ""),
)


def to_cp1258(text: str) -> bytes:
    """Text as Excel on a Vietnamese Windows saves it: base letters, separate tone marks."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in parts if c in "\u0300\u0301\u0303\u0309\u0323")
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + tones)
    return "".join(out).encode("cp1258")


def station_workbook(
    path: Path,
    headers: Sequence[str] = REGISTRY_HEADERS,
    rows: Sequence[Sequence[object]] = REGISTRY_ROWS,
    *,
    title: str = "DANH SÁCH BỆNH NHÂN TRẠM Y TẾ XÃ TÂN PHÚ",
    blank_every: int = 2,
    sheet_title: str = "Danh sách",
    extra_sheets: Sequence[str] = ("Ghi chú",),
) -> Path:
    """A workbook laid out like a station's own list: title merged over the width, a subtitle,
    an empty row, the header on row 4, an empty row after every ``blank_every`` data rows.
    Identifier cells are text cells; birth dates mix real dates, serials, text and years."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    width = len(headers)
    sheet.cell(row=1, column=1, value=title)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(row=2, column=1, value="(Cập nhật đến tháng 10/2025)")
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet.append([])  # row 3 stays empty
    for column, header in enumerate(headers, start=1):
        sheet.cell(row=4, column=column, value=header)
    row_no = 5
    for index, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row_no, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
                cell.number_format = "@"
            if isinstance(value, dt.datetime):
                cell.number_format = "DD/MM/YYYY"
        row_no += 1
        if blank_every and index % blank_every == 0:
            row_no += 1  # an empty row between groups
    for name in extra_sheets:
        book.create_sheet(name).append(["Ghi chú: danh sách do trạm lập"])
    book.save(path)
    return path
