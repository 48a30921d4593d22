"""Helpers shared by every PDF Trạm writes: document metadata, and escaping of user text for
reportlab's Paragraph markup. (Files are written through ``station_app.files.write_atomic``.)"""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from station_app import APP_NAME, __version__

if TYPE_CHECKING:  # importing this module does not load reportlab
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
