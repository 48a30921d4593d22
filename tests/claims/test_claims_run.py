"""Claims from a station's database: one checked GIAMDINHHS file per insured visit, held-back
visits named in the nurse's words, the register, MA_LK kept, the commands' contract."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import stat
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from station_app.cli import main
from station_app.domain import claims_xml
from station_app.domain.accounts import Actor, Role
from station_app.domain.patient import Patient
from station_app.reports import claims as claims_report
from station_app.store import audit
from station_app.store import claims as store_claims
from station_app.store import station as station_store
from station_app.store.errors import NotPermitted
from tests.claims.conftest import Station, written

NURSE = Actor(2, "yta.mai", "Y tá Mai", Role.NURSE)
HEAD = Actor(1, "truong", "Trưởng trạm", Role.HEAD)


def test_an_insured_visit_becomes_one_checked_file_named_by_its_key(station: Station, tmp_path: Path) -> None:
    visit = station.visit(follow_up_date=station.day + dt.timedelta(days=30))
    out = tmp_path / "claims"
    (outcome,) = claims_report.run(station.store, station.day, station.day, out)
    assert (outcome.status, outcome.problems) == ("written", [])
    assert outcome.ma_lk == f"48123_{station.day:%Y_%m}_KB{visit.id:07d}"
    ((name, read),) = written(out).items()
    assert name == outcome.ma_lk + ".xml"
    assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert read.facility_code == "48123"
    assert [kind for kind, _doc in read.files] == ["XML1", "XML2", "XML3", "XML14"]
    tables = claims_xml.field_tables(station.day)
    assert read.problems(tables) == []
    records = {kind: claims_xml.read_records(tables, kind, doc) for kind, doc in read.files}
    for kind, rows in records.items():
        for row in rows:
            assert claims_xml.check_record(tables, kind, row) == [], kind
            assert row["MA_LK"] == outcome.ma_lk
    # The drugs by the lots they came from, at each lot's price: 20 at 300 đ, 10 at 312.5 đ.
    assert [(r["SO_LUONG"], r["DON_GIA"], r["THANH_TIEN_BV"]) for r in records["XML2"]] == [
        ("20.000", "300.000", "6000.00"),
        ("10.000", "312.500", "3125.00"),
    ]
    assert records["XML2"][0]["LIEU_DUNG"] == "1 viên/lần * 1 lần/ngày * 30 ngày [1 viên/ngày]"
    assert records["XML2"][0]["MA_BAC_SI"] == records["XML3"][0]["MA_BAC_SI"] == "001234/DNA-CCHN"
    # XML1's totals rebuilt from the lines.
    xml1 = records["XML1"][0]
    lines = records["XML2"] + records["XML3"]
    for total, line_field in (
        ("T_TONGCHI_BV", "THANH_TIEN_BV"),
        ("T_TONGCHI_BH", "THANH_TIEN_BH"),
        ("T_BNCCT", "T_BNCCT"),
        ("T_BNTT", "T_BNTT"),
    ):
        assert Decimal(xml1[total]) == sum(Decimal(r[line_field]) for r in lines), total
    assert Decimal(xml1["T_THUOC"]) == sum(Decimal(r["THANH_TIEN_BV"]) for r in records["XML2"]) == Decimal(9125)
    assert Decimal(xml1["T_BHTT"]) == Decimal(xml1["T_TONGCHI_BH"]) - Decimal(xml1["T_BNCCT"]) == Decimal(45625)
    assert (xml1["MA_DOITUONG_KCB"], xml1["MA_DKBD"], xml1["GT_THE_DEN"]) == ("1.2", "48123", "20251231")
    assert records["XML14"][0]["NGAY_HEN_KL"][:8] == f"{station.day + dt.timedelta(days=30):%Y%m%d}"
    # In the register, and audited as an export.
    (row,) = store_claims.register(station.store, station.day, station.day)
    assert (row.status, row.file, row.total, row.fund) == ("written", str(out / name), Decimal(45625), Decimal(45625))
    assert any(e.action == audit.EXPORT and e.target_type == "claims" for e in audit.entries(station.store))


@pytest.mark.parametrize(("reason", "ma_lydo_ct", "ma_loai_rv"), [("1a", "1", "2"), ("1b", "2", "2"), ("2", "3", "5")])
def test_a_referral_adds_xml13_with_the_slips_numbers(
    station: Station, tmp_path: Path, reason: str, ma_lydo_ct: str, ma_loai_rv: str
) -> None:
    from station_app.domain.referral import Referral
    from station_app.store import referrals

    visit = station.visit(referred=True)
    slip = referrals.issue(
        station.store,
        Referral(
            patient_id=station.patient.id,
            receiving_facility="Bệnh viện đa khoa Đà Nẵng",
            receiving_facility_code="48001",
            reason=reason,
            clinical_signs="HA 190/110",
            direction="Điều trị tăng huyết áp",
            transport="Xe cứu thương",
            diagnosis="Tăng huyết áp",
            icd_main="I10",
            transfer_at=visit.visit_at + dt.timedelta(minutes=30),
        ),
        visit_id=visit.id,
    )
    (outcome,) = claims_report.run(station.store, station.day, station.day, tmp_path)
    assert outcome.status == "written", outcome.problems
    (read,) = written(tmp_path).values()
    docs = dict(read.files)
    tables = claims_xml.field_tables(station.day)
    (xml13,) = claims_xml.read_records(tables, "XML13", docs["XML13"])
    assert (xml13["GIAY_CHUYEN_TUYEN"], xml13["MA_NOI_DEN"], xml13["MA_LYDO_CT"]) == (slip.number, "48001", ma_lydo_ct)
    (xml1,) = claims_xml.read_records(tables, "XML1", docs["XML1"])
    assert (xml1["MA_LOAI_RV"], xml1["MA_NOI_DEN"]) == (ma_loai_rv, "48001")


def test_held_back_visits_are_named_in_the_nurses_words_and_not_written(
    station: Station, tmp_path: Path, add_patient: Callable[..., Patient], capsys: pytest.CaptureFixture[str]
) -> None:
    expired = add_patient(
        "Trần Thị Bình",
        birth="1970",
        insurance_no="HT3481234567891",
        insurance_valid_from=dt.date(2024, 1, 1),
        insurance_valid_to=dt.date(2025, 10, 31),
        insurance_facility="48123",
    )
    station.visit(8)
    held = station.visit(9, patient=expired, drugs=0)
    no_cchn = station_store.save_staff(station.store, station_store.StaffMember("Phạm Văn Cường", "Điều dưỡng"))
    other = station.visit(10, drugs=0)
    station.store.conn.execute("UPDATE visits SET clinician_id = ? WHERE id = ?", (no_cchn.id, other.id))
    out = tmp_path / "out"
    db = str(station.store.path)
    day = station.day.isoformat()
    assert main(["--lang", "vi", "claims", "--db", db, "--from", day, "--to", day, "--out", str(out)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{held.id}\t") and "Thẻ BHYT hết hạn ngày 31/10/2025" in lines[0]
    assert "Trần Thị Bình" in lines[0]
    assert lines[1].startswith(f"{other.id}\t") and "Chưa có mã CCHN của người khám" in lines[1]
    assert len(list(out.glob("*.xml"))) == 1
    rows = {r.visit_id: r for r in store_claims.register(station.store, station.day, station.day)}
    assert rows[held.id].status == "held" and rows[held.id].problems


def test_a_code_outside_its_list_is_refused_in_vietnamese_and_a_stored_one_holds_the_visit(
    station: Station, tmp_path: Path
) -> None:
    patient_id = int(station.patient.id or 0)
    with pytest.raises(store_claims.ClaimsRefused) as refused:
        store_claims.save_patient_claim_fields(station.store, patient_id, occupation_code="12345")
    assert refused.value.text("vi") == "Mã nghề nghiệp 12345 không có trong danh mục."
    with pytest.raises(store_claims.ClaimsRefused) as refused:
        store_claims.save_settings(station.store, commune_code="08116")  # the pre-2025 code of a merged commune
    assert refused.value.text("vi") == "Mã xã 08116 không có trong danh mục xã, phường (từ 07/2025)."
    store_claims.save_patient_claim_fields(station.store, patient_id, occupation_code="61110")
    assert store_claims.station_info(station.store).commune_code == "20332", "nothing saved by the refusals"
    # A code written before the lists were checked (an old file) holds the visit back.
    station.store.conn.execute("UPDATE patients SET nationality_code = '999' WHERE id = ?", (patient_id,))
    station.visit()
    (outcome,) = claims_report.run(station.store, station.day, station.day, tmp_path)
    assert outcome.status == "held"
    assert outcome.problems == ["Mã quốc tịch 999 không có trong danh mục."]


def test_the_json_lines_and_check_only(station: Station, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    visit = station.visit()
    day = station.day.isoformat()
    out = tmp_path / "out"
    db = str(station.store.path)
    assert main(["claims", "--db", db, "--from", day, "--to", day, "--out", str(out), "--check", "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line) == {
        "visit_id": visit.id,
        "ma_lk": f"48123_{station.day:%Y_%m}_KB{visit.id:07d}",
        "patient_id": station.patient.id,
        "full_name": "Nguyễn Văn An",
        "status": "ready",  # passes, but --check wrote nothing: not "written"
        "problems": [],
    }
    assert not out.exists()  # --check writes nothing: no folder, no file, no register entry
    assert store_claims.register(station.store, station.day, station.day)[0].status == ""
    assert main(["claims", "--db", db, "--from", day, "--to", "2020-01-01", "--out", str(out)]) == 2
    assert "--to" in capsys.readouterr().err


def test_the_key_stays_when_the_visit_or_the_station_changes_and_a_changed_visit_is_a_resubmission(
    station: Station, tmp_path: Path
) -> None:
    visit = station.visit()
    (first,) = claims_report.run(station.store, station.day, station.day, tmp_path / "1")
    (again,) = claims_report.run(station.store, station.day, station.day, tmp_path / "2")
    assert again.ma_lk == first.ma_lk
    assert not store_claims.register(station.store, station.day, station.day)[0].resubmission
    station.store.conn.execute(
        "UPDATE visits SET diagnosis_code = 'I11.9', updated_at = '2099-01-01 00:00:00' WHERE id = ?", (visit.id,)
    )
    profile = station_store.load_profile(station.store)
    profile.facility_code = "48999"
    station_store.save_profile(station.store, profile)
    (row,) = store_claims.register(station.store, station.day, station.day)
    assert row.changed_since
    (third,) = claims_report.run(station.store, station.day, station.day, tmp_path / "3")
    assert third.ma_lk == first.ma_lk
    (row,) = store_claims.register(station.store, station.day, station.day)
    assert row.resubmission and not row.changed_since


def test_the_portal_answer_is_recorded_by_hand(station: Station, tmp_path: Path) -> None:
    visit = station.visit()
    with pytest.raises(store_claims.ClaimsRefused):
        store_claims.record_answer(station.store, int(visit.id or 0), accepted=True)  # not written yet
    claims_report.run(station.store, station.day, station.day, tmp_path)
    with pytest.raises(store_claims.ClaimsRefused):
        store_claims.record_answer(station.store, int(visit.id or 0), accepted=False)  # a refusal needs its reason
    store_claims.record_answer(station.store, int(visit.id or 0), accepted=False, reason="Sai mã ICD")
    (row,) = store_claims.register(station.store, station.day, station.day)
    assert (row.answer, row.answer_reason) == ("refused", "Sai mã ICD")


def test_a_nurse_may_not_write_claims_the_head_may(station: Station, tmp_path: Path) -> None:
    station.visit()
    station.store.actor = NURSE
    with pytest.raises(NotPermitted):
        claims_report.run(station.store, station.day, station.day, tmp_path / "n")
    assert not (tmp_path / "n").exists()
    station.store.actor = HEAD
    assert [o.status for o in claims_report.run(station.store, station.day, station.day, tmp_path / "h")] == ["written"]


def test_a_priced_service_needs_a_cost_group_of_the_list(station: Station) -> None:
    dressing = store_claims.PricedService("MA_THAYBANG", "Thay băng vết thương", 57000, station.day, group="99")
    with pytest.raises(store_claims.ClaimsRefused) as refused:
        store_claims.save_service(station.store, dressing)
    assert refused.value.text("vi") == "Nhóm chi phí 99 không có trong danh mục (MA_NHOM 1–19)."
    assert "MA_THAYBANG" not in {s.code for s in store_claims.services(station.store)}
    store_claims.save_service(station.store, dataclasses.replace(dressing, group="18"))  # thủ thuật
    assert [s.group for s in store_claims.services(station.store) if s.code == "MA_THAYBANG"] == ["18"]


def test_a_price_changes_by_a_new_version_and_old_visits_keep_theirs(station: Station, tmp_path: Path) -> None:
    station.visit()
    store_claims.save_service(
        station.store,
        store_claims.PricedService(
            "MA_KHAM_TYT", "Khám bệnh tại Trạm Y tế xã", 40000, station.day + dt.timedelta(days=1)
        ),
    )
    history = store_claims.services(station.store, with_history=True)
    assert [(s.version, s.price, s.valid_to) for s in history] == [(1, 36500, station.day), (2, 40000, None)]
    assert [o.status for o in claims_report.run(station.store, station.day, station.day, tmp_path)] == ["written"]
    (read,) = written(tmp_path).values()
    (xml3,) = claims_xml.read_records(claims_xml.field_tables(station.day), "XML3", dict(read.files)["XML3"])
    assert xml3["DON_GIA_BV"] == "36500.000"


def test_the_month_report_in_json_xlsx_and_pdf(station: Station, tmp_path: Path, add_patient) -> None:
    station.visit(8)
    expired = add_patient(
        "Trần Thị Bình",
        birth="1970",
        insurance_no="HT3481234567891",
        insurance_valid_from=dt.date(2024, 1, 1),
        insurance_valid_to=dt.date(2025, 10, 31),
        insurance_facility="48123",
    )
    station.visit(9, patient=expired, drugs=0)
    claims_report.run(station.store, station.day, station.day, tmp_path / "files")
    db = str(station.store.path)
    month = f"{station.day:%Y-%m}"
    assert (
        main(["report", "claims", "--db", db, "--month", month, "--format", "json", "--out", str(tmp_path / "c.json")])
        == 0
    )
    data = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert (data["visits"], data["written"], data["held"]) == (2, 1, 1)
    assert (data["total_cost"], data["insurance_pays"], data["patients_pay"]) == ("45625.00", "45625.00", "0.00")
    assert (
        main(["report", "claims", "--db", db, "--month", month, "--format", "xlsx", "--out", str(tmp_path / "c.xlsx")])
        == 0
    )
    sheet = load_workbook(tmp_path / "c.xlsx").active
    assert sheet is not None
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "Trần Thị Bình" in values and 45625 in values
    assert (
        main(
            [
                "--lang",
                "vi",
                "report",
                "claims",
                "--db",
                db,
                "--month",
                month,
                "--format",
                "pdf",
                "--out",
                str(tmp_path / "c.pdf"),
            ]
        )
        == 0
    )
    text = " ".join(page.extract_text() for page in PdfReader(tmp_path / "c.pdf").pages)
    assert "Trần Thị Bình" in text and "45.625" in text and "Thẻ BHYT hết hạn ngày 31/10/2025" in text


def test_a_run_reports_its_progress_and_writes_markup_characters_as_text(station: Station, tmp_path: Path) -> None:
    station.store.conn.execute(
        "UPDATE patients SET address = ? WHERE id = ?", ("Tổ 3 <Khu A> & chợ", station.patient.id)
    )
    for hour in (8, 9, 10):
        station.visit(hour)
    seen: list[tuple[int, int]] = []
    outcomes = claims_report.run(station.store, station.day, station.day, tmp_path / "claims",
                                 lambda done, total: seen.append((done, total)))
    assert len(outcomes) == 3 and seen[-1] == (3, 3)
    for read in written(tmp_path / "claims").values():
        tables = claims_xml.field_tables(station.day)
        (xml1,) = claims_xml.read_records(tables, "XML1", dict(read.files)["XML1"])
        assert xml1["DIA_CHI"] == "Tổ 3 <Khu A> & chợ"


def test_the_month_pdf_leaves_unchecked_visits_without_money_and_names_its_pages(station: Station) -> None:
    """A visit not checked yet has no cost (a "0" would read as a free visit); each page's foot says
    which report and month it belongs to, and "Trang k/n"."""
    from station_app.domain.monthly import Month
    from station_app.printing.claims_report import claims_pdf
    from station_app.store.claims import month_totals

    station.visit(8)
    month = Month.of(station.day)
    reader = PdfReader(io.BytesIO(claims_pdf(month_totals(station.store, month), station.store)))
    text = reader.pages[0].extract_text()
    row = text[text.index(station.patient.full_name):text.index("Các tệp")]  # the visit's line, to the note
    assert "Chưa kiểm tra" in row and "0" not in row.split(), row
    assert f"Hồ sơ thanh toán BHYT {month.display()} · Trang 1/{len(reader.pages)}" in text
