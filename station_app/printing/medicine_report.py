"""The monthly medicine report (nhập – xuất – tồn) as a PDF: A4 landscape, one line per drug with
its lots beneath (lot, expiry, price, opening, received, dispensed, adjusted, closing, value),
totals, and the signature lines. Noto Sans embedded; user text escaped."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from station_app import APP_NAME
from station_app.domain.medicine_report import COLUMNS, MedicineReport
from station_app.files import write_atomic
from station_app.i18n import tr
from station_app.printing import fonts
from station_app.printing.pdf import markup_text
from station_app.printing.table_report import landscape_pdf, report_styles, signatures

GRID = colors.Color(0.6, 0.6, 0.6)
HEAD_FILL = colors.Color(0.92, 0.92, 0.92)
DRUG_FILL = colors.Color(0.97, 0.97, 0.97)


def number(value: float) -> str:
    """Vietnamese grouping: 1.234.567; decimals after a comma."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    whole, _, frac = f"{value:,.3f}".rstrip("0").partition(".")
    return whole.replace(",", ".") + "," + frac


def report_pdf(report: MedicineReport) -> bytes:
    styles = report_styles()
    p = lambda text, style="base": Paragraph(markup_text(str(text)), styles[style])  # noqa: E731
    story: list[Any] = [
        p(report.station or APP_NAME, "bold"),
        p(tr("MEDICINE STOCK REPORT"), "title"),
        p(tr("Month {month}").format(month=f"{report.month.month:02d}/{report.month.year}"), "sub"),
        Spacer(1, 4 * mm),
    ]
    head = [tr("No."), *map(tr, COLUMNS)]
    rows: list[list[Any]] = [[p(h, "bold") for h in head]]
    drug_rows = []
    for index, row in enumerate(report.rows, start=1):
        drug_rows.append(len(rows))
        rows.append(
            [
                p(index),
                p(row.drug.name, "bold"),
                p(row.drug.unit),
                "",
                "",
                "",
                *(
                    p(number(row.total(k)), "rbold")
                    for k in ("opening", "received", "dispensed", "adjusted", "closing")
                ),
                p(number(row.closing_value), "rbold"),
            ]
        )
        for lot in row.lots:
            rows.append(
                [
                    "",
                    "",
                    "",
                    p(lot.lot),
                    p(lot.expiry.strftime("%d/%m/%Y")),
                    p(number(lot.unit_price), "right"),
                    *(
                        p(number(getattr(lot, k)), "right")
                        for k in ("opening", "received", "dispensed", "adjusted", "closing")
                    ),
                    p(number(lot.closing_value), "right"),
                ]
            )
    rows.append(
        ["", p(tr("Total"), "bold"), "", "", "", "", "", "", "", "", "", p(number(report.closing_value), "rbold")]
    )
    widths = [9, 62, 14, 24, 20, 20, 20, 20, 20, 20, 20, 28]
    table = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("FONTNAME", (0, 0), (-1, -1), fonts.SANS),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    style += [("BACKGROUND", (0, r), (-1, r), DRUG_FILL) for r in drug_rows]
    table.setStyle(TableStyle(style))
    story.append(table)
    story.append(Spacer(1, 3 * mm))
    story.append(
        p(
            tr(
                "Dispensed: given out against prescriptions, less what patients brought back. "
                "Values at each lot's purchase price (đồng). Dispensed value this month: {value}."
            ).format(value=number(report.dispensed_value))
        )
    )
    story += [Spacer(1, 8 * mm), signatures(styles)]
    return landscape_pdf(story, tr("MEDICINE STOCK REPORT") + f" {report.month.key}", report.station or APP_NAME,
                         tr("Medicine stock report") + " " + report.month.display())


def render_report(report: MedicineReport, path: str | os.PathLike[str]) -> Path:
    return write_atomic(path, report_pdf(report))
