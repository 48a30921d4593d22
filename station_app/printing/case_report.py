"""The case report of a notifiable communicable disease (phiếu báo cáo trường hợp bệnh), printed from
the notification and the visit (or death) behind it.

TT 15/2026/TT-BYT Đ7 k1 names the content — administrative, epidemiological, clinical and specimen
data — but the form itself was not read (unverified): this paper carries that content from the
record, with lines left to complete by hand (onset, contacts, specimen). A4 portrait, Noto Sans
embedded, user text escaped, written atomically; printing is audited.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from station_app import APP_NAME, __version__, clock
from station_app.domain import icd10, notifiable
from station_app.domain.accounts import Permission
from station_app.domain.identifiers import SEX_CODES, ethnic_groups
from station_app.files import write_atomic
from station_app.i18n import N_, tr
from station_app.printing import fonts
from station_app.printing.pdf import markup_text
from station_app.store import Store, audit, births, notifications, patients, visits
from station_app.store.station import load_profile

TITLE = N_("COMMUNICABLE DISEASE CASE REPORT")
ADMINISTRATIVE = N_("I. Administrative information")
EPIDEMIOLOGICAL = N_("II. Epidemiological information")
CLINICAL = N_("III. Clinical information")
SPECIMEN = N_("IV. Specimen")
BLANK = "." * 60
GRID = colors.Color(0.6, 0.6, 0.6)


def _d(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")  # as Hôm nay shows it
    return value.strftime("%d/%m/%Y")


def _address(parts: tuple[str, ...]) -> str:
    """The patient's address, then the village, commune and province it does not already name
    ("Thôn Đông, xã Tân Phú, tỉnh Phú Thọ" is not followed by "Thôn Đông, Xã Tân Phú, Phú Thọ")."""
    written: list[str] = []
    for part in (x.strip() for x in parts):
        if part and part.casefold() not in ", ".join(written).casefold():
            written.append(part)
    return ", ".join(written)


def _diagnosis(code: str, text: str) -> str:
    """The code and its name: the visit's words, else the catalogue's."""
    entry = icd10.lookup(code) if code and not text else None
    name = text or (entry.name_vi if entry else "")
    return " ".join(x for x in (code, name) if x)


def _styles() -> dict[str, ParagraphStyle]:
    regular = fonts.face(fonts.SANS)
    bold = fonts.face(fonts.SANS, bold=True)
    base = ParagraphStyle("cell", fontName=regular, fontSize=9.5, leading=13)
    return {
        "cell": base,
        "head": ParagraphStyle("head", parent=base, fontName=bold),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=14, leading=18, alignment=1,
                                spaceBefore=4 * mm, spaceAfter=1 * mm),
        "centre": ParagraphStyle("centre", parent=base, alignment=1),
        "section": ParagraphStyle("section", parent=base, fontName=bold, fontSize=11, leading=15,
                                  spaceBefore=4 * mm, spaceAfter=1.5 * mm),
    }


def _facts(rows: list[tuple[str, str]], styles: dict[str, ParagraphStyle]) -> Any:
    data = [[Paragraph(markup_text(label), styles["head"]), Paragraph(markup_text(value or BLANK), styles["cell"])]
            for label, value in rows]
    table = Table(data, colWidths=[55 * mm, 125 * mm], splitInRow=1)  # (a page of complaint goes on over the next)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.3, GRID),
                               ("FONTNAME", (0, 0), (-1, -1), fonts.face(fonts.SANS))]))
    return table


def _plain(rows: list[list[Any]], widths: list[float]) -> Any:
    table = Table(rows, colWidths=[w * mm for w in widths])
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), fonts.face(fonts.SANS))]))
    return table


def case_report_pdf(store: Store, notification_id: int) -> bytes:
    n = notifications.get(store, notification_id)
    p = patients.get(store, n.patient_id)
    assert p is not None
    profile = load_profile(store)
    styles = _styles()
    visit = visits.get(store, n.source_id) if n.source == "visit" else None
    death = births.death_of(store, p.id or 0)
    disease_list = notifiable.list_on(n.detected_at.date())
    group = disease_list.group_title(n.group) if disease_list else n.group
    story: list[Any] = []
    header = _plain([[
        Paragraph(markup_text((profile.governing_body or "").upper()) + "<br/><b>" + markup_text(profile.name)
                  + "</b>", styles["centre"]),
        Paragraph("<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br/>Độc lập - Tự do - Hạnh phúc", styles["centre"]),
    ]], [80, 100])
    story.append(header)
    story.append(Paragraph(markup_text(tr(TITLE)), styles["title"]))
    story.append(Paragraph(markup_text(f"{n.disease_name} — {group} — ICD-10 {n.code}"), styles["centre"]))
    age = p.age_on(n.detected_at.date())
    ethnic = ethnic_groups().get(p.ethnicity)
    story.append(Paragraph(markup_text(tr(ADMINISTRATIVE)), styles["section"]))
    story.append(_facts([
        (tr("Full name"), p.full_name),
        (tr("Sex"), tr(SEX_CODES.get(p.sex, ""))),
        (tr("Date of birth"), (p.birth.display() if p.birth else "")
         + (f" ({tr('{age} years old').format(age=age)})" if age is not None else "")),
        (tr("Ethnic group"), ethnic.name if ethnic else p.ethnicity),
        (tr("Occupation"), p.occupation),
        (tr("Citizen ID"), p.citizen_id),
        (tr("Address"), _address((p.address, p.village, profile.commune, profile.province))),
        (tr("Phone"), p.phone),
        (tr("Guardian"), " ".join(x for x in (p.guardian_name, p.guardian_relation, p.guardian_phone) if x)),
    ], styles))
    story.append(Paragraph(markup_text(tr(EPIDEMIOLOGICAL)), styles["section"]))
    story.append(_facts([
        (tr("Detected at"), " — ".join(x for x in (_d(n.detected_at), profile.name) if x)),
        (tr("Report due by"), _d(n.due_by)),
        (tr("Case classification"), tr("Suspected case") if n.source == "visit" else tr("Death")),
        (tr("Date of onset"), ""),
        (tr("Travel, contacts, similar cases around"), ""),
    ], styles))
    story.append(Paragraph(markup_text(tr(CLINICAL)), styles["section"]))
    clinical: list[tuple[str, str]] = []
    if visit is not None:
        clinical += [
            (tr("Complaint"), visit.complaint),
            (tr("Examination"), visit.examination),
            (tr("Temperature"), f"{visit.temperature:g} °C".replace(".", ",") if visit.temperature else ""),
            (tr("Diagnosis"), _diagnosis(visit.diagnosis_code, visit.diagnosis_text)),
            (tr("Treatment"), visit.treatment),
            (tr("Referred"), tr("yes") if visit.referred else tr("no")),
            (tr("Clinician"), visit.clinician_name),
        ]
    if death is not None:
        clinical += [(tr("Date of death"), _d(death.died_on)),
                     (tr("Cause of death"), " ".join(x for x in (death.cause_code, death.cause_text) if x))]
    story.append(_facts(clinical, styles))
    story.append(Paragraph(markup_text(tr(SPECIMEN)), styles["section"]))
    story.append(_facts([(tr("Specimen taken (kind, date)"), ""), (tr("Test result"), "")], styles))
    story.append(Spacer(1, 8 * mm))
    signature = _plain([[
        Paragraph("", styles["cell"]),
        Paragraph(markup_text(tr("Date {date}").format(date=_d(clock.today()))) + "<br/><b>"
                  + markup_text(tr("Person reporting")) + "</b>", styles["centre"]),
    ]], [90, 90])
    story.append(signature)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=12 * mm,
                            bottomMargin=12 * mm, title=f"{tr(TITLE)} — {p.full_name}",
                            author=profile.name or APP_NAME, creator=f"{APP_NAME} {__version__}",
                            # the canvas starts in our font, else the page references an unembedded Helvetica
                            initialFontName=fonts.face(fonts.SANS))
    doc.build(story)
    return buffer.getvalue()


def write_case_report(store: Store, notification_id: int, path: str | os.PathLike[str]) -> Path:
    """Write the case report to ``path`` (atomically) and record the print in the audit log."""
    store.require(Permission.PRINT)
    data = case_report_pdf(store, notification_id)
    target = write_atomic(path, data)
    n = notifications.get(store, notification_id)
    audit.record_output(store, Permission.PRINT, audit.PRINT, ("notification", notification_id),
                        {"document": "case_report"}, patient_id=n.patient_id)
    return target
