"""The demo station's claims data, so that its insured visits export: the station's claims codes,
its priced examination (an illustrative price; the examination and department codes are the
placeholders of ``resources/data/claims_codes.json``, shown as unchecked until the common code
set's are loaded), a dressing priced as a procedure (MA_NHOM 18, thủ thuật), the staff's
certificate numbers, the claims codes of its drugs (invented in the common code set's form, route
codes from the same unverified table), the group and benefit digit of the cards printed
with their 10-digit number only. And a few realistic problems to fix: cards that expired (as
drawn), some 10-digit cards whose group is not entered yet, visits by a visiting doctor who is
not on the staff list (no certificate number), a drug without its tender information."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from station_app.domain import claims_codes
from station_app.domain.accounts import ANYONE
from station_app.domain.dates import add_months
from station_app.store import claims, formulary
from station_app.store import station as station_store
from station_app.store.database import Store

EXAM = claims.PricedService(
    claims_codes.placeholder("exam_service"), "Khám bệnh tại Trạm Y tế xã", 36500, dt.date(2025, 1, 1)
)
DRESSING = claims.PricedService("MA_THAYBANG", "Thay băng vết thương", 57000, dt.date(2025, 1, 1), group="18")
WITHOUT_TENDER = "POVI10"  # one drug whose tender line the head has not typed in yet
# The commune of residence (claims codes since 07/2025): the station's, a few from next door.
PROVINCE_CODE = "25"
STATION_COMMUNE = "08566"  # Xã Tân Sơn
NEIGHBOUR_COMMUNES = ("08560", "08545")  # Xã Lai Đồng, Xã Thu Cúc
GROUPS = ("GD", "HT", "HN", "TE", "CN", "DN")
DIGITS = {"GD": "4", "HT": "3", "HN": "2", "TE": "1", "CN": "3", "DN": "4"}


def add_claims(store: Store, seed: int, today: dt.date) -> None:
    r = random.Random(seed * 7919 + 19).random
    claims.save_settings(
        store,
        department_code=claims_codes.placeholder("department"),
        signer_bhxh_no="2512345678",
        province_code="25",
        district_code="227",  # the former district's code: how MAHUYEN_CU_TRU is filled since 2025 is unverified
        commune_code=STATION_COMMUNE,
    )
    claims.save_service(store, EXAM)
    claims.save_service(store, DRESSING)
    for number, member in enumerate(station_store.staff(store), start=1):
        claims.save_staff_numbers(store, int(member.id or 0), f"{number:06d}/PT-CCHN", f"25{number:08d}")
    for number, drug in enumerate(formulary.drugs(store), start=1):
        tender = "" if drug.code == WITHOUT_TENDER else f"01/QĐ-SYT;G1;N{1 + number % 5};2025;25"
        formulary.edit(
            store,
            dataclasses.replace(
                drug,
                dmdc_code=f"40.{100 + number}",
                registration_no=f"VD-{10000 + number}-25",
                tender=tender,
                route_code=claims_codes.route_code(drug.route),
            ),
            "claims codes",
        )
    with store.write(ANYONE):  # invented rows of a demo file being built
        ten_digit = store.conn.execute("SELECT id FROM patients WHERE length(insurance_no) = 10 ORDER BY id").fetchall()
        rows = []
        for (pid,) in ten_digit:
            if r() < 0.97:
                group = GROUPS[int(r() * len(GROUPS))]
                rows.append((group, DIGITS[group], pid))
        store.conn.executemany("UPDATE patients SET insurance_group = ?, insurance_benefit = ? WHERE id = ?", rows)
        _earlier_cards(store)
        # A card that had expired: the visit was not paid by insurance, except a few since last
        # month where the nurse ticked it without looking at the date.
        month_start = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1).isoformat()
        outside = store.conn.execute(
            "SELECT v.id, v.visit_at >= ? FROM visits v JOIN patients p ON p.id = v.patient_id "
            "WHERE v.insurance_paid = 1 AND substr(v.visit_at, 1, 10) > p.insurance_valid_to ORDER BY v.id",
            (month_start,),
        ).fetchall()
        store.conn.executemany(
            "UPDATE visits SET insurance_paid = 0 WHERE id = ?",
            [(vid,) for vid, this_month in outside if not (this_month and r() < 0.1)],
        )
        visiting = store.conn.execute(
            "SELECT id FROM visits WHERE insurance_paid = 1 AND visit_at >= ? ORDER BY id", (month_start,)
        ).fetchall()
        chosen = [vid for (vid,) in visiting if r() < 0.01][:3]
        last_month = [vid for (vid,) in store.conn.execute(
            "SELECT id FROM visits WHERE insurance_paid = 1 AND visit_at >= ? AND visit_at < ? ORDER BY id",
            (month_start, today.replace(day=1).isoformat()))]
        if last_month and not set(chosen) & set(last_month):  # (one at least in the month to claim)
            chosen.append(last_month[len(last_month) // 2])
        store.conn.executemany(
            "UPDATE visits SET clinician_id = NULL, clinician_name = 'BS. Vũ Quang Minh (tăng cường)' WHERE id = ?",
            [(vid,) for vid in chosen],
        )


def _earlier_cards(store: Store) -> None:
    """The cards each insured patient had before the current one: a year each, renewed on the day
    the next began (same number, group and facility), back to the first insured visit, as the
    station's file keeps them when a nurse enters each renewal."""
    rows = store.conn.execute(
        "SELECT p.id, p.insurance_no, p.insurance_valid_from, p.insurance_facility, p.insurance_group, "
        "p.insurance_benefit, p.insurance_area, MIN(substr(v.visit_at, 1, 10)) FROM patients p "
        "JOIN visits v ON v.patient_id = p.id WHERE v.insurance_paid = 1 AND p.insurance_no <> '' "
        "AND substr(v.visit_at, 1, 10) < p.insurance_valid_from GROUP BY p.id ORDER BY p.id"
    ).fetchall()
    cards = []
    for pid, number, valid_from, facility, group, benefit, area, first_visit in rows:
        start = dt.date.fromisoformat(valid_from)
        earliest = dt.date.fromisoformat(first_visit)
        found = []
        while earliest < start:
            end = start - dt.timedelta(days=1)
            begin = add_months(start, -12)
            found.append((pid, number, begin.isoformat(), end.isoformat(), facility, group, benefit, area,
                          f"{start.isoformat()} 08:00:00"))
            start = begin
        cards += reversed(found)  # (the oldest first, as they were replaced)
    store.conn.executemany(
        "INSERT INTO insurance_cards (patient_id, card_no, valid_from, valid_to, facility, card_group, benefit, "
        "area, replaced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        cards,
    )
