"""The referral slip as a PDF: Phụ lục VI of Thông tư 01/2025/TT-BYT on one A4 portrait page.

Every printed label comes from the form data (``resources/data/referral_form_2025.json``, read by
``domain.referral.load_form``); this module only lays it out. The layout is computed first as
rows of drawing operations, then paginated, then drawn, so that the font size can be chosen
before anything is drawn: the largest size from 12 pt down to 9 pt at which the slip fits on one
page; when even 9 pt does not fit, the slip continues on further pages (at the largest size that
needs no more pages than 9 pt would), each repeating a short header with the station, the slip
number, the patient and "trang k/n".

User text is drawn with ``drawString``, which interprets no markup: a diagnosis with ``<``,
``>`` or ``&`` prints as typed. Filled-in text has its abbreviations spelled out (Thông tư
32/2023/TT-BYT); identifiers (card number, ICD-10 codes, numbers) are printed as they are.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from station_app.domain.referral import (
    EarlierTreatment,
    Referral,
    ReferralForm,
    expand_abbreviations,
    load_form,
)
from station_app.files import write_atomic
from station_app.printing import fonts
from station_app.printing.pdf import set_metadata

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_LEFT = 20 * mm
MARGIN_RIGHT = 15 * mm
MARGIN_TOP = 13 * mm
MARGIN_BOTTOM = 12 * mm
CONTENT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT

FONT_SIZES = (12.0, 11.5, 11.0, 10.5, 10.0, 9.5, 9.0)  # tried in this order
LEADING = 1.2  # line height as a multiple of the font size
DOT = "."
BLANK = "……"  # a short blank inside a line (dates, times)
TICK = "X"  # drawn in the sans face inside a ticked box, as text, so tests can find it


@dataclass(frozen=True)
class Station:
    """What the slip prints about the sending station."""

    name: str
    governing_body: str = ""  # "SỞ Y TẾ TỈNH …", "UBND XÃ …": the line above the name
    commune: str = ""  # the place before the signing date ("Tân Phú, ngày …")
    province: str = ""
    facility_code: str = ""

    @classmethod
    def of(cls, value: Station | Mapping[str, Any] | Any) -> Station:
        """A ``Station`` from itself, a mapping or any object with the same attributes."""
        if isinstance(value, Station):
            return value
        names = ("name", "governing_body", "commune", "province", "facility_code")
        if isinstance(value, Mapping):
            values = {n: value.get(n) for n in names}
        else:
            values = {n: getattr(value, n, None) for n in names}
        return cls(**{n: str(v or "") for n, v in values.items()})


# --------------------------------------------------------------------------------------------
# Layout: rows of drawing operations


@dataclass(frozen=True)
class _Text:
    x: float
    dy: float  # baseline, down from the row's top
    text: str
    font: str
    size: float


@dataclass(frozen=True)
class _Box:
    x: float
    dy: float  # bottom edge, down from the row's top
    side: float
    ticked: bool


@dataclass(frozen=True)
class _Line:
    x1: float
    x2: float
    dy: float
    width: float = 0.6


@dataclass(frozen=True)
class _Ellipse:
    x1: float
    dy1: float  # top, down from the row's top
    x2: float
    dy2: float  # bottom


_Op = _Text | _Box | _Line | _Ellipse


@dataclass
class _Row:
    height: float
    ops: list[_Op] = field(default_factory=list)
    gap_before: float = 0.0  # dropped at the top of a page
    keep_with_next: bool = False


@dataclass(frozen=True)
class _Span:
    text: str
    font: str
    leader: bool = False  # fill the rest of the line with dots


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "space", "break", "leader"
    text: str = ""
    font: str = ""


_SPACES = re.compile(r"(\s+)")


def _tokens(spans: Iterable[_Span]) -> list[_Token]:
    tokens: list[_Token] = []
    for span in spans:
        if span.leader:
            tokens.append(_Token("leader", font=span.font))
            continue
        for index, line in enumerate(span.text.split("\n")):
            if index:
                tokens.append(_Token("break"))
            for part in _SPACES.split(line):
                if not part:
                    continue
                kind = "space" if part.isspace() else "word"
                tokens.append(_Token(kind, part, span.font))
    return tokens


def _clean(text: str | None) -> str:
    """User text as printed: NFC, abbreviations spelled out, spaces tidied, line breaks kept."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch)[0] != "C")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return expand_abbreviations("\n".join(line for line in lines if line))


def _ident(text: str | None) -> str:
    """An identifier as printed: NFC, trimmed, nothing expanded."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "..../..../........"


class _Layout:
    """Rows of the slip at one font size."""

    def __init__(self, form: ReferralForm, size: float) -> None:
        self.form = form
        self.size = size
        self.lead = size * LEADING
        self.regular = fonts.face(fonts.SERIF)
        self.bold = fonts.face(fonts.SERIF, bold=True)
        self.italic = fonts.face(fonts.SERIF, italic=True)
        self.bold_italic = fonts.face(fonts.SERIF, bold=True, italic=True)
        self.tick_font = fonts.face(fonts.SANS, bold=True)
        self.rows: list[_Row] = []

    # -- measuring ----------------------------------------------------------------------------

    def width(self, text: str, font: str, size: float | None = None) -> float:
        return stringWidth(text, font, size or self.size)

    def fit(self, text: str, font: str, size: float, width: float) -> float:
        """``size``, or smaller so that ``text`` fits on one line of ``width``."""
        natural = self.width(text, font, size)
        return size if natural <= width else size * width / natural

    # -- flowing text ------------------------------------------------------------------------

    def flow(
        self,
        spans: Iterable[_Span],
        width: float,
        *,
        first_indent: float = 0.0,
        indent: float = 0.0,
        size: float | None = None,
        align: str = "left",
    ) -> list[list[tuple[float, str, str]]]:
        """Break spans into lines no wider than ``width``: ``[[(x, text, font), …], …]``.

        Words never split unless a single word is wider than a line. A leader span fills the
        rest of its line with dots (at least a short run, else it starts a new line).
        """
        size = size or self.size
        lines: list[list[tuple[float, str, str]]] = [[]]
        x = first_indent
        space = 0.0  # width of the pending space before the next word
        min_leader = self.width(DOT * 6, self.regular, size)

        def new_line() -> None:
            nonlocal x, space
            lines.append([])
            x, space = indent, 0.0

        def place(text: str, font: str, w: float, gap: float) -> None:
            # x is always where the line's last run ends, so a run in the same font simply
            # grows (one drawString per run keeps the PDF small and its text extractable)
            nonlocal x
            line = lines[-1]
            if line and line[-1][2] == font:
                line[-1] = (line[-1][0], line[-1][1] + (" " if gap else "") + text, font)
            else:
                line.append((x + gap, text, font))
            x += gap + w

        for token in _tokens(spans):
            if token.kind == "break":
                new_line()
            elif token.kind == "space":
                if lines[-1] or x > indent:
                    space = self.width(" ", token.font, size)
            elif token.kind == "leader":
                gap = space if lines[-1] else 0.0
                if width - x - gap < min_leader:
                    new_line()
                    gap = 0.0
                count = int((width - x - gap) / self.width(DOT, token.font, size))
                if count > 0:
                    place(DOT * count, token.font, self.width(DOT * count, token.font, size), gap)
                space = 0.0
            else:
                word, font = token.text, token.font
                w = self.width(word, font, size)
                gap = space if lines[-1] else 0.0
                if x + gap + w > width + 0.01 and lines[-1]:
                    new_line()
                    gap = 0.0
                while x + w > width + 0.01 and len(word) > 1:  # a word wider than the line
                    cut = len(word) - 1
                    while cut > 1 and x + self.width(word[:cut], font, size) > width:
                        cut -= 1
                    place(word[:cut], font, self.width(word[:cut], font, size), gap)
                    new_line()
                    gap = 0.0
                    word = word[cut:]
                    w = self.width(word, font, size)
                place(word, font, w, gap)
                space = 0.0
        if align == "center":
            for line in lines:
                if line:
                    end = line[-1][0] + self._run_w(line[-1], size)
                    shift = (width - end) / 2
                    line[:] = [(x0 + shift, text, font) for x0, text, font in line]
        return lines

    def _run_w(self, run: tuple[float, str, str], size: float) -> float:
        return self.width(run[1], run[2], size)

    def text_rows(
        self,
        spans: Iterable[_Span],
        *,
        x0: float = 0.0,
        width: float | None = None,
        first_indent: float = 0.0,
        indent: float = 0.0,
        size: float | None = None,
        align: str = "left",
        gap_before: float = 0.0,
        keep_with_next: bool = False,
    ) -> list[_Row]:
        """One row per line of flowed text (so a long text can continue on the next page)."""
        size = size or self.size
        lead = size * LEADING
        width = CONTENT_WIDTH - x0 if width is None else width
        lines = self.flow(
            spans, width, first_indent=first_indent, indent=indent, size=size, align=align
        )
        rows = [
            _Row(lead, [_Text(x0 + x, size * 0.98, text, font, size) for x, text, font in line])
            for line in lines
        ]
        rows[0].gap_before = gap_before
        if keep_with_next:
            for row in rows:
                row.keep_with_next = True
        return rows

    def add(self, rows: Iterable[_Row]) -> None:
        self.rows.extend(rows)

    # -- form pieces -------------------------------------------------------------------------

    def label(self, key: str) -> str:
        return self.form.label(key)

    def value_spans(self, value: str, *, font: str | None = None) -> list[_Span]:
        """A filled-in value, or a dotted leader when it is empty."""
        if value.strip():
            return [_Span(value, font or self.regular)]
        return [_Span("", self.regular, leader=True)]

    def field(
        self, key: str, value: str, *, bold: bool = False, after: Iterable[_Span] = ()
    ) -> None:
        """``Label: value`` flowing over full-width lines."""
        spans = [_Span(self.label(key) + " ", self.regular)]
        after = list(after)
        if value.strip():
            spans.append(_Span(value, self.bold if bold else self.regular))
            spans.extend(after)
        elif after:
            spans.append(_Span(BLANK * 3, self.regular))
            spans.extend(after)
        else:
            spans.append(_Span("", self.regular, leader=True))
        self.add(self.text_rows(spans))

    def cells(self, cells: list[tuple[str, str, float, bool]]) -> None:
        """Labelled values side by side: ``[(label key, value, share of the width, bold)]``."""
        gap = self.size * 0.8
        columns: list[list[list[tuple[float, str, str]]]] = []
        lefts: list[float] = []
        left = 0.0
        for index, (key, value, share, bold) in enumerate(cells):
            cell_width = CONTENT_WIDTH * share - (gap if index < len(cells) - 1 else 0.0)
            spans = [_Span(self.label(key) + " ", self.regular)]
            spans += self.value_spans(value, font=self.bold if bold else self.regular)
            columns.append(self.flow(spans, cell_width))
            lefts.append(left)
            left += CONTENT_WIDTH * share
        for line_no in range(max(len(c) for c in columns)):
            ops: list[_Op] = []
            for lines, cell_left in zip(columns, lefts, strict=True):
                if line_no < len(lines):
                    ops += [
                        _Text(cell_left + x, self.size * 0.98, text, font, self.size)
                        for x, text, font in lines[line_no]
                    ]
            self.add([_Row(self.lead, ops)])

    def box(self, x: float, ticked: bool) -> list[_Op]:
        """A tick box whose left edge is at ``x``, sitting on the line's baseline."""
        side = self.size * 0.78
        bottom = self.size * 0.98 + self.size * 0.1
        ops: list[_Op] = [_Box(x, bottom, side, ticked)]
        if ticked:
            tick_size = side * 0.95
            w = self.width(TICK, self.tick_font, tick_size)
            ops.append(
                _Text(x + (side - w) / 2, bottom - side * 0.16, TICK, self.tick_font, tick_size)
            )
        return ops

    def labelled_boxes(self, items: list[tuple[str, bool]], indent: float) -> _Row:
        """``Label ☐   Label ☒`` on one line."""
        ops: list[_Op] = []
        x = indent
        for text, ticked in items:
            ops.append(_Text(x, self.size * 0.98, text, self.regular, self.size))
            x += self.width(text + " ", self.regular)
            ops += self.box(x, ticked)
            x += self.size * 0.78 + self.size * 2
        return _Row(self.lead, ops)

    def circle_around(self, x: float, text: str) -> _Ellipse:
        """An ellipse around ``text`` drawn at ``x`` (the form asks to circle reason 1 or 2)."""
        w = self.width(text, self.regular)
        pad = self.size * 0.16
        return _Ellipse(
            x - pad * 1.4,
            self.size * 0.98 - self.size * 0.86,
            x + w + pad,
            self.size * 0.98 + self.size * 0.22,
        )


# --------------------------------------------------------------------------------------------
# The slip


def _header(lay: _Layout, referral: Referral, station: Station, station_name: str) -> None:
    form = lay.form
    header = form.header
    size = min(max(lay.size - 1, 9.0), 10.5)
    gutter = size * 0.8  # white space between the three blocks
    lead = size * LEADING
    left_w, right_w = CONTENT_WIDTH * 0.30, CONTENT_WIDTH * 0.25
    centre_w = CONTENT_WIDTH - left_w - right_w
    centre_x, right_x = left_w, left_w + centre_w
    ops: list[_Op] = []

    # Left: governing body, station name in capitals, a short rule, the slip number
    y = 0.0
    governing = _clean(station.governing_body).upper()
    for text, font in ((governing, lay.regular), (station_name.upper(), lay.bold)):
        if not text:
            continue
        # shrink a little rather than leave one word alone on a second line
        fitted = max(lay.fit(text, font, size, left_w - gutter), size * 0.82)
        for line in lay.flow([_Span(text, font)], left_w - gutter, size=fitted, align="center"):
            ops += [_Text(x, y + size * 0.98, t, f, fitted) for x, t, f in line]
            y += lead
    middle = (left_w - gutter) / 2
    ops.append(_Line(middle - left_w * 0.18, middle + left_w * 0.18, y + size * 0.15, 0.5))
    y += size * 0.45
    number = referral.number or f"{BLANK * 2}/{referral.year or BLANK}/{form.number_suffix}"
    number_text = f"{header['number_label']} {number}"
    number_size = lay.fit(number_text, lay.regular, size, left_w - gutter)
    x = (left_w - gutter - lay.width(number_text, lay.regular, number_size)) / 2
    ops.append(_Text(x, y + size * 0.98, number_text, lay.regular, number_size))
    left_h = y + lead

    # Centre: the national motto, the second line underlined
    motto1, motto2 = header["motto"]
    size1 = lay.fit(motto1, lay.bold, size, centre_w - 2 * gutter)
    size2 = lay.fit(motto2, lay.bold, size + 1, centre_w - 2 * gutter)
    w1 = lay.width(motto1, lay.bold, size1)
    w2 = lay.width(motto2, lay.bold, size2)
    ops.append(_Text(centre_x + (centre_w - w1) / 2, size * 0.98, motto1, lay.bold, size1))
    x2 = centre_x + (centre_w - w2) / 2
    ops.append(_Text(x2, lead + size * 0.98, motto2, lay.bold, size2))
    ops.append(_Line(x2, x2 + w2, lead + size * 0.98 + size * 0.2, 0.6))
    centre_h = 2 * lead + size * 0.3

    # Right: record number and referral book entry
    y = 0.0
    record = _ident(referral.record_no)
    book = _ident(referral.book_no)
    for key, value in (("record_label", record), ("book_label", book)):
        spans = [_Span(header[key] + " ", lay.regular)]
        spans += [_Span(value, lay.regular)] if value else [_Span("", lay.regular, leader=True)]
        for line in lay.flow(spans, right_w - gutter, size=size):
            ops += [_Text(right_x + gutter + x, y + size * 0.98, t, f, size) for x, t, f in line]
            y += lead
    right_h = y

    lay.add([_Row(max(left_h, centre_h, right_h), ops)])


def _title(lay: _Layout) -> None:
    size = lay.fit(lay.form.title, lay.bold, lay.size + 2, CONTENT_WIDTH)
    lay.add(
        lay.text_rows(
            [_Span(lay.form.title, lay.bold)], size=size, align="center", gap_before=lay.size * 0.9
        )
    )


def _patient(lay: _Layout, r: Referral, station_name: str) -> None:
    receiving = _clean(r.receiving_facility)
    addressee = [_Span(lay.label("addressee") + " ", lay.regular)]
    addressee += lay.value_spans(receiving, font=lay.bold)
    lay.add(lay.text_rows(addressee, x0=CONTENT_WIDTH * 0.12, gap_before=lay.size * 0.5))
    intro = [_Span(station_name + " ", lay.regular), _Span(lay.label("introduces"), lay.regular)]
    lay.add(lay.text_rows(intro, gap_before=lay.size * 0.2))

    sex = lay.form.sex.get(r.sex, "") if r.sex else ""
    birth_year = r.birth_year or (r.birth_date.year if r.birth_date else None)
    lay.cells(
        [
            ("patient_name", _ident(r.patient_name), 0.56, True),
            ("sex", sex, 0.2, False),
            ("birth_year", str(birth_year) if birth_year else "", 0.24, False),
        ]
    )
    lay.field("address", _clean(r.address))
    lay.cells(
        [
            ("ethnicity", _clean(r.ethnicity), 0.5, False),
            ("nationality", _clean(r.nationality), 0.5, False),
        ]
    )
    lay.cells(
        [
            ("occupation", _clean(r.occupation), 0.5, False),
            ("workplace", _clean(r.workplace), 0.5, False),
        ]
    )
    lay.field("insurance_no", _ident(r.insurance_no).upper(), bold=True)
    valid_to = [_Span(lay.label("insurance_valid_to") + " ", lay.regular)]
    valid_to.append(_Span(_date(r.insurance_valid_to), lay.regular))
    lay.add(lay.text_rows(valid_to))
    lay.add(
        [
            lay.labelled_boxes(
                [
                    (lay.label("insurance_expired"), r.insurance_expired),
                    (lay.label("insurance_undetermined"), r.insurance_validity_unknown),
                ],
                indent=CONTENT_WIDTH * 0.12,
            )
        ]
    )


def _earlier(lay: _Layout, r: Referral) -> None:
    lay.add(lay.text_rows([_Span(lay.label("treated"), lay.regular)], keep_with_next=True))
    # the form always shows two "+ Tại" lines, dotted when empty
    items: list[EarlierTreatment | None] = [*r.earlier_treatments[:2], None, None][:2]
    indent = lay.size * 1.2
    dates = [
        f"{lay.label('treated_from')} {_date(item.from_date if item else None)} "
        f"{lay.label('treated_to')} {_date(item.to_date if item else None)}"
        for item in items
    ]
    # the dates start in one column, after the widest of them
    dates_x = CONTENT_WIDTH - max(lay.width(d, lay.regular) for d in dates)
    for item, date_text in zip(items, dates, strict=True):
        place = _clean(item.place) if item else ""
        spans = [_Span(lay.label("treated_at") + " ", lay.regular)]
        spans += lay.value_spans(place)
        lines = lay.flow(spans, dates_x - indent - lay.size * 0.6)
        for index, line in enumerate(lines):
            ops: list[_Op] = [
                _Text(indent + x, lay.size * 0.98, t, f, lay.size) for x, t, f in line
            ]
            if index == 0:
                ops.append(_Text(dates_x, lay.size * 0.98, date_text, lay.regular, lay.size))
            lay.add([_Row(lay.lead, ops)])


def _summary(lay: _Layout, r: Referral) -> None:
    heading = [_Span(lay.label("summary"), lay.bold)]
    lay.add(lay.text_rows(heading, gap_before=lay.size * 0.3, keep_with_next=True))
    lay.field("clinical_signs", _clean(r.clinical_signs))
    lay.field("test_results", _clean(r.test_results))
    codes = "; ".join(r.icd_codes) or BLANK * 2
    icd = [_Span(f" ({lay.label('icd')} {codes})", lay.regular)]
    lay.field("diagnosis", _clean(r.diagnosis), bold=True, after=icd)
    lay.field("procedures", _clean(r.procedures))
    lay.field("treatment", _clean(r.treatment))
    lay.field("condition", _clean(r.condition))


def _reason(lay: _Layout, r: Referral) -> None:
    lay.add(lay.text_rows([_Span(lay.label("reason"), lay.regular)], keep_with_next=True))
    indent1 = lay.size * 1.2
    indent2 = lay.size * 2.6
    group = {"1a": "1", "1b": "1", "2": "2"}.get(r.reason or "")

    text = lay.label("reason_group_1")
    row = lay.text_rows([_Span(text, lay.regular)], x0=indent1, keep_with_next=True)
    if group == "1":
        row[0].ops.append(lay.circle_around(indent1, "1."))
    lay.add(row)

    texts = {code: lay.label(f"reason_{code}") for code in ("1a", "1b")}
    box_x = max(lay.width(t, lay.regular) for t in texts.values()) + indent2 + lay.size * 0.6
    box_x = min(box_x, CONTENT_WIDTH - lay.size)
    for code, text in texts.items():
        rows = lay.text_rows([_Span(text, lay.regular)], x0=indent2, width=box_x - indent2 - 4)
        rows[-1].ops += lay.box(box_x, r.reason == code)
        lay.add(rows)

    rows = lay.text_rows([_Span(lay.label("reason_2"), lay.regular)], x0=indent1, indent=lay.size)
    if group == "2":
        rows[0].ops.append(lay.circle_around(indent1, "2."))
    lay.add(rows)


def _transfer(lay: _Layout, r: Referral) -> None:
    lay.field("direction", _clean(r.direction))
    at = r.transfer_at
    parts = (
        (f"{at.hour:02d}", f"{at.minute:02d}", f"{at.day:02d}", f"{at.month:02d}", f"{at.year}")
        if at
        else (BLANK,) * 5
    )
    text = (
        f"{lay.label('transfer_at')} {parts[0]} {lay.label('hour')} {parts[1]} "
        f"{lay.label('minute')} {parts[2]} {lay.label('month')} {parts[3]} "
        f"{lay.label('year')} {parts[4]}"
    )
    lay.add(lay.text_rows([_Span(text, lay.regular)]))

    one_year = lay.label("one_year") + " "
    row = lay.labelled_boxes(
        [(lay.label("yes"), r.one_year is True), (lay.label("no"), r.one_year is False)],
        indent=lay.width(one_year, lay.regular),
    )
    row.ops.insert(0, _Text(0.0, lay.size * 0.98, lay.label("one_year"), lay.regular, lay.size))
    lay.add([row])

    lay.field("transport", _clean(r.transport))
    escort = ", ".join(p for p in (_ident(r.escort_name), _clean(r.escort_title)) if p)
    lay.field("escort", escort)


def _signatures(lay: _Layout, r: Referral, station: Station) -> None:
    form = lay.form
    sig = form.signatures
    size, lead = lay.size, lay.lead
    left_w = CONTENT_WIDTH * 0.44
    right_x, right_w = left_w, CONTENT_WIDTH - left_w
    ops: list[_Op] = []

    def centred(
        text: str, font: str, x0: float, width: float, y: float, s: float | None = None
    ) -> float:
        s = s or size
        for line in lay.flow([_Span(text, font)], width, size=s, align="center"):
            ops.extend(_Text(x0 + x, y + s * 0.98, t, f, s) for x, t, f in line)
            y += s * LEADING
        return y

    signed = r.signing_date
    place = _clean(station.commune or station.province)
    day, month, year = (
        (f"{signed.day:02d}", f"{signed.month:02d}", str(signed.year)) if signed else (BLANK,) * 3
    )
    template = sig["date"] if place else sig["date_without_place"]
    date_line = template.format(place=place, day=day, month=month, year=year)

    # the date above the representative's block; the clinician's block on the left
    top = centred(date_line, lay.italic, right_x, right_w, 0.0)
    y_left = centred(sig["clinician"]["heading"], lay.bold, 0.0, left_w, top)
    y_left = centred(sig["clinician"]["note"], lay.italic, 0.0, left_w, y_left)
    y_right = centred(sig["representative"]["heading"], lay.bold, right_x, right_w, top)
    y_right = centred(sig["representative"]["note"], lay.italic, right_x, right_w, y_right)

    names_y = max(y_left, y_right) + lead * 3.2
    clinician = _ident(r.clinician_name)
    signer = _ident(r.signer_name)
    end_left = centred(clinician, lay.bold, 0.0, left_w, names_y) if clinician else names_y
    end_right = centred(signer, lay.bold, right_x, right_w, names_y) if signer else names_y
    title = _clean(r.signer_title)
    if title:
        end_right = centred(title, lay.regular, right_x, right_w, end_right)
    lay.add([_Row(max(end_left, end_right, names_y + lead), ops, gap_before=size * 0.6)])


def _footnotes(lay: _Layout) -> None:
    notes = lay.form.footnotes
    size = max(lay.size - 1.5, 8.0)
    lay.add(
        lay.text_rows(
            [_Span(notes["heading"], lay.bold_italic)],
            size=size,
            gap_before=lay.size * 0.5,
            keep_with_next=True,
        )
    )
    for item in notes["items"]:
        lay.add(lay.text_rows([_Span("- " + item, lay.italic)], size=size, indent=size * 0.7))


def _build(form: ReferralForm, r: Referral, station: Station, size: float) -> _Layout:
    lay = _Layout(form, size)
    station_name = _clean(r.sending_station or station.name)
    _header(lay, r, station, station_name)
    _title(lay)
    _patient(lay, r, station_name)
    _earlier(lay, r)
    _summary(lay, r)
    _reason(lay, r)
    _transfer(lay, r)
    _signatures(lay, r, station)
    _footnotes(lay)
    return lay


# --------------------------------------------------------------------------------------------
# Pages


def _continuation_height(size: float) -> float:
    return 2 * size * LEADING + size * 0.8


def _paginate(rows: list[_Row], size: float) -> list[list[_Row]]:
    """Rows split into pages; later pages leave room for the short repeated header."""
    full = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    pages: list[list[_Row]] = [[]]
    room = full
    for index, row in enumerate(rows):
        page = pages[-1]
        need = (row.gap_before if page else 0.0) + row.height
        keep = need
        if row.keep_with_next and index + 1 < len(rows):
            following = rows[index + 1]
            keep += following.gap_before + following.height
        if page and (need > room + 0.01 or keep > room + 0.01):
            pages.append([])
            room = full - _continuation_height(size)
            need = row.height
        pages[-1].append(row)
        room -= need
    return pages


def _draw_ops(c: Canvas, ops: list[_Op], top: float) -> None:
    for op in ops:
        if isinstance(op, _Text):
            c.setFont(op.font, op.size)
            c.drawString(MARGIN_LEFT + op.x, top - op.dy, op.text)
        elif isinstance(op, _Box):
            c.setLineWidth(0.7)
            c.rect(MARGIN_LEFT + op.x, top - op.dy, op.side, op.side, stroke=1, fill=0)
        elif isinstance(op, _Line):
            c.setLineWidth(op.width)
            c.line(MARGIN_LEFT + op.x1, top - op.dy, MARGIN_LEFT + op.x2, top - op.dy)
        else:
            c.setLineWidth(0.7)
            c.ellipse(
                MARGIN_LEFT + op.x1,
                top - op.dy2,
                MARGIN_LEFT + op.x2,
                top - op.dy1,
                stroke=1,
                fill=0,
            )


def _draw_continuation(
    c: Canvas, lay: _Layout, station_name: str, r: Referral, page: int, pages: int
) -> float:
    """The short header of page 2 and later; returns the y where the content starts."""
    cont = lay.form.continuation
    size = lay.size
    top = PAGE_HEIGHT - MARGIN_TOP
    c.setFont(lay.bold, size)
    c.drawString(MARGIN_LEFT, top - size, station_name.upper())
    page_text = cont["page"].format(page=page, pages=pages)
    c.setFont(lay.italic, size)
    c.drawRightString(PAGE_WIDTH - MARGIN_RIGHT, top - size, page_text)
    second = f"{cont['number']} {r.number or BLANK}   {cont['patient']} {_ident(r.patient_name)}"
    second_size = lay.fit(second, lay.regular, size, CONTENT_WIDTH)
    c.setFont(lay.regular, second_size)
    c.drawString(MARGIN_LEFT, top - size - size * LEADING, second)
    rule_y = top - 2 * size * LEADING - size * 0.3
    c.setLineWidth(0.5)
    c.line(MARGIN_LEFT, rule_y, PAGE_WIDTH - MARGIN_RIGHT, rule_y)
    return top - _continuation_height(size)


def _draw_cancelled(c: Canvas, text: str) -> None:
    c.saveState()
    c.setFillColor(Color(0.75, 0.1, 0.1, alpha=0.35))
    c.setFont(fonts.face(fonts.SERIF, bold=True), 72)
    c.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    c.rotate(35)
    c.drawCentredString(0, 0, text)
    c.restoreState()


CANCELLED_MARK = "ĐÃ HỦY"


def _layout(form: ReferralForm, r: Referral, station: Station) -> tuple[_Layout, list[list[_Row]]]:
    """The largest font size at which the slip fits one page; else the fewest pages."""
    best: tuple[_Layout, list[list[_Row]]] | None = None
    for size in FONT_SIZES:
        lay = _build(form, r, station, size)
        pages = _paginate(lay.rows, size)
        if len(pages) == 1:
            return lay, pages
        if best is None or len(pages) < len(best[1]):
            best = (lay, pages)
    assert best is not None
    return best


def render_referral_bytes(
    referral: Referral,
    station: Station | Mapping[str, Any] | Any,
    *,
    form: ReferralForm | None = None,
) -> bytes:
    """The slip as PDF bytes (A4 portrait, fonts embedded, one page whenever it fits)."""
    fonts.register_fonts()
    form = form or load_form()
    station = Station.of(station)
    lay, pages = _layout(form, referral, station)
    station_name = _clean(referral.sending_station or station.name)

    buffer = io.BytesIO()
    # the initial font is ours, else reportlab references an unembedded Helvetica on every page
    c = Canvas(
        buffer,
        pagesize=A4,
        pageCompression=1,
        initialFontName=lay.regular,
        initialFontSize=lay.size,
    )
    number = referral.number
    title = f"{form.name} – {number}" if number else form.name
    subject = " – ".join(
        p for p in (_ident(referral.patient_name), _clean(referral.receiving_facility)) if p
    )
    set_metadata(c, title=title, author=station_name or station.name, subject=subject)

    for page_no, rows in enumerate(pages, start=1):
        if page_no == 1:
            y = PAGE_HEIGHT - MARGIN_TOP
        else:
            y = _draw_continuation(c, lay, station_name, referral, page_no, len(pages))
        for index, row in enumerate(rows):
            if index:
                y -= row.gap_before
            _draw_ops(c, row.ops, y)
            y -= row.height
        if len(pages) > 1 and page_no == 1:
            c.setFont(lay.italic, max(lay.size - 2, 8))
            page_text = form.continuation["page"].format(page=1, pages=len(pages))
            c.drawRightString(PAGE_WIDTH - MARGIN_RIGHT, MARGIN_BOTTOM * 0.5, page_text)
        if referral.is_cancelled:
            _draw_cancelled(c, CANCELLED_MARK)
        c.showPage()
    c.save()
    return buffer.getvalue()


def render_referral(
    referral: Referral,
    station: Station | Mapping[str, Any] | Any,
    out_path: str | os.PathLike[str],
    *,
    form: ReferralForm | None = None,
) -> Path:
    """Draw the slip and write it to ``out_path`` atomically (an existing file is replaced)."""
    return write_atomic(out_path, render_referral_bytes(referral, station, form=form))
