"""The prescription slip (đơn thuốc), A5 portrait, after the ordinary prescription of Thông tư
26/2025/TT-BYT Phụ lục I as the domain note describes it: the facility, the prescription code
(5 characters of the facility code, 7 of the prescription, "-C"), the patient (name, date of birth
or, under 72 months, age in months with weight and the accompanying person; sex; personal ID;
insurance card; address), the diagnosis, the drugs (INN and strength, quantity with a leading 0
under 10, dose per time, times a day, days, how to take it), advice with the re-visit date, the
date and the prescriber's signature. Liberation Serif embedded; user text escaped.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from station_app import APP_NAME, __version__
from station_app.domain.identifiers import SEX_CODES
from station_app.domain.medicines import quantity_text
from station_app.domain.text import fold
from station_app.files import write_atomic
from station_app.i18n import tr
from station_app.printing import fonts
from station_app.printing.pdf import markup_text
from station_app.store import Store, followups, patients, prescriptions, visits
from station_app.store.station import load_profile

CHILD_MONTHS = 72
VALID_DAYS = 5  # collect the medicines within 5 days of the prescribing date (Đ12 k9 b)
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def prescription_code(facility_code: str, visit_id: int, kind: str = "C") -> str:
    """``xxxxxyyyyyyy-z``: the facility's 5 characters, 7 characters unique within the facility
    (the visit's number in base 36: never two the same, and the same on every reprint), the type."""
    facility = (facility_code.strip() or "00000")[:5].rjust(5, "0")
    number, digits = visit_id, ""
    while True:
        number, rest = divmod(number, 36)
        digits = _DIGITS[rest] + digits
        if not number:
            break
    return f"{facility}{digits.rjust(7, '0')[-7:]}-{kind}"


class _OurFontCanvas(Canvas):
    """A canvas whose pages start in our font (else each refers to an unembedded Helvetica)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["initialFontName"] = fonts.SERIF
        kwargs["initialFontSize"] = 10
        super().__init__(*args, **kwargs)


def _styles() -> dict[str, ParagraphStyle]:
    fonts.register_fonts()
    base = ParagraphStyle("base", fontName=fonts.SERIF, fontSize=10.5, leading=13)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=9, leading=11),
        "head": ParagraphStyle("head", parent=base, fontName=fonts.SERIF_BOLD, fontSize=10, leading=12),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=fonts.SERIF_BOLD,
            fontSize=16,
            leading=20,
            alignment=1,
            spaceBefore=4,
            spaceAfter=2,
        ),
        "center": ParagraphStyle("center", parent=base, alignment=1),
        "drug": ParagraphStyle("drug", parent=base, fontName=fonts.SERIF_BOLD),
        "right": ParagraphStyle("right", parent=base, alignment=2),
        "sign": ParagraphStyle("sign", parent=base, alignment=1, fontName=fonts.SERIF_BOLD),
        "italic": ParagraphStyle("italic", parent=base, fontName=fonts.SERIF_ITALIC, fontSize=9.5, leading=12),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(markup_text(text), style)


def _field(label: str, value: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(f"{markup_text(label)}: <b>{markup_text(value)}</b>", style)


def slip_pdf(store: Store, visit_id: int) -> bytes:
    """The slip as PDF bytes; ``LookupError`` when the visit does not exist or has no prescription."""
    visit = visits.get(store, visit_id)
    if visit is None:
        raise LookupError(visit_id)
    lines = prescriptions.for_visit(store, visit_id)
    if not lines:
        raise LookupError(visit_id)
    patient = patients.get(store, visit.patient_id)
    if patient is None:
        raise LookupError(visit_id)
    profile = load_profile(store)
    styles = _styles()
    day = visit.visit_at.date()
    story: list[Any] = []
    width = A5[0] - 20 * mm

    header = Table(
        [
            [
                _p(profile.governing_body.upper(), styles["small"]),
                _p(
                    tr("Prescription code: {code}").format(code=prescription_code(profile.facility_code, visit_id)),
                    styles["right"],
                ),
            ],
            [_p((profile.name or APP_NAME).upper(), styles["head"]), ""],
        ],
        colWidths=[width * 0.55, width * 0.45],
    )
    header.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), fonts.SERIF),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story.append(header)
    story.append(_p(tr("PRESCRIPTION"), styles["title"]))

    story.append(_field(tr("Full name"), patient.full_name, styles["base"]))
    months = None
    if patient.birth is not None:
        born = patient.birth.midpoint()
        months = (day.year - born.year) * 12 + day.month - born.month - (day.day < born.day)
    facts = []
    if months is not None and months < CHILD_MONTHS:
        facts.append(tr("Age: {months} months").format(months=months))
        if visit.weight:
            facts.append(tr("Weight: {kg} kg").format(kg=f"{visit.weight:g}".replace(".", ",")))
    elif patient.birth is not None:
        facts.append(tr("Date of birth: {date}").format(date=patient.birth.display()))
    facts.append(tr("Sex: {sex}").format(sex=tr(SEX_CODES.get(patient.sex, "")) if patient.sex in SEX_CODES else ""))
    story.append(Paragraph("&nbsp;&nbsp;&nbsp;&nbsp;".join(markup_text(f) for f in facts), styles["base"]))
    if months is not None and months < CHILD_MONTHS:
        guardian = patient.guardian_name or ""
        story.append(
            _field(
                tr("Accompanying person"),
                guardian + (f" ({patient.guardian_relation})" if patient.guardian_relation else ""),
                styles["base"],
            )
        )
    if patient.citizen_id:
        story.append(_field(tr("Personal ID number"), patient.citizen_id, styles["base"]))
    if patient.insurance_no:
        story.append(_field(tr("Health insurance card"), patient.insurance_no, styles["base"]))
    address = patient.address
    if patient.village and fold(patient.village) not in fold(address):
        address = ", ".join(x for x in (address, patient.village) if x)
    if address:
        story.append(_field(tr("Address"), address, styles["base"]))
    diagnoses = [visit.diagnosis_display] + [f"{d.code} {d.text}".strip() for d in visit.extra_diagnoses]
    story.append(_field(tr("Diagnosis"), "; ".join(d for d in diagnoses if d), styles["base"]))
    story.append(Spacer(1, 3 * mm))

    rows = []
    for number, (line, drug) in enumerate(lines, start=1):
        dose = []
        if line.per_dose:
            dose.append(tr("{dose} per time").format(dose=line.per_dose))
        if line.times_per_day:
            dose.append(tr("{n} times a day").format(n=line.times_per_day))
        if line.days:
            dose.append(tr("for {n} days").format(n=line.days))
        how = f"{drug.route.capitalize()}: " if drug.route else ""
        advice_text = line.instructions[:1].upper() + line.instructions[1:]
        text = how + ", ".join(dose) + (f". {advice_text}" if advice_text else "")
        rows.append(
            [
                _p(f"{number}.", styles["base"]),
                Paragraph(
                    f"<b>{markup_text(drug.name)}</b> <font size=9>({markup_text(drug.form)})</font><br/>"
                    f"<i>{markup_text(text)}</i>",
                    styles["base"],
                ),
                _p(f"{quantity_text(line.quantity)} {drug.unit}", styles["right"]),
            ]
        )
    table = Table(rows, colWidths=[7 * mm, width - 7 * mm - 24 * mm, 24 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), fonts.SERIF),
                ("LEFTPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    story.append(table)
    story.append(Spacer(1, 2 * mm))
    story.append(_p(tr("Number of items: {n}").format(n=quantity_text(len(lines))), styles["base"]))

    advice = []
    if visit.treatment:
        advice.append(visit.treatment)
    due = [
        i.due_date
        for i in followups.patient_items(store, visit.patient_id, open_only=True)
        if i.kind == "chronic_refill"
    ]
    revisit = visit.follow_up_date or (min(due) if due else None)
    if revisit:
        advice.append(tr("Come back on {date} (bring this prescription).").format(date=revisit.strftime("%d/%m/%Y")))
    advice.append(
        tr("Collect the medicines by {date} (within {days} days).").format(
            date=(day + dt.timedelta(days=VALID_DAYS)).strftime("%d/%m/%Y"), days=VALID_DAYS
        )
    )
    sentences = [a.strip().rstrip(".") + "." for a in advice if a.strip()]
    story.append(Paragraph(f"<b>{markup_text(tr('Advice'))}:</b> {markup_text(' '.join(sentences))}",
                           styles["italic"]))
    story.append(Spacer(1, 4 * mm))

    place = profile.commune or ""
    date_line = (
        tr("{place}, day {d} month {m} year {y}")
        .format(place=place, d=f"{day.day:02d}", m=f"{day.month:02d}", y=day.year)
        .lstrip(", ")
    )
    sign = Table(
        [
            ["", _p(date_line, styles["center"])],
            ["", _p(tr("PRESCRIBER"), styles["sign"])],
            ["", _p(tr("(signature, full name)"), styles["small"])],
            ["", Spacer(1, 14 * mm)],
            ["", _p(visit.clinician_name, styles["sign"])],
        ],
        colWidths=[width * 0.4, width * 0.6],
    )
    sign.setStyle(
        TableStyle(
            [
                ("ALIGN", (1, 0), (1, -1), "CENTER"),
                ("FONTNAME", (0, 0), (-1, -1), fonts.SERIF),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story.append(sign)

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A5,
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=9 * mm,
        bottomMargin=9 * mm,
        title=tr("Prescription") + f" — {patient.full_name}",
        author=profile.name or APP_NAME,
        creator=f"{APP_NAME} {__version__}",
    )
    # our font from the start, else the page refers to an unembedded Helvetica
    doc.build(story, canvasmaker=_OurFontCanvas)
    return buffer.getvalue()


def write_slip(store: Store, visit_id: int, path: str | os.PathLike[str]) -> Path:
    """Write the slip (atomically) and record the print in the audit log."""
    from station_app.store import audit

    data = slip_pdf(store, visit_id)
    target = write_atomic(path, data)
    visit = visits.get(store, visit_id)
    audit.record(
        store,
        audit.PRINT,
        ("visit", visit_id),
        {"document": "prescription"},
        patient_id=visit.patient_id if visit else None,
    )
    return target
