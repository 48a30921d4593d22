"""The claims tests' station: a facility code, priced services, a clinician with a CCHN, a drug with
its claims codes in stock, and an insured patient; ``written`` reads back the files of a folder."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from station_app.domain import claims_xml
from station_app.domain.medicines import PrescriptionLine, ReceiptLine
from station_app.domain.patient import Patient
from station_app.domain.visit import Visit
from station_app.store import Store, formulary, stock, visits
from station_app.store import claims as store_claims
from station_app.store import station as station_store


@dataclasses.dataclass
class Station:
    store: Store
    day: dt.date
    patient: Patient
    clinician_id: int

    def visit(self, hour: int = 8, *, patient: Patient | None = None, drugs: int = 30, **fields: object) -> Visit:
        visit = Visit(
            patient_id=int((patient or self.patient).id or 0),
            visit_at=dt.datetime.combine(self.day, dt.time(hour, 15)),
            complaint="Khám tăng huyết áp định kỳ",
            diagnosis_code="I10",
            diagnosis_text="Tăng huyết áp",
            treatment="Điều trị nội khoa",
            weight=62.0,
            clinician_id=self.clinician_id,
            insurance_paid=True,
            **fields,  # type: ignore[arg-type]
        )
        lines = [PrescriptionLine("AMLO5", drugs, "1 viên", 1, drugs)] if drugs else []
        return visits.insert(self.store, visit, prescription=lines)


@pytest.fixture
def station(store: Store, today: dt.date, add_patient: Callable[..., Patient]) -> Station:
    profile = station_store.load_profile(store)
    profile.name, profile.facility_code = "Trạm Y tế xã Hòa Phước", "48123"
    station_store.save_profile(store, profile)
    store_claims.save_settings(
        store,
        department_code="K01",
        signer_bhxh_no="4812345678",
        province_code="48",
        district_code="497",
        commune_code="20332",
    )
    store_claims.save_service(
        store, store_claims.PricedService("MA_KHAM_TYT", "Khám bệnh tại Trạm Y tế xã", 36500, dt.date(2025, 1, 1))
    )
    member = station_store.save_staff(store, station_store.StaffMember("Lê Thị Hoa", "Y sĩ"))
    store_claims.save_staff_numbers(store, int(member.id or 0), "001234/DNA-CCHN", "4812000001")
    amlo = formulary.get(store, "AMLO5")
    assert amlo is not None
    formulary.edit(
        store,
        dataclasses.replace(
            amlo,
            brand="Amlodipin",
            dmdc_code="40.999",
            route_code="1.01",
            registration_no="VD-00000-00",
            tender="123/QĐ-SYT;G1;N4;2025;48",
        ),
        "claims codes",
    )
    stock.receive(
        store,
        [
            ReceiptLine("AMLO5", "A-OLD", today + dt.timedelta(days=40), 20, 300),
            ReceiptLine("AMLO5", "A-NEW", today + dt.timedelta(days=400), 200, 312.5),
        ],
        today - dt.timedelta(days=5),
    )
    patient = add_patient(
        "Nguyễn Văn An",
        sex="1",
        birth="15/06/1955",
        citizen_id="048055001234",
        phone="0905000000",
        address="Thôn 2, xã Hòa Phước",
        insurance_no="GD4481234567890",
        insurance_valid_from=dt.date(2025, 1, 1),
        insurance_valid_to=dt.date(2025, 12, 31),
        insurance_facility="48123",
    )
    return Station(store, today, patient, int(member.id or 0))


def written(tmp_path: Path) -> dict[str, claims_xml.ReadEnvelope]:
    return {p.name: claims_xml.read_envelope(p.read_text(encoding="utf-8")) for p in sorted(tmp_path.glob("*.xml"))}
