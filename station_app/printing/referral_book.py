"""The referral book ("Sổ chuyển cơ sở khám bệnh, chữa bệnh") for a period, as an A4 landscape PDF.

One row per slip in issue order, cancelled slips included (their number is never given again,
so the book shows them, struck through in the status column with the reason). Every page
repeats the governing body and the station, the book's title, the period and "Trang k/n".

Filled-in text is the patient's and the nurse's: it goes through ``markup_text`` before it
reaches a Paragraph, so ``<``, ``>`` and ``&`` print literally. Fonts are the shipped ones, with
full Vietnamese coverage, embedded. The file is written atomically (``pdf.write_atomic``).
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
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from station_app import APP_NAME, __version__
from station_app.domain.referral import Referral, expand_abbreviations, load_holidays
from station_app.files import write_atomic
from station_app.i18n import N_, tr
from station_app.printing import fonts
from station_app.printing.paged import PageCountCanvas
from station_app.printing.pdf import markup_text
from station_app.printing.referral_slip import Station

PAGE = landscape(A4)
MARGIN = 12 * mm
HEADER_SPACE = 20 * mm  # the running header above the frame
FOOTER_SPACE = 8 * mm
TEXT_SIZE = 9.0

# (header, width in mm): 273 mm between the margins.
COLUMNS = (
    (N_("Book no."), 11),
    (N_("Slip number"), 24),
    (N_("Transferred on"), 21),
    (N_("Patient (sex, year of birth)"), 41),
    (N_("Address"), 34),
    (N_("Health insurance card"), 30),
    (N_("Diagnosis (ICD-10)"), 40),
    (N_("Referred to"), 36),
    (N_("Reason"), 10),
    (N_("Status and outcome"), 26),
)

SEX = {"1": N_("male"), "2": N_("female")}
OUTCOME_TEXT = {
    "sent": N_("Sent"),
    "arrived": N_("Arrived"),
    "feedback": N_("Feedback received"),
    "not_gone": N_("Did not go"),
}


def _styles() -> dict[str, ParagraphStyle]:
    regular = fonts.face(fonts.SANS)
    bold = fonts.face(fonts.SANS, bold=True)
    base = ParagraphStyle("cell", fontName=regular, fontSize=TEXT_SIZE, leading=TEXT_SIZE * 1.25)
    return {
        "cell": base,
        "head": ParagraphStyle("head", parent=base, fontName=bold),
        "small": ParagraphStyle("small", parent=base, fontSize=TEXT_SIZE - 1, leading=(TEXT_SIZE - 1) * 1.25,
                                textColor=colors.Color(0.3, 0.3, 0.3)),
        "intro": ParagraphStyle("intro", parent=base, fontSize=10.5, leading=14),
    }


def period_text(start: dt.date | None, end: dt.date | None) -> str:
    """"From 01/11/2026 to 30/11/2026", or what is known of the period."""
    if start and end:
        return tr("Referrals from {start} to {end}").format(start=f"{start:%d/%m/%Y}", end=f"{end:%d/%m/%Y}")
    if start:
        return tr("Referrals from {start}").format(start=f"{start:%d/%m/%Y}")
    if end:
        return tr("Referrals until {end}").format(end=f"{end:%d/%m/%Y}")
    return tr("All referrals")


def outcome_text(r: Referral) -> str:
    """What became of the slip, in a few words ("Cancelled: …", "Feedback received 12/11/2026")."""
    if r.is_cancelled:
        return tr("Cancelled: {reason}").format(reason=r.cancel_reason) if r.cancel_reason else tr("Cancelled")
    text = tr(OUTCOME_TEXT.get(r.outcome, r.outcome))
    when = r.feedback_on if r.outcome == "feedback" else r.arrived_on if r.outcome == "arrived" else None
    if when:
        text += f"\n{when:%d/%m/%Y}"
    return text


def number_lines(number: str) -> str:
    """The slip number in two lines that fit a narrow column: ``000001/2026/`` and ``PCCSKBCB``."""
    head, sep, suffix = number.rpartition("/")
    return f"{head}{sep}\n{suffix}" if head else number


def _row(r: Referral, styles: dict[str, ParagraphStyle]) -> list[Any]:
    cell, small = styles["cell"], styles["small"]

    def p(text: str, style: ParagraphStyle = cell) -> Paragraph:
        return Paragraph(markup_text(text), style)

    facts = ", ".join(x for x in (tr(SEX[r.sex]) if r.sex in SEX else "", str(r.birth_year or "")) if x)
    patient = f"<b>{markup_text(r.patient_name)}</b>"
    if facts:
        patient += "<br/>" + markup_text(facts)
    if r.record_no:
        patient += f'<br/><font size="{TEXT_SIZE - 1}">{markup_text(r.record_no)}</font>'
    card = r.insurance_no
    if r.insurance_no and r.insurance_valid_to:
        card += "\n" + tr("valid to {date}").format(date=f"{r.insurance_valid_to:%d/%m/%Y}")
    codes = ", ".join(r.icd_codes)
    diagnosis = markup_text(expand_abbreviations(r.diagnosis))
    if codes:
        diagnosis += f' <font size="{TEXT_SIZE - 1}">({markup_text(codes)})</font>'
    valid = r.valid_until(load_holidays())
    status = markup_text(outcome_text(r))
    if r.is_cancelled:
        status = f"<strike>{markup_text(tr('Cancelled'))}</strike>" + (
            f"<br/>{markup_text(r.cancel_reason)}" if r.cancel_reason else "")
    elif r.outcome == "feedback" and r.feedback:
        status += f'<br/><font size="{TEXT_SIZE - 1}">' + markup_text(r.feedback) + "</font>"
    elif r.outcome == "sent" and valid:
        status += f'<br/><font size="{TEXT_SIZE - 1}">' + markup_text(
            tr("valid to {date}").format(date=f"{valid:%d/%m/%Y}")) + "</font>"
    when = r.transfer_at
    return [
        p(r.book_no),
        p(number_lines(r.number or "")),
        p(f"{when:%d/%m/%Y}\n{when:%H:%M}" if when else ""),
        Paragraph(patient, cell),
        p(expand_abbreviations(r.address)),
        p(card, small),
        Paragraph(diagnosis, cell),
        p(expand_abbreviations(r.receiving_facility)),
        p(r.reason or ""),
        Paragraph(status, cell),
    ]


def _table(body: list[list[Any]], styles: dict[str, ParagraphStyle], cancelled: list[int]) -> Table:
    header = [Paragraph(markup_text(tr(title)), styles["head"]) for title, _ in COLUMNS]
    table = Table([header, *body], colWidths=[w * mm for _, w in COLUMNS], repeatRows=1)
    commands: list[Any] = [
        ("FONT", (0, 0), (-1, -1), fonts.face(fonts.SANS), TEXT_SIZE),  # never Helvetica
        ("GRID", (0, 0), (-1, -1), 0.5, colors.Color(0.35, 0.35, 0.35)),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.88, 0.91, 0.93)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for row in cancelled:
        commands.append(("BACKGROUND", (0, row), (-1, row), colors.Color(0.95, 0.95, 0.95)))
    table.setStyle(TableStyle(commands))
    return table


class _BookCanvas(PageCountCanvas):
    """Draws the running header and "Trang k/n" once the number of pages is known."""

    text_size = TEXT_SIZE

    def __init__(self, *args: Any, header: tuple[str, str, str, str] = ("", "", "", ""), **kwargs: Any) -> None:
        self.header = header
        super().__init__(*args, **kwargs)

    def decorate(self, total: int) -> None:
        governing, station, title, period = self.header
        width, height = PAGE
        top = height - MARGIN - 3 * mm
        self.setFont(fonts.face(fonts.SANS), 9.5)
        if governing:
            self.drawString(MARGIN, top, governing)
        self.setFont(fonts.face(fonts.SANS, bold=True), 10.5)
        self.drawString(MARGIN, top - 4.8 * mm, station)
        self.setFont(fonts.face(fonts.SANS, bold=True), 13)
        self.drawCentredString(width / 2, top - 1 * mm, title)
        self.setFont(fonts.face(fonts.SANS), 10)
        self.drawCentredString(width / 2, top - 6 * mm, period)
        self.setLineWidth(0.7)
        self.line(MARGIN, top - 9 * mm, width - MARGIN, top - 9 * mm)
        self.setFont(fonts.face(fonts.SANS), 8.5)
        self.drawRightString(width - MARGIN, MARGIN - 2 * mm, self.page_label(total))
        self.drawString(MARGIN, MARGIN - 2 * mm, f"{APP_NAME} {__version__}")


def referral_book_bytes(
    referrals: Sequence[Referral],
    station: Station | Any,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    printed_on: dt.date | None = None,
) -> bytes:
    """The book of ``referrals`` (in the order given) for the period ``start``–``end``."""
    fonts.register_fonts()
    station = Station.of(station)
    styles = _styles()
    title = tr("REFERRAL BOOK")
    period = period_text(start, end)
    cancelled = sum(1 for r in referrals if r.is_cancelled)
    summary = tr("{count} slips, of which {cancelled} cancelled").format(count=len(referrals), cancelled=cancelled)
    if printed_on:
        summary += " · " + tr("Printed on {date}").format(date=f"{printed_on:%d/%m/%Y}")
    story: list[Any] = [Paragraph(markup_text(summary), styles["intro"]), Spacer(1, 3 * mm)]
    if referrals:
        body = [_row(r, styles) for r in referrals]
        rows = [n for n, r in enumerate(referrals, start=1) if r.is_cancelled]
        story.append(_table(body, styles, rows))
    else:
        story.append(Paragraph(markup_text(tr("No referral in this period.")), styles["intro"]))

    buffer = io.BytesIO()
    station_name = station.name
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + HEADER_SPACE - 4 * mm,
        bottomMargin=MARGIN + FOOTER_SPACE - 4 * mm,
        title=f"{title} — {period}",
        author=station_name or APP_NAME,
        subject=period,
        creator=f"{APP_NAME} {__version__}",
    )
    header = (station.governing_body.upper(), station_name.upper(), title, period)
    doc.build(story, canvasmaker=partial(_BookCanvas, header=header))
    return buffer.getvalue()


def render_referral_book(
    referrals: Sequence[Referral],
    station: Station | Any,
    out_path: str | os.PathLike[str],
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    printed_on: dt.date | None = None,
) -> Path:
    """Draw the book and write it to ``out_path`` atomically."""
    data = referral_book_bytes(referrals, station, start=start, end=end, printed_on=printed_on)
    return write_atomic(out_path, data)
