"""The call sheet: the follow-up list a nurse takes on the phone or on a home-visit round, as an
A4 landscape PDF.

People are grouped by village (a heading per village, villages in Vietnamese order, people in
the list's own order: risk, then days overdue). One row per person: name, age and sex, the phone
number in large type, what is due and since when (one line per item), the status and the last
call outcome, and an empty "Kết quả" column to write on. Every page repeats the station's name,
the list's name, the date and "Trang k/n".

User text goes through ``markup_text`` before it reaches a Paragraph. The file is written
atomically (``pdf.write_atomic``).
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from station_app import APP_NAME, __version__
from station_app.domain.accounts import Permission
from station_app.domain.text import word_key, words
from station_app.files import write_atomic
from station_app.i18n import N_, tr
from station_app.presentation import age_text, display_date, phone_text, sex_text, since_text
from station_app.printing import fonts
from station_app.printing.paged import PageCountCanvas
from station_app.printing.pdf import markup_text
from station_app.store import Store
from station_app.store.followups import WorkRow

PAGE = landscape(A4)
MARGIN = 12 * mm
HEADER_SPACE = 14 * mm  # the running header above the frame
FOOTER_SPACE = 8 * mm
CONTENT_WIDTH = PAGE[0] - 2 * MARGIN

# (header, width in mm): 273 mm between the margins.
COLUMNS = (
    (N_("No."), 9),
    (N_("Full name"), 48),
    (N_("Phone"), 37),
    (N_("What is due"), 52),
    (N_("Since"), 36),
    (N_("Status / last outcome"), 43),
    (N_("Result"), 48),
)
WRITE_SPACE = 11 * mm  # the least height of a row, so there is room to write the result
VILLAGE_ROOM = 45 * mm  # a village starts on a new page when less than this is left

TEXT_SIZE = 9.5
PHONE_SIZE = 13.5
GREY = colors.Color(0.25, 0.25, 0.25)
RISK = "#b3261e"


def _styles() -> dict[str, ParagraphStyle]:
    regular = fonts.face(fonts.SANS)
    bold = fonts.face(fonts.SANS, bold=True)
    base = ParagraphStyle("cell", fontName=regular, fontSize=TEXT_SIZE, leading=TEXT_SIZE * 1.25)
    return {
        "cell": base,
        "head": ParagraphStyle("head", parent=base, fontName=bold),
        "phone": ParagraphStyle("phone", parent=base, fontName=bold, fontSize=PHONE_SIZE,
                                leading=PHONE_SIZE * 1.2),
        "small": ParagraphStyle("small", parent=base, fontSize=TEXT_SIZE - 1,
                                leading=(TEXT_SIZE - 1) * 1.25, textColor=GREY),
        "village": ParagraphStyle("village", parent=base, fontName=bold, fontSize=12.5, leading=16,
                                  spaceBefore=5 * mm, spaceAfter=2 * mm),
        "intro": ParagraphStyle("intro", parent=base, fontSize=10.5, leading=14),
    }


def _village_key(village: str) -> tuple[int, list[tuple[str, str]]]:
    """Villages in Vietnamese alphabetical order; people without a village come last."""
    return (0 if village.strip() else 1, [word_key(w) for w in words(village)])


def group_rows(rows: Sequence[WorkRow]) -> list[tuple[str, list[list[WorkRow]]]]:
    """``[(village, [the rows of one person, …]), …]``: villages in Vietnamese order, people and
    their items in the list's order."""
    villages: dict[str, dict[int, list[WorkRow]]] = {}
    for row in rows:
        people = villages.setdefault(row.village.strip(), {})
        people.setdefault(row.patient_id, []).append(row)
    ordered = sorted(villages, key=_village_key)
    return [(v, list(villages[v].values())) for v in ordered]


def _lines(texts: list[str]) -> str:
    return "<br/>".join(markup_text(t) for t in texts)


def _person_row(
    number: int, items: list[WorkRow], today: dt.date, styles: dict[str, ParagraphStyle], show_section: bool,
) -> list[Any]:
    first = items[0]
    facts = [age_text(first, today, with_unit=True), sex_text(first)]
    facts_text = " · ".join(f for f in facts if f)
    name = f"<b>{markup_text(first.full_name)}</b>"
    if facts_text:
        name += f"<br/><font size={TEXT_SIZE - 1}>{markup_text(facts_text)}</font>"
    if any(r.high_risk for r in items):
        name += f'<br/><font color="{RISK}"><b>! {markup_text(tr("High risk"))}</b></font>'
    mixed = len({r.section for r in items}) > 1 or show_section
    lines = []
    for row in items:
        last = row.item.last_outcome
        status = [row.section.title] if mixed else []
        if last is not None:
            status.append(last.describe())
        lines.append([
            Paragraph(markup_text(row.item.label), styles["cell"]),
            Paragraph(markup_text(display_date(row.item.due_date)) + "<br/>"
                      + markup_text(since_text(row, today)), styles["cell"]),
            Paragraph(_lines(status), styles["small"]),
        ])
    widths = [w * mm for _, w in COLUMNS[3:6]]
    person = [
        Paragraph(str(number), styles["cell"]),
        Paragraph(name, styles["cell"]),
        Paragraph(markup_text(phone_text(first.phone)) or "—", styles["phone"]),
    ]
    # The nested rows fill the person's whole row, so its column lines run to the bottom.
    heights = [_height(cells, widths) for cells in lines]
    tallest = max(_height(person, [w * mm for _, w in COLUMNS[:3]]), WRITE_SPACE)
    heights[-1] += max(tallest - sum(heights), 0)
    items_table = Table(lines, colWidths=widths, rowHeights=heights)
    items_table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), fonts.face(fonts.SANS), TEXT_SIZE),
        ("LINEBELOW", (0, 0), (-1, -2), 0.3, colors.Color(0.7, 0.7, 0.7)),
        ("LINEAFTER", (0, 0), (-2, -1), 0.5, colors.Color(0.35, 0.35, 0.35)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        *_PADDING,
    ]))
    return [*person, items_table, "", "", ""]


def _height(cells: list[Paragraph], widths: list[float]) -> float:
    """The height of a table row of ``cells`` with the usual padding."""
    pad_x = _PAD_LEFT + _PAD_RIGHT
    return max(p.wrap(w - pad_x, PAGE[1])[1] for p, w in zip(cells, widths, strict=True)) + (
        _PAD_TOP + _PAD_BOTTOM
    )


_PAD_TOP, _PAD_BOTTOM, _PAD_LEFT, _PAD_RIGHT = 2.5, 3.0, 3.0, 3.0
_PADDING = (
    ("TOPPADDING", (0, 0), (-1, -1), _PAD_TOP),
    ("BOTTOMPADDING", (0, 0), (-1, -1), _PAD_BOTTOM),
    ("LEFTPADDING", (0, 0), (-1, -1), _PAD_LEFT),
    ("RIGHTPADDING", (0, 0), (-1, -1), _PAD_RIGHT),
)


def _table(body: list[list[Any]], styles: dict[str, ParagraphStyle]) -> Table:
    header = [Paragraph(markup_text(tr(title)), styles["head"]) for title, _ in COLUMNS]
    table = Table([header, *body], colWidths=[w * mm for _, w in COLUMNS], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), fonts.face(fonts.SANS), TEXT_SIZE),  # never Helvetica
        ("GRID", (0, 0), (-1, -1), 0.5, colors.Color(0.35, 0.35, 0.35)),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.88, 0.91, 0.93)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        *_PADDING,
        # what is due, since when and the status: one nested row per item, so they line up
        *[("SPAN", (3, r), (5, r)) for r in range(1, len(body) + 1)],
        ("TOPPADDING", (3, 1), (5, -1), 0),
        ("BOTTOMPADDING", (3, 1), (5, -1), 0),
        ("LEFTPADDING", (3, 1), (5, -1), 0),
        ("RIGHTPADDING", (3, 1), (5, -1), 0),
    ]))
    return table


class _NumberedCanvas(PageCountCanvas):
    """Draws the running header and "Trang k/n" once the number of pages is known."""

    text_size = TEXT_SIZE

    def __init__(self, *args: Any, header: tuple[str, str, str] = ("", "", ""),
                 **kwargs: Any) -> None:
        self.header = header
        super().__init__(*args, **kwargs)

    def decorate(self, total: int) -> None:
        station, title, date = self.header
        width, height = PAGE
        top = height - MARGIN - 4 * mm
        self.setFont(fonts.face(fonts.SANS, bold=True), 11)
        self.drawString(MARGIN, top, station)
        self.setFont(fonts.face(fonts.SANS, bold=True), 13)
        self.drawCentredString(width / 2, top, title)
        self.setFont(fonts.face(fonts.SANS), 10)
        self.drawRightString(width - MARGIN, top, date)
        self.setLineWidth(0.7)
        self.line(MARGIN, top - 3 * mm, width - MARGIN, top - 3 * mm)
        self.setFont(fonts.face(fonts.SANS), 8.5)
        self.drawRightString(width - MARGIN, MARGIN - 2 * mm, self.page_label(total))
        self.drawString(MARGIN, MARGIN - 2 * mm, f"{APP_NAME} {__version__}")


def call_sheet_bytes(
    rows: Sequence[WorkRow],
    *,
    station: str,
    today: dt.date,
    list_name: str = "",
    filters: str = "",
) -> bytes:
    """The call sheet as PDF bytes. ``list_name`` names the section printed ("Overdue — to
    call"); ``filters`` says what narrowed it ("Village: Thôn Đông")."""
    fonts.register_fonts()
    styles = _styles()
    title = tr("FOLLOW-UP CALL SHEET")
    date = tr("Printed on {date}").format(date=display_date(today))
    groups = group_rows(rows)
    mixed = len({r.section for r in rows}) > 1  # else the list's name says the status
    people = sum(len(persons) for _, persons in groups)

    intro = [markup_text(list_name)] if list_name else []
    if filters:
        intro.append(markup_text(filters))
    intro.append(markup_text(tr("{people} people, {items} follow-up items").format(
        people=people, items=len(rows))))
    story: list[Any] = [Paragraph(" · ".join(intro), styles["intro"])]
    if not rows:
        story.append(Spacer(1, 6 * mm))
        story.append(Paragraph(markup_text(tr("Nobody is on this list.")), styles["intro"]))
    number = 0
    for village, persons in groups:
        heading = village or tr("No village recorded")
        text = tr("{village} — {count} people").format(village=heading, count=len(persons))
        body = []
        for items in persons:
            number += 1
            body.append(_person_row(number, items, today, styles, mixed))
        # a village heading never ends a page: it needs room for a few rows under it
        story.append(CondPageBreak(VILLAGE_ROOM))
        story.append(Paragraph(markup_text(text), styles["village"]))
        story.append(_table(body, styles))

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + HEADER_SPACE - 4 * mm,
        bottomMargin=MARGIN + FOOTER_SPACE - 4 * mm,
        title=f"{title} — {station}" if station else title,
        author=station or APP_NAME,
        subject=list_name,
        creator=f"{APP_NAME} {__version__}",
    )
    doc.build(story, canvasmaker=partial(_NumberedCanvas, header=(station, title, date)))
    return buffer.getvalue()


def render_call_sheet(
    store: Store,
    rows: Sequence[WorkRow],
    out_path: str | os.PathLike[str],
    *,
    station: str,
    today: dt.date,
    list_name: str = "",
    filters: str = "",
) -> Path:
    """Draw the call sheet and write it to ``out_path`` atomically: a print (PRINT, checked first,
    and audited)."""
    from station_app.store import audit

    store.require(Permission.PRINT)
    data = call_sheet_bytes(rows, station=station, today=today, list_name=list_name, filters=filters)
    written = write_atomic(out_path, data)
    audit.record_output(store, Permission.PRINT, audit.PRINT, "call_sheet",
                        {"list": list_name, "filters": filters, "rows": len(rows), "file": written.name})
    return written
