"""The station's books A2.1, A2.2, A3, A4 and A6 for any period, printed from the records (A1 is
``visit_book``): A4 landscape, the columns of ``resources/data/books.json`` in their order, row
numbers running across pages, and a page-total row under each page where the book has totals
(filled cells, or dates within the period). Noto Sans embedded; written atomically; audited.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth

from station_app import APP_NAME, __version__, i18n
from station_app.domain import books as definitions
from station_app.domain.accounts import Permission
from station_app.domain.dates import PartialDate
from station_app.files import write_atomic
from station_app.i18n import N_, tr
from station_app.printing import fonts
from station_app.printing.monthly_report import NumberedCanvas
from station_app.printing.pdf import draw_book_heading, draw_table_row, set_metadata
from station_app.store import Store, audit
from station_app.store import books as book_rows
from station_app.store.station import load_profile

PAGE = landscape(A4)
MARGIN = 12 * mm
SIZE = 7.2
LEADING = SIZE * 1.2
PAD = 1.2 * mm
MAX_LINES = 5
GREY = colors.Color(0.35, 0.35, 0.35)
HEAD_BG = colors.Color(0.92, 0.93, 0.96)
RANGE = N_("From {start} to {end}")
PAGE_TOTAL = N_("Page total")
RUNNING_TOTAL = N_("Total to date: {rows} rows")
NOTHING = N_("Nothing recorded in this period.")
UNVERIFIED = N_("Columns as in Trạm's data {version} (not yet checked against the printed book).")


SHORT_DATE_BELOW_MM = 15  # a narrower column shows dates as dd/mm/yy


def _text(value: Any, width_mm: float = 99) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%H:%M %d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%y" if width_mm < SHORT_DATE_BELOW_MM else "%d/%m/%Y")
    if isinstance(value, PartialDate):
        return value.display()
    return str(value)


class _Book:
    def __init__(self, canvas: NumberedCanvas, book: definitions.BookDefinition, station: str, period: str,
                 start: dt.date, end: dt.date) -> None:
        self.c = canvas
        self.book = book
        self.station = station
        self.period = period
        self.start, self.end = start, end
        self.lang = i18n.language()
        self.font = fonts.face(fonts.SANS)
        self.bold = fonts.face(fonts.SANS, bold=True)
        self.widths = [col.width * mm for col in book.columns]
        self.width = sum(self.widths)
        self.bottom = MARGIN + 10 * mm
        self.y = 0.0
        self.number = 0
        self.started = False
        self.table_top = 0.0
        self.totals = self._zero()

    def _zero(self) -> dict[str, int]:
        return {col.key: 0 for col in self.book.columns if col.total}

    def _wrap(self, text: str, width: float, font: str) -> list[str]:
        if "\n" not in text and stringWidth(text, font, SIZE) <= width - 2 * PAD:
            return [text]
        room = width - 2 * PAD
        lines: list[str] = []
        for part in text.splitlines() or [""]:
            for line in simpleSplit(part, font, SIZE, room) or [""]:
                # a word wider than the column (DPT-VGB-Hib) is cut where it reaches the edge (it may
                # use the cell's padding first)
                edge = width - 0.4 * mm
                while stringWidth(line, font, SIZE) > edge and len(line) > 1:
                    cut = max(n for n in range(1, len(line)) if stringWidth(line[:n], font, SIZE) <= edge or n == 1)
                    lines.append(line[:cut])
                    line = line[cut:]
                lines.append(line)
        if len(lines) > MAX_LINES:
            lines = [*lines[: MAX_LINES - 1], lines[MAX_LINES - 1].rstrip() + "…"]
        return lines

    def _height(self, texts: list[str], font: str) -> tuple[list[list[str]], float]:
        wrapped = [self._wrap(t, w, font) if t else [] for t, w in zip(texts, self.widths, strict=True)]
        return wrapped, max(max(len(w) for w in wrapped), 1) * LEADING + 2 * PAD

    def _draw(self, wrapped: list[list[str]], height: float, font: str, fill: colors.Color | None = None) -> None:
        draw_table_row(self.c, wrapped, self.widths, left=MARGIN, top=self.y, height=height, font=font, size=SIZE,
                       leading=LEADING, pad=PAD, fill=fill)
        self.y -= height

    def _header(self) -> None:
        self.y = draw_book_heading(self.c, PAGE, MARGIN, station=self.station,
                                   title=self.book.title.get(self.lang) or self.book.title["vi"],
                                   period=self.period, form=self.book.form, font=self.font, bold=self.bold)
        self.table_top = self.y
        self.c.setStrokeColor(GREY)
        self.c.setLineWidth(0.35)
        wrapped, height_ = self._height([col.heading(self.lang) for col in self.book.columns], self.bold)
        self._draw(wrapped, height_, self.bold, HEAD_BG)

    def _footer(self) -> None:
        if self.book.has_totals:
            cells = [tr(PAGE_TOTAL) if i == 0 else (str(self.totals[col.key]) if col.total else "")
                     for i, col in enumerate(self.book.columns)]
            wrapped, height = self._height(cells, self.bold)
            self._draw(wrapped, height, self.bold, HEAD_BG)
        # column lines and the outline of the page's table
        self.c.setStrokeColor(GREY)
        x = MARGIN
        for w in (0, *self.widths):
            x += w
            self.c.line(x, self.table_top, x, self.y)
        self.c.line(MARGIN, self.table_top, MARGIN + self.width, self.table_top)
        self.c.setFont(self.font, 8)
        self.c.drawRightString(MARGIN + self.width, self.y - 4 * mm, tr(RUNNING_TOTAL).format(rows=self.number))
        if not self.book.verified:
            self.c.setFillColor(GREY)
            self.c.drawString(MARGIN, self.y - 4 * mm, tr(UNVERIFIED).format(version=self.book.version))
            self.c.setFillColor(colors.black)
        self.totals = self._zero()

    def new_page(self) -> None:
        if self.started:
            self._footer()
            self.c.showPage()
        self.started = True
        self._header()

    def row(self, values: dict[str, Any]) -> None:
        cells = [str(self.number + 1) if col.key == "no" else _text(values.get(col.key), col.width)
                 for col in self.book.columns]
        wrapped, height = self._height(cells, self.font)
        reserve = (LEADING + 2 * PAD) if self.book.has_totals else 0
        if self.y - height - reserve < self.bottom:
            self.new_page()
        self._draw(wrapped, height, self.font)
        self.number += 1
        for col in self.book.columns:
            value = values.get(col.key)
            if col.total == "count" and value not in (None, ""):
                self.totals[col.key] += 1
            elif col.total == "count_period" and isinstance(value, dt.date):
                day = value.date() if isinstance(value, dt.datetime) else value
                self.totals[col.key] += int(self.start <= day <= self.end)

    def finish(self) -> None:
        self._footer()
        if not self.number:  # under the empty table, clear of its column lines
            self.c.setFont(self.font, 10)
            self.c.drawString(MARGIN, self.y - 12 * mm, tr(NOTHING))
        self.c.showPage()


def book_bytes(store: Store, code: str, start: dt.date, end: dt.date) -> bytes:
    book = definitions.definitions()[code]
    fonts.register_fonts()
    profile = load_profile(store)
    period = tr(RANGE).format(start=start.strftime("%d/%m/%Y"), end=end.strftime("%d/%m/%Y"))
    buffer = io.BytesIO()
    canvas = NumberedCanvas(buffer, pagesize=PAGE, pageCompression=1, footer=f"{APP_NAME} {__version__}",
                            page_size=PAGE, margin=MARGIN)
    title = book.title.get(i18n.language()) or book.title["vi"]
    set_metadata(canvas, title=f"{title} — {period}", author=profile.name or APP_NAME, subject=book.form)
    printer = _Book(canvas, book, profile.name, period, start, end)
    printer.new_page()
    for values in book_rows.rows(store, code, start, end):
        printer.row(values)
    printer.finish()
    canvas.save()
    return buffer.getvalue()


def render_book(store: Store, code: str, start: dt.date, end: dt.date, path: str | os.PathLike[str]) -> Path:
    """Write book ``code`` (A1 … A6) for ``start``…``end`` to ``path`` atomically; audited."""
    store.require(Permission.PRINT)
    if code == "A1":  # (the visit book writes its own audit entry)
        from station_app.printing.visit_book import render_visit_book

        return render_visit_book(store, start, end, path)
    target = write_atomic(path, book_bytes(store, code, start, end))
    audit.record_output(store, Permission.PRINT, audit.PRINT, ("book", code),
                        {"document": code, "start": start.isoformat(), "end": end.isoformat()})
    return target
