"""The shipped TrueType fonts, registered with reportlab once per process.

``TramSerif`` (Liberation Serif, metric-compatible with Times New Roman) is for official forms;
``TramSans`` (Noto Sans) for lists and reports. Both cover the whole Vietnamese alphabet and
are embedded (as subsets) in every PDF that uses them; reportlab's built-in fonts are never used
for Vietnamese text because they lack glyphs such as ơ, ư, ấ, ệ. Once they are registered, our sans
face is also reportlab's default wherever a document names no font (see ``_our_defaults``), so no
PDF lists a font it does not embed.
"""

from __future__ import annotations

import threading
from functools import cache

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from station_app.resources import font_file

SERIF = "TramSerif"
SERIF_BOLD = "TramSerif-Bold"
SERIF_ITALIC = "TramSerif-Italic"
SERIF_BOLD_ITALIC = "TramSerif-BoldItalic"
SANS = "TramSans"
SANS_BOLD = "TramSans-Bold"
SANS_ITALIC = "TramSans-Italic"

_FILES = {
    SERIF: "LiberationSerif-Regular.ttf",
    SERIF_BOLD: "LiberationSerif-Bold.ttf",
    SERIF_ITALIC: "LiberationSerif-Italic.ttf",
    SERIF_BOLD_ITALIC: "LiberationSerif-BoldItalic.ttf",
    SANS: "NotoSans-Regular.ttf",
    SANS_BOLD: "NotoSans-Bold.ttf",
    SANS_ITALIC: "NotoSans-Italic.ttf",
}

# family → (normal, bold, italic, bold italic); Noto Sans ships no bold italic: bold stands in.
FAMILIES = {
    SERIF: (SERIF, SERIF_BOLD, SERIF_ITALIC, SERIF_BOLD_ITALIC),
    SANS: (SANS, SANS_BOLD, SANS_ITALIC, SANS_BOLD),
}


_lock = threading.Lock()


@cache
def register_fonts() -> tuple[str, ...]:
    """Register every shipped font and both families (idempotent); returns the font names.

    The family mapping lets Paragraph markup (``<b>``, ``<i>``) pick the right face.
    """
    with _lock:  # a print job on a worker thread may race the GUI's first preview
        for name, filename in _FILES.items():
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, str(font_file(filename))))
        for family, (normal, bold, italic, bold_italic) in FAMILIES.items():
            pdfmetrics.registerFontFamily(
                family, normal=normal, bold=bold, italic=italic, boldItalic=bold_italic
            )
        _our_defaults()
    return tuple(_FILES)


def _our_defaults() -> None:
    """Our sans face as reportlab's default font in this process. Where a document names no font,
    reportlab takes Helvetica: a canvas's starting font (set before anything is drawn), a table cell
    holding plain text (an empty one too), a paragraph style without ``fontName``. The PDF then lists
    Helvetica, not embedded: a viewer or printer stands in another font for it, without ơ, ư, ấ…
    Every PDF Trạm makes registers the fonts first, so every one gets these defaults."""
    from reportlab import rl_config
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus.tables import CellStyle

    rl_config.canvas_basefontname = SANS  # (read by each new canvas)
    CellStyle.fontname = SANS
    ParagraphStyle.defaults.update(fontName=SANS, bulletFontName=SANS)


def face(family: str = SERIF, *, bold: bool = False, italic: bool = False) -> str:
    """The registered name of a family's face: ``face(SERIF, bold=True)`` → ``TramSerif-Bold``."""
    register_fonts()
    normal, bold_name, italic_name, bold_italic = FAMILIES[family]
    if bold and italic:
        return bold_italic
    if bold:
        return bold_name
    if italic:
        return italic_name
    return normal
