"""A hand-built November 2025 at a station, for the books and the new report indicators:

- Lò Thị Hoa (1998): pregnancy (LMP 10/02/2025), antenatal visits on 12/05, 10/07, 05/09 (tetanus),
  03/11/2025 (tetanus); delivered 18/11/2025 22:40 at the district centre, a boy of 3,100 g, hepatitis
  B 19/11 08:40 (within 24 h) and BCG 19/11 10:00 given there.
- Mùa Thị Dợ (2002): delivered at home 02/11/2025 05:00, attended by a relative: a girl of 2,300 g
  (hepatitis B on 04/11 at the station: late) and a stillborn boy (twins).
- Giàng A Páo (born 10/01/2025): DPT-VGB-Hib 1, 2, 3 and OPV 1, 2, 3 (Mar, Apr, May), BCG 12/01, IPV,
  measles on 12/11/2025 — fully immunised before the first birthday, in November.
- Đinh Văn Tâm (1950): died at home 07/11/2025, stroke (I64). Lò Văn Pành (1960): died at the district
  hospital 15/11/2025 of tuberculosis (A15). Hà Văn Ót (1940): marked deceased 25/11/2025 by a call.
- Visits in November: a dengue (A91) visit of Vàng A Dình (2015) on 19/11, a measles (B05) visit of
  Giàng A Páo on 20/11, diarrhoea (A09) of Hà Thị Lan (1985) on 06/11.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from station_app import clock
from station_app.domain.births import Attendant, Baby, Death, Delivery, Outcome, Place
from station_app.domain.dates import PartialDate
from station_app.domain.patient import Patient
from station_app.domain.visit import Visit
from station_app.store import Store, births, followups, patients, visits
from station_app.store.followups import VisitFeeds
from station_app.store.station import StationProfile, save_profile

NOVEMBER = (dt.date(2025, 11, 1), dt.date(2025, 11, 30))


@dataclass
class Station:
    store: Store
    hoa: Patient
    do: Patient
    pao: Patient
    tam: Patient
    panh: Patient
    ot: Patient
    hoa_baby: int
    do_baby: int


def _add(store: Store, name: str, sex: str, birth: PartialDate, village: str = "Bản Mòng", **more) -> Patient:
    return patients.insert(store, Patient(name, sex, birth, village=village, **more))


def _visit(store: Store, who: Patient, at: dt.datetime, code: str = "", text: str = "", **feeds) -> None:
    anc = feeds.get("antenatal", False)
    visits.insert(store, Visit(patient_id=who.id, visit_at=at, complaint=text or "Khám", diagnosis_code=code,
                               diagnosis_text=text, weight=55.0 if anc else None, bp_systolic=110 if anc else None,
                               bp_diastolic=70 if anc else None, clinician_name="Trần Thị Mai"),
                  VisitFeeds(**feeds))


@pytest.fixture
def station(store: Store) -> Station:
    with clock.pinned(dt.datetime(2025, 11, 28, 17, 0)):
        save_profile(store, StationProfile(name="Trạm Y tế xã Mường Tè", facility_code="12345"))
        hoa = _add(store, "Lò Thị Hoa", "2", PartialDate(1998, 3, 4), ethnicity="03")
        followups.enrol(store, hoa.id, "antenatal", dt.date(2025, 5, 12), lmp=dt.date(2025, 2, 10))
        for day, tetanus in ((dt.date(2025, 5, 12), False), (dt.date(2025, 7, 10), False),
                             (dt.date(2025, 9, 5), True), (dt.date(2025, 11, 3), True)):
            _visit(store, hoa, dt.datetime.combine(day, dt.time(8, 30)), "Z34", "Khám thai", antenatal=True,
                   tetanus=tetanus)
        hoa_delivery = births.record_delivery(store, Delivery(
            hoa.id, dt.datetime(2025, 11, 18, 22, 40), Place.FACILITY, "Trung tâm Y tế huyện Mường Tè",
            "Hà Thị Liên", Attendant.HEALTH_STAFF,
            (Baby("1", 3100, hepb_at=dt.datetime(2025, 11, 19, 8, 40), bcg_at=dt.datetime(2025, 11, 19, 10, 0)),)))
        do = _add(store, "Mùa Thị Dợ", "2", PartialDate(2002), village="Bản Hồ")
        do_delivery = births.record_delivery(store, Delivery(
            do.id, dt.datetime(2025, 11, 2, 5, 0), Place.HOME, "", "Mẹ chồng", Attendant.OTHER,
            (Baby("2", 2300), Baby("1", 1900, outcome=Outcome.STILLBIRTH))))
        do_baby = do_delivery.babies[0].child_id
        followups.record_dose(store, do_baby, "hepb0", 1, dt.date(2025, 11, 4), "Trạm")
        pao = _add(store, "Giàng A Páo", "1", PartialDate(2025, 1, 10), village="Bản Hồ", guardian_name="Giàng Thị Mỷ")
        followups.record_dose(store, pao.id, "bcg", 1, dt.date(2025, 1, 12), "Trạm")
        for number, day in ((1, dt.date(2025, 3, 12)), (2, dt.date(2025, 4, 12)), (3, dt.date(2025, 5, 12))):
            followups.record_dose(store, pao.id, "dpt_vgb_hib", number, day, "Trạm")
            followups.record_dose(store, pao.id, "opv", number, day, "Trạm")
        followups.record_dose(store, pao.id, "ipv", 1, dt.date(2025, 5, 12), "Trạm")
        followups.record_dose(store, pao.id, "measles", 1, dt.date(2025, 11, 12), "Trạm")
        tam = _add(store, "Đinh Văn Tâm", "1", PartialDate(1950))
        births.record_death(store, Death(tam.id, dt.date(2025, 11, 7), Place.HOME, cause_code="I64"))
        panh = _add(store, "Lò Văn Pành", "1", PartialDate(1960))
        births.record_death(store, Death(panh.id, dt.date(2025, 11, 15), Place.FACILITY, "Bệnh viện huyện",
                                         cause_code="A15", cause_text="Lao phổi"))
        ot = _add(store, "Hà Văn Ót", "1", PartialDate(1940))
        followups.mark_deceased(store, ot.id, dt.date(2025, 11, 25))
        dinh = _add(store, "Vàng A Dình", "1", PartialDate(2015, 4, 2))
        _visit(store, dinh, dt.datetime(2025, 11, 19, 9, 30), "A91", "Sốt xuất huyết Dengue")
        _visit(store, pao, dt.datetime(2025, 11, 20, 10, 0), "B05", "Sởi")
        lan = _add(store, "Hà Thị Lan", "2", PartialDate(1985))
        _visit(store, lan, dt.datetime(2025, 11, 6, 14, 0), "A09", "Tiêu chảy")
    return Station(store, hoa, do, pao, tam, panh, ot, hoa_delivery.babies[0].child_id or 0, do_baby or 0)
