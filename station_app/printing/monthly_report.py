"""The monthly summary as an A4 PDF for the station head to sign and send.

Page one: the station header (governing body, station, facility code), the title with the
month, whether this is a draft or the finalised copy, and two small charts (visits per day, top
diagnoses). Then one table per block: each indicator with this month's value and the previous
month's beside it; consultations and morbidity also by sex and age band. A corrected cell is
marked ``*`` and explained under its block (computed value, corrected value, who, why). The last
page carries the signature lines "Người lập biểu" and "Trưởng trạm". Every page: "Trang k/n".

Fonts are the shipped ones, embedded; user text is escaped; the file is written atomically.
"""

from __future__ import annotations

import io
import os
from functools import partial
from pathlib import Path
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from station_app import APP_NAME, __version__
from station_app.domain.indicators import INDICATOR, PREVIOUS, THIS_MONTH, pick
from station_app.domain.monthly import Cell, IndicatorResult, MonthlySummary
from station_app.files import write_atomic
from station_app.i18n import N_, tr
from station_app.presentation import grouped
from station_app.printing import fonts
from station_app.printing.paged import PageCountCanvas
from station_app.printing.pdf import markup_text

PAGE = A4
MARGIN = 15 * mm
CONTENT_WIDTH = PAGE[0] - 2 * MARGIN
TEXT_SIZE = 8.5
GREY = colors.Color(0.35, 0.35, 0.35)
HEAD_BG = colors.Color(0.9, 0.92, 0.95)
BAR = colors.Color(0.18, 0.4, 0.62)

TITLE = N_("MONTHLY SUMMARY REPORT")
MONTH_LINE = N_("Month {month}")
YEAR_TITLE = N_("YEARLY SUMMARY REPORT")
YEAR_LINE = N_("Year {month}")
THIS_YEAR = N_("This year")
LAST_YEAR = N_("Last year")


def _words(summary: MonthlySummary) -> tuple[str, str, str, str]:
    """The title, the period line and the two value headings: a month's, or the year's."""
    if summary.month.is_year:
        return tr(YEAR_TITLE), tr(YEAR_LINE), tr(THIS_YEAR), tr(LAST_YEAR)
    return tr(TITLE), tr(MONTH_LINE), tr(THIS_MONTH), tr(PREVIOUS)
DRAFT_NOTE = N_("DRAFT — computed on {at}, not yet finalised")
FINAL_NOTE = N_("Finalised copy (version {version}), finalised on {at} by {by}")
FACILITY = N_("Facility code: {code}")
CHART_VISITS = N_("Visits per day")
CHART_VISITS_YEAR = N_("Visits per month")
CHART_TOP = N_("Top diagnoses (visits)")
CORRECTED = N_("* {indicator} — {column}: computed {computed}, corrected to {corrected} by {by} ({at}): {reason}")
PREPARED_BY = N_("Prepared by")
HEAD = N_("Station head")
SIGN_HINT = N_("(signature, full name)")
PLACE_DATE = N_("{place}, day ... month ... year ...")
COUNTRY = N_("SOCIALIST REPUBLIC OF VIETNAM")
MOTTO = N_("Independence – Freedom – Happiness")


def number_text(value: int | None) -> str:
    """A count as printed: thousands grouped with "." in Vietnamese, "," in English."""
    return "–" if value is None else grouped(value)


def when_text(stamp: str) -> str:
    """``2026-04-03 09:00:12`` → ``03/04/2026 09:00``."""
    if len(stamp) < 10:
        return stamp
    text = f"{stamp[8:10]}/{stamp[5:7]}/{stamp[0:4]}"
    return f"{text} {stamp[11:16]}" if len(stamp) >= 16 else text


def _styles() -> dict[str, ParagraphStyle]:
    regular = fonts.face(fonts.SANS)
    bold = fonts.face(fonts.SANS, bold=True)
    base = ParagraphStyle("cell", fontName=regular, fontSize=TEXT_SIZE, leading=TEXT_SIZE * 1.22)
    return {
        "cell": base,
        "indent": ParagraphStyle("indent", parent=base, leftIndent=3 * mm),
        "head": ParagraphStyle("head", parent=base, fontName=bold, alignment=1),
        "headl": ParagraphStyle("headl", parent=base, fontName=bold),
        "block": ParagraphStyle("block", parent=base, fontName=bold, fontSize=11, leading=14, spaceBefore=4 * mm,
                                spaceAfter=1.5 * mm),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=14, leading=18, alignment=1),
        "centre": ParagraphStyle("centre", parent=base, fontSize=10, leading=13, alignment=1),
        "centreb": ParagraphStyle("centreb", parent=base, fontName=bold, fontSize=10, leading=13, alignment=1),
        "note": ParagraphStyle("note", parent=base, fontSize=TEXT_SIZE - 0.5, leading=(TEXT_SIZE - 0.5) * 1.25,
                               textColor=GREY),
        "status": ParagraphStyle("status", parent=base, fontSize=9.5, leading=12, alignment=1,
                                 textColor=colors.Color(0.6, 0.1, 0.1)),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(markup_text(text), style)


def _value(cell: Cell) -> str:
    return number_text(cell.reported) + ("*" if cell.correction else "")


def _header(summary: MonthlySummary, status: str, styles: dict[str, ParagraphStyle]) -> list[Any]:
    st = summary.station
    left = [_p((st.get("governing_body") or "").upper(), styles["centre"]),
            _p(st.get("name") or "", styles["centreb"])]
    if st.get("facility_code"):
        left.append(_p(tr(FACILITY).format(code=st["facility_code"]), styles["centre"]))
    right = [_p(tr(COUNTRY), styles["centreb"]), _p(tr(MOTTO), styles["centreb"])]
    top = Table([[left, right]], colWidths=[CONTENT_WIDTH * 0.45, CONTENT_WIDTH * 0.55])
    top.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), fonts.face(fonts.SANS)),
                             ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                             ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return [top, Spacer(1, 6 * mm), _p(_words(summary)[0], styles["title"]),
            _p(_words(summary)[1].format(month=summary.month.display()), styles["centreb"]),
            _p(status, styles["status"]), Spacer(1, 3 * mm)]


def _bar_style(chart: Any) -> None:
    chart.bars[0].fillColor = BAR
    chart.bars[0].strokeColor = None
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = fonts.face(fonts.SANS)
        axis.labels.fontSize = 6.5
        axis.strokeColor = GREY
    chart.valueAxis.valueMin = 0
    chart.valueAxis.forceZero = True


def _drawing(width: float, height: float) -> Drawing:
    """A drawing that starts in our font (else reportlab refers to an unembedded Helvetica)."""
    drawing = Drawing(width, height)
    drawing.initialFontName = fonts.face(fonts.SANS)
    return drawing


def visits_chart(summary: MonthlySummary, width: float, height: float) -> Drawing:
    drawing = _drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 22, 16
    chart.width, chart.height = width - 28, height - 32
    bars = summary.visit_bars()
    values = [n for _, n in bars]
    chart.data = [values or [0]]
    yearly = summary.month.is_year
    chart.categoryAxis.categoryNames = [  # a year: every month; a month: days 1, 5, 10… and the last
        str(at) if yearly or at in (1, 5, 10, 15, 20, 25) or i == len(values) - 1 else ""
        for i, (at, _) in enumerate(bars)
    ]
    chart.barSpacing = 0.5
    _bar_style(chart)
    top = max(values or [0])
    chart.valueAxis.valueMax = max(top, 4)
    drawing.add(chart)
    title = tr(CHART_VISITS_YEAR if yearly else CHART_VISITS)
    drawing.add(String(width / 2, height - 9, title, fontName=fonts.face(fonts.SANS, bold=True),
                       fontSize=8, textAnchor="middle"))
    return drawing


def top_chart(summary: MonthlySummary, width: float, height: float) -> Drawing:
    drawing = _drawing(width, height)
    top = summary.top_diagnoses(10)
    chart = HorizontalBarChart()
    chart.x, chart.y = 30, 10
    chart.width, chart.height = width - 42, height - 26
    chart.data = [[n for _, _, n in reversed(top)] or [0]]
    chart.categoryAxis.categoryNames = [code for code, _, _ in reversed(top)] or [""]
    _bar_style(chart)
    chart.valueAxis.valueMax = max([n for _, _, n in top] + [4])
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = fonts.face(fonts.SANS)
    chart.barLabels.fontSize = 6
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 2
    drawing.add(chart)
    drawing.add(String(width / 2, height - 9, tr(CHART_TOP), fontName=fonts.face(fonts.SANS, bold=True),
                       fontSize=8, textAnchor="middle"))
    return drawing


def _grid(rows: list[list[Any]], widths: list[float], header_rows: int = 1) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=header_rows)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), fonts.face(fonts.SANS)),
        ("FONTSIZE", (0, 0), (-1, -1), TEXT_SIZE),
        ("GRID", (0, 0), (-1, -1), 0.4, GREY),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), HEAD_BG),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (1, header_rows), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _line_label(result: IndicatorResult, key: str, names: dict[str, str]) -> str:
    return pick(result.indicator.name) if key == "" else pick(names)


def _wide_table(summary: MonthlySummary, results: list[IndicatorResult], styles: dict[str, ParagraphStyle]) -> Table:
    """Indicators broken down by sex and age: total, previous month, then the breakdown."""
    columns = results[0].columns
    defs = summary.definitions
    first = 58 * mm
    rest = (CONTENT_WIDTH - first) / (len(columns) + 1)
    _title, _line, now, before = _words(summary)
    header = [_p(tr(INDICATOR), styles["headl"]), _p(now, styles["head"]), _p(before, styles["head"])]
    header += [_p(defs.column_label(c), styles["head"]) for c in columns[1:]]
    rows: list[list[Any]] = [header]
    for result in results:
        if len(result.lines) > 1 or result.lines[0].key:
            rows.append([_p(pick(result.indicator.name), styles["headl"])] + [""] * (len(columns) + 1))
        for line in result.lines:
            style = styles["indent"] if line.key else styles["cell"]
            total = line.cells["total"]
            rows.append([_p(_line_label(result, line.key, line.label), style), _value(total),
                         number_text(total.previous)] + [_value(line.cells[c]) for c in columns[1:]])
    return _grid(rows, [first] + [rest] * (len(columns) + 1))


def _narrow_table(results: list[IndicatorResult], styles: dict[str, ParagraphStyle],
                  headings: tuple[str, str] = ("", "")) -> Table:
    """Indicators with one number a line: this month, previous month."""
    number = 30 * mm
    now, before = headings if headings[0] else (tr(THIS_MONTH), tr(PREVIOUS))
    rows: list[list[Any]] = [[_p(tr(INDICATOR), styles["headl"]), _p(now, styles["head"]),
                              _p(before, styles["head"])]]
    for result in results:
        multi = len(result.lines) > 1 or bool(result.lines and result.lines[0].key)
        if multi:
            rows.append([_p(pick(result.indicator.name), styles["headl"]), "", ""])
        for line in result.lines:
            total = line.cells["total"]
            style = styles["indent"] if multi else styles["cell"]
            rows.append([_p(_line_label(result, line.key, line.label), style), _value(total),
                         number_text(total.previous)])
    return _grid(rows, [CONTENT_WIDTH - 2 * number, number, number])


def _notes(summary: MonthlySummary, results: list[IndicatorResult], styles: dict[str, ParagraphStyle]) -> list[Any]:
    notes = []
    for result in results:
        for line in result.lines:
            for column in result.columns:
                cell = line.cells[column]
                if not cell.correction:
                    continue
                fix = cell.correction
                name = pick(result.indicator.name) + ("" if not line.key else f" — {pick(line.label)}")
                notes.append(_p(tr(CORRECTED).format(
                    indicator=name, column=summary.definitions.column_label(column), computed=number_text(fix.computed),
                    corrected=number_text(fix.corrected), by=fix.by, at=when_text(fix.at), reason=fix.reason,
                ), styles["note"]))
    return notes


def _signatures(summary: MonthlySummary, styles: dict[str, ParagraphStyle]) -> Table:
    """"Người lập biểu" on the left, the place and date and "Trưởng trạm" on the right, room to sign."""
    st = summary.station
    place = tr(PLACE_DATE).format(place=st.get("commune") or "").lstrip(", ")
    hint = ParagraphStyle("hint", parent=styles["note"], alignment=1)
    rows = [
        ["", _p(place, styles["centre"])],
        [_p(tr(PREPARED_BY), styles["centreb"]), _p(tr(HEAD), styles["centreb"])],
        [_p(tr(SIGN_HINT), hint), _p(tr(SIGN_HINT), hint)],
        ["", ""],
        ["", _p(st.get("head_name") or "", styles["centreb"])],
    ]
    table = Table(rows, colWidths=[CONTENT_WIDTH / 2, CONTENT_WIDTH / 2], rowHeights=[None, None, None, 18 * mm, None])
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), fonts.face(fonts.SANS)),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5)]))
    return table


class _NumberedCanvas(PageCountCanvas):
    """Writes "Trang k/n" (and the program's name) once the number of pages is known."""

    text_size = TEXT_SIZE

    def __init__(self, *args: Any, footer: str = "", page_size: tuple[float, float] = PAGE,
                 margin: float = MARGIN, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._size = page_size
        self._margin = margin

    def decorate(self, total: int) -> None:
        self.setFont(fonts.face(fonts.SANS), 7.5)
        self.setFillColor(GREY)
        width = self._size[0]
        y = self._margin - 6 * mm
        self.drawRightString(width - self._margin, y, self.page_label(total))
        self.drawString(self._margin, y, self._footer)


NumberedCanvas = _NumberedCanvas


def monthly_report_bytes(summary: MonthlySummary, status: str) -> bytes:
    """The PDF of ``summary``; ``status`` is the line under the title (draft / finalised)."""
    fonts.register_fonts()
    styles = _styles()
    story: list[Any] = _header(summary, status, styles)
    half = CONTENT_WIDTH / 2 - 2 * mm
    charts = Table([[visits_chart(summary, half, 52 * mm), top_chart(summary, half, 52 * mm)]],
                   colWidths=[CONTENT_WIDTH / 2, CONTENT_WIDTH / 2])
    charts.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), fonts.face(fonts.SANS)),
                                ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    story += [charts, Spacer(1, 2 * mm)]
    for code, name in summary.blocks:
        results = summary.results(code)
        if not results:
            continue
        story.append(CondPageBreak(40 * mm))
        story.append(_p(pick(name), styles["block"]))
        wide = [r for r in results if len(r.columns) > 1]
        narrow = [r for r in results if len(r.columns) == 1]
        if wide:
            story.append(_wide_table(summary, wide, styles))
        if narrow:
            story.append(_narrow_table(narrow, styles, _words(summary)[2:]))
        notes = _notes(summary, results, styles)
        if notes:
            story += [Spacer(1, 1.5 * mm), *notes]
    story += [Spacer(1, 8 * mm), KeepTogether([_signatures(summary, styles)])]
    buffer = io.BytesIO()
    title = f"{_words(summary)[0]} — {summary.month.display()}"
    doc = SimpleDocTemplate(
        buffer, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN + 2 * mm,
        title=title, author=summary.station.get("name") or APP_NAME, subject=summary.month.key,
        creator=f"{APP_NAME} {__version__}",
    )
    footer = f"{summary.station.get('name') or ''} · {_words(summary)[1].format(month=summary.month.display())}"
    doc.build(story, canvasmaker=partial(_NumberedCanvas, footer=footer))
    return buffer.getvalue()


def status_line(summary: MonthlySummary, final: tuple[int, str, str] | None) -> str:
    """The line under the title: a draft with its computing time, or the finalised version."""
    if final is None:
        return tr(DRAFT_NOTE).format(at=when_text(summary.generated_at))
    version, at, by = final
    return tr(FINAL_NOTE).format(version=version, at=when_text(at), by=by)


def render_monthly_report(summary: MonthlySummary, path: str | os.PathLike[str],
                          final: tuple[int, str, str] | None = None) -> Path:
    """Write the PDF to ``path`` atomically; ``final`` = (version, finalised at, by) of a sent copy."""
    return write_atomic(path, monthly_report_bytes(summary, status_line(summary, final)))
