"""The patient record summary: everything the station holds about one person, on paper.

What a station gives a person who asks what is kept about them: identity and insurance, every
visit, the diagnoses made, programmes and follow-ups, referrals, and — when the database keeps an
audit log — who opened or changed the record and when. A4 portrait, Noto Sans (Vietnamese
glyphs embedded), user text escaped, written atomically.
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

from station_app import APP_NAME, __version__
from station_app.domain.accounts import Permission
from station_app.domain.identifiers import SEX_CODES, ethnic_groups
from station_app.files import write_atomic
from station_app.i18n import N_, tr
from station_app.presentation import REFERRAL_STATES
from station_app.printing import fonts
from station_app.printing.pdf import markup_text
from station_app.store import Store, audit, followups, patients, referrals, visits
from station_app.store.station import load_profile

TEXT_SIZE = 9
GRID = colors.Color(0.6, 0.6, 0.6)
HEAD_FILL = colors.Color(0.92, 0.92, 0.92)

PROGRAMME_NAMES = {
    "hypertension": N_("Hypertension"),
    "diabetes": N_("Diabetes"),
    "vaccination": N_("Vaccination of children"),
    "antenatal": N_("Antenatal care"),
}
ITEM_STATES = {"open": N_("Still open"), "done": N_("Done"), "removed": N_("Taken off the list")}


def _d(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def _styles() -> dict[str, ParagraphStyle]:
    regular = fonts.face(fonts.SANS)
    bold = fonts.face(fonts.SANS, bold=True)
    base = ParagraphStyle("cell", fontName=regular, fontSize=TEXT_SIZE, leading=TEXT_SIZE * 1.3)
    return {
        "cell": base,
        "head": ParagraphStyle("head", parent=base, fontName=bold),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=15, leading=19, spaceAfter=2 * mm),
        "section": ParagraphStyle("section", parent=base, fontName=bold, fontSize=11.5, leading=15,
                                  spaceBefore=5 * mm, spaceAfter=2 * mm),
        "intro": ParagraphStyle("intro", parent=base, fontSize=9.5, leading=13),
        "none": ParagraphStyle("none", parent=base, textColor=colors.Color(0.35, 0.35, 0.35)),
    }


def _table(header: list[str], rows: list[list[str]], widths: list[float], styles: dict[str, ParagraphStyle]) -> Any:
    if not rows:
        return Paragraph(markup_text(tr("Nothing recorded.")), styles["none"])
    data = [[Paragraph(markup_text(h), styles["head"]) for h in header]]
    data += [[Paragraph(markup_text(c), styles["cell"]) for c in row] for row in rows]
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def _facts(rows: list[tuple[str, str]], styles: dict[str, ParagraphStyle]) -> Any:
    data = [
        [Paragraph(markup_text(label), styles["head"]), Paragraph(markup_text(value), styles["cell"])]
        for label, value in rows
        if value
    ]
    table = Table(data, colWidths=[48 * mm, 132 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.3, GRID)]))
    return table


def _access_log(store: Store, patient_id: int) -> list[list[str]]:
    """Who saw or changed the record."""
    names = audit.ACTION_NAMES
    return [
        [_d(e.at), e.username, tr(names[e.action]) if e.action in names else e.action]
        for e in audit.patient_history(store, patient_id)
    ]


def summary_pdf(store: Store, patient_id: int, today: dt.date) -> bytes:
    """The summary as PDF bytes; ``LookupError`` when there is no such patient."""
    p = patients.get(store, patient_id)
    if p is None:
        raise LookupError(patient_id)
    styles = _styles()
    profile = load_profile(store)
    story: list[Any] = []
    story.append(Paragraph(markup_text(tr("Patient record summary")), styles["title"]))
    story.append(Paragraph(
        markup_text(
            tr("Everything {station} holds about this person, as of {date}.").format(
                station=profile.name or APP_NAME, date=_d(today)
            )
        ),
        styles["intro"],
    ))
    # Identity
    story.append(Paragraph(markup_text(tr("Identity")), styles["section"]))
    group = ethnic_groups().get(p.ethnicity)
    identity = [
        (tr("Record no."), p.record_no or ""),
        (tr("Full name"), p.full_name),
        (tr("Sex"), tr(SEX_CODES[p.sex]) if p.sex in SEX_CODES else ""),
        (tr("Date of birth"), p.birth.display() if p.birth else ""),
        (tr("Citizen ID"), p.citizen_id),
        (tr("Phone"), p.phone),
        (tr("Address"), p.address),
        (tr("Village"), p.village),
        (tr("Ethnic group"), group.name if group else p.ethnicity),
        (tr("Nationality"), p.nationality),
        (tr("Occupation"), p.occupation),
        (tr("Workplace"), p.workplace),
        (tr("Guardian"), " ".join(x for x in (p.guardian_name, p.guardian_relation, p.guardian_phone) if x)),
        (tr("Insurance card no."), p.insurance_no),
        (tr("Insurance valid to"), _d(p.insurance_valid_to)),
        (tr("Registered facility"), p.insurance_facility),
        (tr("Date of death"), _d(p.deceased_date) if p.deceased else ""),
        (tr("Notes"), p.notes),
        (tr("Registered at the station on"), _d(p.created_at)),
        (tr("Record last changed"), _d(p.updated_at)),
    ]
    story.append(_facts(identity, styles))
    # Visits
    history = visits.for_patient(store, patient_id)
    story.append(Paragraph(markup_text(tr("Visits ({count})").format(count=len(history))), styles["section"]))
    story.append(_table(
        [tr("Date and time"), tr("BP (mmHg)"), tr("Complaint"), tr("Diagnosis"), tr("Treatment"),
         tr("Clinician")],
        [[_d(v.visit_at), v.bp_text, v.complaint, v.diagnosis_display, v.treatment, v.clinician_name]
         for v in history],
        [25, 19, 32, 40, 38, 26],
        styles,
    ))
    # Diagnoses
    seen: dict[str, list[Any]] = {}
    for v in sorted(history, key=lambda v: v.visit_at):
        if not v.diagnosis_display:
            continue
        entry = seen.setdefault(v.diagnosis_display, [v.visit_at, v.visit_at, 0])
        entry[1] = v.visit_at
        entry[2] += 1
    story.append(Paragraph(markup_text(tr("Diagnoses recorded")), styles["section"]))
    story.append(_table(
        [tr("Diagnosis"), tr("First visit with it"), tr("Latest visit with it"), tr("Visits")],
        [[name, _d(first.date()), _d(last.date()), str(n)] for name, (first, last, n) in seen.items()],
        [90, 30, 30, 30],
        styles,
    ))
    # Programmes and follow-ups
    story.append(Paragraph(markup_text(tr("Programmes")), styles["section"]))
    story.append(_table(
        [tr("Programme"), tr("Enrolled on"), tr("Date detected"), tr("Programme closed on")],
        [[tr(PROGRAMME_NAMES.get(e.programme, e.programme)), _d(e.enrolled_on), _d(e.detected_on),
          _d(e.closed_on)] for e in followups.enrolments(store, patient_id, open_only=False)],
        [60, 40, 40, 40],
        styles,
    ))
    story.append(Paragraph(markup_text(tr("Follow-ups")), styles["section"]))
    story.append(_table(
        [tr("What is due"), tr("Due date"), tr("State"), tr("Last outcome")],
        [[i.label, _d(i.due_date), tr(ITEM_STATES.get(str(i.status), str(i.status))),
          i.last_outcome.describe() if i.last_outcome else ""]
         for i in followups.patient_items(store, patient_id)],
        [70, 25, 25, 60],
        styles,
    ))
    # Referrals
    story.append(Paragraph(markup_text(tr("Referrals")), styles["section"]))
    story.append(_table(
        [tr("Referral slip no."), tr("Slip issued on"), tr("Referred to"), tr("Diagnosis"), tr("Status")],
        [[r.number, _d(r.issued_at), r.to_facility, r.diagnosis,
          tr(REFERRAL_STATES.get(r.status if r.status == "cancelled" else r.outcome, r.outcome))]
         for r in referrals.for_patient(store, patient_id)],
        [25, 28, 50, 47, 30],
        styles,
    ))
    # Who accessed the record
    log = _access_log(store, patient_id)
    story.append(Paragraph(markup_text(tr("Who opened or changed this record")), styles["section"]))
    header = [tr("Opened or changed on"), tr("By whom"), tr("What was done")]
    story.append(_table(header, log[:500], [40, 50, 90], styles))
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph(markup_text(tr("Printed on {date} by {app}.").format(date=_d(today), app=APP_NAME)),
                           styles["none"]))

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=tr("Patient record summary") + " — " + p.full_name,
        author=profile.name or APP_NAME,
        creator=f"{APP_NAME} {__version__}",
    )

    def page_number(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(fonts.face(fonts.SANS), 8)
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"{p.full_name} · {p.record_no or ''} · {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return buffer.getvalue()


def write_summary(store: Store, patient_id: int, path: str | os.PathLike[str], today: dt.date) -> Path:
    """Write the summary to ``path`` (atomically): a print (PRINT, audited)."""
    from station_app.store import audit

    store.require(Permission.PRINT)
    data = summary_pdf(store, patient_id, today)
    target = write_atomic(path, data)
    audit.record_output(store, Permission.PRINT, audit.PRINT, ("patient", patient_id),
                        {"document": "patient_summary", "file": target.name})
    return target
