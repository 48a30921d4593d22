"""A small station built by hand for the monthly-summary tests: March 2026 (and February beside).

Every record is written through the store's own functions at the time it happened (the clock is
pinned to each event), so what the app would have stored is what the tests count. The right
answers are worked out by hand in the tests, from the story below — not by the code under test.

People (age on the day of the event, from the birth date's midpoint when partial):
  an     M  10/05/1990  visits: 28/02 10:00 J00 · 31/03 23:59 J06.9 insured · 01/04 00:00 J06.9
  binh   F  15/03/2021  visits: 10/03 A09 (4 y) · 20/03 A09 insured (5 y: the < 5 band changes mid-month)
  cuc    F  ~1966 (year only, estimated → 1/7/1966)  05/03 I10 BP 150/95 (59 y): hypertension, new
  dung   M  01/01/1940  hypertension since 01/06/2025 (I10 130/80), never came back: refill due
                        01/07/2025 → 273 days overdue on 31/03/2026
  em     F  1950 (year only)  03/03 S61.0 (injury → emergency, 75 y) · died 25/03/2026
  giang  M  02/02/1970  registered 12/03/2026 · 12/03 E11.9 glucose 6.5 (diabetes, new, controlled)
  ha     F  1955  hypertension since 01/12/2024 (I10 170/100), never came back: refill due
                        31/12/2024 → 455 days overdue: lost to follow-up
  lan    F  01/01/1995  pregnancy (LMP 01/07/2025): antenatal visits 01/08/2025, 20/10/2025,
                        05/01/2026, 10/02/2026, 01/03/2026; delivered 20/03/2026; seen 25/03 (postnatal)
  mai    F  1998        new pregnancy enrolled 15/03/2026 (LMP 20/01/2026)
  khang  M  10/04/2025  BCG, DPT-VGB-Hib ×3, OPV ×3 in 2025; measles 20/03/2026 (11 months): fully immunised
  nam    M  01/02/2025  the same doses in 2025; measles 05/03/2026 (13 months): not "under 1"
  oanh   F  30/03/2026  hepatitis B birth dose 31/03/2026 (within 24 h)
  phuc   M  01/03/2026  hepatitis B birth dose 05/03/2026 (late)
Referrals: an, issued 31/03/2026 10:00 with feedback 31/03; binh, issued 10/03 then cancelled.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from station_app import clock
from station_app.domain.accounts import ANYONE
from station_app.domain.dates import PartialDate
from station_app.domain.patient import Patient
from station_app.domain.visit import Visit
from station_app.store import Store, followups, open_store, patients, visits
from station_app.store.station import StationProfile, save_profile

REGISTERED = dt.datetime(2024, 6, 1, 8, 0)
REPORT_DAY = dt.datetime(2026, 4, 3, 9, 0)


def _patient(store: Store, name: str, sex: str, birth: PartialDate, at: dt.datetime = REGISTERED) -> int:
    with clock.pinned(at):
        return int(patients.insert(store, Patient(name, sex, birth)).id)  # type: ignore[arg-type]


def _visit(store: Store, pid: int, at: dt.datetime, feeds: followups.VisitFeeds | None = None, **fields) -> int:
    with clock.pinned(at):
        saved = visits.insert(store, Visit(pid, at, complaint=fields.pop("complaint", "Khám"), **fields), feeds)
    return int(saved.id)  # type: ignore[arg-type]


def _dose(store: Store, pid: int, series: str, dose: int, on: dt.date) -> None:
    with clock.pinned(on):
        followups.record_dose(store, pid, series, dose, on, "Trạm Y tế")


def build(path: Path) -> dict[str, int]:
    """Write the station to ``path``; returns ``{name: patient id}`` and a few record ids."""
    store = open_store(path)
    try:
        save_profile(store, StationProfile(
            name="Trạm Y tế xã Tân Hòa", governing_body="UBND xã Tân Hòa", commune="Tân Hòa",
            province="Tây Ninh", facility_code="72095", head_name="Nguyễn Thị Thu", head_title="Trưởng trạm",
        ))
        ids: dict[str, int] = {}
        ids["an"] = an = _patient(store, "Trần Văn An", "1", PartialDate(1990, 5, 10))
        ids["v_an_feb"] = _visit(store, an, dt.datetime(2026, 2, 28, 10, 0), diagnosis_code="J00")
        ids["v_an_last"] = _visit(store, an, dt.datetime(2026, 3, 31, 23, 59), diagnosis_code="J06.9",
                                  insurance_paid=True)
        ids["v_an_april"] = _visit(store, an, dt.datetime(2026, 4, 1, 0, 0), diagnosis_code="J06.9")

        ids["binh"] = binh = _patient(store, "Lê Thị Bình", "2", PartialDate(2021, 3, 15))
        ids["v_binh_4"] = _visit(store, binh, dt.datetime(2026, 3, 10, 9, 0), diagnosis_code="A09")
        ids["v_binh_5"] = _visit(store, binh, dt.datetime(2026, 3, 20, 9, 0), diagnosis_code="A09",
                                 insurance_paid=True)

        ids["cuc"] = cuc = _patient(store, "Phạm Thị Cúc", "2", PartialDate(1966, estimated=True))
        ids["v_cuc"] = _visit(store, cuc, dt.datetime(2026, 3, 5, 8, 30), diagnosis_code="I10",
                              bp_systolic=150, bp_diastolic=95)

        ids["dung"] = dung = _patient(store, "Hoàng Văn Dũng", "1", PartialDate(1940, 1, 1))
        _visit(store, dung, dt.datetime(2025, 6, 1, 8, 0), diagnosis_code="I10", bp_systolic=130, bp_diastolic=80)

        ids["em"] = em = _patient(store, "Đỗ Thị Em", "2", PartialDate(1950))
        ids["v_em"] = _visit(store, em, dt.datetime(2026, 3, 3, 15, 0), diagnosis_code="S61.0")
        with clock.pinned(dt.datetime(2026, 3, 26, 8, 0)):
            followups.mark_deceased(store, em, dt.date(2026, 3, 25))

        ids["giang"] = giang = _patient(store, "Vũ Văn Giang", "1", PartialDate(1970, 2, 2),
                                        at=dt.datetime(2026, 3, 12, 8, 0))
        ids["v_giang"] = _visit(store, giang, dt.datetime(2026, 3, 12, 8, 15), diagnosis_code="E11.9", glucose=6.5)

        ids["ha"] = ha = _patient(store, "Ngô Thị Hà", "2", PartialDate(1955))
        _visit(store, ha, dt.datetime(2024, 12, 1, 9, 0), diagnosis_code="I10", bp_systolic=170, bp_diastolic=100)

        ids["lan"] = lan = _patient(store, "Bùi Thị Lan", "2", PartialDate(1995, 1, 1))
        with clock.pinned(dt.date(2025, 8, 1)):
            ids["e_lan"] = followups.enrol(store, lan, "antenatal", dt.date(2025, 8, 1), lmp=dt.date(2025, 7, 1))
        anc = followups.VisitFeeds(antenatal=True)
        for day in (dt.date(2025, 8, 1), dt.date(2025, 10, 20), dt.date(2026, 1, 5), dt.date(2026, 2, 10),
                    dt.date(2026, 3, 1)):
            _visit(store, lan, dt.datetime.combine(day, dt.time(9, 0)), anc, complaint="Khám thai",
                   diagnosis_code="Z34")
        with clock.pinned(dt.date(2026, 3, 20)):
            followups.close_enrolment(store, ids["e_lan"], dt.date(2026, 3, 20), "delivered")
        ids["v_lan_pn"] = _visit(store, lan, dt.datetime(2026, 3, 25, 10, 0), complaint="Khám sau sinh",
                                 diagnosis_code="Z39.2")

        ids["mai"] = mai = _patient(store, "Đinh Thị Mai", "2", PartialDate(1998))
        with clock.pinned(dt.date(2026, 3, 15)):
            ids["e_mai"] = followups.enrol(store, mai, "antenatal", dt.date(2026, 3, 15), lmp=dt.date(2026, 1, 20))

        ids["khang"] = khang = _patient(store, "Lý Minh Khang", "1", PartialDate(2025, 4, 10),
                                        at=dt.datetime(2025, 4, 20, 8, 0))
        ids["nam"] = nam = _patient(store, "Lý Văn Nam", "1", PartialDate(2025, 2, 1),
                                    at=dt.datetime(2025, 2, 20, 8, 0))
        for pid, born in ((khang, dt.date(2025, 4, 10)), (nam, dt.date(2025, 2, 1))):
            _dose(store, pid, "bcg", 1, born + dt.timedelta(days=20))
            for n in (1, 2, 3):
                day = born + dt.timedelta(days=60 + 30 * n)
                _dose(store, pid, "dpt_vgb_hib", n, day)
                _dose(store, pid, "opv", n, day)
        _dose(store, khang, "measles", 1, dt.date(2026, 3, 20))
        _dose(store, nam, "measles", 1, dt.date(2026, 3, 5))

        ids["oanh"] = oanh = _patient(store, "Trịnh Thị Oanh", "2", PartialDate(2026, 3, 30),
                                      at=dt.datetime(2026, 3, 31, 8, 0))
        _dose(store, oanh, "hepb0", 1, dt.date(2026, 3, 31))
        ids["phuc"] = phuc = _patient(store, "Trịnh Văn Phúc", "1", PartialDate(2026, 3, 1),
                                      at=dt.datetime(2026, 3, 5, 8, 0))
        _dose(store, phuc, "hepb0", 1, dt.date(2026, 3, 5))

        with store.write(ANYONE):
            for number, (pid, issued, status, feedback) in enumerate(
                ((an, "2026-03-31 10:00", "issued", "2026-03-31"), (binh, "2026-03-10 09:30", "cancelled", None)),
                start=1,
            ):
                store.conn.execute(
                    "INSERT INTO referrals (patient_id, year, seq, number, issued_at, to_facility, reason, status, "
                    "outcome, feedback_on, data, created_at, updated_at) VALUES (?, 2026, ?, ?, ?, "
                    "'Trung tâm Y tế huyện', 'Vượt quá khả năng chuyên môn', ?, ?, ?, ?, ?, ?)",
                    (pid, number, f"{number}/2026/CT", issued, status, "feedback" if feedback else "sent",
                     feedback, json.dumps({}), issued, issued),
                )
        return ids
    finally:
        store.close()
