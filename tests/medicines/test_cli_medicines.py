"""The medicines command line, as the issue writes it: visit add, stock receive, stock, drugs,
report medicines, print prescription — JSON one object per line; problems one line, nothing saved."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

from station_app.cli import EXIT_OK, main
from station_app.domain.dates import parse_partial_date
from station_app.domain.patient import Patient
from station_app.store import open_store, patients


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str) -> str:
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def db(tmp_path: Path, today: dt.date) -> Path:
    path = tmp_path / "station.sqlite3"
    store = open_store(path)
    patients.insert(
        store,
        Patient(
            full_name="Nguyễn Văn An",
            sex="1",
            birth=parse_partial_date("1955"),
            record_no="00001-1",
            citizen_id="001055012345",
            insurance_no="HT2010012345678",
        ),
    )
    patients.insert(
        store,
        Patient(
            full_name="Lê Thị Bé",
            sex="2",
            birth=parse_partial_date("2023-05-02"),
            record_no="00002-1",
            guardian_name="Lê Văn Cha",
            guardian_relation="bố",
        ),
    )
    store.close()
    return path


@pytest.fixture
def receipt_csv(tmp_path: Path) -> Path:
    path = tmp_path / "phieu-nhap.csv"
    path.write_text(
        "PHIẾU NHẬP THUỐC THÁNG 11/2025,,,,,,\n"
        "Mã thuốc,Số lô,Hạn dùng,Số lượng,Đơn giá,Ngày nhập,Đơn vị cấp\n"
        "AMLO5,AM2501,31/12/2026,500,300,2025-11-02,TTYT huyện\n"
        "AMLO5,AM2409,15/12/2025,40,290,2025-11-02,TTYT huyện\n"
        ",,,,,,\n"
        'PARA250G,PA2503,06/2027,200,"1.200",2025-11-02,TTYT huyện\n',
        encoding="utf-8-sig",
    )
    return path


def test_stock_receive_then_stock_and_drugs_as_json(capsys, db: Path, receipt_csv: Path) -> None:
    code, out, err = run(capsys, "stock", "receive", "--db", str(db), str(receipt_csv))
    assert code == EXIT_OK, err
    code, out, _ = run(capsys, "stock", "--db", str(db), "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["drug"], r["lot"], r["expiry"], r["quantity"], r["unit"]) for r in rows] == [
        ("AMLO5", "AM2409", "2025-12-15", 40, "viên"),
        ("AMLO5", "AM2501", "2026-12-31", 500, "viên"),
        ("PARA250G", "PA2503", "2027-06-30", 200, "gói"),
    ]
    assert rows[0]["name"] == "Amlodipin 5 mg"
    code, out, _ = run(capsys, "drugs", "--db", str(db), "--json")
    drugs = {r["drug"]: r for r in map(json.loads, out.splitlines())}
    assert drugs["AMLO5"]["quantity"] == 540 and drugs["AMLO5"]["unit"] == "viên"
    assert drugs["PARA250G"]["name"] == "Paracetamol 250 mg"


def test_the_same_delivery_note_entered_twice_is_refused_the_second_time(
        capsys, db: Path, receipt_csv: Path, tmp_path: Path) -> None:
    """A nurse unsure whether the note went in runs it again: the stock is not counted twice."""
    assert run(capsys, "stock", "receive", "--db", str(db), str(receipt_csv))[0] == EXIT_OK
    before = run(capsys, "stock", "--db", str(db), "--json")[1]
    line = one_line_error(*run(capsys, "--lang", "en", "stock", "receive", "--db", str(db), str(receipt_csv))[::2])
    assert "already entered" in line and "02/11/2025" in line
    assert run(capsys, "stock", "--db", str(db), "--json")[1] == before
    # the same lot again in another delivery (another day, or another quantity) is received
    again = tmp_path / "again.csv"
    again.write_text("Mã thuốc,Số lô,Hạn dùng,Số lượng,Đơn giá,Ngày nhập,Đơn vị cấp\n"
                     "AMLO5,AM2501,31/12/2026,500,300,2025-11-03,TTYT huyện\n", encoding="utf-8")
    assert run(capsys, "stock", "receive", "--db", str(db), str(again))[0] == EXIT_OK
    rows = [json.loads(x) for x in run(capsys, "stock", "--db", str(db), "--json")[1].splitlines()]
    assert [r["quantity"] for r in rows if r["lot"] == "AM2501"] == [1000]


def test_a_bad_delivery_note_is_refused_whole_with_row_numbers(capsys, db: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "drug,lot,expiry,quantity,unit_price\nAMLO5,A1,2026-12-31,100,300\n"
        "NOSUCH,B1,2026-12-31,10,1\nPARA500,C1,soon,10,1\n",
        encoding="utf-8",
    )
    line = one_line_error(*run(capsys, "--lang", "en", "stock", "receive", "--db", str(db), str(path))[::2])
    assert "row 4" in line and "soon" in line
    path.write_text(
        "drug,lot,expiry,quantity,unit_price\nAMLO5,A1,2026-12-31,100,300\nNOSUCH,B1,2026-12-31,10,1\n",
        encoding="utf-8",
    )
    line = one_line_error(*run(capsys, "--lang", "en", "stock", "receive", "--db", str(db), str(path))[::2])
    assert "row 3: NOSUCH is not in the formulary" in line
    assert run(capsys, "stock", "--db", str(db), "--json")[1] == ""


def test_stock_receive_reads_xlsx(capsys, db: Path, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["drug", "lot", "expiry", "quantity", "unit_price", "received_on", "supplier"])
    sheet.append(["METF500", "MF1", dt.datetime(2027, 3, 31), 300, 350.5, dt.datetime(2025, 11, 3), "TTYT"])
    path = tmp_path / "receipt.xlsx"
    book.save(path)
    assert run(capsys, "stock", "receive", "--db", str(db), str(path))[0] == EXIT_OK
    rows = [json.loads(x) for x in run(capsys, "stock", "--db", str(db), "--json")[1].splitlines()]
    assert [(r["drug"], r["expiry"], r["quantity"]) for r in rows] == [("METF500", "2027-03-31", 300)]


def visit_json(tmp_path: Path, data: object) -> str:
    path = tmp_path / "visit.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


VISIT = {
    "patient": {"record_no": "00001-1"},
    "visit_at": "2025-11-20T08:30",
    "complaint": "Tái khám",
    "bp": "150/95",
    "pulse": 80,
    "temperature": 36.8,
    "weight": 62,
    "diagnosis_codes": ["I10"],
    "treatment": "Ăn nhạt",
    "insurance_paid": True,
    "prescription": [
        {
            "drug": "AMLO5",
            "quantity": 30,
            "per_dose": "1 viên",
            "times_per_day": 1,
            "days": 30,
            "instructions": "uống buổi sáng",
        }
    ],
}


def test_visit_add_records_dispenses_and_the_slip_and_report_follow(
    capsys, db: Path, receipt_csv: Path, tmp_path: Path
) -> None:
    run(capsys, "stock", "receive", "--db", str(db), str(receipt_csv))
    code, out, err = run(capsys, "visit", "add", "--db", str(db), visit_json(tmp_path, VISIT))
    assert code == EXIT_OK, err
    visit_id = int(out.strip())
    rows = {
        (r["lot"]): r["quantity"]
        for r in map(json.loads, run(capsys, "stock", "--db", str(db), "--json")[1].splitlines())
    }
    assert rows["AM2409"] == 10 and rows["AM2501"] == 500  # the lot expiring first went first

    slip = tmp_path / "don.pdf"
    code, _out, err = run(
        capsys, "print", "prescription", "--db", str(db), "--visit", str(visit_id), "--out", str(slip)
    )
    assert code == EXIT_OK, err
    reader = PdfReader(slip)
    text = reader.pages[0].extract_text()
    assert "ĐƠN THUỐC" in text and "Nguyễn Văn An" in text and "Amlodipin 5 mg" in text and "30 viên" in text
    assert "I10" in text and "001055012345" in text and "HT2010012345678" in text
    width, height = (float(x) for x in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (420, 595)  # A5 portrait
    for ref in reader.pages[0]["/Resources"]["/Font"].values():
        font = ref.get_object()
        assert "/FontFile2" in font["/FontDescriptor"].get_object(), font["/BaseFont"]  # embedded
        assert "Helvetica" not in str(font["/BaseFont"])

    out_json = tmp_path / "thuoc.json"
    assert (
        run(
            capsys,
            "report",
            "medicines",
            "--db",
            str(db),
            "--month",
            "2025-11",
            "--format",
            "json",
            "--out",
            str(out_json),
        )[0]
        == EXIT_OK
    )
    report = {r["drug"]: r for r in map(json.loads, out_json.read_text(encoding="utf-8").splitlines())}
    assert {
        k: report["AMLO5"][k] for k in ("name", "unit", "opening", "received", "dispensed", "adjusted", "closing")
    } == {
        "name": "Amlodipin 5 mg",
        "unit": "viên",
        "opening": 0,
        "received": 540,
        "dispensed": 30,
        "adjusted": 0,
        "closing": 510,
    }
    xlsx = tmp_path / "thuoc.xlsx"
    assert (
        run(
            capsys, "report", "medicines", "--db", str(db), "--month", "2025-11", "--format", "xlsx", "--out", str(xlsx)
        )[0]
        == EXIT_OK
    )
    sheet = load_workbook(xlsx).active
    amlo = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "AMLO5" and r[3] is None)
    assert amlo[6:11] == (0, 540, 30, 0, 510)
    pdf = tmp_path / "thuoc.pdf"
    assert (
        run(capsys, "report", "medicines", "--db", str(db), "--month", "2025-11", "--format", "pdf", "--out", str(pdf))[
            0
        ]
        == EXIT_OK
    )
    page = PdfReader(pdf).pages[0]
    assert "Amlodipin 5 mg" in page.extract_text() and "BÁO CÁO NHẬP – XUẤT – TỒN THUỐC" in page.extract_text()
    assert not any("Helvetica" in str(f.get_object()["/BaseFont"]) for f in page["/Resources"]["/Font"].values())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"patient": {"record_no": "99999"}}, "No patient with record_no 99999"),
        ({"prescription": [{"drug": "NOPE", "quantity": 3}]}, "NOPE is not in the formulary"),
        # (the first visit of the list takes 30 of the 540 before the second is refused)
        ({"prescription": [{"drug": "AMLO5", "quantity": 541}]}, "only 510 viên of Amlodipin 5 mg in stock"),
        ({"bp": "150-95-3"}, "bp must be written 150/95"),
        ({"pulse": 900}, "not possible"),
        ({"bp": "350/95"}, "Visit 2: bp: 350 mmHg is not possible"),  # the JSON key, not "bp_systolic"
        ({"diagnosis_codes": ["X99.99"]}, "not an ICD-10 code"),
        ({"visit_at": "yesterday"}, "visit_at must be"),
    ],
)
def test_visit_add_refuses_with_one_line_and_saves_nothing(
    capsys, db: Path, receipt_csv: Path, tmp_path: Path, change: dict, expected: str
) -> None:
    run(capsys, "stock", "receive", "--db", str(db), str(receipt_csv))
    before = run(capsys, "stock", "--db", str(db), "--json")[1]
    second = dict(VISIT, **change)
    code, out, err = run(capsys, "--lang", "en", "visit", "add", "--db", str(db), visit_json(tmp_path, [VISIT, second]))
    line = one_line_error(code, err)
    assert line.startswith("Error: Visit 2: ") and expected in line, line
    assert out == ""
    store = open_store(db)
    try:
        assert store.scalar("SELECT count(*) FROM visits") == 0  # the first visit of the list neither
    finally:
        store.close()
    assert run(capsys, "stock", "--db", str(db), "--json")[1] == before


def test_missing_files_and_visits_without_prescription(capsys, db: Path, tmp_path: Path) -> None:
    line = one_line_error(*run(capsys, "--lang", "en", "visit", "add", "--db", str(db), str(tmp_path / "no.json"))[::2])
    assert "no.json" in line
    code, out, _ = run(
        capsys,
        "visit",
        "add",
        "--db",
        str(db),
        visit_json(
            tmp_path, {"patient": {"citizen_id": "001055012345"}, "visit_at": "2025-11-20T08:30", "complaint": "ho"}
        ),
    )
    assert code == EXIT_OK
    line = one_line_error(
        *run(
            capsys,
            "--lang",
            "en",
            "print",
            "prescription",
            "--db",
            str(db),
            "--visit",
            out.strip(),
            "--out",
            str(tmp_path / "x.pdf"),
        )[::2]
    )
    assert "has no prescription" in line
    line = one_line_error(
        *run(
            capsys,
            "--lang",
            "en",
            "report",
            "medicines",
            "--db",
            str(db),
            "--month",
            "11/25",
            "--format",
            "json",
            "--out",
            str(tmp_path / "r.json"),
        )[::2]
    )
    assert "--month" in line


def test_check_finds_a_lot_balance_that_is_not_the_sum_of_its_movements(capsys, db: Path, receipt_csv: Path) -> None:
    run(capsys, "stock", "receive", "--db", str(db), str(receipt_csv))
    assert run(capsys, "check", "--db", str(db))[0] == EXIT_OK
    import sqlite3

    conn = sqlite3.connect(db)
    conn.execute("UPDATE stock_lots SET balance = balance + 7 WHERE lot_no = 'AM2501'")  # edited outside Trạm
    conn.commit()
    conn.close()
    code, _out, err = run(capsys, "check", "--db", str(db))
    assert code != EXIT_OK and "AM2501" in err
