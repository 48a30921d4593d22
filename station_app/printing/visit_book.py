"""The visit book (Sổ khám bệnh, A1/CSYT) for any date range, printed from the visit log.

Landscape A4, the A1 columns in their order: STT, họ tên, giới tính, ngày sinh, giấy tờ tùy thân,
số thẻ BHYT, địa chỉ, dân tộc, nghề nghiệp, triệu chứng, chẩn đoán, phương pháp điều trị, y bác sĩ
khám, ghi chú. The visit date heads each day's rows and a referral is noted in "ghi chú" (whether
the paper book has separate columns for them is unverified). Row numbers run across pages; each
page ends with its totals (visits, insured, referred) and the running total.

Rows are laid out directly on the canvas (text wrapped with ``simpleSplit``), so a month of a
busy station prints in seconds. Written atomically.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth

from station_app import APP_NAME, __version__
from station_app.domain.accounts import Permission
from station_app.domain.dates import PartialDate
from station_app.domain.identifiers import SEX_CODES, ethnic_groups
from station_app.files import write_atomic
from station_app.i18n import N_, tr
from station_app.printing import fonts
from station_app.printing.monthly_report import NumberedCanvas
from station_app.printing.pdf import draw_book_heading, draw_table_row, set_metadata
from station_app.store import visits
from station_app.store.database import Row, Store
from station_app.store.station import load_profile

PAGE = landscape(A4)
MARGIN = 12 * mm
SIZE = 7.2
LEADING = SIZE * 1.2
PAD = 1.2 * mm
MAX_LINES = 6
GREY = colors.Color(0.35, 0.35, 0.35)
DAY_BG = colors.Color(0.92, 0.93, 0.96)

# The A1 columns in order: (key, header, width in mm); 273 mm between the margins.
COLUMNS = (
    ("no", N_("Row no."), 9),
    ("name", N_("Full name"), 28),
    ("sex", N_("Sex"), 8),
    ("birth", N_("Date of birth"), 16),
    ("id", N_("Identity document"), 19),
    ("insurance", N_("Insurance card no."), 24),
    ("address", N_("Address"), 26),
    ("ethnicity", N_("Ethnic group"), 11),
    ("occupation", N_("Occupation"), 15),
    ("symptoms", N_("Symptoms"), 24),
    ("diagnosis", N_("Diagnosis"), 27),
    ("treatment", N_("Treatment method"), 34),
    ("clinician", N_("Clinician who examined"), 18),
    ("notes", N_("Notes"), 14),
)
TITLE = N_("VISIT BOOK")
RANGE = N_("From {start} to {end}")
DAY = N_("Day {date}")
PAGE_TOTAL = N_("Page total: {visits} visits · insured {insured} · referred {referred}")
RUNNING_TOTAL = N_("Running total: {visits} visits")
REFERRED = N_("Referred")
NO_VISITS = N_("No visits in this period.")


@dataclass(frozen=True)
class BookRow:
    visit_id: int
    day: dt.date
    cells: dict[str, str]
    insured: bool
    referred: bool


def _birth(row: Row) -> str:
    if not row["birth_year"]:
        return ""
    return PartialDate(int(row["birth_year"]), row["birth_month"], row["birth_day"],
                       bool(row["birth_estimated"])).display()


def book_rows(store: Store, start: dt.date, end: dt.date) -> Iterator[BookRow]:
    """The visits of ``start``…``end`` (inclusive) in book order, as the book's cells."""
    groups = ethnic_groups()
    ids = visits.log_ids(store, visits.LogFilter(start, end))
    for first in range(0, len(ids), 500):
        chunk = ids[first : first + 500]
        rows = visits.log_rows(store, chunk)
        for visit_id in chunk:
            r = rows[visit_id]
            at = dt.datetime.fromisoformat(str(r["visit_at"]))
            address, village = str(r["address"] or ""), str(r["village"] or "")
            if village and village not in address:
                address = f"{address}, {village}" if address else village
            diagnosis = " ".join(str(p) for p in (r["diagnosis_code"], r["diagnosis_text"]) if p)
            group = groups.get(str(r["ethnicity"]))
            notes = [str(r["notes"] or "")]
            if r["referred"]:
                notes.insert(0, tr(REFERRED))
            yield BookRow(
                visit_id=visit_id,
                day=at.date(),
                cells={
                    "name": str(r["full_name"]),
                    "sex": tr(SEX_CODES.get(str(r["sex"]), "")),
                    "birth": _birth(r),
                    "id": str(r["citizen_id"] or ""),
                    "insurance": str(r["insurance_no"] or ""),
                    "address": address,
                    "ethnicity": group.name if group else str(r["ethnicity"] or ""),
                    "occupation": str(r["occupation"] or ""),
                    "symptoms": str(r["complaint"] or ""),
                    "diagnosis": diagnosis,
                    "treatment": str(r["treatment"] or ""),
                    "clinician": str(r["clinician_name"] or ""),
                    "notes": "; ".join(n for n in notes if n),
                },
                insured=bool(r["insurance_paid"]),
                referred=bool(r["referred"]),
            )


class _Book:
    def __init__(self, canvas: NumberedCanvas, station: str, period: str) -> None:
        self.c = canvas
        self.station = station
        self.period = period
        self.font = fonts.face(fonts.SANS)
        self.bold = fonts.face(fonts.SANS, bold=True)
        self.widths = [w * mm for _, _, w in COLUMNS]
        self.width = sum(self.widths)
        self.bottom = MARGIN + 12 * mm  # room for the page totals
        self.y = 0.0
        self.number = 0
        self.page = {"visits": 0, "insured": 0, "referred": 0}
        self.started = False
        self.table_top: float | None = None
        self.gaps: list[tuple[float, float]] = []

    def _wrap(self, text: str, width: float, font: str) -> list[str]:
        if "\n" not in text and stringWidth(text, font, SIZE) <= width - 2 * PAD:
            return [text]
        lines: list[str] = []
        for part in text.splitlines() or [""]:
            lines += simpleSplit(part, font, SIZE, width - 2 * PAD) or [""]
        if len(lines) > MAX_LINES:
            lines = [*lines[: MAX_LINES - 1], lines[MAX_LINES - 1].rstrip() + "…"]
        return lines

    def _row(self, texts: list[str], font: str, fill: colors.Color | None = None) -> None:
        wrapped = [self._wrap(t, w, font) if t else [] for t, w in zip(texts, self.widths, strict=True)]
        height = max(max(len(w) for w in wrapped), 1) * LEADING + 2 * PAD
        if self.y - height < self.bottom:
            self.new_page()
        draw_table_row(self.c, wrapped, self.widths, left=MARGIN, top=self.y, height=height, font=font, size=SIZE,
                       leading=LEADING, pad=PAD, fill=fill)
        self.y -= height

    def _grid(self) -> None:
        """The outline and the column lines of the page's table, drawn once per page; a day's
        heading spans the whole width."""
        if self.table_top is None:
            return
        self.c.setStrokeColor(GREY)
        self.c.setLineWidth(0.35)
        spans, top = [], self.table_top
        for gap_top, gap_bottom in self.gaps:
            spans.append((top, gap_top))
            top = gap_bottom
        spans.append((top, self.y))
        x = MARGIN
        for number, width in enumerate((0, *self.widths)):
            x += width
            outer = number in (0, len(self.widths))
            for start, stop in [(self.table_top, self.y)] if outer else spans:
                if start > stop:
                    self.c.line(x, start, x, stop)
        self.c.line(MARGIN, self.table_top, MARGIN + self.width, self.table_top)
        self.gaps = []

    def _header(self) -> None:
        self.y = draw_book_heading(self.c, PAGE, MARGIN, station=self.station, title=tr(TITLE), period=self.period,
                                   form="A1/CSYT", font=self.font, bold=self.bold)
        self.table_top = self.y
        self.c.setStrokeColor(GREY)
        self.c.setLineWidth(0.35)
        self._row([tr(title) for _, title, _ in COLUMNS], self.bold, DAY_BG)

    def _totals(self) -> None:
        self._grid()
        self.c.setFillColor(colors.black)
        self.c.setFont(self.bold, 8)
        self.c.drawString(MARGIN, self.bottom - 5 * mm, tr(PAGE_TOTAL).format(**self.page))
        self.c.setFont(self.font, 8)
        self.c.drawRightString(MARGIN + self.width, self.bottom - 5 * mm,
                               tr(RUNNING_TOTAL).format(visits=self.number))
        self.page = {"visits": 0, "insured": 0, "referred": 0}

    def new_page(self) -> None:
        if self.started:
            self._totals()
            self.c.showPage()
        self.started = True
        self._header()

    def day(self, day: dt.date) -> None:
        if self.y - (2 * LEADING + 4 * PAD) < self.bottom:
            self.new_page()
        text = tr(DAY).format(date=day.strftime("%d/%m/%Y"))
        height = LEADING + 2 * PAD
        self.c.setFillColor(colors.black)
        self.c.setFont(self.bold, SIZE + 0.5)
        self.c.drawString(MARGIN + PAD, self.y - PAD - SIZE + 1, text)
        self.c.line(MARGIN, self.y - height, MARGIN + self.width, self.y - height)
        self.gaps.append((self.y, self.y - height))
        self.y -= height

    def visit(self, row: BookRow) -> None:
        self._row([str(self.number + 1)] + [row.cells[key] for key, _, _ in COLUMNS[1:]], self.font)
        self.number += 1
        self.page["visits"] += 1
        self.page["insured"] += int(row.insured)
        self.page["referred"] += int(row.referred)

    def finish(self) -> None:
        if not self.number:
            self.c.setFont(self.font, 10)
            self.c.drawString(MARGIN, self.y - 8 * mm, tr(NO_VISITS))
        self._totals()
        self.c.showPage()


def visit_book_bytes(store: Store, start: dt.date, end: dt.date,
                     progress: Callable[[int, int], None] | None = None) -> bytes:
    fonts.register_fonts()
    profile = load_profile(store)
    period = tr(RANGE).format(start=start.strftime("%d/%m/%Y"), end=end.strftime("%d/%m/%Y"))
    buffer = io.BytesIO()
    canvas = NumberedCanvas(buffer, pagesize=PAGE, pageCompression=1, footer=f"{APP_NAME} {__version__}",
                            page_size=PAGE, margin=MARGIN)
    set_metadata(canvas, title=f"{tr(TITLE)} — {period}", author=profile.name or APP_NAME, subject="A1/CSYT")
    book = _Book(canvas, profile.name, period)
    book.new_page()
    current: dt.date | None = None
    total = visits.log_totals(store, visits.LogFilter(start, end)).visits
    for row in book_rows(store, start, end):
        if row.day != current:
            current = row.day
            book.day(current)
        book.visit(row)
        if progress and book.number % 500 == 0:
            progress(book.number, total)
    book.finish()
    canvas.save()
    return buffer.getvalue()


def render_visit_book(store: Store, start: dt.date, end: dt.date, path: str | os.PathLike[str],
                      progress: Callable[[int, int], None] | None = None) -> Path:
    """Write the visit book of ``start``…``end`` (inclusive) to ``path`` atomically: a print
    (PRINT, checked first, and audited)."""
    from station_app.store import audit

    store.require(Permission.PRINT)
    written = write_atomic(path, visit_book_bytes(store, start, end, progress))
    audit.record_output(store, Permission.PRINT, audit.PRINT, "visit_book",
                        {"from": start.isoformat(), "to": end.isoformat(), "file": written.name})
    return written
