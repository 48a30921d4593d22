"""What the tabular monthly reports (the medicine report, the claims month) share: a canvas whose
pages start in our font with the footer naming the report and "Trang k/n", their paragraph styles,
the signatures at the end and the landscape A4 document they are built into."""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from station_app import APP_NAME, __version__
from station_app.i18n import tr
from station_app.printing import fonts
from station_app.printing.paged import PageCountCanvas
from station_app.printing.pdf import markup_text


def footer_canvas(label: str) -> type[PageCountCanvas]:
    """A canvas writing ``label · Trang k/n`` at the foot of each page (the report and its month, as
    a person reads them: "Hồ sơ thanh toán BHYT 10/2026 · Trang 2/28")."""

    class FooterCanvas(PageCountCanvas):
        text_size = 8

        def decorate(self, total: int) -> None:
            self.saveState()
            self.setFont(fonts.face(fonts.SANS), 7)
            self.drawRightString(self._pagesize[0] - 12 * mm, 6 * mm, f"{label} · {self.page_label(total)}")
            self.restoreState()

    return FooterCanvas


def report_styles() -> dict[str, ParagraphStyle]:
    fonts.register_fonts()
    base = ParagraphStyle("base", fontName=fonts.SANS, fontSize=8, leading=10)
    return {
        "base": base,
        "bold": ParagraphStyle("bold", parent=base, fontName=fonts.SANS_BOLD),
        "right": ParagraphStyle("right", parent=base, alignment=2),
        "rbold": ParagraphStyle("rbold", parent=base, alignment=2, fontName=fonts.SANS_BOLD),
        "title": ParagraphStyle("title", parent=base, fontName=fonts.SANS_BOLD, fontSize=14, leading=18, alignment=1),
        "sub": ParagraphStyle("sub", parent=base, fontSize=10, leading=13, alignment=1),
        "sign": ParagraphStyle("sign", parent=base, fontName=fonts.SANS_BOLD, fontSize=10, alignment=1),
    }


def signatures(styles: dict[str, ParagraphStyle]) -> Table:
    """Who prepared the report and the head of station, each with room to sign."""
    def p(text: str, style: str) -> Paragraph:
        return Paragraph(markup_text(text), styles[style])

    sign = Table(
        [
            [p(tr("PREPARED BY"), "sign"), p(tr("HEAD OF STATION"), "sign")],
            [p(tr("(signature, full name)"), "sub"), p(tr("(signature, full name)"), "sub")],
        ],
        colWidths=[120 * mm, 120 * mm],
    )
    sign.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), fonts.SANS)]))
    return sign


def landscape_pdf(story: list[Any], title: str, author: str, footer: str) -> bytes:
    """The report's PDF: ``story`` on landscape A4, ``footer · Trang k/n`` at the foot of each page."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=10 * mm,
        bottomMargin=12 * mm,
        title=title,
        author=author,
        creator=f"{APP_NAME} {__version__}",
    )
    doc.build(story, canvasmaker=footer_canvas(footer))
    return buffer.getvalue()
