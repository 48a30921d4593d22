"""What the tabular monthly reports (the medicine report, the claims month) share: a canvas whose
pages start in our font with the footer naming the report and "Trang k/n", and their paragraph styles."""

from __future__ import annotations

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm

from station_app.printing import fonts
from station_app.printing.paged import PageCountCanvas


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
