"""Every kind of PDF Trạm makes embeds its own fonts and nothing else: each is made from the demo
station (the slips, the patient summary, the case report, the books, the monthly and yearly
reports, the medicine and claims reports, the call sheet, the referral book) and read back; no
page names a font a printer or viewer would have to stand in for (one of PDF's standard 14,
reportlab's Helvetica above all, which has none of ơ, ư, ấ, ệ…)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from station_app import clock
from station_app.cli import EXIT_OK, main
from station_app.domain.books import BOOKS
from station_app.printing.call_sheet import call_sheet_bytes
from station_app.printing.referral_book import referral_book_bytes
from station_app.store import followups, open_store, referrals
from station_app.store.station import load_profile
from tests.conftest import TODAY

STANDARD_14 = {
    "Courier", "Courier-Bold", "Courier-Oblique", "Courier-BoldOblique",
    "Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique",
    "Times-Roman", "Times-Bold", "Times-Italic", "Times-BoldItalic", "Symbol", "ZapfDingbats",
}


def fonts_of(resources: DictionaryObject | None) -> list[DictionaryObject]:
    """The fonts a page's (or form's) resources name, those of its forms included."""
    if resources is None:
        return []
    found = [ref.get_object() for ref in resources.get("/Font", {}).values()]
    for ref in resources.get("/XObject", {}).values():
        xobject = ref.get_object()
        if xobject.get("/Subtype") == "/Form":
            found += fonts_of(xobject.get("/Resources"))
    return found


def font_problems(pdf: Path) -> list[str]:
    """What is wrong with the fonts of ``pdf``: each font not embedded or standard (none: [])."""
    problems = []
    reader = PdfReader(pdf)
    for number, page in enumerate(reader.pages, start=1):
        page_fonts = fonts_of(page.get("/Resources"))
        if not page_fonts and page.extract_text().strip():
            problems.append(f"page {number}: text without a font")
        for font in page_fonts:
            name = str(font.get("/BaseFont", "?")).lstrip("/")
            described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = described.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            if name.split("+")[-1] in STANDARD_14:
                problems.append(f"page {number}: standard font {name}")
            if not {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor):
                problems.append(f"page {number}: {name} not embedded")
    return sorted(set(problems))


def ids(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "referral": one("SELECT min(id) FROM referrals"),
            "prescription": one("SELECT min(visit_id) FROM prescription_lines"),
            "notification": one("SELECT min(id) FROM notifications"),
            "patient": one("SELECT min(patient_id) FROM visits"),
        }
    finally:
        conn.close()


@pytest.fixture
def every_pdf(demo_copy: Path, tmp_path: Path) -> dict[str, Path]:
    """Each kind of PDF, made as the command line and the app make it."""
    d, out = str(demo_copy), tmp_path / "pdf"
    out.mkdir()
    found = ids(demo_copy)
    assert all(found.values()), found  # (the demo station has one of each)
    month, first, last = "2025-10", "2025-10-01", "2025-10-31"
    commands = {
        "referral slip": ["print", "referral", "--id", str(found["referral"])],
        "prescription slip": ["print", "prescription", "--visit", str(found["prescription"])],
        "case report": ["print", "case-report", "--id", str(found["notification"])],
        "patient summary": ["print", "patient-summary", "--id", str(found["patient"])],
        "visit book": ["print", "visit-book", "--from", first, "--to", last],
        "monthly report": ["report", "monthly", "--month", month, "--format", "pdf"],
        "yearly report": ["report", "monthly", "--period", "2025", "--format", "pdf"],
        "medicine report": ["report", "medicines", "--month", month, "--format", "pdf"],
        "claims report": ["report", "claims", "--month", month, "--format", "pdf"],
        **{f"book {code}": ["print", "book", "--book", code, "--from", "2025-01-01", "--to", last] for code in BOOKS},
    }
    made: dict[str, Path] = {}
    with clock.pinned(TODAY):
        for kind, argv in commands.items():
            target = out / f"{kind}.pdf"
            assert main([*argv[:2], "--db", d, *argv[2:], "--out", str(target)]) == EXIT_OK, kind
            made[kind] = target
        store = open_store(demo_copy)
        try:
            profile = load_profile(store)
            rows = followups.work_rows(store, TODAY)
            book = referrals.book(store, dt.date(2025, 1, 1), TODAY)
            slips = [r for r in (referrals.get(store, line.id) for line in book) if r is not None]
        finally:
            store.close()
    assert rows and slips
    made["call sheet"] = out / "call sheet.pdf"
    made["call sheet"].write_bytes(call_sheet_bytes(rows, station=profile.name, today=TODAY))
    made["referral book"] = out / "referral book.pdf"
    made["referral book"].write_bytes(
        referral_book_bytes(slips, referrals.station_for_print(profile), start=dt.date(2025, 1, 1), end=TODAY))
    return made


def test_every_pdf_embeds_its_own_fonts_and_names_no_standard_font(every_pdf: dict[str, Path]) -> None:
    problems = {kind: font_problems(pdf) for kind, pdf in every_pdf.items()}
    assert {kind: found for kind, found in problems.items() if found} == {}
    for kind, pdf in every_pdf.items():  # (each has text, in our fonts: the check above saw them)
        reader = PdfReader(pdf)
        assert reader.pages[0].extract_text().strip(), kind
        assert fonts_of(reader.pages[0].get("/Resources")), kind
