"""The claims run and the claims month under attack: text no XML 1.0 document may hold, texts too
long for a page or a field, an output folder that is a file or empty, a full disk and a run killed
half-way. What leaves is well-formed and reads back; what cannot be written is one line, and
nothing is left half-done in the folder or the register."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from station_app import paths
from station_app.cli import main
from station_app.domain import claims_xml
from station_app.reports import claims as claims_report
from station_app.store import claims as store_claims
from station_app.store import errors, open_store
from tests.claims.conftest import Station, written
from tests.safety.test_full_disk import small_disk

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


# -- the folder the files go into --------------------------------------------------------------------
def _claims(station: Station, out: str, *extra: str) -> list[str]:
    day = station.day.isoformat()
    return ["--lang", "vi", "claims", "--db", str(station.store.path), "--from", day, "--to", day, "--out", out,
            *extra]


@pytest.mark.parametrize("out", ["", "  "])
def test_an_empty_folder_name_is_refused_not_taken_for_the_current_folder(
        station: Station, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        out: str) -> None:
    station.visit()
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert main(_claims(station, out)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out" in err
    assert list(here.iterdir()) == []
    assert store_claims.register(station.store, station.day, station.day)[0].status == ""


def test_a_folder_that_is_a_file_is_one_line_in_vietnamese(station: Station, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    station.visit()
    blocker = tmp_path / "claims"
    blocker.write_text("not a folder")
    for out in (blocker, blocker / "sub"):
        assert main(_claims(station, str(out))) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(out) in err and "Traceback" not in err
        assert "exists" not in err and "Not a directory" not in err, err  # (the system's English words)
    assert blocker.read_text() == "not a folder"
    assert store_claims.register(station.store, station.day, station.day)[0].status == ""
    assert not (paths.data_dir() / "error.log").exists()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_full_disk_leaves_no_file_and_no_register_entry_and_says_so(station: Station, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A real small disk that holds some of the month's files but not all: the run writes none of
    them (a folder with half a month would be sent as if whole), says the disk is full, and the
    register is as before; with space freed, the same command writes them all."""
    for hour in range(7, 19):
        station.visit(hour, drugs=0)
    with small_disk(tmp_path / "disk", "256k") as disk:
        filler = disk / "filler.bin"
        filler.write_bytes(b"\0" * (256 * 1024 - 6 * 4096))  # room for a few of the 12 files
        out = disk / "claims"
        assert main(_claims(station, str(out))) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "đầy" in err and "No space" not in err, err
        assert _leftovers(out) == []
        assert {r.status for r in store_claims.register(station.store, station.day, station.day)} == {""}
        filler.unlink()
        assert main(_claims(station, str(out))) == 0
        assert len(written(out)) == 12
        assert {r.status for r in store_claims.register(station.store, station.day, station.day)} == {"written"}
    assert not (paths.data_dir() / "error.log").exists()


KILL_AFTER = """
import os, signal, sys, tempfile
count = 0
real = tempfile.mkstemp
def mkstemp(*args, **kwargs):
    global count
    count += 1
    if count > {after}:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)
tempfile.mkstemp = mkstemp
from station_app.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _killed_run(station: Station, out: Path, after: int) -> None:
    """The claims command run in its own process and killed (SIGKILL) as it starts writing file
    ``after`` + 1."""
    done = subprocess.run([sys.executable, "-c", KILL_AFTER.format(after=after), *_claims(station, str(out))],
                          cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr


def test_a_run_killed_half_way_is_finished_by_the_next_and_a_changed_visit_is_a_resubmission(
        station: Station, tmp_path: Path) -> None:
    visits = [station.visit(hour) for hour in range(8, 14)]
    out = tmp_path / "claims"
    assert main(_claims(station, str(out))) == 0  # the month sent once
    changed = int(visits[0].id or 0)
    station.store.conn.execute("UPDATE visits SET diagnosis_code = 'I11.9', updated_at = '2099-01-01 00:00:00' "
                               "WHERE id = ?", (changed,))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _killed_run(station, out, after=3)
    # The files in place are the ones sent, whole and unchanged (only hidden temporaries are new).
    assert {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")} == before
    (row,) = [r for r in store_claims.register(station.store, station.day, station.day) if r.visit_id == changed]
    assert row.changed_since and not row.resubmission  # the register says what was sent: not yet again
    assert main(_claims(station, str(out))) == 0
    rows = {r.visit_id: r for r in store_claims.register(station.store, station.day, station.day)}
    assert rows[changed].resubmission and not rows[changed].changed_since
    assert not any(r.resubmission for v, r in rows.items() if v != changed)
    assert sorted(p.name for p in out.iterdir()) == sorted(before)


def test_a_run_killed_while_writing_leaves_no_file_under_a_final_name(station: Station, tmp_path: Path) -> None:
    for hour in range(8, 14):
        station.visit(hour)
    out = tmp_path / "claims"
    _killed_run(station, out, after=2)
    assert [name for name in _leftovers(out) if not name.startswith(".")] == []  # no file in place yet
    assert {r.status for r in store_claims.register(station.store, station.day, station.day)} == {""}
    assert main(_claims(station, str(out))) == 0
    assert _leftovers(out) == sorted(p.name for p in out.glob("*.xml")) and len(written(out)) == 6


def test_a_database_that_cannot_record_the_run_writes_no_file(station: Station, tmp_path: Path) -> None:
    """The files and the register go together: a station's file opened read-only (a read-only disk,
    a copy without write permission) cannot say which claims were written, so none is."""
    station.visit()
    reader = open_store(station.store.path, read_only=True)
    try:
        with pytest.raises(errors.ReadOnly):
            claims_report.run(reader, station.day, station.day, tmp_path / "c")
        assert [o.status for o in claims_report.run(reader, station.day, station.day, None)] == ["ready"]
    finally:
        reader.close()
    assert _leftovers(tmp_path / "c") == []


def test_a_damaged_file_writes_no_claim_and_no_register_entry(station: Station, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """The page check of the whole file runs beside the building of the claims; damage it finds in
    a part the claims never read still stops the run before any file is put in place or entered in
    the register, and says so in one line."""
    import sqlite3

    from tests.safety.test_backups import damage_pages

    for hour in range(8, 12):
        station.visit(hour)
    path = station.store.path
    station.store.close()
    with sqlite3.connect(path) as conn:  # (a table the claims do not read: the deaths book)
        (root,) = conn.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'deaths'").fetchone()
    conn.close()
    damage_pages(path, [root - 1])
    out = tmp_path / "claims"
    assert main(_claims(station, str(out))) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert _leftovers(out) == []
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM claims").fetchone() == (0,)
    conn.close()


def test_a_folder_under_a_claims_file_name_stops_the_run_before_any_file_is_put_in_place(
        station: Station, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    visits = [station.visit(hour) for hour in (8, 9, 10)]
    ready = claims_report.run(station.store, station.day, station.day, None)
    out = tmp_path / "claims"
    out.mkdir()
    (out / claims_report.file_name(ready[1].ma_lk)).mkdir()  # (someone's folder of that name)
    assert main(_claims(station, str(out))) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and claims_report.file_name(ready[1].ma_lk) in err and "Traceback" not in err
    assert _leftovers(out) == [claims_report.file_name(ready[1].ma_lk)]
    assert {r.status for r in store_claims.register(station.store, station.day, station.day)} == {""}
    assert len(visits) == len(ready) == 3


def test_a_patient_without_an_address_is_held_back_in_a_nurses_words(station: Station) -> None:
    station.visit()
    station.store.conn.execute("UPDATE patients SET address = '  ' WHERE id = ?", (station.patient.id,))
    (outcome,) = claims_report.run(station.store, station.day, station.day, None)
    assert outcome.status == "held"
    assert outcome.problems == ["Chưa có địa chỉ của người bệnh"]  # (not XML1.DIA_CHI: a nurse's words)
