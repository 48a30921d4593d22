"""What the tabular monthly reports (the medicine report, the claims month) share: a canvas whose
pages start in our font, and their paragraph styles."""

from __future__ import annotations

from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas

from station_app.printing import fonts


class SansCanvas(Canvas):
    """A canvas whose pages start in our font (else each refers to an unembedded Helvetica)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["initialFontName"] = fonts.SANS
        kwargs["initialFontSize"] = 8
        super().__init__(*args, **kwargs)


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
