"""Medicines: the station's formulary, prescription lines and the stock ledger's rules.

Plain Python (no Qt, no SQL). Facts from ``shared/domain/medicines.md``:

- a prescription line is drug, dose per time, times a day, days, quantity and instructions; the
  quantity is computed (dose × times × days, rounded up) and may be changed;
- at most 30 days per drug, 90 for the chronic diseases of TT 26/2025 Phụ lục VII — which ICD-10
  codes are on that list is data (``resources/data/prescription_rules.json``), not code;
- the claims file (XML2) needs, per line, the drug's DMDC code, registered name, strength, route,
  unit, registration number, tender, the dose written ``1 viên/lần * 2 lần/ngày * 5 ngày
  [2 viên/ngày]`` (LIEU_DUNG), and the quantity and unit price by lot;
- stock is a ledger of movements (received, dispensed, returned, adjusted); a lot's balance is the
  sum of its movements; dispensing takes the earliest-expiring usable lot first and never an
  expired one.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

from station_app.domain.problems import Problem
from station_app.domain.text import fold, nfc
from station_app.i18n import N_

QUANTITY_DECIMALS = 3  # XML2 SO_LUONG: at most 3 decimals
EXPIRING_DAYS = 60  # the Today view lists lots expiring within this many days


# -- the formulary --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Drug:
    """One version of a formulary entry. ``code`` is the station's own short code (stable across
    versions); the claims fields are kept as the registration and the tender give them."""

    code: str
    ingredient: str  # active ingredient(s), INN as written in Vietnam ("Amlodipin")
    strength: str  # "5 mg"; multi-ingredient joined by "+"
    form: str  # dosage form ("viên nén")
    unit: str  # the smallest unit given (DON_VI_TINH: viên, gói, ống, chai…)
    route: str = "uống"
    brand: str = ""  # registered trade name (TEN_THUOC), when known
    dmdc_code: str = ""  # MA_THUOC: the common code set's active-ingredient code
    registration_no: str = ""  # SO_DANG_KY
    tender: str = ""  # TT_THAU
    route_code: str = ""  # DUONG_DUNG (DMDC route code)
    insured: bool = True  # on the insurance drug list (PHAM_VI 1)
    unit_price: float = 0.0  # đồng per unit (the last receipt's price is used for the lot)
    funding: int = 1  # NGUON_CTRA: 1 insurance fund, 2 project, 3 national programme, 4 other
    programme: str = ""  # "hypertension" / "diabetes": a chronic programme's drug
    low_stock: float = 0  # the Today view warns at or below this balance
    id: int | None = None
    version: int = 1
    retired_on: dt.date | None = None
    valid_from: dt.date | None = None

    @property
    def name(self) -> str:
        """INN (+ trade name) and strength, as a prescription writes it: "Amlodipin 5 mg"."""
        brand = f" ({self.brand})" if self.brand and fold(self.brand) != fold(self.ingredient) else ""
        return f"{self.ingredient}{brand} {self.strength}".strip()

    @property
    def label(self) -> str:
        return f"{self.name} — {self.form} ({self.unit})"

    @property
    def active(self) -> bool:
        return self.retired_on is None

    @property
    def ingredients(self) -> frozenset[str]:
        """The folded active ingredients, to warn when one is prescribed twice."""
        return frozenset(part.strip() for part in fold(self.ingredient).split("+") if part.strip())

    def search_text(self) -> str:
        return " ".join(fold(x) for x in (self.code, self.ingredient, self.brand, self.strength, self.form))


DRUG_FIELD_LABELS = {
    "code": N_("Code"),
    "ingredient": N_("Active ingredient"),
    "strength": N_("Strength"),
    "form": N_("Dosage form"),
    "unit": N_("Unit"),
    "route": N_("Route"),
    "unit_price": N_("Unit price"),
    "funding": N_("Funding source"),
}
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,23}$")


def normalise_drug(drug: Drug) -> Drug:
    from dataclasses import replace

    return replace(
        drug,
        code=drug.code.strip().upper(),
        ingredient=nfc(drug.ingredient),
        strength=nfc(drug.strength),
        form=nfc(drug.form),
        unit=nfc(drug.unit),
        route=nfc(drug.route),
        brand=nfc(drug.brand),
        registration_no="".join(drug.registration_no.split()),  # SO_DANG_KY has no spaces
        dmdc_code=drug.dmdc_code.strip(),
        tender=drug.tender.strip(),
    )


def validate_drug(drug: Drug) -> list[Problem]:
    problems: list[Problem] = []
    if not _CODE.match(drug.code):
        problems.append(Problem("code", N_("Write a short code of capital letters and digits (AMLO5).")))
    for name in ("ingredient", "strength", "form", "unit"):
        if not str(getattr(drug, name)).strip():
            problems.append(Problem(name, N_("This field is required.")))
    if drug.unit_price < 0:
        problems.append(Problem("unit_price", N_("The price cannot be negative.")))
    if drug.funding not in (1, 2, 3, 4):
        problems.append(Problem("funding", N_("The funding source is 1, 2, 3 or 4.")))
    return problems


def search(drugs: Iterable[Drug], query: str) -> list[Drug]:
    """The drugs whose code, ingredient, brand, strength or form start with every word of
    ``query``, accents optional ("amlo", "paracetamol 500", "oresol"); best matches first."""
    wanted = fold(query).split()
    found: list[tuple[int, str, Drug]] = []
    for drug in drugs:
        words = drug.search_text().replace("+", " ").replace("/", " ").split()
        if all(any(w.startswith(q) for w in words) for q in wanted):
            starts = 0 if wanted and fold(drug.ingredient).startswith(wanted[0]) else 1
            found.append((starts, fold(drug.name), drug))
    found.sort(key=lambda t: (t[0], t[1]))
    return [d for _, _, d in found]


# -- prescription rules (data) ------------------------------------------------------------------
@dataclass(frozen=True)
class PrescriptionRules:
    max_days: int  # per drug, ordinary case
    max_days_chronic: int  # the diseases of Phụ lục VII
    chronic_prefixes: tuple[str, ...]  # ICD-10 codes (prefixes) treated as on Phụ lục VII
    refill_window_days: int  # the refill reminder falls due this many days before the medicine runs out
    source: str = ""

    def max_days_for(self, diagnosis_codes: Iterable[str]) -> int:
        codes = [c.strip().upper() for c in diagnosis_codes if c]
        if any(c.startswith(p) for c in codes for p in self.chronic_prefixes):
            return self.max_days_chronic
        return self.max_days


@lru_cache(maxsize=1)
def rules() -> PrescriptionRules:
    from station_app.resources import DATA

    data = json.loads((DATA / "prescription_rules.json").read_text(encoding="utf-8"))
    return PrescriptionRules(
        max_days=int(data["max_days"]),
        max_days_chronic=int(data["max_days_chronic"]),
        chronic_prefixes=tuple(data["chronic_icd10_prefixes"]),
        refill_window_days=int(data["refill_window_days"]),
        source=str(data.get("source", "")),
    )


# -- prescription lines ---------------------------------------------------------------------------
_DOSE = re.compile(r"^\s*(\d+(?:[.,]\d+)?(?:\s*/\s*\d+)?)\s*(.*)$")


def dose_amount(per_dose: str) -> Fraction | None:
    """The number in a dose per time: "1 viên" → 1, "1/2 viên" → 1/2, "2,5 ml" → 5/2."""
    match = _DOSE.match(per_dose or "")
    if not match:
        return None
    text = match[1].replace(",", ".").replace(" ", "")
    try:
        if "/" in text:
            top, bottom = text.split("/")
            return Fraction(Fraction(top), Fraction(bottom)) if Fraction(bottom) else None
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None


def quantity_for(per_dose: str, times_per_day: int | None, days: int | None) -> float | None:
    """Dose × times a day × days, rounded up to a whole unit (None when a part is missing)."""
    amount = dose_amount(per_dose)
    if amount is None or not times_per_day or not days:
        return None
    return float(math.ceil(amount * times_per_day * days))


def _num(value: Fraction | float) -> str:
    number = float(value)
    text = f"{number:.3f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def quantity_text(quantity: float) -> str:
    """A quantity as a prescription writes it: below 10 with a leading 0 ("05"), decimals with a comma."""
    if float(quantity).is_integer():
        whole = int(quantity)
        return f"{whole:02d}" if 0 <= whole < 10 else str(whole)
    return _num(quantity)


@dataclass
class PrescriptionLine:
    drug_code: str
    quantity: float
    per_dose: str = ""  # "1 viên", "1/2 viên"
    times_per_day: int | None = None
    days: int | None = None
    instructions: str = ""  # "uống sau ăn sáng"
    id: int | None = None
    visit_id: int | None = None
    line_no: int = 0
    drug_id: int | None = None  # the formulary version prescribed

    def dosage_text(self, unit: str) -> str:
        """XML2 LIEU_DUNG: "1 viên/lần * 2 lần/ngày * 5 ngày [2 viên/ngày]"."""
        amount = dose_amount(self.per_dose)
        if amount is None or not self.times_per_day:
            return self.per_dose
        parts = [f"{_num(amount)} {unit}/lần", f"{self.times_per_day} lần/ngày"]
        if self.days:
            parts.append(f"{self.days} ngày")
        return " * ".join(parts) + f" [{_num(amount * self.times_per_day)} {unit}/ngày]"


def validate_lines(
    lines: Sequence[PrescriptionLine],
    drugs: Mapping[str, Drug],
    stock: Mapping[str, float],
    max_days: int,
) -> list[Problem]:
    """Problems of a prescription: ``drugs`` and ``stock`` (usable balance) by code. The field of
    each problem is ``line<N>`` (from 1). Errors: unknown or retired drug, a quantity that is not
    positive, more than the stock holds, impossible days. Warnings: days over the rule, the same
    active ingredient twice."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    wanted: dict[str, float] = {}
    for number, line in enumerate(lines, start=1):
        where = f"line{number}"
        drug = drugs.get(line.drug_code)
        if drug is None:
            problems.append(
                Problem(
                    where,
                    N_("Line {n}: {code} is not in the formulary."),
                    "error",
                    {"n": number, "code": line.drug_code},
                )
            )
            continue
        if not drug.active:
            problems.append(
                Problem(
                    where,
                    N_("Line {n}: {drug} is no longer used (retired)."),
                    "error",
                    {"n": number, "drug": drug.name},
                )
            )
        if not line.quantity or line.quantity <= 0 or round(line.quantity, QUANTITY_DECIMALS) != line.quantity:
            problems.append(
                Problem(where, N_("Line {n}: write the quantity to give (more than 0)."), "error", {"n": number})
            )
        else:
            wanted[drug.code] = wanted.get(drug.code, 0.0) + line.quantity
        if line.times_per_day is not None and not 1 <= line.times_per_day <= 24:
            problems.append(Problem(where, N_("Line {n}: times a day must be 1 to 24."), "error", {"n": number}))
        if line.days is not None and not 1 <= line.days <= 366:
            problems.append(
                Problem(where, N_("Line {n}: the number of days must be 1 to 366."), "error", {"n": number})
            )
        elif line.days is not None and line.days > max_days:
            problems.append(
                Problem(
                    where,
                    N_("Line {n}: {days} days is more than the {max} days the rules allow."),
                    "warning",
                    {"n": number, "days": line.days, "max": max_days},
                )
            )
        for ingredient in drug.ingredients:
            if ingredient in seen and seen[ingredient] != number:
                problems.append(
                    Problem(
                        where,
                        N_("Line {n}: {ingredient} is already on line {other}."),
                        "warning",
                        {"n": number, "ingredient": ingredient, "other": seen[ingredient]},
                    )
                )
            seen.setdefault(ingredient, number)
    for number, line in enumerate(lines, start=1):
        drug = drugs.get(line.drug_code)
        if drug is None or drug.code not in wanted:
            continue
        on_hand = stock.get(drug.code, 0.0)
        if wanted[drug.code] > on_hand + 1e-9:
            problems.append(
                Problem(
                    f"line{number}",
                    N_("Line {n}: only {stock} {unit} of {drug} in stock."),
                    "error",
                    {"n": number, "stock": _num(on_hand), "unit": drug.unit, "drug": drug.name},
                )
            )
            wanted.pop(drug.code)  # said once per drug
    return problems


def days_supplied(lines: Iterable[PrescriptionLine]) -> int | None:
    """How long the medicines given last: the longest line's days (None without days)."""
    days = [line.days for line in lines if line.days]
    return max(days) if days else None


def refill_due(visit_day: dt.date, days: int, window: int) -> dt.date:
    """The refill reminder's day: when the medicine runs out, a few days early (at least the next day)."""
    return visit_day + dt.timedelta(days=max(days - window, 1))


# -- the stock ledger -----------------------------------------------------------------------------
class Movement(enum.StrEnum):
    RECEIVED = "received"
    DISPENSED = "dispensed"
    RETURNED = "returned"
    ADJUSTED = "adjusted"


MOVEMENT_NAMES = {
    Movement.RECEIVED: N_("Received"),
    Movement.DISPENSED: N_("Dispensed"),
    Movement.RETURNED: N_("Returned"),
    Movement.ADJUSTED: N_("Adjusted"),
}


class AdjustReason(enum.StrEnum):
    DAMAGED = "damaged"
    EXPIRED = "expired"
    COUNT = "count"  # a stock count's difference
    CORRECTION = "correction"  # a wrong entry put right


ADJUST_REASON_NAMES = {
    AdjustReason.DAMAGED: N_("Damaged"),
    AdjustReason.EXPIRED: N_("Expired"),
    AdjustReason.COUNT: N_("Count difference"),
    AdjustReason.CORRECTION: N_("Correction of an entry"),
}


def movement_sign_ok(kind: Movement, delta: float) -> bool:
    """Received and returned add to a lot, dispensed takes from it, an adjustment does either."""
    if kind in (Movement.RECEIVED, Movement.RETURNED):
        return delta > 0
    if kind is Movement.DISPENSED:
        return delta < 0
    return delta != 0


@dataclass(frozen=True)
class LotBalance:
    lot_id: int
    drug_code: str
    lot_no: str
    expiry: dt.date
    balance: float
    unit_price: float = 0.0

    def usable_on(self, day: dt.date) -> bool:
        """A lot may be given up to and including its expiry date."""
        return self.expiry >= day and self.balance > 0


class NotEnoughStock(Exception):
    def __init__(self, drug_code: str, wanted: float, usable: float) -> None:
        super().__init__(f"{drug_code}: {wanted} wanted, {usable} usable")
        self.drug_code = drug_code
        self.wanted = wanted
        self.usable = usable


def fefo(lots: Iterable[LotBalance], quantity: float, on: dt.date) -> list[tuple[LotBalance, float]]:
    """Take ``quantity`` from the usable lots, earliest expiry first (first expired, first out);
    an expired lot is never taken. ``NotEnoughStock`` when the usable lots hold less."""
    usable = sorted((lot for lot in lots if lot.usable_on(on)), key=lambda lot: (lot.expiry, lot.lot_id))
    left = quantity
    taken: list[tuple[LotBalance, float]] = []
    for lot in usable:
        if left <= 1e-9:
            break
        part = min(lot.balance, left)
        taken.append((lot, round(part, QUANTITY_DECIMALS)))
        left = round(left - part, QUANTITY_DECIMALS)
    if left > 1e-9:
        code = next(iter(lots), None)
        raise NotEnoughStock(code.drug_code if code else "", quantity, round(quantity - left, QUANTITY_DECIMALS))
    return taken


@dataclass
class ReceiptLine:
    """One line of a delivery note: drug (formulary code), lot, expiry, quantity, unit price."""

    drug_code: str
    lot_no: str
    expiry: dt.date
    quantity: float
    unit_price: float = 0.0
    row: int = 0  # the line's row in the file (for messages)
    extra: dict[str, str] = field(default_factory=dict)


def validate_receipt_line(line: ReceiptLine, drugs: Mapping[str, Drug], received_on: dt.date) -> list[Problem]:
    problems: list[Problem] = []
    if line.drug_code not in drugs:
        problems.append(Problem("drug", N_("{code} is not in the formulary."), "error", {"code": line.drug_code}))
    elif not drugs[line.drug_code].active:
        problems.append(Problem("drug", N_("{code} is retired from the formulary."), "error", {"code": line.drug_code}))
    if not line.lot_no.strip():
        problems.append(Problem("lot", N_("The lot number is required.")))
    if line.quantity <= 0 or round(line.quantity, QUANTITY_DECIMALS) != line.quantity:
        problems.append(Problem("quantity", N_("The quantity must be more than 0 (at most 3 decimals).")))
    if line.unit_price < 0:
        problems.append(Problem("unit_price", N_("The price cannot be negative.")))
    if line.expiry < received_on:
        problems.append(
            Problem(
                "expiry",
                N_("The lot expired on {date}: it cannot be received."),
                "error",
                {"date": line.expiry.strftime("%d/%m/%Y")},
            )
        )
    return problems
