"""A reportlab canvas that finishes each page once the number of pages is known ("Trang k/n").

Pages are kept as they are drawn; ``save()`` then gives each one its running header and footer
through ``decorate(total)``, which every multi-page document (call sheet, referral book, monthly
report, visit book) writes for itself.
"""

from __future__ import annotations

from typing import Any

from reportlab.pdfgen.canvas import Canvas

from station_app.i18n import tr
from station_app.printing import fonts


class PageCountCanvas(Canvas):
    text_size: float = 9.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # our font from the start, else every page references an unembedded Helvetica
        kwargs["initialFontName"] = kwargs.get("initialFontName") or fonts.face(fonts.SANS)
        kwargs["initialFontSize"] = kwargs.get("initialFontSize") or self.text_size
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.decorate(total)
            super().showPage()
        super().save()

    def page_label(self, total: int) -> str:
        return tr("Page {page}/{pages}").format(page=self._pageNumber, pages=total)

    def decorate(self, total: int) -> None:
        """Draw this page's header and footer; ``total`` is the number of pages."""
        raise NotImplementedError
