"""The claims run and the claims month under attack: text no XML 1.0 document may hold, texts too
long for a page or a field, an output folder that is a file or empty, a full disk and a run killed
half-way. What leaves is well-formed and reads back; what cannot be written is one line, and
nothing is left half-done in the folder or the register."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from station_app import paths
from station_app.cli import main
from station_app.domain import claims_xml
from station_app.reports import claims as claims_report
from station_app.store import claims as store_claims
from tests.claims.conftest import Station, written

# Characters XML 1.0 forbids (a pasted text, a cell of an imported sheet can carry them), beside
# characters it allows that are easy to get wrong: right-to-left marks, emoji, markup.
FORBIDDEN = "\x00\x01\x02\x08\x0b\x0c\x0e\x1f\ufffe\uffff"


def _set_texts(station: Station, visit_id: int, address: str, diagnosis: str) -> None:
    station.store.conn.execute("UPDATE patients SET address = ? WHERE id = ?", (address, station.patient.id))
    station.store.conn.execute("UPDATE visits SET diagnosis_text = ?, complaint = ? WHERE id = ?",
                               (diagnosis, diagnosis, visit_id))


def test_characters_xml_forbids_are_left_out_and_every_table_reads_back(station: Station, tmp_path: Path) -> None:
    visit = station.visit()
    _set_texts(station, int(visit.id or 0), f"Tổ 3{FORBIDDEN} <Khu A> & chợ \u200fمرحبا\u200f 😀",
               f"Tăng{FORBIDDEN} huyết áp")
    (outcome,) = claims_report.run(station.store, station.day, station.day, tmp_path / "c")
    assert outcome.status == "written", outcome.problems
    (read,) = written(tmp_path / "c").values()
    tables = claims_xml.field_tables(station.day)
    for kind, document in read.files:  # each decoded table is a well-formed document
        for record in claims_xml.read_records(tables, kind, document):
            assert claims_xml.check_record(tables, kind, record) == [], kind
    (xml1,) = claims_xml.read_records(tables, "XML1", dict(read.files)["XML1"])
    assert xml1["DIA_CHI"] == "Tổ 3 <Khu A> & chợ \u200fمرحبا\u200f 😀"
    assert xml1["CHAN_DOAN_RV"] == "Tăng huyết áp"


def test_a_text_too_long_for_its_field_holds_the_visit_back_naming_the_field(station: Station,
                                                                            tmp_path: Path) -> None:
    visit = station.visit()
    _set_texts(station, int(visit.id or 0), "Thôn " * 1000, "Tăng huyết áp")
    (outcome,) = claims_report.run(station.store, station.day, station.day, tmp_path / "c")
    assert outcome.status == "held"
    assert any("XML1.DIA_CHI" in problem for problem in outcome.problems)
    assert not list((tmp_path / "c").glob("*.xml"))


@pytest.mark.parametrize("fmt", ["xlsx", "pdf", "json"])
def test_the_month_report_holds_any_answer_typed_in(station: Station, tmp_path: Path, fmt: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A refusal's reason is typed (or pasted) by hand: control characters, a formula, markup, a
    page's worth of words. The month's report still comes out, whole, in each format."""
    visits = [station.visit(hour) for hour in (8, 9, 10, 11)]
    claims_report.run(station.store, station.day, station.day, tmp_path / "c")
    reasons = [f"Sai{FORBIDDEN} mã thẻ", '=HYPERLINK("http://x","Bấm")', "<b>Sai</b> & <font>",
               "Thiếu chữ ký " * 600]
    for visit, reason in zip(visits, reasons, strict=True):
        store_claims.record_answer(station.store, int(visit.id or 0), accepted=False, reason=reason)
    out = tmp_path / f"month.{fmt}"
    db = str(station.store.path)
    code = main(["--lang", "vi", "report", "claims", "--db", db, "--month", f"{station.day:%Y-%m}",
                 "--format", fmt, "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert not (paths.data_dir() / "error.log").exists()
    if fmt == "xlsx":
        sheet = load_workbook(out).active
        assert sheet is not None
        cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
        assert not [c for c in cells if c.data_type == "f"]
        texts = [str(c.value) for c in cells]
        assert any(t.endswith("Sai mã thẻ") for t in texts)
        assert any('HYPERLINK("http://x","Bấm")' in t for t in texts)
    elif fmt == "pdf":
        text = " ".join(page.extract_text() for page in PdfReader(out).pages)
        assert "<b>Sai</b> &amp; <font>" in text or "<b>Sai</b> & <font>" in text
        assert "Thiếu chữ ký" in text
