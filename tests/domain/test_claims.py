"""A visit's claim: the note's complete example field by field, the split and totals, the benefit
levels and the small-visit rule on dated data, what holds a visit back."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from station_app.domain import claims, claims_xml
from station_app.domain.claims import ClaimVisit, Clinician, DrugLine, PatientInfo, ServiceLine, StationInfo
from station_app.domain.medicines import PrescriptionLine
from station_app.i18n import translate

EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "claims" / "example_envelope.xml"
ON = dt.date(2026, 3, 10)
TABLES = claims_xml.field_tables(ON)

STATION = StationInfo(
    facility_code="48123",
    department_code="K01",
    signer_bhxh_no="4812345678",
    province_code="48",
    district_code="497",
    commune_code="20332",
)
PATIENT = PatientInfo(
    id=123,
    record_no="BN000123",
    full_name="Nguyễn Văn An",
    sex="1",
    birth_year=1955,
    birth_month=6,
    birth_day=15,
    citizen_id="048055001234",
    phone="0905000000",
    address="Thôn 2, xã Hòa Phước, TP Đà Nẵng",
    nationality_code="000",
    ethnicity_code="01",
    occupation_code="00000",
    card_no="GD4481234567890",
    card_from=dt.date(2026, 1, 1),
    card_to=dt.date(2026, 12, 31),
    card_facility="48123",
)
EXAM = ServiceLine("MA_KHAM_TYT", "Khám bệnh tại Trạm Y tế xã", "Lần", 36500)
AMLODIPINE = DrugLine(
    line_id=1,
    name="Amlodipin 5mg",
    unit="Viên",
    strength="5mg",
    quantity=Decimal(30),
    unit_price=Decimal(300),
    dmdc_code="40.999",
    route_code="1.01",
    form="Viên nén",
    dosage=PrescriptionLine("AMLO5", 30, "1 viên", 1, 30).dosage_text("viên"),
    instructions="Uống buổi sáng sau ăn",
    registration_no="VD-00000-00",
    tender="123/QĐ-SYT;G1;N4;2025;48",
)
VISIT = ClaimVisit(
    visit_id=1,
    visit_at=dt.datetime(2026, 3, 10, 8, 15),
    ended_at=dt.datetime(2026, 3, 10, 8, 40),
    patient=PATIENT,
    clinician=Clinician("Lê Thị Hoa", "001234/DNA-CCHN"),
    diagnosis_code="I10",
    diagnosis_text="Bệnh lý tăng huyết áp vô căn (nguyên phát)",
    first_impression="Tăng huyết áp",
    complaint="Khám tăng huyết áp định kỳ",
    treatment="Điều trị nội khoa",
    notes="Ăn nhạt, tái khám sau 30 ngày",
    weight=Decimal(62),
    category="1.2",
    services=(EXAM,),
    drugs=(AMLODIPINE,),
    follow_up=dt.date(2026, 4, 9),
    paid_at=dt.datetime(2026, 3, 10, 8, 45),
    ma_lk="48123_2026_03_BN000123_KB260310001",
)
# Chosen by the station, not by the standard: the note's slip number and its lines' order and
# execution times are illustrative; Trạm writes the visit's slip number and times.
STATION_CHOICES = {("XML1", "MA_HSBA"), ("XML2", "NGAY_YL"), ("XML2", "NGAY_TH_YL"), ("XML3", "NGAY_KQ")}


def note_records() -> dict[str, dict[str, str]]:
    read = claims_xml.read_envelope(EXAMPLE.read_text(encoding="utf-8"))
    return {kind: claims_xml.read_records(TABLES, kind, doc)[0] for kind, doc in read.files}


def test_the_notes_complete_example_field_by_field() -> None:
    claim = claims.build(VISIT, STATION, TABLES)
    note = note_records()
    for kind in ("XML1", "XML2", "XML3"):
        ours = claims_xml.texts(TABLES, kind, claim.records[kind][0])
        differing = {tag for tag in ours if ours[tag] != note[kind][tag]}
        assert {(kind, tag) for tag in differing} <= STATION_CHOICES, (
            kind,
            {t: (ours[t], note[kind][t]) for t in differing},
        )
    assert claim.level == 100
    # Beyond the note: the appointment goes in XML14, and nothing holds the visit back.
    assert [kind for kind, _doc in claim.documents(TABLES)] == ["XML1", "XML2", "XML3", "XML14"]
    assert claim.problems == []


def test_xml1_totals_are_rebuilt_from_the_lines_of_xml2_and_xml3() -> None:
    visit = dataclasses.replace(
        VISIT,
        category="1.1",
        patient=dataclasses.replace(PATIENT, card_no="DN4481234567890"),  # 80 %
        services=(EXAM, ServiceLine("PROC01", "Khâu vết thương", "Lần", 400000, group="8")),
        drugs=(
            AMLODIPINE,
            dataclasses.replace(AMLODIPINE, line_id=2, quantity=Decimal(10), unit_price=Decimal("312.5")),
        ),
    )
    claim = claims.build(visit, STATION, TABLES)
    xml1 = claim.records["XML1"][0]
    xml2, xml3 = claim.records["XML2"], claim.records["XML3"]
    rows = [*xml2, *xml3]
    assert xml1["T_THUOC"] == sum(Decimal(str(r["THANH_TIEN_BV"])) for r in xml2) == Decimal("12125.00")
    assert xml1["T_TONGCHI_BV"] == sum(Decimal(str(r["THANH_TIEN_BV"])) for r in rows) == Decimal("448625.00")
    assert xml1["T_BNCCT"] == sum(Decimal(str(r["T_BNCCT"])) for r in rows)
    assert xml1["T_BHTT"] == Decimal(str(xml1["T_TONGCHI_BH"])) - Decimal(str(xml1["T_BNCCT"]))
    assert claim.level == 80  # above the small-visit limit (351,000 đ)
    assert xml1["T_BHTT"] == Decimal("358900.00")  # 80 % of 448,625, line by line
    assert xml1["T_BNCCT"] == Decimal("89725.00")
    assert all(not isinstance(v, float) for r in [xml1, *rows] for v in r.values())


def test_a_drug_outside_the_list_is_paid_by_the_patient() -> None:
    outside = dataclasses.replace(AMLODIPINE, insured=False, dmdc_code="")
    claim = claims.build(dataclasses.replace(VISIT, drugs=(outside,)), STATION, TABLES)
    (row,) = claim.records["XML2"]
    assert (row["MA_THUOC"], row["PHAM_VI"], row["THANH_TIEN_BH"], row["T_BNTT"]) == ("00.0000", 2, 0, Decimal(9000))
    assert claim.records["XML1"][0]["T_BNTT"] == Decimal("9000.00")
    assert not claim.held


@pytest.mark.parametrize(
    ("card", "on", "rate"),
    [
        ("TE1481234567890", dt.date(2025, 6, 1), 100),
        ("HT3481234567890", dt.date(2025, 6, 1), 95),
        ("DN4481234567890", dt.date(2025, 6, 1), 80),
        ("CN3481234567890", dt.date(2025, 12, 31), 95),  # near-poor: 95 % until 2025
        ("CN3481234567890", dt.date(2026, 1, 1), 100),  # 100 % from 2026, the old digit on the card
        ("LH4481234567890", dt.date(2026, 1, 1), 100),
    ],
)
def test_benefit_levels_by_group_and_date(card: str, on: dt.date, rate: int) -> None:
    assert claims.card_rate(card[:2], card[2], on) == rate
    big = Decimal(1_000_000)
    assert claims.benefit_level("1.1", card[:2], card[2], on, big) == rate
    assert claims.benefit_level("1.2", card[:2], card[2], on, big) == 100  # the station: always 100 %


def test_the_small_visit_rule_follows_the_base_salary_of_the_day() -> None:
    assert claims.base_salary(dt.date(2024, 6, 30)) == 1_800_000
    assert claims.base_salary(dt.date(2024, 7, 1)) == 2_340_000
    assert claims.small_visit_limit(dt.date(2024, 7, 1)) == Decimal(351_000)
    # 300,000 đ: small in July 2024 (limit 351,000), not in June 2024 (limit 270,000).
    assert claims.benefit_level("1.1", "DN", "4", dt.date(2024, 7, 1), Decimal(300_000)) == 100
    assert claims.benefit_level("1.1", "DN", "4", dt.date(2024, 6, 30), Decimal(300_000)) == 80
    assert claims.benefit_level("1.1", "DN", "4", dt.date(2024, 7, 1), Decimal(351_000)) == 80


def held_messages(visit: ClaimVisit, station: StationInfo = STATION) -> list[str]:
    return [p.text("vi") for p in claims.build(visit, station, TABLES).problems]


def test_an_expired_card_holds_the_visit_back_in_the_nurses_words() -> None:
    expired = dataclasses.replace(PATIENT, card_to=dt.date(2026, 2, 28))
    assert held_messages(dataclasses.replace(VISIT, patient=expired)) == ["Thẻ BHYT hết hạn ngày 28/02/2026"]


def test_a_clinician_without_a_practising_certificate_number_holds_the_visit_back() -> None:
    messages = held_messages(dataclasses.replace(VISIT, clinician=Clinician("Lê Thị Hoa", "")))
    assert messages == ["Chưa có mã CCHN của người khám"]


def test_other_held_back_cases_are_named_once_each() -> None:
    visit = dataclasses.replace(
        VISIT,
        diagnosis_code="X99.9",
        services=(),
        patient=dataclasses.replace(PATIENT, card_facility="", card_from=dt.date(2026, 4, 1)),
    )
    messages = held_messages(visit, dataclasses.replace(STATION, facility_code=""))
    assert messages == [
        translate("The station's facility code (5 characters) is not entered.", "vi"),
        "Thẻ BHYT chỉ có giá trị từ ngày 01/04/2026",
        translate("The card's registered facility (MA_DKBD) is not entered.", "vi"),
        translate("The ICD-10 code {code} is not in the list.", "vi").format(code="X99.9"),
        translate("No examination price applies on {date}: enter the station's priced services.", "vi").format(
            date="10/03/2026"
        ),
    ]


def test_ma_lk_is_made_from_the_station_and_the_visit() -> None:
    visit = dataclasses.replace(VISIT, ma_lk="")
    first = claims.build(visit, STATION, TABLES).ma_lk
    again = claims.build(dataclasses.replace(visit, complaint="Đau đầu", diagnosis_code="R51"), STATION, TABLES).ma_lk
    assert first == again == "48123_2026_03_KB0000001"
    assert claims.build(dataclasses.replace(visit, visit_id=2), STATION, TABLES).ma_lk != first
