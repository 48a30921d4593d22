"""Health-insurance claims in the database: the station's claims codes, its priced services (each
change a new version, the old one closed), the staff's certificate and social-insurance numbers, a
patient's card and codes, a visit's category; the insured visits of a period gathered as plain
values for ``domain.claims``; the claims register (held back or written, the portal's answer)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from station_app.domain import claims as domain
from station_app.domain import claims_codes
from station_app.domain.accounts import Permission
from station_app.domain.claims import (
    Claim,
    ClaimVisit,
    Clinician,
    DrugLine,
    PatientInfo,
    ReferralInfo,
    ServiceLine,
    StationInfo,
)
from station_app.domain.medicines import PrescriptionLine
from station_app.domain.monthly import Month
from station_app.domain.patient import Patient, code_problems
from station_app.errors import UserError
from station_app.i18n import N_, tr, translate
from station_app.store import audit, json_cells, visits
from station_app.store.database import Store, date_text, now_text

VIETNAM_CODE = "000"  # MA_QUOCTICH written for Vietnamese citizens in the note's complete example
SETTING_FIELDS = (
    "department_code",
    "signer_bhxh_no",
    "province_code",
    "district_code",
    "commune_code",
    "payment_method",
)


class ClaimsRefused(UserError):
    """A claims entry that cannot be saved, with its reason."""


# -- the station's claims codes ---------------------------------------------------------------------------
def station_info(store: Store) -> StationInfo:
    row = store.query(
        "SELECT s.facility_code, c.department_code, c.signer_bhxh_no, c.province_code, c.district_code, "
        "c.commune_code, c.payment_method FROM station s, claim_settings c WHERE s.id = 1 AND c.id = 1"
    )
    return StationInfo(**{k: str(v or "") for k, v in row[0].items()}) if row else StationInfo()


def save_settings(store: Store, **values: str) -> None:
    """The station's claims codes (head: ``EDIT_STATION``), audited with what they replaced."""
    unknown = set(values) - set(SETTING_FIELDS)
    if unknown:
        raise KeyError(sorted(unknown))
    clean = {k: v.strip() for k, v in values.items()}
    _check_codes(clean)
    with store.write(Permission.EDIT_STATION):
        before = store.query(f"SELECT {', '.join(clean)} FROM claim_settings WHERE id = 1")[0] if clean else {}
        changed = {k: before[k] for k, v in clean.items() if before[k] != v}
        if not changed:
            return
        audit.record(store, audit.UPDATE, "claim_settings", {"fields": sorted(changed), "before": changed})
        assignments = ", ".join(f"{k} = :{k}" for k in clean)
        store.conn.execute(f"UPDATE claim_settings SET {assignments} WHERE id = 1", clean)


def _check_codes(values: dict[str, str]) -> None:
    """A code from an official list that is not in it is refused, named as the form names it."""
    probe = Patient(
        "", "", None,
        nationality_code=values.get("nationality_code", ""),
        occupation_code=values.get("occupation_code", ""),
        province_code=values.get("province_code", ""),
        commune_code=values.get("commune_code", ""),
    )
    problems = code_problems(probe)
    if problems:
        raise ClaimsRefused(problems[0].message, **problems[0].params)


# -- priced services ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PricedService:
    code: str
    name: str
    price: int  # đồng
    valid_from: dt.date
    unit: str = "Lần"
    group: str = domain.EXAM_GROUP
    valid_to: dt.date | None = None
    version: int = 1
    id: int | None = None


def _service(row: dict[str, object]) -> PricedService:
    return PricedService(
        code=str(row["code"]),
        name=str(row["name"]),
        price=int(str(row["price"])),
        valid_from=dt.date.fromisoformat(str(row["valid_from"])),
        unit=str(row["unit"]),
        group=str(row["group_code"]),
        valid_to=dt.date.fromisoformat(str(row["valid_to"])) if row["valid_to"] else None,
        version=int(str(row["version"])),
        id=int(str(row["id"])),
    )


def services(store: Store, *, with_history: bool = False) -> list[PricedService]:
    """The priced services (current versions; ``with_history``: every version), by code."""
    where = "" if with_history else "WHERE superseded = 0"
    return [_service(r) for r in store.query(f"SELECT * FROM priced_services {where} ORDER BY code, version")]


def save_service(store: Store, service: PricedService) -> PricedService:
    """Add a priced service, or change one: the current version is closed the day before the new
    one's ``valid_from`` and kept (a claim of an earlier visit still finds its price)."""
    code, name = service.code.strip(), service.name.strip()
    if not code or not name:
        raise ClaimsRefused(N_("A priced service needs its code and its name."))
    if service.price < 0:
        raise ClaimsRefused(N_("A price cannot be negative."))
    if service.group.strip() not in claims_codes.cost_groups():
        raise ClaimsRefused(N_("The cost group {group} is not in the list (MA_NHOM 1–19)."), group=service.group)
    with store.write(Permission.EDIT_STATION):
        current = store.query("SELECT * FROM priced_services WHERE code = ? AND superseded = 0", (code,))
        version = 1
        if current:
            old = _service(current[0])
            if service.valid_from <= old.valid_from:
                raise ClaimsRefused(
                    N_("The new price of {code} must start after {date}."), code=code, date=old.valid_from.isoformat()
                )
            version = old.version + 1
            store.conn.execute(
                "UPDATE priced_services SET superseded = 1, valid_to = ? WHERE id = ?",
                (date_text(service.valid_from - dt.timedelta(days=1)), old.id),
            )
        cursor = store.conn.execute(
            "INSERT INTO priced_services (code, version, name, unit, group_code, price, valid_from, valid_to, "
            "changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                code,
                version,
                name,
                service.unit.strip() or "Lần",
                service.group.strip(),
                int(service.price),
                date_text(service.valid_from),
                date_text(service.valid_to),
                store.actor.username,
                now_text(),
            ),
        )
        audit.record(
            store,
            audit.CREATE if version == 1 else audit.UPDATE,
            ("priced_service", code),
            {"version": version, "price": service.price, "valid_from": service.valid_from.isoformat()},
        )
    return PricedService(
        code,
        name,
        service.price,
        service.valid_from,
        service.unit,
        service.group,
        service.valid_to,
        version,
        cursor.lastrowid,
    )


def _exam_on(all_services: Sequence[PricedService], day: dt.date) -> PricedService | None:
    """The examination price in force on ``day`` (the first exam service by code)."""
    for s in all_services:
        if s.group == domain.EXAM_GROUP and s.valid_from <= day and (s.valid_to is None or s.valid_to >= day):
            return s
    return None


# -- staff, patients, visits ------------------------------------------------------------------------------
def save_staff_numbers(store: Store, staff_id: int, cchn: str, bhxh_no: str) -> None:
    """A staff member's practising-certificate number (or staff code in parentheses, for a station
    without a licensed doctor) and social-insurance number."""
    with store.write(Permission.EDIT_STATION):
        before = store.query("SELECT cchn, bhxh_no FROM staff WHERE id = ?", (staff_id,))
        if not before:
            raise ClaimsRefused(N_("There is no such staff member."))
        after = {"cchn": cchn.strip(), "bhxh_no": bhxh_no.strip()}
        changed = {k: before[0][k] for k, v in after.items() if before[0][k] != v}
        if changed:
            audit.record(store, audit.UPDATE, ("staff", staff_id), {"fields": sorted(changed), "before": changed})
            store.conn.execute(
                "UPDATE staff SET cchn = ?, bhxh_no = ? WHERE id = ?", (after["cchn"], after["bhxh_no"], staff_id)
            )


PATIENT_CLAIM_FIELDS = (
    "insurance_valid_from",
    "insurance_valid_to",
    "insurance_facility",
    "insurance_group",
    "insurance_benefit",
    "insurance_area",
    "nationality_code",
    "occupation_code",
    "province_code",
    "district_code",
    "commune_code",
)


def save_patient_claim_fields(store: Store, patient_id: int, **values: str | None) -> None:
    """The card's validity, registered facility, group, benefit digit and area, and the patient's
    codes (``EDIT_PATIENTS``), audited with what they replaced."""
    unknown = set(values) - set(PATIENT_CLAIM_FIELDS)
    if unknown:
        raise KeyError(sorted(unknown))
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    for k in ("insurance_valid_from", "insurance_valid_to"):
        if clean.get(k) == "":
            clean[k] = None
    _check_codes({k: v for k, v in clean.items() if isinstance(v, str)})
    with store.write(Permission.EDIT_PATIENTS):
        rows = store.query(f"SELECT {', '.join(clean)} FROM patients WHERE id = ?", (patient_id,))
        if not rows:
            raise ClaimsRefused(N_("There is no such patient."))
        changed = {k: rows[0][k] for k, v in clean.items() if rows[0][k] != v}
        if not changed:
            return
        audit.record(store, audit.UPDATE, ("patient", patient_id), {"fields": sorted(changed), "before": changed})
        assignments = ", ".join(f"{k} = :{k}" for k in clean)
        store.conn.execute(
            f"UPDATE patients SET {assignments}, updated_at = :now WHERE id = :id",
            {**clean, "now": now_text(), "id": patient_id},
        )


@dataclass(frozen=True)
class EarlierCard:
    """A card the patient had before the current one (kept when a new card replaced it)."""

    id: int
    card_no: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    facility: str


def earlier_cards(store: Store, patient_id: int) -> list[EarlierCard]:
    """The patient's earlier cards, the latest first: the visits made on them are claimed on them
    (a card the head set aside is not one of them)."""
    store.require(Permission.VIEW_RECORDS)
    return [
        EarlierCard(int(str(r["id"])), str(r["card_no"]), _date(r["valid_from"]), _date(r["valid_to"]),
                    str(r["facility"]))
        for r in store.query(
            "SELECT id, card_no, valid_from, valid_to, facility FROM insurance_cards "
            "WHERE patient_id = ? AND voided_at IS NULL ORDER BY valid_from DESC, id DESC",
            (patient_id,),
        )
    ]


def set_aside_card(store: Store, card_id: int, reason: str) -> None:
    """Set aside a kept card that was never the person's card (head of station, with a reason):
    no visit is claimed on it any more. Audited with the card; the row stays."""
    reason = reason.strip()
    if not reason:
        raise ClaimsRefused(N_("Write why the card is set aside."))
    with store.write(Permission.AMEND_RECORDS):
        rows = store.query(
            "SELECT patient_id, card_no, valid_from, valid_to FROM insurance_cards WHERE id = ? AND voided_at IS NULL",
            (card_id,),
        )
        if not rows:
            raise ClaimsRefused(N_("There is no such earlier card."))
        card = rows[0]
        store.conn.execute(
            "UPDATE insurance_cards SET voided_at = ?, voided_by = ?, void_reason = ? WHERE id = ?",
            (now_text(), store.actor.username, reason[:500], card_id),
        )
        audit.record(store, audit.AMEND, ("patient", int(str(card["patient_id"]))),
                     {"card_set_aside": str(card["card_no"]), "valid_from": card["valid_from"],
                      "valid_to": card["valid_to"], "reason": reason[:500]},
                     patient_id=int(str(card["patient_id"])))


def set_category(store: Store, visit_id: int, category: str) -> None:
    """The visit's category (MA_DOITUONG_KCB); '' for the default (1.2, the station)."""
    if category and category not in domain.categories():
        raise ClaimsRefused(N_("The visit category {code} is not in the list."), code=category)
    with store.write(Permission.RECORD_VISITS):
        before = store.scalar("SELECT claim_category FROM visits WHERE id = ?", (visit_id,))
        if before is None:
            raise ClaimsRefused(N_("There is no such visit."))
        if before != category:
            audit.record(store, audit.UPDATE, ("visit", visit_id), {"fields": ["claim_category"], "before": before})
            store.conn.execute("UPDATE visits SET claim_category = ? WHERE id = ?", (category, visit_id))


# -- gathering the insured visits of a period -------------------------------------------------------------
def _date(value: object) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def _decimal(value: object) -> Decimal:
    """A quantity or price kept as a REAL by the stock ledger, back to the decimal it was typed as
    (3 decimals at most, as the files write them)."""
    return Decimal(str(round(float(str(value)), 3))).normalize()


def _ended(visit_at: dt.datetime, created: object) -> dt.datetime:
    """The end of the visit (NGAY_RA): when it was saved, if that was later the same day."""
    try:
        saved = dt.datetime.fromisoformat(str(created)).replace(second=0, microsecond=0)
    except ValueError:
        return visit_at
    return saved if saved.date() == visit_at.date() and saved >= visit_at else visit_at


_VISITS_SQL = """
SELECT v.id, v.patient_id, v.visit_at, v.created_at, v.updated_at, v.complaint, v.diagnosis_code,
       v.diagnosis_text, v.extra_diagnoses, v.treatment, v.notes, v.weight, v.follow_up_date,
       v.claim_category, v.clinician_name,
       COALESCE(s.full_name, v.clinician_name) AS clinician, COALESCE(s.cchn, s2.cchn, '') AS cchn,
       p.record_no, p.full_name, p.sex, p.birth_year, p.birth_month, p.birth_day, p.citizen_id, p.phone,
       p.address, p.ethnicity, p.nationality, p.nationality_code, p.occupation_code, p.province_code,
       p.district_code, p.commune_code,
       CASE WHEN h.id IS NULL THEN p.insurance_no ELSE h.card_no END AS insurance_no,
       CASE WHEN h.id IS NULL THEN p.insurance_valid_from ELSE h.valid_from END AS insurance_valid_from,
       CASE WHEN h.id IS NULL THEN p.insurance_valid_to ELSE h.valid_to END AS insurance_valid_to,
       CASE WHEN h.id IS NULL THEN p.insurance_facility ELSE h.facility END AS insurance_facility,
       CASE WHEN h.id IS NULL THEN p.insurance_group ELSE h.card_group END AS insurance_group,
       CASE WHEN h.id IS NULL THEN p.insurance_benefit ELSE h.benefit END AS insurance_benefit,
       CASE WHEN h.id IS NULL THEN p.insurance_area ELSE h.area END AS insurance_area,
       c.ma_lk, c.status AS claim_status, c.visit_version, c.times_written
FROM visits v
JOIN patients p ON p.id = v.patient_id
-- The card valid on the visit's day: the current one, or else the card it replaced that was.
LEFT JOIN insurance_cards h
  ON (p.insurance_no = '' OR p.insurance_valid_from > substr(v.visit_at, 1, 10)
      OR p.insurance_valid_to < substr(v.visit_at, 1, 10))
 AND h.id = (SELECT id FROM insurance_cards
             WHERE patient_id = v.patient_id AND voided_at IS NULL AND valid_from <= substr(v.visit_at, 1, 10)
               AND (valid_to IS NULL OR valid_to >= substr(v.visit_at, 1, 10))
             ORDER BY id DESC LIMIT 1)
LEFT JOIN staff s ON s.id = v.clinician_id
LEFT JOIN staff s2 ON v.clinician_id IS NULL AND s2.id = (
    SELECT id FROM staff WHERE full_name = v.clinician_name AND v.clinician_name <> '' ORDER BY active DESC, id LIMIT 1)
LEFT JOIN claims c ON c.visit_id = v.id
WHERE v.insurance_paid = 1 AND v.visit_at >= :start AND v.visit_at < :end
  AND (v.visit_at, v.id) > (:after_at, :after_id)
ORDER BY v.visit_at, v.id
LIMIT :size
"""

_DRUGS_SQL = """
SELECT l.id AS line_id, l.visit_id, l.drug_code, l.per_dose, l.times_per_day, l.days, l.instructions,
       d.ingredient, d.strength, d.form, d.unit, d.brand, d.dmdc_code, d.registration_no, d.tender,
       d.route_code, d.insured, d.funding,
       m.unit_price, -SUM(m.delta) AS quantity
FROM prescription_lines l
JOIN drugs d ON d.id = l.drug_id
JOIN stock_movements m ON m.prescription_line_id = l.id AND m.kind IN ('dispensed', 'returned')
WHERE l.visit_id IN (SELECT value FROM json_each(?))
GROUP BY l.id, m.lot_id, m.unit_price
HAVING -SUM(m.delta) > 0.0005
ORDER BY l.visit_id, l.line_no, m.lot_id
"""

_REFERRALS_SQL = """
SELECT r.visit_id, r.number, r.book_no, r.to_facility_code, r.issued_at, r.data
FROM referrals r JOIN visits v ON v.id = r.visit_id
WHERE r.status = 'issued' AND v.insurance_paid = 1 AND v.visit_at >= ? AND v.visit_at < ?
ORDER BY r.id
"""


@dataclass(frozen=True)
class Gathered:
    """An insured visit as a claim needs it, with what the register knows of it."""

    visit: ClaimVisit
    version: str  # the visit's updated_at: a change since it was written makes a resubmission
    written_before: bool
    written_version: str


def _drug_line(r: dict[str, object]) -> DrugLine:
    name = f"{r['brand'] or r['ingredient']} {r['strength']}".strip()
    return DrugLine(
        line_id=int(str(r["line_id"])),
        name=name,
        unit=str(r["unit"]),
        strength=str(r["strength"]),
        quantity=_decimal(r["quantity"]),
        unit_price=_decimal(r["unit_price"]),
        dmdc_code=str(r["dmdc_code"]),
        route_code=str(r["route_code"]),
        form=str(r["form"]),
        dosage=PrescriptionLine(
            str(r["drug_code"]), 0, str(r["per_dose"] or ""), _int(r["times_per_day"]), _int(r["days"])
        ).dosage_text(str(r["unit"])),
        instructions=str(r["instructions"] or ""),
        registration_no=str(r["registration_no"]),
        tender=str(r["tender"]),
        insured=bool(r["insured"]),
        funding=int(str(r["funding"] or 1)),
    )


def _int(value: object) -> int | None:
    return int(str(value)) if value not in (None, "") else None


def _referral(r: dict[str, object]) -> ReferralInfo:
    read = json_cells.read(r["data"], dict)
    data: dict[str, object] = read if read is not None else {}
    reason = str(data.get("reason") or "")

    def text(key: str) -> str:
        return str(data.get(key) or "")

    return ReferralInfo(
        number=str(r["number"]),
        book_no=str(r["book_no"] or ""),
        to_facility_code=str(r["to_facility_code"] or ""),
        issued_at=dt.datetime.fromisoformat(str(r["issued_at"])).replace(second=0, microsecond=0),
        signs=text("clinical_signs"),
        course=text("condition") or text("clinical_signs"),
        results=text("test_results"),
        treatment=text("treatment"),
        direction=text("direction"),
        transport=text("transport"),
        reason_code=claims_codes.referral_reason_code(reason),
        escort=text("escort_name"),
        escort_title=text("escort_title"),
        patient_request=reason == "2",
        unreadable=read is None,
    )


def count_insured(store: Store, first: dt.date, last: dt.date) -> int:
    """How many insured visits the period has (what a claims run will go through)."""
    store.require(Permission.VIEW_RECORDS)
    span = (first.isoformat(), (last + dt.timedelta(days=1)).isoformat())
    return int(
        store.scalar("SELECT COUNT(*) FROM visits WHERE insurance_paid = 1 AND visit_at >= ? AND visit_at < ?", span)
        or 0
    )


def gather(store: Store, first: dt.date, last: dt.date) -> Iterator[Gathered]:
    """The insured visits from ``first`` to ``last`` (both included) as claims need them, in order."""
    store.require(Permission.VIEW_RECORDS)
    span = (first.isoformat(), (last + dt.timedelta(days=1)).isoformat())
    price_list = services(store, with_history=True)
    referrals: dict[int, ReferralInfo] = {}  # (a few in a month)
    for r in store.query(_REFERRALS_SQL, span):
        referrals.setdefault(int(str(r["visit_id"])), _referral(r))
    after: tuple[str, int] = ("", 0)
    while True:  # the visits a chunk at a time: a month of a large station is never held at once
        chunk = store.query(
            _VISITS_SQL,
            {
                "start": max(span[0], after[0]),
                "end": span[1],
                "after_at": after[0],
                "after_id": after[1],
                "size": GATHER_CHUNK,
            },
        )
        if not chunk:
            return
        after = (str(chunk[-1]["visit_at"]), int(str(chunk[-1]["id"])))
        drugs: dict[int, list[DrugLine]] = defaultdict(list)
        for r in store.query(_DRUGS_SQL, (json.dumps([row["id"] for row in chunk]),)):
            drugs[int(str(r["visit_id"]))].append(_drug_line(r))
        yield from _gathered(chunk, drugs, referrals, price_list)


GATHER_CHUNK = 500  # visits read from the file at a time


def _gathered(
    chunk: list[dict[str, object]],
    drugs: dict[int, list[DrugLine]],
    referrals: dict[int, ReferralInfo],
    price_list: list[PricedService],
) -> Iterator[Gathered]:
    for r in chunk:
        visit_id = int(str(r["id"]))
        visit_at = dt.datetime.fromisoformat(str(r["visit_at"]))
        exam = _exam_on(price_list, visit_at.date())
        kept = visits.read_extra_diagnoses(r["extra_diagnoses"])
        extra = [d.code for d in kept or () if d.code]
        nationality = str(r["nationality_code"] or "")
        if not nationality and str(r["nationality"] or "").strip().lower() in ("việt nam", "viet nam", ""):
            nationality = VIETNAM_CODE
        patient = PatientInfo(
            id=int(str(r["patient_id"])),
            record_no=str(r["record_no"]),
            full_name=str(r["full_name"]),
            sex=str(r["sex"]),
            birth_year=_int(r["birth_year"]),
            birth_month=_int(r["birth_month"]),
            birth_day=_int(r["birth_day"]),
            citizen_id=str(r["citizen_id"]),
            phone=str(r["phone"]),
            address=str(r["address"]),
            nationality_code=nationality,
            ethnicity_code=str(r["ethnicity"] or ""),
            occupation_code=str(r["occupation_code"] or ""),
            province_code=str(r["province_code"]),
            district_code=str(r["district_code"]),
            commune_code=str(r["commune_code"]),
            card_no=str(r["insurance_no"]).strip().upper(),
            card_from=_date(r["insurance_valid_from"]),
            card_to=_date(r["insurance_valid_to"]),
            card_facility=str(r["insurance_facility"]),
            card_group=str(r["insurance_group"]),
            card_digit=str(r["insurance_benefit"]),
            card_area=str(r["insurance_area"]),
        )
        weight = r["weight"]
        visit = ClaimVisit(
            visit_id=visit_id,
            visit_at=visit_at,
            ended_at=_ended(visit_at, r["created_at"]),
            patient=patient,
            clinician=Clinician(str(r["clinician"] or ""), str(r["cchn"] or "")),
            diagnosis_code=str(r["diagnosis_code"]),
            diagnosis_text=str(r["diagnosis_text"]),
            extra_codes=tuple(extra),
            complaint=str(r["complaint"]),
            treatment=str(r["treatment"]),
            notes=str(r["notes"]),
            weight=Decimal(str(round(float(str(weight)), 2))) if weight is not None else None,
            category=str(r["claim_category"] or ""),
            services=(ServiceLine(exam.code, exam.name, exam.unit, exam.price, exam.group),) if exam else (),
            drugs=tuple(drugs.get(visit_id, ())),
            referral=referrals.get(visit_id),
            follow_up=_date(r["follow_up_date"]),
            ma_lk=str(r["ma_lk"] or "") if r["times_written"] else "",  # kept once written
            extra_unreadable=kept is None,
        )
        yield Gathered(visit, str(r["updated_at"]), bool(r["times_written"]), str(r["visit_version"] or ""))


# -- the register -----------------------------------------------------------------------------------------
def _cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


@dataclass(frozen=True)
class RunEntry:
    """What the register keeps of one visit of a run (the claim itself is not kept in memory)."""

    visit_id: int
    ma_lk: str
    problems: list[str]
    total: int  # cents of a đồng
    fund: int
    patient: int
    file: str | None
    version: str
    resubmission: bool


def run_entry(gathered: Gathered, claim: Claim, file: str | None) -> RunEntry:
    totals = claim.totals() if claim.records.get("XML1") else {}
    zero = Decimal(0)
    return RunEntry(
        visit_id=claim.visit_id,
        ma_lk=claim.ma_lk,
        problems=[p.text() for p in claim.problems],
        total=_cents(totals.get("T_TONGCHI_BV", zero)),
        fund=_cents(totals.get("T_BHTT", zero)),
        patient=_cents(totals.get("T_BNTT", zero) + totals.get("T_BNCCT", zero)),
        file=file,
        version=gathered.version,
        resubmission=file is not None and gathered.written_before and gathered.written_version != gathered.version,
    )


def record(store: Store, results: Sequence[RunEntry], period: str, out_dir: str) -> None:
    """Enter a run in the register (one write, audited as an export): each visit held back with its
    problems, or written to its file (an amended visit written again is marked a resubmission)."""
    at = now_text()
    with store.write(Permission.EXPORT_CLAIMS):
        store.conn.executemany(
            "INSERT INTO claims (visit_id, ma_lk, status, problems, checked_at, written_at, file, visit_version, "
            "times_written, resubmission, total_cents, fund_cents, patient_cents) "
            "VALUES (:visit, :ma_lk, :status, :problems, :at, :written_at, :file, :version, :written, "
            ":resub, :total, :fund, :patient) "
            "ON CONFLICT (visit_id) DO UPDATE SET status = excluded.status, "
            "ma_lk = CASE WHEN claims.times_written = 0 THEN excluded.ma_lk ELSE claims.ma_lk END, "
            "problems = excluded.problems, "
            "checked_at = excluded.checked_at, total_cents = excluded.total_cents, "
            "fund_cents = excluded.fund_cents, patient_cents = excluded.patient_cents, "
            "written_at = COALESCE(excluded.written_at, claims.written_at), "
            "file = CASE WHEN excluded.file <> '' THEN excluded.file ELSE claims.file END, "
            "visit_version = CASE WHEN excluded.file <> '' THEN excluded.visit_version "
            "ELSE claims.visit_version END, "
            "times_written = claims.times_written + excluded.times_written, "
            "resubmission = MAX(claims.resubmission, excluded.resubmission), "
            "answer = CASE WHEN excluded.file <> '' THEN '' ELSE claims.answer END",
            (
                {
                    "visit": e.visit_id,
                    "ma_lk": e.ma_lk,
                    "status": "held" if e.file is None else "written",
                    "problems": json.dumps(e.problems, ensure_ascii=False),
                    "at": at,
                    "written_at": at if e.file is not None else None,
                    "file": e.file or "",
                    "version": e.version if e.file is not None else "",
                    "written": int(e.file is not None),
                    "resub": int(e.resubmission),
                    "total": e.total,
                    "fund": e.fund,
                    "patient": e.patient,
                }
                for e in results
            ),
        )
        written = sum(1 for e in results if e.file is not None)
        audit.record(
            store,
            audit.EXPORT,
            ("claims", period),
            {"written": written, "held": len(results) - written, "folder": out_dir},
        )


def record_answer(store: Store, visit_id: int, accepted: bool, reason: str = "") -> None:
    """The portal's answer to a written claim, typed in by hand (a refusal needs its reason)."""
    if not accepted and not reason.strip():
        raise ClaimsRefused(N_("Write the portal's reason for refusing the claim."))
    with store.write(Permission.EXPORT_CLAIMS):
        status = store.scalar("SELECT status FROM claims WHERE visit_id = ?", (visit_id,))
        if status != "written":
            raise ClaimsRefused(N_("Only a claim that was written can have the portal's answer."))
        answer = "accepted" if accepted else "refused"
        store.conn.execute(
            "UPDATE claims SET answer = ?, answer_reason = ?, answered_at = ?, answered_by = ? WHERE visit_id = ?",
            (answer, reason.strip(), now_text(), store.actor.username, visit_id),
        )
        audit.record(store, audit.UPDATE, ("claim", visit_id), {"answer": answer, "reason": reason.strip()})


@dataclass(frozen=True)
class RegisterRow:
    visit_id: int
    visit_at: str
    patient_id: int
    full_name: str
    ma_lk: str
    status: str  # 'held', 'written' or '' (not yet checked)
    problems: list[str]
    written_at: str
    file: str
    resubmission: bool
    changed_since: bool  # the visit changed after it was written: send it again
    answer: str
    answer_reason: str
    total: Decimal
    fund: Decimal
    patient: Decimal

    def status_label(self) -> str:
        if self.status == "held":
            return tr("Held back")
        if self.status == "written":
            if self.changed_since:
                return tr("Changed since written")
            return tr("Resubmitted") if self.resubmission else tr("Written")
        return tr("Not checked yet")

    def answer_label(self) -> str:
        if self.answer == "accepted":
            return tr("Accepted")
        if self.answer == "refused":
            return tr("Refused: {reason}").format(reason=self.answer_reason)
        return ""


def _problems(cell: object) -> list[str]:
    """A claim's problems as the last check wrote them (a damaged cell: check again)."""
    found = json_cells.read(cell, list)
    if found is None:
        return [translate(N_("The result of the last check cannot be read: check again (F5)."))]
    return [str(p) for p in found]


def register(store: Store, first: dt.date, last: dt.date) -> list[RegisterRow]:
    """The insured visits of a period with what the register knows of each."""
    store.require(Permission.VIEW_RECORDS)
    span = (first.isoformat(), (last + dt.timedelta(days=1)).isoformat())
    rows = store.query(
        "SELECT v.id, v.visit_at, v.updated_at, p.id AS patient_id, p.full_name, c.ma_lk, c.status, c.problems, "
        "c.written_at, c.file, c.resubmission, c.visit_version, c.answer, c.answer_reason, c.total_cents, "
        "c.fund_cents, c.patient_cents "
        "FROM visits v JOIN patients p ON p.id = v.patient_id LEFT JOIN claims c ON c.visit_id = v.id "
        "WHERE v.insurance_paid = 1 AND v.visit_at >= ? AND v.visit_at < ? ORDER BY v.visit_at, v.id",
        span,
    )
    return [
        RegisterRow(
            visit_id=int(str(r["id"])),
            visit_at=str(r["visit_at"]),
            patient_id=int(str(r["patient_id"])),
            full_name=str(r["full_name"]),
            ma_lk=str(r["ma_lk"] or ""),
            status=str(r["status"] or ""),
            problems=_problems(r["problems"]),
            written_at=str(r["written_at"] or ""),
            file=str(r["file"] or ""),
            resubmission=bool(r["resubmission"]),
            changed_since=bool(r["written_at"]) and str(r["visit_version"] or "") != str(r["updated_at"]),
            answer=str(r["answer"] or ""),
            answer_reason=str(r["answer_reason"] or ""),
            total=Decimal(int(str(r["total_cents"] or 0))) / 100,
            fund=Decimal(int(str(r["fund_cents"] or 0))) / 100,
            patient=Decimal(int(str(r["patient_cents"] or 0))) / 100,
        )
        for r in rows
    ]


# -- the month's totals -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class MonthTotals:
    month: str
    visits: int
    written: int
    held: int
    unchecked: int
    accepted: int
    refused: int
    total: Decimal
    fund: Decimal
    patient: Decimal
    rows: list[RegisterRow]


def month_totals(store: Store, month: Month) -> MonthTotals:
    """The claims register of ``month`` with its totals (the money of the claims written)."""
    rows = register(store, month.start, month.end)

    sent = [r for r in rows if r.status == "written"]  # the money of the claims written

    def count(pred: Callable[[RegisterRow], bool]) -> int:
        return sum(1 for r in rows if pred(r))

    return MonthTotals(
        month=month.key,
        visits=len(rows),
        written=count(lambda r: r.status == "written"),
        held=count(lambda r: r.status == "held"),
        unchecked=count(lambda r: r.status == ""),
        accepted=count(lambda r: r.answer == "accepted"),
        refused=count(lambda r: r.answer == "refused"),
        total=sum((r.total for r in sent), Decimal(0)),
        fund=sum((r.fund for r in sent), Decimal(0)),
        patient=sum((r.patient for r in sent), Decimal(0)),
        rows=rows,
    )
