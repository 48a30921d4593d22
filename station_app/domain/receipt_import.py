"""A delivery note from the district (CSV or XLSX) read as receipt lines.

Columns, by English key or Vietnamese header (accents and case ignored): ``drug`` (the
formulary code; "Mã thuốc"), ``lot`` ("Số lô"), ``expiry`` ("Hạn dùng"), ``quantity`` ("Số
lượng"), ``unit_price`` ("Đơn giá"), ``received_on`` ("Ngày nhập"), ``supplier`` ("Nhà cung
cấp", "Đơn vị cấp"). The header row may sit under title rows; empty rows are skipped. Every row
is checked first; any problem refuses the whole file with the rows named.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

from station_app.domain.medicines import ReceiptLine
from station_app.domain.patient_import import ImportFormatError
from station_app.domain.spreadsheet import cell_text, is_empty, open_book, serial_date
from station_app.domain.text import fold
from station_app.i18n import N_, translate

FIELDS = ("drug", "lot", "expiry", "quantity", "unit_price", "received_on", "supplier")
REQUIRED = ("drug", "lot", "expiry", "quantity")
ALIASES = {
    "drug": ("drug", "ma thuoc", "ma", "code", "thuoc"),
    "lot": ("lot", "so lo", "lo", "lo san xuat"),
    "expiry": ("expiry", "han dung", "han su dung", "hsd"),
    "quantity": ("quantity", "so luong", "sl"),
    "unit_price": ("unit_price", "unit price", "don gia", "gia"),
    "received_on": ("received_on", "ngay nhap", "ngay"),
    "supplier": ("supplier", "nha cung cap", "don vi cap", "noi cap"),
}
FIELD_NAMES = {
    "drug": N_("drug"),
    "lot": N_("lot"),
    "expiry": N_("expiry"),
    "quantity": N_("quantity"),
    "unit_price": N_("unit price"),
    "received_on": N_("date received"),
    "supplier": N_("supplier"),
}


class ReceiptFileError(ValueError):
    """The file is refused; ``text()`` says why (each bad row with its number)."""

    def __init__(self, message: str, rows: Sequence[tuple[int, str, dict[str, object]]] = (), **params: object):
        self.message = message
        self.rows = list(rows)
        self.params = params
        super().__init__(self.text("en"))

    def text(self, lang: str | None = None) -> str:
        head = translate(self.message, lang).format(**self.params)
        parts = [
            translate(N_("row {row}: {problem}"), lang).format(
                row=row, problem=translate(message, lang).format(**params)
            )
            for row, message, params in self.rows
        ]
        return " ".join([head, "; ".join(parts)]).strip()


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9_ ]", " ", fold(text)).split())


def _field(header: str) -> str | None:
    key = _key(header)
    for name, aliases in ALIASES.items():
        if key in aliases:
            return name
    return None


def parse_day(value: object) -> dt.date | None:
    """A date cell: a real date, an Excel serial, or text dd/mm/yyyy, yyyy-mm-dd or mm/yyyy
    (an expiry written as a month is the month's last day)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return serial_date(float(value))
    text = cell_text(value)
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text):
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
        if m := re.fullmatch(r"(\d{1,2})[/.-](\d{4})", text):
            month, year = int(m[1]), int(m[2])
            return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    except ValueError:
        return None
    return None


def parse_number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = cell_text(value).replace(" ", "")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", text):  # 1.200,5 (Vietnamese grouping)
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def read_receipt(path: Path, today: dt.date) -> tuple[dt.date, str, list[ReceiptLine]]:
    """(date received, supplier, lines) of a delivery note; ``ReceiptFileError`` when it cannot be read."""
    if not path.exists():
        raise ReceiptFileError(N_("There is no file {path}."), path=str(path))
    try:
        rows = list(open_book(path).rows(0))
    except ImportFormatError as exc:
        raise ReceiptFileError(exc.message, (), **exc.params) from None
    except OSError as exc:
        raise ReceiptFileError(N_("Could not read {path}: {reason}"), path=str(path), reason=str(exc)) from None
    header_at, mapping = None, {}
    for index, cells in enumerate(rows[:30]):
        found = {col: name for col, cell in enumerate(cells) if (name := _field(cell_text(cell)))}
        if {"drug", "quantity"} <= set(found.values()):
            header_at, mapping = index, found
            break
    if header_at is None:
        raise ReceiptFileError(N_("No header row with the columns drug, lot, expiry and quantity was found."))
    missing = [FIELD_NAMES[f] for f in REQUIRED if f not in mapping.values()]
    if missing:
        raise ReceiptFileError(N_("The column {names} is missing."), names=", ".join(translate(m) for m in missing))
    lines: list[ReceiptLine] = []
    problems: list[tuple[int, str, dict[str, object]]] = []
    dates: set[dt.date] = set()
    suppliers: set[str] = set()
    for index, cells in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if all(is_empty(c) for c in cells):
            continue
        values = {name: cells[col] if col < len(cells) else None for col, name in mapping.items()}
        code = cell_text(values.get("drug")).upper()
        expiry = parse_day(values.get("expiry"))
        quantity = parse_number(values.get("quantity"))
        price = parse_number(values.get("unit_price")) if not is_empty(values.get("unit_price")) else 0.0
        if not code:
            problems.append((index, N_("the drug code is empty."), {}))
        if expiry is None:
            problems.append(
                (index, N_("the expiry {value} is not a date."), {"value": cell_text(values.get("expiry"))})
            )
        if quantity is None:
            problems.append(
                (index, N_("the quantity {value} is not a number."), {"value": cell_text(values.get("quantity"))})
            )
        if price is None:
            problems.append(
                (index, N_("the unit price {value} is not a number."), {"value": cell_text(values.get("unit_price"))})
            )
        if not is_empty(values.get("received_on")):
            day = parse_day(values.get("received_on"))
            if day is None:
                problems.append(
                    (
                        index,
                        N_("the date received {value} is not a date."),
                        {"value": cell_text(values.get("received_on"))},
                    )
                )
            else:
                dates.add(day)
        if not is_empty(values.get("supplier")):
            suppliers.add(cell_text(values.get("supplier")))
        if code and expiry and quantity is not None and price is not None:
            lines.append(ReceiptLine(code, cell_text(values.get("lot")), expiry, quantity, price, row=index))
    if problems:
        raise ReceiptFileError(N_("The delivery note was not entered:"), problems)
    if not lines:
        raise ReceiptFileError(N_("The delivery note has no lines."))
    if len(dates) > 1:
        raise ReceiptFileError(N_("The delivery note has more than one date received: enter one delivery at a time."))
    received_on = dates.pop() if dates else today
    if received_on > today:
        raise ReceiptFileError(N_("The date received {date} is in the future."), date=received_on.strftime("%d/%m/%Y"))
    return received_on, "; ".join(sorted(suppliers)), lines
