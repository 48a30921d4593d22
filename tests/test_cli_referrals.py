"""``main.py referrals`` and ``main.py print referral`` on a demo database."""

from __future__ import annotations

import datetime as dt
import json

from pypdf import PdfReader

from station_app import clock
from station_app.cli import main
from station_app.demo import generate


def test_referral_book_and_printing_from_the_command_line(tmp_path, capsys) -> None:
    db = tmp_path / "demo.sqlite3"
    with clock.pinned(dt.datetime(2026, 11, 23, 10, 0)):
        generate(db, patients=1500, seed=2, force=True)
    assert main(["referrals", "--db", str(db), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows, "the demo station has referrals"
    for row in rows:
        assert {"id", "number", "patient_id", "full_name", "issued_at", "to_facility", "status"} <= row.keys()
        assert row["number"].endswith("/PCCSKBCB")
    assert {r["status"] for r in rows} <= {"issued", "cancelled"}
    year = rows[-1]["issued_at"][:4]
    assert main(["referrals", "--db", str(db), "--from", f"{year}-01-01", "--to", f"{year}-12-31", "--json"]) == 0
    this_year = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert this_year and all(r["issued_at"].startswith(year) for r in this_year)
    assert len(this_year) <= len(rows)

    out = tmp_path / "slip.pdf"
    chosen = rows[-1]
    assert main(["print", "referral", "--db", str(db), "--id", str(chosen["id"]), "--out", str(out)]) == 0
    capsys.readouterr()
    reader = PdfReader(out)
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "PHIẾU CHUYỂN CƠ SỞ KHÁM BỆNH, CHỮA BỆNH BẢO HIỂM Y TẾ" in text
    assert chosen["full_name"] in text
    assert chosen["number"] in text

    assert main(["print", "referral", "--db", str(db), "--id", "999999", "--out", str(out)]) == 2
    assert "999999" in capsys.readouterr().err


def test_the_book_prints_the_id_print_takes_and_vietnamese_states(tmp_path, capsys) -> None:
    db = tmp_path / "demo.sqlite3"
    with clock.pinned(dt.datetime(2026, 11, 23, 10, 0)):
        generate(db, patients=1500, seed=2, force=True)
    assert main(["referrals", "--db", str(db), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert main(["referrals", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(rows)
    for line, row in zip(lines, rows, strict=True):
        assert line.split()[0] == str(row["id"]) and line.split()[1] == row["number"]
    text = "\n".join(lines)
    for english in (" sent", " arrived", " feedback", " not_gone", " cancelled"):
        assert english not in text, "the book's states are in Vietnamese"
    assert "Đã chuyển người bệnh" in text or "Đã đến cơ sở tiếp nhận" in text

    out = tmp_path / "slip.pdf"
    chosen = rows[0]
    assert main(["print", "referral", "--db", str(db), "--id", chosen["number"].lower(), "--out", str(out)]) == 0
    assert chosen["number"] in capsys.readouterr().out
    text = " ".join(page.extract_text() for page in PdfReader(out).pages)
    assert chosen["full_name"] in text
