"""Helpers shared by every PDF Trạm writes: document metadata, and escaping of user text for
reportlab's Paragraph markup. (Files are written through ``station_app.files.write_atomic``.)"""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from station_app import APP_NAME, __version__

if TYPE_CHECKING:  # importing this module does not load reportlab
    from reportlab.lib.colors import Color
    from reportlab.pdfgen.canvas import Canvas


def markup_text(text: str) -> str:
    """User text made safe for ``Paragraph``: ``<``, ``>`` and ``&`` print literally, and line
    breaks stay line breaks. Never pass unescaped user text to a Paragraph."""
    return "<br/>".join(escape(line) for line in text.splitlines() or [""])


def set_metadata(canvas: Canvas, *, title: str, author: str, subject: str = "") -> None:
    """Title, author, subject and creator in the PDF's document information."""
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setSubject(subject)
    canvas.setCreator(f"{APP_NAME} {__version__}")


def draw_book_heading(canvas: Canvas, page: tuple[float, float], margin: float, *, station: str, title: str,
                      period: str, form: str, font: str, bold: str) -> float:
    """A book page's heading: the station top left, the title and the period centred, the form's
    number top right. Returns where the table starts."""
    from reportlab.lib.units import mm

    width, height = page
    top = height - margin
    canvas.setFont(bold, 10)
    canvas.drawString(margin, top - 3 * mm, station)
    canvas.setFont(bold, 13)
    canvas.drawCentredString(width / 2, top - 3.5 * mm, title)
    canvas.setFont(font, 9)
    canvas.drawCentredString(width / 2, top - 8 * mm, period)
    canvas.drawRightString(width - margin, top - 3 * mm, form)
    return top - 11 * mm


def draw_table_row(canvas: Canvas, wrapped: list[list[str]], widths: list[float], *, left: float, top: float,
                   height: float, font: str, size: float, leading: float, pad: float,
                   fill: Color | None = None) -> None:
    """One row of a book's table drawn straight on the canvas: an optional background, each
    cell's already wrapped lines from its top left corner, and the rule under the row."""
    from reportlab.lib import colors

    width = sum(widths)
    if fill is not None:
        canvas.setFillColor(fill)
        canvas.rect(left, top - height, width, height, stroke=0, fill=1)
        canvas.setFillColor(colors.black)
    text = canvas.beginText()
    text.setFont(font, size, leading)
    x = left
    for lines, cell_width in zip(wrapped, widths, strict=True):
        if lines:
            text.setTextOrigin(x + pad, top - pad - size + 1)
            text.textLines(lines)
        x += cell_width
    canvas.drawText(text)
    canvas.line(left, top - height, left + width, top - height)
