"""The month's health-insurance claims as a PDF: A4 landscape, the totals (insured visits, written,
held back, total cost, what the fund and patients pay), then one line per insured visit with its
MA_LK, status, money and the portal's answer or the reasons it was held back; signature lines.
Noto Sans embedded; user text escaped."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from station_app import APP_NAME
from station_app.i18n import tr
from station_app.printing.pdf import markup_text
from station_app.printing.table_report import landscape_pdf, report_styles, signatures
from station_app.store import station as station_store
from station_app.store.claims import MonthTotals
from station_app.store.database import Store

GRID = colors.Color(0.6, 0.6, 0.6)
HEAD_FILL = colors.Color(0.92, 0.92, 0.92)
HELD_FILL = colors.Color(1.0, 0.95, 0.88)


def money(value: Decimal) -> str:
    """Whole đồng with Vietnamese grouping (1.234.567); a remainder after a comma."""
    whole = int(value)
    text = f"{whole:,}".replace(",", ".")
    cents = int((value - whole) * 100)
    return text + (f",{cents:02d}" if cents else "")


def claims_pdf(totals: MonthTotals, store: Store) -> bytes:
    styles = report_styles()
    profile = station_store.load_profile(store)
    station = profile.name or APP_NAME
    p = lambda text, style="base": Paragraph(markup_text(str(text)), styles[style])  # noqa: E731
    year, month = totals.month.split("-")
    story: list[Any] = [
        p(station, "bold"),
        p(tr("HEALTH-INSURANCE CLAIMS"), "title"),
        p(tr("Month {month}").format(month=f"{month}/{year}"), "sub"),
        Spacer(1, 4 * mm),
    ]
    summary = Table(
        [
            [
                p(tr("Insured visits")),
                p(str(totals.visits), "right"),
                p(tr("Total cost (đồng)")),
                p(money(totals.total), "right"),
            ],
            [
                p(tr("Written")),
                p(str(totals.written), "right"),
                p(tr("Insurance pays (đồng)")),
                p(money(totals.fund), "right"),
            ],
            [
                p(tr("Held back")),
                p(str(totals.held), "right"),
                p(tr("Patients pay (đồng)")),
                p(money(totals.patient), "right"),
            ],
            [
                p(tr("Not checked yet")),
                p(str(totals.unchecked), "right"),
                p(tr("Accepted / refused by the portal")),
                p(f"{totals.accepted} / {totals.refused}", "right"),
            ],
        ],
        colWidths=[45 * mm, 20 * mm, 60 * mm, 35 * mm],
        hAlign="LEFT",
    )
    summary.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, GRID)]))
    story += [summary, Spacer(1, 5 * mm)]
    head = [
        tr("No."),
        tr("Date"),
        tr("Patient"),
        "MA_LK",
        tr("Status"),
        tr("Total cost (đồng)"),
        tr("Insurance pays (đồng)"),
        tr("Patients pay (đồng)"),
        tr("Portal's answer or reasons held back"),
    ]
    data: list[list[Any]] = [[p(h, "bold") for h in head]]
    held_rows = []
    for number, row in enumerate(totals.rows, start=1):
        day = row.visit_at[:10]
        checked = bool(row.status)  # a visit not checked yet has no money to show (not 0 đồng)
        data.append(
            [
                p(str(number), "right"),
                p(f"{day[8:10]}/{day[5:7]}/{day[:4]}"),
                p(row.full_name),
                p(row.ma_lk),
                p(row.status_label()),
                p(money(row.total) if checked else "", "right"),
                p(money(row.fund) if checked else "", "right"),
                p(money(row.patient) if checked else "", "right"),
                p("; ".join(row.problems) if row.status == "held" else row.answer_label()),
            ]
        )
        if row.status == "held":
            held_rows.append(number)
    table = Table(
        data,
        colWidths=[10 * mm, 20 * mm, 42 * mm, 44 * mm, 26 * mm, 24 * mm, 24 * mm, 22 * mm, 61 * mm],
        repeatRows=1,
        splitInRow=1,  # a row taller than a page (a long reason typed in) goes on over the next
    )
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    style += [("BACKGROUND", (0, n), (-1, n), HELD_FILL) for n in held_rows]
    table.setStyle(TableStyle(style))
    story += [table, Spacer(1, 4 * mm)]
    story.append(p(tr("The files are signed with the portal's signing tool before they are sent.")))
    story += [Spacer(1, 8 * mm), signatures(styles)]
    return landscape_pdf(story, tr("HEALTH-INSURANCE CLAIMS") + f" {totals.month}", station,
                         tr("Health-insurance claims") + " " + f"{month}/{year}")
