"""The monthly medicine report's rows (nhập – xuất – tồn): for each drug and lot, the opening
balance, what was received, dispensed (less what patients returned) and adjusted, and the closing
balance, with values at the lot's purchase price. Computed by ``reports.medicines``, printed by
``printing.medicine_report``.

The columns follow the practice of commune stations (tên thuốc, hàm lượng, đơn vị, tồn đầu kỳ,
nhập, xuất, tồn cuối kỳ, hạn dùng); no official form for it was found (see the domain note).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from station_app.domain.medicines import Drug
from station_app.domain.monthly import Month
from station_app.i18n import N_

ROW_KEYS = ("drug", "name", "unit", "opening", "received", "dispensed", "adjusted", "closing")
# The report's columns after the first (the row's number on paper, the drug's code in the sheet).
COLUMNS = (N_("Drug"), N_("Unit"), N_("Lot"), N_("Expiry"), N_("Unit price"), N_("Opening"), N_("Received"),
           N_("Dispensed"), N_("Adjusted"), N_("Closing"), N_("Closing value"))


@dataclass
class LotRow:
    lot: str
    expiry: dt.date
    unit_price: float
    opening: float
    received: float
    dispensed: float
    adjusted: float
    closing: float

    @property
    def closing_value(self) -> float:
        return round(self.closing * self.unit_price, 2)


@dataclass
class DrugRow:
    drug: Drug
    lots: list[LotRow] = field(default_factory=list)

    def total(self, name: str) -> float:
        return round(sum(getattr(lot, name) for lot in self.lots), 3)

    @property
    def closing_value(self) -> float:
        return round(sum(lot.closing_value for lot in self.lots), 2)

    @property
    def dispensed_value(self) -> float:
        return round(sum(lot.dispensed * lot.unit_price for lot in self.lots), 2)

    def as_dict(self) -> dict[str, object]:
        row: dict[str, object] = {"drug": self.drug.code, "name": self.drug.name, "unit": self.drug.unit}
        for key in ROW_KEYS[3:]:
            row[key] = _number(self.total(key))
        row["dispensed_value"] = self.dispensed_value
        row["closing_value"] = self.closing_value
        row["lots"] = [
            {
                "lot": lot.lot,
                "expiry": lot.expiry.isoformat(),
                "unit_price": lot.unit_price,
                **{key: _number(getattr(lot, key)) for key in ROW_KEYS[3:]},
            }
            for lot in self.lots
        ]
        return row


@dataclass
class MedicineReport:
    month: Month
    station: str
    rows: list[DrugRow]

    @property
    def dispensed_value(self) -> float:
        return round(sum(r.dispensed_value for r in self.rows), 2)

    @property
    def closing_value(self) -> float:
        return round(sum(r.closing_value for r in self.rows), 2)


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value
