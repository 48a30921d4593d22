"""A health-insurance claim for one insured visit: its lines and their split (what the fund pays, what
the patient pays), the benefit level on the visit's day, the tables XML1, XML2, XML3, XML13, XML14
and what holds the visit back, in words a nurse acts on. Plain values in, plain values out: money in
``Decimal`` đồng (never floats); the rates are dated data (``resources/data/claims_rules.json``)."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from station_app.domain import claims_xml, code_lists, icd10
from station_app.domain.claims_xml import FieldTables, Value
from station_app.domain.problems import Problem
from station_app.i18n import N_
from station_app.resources import data_file

RULES_FILE = "claims_rules.json"
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
EXAM_GROUP = "13"  # MA_NHOM: khám bệnh
SUPPLY_GROUPS = ("10", "11")  # MA_NHOM: medical supplies (T_VTYT)
DRUG_IN_LIST = "4"  # MA_NHOM: a drug of the BHYT list
OUT_OF_LIST_DRUG = "00.0000"  # MA_THUOC of an ingredient outside the BHYT list

# Where the fix of a held-back visit is made (a problem's ``field`` starts with one of these).
FIX_CARD = "card"
FIX_PATIENT = "patient"
FIX_STAFF = "staff"
FIX_STATION = "station"
FIX_SERVICES = "services"
FIX_DRUG = "drug"
FIX_VISIT = "visit"
SLIP_UNREADABLE = N_("The referral slip {number} cannot be read (damaged in the database file): restore a backup "
                     "that has it whole.")
REFERRAL_TABLE = "XML13"  # the referral slip's record (its fields come from the slip)
# Problems whose fix is not the usual one of their place (the claims register's "Fix…" knows them):
# the card's group and digit are asked for at once; the facility code is in the station profile; the
# visit's category has its own dialog.
CARD_DIGITS_ONLY = N_(
    "The card {card} shows only its 10-digit number: enter the group and benefit digit printed on it."
)
FACILITY_MISSING = N_("The station's facility code (5 characters) is not entered.")
CATEGORY_UNKNOWN = N_("The visit category {code} is not in the list.")


def money(value: Decimal | int) -> Decimal:
    """Round to 2 decimals, half up (the claims files' money)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# -- dated rules --------------------------------------------------------------------------------------
@functools.cache
def _rules() -> dict[str, Any]:
    with data_file(RULES_FILE).open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def _in_force(entries: Sequence[Mapping[str, Any]], on: dt.date) -> list[Mapping[str, Any]]:
    """The entries whose ``valid_from`` is on or before ``on``, oldest first."""
    return [e for e in entries if dt.date.fromisoformat(e["valid_from"]) <= on]


def base_salary(on: dt.date) -> int:
    """The base salary (mức lương cơ sở) in đồng on ``on``."""
    return int(_in_force(_rules()["base_salary"], on)[-1]["amount"])


def small_visit_limit(on: dt.date) -> Decimal:
    """In-scope cost below which a visit is fully covered: 15 % of the base salary on ``on``."""
    percent = int(_in_force(_rules()["small_visit_percent"], on)[-1]["percent"])
    return Decimal(base_salary(on)) * percent / HUNDRED


def card_rate(group: str, digit: str, on: dt.date) -> int | None:
    """The benefit rate (%) of a card of ``group`` (2 letters) and benefit ``digit`` on ``on``: the
    group's digit on that day when the group is listed (an old card may still print the old digit),
    else the printed digit's rate; None when neither is known."""
    digits: dict[str, int] = {}
    groups: dict[str, str] = {}
    for entry in _in_force(_rules()["benefit_rates"], on):
        digits.update({k: int(v) for k, v in entry.get("digits", {}).items()})
        for d, names in entry.get("groups", {}).items():
            groups.update(dict.fromkeys(names, d))
        groups.update(entry.get("moved", {}))
    chosen = groups.get(group.upper(), digit)
    return digits.get(chosen)


def categories() -> dict[str, Mapping[str, Any]]:
    """The visit categories (MA_DOITUONG_KCB) a station uses, by code."""
    return {c["code"]: c for c in _rules()["visit_categories"]}


def default_category() -> str:
    """A visit at the station: 1.2, care at a primary-level facility (100 % whatever the card)."""
    return str(_rules()["default_category"])


def benefit_level(category: str, group: str, digit: str, on: dt.date, in_scope_total: Decimal) -> int | None:
    """MUC_HUONG of a visit: 100 for a category covered in full (1.2, the station), 100 for a small
    visit (in-scope cost under 15 % of the base salary), else the card's rate (None: unknown)."""
    rate = categories().get(category, {}).get("rate", "card")
    if rate != "card":
        return int(rate)
    if in_scope_total < small_visit_limit(on):
        return 100
    return card_rate(group, digit, on)


# -- the visit as recorded ----------------------------------------------------------------------------
@dataclass(frozen=True)
class StationInfo:
    facility_code: str = ""  # MA_CSKCB, 5 characters
    department_code: str = ""  # MA_KHOA
    signer_bhxh_no: str = ""  # MA_TTDV: the head's (or authorised signer's) social-insurance number
    province_code: str = ""  # residence codes used when a patient's own are not recorded
    district_code: str = ""
    commune_code: str = ""
    payment_method: str = "1"  # MA_PTTT: 1 fee for service, 2 capitation


@dataclass(frozen=True)
class PatientInfo:
    id: int
    record_no: str
    full_name: str
    sex: str
    birth_year: int | None
    birth_month: int | None = None
    birth_day: int | None = None
    citizen_id: str = ""
    phone: str = ""
    address: str = ""
    nationality_code: str = ""
    ethnicity_code: str = ""
    occupation_code: str = ""
    province_code: str = ""
    district_code: str = ""
    commune_code: str = ""
    card_no: str = ""
    card_from: dt.date | None = None
    card_to: dt.date | None = None
    card_facility: str = ""  # MA_DKBD
    card_group: str = ""  # from the card's first two letters when not recorded
    card_digit: str = ""  # from the card's third character when not recorded
    card_area: str = ""  # MA_KHUVUC: K1, K2, K3

    def card_code(self, province_code: str) -> str:
        """MA_THE_BHYT: the 15-character code; a card printed with its 10-digit number only gets the
        group and benefit digit recorded for it and the province's code in front."""
        card = self.card_no.strip().upper()
        if len(card) == 10 and card.isdigit() and self.card_group and self.card_digit and province_code:
            return f"{self.card_group.upper()}{self.card_digit}{province_code[-2:]}{card}"
        return card

    @property
    def group(self) -> str:
        return self.card_group or (self.card_no[:2].upper() if len(self.card_no) == 15 else "")

    @property
    def digit(self) -> str:
        return self.card_digit or (self.card_no[2] if len(self.card_no) == 15 else "")


@dataclass(frozen=True)
class Clinician:
    name: str = ""
    cchn: str = ""  # practising-certificate number, or the staff code in parentheses


@dataclass(frozen=True)
class ServiceLine:
    """A priced service of the visit (the examination, a procedure, a supply)."""

    code: str
    name: str
    unit: str
    price: int  # đồng
    group: str = EXAM_GROUP  # MA_NHOM
    quantity: Decimal = Decimal(1)
    ratio: int = 100  # TYLE_TT_DV (100 for the day's first examination)
    in_scope: bool = True


@dataclass(frozen=True)
class DrugLine:
    """A drug dispensed on the visit, one per lot taken (its lot's price)."""

    line_id: int
    name: str
    unit: str
    strength: str
    quantity: Decimal
    unit_price: Decimal
    dmdc_code: str = ""
    route_code: str = ""
    form: str = ""
    dosage: str = ""  # LIEU_DUNG
    instructions: str = ""
    registration_no: str = ""
    tender: str = ""
    insured: bool = True
    funding: int = 1  # NGUON_CTRA


@dataclass(frozen=True)
class ReferralInfo:
    number: str
    book_no: str
    to_facility_code: str
    issued_at: dt.datetime
    signs: str = ""
    course: str = ""
    results: str = ""
    treatment: str = ""
    direction: str = ""
    transport: str = ""
    reason_code: str = "1"  # MA_LYDO_CT: 1 meets the rules, 2 beyond capacity, 3 the patient's wish ('' none)
    escort: str = ""
    escort_title: str = ""
    patient_request: bool = False
    unreadable: bool = False  # the slip's kept data is damaged in the database file


@dataclass(frozen=True)
class ClaimVisit:
    visit_id: int
    visit_at: dt.datetime
    ended_at: dt.datetime
    patient: PatientInfo
    clinician: Clinician
    diagnosis_code: str
    diagnosis_text: str = ""
    extra_codes: tuple[str, ...] = ()
    complaint: str = ""
    first_impression: str = ""  # CHAN_DOAN_VAO; '' → the diagnosis text
    treatment: str = ""
    notes: str = ""
    weight: Decimal | None = None
    category: str = ""  # MA_DOITUONG_KCB; '' → the default
    services: tuple[ServiceLine, ...] = ()
    drugs: tuple[DrugLine, ...] = ()
    referral: ReferralInfo | None = None
    follow_up: dt.date | None = None
    paid_at: dt.datetime | None = None
    ma_lk: str = ""  # kept in the register once written; '' → made from the visit
    extra_unreadable: bool = False  # the other diagnoses' cell is damaged in the database file


def make_ma_lk(facility_code: str, visit_id: int, visit_at: dt.datetime) -> str:
    """The visit's key (MA_LK): station, year and month of the visit, its number. Made once and kept
    in the claims register, so an amended visit sent again keeps it."""
    return f"{facility_code}_{visit_at:%Y_%m}_KB{visit_id:07d}"


def record_no_text(visit_id: int) -> str:
    """MA_HSBA: the visit's slip number."""
    return f"KB{visit_id:07d}"


# -- the split ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Split:
    """One line's money: THANH_TIEN_BV, THANH_TIEN_BH and who pays."""

    total: Decimal  # THANH_TIEN_BV
    in_scope: Decimal  # THANH_TIEN_BH
    patient_out: Decimal  # T_BNTT
    copay: Decimal  # T_BNCCT
    fund: Decimal  # T_BHTT


def split(quantity: Decimal, price: Decimal, in_scope_ratio: int, service_ratio: int, level: int) -> Split:
    """A line's split: cost at the service ratio, the in-scope part at the payment ratio, the fund's
    share at the benefit level; the patient pays what is out of scope and the co-payment."""
    total = money(quantity * price * service_ratio / HUNDRED)
    in_scope = money(quantity * price * service_ratio / HUNDRED * in_scope_ratio / HUNDRED)
    fund = money(in_scope * level / HUNDRED)
    return Split(total, in_scope, total - in_scope, in_scope - fund, fund)


ZERO = Decimal(0)


@dataclass
class Claim:
    """The claim of one visit: its key, its tables' records (plain values), what holds it back."""

    visit_id: int
    ma_lk: str
    patient_id: int
    full_name: str
    level: int | None
    records: dict[str, list[dict[str, Value]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    texts: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # the records as written

    @property
    def held(self) -> bool:
        return any(p.is_error for p in self.problems)

    def documents(self, tables: FieldTables) -> list[tuple[str, str]]:
        """Each table present, as its document (from the texts checked, when they were)."""
        return [
            (kind, claims_xml.render(tables, kind, self.texts.get(kind) or rows))
            for kind, rows in self.records.items()
            if rows
        ]

    def totals(self) -> dict[str, Decimal]:
        xml1 = self.records["XML1"][0]
        return {k: Decimal(str(xml1[k])) for k in TOTALS}


TOTALS = (
    "T_THUOC",
    "T_VTYT",
    "T_TONGCHI_BV",
    "T_TONGCHI_BH",
    "T_BNTT",
    "T_BNCCT",
    "T_BHTT",
    "T_NGUONKHAC",
    "T_BHTT_GDV",
)


def _exact(value: Value) -> Decimal:
    """A line's amount as an exact decimal (as it is when it is one already)."""
    return value if type(value) is Decimal else Decimal(str(value))


def totals_of(xml2: Sequence[Mapping[str, Value]], xml3: Sequence[Mapping[str, Value]]) -> dict[str, Decimal]:
    """XML1's totals rebuilt from the lines of XML2 and XML3 (T_BHTT = T_TONGCHI_BH − T_BNCCT)."""

    def total(rows: Sequence[Mapping[str, Value]], key: str) -> Decimal:
        return sum((_exact(r[key]) for r in rows), ZERO)

    rows = [*xml2, *xml3]
    supplies = [r for r in xml3 if str(r["MA_NHOM"]) in SUPPLY_GROUPS]
    fee_for_service = [r for r in rows if str(r["MA_PTTT"]) == "1"]
    in_scope = total(rows, "THANH_TIEN_BH")
    copay = total(rows, "T_BNCCT")
    return {
        "T_THUOC": money(total(xml2, "THANH_TIEN_BV")),
        "T_VTYT": money(total(supplies, "THANH_TIEN_BV")),
        "T_TONGCHI_BV": money(total(rows, "THANH_TIEN_BV")),
        "T_TONGCHI_BH": money(in_scope),
        "T_BNTT": money(total(rows, "T_BNTT")),
        "T_BNCCT": money(copay),
        "T_BHTT": money(in_scope - copay),
        "T_NGUONKHAC": money(total(rows, "T_NGUONKHAC")),
        "T_BHTT_GDV": money(total(fee_for_service, "T_BHTT")),
    }


# -- building -----------------------------------------------------------------------------------------
def _birth(p: PatientInfo) -> str:
    if p.birth_year is None:
        return ""
    return f"{p.birth_year:04d}{p.birth_month or 0:02d}{p.birth_day or 0:02d}0000"


def _dosage_text(line: DrugLine) -> str:
    return line.dosage


def build(visit: ClaimVisit, station: StationInfo, tables: FieldTables) -> Claim:
    """The claim of ``visit``: every table's records and the problems that hold it back."""
    p = visit.patient
    day = visit.visit_at.date()
    card = p.card_code(station.province_code)
    ma_lk = visit.ma_lk or make_ma_lk(station.facility_code, visit.visit_id, visit.visit_at)
    category = visit.category or default_category()
    problems = visit_problems(visit, station, category)

    def in_scope_cost() -> Decimal:
        cost = ZERO
        for s in visit.services:
            cost += split(s.quantity, Decimal(s.price), 100 if s.in_scope else 0, s.ratio, 100).in_scope
        for d in visit.drugs:
            cost += split(d.quantity, d.unit_price, 100 if d.insured else 0, 100, 100).in_scope
        return cost

    level = benefit_level(category, p.group, p.digit, day, in_scope_cost())
    if level is None:
        problems.append(
            Problem(
                FIX_CARD,
                N_("The benefit level of the card {card} is not known: check its group and digit."),
                params={"card": p.card_no},
            )
        )
    muc = level if level is not None else 0
    doctor = visit.clinician.cchn
    main_code = icd10.normalise_code(visit.diagnosis_code) or visit.diagnosis_code
    extra = ";".join(icd10.normalise_code(c) or c for c in visit.extra_codes)
    ordered = visit.visit_at
    common: dict[str, Value] = {"MA_LK": ma_lk, "MA_KHOA": station.department_code, "MA_BAC_SI": doctor}

    xml2: list[dict[str, Value]] = []
    for number, d in enumerate(visit.drugs, start=1):
        s = split(d.quantity, d.unit_price, 100 if d.insured else 0, 100, muc)
        xml2.append(
            {
                **common,
                "STT": number,
                "MA_THUOC": d.dmdc_code if d.insured else (d.dmdc_code or OUT_OF_LIST_DRUG),
                "MA_NHOM": DRUG_IN_LIST,
                "TEN_THUOC": d.name,
                "DON_VI_TINH": d.unit,
                "HAM_LUONG": d.strength,
                "DUONG_DUNG": d.route_code,
                "DANG_BAO_CHE": d.form,
                "LIEU_DUNG": _dosage_text(d),
                "CACH_DUNG": d.instructions,
                "SO_DANG_KY": d.registration_no.replace(" ", ""),
                "TT_THAU": d.tender,
                "PHAM_VI": 1 if d.insured else 2,
                "TYLE_TT_BH": 100 if d.insured else 0,
                "SO_LUONG": d.quantity,
                "DON_GIA": d.unit_price,
                **_amounts(s, muc),
                "NGAY_YL": ordered,
                "NGAY_TH_YL": visit.ended_at,
                "MA_PTTT": station.payment_method,
                "NGUON_CTRA": d.funding,
            }
        )
    xml3: list[dict[str, Value]] = []
    for number, sv in enumerate(visit.services, start=1):
        s = split(sv.quantity, Decimal(sv.price), 100 if sv.in_scope else 0, sv.ratio, muc)
        xml3.append(
            {
                **common,
                "STT": number,
                "MA_DICH_VU": sv.code,
                "MA_NHOM": sv.group,
                "TEN_DICH_VU": sv.name,
                "DON_VI_TINH": sv.unit,
                "PHAM_VI": 1 if sv.in_scope else 2,
                "SO_LUONG": sv.quantity,
                "DON_GIA_BV": Decimal(sv.price),
                "DON_GIA_BH": Decimal(sv.price),
                "TYLE_TT_DV": sv.ratio,
                "TYLE_TT_BH": 100 if sv.in_scope else 0,
                **_amounts(s, muc),
                "NGUOI_THUC_HIEN": doctor if sv.group != EXAM_GROUP else "",
                "MA_BENH": main_code,
                "NGAY_YL": ordered,
                "NGAY_TH_YL": ordered,
                "NGAY_KQ": visit.ended_at,
                "MA_PTTT": station.payment_method,
            }
        )
    totals = totals_of(xml2, xml3)
    referral = visit.referral
    discharge = ("5" if referral.patient_request else "2") if referral else "1"
    xml1: dict[str, Value] = {
        "MA_LK": ma_lk,
        "STT": 1,
        "MA_BN": p.record_no,
        "HO_TEN": p.full_name,
        "SO_CCCD": p.citizen_id,
        "NGAY_SINH": _birth(p),
        "GIOI_TINH": p.sex,
        "MA_QUOCTICH": p.nationality_code,
        "MA_DANTOC": p.ethnicity_code,
        "MA_NGHE_NGHIEP": p.occupation_code or "00000",
        "DIA_CHI": p.address,
        "MATINH_CU_TRU": p.province_code or station.province_code,
        "MAHUYEN_CU_TRU": p.district_code or station.district_code,
        "MAXA_CU_TRU": p.commune_code or station.commune_code,
        "DIEN_THOAI": p.phone,
        "MA_THE_BHYT": card,
        "MA_DKBD": p.card_facility,
        "GT_THE_TU": p.card_from,
        "GT_THE_DEN": p.card_to,
        "LY_DO_VV": visit.complaint or visit.diagnosis_text,
        "CHAN_DOAN_VAO": visit.first_impression or visit.diagnosis_text,
        "CHAN_DOAN_RV": visit.diagnosis_text,
        "MA_BENH_CHINH": main_code,
        "MA_BENH_KT": extra,
        "MA_DOITUONG_KCB": category,
        "MA_NOI_DEN": referral.to_facility_code if referral else "",
        "NGAY_VAO": visit.visit_at,
        "NGAY_RA": referral.issued_at if referral else visit.ended_at,
        "SO_NGAY_DTRI": 0,
        "PP_DIEU_TRI": visit.treatment,
        "KET_QUA_DTRI": 7 if referral else 2,
        "MA_LOAI_RV": discharge,
        "GHI_CHU": visit.notes,
        "NGAY_TTOAN": visit.paid_at,
        **totals,
        "NAM_QT": f"{day:%Y}",
        "THANG_QT": f"{day:%m}",
        "MA_LOAI_KCB": "01",
        "MA_KHOA": station.department_code,
        "MA_CSKCB": station.facility_code,
        "MA_KHUVUC": p.card_area,
        "CAN_NANG": visit.weight,
        "NGAY_TAI_KHAM": visit.follow_up,
        "MA_HSBA": record_no_text(visit.visit_id),
        "MA_TTDV": station.signer_bhxh_no,
    }
    records: dict[str, list[dict[str, Value]]] = {"XML1": [xml1], "XML2": xml2, "XML3": xml3}
    services_text = "; ".join(s.name for s in visit.services)
    drugs_text = "; ".join(dict.fromkeys(d.name for d in visit.drugs))
    if referral is not None:
        records["XML13"] = [
            {
                "MA_LK": ma_lk,
                "SO_HOSO": referral.number,
                "SO_CHUYENTUYEN": referral.book_no or referral.number,
                "GIAY_CHUYEN_TUYEN": referral.number,
                "MA_CSKCB": station.facility_code,
                "MA_NOI_DEN": referral.to_facility_code,
                "HO_TEN": p.full_name,
                "NGAY_SINH": _birth(p),
                "GIOI_TINH": p.sex,
                "MA_QUOCTICH": p.nationality_code,
                "MA_DANTOC": p.ethnicity_code,
                "MA_NGHE_NGHIEP": p.occupation_code or "00000",
                "DIA_CHI": p.address,
                "MA_THE_BHYT": card,
                "GT_THE_DEN": p.card_to,
                "NGAY_VAO": visit.visit_at,
                "NGAY_RA": referral.issued_at,
                "DAU_HIEU_LS": referral.signs or visit.complaint,
                "CHAN_DOAN_RV": visit.diagnosis_text,
                "QT_BENHLY": referral.course or visit.complaint,
                "TOMTAT_KQ": referral.results or "Không",
                "PP_DIEUTRI": referral.treatment or visit.treatment,
                "MA_BENH_CHINH": main_code,
                "MA_BENH_KT": extra,
                "TEN_DICH_VU": services_text,
                "TEN_THUOC": drugs_text,
                "PP_DIEU_TRI": referral.treatment or visit.treatment,
                "MA_LOAI_RV": discharge,
                "MA_LYDO_CT": referral.reason_code,
                "HUONG_DIEU_TRI": referral.direction,
                "PHUONGTIEN_VC": referral.transport,
                "HOTEN_NGUOI_HT": referral.escort,
                "CHUCDANH_NGUOI_HT": referral.escort_title,
                "MA_BAC_SI": doctor,
                "MA_TTDV": station.signer_bhxh_no,
            }
        ]
    if visit.follow_up is not None:
        records["XML14"] = [
            {
                "MA_LK": ma_lk,
                "SO_GIAYHEN_KL": "H" + record_no_text(visit.visit_id),
                "MA_CSKCB": station.facility_code,
                "HO_TEN": p.full_name,
                "NGAY_SINH": _birth(p),
                "GIOI_TINH": p.sex,
                "DIA_CHI": p.address,
                "MA_THE_BHYT": card,
                "GT_THE_DEN": p.card_to,
                "NGAY_VAO": visit.visit_at,
                "NGAY_RA": visit.ended_at,
                "NGAY_HEN_KL": dt.datetime.combine(visit.follow_up, dt.time(7, 0)),
                "CHAN_DOAN_RV": visit.diagnosis_text,
                "MA_BENH_CHINH": main_code,
                "MA_BENH_KT": extra,
                "MA_DOITUONG_KCB": category,
                "MA_BAC_SI": doctor,
                "MA_TTDV": station.signer_bhxh_no,
                "NGAY_CT": day,
            }
        ]
    claim = Claim(visit.visit_id, ma_lk, p.id, p.full_name, level, records, problems)
    claim.problems += field_problems(claim, tables)
    return claim


def _amounts(s: Split, muc: int) -> dict[str, Value]:
    """A drug's or service's money fields (XML2, XML3): its cost, the part in insurance scope, the
    benefit level, what the fund, the co-payment and the patient outside scope pay, no other source."""
    return {
        "THANH_TIEN_BV": s.total,
        "THANH_TIEN_BH": s.in_scope,
        "MUC_HUONG": muc,
        "T_BNTT": s.patient_out,
        "T_BNCCT": s.copay,
        "T_BHTT": s.fund,
        **_no_other_sources(),
    }


def _no_other_sources() -> dict[str, Value]:
    return {
        "T_NGUONKHAC_NSNN": ZERO,
        "T_NGUONKHAC_VTNN": ZERO,
        "T_NGUONKHAC_VTTN": ZERO,
        "T_NGUONKHAC_CL": ZERO,
        "T_NGUONKHAC": ZERO,
    }


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def visit_problems(visit: ClaimVisit, station: StationInfo, category: str) -> list[Problem]:
    """What a nurse must fix before the visit is sent, in the words of the station (each problem's
    ``field`` names where the fix is made: ``card``, ``staff``, ``station``, ``services``…)."""
    p = visit.patient
    day = visit.visit_at.date()
    found: list[Problem] = []

    def add(where: str, message: str, **params: object) -> None:
        found.append(Problem(where, message, params=params))

    if len(station.facility_code) != 5:
        add(FIX_STATION, FACILITY_MISSING)
    if not station.department_code:
        add(FIX_STATION, N_("The station's department code (MA_KHOA) is not entered."))
    if not station.signer_bhxh_no and (visit.referral is not None or visit.follow_up is not None):
        add(FIX_STATION, N_("The head of station's social-insurance number is not entered."))
    card = p.card_code(station.province_code)
    if not card:
        add(FIX_CARD, N_("The patient has no health-insurance card number."))
    elif len(card) == 10 and card.isdigit():
        add(FIX_CARD, CARD_DIGITS_ONLY, card=card)
    elif len(card) != 15 or not card[:2].isalpha() or not card[2:].isdigit():
        add(FIX_CARD, N_("The insurance card number {card} is not 15 characters (2 letters, 13 digits)."), card=card)
    if p.card_to is None or p.card_from is None:
        add(FIX_CARD, N_("The insurance card's validity (from, to) is not entered."))
    elif p.card_to < day:
        add(FIX_CARD, N_("The insurance card expired on {date}."), date=_date(p.card_to))
    elif p.card_from > day:
        add(FIX_CARD, N_("The insurance card is valid only from {date}."), date=_date(p.card_from))
    if card and not p.card_facility:
        add(FIX_CARD, N_("The card's registered facility (MA_DKBD) is not entered."))
    if p.birth_year is None:
        add(FIX_PATIENT, N_("The patient's date of birth is not entered."))
    if not p.address.strip():
        add(FIX_PATIENT, N_("The patient's address is not entered."))
    if not p.ethnicity_code or not p.nationality_code:
        add(FIX_PATIENT, N_("The patient's ethnicity or nationality code is not entered."))
    found += _code_problems(p, station)
    if not visit.clinician.cchn:
        add(FIX_STAFF, N_("The examining clinician's practising-certificate (CCHN) number is not entered."))
    if not visit.diagnosis_code:
        add(FIX_VISIT, N_("The visit has no diagnosis (ICD-10 code)."))
    elif icd10.lookup(visit.diagnosis_code) is None:
        add(FIX_VISIT, N_("The ICD-10 code {code} is not in the list."), code=visit.diagnosis_code)
    for code in visit.extra_codes:
        if icd10.lookup(code) is None:
            add(FIX_VISIT, N_("The ICD-10 code {code} is not in the list."), code=code)
    if visit.extra_unreadable:
        add(FIX_VISIT, N_("The visit's other diagnoses cannot be read (damaged in the database file): correct the "
                          "visit."))
    if category not in categories():
        add(FIX_VISIT, CATEGORY_UNKNOWN, code=category)
    if not any(s.group == EXAM_GROUP for s in visit.services):
        add(
            FIX_SERVICES,
            N_("No examination price applies on {date}: enter the station's priced services."),
            date=_date(day),
        )
    for d in visit.drugs:
        if d.insured and not d.dmdc_code:
            add(FIX_DRUG, N_("The drug {name} has no common-code-set code (MA_THUOC)."), name=d.name)
        if d.insured and not d.tender:
            add(FIX_DRUG, N_("The drug {name} has no tender information (TT_THAU)."), name=d.name)
        if not d.route_code:
            add(FIX_DRUG, N_("The drug {name} has no route code (DUONG_DUNG)."), name=d.name)
    if visit.referral is not None and visit.referral.unreadable:
        # (the one thing to do: what the slip would have said is not listed as missing besides)
        add(FIX_VISIT, SLIP_UNREADABLE, number=visit.referral.number)
    elif visit.referral is not None:
        if not visit.referral.to_facility_code:
            add(FIX_VISIT, N_("The referral slip {number} has no code of the receiving facility."),
                number=visit.referral.number)
        if not visit.referral.reason_code:
            add(FIX_VISIT, N_("The referral slip {number} has no reason ticked."), number=visit.referral.number)
    return found


def _code_problems(p: PatientInfo, station: StationInfo) -> list[Problem]:
    """The codes XML1 takes from their lists (nationality, occupation, residence), each named where
    it is fixed: the patient's own on the patient, the station's defaults in its claims settings."""
    found: list[Problem] = []
    if p.nationality_code and p.nationality_code not in code_lists.nationalities():
        found.append(Problem(FIX_PATIENT, N_("The nationality code {code} is not in the list."),
                             params={"code": p.nationality_code}))
    if p.occupation_code and p.occupation_code not in code_lists.occupation_codes():
        found.append(Problem(FIX_PATIENT, N_("The occupation code {code} is not in the list."),
                             params={"code": p.occupation_code}))
    where = FIX_PATIENT if p.commune_code else FIX_STATION
    commune = p.commune_code or station.commune_code
    province = p.province_code if p.commune_code else station.province_code
    if commune and commune not in code_lists.communes():
        found.append(Problem(where, N_("The commune code {code} is not in the list of communes (since 07/2025)."),
                             params={"code": commune}))
    elif province and province not in code_lists.provinces():
        found.append(Problem(where, N_("The province code {code} is not in the list of provinces."),
                             params={"code": province}))
    return found


def field_problems(claim: Claim, tables: FieldTables) -> list[Problem]:
    """Every record against its field table, and XML1's totals against the lines. Problems already
    said in the nurse's words are not repeated field by field."""
    found: list[Problem] = []
    for kind, rows in claim.records.items():
        claim.texts[kind] = [claims_xml.texts(tables, kind, row) for row in rows]
        for text in claim.texts[kind]:
            found += claims_xml.check_record(tables, kind, text)
    if claim.records.get("XML1"):
        expected = totals_of(claim.records["XML2"], claim.records["XML3"])
        for key, value in expected.items():
            if _exact(claim.records["XML1"][0][key]) != value:
                found.append(
                    Problem(f"XML1.{key}", N_("{field} is not the sum of the lines."), params={"field": f"XML1.{key}"})
                )
    said = {p.field for p in claim.problems}
    if said:  # a field left empty because of a problem already named: name it once
        found = [p for p in found if not _covered(p.field, said)]
    if any(p.message == SLIP_UNREADABLE for p in claim.problems):  # (XML13 is the slip's: not known)
        found = [p for p in found if not p.field.startswith(REFERRAL_TABLE + ".")]
    return found


_COVERED_BY = {
    FIX_CARD: ("MA_THE_BHYT", "GT_THE_TU", "GT_THE_DEN", "MA_DKBD"),
    FIX_STAFF: ("MA_BAC_SI", "NGUOI_THUC_HIEN"),
    FIX_STATION: ("MA_CSKCB", "MA_KHOA", "MA_TTDV", "MACSKCB"),
    FIX_VISIT: ("MA_BENH_CHINH", "MA_BENH", "MA_BENH_KT", "MA_NOI_DEN", "MA_DOITUONG_KCB", "MA_LYDO_CT"),
    FIX_DRUG: ("MA_THUOC", "TT_THAU", "DUONG_DUNG"),
    FIX_PATIENT: ("NGAY_SINH", "DIA_CHI", "MA_DANTOC", "MA_QUOCTICH", "MA_NGHE_NGHIEP", "MATINH_CU_TRU", "MAXA_CU_TRU"),
}


def _covered(name: str, said: set[str]) -> bool:
    tag = name.split(".", 1)[-1]
    return any(tag in _COVERED_BY.get(where, ()) for where in said)
